"""OpenSSH's tools (ssh, scp, sftp, rsync) logging in to an emulator, and emulators per isolation.

The password is handed over by an askpass script, never on a command line.
:data:`MODES` are the emulators a login test runs against: the default
one (isolated where the machine allows it) and, where the emulator has the
``isolation`` setting, one with ``isolation="off"``.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import shlex
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leap0.emulator import Emulator
from leap0.emulator._settings import Settings

SSH = shutil.which("ssh")
SCP = shutil.which("scp")
SFTP = shutil.which("sftp")
RSYNC = shutil.which("rsync")

_OPTIONS = [
    "-F", "/dev/null",
    "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "LogLevel=ERROR",
    "-o", "PreferredAuthentications=password",
    "-o", "PubkeyAuthentication=no",
    "-o", "NumberOfPasswordPrompts=1",
    "-o", "ConnectTimeout=10",
]  # fmt: skip


def needs(*tools: str) -> pytest.MarkDecorator:
    """Skip unless each of ``tools`` (``ssh``, ``scp``, ``sftp``, ``rsync``) is installed."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    return pytest.mark.skipif(bool(missing), reason=f"not installed: {', '.join(missing)}")


def has_isolation_setting() -> bool:
    fields = {field.name for field in dataclasses.fields(Settings)}
    return "isolation" in fields and "isolation" in inspect.signature(Emulator).parameters


MODES = [
    pytest.param("default", id="default"),
    pytest.param(
        "off",
        id="isolation-off",
        marks=pytest.mark.skipif(
            not has_isolation_setting(), reason="the emulator has no isolation setting"
        ),
    ),
]


def start_emulator(mode: str, **settings: Any) -> Emulator:
    if mode == "off":
        settings["isolation"] = "off"
    return Emulator(**settings).start()


def running(mode: str, **settings: Any) -> Iterator[Emulator]:
    """An emulator of ``mode`` ("default", "off") for a fixture of :data:`MODES`: stopped after."""
    emu = start_emulator(mode, **settings)
    try:
        yield emu
    finally:
        emu.stop()


def isolated(emu: Emulator) -> bool:
    """Whether the emulator's sessions run in namespaces (``/home/user``, read-only ``/``)."""
    return getattr(emu.settings, "isolation_in_force", "none") == "namespaces"


def host_root(emu: Emulator) -> str:
    assert emu._root is not None
    return emu._root


def host_home(emu: Emulator, sandbox_id: str) -> Path:
    """The sandbox's home on the host (``D/home``)."""
    return Path(host_root(emu)) / sandbox_id / "home"


class OpenSsh:
    """OpenSSH's tools logged in with one issued credential."""

    def __init__(self, emu: Emulator, access: dict[str, Any], tmp_path: Path) -> None:
        askpass = tmp_path / "askpass.sh"
        askpass.write_text('#!/bin/sh\nprintf "%s\\n" "$LEAP0_TEST_SSH_PASSWORD"\n')
        askpass.chmod(askpass.stat().st_mode | stat.S_IXUSR)
        self.env = dict(os.environ)
        self.env.update(
            SSH_ASKPASS=str(askpass),
            SSH_ASKPASS_REQUIRE="force",
            DISPLAY=":0",
            LEAP0_TEST_SSH_PASSWORD=access["password"],
        )
        self.port = str(emu.ssh_port)
        self.login = f"{access['id']}@{emu.ssh_host}"

    def remote(self, path: str) -> str:
        """``path`` on the sandbox, as scp and rsync name it."""
        return f"{self.login}:{path}"

    def _run(
        self, argv: list[str], input: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv,
            env=self.env,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def ssh_argv(self, *options: str) -> list[str]:
        """``ssh`` with ``options`` (first: an ``-o`` of theirs wins over the defaults here)."""
        assert SSH is not None
        return [SSH, *options, *_OPTIONS, "-p", self.port]

    def ssh(self, command: str, *options: str) -> subprocess.CompletedProcess[str]:
        return self._run([*self.ssh_argv(*options), self.login, command])

    def shell(self, command: str) -> str:
        """``command``'s output; it must succeed."""
        result = self.ssh(command)
        assert result.returncode == 0, (command, result.stderr)
        return result.stdout

    def scp(self, mode: str, *args: str) -> subprocess.CompletedProcess[str]:
        assert SCP is not None
        return self._run([SCP, mode, *_OPTIONS, "-P", self.port, *args])

    def sftp(self, batch: str) -> subprocess.CompletedProcess[str]:
        """Run the ``batch`` commands (one a line) in OpenSSH's sftp; it stops at a failure."""
        assert SFTP is not None
        # BatchMode=no first: sftp's -b turns it on, which would refuse askpass.
        argv = [SFTP, "-o", "BatchMode=no", *_OPTIONS, "-P", self.port, "-b", "-", self.login]
        return self._run(argv, input=batch)

    def rsync(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert RSYNC is not None
        return self._run([RSYNC, "-e", shlex.join(self.ssh_argv()), *args])
