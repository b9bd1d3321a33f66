"""Running an SSH session's command in the sandbox's directory: on pipes, or on a pty.

Imported only when an emulator starts: it needs the ``emulator`` extra.
A session runs ``/bin/sh -c COMMAND`` (or a shell) as the current user, in a
process group of its own; that is convenience, not isolation.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import struct
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import asyncssh

from ._reaper import kill_group, signal_group
from ._state import SessionTarget

__all__ = ["PipeSession", "Process", "PtySession", "environment", "exit_with"]

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

Process = asyncssh.SSHServerProcess[bytes]


def environment(target: SessionTarget, process: Process) -> dict[str, str]:
    """The session's environment: a few of the server's, the client's locale, ``env_vars``."""
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


def exit_with(process: Process, status: int) -> None:
    """End the session with ``status``, if the channel is still there to tell."""
    with contextlib.suppress(Exception):
        process.exit(status)


class _Session:
    """One session's child process: started in the sandbox's directory, waited for, reported.

    ``children`` is the server's set of live children (killed when it stops);
    each child is in it from its start until it has been waited for.
    """

    def __init__(
        self,
        process: Process,
        workdir: str,
        env: dict[str, str],
        children: set[asyncio.subprocess.Process],
    ) -> None:
        self.process = process
        self.workdir = workdir
        self.env = env
        self.children = children

    async def _spawn(self, argv: list[str], **stdio: Any) -> asyncio.subprocess.Process:
        child = await asyncio.create_subprocess_exec(
            *argv, cwd=self.workdir, env=self.env, start_new_session=True, **stdio
        )
        self.children.add(child)
        return child

    async def _finish(
        self, child: asyncio.subprocess.Process, drain: Callable[[], Awaitable[Any]]
    ) -> None:
        """Wait for the child (or a closed channel), drain output, report status."""
        process = self.process
        waiter = asyncio.ensure_future(child.wait())
        closed = asyncio.ensure_future(process.channel.wait_closed())
        try:
            await asyncio.wait({waiter, closed}, return_when=asyncio.FIRST_COMPLETED)
            if not waiter.done():
                kill_group(child)
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
            kill_group(child)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await waiter
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await closed
            self.children.discard(child)
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
            exit_with(process, returncode)


class PipeSession(_Session):
    """A session without a terminal: the child's stdin, stdout and stderr are pipes."""

    async def run(self) -> None:
        command = self.process.command
        argv = ["/bin/sh", "-c", command] if command is not None else ["/bin/sh"]
        pipe = asyncio.subprocess.PIPE
        child = await self._spawn(argv, stdin=pipe, stdout=pipe, stderr=pipe)
        assert child.stdin is not None
        assert child.stdout is not None
        assert child.stderr is not None
        feeder = asyncio.ensure_future(self._feed(child, child.stdin))
        pumps = asyncio.gather(
            self._pump(child.stdout, self.process.stdout),
            self._pump(child.stderr, self.process.stderr),
        )
        try:
            await self._finish(child, lambda: pumps)
        finally:
            feeder.cancel()
            if not pumps.done():
                pumps.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await feeder
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pumps
            with contextlib.suppress(OSError):
                child.stdin.close()

    async def _feed(self, child: asyncio.subprocess.Process, stdin: asyncio.StreamWriter) -> None:
        """The client's input to the child's stdin; signals to its process group."""
        try:
            while True:
                try:
                    data = await self.process.stdin.read(_CHUNK)
                except asyncssh.SignalReceived as exc:
                    signal_group(child.pid, exc.signal)
                    continue
                except (asyncssh.TerminalSizeChanged, asyncssh.BreakReceived):
                    continue
                if not data:
                    break
                stdin.write(data)
                await stdin.drain()
        except (OSError, asyncssh.Error):
            pass
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncssh.SSHWriter[bytes]) -> None:
        """The child's output to the client, read to the end even once the client is gone."""
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


class PtySession(_Session):
    """A session with a terminal: the child runs on a new pty, which is its controlling tty.

    The pty's master side is read whenever it is readable (output goes to the
    client), written as it accepts (the client's input), resized on the
    client's window changes; signals go to the terminal's foreground group.
    """

    _loop: asyncio.AbstractEventLoop
    _master: int  # the pty's master side, while the session runs
    _eof: asyncio.Future[None]  # done once the master has nothing more to read

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._eof = self._loop.create_future()
        process = self.process
        self.env["TERM"] = process.get_terminal_type() or "xterm"
        command = process.command
        shell = self.env.get("SHELL") or "/bin/sh"
        inner = ["/bin/sh", "-c", command] if command is not None else [shell, "-i"]
        argv = [sys.executable, "-I", "-S", "-c", _CTTY_HELPER, *inner]
        self._master, slave = os.openpty()
        try:
            self._resize(process.get_terminal_size())
            child = await self._spawn(argv, stdin=slave, stdout=slave, stderr=slave)
        except BaseException:
            os.close(self._master)
            raise
        finally:
            os.close(slave)
        os.set_blocking(self._master, False)
        self._loop.add_reader(self._master, self._readable)
        feeder = asyncio.ensure_future(self._feed())
        try:
            await self._finish(child, self._drain)
        finally:
            feeder.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await feeder
            self._loop.remove_reader(self._master)
            self._loop.remove_writer(self._master)
            os.close(self._master)
            if not self._eof.done():
                self._eof.cancel()

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
            data = os.read(self._master, _CHUNK)
        except BlockingIOError:
            return
        except OSError:  # EIO once the last slave descriptor is closed
            data = b""
        if not data:
            self._loop.remove_reader(self._master)
            if not self._eof.done():
                self._eof.set_result(None)
            return
        with contextlib.suppress(Exception):
            self.process.stdout.write(data)

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
                    data = await self.process.stdin.read(_CHUNK)
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
        """Wait (a second at most) for the output still in the pty after the child exited."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._eof), timeout=1)


def _resolve_once(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
