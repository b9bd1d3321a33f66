"""No forwarding is served: ``ssh -L``, ``-D``, ``-W`` are "administratively prohibited", ``-R`` refused."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from leap0.emulator import Emulator

from ._helpers import ssh_login
from ._openssh import OpenSsh, needs

TIMEOUT = 10.0


async def test_asyncssh_direct_connections_are_administratively_prohibited(
    emu: Emulator, access: dict[str, Any]
) -> None:
    async with await ssh_login(emu.ssh_host, emu.ssh_port, access, TIMEOUT) as conn:
        with pytest.raises(asyncssh.ChannelOpenError) as tcp:
            await asyncio.wait_for(conn.open_connection("127.0.0.1", emu.api_port), TIMEOUT)
        assert tcp.value.code == asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED
        assert "not served" in tcp.value.reason
        with pytest.raises(asyncssh.ChannelOpenError) as unix:
            await asyncio.wait_for(conn.open_unix_connection("/run/any.sock"), TIMEOUT)
        assert unix.value.code == asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED
        # The connection still serves sessions.
        result = await asyncio.wait_for(conn.run("echo still"), TIMEOUT)
        assert result.stdout == "still\n"


async def test_asyncssh_local_forward_is_refused_per_connection(
    emu: Emulator, access: dict[str, Any]
) -> None:
    async with await ssh_login(emu.ssh_host, emu.ssh_port, access, TIMEOUT) as conn:
        listener = await conn.forward_local_port("127.0.0.1", 0, "127.0.0.1", emu.api_port)
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", listener.get_port())
            # The forwarded connection is closed at once: the channel was refused.
            assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""
            writer.close()
        finally:
            listener.close()


async def test_asyncssh_remote_forward_is_refused(emu: Emulator, access: dict[str, Any]) -> None:
    async with await ssh_login(emu.ssh_host, emu.ssh_port, access, TIMEOUT) as conn:
        with pytest.raises(asyncssh.ChannelListenError):
            await asyncio.wait_for(
                conn.forward_remote_port("127.0.0.1", 0, "127.0.0.1", 9), TIMEOUT
            )
        with pytest.raises(asyncssh.ChannelListenError):
            await asyncio.wait_for(
                conn.forward_remote_path("/tmp/leap0-forward.sock", "/tmp/x.sock"), TIMEOUT
            )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _listening(port: int, ssh: subprocess.Popen[str]) -> None:
    """Wait until ``ssh`` listens on ``port`` (or has exited)."""
    while ssh.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)


#: OpenSSH logs a refused channel at level INFO.
INFO = ("-o", "LogLevel=INFO")


def _background_ssh(openssh: OpenSsh, *options: str) -> subprocess.Popen[str]:
    argv = [*openssh.ssh_argv(*INFO, "-N", *options), openssh.login]
    return subprocess.Popen(
        argv,
        env=openssh.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(ssh: subprocess.Popen[str]) -> str:
    """End ``ssh``; what it wrote to stderr.

    SIGTERM again while it runs: ssh's loop may miss one that arrives just
    before it waits (then it sleeps in poll() until something else happens).
    """
    for _ in range(10):
        ssh.terminate()
        try:
            return ssh.communicate(timeout=1)[1]
        except subprocess.TimeoutExpired:
            continue
    ssh.kill()
    return ssh.communicate()[1]


@needs("ssh")
def test_openssh_dash_l_is_administratively_prohibited(
    emu: Emulator, access: dict[str, Any], tmp_path: Path
) -> None:
    openssh = OpenSsh(emu, access, tmp_path)
    port = _free_port()
    ssh = _background_ssh(openssh, "-L", f"127.0.0.1:{port}:127.0.0.1:{emu.api_port}")
    try:
        _listening(port, ssh)
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as client:
            client.settimeout(TIMEOUT)
            assert client.recv(1024) == b""  # closed: the channel was refused
    finally:
        err = _stop(ssh)
    assert "administratively prohibited" in err, err


@needs("ssh")
def test_openssh_dash_d_is_administratively_prohibited(
    emu: Emulator, access: dict[str, Any], tmp_path: Path
) -> None:
    openssh = OpenSsh(emu, access, tmp_path)
    port = _free_port()
    ssh = _background_ssh(openssh, "-D", f"127.0.0.1:{port}")
    try:
        _listening(port, ssh)
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as client:
            client.settimeout(TIMEOUT)
            client.sendall(b"\x05\x01\x00")  # SOCKS5, no authentication
            assert client.recv(2) == b"\x05\x00"
            target = emu.api_port.to_bytes(2, "big")
            client.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + target)  # CONNECT 127.0.0.1
            reply = client.recv(1024)
            assert reply[:2] != b"\x05\x00"  # no success: empty (closed) or an error reply
    finally:
        err = _stop(ssh)
    assert "administratively prohibited" in err, err


@needs("ssh")
def test_openssh_dash_w_is_administratively_prohibited(
    emu: Emulator, access: dict[str, Any], tmp_path: Path
) -> None:
    openssh = OpenSsh(emu, access, tmp_path)
    result = subprocess.run(
        [*openssh.ssh_argv(*INFO, "-W", f"127.0.0.1:{emu.api_port}"), openssh.login],
        env=openssh.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 255
    assert "administratively prohibited" in result.stderr, result.stderr


@needs("ssh")
def test_openssh_dash_r_is_refused(emu: Emulator, access: dict[str, Any], tmp_path: Path) -> None:
    openssh = OpenSsh(emu, access, tmp_path)
    result = subprocess.run(
        [
            *openssh.ssh_argv("-N", "-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:9"),
            openssh.login,
        ],
        env=openssh.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 255
    # A listener's refusal carries no reason in the protocol: this is what ssh says of any.
    assert "remote port forwarding failed" in result.stderr, result.stderr
