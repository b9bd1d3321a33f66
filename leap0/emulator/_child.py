"""A session's child process, waited for without a thread of its own where the platform allows.

asyncio's subprocesses are waited for by its child watcher, which on Python
3.11 is a thread per child blocked in ``waitpid``. Here a child is started
with :class:`subprocess.Popen` (in a new session, so in a process group of its
own) and, on Linux, waited for through a pidfd (:func:`os.pidfd_open`) that
the event loop watches with ``add_reader``: one file descriptor while it is
waited for, no thread. Where there is no pidfd, one thread waits, as asyncio's
watcher does. Pure standard library.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import threading
from typing import Any

__all__ = ["Child", "spawn"]


def spawn(argv: list[str], *, cwd: str, env: dict[str, str], **stdio: Any) -> Child:
    """Start ``argv`` in ``cwd`` with exactly ``env``, in a new session; ``stdio`` as Popen's."""
    return Child(subprocess.Popen(argv, cwd=cwd, env=env, start_new_session=True, **stdio))


class Child:
    """A started child: its pid, its exit status once waited for, its process group."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self._popen = popen
        self.pid = popen.pid
        self._exited: asyncio.Future[int] | None = None

    @property
    def returncode(self) -> int | None:
        """Its exit status (negative: the signal that ended it), once it was waited for."""
        return self._popen.returncode

    def kill_group(self) -> None:
        """SIGKILL to its process group (its pid: it leads a session of its own)."""
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)

    async def wait(self) -> int:
        """Its exit status, once it exited (reaped then); any number of waiters."""
        if self._exited is None:
            self._exited = self._watch(asyncio.get_running_loop())
        return await asyncio.shield(self._exited)

    def _watch(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[int]:
        exited: asyncio.Future[int] = loop.create_future()
        returncode = self._popen.poll()
        if returncode is not None:
            exited.set_result(returncode)
            return exited
        try:
            pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):  # no pidfd here (not Linux 5.3+)
            threading.Thread(
                target=self._wait_in_thread,
                args=(loop, exited),
                name="leap0-emulator-waitpid",
                daemon=True,
            ).start()
            return exited

        def readable() -> None:  # the child exited
            returncode = self._popen.poll()
            if returncode is None:  # pragma: no cover - a pidfd is readable once it exited
                return
            loop.remove_reader(pidfd)
            os.close(pidfd)
            if not exited.done():
                exited.set_result(returncode)

        loop.add_reader(pidfd, readable)
        return exited

    def _wait_in_thread(self, loop: asyncio.AbstractEventLoop, exited: asyncio.Future[int]) -> None:
        returncode = self._popen.wait()

        def done() -> None:
            if not exited.done():
                exited.set_result(returncode)

        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(done)
