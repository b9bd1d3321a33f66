"""What a SIGKILL to ``ssh connect`` leaves: no password on disk, and no live credential.

The askpass helper removes the password file the first time ssh reads it,
so once logged in no password is on disk. A watchdog process, started before
ssh in a session of its own, holds a pipe from leap0: if the pipe closes
without leap0 saying it is done (leap0 was killed), it removes the askpass
directory and revokes the credential. The emulator here runs its sessions
unisolated, so a remote command can look at local files.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import leap0
from leap0._cli import watchdog
from leap0._cli.openssh import askpass_script
from leap0.emulator import Emulator, serve

from ._helpers import REAL_POPEN, Run, deletes, needs_ssh, poll, validate_now


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """An emulator whose sessions see this machine's files (no isolation), in the environment."""
    with serve(isolation="off") as emulator:
        for name, value in emulator.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("LEAP0_SSH_API", raising=False)
        yield emulator


def _ask(script: str, prompt: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([script, prompt], capture_output=True, text=True, check=False)


def test_the_askpass_gives_the_password_once_and_removes_it() -> None:
    with askpass_script("pa$$ 'word'") as script:
        secret = Path(script).parent / "password"
        assert _ask(script, "Are you sure you want to continue connecting?").returncode == 1
        assert secret.exists()  # a question that is not for the password leaves it
        assert _ask(script, "ssh-1@127.0.0.1's password: ").stdout == "pa$$ 'word'\n"
        assert not secret.exists()
        again = _ask(script, "Password: ")
        assert (again.returncode, again.stdout) == (1, "")


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TMPDIR, where the askpass directory is made (no XDG_RUNTIME_DIR)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir(mode=0o700)
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", None)
    return tmp


@needs_ssh
def test_once_logged_in_no_password_is_on_disk(
    cli: Run, sandbox_id: str, private_tmp: Path
) -> None:
    # The remote command runs on this machine: it sees what is in leap0's askpass directory.
    result = cli("ssh", "connect", sandbox_id, "--", f"ls -A {private_tmp}/leap0-ssh-*")
    assert (result.code, result.out, result.err) == (0, "askpass\n", "")
    assert list(private_tmp.iterdir()) == []


# -- the watchdog on its own ---------------------------------------------------------


def _settings(emu: Emulator) -> watchdog.Settings:
    return watchdog.Settings(
        api_key=emu.api_key,
        base_url=emu.base_url,
        timeout=30.0,
        max_retries=2,
        label="ssh connect",
    )


@pytest.mark.parametrize("ssh_api", ["single", "per-credential"])
def test_the_watchdog_revokes_when_leap0_goes_without_a_word(
    emu: Emulator, sandbox_id: str, tmp_path: Path, ssh_api: leap0.SshApi
) -> None:
    emu.configure(ssh_api=ssh_api)
    with leap0.Leap0Client(api_key=emu.api_key, base_url=emu.base_url, ssh_api=ssh_api) as c:
        access = c.ssh.create_access(sandbox_id)
    directory = tmp_path / "leap0-ssh-x"
    directory.mkdir()
    (directory / "password").write_text(access.password)
    dog = watchdog.Watchdog.start(_settings(emu))
    dog.guard(sandbox_id, access.id, ssh_api, "revoke it with: leap0 ssh delete ...")
    dog.directory(str(directory))
    dog.abandon()  # what the end of a killed leap0 looks like from the other side
    assert dog.process.wait(timeout=60) == 0
    assert not directory.exists()
    assert validate_now(emu, sandbox_id, access.id, access.password) is False
    assert deletes(emu, sandbox_id, access.id) == 1


def test_done_leaves_the_credential_to_leap0(
    emu: Emulator, sandbox_id: str, tmp_path: Path
) -> None:
    with leap0.Leap0Client(api_key=emu.api_key, base_url=emu.base_url) as c:
        access = c.ssh.create_access(sandbox_id)
    dog = watchdog.Watchdog.start(_settings(emu))
    dog.guard(sandbox_id, access.id, "per-credential", "")
    dog.directory(str(tmp_path))
    dog.done()
    assert dog.process.wait(timeout=60) == 0
    assert tmp_path.exists()
    assert validate_now(emu, sandbox_id, access.id, access.password) is True
    assert deletes(emu, sandbox_id, access.id) == 0


def test_with_keep_the_watchdog_only_removes_the_directory(emu: Emulator, tmp_path: Path) -> None:
    directory = tmp_path / "leap0-ssh-y"
    directory.mkdir()
    (directory / "password").write_text("pw")
    dog = watchdog.Watchdog.start(_settings(emu))
    dog.directory(str(directory))
    dog.abandon()
    assert dog.process.wait(timeout=60) == 0
    assert not directory.exists()


def test_the_api_key_is_in_no_argv_or_environment_of_the_watchdog(emu: Emulator) -> None:
    dog = watchdog.Watchdog.start(_settings(emu))
    try:
        proc = Path(f"/proc/{dog.process.pid}")
        if not proc.exists():
            pytest.skip("no /proc here")
        assert emu.api_key.encode() not in (proc / "cmdline").read_bytes()
        assert emu.api_key.encode() not in (proc / "environ").read_bytes()
        assert os.getsid(dog.process.pid) == dog.process.pid  # a session of its own
    finally:
        dog.done()
        dog.process.wait(timeout=60)


# -- leap0 itself, killed ------------------------------------------------------------------


@needs_ssh
def test_a_sigkilled_connect_leaves_no_password_file_and_no_live_credential(
    cli: Run, emu: Emulator, sandbox_id: str, tmp_path: Path
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir(mode=0o700)
    ready = tmp_path / "ready"
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_RUNTIME_DIR", "LEAP0_SSH_API")}
    env.update({**emu.env(), "TMPDIR": str(tmp)})
    # The remote command says which credential it runs with, then sleeps.
    remote = f'echo "$LEAP0_EMULATOR_SESSION" > {ready}.part && mv {ready}.part {ready}; sleep 60'
    argv = [sys.executable, "-m", "leap0._cli", "ssh", "connect", sandbox_id, "--", remote]
    err = tmp_path / "stderr"
    with open(err, "w") as stderr:
        process = REAL_POPEN(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
            start_new_session=True,  # its group: ssh too, ended at the end whatever happens
        )
    try:
        poll(ready.exists, "the remote command to start")
        access_id = ready.read_text().strip().rpartition("/")[2]
        assert [p.name for p in tmp.glob("leap0-ssh-*/*")] == ["askpass"]  # no password
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=60) == -signal.SIGKILL
        # The note comes once the service has answered the revoke (a DELETE is counted
        # as it arrives, before it is carried out).
        poll(lambda: "revoked SSH credential" in err.read_text(), "the watchdog's revoke")
        assert deletes(emu, sandbox_id, access_id) == 1
        with (
            leap0.Leap0Client(
                api_key=emu.api_key, base_url=emu.base_url, ssh_api="per-credential"
            ) as client,
            pytest.raises(leap0.Leap0NotFoundError),
        ):
            client.ssh.regenerate_access(sandbox_id, access_id=access_id)  # it is gone
        poll(lambda: not any(tmp.iterdir()), "the askpass directory to be removed")
        note = err.read_text()
        assert f"ssh connect {sandbox_id}: leap0 ended before revoking" in note
        assert emu.api_key not in note
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # the group this test started
        process.wait()
