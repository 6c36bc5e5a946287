"""``python -m aws_durable_execution_sdk_python_testing run module:handler``.

Runs a durable handler locally on the virtual clock and prints its result and timeline;
``--html PATH`` also writes the HTML timeline, whatever the outcome. Exit codes: 0 the
execution succeeded, 1 it failed (or timed out, or was stopped), 2 the command line was
wrong (argparse's convention; also when ``--html`` cannot be written), 3 the execution
cannot make progress.
"""

from __future__ import annotations

import argparse
import enum
import importlib
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from aws_durable_execution_sdk_python_testing._result import DurableFunctionTestResult
from aws_durable_execution_sdk_python_testing._runner import DurableFunctionTestRunner
from aws_durable_execution_sdk_python_testing._timeline import save_timeline
from aws_durable_execution_sdk_python_testing.errors import (
    DurableFunctionsTestError,
    StuckExecutionError,
)

__all__ = ["ExitCode", "add_run_arguments", "load_target", "main", "run_command"]


class ExitCode(enum.IntEnum):
    SUCCEEDED = 0
    FAILED = 1
    USAGE = 2
    STUCK = 3


def _json_text(text: str) -> str:
    """``--input`` as given, once it is known to be JSON (the runner keeps JSON verbatim)."""
    try:
        json.loads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"not JSON ({error}): {text!r}; quote a string, e.g. --input '\"text\"'"
        ) from None
    return text


def load_target(parser: argparse.ArgumentParser, target: str) -> Any:
    """The handler ``MODULE:HANDLER`` (or ``path/to/file.py:HANDLER``) names; a usage error
    (exit 2) when it cannot be imported."""
    module_name, _, attribute = target.partition(":")
    if not attribute:
        _usage(parser, f"expected MODULE:HANDLER (e.g. examples.orders:handler), got {target!r}")
    if module_name.endswith(".py") or os.sep in module_name:
        directory, filename = os.path.split(os.path.abspath(module_name))
        sys.path.insert(0, directory)
        module_name = filename.removesuffix(".py")
    else:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        _usage(parser, f"cannot import {module_name!r}: {error}")
    try:
        return getattr(module, attribute)
    except AttributeError:
        _usage(parser, f"{module_name} has no attribute {attribute!r}")


def _html_path(text: str) -> str:
    """``--html``: a file in an existing, writable directory (checked before the run, so a
    typo does not cost a whole run; the write itself can still fail later)."""
    if not text:
        raise argparse.ArgumentTypeError("expected a file path, e.g. --html run.html")
    path = os.path.abspath(text)
    directory = os.path.dirname(path)
    if os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: it is a directory")
    if not os.path.isdir(directory):
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: no directory {directory!r}")
    if not os.access(directory, os.W_OK):
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: {directory!r} is read-only")
    return text


def _write_html(result: DurableFunctionTestResult, path: str | None) -> bool:
    if path is None:
        return True
    try:
        save_timeline(result.history, path, result.execution_arn)
    except OSError as error:
        print(f"cannot write the timeline to --html {path}: {error}", file=sys.stderr)
        return False
    print(f"timeline: {path}", file=sys.stderr)
    return True


def _usage(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    parser.error(message)  # prints usage and the message, exits 2


def add_run_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument("target", help="MODULE:HANDLER or path/to/file.py:HANDLER")
    run.add_argument(
        "--input", default="null", type=_json_text, help="the execution input, as JSON"
    )
    run.add_argument("--seed", default="0", help="seed for retry jitter")
    run.add_argument(
        "--html",
        metavar="PATH",
        type=_html_path,
        help="also write the timeline as a self-contained HTML page (SVG Gantt chart)",
    )


def _parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    parser = argparse.ArgumentParser(
        prog="python -m aws_durable_execution_sdk_python_testing",
        epilog="exit codes: 0 succeeded, 1 failed, 2 usage error, 3 stuck",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a durable handler locally and show its timeline")
    add_run_arguments(run)
    return parser, run


def main(argv: Sequence[str] | None = None) -> int:
    parser, run_parser = _parser()
    return run_command(run_parser, parser.parse_args(argv))


def run_command(run_parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """``run``: the execution on the virtual clock, its result and its timeline."""
    handler = load_target(run_parser, args.target)
    try:
        runner = DurableFunctionTestRunner(handler, seed=args.seed)
    except DurableFunctionsTestError as error:
        _usage(run_parser, str(error))
    with runner:
        arn = runner.start(input=args.input)
        try:
            result = runner.wait_for_result(arn)
        except (StuckExecutionError, TimeoutError) as error:
            kind = "stuck" if isinstance(error, StuckExecutionError) else "timed out"
            print(f"{kind}: {error}", file=sys.stderr)
            written = _write_html(runner.get_result(arn), args.html)
            return ExitCode.STUCK if written else ExitCode.USAGE
    print(f"status: {result.execution_status}")
    if result.error is not None:
        print(f"error:  {result.error}")
    else:
        print(f"result: {json.dumps(result.result)}")
    print(f"invocations: {result.invocation_count}\n")
    print(result.format_timeline())
    if not _write_html(result, args.html):
        return ExitCode.USAGE
    return ExitCode.SUCCEEDED if result.execution_status == "SUCCEEDED" else ExitCode.FAILED
