"""The quickstarts run as a user runs them: a fresh interpreter, output checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from leap0.emulator import Emulator

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(script: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    return result.stdout


def _env_without_key() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("LEAP0_API_KEY", "LEAP0_BASE_URL")}


def test_quickstart_starts_its_own_emulator_and_walks_every_step() -> None:
    out = _run("quickstart.py", _env_without_key())
    assert "started a local emulator" in out
    for step in (
        "== Create a sandbox",
        "== Create SSH access",
        "== Log in over SSH with the issued credentials and run a command",
        "== Validate the credential",
        "== Regenerate: a new password, the old one stops working",
        "== Delete SSH access",
        "== Delete the sandbox",
    ):
        assert step in out
    assert "hello from " in out  # the output of the command run over SSH
    assert "valid: True" in out
    assert "old password valid: False" in out
    assert "old password refused by the SSH server" in out
    assert "the new password works" in out
    assert "revoked credential valid: False" in out
    assert out.rstrip().endswith("Done.")


@pytest.mark.parametrize("script", ["quickstart.py", "quickstart_async.py"])
def test_quickstart_uses_the_service_named_in_the_environment(
    leap0_emulator: Emulator, script: str
) -> None:
    env = _env_without_key()
    env.update(leap0_emulator.env())
    out = _run(script, env)
    assert "started a local emulator" not in out
    assert "Done." in out
    assert leap0_emulator.attempts("POST", "/v1/sandbox/") == 1


def test_async_quickstart_on_its_own_emulator() -> None:
    out = _run("quickstart_async.py", _env_without_key())
    assert "ran a command over SSH: hello over SSH from " in out
    assert "old password valid=False, SSH login refused=True" in out
