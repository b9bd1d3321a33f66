"""Every HTTP answer carries exactly one ``x-request-id``, faults and the server's own included.

Read over a raw socket, so that repeated headers are seen as sent (HTTP clients
fold or pick among them).
"""

from __future__ import annotations

import re
import socket

import httpx
import pytest

from leap0.emulator import Emulator, Fault

from ._helpers import field_errors

LIST = "/v1/sandboxes"
REQUEST_ID = re.compile(rb"req_[0-9a-f]{24}")


def _exchange(emu: Emulator, request: bytes) -> bytes:
    """Send ``request`` on a fresh connection; everything answered until the server closes."""
    with socket.create_connection((emu.ssh_host, emu.api_port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    return received


def _request(emu: Emulator, method: str, path: str, *, key: bool = True) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: emulator", "Connection: close"]
    if key:
        lines.append(f"Authorization: Bearer {emu.api_key}")
    if method == "POST":
        lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _request_ids(answer: bytes) -> list[bytes]:
    head, separator, _ = answer.partition(b"\r\n\r\n")
    assert separator, answer
    lines = head.split(b"\r\n")
    assert lines[0].startswith(b"HTTP/1.1 "), answer
    return [
        value.strip()
        for name, _, value in (line.partition(b":") for line in lines[1:])
        if name.strip().lower() == b"x-request-id"
    ]


def _one_request_id(answer: bytes) -> bytes:
    ids = _request_ids(answer)
    assert len(ids) == 1, answer
    assert REQUEST_ID.fullmatch(ids[0]), ids
    return ids[0]


FAULTS = [
    Fault(status=503, retry_after="1", headers={"x-a": "b", "X-Trace": "t"}),
    Fault(body="<html>oops</html>", content_type="text/html"),
    Fault(status=204, headers={"etag": '"x"'}),
    Fault(status=304),
    Fault(delay=0, status=500),
    Fault(delay=0),
    Fault(drop=True),
    Fault(headers={"x-only": "headers"}),
]


@pytest.mark.parametrize("fault", FAULTS, ids=range(len(FAULTS)))
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_every_fault_answer_has_exactly_one_request_id(
    emu: Emulator, fault: Fault, method: str
) -> None:
    emu.inject(method, LIST, fault)
    _one_request_id(_exchange(emu, _request(emu, method, LIST)))


@pytest.mark.parametrize("name", ["x-request-id", "X-Request-Id", "X-REQUEST-ID"])
def test_a_fault_may_not_bring_its_own_request_id(
    emu: Emulator, api: httpx.Client, name: str
) -> None:
    with pytest.raises(ValueError, match=r"(?i)x-request-id"):
        Fault(status=503, headers={name: "req_mine"})
    with pytest.raises(ValueError, match=r"(?i)x-request-id"):
        emu.inject("GET", LIST, {"status": 503, "headers": {name: "req_mine"}})
    response = api.post(
        "/_emulator/faults",
        json={"method": "GET", "path": LIST, "faults": [{"headers": {name: "req_mine"}}]},
    )
    assert field_errors(response) == {"faults[0]"}
    answer = _exchange(emu, _request(emu, "GET", LIST))
    assert answer.startswith(b"HTTP/1.1 200"), answer
    _one_request_id(answer)


def test_every_other_answer_has_exactly_one_request_id(emu: Emulator) -> None:
    answers = [
        _exchange(emu, _request(emu, "GET", LIST)),
        _exchange(emu, _request(emu, "GET", LIST, key=False)),
        _exchange(emu, _request(emu, "GET", "/v1/no-such-route")),
        _exchange(emu, _request(emu, "PUT", LIST)),
        _exchange(emu, _request(emu, "POST", "/v1/sandbox/")),
        _exchange(emu, _request(emu, "GET", "/_emulator/config")),
        # The HTTP server's own answer to what does not parse as HTTP.
        _exchange(emu, b"NOT HTTP AT ALL\r\n\r\n"),
        _exchange(emu, b"GET / HTTP/1.1\r\nHost: a\r\nbad header line\r\n\r\n"),
    ]
    statuses = [answer.split(b" ", 2)[1] for answer in answers]
    assert statuses == [b"200", b"401", b"404", b"405", b"400", b"200", b"400", b"400"]
    ids = [_one_request_id(answer) for answer in answers]
    assert len(set(ids)) == len(ids)
