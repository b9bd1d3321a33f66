"""What a session started ends with its sandbox, its credential, or the emulator (Linux)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import httpx
import pytest

from leap0.emulator import Emulator, serve

from ._helpers import create_access, create_sandbox, make_client, ssh_login

pytestmark = pytest.mark.skipif(
    not os.path.isdir("/proc/self") or sys.platform != "linux",
    reason="processes that leave their group are found through /proc (Linux)",
)

TIMEOUT = 10.0
# How long a test waits for a process to go: far longer than a kill takes.
GONE_BOUND = 20.0

# Starts a process in a new session (so outside the session's process group)
# that writes its pid to FILE and sleeps; the command itself returns at once.
ESCAPE = "setsid sh -c 'echo $$ > {file}; exec sleep 1000' </dev/null >/dev/null 2>&1 &"


async def connect(host: str, port: int, access: dict[str, Any]) -> asyncssh.SSHClientConnection:
    return await ssh_login(host, port, access, TIMEOUT)


async def start_escapee(
    host: str, port: int, access: dict[str, Any], file: str = "pid", command: str = ESCAPE
) -> tuple[int, str]:
    """Run ``command`` in a session; return the pid it wrote and the session's cwd."""
    async with await connect(host, port, access) as conn:
        script = command.format(file=file) + f"\nwhile [ ! -s {file} ]; do :; done; cat {file}; pwd"
        result = await asyncio.wait_for(conn.run(script), TIMEOUT)
    assert result.exit_status == 0, result.stderr
    pid, cwd = str(result.stdout).split()
    return int(pid), cwd


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in (b"Z", b"X")


def wait_gone(pid: int) -> None:
    """Wait (at most GONE_BOUND seconds) until ``pid`` has exited; fail if it has not."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        # A pidfd becomes readable when its process exits.
        ready, _, _ = select.select([fd], [], [], GONE_BOUND)
    finally:
        os.close(fd)
    assert ready or not alive(pid), f"process {pid} is still running"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """Unisolated: these tests follow host pids, and check the sweep by mark and directory.

    With isolation the same endings are checked by ``test_isolation.py``.
    """
    with serve(isolation="off") as emulator:
        yield emulator


@pytest.fixture
def reap() -> Any:
    """Pids to kill at the end of the test whatever happens."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


async def test_deleting_the_sandbox_kills_what_left_the_process_group(
    emu: Emulator, api: httpx.Client, reap: list[int]
) -> None:
    sandbox = create_sandbox(api)
    access = create_access(api, sandbox["id"])
    pid, _ = await start_escapee(emu.ssh_host, emu.ssh_port, access)
    reap.append(pid)
    assert alive(pid)
    assert os.getsid(pid) != os.getsid(0)
    assert api.delete(f"/v1/sandbox/{sandbox['id']}").status_code == 204
    wait_gone(pid)


async def test_the_sandbox_timeout_kills_what_left_the_process_group(
    emu: Emulator, api: httpx.Client, reap: list[int]
) -> None:
    sandbox = create_sandbox(api, timeout=60)
    access = create_access(api, sandbox["id"])
    pid, cwd = await start_escapee(emu.ssh_host, emu.ssh_port, access)
    reap.append(pid)
    assert alive(pid)
    emu.advance(61)
    # Killed before advance() returned; the stopped sandbox keeps its directory.
    wait_gone(pid)
    assert os.path.isdir(cwd)


async def test_a_process_without_the_marker_but_working_in_the_sandbox_is_killed(
    emu: Emulator, api: httpx.Client, reap: list[int]
) -> None:
    sandbox = create_sandbox(api)
    access = create_access(api, sandbox["id"])
    command = (
        "setsid env -i /bin/sh -c 'echo $$ > {file}; exec sleep 1000' </dev/null >/dev/null 2>&1 &"
    )
    pid, cwd = await start_escapee(emu.ssh_host, emu.ssh_port, access, command=command)
    reap.append(pid)
    environ = Path(f"/proc/{pid}/environ").read_bytes()
    assert b"LEAP0" not in environ
    assert os.readlink(f"/proc/{pid}/cwd") == cwd
    emu.reset()
    wait_gone(pid)


async def test_deleting_a_credential_kills_only_what_its_sessions_started(
    emu: Emulator, api: httpx.Client, reap: list[int]
) -> None:
    emu.configure(ssh_api="per-credential")
    sandbox = create_sandbox(api)
    first = create_access(api, sandbox["id"])
    second = create_access(api, sandbox["id"])
    # Elsewhere than the sandbox's directory, so only the marker tells them apart (the
    # escapee moves: a backgrounded "cd / && ..." list would keep bash, and the session, on).
    command = ESCAPE.replace("sh -c '", "sh -c 'cd / && ").replace("{file}", "$HOME/{file}")
    pid_one, _ = await start_escapee(emu.ssh_host, emu.ssh_port, first, "one", command)
    pid_two, _ = await start_escapee(emu.ssh_host, emu.ssh_port, second, "two", command)
    reap.extend([pid_one, pid_two])
    assert api.delete(f"/v1/sandbox/{sandbox['id']}/ssh/{first['id']}").status_code == 204
    wait_gone(pid_one)
    assert alive(pid_two)
    assert api.delete(f"/v1/sandbox/{sandbox['id']}").status_code == 204
    wait_gone(pid_two)


async def test_the_marker_cannot_be_overridden_by_env_vars(
    emu: Emulator, api: httpx.Client
) -> None:
    sandbox = create_sandbox(api, env_vars={"LEAP0_EMULATOR_SESSION": "mine"})
    access = create_access(api, sandbox["id"])
    async with await connect(emu.ssh_host, emu.ssh_port, access) as conn:
        result = await asyncio.wait_for(conn.run('echo "$LEAP0_EMULATOR_SESSION"'), TIMEOUT)
    marker = str(result.stdout).strip()
    assert marker.endswith(f"/{sandbox['id']}/{access['id']}")
    assert marker != "mine"


async def test_stopping_the_emulator_kills_what_sessions_started(reap: list[int]) -> None:
    async with serve(isolation="off") as emu:
        with make_client(emu) as api:
            access = create_access(api, create_sandbox(api)["id"])
        pid, cwd = await start_escapee(emu.ssh_host, emu.ssh_port, access)
        reap.append(pid)
        assert alive(pid)
    wait_gone(pid)
    assert not os.path.exists(cwd)


def test_sighup_stops_the_cli_like_sigterm(reap: list[int]) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-W",
            "error",
            "-m",
            "leap0.emulator",
            "--api-key",
            "hup-key",
            "--isolation",
            "off",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().decode().strip().split("=", 1)[1]
        with httpx.Client(
            base_url=base_url, headers={"leap0-authorization": "hup-key"}, trust_env=False
        ) as api:
            access = create_access(api, create_sandbox(api)["id"])
        host, port = access["ssh_command"].split("@")[1], int(access["ssh_command"].split()[2])
        pid, cwd = asyncio.run(start_escapee(host, port, access))
        reap.append(pid)
        proc.send_signal(signal.SIGHUP)
        _, stderr = proc.communicate(timeout=GONE_BOUND)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, stderr
    assert b"Traceback" not in stderr
    wait_gone(pid)
    assert not os.path.exists(cwd)
    assert not os.path.exists(os.path.dirname(cwd))
