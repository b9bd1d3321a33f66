"""SFTP can do no more than the sandbox's shell: what it hides, what it may only read, its links.

Isolated (the default where this machine allows it), a session sees the
host's ``/`` read-only with ``/home/user`` and ``/tmp`` its sandbox's own and
some paths hidden: SFTP refuses to change anything elsewhere, finds nothing
hidden, and follows every symlink as the session sees paths, so no link leads
it out. Not isolated, SFTP is the identity on the host's paths, as the
shell is. Each test runs in both where it applies.
"""

from __future__ import annotations

import asyncio
import os
import stat
import tempfile
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from leap0.emulator import Emulator

from ._helpers import create_access, create_sandbox, make_client, ssh_login
from ._openssh import MODES, host_home, host_root, isolated, running

TIMEOUT = 10.0
#: A host file every session may read, never change.
HOST_FILE = "/etc/os-release"


@pytest.fixture(params=MODES)
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    yield from running(request.param)


@pytest.fixture
def sandbox(emulator: Emulator) -> dict[str, Any]:
    with make_client(emulator) as api:
        return create_sandbox(api)


@pytest.fixture
async def conn(
    emulator: Emulator, sandbox: dict[str, Any]
) -> AsyncIterator[asyncssh.SSHClientConnection]:
    with make_client(emulator) as api:
        access = create_access(api, sandbox["id"])
    connection = await ssh_login(emulator.ssh_host, emulator.ssh_port, access, TIMEOUT)
    async with connection:
        yield connection


@pytest.fixture
async def sftp(conn: asyncssh.SSHClientConnection) -> AsyncIterator[asyncssh.SFTPClient]:
    async with conn.start_sftp_client() as client:
        yield client


@pytest.fixture
def home(emulator: Emulator, sandbox: dict[str, Any]) -> Path:
    """The sandbox's home on the host."""
    return host_home(emulator, sandbox["id"])


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory of the host's, outside the sandbox, holding a secret file."""
    (tmp_path / "secret.txt").write_text("host secret\n")
    (tmp_path / "secret.txt").chmod(0o600)
    return tmp_path


def needs_isolation(emu: Emulator) -> None:
    if not isolated(emu):
        pytest.skip("sessions are not isolated here: SFTP is the identity on host paths")


async def sh(conn: asyncssh.SSHClientConnection, command: str) -> str:
    result = await asyncio.wait_for(conn.run(command), TIMEOUT)
    assert result.exit_status == 0, result.stderr
    return str(result.stdout)


async def refused(call: Awaitable[Any], *kinds: type[Exception]) -> None:
    with pytest.raises(kinds or (asyncssh.SFTPPermissionDenied, asyncssh.SFTPNoSuchFile)):
        await asyncio.wait_for(call, TIMEOUT)


async def read(sftp: asyncssh.SFTPClient, path: str) -> str | None:
    """The file's text over SFTP, or None if SFTP cannot open it."""
    try:
        async with sftp.open(path) as handle:
            return str(await handle.read())
    except asyncssh.SFTPError:
        return None


async def shell_read(conn: asyncssh.SSHClientConnection, path: str) -> str | None:
    result = await asyncio.wait_for(conn.run(f"cat {path}"), TIMEOUT)
    return str(result.stdout) if result.exit_status == 0 else None


async def test_outside_the_home_and_tmp_sftp_may_only_read(
    emulator: Emulator, conn: asyncssh.SSHClientConnection, sftp: asyncssh.SFTPClient
) -> None:
    needs_isolation(emulator)
    before = Path(HOST_FILE).read_bytes(), os.stat(HOST_FILE)
    denied = asyncssh.SFTPPermissionDenied
    assert await read(sftp, HOST_FILE) == Path(HOST_FILE).read_text()
    await refused(sftp.open(HOST_FILE, "a"), denied)
    await refused(sftp.open("/etc/leap0-new", "w"), denied)
    await refused(sftp.mkdir("/usr/leap0-new"), denied)
    await refused(sftp.remove(HOST_FILE), denied)
    await refused(sftp.chmod(HOST_FILE, 0o777), denied)
    await refused(sftp.symlink("/tmp", "/etc/leap0-link"), denied)
    await refused(sftp.rename(HOST_FILE, "/home/user/taken"), denied)
    # A hard link into the home would make the host's file writable there.
    await refused(sftp.link(HOST_FILE, "/home/user/hard"), denied)
    # Nor through a link in the home, nor through an open handle.
    await sh(conn, f"ln -s {HOST_FILE} link")
    assert await read(sftp, "link") == Path(HOST_FILE).read_text()
    await refused(sftp.open("link", "w"), denied)
    await refused(sftp.setstat("link", asyncssh.SFTPAttrs(permissions=0o777)), denied)
    async with sftp.open(HOST_FILE) as handle:
        await refused(handle.chmod(0o777), denied)
        await refused(handle.utime((0, 0)), denied)
    # /etc/passwd is read as the host's; the session's shell is shown one with its user.
    assert await read(sftp, "/etc/passwd") == Path("/etc/passwd").read_text()
    await sh(conn, "ln -s /etc/passwd pw")
    await refused(sftp.open("pw", "a"), denied)
    assert (Path(HOST_FILE).read_bytes(), os.stat(HOST_FILE)) == before
    for name in ("/etc/leap0-new", "/usr/leap0-new", "/etc/leap0-link"):
        assert not os.path.lexists(name)


