"""Prove a handler durable: Hypothesis strategies for fault schedules, and ``assert_durable``.

A durable function must end the same way whether or not its Lambda dies between two
checkpoints or the checkpoint API throttles it. ``assert_durable`` runs the handler once
without faults (the reference), then once per crash point or generated fault schedule, and
checks each run against the reference::

    from aws_durable_execution_sdk_python_testing.strategies import assert_durable

    def test_order_survives_crashes():
        assert_durable(handler, {"order_id": "o-1"})   # a crash at every checkpoint boundary

By default every single crash is tried: right before, and right after, each checkpoint call
of the reference run (deterministic, and fast: two runs per call). ``schedules=`` adds
Hypothesis-generated schedules of several faults (``fault_schedules``); a failure is shrunk
towards fewer and earlier faults, and Hypothesis prints the schedule.

The strategies draw the ``faults`` module's values, so they also serve a property test of
one's own: ``@given(fault_schedules(max_calls=10))``. They need ``hypothesis`` installed (the
testing package's ``test`` extra).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

import attrs
from hypothesis import HealthCheck, given
from hypothesis import settings as Settings
from hypothesis import strategies as st

from aws_durable_execution_sdk_python_testing._durable_check import (
    at_most_once_steps,
    differences,
)
from aws_durable_execution_sdk_python_testing._faults import describe
from aws_durable_execution_sdk_python_testing._result import DurableFunctionTestResult
from aws_durable_execution_sdk_python_testing._runner import DurableFunctionTestRunner
from aws_durable_execution_sdk_python_testing.callbacks import ActionSpec
from aws_durable_execution_sdk_python_testing.errors import (
    DurableFunctionsTestError,
    FaultNotFiredError,
    InvalidFaultError,
)
from aws_durable_execution_sdk_python_testing.faults import (
    CrashAfterCheckpoint,
    CrashBeforeCheckpoint,
    Fault,
    ServiceError,
    ServiceFault,
)

__all__ = [
    "DEFAULT_SETTINGS",
    "RETRYABLE_SERVICE_ERRORS",
    "DurabilityReport",
    "assert_durable",
    "crash_points",
    "fault_schedules",
    "service_faults",
]

Crash: TypeAlias = CrashAfterCheckpoint | CrashBeforeCheckpoint
Schedules: TypeAlias = (
    st.SearchStrategy[list[Fault]] | Callable[[int], st.SearchStrategy[list[Fault]]]
)
RunnerFactory: TypeAlias = Callable[[Any], DurableFunctionTestRunner]

# Faults after which a durable function must end as if nothing happened. A payload that is
# too large fails the execution (docs/decisions.md, "Which checkpoint errors are
# retryable"): drawing it would make every schedule a failure.
RETRYABLE_SERVICE_ERRORS: tuple[ServiceError, ...] = (
    ServiceError.THROTTLING,
    ServiceError.SERVER_ERROR,
    ServiceError.STALE_TOKEN,
)

# A bound on the probing of the reference run's checkpoint calls, so that a handler that
# never ends its calls (a bug of its own) fails instead of looping.
_MAX_CALLS = 10_000

DEFAULT_SETTINGS = Settings(
    max_examples=50,
    deadline=None,  # a run's cost is the handler's; the run's own timeout bounds it
    derandomize=True,  # the same schedules on every run of the suite: no flaky proofs
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


# -- strategies ----------------------------------------------------------------------------


def _check_count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidFaultError(f"{name}={value!r}: expected an int >= {minimum}")
    return value


def _check_errors(name: str, value: Any) -> tuple[ServiceError, ...]:
    errors = tuple(value) if isinstance(value, list | tuple) else None
    if errors is None or not all(isinstance(e, ServiceError) for e in errors):
        raise InvalidFaultError(
            f"{name}={value!r}: expected a list of ServiceError members, e.g. "
            "RETRYABLE_SERVICE_ERRORS"
        )
    return errors


def crash_points(max_calls: int) -> st.SearchStrategy[Crash]:
    """A crash right after, or right before, one of checkpoint calls ``1..max_calls``.

    Shrinks towards a crash after call 1.

    Raises:
        InvalidFaultError: ``max_calls`` is not an int >= 1.
    """
    calls = st.integers(1, _check_count("max_calls", max_calls, 1))
    return st.one_of(calls.map(CrashAfterCheckpoint), calls.map(CrashBeforeCheckpoint))


def service_faults(
    max_calls: int, errors: Sequence[ServiceError] = RETRYABLE_SERVICE_ERRORS
) -> st.SearchStrategy[ServiceFault]:
    """One failing checkpoint call among ``1..max_calls``, with one of ``errors``.

    Raises:
        InvalidFaultError: ``max_calls`` is not an int >= 1, or ``errors`` is empty or not
            ``ServiceError`` members.
    """
    calls = st.integers(1, _check_count("max_calls", max_calls, 1))
    chosen = _check_errors("errors", errors)
    if not chosen:
        raise InvalidFaultError(
            "errors=[]: name at least one ServiceError (for no service "
            "faults, draw crash_points instead)"
        )
    return st.builds(ServiceFault, error=st.sampled_from(chosen), call=calls)


def _call_of(fault: Fault) -> int:
    call: int = getattr(fault, "call")  # noqa: B009 - every drawn fault has one
    return call


def fault_schedules(
    max_calls: int,
    *,
    max_faults: int = 2,
    crashes: bool = True,
    service_errors: Sequence[ServiceError] = RETRYABLE_SERVICE_ERRORS,
) -> st.SearchStrategy[list[Fault]]:
    """Lists of 1..``max_faults`` faults, at most one per checkpoint call, ordered by call.

    Each fault is a crash (``crashes``) or a failing call (one of ``service_errors``) at one
    of calls ``1..max_calls``. Shrinks towards fewer faults and earlier calls. Keep
    ``max_faults`` below the runner's ``invocation_retries`` (4): each fault can cost the
    execution one failed invocation.

    Raises:
        InvalidFaultError: a bound is not an int >= 1, or neither crashes nor service
            errors are allowed.
    """
    _check_count("max_calls", max_calls, 1)
    _check_count("max_faults", max_faults, 1)
    errors = _check_errors("service_errors", service_errors)
    if not isinstance(crashes, bool):
        raise InvalidFaultError(f"crashes={crashes!r}: expected True or False")
    kinds: list[st.SearchStrategy[Any]] = []
    if crashes:
        kinds.append(crash_points(max_calls))
    if errors:
        kinds.append(service_faults(max_calls, errors))
    if not kinds:
        raise InvalidFaultError(
            "crashes=False and service_errors=[]: a schedule needs some fault to draw"
        )
    one: st.SearchStrategy[Fault] = st.one_of(kinds)
    return st.lists(one, min_size=1, max_size=max_faults, unique_by=_call_of).map(
        lambda faults: sorted(faults, key=_call_of)
    )


# -- assert_durable ------------------------------------------------------------------------


@attrs.frozen
class DurabilityReport:
    """What ``assert_durable`` proved: the reference run and the schedules it survived.

    Every one of ``checkpoint_calls`` was crashed before and after, so ``schedules_checked``
    is at least twice it, and one more when a crashed run made one checkpoint call more than
    the reference. Runs use an infinite START flush window, so that takes a
    ``runner_factory`` whose runner has a finite one (a step slower than the window sends
    its START on its own).
    """

    reference: DurableFunctionTestResult
    checkpoint_calls: int  # every call crash points were checked at, before and after
    schedules_checked: int
    at_most_once_steps: frozenset[str]  # operation ids, as the reference run showed them


@attrs.frozen
class _Check:
    """One handler, input and runner set-up, run under any fault schedule."""

    handler: Any
    input: Any
    make_runner: RunnerFactory
    callbacks: Mapping[str, ActionSpec] | None
    timeout: float

    def run(self, faults: Sequence[Fault]) -> tuple[DurableFunctionTestResult, bool]:
        """The run's result, and whether every fault fired."""
        with self.make_runner(self.handler) as runner:
            try:
                result = runner.run(
                    self.input, timeout=self.timeout, callbacks=self.callbacks, faults=faults
                )
            except FaultNotFiredError as error:
                unfired: DurableFunctionTestResult = error.result
                return unfired, False
            return result, True


