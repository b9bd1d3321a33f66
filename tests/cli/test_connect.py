"""``leap0 ssh connect``: the ssh command line, the credential for the session, signals.

``ssh`` is run for real where OpenSSH is installed, and otherwise (and to see
the exact argv and environment) through a stand-in for ``subprocess.Popen``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import leap0
from leap0._cli import connect, openssh
from leap0._cli.openssh import askpass_env, askpass_script, build_ssh_argv
from leap0.emulator import Emulator
from leap0.models import SshAccess

from ._helpers import (
    ACCESS_FIELDS,
    PER_CREDENTIAL,
    REAL_POPEN,
    WATCHDOG,
    FakePopen,
    Run,
    answer_with,
    deletes,
    fields,
    is_valid,
    login,
    make_access,
    needs_ssh,
    one_line,
    options,
    revoke_command,
    validate_now,
)


@pytest.mark.parametrize(
    "head",
    [
        [*PER_CREDENTIAL, "ssh", "connect", "{id}"],
        ["--ssh-api=per-credential", "ssh", "connect", "{id}"],
        ["ssh", "connect", "{id}", *PER_CREDENTIAL],
        ["ssh", *PER_CREDENTIAL, "connect", "--ssh-option", "ConnectTimeout=5", "{id}"],
    ],
)
def test_ssh_api_anywhere_before_a_remote_command(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen], head: list[str]
) -> None:
    argv = [word.replace("{id}", sandbox_id) for word in head]
    result = cli(*argv, "--", "echo", "-n", "hi")
    assert (result.code, result.err) == (0, "")
    (call,) = fake_ssh.calls
    assert call.argv[-3:] == ["--", emu.ssh_host, "echo -n hi"]
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/{call.user}") == 1


# -- ssh connect: the ssh command line ----------------------------------------------


def test_argv_for_the_local_emulator() -> None:
    access = make_access()
    argv = build_ssh_argv(access, ["echo", "hi"], [], ssh="/usr/bin/ssh")
    assert argv == [
        "/usr/bin/ssh",
        "-o",
        "PreferredAuthentications=password,keyboard-interactive",
        "-o",
        "PubkeyAuthentication=no",
        "-o",
        "NumberOfPasswordPrompts=1",
        "-o",
        "ForwardAgent=no",
        "-o",
        "ForwardX11=no",
        "-o",
        "ClearAllForwardings=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        "-T",
        "-p",
        "2222",
        "-l",
        "ssh-7f3a",
        "--",
        "127.0.0.1",
        "echo hi",
    ]
    assert not any(access.password in word for word in argv)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "localhost", "[::1]"])
def test_loopback_hosts_are_not_pinned(host: str) -> None:
    argv = build_ssh_argv(make_access(f"ssh -p 2222 ssh-7f3a@{host}"))
    assert "StrictHostKeyChecking=no" in options(argv)
    assert "UserKnownHostsFile=/dev/null" in options(argv)
    assert argv[-1] == host.strip("[]")


def test_remote_hosts_accept_new_keys_only() -> None:
    argv = build_ssh_argv(make_access("ssh -p 22 ssh-7f3a@ssh.leap0.dev"), tty=True)
    opts = options(argv)
    assert "StrictHostKeyChecking=accept-new" in opts
    assert "StrictHostKeyChecking=no" not in opts
    assert "UserKnownHostsFile=/dev/null" not in opts
    assert argv[-7:] == ["-t", "-p", "22", "-l", "ssh-7f3a", "--", "ssh.leap0.dev"]


def test_no_tty_flag_without_a_terminal_or_command() -> None:
    argv = build_ssh_argv(make_access(), None, (), tty=False)
    assert "-t" not in argv
    assert "-T" not in argv
    assert argv[-2:] == ["--", "127.0.0.1"]  # no command after the host


def test_user_ssh_options_come_first_so_they_win() -> None:
    argv = build_ssh_argv(
        make_access(), ["true"], ["ServerAliveInterval=30", "StrictHostKeyChecking yes"]
    )
    opts = options(argv)
    assert opts[:2] == ["ServerAliveInterval=30", "StrictHostKeyChecking yes"]
    assert argv.index("-o") == 1


def test_request_tty_option_replaces_t_flags() -> None:
    argv = build_ssh_argv(make_access(), ["top"], ["RequestTTY=force"], tty=True)
    assert "-T" not in argv
    assert "-t" not in argv


def test_several_command_words_are_quoted() -> None:
    assert build_ssh_argv(make_access(), ["sh", "-c", "exit 3"])[-1] == "sh -c 'exit 3'"
    assert build_ssh_argv(make_access(), ["echo $HOME | wc"])[-1] == "echo $HOME | wc"


@pytest.mark.parametrize(
    "command",
    [
        "ssh -o ProxyCommand=touch\\ /tmp/x -p 22 u@h",
        "ssh -oLocalCommand=x u@h",
        "ssh -i key ssh-7f3a@h",
        "ssh ssh-7f3a@h extra-destination",
        "ssh -p 22",
        "ssh -p nope ssh-7f3a@h",
        "scp ssh-7f3a@h",
        "ssh -- -oProxyCommand=x",
        "ssh 'ssh-7f3a@h bad'",
        "ssh ssh-7f3a@-oProxyCommand=x",
        "",
    ],
)
def test_unexpected_service_commands_are_refused(command: str) -> None:
    with pytest.raises(leap0.Leap0ResponseError) as info:
        build_ssh_argv(make_access(command))
    assert info.value.field == "ssh_command"


@pytest.mark.parametrize(
    ("command", "host", "port"),
    [
        ("ssh -p 2222 ssh-7f3a@127.0.0.1", "127.0.0.1", 2222),
        ("ssh -p2200 -l ssh-7f3a h.example", "h.example", 2200),
        ("ssh -o Port=22 -o StrictHostKeyChecking=yes ssh-7f3a@h", "h", 22),
        ("ssh ssh://ssh-7f3a@[::1]:2222", "::1", 2222),
        ("/usr/bin/ssh ssh-7f3a@h", "h", 22),
    ],
)
def test_accepted_service_commands(command: str, host: str, port: int) -> None:
    access = make_access(command)
    assert build_ssh_argv(access)[-6:] == ["-p", str(port), "-l", "ssh-7f3a", "--", host]
    assert (access.host, access.port) == (host, port)


def test_askpass_env() -> None:
    env = askpass_env(
        {"PATH": "/bin", "LEAP0_API_KEY": "secret-key", "HOME": "/root"}, "/tmp/x/askpass"
    )
    assert env == {
        "PATH": "/bin",
        "HOME": "/root",
        "SSH_ASKPASS": "/tmp/x/askpass",
        "SSH_ASKPASS_REQUIRE": "force",
        "DISPLAY": ":0",
    }
    assert askpass_env({"DISPLAY": "host:1"}, "/a")["DISPLAY"] == "host:1"


def _ask(script: str, prompt: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([script, prompt], capture_output=True, text=True, check=False)


def test_askpass_script_answers_only_password_prompts() -> None:
    with askpass_script("pa$$ 'word'") as script:
        directory = os.path.dirname(script)
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(script).st_mode) == 0o700
        secret = os.path.join(directory, "password")
        assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
        assert "pa$$" not in Path(script).read_text()

        confirm = _ask(script, "Are you sure you want to continue connecting (yes/no)? ")
        assert (confirm.returncode, confirm.stdout) == (1, "")
        passphrase = _ask(script, "Enter passphrase for key '/root/.ssh/id_ed25519': ")
        assert (passphrase.returncode, passphrase.stdout) == (1, "")
        assert _ask(script, "ssh-1@127.0.0.1's password: ").stdout == "pa$$ 'word'\n"
        assert not os.path.exists(secret)  # given once (tests/cli/test_sigkill.py)
        for prompt in ("Password: ", "PASSWORD: "):
            with askpass_script("pw") as other:
                assert _ask(other, prompt).stdout == "pw\n"
    assert not os.path.exists(directory)


def test_askpass_directory_is_removed_on_error() -> None:
    with pytest.raises(RuntimeError), askpass_script("pw") as script:
        raise RuntimeError("boom")
    assert not os.path.exists(os.path.dirname(script))


# -- ssh connect: what is run -------------------------------------------------------------


def test_connect_hands_the_password_over_through_askpass_only(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    during: list[bool] = []

    def check(call: FakePopen) -> None:  # while the session runs
        during.append(validate_now(emu, sandbox_id, call.user, call.password))

    fake_ssh.during = check
    fake_ssh.returncode_to_give = 7
    result = cli("ssh", "connect", sandbox_id, "--ssh-option", "ConnectTimeout=5", "--", "ls", "-l")
    assert result.code == 7
    (call,) = fake_ssh.calls
    password = call.password
    assert password
    assert not any(password in word for word in call.argv)
    assert not any(password in value for value in call.env.values())
    assert call.argv[0] == "/usr/bin/ssh"
    assert call.argv[-3:] == ["--", emu.ssh_host, "ls -l"]
    assert "ConnectTimeout=5" in options(call.argv)
    assert call.env["SSH_ASKPASS_REQUIRE"] == "force"
    assert call.env["DISPLAY"]
    assert "LEAP0_API_KEY" not in call.env
    assert (call.askpass_mode, call.dir_mode) == (0o700, 0o700)
    assert not os.path.exists(os.path.dirname(call.askpass))  # removed afterwards
    assert password not in result.out + result.err
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/access") == 1

    # the credential ssh was given was valid during the session, and revoked after it
    assert during == [True]
    assert deletes(emu, sandbox_id, call.user) == 1
    assert is_valid(cli, sandbox_id, call.user, password) is False


def test_connect_replaces_an_existing_credential(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    emu.configure(ssh_api="single")  # one credential per sandbox
    old = cli("--json", "ssh", "create", sandbox_id).json()
    result = cli("ssh", "connect", sandbox_id)
    assert result.code == 0
    assert one_line(result.err) == (
        f"leap0: sandbox {sandbox_id} already has an SSH credential, and holds one at a time: "
        "giving it a new password for this session, so its current password stops working; "
        "it is revoked when the session ends (--keep keeps it)"
    )
    (call,) = fake_ssh.calls
    assert call.user == old["id"]
    assert call.password != old["password"]
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/regen") == 1
    # the one credential, which the session used, is revoked at the end
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access") == 1
    assert is_valid(cli, sandbox_id, old["id"], call.password) is False
    assert cli("ssh", "create", sandbox_id).code == 0  # so the sandbox has none left


def test_connect_signal_status_is_128_plus_the_signal(
    cli: Run, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    fake_ssh.returncode_to_give = -signal.SIGTERM
    assert cli("ssh", "connect", sandbox_id, "--", "true").code == 128 + signal.SIGTERM


def test_connect_without_ssh_exits_2_before_any_request(
    cli: Run, emu: Emulator, sandbox_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert result.code == 2
    assert one_line(result.err) == (
        f"leap0: ssh connect {sandbox_id}: the OpenSSH client 'ssh' is not on PATH; "
        "install it (e.g. the openssh-client package) and try again"
    )
    error = json.loads(one_line(cli("--json", "ssh", "connect", sandbox_id).err))
    assert error["error"] == "missing"
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/access") == 0


def test_connect_where_it_is_not_supported(
    cli: Run, emu: Emulator, sandbox_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openssh, "SUPPORTED", False)
    result = cli("ssh", "connect", sandbox_id)
    assert result.code == 2
    assert "not supported" in one_line(result.err)
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/access") == 0


def test_connect_when_ssh_cannot_start(
    cli: Run,
    emu: Emulator,
    sandbox_id: str,
    fake_ssh: type[FakePopen],
    issued: list[SshAccess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []

    def broken(argv: list[str], *args: Any, env: dict[str, str], **kwargs: Any) -> Any:
        if argv[1:] == ["-m", WATCHDOG]:  # leap0's watchdog starts; ssh does not
            return REAL_POPEN(argv, *args, env=env, **kwargs)
        seen.append(os.path.dirname(env["SSH_ASKPASS"]))
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(subprocess, "Popen", broken)
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert result.code == 1
    assert "could not run" in one_line(result.err)
    assert seen
    assert not os.path.exists(seen[0])
    # the credential issued for the session is revoked all the same
    (access,) = issued
    assert deletes(emu, sandbox_id, access.id) == 1
    assert is_valid(cli, sandbox_id, access.id, access.password) is False


def test_connect_to_an_unknown_sandbox(cli: Run, fake_ssh: type[FakePopen]) -> None:
    result = cli("ssh", "connect", "sbx-missing", "--", "true")
    assert result.code == 1
    line = one_line(result.err)
    assert line.startswith("leap0: ssh connect sbx-missing failed: GET /v1/sandbox/sbx-missing/")
    assert " -> 404: " in line
    assert fake_ssh.calls == []


@pytest.mark.parametrize(
    "template",
    [
        "ssh -F /tmp/evil_config -p {port} {user}@{host}",
        "ssh -i /tmp/key -p {port} {user}@{host}",
        "ssh -p {port} -- -oProxyCommand=touch+/tmp/x",
        "ssh -p {port} {user}@-oProxyCommand=touch+/tmp/x",
        "ssh -p {port} -l '$(touch /tmp/x)' {host}",
        "ssh -p {port} '$(id)@{host}'",
        "ssh -p {port} root@{host}",
        "ssh -p {port} {user}@{host} 'touch /tmp/x'",
        "ssh -p 0 {user}@{host}",
        "ssh -p 65536 {user}@{host}",
    ],
)
def test_connect_refuses_a_hostile_ssh_command_on_one_line_and_revokes(
    cli: Run,
    emu: Emulator,
    sandbox_id: str,
    fake_ssh: type[FakePopen],
    issued: list[SshAccess],
    monkeypatch: pytest.MonkeyPatch,
    template: str,
) -> None:
    answer_with(monkeypatch, template)
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert (result.code, result.out) == (1, "")
    line = one_line(result.err)
    assert line.startswith(f"leap0: ssh connect {sandbox_id} failed: the service's ssh_command ")
    assert fake_ssh.calls == []  # ssh never ran
    (used,) = issued
    assert used.password not in result.err
    assert deletes(emu, sandbox_id, used.id) == 1
    assert is_valid(cli, sandbox_id, used.id, used.password) is False


@pytest.mark.parametrize(
    "template",
    [
        "ssh -o UserKnownHostsFile=~/.bashrc -o 'HostKeyAlias=$(touch /tmp/x)' "
        "-p {port} {user}@{host}",
        "ssh -oUserKnownHostsFile=/tmp/kh -oHostKeyAlias=$(id) -p {port} {user}@{host}",
        "ssh -o 'ProxyCommand sh -c \"touch /tmp/x\"' -p {port} {user}@{host}",
        "ssh -o LocalCommand=id -o PermitLocalCommand=yes {user}@{host} -p {port}",
        "ssh -o IdentityFile=/tmp/key -o ProxyJump=evil.example ssh://{user}@{host}:{port}",
    ],
)
def test_connect_passes_no_option_from_the_service_to_ssh(
    cli: Run,
    emu: Emulator,
    sandbox_id: str,
    fake_ssh: type[FakePopen],
    monkeypatch: pytest.MonkeyPatch,
    template: str,
) -> None:
    answer_with(monkeypatch, template)
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert (result.code, result.out, result.err) == (0, "", "")
    (call,) = fake_ssh.calls
    tail = ["-p", str(emu.ssh_port), "-l", call.user, "--", emu.ssh_host, "true"]
    assert call.argv[-7:] == tail
    assert (
        call.argv[: -len(tail)]
        == build_ssh_argv(
            make_access(f"ssh -p 2222 ssh-7f3a@{emu.ssh_host}"), ["true"], ssh="/usr/bin/ssh"
        )[: -len(tail)]
    )
    for word in ("bashrc", "$(", "HostKeyAlias", "/tmp", "Proxy", "LocalCommand", "Identity"):
        assert not any(word in arg for arg in call.argv), word


@needs_ssh
def test_connect_through_openssh_with_an_ssh_url(
    cli: Run,
    emu: Emulator,
    sandbox_id: str,
    issued: list[SshAccess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answer_with(monkeypatch, "ssh ssh://{user}@{host}:{port}")
    result = cli("ssh", "connect", sandbox_id, "--", "echo", "hi")
    assert (result.code, result.out, result.err) == (0, "hi\n", "")
    (used,) = issued
    shown = attrs.evolve(used, ssh_command=f"ssh ssh://{used.id}@{emu.ssh_host}:{emu.ssh_port}")
    assert (shown.host, shown.port) == (emu.ssh_host, emu.ssh_port)


def test_run_ssh_passes_signals_on_and_reports_them(tmp_path: Path) -> None:
    started = tmp_path / "started"
    child = f"import pathlib, sys, time\npathlib.Path({str(started)!r}).touch()\ntime.sleep(30)\n"

    def interrupt_when_started() -> None:
        deadline = time.monotonic() + 20
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        if started.exists():
            os.kill(os.getpid(), signal.SIGTERM)

    previous = signal.getsignal(signal.SIGTERM)
    killer = threading.Thread(target=interrupt_when_started)
    killer.start()
    try:
        status = openssh.run_ssh([sys.executable, "-c", child], dict(os.environ))
    finally:
        killer.join()
    assert status == 128 + signal.SIGTERM  # the child got it; this process carried on
    assert signal.getsignal(signal.SIGTERM) is previous


# -- ssh connect: real OpenSSH -----------------------------------------------------------


@needs_ssh
def test_connect_runs_a_command_through_openssh(cli: Run, sandbox_id: str) -> None:
    result = cli("ssh", "connect", sandbox_id, "--", "echo", "hi")
    assert (result.code, result.out) == (0, "hi\n"), result.err


@needs_ssh
def test_connect_exits_with_the_remote_status(cli: Run, sandbox_id: str) -> None:
    result = cli("ssh", "connect", sandbox_id, "--", "sh", "-c", "exit 3")
    assert result.code == 3, result.err
    # the first one's credential was revoked, so a second connect issues a new one
    result = cli("ssh", "connect", sandbox_id, "--", "echo $((6 * 7)) | tr 4 x")
    assert (result.code, result.out, result.err) == (0, "x2\n", "")


@needs_ssh
def test_connect_with_a_password_that_no_longer_works(
    cli: Run, sandbox_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_create = leap0.SshClient.create_access
    real_regen = leap0.SshClient.regenerate_access

    def create_then_rotate(self: leap0.SshClient, sandbox: str, **kwargs: Any) -> SshAccess:
        access = real_create(self, sandbox, **kwargs)
        real_regen(self, sandbox)
        return access

    monkeypatch.setattr(leap0.SshClient, "create_access", create_then_rotate)
    result = cli("ssh", "connect", sandbox_id, "--", "echo", "hi")
    assert result.code == 255  # ssh's own failure status
    assert result.out == ""
    assert "Permission denied" in result.err


# -- ssh connect: the credential it issues, revoked at the end unless --keep -------------------


@pytest.mark.parametrize("status", [0, 3, 255, -signal.SIGINT, -signal.SIGTERM])
def test_connect_revokes_its_credential_whatever_the_session_status(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen], status: int
) -> None:
    fake_ssh.returncode_to_give = status  # negative: ssh ended by a signal (e.g. Ctrl-C)
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert result.code == (128 - status if status < 0 else status)
    assert (result.out, result.err) == ("", "")
    (call,) = fake_ssh.calls
    assert deletes(emu, sandbox_id, call.user) == 1
    assert is_valid(cli, sandbox_id, call.user, call.password) is False


@needs_ssh
def test_connect_through_openssh_leaves_no_valid_credential(
    cli: Run, sandbox_id: str, issued: list[SshAccess]
) -> None:
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert (result.code, result.out, result.err) == (0, "", "")
    (used,) = issued
    assert is_valid(cli, sandbox_id, used.id, used.password) is False
    assert cli("ssh", "create", sandbox_id).code == 0  # no credential left: no 409


def test_connect_keep_prints_the_credential_as_ssh_create_does(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    result = cli("ssh", "connect", sandbox_id, "--keep", "--", "true")
    assert result.code == 0
    (call,) = fake_ssh.calls
    shown = fields(result.out)
    assert list(shown) == ACCESS_FIELDS
    assert (shown["id"], shown["password"], shown["sandbox_id"]) == (
        call.user,
        call.password,
        sandbox_id,
    )
    assert one_line(result.err) == (
        "leap0: save the password now: it cannot be shown again "
        f"('leap0 ssh regen {sandbox_id} --access-id {call.user}' issues a new one)"
    )
    assert deletes(emu, sandbox_id, call.user) == 0
    assert is_valid(cli, sandbox_id, call.user, call.password) is True


def test_connect_keep_json_under_per_credential(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    result = cli(*PER_CREDENTIAL, "--json", "ssh", "connect", sandbox_id, "--keep")
    assert result.code == 0
    (call,) = fake_ssh.calls
    data = result.json()
    assert list(data) == ACCESS_FIELDS
    assert (data["id"], data["password"]) == (call.user, call.password)
    assert f"'leap0 ssh regen {sandbox_id} --access-id {call.user}'" in one_line(result.err)
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/{call.user}") == 0
    assert is_valid(cli, sandbox_id, call.user, call.password, "per-credential") is True


@needs_ssh
def test_connect_keep_prints_before_the_session(cli: Run, sandbox_id: str) -> None:
    result = cli("ssh", "connect", sandbox_id, "--keep", "--", "echo", "session")
    assert result.code == 0, result.err
    *printed, last = result.out.splitlines()
    assert last == "session"
    access = fields("\n".join(printed))
    assert list(access) == ACCESS_FIELDS
    assert is_valid(cli, sandbox_id, access["id"], access["password"]) is True


def test_connect_keep_on_a_sandbox_that_has_a_credential(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    emu.configure(ssh_api="single")  # one credential per sandbox
    access = cli("--json", "ssh", "create", sandbox_id).json()
    result = cli("--json", "ssh", "connect", sandbox_id, "--keep")
    assert result.code == 0
    lines = result.err.splitlines()
    assert lines[0] == (
        f"leap0: sandbox {sandbox_id} already has an SSH credential, and holds one at a time: "
        "giving it a new password for this session, so its current password stops working"
    )
    assert lines[1] == (
        "leap0: save the password now: it cannot be shown again "
        f"('leap0 ssh regen {sandbox_id}' issues a new one)"  # the single routes: no id
    )
    (call,) = fake_ssh.calls
    assert result.json()["password"] == call.password
    assert is_valid(cli, sandbox_id, access["id"], call.password) is True


def test_connect_keep_revokes_a_credential_it_could_not_print(
    cli: Run,
    sandbox_id: str,
    fake_ssh: type[FakePopen],
    issued: list[SshAccess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(connect, "show_access", interrupted)
    result = cli("ssh", "connect", sandbox_id, "--keep", "--", "true")
    assert result.code == 130
    assert fake_ssh.calls == []
    (used,) = issued
    assert is_valid(cli, sandbox_id, used.id, used.password) is False


def test_connect_revokes_when_interrupted_before_ssh_starts(
    cli: Run,
    sandbox_id: str,
    fake_ssh: type[FakePopen],
    issued: list[SshAccess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def interrupted(password: str, parent: str) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(openssh, "askpass_script", interrupted)
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert result.code == 130
    assert fake_ssh.calls == []
    (used,) = issued
    assert is_valid(cli, sandbox_id, used.id, used.password) is False


@pytest.mark.parametrize("name", ["SIGTERM", "SIGQUIT"])
def test_connect_revokes_on_a_signal_before_ssh_starts(
    cli: Run,
    sandbox_id: str,
    fake_ssh: type[FakePopen],
    issued: list[SshAccess],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    signum = getattr(signal, name, None)
    if signum is None:
        pytest.skip(f"no {name} here")
    if signal.getsignal(signum) is not signal.SIG_DFL:
        pytest.skip(f"{name} already has a handler in this process")
    real_script = openssh.askpass_script
    directories: list[str] = []

    @contextlib.contextmanager
    def signalled(password: str, parent: str) -> Iterator[str]:
        with real_script(password, parent) as script:
            directories.append(os.path.dirname(script))
            # never send it unless leap0 took it over: by default it would end the test run
            assert signal.getsignal(signum) is not signal.SIG_DFL
            os.kill(os.getpid(), signum)
            yield script

    monkeypatch.setattr(openssh, "askpass_script", signalled)
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert result.code == 128 + signum
    assert fake_ssh.calls == []
    (directory,) = directories
    assert not os.path.exists(directory)
    (used,) = issued
    assert is_valid(cli, sandbox_id, used.id, used.password) is False
    assert signal.getsignal(signum) is signal.SIG_DFL


# Stands in for ssh: asks the askpass for the password and reports on stdout;
# then lets go of leap0's output streams (so one left running holds no pipe),
# waits (at most two minutes) for a signal, writes which one to the file
# FAKE_SSH_REPORT, and exits 255 as ssh does when a signal ends it.
FAKE_SSH = """#!PYTHON
import json, os, signal, subprocess, sys
caught = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT]
signal.pthread_sigmask(signal.SIG_BLOCK, caught)
askpass = os.environ["SSH_ASKPASS"]
answer = subprocess.run([askpass, "password: "], capture_output=True, text=True, check=False)
started = {"pid": os.getpid(), "argv": sys.argv, "askpass": askpass}
started["password"] = answer.stdout.rstrip("\\n")
print(json.dumps(started), flush=True)
devnull = os.open(os.devnull, os.O_WRONLY)
os.dup2(devnull, 1)
os.dup2(devnull, 2)
info = signal.sigtimedwait(caught, 120)
report = os.environ["FAKE_SSH_REPORT"]
with open(report + ".part", "w") as file:
    json.dump({"signal": info.si_signo if info else None}, file)
