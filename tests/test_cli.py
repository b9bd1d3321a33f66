"""The ``leap0`` command line, end to end against the local emulator.

Most tests call ``main([...])`` in this process and read its output with
``capsys``; a few run the installed console script in a subprocess to see the
real exit status and that no traceback is printed. ``ssh connect`` is tested
both with a stand-in for ``subprocess.Popen`` (to see the exact argv and
environment ``ssh`` would get) and with the real OpenSSH client.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import attrs
import pytest

import leap0
from leap0 import _cli_ssh
from leap0._cli import _OptionWords, build_parser, main
from leap0._cli_ssh import askpass_env, askpass_script, build_ssh_argv
from leap0._convert import structure
from leap0._ssh_api import SshApi
from leap0.emulator import Emulator
from leap0.models import SshAccess

from ._support import access_json

REAL_POPEN = subprocess.Popen
HAVE_SSH = shutil.which("ssh") is not None
needs_ssh = pytest.mark.skipif(not HAVE_SSH, reason="the OpenSSH client is not installed")


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Result]


@pytest.fixture
def emu(leap0_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The emulator, with ``LEAP0_API_KEY`` and ``LEAP0_BASE_URL`` pointing at it.

    ``LEAP0_SSH_API`` is unset, so the SSH routes are the default unless a test sets them.
    """
    monkeypatch.setenv("LEAP0_API_KEY", leap0_emulator.api_key)
    monkeypatch.setenv("LEAP0_BASE_URL", leap0_emulator.base_url)
    monkeypatch.delenv("LEAP0_SSH_API", raising=False)
    return leap0_emulator


@pytest.fixture
def cli(emu: Emulator, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``cli("sandbox", "list", stdin=...)``: run ``main`` and collect its exit status and output.

    Output is captured at the file descriptors, so what ``ssh`` prints is included.
    """

    def run(*argv: str, stdin: str | None = None) -> Result:
        capfd.readouterr()
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(argv))
        captured = capfd.readouterr()
        assert "Traceback" not in captured.err
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def sandbox_id(cli: Run) -> str:
    result = cli("--json", "sandbox", "create")
    assert result.code == 0, result.err
    ident: str = result.json()["id"]
    return ident


@pytest.fixture
def access(cli: Run, sandbox_id: str) -> dict[str, str]:
    """A credential of ``sandbox_id``, as ``leap0 --json ssh create`` printed it."""
    result = cli("--json", "ssh", "create", sandbox_id)
    assert result.code == 0, result.err
    data: dict[str, str] = result.json()
    return data


@pytest.fixture
def issued(monkeypatch: pytest.MonkeyPatch) -> list[SshAccess]:
    """Every credential the SDK's ``create_access`` and ``regenerate_access`` return, in order.

    The real methods run; their answers are only recorded, so a test can tell
    which credential ``ssh connect`` used when real ``ssh`` is given it.
    """
    seen: list[SshAccess] = []
    real_create = leap0.SshClient.create_access
    real_regen = leap0.SshClient.regenerate_access

    def create(self: leap0.SshClient, *args: Any, **kwargs: Any) -> SshAccess:
        got = real_create(self, *args, **kwargs)
        seen.append(got)
        return got

    def regen(self: leap0.SshClient, *args: Any, **kwargs: Any) -> SshAccess:
        got = real_regen(self, *args, **kwargs)
        seen.append(got)
        return got

    monkeypatch.setattr(leap0.SshClient, "create_access", create)
    monkeypatch.setattr(leap0.SshClient, "regenerate_access", regen)
    return seen


ACCESS_FIELDS = [
    "id",
    "sandbox_id",
    "password",
    "ssh_command",
    "expires_at",
    "created_at",
    "updated_at",
]


def fields(text: str) -> dict[str, str]:
    """``key  value`` lines as a dict."""
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        out[key] = value.strip()
    return out


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


def is_valid(
    cli: Run, sandbox_id: str, access_id: str, password: str, ssh_api: str = "single"
) -> bool:
    """``leap0 ssh validate`` of the pair (under ``ssh_api``'s routes)."""
    result = cli(
        "--ssh-api",
        ssh_api,
        "--json",
        "ssh",
        "validate",
        sandbox_id,
        "--access-id",
        access_id,
        "--password-stdin",
        stdin=password,
    )
    assert result.code == 0, result.err
    valid: bool = result.json()["valid"]
    return valid


def validate_now(emu: Emulator, sandbox_id: str, access_id: str, password: str) -> bool:
    """The SDK's validate, for use while ``main`` runs (``cli`` would take over its output)."""
    ssh_api: SshApi = "single" if emu.settings.ssh_api == "single" else "per-credential"
    with leap0.Leap0Client(api_key=emu.api_key, base_url=emu.base_url, ssh_api=ssh_api) as client:
        return client.ssh.validate_access(sandbox_id, access_id=access_id, password=password).valid


# -- help, version, usage -------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"leap0 {leap0.__version__}"


def test_top_level_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: leap0")
    for word in ("sandbox", "ssh", "emulator", "examples:", "LEAP0_API_KEY", "exit status"):
        assert word in out


@pytest.mark.parametrize(
    "command",
    [
        ["sandbox"],
        ["sandbox", "create"],
        ["sandbox", "get"],
        ["sandbox", "list"],
        ["sandbox", "delete"],
        ["ssh"],
        ["ssh", "create"],
        ["ssh", "validate"],
        ["ssh", "regen"],
        ["ssh", "delete"],
        ["ssh", "connect"],
    ],
)
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: leap0 {' '.join(command)}")
    assert "--json" in out


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["sandbox"],
        ["nope"],
        ["sandbox", "get"],
        ["sandbox", "create", "--vcpu", "two"],
        ["sandbox", "create", "--env", "NO_EQUALS_SIGN"],
        ["sandbox", "list", "--order", "sideways"],
        ["sandbox", "list", "--state", "asleep"],
        ["ssh", "validate", "sbx-1", "--access-id", "ssh-1"],
        ["ssh", "validate", "sbx-1", "--password-stdin"],
        ["ssh", "validate", "sbx-1", "--access-id", "ssh-1", "--password", "x"],
        ["sandbox", "get", "sbx-1", "--jso"],
        ["--ssh-api", "both", "sandbox", "list"],
        ["sandbox", "list", "--ssh-api", "per_credential"],
        ["ssh", "delete", "sbx-1", "--ssh-api"],
        ["ssh", "regen", "sbx-1", "--access-id"],
    ],
)
def test_bad_usage_exits_2_before_any_request(cli: Run, emu: Emulator, argv: list[str]) -> None:
    result = cli(*argv)
    assert result.code == 2
    assert result.out == ""
    assert "usage: leap0" in result.err
    assert emu.attempts("GET", "/v1/sandboxes") == 0
    assert emu.attempts("POST", "/v1/sandbox") == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sandbox", "create", "--vcpu", "99"], "vcpu must be between 1 and 8"),
        (["sandbox", "create", "--memory", "1025"], "memory must be an even number"),
        (["sandbox", "list", "--page-size", "500"], "page_size must be between 1 and 100"),
        (["sandbox", "get", "../etc"], "sandbox must be 1 to 128"),
        (["ssh", "create", "a/b"], "sandbox must be 1 to 128"),
        (["ssh", "connect", "sbx-1", "--ssh-option=-oProxyCommand=x"], "bad ssh option"),
    ],
)
def test_arguments_the_sdk_refuses_exit_2(
    cli: Run, emu: Emulator, argv: list[str], message: str
) -> None:
    result = cli(*argv)
    assert result.code == 2
    line = one_line(result.err)
    assert line.startswith(f"leap0: {argv[0]} {argv[1]}")
    assert message in line
    assert emu.attempts("POST", "/v1/sandbox") == 0


