"""Stopping, starting and pausing a sandbox, over HTTP and SSH, on the emulator's clock."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import asyncssh
import httpx
import pytest

from leap0.emulator import Emulator, Settings
from leap0.emulator._settings import SettingsError

from ._helpers import TIMESTAMP, create_access, create_sandbox, ssh_login

TIMEOUT = 10.0


def _act(api: httpx.Client, sandbox_id: str, action: str, status: int) -> dict[str, Any]:
    """``POST /v1/sandbox/{id}/{action}``, which must answer ``status``; its JSON body."""
    response = api.post(f"/v1/sandbox/{sandbox_id}/{action}")
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    if status >= 400:
        assert set(body) == {"message"}
    return body


def _state(api: httpx.Client, sandbox_id: str) -> str:
    state: str = api.get(f"/v1/sandbox/{sandbox_id}").json()["state"]
    return state


def _item(api: httpx.Client, sandbox_id: str) -> dict[str, Any]:
    items = api.get("/v1/sandboxes").json()["items"]
    item: dict[str, Any] = next(i for i in items if i["id"] == sandbox_id)
    return item


def _valid(api: httpx.Client, access: dict[str, Any]) -> bool:
    body = {"id": access["id"], "password": access["password"]}
    response = api.post(f"/v1/sandbox/{access['sandbox_id']}/ssh/validate", json=body)
    assert response.status_code == 200, response.text
    valid: bool = response.json()["valid"]
    return valid


async def _echo(emu: Emulator, access: dict[str, Any], text: str) -> str:
    async with await ssh_login(emu.ssh_host, emu.ssh_port, access, TIMEOUT) as conn:
        result = await asyncio.wait_for(conn.run(f"echo {text}"), TIMEOUT)
    return str(result.stdout)


# -- stop ----------------------------------------------------------------------------------


def test_stop_goes_stopping_then_stopped_on_the_clock(emu: Emulator, api: httpx.Client) -> None:
    emu.configure(stop_delay=5)
    sandbox = create_sandbox(api, network_policy={"mode": "deny-all"})
    sid = sandbox["id"]
    stopped = _act(api, sid, "stop", 200)
    # The answer is the SandboxCreateResponse, in its new state.
    assert stopped == {**sandbox, "state": "stopping"}
    assert _state(api, sid) == "stopping"
    assert api.delete(f"/v1/sandbox/{sid}").status_code == 409  # in transition
    emu.advance(4.5)
    assert _state(api, sid) == "stopping"
    emu.advance(0.5)
    assert _state(api, sid) == "stopped"
    item = _item(api, sid)
    assert TIMESTAMP.fullmatch(item["state_change_time"])
    assert item["state_change_time"] != item["created_at"]
    assert api.delete(f"/v1/sandbox/{sid}").status_code == 204


def test_stop_answers_stopped_with_the_default_delay(emu: Emulator, api: httpx.Client) -> None:
    assert emu.settings.stop_delay == 0.0
    sid = create_sandbox(api)["id"]
    assert _act(api, sid, "stop", 200)["state"] == "stopped"
    assert _state(api, sid) == "stopped"


def test_stop_on_a_sandbox_not_running_is_409(emu: Emulator, api: httpx.Client) -> None:
    sid = create_sandbox(api)["id"]
    _act(api, sid, "stop", 200)
    assert "stopped" in _act(api, sid, "stop", 409)["message"]
    emu.configure(start_delay=10)
    starting = create_sandbox(api)["id"]
    assert "starting" in _act(api, starting, "stop", 409)["message"]


def test_stop_keeps_the_disk(emu: Emulator, api: httpx.Client) -> None:
    sid = create_sandbox(api)["id"]
    _act(api, sid, "stop", 200)
    assert api.get("/v1/sandboxes", params={"state": "stopped"}).json()["total_items"] == 1
    # Its directory stays; a start finds it again.
    _act(api, sid, "start", 200)
    assert _state(api, sid) == "running"


# -- start ---------------------------------------------------------------------------------


def test_start_goes_starting_then_running(emu: Emulator, api: httpx.Client) -> None:
    sid = create_sandbox(api)["id"]
    launched = _item(api, sid)["launch_time"]
    _act(api, sid, "stop", 200)
    emu.configure(start_delay=3)
    assert _act(api, sid, "start", 200)["state"] == "starting"
    assert "launch_time" not in _item(api, sid)
    assert api.delete(f"/v1/sandbox/{sid}").status_code == 409  # in transition
    emu.advance(2.5)
    assert _state(api, sid) == "starting"
    emu.advance(0.5)
    assert _state(api, sid) == "running"
    item = _item(api, sid)
    assert item["launch_time"] == item["state_change_time"] != launched


def test_start_on_a_running_sandbox_is_409(api: httpx.Client) -> None:
    sid = create_sandbox(api)["id"]
    assert "running" in _act(api, sid, "start", 409)["message"]


def test_start_on_a_stopping_sandbox_is_409(emu: Emulator, api: httpx.Client) -> None:
    emu.configure(stop_delay=5)
    sid = create_sandbox(api)["id"]
    _act(api, sid, "stop", 200)
    assert "stopping" in _act(api, sid, "start", 409)["message"]
    emu.advance(5)
    assert _act(api, sid, "start", 200)["state"] == "running"


def test_start_does_not_resume_a_paused_sandbox(api: httpx.Client) -> None:
    sid = create_sandbox(api)["id"]
    _act(api, sid, "pause", 201)
    message = _act(api, sid, "start", 409)["message"]
    assert "paused" in message
    assert "only a stopped sandbox" in message
    assert _state(api, sid) == "paused"


def test_the_timeout_counts_from_the_restart(emu: Emulator, api: httpx.Client) -> None:
    sid = create_sandbox(api, timeout=60)["id"]
    emu.advance(50)
    _act(api, sid, "stop", 200)
    emu.advance(100)
    emu.configure(start_delay=10)
    _act(api, sid, "start", 200)
    emu.advance(10)
    assert _state(api, sid) == "running"
    restarted = _item(api, sid)
    emu.advance(59)
    assert _state(api, sid) == "running"
    emu.advance(1)
    assert _state(api, sid) == "stopped"
    item = _item(api, sid)
    assert item["timeout_at"] == restarted["timeout_at"]
    assert item["state_change_time"] != restarted["state_change_time"]


def test_a_sandbox_timed_out_starts_again(api: httpx.Client, emu: Emulator) -> None:
    stops = create_sandbox(api, timeout=5)["id"]
    pauses = create_sandbox(api, timeout=5, auto_pause=True)["id"]
    emu.advance(5)
    assert (_state(api, stops), _state(api, pauses)) == ("stopped", "paused")
    assert _act(api, stops, "start", 200)["state"] == "running"
    _act(api, pauses, "start", 409)


# -- pause ---------------------------------------------------------------------------------


def test_pause_pauses_at_once(api: httpx.Client) -> None:
    sandbox = create_sandbox(api)
    sid = sandbox["id"]
    assert _act(api, sid, "pause", 201) == {**sandbox, "state": "paused"}
    assert _state(api, sid) == "paused"
    assert "paused" in _act(api, sid, "pause", 409)["message"]
    assert "paused" in _act(api, sid, "stop", 409)["message"]
    assert api.delete(f"/v1/sandbox/{sid}").status_code == 204  # deleted directly


def test_pause_on_a_stopped_sandbox_is_409(api: httpx.Client) -> None:
    sid = create_sandbox(api)["id"]
    _act(api, sid, "stop", 200)
    assert "stopped" in _act(api, sid, "pause", 409)["message"]


# -- what the three share ------------------------------------------------------------------


@pytest.mark.parametrize("action", ["stop", "start", "pause"])
def test_an_unknown_sandbox_is_404(api: httpx.Client, action: str) -> None:
    assert "sbx-missing" in _act(api, "sbx-missing", action, 404)["message"]


@pytest.mark.parametrize("action", ["stop", "start", "pause"])
def test_the_routes_take_post_only(api: httpx.Client, action: str) -> None:
    sid = create_sandbox(api)["id"]
    response = api.get(f"/v1/sandbox/{sid}/{action}")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize("mode", ["single", "per-credential", "both"])
def test_the_routes_are_served_in_every_ssh_api_mode(
    emu: Emulator, api: httpx.Client, mode: Any
) -> None:
    emu.configure(ssh_api=mode)
    sid = create_sandbox(api)["id"]
    _act(api, sid, "stop", 200)
    _act(api, sid, "start", 200)
    _act(api, sid, "pause", 201)


# -- SSH access while not running -----------------------------------------------------------


async def test_credentials_survive_a_stop_and_work_after_the_start(
    emu: Emulator, api: httpx.Client
) -> None:
    sid = create_sandbox(api)["id"]
    access = create_access(api, sid)
    assert await _echo(emu, access, "before") == "before\n"
    _act(api, sid, "stop", 200)
    assert not _valid(api, access)
    with pytest.raises(asyncssh.PermissionDenied):
        await ssh_login(emu.ssh_host, emu.ssh_port, access, TIMEOUT)
    # No new access for a sandbox that is not running; deleting one would still work.
    assert api.post(f"/v1/sandbox/{sid}/ssh/access").status_code == 409
    assert api.post(f"/v1/sandbox/{sid}/ssh/regen").status_code == 409
    _act(api, sid, "start", 200)
    assert _valid(api, access)
    assert await _echo(emu, access, "after") == "after\n"


async def test_no_login_while_starting_again(emu: Emulator, api: httpx.Client) -> None:
    sid = create_sandbox(api)["id"]
    access = create_access(api, sid)
    _act(api, sid, "stop", 200)
    emu.configure(start_delay=5)
    _act(api, sid, "start", 200)
    assert not _valid(api, access)
    with pytest.raises(asyncssh.PermissionDenied):
        await ssh_login(emu.ssh_host, emu.ssh_port, access, TIMEOUT)
    emu.advance(5)
    assert await _echo(emu, access, "up") == "up\n"


async def test_a_credential_that_expired_while_stopped_stays_expired(
    emu: Emulator, api: httpx.Client
) -> None:
    sid = create_sandbox(api, timeout=28_800)["id"]
    access = create_access(api, sid)
    _act(api, sid, "stop", 200)
    emu.advance(3600)
    _act(api, sid, "start", 200)
    assert not _valid(api, access)
    with pytest.raises(asyncssh.PermissionDenied):
        await ssh_login(emu.ssh_host, emu.ssh_port, access, TIMEOUT)
    renewed = api.post(f"/v1/sandbox/{sid}/ssh/regen").json()
    assert await _echo(emu, renewed, "renewed") == "renewed\n"


@pytest.mark.parametrize(("action", "status"), [("stop", 200), ("pause", 201)])
async def test_an_open_session_ends_at_stop_or_pause(
    emu: Emulator, api: httpx.Client, action: str, status: int
) -> None:
    emu.configure(stop_delay=30)  # the session ends at the request, not once stopped
    sid = create_sandbox(api)["id"]
    access = create_access(api, sid)
    conn = await ssh_login(emu.ssh_host, emu.ssh_port, access, TIMEOUT)
    try:
        await asyncio.wait_for(conn.run("echo kept > note.txt"), TIMEOUT)
        process = await conn.create_process("echo started; exec sleep 100000")
        assert await asyncio.wait_for(process.stdout.readline(), TIMEOUT) == "started\n"
        _act(api, sid, action, status)
        await asyncio.wait_for(conn.wait_closed(), TIMEOUT)
        process.close()
    finally:
        conn.close()
        await conn.wait_closed()
    # The disk is kept (the session's home: "home" in the sandbox's directory).
    assert emu._root is not None
    with open(os.path.join(emu._root, sid, "home", "note.txt"), encoding="utf-8") as note:
        assert note.read() == "kept\n"


# -- the stop_delay setting ------------------------------------------------------------------


@pytest.mark.parametrize("delay", [-1, 3601, "1", True, float("nan"), float("inf")])
def test_bad_stop_delays_are_refused(emu: Emulator, api: httpx.Client, delay: object) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings(stop_delay=delay)  # type: ignore[arg-type]
    assert [field for field, _ in caught.value.errors] == ["stop_delay"]
    with pytest.raises(ValueError, match="stop_delay"):
        emu.configure(stop_delay=delay)  # type: ignore[arg-type]
    assert emu.settings == Settings()


def test_stop_delay_over_the_config_route(emu: Emulator, api: httpx.Client) -> None:
    response = api.post("/_emulator/config", json={"stop_delay": 2})
    assert response.status_code == 200
    assert response.json()["stop_delay"] == 2.0
    assert emu.settings.stop_delay == 2.0
    bad = api.post("/_emulator/config", json={"stop_delay": -1})
    assert bad.status_code == 400
    assert [e["field"] for e in bad.json()["errors"]] == ["stop_delay"]
    emu.reset()
    assert emu.settings.stop_delay == 0.0


def test_cli_stop_delay_option(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    from leap0 import emulator
    from leap0.emulator import _cli

    assert _cli._parser().parse_args([]).stop_delay == 0.0
    assert _cli._parser().parse_args(["--stop-delay", "2.5"]).stop_delay == 2.5
    seen: dict[str, Any] = {}

    def fake_serve(**kwargs: Any) -> Emulator:
        seen.update(kwargs)
        raise ValueError("not starting")

    monkeypatch.setattr(emulator, "serve", fake_serve)
    assert _cli.main(["--stop-delay", "4"]) == 2
    assert seen["stop_delay"] == 4.0
    capsys.readouterr()
