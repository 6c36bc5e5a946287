"""The plugin benchmarks under pytest-benchmark, at a smaller size.

With the repository's ``--benchmark-disable`` each test runs its case once, as a plain test
of what the case must produce; ``pytest benchmarks --benchmark-enable`` times them. The
overhead targets are checked by ``python benchmarks/bench_plugins.py --check``, not here: a
timing assertion in the normal suite would fail on a busy machine. The cases, plugins and
handlers are ``bench_plugins``'s.
"""

from __future__ import annotations

from typing import Any

import pytest
from bench_plugins import (
    PLUGIN_COUNT,
    VARIANTS,
    Variant,
    check_plugins,
    check_steps,
    noop_plugins_handler,
    run_steps,
)

from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

pytestmark = pytest.mark.benchmark(group="plugins")

STEPS = 500


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda variant: variant.name)
def test_sequential_steps(benchmark: Any, variant: Variant) -> None:
    check_steps(benchmark(run_steps, variant.handler, STEPS), STEPS)


def test_the_variants_implement_every_hook_or_none() -> None:
    check_plugins()


def test_every_step_reaches_the_hooks() -> None:
    """What the no-op plugins are called with: each step starts, runs and ends once."""
    with DurableFunctionTestRunner(noop_plugins_handler, record_hooks=True) as runner:
        result = runner.run(input={"steps": 20}, timeout=60)
    check_steps(result, 20)
    assert len(noop_plugins_handler._durable_plugins) == PLUGIN_COUNT  # type: ignore[attr-defined]
    for hook in ("on_operation_start", "on_user_function_start", "on_operation_end"):
        assert len(result.hooks(hook)) == 20, hook
