"""``leap0 emulator``: its arguments, the lines it prints, the missing extra, its help."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys

import pytest

from leap0._cli import main
from leap0.emulator import serve

from ._helpers import one_line

INSTALL = 'python -m pip install ".[emulator]"'


def test_emulator_gets_every_remaining_argument(monkeypatch: pytest.MonkeyPatch) -> None:
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
    assert main(["--format", "json", "--request-timeout", "3", "emulator", "-x"]) == 5
    assert seen == [["--api-port", "0", "--help"], [], ["--ssh-api", "single"], [], ["-x"]]


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
        f"leap0 emulator: error: the Leap0 emulator needs the 'emulator' extra, and {module} is not installed"
    )
    assert INSTALL in line
    assert "No module named" not in line
    assert 'pip install "leap0[emulator]"' not in line  # that is the official SDK's name

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

    def fake_main(argv: list[str]) -> int:
        raise ModuleNotFoundError("No module named 'asyncssh'", name="asyncssh")

    monkeypatch.setattr(emulator_cli, "main", fake_main)
    assert main(["emulator"]) == 2
    assert one_line(capsys.readouterr().err) == (
        "leap0 emulator: error: No module named 'asyncssh'"
    )


def _first_lines(process: subprocess.Popen[bytes], count: int) -> list[str]:
    assert process.stdout is not None
    fd = process.stdout.fileno()
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
