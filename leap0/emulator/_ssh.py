"""The emulator's SSH server (asyncssh): password logins run commands locally.

Imported only when an emulator starts: it needs the ``emulator`` extra.
Each sandbox is a directory; a session runs ``/bin/sh -c COMMAND`` (or a shell)
there as the current user. That is convenience, not isolation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import struct
import sys
from collections.abc import Awaitable, Callable
from typing import Any, cast

import asyncssh

from ._state import SessionTarget, State

__all__ = ["MARK_VARIABLE", "SshService"]

log = logging.getLogger("leap0.emulator")

_CHUNK = 65536
# Makes the pty the controlling terminal of the new session, then runs the shell.
_CTTY_HELPER = (
    "import fcntl, os, sys, termios\n"
    "try:\n"
    "    fcntl.ioctl(0, termios.TIOCSCTTY, 0)\n"
    "except OSError:\n"
    "    pass\n"
    "os.execvp(sys.argv[1], sys.argv[1:])\n"
)
_CLIENT_ENV_PREFIXES = ("LC_",)
_CLIENT_ENV_NAMES = ("LANG",)
_CLIENT_ENV_MAX = 64
#: Set in every session's environment: ``<emulator>/<sandbox id>/<access id>``.
MARK_VARIABLE = "LEAP0_EMULATOR_SESSION"
_SWEEP_ROUNDS = 20

Process = asyncssh.SSHServerProcess[bytes]


class _ConnectionHandler(asyncssh.SSHServer):
    """Per-connection authentication: password only, checked against the state."""

    def __init__(self, service: SshService) -> None:
        self._service = service
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._service._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._service._forget(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def host_based_auth_supported(self) -> bool:
        return False

    def validate_password(self, username: str, password: str) -> bool:
        target = self._service.state.authenticate(username, password)
        if target is None or self._conn is None:
            return False
        self._service._register(self._conn, target)
        return True


class _SandboxSftp(asyncssh.SFTPServer):
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


class SshService:
    """asyncssh listener plus bookkeeping of live connections and sessions."""

    def __init__(self, state: State, *, host: str, port: int) -> None:
        self.state = state
        self.host = host
        self.requested_port = port
        self.port = 0
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connections: set[asyncssh.SSHServerConnection] = set()
        self._targets: dict[asyncssh.SSHServerConnection, SessionTarget] = {}
        self._by_sandbox: dict[str, set[asyncssh.SSHServerConnection]] = {}
        self._sessions: set[asyncio.Task[Any]] = set()
        self._children: set[asyncio.subprocess.Process] = set()
        self.host_public_key = ""
        # Marks the processes of this emulator's sessions (see _sweep).
        self._mark = secrets.token_hex(8)

    async def start(self) -> int:
        self._loop = asyncio.get_running_loop()
        host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.host_public_key = host_key.export_public_key("openssh").decode("ascii").strip()
        self._acceptor = await asyncssh.listen(
            self.host,
            self.port or self.requested_port,
            server_factory=lambda: _ConnectionHandler(self),
            server_host_keys=[host_key],
            process_factory=self._session,
            sftp_factory=self._sftp_server,
            encoding=None,
            line_editor=False,
            agent_forwarding=False,
            x11_forwarding=False,
            allow_scp=True,
            reuse_address=True,
            login_timeout=30,
        )
        self.port = self._acceptor.get_port()
        self.state.add_listener(self._access_ended)
        return self.port

    async def close(self) -> None:
        self.state.remove_listener(self._access_ended)
        if self._acceptor is not None:
            self._acceptor.close()
        connections = list(self._connections)
        for conn in connections:
            conn.close()
        for conn in connections:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.wait_closed(), timeout=2)
        if self._sessions:
            _, pending = await asyncio.wait(list(self._sessions), timeout=3)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1)
        for child in list(self._children):
            _kill_group(child)
        # What the sessions started outside their process groups, too.
        _sweep(f"{self._mark}/".encode(), [self.state.root])
        for child in list(self._children):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(child.wait(), timeout=2)
        if self._acceptor is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._acceptor.wait_closed(), timeout=2)
            self._acceptor = None

    # -- connection bookkeeping ----------------------------------------------

    def _register(self, conn: asyncssh.SSHServerConnection, target: SessionTarget) -> None:
        self._targets[conn] = target
        self._by_sandbox.setdefault(target.sandbox_id, set()).add(conn)

    def _forget(self, conn: asyncssh.SSHServerConnection) -> None:
        self._connections.discard(conn)
        target = self._targets.pop(conn, None)
        if target is not None:
            conns = self._by_sandbox.get(target.sandbox_id)
            if conns is not None:
                conns.discard(conn)
                if not conns:
                    del self._by_sandbox[target.sandbox_id]

    def _access_ended(self, sandbox_id: str, access_id: str | None) -> None:
        """State listener (any thread): close the connections that lost their access.

        Those logged in with credential ``access_id``, or all of the sandbox's
        when ``access_id`` is None.
        """
        # Now, before the sandbox's directory goes: its sessions' processes,
        # those that left their process groups included.
        if access_id is None:
            workdir = os.path.join(self.state.root, sandbox_id)
            _sweep(f"{self._mark}/{sandbox_id}/".encode(), [workdir])
        else:
            _sweep(f"{self._mark}/{sandbox_id}/{access_id}".encode(), [], exact=True)
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop stopped meanwhile
            loop.call_soon_threadsafe(self._close_sessions, sandbox_id, access_id)

    def _close_sessions(self, sandbox_id: str, access_id: str | None) -> None:
        for conn in list(self._by_sandbox.get(sandbox_id, ())):
            target = self._targets.get(conn)
            if access_id is None or (target is not None and target.access_id == access_id):
                conn.close()

    # -- sessions --------------------------------------------------------------

    def _sftp_server(self, chan: asyncssh.SSHServerChannel[bytes]) -> asyncssh.SFTPServer:
        """SFTP (and scp) confined to the sandbox's directory, which appears as ``/``."""
        conn = cast(asyncssh.SSHServerConnection, chan.get_connection())
        target = self._targets.get(conn)
        if target is None or not os.path.isdir(target.workdir):
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED, "the sandbox is gone")
        return _SandboxSftp(chan, target.workdir)

    async def _session(self, process: Process) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._sessions.add(task)
        try:
            await self._run_session(process)
        except Exception as exc:
            log.exception("SSH session failed")
            with contextlib.suppress(Exception):
                process.stderr.write(f"leap0 emulator: the session failed: {exc}\r\n".encode())
            _exit(process, 255)
        finally:
            if task is not None:
                self._sessions.discard(task)

    async def _run_session(self, process: Process) -> None:
        conn = process.get_extra_info("connection")
        target = self._targets.get(conn)
        if target is None or not self.state.sandbox_exists(target.sandbox_id):
            _exit(process, 255)
            return
        if process.subsystem is not None:
            process.stderr.write(f"subsystem {process.subsystem!r} is not supported\r\n".encode())
            _exit(process, 1)
            return
        if not os.path.isdir(target.workdir):
            _exit(process, 255)
            return
        env = _environment(target, process)
        env[MARK_VARIABLE] = f"{self._mark}/{target.sandbox_id}/{target.access_id}"
        if process.get_terminal_type() is not None:
            await self._run_on_pty(process, target, env)
        else:
            await self._run_on_pipes(process, target, env)

    async def _spawn(
        self, argv: list[str], target: SessionTarget, env: dict[str, str], **stdio: Any
    ) -> asyncio.subprocess.Process:
        child = await asyncio.create_subprocess_exec(
            *argv, cwd=target.workdir, env=env, start_new_session=True, **stdio
        )
        self._children.add(child)
        return child

    async def _finish(
        self,
        process: Process,
        child: asyncio.subprocess.Process,
        drain: Callable[[], Awaitable[Any]],
    ) -> None:
        """Wait for the child (or a closed channel), drain output, report status."""
        waiter = asyncio.ensure_future(child.wait())
        closed = asyncio.ensure_future(process.channel.wait_closed())
        try:
            await asyncio.wait({waiter, closed}, return_when=asyncio.FIRST_COMPLETED)
            if not waiter.done():
                _kill_group(child)
                await waiter
            else:
                drained = asyncio.ensure_future(drain())
                await asyncio.wait({drained, closed}, return_when=asyncio.FIRST_COMPLETED)
                if not drained.done():
                    drained.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await drained
        finally:
            for fut in (waiter, closed):
                if not fut.done():
                    fut.cancel()
            _kill_group(child)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await waiter
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await closed
            self._children.discard(child)
        returncode = child.returncode
        if returncode is None:  # pragma: no cover - waited above
            returncode = 255
        if returncode < 0:
            try:
                name = signal.Signals(-returncode).name[3:]
            except ValueError:
                name = "KILL"
            with contextlib.suppress(Exception):
                process.exit_with_signal(name)
        else:
            _exit(process, returncode)

    async def _run_on_pipes(
        self, process: Process, target: SessionTarget, env: dict[str, str]
    ) -> None:
        command = process.command
        argv = ["/bin/sh", "-c", command] if command is not None else ["/bin/sh"]
        pipe = asyncio.subprocess.PIPE
        child = await self._spawn(argv, target, env, stdin=pipe, stdout=pipe, stderr=pipe)
        assert child.stdin is not None
        assert child.stdout is not None
        assert child.stderr is not None
        stdin_writer = child.stdin

        async def feed() -> None:
            try:
                while True:
                    try:
                        data = await process.stdin.read(_CHUNK)
                    except asyncssh.SignalReceived as exc:
                        _signal_group(child.pid, exc.signal)
                        continue
                    except (asyncssh.TerminalSizeChanged, asyncssh.BreakReceived):
                        continue
                    if not data:
                        break
                    stdin_writer.write(data)
                    await stdin_writer.drain()
            except (OSError, asyncssh.Error):
                pass
            finally:
                with contextlib.suppress(OSError):
                    stdin_writer.close()

        async def pump(reader: asyncio.StreamReader, writer: asyncssh.SSHWriter[bytes]) -> None:
            broken = False
            while True:
                data = await reader.read(_CHUNK)
                if not data:
                    return
                if broken:
                    continue
                try:
                    writer.write(data)
                    await writer.drain()
                except (OSError, asyncssh.Error):
                    broken = True

        feeder = asyncio.ensure_future(feed())
        pumps = asyncio.gather(
            pump(child.stdout, process.stdout), pump(child.stderr, process.stderr)
        )
        try:
            await self._finish(process, child, lambda: pumps)
        finally:
            feeder.cancel()
            if not pumps.done():
                pumps.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await feeder
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pumps
            with contextlib.suppress(OSError):
                stdin_writer.close()

    async def _run_on_pty(
        self, process: Process, target: SessionTarget, env: dict[str, str]
    ) -> None:
        import fcntl
        import termios

        loop = asyncio.get_running_loop()
        command = process.command
        term = process.get_terminal_type() or "xterm"
        env["TERM"] = term
        shell = env.get("SHELL") or "/bin/sh"
        inner = ["/bin/sh", "-c", command] if command is not None else [shell, "-i"]
        argv = [sys.executable, "-I", "-S", "-c", _CTTY_HELPER, *inner]

        master, slave = os.openpty()
        try:
            _set_winsize(fcntl, termios, master, process.get_terminal_size())
            child = await self._spawn(argv, target, env, stdin=slave, stdout=slave, stderr=slave)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        os.set_blocking(master, False)
        eof: asyncio.Future[None] = loop.create_future()

        def readable() -> None:
            try:
                data = os.read(master, _CHUNK)
            except BlockingIOError:
                return
            except OSError:  # EIO once the last slave descriptor is closed
                data = b""
            if not data:
                loop.remove_reader(master)
                if not eof.done():
                    eof.set_result(None)
                return
            with contextlib.suppress(Exception):
                process.stdout.write(data)

        async def write_master(data: bytes) -> None:
            view = memoryview(data)
            while view:
                try:
                    written = os.write(master, view)
                except BlockingIOError:
                    ready: asyncio.Future[None] = loop.create_future()
                    loop.add_writer(master, _resolve_once, ready)
                    try:
                        await ready
                    finally:
                        loop.remove_writer(master)
                    continue
                view = view[written:]

        async def feed() -> None:
            try:
                while True:
                    try:
                        data = await process.stdin.read(_CHUNK)
                    except asyncssh.TerminalSizeChanged as exc:
                        size = (exc.width, exc.height, exc.pixwidth, exc.pixheight)
                        with contextlib.suppress(OSError):
                            _set_winsize(fcntl, termios, master, size)
                        continue
                    except asyncssh.SignalReceived as exc:
                        with contextlib.suppress(OSError):
                            _signal_group(os.tcgetpgrp(master), exc.signal)
                        continue
                    except asyncssh.BreakReceived:
                        continue
                    if not data:
                        break
                    await write_master(data)
            except (OSError, asyncssh.Error):
                pass

        async def drain() -> None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(eof), timeout=1)

        loop.add_reader(master, readable)
        feeder = asyncio.ensure_future(feed())
        try:
            await self._finish(process, child, drain)
        finally:
            feeder.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await feeder
            loop.remove_reader(master)
            loop.remove_writer(master)
            os.close(master)
            if not eof.done():
                eof.cancel()


