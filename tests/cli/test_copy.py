"""``leap0 ssh cp``: its operands, the scp command line, and real copies through OpenSSH's scp."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from leap0._cli.scp import Copy, build_scp_argv, parse_copy
from leap0.emulator import Emulator
from leap0.models import SshAccess

from ._helpers import ACCESS_FIELDS, FakePopen, Run, deletes, is_valid, make_access, one_line

needs_scp = pytest.mark.skipif(shutil.which("scp") is None, reason="OpenSSH's scp is not installed")

# -- operands -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "dest", "copy"),
    [
        ("notes.txt", "sbx-1:notes.txt", Copy("sbx-1", "notes.txt", "notes.txt", upload=True)),
        ("sbx-1:/var/log/a b", ".", Copy("sbx-1", "/var/log/a b", ".", upload=False)),
        ("/tmp/x:y", "sbx.2:", Copy("sbx.2", "", "/tmp/x:y", upload=True)),
        ("./a:b", "s:c", Copy("s", "c", "./a:b", upload=True)),
        ("s:$(id);`x`'\"", "out", Copy("s", "$(id);`x`'\"", "out", upload=False)),
    ],
)
def test_which_operand_is_in_the_sandbox(source: str, dest: str, copy: Copy) -> None:
    assert parse_copy(source, dest) == copy


@pytest.mark.parametrize(
    ("source", "dest", "message"),
    [
        ("a:x", "b:y", "both SOURCE and DEST are in a sandbox"),
        ("here", "there", "one of SOURCE and DEST must be in a sandbox"),
        ("./a:b", "/c:d", "one of SOURCE and DEST must be in a sandbox"),
        ("s:a\nb", "out", "holds control characters"),
        ("s:x", "", "the local path is empty"),
        ("..:x", "out", "one of SOURCE and DEST"),
    ],
)
def test_operands_that_are_refused(source: str, dest: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_copy(source, dest)


def test_scp_argv_comes_from_the_checked_target_only() -> None:
    access = make_access("ssh -o ProxyCommand=evil -p 2222 ssh-7f3a@127.0.0.1")
    argv = build_scp_argv(
        access, parse_copy("sbx-1:a b", "-x"), ["ConnectTimeout=5"], scp="/usr/bin/scp"
    )
    assert argv[:5] == ["/usr/bin/scp", "-s", "-o", "User=ssh-7f3a", "-o"]
    assert argv[5] == "ConnectTimeout=5"  # after leap0's User, before its own options
    assert "StrictHostKeyChecking=no" in argv
    assert argv[-5:] == ["-P", "2222", "--", "127.0.0.1:a b", "./-x"]
    assert not any("Proxy" in word or access.password in word for word in argv)
    upload = build_scp_argv(access, parse_copy("/abs/f", "sbx-1:"), recursive=True)
    assert upload[1:3] == ["-s", "-r"]
    assert upload[-2:] == ["/abs/f", "127.0.0.1:"]


def test_scp_argv_brackets_an_ipv6_host() -> None:
    access = make_access("ssh ssh://ssh-7f3a@[::1]:2200")
    argv = build_scp_argv(access, parse_copy("s:f", "out"))
    assert argv[-5:] == ["-P", "2200", "--", "[::1]:f", "./out"]


# -- runs -------------------------------------------------------------------------------


def test_operands_are_checked_before_any_request(cli: Run, emu: Emulator) -> None:
    for argv in (["a:x", "b:y"], ["here", "there"]):
        result = cli("ssh", "cp", *argv)
        assert (result.code, result.out) == (2, "")
        assert one_line(result.err).startswith("leap0: ssh cp: ")
    assert emu.attempts("POST", "/v1/sandbox/a/ssh/access") == 0


def test_without_scp_exits_2_before_any_request(
    cli: Run, emu: Emulator, sandbox_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "scp" else name)
    result = cli("ssh", "cp", "x", f"{sandbox_id}:x")
    assert result.code == 2
    assert "the OpenSSH client 'scp' is not on PATH" in one_line(result.err)
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/access") == 0


def test_scp_gets_the_password_through_askpass_and_the_credential_is_revoked(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    fake_ssh.returncode_to_give = 1  # scp's status is the command's
    result = cli("ssh", "cp", "-r", "results", f"{sandbox_id}:out")
    assert result.code == 1
    (call,) = fake_ssh.calls
    assert call.argv[:3] == ["/usr/bin/ssh", "-s", "-r"]  # the stand-in's path for scp
    assert call.argv[-2:] == ["./results", f"{emu.ssh_host}:out"]
    user = call.argv[call.argv.index("-o") + 1].removeprefix("User=")
    assert call.password and call.password not in " ".join(call.argv) + result.err
    assert deletes(emu, sandbox_id, user) == 1
    assert is_valid(cli, sandbox_id, user, call.password) is False


def test_keep_prints_the_credential_and_keeps_it(
    cli: Run, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    result = cli("--json", "ssh", "cp", "--keep", f"{sandbox_id}:f", "f")
    assert result.code == 0
    shown = result.json()
    assert list(shown) == ACCESS_FIELDS
    assert fake_ssh.calls[0].password == shown["password"]
    assert is_valid(cli, sandbox_id, shown["id"], shown["password"]) is True


@needs_scp
def test_copies_to_and_from_a_sandbox_through_scp(
    cli: Run, emu: Emulator, sandbox_id: str, tmp_path: Path, issued: list[SshAccess]
) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("hello\n")
    awkward = "a b;touch PWNED $(id) 'q'.txt"  # no shell reads it: SFTP mode
    up = cli("ssh", "cp", str(source), f"{sandbox_id}:{awkward}")
    assert (up.code, up.out, up.err) == (0, "", "")
    listed = cli("ssh", "connect", sandbox_id, "--", "ls")
    assert listed.out.splitlines() == [awkward]

    back = tmp_path / "back.txt"
    down = cli("ssh", "cp", f"{sandbox_id}:{awkward}", str(back))
    assert (down.code, down.err) == (0, "")
    assert back.read_text() == "hello\n"

    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "f").write_text("x")
    assert cli("ssh", "cp", "-r", str(tree), f"{sandbox_id}:tree").code == 0
    found = cli("ssh", "connect", sandbox_id, "--", "cat tree/sub/f")
    assert found.out == "x"

    missing = cli("ssh", "cp", f"{sandbox_id}:no-such-file", str(tmp_path / "x"))
    assert missing.code == 1  # scp's status
    assert "no-such-file" in missing.err
    for used in issued:  # every copy's credential was revoked at its end
        assert is_valid(cli, sandbox_id, used.id, used.password) is False
    assert cli("ssh", "create", sandbox_id).code == 0  # none left: no 409


@needs_scp
def test_a_copy_into_an_unknown_sandbox_fails_on_one_line(cli: Run, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    result = cli("--json", "ssh", "cp", str(tmp_path / "f"), "sbx-missing:f")
    assert (result.code, result.out) == (1, "")
    error = json.loads(one_line(result.err))
    assert (error["error"], error["status_code"]) == ("Leap0NotFoundError", 404)
    assert error["command"] == "ssh cp sbx-missing"


def test_copy_help_says_how_paths_are_read(cli: Run) -> None:
    out = " ".join(cli("ssh", "cp", "--help").out.split())
    assert "SFTP mode (-s; OpenSSH 8.7 or newer)" in out
