"""The command line as a whole: help, usage errors, exit statuses, configuration, bugs.

Most tests call ``main([...])`` in this process and read its output; a few run
``python -m leap0._cli`` or the installed console script in a subprocess, for
the real exit status, a traceback, or which modules an invocation imports.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys

import pytest

import leap0
from leap0._cli import main
from leap0.emulator import Emulator

from ._helpers import REAL_POPEN, Run, console, one_line

# -- help, version ----------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"leap0 {leap0.__version__}"


def test_top_level_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: leap0")
    for word in ("sandbox", "ssh", "completion", "emulator", "examples:", "LEAP0_API_KEY"):
        assert word in out
    assert "exit status" in out
    assert "--format id | xargs -r leap0 sandbox delete --" in out


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
        ["ssh", "cp"],
        ["completion"],
    ],
)
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: leap0 {' '.join(command)}")
    assert "--format" in out
    assert "--json" in out


@pytest.mark.parametrize("argv", [[], ["sandbox"], ["ssh"], ["--json"], ["--api-key", "k"]])
def test_bare_leap0_or_a_group_prints_its_help_and_exits_0(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main(argv) == 0
    captured = capsys.readouterr()
    group = " ".join(word for word in argv if word in ("sandbox", "ssh"))
    assert captured.out.startswith(f"usage: leap0 {group}".rstrip())
    assert "COMMAND" in captured.out
    assert captured.err == ""


# -- usage errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
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
        ["ssh", "cp", "only-one"],
        ["--format", "yaml", "sandbox", "list"],
        ["--request-timeout", "0", "sandbox", "list"],
        ["--max-retries", "-1", "sandbox", "list"],
        ["completion", "tcsh"],
    ],
)
def test_bad_usage_exits_2_before_any_request(cli: Run, emu: Emulator, argv: list[str]) -> None:
    result = cli(*argv)
    assert result.code == 2
    assert result.out == ""
    assert "usage: leap0" in result.err
    assert "error: " in result.err
    assert emu.attempts("GET", "/v1/sandboxes") == 0
    assert emu.attempts("POST", "/v1/sandbox") == 0


def test_an_unknown_option_is_named_not_a_missing_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: leap0 ")
    assert err.splitlines()[-1] == "leap0: error: unrecognized arguments: --bogus"


def test_a_bad_option_shows_the_usage_of_its_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "list", "--bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: leap0 sandbox list ")
    assert "--page-size" in err  # the command's own options, not the top level's
    assert err.splitlines()[-1] == "leap0 sandbox list: error: unrecognized arguments: --bogus"


@pytest.mark.parametrize(
    ("argv", "meant"),
    [
        (["sandbx"], "sandbox"),
        (["sandbox", "lst"], "list"),
        (["ssh", "conect", "sbx-1"], "connect"),
        (["sandbox", "list", "--state", "runing"], "running"),
        (["sandbox", "list", "--stat", "running"], "--state"),
        (["completion", "bsh"], "bash"),
    ],
)
def test_a_typo_gets_a_did_you_mean(
    capsys: pytest.CaptureFixture[str], argv: list[str], meant: str
) -> None:
    assert main(argv) == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.endswith(f"did you mean '{meant}'?"), last


def test_with_json_a_usage_error_is_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--json", "sandbox", "list", "--bogus"], ["sandbx", "--format", "json"]):
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        error = json.loads(one_line(captured.err))
        assert set(error) == {"error", "status_code", "request_id", "message", "command"}
        assert (error["error"], error["status_code"], error["request_id"]) == ("usage", None, None)
    assert error["command"] == "leap0"
    assert "did you mean 'sandbox'?" in error["message"]


def test_values_the_sdk_would_refuse_are_usage_errors_naming_the_argument(
    cli: Run, emu: Emulator
) -> None:
    cases = [
        (["sandbox", "create", "--vcpu", "99"], "argument --vcpu: vcpu must be between 1 and 8"),
        (["sandbox", "create", "--memory", "1025"], "memory must be an even number"),
        (["sandbox", "list", "--page-size", "500"], "page_size must be between 1 and 100"),
        (["sandbox", "get", "../etc"], "argument ID: sandbox id must be 1 to 128"),
        (["ssh", "create", "a/b"], "sandbox id must be 1 to 128"),
        (["ssh", "delete", "sbx-1", "--access-id", "a/b"], "access id must be 1 to 128"),
        (["ssh", "connect", "sbx-1", "--ssh-option=-oProxyCommand=x"], "bad ssh option"),
        (["sandbox", "create", "--env", "A=\udcff"], "the value is not valid UTF-8 text"),
    ]
    for argv, message in cases:
        result = cli(*argv)
        assert result.code == 2, argv
        last = result.err.splitlines()[-1]
        assert last.startswith(f"leap0 {argv[0]} {argv[1]}: error: argument "), last
        assert message in last
    assert emu.attempts("POST", "/v1/sandbox") == 0
    assert emu.attempts("GET", "/v1/sandboxes") == 0


def test_a_type_or_value_error_inside_a_command_is_a_bug_with_a_traceback(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("a bug in the command")

    monkeypatch.setattr(leap0.SandboxesClient, "list", broken)
    with pytest.raises(ValueError, match="a bug in the command"):
        main(["sandbox", "list"])
    # As a program: a traceback and exit status 1, not "invalid argument" and 2.
    code = (
        "import leap0, sys\n"
        "def broken(*a, **k): raise TypeError('a bug in the command')\n"
        "leap0.SandboxesClient.list = broken\n"
        "from leap0._cli import main\n"
        "sys.exit(main(['sandbox', 'list']))\n"
    )
    env = {**os.environ, **emu.env()}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 1
    assert "Traceback" in done.stderr
    assert done.stderr.rstrip().endswith("TypeError: a bug in the command")


# -- configuration --------------------------------------------------------------


def test_missing_api_key_exits_2_naming_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEAP0_API_KEY", raising=False)
    assert main(["sandbox", "list"]) == 2
    assert one_line(capsys.readouterr().err) == (
        "leap0: sandbox list: no API key: set LEAP0_API_KEY, pass --api-key, or store one "
        "with 'leap0 auth login'"
    )
    assert main(["--json", "sandbox", "list"]) == 2
    error = json.loads(one_line(capsys.readouterr().err))
    assert (error["error"], error["command"]) == ("config", "sandbox list")


def test_plain_http_to_a_remote_host_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAP0_API_KEY", "key-123")
    code = main(["--base-url", "http://api.example.com", "sandbox", "list"])
    assert code == 2
    err = one_line(capsys.readouterr().err)
    assert "https://" in err
    assert "key-123" not in err


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
    assert line.startswith("leap0: sandbox list failed: GET /v1/sandboxes -> 401: ")
    assert line.endswith(
        "; check the API key (--api-key, $LEAP0_API_KEY, or the profile file: leap0 auth status)"
    )
    assert "wrong-key-0123456789" not in captured.out + captured.err


def test_service_errors_print_the_sdks_own_message(cli: Run, emu: Emulator) -> None:
    from leap0 import Leap0Client, Leap0NotFoundError

    client = Leap0Client(api_key=emu.api_key, base_url=emu.base_url)
    with client, pytest.raises(Leap0NotFoundError) as info:
        client.sandboxes.get_info("sbx-missing")
    result = cli("sandbox", "get", "sbx-missing")
    assert result.code == 1
    own = str(info.value).rpartition(" (request id ")[0]
    assert one_line(result.err).startswith(f"leap0: sandbox get sbx-missing failed: {own} (request")


def test_unreachable_service_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("LEAP0_API_KEY", "key-123")
    argv = ["--base-url", f"http://127.0.0.1:{port}", "--max-retries", "0", "sandbox", "get", "x"]
    assert main(argv) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith("leap0: sandbox get x failed: GET /v1/sandbox/x")
    assert "could not connect" in line
    assert line.endswith(f"; the base URL is http://127.0.0.1:{port}")


def test_ctrl_c_exits_130_without_a_traceback(cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(leap0.SandboxesClient, "list", interrupted)
    result = cli("sandbox", "list")
    assert result.code == 130
    assert result.out == ""


# -- the console script and what it imports -------------------------------------------


def test_console_script_exit_statuses(emu: Emulator) -> None:
    env = {**os.environ, **emu.env()}
    created = console("--json", "sandbox", "create", env=env)
    assert created.returncode == 0, created.stderr
    ident = json.loads(created.stdout)["id"]
    assert console("sandbox", "stop", ident, env=env).returncode == 0
    second = console("sandbox", "stop", ident, env=env)  # a 409: it is stopped
    assert (second.returncode, second.stdout) == (1, "")
    assert one_line(second.stderr).startswith(f"leap0: sandbox stop {ident} failed: POST ")
    usage = console("sandbox", "frobnicate", env=env)
    assert usage.returncode == 2
    assert "Traceback" not in usage.stderr


def test_installed_leap0_command(emu: Emulator) -> None:
    script = shutil.which("leap0", path=os.path.dirname(sys.executable)) or shutil.which("leap0")
    if script is None:
        pytest.skip("the leap0 console script is not installed")
    env = {**os.environ, **emu.env()}
    version = subprocess.run([script, "--version"], capture_output=True, text=True, env=env)
    assert (version.returncode, version.stdout) == (0, f"leap0 {leap0.__version__}\n")
    missing = subprocess.run(
        [script, "sandbox", "get", "sbx-missing"], capture_output=True, text=True, env=env
    )
    assert missing.returncode == 1
    assert "Traceback" not in missing.stderr
    assert one_line(missing.stderr).startswith("leap0: sandbox get sbx-missing failed: GET ")


def test_a_closed_stdout_is_not_a_traceback(emu: Emulator) -> None:
    env = {**os.environ, **emu.env()}
    for _ in range(3):
        console("sandbox", "create", env=env)
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


# Calls main in a fresh interpreter; prints its status and the SDK dependencies it imported.
_IMPORTS = """\
import contextlib, io, json, sys
from leap0._cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    status = main(sys.argv[1:])
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"httpx", "attrs", "cattrs"})
print(json.dumps({"status": status, "heavy": heavy}))
"""


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (["--help"], 0),
        ([], 0),
        (["sandbox", "list", "--help"], 0),
        (["completion", "bash"], 0),
        (["completion", "zsh"], 0),
        (["completion", "fish"], 0),
        (["sandbx"], 2),
        (["sandbox", "list", "--bogus"], 2),
        (["ssh", "connect"], 2),
        (["--format", "id", "ssh", "connect", "sbx-1"], 2),
        (["sandbox", "list", "--all", "--page", "2"], 2),
        (["sandbox", "create", "--wait-timeout", "5"], 2),
        (["--profile=-bad", "sandbox", "list"], 2),
        (["emulator", "--help"], 0),
        (["emulator", "--max-sandboxes", "x"], 2),
        (["--api-key", "k", "emulator"], 2),
    ],
)
def test_help_completion_and_usage_errors_import_no_sdk_dependency(
    argv: list[str], status: int
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAP0_")}
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout) == {"status": status, "heavy": []}
