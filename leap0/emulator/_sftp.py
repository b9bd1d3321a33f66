"""The emulator's SFTP server: the sandbox's directory as ``/``, checked on every operation.

Imported only when an emulator starts: it needs the ``emulator`` extra.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncssh

__all__ = ["SandboxSftp"]

#: Marks an error whose file names are the client's already.
_CLIENT_PATHS = "leap0_client_paths"

#: The operations that name paths, whose errors must name them as the client does.
_PATH_OPERATIONS = (
    "open",
    "open56",
    "lstat",
    "stat",
    "setstat",
    "lsetstat",
    "scandir",
    "remove",
    "mkdir",
    "rmdir",
    "realpath",
    "rename",
    "posix_rename",
    "readlink",
    "symlink",
    "link",
    "statvfs",
)


class SandboxSftp(asyncssh.SFTPServer):
    """SFTP with the sandbox's directory as ``/``, checked on every operation.

    asyncssh's ``chroot`` maps client paths lexically and then lets the system
    follow symlinks wherever they point. Here every path is resolved (all
    symlinks followed, as the operation would) and refused unless it stays in
    the sandbox's directory. Operations on an entry itself (``lstat``,
    ``remove``, ``rename``, ``rmdir``, ``readlink``, the new name of a link)
    resolve its parent directory and leave the last name as is. Each check and
    its operation run without yielding to the event loop, so another SFTP
    request cannot slip in between; a shell session (or any other program of
    the user) still can, which is why this confines SFTP, not the user.

    An operation's error names its paths as the client sees them (``/dir/file``),
    never the emulator's host directory: scp (which reports an error's file
    name) and SFTP clients see only the sandbox.
    """

    def __init__(self, chan: asyncssh.SSHServerChannel[bytes], root: str) -> None:
        super().__init__(chan, chroot=os.fsencode(root))
        self._root = os.path.realpath(os.fsencode(root))

    def _inside(self, local: bytes) -> bool:
        return local == self._root or local.startswith(self._root + b"/")

    def _lexical(self, path: bytes) -> bytes:
        """``path`` under the sandbox's directory, ``.`` and ``..`` applied as text."""
        if b"\0" in path:
            raise asyncssh.SFTPNoSuchFile("no such file")
        return os.path.normpath(super().map_path(path))

    def _check(self, local: bytes) -> bytes:
        if not self._inside(local):
            raise asyncssh.SFTPPermissionDenied("the path leads out of the sandbox")
        return local

    def map_path(self, path: bytes) -> bytes:
        """The local path of ``path`` with every symlink resolved, if it stays inside."""
        return self._check(os.path.realpath(self._lexical(path)))

    def _map_entry(self, path: bytes) -> bytes:
        """The local path of the entry ``path`` names itself: a last symlink is not followed."""
        local = self._lexical(path)
        if local == self._root:
            return local
        parent, name = os.path.split(local)
        return os.path.join(self._check(os.path.realpath(parent)), name)

    def _map_child(self, path: bytes) -> bytes:
        """Like :meth:`_map_entry`, for operations that may not touch the root itself."""
        local = self._map_entry(path)
        if local == self._root:
            raise asyncssh.SFTPPermissionDenied("the sandbox's directory itself cannot change")
        return local

    def lstat(self, path: bytes) -> os.stat_result:
        return os.lstat(self._map_entry(path))

    def lsetstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        if os.path.islink(self._map_entry(path)):
            raise asyncssh.SFTPOpUnsupported("the attributes of a symlink cannot be set")
        super().setstat(path, attrs)  # not a link: the same as following it

    def remove(self, path: bytes) -> None:
        os.remove(self._map_child(path))

    def rmdir(self, path: bytes) -> None:
        os.rmdir(self._map_child(path))

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        source, target = self._map_child(oldpath), self._map_child(newpath)
        if os.path.lexists(target):
            raise asyncssh.SFTPFileAlreadyExists("file already exists")
        os.rename(source, target)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        os.replace(self._map_child(oldpath), self._map_child(newpath))

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        os.link(self.map_path(oldpath), self._map_child(newpath), follow_symlinks=False)

    def readlink(self, path: bytes) -> bytes:
        """The link's target as a path inside the sandbox, if it stays inside."""
        local = self._map_entry(path)
        target = os.readlink(local)
        resolved = os.path.realpath(os.path.join(os.path.dirname(local), target))
        return self.reverse_map_path(self._check(resolved))

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        """Link ``newpath`` to ``oldpath`` (absolute: in the sandbox) if it stays inside."""
        local = self._map_child(newpath)
        target = self._lexical(oldpath) if oldpath.startswith(b"/") else oldpath
        self._check(os.path.realpath(os.path.join(os.path.dirname(local), target)))
        os.symlink(target, local)

    def exit(self) -> None:
        # Report success like OpenSSH's sftp-server: scp in SFTP mode checks it.
        with contextlib.suppress(Exception):
            self.channel.exit(0)

    def client_error(self, exc: OSError) -> OSError:
        """``exc`` with its file names as the client sees them (dropped unless inside)."""
        if getattr(exc, _CLIENT_PATHS, False) or (exc.filename is None and exc.filename2 is None):
            return exc
        strerror = exc.strerror or (os.strerror(exc.errno) if exc.errno else "failed")
        filename, filename2 = self._client_name(exc.filename), self._client_name(exc.filename2)
        error = OSError(exc.errno, strerror, filename, None, filename2)
        setattr(error, _CLIENT_PATHS, True)  # an operation calling another: name them once
        return error

    def _client_name(self, filename: object) -> bytes | None:
        if not isinstance(filename, (str, bytes)):
            return None
        local = os.fsencode(filename)
        if not self._inside(local):
            return None  # never a path of the host
        return self.reverse_map_path(local)


def _naming_client_paths(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method``, its ``OSError`` s naming paths as the client sees them."""
    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        async def scan(self: SandboxSftp, *args: Any) -> AsyncIterator[Any]:
            try:
                async for item in method(self, *args):
                    yield item
            except OSError as exc:
                raise self.client_error(exc) from None

        return scan

    @functools.wraps(method)
    def call(self: SandboxSftp, *args: Any) -> Any:
        try:
            return method(self, *args)
        except OSError as exc:
            raise self.client_error(exc) from None

    return call


for _name in _PATH_OPERATIONS:
    setattr(SandboxSftp, _name, _naming_client_paths(getattr(SandboxSftp, _name)))
del _name
