"""Hostile HTTP input: encoded ids, unauthenticated floods, slow clients, bad bodies."""

from __future__ import annotations

import http.client
import json
from typing import Any

import httpx
import pytest

from leap0.emulator import Emulator
from leap0.emulator._settings import MAX_COUNTED_ROUTES, MAX_FAULT_BYTES, MAX_PENDING_FAULTS

from ._helpers import create_access


def raw_request(
    emu: Emulator,
    method: str,
    target: str,
    *,
    body: bytes | None = None,
    key: str | None = "",
) -> tuple[int, bytes]:
    """Send ``target`` byte for byte (no client-side normalization); return (status, body).

    ``key`` None sends no API key; "" (the default) sends the emulator's.
    """
    headers = {"content-type": "application/json"} if body is not None else {}
    if key is not None:
        headers["authorization"] = f"Bearer {key or emu.api_key}"
    conn = http.client.HTTPConnection(emu.ssh_host, emu.api_port, timeout=10)
    try:
        conn.request(method, target, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# -- 1. routing on the raw path ----------------------------------------------------------


def test_encoded_query_in_an_id_does_not_reach_the_sandbox(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    for method, target in [
        ("DELETE", f"/v1/sandbox/{sid}%3Fx/ssh/access"),
        ("DELETE", f"/v1/sandbox/{sid}%3fx"),
        ("DELETE", f"/v1/sandbox/{sid}%23x"),
        ("DELETE", f"/v1/sandbox/{sid}#x"),
        ("GET", f"/v1/sandbox/{sid}%3F"),
        ("POST", f"/v1/sandbox/{sid}%2Fssh%2Fregen"),
        ("DELETE", f"/v1/sandbox/{sid}/ssh/{access['id']}%3Fx"),
        ("DELETE", f"/v1/sandbox/{sid}/ssh/{access['id']}%2F"),
    ]:
        status, _ = raw_request(emu, method, target)
        assert status in (400, 404), (method, target, status)
    assert api.get(f"/v1/sandbox/{sid}").status_code == 200
    check = api.post(f"/v1/sandbox/{sid}/ssh/validate", json=access)
    assert check.json()["valid"] is True


def test_encoded_slashes_in_an_id_do_not_create_access(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    status, _ = raw_request(emu, "POST", f"/v1/sandbox/{sid}%2Fssh%2Faccess")
    assert status in (400, 404)
    status, _ = raw_request(emu, "POST", f"/v1/sandbox/{sid}%2fssh/access")
    assert status in (400, 404)
    # Nothing was created: the first real create succeeds (one credential per sandbox).
    create_access(api, sid)


def test_encoded_unreserved_characters_and_ids_still_route(
    emu: Emulator, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    encoded = "".join(f"%{ord(c):02X}" for c in sid)
    status, body = raw_request(emu, "GET", f"/v1/sandbox/{encoded}/")
    assert status == 200
    assert json.loads(body)["id"] == sid
    status, _ = raw_request(emu, "GET", "/v1/%73andboxes")
    assert status == 200
    status, body = raw_request(emu, "GET", "/v1/sandbox/%E2%82%AC-%ff")
    assert status == 404, body


def test_faults_are_keyed_by_the_raw_path(emu: Emulator, sandbox: dict[str, Any]) -> None:
    sid = sandbox["id"]
    path = f"/v1/sandbox/{sid}/ssh/access"
    emu.inject("POST", path, {"status": 503})
    status, _ = raw_request(emu, "POST", f"/v1/sandbox/{sid}%2Fssh%2Faccess")
    assert status in (400, 404)
    assert emu.attempts("POST", path) == 0
    assert raw_request(emu, "POST", path)[0] == 503
    assert emu.attempts("POST", path) == 1
    # A path given with a space or non-ASCII text keys the same as its encoded request.
    emu.inject("GET", "/v1/sandbox/a b é", {"status": 418})
    assert raw_request(emu, "GET", "/v1/sandbox/a%20b%20%C3%A9")[0] == 418


# -- 3. nothing kept for clients without the key; bounded state for the others ------------


def test_requests_without_the_key_leave_nothing_behind(
    emu: Emulator, anon: httpx.Client, api: httpx.Client
) -> None:
    emu.inject("GET", "/v1/sandboxes", {"status": 503})
    for number in range(200):
        assert anon.get(f"/v1/sandbox/sbx-{number}").status_code == 401
        wrong = {"authorization": "Bearer not-the-key"}
        assert anon.post(f"/v1/sandbox/sbx-{number}/ssh/access", headers=wrong).status_code == 401
    assert anon.get("/v1/sandboxes").status_code == 401
    assert emu.attempts("GET", "/v1/sandboxes") == 0
    assert emu.attempts("GET", "/v1/sandbox/sbx-1") == 0
    assert emu._state is not None
    assert len(emu._state._attempts) == 0
    # The fault still waits for an authenticated request.
    assert api.get("/v1/sandboxes").status_code == 503
    assert emu.attempts("GET", "/v1/sandboxes") == 1


def test_request_counters_are_capped_and_reset_frees_them(emu: Emulator) -> None:
    state = emu._state
    assert state is not None
    for number in range(MAX_COUNTED_ROUTES + 50):
        state.record_attempt("GET", f"/v1/sandbox/sbx-{number}")
    assert len(state._attempts) == MAX_COUNTED_ROUTES
    assert emu.attempts("GET", "/v1/sandbox/sbx-0") == 1
    assert emu.attempts("GET", f"/v1/sandbox/sbx-{MAX_COUNTED_ROUTES + 10}") == 0
    state.record_attempt("GET", "/v1/sandbox/sbx-0")
    assert emu.attempts("GET", "/v1/sandbox/sbx-0") == 2
    emu.reset()
    assert len(state._attempts) == 0
    state.record_attempt("GET", f"/v1/sandbox/sbx-{MAX_COUNTED_ROUTES + 10}")
    assert emu.attempts("GET", f"/v1/sandbox/sbx-{MAX_COUNTED_ROUTES + 10}") == 1


def test_pending_faults_are_capped_in_number_and_bytes(emu: Emulator, api: httpx.Client) -> None:
    emu.inject("GET", "/a", *[{"status": 503}] * MAX_PENDING_FAULTS)
    with pytest.raises(ValueError, match="at most"):
        emu.inject("GET", "/b", {"status": 503})
    over = api.post(
        "/_emulator/faults", json={"method": "GET", "path": "/b", "faults": [{"status": 503}]}
    )
    assert over.status_code == 409, over.text
    assert emu._state is not None
    assert emu._state.pending_faults("GET", "/b") == 0
    # Consuming one makes room for one.
    assert api.get("/a").status_code == 503
    emu.inject("GET", "/b", {"status": 503})
    with pytest.raises(ValueError):
        emu.inject("GET", "/b", {"status": 503})
    emu.reset()
    body = "x" * (512 << 10)
    allowed = MAX_FAULT_BYTES // (len(body) + 100)
    emu.inject("GET", "/c", *[{"body": body}] * allowed)
    with pytest.raises(ValueError, match="bytes"):
        emu.inject("GET", "/c", *[{"body": body}] * 2)
    emu.reset()
    emu.inject("GET", "/c", {"body": body})
    assert api.get("/c").text == body
