"""The emulator's SSH server (asyncssh): password logins with issued credentials.

Imported only when an emulator starts: it needs the ``emulator`` extra.
It serves sessions (commands, shells, SFTP, scp) and no forwarding of any kind.
This module keeps the listener, the logged-in connections and the sessions'
bookkeeping; a session's command runs in :mod:`._pipes` or :mod:`._pty`, SFTP
is :mod:`._sftp`, and what sessions leave behind is ended by :mod:`._reaper`,
in one sweep for whatever one call to the state ended (a reset's thousands of
sandboxes included), and in none while no session has started a process.
Where sessions are isolated (:mod:`._isolation`), a sandbox's processes end
with its PID namespace instead, without a sweep; only a deleted credential's
are still swept for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import threading
from collections.abc import Sequence
from typing import Any, NoReturn, cast

import asyncssh

from ._burst import BurstLog
from ._child import Child
from ._isolation import View, end, end_under, sandbox_owner
from ._pipes import PipeSession
from ._pty import PtySession
from ._reaper import MARK_VARIABLE, sweep
from ._session import Process, exit_with, prepare_home
from ._sftp import SandboxSftp
from ._state import Ended, SessionTarget, State
from ._waiting import WaitingRoom

__all__ = ["MARK_VARIABLE", "SshService"]

log = logging.getLogger("leap0.emulator")

#: How long a thread that ended SSH access waits for the server to close the sessions.
_CLOSE_WAIT = 5.0
#: How long a connection has to log in.
_LOGIN_TIMEOUT = 30
#: Why a forwarding request is refused (the client shows "administratively prohibited: ...").
_NO_FORWARDING = "port forwarding is not served by the leap0 emulator"


def _sandbox_uids() -> tuple[int, ...]:
    """The host uids an isolated session's processes run as (the sandbox user's)."""
    return (sandbox_owner()[0],)


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

    # No forwarding of any kind (-L, -D, -W, -R, Unix sockets, tun/tap), as sshd
    # refuses it with "AllowTcpForwarding no": channels are administratively prohibited,
    # listeners (-R) refused (the protocol's answer to a listener carries no reason).

    def connection_requested(
        self, dest_host: str, dest_port: int, orig_host: str, orig_port: int
    ) -> NoReturn:
        raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, _NO_FORWARDING)

    def unix_connection_requested(self, dest_path: str) -> NoReturn:
        raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, _NO_FORWARDING)

    def tun_requested(self, unit: int | None) -> NoReturn:
        raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, _NO_FORWARDING)

    def tap_requested(self, unit: int | None) -> NoReturn:
        raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, _NO_FORWARDING)

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        log.debug("refused a remote port forwarding request (-R): not served")
        return False

    def unix_server_requested(self, listen_path: str) -> bool:
        log.debug("refused a remote Unix socket forwarding request: not served")
        return False


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
        self._children: set[Child] = set()
        # Whether a session ever started a process here (until then nothing needs a sweep).
        self._spawned = False
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
            child.kill_group()
        # What the sessions started outside their process groups, too: isolated, all
        # that is in the sandboxes' PID namespaces, which end with their init.
        if self._isolated_sessions():
            end_under(self.state.root)
        elif self._spawned:
            sweep(self._mark, self.state.root)
        for child in list(self._children):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(child.wait(), timeout=2)
        if self._acceptor is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._acceptor.wait_closed(), timeout=2)
            self._acceptor = None

    # -- connection bookkeeping ----------------------------------------------

    def _isolated_sessions(self) -> bool:
        return self.state.settings.isolation_in_force == "namespaces"

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

    def _access_ended(self, ended: Sequence[Ended]) -> None:
        """State listener (any thread): end the sessions that lost their access.

        Those logged in with each ``(sandbox, access)`` credential of
        ``ended``, or all of a sandbox's when its access is None (it timed out
        or is being deleted, or a reset). Their processes are killed before
        this returns, in one sweep for the whole batch, and their connections
        are closed: at once on the server's own thread, and from another
        thread before this returns too (waiting at most a few seconds).
        """
        # Now, before the sandboxes' directories go: their sessions' processes,
        # those that left their process groups included. Isolated, a whole sandbox's
        # end with its PID namespace (no sweep); one credential's are swept for.
        whole = {sandbox_id for sandbox_id, access_id in ended if access_id is None}
        if self._isolated_sessions():
            end(os.path.join(self.state.root, sandbox_id) for sandbox_id in whole)
        if self._spawned:
            single = [(s, a) for s, a in ended if a is not None and s not in whole]
            if self._isolated_sessions():
                if single:
                    sweep(self._mark, self.state.root, (), single, uids=_sandbox_uids())
            else:
                sweep(self._mark, self.state.root, whole, single)
        by_sandbox = self._by_sandbox
        live = [(s, a) for s, a in ended if s in by_sandbox]
        if not live:
            return
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread:
            self._close_sessions(live)
            return
        closed = threading.Event()

        def close() -> None:
            try:
                self._close_sessions(live)
            finally:
                closed.set()

        try:
            loop.call_soon_threadsafe(close)
        except RuntimeError:  # the loop stopped meanwhile
            return
        closed.wait(_CLOSE_WAIT)

    def _close_sessions(self, ended: Sequence[Ended]) -> None:
        for sandbox_id, access_id in ended:
            for conn in list(self._by_sandbox.get(sandbox_id, ())):
                target = self._targets.get(conn)
                if access_id is None or (target is not None and target.access_id == access_id):
                    conn.close()

    # -- sessions --------------------------------------------------------------

    def view(self, target: SessionTarget) -> View:
        """The filesystem as the sessions of ``target``'s sandbox see it (isolated or not)."""
        isolated = self.state.settings.isolation_in_force == "namespaces"
        return View.for_sandbox(target.workdir, isolated)

    def _sftp_server(self, chan: asyncssh.SSHServerChannel[bytes]) -> asyncssh.SFTPServer:
        """SFTP (and scp) on the filesystem the sandbox's shell sessions see."""
        conn = cast(asyncssh.SSHServerConnection, chan.get_connection())
        target = self._targets.get(conn)
        if target is None or not self.state.session_allowed(target):
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED, "the sandbox is gone")
        view = self.view(target)
        if not prepare_home(view):
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED, "the sandbox is gone")
        return SandboxSftp(chan, view)

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
        view = self.view(target)
        if not prepare_home(view):
            exit_with(process, 255)
            return
        mark = (MARK_VARIABLE, f"{self._mark}/{target.sandbox_id}/{target.access_id}")
        kind = PtySession if process.get_terminal_type() is not None else PipeSession
        self._spawned = True  # before its process starts: a sweep from now on looks for it
        await kind(process, target, view, mark, self._children).run()
