"""Floods of connections that never authenticate do not lock real clients out.

The emulator runs in a process of its own whose file-descriptor limit is far
below the flood (as another user's emulator would be, to whoever floods it):
only bounding the connections that have not authenticated keeps it serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import logging
import os
import resource
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leap0 import Leap0Client
from leap0.emulator import Emulator
from leap0.emulator._accept import quiet_accept_errors
from leap0.emulator._burst import BurstLog
from leap0.emulator._waiting import WaitingRoom
from tests._support import ssh_run

from ._helpers import make_client

#: Idle connections opened to each of the two ports.
FLOOD = 500
#: The emulator process's file-descriptor limit: below the two floods together (which
#: an emulator without a bound would hold), above what a bounded one needs (two waiting
#: rooms of the default 256 connections, and the rest).
EMULATOR_FD_LIMIT = 800
#: What the test process needs for the flood's client ends and everything else.
OWN_FD_NEED = 2 * FLOOD + 256

_LAUNCH = """
import resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (int(sys.argv[1]), hard))
from leap0.emulator._cli import main
sys.exit(main(sys.argv[2:]))
"""


@contextlib.contextmanager
def _descriptors(needed: int) -> Iterator[None]:
    """Raise this process's soft descriptor limit to ``needed`` (at most the hard one)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"the descriptor limit ({hard}) is too low for the flood")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _exports(proc: subprocess.Popen[bytes]) -> dict[str, str]:
    """The ``export NAME=value`` lines the emulator prints once it listens."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while buffer.count(b"\n") < 2:
            if not selector.select(30):
                raise AssertionError(f"the emulator printed nothing; got {buffer!r}")
            chunk = os.read(fd, 4096)
            if not chunk:
                raise AssertionError(f"the emulator exited early; got {buffer!r}")
            buffer += chunk
    lines = buffer.decode().splitlines()[:2]
    return dict(line.removeprefix("export ").partition("=")[::2] for line in lines)


@contextlib.contextmanager
def _emulator(stderr: Path) -> Iterator[tuple[str, str]]:
    """``leap0 emulator`` in its own process, stderr to a file: (base URL, API key)."""
    with open(stderr, "wb") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, str(EMULATOR_FD_LIMIT), "--api-key", "flood-key"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
    try:
        env = _exports(proc)
        yield env["LEAP0_BASE_URL"], env["LEAP0_API_KEY"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()


def _flood(port: int, held: list[socket.socket]) -> int:
    """Open up to ``FLOOD`` connections to ``port`` that send nothing, into ``held``.

    Stops early when one cannot connect (a server no longer accepting); returns how
    many it opened.
    """
    for opened in range(FLOOD):
        try:
            held.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        except TimeoutError:
            return opened
    return FLOOD


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed ``sock`` (after what it sent, such as an SSH banner).

    Waits at most 10 seconds of silence for the close.
    """
    sock.settimeout(10)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def test_idle_floods_on_both_ports_neither_lock_out_clients_nor_spill_tracebacks() -> None:
    held: list[socket.socket] = []
    with tempfile.TemporaryDirectory() as tmp, _descriptors(OWN_FD_NEED):
        stderr = Path(tmp) / "stderr.txt"
        began = time.monotonic()
        try:
            with _emulator(stderr) as (base_url, api_key):
                with Leap0Client(api_key=api_key, base_url=base_url, max_retries=0) as client:
                    sandbox = client.sandboxes.create()
                    access = sandbox.ssh.create_access()
                api_port = int(base_url.rsplit(":", 1)[1])
                flooded = (_flood(api_port, held), _flood(access.port, held))
                # A new client, and a new SSH login, are served.
                with Leap0Client(
                    api_key=api_key, base_url=base_url, max_retries=0, timeout=20
                ) as fresh:
                    assert fresh.sandboxes.get(sandbox.id).id == sandbox.id
                    assert fresh.ssh.validate_access(
                        sandbox, access_id=access.id, password=access.password
                    ).valid
                status, out = ssh_run(
                    access.host, access.port, access.id, access.password, "echo served"
                )
                assert (status, out) == (0, "served\n")
                assert flooded == (FLOOD, FLOOD)
                # The oldest idle connections were closed to make room.
                oldest = held[:100] + held[FLOOD : FLOOD + 100]
                assert all(_closed_by_server(sock) for sock in oldest)
        finally:
            for sock in held:
                sock.close()
        elapsed = time.monotonic() - began
        text = stderr.read_text(errors="replace")
    assert "Traceback" not in text, text[:4000]
    lines = text.splitlines()
    closing = [line for line in lines if "max_unauthenticated" in line]
    assert closing, text[:4000]
    # At most one line a second for each port, and little else.
    assert len(closing) <= 2 * (elapsed + 2), text[:4000]
    assert len(lines) - len(closing) <= 10, text[:4000]


