"""``leap0 completion bash|zsh|fish``: the scripts complete what the table declares.

Each script is loaded into its shell (bash always; zsh and fish where
installed) and asked for completions; sandbox ids come from the emulator
through a ``leap0`` on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from leap0._cli.commands import COMMANDS, GLOBALS
from leap0._cli.completion import script
from leap0._cli.spec import walk
from leap0.emulator import Emulator

from ._helpers import Run

CASES = [
    (["leap0", ""], {"sandbox", "ssh", "auth", "completion", "emulator"}),
    (["leap0", "auth", ""], {"login", "status", "logout"}),
    (["leap0", "emulator", "--ssh-api", ""], {"both", "single", "per-credential"}),
    (["leap0", "emulator", "--log-level", "w"], {"warning"}),
    (["leap0", "sa"], {"sandbox"}),
    (["leap0", "sandbox", ""], {"create", "get", "list", "stop", "start", "pause", "delete"}),
    (["leap0", "sandbox", "st"], {"stop", "start"}),
    (["leap0", "--ssh-api", ""], {"auto", "single", "per-credential"}),
    (["leap0", "ssh", ""], {"create", "validate", "regen", "delete", "connect", "cp"}),
    (["leap0", "sandbox", "list", "--state", "ru"], {"running"}),
    (["leap0", "--format", ""], {"table", "json", "id"}),
    (["leap0", "--api-key", "k", "sandbox", "li"], {"list"}),
    (["leap0", "completion", ""], {"bash", "zsh", "fish"}),
    (["leap0", "ssh", "connect", "sbx", "--", ""], set()),
]


@pytest.fixture
def shell_env(emu: Emulator, tmp_path: Path) -> dict[str, str]:
    """An environment whose ``leap0`` is this one, talking to the emulator."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "leap0"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m leap0._cli "$@"\n')
    wrapper.chmod(0o755)
    path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, **emu.env(), "PATH": path}


def _run(argv: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _bash(words: list[str], env: dict[str, str], source: Path) -> set[str]:
    code = (
        f'source {source}; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _leap0; '
        "printf '%s\\n' \"${COMPREPLY[@]}\""
    )
    return set(_run(["bash", "-c", code, "bash", *words], env).split())


def _zsh(words: list[str], env: dict[str, str], source: Path) -> set[str]:
    # compadd (matching the word's start, as zsh does) and _files stand in for zsh's
    # completion system: they print what is offered.
    code = (
        'compadd() { shift; local w; for w in "$@"; do [[ $w == "$PREFIX"* ]] && print -r -- $w; '
        "done; return 0; }; _files() { print -r -- @files; }; compset() { :; }; "
        f'source {source}; words=("$@"); CURRENT=$#; PREFIX=${{words[CURRENT]}}; _leap0'
    )
    return set(_run(["zsh", "-f", "-c", code, "zsh", *words], env).split())


def _fish(words: list[str], env: dict[str, str], source: Path) -> set[str]:
    line = " ".join(words)
    out = _run(["fish", "--no-config", "-c", f"source {source}; complete -C {line!r}"], env)
    return {entry.split("\t")[0] for entry in out.splitlines()}


ASK = {"bash": _bash, "zsh": _zsh, "fish": _fish}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_script_completes_commands_options_values_and_sandbox_ids(
    cli: Run, shell_env: dict[str, str], tmp_path: Path, shell: str
) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    printed = cli("completion", shell)
    assert (printed.code, printed.err) == (0, "")
    source = tmp_path / f"leap0.{shell}"
    source.write_text(printed.out)
    ask = ASK[shell]
    for words, expected in CASES:
        assert ask(words, shell_env, source) == expected, words
    options = ask(["leap0", "sandbox", "list", "--"], shell_env, source)
    assert {"--state", "--page-size", "--format", "--no-header", "--json"} <= options
    assert "--wait" not in options
    ids = {cli("--format", "id", "sandbox", "create").out.strip() for _ in range(2)}
    assert ask(["leap0", "sandbox", "get", ""], shell_env, source) == ids
    assert ask(["leap0", "sandbox", "delete", "sbx-x", ""], shell_env, source) == ids
    for action in ("stop", "start", "pause"):
        assert ask(["leap0", "sandbox", action, ""], shell_env, source) == ids, action
    assert "--wait-timeout" in ask(["leap0", "ssh", "connect", "--"], shell_env, source)
    (tmp_path / "upload-me").write_text("x")
    files = ask(["leap0", "ssh", "cp", str(tmp_path / "upload-")], shell_env, source)
    assert files in ({str(tmp_path / "upload-me")}, {"@files"})


def test_the_scripts_name_every_command_and_option_of_the_table() -> None:
    names = {command.name for _, command in walk(COMMANDS)}
    options = {name for option in GLOBALS for name in option.names}
    options |= {
        name
        for _, command in walk(COMMANDS)
        for option in command.options
        if not option.positional
        for name in option.names
    }
    for shell in ("bash", "zsh", "fish"):
        text = script(shell)
        for word in names | options:
            flag = word.lstrip("-") if shell == "fish" else word
            assert flag in text, (shell, word)


def test_without_a_service_sandbox_ids_complete_to_nothing(tmp_path: Path) -> None:
    source = tmp_path / "leap0.bash"
    source.write_text(script("bash"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAP0_")}
    assert _bash(["leap0", "sandbox", "get", ""], env, source) == set()
