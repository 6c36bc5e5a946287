"""``durable-local``: serve the durable-execution API, run a handler, read a history, answer
a callback, from a terminal.

``serve`` starts ``DurableLocalServer`` and logs one line per request; ``run`` is
``python -m aws_durable_execution_sdk_python_testing run``; ``history`` and ``callback`` talk
to a server (or to AWS) through boto3, at ``--endpoint`` or ``AWS_ENDPOINT_URL_LAMBDA``.
Exit codes: 0 done (``run``: the execution succeeded), 1 failed, 2 usage error, 3 stuck (``run``),
130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from aws_durable_execution_sdk_python_testing import _cli
from aws_durable_execution_sdk_python_testing._service.service import (
    MAX_EXECUTION_TIMEOUT_SECONDS,
)
from aws_durable_execution_sdk_python_testing._timeline import format_timeline
from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError

__all__ = ["main"]

DEFAULT_PORT = 9014
_ENDPOINT_ENV = "AWS_ENDPOINT_URL_LAMBDA"


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(
        prog="durable-local",
        description="A local Lambda durable-execution endpoint, and the tools to use it.",
        epilog="exit codes: 0 ok, 1 failed, 2 usage error, 3 stuck (run), 130 interrupted",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="serve the durable-execution API over HTTP",
        description="Serve the Lambda durable-execution API (and Invoke of the given "
        "functions) until Ctrl-C. Point boto3 at it with endpoint_url or "
        f"{_ENDPOINT_ENV}.",
    )
    serve.add_argument(
        "functions",
        nargs="*",
        metavar="[NAME=]MODULE:HANDLER",
        help="a durable handler to serve under NAME (default: the handler's name)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 9014)")
    serve.add_argument(
        "--store",
        default="memory",
        metavar="memory|sqlite:PATH",
        help="where executions live; sqlite:PATH survives a restart (default memory)",
    )
    serve.add_argument(
        "--invocation-mode",
        choices=["in-process", "subprocess"],
        default="in-process",
        help="run each invocation in this process or in a child process",
    )
    serve.add_argument(
        "--lambda-endpoint",
        metavar="URL",
        help="invoke functions at this Lambda endpoint (e.g. sam local start-lambda, "
        f"http://127.0.0.1:3001); set {_ENDPOINT_ENV} in them to this server",
    )
    serve.add_argument(
        "--skip-time",
        action="store_true",
        help="jump the clock to the next timer whenever nothing runs (waits pass at once)",
    )
    serve.add_argument(
        "--invocation-timeout", type=float, default=900.0, help="seconds (default 900)"
    )
    serve.add_argument(
        "--execution-timeout",
        type=int,
        default=MAX_EXECUTION_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help="the timeout of executions Invoke starts (default: the service's 366 days)",
    )
    serve.add_argument(
        "--max-requests-per-second",
        type=float,
        metavar="RATE",
        help="answer client calls over RATE with TooManyRequestsException (429)",
    )
    serve.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])

    run = commands.add_parser(
        "run",
        help="run a durable handler locally on the virtual clock and show its timeline",
        description="Run a durable handler locally on the virtual clock and show its timeline.",
    )
    _cli.add_run_arguments(run)

    history = commands.add_parser(
        "history",
        help="print the readable timeline of an execution",
        description="Fetch every page of an execution's history and print its timeline.",
    )
    history.add_argument("arn", help="the DurableExecutionArn")
    history.add_argument("--json", action="store_true", help="print the raw events as JSON")
    _endpoint_arguments(history)

    callback = commands.add_parser(
        "callback",
        help="answer a callback: success, failure or heartbeat",
        description="Send SendDurableExecutionCallbackSuccess/Failure/Heartbeat.",
    )
    callback.add_argument("callback_id", metavar="ID", help="the CallbackId")
    callback.add_argument("action", choices=["success", "failure", "heartbeat"])
    callback.add_argument("--result", default="", help="success: the result (sent as is)")
    callback.add_argument("--error-message", default="", help="failure: the error message")
    callback.add_argument("--error-type", default="", help="failure: the error type")
    _endpoint_arguments(callback)
    return parser, {"serve": serve, "run": run, "history": history, "callback": callback}


def _endpoint_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--endpoint",
        default=os.environ.get(_ENDPOINT_ENV) or f"http://127.0.0.1:{DEFAULT_PORT}",
        help=f"the server (default ${_ENDPOINT_ENV}, else http://127.0.0.1:{DEFAULT_PORT})",
    )
    command.add_argument("--region", default=os.environ.get("AWS_REGION") or "us-east-1")


# -- serve ---------------------------------------------------------------------------------


def _functions(parser: argparse.ArgumentParser, specs: Sequence[str]) -> dict[str, Any]:
    functions: dict[str, Any] = {}
    for spec in specs:
        name, sep, target = spec.partition("=")
        if not sep:
            name, target = "", spec
        handler = _cli.load_target(parser, target)
        functions[name or target.rpartition(":")[2].replace("_", "-")] = handler
    return functions


def _serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from aws_durable_execution_sdk_python_testing.server import DurableLocalServer

    logging.basicConfig(level=args.log_level, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    functions = _functions(parser, args.functions)
    try:
        server = DurableLocalServer(
            functions,
            host=args.host,
            port=args.port,
            store=args.store,
            invocation_mode=args.invocation_mode,
            lambda_endpoint=args.lambda_endpoint,
            skip_time=args.skip_time,
            invocation_timeout=args.invocation_timeout,
            max_requests_per_second=args.max_requests_per_second,
            execution_timeout=args.execution_timeout,
        ).start()
    except DurableFunctionsTestError as error:
        parser.error(str(error))
    served = ", ".join(sorted(functions)) or (
        "any function, at " + args.lambda_endpoint if args.lambda_endpoint else "no function"
    )
    print(f"durable-local: serving {served} at {server.endpoint_url}", file=sys.stderr)
    print(f"  export {_ENDPOINT_ENV}={server.endpoint_url}", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("durable-local: stopped", file=sys.stderr)
        return 130
    return 0


# -- history and callback ------------------------------------------------------------------


def _client(args: argparse.Namespace) -> Any:
    from aws_durable_execution_sdk_python_testing._server.invokers import lambda_client

    return lambda_client(args.endpoint, args.region)


def _history(args: argparse.Namespace) -> int:
    client = _client(args)
    events: list[dict[str, Any]] = []
    marker: str | None = None
    with _progress(lambda: f"fetched {len(events)} events"):
        while True:
            page = client.get_durable_execution_history(
                DurableExecutionArn=args.arn,
                IncludeExecutionData=True,
                MaxItems=1000,
                **({"Marker": marker} if marker else {}),
            )
            events.extend(page["Events"])
            marker = page.get("NextMarker")
            if not marker:
                break
    if args.json:
        from aws_durable_execution_sdk_python_testing.history import history_to_json

        print(history_to_json(events))
    else:
        print(format_timeline(events))
    return 0


def _callback(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    client = _client(args)
    if args.action == "success":
        client.send_durable_execution_callback_success(
            CallbackId=args.callback_id, Result=args.result.encode()
        )
    elif args.action == "failure":
        if not args.error_message and not args.error_type:
            parser.error("callback ID failure needs --error-message and/or --error-type")
        error = {"ErrorMessage": args.error_message, "ErrorType": args.error_type}
        client.send_durable_execution_callback_failure(
            CallbackId=args.callback_id, Error={k: v for k, v in error.items() if v}
        )
    else:
        client.send_durable_execution_callback_heartbeat(CallbackId=args.callback_id)
    print(f"callback {args.callback_id}: {args.action} sent", file=sys.stderr)
    return 0


@contextlib.contextmanager
def _progress(status: Callable[[], str], after: float = 1.0) -> Iterator[None]:
    """Show ``status()`` on stderr about once a second while a long call runs (nothing for
    a short one); the ticker thread is joined before this returns."""
    done = threading.Event()
    started = time.monotonic()

    def tick() -> None:
        while not done.wait(after):
            print(f"  … {status()} ({time.monotonic() - started:.0f} s)", file=sys.stderr)

    ticker = threading.Thread(target=tick, name="durable-local-progress")
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()


def main(argv: Sequence[str] | None = None) -> int:
    parser, commands = _parser()
    args = parser.parse_args(argv)
    command = commands[args.command]
    try:
        if args.command == "serve":
            return _serve(command, args)
        if args.command == "run":
            with _progress(lambda: "running"):
                return _cli.run_command(command, args)
        if args.command == "history":
            return _history(args)
        return _callback(command, args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        response = getattr(error, "response", None)
        if isinstance(response, dict) and "Error" in response:  # a botocore ClientError
            detail = response["Error"]
            print(
                f"durable-local {args.command}: {detail.get('Code')}: {detail.get('Message')}",
                file=sys.stderr,
            )
            return 1
        if type(error).__module__.startswith("botocore"):  # cannot connect, and the like
            print(f"durable-local {args.command}: {error}", file=sys.stderr)
            return 1
        raise
