"""``DurableChildContextTestRunner``: test one ``@durable_with_child_context`` block alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python_testing._runner import DurableFunctionTestRunner

__all__ = ["DurableChildContextTestRunner"]


class DurableChildContextTestRunner(DurableFunctionTestRunner):
    """Runs ``context_function(*args, **kwargs)`` as the body of a durable handler.

    The block's operations appear at the top level of the result, as if the block were the
    handler; the handler's input is ignored.
    """

    def __init__(
        self,
        context_function: Callable[..., Callable[[DurableContext], Any]],
        *args: Any,
        skip_time: bool = True,
        **kwargs: Any,
    ) -> None:
        block = context_function(*args, **kwargs)

        @durable_execution
        def handler(event: Any, context: DurableContext) -> Any:
            return block(context)

        super().__init__(handler, skip_time=skip_time)