# -- the parts, one by one ----------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_log_writes_one_line_a_second_with_the_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = _Clock()
    burst = BurstLog(
        logging.getLogger("leap0.emulator"), "closed %d of %d", lambda: (9,), clock=clock
    )
    with caplog.at_level(logging.WARNING, logger="leap0.emulator"):
        for _ in range(500):
            burst.note()
        clock.now += 1.0
        burst.note()
        burst.note()
        burst.flush()
        burst.flush()
    assert [record.getMessage() for record in caplog.records] == [
        "closed 1 of 9",
        "closed 500 of 9",
        "closed 1 of 9",
    ]
    assert all(record.exc_info is None for record in caplog.records)


def test_the_waiting_room_closes_the_oldest_beyond_its_limit() -> None:
    closed: list[int] = []
    room = WaitingRoom(lambda: 3, BurstLog(logging.getLogger("leap0.test"), "%d"))
    for number in range(6):
        room.enter(number, functools.partial(closed.append, number))
    assert (closed, len(room)) == ([0, 1, 2], 3)
    room.leave(4)  # authenticated: no longer waits, never closed for room
    room.enter(6, lambda: closed.append(6))
    room.enter(7, lambda: closed.append(7))
    assert (closed, len(room)) == ([0, 1, 2, 3], 3)
    room.leave(99)  # unknown: nothing happens


async def test_failed_accepts_are_logged_as_bursts_without_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    quiet_accept_errors(loop)
    try:
        with caplog.at_level(logging.DEBUG):
            for _ in range(300):
                loop.call_exception_handler(
                    {
                        "message": "socket.accept() out of system resource",
                        "exception": OSError(errno.EMFILE, "Too many open files"),
                    }
                )
            accepts = [r for r in caplog.records if "accept" in r.getMessage()]
            assert len(accepts) == 1
            assert accepts[0].exc_info is None
            assert "Too many open files" in accepts[0].getMessage()
            caplog.clear()
            loop.call_exception_handler({"message": "something else", "exception": KeyError("x")})
            assert [r.getMessage() for r in caplog.records] == ["something else"]
    finally:
        loop.set_exception_handler(previous)


def test_the_limit_is_a_setting_and_applies_at_once(emu: Emulator, api: httpx.Client) -> None:
    assert emu.settings.max_unauthenticated == 256
    response = api.post("/_emulator/config", json={"max_unauthenticated": 8})
    assert response.json()["max_unauthenticated"] == 8
    held: list[socket.socket] = []
    try:
        for port in (emu.api_port, emu.ssh_port):
            mine = [socket.create_connection((emu.ssh_host, port), timeout=10) for _ in range(20)]
            held += mine
            assert all(_closed_by_server(sock) for sock in mine[:12])
        # Waiting ones are closed as new ones come: the control routes still answer.
        with make_client(emu) as fresh:
            assert fresh.post("/_emulator/reset").status_code == 204
    finally:
        for sock in held:
            sock.close()
    assert emu.settings.max_unauthenticated == 256
