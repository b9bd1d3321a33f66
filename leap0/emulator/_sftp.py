"""The emulator's SFTP server, also serving scp: the filesystem a sandbox's shell sessions see.

Imported only when an emulator starts: it needs the ``emulator`` extra.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import stat
from collections.abc import AsyncIterator, Iterator
from typing import NamedTuple

import asyncssh

from ._isolation import View, sandbox_owner
from ._session import ISOLATED_USER

__all__ = ["SandboxSftp"]

_O_PATH: int = getattr(os, "O_PATH", 0)
_O_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC: int = getattr(os, "O_CLOEXEC", 0)
_O_NONBLOCK: int = getattr(os, "O_NONBLOCK", 0)
#: A directory held while a path is walked (no read access needed where there is O_PATH).
_DIR = (_O_PATH or os.O_RDONLY) | os.O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC
#: An entry itself, whatever it is: a symlink is not followed, a FIFO does not block.
_ENTRY = (_O_PATH or os.O_RDONLY) | _O_NOFOLLOW | _O_CLOEXEC | _O_NONBLOCK
#: Where an O_PATH descriptor's file can be reached by path (Linux).
_PROC_FD = "/proc/self/fd/"
#: As Linux: the most symlinks one path may go through.
_MAX_LINKS = 40
#: Marks an error whose file names are the client's already.
_CLIENT_PATHS = "leap0_client_paths"
_WRITES = (
    asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC
) | asyncssh.FXF_EXCL


def _error(code: int, path: str | None = None, message: str | None = None) -> OSError:
    return OSError(code, message or os.strerror(code), path)


def _parts(path: str) -> list[str]:
    """The names of ``path``, last first (``pop()`` takes them in order); no ``.``."""
    return [name for name in reversed(path.split("/")) if name and name != "."]


class _Dir(NamedTuple):
    """A directory the walk went through: its session path, a descriptor and host path on it."""

    path: str
    fd: int | None  # None where sessions cannot see it (a hidden path)
    host: str | None


class _Entry(NamedTuple):
    """Where a walked path ends: a name in a held directory (``.`` for that directory itself)."""

    path: str  # the session's path, symlinks resolved (the last one too, when followed)
    parent: int  # a descriptor on the directory holding it (on the entry itself for ".")
    name: str
    host: str  # its host path, symlinks resolved as for ``path``
    writable: bool


class SandboxSftp(asyncssh.SFTPServer):
    """SFTP and scp on the same filesystem as the sandbox's shell, checked on every operation.

    A path means what it means in a shell session: an absolute path is the
    same file; a relative one (and ``~``, ``~/x`` as scp sends them) starts in
    the sandbox's home (:attr:`View.home`), which ``realpath(".")`` answers.
    Each path is walked one name at a time as the session sees the
    filesystem: every symlink is read and followed in the session's view (an
    absolute target is a path as the session sees it), each step maps to the
    host through :meth:`View.to_host`, and every directory on the way is held
    by a descriptor opened without following symlinks, so nothing swapped in
    meanwhile leads elsewhere on the host: the operation acts on the last
    name in the last directory held, not following it. A path the session
    cannot see is "No such file"; a change (create, write, remove, rename,
    link, set attributes) where the session may only read is "Permission
    denied"; the home, the temporary directory and the sandbox's directory
    themselves cannot be removed or renamed. Only regular files are opened
    (a FIFO would block the server). Errors name the paths as the client sent
    them, never a host path of the emulator.
    """

    def __init__(self, chan: asyncssh.SSHServerChannel[bytes], view: View) -> None:
        super().__init__(chan)
        self._view = view
        # Legacy scp (-O): its paths are the command line's, "~" as a shell would take it.
        self._scp = chan.get_command() is not None
        self._read_only: set[object] = set()  # files opened where the session may only read
        self._fixed: set[tuple[int, int]] = set()
        #: Who what SFTP creates belongs to, when not the emulator's user: the home's owner.
        self._owner: tuple[int, int] | None = None
        self._user: tuple[int, int] | None = None
        home = view.to_host(view.home)
        tmp = view.to_host(view.tmp)
        for mapped in (home, tmp):
            if mapped is not None:
                self._remember_fixed(mapped[0])
        if home is not None:
            self._remember_fixed(os.path.dirname(home[0]))  # the sandbox's directory
            with contextlib.suppress(OSError, AttributeError):
                st = os.stat(home[0])
                if os.geteuid() == 0 and (st.st_uid, st.st_gid) != (0, 0):
                    self._owner = (st.st_uid, st.st_gid)
                if view.isolated:  # listings name the sandbox user as its shell does
                    self._user = (st.st_uid, st.st_gid)

    def _check_readable(self, st: os.stat_result) -> None:
        """Refuse what the sandbox's user could not read, where the session may only read.

        Isolated under a root emulator, the sandbox's user is another host user
        (``nobody``), while SFTP runs as root: without this, SFTP would read
        what the shell cannot (``/etc/shadow``). Otherwise SFTP runs as the
        sandbox user's own host user, and the system checks as for the shell.
        """
        if not self._view.isolated or os.geteuid() != 0:
            return
        uid, gid = sandbox_owner()
        if st.st_uid == uid:
            allowed = st.st_mode & stat.S_IRUSR
        elif st.st_gid == gid:
            allowed = st.st_mode & stat.S_IRGRP
        else:
            allowed = st.st_mode & stat.S_IROTH
        if not allowed:
            raise _error(errno.EACCES)

    def format_user(self, uid: int | None) -> str:
        if self._user is not None and uid == self._user[0]:
            return ISOLATED_USER
        return super().format_user(uid)

    def format_group(self, gid: int | None) -> str:
        if self._user is not None and gid == self._user[1]:
            return ISOLATED_USER
        return super().format_group(gid)

    def _remember_fixed(self, host: str) -> None:
        with contextlib.suppress(OSError):
            st = os.stat(host)
            self._fixed.add((st.st_dev, st.st_ino))

    # -- paths -------------------------------------------------------------------

    def _session_path(self, path: bytes) -> str:
        """``path`` as an absolute path of the session's (relative ones start at home)."""
        if b"\0" in path:
            raise _error(errno.ENOENT)
        text = os.fsdecode(path)
        if self._scp and (text == "~" or text.startswith("~/")):
            text = self._view.home + text[1:]
        if not text.startswith("/"):
            text = posixpath.join(self._view.home, text) if text else self._view.home
        return text

    @contextlib.contextmanager
    def _walk(self, path: bytes, *, follow: bool) -> Iterator[_Entry]:
        """Walk ``path`` (its last symlink followed if ``follow``), its directories held."""
        held: list[_Dir] = []
        try:
            yield self._resolve(self._session_path(path), follow, held)
        finally:
            for place in held:
                if place.fd is not None:
                    os.close(place.fd)

    def _resolve(self, path: str, follow: bool, held: list[_Dir]) -> _Entry:
        view = self._view
        root = view.to_host("/")
        if root is None:  # pragma: no cover - a session always sees "/"
            raise _error(errno.ENOENT)
        held.append(_Dir("/", os.open(root[0], _DIR), root[0]))
        pending = _parts(path)
        links = 0
        while pending:
            name = pending.pop()
            if name == "..":
                if len(held) > 1:
                    self._drop(held)
                continue
            parent = held[-1]
            here = posixpath.join(parent.path, name)
            last = not pending
            mapped = view.to_host(here)
            if mapped is None:  # hidden from sessions
                if last:
                    raise _error(errno.ENOENT)
                held.append(_Dir(here, None, None))
                continue
            host, writable = mapped
            if (
                parent.fd is None
                or parent.host is None
                or host != posixpath.join(parent.host, name)
            ):  # another mount (the home, the temporary directory): its own host directory
                fd = os.open(host, _DIR)
                held.append(_Dir(here, fd, host))
                if last:
                    return _Entry(here, fd, ".", host, writable)
                continue
            try:
                st = os.stat(name, dir_fd=parent.fd, follow_symlinks=False)
            except FileNotFoundError:
                if last:
                    return _Entry(here, parent.fd, name, host, writable)
                raise
            if stat.S_ISLNK(st.st_mode) and (follow or not last):
                links += 1
                if links > _MAX_LINKS:
                    raise _error(errno.ELOOP)
                target = os.fsdecode(os.readlink(name, dir_fd=parent.fd))
                if not target:
                    raise _error(errno.ENOENT)
                if target.startswith("/"):
                    while len(held) > 1:
                        self._drop(held)
                pending.extend(_parts(target))
                continue
            if last:
                return _Entry(here, parent.fd, name, host, writable)
            if not stat.S_ISDIR(st.st_mode):
                raise _error(errno.ENOTDIR)
            held.append(_Dir(here, os.open(name, _DIR, dir_fd=parent.fd), host))
        top = held[-1]
        if top.fd is None or top.host is None:
            raise _error(errno.ENOENT)
        mapped = view.to_host(top.path)
        return _Entry(top.path, top.fd, ".", top.host, mapped is not None and mapped[1])

    @staticmethod
    def _drop(held: list[_Dir]) -> None:
        place = held.pop()
        if place.fd is not None:
            os.close(place.fd)

    def _adopt(self, entry: _Entry, fd: int | None = None) -> None:
        """What SFTP made belongs to the sandbox user, as what its shell makes does.

        Only where the emulator runs as root and the home is another user's
        (an isolated sandbox user): files it made itself, in writable places.
        """
        owner = self._owner
        if owner is None or not entry.writable:
            return
        with contextlib.suppress(OSError):
            if fd is not None:
                if os.fstat(fd).st_uid == 0:
                    os.fchown(fd, *owner)
            elif os.stat(entry.name, dir_fd=entry.parent, follow_symlinks=False).st_uid == 0:
                os.chown(entry.name, *owner, dir_fd=entry.parent, follow_symlinks=False)

    def _changing(self, entry: _Entry) -> None:
        """Refuse to change ``entry`` where the session may only read, or a fixed directory."""
        if not entry.writable:
            raise _error(errno.EACCES)
        if entry.name == ".":
            raise _error(errno.EACCES)  # a directory reached as a whole: "/", home, tmp
        try:
            st = os.stat(entry.name, dir_fd=entry.parent, follow_symlinks=False)
        except FileNotFoundError:
            return
        if (st.st_dev, st.st_ino) in self._fixed:
            raise _error(errno.EACCES)

    @contextlib.contextmanager
    def _naming(self, path: bytes, path2: bytes | None = None) -> Iterator[None]:
        """An ``OSError`` in here names ``path`` (and ``path2``) as the client sent them."""
        try:
            yield
        except OSError as exc:
            if getattr(exc, _CLIENT_PATHS, False):
                raise
            strerror = exc.strerror or (os.strerror(exc.errno) if exc.errno else "failed")
            second = None if path2 is None else os.fsdecode(path2)
            error = OSError(exc.errno, strerror, os.fsdecode(path), None, second)
            setattr(error, _CLIENT_PATHS, True)
            raise error from None

    def map_path(self, path: bytes) -> bytes:
        """Not used: every operation walks its path (see the class)."""
        raise asyncssh.SFTPOpUnsupported("paths are walked, not mapped")

    # -- operations ----------------------------------------------------------------

    def realpath(self, path: bytes) -> bytes:
        with self._naming(path), self._walk(path, follow=True) as entry:
            return os.fsencode(entry.path)

    def stat(self, path: bytes) -> os.stat_result:
        with self._naming(path), self._walk(path, follow=True) as entry:
            return os.stat(entry.name, dir_fd=entry.parent, follow_symlinks=False)

    def lstat(self, path: bytes) -> os.stat_result:
        with self._naming(path), self._walk(path, follow=False) as entry:
            return os.stat(entry.name, dir_fd=entry.parent, follow_symlinks=False)

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        if pflags & asyncssh.FXF_EXCL:
            mode = "xb"
        elif pflags & asyncssh.FXF_APPEND:
            mode = "ab"
        elif pflags & asyncssh.FXF_WRITE and not pflags & asyncssh.FXF_READ:
            mode = "wb"
        else:
            mode = "rb"
        if pflags & asyncssh.FXF_READ and pflags & asyncssh.FXF_WRITE:
            mode += "+"
            flags = os.O_RDWR
        elif pflags & asyncssh.FXF_WRITE:
            flags = os.O_WRONLY
        else:
            flags = os.O_RDONLY
        for bit, flag in (
            (asyncssh.FXF_APPEND, os.O_APPEND),
            (asyncssh.FXF_CREAT, os.O_CREAT),
            (asyncssh.FXF_TRUNC, os.O_TRUNC),
            (asyncssh.FXF_EXCL, os.O_EXCL),
        ):
            if pflags & bit:
                flags |= flag
        return self._open(path, flags, mode, attrs, bool(pflags & _WRITES))

    def open56(
        self, path: bytes, desired_access: int, flags: int, attrs: asyncssh.SFTPAttrs
    ) -> object:
        reading = desired_access & asyncssh.ACE4_READ_DATA
        writing = desired_access & asyncssh.ACE4_WRITE_DATA
        open_flags = os.O_RDWR if reading and writing else os.O_WRONLY if writing else os.O_RDONLY
        disposition = flags & asyncssh.FXF_ACCESS_DISPOSITION
        changes = bool(writing)
        if disposition == asyncssh.FXF_CREATE_NEW:
            mode, open_flags, changes = "xb", open_flags | os.O_CREAT | os.O_EXCL, True
        elif disposition == asyncssh.FXF_CREATE_TRUNCATE:
            mode, open_flags, changes = "wb", open_flags | os.O_CREAT | os.O_TRUNC, True
        elif disposition == asyncssh.FXF_OPEN_OR_CREATE:
            mode, open_flags, changes = "wb", open_flags | os.O_CREAT, True
        elif disposition == asyncssh.FXF_TRUNCATE_EXISTING:
            mode, open_flags, changes = "wb", open_flags | os.O_TRUNC, True
        else:
            mode = "wb" if writing else "rb"
        if desired_access & asyncssh.ACE4_APPEND_DATA or flags & asyncssh.FXF_APPEND_DATA:
            mode, open_flags, changes = "ab", open_flags | os.O_APPEND, True
        if reading and writing:
            mode += "+"
        return self._open(path, open_flags, mode, attrs, changes)

    def _open(
        self, path: bytes, flags: int, mode: str, attrs: asyncssh.SFTPAttrs, changes: bool
    ) -> object:
        perms = 0o666 if attrs.permissions is None else attrs.permissions
        with self._naming(path), self._walk(path, follow=True) as entry:
            if changes and not entry.writable:
                raise _error(errno.EACCES)
            flags |= _O_NOFOLLOW | _O_CLOEXEC | _O_NONBLOCK
            fd = os.open(entry.name, flags, perms, dir_fd=entry.parent)
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    raise _error(errno.EINVAL, message="Not a regular file")
                if not entry.writable:
                    self._check_readable(st)
                os.set_blocking(fd, True)
                if changes:
                    self._adopt(entry, fd)
                file_obj = open(fd, mode, buffering=0)  # noqa: SIM115 - closed by close()
            except BaseException:
                os.close(fd)
                raise
        if not entry.writable:
            self._read_only.add(file_obj)
        return file_obj

    def close(self, file_obj: object) -> None:
        self._read_only.discard(file_obj)
        super().close(file_obj)

    def fsetstat(self, file_obj: object, attrs: asyncssh.SFTPAttrs) -> None:
        if file_obj in self._read_only:
            raise _error(errno.EACCES)
        super().fsetstat(file_obj, attrs)

    def setstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        with self._naming(path), self._walk(path, follow=True) as entry:
            self._set_attrs(entry, attrs)

    def lsetstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        with self._naming(path), self._walk(path, follow=False) as entry:
            self._set_attrs(entry, attrs)

    def _set_attrs(self, entry: _Entry, attrs: asyncssh.SFTPAttrs) -> None:
        if not entry.writable:
            raise _error(errno.EACCES)
        fd = os.open(entry.name, _ENTRY, dir_fd=entry.parent)
        try:
            st = os.fstat(fd)
            if stat.S_ISLNK(st.st_mode):
                raise asyncssh.SFTPOpUnsupported("the attributes of a symlink cannot be set")
            # The file the descriptor holds, by a path no rename can redirect (Linux);
            # elsewhere (no isolation there) its host path.
            where = f"{_PROC_FD}{fd}" if _O_PATH else entry.host
            if attrs.size is not None:
                os.truncate(where, attrs.size)
            if attrs.uid is not None and attrs.gid is not None:
                os.chown(where, attrs.uid, attrs.gid)
            if attrs.permissions is not None:
                os.chmod(where, stat.S_IMODE(attrs.permissions))
            if attrs.atime is not None or attrs.mtime is not None:
                atime = _ns(attrs.atime, attrs.atime_ns, st.st_atime_ns)
                mtime = _ns(attrs.mtime, attrs.mtime_ns, st.st_mtime_ns)
                os.utime(where, ns=(atime, mtime))
        finally:
            os.close(fd)

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        with self._naming(path):
            names = self._list(path)
        for name in names:
            yield name

    def _list(self, path: bytes) -> list[asyncssh.SFTPName]:
        from_local = asyncssh.SFTPAttrs.from_local
        with self._walk(path, follow=True) as entry:
            fd = os.open(
                entry.name, os.O_RDONLY | os.O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC,
                dir_fd=entry.parent,
            )  # fmt: skip
            try:
                if not entry.writable:
                    self._check_readable(os.fstat(fd))
                names = [
                    asyncssh.SFTPName(b".", attrs=from_local(os.fstat(fd))),
                    asyncssh.SFTPName(b"..", attrs=from_local(os.stat("..", dir_fd=fd))),
                ]
                with os.scandir(fd) as entries:
                    for item in entries:
                        st = self._listed(entry, item.name) or item.stat(follow_symlinks=False)
                        names.append(
                            asyncssh.SFTPName(os.fsencode(item.name), attrs=from_local(st))
                        )
            finally:
                os.close(fd)
        return names

    def _listed(self, entry: _Entry, name: str) -> os.stat_result | None:
        """The attributes of a mount listed in ``entry`` (the home, tmp), as a session sees it."""
        mapped = self._view.to_host(posixpath.join(entry.path, name))
        if mapped is None or mapped[0] == posixpath.join(entry.host, name):
            return None
        try:
            return os.stat(mapped[0])
        except OSError:
            return None

    def mkdir(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        mode = 0o777 if attrs.permissions is None else attrs.permissions
        with self._naming(path), self._walk(path, follow=False) as entry:
            if not entry.writable:
                raise _error(errno.EACCES)
            os.mkdir(entry.name, mode, dir_fd=entry.parent)
            self._adopt(entry)

    def remove(self, path: bytes) -> None:
        with self._naming(path), self._walk(path, follow=False) as entry:
            self._changing(entry)
            os.unlink(entry.name, dir_fd=entry.parent)

    def rmdir(self, path: bytes) -> None:
        with self._naming(path), self._walk(path, follow=False) as entry:
            self._changing(entry)
            os.rmdir(entry.name, dir_fd=entry.parent)

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._rename(oldpath, newpath, replace=False)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._rename(oldpath, newpath, replace=True)

    def _rename(self, oldpath: bytes, newpath: bytes, *, replace: bool) -> None:
        """SFTP's rename refuses an existing target; the POSIX one replaces it."""
        with (
            self._naming(oldpath, newpath),
            self._walk(oldpath, follow=False) as source,
            self._walk(newpath, follow=False) as target,
        ):
            self._changing(source)
            self._changing(target)
            if not replace:
                with contextlib.suppress(FileNotFoundError):
                    os.stat(target.name, dir_fd=target.parent, follow_symlinks=False)
                    raise asyncssh.SFTPFileAlreadyExists("file already exists")
            os.replace(source.name, target.name, src_dir_fd=source.parent, dst_dir_fd=target.parent)

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        """A hard link: both where the session may write (a read-only file stays so)."""
        with (
            self._naming(oldpath, newpath),
            self._walk(oldpath, follow=False) as source,
            self._walk(newpath, follow=False) as target,
        ):
            if not source.writable:
                raise _error(errno.EACCES)
            self._changing(target)
            os.link(
                source.name,
                target.name,
                src_dir_fd=source.parent,
                dst_dir_fd=target.parent,
                follow_symlinks=False,
            )

    def readlink(self, path: bytes) -> bytes:
        """The link's target as it is written (a path as the session sees it)."""
        with self._naming(path), self._walk(path, follow=False) as entry:
            return os.readlink(os.fsencode(entry.name), dir_fd=entry.parent)

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        """Link ``newpath`` to ``oldpath``: followed later as the session sees paths."""
        if b"\0" in oldpath:
            raise _error(errno.ENOENT, os.fsdecode(oldpath.replace(b"\0", b"")))
        with self._naming(newpath), self._walk(newpath, follow=False) as entry:
            self._changing(entry)
            os.symlink(oldpath, os.fsencode(entry.name), dir_fd=entry.parent)
            self._adopt(entry)

    def statvfs(self, path: bytes) -> os.statvfs_result:
        with self._naming(path), self._walk(path, follow=True) as entry:
            fd = os.open(entry.name, _ENTRY, dir_fd=entry.parent)
            try:
                return os.statvfs(fd)
            finally:
                os.close(fd)

    def exit(self) -> None:
        # Report success like OpenSSH's sftp-server: scp in SFTP mode checks it.
        with contextlib.suppress(Exception):
            self.channel.exit(0)


def _ns(seconds: int | None, nanoseconds: int | None, current: int) -> int:
    if seconds is None:
        return current
    return seconds * 1_000_000_000 + (nanoseconds or 0)
