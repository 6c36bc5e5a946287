"""The seed guide's handlers survive a crash at every checkpoint boundary.

Left out on purpose, as not durable by design: ``common_errors``' handlers count every call
of their stand-in services in a module-level counter and return the count, so a step body
run again after a crash (at least once, as designed) changes the result; ``faq``'s
``handler_charge`` returns the attempt that charged, which an interrupted at-most-once
attempt moves to the next one, and crashes its first charge with ``sys.exit`` on purpose.
"""

from __future__ import annotations

from typing import Any

import pytest

from aws_durable_execution_sdk_python_testing.strategies import assert_durable
from examples.seed import (
    callbacks,
    exception_types,
    faq,
    getting_started,
    retry_strategies,
    troubleshooting,
)

CASES: list[tuple[str, Any, Any, dict[str, Any]]] = [
    ("getting started", getting_started.handler, {"order_id": "order-42"}, {}),
    ("a loop of steps", faq.handler_loop, {"items": [1, -2, 3]}, {}),
    ("retries exhausted", faq.handler_retries_exhausted, {}, {}),
    ("a specific exception", faq.handler_specific_exceptions, {"error": "KeyError"}, {}),
    ("retry configuration", retry_strategies.handler, {}, {}),
    ("exponential backoff", retry_strategies.handler_exponential_backoff, {"jitter": "NONE"}, {}),
    ("validation after a wait", exception_types.handler_validation_wait, {}, {}),
    ("execution error", exception_types.handler_execution_error, {"required_field": "x"}, {}),
    (
        "troubleshooting retries",
        troubleshooting.handler_retries,
        {"error": "ConnectionError", "failures": 2},
        {},
    ),
    (
        "callback error details",
        callbacks.handler_error_details,
        {},
        {"callbacks": {"review": "looks good"}},
    ),
]


@pytest.mark.parametrize(
    ("handler", "event", "options"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_the_seed_handler_survives_a_crash_at_every_checkpoint_boundary(
    handler: Any, event: Any, options: dict[str, Any]
):
    report = assert_durable(handler, event, **options)

    assert report.schedules_checked - 2 * report.checkpoint_calls in (0, 1)
