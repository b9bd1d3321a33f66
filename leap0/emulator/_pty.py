"""A session with a terminal: the child runs on a new pty, which is its controlling tty.

Imported only when an emulator starts: it needs the ``emulator`` extra.
The server holds the pty's master side, read and written through the event
loop (``add_reader``/``add_writer``), and the child's pidfd (:mod:`._child`):
a session costs its connection's socket and those two, and no thread. The
master is read only while the client takes the output: while more than
:data:`HIGH_WATER` bytes wait in the channel for the client, the master is
not read (the child blocks once the pty's own buffer is full) until the
channel drains (asyncssh's ``drain()``), so the emulator's memory stays
bounded whatever a session writes to a client that does not read.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import struct
import sys
from typing import Any

import asyncssh

from ._child import Child
from ._isolation import openpty
from ._reaper import signal_group
from ._session import CHUNK, Session, login_argv

__all__ = ["HIGH_WATER", "PtySession"]

# Makes the pty the controlling terminal of the new session, then runs the shell.
_CTTY_HELPER = (
    "import fcntl, os, sys, termios\n"
    "try:\n"
    "    fcntl.ioctl(0, termios.TIOCSCTTY, 0)\n"
    "except OSError:\n"
    "    pass\n"
    "os.execvp(sys.argv[1], sys.argv[1:])\n"
)
#: How long the output still in the pty is read after the child exited, not counting
#: the time spent waiting for the client to take what it was sent.
_DRAIN = 1.0
#: The most bytes waiting in the channel for the client before the pty is no longer read.
HIGH_WATER = 65536


class PtySession(Session):
    """A session with a terminal: the child runs on a new pty, which is its controlling tty.

    The pty's master side is read whenever it is readable (output goes to the
    client), written as it accepts (the client's input), resized on the
    client's window changes; signals go to the terminal's foreground group.
    """

    _loop: asyncio.AbstractEventLoop
    _master: int  # the pty's master side, while the session runs
    _eof: asyncio.Future[None]  # done once the master has nothing more to read
    _reading: asyncio.Event  # set while the master is read (the client takes the output)
    _stalled: asyncio.Event  # set while it is not: the channel waits for the client
    _resumer: asyncio.Future[None] | None  # waits for the channel to drain, while stalled

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._eof = self._loop.create_future()
        self._reading, self._stalled = asyncio.Event(), asyncio.Event()
        self._resumer = None
        process = self.process
        with contextlib.suppress(Exception):
            process.channel.set_write_buffer_limits(high=HIGH_WATER)
        if self.view.isolated:  # a pty of the sandbox's own /dev/pts (see _isolation.openpty)
            target = self.target
            self._master, slave, tty = openpty(workdir=target.workdir, sandbox_id=target.sandbox_id)
        else:
            self._master, slave = os.openpty()
            tty = os.ttyname(slave)
        try:
            env = self._environment(tty=tty)
            inner = self._inside(login_argv(self.shell, process.command), env)
            # The helper runs before any namespace launcher: the pty is the session's tty.
            argv = [sys.executable, "-I", "-S", "-c", _CTTY_HELPER, *inner]
            self._resize(process.get_terminal_size())
            child = self._spawn(argv, env, stdin=slave, stdout=slave, stderr=slave)
        except BaseException:
            os.close(self._master)
            raise
        finally:
            os.close(slave)
        os.set_blocking(self._master, False)
        self._start_reading()
        feeder = asyncio.ensure_future(self._feed())
        try:
            await self._finish(child)
        finally:
            feeder.cancel()
            for task in (feeder, self._resumer):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
            self._loop.remove_reader(self._master)
            self._loop.remove_writer(self._master)
            os.close(self._master)
            if not self._eof.done():
                self._eof.cancel()
        self._report(child)

    async def _finish(self, child: Child) -> None:
        """Wait for the child (or a closed channel), then for the output still in the pty."""
        waiter = asyncio.ensure_future(child.wait())
        closed = asyncio.ensure_future(self.process.channel.wait_closed())
        try:
            await asyncio.wait({waiter, closed}, return_when=asyncio.FIRST_COMPLETED)
            if not waiter.done():
                child.kill_group()
                await waiter
            else:
                drained = asyncio.ensure_future(self._drain())
                await asyncio.wait({drained, closed}, return_when=asyncio.FIRST_COMPLETED)
                if not drained.done():
                    drained.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await drained
        finally:
            for fut in (waiter, closed):
                if not fut.done():
                    fut.cancel()
            child.kill_group()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await child.wait()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await closed
            self.children.discard(child)

    def _resize(self, size: tuple[int, int, int, int]) -> None:
        import fcntl
        import termios

        width, height, pixwidth, pixheight = size
        if width and height:
            packed = struct.pack("HHHH", height, width, pixwidth, pixheight)
            fcntl.ioctl(self._master, termios.TIOCSWINSZ, packed)

    def _readable(self) -> None:
        """The master is readable: pass the output on, or note the end of it."""
        try:
            data = os.read(self._master, CHUNK)
        except BlockingIOError:
            return
        except OSError:  # EIO once the last slave descriptor is closed
            data = b""
        if not data:
            self._stop_reading()
            if not self._eof.done():
                self._eof.set_result(None)
            return
        try:
            self.process.stdout.write(data)
            waiting = self.process.channel.get_write_buffer_size()
        except Exception:  # the channel is closing: the session ends with it
            return
        if waiting > HIGH_WATER:
            self._stop_reading()
            self._resumer = asyncio.ensure_future(self._resume())

    def _start_reading(self) -> None:
        self._loop.add_reader(self._master, self._readable)
        self._stalled.clear()
        self._reading.set()

    def _stop_reading(self) -> None:
        self._loop.remove_reader(self._master)
        self._reading.clear()
        self._stalled.set()

    async def _resume(self) -> None:
        """Read the master again once the client took what waits in the channel."""
        try:
            await self.process.stdout.drain()
        except Exception:  # the channel closed: the session ends with it
            return
        if not self._eof.done():
            self._start_reading()

    async def _write(self, data: bytes) -> None:
        """Write all of ``data`` to the master, waiting while the pty's buffer is full."""
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._master, view)
            except BlockingIOError:
                ready: asyncio.Future[None] = self._loop.create_future()
                self._loop.add_writer(self._master, _resolve_once, ready)
                try:
                    await ready
                finally:
                    self._loop.remove_writer(self._master)
                continue
            view = view[written:]

    async def _feed(self) -> None:
        """The client's input, window changes and signals, until its input ends."""
        try:
            while True:
                try:
                    data = await self.process.stdin.read(CHUNK)
                except asyncssh.TerminalSizeChanged as exc:
                    with contextlib.suppress(OSError):
                        self._resize((exc.width, exc.height, exc.pixwidth, exc.pixheight))
                    continue
                except asyncssh.SignalReceived as exc:
                    with contextlib.suppress(OSError):
                        signal_group(os.tcgetpgrp(self._master), exc.signal)
                    continue
                except asyncssh.BreakReceived:
                    continue
                if not data:
                    break
                await self._write(data)
        except (OSError, asyncssh.Error):
            pass

    async def _drain(self) -> None:
        """Wait for the output still in the pty after the child exited.

        A second at most of reading it, not counting the time the client takes
        to read what it was sent (a process left holding the pty open, with or
        without output, does not keep the session open).
        """
        budget = _DRAIN
        while not self._eof.done() and budget > 0:
            stalled = self._stalled.is_set()
            change = asyncio.ensure_future((self._reading if stalled else self._stalled).wait())
            started = self._loop.time()
            either: set[asyncio.Future[Any]] = {self._eof, change}
            try:
                await asyncio.wait(
                    either,
                    timeout=None if stalled else budget,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                change.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await change
            if not stalled:
                budget -= self._loop.time() - started


def _resolve_once(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
