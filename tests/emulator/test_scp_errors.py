"""What an scp client is told names paths as the sandbox sees them, never the emulator's host paths.

Run with OpenSSH's ``scp`` in both its modes: ``-O`` (the legacy scp protocol,
which the emulator serves through asyncssh's scp server) and ``-s`` (SFTP).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from leap0.emulator import Emulator

SCP = shutil.which("scp")


def _scp_modes() -> list[str]:
    """The mode flags (``-O``, ``-s``) the local scp lists in its usage line."""
    if SCP is None:
        return []
    usage = subprocess.run([SCP], capture_output=True, text=True, timeout=20).stderr
    flags = re.search(r"\[-([0-9A-Za-z]+)\]", usage)
    letters = flags.group(1) if flags else ""
    return [f"-{mode}" for mode in "Os" if mode in letters]


MODES = _scp_modes()


def _mode(flag: str) -> Any:
    return pytest.param(
        flag,
        marks=pytest.mark.skipif(flag not in MODES, reason=f"the local scp has no {flag} mode"),
    )


def _scp(
    emu: Emulator, access: dict[str, Any], tmp_path: Path, mode: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run OpenSSH ``scp`` in ``mode``, the password handed over by an askpass script."""
    assert SCP is not None
    askpass = tmp_path / "askpass.sh"
    askpass.write_text('#!/bin/sh\nprintf "%s\\n" "$LEAP0_TEST_SSH_PASSWORD"\n')
    askpass.chmod(askpass.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ)
    env.update(
        SSH_ASKPASS=str(askpass),
        SSH_ASKPASS_REQUIRE="force",
        DISPLAY=":0",
        LEAP0_TEST_SSH_PASSWORD=access["password"],
    )
    argv = [
        SCP, mode,
        "-F", "/dev/null",
        "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR",
        "-o", "PreferredAuthentications=password",
        "-o", "PubkeyAuthentication=no",
        "-o", "NumberOfPasswordPrompts=1",
        "-o", "ConnectTimeout=10",
        "-P", str(emu.ssh_port),
        *args,
    ]  # fmt: skip
    return subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30
    )


def _host_paths(emu: Emulator) -> set[str]:
    """Every spelling of the emulator's folder that a message could hold."""
    assert emu._root is not None
    return {emu._root, os.path.realpath(emu._root), os.path.basename(emu._root)}


@pytest.mark.parametrize("mode", [_mode("-O"), _mode("-s")])
def test_scp_errors_name_sandbox_paths_only(
    emu: Emulator, sandbox: dict[str, Any], access: dict[str, Any], tmp_path: Path, mode: str
) -> None:
    """Named as given (relative to the home), or as the session sees them (absolute).

    Isolated, the session's home is ``/home/user``: no message names a host
    path of the emulator. Not isolated, the home is a host directory and an
    absolute path in it is named as such (it is the session's own path).
    """
    assert emu._root is not None
    home = Path(emu._root) / sandbox["id"] / "home"
    (home / "plain.txt").write_text("a file, not a directory\n")
    (home / "locked").mkdir()
    (home / "locked").chmod(0o500)  # unwritable, unless the tests run as root
    isolated = getattr(emu.settings, "isolation_in_force", "none") == "namespaces"
    session_home = "/home/user" if isolated else str(home)
    source = tmp_path / "payload.txt"
    source.write_text("payload\n")
    remote = f"{access['id']}@{emu.ssh_host}:"
    local = str(tmp_path / "copy")
    cases = [
        # (arguments, a sandbox path the message should name)
        ([remote + "missing.txt", local], "missing.txt"),
        ([remote + "/no/such/dir/missing.txt", local], "missing.txt"),
        ([remote + session_home + "/gone/missing.txt", local], "missing.txt"),
        ([str(source), remote + "no-such-dir/payload.txt"], "payload.txt"),
        ([str(source), remote + "plain.txt/payload.txt"], "payload.txt"),
        ([str(source), remote + session_home + "/plain.txt/payload.txt"], "payload.txt"),
        ([str(source), remote + "locked/payload.txt"], "payload.txt"),
    ]
    try:
        for args, named in cases:
            result = _scp(emu, access, tmp_path, mode, *args)
            if args[-1].startswith(remote + "locked") and os.geteuid() == 0:
                assert result.returncode == 0, result.stderr  # root writes anyway
                continue
            assert result.returncode != 0, (args, result.stderr)
            assert named in result.stderr, (args, result.stderr)
            if not isolated and session_home in " ".join(args):
                continue  # the session's own path, which is the host's
            for host_path in _host_paths(emu):
                assert host_path not in result.stderr, (mode, args, result.stderr)
            assert sandbox["id"] not in result.stderr, (mode, args, result.stderr)
    finally:
        (home / "locked").chmod(0o700)
