"""``leap0 sandbox stop | start | pause ID...`` against the emulator: output, 409s, several ids."""

from __future__ import annotations

import json

import pytest

from leap0.emulator import Emulator

from ._helpers import Run, one_line


def _state(cli: Run, sandbox_id: str) -> str:
    result = cli("--json", "sandbox", "get", sandbox_id)
    assert result.code == 0, result.err
    state: str = result.json()["state"]
    return state


def test_stop_then_start(cli: Run, emu: Emulator, sandbox_id: str) -> None:
    emu.configure(stop_delay=5.0, start_delay=3.0)
    result = cli("sandbox", "stop", sandbox_id)
    assert (result.code, result.out, result.err) == (0, f"sandbox {sandbox_id} is stopping\n", "")
    emu.advance(5)
    assert _state(cli, sandbox_id) == "stopped"
    result = cli("sandbox", "start", sandbox_id)
    assert (result.code, result.out, result.err) == (0, f"sandbox {sandbox_id} is starting\n", "")
    emu.advance(3)
    assert _state(cli, sandbox_id) == "running"
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/stop") == 1
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/start") == 1


def test_pause(cli: Run, emu: Emulator, sandbox_id: str) -> None:
    result = cli("sandbox", "pause", sandbox_id)
    assert (result.code, result.out, result.err) == (0, f"sandbox {sandbox_id} is paused\n", "")
    assert _state(cli, sandbox_id) == "paused"


def test_several_ids_json_and_id_formats(cli: Run, emu: Emulator) -> None:
    first, second = (cli("sandbox", "create", "--format", "id").out.strip() for _ in range(2))
    result = cli("--json", "sandbox", "stop", first, second, first)  # each once
    assert (result.code, result.err) == (0, "")
    items = result.json()
    assert [(item["id"], item["stopped"]) for item in items] == [(first, True), (second, True)]
    assert [item["sandbox"]["state"] for item in items] == ["stopped", "stopped"]
    assert items[0]["sandbox"]["id"] == first
    assert [list(item)[:4] for item in items] == [["kind", "id", "sandbox_id", "stopped"]] * 2
    assert {(item["kind"], item["sandbox_id"]) for item in items} == {
        ("sandbox", first),
        ("sandbox", second),
    }
    result = cli("sandbox", "start", first, second, "--format", "id")
    assert (result.code, result.out, result.err) == (0, f"{first}\n{second}\n", "")


def test_one_refused_is_reported_and_the_others_still_acted_on(
    cli: Run, emu: Emulator, sandbox_id: str
) -> None:
    other = cli("sandbox", "create", "--format", "id").out.strip()
    assert cli("sandbox", "stop", other).code == 0
    result = cli("sandbox", "stop", other, "sbx-missing", sandbox_id)
    assert result.code == 1
    assert result.out == f"sandbox {sandbox_id} is stopped\n"
    conflict, missing = result.err.splitlines()
    assert conflict.startswith(
        f"leap0: sandbox stop {other} failed: POST /v1/sandbox/{other}/stop -> 409: "
    )
    assert conflict.endswith(f"; sandbox {other} is already stopped")
    assert missing.startswith("leap0: sandbox stop sbx-missing failed: POST ")
    assert " -> 404: " in missing
    as_json = cli("--json", "sandbox", "stop", other)
    assert as_json.code == 1
    assert as_json.json() == [
        {
            "kind": "sandbox",
            "id": other,
            "sandbox_id": other,
            "stopped": False,
            "error": "Leap0ConflictError",
        }
    ]
    error = json.loads(one_line(as_json.err))
    assert (error["status_code"], error["hint"]) == (409, f"sandbox {other} is already stopped")


@pytest.mark.parametrize(
    ("before", "action", "hint"),
    [
        ([], "start", "sandbox {id} is already running"),
        (["pause"], "pause", "sandbox {id} is already paused"),
        (
            ["stop"],
            "pause",
            "pause takes a running sandbox: sandbox {id} is stopped; start it with "
            "'leap0 sandbox start {id}'",
        ),
        (
            ["pause"],
            "start",
            "start takes a stopped sandbox: sandbox {id} is paused; the service resumes a "
            "paused sandbox through its invoke route or resume endpoint, which leap0 does not "
            "call ('leap0 sandbox start' takes a stopped one only)",
        ),
        (
            ["pause"],
            "stop",
            "stop takes a running sandbox: sandbox {id} is paused; the service resumes",
        ),
    ],
)
def test_a_409_says_the_state_and_what_to_do_on_one_line(
    cli: Run, emu: Emulator, sandbox_id: str, before: list[str], action: str, hint: str
) -> None:
    for step in before:
        assert cli("sandbox", step, sandbox_id).code == 0
    result = cli("sandbox", action, sandbox_id)
    assert (result.code, result.out) == (1, "")
    line = one_line(result.err)
    path = f"/v1/sandbox/{sandbox_id}/{action}"
    assert line.startswith(f"leap0: sandbox {action} {sandbox_id} failed: POST {path} -> 409: ")
    assert f"; {hint.format(id=sandbox_id)}" in line


def test_a_409_on_a_sandbox_that_cannot_be_read_says_what_the_action_takes(
    cli: Run, emu: Emulator, sandbox_id: str
) -> None:
    emu.inject("POST", f"/v1/sandbox/{sandbox_id}/stop", {"status": 409})
    emu.inject("GET", f"/v1/sandbox/{sandbox_id}", {"status": 404})
    result = cli("sandbox", "stop", sandbox_id)
    assert result.code == 1
    assert one_line(result.err).endswith(
        f"; stop takes a running sandbox ('leap0 sandbox get {sandbox_id}' shows its state)"
    )


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (429, "the organization runs as many sandboxes as it may: 'leap0 sandbox stop ID'"),
        (503, "the service has no capacity to run it now; try again later"),
    ],
)
def test_start_when_the_service_has_no_room(
    cli: Run, emu: Emulator, sandbox_id: str, status: int, hint: str
) -> None:
    assert cli("sandbox", "stop", sandbox_id).code == 0
    path = f"/v1/sandbox/{sandbox_id}/start"
    emu.inject("POST", path, {"status": status, "retry_after": "0"})
    result = cli("--max-retries", "0", "sandbox", "start", sandbox_id)
    assert (result.code, result.out) == (1, "")
    line = one_line(result.err)
    assert f" -> {status}: " in line
    assert f"; {hint}" in line
    assert emu.attempts("POST", path) == 1
    assert _state(cli, sandbox_id) == "stopped"


def test_the_sandbox_group_lists_them(cli: Run) -> None:
    result = cli("sandbox", "--help")
    assert result.code == 0
    for name in ("stop", "start", "pause"):
        assert f"    {name} " in result.out
    help_text = cli("sandbox", "stop", "--help").out
    assert "ID [ID ...]" in help_text
    assert "leap0 sandbox start" in help_text
