"""The emulator's SFTP server: the sandbox's directory as ``/``, checked on every operation.

Imported only when an emulator starts: it needs the ``emulator`` extra.
"""

from __future__ import annotations

import contextlib
import os

import asyncssh

__all__ = ["SandboxSftp"]


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
