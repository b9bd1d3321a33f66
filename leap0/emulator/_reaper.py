"""Ending what SSH sessions started: what left their process groups (Linux ``/proc``).

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
from collections.abc import Collection

__all__ = ["MARK_VARIABLE", "signal_group", "sweep"]

log = logging.getLogger("leap0.emulator")

#: Set in every session's environment: ``<emulator>/<sandbox id>/<access id>``.
MARK_VARIABLE = "LEAP0_EMULATOR_SESSION"
_SWEEP_ROUNDS = 20


def sweep(
    mark: str,
    root: str,
    sandboxes: Collection[str] | None = None,
    accesses: Collection[tuple[str, str]] = (),
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

    Linux only (it reads ``/proc``); elsewhere it does nothing, and only the
    sessions' process groups are killed. Found processes are stopped first, and
    the scan repeated until it finds no new one, so that none can fork away
    between a scan and its kill; then all are killed.
    """
    if not os.path.isdir("/proc/self"):
        return 0
    wanted = _Wanted(mark, root, sandboxes, accesses)
    me, uid = os.getpid(), os.getuid()
    found: set[int] = set()
    for _ in range(_SWEEP_ROUNDS):
        new = [pid for pid in _user_pids(uid) if pid != me and pid not in found]
        new = [pid for pid in new if wanted.marked(pid) or wanted.works_in(pid)]
        if not new:
            break
        for pid in new:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGSTOP)
        found.update(new)
    for pid in found:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    if found:
        log.debug("killed %d process(es) left by SSH sessions", len(found))
    return len(found)


def _user_pids(uid: int) -> list[int]:
    pids = []
    with contextlib.suppress(OSError), os.scandir("/proc") as entries:
        for entry in entries:
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if entry.stat().st_uid == uid:
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
