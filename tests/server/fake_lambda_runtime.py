"""A stand-in for ``sam local start-lambda``: Lambda's Invoke API over the workflows here.

Run as a process: ``python fake_lambda_runtime.py`` prints ``listening on PORT`` and serves
``POST /2015-03-31/functions/{name}/invocations`` by calling the handler with the event, as
the Lambda runtime does. The handlers make their durable calls with the SDK's default boto3
client, which finds the durable-execution endpoint in ``AWS_ENDPOINT_URL_LAMBDA`` (or, with
``EXPLICIT_CLIENT_ENDPOINT``, ``greet`` with a client passed to ``@durable_execution``).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import server_workflows

FUNCTIONS = dict(server_workflows.FUNCTIONS)
if os.environ.get("EXPLICIT_CLIENT_ENDPOINT"):
    # The user's own client, passed to the decorator, is the one the SDK uses.
    import boto3

    from aws_durable_execution_sdk_python import durable_execution

    explicit = boto3.client("lambda", endpoint_url=os.environ["EXPLICIT_CLIENT_ENDPOINT"])
    FUNCTIONS["greet"] = durable_execution(boto3_client=explicit)(server_workflows.greet_body)


class _Context:
    def __init__(self, name: str) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = name
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


class _Invoke(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        name = self.path.split("/functions/", 1)[1].split("/", 1)[0]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {"Content-Type": "application/json"}
        try:
            handler = FUNCTIONS[name]
            result: Any = handler(json.loads(body), _Context(name))
        except Exception as error:  # the runtime reports it as a function error
            headers["X-Amz-Function-Error"] = "Unhandled"
            result = {
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "stackTrace": traceback.format_tb(error.__traceback__),
            }
        payload = json.dumps(result).encode()
        self.send_response(200)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Invoke)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()
