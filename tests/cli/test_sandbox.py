"""``leap0 sandbox create | get | list | delete`` against the emulator, ``--wait`` included."""

from __future__ import annotations

import json

import httpx
import pytest

from leap0._cli import wait
from leap0.emulator import Emulator

from ._helpers import Run, fields, needs_ssh, one_line


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
        "system/code-interpreter:v0.1.0",
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
    assert data["template_id"] == "system/code-interpreter:v0.1.0"
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
    line = one_line(result.err)
    assert line.startswith("leap0: sandbox create failed: POST /v1/sandbox/ -> 409: ")
    assert line.endswith(
        "; 'leap0 sandbox list' shows the sandboxes there are; "
        "'leap0 sandbox delete ID' frees a place"
    )


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
    assert line.startswith("leap0: sandbox get sbx-missing failed: GET /v1/sandbox/sbx-missing")
    assert " -> 404: " in line
    assert "(request id req_" in line


def test_an_id_starting_with_a_dash_after_double_dash(cli: Run) -> None:
    result = cli("sandbox", "get", "--", "-odd-id")
    assert result.code == 1  # a well-formed id: asked for, and not found
    assert "sandbox get -odd-id failed: GET /v1/sandbox/-odd-id/ -> 404: " in result.err
    refused = cli("sandbox", "get", "--", "-odd/id")
    assert refused.code == 2  # not an id leap0 sends
    assert refused.err.startswith("usage: leap0 sandbox get")
    assert "argument ID: sandbox id must be" in refused.err


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


def test_every_time_in_list_json_is_rfc3339(cli: Run) -> None:
    cli("sandbox", "create", "--timeout", "600")
    (item,) = cli("--json", "sandbox", "list").json()["items"]
    table_row = cli("sandbox", "list", "--no-header").out.split()
    for key in ("created_at", "timeout_at"):
        assert isinstance(item[key], str), key
        assert item[key].endswith("Z"), key
    assert item["timeout_at"] == table_row[4]  # as the table shows it
    assert item["timeout_at"][:19] > item["created_at"][:19]


def test_format_id_and_no_header_for_scripts(cli: Run) -> None:
    created = cli("sandbox", "create", "--format", "id")
    assert created.code == 0
    first = created.out.strip()
    assert one_line(created.out) == first and first.startswith("sbx-")
    second = cli("--format", "id", "sandbox", "create").out.strip()
    assert cli("sandbox", "get", first, "--format", "id").out == f"{first}\n"
    listed = cli("sandbox", "list", "--format", "id", "--order", "asc")
    assert (listed.out, listed.err) == (f"{first}\n{second}\n", "")
    bare = cli("sandbox", "list", "--no-header", "--order", "asc").out.splitlines()
    assert [line.split()[0] for line in bare] == [first, second]
    # leap0 sandbox list --format id | xargs leap0 sandbox delete
    deleted = cli("sandbox", "delete", *listed.out.split(), "--format", "id")
    assert (deleted.code, deleted.out) == (0, listed.out)
    assert cli("sandbox", "list", "--no-header").out == ""
    assert cli("sandbox", "list", "--format", "id").out == ""


def test_sandbox_list_pages_and_filters(cli: Run) -> None:
    for _ in range(3):
        cli("sandbox", "create")
    page = cli("sandbox", "list", "--page", "2", "--page-size", "2")
    assert page.code == 0
    assert len(page.out.splitlines()) == 2  # header and one sandbox
    assert one_line(page.err) == "leap0: page 2 of 2: sandboxes 3-3 of 3"
    data = cli("--json", "sandbox", "list", "--page", "2", "--page-size", "2").json()
    assert (len(data["items"]), data["total_items"], data["page"]) == (1, 3, 2)
    paused = cli("--json", "sandbox", "list", "--state", "paused").json()
    assert paused["items"] == []


def test_past_the_last_page_says_so(cli: Run) -> None:
    for _ in range(3):
        cli("sandbox", "create")
    past = cli("sandbox", "list", "--page", "3", "--page-size", "2")
    assert (past.code, past.out) == (0, "")
    assert one_line(past.err) == "leap0: page 3 is past the last page (2 pages of 2)"
    far = cli("sandbox", "list", "--page", "9")
    assert one_line(far.err) == "leap0: page 9 is past the last page (1 page of 20)"
    for ident in cli("sandbox", "list", "--format", "id").out.split():
        cli("sandbox", "delete", ident)
    empty = cli("sandbox", "list", "--page", "2")
    assert one_line(empty.err) == "leap0: page 2 is past the last page (there are no sandboxes)"


def test_sandbox_delete_text_and_json(cli: Run) -> None:
    first = cli("--json", "sandbox", "create").json()["id"]
    second = cli("--json", "sandbox", "create").json()["id"]
    text = cli("sandbox", "delete", first)
    assert (text.code, text.out, text.err) == (0, f"deleted sandbox {first}\n", "")
    data = cli("sandbox", "delete", second, "--json")
    assert data.code == 0
    assert data.json() == [{"kind": "sandbox", "id": second, "sandbox_id": second, "deleted": True}]
    again = cli("sandbox", "delete", first)
    assert again.code == 1
    assert one_line(again.err).startswith(f"leap0: sandbox delete {first} failed: DELETE ")
    assert cli("sandbox", "get", first).code == 1


