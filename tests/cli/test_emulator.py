"""``leap0 emulator``: its arguments, the lines it prints, the missing extra, its help."""

from __future__ import annotations

import argparse
import json
import os
import selectors
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from leap0._cli import main
from leap0._cli.completion import script
from leap0._cli.emulator_commands import EMULATOR, EMULATOR_SSH_APIS
from leap0.emulator import serve

from ._helpers import one_line

INSTALL = 'python -m pip install ".[emulator]"'


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[argparse.Namespace]:
    """What the emulator would run with, each time ``leap0 emulator`` gets that far (it does not)."""
    import leap0.emulator._cli as emulator_cli

    seen: list[argparse.Namespace] = []

    def fake_run(args: argparse.Namespace) -> int:
        seen.append(args)
        return 5

    monkeypatch.setattr(emulator_cli, "run", fake_run)
    return seen


def test_the_main_parser_reads_the_emulators_own_options(runs: list[argparse.Namespace]) -> None:
    assert main(["emulator", "--api-port", "0", "--ssh-api", "single", "--max-sandboxes", "5"]) == 5
    assert (runs[0].api_port, runs[0].ssh_api, runs[0].max_sandboxes) == (0, "single", 5)
    assert main(["--json", "emulator", "--api-key", "k", "--request-timeout", "2"]) == 5
    assert (runs[1].api_key, runs[1].request_timeout, runs[1].format) == ("k", 2.0, "json")
    assert main(["emulator", "--no-header", "--format", "json", "--ssh-api", "both"]) == 5
    assert (runs[2].ssh_api, runs[2].format, runs[2].api_key) == ("both", "json", None)
    assert main(["--base-url", "http://x", "emulator"]) == 5  # leap0's own: no harm
    assert runs[3].ssh_api == "both"  # the emulator's default, not leap0's


@pytest.mark.parametrize(
    "argv",
    [
        ["emulator", "--max-sandboxes", "many"],
        ["emulator", "--ssh-api", "auto"],  # leap0's value, not the emulator's
        ["emulator", "--bogus"],
    ],
)
def test_a_usage_error_of_the_emulator_is_the_main_parsers(
    capsys: pytest.CaptureFixture[str], runs: list[argparse.Namespace], argv: list[str]
) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("usage: leap0 emulator")
    assert main(["--json", *argv]) == 2
    error = json.loads(one_line(capsys.readouterr().err))
    assert (error["error"], error["command"]) == ("usage", "leap0 emulator")
    assert main([*argv, "--json"]) == 2
    assert json.loads(one_line(capsys.readouterr().err))["error"] == "usage"
    assert main(["emulator", "--format", "id"]) == 2
    assert "--format id: emulator shows no ids" in capsys.readouterr().err
    assert runs == []


@pytest.mark.parametrize(
    ("before", "flag"),
    [
        (["--api-key", "k"], "--api-key"),
        (["--ssh-api", "single"], "--ssh-api"),
        (["--request-timeout", "3"], "--request-timeout"),
    ],
)
def test_a_global_option_before_emulator_that_is_also_its_own_is_refused(
    capsys: pytest.CaptureFixture[str],
    runs: list[argparse.Namespace],
    before: list[str],
    flag: str,
) -> None:
    """It would be leap0's, and silently not the emulator's: the error says where it goes."""
    assert main([*before, "emulator"]) == 2
    err = capsys.readouterr().err
    assert f"{flag} before 'emulator' is leap0's own option" in err
    assert f"leap0 emulator {flag} ..." in err
    assert runs == []


def test_the_emulator_words_of_completion_are_the_emulators_options() -> None:
    """The copy completion reads (``emulator_commands.py``) is what the emulator declares."""
    import leap0.emulator._cli as emulator_cli
    from leap0.emulator._settings import SSH_API_MODES

    parser = argparse.ArgumentParser(add_help=False)
    emulator_cli.add_arguments(parser)
    declared = {
        flag: (action.nargs != 0, tuple(action.choices or ()))
        for action in parser._actions
        for flag in action.option_strings
    }
    copied = {
        flag: (option.takes_value, tuple(option.kwargs.get("choices") or ()))
        for option in EMULATOR.options
        for flag in option.flags
    }
    assert copied == declared
    assert EMULATOR_SSH_APIS == SSH_API_MODES


