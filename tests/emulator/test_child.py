"""A session's child is waited for through the event loop: no thread, no descriptor left."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from leap0.emulator._child import spawn

ENV = {"PATH": os.environ.get("PATH", os.defpath)}
needs_pidfd = pytest.mark.skipif(
    not hasattr(os, "pidfd_open") or not os.path.isdir("/proc/self/fd"), reason="Linux pidfds"
)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_the_exit_status_and_the_signal_come_back(tmp_path: Path) -> None:
    status = spawn(["/bin/sh", "-c", "exit 3"], cwd=str(tmp_path), env=ENV)
    assert await asyncio.wait_for(status.wait(), 30) == 3
    assert status.returncode == 3
    killed = spawn(["sleep", "300"], cwd=str(tmp_path), env=ENV)
    waiters = [asyncio.ensure_future(killed.wait()) for _ in range(3)]  # any number of waiters
    killed.kill_group()
    assert await asyncio.wait_for(asyncio.gather(*waiters), 30) == [-9, -9, -9]
    assert await killed.wait() == -9  # once more, at once


async def test_it_runs_in_the_directory_and_environment_and_a_group_of_its_own(
    tmp_path: Path,
) -> None:
    script = 'import os; print(os.getcwd(), os.environ["ONLY"], os.getpgid(0) == os.getpid())'
    out = tmp_path / "out"
    with out.open("wb") as handle:
        child = spawn(
            [sys.executable, "-c", script], cwd=str(tmp_path), env={"ONLY": "me"}, stdout=handle
        )
        assert await asyncio.wait_for(child.wait(), 30) == 0
    assert out.read_text().split() == [str(tmp_path), "me", "True"]


@needs_pidfd
async def test_waiting_costs_no_thread_and_leaves_no_descriptor(tmp_path: Path) -> None:
    before_fds, before_threads = _open_fds(), threading.active_count()
    children = [
        spawn(["sleep", "300"], cwd=str(tmp_path), env=ENV, stdin=subprocess.DEVNULL)
        for _ in range(10)
    ]
    waiters = [asyncio.ensure_future(child.wait()) for child in children]
    await asyncio.sleep(0)  # each waiter starts watching its child
    assert threading.active_count() == before_threads  # no waitpid thread per child
    assert _open_fds() == before_fds + 10  # one pidfd each while waited for
    for child in children:
        child.kill_group()
    assert await asyncio.wait_for(asyncio.gather(*waiters), 30) == [-9] * 10
    assert _open_fds() == before_fds
