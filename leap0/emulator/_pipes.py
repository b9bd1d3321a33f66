"""A session without a terminal: its child's stdin and stdout on one socket, stderr on another.

Imported only when an emulator starts: it needs the ``emulator`` extra.
As OpenSSH's ``sshd`` does where it uses socket pairs, the child's standard
input and output are the two directions of one socketpair, so the server
holds two file descriptors for a session's three streams: the client's end
of input shuts down the socket's one direction, the child's output is read
from the other. The child is waited for (a pidfd, :mod:`._child`) once its
output ended and those two are closed, so a session never holds more than
its connection's socket and two. Output is read only as the client takes
it: each chunk waits for the channel's buffer to drain (asyncssh's
``drain()``) before the next is read, so a client that stops reading holds
up the child, and the emulator's memory stays bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

import asyncssh

from ._child import Child
from ._reaper import signal_group
from ._session import CHUNK, Session, login_argv

__all__ = ["PipeSession"]


class PipeSession(Session):
    """A session without a terminal: the child's stdio are sockets, read and written as ready."""

    async def run(self) -> None:
        env = self._environment()
        argv = self._inside(login_argv(self.shell, self.process.command), env)
        io_ours, io_theirs = socket.socketpair()
        err_ours, err_theirs = socket.socketpair()
        try:
            child = self._spawn(argv, env, stdin=io_theirs, stdout=io_theirs, stderr=err_theirs)
        except BaseException:
            io_ours.close()
            err_ours.close()
            raise
        finally:
            io_theirs.close()
            err_theirs.close()
        closed = asyncio.ensure_future(self.process.channel.wait_closed())
        try:
            await self._serve(child, io_ours, err_ours, closed)
            exited = asyncio.ensure_future(child.wait())
            await asyncio.wait({exited, closed}, return_when=asyncio.FIRST_COMPLETED)
            if not exited.done():  # the client left while the child runs on
                child.kill_group()
            await exited
        finally:
            closed.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await closed
            # What the child left running in its group; then wait for it, if not yet.
            child.kill_group()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await child.wait()
            self.children.discard(child)
        self._report(child)

    async def _serve(
        self,
        child: Child,
        io_ours: socket.socket,
        err_ours: socket.socket,
        closed: asyncio.Future[None],
    ) -> None:
        """Move the streams until the child's output ends or the client leaves; close ours."""
        try:
            out, writer = await asyncio.open_unix_connection(sock=io_ours)
        except BaseException:
            io_ours.close()
            err_ours.close()
            raise
        try:
            err, err_writer = await asyncio.open_unix_connection(sock=err_ours)
        except BaseException:
            writer.close()
            err_ours.close()
            raise
        feeder = asyncio.ensure_future(self._feed(child, writer))
        pumps = asyncio.gather(
            self._pump(out, self.process.stdout), self._pump(err, self.process.stderr)
        )
        try:
            either: set[asyncio.Future[Any]] = {pumps, closed}
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            if not pumps.done():  # the client left first
                child.kill_group()
        finally:
            feeder.cancel()
            pumps.cancel()
            for task in (feeder, pumps):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            for stream in (writer, err_writer):
                stream.close()
            for stream in (writer, err_writer):
                with contextlib.suppress(OSError):
                    await stream.wait_closed()

    async def _feed(self, child: Child, stdin: asyncio.StreamWriter) -> None:
        """The client's input to the child's stdin; signals to its process group."""
        try:
            while True:
                try:
                    data = await self.process.stdin.read(CHUNK)
                except asyncssh.SignalReceived as exc:
                    signal_group(child.pid, exc.signal)
                    continue
                except (asyncssh.TerminalSizeChanged, asyncssh.BreakReceived):
                    continue
                if not data:
                    break
                stdin.write(data)
                await stdin.drain()
            stdin.write_eof()  # the child reads the end of its input; its output goes on
        except (OSError, asyncssh.Error):
            pass

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncssh.SSHWriter[bytes]) -> None:
        """The child's output to the client, read to the end even once the client is gone."""
        broken = False
        while True:
            data = await reader.read(CHUNK)
            if not data:
                return
            if broken:
                continue
            try:
                writer.write(data)
                await writer.drain()
            except (OSError, asyncssh.Error):
                broken = True
