"""The ``SSH_ASKPASS`` helper of ``ssh connect`` and ``ssh cp``: the password, handed over once.

The password is written to a ``0600`` file next to a ``0700`` ``/bin/sh``
script, in a ``0700`` directory of their own (``tempfile.mkdtemp``). ``ssh``
(``scp`` runs ``ssh``) runs the script to ask for the password; it answers
only prompts that ask for one (never a host-key question or a key's
passphrase), and removes the password file as it reads it. ``ssh`` asks once
(``NumberOfPasswordPrompts=1``; a second prompt gets no answer), so once it
has logged in no password is on disk, whatever happens to leap0 afterwards.
The directory is removed when ``ssh`` exits.

Where that directory is made matters: whoever may rename entries in its
parent could put a script of their own in its place. :func:`private_parent`
takes ``$XDG_RUNTIME_DIR`` when it is the user's own ``0700`` directory (and
not mounted ``noexec``); else the temporary directory (``TMPDIR``, ...),
which is refused (:class:`UnsafeDirectory`) when it or a directory above it
is writable by others without the sticky bit (by its group too, unless that
is the user's own group) or owned by someone other than root or the user.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping

from .._constants import API_KEY_ENV

__all__ = ["UnsafeDirectory", "askpass_env", "askpass_script", "private_parent"]

_TEMPLATE = """#!/bin/sh
# Answers ssh's password prompt once, for one `leap0 ssh connect`; removed when it ends.
case "$1" in
  *[Pp]assword*|*PASSWORD*)
    [ -r {secret} ] || exit 1  # asked again: nothing more to give
    exec 3< {secret}
    rm -f {secret}
    exec cat <&3 ;;
esac
exit 1
"""


class UnsafeDirectory(ValueError):
    """No directory leap0 may put the askpass helper in: the message says why and what to do."""


def private_parent() -> str:
    """Where the askpass directory is made (a real path); :class:`UnsafeDirectory` if nowhere."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        real = os.path.realpath(runtime)
        if _own_and_private(real) and _problem(real) is None:
            return real
    base = os.path.realpath(tempfile.gettempdir())
    problem = _problem(base)
    if problem is not None:
        raise UnsafeDirectory(
            f"{problem}: another local user could put their own program in place of the "
            "password helper there; set TMPDIR to a directory of your own (mode 0700), or "
            "XDG_RUNTIME_DIR"
        )
    return base


def _own_and_private(path: str) -> bool:
    try:
        info = os.stat(path)
        flags = os.statvfs(path).f_flag
    except OSError:
        return False
    noexec = flags & getattr(os, "ST_NOEXEC", 0)
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.geteuid()
        and stat.S_IMODE(info.st_mode) == 0o700
        and not noexec
    )


def _problem(path: str) -> str | None:
    """What is wrong with ``path`` or a directory above it, for the askpass directory."""
    uid, gid = os.geteuid(), os.getegid()
    here = path
    while True:
        try:
            info = os.stat(here)
        except OSError as exc:
            return f"the directory {here} cannot be read ({exc.strerror})"
        mode = info.st_mode
        shared = mode & stat.S_IWOTH or (mode & stat.S_IWGRP and info.st_gid != gid)
        if info.st_uid not in (0, uid):
            return f"the directory {here} is owned by user {info.st_uid}"
        if shared and not mode & stat.S_ISVTX:
            return f"the directory {here} is writable by other users without the sticky bit"
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


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
def askpass_script(password: str, parent: str | None = None) -> Iterator[str]:
    """A private askpass script that prints ``password`` once; its directory removed on exit.

    ``parent``: where to make the directory (default: :func:`private_parent`).
    """
    directory = tempfile.mkdtemp(prefix="leap0-ssh-", dir=parent or private_parent())
    try:
        os.chmod(directory, 0o700)
        secret = os.path.join(directory, "password")
        _write_private(secret, password + "\n", 0o600)
        script = os.path.join(directory, "askpass")
        _write_private(script, _TEMPLATE.format(secret=shlex.quote(secret)), 0o700)
        yield script
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _write_private(path: str, text: str, mode: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, mode)  # whatever the umask did
