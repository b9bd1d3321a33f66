"""``leap0 ssh connect`` and ``ssh cp``: run OpenSSH's ``ssh`` or ``scp`` with a Leap0 credential.

The password never appears in a process's arguments, in the shell history or
on the terminal: it is written to a ``0600`` file in a private ``0700``
temporary directory, and a small ``SSH_ASKPASS`` script in that directory
prints it when ``ssh`` asks for a password (``scp`` runs ``ssh``, which asks
the same way). The directory is removed when ``ssh`` exits, whatever happens.

Of the service's ``ssh_command`` only the user, host and port reach ``ssh``
(read and checked by :mod:`leap0._ssh_command`); no option in it does. The
functions that build the command line and environment are pure.

While ``ssh`` runs, SIGINT, SIGQUIT (Ctrl-\\), SIGTERM and SIGHUP are passed
on to it (see :func:`run_ssh`); around that, :func:`termination_raises` turns
SIGQUIT, SIGTERM and SIGHUP into an exception, so the caller can still remove
the askpass directory and revoke the credential it issued.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import types
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .entry import Terminated
from .spec import API_KEY_ENV

if TYPE_CHECKING:
    from ..models import SshAccess

__all__ = [
    "SUPPORTED",
    "Terminated",
    "askpass_env",
    "askpass_script",
    "build_ssh_argv",
    "check_ssh_options",
    "common_options",
    "run_ssh",
    "termination_raises",
]

SUPPORTED = os.name == "posix"
"""Whether ``ssh connect`` works here: the askpass helper is a ``/bin/sh`` script."""

_AUTH_OPTIONS = (
    "PreferredAuthentications=password,keyboard-interactive",
    "PubkeyAuthentication=no",
    "NumberOfPasswordPrompts=1",
)
_LOOPBACK_OPTIONS = (
    # The local emulator makes a new host key each run: do not pin it.
    "StrictHostKeyChecking=no",
    "UserKnownHostsFile=/dev/null",
    "GlobalKnownHostsFile=/dev/null",
    "LogLevel=ERROR",
)
_REMOTE_OPTIONS = ("StrictHostKeyChecking=accept-new",)

# Only prompts that ask for a password are answered; a host-key confirmation
# or a key passphrase prompt gets no answer (so never the password).
_ASKPASS_TEMPLATE = """#!/bin/sh
# Answers ssh's password prompt for one `leap0 ssh connect`; removed when it ends.
case "$1" in
  *[Pp]assword*|*PASSWORD*) exec cat {secret} ;;