def test_delete_several_reports_each_failure_and_deletes_the_rest(cli: Run, emu: Emulator) -> None:
    ids = [cli("--json", "sandbox", "create").json()["id"] for _ in range(3)]
    emu.inject("DELETE", f"/v1/sandbox/{ids[1]}", {"status": 403})
    result = cli("sandbox", "delete", ids[0], ids[1], "sbx-missing", ids[2])
    assert result.code == 1
    assert result.out == f"deleted sandbox {ids[0]}\ndeleted sandbox {ids[2]}\n"
    failed = result.err.splitlines()
    assert len(failed) == 2
    assert failed[0].startswith(f"leap0: sandbox delete {ids[1]} failed: DELETE ")
    assert " -> 403: injected fault" in failed[0]
    assert failed[1].startswith("leap0: sandbox delete sbx-missing failed: DELETE ")
    assert cli("sandbox", "list", "--format", "id").out == f"{ids[1]}\n"

    as_json = cli("--json", "sandbox", "delete", ids[1], "sbx-missing")
    assert as_json.code == 1
    assert as_json.json() == [
        {"kind": "sandbox", "id": ids[1], "sandbox_id": ids[1], "deleted": True},
        {
            "kind": "sandbox",
            "id": "sbx-missing",
            "sandbox_id": "sbx-missing",
            "deleted": False,
            "error": "Leap0NotFoundError",
        },
    ]
    error = json.loads(one_line(as_json.err))
    assert (error["error"], error["status_code"]) == ("Leap0NotFoundError", 404)
    assert error["command"] == "sandbox delete sbx-missing"


# -- sandbox create --wait ----------------------------------------------------------------


class Clock:
    """The wait's clock and sleep: time passes only when it sleeps, on the emulator too."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        self.emu.advance(seconds)


@pytest.fixture
def clock(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(emu)
    monkeypatch.setattr(wait, "clock", fake.clock)
    monkeypatch.setattr(wait, "sleep", fake.sleep)
    return fake


def test_create_wait_polls_until_running(cli: Run, emu: Emulator, clock: Clock) -> None:
    emu.configure(start_delay=6.0)
    assert cli("--json", "sandbox", "create").json()["state"] == "starting"
    result = cli("--json", "sandbox", "create", "--wait")
    assert result.code == 0, result.err
    assert result.err == ""  # no spinner off a terminal
    info = result.json()
    assert info["state"] == "running"
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0]  # the backoff, until 6 s had passed
    assert emu.attempts("GET", f"/v1/sandbox/{info['id']}") == 4
    assert cli("sandbox", "create", "--wait", "--format", "id").out.startswith("sbx-")


def test_create_wait_gives_up_after_the_timeout(cli: Run, emu: Emulator, clock: Clock) -> None:
    emu.configure(start_delay=600.0)
    result = cli("sandbox", "create", "--wait", "--wait-timeout", "10")
    assert (result.code, result.out) == (1, "")
    line = one_line(result.err)
    assert line.startswith("leap0: sandbox create: sandbox sbx-")
    assert line.endswith("is still starting after 10 s (--wait-timeout); it is left as it is")
    assert sum(clock.sleeps) == 10.0
    as_json = cli("--json", "sandbox", "create", "--wait", "--wait-timeout", "1")
    assert json.loads(one_line(as_json.err))["error"] == "wait_timeout"
    assert as_json.code == 1


def test_create_wait_stops_at_a_state_that_will_not_run(
    cli: Run, emu: Emulator, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.configure(start_delay=60.0)

    def stopped_meanwhile(seconds: float) -> None:
        clock.sleep(seconds)
        if len(clock.sleeps) == 1:  # the sandbox's next answer says it stopped
            (ident,) = cli_ids(emu)
            path = f"/v1/sandbox/{ident}"
            body = httpx.get(emu.base_url + path, headers=_auth(emu)).json()
            body["state"] = "stopped"
            fault = {"body": json.dumps(body), "content_type": "application/json"}
            emu.inject("GET", path, fault)

    monkeypatch.setattr(wait, "sleep", stopped_meanwhile)
    result = cli("sandbox", "create", "--wait")
    assert (result.code, result.out) == (1, "")
    assert one_line(result.err).endswith(
        "is stopped; start it with 'leap0 sandbox start " + cli_ids(emu)[0] + "'"
    )


def _auth(emu: Emulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {emu.api_key}"}


def cli_ids(emu: Emulator) -> list[str]:
    answer = httpx.get(emu.base_url + "/v1/sandboxes", headers=_auth(emu)).json()
    return [item["id"] for item in answer["items"]]


def test_create_wait_shows_a_spinner_on_a_terminal(
    cli: Run, emu: Emulator, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    emu.configure(start_delay=1.0)
    monkeypatch.setattr(sys, "stderr", terminal)
    result = cli("sandbox", "create", "--wait", "--format", "id")
    assert result.code == 0
    shown = terminal.getvalue()
    assert "waiting for sandbox sbx-" in shown
    assert ": starting, 0 s" in shown
    assert shown.endswith("\r\033[K")  # erased at the end
    assert clock.sleeps[:2] == [0.1, 0.1]  # it turns while it waits