def test_emulator_completes_its_options_and_both_for_ssh_api(tmp_path: Path) -> None:
    source = tmp_path / "leap0.bash"
    source.write_text(script("bash"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAP0_")}

    def ask(*words: str) -> set[str]:
        code = (
            f'source {source}; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _leap0; '
            "printf '%s\\n' \"${COMPREPLY[@]}\""
        )
        done = subprocess.run(
            ["bash", "-c", code, "bash", *words], capture_output=True, text=True, env=env
        )
        assert done.returncode == 0, done.stderr
        return set(done.stdout.split())

    assert ask("leap0", "emulator", "--ssh-api", "") == {"both", "single", "per-credential"}
    assert ask("leap0", "--ssh-api", "") == {"auto", "single", "per-credential"}
    assert ask("leap0", "emulator", "--log-level", "") == {"debug", "info", "warning", "error"}
    options = ask("leap0", "emulator", "--")
    assert {"--max-sandboxes", "--ssh-lifetime", "--api-key", "--json", "--format"} <= options
    fish = script("fish")
    assert "-n '__leap0_at \\'emulator\\'' -l ssh-api -x -a 'both single per-credential'" in fish
    assert "and not __leap0_at \\'emulator\\'' -l ssh-api -x -a 'auto single" in fish


def test_emulator_help_names_the_sandbox_limit_and_the_export_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["emulator", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "It holds at most 3 sandboxes at once (--max-sandboxes)" in out
    assert "'export LEAP0_BASE_URL=...'" in out
    assert INSTALL in out


@pytest.mark.parametrize("module", ["starlette", "uvicorn", "asyncssh"])
def test_a_missing_extra_is_named_with_the_install_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    assert main(["emulator"]) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith(
        f"leap0: emulator: the Leap0 emulator needs the 'emulator' extra, and {module} is not installed"
    )
    assert INSTALL in line
    assert "No module named" not in line
    assert 'pip install "leap0[emulator]"' not in line  # that is the official SDK's name
    assert main(["--json", "emulator"]) == 2
    error = json.loads(one_line(capsys.readouterr().err))
    assert (error["error"], error["command"]) == ("missing", "emulator")
    assert INSTALL in error["message"]

    # python -m leap0.emulator, in an interpreter where the module cannot be imported
    code = (
        f"import runpy, sys; sys.modules[{module!r}] = None; sys.argv[0] = 'leap0.emulator'; "
        "runpy.run_module('leap0.emulator', run_name='__main__', alter_sys=True)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, "")
    assert INSTALL in one_line(done.stderr)

    with pytest.raises(ModuleNotFoundError) as error:
        serve().start()
    assert INSTALL in str(error.value)


def test_emulator_failing_for_want_of_a_module_once_started(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import leap0.emulator._cli as emulator_cli

    def fake_run(args: argparse.Namespace) -> int:
        raise ModuleNotFoundError("No module named 'asyncssh'", name="asyncssh")

    monkeypatch.setattr(emulator_cli, "run", fake_run)
    assert main(["emulator"]) == 2
    assert one_line(capsys.readouterr().err) == (
        f"leap0: emulator: No module named 'asyncssh' (the 'emulator' extra: {INSTALL})"
    )


def _first_lines(process: subprocess.Popen[bytes], count: int, stream: str = "stdout") -> list[str]:
    pipe = getattr(process, stream)
    assert pipe is not None
    fd = pipe.fileno()
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while buffer.count(b"\n") < count:
            if not selector.select(60):
                raise AssertionError(f"no output from the emulator; got {buffer!r}")
            chunk = os.read(fd, 4096)
            if not chunk:
                raise AssertionError(f"the emulator exited early; got {buffer!r}")
            buffer += chunk
    return buffer.decode().splitlines()[:count]


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (
            ["-m", "leap0._cli", "emulator"],
            "SSH routes: both (per-credential, and the original ones where a sandbox holds "
            "one credential)",
        ),
        (
            ["-m", "leap0.emulator", "--ssh-api", "single"],
            "SSH routes: single (the original ones: one credential per sandbox)",
        ),
    ],
)
def test_the_banner_names_the_ssh_routes_served(command: list[str], said: str) -> None:
    """``leap0 emulator`` and ``python -m leap0.emulator`` alike."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAP0_")}
    emulator = subprocess.Popen(
        [sys.executable, *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        (banner,) = _first_lines(emulator, 1, "stderr")
        assert banner.startswith("# Leap0 emulator: API http://127.0.0.1:")
        assert banner.endswith(f", {said}. Ctrl-C stops it.")
    finally:
        emulator.send_signal(signal.SIGTERM)
        emulator.communicate(timeout=30)
    assert emulator.returncode == 0


def test_the_printed_lines_work_pasted_into_another_shell() -> None:
    key = "emu_it's-a-$KEY"  # quotes and $ survive the shell
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAP0_")}
    emulator = subprocess.Popen(
        [sys.executable, "-m", "leap0._cli", "emulator", "--api-key", key, "--max-sandboxes", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        lines = _first_lines(emulator, 2)
        assert lines[0].startswith("export LEAP0_BASE_URL=")
        assert lines[1].startswith("export LEAP0_API_KEY=")
        leap0 = f"{sys.executable} -m leap0._cli"
        pasted = "\n".join([*lines, "printf '%s\\n' \"$LEAP0_API_KEY\"", f"{leap0} sandbox list"])
        shell = subprocess.run(
            ["sh", "-c", pasted], capture_output=True, text=True, env=env, timeout=60
        )
        assert (shell.returncode, shell.stdout, shell.stderr) == (0, f"{key}\nno sandboxes\n", "")
        evaluated = 'eval "$1"; exec ' + leap0 + " --format id sandbox create"
        shell = subprocess.run(
            ["sh", "-c", evaluated, "sh", "\n".join(lines)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert shell.returncode == 0, shell.stderr
        assert shell.stdout.startswith("sbx-")
    finally:
        emulator.send_signal(signal.SIGTERM)
        emulator.communicate(timeout=30)
    assert emulator.returncode == 0