def _resolve_once(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _environment(target: SessionTarget, process: Process) -> dict[str, str]:
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


def _set_winsize(fcntl: Any, termios: Any, fd: int, size: tuple[int, int, int, int]) -> None:
    width, height, pixwidth, pixheight = size
    if width and height:
        packed = struct.pack("HHHH", height, width, pixwidth, pixheight)
        fcntl.ioctl(fd, termios.TIOCSWINSZ, packed)


def _signal_group(pgid: int, name: str) -> None:
    signum = getattr(signal, "SIG" + name.upper(), None)
    if isinstance(signum, int) and pgid > 0:
        with contextlib.suppress(OSError):
            os.killpg(pgid, signum)


def _sweep(mark: bytes, workdirs: list[str], *, exact: bool = False) -> None:
    """Kill this user's processes marked ``mark`` or working in one of ``workdirs``.

    A session's processes carry ``LEAP0_EMULATOR_SESSION=<emulator>/<sandbox>/<access>``
    in their environment, and so do their descendants unless one clears or
    replaces its environment; a process without the mark is still found while
    its working directory is inside one of ``workdirs``. ``mark`` is a prefix
    of the variable's value, or the whole value when ``exact``.

    Linux only (it reads ``/proc``); elsewhere it does nothing, and only the
    sessions' process groups are killed. Found processes are stopped first, and
    the scan repeated until it finds no new one, so that none can fork away
    between a scan and its kill; then all are killed.
    """
    if not os.path.isdir("/proc/self"):
        return
    needle = MARK_VARIABLE.encode() + b"=" + mark
    dirs = [os.path.realpath(os.fsencode(d)) for d in workdirs]
    me, uid = os.getpid(), os.getuid()
    found: set[int] = set()
    for _ in range(_SWEEP_ROUNDS):
        new = [pid for pid in _user_pids(uid) if pid != me and pid not in found]
        new = [pid for pid in new if _marked(pid, needle, exact) or _works_in(pid, dirs)]
        if not new:
            break
        for pid in new:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGSTOP)
        found.update(new)
    for pid in found:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    if found:
        log.debug("killed %d process(es) left by SSH sessions", len(found))


def _user_pids(uid: int) -> list[int]:
    pids = []
    with contextlib.suppress(OSError), os.scandir("/proc") as entries:
        for entry in entries:
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if entry.stat().st_uid == uid:
                        pids.append(int(entry.name))
    return pids


def _marked(pid: int, needle: bytes, exact: bool) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            environ = handle.read()
    except OSError:
        return False
    for entry in environ.split(b"\0"):
        if entry == needle or (not exact and entry.startswith(needle)):
            return True
    return False


def _works_in(pid: int, dirs: list[bytes]) -> bool:
    if not dirs:
        return False
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd".encode())
    except OSError:
        return False
    return any(cwd == d or cwd.startswith(d + b"/") for d in dirs)


def _kill_group(child: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(OSError):
        os.killpg(child.pid, signal.SIGKILL)


def _exit(process: Process, status: int) -> None:
    with contextlib.suppress(Exception):
        process.exit(status)
