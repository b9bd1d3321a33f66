"""Ending what SSH sessions started: what left their process groups (Linux ``/proc``).

Where sessions are isolated, a sandbox's processes end with its PID
namespace (:mod:`._isolation`); this sweep is then only for the processes of
one deleted credential's sessions, which share their sandbox's namespaces.

Every session's environment holds :data:`MARK_VARIABLE` =
``<emulator>/<sandbox id>/<access id>``, which its descendants inherit; a
sweep finds this user's processes carrying a mark, or working in a sandbox's
directory, and kills them: one sweep for any number of sandboxes (a reset's
included). Pure standard library.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Collection

__all__ = ["MARK_VARIABLE", "signal_group", "sweep"]

log = logging.getLogger("leap0.emulator")

#: Set in every session's environment: ``<emulator>/<sandbox id>/<access id>``.
MARK_VARIABLE = "LEAP0_EMULATOR_SESSION"
_SWEEP_ROUNDS = 20
#: How long a sweep waits for what it killed to have exited.
_EXIT_WAIT = 5.0


def sweep(
    mark: str,
    root: str,
    sandboxes: Collection[str] | None = None,
    accesses: Collection[tuple[str, str]] = (),
    *,
    uids: Collection[int] | None = None,
) -> int:
    """Kill this user's processes that this emulator's sessions started; how many were found.

    ``mark`` is the emulator's, ``root`` the directory holding its sandboxes'.
    Those of each sandbox in ``sandboxes`` go (all of them when it is None),
    and those of each ``(sandbox id, access id)`` in ``accesses``. A session's
    processes carry ``LEAP0_EMULATOR_SESSION=<mark>/<sandbox>/<access>`` in
    their environment, and so do their descendants unless one clears or
    replaces its environment; a process without the mark is still found while
    its working directory is inside one of those sandboxes' directories (for
    ``accesses``, the mark only). One sweep covers any number of them: its
    cost is this user's processes, not the sandboxes.

    ``uids`` are the users whose processes are looked at (this one's if
    None): isolated sessions run as the sandbox user, whose host uid is
    ``nobody`` when the emulator runs as root (:mod:`._isolation`), and only
    one credential's processes are swept for then (a whole sandbox's end
    with its PID namespace).

    Linux only (it reads ``/proc``); elsewhere it does nothing, and only the
    sessions' process groups are killed. Found processes are stopped first, and
    the scan repeated until it finds no new one, so that none can fork away
    between a scan and its kill; then all are killed, and (through pidfds,
    Linux 5.3+) have exited when this returns (a few seconds at most).
    """
    if not os.path.isdir("/proc/self"):
        return 0
    wanted = _Wanted(mark, root, sandboxes, accesses)
    me = os.getpid()
    users = frozenset((os.getuid(),) if uids is None else uids)
    found: set[int] = set()
    for _ in range(_SWEEP_ROUNDS):
        new = [pid for pid in _user_pids(users) if pid != me and pid not in found]
        new = [pid for pid in new if wanted.marked(pid) or wanted.works_in(pid)]
        if not new:
            break
        for pid in new:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGSTOP)
        found.update(new)
    exiting = []
    for pid in found:
        # Through a pidfd where there is one: then it is waited for, too.
        with contextlib.suppress(AttributeError, OSError):
            exiting.append(os.pidfd_open(pid))
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    _wait_exited(exiting)
    if found:
        log.debug("killed %d process(es) left by SSH sessions", len(found))
    return len(found)


def _wait_exited(pidfds: list[int]) -> None:
    """Wait (a few seconds at most) until the processes of ``pidfds`` exited; close them."""
    import select

    try:
        poller = select.poll()
        for fd in pidfds:
            poller.register(fd, select.POLLIN)
        waiting = set(pidfds)
        deadline = time.monotonic() + _EXIT_WAIT
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for fd, _ in poller.poll(left * 1000):
                poller.unregister(fd)
                waiting.discard(fd)
    finally:
        for fd in pidfds:
            os.close(fd)


def _user_pids(uids: frozenset[int]) -> list[int]:
    pids = []
    with contextlib.suppress(OSError), os.scandir("/proc") as entries:
        for entry in entries:
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if entry.stat().st_uid in uids:
                        pids.append(int(entry.name))
    return pids


class _Wanted:
    """Which marks and working directories one sweep kills."""

    def __init__(
        self,
        mark: str,
        root: str,
        sandboxes: Collection[str] | None,
        accesses: Collection[tuple[str, str]],
    ) -> None:
        self._prefix = MARK_VARIABLE.encode() + b"=" + mark.encode() + b"/"
        self._root = os.path.realpath(os.fsencode(root)) + b"/"
        self._sandboxes = None if sandboxes is None else {s.encode() for s in sandboxes}
        self._accesses = {(s.encode(), a.encode()) for s, a in accesses}

    def _sandbox(self, sandbox_id: bytes) -> bool:
        return self._sandboxes is None or sandbox_id in self._sandboxes

    def marked(self, pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                environ = handle.read()
        except OSError:
            return False
        prefix = self._prefix
        for entry in environ.split(b"\0"):
            if entry.startswith(prefix):
                sandbox_id, _, access_id = entry[len(prefix) :].partition(b"/")
                if self._sandbox(sandbox_id) or (sandbox_id, access_id) in self._accesses:
                    return True
        return False

    def works_in(self, pid: int) -> bool:
        if self._sandboxes is not None and not self._sandboxes:
            return False
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd".encode())
        except OSError:
            return False
        if cwd + b"/" == self._root:
            return self._sandboxes is None
        if not cwd.startswith(self._root):
            return False
        # The sandbox's directory, whatever is below it; " (deleted)" once it is gone.
        top = cwd[len(self._root) :].split(b"/", 1)[0].removesuffix(b" (deleted)")
        return self._sandbox(top)


def signal_group(pgid: int, name: str) -> None:
    signum = getattr(signal, "SIG" + name.upper(), None)
    if isinstance(signum, int) and pgid > 0:
        with contextlib.suppress(OSError):
            os.killpg(pgid, signum)
