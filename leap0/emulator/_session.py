"""Running an SSH session's command in the sandbox's directory: what both kinds share.

Imported only when an emulator starts: it needs the ``emulator`` extra.
A session runs ``/bin/sh -c COMMAND`` (or a shell) as the current user, in a
process group of its own; that is convenience, not isolation. Without a
terminal it runs on sockets (:mod:`._pipes`), with one on a pty (:mod:`._pty`).
Its child is waited for without a thread of its own where the platform
allows (:mod:`._child`): a session costs its connection's socket and two
more file descriptors while it runs, whichever its kind.
"""

from __future__ import annotations

import contextlib
import os
import signal
from typing import Any

import asyncssh

from ._child import Child, spawn
from ._state import SessionTarget

__all__ = ["CHUNK", "Process", "Session", "environment", "exit_with"]

#: The most bytes moved at once between the client and the child.
CHUNK = 65536
_CLIENT_ENV_PREFIXES = ("LC_",)
_CLIENT_ENV_NAMES = ("LANG",)
_CLIENT_ENV_MAX = 64

Process = asyncssh.SSHServerProcess[bytes]


def environment(target: SessionTarget, process: Process) -> dict[str, str]:
    """The session's environment: a few of the server's, the client's locale, ``env_vars``."""
    env = {
        "PATH": os.environ.get("PATH") or os.defpath,
        "HOME": target.workdir,
        "PWD": target.workdir,
        "SHELL": _user_shell(),
    }
    for name in ("USER", "LOGNAME", "LANG", "TZ"):
        value = os.environ.get(name)
        if value:
            env[name] = value
    taken = 0
    for name, value in process.env.items():
        if taken >= _CLIENT_ENV_MAX or not (
            name in _CLIENT_ENV_NAMES or name.startswith(_CLIENT_ENV_PREFIXES)
        ):
            continue
        # Only what a program can be given: no NUL or "=" in the name, no NUL, not too long.
        if "=" in name or "\0" in name or "\0" in value or len(name) + len(value) > 4096:
            continue
        env[name] = value
        taken += 1
    env.update(target.env_vars)
    return env


def _user_shell() -> str:
    shell = os.environ.get("SHELL")
    if shell and os.path.isabs(shell) and os.access(shell, os.X_OK):
        return shell
    return "/bin/sh"


def exit_with(process: Process, status: int) -> None:
    """End the session with ``status``, if the channel is still there to tell."""
    with contextlib.suppress(Exception):
        process.exit(status)


class Session:
    """One session's child process: started in the sandbox's directory, reported.

    ``children`` is the server's set of live children (killed when it stops);
    each child is in it from its start until it has been waited for.
    """

    def __init__(
        self,
        process: Process,
        workdir: str,
        env: dict[str, str],
        children: set[Child],
    ) -> None:
        self.process = process
        self.workdir = workdir
        self.env = env
        self.children = children

    def _spawn(self, argv: list[str], **stdio: Any) -> Child:
        child = spawn(argv, cwd=self.workdir, env=self.env, **stdio)
        self.children.add(child)
        return child

    def _report(self, child: Child) -> None:
        """The child was waited for: forget it, end the channel with its status or signal."""
        self.children.discard(child)
        returncode = child.returncode
        if returncode is None:  # pragma: no cover - waited for before
            returncode = 255
        if returncode < 0:
            try:
                name = signal.Signals(-returncode).name[3:]
            except ValueError:
                name = "KILL"
            with contextlib.suppress(Exception):
                self.process.exit_with_signal(name)
        else:
            exit_with(self.process, returncode)
