"""Sessions: tests on every supported Python, lint, typecheck, the unasync check, bench, demo.

A session whose Python is not installed is skipped, not failed.
"""

from __future__ import annotations

import nox

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]

nox.options.sessions = ["tests", "floors", "lint", "typecheck", "unasync"]
nox.options.error_on_missing_interpreters = False
nox.options.reuse_existing_virtualenvs = True


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole test suite, warnings as errors."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHONS[0])
def floors(session: nox.Session) -> None:
    """The suite on the lowest Python and dependency versions allowed (.ci/floors.txt)."""
    session.install("-c", ".ci/floors.txt", "-e", ".[dev]")
    session.run("python", "-m", "pytest", *session.posargs)


# Lint, types and the generation check run on the Python that runs nox, whatever it is.
@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format) over the package, tests, benchmarks, examples and hooks."""
    session.install("ruff==0.17.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package."""
    session.install("-e", ".[dev]")
    session.run("mypy", "--strict", "leap0")


@nox.session
def unasync(session: nox.Session) -> None:
    """The generated sync files are exactly what setup_hooks.py writes."""
    # unasync exactly as pyproject.toml pins it: setup_hooks.py uses its private
    # Rule._unasync_tokens and Rule._unasync_name.
    session.install("unasync==0.6.0", "tokenize-rt>=5", "setuptools>=77", "ruff==0.17.6")
    session.run("python", "setup_hooks.py", "--check")


@nox.session(python=["3.11", "3.12"])
def bench(session: nox.Session) -> None:
    """Every benchmark, printing its figures and ratios against raw httpx."""
    session.install("-e", ".[dev]")
    session.run("python", "benchmarks/run_all.py", *session.posargs)


@nox.session(python="3.12")
def demo(session: nox.Session) -> None:
    """The quickstart against a local emulator, sync then async."""
    session.install("-e", ".[emulator]")
    session.run("python", "examples/quickstart.py")
    session.run("python", "examples/quickstart_async.py")
