"""Logging in to the emulator's SSH server with issued credentials (asyncssh, OpenSSH)."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import asyncssh
import httpx
import pytest

from leap0.emulator import Emulator

from ._helpers import create_access, create_sandbox

TIMEOUT = 10.0


async def connect(
    emu: Emulator, username: str, password: str | None, **kwargs: Any
) -> asyncssh.SSHClientConnection:
    options: dict[str, Any] = {
        "known_hosts": None,
        "client_keys": None,
        "agent_path": None,
        "config": None,
        "preferred_auth": "password",
        "connect_timeout": TIMEOUT,
    }
    options.update(kwargs)
    return await asyncio.wait_for(
        asyncssh.connect(
            emu.ssh_host, emu.ssh_port, username=username, password=password, **options
        ),
        TIMEOUT,
    )


async def run(
    emu: Emulator, access: dict[str, Any], command: str | None, **kwargs: Any
) -> asyncssh.SSHCompletedProcess:
    async with await connect(emu, access["id"], access["password"]) as conn:
        return await asyncio.wait_for(conn.run(command, **kwargs), TIMEOUT)


async def test_echo(emu: Emulator, access: dict[str, Any]) -> None:
    result = await run(emu, access, "echo hi")
    assert (result.stdout, result.stderr, result.exit_status) == ("hi\n", "", 0)


def _sandbox_dir(emu: Emulator, sandbox_id: str) -> Path:
    """The sandbox's directory on the host: its home is ``home`` in it, its /tmp ``tmp``."""
    assert emu._root is not None
    return Path(emu._root) / sandbox_id


