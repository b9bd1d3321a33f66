"""``leap0 --debug`` and ``LEAP0_LOG``: the SDK's log of each request on stderr, never the key."""

from __future__ import annotations

import logging
import os

import pytest

from leap0.emulator import Emulator

from ._helpers import Run, console

REQUEST = "leap0 GET /v1/sandboxes attempt 1 -> 200"


@pytest.mark.parametrize(
    "argv",
    [["--debug", "sandbox", "list"], ["sandbox", "list", "--debug"]],
    ids=["before", "after"],
)
def test_debug_shows_each_request_without_the_key(cli: Run, emu: Emulator, argv: list[str]) -> None:
    result = cli(*argv)
    assert (result.code, result.out) == (0, "no sandboxes\n")
    assert REQUEST in result.err
    assert " DEBUG] " in result.err
    assert emu.api_key not in result.err


def test_debug_with_the_key_on_the_command_line_does_not_show_it(
    cli: Run, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEAP0_API_KEY")
    result = cli("--debug", "--api-key", emu.api_key, "sandbox", "list")
    assert result.code == 0
    assert REQUEST in result.err
    assert emu.api_key not in result.err


def test_leap0_log_debug_is_the_same(
    cli: Run, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAP0_LOG", "debug")
    result = cli("sandbox", "list")
    assert (result.code, result.out) == (0, "no sandboxes\n")
    assert REQUEST in result.err
    assert emu.api_key not in result.err


def test_leap0_log_info_shows_no_request(cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAP0_LOG", "info")
    result = cli("sandbox", "list")
    assert (result.code, result.err) == (0, "")


def test_without_either_nothing_is_logged_and_nothing_stays(cli: Run) -> None:
    logger = logging.getLogger("leap0")
    before = (list(logger.handlers), logger.level)
    assert cli("--debug", "sandbox", "list").err
    assert (list(logger.handlers), logger.level) == before  # it went with the command
    assert cli("sandbox", "list").err == ""


def test_a_service_error_is_logged_and_reported(cli: Run, emu: Emulator) -> None:
    result = cli("--debug", "sandbox", "get", "sbx-nope")
    assert result.code == 1
    assert "leap0 GET /v1/sandbox/sbx-nope/ attempt 1 -> 404" in result.err
    assert result.err.rstrip().splitlines()[-1].startswith("leap0: sandbox get sbx-nope failed: ")


def test_leap0_log_in_a_process_of_its_own(emu: Emulator) -> None:
    """The console script as it runs: the SDK's own LEAP0_LOG reading adds no second handler."""
    env = {**os.environ, **emu.env(), "LEAP0_LOG": "debug"}
    done = console("sandbox", "list", env=env)
    assert (done.returncode, done.stdout) == (0, "no sandboxes\n")
    assert done.stderr.count(REQUEST) == 1
    assert emu.api_key not in done.stderr
    env.pop("LEAP0_LOG")
    done = console("--debug", "sandbox", "list", env=env)
    assert done.stderr.count(REQUEST) == 1
    assert emu.api_key not in done.stderr
