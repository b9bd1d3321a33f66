"""Hostile HTTP input: encoded ids, unauthenticated floods, slow clients, bad bodies."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
from typing import Any

import asyncssh
import httpx
import pytest

from leap0.emulator import Emulator, Fault, serve
from leap0.emulator._settings import MAX_COUNTED_ROUTES, MAX_FAULT_BYTES, MAX_PENDING_FAULTS

from ._helpers import NEW, create_access, create_sandbox, field_errors, ssh_login


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


async def ssh_connect(emu: Emulator, access: dict[str, Any]) -> asyncssh.SSHClientConnection:
    return await ssh_login(emu.ssh_host, emu.ssh_port, access, 10)


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
    pair = {"id": access["id"], "password": access["password"]}
    check = api.post(f"/v1/sandbox/{sid}/ssh/validate", json=pair)
    assert check.json()["valid"] is True


def test_encoded_slashes_in_an_id_do_not_create_access(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    status, _ = raw_request(emu, "POST", f"/v1/sandbox/{sid}%2Fssh%2Faccess")
    assert status in (400, 404)
    status, _ = raw_request(emu, "POST", f"/v1/sandbox/{sid}%2fssh/access")
    assert status in (400, 404)
    # Nothing was created: after a real create the sandbox holds one credential, so
    # the seed's regen (409 with several) rotates it.
    create_access(api, sid)
    assert api.post(f"/v1/sandbox/{sid}/ssh/regen").status_code == 200


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
    assert len(emu._state.faults._attempts) == 0
    # The fault still waits for an authenticated request.
    assert api.get("/v1/sandboxes").status_code == 503
    assert emu.attempts("GET", "/v1/sandboxes") == 1


def test_request_counters_are_capped_and_reset_frees_them(emu: Emulator) -> None:
    state = emu._state
    assert state is not None
    for number in range(MAX_COUNTED_ROUTES + 50):
        state.faults.record_attempt("GET", f"/v1/sandbox/sbx-{number}")
    assert len(state.faults._attempts) == MAX_COUNTED_ROUTES
    assert emu.attempts("GET", "/v1/sandbox/sbx-0") == 1
    assert emu.attempts("GET", f"/v1/sandbox/sbx-{MAX_COUNTED_ROUTES + 10}") == 0
    state.faults.record_attempt("GET", "/v1/sandbox/sbx-0")
    assert emu.attempts("GET", "/v1/sandbox/sbx-0") == 2
    emu.reset()
    assert len(state.faults._attempts) == 0
    state.faults.record_attempt("GET", f"/v1/sandbox/sbx-{MAX_COUNTED_ROUTES + 10}")
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
    assert emu._state.faults.pending("GET", "/b") == 0
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


# -- 5. bad input is a 400 at the door, and changes nothing --------------------------------


def _snapshot(api: httpx.Client) -> tuple[Any, Any]:
    listed = api.get("/v1/sandboxes")
    assert listed.status_code == 200, listed.text
    return listed.json(), api.get("/_emulator/config").json()


BODY_ROUTES = [
    "/v1/sandbox/",
    "/_emulator/faults",
    "/_emulator/config",
]
BAD_BODIES = [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"env_vars": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_001,
    b'{"template_name": ' + b"[" * 40 + b"]" * 40 + b"}",
    b'{"template_name": "\xff"}',
    b'{"template_name": "\xed\xa0\x80"}',
    b'{"template_name": "\\ud800"}',
    b'{"env_vars": {"\\udc80": "x"}}',
    b'{"env_vars": {"A": "\\udfff\\ud800"}}',
    b'{"ssh_lifetime": 1' + b"0" * 5000 + b"}",
    b'{"method": "GET", "path": "/\\ud800", "faults": [{"status": 503}]}',
    b'{"method": "GET", "path": "/x", "faults": [{"body": "\\ud800"}]}',
    b"\xff\xfe{",
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_bodies_that_do_not_parse_or_hold_bad_text_are_400(
    emu: Emulator, api: httpx.Client, body: bytes
) -> None:
    before = _snapshot(api)
    for route in BODY_ROUTES:
        response = api.post(route, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400, (route, response.text)
        assert field_errors(response)
    assert _snapshot(api) == before
    assert emu._state is not None
    assert emu._state.faults._faults == {}


def test_a_lone_surrogate_neither_creates_a_sandbox_nor_breaks_the_list(
    emu: Emulator, api: httpx.Client
) -> None:
    response = api.post(
        "/v1/sandbox/",
        content=b'{"template_name": "tmpl-\\ud800"}',
        headers={"content-type": "application/json"},
    )
    assert field_errors(response) == {"template_name"}
    response = api.post(
        "/v1/sandbox/",
        content=b'{"env_vars": {"OK": "\\ud800"}}',
        headers={"content-type": "application/json"},
    )
    assert field_errors(response) == {"env_vars.OK"}
    assert api.get("/v1/sandboxes").json() == {"items": [], "total_items": 0}
    emu.configure(templates=[*emu.settings.templates, "tmpl-\u00e9\u20ac\U0001f600"])
    for _ in range(emu.settings.max_sandboxes):  # no slot is held
        create_sandbox(api, template_name="tmpl-\u00e9\u20ac\U0001f600")
    listed = api.get("/v1/sandboxes").json()
    assert {item["template_id"] for item in listed["items"]} == {"tmpl-\u00e9\u20ac\U0001f600"}


@pytest.mark.parametrize("lifetime", ["1e300", "1e309", "-1e309", "0", "315360001"])
def test_lifetimes_out_of_range_are_400(api: httpx.Client, lifetime: str) -> None:
    before = _snapshot(api)
    response = api.post(
        "/_emulator/config",
        content=b'{"ssh_lifetime": ' + lifetime.encode() + b"}",
        headers={"content-type": "application/json"},
    )
    assert field_errors(response) == {"ssh_lifetime"}
    assert _snapshot(api) == before


BAD_FAULTS: list[Any] = [
    {"status": 100},
    {"status": 101},
    {"status": 199},
    {"status": 600},
    {"status": 1000},
    {"status": -1},
    {"status": True},
    {"status": 200, "retry_after": "1\r\nx-injected: yes"},
    {"status": 200, "retry_after": "1\n"},
    {"status": 200, "retry_after": "\u00e9\u20ac"},
    {"status": 200, "retry_after": "a\x00b"},
    {"status": 200, "retry_after": " 1"},
    {"status": 200, "content_type": "text/html\r\nx-injected: yes"},
    {"status": 200, "headers": {"x-a\r\nx-injected": "yes"}},
    {"status": 200, "headers": {"x-a": "b\r\nx-injected: yes"}},
    {"status": 200, "headers": {"x a": "b"}},
    {"status": 200, "headers": {"": "b"}},
    {"status": 200, "headers": {"x-a": "\u20ac"}},
    {"status": 200, "headers": {"Content-Length": "5"}},
    {"status": 200, "headers": {"transfer-encoding": "chunked"}},
    {"status": 204, "drop": True},
    {"delay": -1},
    {"delay": 1e300},
    {"delay": 10**400},
]


@pytest.mark.parametrize("fault", BAD_FAULTS, ids=range(len(BAD_FAULTS)))
def test_bad_faults_are_400_and_queue_nothing(
    emu: Emulator, api: httpx.Client, fault: dict[str, Any]
) -> None:
    good = {"status": 503}
    response = api.post(
        "/_emulator/faults",
        content=json.dumps(
            {"method": "GET", "path": "/v1/sandboxes", "faults": [good, fault]}
        ).encode(),
        headers={"content-type": "application/json"},
    )
    assert field_errors(response) == {"faults[1]"}
    assert emu._state is not None
    assert emu._state.faults.pending("GET", "/v1/sandboxes") == 0
    assert api.get("/v1/sandboxes").status_code == 200
    with pytest.raises(ValueError):
        emu.inject("GET", "/v1/sandboxes", fault)
    with pytest.raises(ValueError):
        Fault(**fault)


def test_faults_without_a_body_keep_the_connection_usable(emu: Emulator, api: httpx.Client) -> None:
    emu.inject(
        "GET",
        "/v1/sandboxes",
        {"status": 204},
        {"status": 304, "headers": {"etag": '"x"'}},
        {"status": 503, "retry_after": "Wed, 21 Oct 2015 07:28:00 GMT", "headers": {"x-a": "b  c"}},
    )
    emu.inject("HEAD", "/v1/sandboxes", {"status": 503})
    first = api.get("/v1/sandboxes")
    assert (first.status_code, first.content) == (204, b"")
    second = api.get("/v1/sandboxes")
    assert (second.status_code, second.headers["etag"]) == (304, '"x"')
    third = api.get("/v1/sandboxes")
    assert third.status_code == 503
    assert third.headers["x-a"] == "b  c"
    head = api.head("/v1/sandboxes")
    assert (head.status_code, head.content) == (503, b"")
    assert api.get("/v1/sandboxes").status_code == 200


async def test_env_vars_longer_than_a_program_can_take_are_400(
    emu: Emulator, api: httpx.Client
) -> None:
    before = _snapshot(api)
    limit = 128 * 1024 - 1  # "NAME=value" as UTF-8, without the terminating NUL
    for env in [
        {"BIG": "x" * (limit - 3)},
        {"BIG": "\u00e9" * (limit // 2)},
        {f"V{n}": "" for n in range(1001)},
    ]:
        response = api.post("/v1/sandbox/", json={**NEW, "env_vars": env})
        assert response.status_code == 400, response.text
        assert field_errors(response) <= {"env_vars", "env_vars.BIG"}
    assert _snapshot(api) == before
    # The longest accepted one reaches a session intact.
    sandbox = create_sandbox(api, env_vars={"BIG": "x" * (limit - 4)})
    access = create_access(api, sandbox["id"])
    async with await ssh_connect(emu, access) as conn:
        result = await asyncio.wait_for(conn.run('printf %s "$BIG" | wc -c'), 10)
    assert (result.exit_status, result.stdout.strip()) == (0, str(limit - 4)), result.stderr


# -- 4. slow clients ------------------------------------------------------------------------

# Far longer than the request timeout set below: how long a test waits for the close.
CLOSE_BOUND = 30.0


def _closes(sock: socket.socket) -> bytes:
    """Read until the server closes the connection; everything it sent before closing.

    Fails if the connection is still open after CLOSE_BOUND seconds of silence.
    """
    sock.settimeout(CLOSE_BOUND)
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        except TimeoutError:
            raise AssertionError(f"the connection stayed open; received {received!r}") from None
        if not chunk:
            return received
        received += chunk


@pytest.mark.parametrize(
    "partial",
    [
        b"",
        b"GET /v1/sandb",
        b"GET /v1/sandboxes HTTP/1.1\r\nHost: x\r\n",
        b"POST /v1/sandbox/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
    ],
    ids=["nothing", "half-request-line", "half-headers", "half-body"],
)
def test_incomplete_requests_are_closed_after_the_request_timeout(
    emu: Emulator, api: httpx.Client, partial: bytes
) -> None:
    emu.configure(request_timeout=0.3)
    with socket.create_connection((emu.ssh_host, emu.api_port), timeout=10) as sock:
        sock.sendall(partial.replace(b"Host: x", b"Authorization: Bearer " + emu.api_key.encode()))
        received = _closes(sock)
    assert b"HTTP/1.1 2" not in received
    assert api.get("/v1/sandboxes").json()["total_items"] == 0


def test_a_second_request_on_a_kept_alive_connection_has_its_own_deadline(emu: Emulator) -> None:
    emu.configure(request_timeout=0.3)
    request = (
        f"GET /v1/sandboxes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {emu.api_key}\r\n\r\n"
    ).encode()
    with socket.create_connection((emu.ssh_host, emu.api_port), timeout=10) as sock:
        sock.sendall(request + request[:20])
        received = _closes(sock)
    assert received.startswith(b"HTTP/1.1 200")
    assert received.count(b"HTTP/1.1 ") == 1


def test_the_answer_itself_may_take_longer_than_the_request_timeout(
    emu: Emulator, api: httpx.Client
) -> None:
    emu.configure(request_timeout=0.2)
    emu.inject("GET", "/v1/sandboxes", {"delay": 0.6})
    emu.inject("POST", "/v1/sandbox", {"delay": 0.6})
    assert api.get("/v1/sandboxes").status_code == 200
    assert (
        api.post(
            "/v1/sandbox/", json={**NEW, "env_vars": {"A": "x" * 100_000, "B": "y" * 100_000}}
        ).status_code
        == 201
    )


def test_the_request_timeout_is_a_setting(emu: Emulator, api: httpx.Client) -> None:
    assert emu.settings.request_timeout == 30.0
    response = api.post("/_emulator/config", json={"request_timeout": 2})
    assert response.json()["request_timeout"] == 2.0
    for bad in [0, -1, 3601, "1", True]:
        response = api.post("/_emulator/config", json={"request_timeout": bad})
        assert field_errors(response) == {"request_timeout"}
    with pytest.raises(ValueError):
        serve(request_timeout=0)
    emu.reset()
    assert emu.settings.request_timeout == 30.0
