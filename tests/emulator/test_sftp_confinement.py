"""SFTP keeps every path inside the sandbox's directory, symlinks resolved, on every operation."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from leap0.emulator import Emulator

from ._helpers import ssh_login

TIMEOUT = 10.0


@pytest.fixture
async def conn(
    emu: Emulator, access: dict[str, Any]
) -> AsyncIterator[asyncssh.SSHClientConnection]:
    connection = await ssh_login(emu.ssh_host, emu.ssh_port, access, TIMEOUT)
    async with connection:
        yield connection


@pytest.fixture
async def sftp(conn: asyncssh.SSHClientConnection) -> AsyncIterator[asyncssh.SFTPClient]:
    async with conn.start_sftp_client() as client:
        yield client


@pytest.fixture
def workdir(emu: Emulator, sandbox: dict[str, Any]) -> Path:
    assert emu._root is not None
    return Path(os.path.realpath(Path(emu._root) / sandbox["id"]))


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory outside the sandbox holding a secret file."""
    (tmp_path / "secret.txt").write_text("host secret\n")
    (tmp_path / "secret.txt").chmod(0o600)
    return tmp_path


async def sh(conn: asyncssh.SSHClientConnection, command: str) -> str:
    result = await asyncio.wait_for(conn.run(command), TIMEOUT)
    assert result.exit_status == 0, result.stderr
    return str(result.stdout)


async def refused(call: Awaitable[Any]) -> None:
    with pytest.raises((asyncssh.SFTPPermissionDenied, asyncssh.SFTPNoSuchFile)):
        await asyncio.wait_for(call, TIMEOUT)


async def test_a_symlink_made_inside_then_its_parents_swapped_for_dot_links(
    sftp: asyncssh.SFTPClient, workdir: Path, outside: Path
) -> None:
    """The attack over SFTP alone: the link points inside when made, outside afterwards."""
    depth = len(workdir.parts) - 1  # ".." steps from the sandbox's directory up to "/"
    names = [f"d{i}" for i in range(depth)]
    await sftp.makedirs("/".join(names))
    ups = "../" * depth
    secret = str(outside / "secret.txt").lstrip("/")
    written = str(outside / "written.txt").lstrip("/")
    await sftp.symlink("/".join(names) + "/" + ups + secret, "read-me")
    await sftp.symlink("/".join(names) + "/" + ups + written, "write-me")
    # While d0/d1/... are real directories both links resolve inside the sandbox.
    await sftp.rename(names[0], "moved")
    for name in names:
        await sftp.symlink(".", name)
    # Now "d0/d1/..." is the sandbox's directory itself, and the ".." steps leave it.
    assert (workdir / "read-me").resolve() == outside / "secret.txt"
    await refused(sftp.open("read-me"))
    await refused(sftp.open("write-me", "w"))
    await refused(sftp.stat("read-me"))
    await refused(sftp.readlink("read-me"))
    await refused(sftp.realpath("read-me"))
    assert not (outside / "written.txt").exists()
    # The links themselves are the sandbox's: they may be looked at and removed.
    assert (await sftp.lstat("read-me")).type == asyncssh.FILEXFER_TYPE_SYMLINK
    await sftp.remove("read-me")
    assert (outside / "secret.txt").read_text() == "host secret\n"


async def test_dot_dot_and_absolute_paths_stay_inside(
    sftp: asyncssh.SFTPClient, workdir: Path, outside: Path
) -> None:
    secret = str(outside / "secret.txt")
    await refused(sftp.open("../" * 20 + secret.lstrip("/")))
    await refused(sftp.open(secret))
    async with sftp.open("/../../inside.txt", "w") as handle:
        await handle.write("ok")
    assert (workdir / "inside.txt").read_text() == "ok"
    assert await sftp.realpath("../../..") == "/"


async def test_links_made_by_a_shell_session_are_not_followed_out(
    conn: asyncssh.SSHClientConnection, sftp: asyncssh.SFTPClient, workdir: Path, outside: Path
) -> None:
    secret = outside / "secret.txt"
    await sh(
        conn,
        f"ln -s {secret} abs-file && ln -s {outside} abs-dir && ln -s ../../../../../../../.. up"
        " && mkdir inside && echo mine > inside/own.txt && ln -s inside/own.txt rel-ok",
    )
    # Following any of them out of the sandbox is refused, whatever the operation.
    for path in ["abs-file", "abs-dir/secret.txt", "up" + str(secret)]:
        await refused(sftp.open(path))
        await refused(sftp.open(path, "a"))
        await refused(sftp.stat(path))
        await refused(sftp.chmod(path, 0o644))
        await refused(sftp.readlink(path) if "/" not in path else sftp.realpath(path))
    await refused(sftp.listdir("abs-dir"))
    await refused(sftp.listdir("up"))
    await refused(sftp.mkdir("abs-dir/new"))
    await refused(sftp.rmdir("abs-dir/sub"))
    await refused(sftp.remove("abs-dir/secret.txt"))
    await refused(sftp.rename("abs-dir/secret.txt", "stolen.txt"))
    await refused(sftp.rename("inside/own.txt", "abs-dir/dropped.txt"))
    await refused(sftp.posix_rename("inside/own.txt", "abs-dir/secret.txt"))
    await refused(sftp.link("abs-file", "hard"))
    await refused(sftp.symlink(str(secret), "abs-dir/made"))
    await refused(sftp.statvfs("abs-dir"))
    assert secret.read_text() == "host secret\n"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    # Links that stay inside work as usual.
    async with sftp.open("rel-ok") as handle:
        assert await handle.read() == "mine\n"
    assert await sftp.readlink("rel-ok") == "/inside/own.txt"
    assert await sftp.realpath("rel-ok") == "/inside/own.txt"
    # lstat, rename and remove act on a link itself, wherever it points.
    assert (await sftp.lstat("abs-file")).type == asyncssh.FILEXFER_TYPE_SYMLINK
    await sftp.rename("abs-file", "renamed-link")
    await sftp.remove("renamed-link")
    assert secret.exists()


async def test_links_made_over_sftp_may_not_point_out(
    sftp: asyncssh.SFTPClient, workdir: Path, outside: Path
) -> None:
    await sftp.mkdir("sub")
    await refused(sftp.symlink("../" * 20 + "etc", "sub/escape"))
    await refused(sftp.symlink("../..", "sub/up"))
    assert not (workdir / "sub" / "escape").is_symlink()
    # An absolute target is taken inside the sandbox, as every SFTP path is.
    await sftp.symlink("/sub", "abs")
    assert os.path.realpath(workdir / "abs") == str(workdir / "sub")
    assert await sftp.realpath("abs") == "/sub"
    await sftp.symlink("../sub", "sub/rel")
    assert await sftp.readlink("sub/rel") == "/sub"


async def test_the_sandbox_directory_itself_cannot_be_removed_or_moved(
    sftp: asyncssh.SFTPClient, workdir: Path
) -> None:
    for path in ["/", ".", "/..", ""]:
        await refused(sftp.rmdir(path))
        await refused(sftp.rename(path, "/elsewhere"))
    assert workdir.is_dir()
    await sftp.mkdir("d")
    await sftp.rmdir("d")
    await sftp.mkdir("e")
    await sftp.rename("e", "f")
    assert (workdir / "f").is_dir()