async def test_what_sessions_do_not_see_sftp_does_not_find(
    emulator: Emulator,
    conn: asyncssh.SSHClientConnection,
    sftp: asyncssh.SFTPClient,
    home: Path,
    outside: Path,
) -> None:
    needs_isolation(emulator)
    missing = asyncssh.SFTPNoSuchFile
    for path in ("/root", "/run", "/home", "/proc/1/environ", "/proc/self/environ"):
        await refused(sftp.stat(path), missing)
    await refused(sftp.listdir("/root"), missing)
    # The emulator's state, its sandboxes' directories and the host's /tmp: not there.
    for path in (host_root(emulator), str(home), str(outside / "secret.txt")):
        await refused(sftp.stat(path), missing)
        assert await shell_read(conn, path) is None
    # Links to them, made by the shell or over SFTP, lead nowhere either.
    await sh(conn, f"ln -s {outside} to-outside && ln -s {home} to-home")
    await sftp.symlink(str(outside / "secret.txt"), "to-secret")
    for path in ("to-outside/secret.txt", "to-home", "to-secret"):
        await refused(sftp.stat(path), missing)
        assert await read(sftp, path) is None
        await refused(sftp.open(path, "w"), missing)
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    # The home and /tmp are the sandbox's, in a listing of their parent too.
    names = {name.filename: name.attrs for name in await sftp.readdir("/")}
    assert names["tmp"].uid == (await sftp.stat("/tmp")).uid


async def test_a_symlink_made_inside_then_its_parents_swapped_for_dot_links(
    emulator: Emulator,
    conn: asyncssh.SSHClientConnection,
    sftp: asyncssh.SFTPClient,
    outside: Path,
) -> None:
    """A link pointing inside when made, outside once its parents became "." links.

    SFTP follows it as the session does: isolated, the host's path behind it is
    not there (nothing is read or written); not isolated, it is the host's file,
    for the shell as for SFTP.
    """
    pwd = (await sh(conn, "pwd")).strip()
    depth = len(Path(pwd).parts) - 1  # ".." steps from the home up to "/"
    names = [f"d{i}" for i in range(depth)]
    await sftp.makedirs("/".join(names))
    ups = "../" * depth
    secret = str(outside / "secret.txt").lstrip("/")
    written = str(outside / "written.txt").lstrip("/")
    await sftp.symlink("/".join(names) + "/" + ups + secret, "read-me")
    await sftp.symlink("/".join(names) + "/" + ups + written, "write-me")
    await sftp.rename(names[0], "moved")
    for name in names:
        await sftp.symlink(".", name)
    assert await read(sftp, "read-me") == await shell_read(conn, "read-me")
    if isolated(emulator):
        assert await read(sftp, "read-me") is None
        await refused(sftp.open("write-me", "w"))
        assert not (outside / "written.txt").exists()
    else:
        assert await read(sftp, "read-me") == "host secret\n"
    # The links themselves are the sandbox's: they may be looked at and removed.
    assert (await sftp.lstat("read-me")).type == asyncssh.FILEXFER_TYPE_SYMLINK
    await sftp.remove("read-me")
    assert (outside / "secret.txt").read_text() == "host secret\n"


async def test_links_are_followed_as_the_session_sees_paths(
    emulator: Emulator, conn: asyncssh.SSHClientConnection, sftp: asyncssh.SFTPClient, home: Path
) -> None:
    pwd = (await sh(conn, "pwd")).strip()
    await sh(conn, f"mkdir sub && echo mine > sub/own.txt && ln -s {pwd}/sub abs && ln -s ../.. up")
    async with sftp.open("abs/own.txt") as handle:
        assert await handle.read() == "mine\n"
    assert await sftp.readlink("abs") == f"{pwd}/sub"  # as written
    assert await sftp.realpath("abs/own.txt") == f"{pwd}/sub/own.txt"
    assert await sftp.realpath("up") == (await sh(conn, "realpath up")).strip()
    await sftp.symlink("sub/own.txt", "rel")
    assert await sh(conn, "cat rel") == "mine\n"
    assert (home / "rel").is_symlink()
    # lstat, rename and remove act on a link itself, wherever it points.
    assert (await sftp.lstat("up")).type == asyncssh.FILEXFER_TYPE_SYMLINK
    await sftp.rename("up", "renamed-link")
    await sftp.remove("renamed-link")
    assert (await sftp.stat("sub")).type == asyncssh.FILEXFER_TYPE_DIRECTORY


