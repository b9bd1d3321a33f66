"""Output for people and scripts: --format, JSON errors, the notes of long retry waits."""

from __future__ import annotations

import json
import logging

import pytest

from leap0._cli.output import clean, unix_time
from leap0.emulator import Emulator

from ._helpers import Run, one_line


def test_json_is_an_alias_of_format_json(cli: Run, sandbox_id: str) -> None:
    one = cli("--json", "sandbox", "get", sandbox_id)
    other = cli("sandbox", "get", sandbox_id, "--format", "json")
    assert one.out == other.out
    assert json.loads(one.out)["id"] == sandbox_id
    last_wins = cli("--json", "sandbox", "get", sandbox_id, "--format", "table")
    assert last_wins.out.startswith("id ")


@pytest.mark.parametrize(
    "argv",
    [
        ["ssh", "delete", "{id}"],
        ["ssh", "validate", "{id}", "--access-id", "ssh-1", "--password-stdin"],
        ["ssh", "connect", "{id}", "--keep"],
        ["ssh", "cp", "{id}:a", "b"],
    ],
)
def test_format_id_where_there_is_no_id_to_show_exits_2_before_any_request(
    cli: Run, emu: Emulator, sandbox_id: str, argv: list[str]
) -> None:
    result = cli("--format", "id", *[word.replace("{id}", sandbox_id) for word in argv])
    assert (result.code, result.out) == (2, "")
    assert "--format id: " in one_line(result.err)
    assert "shows no ids of its own (use --format table or json)" in result.err
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/access") == 0


def test_with_json_a_service_error_is_one_json_object_on_stderr(cli: Run) -> None:
    result = cli("--json", "sandbox", "get", "sbx-missing")
    assert (result.code, result.out) == (1, "")
    error = json.loads(one_line(result.err))
    assert set(error) == {"error", "status_code", "request_id", "message", "command"}
    assert error["error"] == "Leap0NotFoundError"
    assert error["status_code"] == 404
    assert error["request_id"].startswith("req_")
    assert error["message"].startswith("GET /v1/sandbox/sbx-missing/ -> 404: ")
    assert error["message"].endswith(f"(request id {error['request_id']})")
    assert error["command"] == "sandbox get sbx-missing"


def test_a_long_retry_wait_is_said_on_stderr(cli: Run, emu: Emulator, sleeps: list[float]) -> None:
    logger = logging.getLogger("leap0")
    level, handlers = logger.level, list(logger.handlers)
    emu.inject("GET", "/v1/sandboxes", {"status": 429, "retry_after": "2"}, {"status": 503})
    result = cli("sandbox", "list")
    assert (result.code, result.out) == (0, "no sandboxes\n")
    assert sleeps[0] == 2.0
    lines = result.err.splitlines()
    assert lines[0] == "leap0: 429 Too Many Requests; retrying in 2.0 s (attempt 2 of 3)"
    assert len(lines) == 1  # the 503's backoff (0.5 to 1 s... the second one) is short
    assert (logger.level, logger.handlers) == (level, handlers)  # as it was


def test_a_short_retry_wait_says_nothing(cli: Run, emu: Emulator, sleeps: list[float]) -> None:
    emu.inject("GET", "/v1/sandboxes", {"status": 429, "retry_after": "0.5"})
    result = cli("sandbox", "list")
    assert (result.code, result.err) == (0, "")
    assert sleeps == [0.5]


def test_retry_notes_count_the_attempts_of_the_command(
    cli: Run, emu: Emulator, sleeps: list[float]
) -> None:
    faults = [{"status": 429, "retry_after": "1"}] * 3
    emu.inject("GET", "/v1/sandboxes", *faults)
    result = cli("--max-retries", "2", "sandbox", "list")
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[:2] == [
        "leap0: 429 Too Many Requests; retrying in 1.0 s (attempt 2 of 3)",
        "leap0: 429 Too Many Requests; retrying in 1.0 s (attempt 3 of 3)",
    ]
    assert lines[2].startswith("leap0: sandbox list failed: GET /v1/sandboxes -> 429: ")


def test_times_and_text() -> None:
    assert unix_time(0) == "1970-01-01T00:00:00Z"
    assert unix_time(None) is None
    assert unix_time(10**20) == str(10**20)
    assert clean("a\x1b[2Jb\n") == "a?[2Jb?"
    assert (clean(None), clean(True)) == ("-", "true")
