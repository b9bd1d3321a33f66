"""Ending what SSH sessions started: process groups, and what left them (Linux ``/proc``).

Every session's environment holds :data:`MARK_VARIABLE` =
``<emulator>/<sandbox id>/<access id>``, which its descendants inherit; a
sweep finds this user's processes carrying a mark, or working in a sandbox's
directory, and kills them. Pure standard library.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

__all__ = ["MARK_VARIABLE", "kill_group", "signal_group", "sweep"]

log = logging.getLogger("leap0.emulator")

#: Set in every session's environment: ``<emulator>/<sandbox id>/<access id>``.
MARK_VARIABLE = "LEAP0_EMULATOR_SESSION"
_SWEEP_ROUNDS = 20


def sweep(mark: bytes, workdirs: list[str], *, exact: bool = False) -> None:
    """Kill this user's processes marked ``mark`` or working in one of ``workdirs``.

    A session's processes carry ``LEAP0_EMULATOR_SESSION=<emulator>/<sandbox>/<access>``
    in their environment, and so do their descendants unless one clears or
    replaces its environment; a process without the mark is still found while
    its working directory is inside one of ``workdirs``. ``mark`` is a prefix
    of the variable's value, or the whole value when ``exact``.

    Linux only (it reads ``/proc``); elsewhere it does nothing, and only the
    sessions' process groups are killed. Found processes are stopped first, and
    the scan repeated until it finds no new one, so that none can fork away
    between a scan and its kill; then all are killed.
    """
    if not os.path.isdir("/proc/self"):
        return
    needle = MARK_VARIABLE.encode() + b"=" + mark
    dirs = [os.path.realpath(os.fsencode(d)) for d in workdirs]
    me, uid = os.getpid(), os.getuid()
    found: set[int] = set()
    for _ in range(_SWEEP_ROUNDS):
        new = [pid for pid in _user_pids(uid) if pid != me and pid not in found]
        new = [pid for pid in new if _marked(pid, needle, exact) or _works_in(pid, dirs)]
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


def _user_pids(uid: int) -> list[int]:
    pids = []
    with contextlib.suppress(OSError), os.scandir("/proc") as entries:
        for entry in entries:
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if entry.stat().st_uid == uid:
                        pids.append(int(entry.name))
    return pids


def _marked(pid: int, needle: bytes, exact: bool) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            environ = handle.read()
    except OSError:
        return False
    for entry in environ.split(b"\0"):
        if entry == needle or (not exact and entry.startswith(needle)):
            return True
    return False


def _works_in(pid: int, dirs: list[bytes]) -> bool:
    if not dirs:
        return False
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd".encode())
    except OSError:
        return False
    return any(cwd == d or cwd.startswith(d + b"/") for d in dirs)


def signal_group(pgid: int, name: str) -> None:
    signum = getattr(signal, "SIG" + name.upper(), None)
    if isinstance(signum, int) and pgid > 0:
        with contextlib.suppress(OSError):
            os.killpg(pgid, signum)


def kill_group(child: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(OSError):
        os.killpg(child.pid, signal.SIGKILL)
