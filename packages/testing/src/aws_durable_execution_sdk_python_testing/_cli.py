"""``python -m aws_durable_execution_sdk_python_testing run module:handler``.

Runs a durable handler locally on the virtual clock and prints its result and timeline.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from aws_durable_execution_sdk_python_testing._runner import DurableFunctionTestRunner

__all__ = ["main"]


def _load(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    if not attribute:
        raise SystemExit(f"expected MODULE:HANDLER (e.g. examples.orders:handler), got {target!r}")
    if module_name.endswith(".py") or os.sep in module_name:
        directory, filename = os.path.split(os.path.abspath(module_name))
        sys.path.insert(0, directory)
        module_name = filename.removesuffix(".py")
    else:
        sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise SystemExit(f"{module_name} has no attribute {attribute!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aws_durable_execution_sdk_python_testing")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a durable handler locally and show its timeline")
    run.add_argument("target", help="MODULE:HANDLER or path/to/file.py:HANDLER")
    run.add_argument("--input", default="null", help="the execution input, as JSON")
    run.add_argument("--seed", default="0", help="seed for retry jitter")
    args = parser.parse_args(argv)
    handler = _load(args.target)
    with DurableFunctionTestRunner(handler, seed=args.seed) as runner:
        result = runner.run(input=args.input)
    print(f"status: {result.execution_status}")
    if result.error is not None:
        print(f"error:  {result.error}")
    else:
        print(f"result: {json.dumps(result.result)}")
    print(f"invocations: {result.invocation_count}\n")
    print(result.format_timeline())
    return 0 if result.execution_status == "SUCCEEDED" else 1
