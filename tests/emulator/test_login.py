"""A session is a login as on a sandbox: bash as a login shell, the environment sshd sets.

Each test runs against the default emulator (isolated where this machine
allows it) and, where the emulator has the setting, one with
``isolation="off"``; with issued credentials, over asyncssh and OpenSSH.
"""

from __future__ import annotations

import asyncio
import os
import pwd
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from leap0.emulator import Emulator

from ._helpers import create_access, create_sandbox, make_client, ssh_login
from ._openssh import MODES, OpenSsh, host_home, isolated, needs, running

TIMEOUT = 10.0
#: What the emulator's own environment holds that no session may see.
LEAK = "LEAP0_TEST_EMULATOR_ONLY"


@pytest.fixture(params=MODES)
def emulator(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    monkeypatch.setenv(LEAK, "the emulator's own")
    yield from running(request.param)


@pytest.fixture
def sandbox(emulator: Emulator) -> dict[str, Any]:
    with make_client(emulator) as api:
        return create_sandbox(api, env_vars={"GREETING": "hello world"})


@pytest.fixture
def access(emulator: Emulator, sandbox: dict[str, Any]) -> dict[str, Any]:
    with make_client(emulator) as api:
        return create_access(api, sandbox["id"])


@pytest.fixture
def openssh(emulator: Emulator, access: dict[str, Any], tmp_path: Path) -> OpenSsh:
    return OpenSsh(emulator, access, tmp_path)


async def run(
    emu: Emulator, access: dict[str, Any], command: str | None, **kwargs: Any
) -> asyncssh.SSHCompletedProcess:
    async with await ssh_login(emu.ssh_host, emu.ssh_port, access, TIMEOUT) as conn:
        return await asyncio.wait_for(conn.run(command, **kwargs), TIMEOUT)


def user_name(emu: Emulator) -> str:
    return "user" if isolated(emu) else pwd.getpwuid(os.getuid()).pw_name


def home(emu: Emulator, sandbox: dict[str, Any]) -> str:
    return "/home/user" if isolated(emu) else str(host_home(emu, sandbox["id"]))


async def test_commands_run_in_bash_as_a_login_shell(
    emulator: Emulator, access: dict[str, Any]
) -> None:
    result = await run(
        emulator,
        access,
        "echo {1..3}; [[ 1 == 1 ]] && echo double-brackets; shopt -q login_shell && echo login; "
        'echo "$0"',
    )
    assert result.exit_status == 0, result.stderr
    assert result.stdout.splitlines() == ["1 2 3", "double-brackets", "login", "/bin/bash"]


async def test_the_environment_is_the_one_sshd_sets(
    emulator: Emulator, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    result = await run(
        emulator, access, "env -0; printf 'cwd=%s' \"$PWD\"", env={"LANG": "C.UTF-8"}
    )
    raw, _, cwd = result.stdout.rpartition("\0cwd=")
    env = dict(item.split("=", 1) for item in raw.split("\0") if item)
    assert LEAK not in env
    assert env["USER"] == env["LOGNAME"] == user_name(emulator)
    assert env["HOME"] == home(emulator, sandbox) == cwd
    assert env["SHELL"] == "/bin/bash"
    assert env["LANG"] == "C.UTF-8"
    assert env["GREETING"] == "hello world"
    assert env["LEAP0_EMULATOR_SESSION"].endswith(f"/{sandbox['id']}/{access['id']}")
    client_ip, client_port, server_ip, server_port = env["SSH_CONNECTION"].split()
    assert client_ip == server_ip == "127.0.0.1"
    assert int(server_port) == emulator.ssh_port
    assert env["SSH_CLIENT"] == f"{client_ip} {client_port} {server_port}"
    assert "SSH_TTY" not in env
    assert "TERM" not in env
    if isolated(emulator):
        assert "TMPDIR" not in env
    else:
        assert env["TMPDIR"] == str(host_home(emulator, sandbox["id"]).parent / "tmp")
    for name in env["PATH"].split(":"):
        assert name.startswith("/"), env["PATH"]


async def test_env_vars_come_last_but_not_over_the_mark(emulator: Emulator) -> None:
    with make_client(emulator) as api:
        sandbox = create_sandbox(
            api, env_vars={"USER": "someone", "PATH": "/opt/x:/usr/bin:/bin", "HOME": "/custom"}
        )
        access = create_access(api, sandbox["id"])
    # A login shell's /etc/profile may set PATH again: this looks at what the shell was given.
    result = await run(emulator, access, "tr '\\0' '\\n' < /proc/$$/environ; pwd")
    lines = result.stdout.splitlines()
    assert "USER=someone" in lines
    assert "PATH=/opt/x:/usr/bin:/bin" in lines
    assert "HOME=/custom" in lines
    assert lines[-1] == home(emulator, sandbox)  # the home is where a session starts


async def test_a_terminal_session_is_an_interactive_login_shell(
    emulator: Emulator, access: dict[str, Any]
) -> None:
    async with await ssh_login(emulator.ssh_host, emulator.ssh_port, access, TIMEOUT) as conn:
        process = await conn.create_process(term_type="xterm-256color", term_size=(80, 24))
        process.stdin.write(
            'echo "zero=$0"; shopt -q login_shell && echo "login=yes"; '
            'case $- in *i*) echo "interactive=yes";; esac; '
            'echo "tty=$SSH_TTY term=$TERM"; exit 3\n'
        )
        await asyncio.wait_for(process.wait_closed(), TIMEOUT)
        output = str(await process.stdout.read()).replace("\r", "")
    assert process.exit_status == 3
    assert "zero=-bash\n" in output
    assert "login=yes\n" in output
    assert "interactive=yes\n" in output
    assert "tty=/dev/pts/" in output
    assert "term=xterm-256color\n" in output


async def test_a_terminal_command_is_a_login_shell_too(
    emulator: Emulator, access: dict[str, Any]
) -> None:
    result = await run(
        emulator,
        access,
        'shopt -q login_shell && echo login; echo "$SSH_TTY"; echo {1..3}',
        term_type="xterm",
    )
    lines = str(result.stdout).replace("\r", "").splitlines()
    assert lines[0] == "login"
    assert lines[1].startswith("/dev/pts/")
    assert lines[2] == "1 2 3"


async def test_a_shell_without_a_terminal_reads_its_commands_as_a_login_shell(
    emulator: Emulator, access: dict[str, Any]
) -> None:
    result = await run(
        emulator, access, None, input='echo "$0"; shopt -q login_shell && echo login\nexit 4\n'
    )
    assert (result.stdout, result.exit_status) == ("-bash\nlogin\n", 4)


@needs("ssh")
def test_openssh_runs_commands_in_a_login_bash(
    emulator: Emulator, sandbox: dict[str, Any], openssh: OpenSsh
) -> None:
    out = openssh.shell(
        "echo {1..3}; [[ 1 == 1 ]] && echo ok; shopt -q login_shell && echo login; "
        'echo "$USER|$LOGNAME|$HOME|$PWD"; echo "${SSH_CONNECTION:?}"; echo "${SSH_TTY-none}"'
    )
    lines = out.splitlines()
    assert lines[:3] == ["1 2 3", "ok", "login"]
    user = user_name(emulator)
    where = home(emulator, sandbox)
    assert lines[3] == f"{user}|{user}|{where}|{where}"
    assert len(lines[4].split()) == 4
    assert lines[5] == "none"
    # A bare `ssh host 'shopt -q login_shell'` (its status is the test).
    assert openssh.ssh("shopt -q login_shell").returncode == 0
    assert openssh.ssh("[[ a == b ]]").returncode == 1


@needs("ssh")
def test_openssh_terminal_gets_ssh_tty(openssh: OpenSsh) -> None:
    result = openssh.ssh('echo "tty=$SSH_TTY"; shopt -q login_shell && echo login', "-tt")
    out = result.stdout.replace("\r", "")
    assert "tty=/dev/pts/" in out, result.stderr
    assert "login\n" in out


async def test_a_home_a_session_removed_is_made_again_at_the_next_session(
    emulator: Emulator, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    await run(emulator, access, 'cd / && rm -rf "$HOME"')
    result = await run(emulator, access, "pwd; touch made && echo ok")
    assert result.stdout.splitlines() == [home(emulator, sandbox), "ok"]
    assert (host_home(emulator, sandbox["id"]) / "made").exists()