async def test_runs_in_the_sandbox_home(
    emu: Emulator, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    result = await run(emu, access, 'pwd; echo "$HOME"; echo here > here.txt')
    cwd, home = result.stdout.splitlines()
    assert cwd == home
    assert (_sandbox_dir(emu, sandbox["id"]) / "home" / "here.txt").read_text() == "here\n"


async def test_exit_status_stderr_and_stdin(emu: Emulator, access: dict[str, Any]) -> None:
    failed = await run(emu, access, "echo oops >&2; exit 7")
    assert (failed.exit_status, failed.stderr) == (7, "oops\n")
    echoed = await run(emu, access, "tr a-z A-Z", input="hello\n")
    assert echoed.stdout == "HELLO\n"


async def test_killed_by_signal_is_reported(emu: Emulator, access: dict[str, Any]) -> None:
    result = await run(emu, access, "kill -TERM $$")
    assert result.exit_status == -1
    assert result.exit_signal is not None
    assert result.exit_signal[0] == "TERM"


async def test_shell_without_command_reads_stdin(emu: Emulator, access: dict[str, Any]) -> None:
    result = await run(emu, access, None, input="echo from-stdin\nexit 3\n")
    assert (result.stdout, result.exit_status) == ("from-stdin\n", 3)


async def test_env_vars(emu: Emulator, api: httpx.Client) -> None:
    sandbox = create_sandbox(api, env_vars={"GREETING": "hello world", "EDITOR": "ed"})
    access = create_access(api, sandbox["id"])
    result = await run(
        emu, access, 'printf "%s|%s|%s" "$GREETING" "$EDITOR" "$LANG"', env={"LANG": "C"}
    )
    assert result.stdout == "hello world|ed|C"
    # A sandbox's env_vars are applied last, so they may even set HOME.
    custom = create_sandbox(api, env_vars={"HOME": "/custom-home"})
    result = await run(emu, create_access(api, custom["id"]), 'echo "$HOME"; pwd; touch here')
    home, cwd = result.stdout.splitlines()
    assert home == "/custom-home"
    assert cwd != home  # the session still starts in the sandbox's home
    assert (_sandbox_dir(emu, custom["id"]) / "home" / "here").exists()


async def test_files_persist_within_a_sandbox_only(emu: Emulator, api: httpx.Client) -> None:
    first = create_access(api, create_sandbox(api)["id"])
    second = create_access(api, create_sandbox(api)["id"])
    await run(emu, first, "echo kept > note.txt")
    assert (await run(emu, first, "cat note.txt")).stdout == "kept\n"
    assert (await run(emu, second, "test -e note.txt")).exit_status == 1


async def test_pty_command_and_interactive_shell(emu: Emulator, access: dict[str, Any]) -> None:
    result = await run(emu, access, "tty; echo $TERM", term_type="xterm", term_size=(80, 24))
    tty, term = result.stdout.replace("\r", "").splitlines()
    assert tty.startswith("/dev/")
    assert term == "xterm"

    async with await connect(emu, access["id"], access["password"]) as conn:
        process = await conn.create_process(term_type="vt100", term_size=(100, 30))
        process.stdin.write("stty size; echo $((6 * 7))\n")
        output = ""
        # The answer's own line: the prompt holds the sandbox id, which may hold "42".
        while "\n42\r" not in output:
            output += await asyncio.wait_for(process.stdout.read(1024), TIMEOUT)
        process.change_terminal_size(120, 40)
        process.stdin.write("stty size\nexit 5\n")
        await asyncio.wait_for(process.wait_closed(), TIMEOUT)
        output += await process.stdout.read()
        assert "30 100" in output
        assert "40 120" in output
        assert process.exit_status == 5


async def test_wrong_passwords_and_users_are_refused(emu: Emulator, access: dict[str, Any]) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(emu, access["id"], access["password"] + "x")
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(emu, "ssh-0000000000000000", access["password"])


async def test_public_key_auth_is_refused(emu: Emulator, access: dict[str, Any]) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(emu, access["id"], None, client_keys=[key], preferred_auth="publickey")


async def test_refused_after_regen_with_old_password(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    new = api.post(f"/v1/sandbox/{sandbox['id']}/ssh/regen").json()
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(emu, access["id"], access["password"])
    assert (await run(emu, new, "echo ok")).stdout == "ok\n"


async def test_refused_after_expiry(emu: Emulator, api: httpx.Client) -> None:
    access = create_access(api, create_sandbox(api, timeout=28800)["id"])
    assert (await run(emu, access, "true")).exit_status == 0
    emu.advance(3600)
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(emu, access["id"], access["password"])


async def test_a_live_session_outlives_its_credentials_expiry(
    emu: Emulator, api: httpx.Client
) -> None:
    access = create_access(api, create_sandbox(api, timeout=28800)["id"])
    async with await connect(emu, access["id"], access["password"]) as conn:
        emu.advance(3600)
        result = await asyncio.wait_for(conn.run("echo still here"), TIMEOUT)
    assert result.stdout == "still here\n"


async def test_the_sandbox_timeout_ends_sessions_and_logins(
    emu: Emulator, api: httpx.Client
) -> None:
    sandbox = create_sandbox(api, timeout=60)
    access = create_access(api, sandbox["id"])
    await run(emu, access, "echo kept > disk.txt")
    await _session_ends_when(emu, access, lambda: emu.advance(61))
    assert api.get(f"/v1/sandbox/{sandbox['id']}").json()["state"] == "stopped"
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(emu, access["id"], access["password"])
    # A stopped sandbox keeps its disk.
    assert (_sandbox_dir(emu, sandbox["id"]) / "home" / "disk.txt").read_text() == "kept\n"


async def test_the_sandbox_timeout_over_http_ends_sessions(
    emu: Emulator, api: httpx.Client
) -> None:
    sandbox = create_sandbox(api, timeout=60, auto_pause=True)
    access = create_access(api, sandbox["id"])
    advance = {"advance": 61}
    await _session_ends_when(emu, access, lambda: api.post("/_emulator/clock", json=advance))
    assert api.get(f"/v1/sandbox/{sandbox['id']}").json()["state"] == "paused"


async def test_no_login_while_the_sandbox_is_starting(emu: Emulator, api: httpx.Client) -> None:
    emu.configure(start_delay=30)
    sandbox = create_sandbox(api)
    assert sandbox["state"] == "starting"
    access = create_access(api, sandbox["id"])
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(emu, access["id"], access["password"])
    emu.advance(30)
    assert (await run(emu, access, "echo up")).stdout == "up\n"


async def test_refused_after_access_or_sandbox_delete(emu: Emulator, api: httpx.Client) -> None:
    sandbox = create_sandbox(api)
    access = create_access(api, sandbox["id"])
    assert api.delete(f"/v1/sandbox/{sandbox['id']}/ssh/access").status_code == 204
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(emu, access["id"], access["password"])
    access = create_access(api, sandbox["id"])
    assert api.delete(f"/v1/sandbox/{sandbox['id']}").status_code == 204
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(emu, access["id"], access["password"])


async def _session_ends_when(emu: Emulator, access: dict[str, Any], end: Any) -> None:
    """Start a session that never ends by itself, call ``end()``, wait for it to be closed.

    A session still open ``TIMEOUT`` seconds after ``end()`` fails the test.
    """
    conn = await connect(emu, access["id"], access["password"])
    try:
        process = await conn.create_process("echo started; exec sleep 100000")
        assert await asyncio.wait_for(process.stdout.readline(), TIMEOUT) == "started\n"
        end()
        await asyncio.wait_for(conn.wait_closed(), TIMEOUT)
        process.close()
    finally:
        conn.close()
        await conn.wait_closed()


async def test_deleting_the_sandbox_ends_live_sessions(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    assert _sandbox_dir(emu, sandbox["id"]).is_dir()
    await _session_ends_when(emu, access, lambda: api.delete(f"/v1/sandbox/{sandbox['id']}"))
    assert not _sandbox_dir(emu, sandbox["id"]).exists()


async def test_deleting_the_credential_ends_live_sessions(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    await _session_ends_when(
        emu, access, lambda: api.delete(f"/v1/sandbox/{sandbox['id']}/ssh/{access['id']}")
    )


async def test_reset_ends_live_sessions(
    emu: Emulator, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    assert _sandbox_dir(emu, sandbox["id"]).is_dir()
    await _session_ends_when(emu, access, emu.reset)
    assert not _sandbox_dir(emu, sandbox["id"]).exists()


async def test_regen_keeps_live_sessions(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    async with await connect(emu, access["id"], access["password"]) as conn:
        assert api.post(f"/v1/sandbox/{sandbox['id']}/ssh/regen").status_code == 200
        result = await asyncio.wait_for(conn.run("echo still here"), TIMEOUT)
        assert result.stdout == "still here\n"


async def test_sftp_and_the_shell_share_the_home(
    emu: Emulator, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    async with await connect(emu, access["id"], access["password"]) as conn:
        home = (await asyncio.wait_for(conn.run("pwd"), TIMEOUT)).stdout.strip()
        async with conn.start_sftp_client() as sftp:
            async with sftp.open("hello.txt", "w") as handle:
                await handle.write("from sftp\n")
            assert await sftp.realpath(".") == home
            assert "hello.txt" in await sftp.listdir(home)
        result = await asyncio.wait_for(conn.run(f"cat hello.txt {home}/hello.txt"), TIMEOUT)
    assert result.stdout == "from sftp\n" * 2
    assert (_sandbox_dir(emu, sandbox["id"]) / "home" / "hello.txt").is_file()


async def test_strict_host_key_checking_with_the_advertised_key(
    emu: Emulator, access: dict[str, Any]
) -> None:
    known_hosts = asyncssh.import_known_hosts(emu.ssh_known_hosts + "\n")
    async with await connect(
        emu, access["id"], access["password"], known_hosts=known_hosts
    ) as conn:
        assert (await asyncio.wait_for(conn.run("echo ok"), TIMEOUT)).stdout == "ok\n"
    assert emu.ssh_host_key.startswith("ssh-ed25519 ")


# -- OpenSSH ---------------------------------------------------------------------------

SSH = shutil.which("ssh")
needs_openssh = pytest.mark.skipif(SSH is None, reason="OpenSSH client not installed")


def _openssh(
    emu: Emulator,
    access: dict[str, Any],
    password: str,
    tmp_path: Path,
    command: str,
    *,
    program: str | None = None,
    extra: list[str] | None = None,
    target: list[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run OpenSSH ``ssh`` (or ``scp``), the password handed over by an askpass script."""
    assert SSH is not None
    askpass = tmp_path / "askpass.sh"
    askpass.write_text('#!/bin/sh\nprintf "%s\\n" "$LEAP0_TEST_SSH_PASSWORD"\n')
    askpass.chmod(askpass.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ)
    env.update(
        SSH_ASKPASS=str(askpass),
        SSH_ASKPASS_REQUIRE="force",
        DISPLAY=":0",
        LEAP0_TEST_SSH_PASSWORD=password,
    )
    scp = program is not None and program != SSH
    options = extra or ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
    argv = [
        program or SSH,
        "-F", "/dev/null",
        *options,
        "-o", "LogLevel=ERROR",
        "-o", "PreferredAuthentications=password",
        "-o", "PubkeyAuthentication=no",
        "-o", "NumberOfPasswordPrompts=1",
        "-o", "ConnectTimeout=10",
        "-P" if scp else "-p", str(emu.ssh_port),
        *(target or [f"{access['id']}@{emu.ssh_host}", command]),
    ]  # fmt: skip
    return subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20
    )


@needs_openssh
def test_openssh_login(emu: Emulator, access: dict[str, Any], tmp_path: Path) -> None:
    result = _openssh(emu, access, access["password"], tmp_path, "echo hi; exit 4")
    assert result.stdout == "hi\n", result.stderr
    assert result.returncode == 4
    # The printed ssh_command is what one would type, minus the options above.
    assert access["ssh_command"].split()[:3] == ["ssh", "-p", str(emu.ssh_port)]


@needs_openssh
def test_openssh_scp_and_known_hosts(emu: Emulator, access: dict[str, Any], tmp_path: Path) -> None:
    scp = shutil.which("scp")
    if scp is None:
        pytest.skip("scp not installed")
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(emu.ssh_known_hosts + "\n")
    source = tmp_path / "payload.txt"
    source.write_text("copied\n")
    result = _openssh(
        emu,
        access,
        access["password"],
        tmp_path,
        "",
        program=scp,
        extra=["-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known_hosts}"],
        target=[str(source), f"{access['id']}@{emu.ssh_host}:payload.txt"],
    )
    assert result.returncode == 0, result.stderr
    check = _openssh(emu, access, access["password"], tmp_path, "cat payload.txt")
    assert check.stdout == "copied\n"


@needs_openssh
def test_openssh_refused_after_regen_and_delete(
    emu: Emulator,
    api: httpx.Client,
    sandbox: dict[str, Any],
    access: dict[str, Any],
    tmp_path: Path,
) -> None:
    new = api.post(f"/v1/sandbox/{sandbox['id']}/ssh/regen").json()
    old_try = _openssh(emu, access, access["password"], tmp_path, "echo hi")
    assert old_try.returncode == 255
    assert old_try.stdout == ""
    assert "denied" in old_try.stderr.lower()
    assert _openssh(emu, new, new["password"], tmp_path, "echo hi").stdout == "hi\n"
    assert api.delete(f"/v1/sandbox/{sandbox['id']}").status_code == 204
    gone = _openssh(emu, new, new["password"], tmp_path, "echo hi")
    assert gone.returncode == 255
    assert gone.stdout == ""
