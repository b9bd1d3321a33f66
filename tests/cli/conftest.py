"""Fixtures of the command line's tests: the emulator, ``cli(...)``, a sandbox, a stand-in ssh."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from typing import Any

import pytest

import leap0
from leap0._cli import main
from leap0.emulator import Emulator
from leap0.models import SshAccess

from ._helpers import FakePopen, Result, Run


@pytest.fixture(autouse=True)
def own_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> str:
    """``XDG_CONFIG_HOME`` of the test's own: never the user's profile file (``auth``).

    ``LEAP0_PROFILE`` and ``LEAP0_LOG`` are unset, so the default profile is
    used and the SDK logs nothing unless a test asks.
    """
    config = str(tmp_path_factory.mktemp("config"))
    monkeypatch.setenv("XDG_CONFIG_HOME", config)
    monkeypatch.delenv("LEAP0_PROFILE", raising=False)
    monkeypatch.delenv("LEAP0_LOG", raising=False)
    return config


@pytest.fixture
def emu(leap0_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The emulator, with ``LEAP0_API_KEY`` and ``LEAP0_BASE_URL`` pointing at it.

    ``LEAP0_SSH_API`` is unset, so the SSH routes are the default unless a test sets them.
    """
    monkeypatch.setenv("LEAP0_API_KEY", leap0_emulator.api_key)
    monkeypatch.setenv("LEAP0_BASE_URL", leap0_emulator.base_url)
    monkeypatch.delenv("LEAP0_SSH_API", raising=False)
    return leap0_emulator


@pytest.fixture
def cli(emu: Emulator, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``cli("sandbox", "list", stdin=...)``: run ``main`` and collect its exit status and output.

    Output is captured at the file descriptors, so what ``ssh`` prints is included.
    """

    def run(*argv: str, stdin: str | None = None) -> Result:
        capfd.readouterr()
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(argv))
        captured = capfd.readouterr()
        assert "Traceback" not in captured.err
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def sandbox_id(cli: Run) -> str:
    result = cli("--json", "sandbox", "create")
    assert result.code == 0, result.err
    ident: str = result.json()["id"]
    return ident


@pytest.fixture
def access(cli: Run, sandbox_id: str) -> dict[str, str]:
    """A credential of ``sandbox_id``, as ``leap0 --json ssh create`` printed it."""
    result = cli("--json", "ssh", "create", sandbox_id)
    assert result.code == 0, result.err
    data: dict[str, str] = result.json()
    return data


@pytest.fixture
def issued(monkeypatch: pytest.MonkeyPatch) -> list[SshAccess]:
    """Every credential the SDK's ``create_access`` and ``regenerate_access`` return, in order.

    The real methods run; their answers are only recorded, so a test can tell
    which credential ``ssh connect`` used when real ``ssh`` is given it.
    """
    seen: list[SshAccess] = []
    real_create = leap0.SshClient.create_access
    real_regen = leap0.SshClient.regenerate_access

    def create(self: leap0.SshClient, *args: Any, **kwargs: Any) -> SshAccess:
        got = real_create(self, *args, **kwargs)
        seen.append(got)
        return got

    def regen(self: leap0.SshClient, *args: Any, **kwargs: Any) -> SshAccess:
        got = real_regen(self, *args, **kwargs)
        seen.append(got)
        return got

    monkeypatch.setattr(leap0.SshClient, "create_access", create)
    monkeypatch.setattr(leap0.SshClient, "regenerate_access", regen)
    return seen


@pytest.fixture
def fake_ssh(monkeypatch: pytest.MonkeyPatch) -> type[FakePopen]:
    FakePopen.calls = []
    FakePopen.returncode_to_give = 0
    FakePopen.during = None
    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/ssh")
    return FakePopen