esac
exit 1
"""


def check_ssh_options(ssh_options: Sequence[str]) -> None:
    """``ValueError`` unless each option is one printable ``Key=Value`` or ``Key Value``."""
    for option in ssh_options:
        if not option or not option.isprintable() or option.startswith("-"):
            raise ValueError(f"bad ssh option {option!r}: expected KEY=VALUE")


def _has_option(ssh_options: Sequence[str], name: str) -> bool:
    prefix = name.lower()
    return any(
        opt.replace(" ", "=").partition("=")[0].strip().lower() == prefix for opt in ssh_options
    )


def remote_command(command: Sequence[str]) -> str:
    """The command line the remote shell runs.

    One word is sent as it is, so it may be a whole shell command line
    (``'echo $HOME | wc -c'``), as with ``ssh``. Several words are each
    quoted, so they arrive as typed: ``sh -c "exit 3"`` runs ``sh`` with the
    two arguments ``-c`` and ``exit 3``.
    """
    if len(command) == 1:
        return command[0]
    return " ".join(shlex.quote(word) for word in command)


def build_ssh_argv(
    access: SshAccess,
    command: Sequence[str] | None = None,
    ssh_options: Sequence[str] = (),
    *,
    ssh: str = "ssh",
    tty: bool = False,
) -> list[str]:
    """The ``ssh`` command line for ``access``; it never holds the password.

    From the service's answer only the user, host and port reach ``ssh``, read
    and checked by :func:`~leap0._ssh_command.ssh_target` (the same reading as
    ``access.host`` and ``access.port``); every other word of its
    ``ssh_command``, ``-o`` options included, is dropped. The line is::

        ssh [-o OPT]... [-T | -t] -p PORT -l USER -- HOST [COMMAND]

    ``-o`` options come first in the order: the caller's ``ssh_options``
    (``ssh`` keeps the first value it sees, so these win), then password-only
    authentication, then host-key handling: not pinned for a loopback host
    (the local emulator makes a new key each run), ``accept-new`` otherwise.
    With a ``command``, ``-T`` is passed and the command follows the host;
    without one, ``-t`` when ``tty`` (standard input is a terminal). A
    ``RequestTTY`` option in ``ssh_options`` replaces ``-t``/``-T``. The ``--``
    before the host ends ``ssh``'s options, so neither the host nor the
    command can read as one.

    Raises:
        Leap0ResponseError: The service's ``ssh_command`` is not one leap0
            understands, or names another user than ``access.id``.
        ValueError: A malformed ``ssh_options`` entry.
    """
    from .._ssh_command import ssh_target

    check_ssh_options(ssh_options)
    target = ssh_target(access.ssh_command, access.id)
    argv = [ssh, *common_options(target.host, ssh_options)]
    if not _has_option(ssh_options, "RequestTTY"):
        if command:
            argv.append("-T")
        elif tty:
            argv.append("-t")
    argv += ["-p", str(target.port), "-l", target.user, "--", target.host]
    if command:
        argv.append(remote_command(command))
    return argv


def common_options(host: str, ssh_options: Sequence[str]) -> list[str]:
    """The ``-o`` options of ``ssh`` and ``scp``: the caller's, then password-only, host keys.

    ``ssh`` keeps the first value it sees, so the caller's ``ssh_options`` win.
    Host keys are not pinned for a loopback ``host`` (the local emulator makes
    a new key each run); elsewhere a new host's key is accepted and then kept.
    """
    from .._config import is_loopback

    argv: list[str] = []
    for option in (
        *ssh_options,
        *_AUTH_OPTIONS,
        *(_LOOPBACK_OPTIONS if is_loopback(host) else _REMOTE_OPTIONS),
    ):
        argv += ["-o", option]
    return argv


def askpass_env(base: Mapping[str, str], askpass: str) -> dict[str, str]:
    """The environment for ``ssh``: ``base`` with ``SSH_ASKPASS`` set up.

    ``SSH_ASKPASS`` is the script, ``SSH_ASKPASS_REQUIRE=force`` makes ``ssh``
    use it even with a terminal, and ``DISPLAY`` defaults to ``:0`` (older
    clients want one). The Leap0 API key is left out: ``ssh`` has no use for it.
    """
    env = {key: value for key, value in base.items() if key != API_KEY_ENV}
    env["SSH_ASKPASS"] = askpass
    env["SSH_ASKPASS_REQUIRE"] = "force"
    if not env.get("DISPLAY"):
        env["DISPLAY"] = ":0"
    return env


@contextlib.contextmanager
def askpass_script(password: str) -> Iterator[str]:
    """A private askpass script that prints ``password``; removed on exit.

    The password is in a ``0600`` file next to the ``0700`` script, in a
    ``0700`` directory made by :func:`tempfile.mkdtemp` (set ``TMPDIR`` if the
    default temporary directory is mounted ``noexec``).
    """
    directory = tempfile.mkdtemp(prefix="leap0-ssh-")
    try:
        os.chmod(directory, 0o700)
        secret = os.path.join(directory, "password")
        _write_private(secret, password + "\n", 0o600)
        script = os.path.join(directory, "askpass")
        _write_private(script, _ASKPASS_TEMPLATE.format(secret=shlex.quote(secret)), 0o700)
        yield script
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _write_private(path: str, text: str, mode: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, mode)  # whatever the umask did


_FORWARDED = tuple(
    getattr(signal, name)
    for name in ("SIGINT", "SIGQUIT", "SIGTERM", "SIGHUP")
    if hasattr(signal, name)
)


def run_ssh(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Run ``ssh`` (or ``scp``) on this process's standard streams; return its exit status.

    While it runs, SIGINT, SIGQUIT, SIGTERM and SIGHUP sent to this process
    are passed on to ``ssh`` instead of ending this process, so the caller's
    clean-up (removing the askpass directory, revoking the credential) still
    runs. A ``ssh`` killed by a signal
    gives ``128 + signal``, as a shell reports it.
    """
    holder: list[subprocess.Popen[bytes]] = []
    pending: list[int] = []

    def forward(signum: int, frame: types.FrameType | None) -> None:
        if holder:
            with contextlib.suppress(OSError):
                holder[0].send_signal(signum)
        else:
            pending.append(signum)

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in _FORWARDED:
            previous[signum] = signal.signal(signum, forward)
    try:
        process = subprocess.Popen(list(argv), env=dict(env))
        holder.append(process)
        for signum in pending:
            with contextlib.suppress(OSError):
                process.send_signal(signum)
        status = process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - status if status < 0 else status


# SIGQUIT (Ctrl-\) by default ends the process with a core dump, before any
# ``finally`` runs: taken over like SIGTERM so the password file is removed
# and the credential revoked.
_TERMINATING = tuple(
    getattr(signal, name) for name in ("SIGQUIT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def termination_raises() -> Iterator[None]:
    """Inside, SIGQUIT, SIGTERM and SIGHUP raise :class:`Terminated` instead of ending the process.

    Only signals whose handler is the default one are taken over (an ignored
    SIGHUP, as under ``nohup``, stays ignored), only on the main thread, and
    the previous handlers are back on exit. :func:`run_ssh` inside forwards
    them to ``ssh`` instead while ``ssh`` runs.
    """

    def terminate(signum: int, frame: types.FrameType | None) -> None:
        raise Terminated(signum)

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in _TERMINATING:
            if signal.getsignal(signum) is signal.SIG_DFL:
                previous[signum] = signal.signal(signum, terminate)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
