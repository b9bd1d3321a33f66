"""One filesystem: the shell, SFTP, scp (both modes) and rsync see the same paths.

An absolute path is the same file in all of them; ``~``, ``~/x`` and relative
paths start in the sandbox's home. Each test runs against the default
emulator (isolated where this machine allows it) and, where the emulator has
the setting, one with ``isolation="off"``.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from leap0.emulator import Emulator

from ._helpers import create_access, create_sandbox, make_client, ssh_login
from ._openssh import MODES, OpenSsh, host_home, isolated, needs, running

TIMEOUT = 10.0
#: A file of the host's that sessions see as it is, isolated or not (/etc/passwd is not:
#: an isolated session sees one with its own user).
HOST_FILE = "/etc/os-release"


@pytest.fixture(params=MODES)
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    yield from running(request.param)


@pytest.fixture
def sandbox(emulator: Emulator) -> dict[str, Any]:
    with make_client(emulator) as api:
        return create_sandbox(api)


@pytest.fixture
def access(emulator: Emulator, sandbox: dict[str, Any]) -> dict[str, Any]:
    with make_client(emulator) as api:
        return create_access(api, sandbox["id"])


@pytest.fixture
def openssh(emulator: Emulator, access: dict[str, Any], tmp_path: Path) -> OpenSsh:
    return OpenSsh(emulator, access, tmp_path)


@pytest.fixture
async def conn(
    emulator: Emulator, access: dict[str, Any]
) -> AsyncIterator[asyncssh.SSHClientConnection]:
    connection = await ssh_login(emulator.ssh_host, emulator.ssh_port, access, TIMEOUT)
    async with connection:
        yield connection


@pytest.fixture
async def sftp(conn: asyncssh.SSHClientConnection) -> AsyncIterator[asyncssh.SFTPClient]:
    async with conn.start_sftp_client() as client:
        yield client


@pytest.fixture
def tmp_name(openssh: OpenSsh) -> Iterator[str]:
    """A fresh name in the session's /tmp (the host's /tmp where not isolated): removed after."""
    name = f"/tmp/leap0-test-{secrets.token_hex(6)}"
    yield name
    openssh.ssh(f"rm -rf {name}")


async def sh(conn: asyncssh.SSHClientConnection, command: str) -> str:
    result = await asyncio.wait_for(conn.run(command), TIMEOUT)
    assert result.exit_status == 0, result.stderr
    return str(result.stdout)


async def test_sftp_starts_in_the_shells_home(
    emulator: Emulator,
    sandbox: dict[str, Any],
    conn: asyncssh.SSHClientConnection,
    sftp: asyncssh.SFTPClient,
) -> None:
    pwd, home = (await sh(conn, 'pwd; echo "$HOME"')).splitlines()
    assert pwd == home
    assert await sftp.realpath(".") == pwd
    assert await sftp.getcwd() == pwd
    if isolated(emulator):
        assert pwd == "/home/user"
    else:
        assert pwd == str(host_home(emulator, sandbox["id"]))
    async with sftp.open("relative.txt", "w") as handle:
        await handle.write("relative\n")
    assert await sh(conn, "cat relative.txt; cat $HOME/relative.txt") == "relative\n" * 2
    assert (host_home(emulator, sandbox["id"]) / "relative.txt").read_text() == "relative\n"


async def test_absolute_paths_are_the_same_files_in_sftp_and_the_shell(
    conn: asyncssh.SSHClientConnection, sftp: asyncssh.SFTPClient, tmp_name: str
) -> None:
    pwd = (await sh(conn, "pwd")).strip()
    async with sftp.open(f"{pwd}/f", "w") as handle:
        await handle.write("at pwd\n")
    async with sftp.open(tmp_name, "w") as handle:
        await handle.write("in tmp\n")
    assert await sh(conn, f"cat {pwd}/f {tmp_name}") == "at pwd\nin tmp\n"
    await sh(conn, f"echo from-shell > {tmp_name}.2; mkdir -p {pwd}/dir; echo x > {pwd}/dir/y")
    async with sftp.open(f"{tmp_name}.2") as handle:
        assert await handle.read() == "from-shell\n"
    names = await sftp.listdir(f"{pwd}/dir")
    assert "y" in names
    assert set(names) <= {".", "..", "y"}
    await sh(conn, f"rm -f {tmp_name}.2")
    # The host's files the session may read are the same to both (this one is a
    # relative symlink into /usr on most systems, followed alike).
    async with sftp.open(HOST_FILE) as handle:
        assert await handle.read() == await sh(conn, f"cat {HOST_FILE}")


@needs("ssh", "sftp")
def test_openssh_sftp_puts_where_the_shell_reads(
    openssh: OpenSsh, tmp_path: Path, tmp_name: str
) -> None:
    pwd = openssh.shell("pwd").strip()
    source = tmp_path / "payload.txt"
    source.write_text("payload\n")
    result = openssh.sftp(f"pwd\nput {source} {pwd}/f\nput {source} {tmp_name}\nput {source} rel\n")
    assert result.returncode == 0, result.stderr
    assert f"Remote working directory: {pwd}\n" in result.stdout
    assert openssh.shell(f"cat {pwd}/f {tmp_name} rel") == "payload\n" * 3


@needs("ssh", "scp")
@pytest.mark.parametrize("mode", ["-O", "-s"])
def test_scp_tilde_and_relative_paths_start_at_home(
    openssh: OpenSsh, tmp_path: Path, mode: str
) -> None:
    source = tmp_path / "payload.txt"
    source.write_text(f"copied {mode}\n")
    pwd = openssh.shell("pwd").strip()
    for remote in ("~/x", "rel", f"{pwd}/abs"):
        result = openssh.scp(mode, str(source), openssh.remote(remote))
        assert result.returncode == 0, (remote, result.stderr)
    result = openssh.scp(mode, str(source), openssh.remote(""))  # "host:" is home
    assert result.returncode == 0, result.stderr
    assert openssh.shell("cat ~/x ~/rel ~/abs ~/payload.txt") == f"copied {mode}\n" * 4
    openssh.shell("echo from-shell > ~/back")
    for remote in ("~/back", "back", f"{pwd}/back"):
        target = tmp_path / "got"
        result = openssh.scp(mode, openssh.remote(remote), str(target))
        assert result.returncode == 0, (remote, result.stderr)
        assert target.read_text() == "from-shell\n"
        target.unlink()


@needs("ssh", "scp")
def test_scp_to_the_shells_tmp(openssh: OpenSsh, tmp_path: Path, tmp_name: str) -> None:
    source = tmp_path / "payload.txt"
    source.write_text("in tmp\n")
    for mode in ("-O", "-s"):
        result = openssh.scp(mode, str(source), openssh.remote(f"{tmp_name}{mode}"))
        assert result.returncode == 0, result.stderr
    assert openssh.shell(f"cat {tmp_name}-O {tmp_name}-s; rm -f {tmp_name}-?") == "in tmp\n" * 2


@needs("ssh", "scp", "rsync")
def test_rsync_and_scp_to_an_absolute_path_land_in_the_same_file(
    openssh: OpenSsh, tmp_path: Path
) -> None:
    pwd = openssh.shell("pwd").strip()
    same = f"{pwd}/same.txt"
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("by rsync\n")
    second.write_text("by scp\n")
    result = openssh.rsync(str(first), openssh.remote(same))
    assert result.returncode == 0, result.stderr
    assert openssh.shell(f"cat {same}") == "by rsync\n"
    for mode in ("-O", "-s"):
        back = tmp_path / f"back{mode}"
        result = openssh.scp(mode, openssh.remote(same), str(back))
        assert result.returncode == 0, result.stderr
        assert back.read_text() == "by rsync\n"
    result = openssh.scp("-s", str(second), openssh.remote(same))
    assert result.returncode == 0, result.stderr
    back = tmp_path / "back-rsync"
    result = openssh.rsync(openssh.remote(same), str(back))
    assert result.returncode == 0, result.stderr
    assert back.read_text() == "by scp\n"
    assert openssh.shell("ls ~") == "same.txt\n"


async def test_symlinks_lead_where_they_lead_in_the_shell(
    emulator: Emulator,
    sandbox: dict[str, Any],
    conn: asyncssh.SSHClientConnection,
    sftp: asyncssh.SFTPClient,
) -> None:
    """Every link is followed as the session sees paths: SFTP reads what `cat` reads."""
    home_on_host = host_home(emulator, sandbox["id"])
    await sh(
        conn,
        "mkdir -p real/d0/d1 && echo inside > real/file && "
        f"ln -s {HOST_FILE} abs && ln -s ../../../../../../../../../..{HOST_FILE} up && "
        f"ln -s {home_on_host}/real/file host-path && "
        f"ln -s $HOME/real/file home-path && ln -s loop loop && ln -s missing dangling && "
        "ln -s real/d0/d1/../../file via-dots && ln -s real/d0/d1 deep",
    )
    cases = ["abs", "up", "host-path", "home-path", "loop", "dangling", "via-dots", "deep/../file"]
    for name in cases:
        result = await asyncio.wait_for(conn.run(f"cat {name}"), TIMEOUT)
        shell = result.stdout if result.exit_status == 0 else None
        try:
            async with sftp.open(name) as handle:
                over_sftp = await handle.read()
        except (asyncssh.SFTPError, OSError):
            over_sftp = None
        assert over_sftp == shell, name
    assert (await sh(conn, "cat abs")) == Path(HOST_FILE).read_text()
    # The host's path of the home is the home only where sessions see the host as it is.
    host_visible = not isolated(emulator)
    assert (await asyncio.wait_for(conn.run("cat host-path"), TIMEOUT)).exit_status == (
        0 if host_visible else 1
    )
    assert await sftp.realpath("home-path") == (await sh(conn, "realpath home-path")).strip()
