"""Developer sessions: ``nox -s tests lint typecheck bench``."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
PACKAGES = ("-e", "packages/sdk", "-e", "packages/testing[test,dev]")


@nox.session
def tests(session: nox.Session) -> None:
    session.install(*PACKAGES)
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install(*PACKAGES)
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    session.install(*PACKAGES)
    session.run("python", "benchmarks/bench_core.py", *session.posargs)