async def test_the_home_tmp_and_sandbox_directory_cannot_be_removed_or_moved(
    emulator: Emulator, conn: asyncssh.SSHClientConnection, sftp: asyncssh.SFTPClient, home: Path
) -> None:
    pwd = (await sh(conn, "pwd")).strip()
    tmp = "/tmp" if isolated(emulator) else str(home.parent / "tmp")
    fixed = [pwd, f"{pwd}/", ".", tmp]
    if not isolated(emulator):
        fixed.append(str(home.parent))  # the sandbox's directory itself
    else:
        fixed.append("/")
    for path in fixed:
        await refused(sftp.rmdir(path), asyncssh.SFTPPermissionDenied)
        await refused(sftp.rename(path, f"{pwd}/elsewhere"), asyncssh.SFTPPermissionDenied)
        await refused(sftp.posix_rename(path, f"{pwd}/elsewhere"), asyncssh.SFTPPermissionDenied)
    assert home.is_dir()
    assert (home.parent / "tmp").is_dir()
    await sftp.mkdir("d")
    await sftp.rename("d", "e")
    await sftp.rmdir("e")


async def test_only_regular_files_are_opened(
    conn: asyncssh.SSHClientConnection, sftp: asyncssh.SFTPClient
) -> None:
    """A FIFO would block the server: it is refused, and the server goes on answering."""
    await sh(conn, "mkfifo fifo && mkdir dir")
    for path, mode in (("fifo", "r"), ("fifo", "w"), ("dir", "r")):
        await refused(sftp.open(path, mode), asyncssh.SFTPError)
    assert {"fifo", "dir"} <= set(await sftp.listdir("."))


async def test_files_sftp_makes_are_the_sandbox_users(
    emulator: Emulator, conn: asyncssh.SSHClientConnection, sftp: asyncssh.SFTPClient
) -> None:
    async with sftp.open("made.txt", "w") as handle:
        await handle.write("sftp\n")
    await sftp.mkdir("made-dir")
    await sftp.symlink("made.txt", "made-link")
    owner = (await sh(conn, "id -u")).strip()
    listed = await sh(conn, "stat -c %u made.txt made-dir; stat -c %u made-link")
    assert listed.split() == [owner] * 3
    # So the shell may change them as its own.
    await sh(conn, "echo shell >> made.txt && chmod 600 made.txt && touch made-dir/inside")
    async with sftp.open("made.txt") as handle:
        assert await handle.read() == "sftp\nshell\n"
    assert stat.S_IMODE((await sftp.stat("made.txt")).permissions or 0) == 0o600
    if isolated(emulator):  # a listing names the user as the shell's `ls -l` does
        listing = {name.filename: name.longname for name in await sftp.readdir(".")}
        assert str(listing["made.txt"]).split()[2:4] == ["user", "user"]


async def test_what_the_sandbox_user_cannot_read_sftp_does_not_read(
    emulator: Emulator, conn: asyncssh.SSHClientConnection, sftp: asyncssh.SFTPClient
) -> None:
    needs_isolation(emulator)
    # A host file only its owner (root here) may read, in a place sessions see (read-only).
    with tempfile.NamedTemporaryFile("w", dir="/var/tmp", prefix="leap0-private-") as private:
        private.write("host secret\n")
        private.flush()
        os.chmod(private.name, 0o600)
        if os.geteuid() == 0:
            assert await shell_read(conn, private.name) is None  # the shell cannot
        assert await read(sftp, private.name) is None  # nor can SFTP
        os.chmod(private.name, 0o644)
        assert await read(sftp, private.name) == "host secret\n"


async def test_rename_refuses_an_existing_target_and_posix_rename_replaces_it(
    emulator: Emulator, conn: asyncssh.SSHClientConnection, sftp: asyncssh.SFTPClient
) -> None:
    await sh(conn, "echo one > a; echo two > b")
    with pytest.raises(asyncssh.SFTPFailure):  # SFTP v3 has no "already exists" status
        await asyncio.wait_for(sftp.rename("a", "b"), TIMEOUT)
    assert await shell_read(conn, "b") == "two\n"
    await asyncio.wait_for(sftp.posix_rename("a", "b"), TIMEOUT)
    assert await shell_read(conn, "b") == "one\n"
    assert await shell_read(conn, "a") is None
