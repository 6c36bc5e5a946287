"""The ``context.map`` scenarios, their handler and the sequential reference model they obey.

A scenario is an item count (0..12), the set of items that raise, a ``CompletionConfig``
(all None, a preset, or random criteria), ``max_concurrency`` (None or 1..4) and, for the
replay properties, a wait of k seconds at the start of some items. Each item does one step
(whose body counts its runs per index) and then returns a value or raises ``ItemFailure``.

The reference model is sequential semantics: items start in index order, one at a time;
before starting the next one it asks whether the batch is complete (all done,
``min_successful`` reached, or failure tolerance exceeded; fail-fast when there are no
criteria), and the completion reason follows sdk-api.md section 14.2.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    StepContext,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import CompletionConfig, MapConfig

MAX_ITEMS = 12
PRESETS = {
    "first_successful": CompletionConfig.first_successful,
    "all_completed": CompletionConfig.all_completed,
    "all_successful": CompletionConfig.all_successful,
}
PERCENTAGES = [0, 10, 25, 100 / 3, 50, 99.9, 100]


class ItemFailure(Exception):
    """What a malformed item raises (after its step, so the step is never retried)."""


FAILURE_TYPE = f"{ItemFailure.__module__}.{ItemFailure.__qualname__}"

# -- the handler -----------------------------------------------------------------------------

_runs_lock = threading.Lock()
STEP_RUNS: Counter[int] = Counter()  # index -> how often the item's step body ran


def item_input(index: int) -> str:
    return f"record-{index}"


def item_value(index: int) -> dict[str, Any]:
    return {"record": item_input(index), "double": index * 2}


def failure_message(index: int) -> str:
    return f"item {index} is malformed"


@durable_step
def work(step_context: StepContext, index: int) -> dict[str, Any]:
    with _runs_lock:
        STEP_RUNS[index] += 1
    return item_value(index)


def build_completion(spec: Any) -> CompletionConfig:
    if isinstance(spec, str):
        return PRESETS[spec]()
    return CompletionConfig(**spec)


@durable_execution
def map_handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    count = event["n"]
    fails = set(event["fails"])
    waits = event["waits"]

    def item(child: DurableContext, record: str, index: int, records: Any) -> dict[str, Any]:
        assert records[index] == record
        if waits[index]:
            child.wait(Duration.from_seconds(waits[index]), name="pause")
        value = child.step(work(index), name="work")
        if index in fails:
            raise ItemFailure(failure_message(index))
        return value

    config = None
    if event["completion"] is not None or event["mc"] is not None:
        completion = build_completion(event["completion"] or {})
        config = MapConfig(max_concurrency=event["mc"], completion_config=completion)
    batch = context.map([item_input(i) for i in range(count)], item, name="batch", config=config)
    if event["wait_after"]:
        # Suspend once more: the final invocation then gets the BatchResult back from the
        # map's checkpoint instead of from running it.
        context.wait(Duration.from_seconds(1), name="after")
    return batch.to_dict()


# -- scenarios ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    n: int
    fails: frozenset[int]
    completion: Any  # None (config omitted), a preset name, or CompletionConfig kwargs
    mc: int | None
    waits: tuple[int, ...] = field(default=())
    wait_after: bool = False

    def event(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "fails": sorted(self.fails),
            "completion": self.completion,
            "mc": self.mc,
            "waits": list(self.waits) or [0] * self.n,
            "wait_after": self.wait_after,
        }

    def criteria(self) -> tuple[int | None, int | None, float | None]:
        """(min_successful, tolerated_failure_count, tolerated_failure_percentage)."""
        spec = self.completion
        if spec is None:
            return None, None, None
        if isinstance(spec, str):
            return {
                "first_successful": (1, None, None),
                "all_completed": (None, None, 100.0),
                "all_successful": (None, 0, 0.0),
            }[spec]
        return (
            spec.get("min_successful"),
            spec.get("tolerated_failure_count"),
            spec.get("tolerated_failure_percentage"),
        )


@st.composite
def completions(draw: st.DrawFn, n: int) -> Any:
    kinds = ["omitted", "all_none", "all_completed", "all_successful", "custom", "custom"]
    if n >= 1:
        kinds.append("first_successful")
    kind = draw(st.sampled_from(kinds))
    if kind == "omitted":
        return None
    if kind == "all_none":
        return {}
    if kind in PRESETS:
        return kind
    spec: dict[str, Any] = {}
    if n >= 1 and draw(st.booleans()):
        spec["min_successful"] = draw(st.integers(1, n))
    if draw(st.booleans()):
        spec["tolerated_failure_count"] = draw(st.integers(0, n + 1))
    if draw(st.booleans()):
        spec["tolerated_failure_percentage"] = draw(
            st.sampled_from(PERCENTAGES) | st.floats(0, 100, allow_nan=False)
        )
    return spec


@st.composite
def scenarios(draw: st.DrawFn, concurrency: Any, with_waits: bool = False) -> Scenario:
    n = draw(st.integers(0, MAX_ITEMS))
    # A failure density first, so that scenarios with no, few and mostly failing items are
    # all common (a uniform set makes most items fail half the time).
    density = draw(st.sampled_from([0, 1, 3, 6, 10]))
    fails = frozenset(i for i in range(n) if draw(st.integers(0, 9)) < density)
    completion = draw(completions(n))
    mc = draw(concurrency)
    waits: tuple[int, ...] = ()
    wait_after = False
    if with_waits:
        waits = tuple(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
        wait_after = draw(st.booleans())
    return Scenario(n, fails, completion, mc, waits, wait_after)


# -- the reference model (sdk-api.md section 14.2), written independently of the engine --------


@dataclass(frozen=True)
class Policy:
    total: int
    min_successful: int | None
    tolerated_count: int | None
    tolerated_percentage: float | None

    @classmethod
    def of(cls, scenario: Scenario) -> Policy:
        return cls(scenario.n, *scenario.criteria())

    @property
    def has_criteria(self) -> bool:
        return (self.min_successful, self.tolerated_count, self.tolerated_percentage) != (
            None,
            None,
            None,
        )

    def exceeded(self, failures: int) -> bool:
        if not self.has_criteria:
            return failures > 0
        if self.tolerated_count is not None and failures > self.tolerated_count:
            return True
        pct = self.tolerated_percentage
        return pct is not None and self.total > 0 and failures * 100 / self.total > pct

    def complete(self, successes: int, failures: int) -> bool:
        if successes + failures >= self.total or self.exceeded(failures):
            return True
        return self.min_successful is not None and successes >= self.min_successful

    def reason(self, successes: int, failures: int) -> str:
        if self.exceeded(failures):
            return "FAILURE_TOLERANCE_EXCEEDED"
        if successes + failures >= self.total:
            return "ALL_COMPLETED"
        if self.min_successful is not None and successes >= self.min_successful:
            return "MIN_SUCCESSFUL_REACHED"
        return "ALL_COMPLETED"


def expected_item(index: int, fails: frozenset[int]) -> dict[str, Any]:
    if index in fails:
        error = {"ErrorMessage": failure_message(index), "ErrorType": FAILURE_TYPE}
        return {"index": index, "status": "FAILED", "result": None, "error": error}
    return {"index": index, "status": "SUCCEEDED", "result": item_value(index), "error": None}


def reference_model(scenario: Scenario) -> dict[str, Any]:
    """The BatchResult (dict form) of running the items one at a time in index order."""
    policy = Policy.of(scenario)
    items = []
    not_started = []
    successes = failures = 0
    for index in range(scenario.n):
        if policy.complete(successes, failures):
            not_started.append(index)  # never started: listed apart, not in "all"
            continue
        items.append(expected_item(index, scenario.fails))
        if index in scenario.fails:
            failures += 1
        else:
            successes += 1
    result: dict[str, Any] = {"all": items, "completionReason": policy.reason(successes, failures)}
    if not_started:
        result["notStartedIndexes"] = not_started
    return result
