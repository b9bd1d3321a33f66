"""The emulator's SSH server (asyncssh): password logins with issued credentials.

Imported only when an emulator starts: it needs the ``emulator`` extra.
This module keeps the listener, the logged-in connections and the sessions'
bookkeeping; a session's command runs in :mod:`._session`, SFTP is
:mod:`._sftp`, and what sessions leave behind is ended by :mod:`._reaper`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import threading
from typing import Any, cast

import asyncssh

from ._burst import BurstLog
from ._reaper import MARK_VARIABLE, kill_group, sweep
from ._session import PipeSession, Process, PtySession, environment, exit_with
from ._sftp import SandboxSftp
from ._state import SessionTarget, State
from ._waiting import WaitingRoom

__all__ = ["MARK_VARIABLE", "SshService"]

log = logging.getLogger("leap0.emulator")

#: How long a thread that ended SSH access waits for the server to close the sessions.
_CLOSE_WAIT = 5.0
#: How long a connection has to log in.
_LOGIN_TIMEOUT = 30


class _ConnectionHandler(asyncssh.SSHServer):
    """Per-connection authentication: password only, checked against the state."""

    def __init__(self, service: SshService) -> None:
        self._service = service
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._service._connections.add(conn)
        self._service.waiting.enter(conn, conn.abort)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._service._forget(self._conn)

    def auth_completed(self) -> None:
        if self._conn is not None:
            self._service.waiting.leave(self._conn)

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


class SshService:
    """asyncssh listener plus bookkeeping of live connections and sessions.

    Connections that have not logged in wait in :attr:`waiting`: at most
    ``max_unauthenticated`` of them, the oldest closed to make room for more.

    Args:
        state: Where logins are checked; its listeners tell when access ends.
        sock: The bound listening socket (``state.ssh`` names its address).
    """

    def __init__(self, state: State, sock: socket.socket) -> None:
        self.state = state
        self._sock = sock
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._connections: set[asyncssh.SSHServerConnection] = set()
        self._targets: dict[asyncssh.SSHServerConnection, SessionTarget] = {}
        self._by_sandbox: dict[str, set[asyncssh.SSHServerConnection]] = {}
        self._sessions: set[asyncio.Task[Any]] = set()
        self._children: set[asyncio.subprocess.Process] = set()
        self.waiting = WaitingRoom(
            lambda: state.settings.max_unauthenticated,
            BurstLog(
                log,
                "closed %d SSH connection(s) that had not logged in: more than %d were "
                "waiting to log in (max_unauthenticated)",
                lambda: (state.settings.max_unauthenticated,),
            ),
        )
        self.host_public_key = ""
        # Marks the processes of this emulator's sessions (see _reaper.sweep).
        self._mark = secrets.token_hex(8)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.host_public_key = host_key.export_public_key("openssh").decode("ascii").strip()
        self._acceptor = await asyncssh.listen(
            sock=self._sock,
            server_factory=lambda: _ConnectionHandler(self),
            server_host_keys=[host_key],
            process_factory=self._session,
            sftp_factory=self._sftp_server,
            encoding=None,
            line_editor=False,
            agent_forwarding=False,
            x11_forwarding=False,
            allow_scp=True,
            login_timeout=_LOGIN_TIMEOUT,
        )
        self.state.add_listener(self._access_ended)

    async def close(self) -> None:
        self.state.remove_listener(self._access_ended)
        if self._acceptor is not None:
            self._acceptor.close()
        self.waiting.close()
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
            kill_group(child)
        # What the sessions started outside their process groups, too.
        sweep(f"{self._mark}/".encode(), [self.state.root])
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
        self.waiting.leave(conn)
        target = self._targets.pop(conn, None)
        if target is not None:
            conns = self._by_sandbox.get(target.sandbox_id)
            if conns is not None:
                conns.discard(conn)
                if not conns:
                    del self._by_sandbox[target.sandbox_id]

    def _access_ended(self, sandbox_id: str, access_id: str | None) -> None:
        """State listener (any thread): end the sessions that lost their access.

        Those logged in with credential ``access_id``, or all of the sandbox's
        when ``access_id`` is None (it timed out or is being deleted, or a
        reset). Their processes are killed before this returns, and their
        connections are closed: at once on the server's own thread, and from
        another thread before this returns too (waiting at most a few seconds).
        """
        # Now, before the sandbox's directory goes: its sessions' processes,
        # those that left their process groups included.
        if access_id is None:
            workdir = os.path.join(self.state.root, sandbox_id)
            sweep(f"{self._mark}/{sandbox_id}/".encode(), [workdir])
        else:
            sweep(f"{self._mark}/{sandbox_id}/{access_id}".encode(), [], exact=True)
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread:
            self._close_sessions(sandbox_id, access_id)
            return
        closed = threading.Event()

        def close() -> None:
            try:
                self._close_sessions(sandbox_id, access_id)
            finally:
                closed.set()

        try:
            loop.call_soon_threadsafe(close)
        except RuntimeError:  # the loop stopped meanwhile
            return
        closed.wait(_CLOSE_WAIT)

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
        if target is None or not self.state.session_allowed(target):
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED, "the sandbox is gone")
        if not os.path.isdir(target.workdir):
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED, "the sandbox is gone")
        return SandboxSftp(chan, target.workdir)

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
            exit_with(process, 255)
        finally:
            if task is not None:
                self._sessions.discard(task)

    async def _run_session(self, process: Process) -> None:
        conn = process.get_extra_info("connection")
        target = self._targets.get(conn)
        if target is None or not self.state.session_allowed(target):
            exit_with(process, 255)
            return
        if process.subsystem is not None:
            process.stderr.write(f"subsystem {process.subsystem!r} is not supported\r\n".encode())
            exit_with(process, 1)
            return
        if not os.path.isdir(target.workdir):
            exit_with(process, 255)
            return
        env = environment(target, process)
        env[MARK_VARIABLE] = f"{self._mark}/{target.sandbox_id}/{target.access_id}"
        kind = PtySession if process.get_terminal_type() is not None else PipeSession
        await kind(process, target.workdir, env, self._children).run()
