"""Sessions: tests on every supported Python, lint, typecheck, the unasync check, bench, demo,
contract (schemathesis against the emulator).

A session whose Python is not installed is skipped, not failed.
"""

from __future__ import annotations

import json

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


# -- contract: schemathesis against a running emulator --------------------------------------

#: What schemathesis reports that is the description's own quirk or the emulator's
#: documented choice, per operation (docs/emulator.md, "Answers and the OpenAPI
#: description"). Every other failure fails the session.
CONTRACT_ACCEPTED = {
    # The 400's schema is oneOf ValidationErrorResponse and ErrorResponse, which no body
    # with field errors satisfies; query parameters the list does not take (or a page
    # beyond 2**31 - 1, where the description has no maximum) are 400.
    "GET /v1/sandboxes": ["ST108", "ST202"],
    # Unknown fields, templates the emulator does not know, 6034.0 for an integer.
    "POST /v1/sandbox/": ["ST202"],
    "POST /v1/sandbox/{sandboxID}/ssh/{sshID}/validate": ["ST202"],
    # DELETE .../ssh/access is the seed's route, and the path also reads as
    # /ssh/{sshID}, which has DELETE.
    "OPTIONS /v1/sandbox/{sandboxID}/ssh/access": ["ST205"],
    # 409: a second credential, a sandbox not running (listed in docs/emulator.md).
    "POST /v1/sandbox/{sandboxID}/ssh/access": ["ST103"],
    "POST /v1/sandbox/{sandboxID}/ssh/{sshID}/regen": ["ST103"],
}
#: Operations the emulator does not emulate answer 501: a 5xx the description omits.
CONTRACT_NOT_EMULATED = ["ST101", "ST103"]

_CONTRACT_RUN = r"""
import json, subprocess, sys, tempfile
from pathlib import Path

import httpx

from leap0.emulator import serve
from leap0.emulator._api import EMULATED
from leap0.emulator._catalogue import OPERATIONS
from leap0.emulator._settings import TEMPLATES

accepted, not_emulated = json.loads(sys.argv[1]), json.loads(sys.argv[2])
extra = sys.argv[3:]
spec = str(Path("tests/emulator/leap0-openapi.yaml").resolve())
skipped = {f"{m} {t}" for m, t, op in OPERATIONS if op not in EMULATED}
with tempfile.TemporaryDirectory() as work, serve(
    max_sandboxes=10_000, templates=[*TEMPLATES, "my-template"]
) as emu:
    with httpx.Client(base_url=emu.base_url, headers={"leap0-authorization": emu.api_key}) as api:
        sandbox = api.post("/v1/sandbox/", json={"template_name": TEMPLATES[0]}).json()["id"]
    config = Path(work, "schemathesis.toml")
    config.write_text(f'[parameters]\n"path.sandboxID" = "{sandbox}"\n', "utf-8")
    report = Path(work, "report.json")
    command = [
        "st", "--config-file", str(config), "run", spec, "--url", emu.base_url,
        "--header", f"Authorization: Bearer {emu.api_key}", "--checks", "all",
        "--include-tag", "Sandbox", "--include-tag", "SSH", "--workers", "1",
        "--report", "json", "--report-json-path", str(report), *extra,
    ]
    subprocess.run(command, cwd=work, check=False)
    failures = json.loads(report.read_text("utf-8"))["failures"]
unexpected = []
for failure in failures:
    for operation in failure["operations"]:
        allowed = not_emulated if operation in skipped else accepted.get(operation, [])
        if failure["code"] not in allowed:
            unexpected.append(f"{failure['code']} {failure['title']}: {operation}")
if unexpected:
    sys.exit("failures beyond the documented ones:\n  " + "\n  ".join(unexpected))
print("schemathesis: only the documented failures (see docs/emulator.md)")
"""


# On the Python that runs nox, as lint and typecheck.
@nox.session
def contract(session: nox.Session) -> None:
    """schemathesis (-c all) over the sandbox and SSH operations, against a started emulator.

    Extra arguments go to ``st run`` (e.g. ``-- --max-examples 50 --seed 1``).
    """
    session.install("-e", ".[emulator]", "schemathesis")
    session.run(
        "python",
        "-c",
        _CONTRACT_RUN,
        json.dumps(CONTRACT_ACCEPTED),
        json.dumps(CONTRACT_NOT_EMULATED),
        *session.posargs,
    )
