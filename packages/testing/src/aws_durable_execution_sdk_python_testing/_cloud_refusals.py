"""What the cloud runner cannot do: the local runner's facilities that need the handler in
this process (registered targets, the virtual clock, replays, injected faults).

Each raises ``UnsupportedInCloudError`` naming the call, so a test written for the local
runner reads, in cloud mode, as skipped for that reason rather than as a failure.
"""

from __future__ import annotations

from typing import Any

from aws_durable_execution_sdk_python_testing._cloud_api import UnsupportedInCloudError

__all__ = ["LocalOnlyRefusals"]


class LocalOnlyRefusals:
    """The local runner's methods that have no Lambda API counterpart."""

    def register_durable_function(self, function_name: str, handler: Any) -> None:
        raise UnsupportedInCloudError(
            f"register_durable_function({function_name!r}, ...): in cloud mode a chained "
            "invoke reaches the deployed function of that name; deploy it instead"
        )

    def register_function(self, function_name: str, func: Any) -> None:
        raise UnsupportedInCloudError(
            f"register_function({function_name!r}, ...): in cloud mode a chained invoke "
            "reaches the deployed function of that name; deploy it instead"
        )

    def advance_time(self, seconds: float) -> None:
        raise UnsupportedInCloudError(
            f"advance_time({seconds!r}): the service's clock cannot be moved from a test"
        )

    def replay(self, history: Any) -> Any:
        raise UnsupportedInCloudError(
            "replay(history) runs a handler in this process: use DurableFunctionTestRunner"
        )

    assert_replays = replay

    @staticmethod
    def _refuse_local_only(method: str, **options: Any) -> None:
        used = sorted(k for k, v in options.items() if v is not None)
        if used:
            raise UnsupportedInCloudError(
                f"{method}({', '.join(f'{k}=...' for k in used)}): fault injection needs "
                "the local runner (the handler in this process); "
                "DurableFunctionCloudTestRunner only uses the Lambda API"
            )