def _schedule_text(faults: Sequence[Fault]) -> str:
    return "[" + ", ".join(describe(f) for f in faults) + "]"


def _fail(what: str, faults: Sequence[Fault], found: list[str], run: Any) -> AssertionError:
    lines = "\n".join(f"  - {line}" for line in found)
    return AssertionError(
        f"not durable under {what} {_schedule_text(faults)}:\n{lines}\n"
        f"timeline of that run:\n{run.format_timeline()}"
    )


def _default_runner(**options: Any) -> RunnerFactory:
    def make(handler: Any) -> DurableFunctionTestRunner:
        return DurableFunctionTestRunner(handler, **options)

    return make


def _crash_modes(value: Any) -> tuple[Callable[[int], Crash], ...] | None:
    if value is None:
        return None
    if value == "all":
        return (CrashBeforeCheckpoint, CrashAfterCheckpoint)
    if value == "after":
        return (CrashAfterCheckpoint,)
    if value == "before":
        return (CrashBeforeCheckpoint,)
    raise DurableFunctionsTestError(
        f"crash_points={value!r}: expected 'all' (before and after every checkpoint call), "
        "'after', 'before' or None (only the generated schedules)"
    )


def assert_durable(
    handler: Any,
    input: Any = None,
    *,
    crash_points: str | None = "all",
    schedules: Schedules | None = None,
    settings: Settings | None = None,
    callbacks: Mapping[str, ActionSpec] | None = None,
    runner_factory: RunnerFactory | None = None,
    timeout: float = 60,
    **runner_options: Any,
) -> DurabilityReport:
    """Run ``handler`` on ``input`` under faults and check it ends as it does without them.

    The reference run has no faults. Then, by default (``crash_points="all"``), one run per
    crash right before and one per crash right after each of the reference's checkpoint
    calls (``"after"`` or ``"before"`` for one kind, ``None`` for none). ``schedules``, a
    Hypothesis strategy of fault lists or a function of the reference's call count that
    returns one (``schedules=fault_schedules``), adds generated runs under ``settings``
    (default: 50 examples, derandomised).

    Each run must: end with the reference's status and result (or error); keep every
    operation that succeeded in the reference, succeeded with the same result; record each
    step's ``StepSucceeded`` once and never run a step body again after an invocation
    checkpointed its success; and run an ``AT_MOST_ONCE_PER_RETRY`` step at most once per
    attempt (no two ``StepStarted`` events for one attempt, no second run of its body).

    Every run gets a new runner: ``runner_factory(handler)`` if given (to register invoke
    targets), else ``DurableFunctionTestRunner(handler, **runner_options)``. ``callbacks``
    declares callback answers for every run, as ``run(callbacks=...)`` does; ``timeout``
    bounds each run in real seconds. The handler must be deterministic for a given input
    (seeded jitter is; the wall clock, ``uuid4`` or a global counter are not).

    Raises:
        AssertionError: a run differed, or got stuck or overran ``timeout``; the message
            names the crash point or schedule, what differed, and that run's timeline.
        DurableFunctionsTestError: a bad option, or the fault-free run itself could not
            end (``StuckExecutionError``: declare the callbacks it waits for).
    """
    modes = _crash_modes(crash_points)
    if schedules is not None and not (
        isinstance(schedules, st.SearchStrategy) or callable(schedules)
    ):
        raise DurableFunctionsTestError(
            f"schedules={schedules!r}: expected a Hypothesis strategy of fault lists or a "
            "function of the call count returning one, e.g. schedules=fault_schedules"
        )
    if runner_factory is not None and runner_options:
        raise DurableFunctionsTestError(
            f"runner_factory and runner options ({', '.join(sorted(runner_options))}) "
            "together: pass the options to the runner your factory builds"
        )
    # Which checkpoint calls a run makes must not depend on the machine's speed: a START
    # sent on its own during a slow step would add a crash point in one run and not the next,
    # and could make an at-least-once step look at-most-once (docs/decisions.md, "A long
    # step's START reaches the service while it runs").
    options = {"record_hooks": True, "start_flush_window": math.inf, **runner_options}
    check = _Check(handler, input, runner_factory or _default_runner(**options), callbacks, timeout)
    reference, _ = check.run(())
    at_most_once = at_most_once_steps(reference)
    checked = 0

    def verify(what: str, faults: Sequence[Fault]) -> bool:
        """Whether every fault fired; raises when the run differed."""
        nonlocal checked
        try:
            run, fired = check.run(faults)
        except (DurableFunctionsTestError, TimeoutError) as error:  # stuck, or out of time
            raise AssertionError(
                f"not durable under {what} {_schedule_text(faults)}: the run raised "
                f"{type(error).__name__}: {error}"
            ) from error
        found = differences(reference, run, at_most_once)
        if found:
            raise _fail(what, faults, found, run)
        checked += fired
        return fired

    calls = 0
    if modes is not None:
        for call in range(1, _MAX_CALLS + 1):
            if not all(verify("crash point", [mode(call)]) for mode in modes):
                break  # the reference made call - 1 checkpoint calls
            calls = call
    else:
        calls = _count_calls(check)
    if schedules is not None:
        strategy = (
            schedules if isinstance(schedules, st.SearchStrategy) else schedules(max(calls, 1))
        )

        @(settings or DEFAULT_SETTINGS)
        @given(strategy)
        def survives(faults: list[Fault]) -> None:
            verify("schedule", faults)

        survives()
    return DurabilityReport(reference, calls, checked, at_most_once)


def _count_calls(check: _Check) -> int:
    """The reference run's checkpoint calls: the last call a crash after it fires at."""

    def reaches(call: int) -> bool:
        return check.run([CrashAfterCheckpoint(call)])[1]

    high = 1
    while high <= _MAX_CALLS and reaches(high):
        high *= 2
    low = high // 2  # reached (or 0); high is not
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if reaches(middle) else (low, middle)
    return low
