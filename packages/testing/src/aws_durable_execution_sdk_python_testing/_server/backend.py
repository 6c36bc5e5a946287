"""The server's engine: the in-memory service behind one lock, driven in real time.

The runner drives the service from the test's thread and jumps its clock; a server has
clients calling at any moment, so one lock guards the service and a driver thread does what
the runner's loop does: start the invocations executions need, fire timers when they fall
due, and sleep on a condition (never a busy loop) until a request, a finished invocation or
the next timer wakes it. Invocations run on their own threads, outside the lock, because the
function calls back into this server while it runs (docs/decisions.md, "The local server").
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Protocol

from aws_durable_execution_sdk_python.lambda_service import (
    ErrorObject,
    Operation,
    OperationStatus,
    OperationType,
)
from aws_durable_execution_sdk_python_testing._arguments import function_key, qualifier
from aws_durable_execution_sdk_python_testing._clock import VirtualClock
from aws_durable_execution_sdk_python_testing._invocation import (
    Begun,
    Ended,
    Function,
    begin,
    settle,
)
from aws_durable_execution_sdk_python_testing._service.execution import (
    ExecutionRecord,
    ExecutionStatus,
    Limits,
)
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService
from aws_durable_execution_sdk_python_testing._store import ExecutionStore

__all__ = ["Backend", "Invoker"]

_log = logging.getLogger("aws_durable_execution_sdk_python_testing.server")


class Invoker(Protocol):
    """How a function is called: in this process, in a child process, or over HTTP."""

    accepts_any_function: bool

    def call(self, function: Function | None, record: ExecutionRecord, begun: Begun) -> Ended: ...

    def close(self) -> None: ...


class Backend:
    """The service, its lock, the functions it may invoke, and the thread that drives it."""

    def __init__(
        self,
        functions: Mapping[str, Function],
        invoker: Invoker,
        *,
        skip_time: bool,
        limits: Limits | None,
        invocation_retries: int,
        execution_timeout: int,
        max_concurrent_invocations: int,
        callback_hold: float,
        sync_invoke_timeout: float,
        store: ExecutionStore | None,
    ) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.clock = VirtualClock()
        self.service = InMemoryDurableService(self.clock, limits or Limits())
        self.service.invoke_hook = self._start_target
        self.service.callback_hook = self._callback_created
        self.functions = {function_key(name): f for name, f in functions.items()}
        self.invoker = invoker
        self.skip_time = skip_time
        self.invocation_retries = invocation_retries
        self.execution_timeout = execution_timeout
        self.callback_hold = callback_hold
        self.sync_invoke_timeout = sync_invoke_timeout
        self.store = store
        self._max_running = max(1, max_concurrent_invocations)
        self._running: dict[str, threading.Thread] = {}
        self._last_callback = -float("inf")
        self._stopping = False
        self._driver: threading.Thread | None = None
        if store is not None:
            restored = store.load_into(self.service)
            if restored:
                _log.info("restored %d execution(s) from the store", len(restored))
            if any(_open_callback(self.service.executions[arn]) for arn in restored):
                # Clients get the same time to answer a restored callback as a new one.
                self._last_callback = VirtualClock.real_monotonic()

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._driver = threading.Thread(target=self._drive, name="durable-local-driver")
        self._driver.start()

    def stop(self, grace: float = 10.0) -> None:
        """Stop driving; wait for running invocations to end (their calls back fail once the
        HTTP side is closed, which ends them)."""
        with self.lock:
            self._stopping = True
            self.changed.notify_all()
            running = list(self._running.values())
        if self._driver is not None:
            self._driver.join()
            self._driver = None
        for thread in running:
            thread.join(grace)
            if thread.is_alive():
                _log.warning("invocation thread %s did not end within %.0f s", thread.name, grace)
        self.invoker.close()
        if self.store is not None:
            with self.lock:
                self.store.save(self.service)
            self.store.close()

    @contextlib.contextmanager
    def locked(self) -> Iterator[InMemoryDurableService]:
        """The service, for one request: saved and the driver woken afterwards."""
        with self.lock:
            try:
                yield self.service
            finally:
                self._settled()

    def _settled(self) -> None:
        if self.store is not None:
            self.store.save(self.service)
        self.changed.notify_all()

    def wait_until(self, done: Callable[[], bool], timeout: float) -> bool:
        """Block the calling request (not the driver) until ``done()`` or ``timeout``."""
        with self.lock:
            return self.changed.wait_for(lambda: done() or self._stopping, timeout) and done()

    def idle(self) -> bool:
        """Nothing runs and nothing waits to be invoked: only timers, callbacks and paused
        executions remain."""
        return not self._running and not any(
            record.needs_invocation and record.status is ExecutionStatus.RUNNING
            for record in self.service.executions.values()
        )

    # -- functions -----------------------------------------------------------------------

    def function_for(self, function_name: str) -> Function | None:
        return self.functions.get(function_key(function_name))

    def knows(self, function_name: str) -> bool:
        return self.invoker.accepts_any_function or function_key(function_name) in self.functions

    def _start_target(
        self, caller: ExecutionRecord, op: Operation, function_name: str, payload: str
    ) -> str | None:
        if not self.knows(function_name):
            return None
        record = self.service.start_execution(
            function_key(function_name),
            op.operation_id[:32],
            payload,
            self.execution_timeout,
            qualifier=qualifier(function_name),
        )
        record.parent = (caller.arn, op.operation_id)
        return record.arn

    def _callback_created(self, record: ExecutionRecord, operation: Operation) -> None:
        self._last_callback = VirtualClock.real_monotonic()

    # -- the driver ----------------------------------------------------------------------

    def _drive(self) -> None:
        with self.lock:
            while not self._stopping:
                if self._start_one():
                    continue
                wait = self._fire_due()
                if wait == 0:
                    self._settled()
                    continue
                self.changed.wait(timeout=wait)

    def _start_one(self) -> bool:
        if len(self._running) >= self._max_running:
            return False
        record = self.service.next_ready()
        while record is not None and record.arn in self._running:
            # One invocation at a time per execution: the running one re-queues it when it
            # ends, since the change it missed keeps ``needs_invocation`` set.
            record = self.service.next_ready()
        if record is None:
            return False
        function = self.function_for(record.function_name)
        if function is None and not self.invoker.accepts_any_function:
            self.service.fail(
                record.arn,
                ErrorObject(
                    f"Function not found: {record.function_name} is not served here",
                    "ResourceNotFoundException",
                ),
                "UNHANDLED_ERROR",
            )
            self._settled()
            return True
        begun = begin(self.service, record)
        self._settled()
        thread = threading.Thread(
            target=self._invoke,
            args=(record, function, begun),
            name=f"durable-local-invocation-{record.invocations}",
        )
        self._running[record.arn] = thread
        thread.start()
        return True

    def _invoke(self, record: ExecutionRecord, function: Function | None, begun: Begun) -> None:
        try:
            ended = self.invoker.call(function, record, begun)
        except Exception as error:  # the invoker itself failed: the invocation failed
            ended = Ended(error=ErrorObject.from_exception(error))
        with self.lock:
            try:
                settle(
                    self.service,
                    record,
                    function is None or function.durable,  # None: at a Lambda endpoint
                    begun,
                    ended,
                    self.invocation_retries,
                )
            finally:
                del self._running[record.arn]
                if record.needs_invocation and not record.is_terminal:
                    self.service.ready.append(record.arn)
                self._settled()

    def _fire_due(self) -> float | None:
        """Fire a timer that is due (0), or say how long to sleep (None: until woken)."""
        timers = self.service.timers
        timer = timers.peek()
        if timer is None:
            return None
        now = self.clock.now()
        if timer.when <= now:
            timers.pop()
            timer.fire()
            return 0
        if not self.skip_time or self._running or not timers.has_progress:
            return timer.when - now
        # Skipping time: jump to the next timer, unless a callback opened moments ago, which
        # a client may be about to answer (docs/decisions.md, "The local server").
        held = self._last_callback + self.callback_hold - VirtualClock.real_monotonic()
        if held > 0:
            return min(held, timer.when - now)
        self.service.fire_next_timers()
        return 0


def _open_callback(record: ExecutionRecord) -> bool:
    return not record.is_terminal and any(
        op.operation_type is OperationType.CALLBACK and op.status is OperationStatus.STARTED
        for op in record.operations.values()
    )
