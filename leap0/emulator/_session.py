"""An SSH session's login on its sandbox: shell, environment, child; what both kinds share.

Imported only when an emulator starts: it needs the ``emulator`` extra.
A session runs as a login does on a sandbox: the login shell (``/bin/bash``
where the host has it, else ``/bin/sh``) as a login shell, ``SHELL -l -c
COMMAND`` for a command and ``-bash`` for a shell, in the sandbox user's
home, with the environment ``sshd`` sets (:func:`environment`) and nothing
else of the emulator's. Where sessions are isolated (:mod:`._isolation`) the
child starts inside the sandbox's namespaces; elsewhere it runs as the
emulator's user on the host, in a process group of its own. Without a
terminal it runs on sockets (:mod:`._pipes`), with one on a pty
(:mod:`._pty`). Its child is waited for without a thread of its own where the
platform allows (:mod:`._child`): a session costs its connection's socket and
two more file descriptors while it runs, whichever its kind.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
from typing import Any

import asyncssh

from ._child import Child, spawn
from ._isolation import View, make_sandbox_dirs, wrap
from ._state import SessionTarget

__all__ = [
    "CHUNK",
    "DEFAULT_PATH",
    "ISOLATED_USER",
    "Process",
    "Session",
    "environment",
    "exit_with",
    "login_argv",
    "login_shell",
    "prepare_home",
]

#: The most bytes moved at once between the client and the child.
CHUNK = 65536
#: ``PATH`` as ``sshd`` sets it for a user (``/etc/profile`` of a login shell may change it).
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/games"
#: The sandbox user's name where sessions are isolated.
ISOLATED_USER = "user"
_CLIENT_ENV_PREFIXES = ("LC_",)
_CLIENT_ENV_NAMES = ("LANG",)
_CLIENT_ENV_MAX = 64

Process = asyncssh.SSHServerProcess[bytes]


def login_shell() -> str:
    """The sandbox user's login shell: ``/bin/bash`` where the host has it, else ``/bin/sh``."""
    if os.access("/bin/bash", os.X_OK):
        return "/bin/bash"
    return "/bin/sh"


def login_argv(shell: str, command: str | None) -> list[str]:
    """What runs ``command`` (a shell when None) as a login would: a login shell either way.

    A command runs as ``SHELL -l -c COMMAND``. A shell runs as ``sshd`` starts
    it, its ``argv[0]`` ``-bash``: bash's ``exec -a`` names it so (which
    passes through a namespace launcher unchanged); another shell is given
    ``-l``.
    """
    if command is not None:
        return [shell, "-l", "-c", command]
    name = os.path.basename(shell)
    if name == "bash":
        # --norc: the bash that only execs must not read ~/.bashrc (it would, run by sshd).
        return [shell, "--norc", "-c", f"exec -a -{name} {shlex.quote(shell)}"]
    return [shell, "-l"]


def _user_name(view: View) -> str:
    if view.isolated:
        return ISOLATED_USER
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):  # pragma: no cover - no passwd entry for this uid
        return os.environ.get("USER") or str(os.getuid())


def _address(info: Any) -> tuple[str, int]:
    if isinstance(info, tuple) and len(info) >= 2:
        return str(info[0]), int(info[1])
    return "0.0.0.0", 0  # pragma: no cover - a TCP connection has both


def environment(
    target: SessionTarget,
    process: Process,
    view: View,
    shell: str,
    *,
    mark: tuple[str, str],
    tty: str | None = None,
) -> dict[str, str]:
    """A login's environment, as ``sshd`` sets it; nothing else of the emulator's.

    ``USER``, ``LOGNAME``, ``HOME``, ``PATH``, ``SHELL`` (and ``TMPDIR`` where
    the session is not isolated), the client's ``LANG`` and ``LC_*``,
    ``SSH_CLIENT`` and ``SSH_CONNECTION``, ``SSH_TTY`` and ``TERM`` with a
    terminal (``tty`` its path), then the sandbox's ``env_vars``, then
    ``mark`` (name, value): the session's mark, which ``env_vars`` cannot change.
    """
    user = _user_name(view)
    env = {
        "USER": user,
        "LOGNAME": user,
        "HOME": view.home,
        "PATH": DEFAULT_PATH,
        "SHELL": shell,
    }
    if not view.isolated:
        env["TMPDIR"] = view.tmp
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
    client_ip, client_port = _address(process.get_extra_info("peername"))
    server_ip, server_port = _address(process.get_extra_info("sockname"))
    env["SSH_CLIENT"] = f"{client_ip} {client_port} {server_port}"
    env["SSH_CONNECTION"] = f"{client_ip} {client_port} {server_ip} {server_port}"
    if tty is not None:
        env["SSH_TTY"] = tty
        env["TERM"] = process.get_terminal_type() or "xterm"
    env.update(target.env_vars)
    name, value = mark
    env[name] = value
    return env


def prepare_home(view: View) -> bool:
    """Make the sandbox's home and temporary directory again if gone; whether they are there.

    They are made with the sandbox's directory; a session that is not isolated
    may have removed them since.
    """
    if not (os.path.isdir(view.host_home) and os.path.isdir(view.host_tmp)):
        try:
            make_sandbox_dirs(os.path.dirname(view.host_home), view.isolated)
        except OSError:  # the sandbox's directory is gone
            return False
    return os.path.isdir(view.host_home) and os.path.isdir(view.host_tmp)


def exit_with(process: Process, status: int) -> None:
    """End the session with ``status``, if the channel is still there to tell."""
    with contextlib.suppress(Exception):
        process.exit(status)


class Session:
    """One session's child process: started as the sandbox user's login, reported.

    ``children`` is the server's set of live children (killed when it stops);
    each child is in it from its start until it has been waited for.
    """

    def __init__(
        self,
        process: Process,
        target: SessionTarget,
        view: View,
        mark: tuple[str, str],
        children: set[Child],
    ) -> None:
        self.process = process
        self.target = target
        self.view = view
        self.mark = mark
        self.children = children
        self.shell = login_shell()

    def _environment(self, tty: str | None = None) -> dict[str, str]:
        return environment(
            self.target, self.process, self.view, self.shell, mark=self.mark, tty=tty
        )

    def _inside(self, argv: list[str], env: dict[str, str]) -> list[str]:
        """``argv`` as started in the sandbox: inside its namespaces where it is isolated."""
        if not self.view.isolated:
            return argv
        target = self.target
        return wrap(argv, workdir=target.workdir, sandbox_id=target.sandbox_id, env=env)

    def _spawn(self, argv: list[str], env: dict[str, str], **stdio: Any) -> Child:
        """Start ``argv`` (already :meth:`_inside`) in the home's host directory."""
        child = spawn(argv, cwd=self.view.host_home, env=env, **stdio)
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