os.replace(report + ".part", report)
sys.exit(255)
"""


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The next line of ``process``'s stdout, waiting at most ``timeout`` seconds for it."""
    import select

    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        pytest.fail(f"no output within {timeout} seconds")
    return process.stdout.readline()


@pytest.mark.skipif(not hasattr(signal, "SIGQUIT"), reason="no SIGQUIT here")
def test_ctrl_backslash_while_ssh_runs_cleans_up_like_ctrl_c(
    cli: Run, emu: Emulator, sandbox_id: str, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ssh"
    fake.write_text(FAKE_SSH.replace("PYTHON", sys.executable))
    fake.chmod(0o700)
    report = tmp_path / "ssh-report.json"
    env = {
        **os.environ,
        **emu.env(),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "FAKE_SSH_REPORT": str(report),
    }
    # No core file if SIGQUIT's default action ends the process.
    argv = ["/bin/sh", "-c", 'ulimit -c 0; exec "$@"', "sh", sys.executable, "-m", "leap0._cli"]
    argv += ["ssh", "connect", sandbox_id, "--", "true"]
    started: dict[str, Any] = {}
    with REAL_POPEN(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
        text=True,
    ) as process:
        try:
            started = json.loads(_read_line(process, timeout=60))  # ssh runs
            assert os.path.isdir(os.path.dirname(started["askpass"]))
            process.send_signal(signal.SIGQUIT)  # as Ctrl-\ would
            out, err = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
            if started and not report.exists():  # an ssh leap0 left behind: end it
                with contextlib.suppress(ProcessLookupError):
                    os.kill(started["pid"], signal.SIGKILL)
    assert report.exists(), f"ssh was left running; leap0 exited with {process.returncode}"
    assert json.loads(report.read_text()) == {"signal": signal.SIGQUIT}  # passed on to ssh
    assert (process.returncode, out, err) == (255, "", "")  # ssh's status
    assert not os.path.exists(os.path.dirname(started["askpass"]))
    user = started["argv"][started["argv"].index("-l") + 1]
    assert deletes(emu, sandbox_id, user) == 1
    assert is_valid(cli, sandbox_id, user, started["password"]) is False


def test_termination_raises_leaves_handled_signals_alone() -> None:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        with openssh.termination_raises():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        with openssh.termination_raises():
            assert signal.getsignal(signal.SIGHUP) is not signal.SIG_DFL
            with pytest.raises(openssh.Terminated) as info:
                os.kill(os.getpid(), signal.SIGHUP)
        assert info.value.signum == signal.SIGHUP
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_a_failed_revoke_is_one_line_and_the_status_is_1_not_the_sessions(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    fake_ssh.returncode_to_give = 7
    emu.inject("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access", {"status": 403})
    result = cli("--ssh-api", "single", "ssh", "connect", sandbox_id, "--", "true")
    assert (result.code, result.out) == (1, "")
    (call,) = fake_ssh.calls
    line = one_line(result.err)
    assert line.startswith(
        f"leap0: ssh connect {sandbox_id} failed: DELETE /v1/sandbox/{sandbox_id}/ssh/access "
        "-> 403: injected fault (request id "
    )
    assert line.endswith(
        f"; SSH credential {call.user} was not revoked (the session's exit status was 7); "
        f"revoke it with: leap0 --ssh-api single ssh delete {sandbox_id} --access-id {call.user}"
    )
    assert call.password not in result.err
    assert is_valid(cli, sandbox_id, call.user, call.password) is True  # left, as reported
    assert cli(*revoke_command(line)).code == 0
    assert is_valid(cli, sandbox_id, call.user, call.password) is False


def test_single_connect_against_a_per_credential_service_reports_what_it_left(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    emu.configure(ssh_api="per-credential")
    result = cli("--ssh-api", "single", "ssh", "connect", sandbox_id, "--", "true")
    assert result.code == 1
    (call,) = fake_ssh.calls
    line = one_line(result.err)
    assert line.startswith(f"leap0: ssh connect {sandbox_id} failed: DELETE ")
    assert " -> 404: " in line
    assert f"; SSH credential {call.user} was not revoked" in line
    revoke = cli(*PER_CREDENTIAL, "ssh", "delete", sandbox_id, "--access-id", call.user)
    assert revoke.code == 0


def test_per_credential_connect_revokes_only_its_own(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    emu.configure(ssh_api="per-credential")
    mine = cli(*PER_CREDENTIAL, "--json", "ssh", "create", sandbox_id).json()
    during: list[bool] = []

    def check(call: FakePopen) -> None:
        during.append(validate_now(emu, sandbox_id, call.user, call.password))
        during.append(validate_now(emu, sandbox_id, mine["id"], mine["password"]))

    fake_ssh.during = check
    for _ in range(2):
        result = cli(*PER_CREDENTIAL, "ssh", "connect", sandbox_id, "--", "true")
        assert (result.code, result.out, result.err) == (0, "", "")
    first, second = fake_ssh.calls
    assert len({first.user, second.user, mine["id"]}) == 3  # each issued its own
    assert during == [True, True, True, True]
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/access") == 3
    pc = "per-credential"
    for call in (first, second):
        assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/{call.user}") == 1
        assert is_valid(cli, sandbox_id, call.user, call.password, pc) is False
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/{mine['id']}/regen") == 0
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/{mine['id']}") == 0
    assert is_valid(cli, sandbox_id, mine["id"], mine["password"], pc) is True


def test_per_credential_connect_never_replaces_an_existing_credential(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    emu.configure(ssh_api="single")  # one credential per sandbox: the create is a 409
    access = cli("--json", "ssh", "create", sandbox_id).json()
    result = cli(*PER_CREDENTIAL, "ssh", "connect", sandbox_id, "--", "true")
    assert (result.code, result.out) == (1, "")
    line = one_line(result.err)
    assert line.startswith(
        f"leap0: ssh connect {sandbox_id} failed: POST /v1/sandbox/{sandbox_id}/"
    )
    assert " -> 409: " in line
    assert fake_ssh.calls == []
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/regen") == 0
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/{access['id']}/regen") == 0
    assert is_valid(cli, sandbox_id, access["id"], access["password"]) is True


@needs_ssh
def test_per_credential_connect_leaves_an_existing_credential_working(
    cli: Run, emu: Emulator, sandbox_id: str, issued: list[SshAccess]
) -> None:
    emu.configure(ssh_api="per-credential")
    mine = cli(*PER_CREDENTIAL, "--json", "ssh", "create", sandbox_id).json()
    issued.clear()
    result = cli(*PER_CREDENTIAL, "ssh", "connect", sandbox_id, "--", "echo", "hi")
    assert (result.code, result.out, result.err) == (0, "hi\n", "")
    (own,) = issued
    assert own.id != mine["id"]
    pc = "per-credential"
    assert is_valid(cli, sandbox_id, own.id, own.password, pc) is False
    assert is_valid(cli, sandbox_id, mine["id"], mine["password"], pc) is True
    still = login(mine, "echo", "still here")
    assert (still.returncode, still.stdout) == (0, "still here\n"), still.stderr
    gone = login(
        {**mine, "id": own.id, "password": own.password, "ssh_command": own.ssh_command},
        "true",
    )
    assert gone.returncode == 255
    assert "Permission denied" in gone.stderr
