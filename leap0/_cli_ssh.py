"""``leap0 ssh connect``: run the OpenSSH client with a Leap0 credential.

The password never appears in a process's arguments, in the shell history or
on the terminal: it is written to a ``0600`` file in a private ``0700``
temporary directory, and a small ``SSH_ASKPASS`` script in that directory
prints it when ``ssh`` asks for a password. The directory is removed when
``ssh`` exits, whatever happens.

The functions that build the ``ssh`` command line and environment are pure,
so tests can check what would run without running it.

While ``ssh`` runs, SIGINT, SIGTERM and SIGHUP are passed on to it (see
:func:`run_ssh`); around that, :func:`termination_raises` turns SIGTERM and
SIGHUP into an exception, so the caller can still revoke the credential it
issued.
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
from typing import Any

from ._config import API_KEY_ENV, is_loopback
from .models import SshAccess

__all__ = [
    "SUPPORTED",
    "Terminated",
    "askpass_env",
    "askpass_script",
    "build_ssh_argv",
    "check_ssh_options",
    "parse_ssh_command",
    "run_ssh",
    "termination_raises",
]

SUPPORTED = os.name == "posix"
"""Whether ``ssh connect`` works here: the askpass helper is a ``/bin/sh`` script."""

# ``-o`` options the service's ``ssh_command`` may carry. Anything else (for
# example ``ProxyCommand`` or ``LocalCommand``, which run local programs) is
# refused rather than passed to ``ssh``.
_SAFE_SERVICE_OPTIONS = frozenset(
    {
        "port",
        "user",
        "hostkeyalias",
        "stricthostkeychecking",
        "userknownhostsfile",
        "serveraliveinterval",
        "serveralivecountmax",
        "connecttimeout",
        "loglevel",
    }
)

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


def parse_ssh_command(ssh_command: str) -> tuple[list[str], str]:
    """Check the service's ``ssh_command``; return its arguments after ``ssh`` and the host.

    Accepts ``ssh [-p PORT] [-l USER] [-o SAFE_OPTION]... [USER@]HOST`` (and
    ``ssh://USER@HOST:PORT``). Raises ``ValueError`` for anything else, so a
    surprising command from the service never reaches ``ssh`` unchecked.
    """
    try:
        words = shlex.split(ssh_command)
    except ValueError as exc:
        raise ValueError(f"cannot parse the service's ssh_command: {exc}") from None
    if not words or os.path.basename(words[0]) != "ssh":
        raise ValueError(f"the service's ssh_command does not start with ssh: {ssh_command!r}")
    rest = words[1:]
    host: str | None = None
    i = 0
    while i < len(rest):
        word = rest[i]
        if word in ("-p", "-l", "-o"):
            if i + 1 >= len(rest):
                raise ValueError(f"{word} without a value in the service's ssh_command")
            _check_flag(word, rest[i + 1], ssh_command)
            i += 2
            continue
        if word[:2] in ("-p", "-l", "-o"):
            _check_flag(word[:2], word[2:], ssh_command)
            i += 1
            continue
        if word.startswith("-"):
            raise ValueError(
                f"unexpected option {word!r} in the service's ssh_command {ssh_command!r}"
            )
        if host is not None:
            raise ValueError(
                f"more than one destination in the service's ssh_command {ssh_command!r}"
            )
        host = _destination_host(word, ssh_command)
        i += 1
    if host is None:
        raise ValueError(f"no destination in the service's ssh_command {ssh_command!r}")
    return rest, host


def _check_flag(flag: str, value: str, ssh_command: str) -> None:
    if flag == "-p":
        if not value.isdigit() or not 0 < int(value) < 65536:
            raise ValueError(f"bad port {value!r} in the service's ssh_command")
    elif flag == "-l":
        _check_word(value, "user name", ssh_command)
    else:
        key = value.replace(" ", "=").partition("=")[0].strip().lower()
        if key not in _SAFE_SERVICE_OPTIONS:
            raise ValueError(
                f"refusing option -o {value!r} from the service's ssh_command {ssh_command!r}"
            )


def _check_word(value: str, what: str, ssh_command: str) -> None:
    if not value or value.startswith("-") or not value.isprintable() or " " in value:
        raise ValueError(f"bad {what} {value!r} in the service's ssh_command {ssh_command!r}")


def _destination_host(word: str, ssh_command: str) -> str:
    target = word
    if target.startswith("ssh://"):
        target = target[len("ssh://") :]
        user, _, hostport = target.rpartition("@")
        if hostport.startswith("["):
            host = hostport[1:].partition("]")[0]
        else:
            host = hostport.partition(":")[0]
    else:
        user, _, host = target.rpartition("@")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
    if user:
        _check_word(user, "user name", ssh_command)
    _check_word(host, "host", ssh_command)
    return host


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

    ``-o`` options come first in the order: the caller's ``ssh_options``
    (``ssh`` keeps the first value it sees, so these win), then password-only
    authentication, then host-key handling: not pinned for a loopback host
    (the local emulator makes a new key each run), ``accept-new`` otherwise.
    With a ``command``, ``-T`` is passed and the command follows ``--``;
    without one, ``-t`` when ``tty`` (standard input is a terminal). A
    ``RequestTTY`` option in ``ssh_options`` replaces ``-t``/``-T``.

    Raises:
        ValueError: The service's ``ssh_command`` is not a plain ``ssh`` command.
    """
    check_ssh_options(ssh_options)
    rest, host = parse_ssh_command(access.ssh_command)
    argv = [ssh]
    for option in ssh_options:
        argv += ["-o", option]
    for option in _AUTH_OPTIONS:
        argv += ["-o", option]
    for option in _LOOPBACK_OPTIONS if is_loopback(host) else _REMOTE_OPTIONS:
        argv += ["-o", option]
    if not _has_option(ssh_options, "RequestTTY"):
        if command:
            argv.append("-T")
        elif tty:
            argv.append("-t")
    argv += rest
    if command:
        argv += ["--", remote_command(command)]
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
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def run_ssh(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Run ``ssh`` on this process's standard streams; return its exit status.

    While it runs, SIGINT, SIGTERM and SIGHUP sent to this process are passed
    on to ``ssh`` instead of ending this process, so the caller's clean-up
    (removing the askpass directory) still runs. A ``ssh`` killed by a signal
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


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived inside :func:`termination_raises`.

    A ``BaseException``, like ``KeyboardInterrupt``: ``except Exception`` does
    not stop it, ``finally`` blocks run. ``signum`` is the signal.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_TERMINATING = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def termination_raises() -> Iterator[None]:
    """Inside, SIGTERM and SIGHUP raise :class:`Terminated` instead of ending the process.

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
