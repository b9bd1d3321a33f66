"""The command table: everything is built from it, and it agrees with the SDK."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from leap0 import _constants, _limits
from leap0._cli import commands, completion, completion_words, parser, spec
from leap0._cli.entry import main
from leap0._cli.parser import build_parser
from leap0._cli.prescan import OptionWords

PACKAGE = Path(commands.__file__).parent


def test_no_file_of_the_cli_is_longer_than_300_lines() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= 300, f"{path.name}: {lines} lines"


def test_every_handler_named_in_the_table_exists() -> None:
    for path, command in spec.walk(commands.COMMANDS):
        if command.commands:
            assert command.handler is None, path
            continue
        assert command.handler is not None, path
        module, _, name = command.handler.partition(":")
        handler = getattr(importlib.import_module(f"leap0._cli.{module}"), name)
        assert callable(handler), path


def test_the_constants_help_shows_import_nothing() -> None:
    """The names the SDK and the command share (``leap0._constants``) cost ``--help`` nothing.

    A fresh interpreter imports it: nothing is loaded but it and the package's
    ``__init__`` (which loads nothing).
    """
    code = (
        "import sys; before = set(sys.modules); import leap0._constants; "
        "print(' '.join(sorted(set(sys.modules) - before)))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert run.stdout.split() == ["leap0", "leap0._constants"]


def test_the_command_shows_the_sdks_own_constants() -> None:
    """No copy: the module of the table takes them from the SDK's one module."""
    for name in ("API_KEY_ENV", "BASE_URL_ENV", "DEFAULT_BASE_URL", "SSH_APIS", "LOG_ENV"):
        assert not hasattr(spec, name), name
    (state,) = [o for o in commands.SANDBOX_LIST.options if o.flags == ("--state",)]
    assert state.kwargs["choices"] is _constants.LIST_STATES


@pytest.mark.parametrize(
    ("flag", "limit"),
    [("--vcpu", _limits.VCPU), ("--memory", _limits.MEMORY), ("--timeout", _limits.TIMEOUT)],
)
def test_the_ranges_help_shows_are_the_sdks(flag: str, limit: _limits.IntLimit) -> None:
    (option,) = [o for o in commands.SANDBOX_CREATE.options if o.flags == (flag,)]
    assert f"{limit.low} to {limit.high}" in option.kwargs["help"]
    (size,) = [o for o in commands.SANDBOX_LIST.options if o.flags == ("--page-size",)]
    assert f"{_limits.PAGE_SIZE.low} to {_limits.PAGE_SIZE.high}" in size.kwargs["help"]


def test_the_pre_scan_knows_every_option_that_takes_a_value() -> None:
    words = OptionWords.of(build_parser())
    assert words.global_values == {
        "--format",
        "--api-key",
        "--base-url",
        "--ssh-api",
        "--request-timeout",
        "--max-retries",
        "--profile",
    }
    assert words.global_flags == {"--json", "--no-header", "--debug"}
    assert {"--ssh-api", "--access-id", "--ssh-option", "--template", "--env"} <= words.values
    assert not {"--json", "--keep", "--auto-pause", "--password-stdin", "-r"} & words.values


def test_an_option_declared_once_reaches_parsing_help_and_completion(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = spec.opt("--colour", "a new option", choices=("red", "blue"))
    listing = commands.SANDBOX_LIST.replace(options=(*commands.SANDBOX_LIST.options, extra))
    sandbox = commands.SANDBOX.replace(
        commands=tuple(listing if c.name == "list" else c for c in commands.SANDBOX.commands)
    )
    table = tuple(sandbox if c.name == "sandbox" else c for c in commands.COMMANDS)
    for module in (parser, completion_words):  # where the table is read
        monkeypatch.setattr(module, "COMMANDS", table)
    args = build_parser().parse(["sandbox", "list", "--colour", "red"])
    assert args.colour == "red"
    assert main(["sandbox", "list", "--help"]) == 0
    assert "--colour {red,blue}" in capsys.readouterr().out
    for shell in ("bash", "zsh", "fish"):
        assert "colour" in completion.script(shell)
    assert "'sandbox list|--colour') echo 'red blue'" in completion.script("bash")
