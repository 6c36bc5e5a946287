"""The examples' workflow tests, unchanged, in cloud mode against a local server.

A pytest subprocess runs ``examples/*/test_workflow.py`` with ``--runner-mode=cloud``: each
``durable_runner`` is a ``DurableFunctionCloudTestRunner`` that reaches its function only
through boto3 and the Lambda API, and ``cloud_examples_server`` deploys every example
handler on one ``DurableLocalServer`` (the stand-in for AWS in CI). Every test passes or
is skipped with a reason saying what cloud mode cannot do, and every deployed function
really ran executions there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(ROOT.glob("examples/*/test_workflow.py"))


def function_name_map() -> str:
    """Each marker's ``lambda_function_name`` deployed under another name, so that the
    test also shows the map is what picks the function."""
    names = set()
    for path in EXAMPLES:
        names.update(re.findall(r'lambda_function_name="([\w-]+)"', path.read_text()))
    return ",".join(f"{name}={name.replace('_', '-')}-deployed" for name in sorted(names))


@pytest.fixture(scope="module")
def cloud_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("cloud-examples")
    junit, report = out / "junit.xml", out / "executions.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT / "tests"), os.environ.get("PYTHONPATH")])
        ),
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "CLOUD_EXAMPLES_REPORT": str(report),
    }
    env.pop("AWS_ENDPOINT_URL_LAMBDA", None)
    env.pop("DURABLE_FUNCTION_NAME_MAP", None)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "cloud_examples_server",
            "--runner-mode=cloud",
            f"--function-name-map={function_name_map()}",
            "--lambda-region=us-east-1",
            f"--junitxml={junit}",
            *(str(path.relative_to(ROOT)) for path in EXAMPLES),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    cases = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        outcome, reason = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome, reason = child.tag, child.get("message", "")
                if child.tag != "skipped":
                    reason += "\n" + (child.text or "")
        cases[f"{case.get('classname')}::{case.get('name')}"] = (outcome, reason)
    return {
        "returncode": completed.returncode,
        "output": completed.stdout + completed.stderr,
        "cases": cases,
        "executions": json.loads(report.read_text()),
    }


def test_every_example_test_passes_or_is_skipped_in_cloud_mode(cloud_run):
    broken = {
        case: outcome
        for case, outcome in cloud_run["cases"].items()
        if outcome[0] in ("failure", "error")
    }
    assert not broken, cloud_run["output"][-5000:]
    assert cloud_run["returncode"] == 0, cloud_run["output"][-5000:]


def test_each_skip_says_what_cloud_mode_cannot_do(cloud_run):
    skipped = {k: r for k, (o, r) in cloud_run["cases"].items() if o == "skipped"}
    assert all(reason.startswith("cloud mode: ") for reason in skipped.values()), skipped
    reasons = "\n".join(skipped.values())
    # What the examples use that only the local runner has: answers hours away on the
    # virtual clock, chained-invoke targets registered in the test, two handlers under one
    # function name.
    assert "a declared delay is real time" in reasons
    assert "register_durable_function('payment-service', ...)" in reasons
    assert "one name deploys one function" in reasons


def test_most_example_tests_really_run_in_cloud_mode(cloud_run):
    outcomes = [o for o, _ in cloud_run["cases"].values()]
    assert outcomes.count("passed") >= 2 * outcomes.count("skipped")
    # Every deployed function ran executions on the server, through the Lambda API.
    assert cloud_run["executions"], cloud_run["output"][-5000:]
    idle = [name for name, count in cloud_run["executions"].items() if count == 0]
    assert not idle, cloud_run["executions"]
