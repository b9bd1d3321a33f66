"""Fault injection: scripted answers, attempt counters, reset."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
import pytest

from leap0.emulator import Emulator, Fault
from leap0.emulator._faults import MAX_DELAY

from ._helpers import NEW, create_access, create_sandbox, field_errors, make_client

LIST = "/v1/sandboxes"


def test_status_fault_then_normal(emu: Emulator, api: httpx.Client) -> None:
    emu.inject("GET", LIST, Fault(status=503, retry_after="1"))
    first = api.get(LIST)
    assert first.status_code == 503
    assert first.headers["retry-after"] == "1"
    assert first.json() == {"message": "injected fault"}
    assert first.headers["x-request-id"].startswith("req_")
    second = api.get(LIST)
    assert second.status_code == 200
    assert emu.attempts("GET", LIST) == 2


def test_faults_are_consumed_in_order(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    path = f"/v1/sandbox/{sandbox['id']}/ssh/access"
    emu.inject(
        "POST",
        path + "/",  # a trailing slash is ignored
        {"status": 500},
        {"status": 429, "retry_after": 2, "headers": {"x-extra": "yes"}},
        Fault(status=502, body="Bad gateway", content_type="text/plain"),
    )
    first, second, third = (api.post(path) for _ in range(3))
    assert first.status_code == 500
    assert (second.status_code, second.headers["retry-after"]) == (429, "2")
    assert second.headers["x-extra"] == "yes"
    assert (third.status_code, third.text) == (502, "Bad gateway")
    assert third.headers["content-type"] == "text/plain"
    assert api.post(path).status_code == 201  # faults ran out: the real handler
    assert emu.attempts("POST", path) == 4
    assert emu.attempts("POST", path + "/") == 4


def test_faults_match_method_and_exact_path(emu: Emulator, api: httpx.Client) -> None:
    emu.inject("POST", "/v1/sandbox", Fault(status=503))
    assert api.get(LIST).status_code == 200
    assert api.get("/v1/sandbox/sbx-1").status_code == 404
    assert api.post("/v1/sandbox/", json=NEW).status_code == 503
    assert emu.attempts("POST", "/v1/sandbox/") == 1
    assert emu.attempts("GET", "/v1/sandbox/sbx-1") == 1
    assert emu.attempts("GET", "/v1/sandbox/sbx-2") == 0


def test_wrong_shape_body_with_success_status(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    path = f"/v1/sandbox/{sandbox['id']}/ssh/access"
    emu.inject(
        "POST",
        path,
        Fault(body="<html>oops</html>", status=200, content_type="text/html"),
        Fault(body='{"id": "ssh-1", "pass'),
        Fault(body='{"unexpected": true}', status=201),
    )
    html = api.post(path)
    assert (html.status_code, html.text) == (200, "<html>oops</html>")
    assert html.headers["content-type"] == "text/html"
    truncated = api.post(path)
    assert truncated.status_code == 200
    assert truncated.headers["content-type"] == "application/json"
    with pytest.raises(ValueError):
        truncated.json()
    wrong = api.post(path)
    assert (wrong.status_code, wrong.json()) == (201, {"unexpected": True})


def test_empty_body_fault(emu: Emulator, api: httpx.Client) -> None:
    emu.inject("GET", LIST, Fault(body="", status=200), Fault(body="", drop=True))
    empty = api.get(LIST)
    assert (empty.status_code, empty.content) == (200, b"")
    assert empty.headers["content-length"] == "0"
    with pytest.raises(httpx.RemoteProtocolError):
        api.get(LIST)


def test_delay_triggers_client_timeout_then_handles(emu: Emulator) -> None:
    # The delay is far longer than any test waits: only the client's timeout ends the wait.
    emu.inject("GET", LIST, Fault(delay=MAX_DELAY))
    with make_client(emu, timeout=0.2) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            impatient.get(LIST)
        assert impatient.get(LIST).status_code == 200  # not delayed: the fault was used
    assert emu.attempts("GET", LIST) == 2


def test_delay_then_answer_normally(emu: Emulator, api: httpx.Client) -> None:
    emu.inject("POST", "/v1/sandbox", {"delay": 0.2})
    started = time.monotonic()
    response = api.post("/v1/sandbox/", json=NEW)
    assert time.monotonic() - started >= 0.2
    assert response.status_code == 201


def test_delay_with_status(emu: Emulator, api: httpx.Client) -> None:
    emu.inject("GET", LIST, Fault(delay=0.1, status=504))
    started = time.monotonic()
    assert api.get(LIST).status_code == 504
    assert time.monotonic() - started >= 0.1


def test_delayed_request_does_not_block_others(emu: Emulator, api: httpx.Client) -> None:
    emu.inject("GET", LIST, Fault(delay=MAX_DELAY))
    with make_client(emu, timeout=0.2) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.get(LIST)
    # Still waiting on the server (for an hour), yet others are answered.
    assert api.get("/v1/sandbox/sbx-1").status_code == 404


def test_drop_mid_response(emu: Emulator, api: httpx.Client, caplog: Any) -> None:
    emu.inject("GET", LIST, Fault(drop=True), Fault(drop=True, status=201, body="x" * 50))
    with pytest.raises(httpx.RemoteProtocolError):
        api.get(LIST)
    with pytest.raises(httpx.RemoteProtocolError):
        api.get(LIST)
    assert api.get(LIST).status_code == 200
    assert emu.attempts("GET", LIST) == 3
    assert "without completing" not in caplog.text


def test_drop_seen_on_a_raw_socket(emu: Emulator) -> None:
    import socket

    emu.inject("GET", LIST, {"drop": True})
    with socket.create_connection((emu.ssh_host, emu.api_port)) as sock:
        sock.settimeout(5)
        request = f"GET {LIST} HTTP/1.1\r\nHost: x\r\nleap0-authorization: {emu.api_key}\r\n\r\n"
        sock.sendall(request.encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    declared = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    assert 0 < len(body) < declared


def test_faults_apply_after_authentication(
    emu: Emulator, anon: httpx.Client, api: httpx.Client
) -> None:
    emu.inject("GET", LIST, Fault(status=503))
    assert anon.get(LIST).status_code == 401
    assert anon.get(LIST, headers={"leap0-authorization": "wrong"}).status_code == 401
    assert emu.attempts("GET", LIST) == 0
    assert api.get(LIST).status_code == 503
    assert emu.attempts("GET", LIST) == 1


def test_reset_clears_faults_counters_and_state(emu: Emulator, api: httpx.Client) -> None:
    sandbox = create_sandbox(api)
    create_access(api, sandbox["id"])
    emu.configure(max_sandboxes=7, ssh_lifetime=5)
    emu.inject("GET", LIST, Fault(status=503), Fault(status=503))
    assert api.get(LIST).status_code == 503
    emu.reset()
    assert emu.attempts("GET", LIST) == 0
    response = api.get(LIST)
    assert response.status_code == 200
    assert response.json() == {"items": [], "total_items": 0}
    assert api.get(f"/v1/sandbox/{sandbox['id']}").status_code == 404
    assert api.get("/_emulator/config").json() == {
        "ssh_lifetime": 3600.0,
        "max_sandboxes": 3,
        "ssh_api": "both",
        "request_timeout": 30.0,
        "start_delay": 0.0,
        "stop_delay": 0.0,
        "max_unauthenticated": 256,
        "templates": [
            "system/debian:bookworm",
            "system/code-interpreter:v0.1.0",
            "system/desktop:v0.1.0",
        ],
    }


# -- the HTTP control routes ------------------------------------------------------


def test_http_control_routes(emu: Emulator, api: httpx.Client) -> None:
    response = api.post(
        "/_emulator/faults",
        json={
            "method": "get",
            "path": LIST + "/",
            "faults": [{"status": 503, "retry_after": "3"}, {"body": "[]", "status": 200}],
        },
    )
    assert response.status_code == 200
    assert response.json() == {"method": "GET", "path": LIST, "pending": 2}
    first = api.get(LIST)
    assert (first.status_code, first.headers["retry-after"]) == (503, "3")
    assert api.get(LIST).json() == []
    assert api.get(LIST).status_code == 200

    attempts = api.get("/_emulator/attempts", params={"method": "GET", "path": LIST})
    assert attempts.status_code == 200
    assert attempts.json() == {"attempts": 3}
    assert emu.attempts("GET", LIST) == 3

    create_sandbox(api)
    assert api.post("/_emulator/reset").status_code == 204
    assert api.get("/_emulator/attempts", params={"method": "GET", "path": LIST}).json() == {
        "attempts": 0
    }
    assert api.get(LIST).json()["total_items"] == 0


def test_control_routes_are_not_counted_or_faulted(emu: Emulator, api: httpx.Client) -> None:
    with pytest.raises(ValueError, match="control"):
        emu.inject("POST", "/_emulator/reset", Fault(status=503))
    assert api.post("/_emulator/reset").status_code == 204
    assert emu.attempts("POST", "/_emulator/reset") == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"method", "path", "faults"}),
        ({"method": "P0ST", "path": LIST, "faults": [{"status": 503}]}, {"method"}),
        ({"method": "GET", "path": "v1/x", "faults": [{"status": 503}]}, {"path"}),
        ({"method": "GET", "path": LIST, "faults": []}, {"faults"}),
        ({"method": "GET", "path": LIST, "faults": [{"status": 99}]}, {"faults[0]"}),
        (
            {"method": "GET", "path": LIST, "faults": [{}, {"stauts": 503}]},
            {"faults[0]", "faults[1]"},
        ),
        ({"method": "GET", "path": LIST, "faults": [{"delay": -1}]}, {"faults[0]"}),
        ({"method": "GET", "path": LIST, "faults": [{"drop": "yes"}]}, {"faults[0]"}),
        ({"method": "GET", "path": LIST, "faults": ["boom"]}, {"faults[0]"}),
    ],
)
def test_inject_over_http_validates(
    api: httpx.Client, body: dict[str, Any], fields: set[str]
) -> None:
    assert field_errors(api.post("/_emulator/faults", json=body)) == fields


def test_attempts_over_http_validates(api: httpx.Client) -> None:
    assert field_errors(api.get("/_emulator/attempts")) == {"method", "path"}


# -- the Python side -------------------------------------------------------------------


def test_inject_validates_in_python(emu: Emulator) -> None:
    with pytest.raises(ValueError):
        emu.inject("GET", LIST)
    with pytest.raises(ValueError):
        emu.inject("GET", LIST, {"status": 700})
    with pytest.raises(ValueError):
        emu.inject("GET", "no-slash", Fault(status=500))
    with pytest.raises(ValueError):
        emu.inject("", LIST, Fault(status=500))
    with pytest.raises(ValueError):
        emu.configure(ssh_lifetime=0)
    with pytest.raises(ValueError):
        emu.configure(max_sandboxes=-1)


def test_fault_round_trip() -> None:
    fault = Fault(status=503, retry_after="1", headers={"a": "b"}, delay=0.5, drop=True)
    assert fault.to_dict() == {
        "status": 503,
        "retry_after": "1",
        "headers": {"a": "b"},
        "delay": 0.5,
        "drop": True,
    }
    assert Fault.from_dict(fault.to_dict()) == Fault(
        status=503, retry_after="1", headers={"a": "b"}, delay=0.5, drop=True
    )
    assert Fault.from_dict({"retry_after": 1.5}).retry_after == "1.5"
    with pytest.raises(ValueError):
        Fault()
    with pytest.raises(ValueError):
        Fault(status=True)
    with pytest.raises(ValueError):
        Fault(delay=float("nan"))
    assert len({Fault(status=500, headers={"a": "b"}), Fault(status=500)}) == 2  # hashable


def test_client_giving_up_mid_body_is_not_an_internal_error(
    leap0_emulator_server: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    import socket
    import threading

    emu = leap0_emulator_server
    emu.reset()
    gone = threading.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("client went away during POST"):
                gone.set()

    host, port = emu.base_url.removeprefix("http://").rsplit(":", 1)
    head = (
        "POST /v1/sandbox/ HTTP/1.1\r\n"
        f"Host: {host}\r\nAuthorization: Bearer {emu.api_key}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    )
    logger = logging.getLogger("leap0.emulator")
    watch = Watch(logging.DEBUG)
    logger.addHandler(watch)
    try:
        with caplog.at_level(logging.DEBUG, logger="leap0.emulator"):
            with socket.create_connection((host, int(port)), timeout=5) as sock:
                sock.sendall(head.encode())
            # The server noticed the client leave (it says so at debug level).
            assert gone.wait(10)
    finally:
        logger.removeHandler(watch)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