def test_missing_api_key_exits_2_naming_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEAP0_API_KEY", raising=False)
    assert main(["sandbox", "list"]) == 2
    assert "LEAP0_API_KEY" in one_line(capsys.readouterr().err)


def test_plain_http_to_a_remote_host_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAP0_API_KEY", "key-123")
    code = main(["--base-url", "http://api.example.com", "sandbox", "list"])
    assert code == 2
    err = one_line(capsys.readouterr().err)
    assert "https://" in err
    assert "key-123" not in err


# -- configuration --------------------------------------------------------------


def test_flags_instead_of_the_environment(
    leap0_emulator: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEAP0_API_KEY", raising=False)
    monkeypatch.setenv("LEAP0_BASE_URL", "https://unused.invalid")
    emu = leap0_emulator
    before = ["--api-key", emu.api_key, "--base-url", emu.base_url, "sandbox", "list"]
    after = ["sandbox", "list", f"--api-key={emu.api_key}", "--base-url", emu.base_url]
    for argv in (before, after):
        assert main(argv) == 0
        captured = capsys.readouterr()
        assert captured.out.strip() == "no sandboxes"
        assert emu.api_key not in captured.out + captured.err


def test_wrong_api_key_is_a_401_and_is_never_printed(
    leap0_emulator: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAP0_API_KEY", "wrong-key-0123456789")
    monkeypatch.setenv("LEAP0_BASE_URL", leap0_emulator.base_url)
    assert main(["sandbox", "list"]) == 1
    captured = capsys.readouterr()
    line = one_line(captured.err)
    assert line.startswith("leap0: sandbox list failed: 401 Unauthorized: ")
    assert "LEAP0_API_KEY" in line
    assert "wrong-key-0123456789" not in captured.out + captured.err


def test_unreachable_service_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("LEAP0_API_KEY", "key-123")
    assert main(["--base-url", f"http://127.0.0.1:{port}", "sandbox", "get", "sbx-1"]) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith("leap0: sandbox get sbx-1 failed: ")
    assert "could not connect" in line
    assert f"127.0.0.1:{port}" in line


# -- sandbox --------------------------------------------------------------------


def test_sandbox_create_text(cli: Run) -> None:
    result = cli("sandbox", "create")
    assert result.code == 0
    assert result.err == ""
    info = fields(result.out)
    assert list(info) == [
        "id",
        "template_id",
        "state",
        "vcpu",
        "memory",
        "disk",
        "timeout",
        "auto_pause",
        "created_at",
    ]
    assert info["id"].startswith("sbx-")
    assert info["template_id"] == "system/debian:bookworm"
    assert info["state"] == "running"
    assert info["memory"] == "1024 MiB"
    assert info["timeout"] == "300 s"
    assert info["auto_pause"] == "false"
    # values line up in one column
    lines = result.out.splitlines()
    columns = {line.index(value) for line, value in zip(lines, info.values(), strict=True)}
    assert len(columns) == 1


def test_sandbox_create_with_options_json(cli: Run) -> None:
    result = cli(
        "sandbox",
        "create",
        "--template",
        "system/alpine:3",
        "--vcpu",
        "2",
        "--memory",
        "2048",
        "--timeout",
        "600",
        "--env",
        "A=1",
        "--env",
        "B=x=y",
        "--auto-pause",
        "--json",
    )
    assert result.code == 0, result.err
    data = result.json()
    assert data["template_id"] == "system/alpine:3"
    assert (data["vcpu"], data["memory"], data["timeout"], data["auto_pause"]) == (
        2,
        2048,
        600,
        True,
    )
    assert data["created_at"].endswith("Z")
    assert set(data) == {
        "id",
        "template_id",
        "vcpu",
        "memory",
        "disk",
        "timeout",
        "state",
        "auto_pause",
        "created_at",
    }


@needs_ssh
def test_sandbox_env_reaches_the_sandbox(cli: Run) -> None:
    created = cli("--json", "sandbox", "create", "--env", "GREETING=hello there")
    result = cli("ssh", "connect", created.json()["id"], "--", 'echo "$GREETING"')
    assert (result.code, result.out) == (0, "hello there\n"), result.err


def test_sandbox_limit_is_a_409(cli: Run, emu: Emulator) -> None:
    emu.configure(max_sandboxes=1)
    assert cli("sandbox", "create").code == 0
    result = cli("sandbox", "create")
    assert result.code == 1
    assert result.out == ""
    assert one_line(result.err).startswith("leap0: sandbox create failed: 409 Conflict: ")


def test_sandbox_get_text_and_json(cli: Run, sandbox_id: str) -> None:
    text = cli("sandbox", "get", sandbox_id)
    assert text.code == 0
    assert fields(text.out)["id"] == sandbox_id
    before = cli("--json", "sandbox", "get", sandbox_id)
    after = cli("sandbox", "get", sandbox_id, "--json")
    assert before.code == after.code == 0
    assert before.out == after.out
    assert before.json()["id"] == sandbox_id
    assert before.json()["state"] == "running"


def test_sandbox_get_unknown_is_a_404(cli: Run) -> None:
    result = cli("sandbox", "get", "sbx-missing")
    assert result.code == 1
    assert result.out == ""
    line = one_line(result.err)
    assert line.startswith("leap0: sandbox get sbx-missing failed: 404 Not Found: ")
    assert "(request id req_" in line


def test_an_id_starting_with_a_dash_after_double_dash(cli: Run) -> None:
    result = cli("sandbox", "get", "--", "-odd-id")
    assert result.code == 1
    assert "sandbox get -odd-id failed: 404 Not Found" in result.err


def test_sandbox_list_text_and_json(cli: Run) -> None:
    empty = cli("sandbox", "list")
    assert (empty.code, empty.out) == (0, "no sandboxes\n")
    assert cli("--json", "sandbox", "list").json() == {
        "items": [],
        "total_items": 0,
        "page": 1,
        "page_size": 20,
    }

    ids = [cli("--json", "sandbox", "create").json()["id"] for _ in range(3)]
    table = cli("sandbox", "list", "--order", "asc")
    assert table.code == 0
    lines = table.out.splitlines()
    assert lines[0].split() == ["ID", "TEMPLATE", "STATE", "CREATED_AT", "TIMEOUT_AT"]
    assert [line.split()[0] for line in lines[1:]] == ids
    assert all(line.split()[2] == "running" for line in lines[1:])
    assert table.err == ""

    data = cli("sandbox", "list", "--json", "--order", "desc").json()
    assert data["total_items"] == 3
    assert [item["id"] for item in data["items"]] == ids[::-1]


def test_sandbox_list_pages_and_filters(cli: Run) -> None:
    for _ in range(3):
        cli("sandbox", "create")
    page = cli("sandbox", "list", "--page", "2", "--page-size", "2")
    assert page.code == 0
    assert len(page.out.splitlines()) == 2  # header and one sandbox
    assert one_line(page.err) == "leap0: page 2: sandboxes 3-3 of 3"
    data = cli("--json", "sandbox", "list", "--page", "2", "--page-size", "2").json()
    assert (len(data["items"]), data["total_items"], data["page"]) == (1, 3, 2)
    paused = cli("--json", "sandbox", "list", "--state", "paused").json()
    assert paused["items"] == []


def test_sandbox_delete_text_and_json(cli: Run) -> None:
    first = cli("--json", "sandbox", "create").json()["id"]
    second = cli("--json", "sandbox", "create").json()["id"]
    text = cli("sandbox", "delete", first)
    assert (text.code, text.out, text.err) == (0, f"deleted sandbox {first}\n", "")
    data = cli("sandbox", "delete", second, "--json")
    assert data.code == 0
    assert data.json() == {"deleted": True, "id": second}
    again = cli("sandbox", "delete", first)
    assert again.code == 1
    assert "sandbox delete" in one_line(again.err)
    assert cli("sandbox", "get", first).code == 1


# -- ssh access -------------------------------------------------------------------


def test_ssh_create_text_prints_the_password_once(cli: Run, sandbox_id: str) -> None:
    result = cli("ssh", "create", sandbox_id)
    assert result.code == 0
    access = fields(result.out)
    assert list(access) == [
        "id",
        "sandbox_id",
        "password",
        "ssh_command",
        "expires_at",
        "created_at",
        "updated_at",
    ]
    assert access["sandbox_id"] == sandbox_id
    assert access["ssh_command"].startswith("ssh -p ")
    assert access["password"]
    hint = one_line(result.err)
    assert "save the password now" in hint
    assert access["password"] not in result.err
    # nothing else shows it again
    shown = cli("sandbox", "get", sandbox_id)
    assert access["password"] not in shown.out + shown.err


def test_ssh_create_json(cli: Run, sandbox_id: str) -> None:
    result = cli("--json", "ssh", "create", sandbox_id)
    assert result.code == 0
    data = result.json()
    assert set(data) == {
        "id",
        "sandbox_id",
        "password",
        "ssh_command",
        "expires_at",
        "created_at",
        "updated_at",
    }
    assert data["sandbox_id"] == sandbox_id
    assert "save the password now" in result.err


def test_ssh_create_twice_is_a_409_on_one_line(cli: Run, sandbox_id: str) -> None:
    assert cli("ssh", "create", sandbox_id).code == 0
    result = cli("ssh", "create", sandbox_id)
    assert result.code == 1
    assert result.out == ""
    line = one_line(result.err)
    assert line.startswith(f"leap0: ssh create {sandbox_id} failed: 409 Conflict: ")
    assert "already has SSH access" in line
    assert "(request id req_" in line


def test_ssh_validate_reads_the_password_from_stdin(cli: Run, sandbox_id: str) -> None:
    access = cli("--json", "ssh", "create", sandbox_id).json()
    argv = ["ssh", "validate", sandbox_id, "--access-id", access["id"], "--password-stdin"]

    good = cli(*argv, stdin=access["password"] + "\n")
    assert good.code == 0
    assert fields(good.out) == {"valid": "true", "sandbox_id": sandbox_id}
    assert access["password"] not in good.out + good.err

    crlf = cli("--json", *argv, stdin=access["password"] + "\r\n")
    assert crlf.json() == {"valid": True, "sandbox_id": sandbox_id}

    no_newline = cli(*argv, "--json", stdin=access["password"])
    assert no_newline.json()["valid"] is True

    wrong = cli(*argv, "--json", stdin="not-the-password\n")
    assert wrong.code == 0
    assert wrong.json() == {"valid": False, "sandbox_id": sandbox_id}


def test_ssh_validate_without_a_password_exits_2(cli: Run, emu: Emulator, sandbox_id: str) -> None:
    argv = ["ssh", "validate", sandbox_id, "--access-id", "ssh-1", "--password-stdin"]
    for stdin in ("", "\n"):
        result = cli(*argv, stdin=stdin)
        assert result.code == 2
        assert "no password on standard input" in one_line(result.err)
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/validate") == 0


def test_ssh_regen_text_and_json(cli: Run, sandbox_id: str) -> None:
    first = cli("--json", "ssh", "create", sandbox_id).json()
    text = cli("ssh", "regen", sandbox_id)
    assert text.code == 0
    second = fields(text.out)
    assert second["id"] == first["id"]
    assert second["password"] != first["password"]
    assert "save the password now" in one_line(text.err)
    third = cli("ssh", "regen", sandbox_id, "--json").json()
    assert third["password"] not in (first["password"], second["password"])

    validate = ["ssh", "validate", sandbox_id, "--access-id", first["id"], "--password-stdin"]
    assert cli("--json", *validate, stdin=second["password"]).json()["valid"] is False
    assert cli("--json", *validate, stdin=third["password"]).json()["valid"] is True


def test_ssh_regen_without_access_is_a_404(cli: Run, sandbox_id: str) -> None:
    result = cli("ssh", "regen", sandbox_id)
    assert result.code == 1
    assert one_line(result.err).startswith(f"leap0: ssh regen {sandbox_id} failed: 404 Not Found")


def test_ssh_delete_text_and_json(cli: Run, sandbox_id: str) -> None:
    access = cli("--json", "ssh", "create", sandbox_id).json()
    text = cli("ssh", "delete", sandbox_id)
    assert (text.code, text.out, text.err) == (
        0,
        f"revoked SSH access to sandbox {sandbox_id}\n",
        "",
    )
    validate = ["ssh", "validate", sandbox_id, "--access-id", access["id"], "--password-stdin"]
    assert cli("--json", *validate, stdin=access["password"]).json()["valid"] is False
    again = cli("ssh", "delete", sandbox_id)
    assert again.code == 1
    assert "404 Not Found" in one_line(again.err)

    cli("ssh", "create", sandbox_id)
    data = cli("--json", "ssh", "delete", sandbox_id)
    assert data.json() == {"deleted": True, "sandbox_id": sandbox_id}


def test_server_errors_are_one_line_with_the_status(
    cli: Run, emu: Emulator, sandbox_id: str
) -> None:
    emu.inject("GET", f"/v1/sandbox/{sandbox_id}", *[{"status": 503, "retry_after": "0"}] * 3)
    result = cli("sandbox", "get", sandbox_id)
    assert result.code == 1
    assert "503 Service Unavailable: injected fault" in one_line(result.err)


def test_ctrl_c_exits_130_without_a_traceback(cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(leap0.SandboxesClient, "list", interrupted)
    result = cli("sandbox", "list")
    assert result.code == 130
    assert result.out == ""


# -- the SSH routes setting: --ssh-api, LEAP0_SSH_API ---------------------------------

PER_CREDENTIAL = ("--ssh-api", "per-credential")


@pytest.mark.parametrize("where", ["before", "after", "after=", "env"])
def test_ssh_api_before_or_after_the_command_or_from_the_environment(
    cli: Run,
    emu: Emulator,
    sandbox_id: str,
    access: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    argv = ["ssh", "delete", sandbox_id, "--access-id", access["id"]]
    if where == "before":
        argv = [*PER_CREDENTIAL, *argv]
    elif where == "after":
        argv = [*argv, *PER_CREDENTIAL]
    elif where == "after=":
        argv = [*argv, "--ssh-api=per-credential"]
    else:
        monkeypatch.setenv("LEAP0_SSH_API", "per-credential")
    result = cli(*argv)
    assert (result.code, result.out, result.err) == (
        0,
        f"revoked SSH credential {access['id']} of sandbox {sandbox_id}\n",
        "",
    )
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/{access['id']}") == 1
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access") == 0
    assert is_valid(cli, sandbox_id, access["id"], access["password"]) is False


@pytest.mark.parametrize("env", [None, "", "single"])
def test_single_is_the_default_and_the_flag_wins_over_the_environment(
    cli: Run,
    emu: Emulator,
    sandbox_id: str,
    access: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    env: str | None,
) -> None:
    if env is not None:
        monkeypatch.setenv("LEAP0_SSH_API", env)
    assert cli("ssh", "regen", sandbox_id).code == 0
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/regen") == 1

    monkeypatch.setenv("LEAP0_SSH_API", "per-credential")
    assert cli("ssh", "regen", sandbox_id, "--ssh-api", "single").code == 0
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/regen") == 2
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/{access['id']}/regen") == 0


def test_a_bad_ssh_api_in_the_environment_exits_2_naming_it(
    cli: Run, emu: Emulator, sandbox_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAP0_SSH_API", "per_credential")
    for argv in (["ssh", "create", sandbox_id], ["sandbox", "get", sandbox_id]):
        result = cli(*argv)
        assert (result.code, result.out) == (2, "")
        line = one_line(result.err)
        assert line.startswith(f"leap0: {' '.join(argv)}: LEAP0_SSH_API must be 'single' ")
        assert line.endswith("got 'per_credential'")
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/access") == 0
    assert emu.attempts("GET", f"/v1/sandbox/{sandbox_id}") == 0
    # the flag is a choice of its own: the variable is not read then
    assert cli("ssh", "create", sandbox_id, "--ssh-api", "single").code == 0


def test_the_pre_scan_knows_every_option_that_takes_a_value() -> None:
    words = _OptionWords.of(build_parser())
    assert words.global_values == {"--api-key", "--base-url", "--ssh-api"}
    assert words.global_flags == {"--json"}
    assert {"--ssh-api", "--access-id", "--ssh-option", "--template", "--env"} <= words.values
    assert not {"--json", "--keep", "--auto-pause", "--password-stdin"} & words.values


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


@pytest.mark.parametrize("command", ["delete", "regen"])
@pytest.mark.parametrize("source", ["flag", "env"])
def test_per_credential_without_access_id_exits_2_before_any_request(
    cli: Run,
    emu: Emulator,
    sandbox_id: str,
    access: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    source: str,
) -> None:
    argv = ["ssh", command, sandbox_id]
    if source == "flag":
        argv = [*PER_CREDENTIAL, *argv]
        named = "--ssh-api per-credential"
    else:
        monkeypatch.setenv("LEAP0_SSH_API", "per-credential")
        named = "LEAP0_SSH_API=per-credential"
    monkeypatch.delenv("LEAP0_API_KEY")  # refused before the key is even looked for
    result = cli(*argv)
    assert (result.code, result.out) == (2, "")
    verb = "revoke" if command == "delete" else "replace"
    assert one_line(result.err) == (
        f"leap0: ssh {command} {sandbox_id}: --access-id is required with {named}: this "
        "service keeps several SSH credentials per sandbox, so name the one to "
        f"{verb} with --access-id ACCESS_ID (the id 'leap0 ssh create' printed)"
    )
    for method, path in (("DELETE", "access"), ("POST", "regen"), ("DELETE", access["id"])):
        assert emu.attempts(method, f"/v1/sandbox/{sandbox_id}/ssh/{path}") == 0
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/{access['id']}/regen") == 0
    monkeypatch.setenv("LEAP0_API_KEY", emu.api_key)
    assert is_valid(cli, sandbox_id, access["id"], access["password"]) is True


@pytest.mark.parametrize("mode", ["both", "per-credential"])
def test_per_credential_regen_and_delete_act_on_the_named_credential(
    cli: Run, emu: Emulator, sandbox_id: str, mode: Literal["both", "per-credential"]
) -> None:
    emu.configure(ssh_api=mode)
    first = cli(*PER_CREDENTIAL, "--json", "ssh", "create", sandbox_id)
    ident = first.json()["id"]
    assert one_line(first.err) == (
        "leap0: save the password now: it cannot be shown again "
        f"('leap0 ssh regen {sandbox_id} --access-id {ident}' issues a new one)"
    )

    regen = cli(*PER_CREDENTIAL, "ssh", "regen", sandbox_id, "--access-id", ident)
    assert regen.code == 0
    new = fields(regen.out)
    assert list(new) == ACCESS_FIELDS
    assert new["id"] == ident
    assert new["password"] != first.json()["password"]
    assert one_line(regen.err) == one_line(first.err)
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/{ident}/regen") == 1
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/regen") == 0
    pc = "per-credential"
    assert is_valid(cli, sandbox_id, ident, first.json()["password"], pc) is False
    assert is_valid(cli, sandbox_id, ident, new["password"], pc) is True

    deleted = cli(*PER_CREDENTIAL, "--json", "ssh", "delete", sandbox_id, "--access-id", ident)
    assert deleted.code == 0
    assert deleted.json() == {"deleted": True, "sandbox_id": sandbox_id, "access_id": ident}
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/{ident}") == 1
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access") == 0
    assert is_valid(cli, sandbox_id, ident, new["password"], pc) is False

    again = cli(*PER_CREDENTIAL, "ssh", "delete", sandbox_id, "--access-id", ident)
    assert again.code == 1
    assert one_line(again.err).startswith(f"leap0: ssh delete {sandbox_id} failed: 404 Not Found")
    gone = cli(*PER_CREDENTIAL, "ssh", "regen", sandbox_id, "--access-id", ident)
    assert gone.code == 1
    assert one_line(gone.err).startswith(f"leap0: ssh regen {sandbox_id} failed: 404 Not Found")


def test_per_credential_delete_leaves_the_other_credentials(
    cli: Run, emu: Emulator, sandbox_id: str
) -> None:
    emu.configure(ssh_api="per-credential")
    one = cli(*PER_CREDENTIAL, "--json", "ssh", "create", sandbox_id).json()
    two = cli(*PER_CREDENTIAL, "--json", "ssh", "create", sandbox_id).json()
    assert one["id"] != two["id"]

    text = cli(*PER_CREDENTIAL, "ssh", "delete", sandbox_id, "--access-id", one["id"])
    assert (text.code, text.out, text.err) == (
        0,
        f"revoked SSH credential {one['id']} of sandbox {sandbox_id}\n",
        "",
    )
    pc = "per-credential"
    assert is_valid(cli, sandbox_id, one["id"], one["password"], pc) is False
    assert is_valid(cli, sandbox_id, two["id"], two["password"], pc) is True

    regen = cli(*PER_CREDENTIAL, "--json", "ssh", "regen", sandbox_id, "--access-id", two["id"])
    assert regen.json()["id"] == two["id"]
    assert "the credential replaced is" not in regen.err


def test_single_takes_access_id_but_does_not_send_it(
    cli: Run, emu: Emulator, sandbox_id: str, access: dict[str, str]
) -> None:
    ident = access["id"]
    regen = cli("--json", "ssh", "regen", sandbox_id, "--access-id", ident)
    assert regen.code == 0
    assert regen.json()["id"] == ident
    assert "save the password now" in one_line(regen.err)  # no other note: it was that one
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/regen") == 1
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/{ident}/regen") == 0

    # the single route replaces the sandbox's one credential, whatever was named: said so
    other = cli("--json", "ssh", "regen", sandbox_id, "--access-id", "ssh-someone-else")
    assert other.code == 0
    replaced = other.json()
    assert replaced["id"] == ident
    assert other.err.splitlines()[1:] == [
        f"leap0: the credential replaced is {ident}, the sandbox's one, not "
        "ssh-someone-else: the single SSH routes take no --access-id"
    ]

    deleted = cli("ssh", "delete", sandbox_id, "--access-id", ident)
    assert (deleted.code, deleted.out, deleted.err) == (
        0,
        f"revoked SSH access to sandbox {sandbox_id} (its one credential: the single SSH "
        "routes take no --access-id)\n",
        "",
    )
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access") == 1
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/{ident}") == 0
    assert is_valid(cli, sandbox_id, ident, replaced["password"]) is False

    again = cli("--json", "ssh", "create", sandbox_id).json()
    data = cli("--json", "ssh", "delete", sandbox_id, "--access-id", again["id"])
    assert data.json() == {"deleted": True, "sandbox_id": sandbox_id}


def test_a_malformed_access_id_exits_2_before_any_request(
    cli: Run, emu: Emulator, sandbox_id: str
) -> None:
    for setting in ("single", "per-credential"):
        result = cli("--ssh-api", setting, "ssh", "delete", sandbox_id, "--access-id", "a/b")
        assert result.code == 2
        line = one_line(result.err)
        assert line.startswith(f"leap0: ssh delete {sandbox_id}: invalid argument: access_id")
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access") == 0


def test_single_routes_against_a_per_credential_service_fail_on_one_line(
    cli: Run, emu: Emulator, sandbox_id: str
) -> None:
    emu.configure(ssh_api="per-credential")
    access = cli("--json", "ssh", "create", sandbox_id).json()  # the same route in both
    regen = cli("ssh", "regen", sandbox_id)
    assert (regen.code, regen.out) == (1, "")
    line = one_line(regen.err)
    assert line.startswith(f"leap0: ssh regen {sandbox_id} failed: 405 Method Not Allowed: ")
    assert "LEAP0_SSH_API=per-credential" in line
    validate = ["ssh", "validate", sandbox_id, "--access-id", access["id"], "--password-stdin"]
    checked = cli(*validate, stdin=access["password"])
    assert checked.code == 1
    assert "failed: 405 Method Not Allowed" in one_line(checked.err)
    deleted = cli("ssh", "delete", sandbox_id, "--access-id", access["id"])
    assert (deleted.code, deleted.out) == (1, "")
    assert one_line(deleted.err).startswith(f"leap0: ssh delete {sandbox_id} failed: 404 Not Found")
    assert is_valid(cli, sandbox_id, access["id"], access["password"], "per-credential") is True


def test_per_credential_routes_against_a_single_service_fail_on_one_line(
    cli: Run, emu: Emulator, sandbox_id: str, access: dict[str, str]
) -> None:
    emu.configure(ssh_api="single")
    for command in ("regen", "delete"):
        result = cli(*PER_CREDENTIAL, "ssh", command, sandbox_id, "--access-id", access["id"])
        assert (result.code, result.out) == (1, "")
        line = one_line(result.err)
        assert line.startswith(f"leap0: ssh {command} {sandbox_id} failed: 404 Not Found: ")
    assert is_valid(cli, sandbox_id, access["id"], access["password"]) is True


# -- ssh connect: the ssh command line ----------------------------------------------


def make_access(command: str = "ssh -p 2222 ssh-7f3a@127.0.0.1") -> SshAccess:
    return structure(access_json(ssh_command=command), SshAccess)


def options(argv: list[str]) -> list[str]:
    return [argv[i + 1] for i, word in enumerate(argv) if word == "-o"]


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

        assert _ask(script, "ssh-1@127.0.0.1's password: ").stdout == "pa$$ 'word'\n"
        assert _ask(script, "Password: ").stdout == "pa$$ 'word'\n"
        confirm = _ask(script, "Are you sure you want to continue connecting (yes/no)? ")
        assert (confirm.returncode, confirm.stdout) == (1, "")
        passphrase = _ask(script, "Enter passphrase for key '/root/.ssh/id_ed25519': ")
        assert (passphrase.returncode, passphrase.stdout) == (1, "")
    assert not os.path.exists(directory)


def test_askpass_directory_is_removed_on_error() -> None:
    with pytest.raises(RuntimeError), askpass_script("pw") as script:
        raise RuntimeError("boom")
    assert not os.path.exists(os.path.dirname(script))


# -- ssh connect: what is run -------------------------------------------------------------


class FakePopen:
    """Stands in for ``subprocess.Popen``: records what ssh would get, answers as the askpass.

    ``during``, if set, is called from ``wait()``: while the session "runs".
    """

    calls: list[FakePopen]
    returncode_to_give = 0
    during: Callable[[FakePopen], None] | None = None

    def __init__(self, argv: list[str], env: dict[str, str], **kwargs: Any) -> None:
        self.argv = argv
        self.env = env
        self.kwargs = kwargs
        askpass = env["SSH_ASKPASS"]
        self.askpass = askpass
        self.askpass_mode = stat.S_IMODE(os.stat(askpass).st_mode)
        self.dir_mode = stat.S_IMODE(os.stat(os.path.dirname(askpass)).st_mode)
        with REAL_POPEN(
            [askpass, "u@h's password: "], stdout=subprocess.PIPE, text=True
        ) as process:
            self.answer = process.communicate()[0]
        FakePopen.calls.append(self)

    def send_signal(self, signum: int) -> None:
        pass

    @property
    def user(self) -> str:
        """The SSH user name, which is the access id."""
        return self.argv[self.argv.index("-l") + 1]

    @property
    def password(self) -> str:
        return self.answer.rstrip("\n")

    def wait(self) -> int:
        if FakePopen.during is not None:
            FakePopen.during(self)
        return FakePopen.returncode_to_give


@pytest.fixture
def fake_ssh(monkeypatch: pytest.MonkeyPatch) -> type[FakePopen]:
    FakePopen.calls = []
    FakePopen.returncode_to_give = 0
    FakePopen.during = None
    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/ssh")
    return FakePopen


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
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access") == 1
    assert is_valid(cli, sandbox_id, call.user, password) is False


def test_connect_replaces_an_existing_credential(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    old = cli("--json", "ssh", "create", sandbox_id).json()
    result = cli("ssh", "connect", sandbox_id)
    assert result.code == 0
    assert one_line(result.err) == (
        f"leap0: sandbox {sandbox_id} already had SSH access: issued a new password for its "
        f"credential {old['id']} (the previous one no longer works); it is revoked when the "
        "session ends (--keep keeps it)"
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


def test_connect_without_ssh_exits_1_before_any_request(
    cli: Run, emu: Emulator, sandbox_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert result.code == 1
    line = one_line(result.err)
    assert "OpenSSH" in line
    assert "install" in line
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/access") == 0


def test_connect_where_it_is_not_supported(
    cli: Run, emu: Emulator, sandbox_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_cli_ssh, "SUPPORTED", False)
    result = cli("ssh", "connect", sandbox_id)
    assert result.code == 1
    assert "not supported" in one_line(result.err)
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/access") == 0


def test_a_closed_stdout_is_not_a_traceback(emu: Emulator) -> None:
    env = {**os.environ, **emu.env()}
    for _ in range(3):
        _console("sandbox", "create", env=env)
    with REAL_POPEN(
        [sys.executable, "-m", "leap0._cli", "sandbox", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.close()  # the reader is gone before anything is written
        err = process.stderr.read()
        status = process.wait(timeout=60)
    assert status == 1
    assert b"Traceback" not in err


def test_connect_when_ssh_cannot_start(
    cli: Run,
    emu: Emulator,
    sandbox_id: str,
    fake_ssh: type[FakePopen],
    issued: list[SshAccess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []

    def broken(argv: list[str], env: dict[str, str]) -> None:
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
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access") == 1
    assert is_valid(cli, sandbox_id, access.id, access.password) is False


def test_connect_to_an_unknown_sandbox(cli: Run, fake_ssh: type[FakePopen]) -> None:
    result = cli("ssh", "connect", "sbx-missing", "--", "true")
    assert result.code == 1
    assert one_line(result.err).startswith("leap0: ssh connect sbx-missing failed: 404 Not Found")
    assert fake_ssh.calls == []


def answer_with(monkeypatch: pytest.MonkeyPatch, template: str) -> None:
    """The service's create answer carries ``template`` as its ssh_command.

    The credential is the one the emulator issued; ``{user}``, ``{host}`` and
    ``{port}`` in ``template`` are its own.
    """
    real_create = leap0.SshClient.create_access

    def create(self: leap0.SshClient, *args: Any, **kwargs: Any) -> SshAccess:
        got = real_create(self, *args, **kwargs)
        return attrs.evolve(
            got,
            ssh_command=template.format(user=got.id, host=got.host, port=got.port),
        )

    monkeypatch.setattr(leap0.SshClient, "create_access", create)


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
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access") == 1
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
        status = _cli_ssh.run_ssh([sys.executable, "-c", child], dict(os.environ))
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


def login(access: Mapping[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    """Run ``command`` through OpenSSH with a credential ``ssh create`` printed."""
    credential = structure(dict(access), SshAccess)
    argv = build_ssh_argv(credential, list(command), ssh=shutil.which("ssh") or "ssh")
    with askpass_script(credential.password) as script:
        return subprocess.run(
            argv,
            env=askpass_env(os.environ, script),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.mark.parametrize("status", [0, 3, 255, -signal.SIGINT, -signal.SIGTERM])
def test_connect_revokes_its_credential_whatever_the_session_status(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen], status: int
) -> None:
    fake_ssh.returncode_to_give = status  # negative: ssh ended by a signal (e.g. Ctrl-C)
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert result.code == (128 - status if status < 0 else status)
    assert (result.out, result.err) == ("", "")
    (call,) = fake_ssh.calls
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access") == 1
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
        f"('leap0 ssh regen {sandbox_id}' issues a new one)"
    )
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access") == 0
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
    cli: Run, emu: Emulator, sandbox_id: str, access: dict[str, str], fake_ssh: type[FakePopen]
) -> None:
    result = cli("--json", "ssh", "connect", sandbox_id, "--keep")
    assert result.code == 0
    lines = result.err.splitlines()
    assert lines[0] == (
        f"leap0: sandbox {sandbox_id} already had SSH access: issued a new password for its "
        f"credential {access['id']} (the previous one no longer works)"
    )
    assert lines[1].startswith("leap0: save the password now")
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

    monkeypatch.setattr(leap0._cli, "_show_access", interrupted)
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
    def interrupted(password: str) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(_cli_ssh, "askpass_script", interrupted)
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
    real_script = _cli_ssh.askpass_script
    directories: list[str] = []

    @contextlib.contextmanager
    def signalled(password: str) -> Iterator[str]:
        with real_script(password) as script:
            directories.append(os.path.dirname(script))
            # never send it unless leap0 took it over: by default it would end the test run
            assert signal.getsignal(signum) is not signal.SIG_DFL
            os.kill(os.getpid(), signum)
            yield script

    monkeypatch.setattr(_cli_ssh, "askpass_script", signalled)
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
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access") == 1
    assert is_valid(cli, sandbox_id, user, started["password"]) is False


def test_termination_raises_leaves_handled_signals_alone() -> None:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        with _cli_ssh.termination_raises():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        with _cli_ssh.termination_raises():
            assert signal.getsignal(signal.SIGHUP) is not signal.SIG_DFL
            with pytest.raises(_cli_ssh.Terminated) as info:
                os.kill(os.getpid(), signal.SIGHUP)
        assert info.value.signum == signal.SIGHUP
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_a_failed_revoke_is_one_line_and_the_status_is_the_sessions(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    fake_ssh.returncode_to_give = 7
    emu.inject("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access", {"status": 403})
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert (result.code, result.out) == (7, "")
    (call,) = fake_ssh.calls
    line = one_line(result.err)
    assert line.startswith(
        f"leap0: ssh connect {sandbox_id}: SSH credential {call.user} was not revoked: "
        "403 Forbidden: injected fault"
    )
    assert line.endswith(
        f"; revoke it with 'leap0 ssh delete {sandbox_id} --access-id {call.user}'"
    )
    assert call.password not in result.err
    assert is_valid(cli, sandbox_id, call.user, call.password) is True  # left, as reported
    assert cli("ssh", "delete", sandbox_id, "--access-id", call.user).code == 0


def test_single_connect_against_a_per_credential_service_reports_what_it_left(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    emu.configure(ssh_api="per-credential")
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert result.code == 0
    (call,) = fake_ssh.calls
    line = one_line(result.err)
    assert line.startswith(
        f"leap0: ssh connect {sandbox_id}: SSH credential {call.user} was not revoked: "
        "404 Not Found: "
    )
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
    cli: Run, emu: Emulator, sandbox_id: str, access: dict[str, str], fake_ssh: type[FakePopen]
) -> None:
    # The default emulator holds one credential per sandbox: the create is a 409.
    result = cli(*PER_CREDENTIAL, "ssh", "connect", sandbox_id, "--", "true")
    assert (result.code, result.out) == (1, "")
    assert one_line(result.err).startswith(f"leap0: ssh connect {sandbox_id} failed: 409 Conflict")
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


# -- the console script ---------------------------------------------------------------------


def _console(*argv: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leap0._cli", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_console_script_exit_statuses(emu: Emulator) -> None:
    env = {**os.environ, **emu.env()}
    created = _console("--json", "sandbox", "create", env=env)
    assert created.returncode == 0, created.stderr
    ident = json.loads(created.stdout)["id"]

    first = _console("ssh", "create", ident, env=env)
    assert first.returncode == 0
    second = _console("ssh", "create", ident, env=env)
    assert second.returncode == 1
    assert second.stdout == ""
    assert one_line(second.stderr).startswith(f"leap0: ssh create {ident} failed: 409 Conflict")

    usage = _console("sandbox", "frobnicate", env=env)
    assert usage.returncode == 2
    assert "Traceback" not in usage.stderr


def test_installed_leap0_command(emu: Emulator) -> None:
    script = shutil.which("leap0", path=os.path.dirname(sys.executable)) or shutil.which("leap0")
    if script is None:
        pytest.skip("the leap0 console script is not installed")
    env = {**os.environ, **emu.env()}
    version = subprocess.run(
        [script, "--version"], capture_output=True, text=True, env=env, check=False
    )
    assert (version.returncode, version.stdout) == (0, f"leap0 {leap0.__version__}\n")
    missing = subprocess.run(
        [script, "sandbox", "get", "sbx-missing"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert missing.returncode == 1
    assert "Traceback" not in missing.stderr
    assert one_line(missing.stderr).startswith("leap0: sandbox get sbx-missing failed: 404")


# -- leap0 emulator ---------------------------------------------------------------------------


def test_emulator_gets_every_remaining_argument(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import leap0.emulator._cli as emulator_cli

    seen: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        seen.append(argv)
        return 5

    monkeypatch.setattr(emulator_cli, "main", fake_main)
    assert main(["emulator", "--api-port", "0", "--help"]) == 5
    assert main(["--json", "emulator"]) == 5
    assert main(["--ssh-api", "per-credential", "emulator", "--ssh-api", "single"]) == 5
    assert main(["--ssh-api=single", "--base-url", "http://x", "emulator"]) == 5
    assert seen == [["--api-port", "0", "--help"], [], ["--ssh-api", "single"], []]


def test_emulator_missing_suggests_the_extra(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "leap0.emulator._cli", None)
    assert main(["emulator"]) == 1
    assert 'pip install "leap0[emulator]"' in one_line(capsys.readouterr().err)


def test_emulator_without_its_dependencies(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import leap0.emulator._cli as emulator_cli

    def fake_main(argv: list[str]) -> int:
        raise ModuleNotFoundError("No module named 'asyncssh'", name="asyncssh")

    monkeypatch.setattr(emulator_cli, "main", fake_main)
    assert main(["emulator"]) == 1
    assert 'pip install "leap0[emulator]"' in one_line(capsys.readouterr().err)
