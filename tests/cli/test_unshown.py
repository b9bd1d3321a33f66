"""A credential leap0 cannot show is revoked; an answer it cannot read says what may be left.

``ssh create`` and ``ssh regen`` print a password that cannot be shown again.
When printing it fails after the service issued it (here: stdout is a pipe
nobody reads), nobody has the password, so leap0 revokes the credential and
says so on stderr. When the service's answer itself cannot be read (a time
out of range, say), leap0 does not know the credential's id: one line says a
credential may have been issued and how to check and revoke it. Never a
traceback.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from leap0._cli import connect
from leap0.emulator import Emulator
from leap0.models import SshAccess

from .._support import access_json, sandbox_json
from ._helpers import PER_CREDENTIAL, FakePopen, Run, deletes, is_valid, one_line
from ._stub import StubService, page

FAR_TIME = "9999-12-31T23:59:59-23:59"  # year 10000 in UTC


def _with_stdout_closed(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``leap0 ARGV`` with stdout a pipe whose reader is gone (as ``| head -0`` can be)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "leap0._cli", *argv],
            stdout=write,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)


def _revoked_id(err: str, label: str) -> str:
    line = one_line(err)
    assert line.startswith(f"leap0: {label}: could not show the credential"), line
    found = re.search(r"revoked SSH credential (\S+),", line)
    assert found, line
    return found.group(1)


def _gone(cli: Run, sandbox_id: str, access_id: str) -> bool:
    again = cli(*PER_CREDENTIAL, "ssh", "regen", sandbox_id, "--access-id", access_id)
    return again.code == 1 and " -> 404: " in again.err


@pytest.mark.parametrize("ssh_api", ["auto", "single", "per-credential"])
def test_ssh_create_revokes_a_credential_it_could_not_print(
    cli: Run, emu: Emulator, sandbox_id: str, ssh_api: str
) -> None:
    env = {**os.environ, **emu.env(), "LEAP0_SSH_API": ssh_api}
    done = _with_stdout_closed(["ssh", "create", sandbox_id], env)
    assert done.returncode == 1
    ident = _revoked_id(done.stderr, f"ssh create {sandbox_id}")
    assert f"'leap0 ssh create {sandbox_id}' issues another" in done.stderr
    assert deletes(emu, sandbox_id, ident) == 1
    assert _gone(cli, sandbox_id, ident)


def test_ssh_regen_revokes_a_credential_it_could_not_print(
    cli: Run, emu: Emulator, sandbox_id: str, access: dict[str, str]
) -> None:
    env = {**os.environ, **emu.env()}
    argv = ["ssh", "regen", sandbox_id, "--access-id", access["id"]]
    done = _with_stdout_closed(argv, env)
    assert done.returncode == 1
    assert _revoked_id(done.stderr, f"ssh regen {sandbox_id}") == access["id"]
    assert _gone(cli, sandbox_id, access["id"])


def test_connect_keep_says_it_revoked_a_credential_it_could_not_print(
    cli: Run,
    sandbox_id: str,
    fake_ssh: type[FakePopen],
    issued: list[SshAccess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def full(*args: object) -> None:  # stdout is a file on a full disk
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(connect, "show_access", full)
    result = cli("ssh", "connect", sandbox_id, "--keep", "--", "true")
    assert (result.code, result.out) == (1, "")
    assert fake_ssh.calls == []
    (used,) = issued
    assert _revoked_id(result.err, f"ssh connect {sandbox_id}") == used.id
    assert "No space left on device" in result.err
    assert used.password not in result.err
    assert is_valid(cli, sandbox_id, used.id, used.password) is False


# -- answers that cannot be read ---------------------------------------------------


def _stub_answers(**access: object) -> dict[tuple[str, str], tuple[int, object]]:
    body = access_json(id="ssh-new1", sandbox_id="sbx-ok", **access)
    return {
        ("GET", "/v1/sandbox/sbx-ok/"): (200, sandbox_json(id="sbx-ok")),
        ("POST", "/v1/sandbox/sbx-ok/ssh/access"): (201, body),
        ("POST", "/v1/sandbox/sbx-ok/ssh/regen"): (200, body),
        ("GET", "/v1/sandboxes"): (200, page("sbx-ok", total=10**400)),
    }


def _leap0(stub: StubService, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAP0_")}
    env.update({"LEAP0_BASE_URL": stub.base_url, "LEAP0_API_KEY": "stub-key"})
    return subprocess.run(
        [sys.executable, "-m", "leap0._cli", *argv],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "field", [{"expires_at": FAR_TIME}, {"created_at": "0001-01-01T00:00:00+23:59"}]
)
@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--ssh-api", "single", "ssh", "create", "sbx-ok"], "'leap0 --ssh-api single ssh delete"),
        (["ssh", "create", "sbx-ok"], "'leap0 ssh delete sbx-ok'"),
        (["--ssh-api", "per-credential", "ssh", "create", "sbx-ok"], "--access-id ACCESS_ID"),
        (["ssh", "connect", "sbx-ok", "--", "true"], "'leap0 ssh delete sbx-ok'"),
        (["ssh", "cp", "sbx-ok:x", "./x"], "'leap0 ssh delete sbx-ok'"),
    ],
)
def test_an_unreadable_create_answer_says_a_credential_may_be_left(
    argv: list[str], says: str, field: dict[str, str], tmp_path: Path
) -> None:
    with StubService(_stub_answers(**field)) as stub:
        done = _leap0(stub, *argv)
        assert not any(path.endswith("/ssh/ssh-new1") for path in stub.paths("DELETE"))
    assert (done.returncode, done.stdout) == (1, "")
    line = one_line(done.stderr)
    assert "failed: unexpected SshAccess in response:" in line
    assert "the service may have issued a credential all the same" in line
    assert says in line


def test_an_unreadable_regen_answer_says_the_password_may_have_changed() -> None:
    with StubService(_stub_answers(expires_at=FAR_TIME)) as stub:
        done = _leap0(stub, "--ssh-api", "single", "ssh", "regen", "sbx-ok")
    assert (done.returncode, done.stdout) == (1, "")
    line = one_line(done.stderr)
    assert "the service may have given it a new password all the same" in line
    assert "'leap0 --ssh-api single ssh regen sbx-ok' gives it another" in line


@pytest.mark.parametrize("argv", [["sandbox", "list"], ["--json", "sandbox", "list"]])
def test_an_out_of_range_list_answer_is_one_line(argv: list[str]) -> None:
    with StubService(_stub_answers()) as stub:
        done = _leap0(stub, *argv)
    assert (done.returncode, done.stdout) == (1, "")
    assert "total_items" in one_line(done.stderr)
