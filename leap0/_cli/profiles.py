"""The profile file of ``leap0 auth``: API keys and their settings, kept between commands.

Where: ``$XDG_CONFIG_HOME/leap0/config.json``, or ``~/.config/leap0/config.json``
when ``XDG_CONFIG_HOME`` is unset or not an absolute path. What: one JSON
object, each profile's ``api_key`` and, if they were given, its ``base_url``
and ``ssh_api``::

    {"profiles": {"default": {"api_key": "...", "base_url": "https://api.leap0.dev"}}}

Only the command line reads it; the SDK does not (the CLI passes the values
it read to the client as arguments), and a flag or an environment variable
wins over it (``settings.py``).

It holds secrets, so it is kept where no other user can read or swap it: the
``leap0`` directory is made with mode 0700 (a wider one of the user's is
narrowed on writing), and the file is written atomically (a temporary file in
the same directory, made mode 0600 before anything is written to it, then
renamed over the old one), so a reader never sees half a file. Refused, as a
setup problem (exit 2): a ``leap0`` directory that is a symbolic link, not a
directory, or owned by another user; a file that is a symbolic link, not a
regular file, owned by another user, or that others may read (``chmod 600``).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile

from .output import clean

__all__ = [
    "FILE_NAME",
    "ProfileError",
    "config_dir",
    "config_path",
    "name_problem",
    "read",
    "write",
]

FILE_NAME = "config.json"
_MAX_BYTES = 1 << 20
_POSIX = os.name == "posix"

Profiles = dict[str, dict[str, str]]


class ProfileError(Exception):
    """The profile file (or its directory) cannot be used: what is wrong, and what to do."""


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def name_problem(name: str) -> str | None:
    """What is wrong with ``name`` as a profile's name (``None``: nothing).

    1 to 64 letters, digits, ``.``, ``_`` and ``-``, not starting with ``-``
    or ``.``: a name that reads the same in a message, a shell and the file.
    """
    if not 1 <= len(name) <= 64 or not set(name) <= _NAME_CHARS or name[0] in "-.":
        shown = clean(name if len(name) <= 40 else name[:40] + "...")
        return (
            "a profile name is 1 to 64 letters, digits, '.', '_' and '-', not starting "
            f"with '-' or '.'; got {shown!r}"
        )
    return None


def config_dir() -> str:
    """The ``leap0`` directory of the user's configuration (it may not exist)."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    if not os.path.isabs(base):  # the XDG spec: a relative path is to be ignored
        base = os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "leap0")


def config_path() -> str:
    return os.path.join(config_dir(), FILE_NAME)


def _mine(info: os.stat_result) -> bool:
    return not _POSIX or info.st_uid == os.getuid()


def _check_dir(path: str) -> os.stat_result:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise ProfileError(
            f"{path} is a symbolic link; leap0 keeps API keys only in a real directory"
        )
    if not stat.S_ISDIR(info.st_mode):
        raise ProfileError(f"{path} is not a directory")
    if not _mine(info):
        raise ProfileError(f"{path} belongs to another user; leap0 keeps API keys only in yours")
    return info


def read() -> Profiles:
    """Every profile in the file (none when there is no file); :class:`ProfileError` if unsafe.

    No file is no profile, wherever it would be: a command that needs none
    does not fail for a directory it would refuse.
    """
    directory = config_dir()
    path = os.path.join(directory, FILE_NAME)
    if not os.path.lexists(path):
        return {}
    try:
        _check_dir(directory)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ProfileError(f"cannot read {directory}: {exc.strerror or exc}") from None
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        if os.path.islink(path):
            raise ProfileError(
                f"{path} is a symbolic link; leap0 reads only a regular file"
            ) from None
        raise ProfileError(f"cannot read {path}: {exc.strerror or exc}") from None
    with open(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ProfileError(f"{path} is not a regular file")
        if not _mine(info):
            raise ProfileError(f"{path} belongs to another user; leap0 reads only yours")
        if _POSIX and info.st_mode & 0o077:
            raise ProfileError(
                f"{path} holds API keys and other users may read it: 'chmod 600 {path}' "
                "(and replace the keys if they may have been read)"
            )
        data = file.read(_MAX_BYTES + 1)
    return _parse(data, path)


def _parse(data: bytes, path: str) -> Profiles:
    bad = f"{path} is not a leap0 profile file"
    if len(data) > _MAX_BYTES:
        raise ProfileError(f"{bad} (larger than {_MAX_BYTES} bytes)")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ProfileError(
            f"{bad} (not JSON); 'leap0 auth logout' cannot mend it: move it away"
        ) from None
    profiles = document.get("profiles") if isinstance(document, dict) else None
    if not isinstance(profiles, dict):
        raise ProfileError(f'{bad} (no "profiles" object)')
    found: Profiles = {}
    for name, profile in profiles.items():
        if not isinstance(profile, dict) or not all(isinstance(v, str) for v in profile.values()):
            raise ProfileError(f"{bad} (profile {name!r} is not an object of strings)")
        found[str(name)] = dict(profile)
    return found


def _directory() -> str:
    """The ``leap0`` directory, made (mode 0700) if missing, checked, narrowed to 0700."""
    directory = config_dir()
    try:
        info = _check_dir(directory)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(directory), mode=0o700, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # made meanwhile: checked below
            os.mkdir(directory, 0o700)
        info = _check_dir(directory)
    if _POSIX and stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(directory, 0o700)
    return directory


def write(profiles: Profiles) -> str:
    """Replace the file with ``profiles`` (no profile left: the file is removed); its path."""
    try:
        directory = _directory()
    except OSError as exc:
        raise ProfileError(f"cannot make {config_dir()}: {exc.strerror or exc}") from None
    path = os.path.join(directory, FILE_NAME)
    if not profiles:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return path
    text = json.dumps({"profiles": profiles}, indent=2, sort_keys=True) + "\n"
    fd, temporary = tempfile.mkstemp(prefix=".config.", suffix=".tmp", dir=directory)
    try:
        with open(fd, "w", encoding="utf-8") as file:
            if _POSIX:
                os.fchmod(file.fileno(), 0o600)  # before a byte of it is written
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise ProfileError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return path
