"""``leap0 ssh connect`` and ``ssh cp``: run OpenSSH's ``ssh`` or ``scp`` with a Leap0 credential.

The password never appears in a process's arguments, in the shell history or
on the terminal: ``askpass.py`` hands it to ``ssh`` through ``SSH_ASKPASS``,
once (``scp`` runs ``ssh``, which asks the same way).

Of the service's ``ssh_command`` only the user, host and port reach ``ssh``
(read and checked by :mod:`leap0._ssh_command`); no option in it does. The
host is the service's choice, so nothing is forwarded to it (the agent, X11,
ports), whatever the user's ``~/.ssh/config`` says, unless ``--ssh-option``
asks for it. The functions that build the command line are pure.

While ``ssh`` runs, SIGINT, SIGQUIT (Ctrl-\\), SIGTERM and SIGHUP are passed
on to it (see :func:`run_ssh`); around that, :func:`termination_raises` turns
SIGQUIT, SIGTERM and SIGHUP into an exception, so the caller can still remove
the askpass directory and revoke the credential it issued.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import threading
import types
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .askpass import askpass_env, askpass_script
from .context import Terminated

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
# Nothing forwarded to the service's host; each left out when the user sets it.
# ClearAllForwardings would also drop forwardings the user asks for here.
_NO_FORWARDING = (
    ("ForwardAgent=no", {"forwardagent"}),
    ("ForwardX11=no", {"forwardx11"}),
    (
        "ClearAllForwardings=yes",
        {"clearallforwardings", "localforward", "remoteforward", "dynamicforward"},
    ),
)


def check_ssh_options(ssh_options: Sequence[str]) -> None:
    """``ValueError`` unless each option is one printable ``Key=Value`` or ``Key Value``."""
    for option in ssh_options:
        if not option or not option.isprintable() or option.startswith("-"):
            raise ValueError(f"bad ssh option {option!r}: expected KEY=VALUE")


def _option_name(option: str) -> str:
    """``ssh -o``'s keyword of ``Key=Value`` or ``Key Value``, lower case (as ssh reads it)."""
    return option.strip().replace(" ", "=").partition("=")[0].lower()


def _has_option(ssh_options: Sequence[str], name: str) -> bool:
    return any(_option_name(option) == name.lower() for option in ssh_options)


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
    """The ``-o`` options of ``ssh`` and ``scp``: the caller's, password-only, no forwarding, keys.

    ``ssh`` keeps the first value it sees, so the caller's ``ssh_options`` win.
    ``ForwardAgent=no``, ``ForwardX11=no`` and ``ClearAllForwardings=yes``
    follow, each unless the caller sets that option (any case; ``=`` or a
    space), and ``ClearAllForwardings`` also unless the caller asks for a
    ``LocalForward``, ``RemoteForward`` or ``DynamicForward``, which it would
    drop. Host keys are not pinned for a loopback ``host`` (the local emulator
    makes a new key each run); elsewhere a new host's key is accepted and kept.
    """
    from .._config import is_loopback

    given = {_option_name(option) for option in ssh_options}
    unforwarded = [option for option, names in _NO_FORWARDING if not given & names]
    argv: list[str] = []
    for option in (
        *ssh_options,
        *_AUTH_OPTIONS,
        *unforwarded,
        *(_LOOPBACK_OPTIONS if is_loopback(host) else _REMOTE_OPTIONS),
    ):
        argv += ["-o", option]
    return argv


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
