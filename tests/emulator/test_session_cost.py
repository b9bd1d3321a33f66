"""What a held SSH session costs the emulator: two descriptors besides its socket, no thread.

So 300 sessions fit under ``ulimit -n 1024`` (soft and hard), which failed
with "Too many open files" when each held four descriptors and a thread.
Counted in an emulator process of its own (Linux ``/proc``); nothing here is timed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from ._helpers import ssh_login
from ._process import emulator_process

resource = pytest.importorskip("resource")
pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts in /proc")

HOLD = "echo ready; read line; echo ok"
#: Logins under way at once (the rest wait their turn; every session is held at once).
LOGINS_AT_ONCE = 50
#: The bound of a whole run with hundreds of sessions; never reached unless it hangs.
OVERALL = 600.0


def _target(access: dict[str, Any]) -> tuple[str, int]:
    match = re.fullmatch(r"ssh -p (\d+) \S+@(\S+)", access["ssh_command"])
    assert match is not None, access["ssh_command"]
    return match[2], int(match[1])


@contextlib.contextmanager
def _own_soft_limit(at_least: int) -> Iterator[None]:
    """This process's soft limit on open files at least ``at_least`` (restored after)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < at_least:
        pytest.skip(f"needs a hard limit on open files of {at_least} here (it is {hard})")
    if soft != resource.RLIM_INFINITY and soft < at_least:
        resource.setrlimit(resource.RLIMIT_NOFILE, (at_least, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


class Held:
    """Sessions held open at once, each until it is let go."""

    def __init__(self, access: dict[str, Any]) -> None:
        self.access = access
        self.host, self.port = _target(access)
        self.conns: list[asyncssh.SSHClientConnection] = []
        self.processes: list[asyncssh.SSHClientProcess[str]] = []

    async def connect(self, count: int) -> None:
        turns = asyncio.Semaphore(LOGINS_AT_ONCE)

        async def one() -> asyncssh.SSHClientConnection:
            async with turns:
                return await ssh_login(self.host, self.port, self.access, timeout=120)

        self.conns += await asyncio.gather(*(one() for _ in range(count)))

    async def start(self, term_type: str | None = None) -> None:
        """A session on each connection, each running until it reads a line."""

        async def one(conn: asyncssh.SSHClientConnection) -> asyncssh.SSHClientProcess[str]:
            process = await conn.create_process(HOLD, term_type=term_type)
            assert (await process.stdout.readline()).strip() == "ready"
            return process

        self.processes = list(await asyncio.gather(*(one(conn) for conn in self.conns)))

    async def release(self) -> list[tuple[int | None, str]]:
        """Let every session go on; each one's exit status and the rest of its output."""

        async def one(process: asyncssh.SSHClientProcess[str]) -> tuple[int | None, str]:
            process.stdin.write("go\n")
            rest = await process.stdout.read()
            await process.wait()
            return process.exit_status, rest

        return list(await asyncio.gather(*(one(p) for p in self.processes)))

    async def close(self) -> None:
        for conn in self.conns:
            conn.close()
        for conn in self.conns:
            with contextlib.suppress(Exception):
                await conn.wait_closed()


@pytest.mark.parametrize("term_type", [None, "xterm"], ids=["pipes", "pty"])
async def test_a_held_session_costs_two_descriptors_and_no_thread(term_type: str | None) -> None:
    count = 20
    with emulator_process() as emu:
        held = Held(emu.credential())
        try:
            await asyncio.wait_for(held.connect(count), OVERALL)
            fds, threads = emu.open_fds(), emu.threads()
            await asyncio.wait_for(held.start(term_type), OVERALL)
            # The connections' sockets were counted before; isolated, the sandbox's holder
            # costs one more (one per sandbox, not per session).
            assert emu.open_fds() - fds <= 2 * count + 1
            assert emu.threads() - threads <= 1  # none per session (a worker, at most)
            done = await asyncio.wait_for(held.release(), OVERALL)
        finally:
            await held.close()
    assert [status for status, _ in done] == [0] * count
    assert all(rest.strip().endswith("ok") for _, rest in done)


def _cap_open_files(limit: int) -> None:
    """In the emulator's process before it runs: at most ``limit`` open files, soft and hard."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > limit:
        hard = limit
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(limit, hard), hard))


async def test_300_concurrent_sessions_under_ulimit_1024() -> None:
    count = 300
    with _own_soft_limit(1024), emulator_process(lambda: _cap_open_files(1024)) as emu:
        limits = Path(f"/proc/{emu.pid}/limits").read_text()
        assert re.search(r"Max open files\s+1024\s+1024", limits), limits
        held = Held(emu.credential())
        try:
            await asyncio.wait_for(held.connect(count), OVERALL)
            await asyncio.wait_for(held.start(), OVERALL)  # all 300 running at once
            done = await asyncio.wait_for(held.release(), OVERALL)
        finally:
            await held.close()
    assert [status for status, _ in done] == [0] * count
    assert [rest for _, rest in done] == ["ok\n"] * count
