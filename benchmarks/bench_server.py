"""Local server throughput: ``GetDurableExecution`` requests per second, and Invoke latency.

Run ``python benchmarks/bench_server.py``: a ``DurableLocalServer`` on a loopback port, one
finished execution, then ``--clients`` client processes (each with its own boto3 client and
kept-alive connection, in its own process so that boto3's per-call cost of about 1 ms does not
share the server's interpreter lock) calling ``GetDurableExecution`` for ``--seconds``. It
prints the requests per second the server sustained, the latency percentiles the clients saw
and the server's own time per request, and the time of a synchronous ``Invoke`` of an empty
durable function (start, one invocation that checkpoints over HTTP, the response).
``--check`` exits 1 when fewer than ``--target`` requests per second were served. On 2 cores
the client processes compete with the server for the CPU.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import time
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python_testing.server import DurableLocalServer

SERVER_LOG = "aws_durable_execution_sdk_python_testing.server"


@durable_execution
def empty(event: Any, context: DurableContext) -> dict[str, Any]:
    return {"ok": True}


def _hammer(endpoint: str, arn: str, seconds: float) -> None:
    """One client process (``--client``): call GetDurableExecution until ``seconds`` pass,
    then print the latencies as JSON."""
    from aws_durable_execution_sdk_python_testing._server.invokers import lambda_client

    client = lambda_client(endpoint)
    client.get_durable_execution(DurableExecutionArn=arn)  # connect, load the model
    print("ready", flush=True)
    sys.stdin.readline()  # every client starts together
    latencies: list[float] = []
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        started = time.perf_counter()
        client.get_durable_execution(DurableExecutionArn=arn)
        latencies.append(time.perf_counter() - started)
    client.close()
    print(json.dumps(latencies), flush=True)


def measure(clients: int, seconds: float) -> dict[str, float]:
    server_ms: list[float] = []
    log = logging.getLogger(SERVER_LOG)
    with DurableLocalServer({"empty": empty}) as server:
        client = server.client()
        invoke_times = []
        for _ in range(20):
            started = time.perf_counter()
            response = client.invoke(FunctionName="empty", Payload=b"{}")
            invoke_times.append(time.perf_counter() - started)
            assert json.loads(response["Payload"].read()) == {"ok": True}
        arn = response["DurableExecutionArn"]
        client.close()
        command = [sys.executable, __file__, "--client", server.endpoint_url, arn, str(seconds)]
        processes = [
            subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for _ in range(clients)
        ]
        for process in processes:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        before = server.request_counts().get("GetDurableExecution", 0)
        handler = _Timings(server_ms)
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        try:
            for process in processes:
                assert process.stdin is not None
                process.stdin.write("go\n")
                process.stdin.flush()
            latencies = sorted(
                x for process in processes for x in json.loads(process.communicate()[0])
            )
        finally:
            log.removeHandler(handler)
        served = server.request_counts()["GetDurableExecution"] - before
    return {
        "rps": served / seconds,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
        "server_ms": statistics.median(server_ms) if server_ms else float("nan"),
        "invoke_ms": 1000 * statistics.median(invoke_times[1:]),
    }


class _Timings(logging.Handler):
    """Collects the server's own milliseconds per request from its request log line."""

    def __init__(self, into: list[float]) -> None:
        super().__init__()
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.args, tuple) and record.args:
            self.into.append(float(record.args[-1]))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--client"]:
        _hammer(argv[1], argv[2], float(argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--seconds", type=float, default=3.0, help="how long (default 3)")
    parser.add_argument("--target", type=float, default=500.0, help="requests/s (default 500)")
    parser.add_argument("--check", action="store_true", help="exit 1 below --target")
    args = parser.parse_args(argv)
    result = measure(args.clients, args.seconds)
    print(
        f"GetDurableExecution: {result['rps']:.0f} requests/s with {args.clients} clients "
        f"(client p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms; server "
        f"{result['server_ms']:.2f} ms per request; target >= {args.target:.0f}/s)"
    )
    print(f"synchronous Invoke of an empty durable function: {result['invoke_ms']:.2f} ms")
    if result["rps"] < args.target:
        print("missed target: GetDurableExecution requests per second")
        return 1 if args.check else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
