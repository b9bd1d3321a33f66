# Generated from tests/_async/test_retries.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
"""Retries and the fault matrix over pytest-httpx: every fault x every SSH method.

A fault is either persistent (every attempt fails) or transient (the first attempt
fails, the next succeeds). Operations safe to repeat are retried; ``create_access``
is attempted once whenever the first attempt may have reached the service.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from leap0 import (
    Leap0Client,
    Leap0APIError,
    Leap0ConnectionError,
    Leap0Error,
    Leap0RateLimitError,
    Leap0ResponseError,
    Leap0ServerError,
    Leap0TimeoutError,
)
from tests._support import (
    ACCESS_ID,
    API_KEY,
    BASE_URL,
    METHODS,
    PASSWORD,
    SANDBOX_ID,
    access_json,
    retried,
)

MAX_RETRIES = 2

# fault -> (how to register it, error when it persists, retried for: "all" | "idempotent" | "none")
FAULTS: dict[str, tuple[dict[str, Any], type[Leap0Error], str]] = {
    "connection refused": (
        {"exception": httpx.ConnectError("refused")},
        Leap0ConnectionError,
        "all",
    ),
    "pool timeout": ({"exception": httpx.PoolTimeout("no connection")}, Leap0TimeoutError, "all"),
    "dropped mid-response": (
        {"exception": httpx.RemoteProtocolError("peer closed connection")},
        Leap0ConnectionError,
        "idempotent",
    ),
    "read error": ({"exception": httpx.ReadError("reset")}, Leap0ConnectionError, "idempotent"),
    "read timeout": (
        {"exception": httpx.ReadTimeout("timed out")},
        Leap0TimeoutError,
        "idempotent",
    ),
    "write timeout": (
        {"exception": httpx.WriteTimeout("timed out")},
        Leap0TimeoutError,
        "idempotent",
    ),
    "408": ({"status_code": 408, "json": {"message": "timeout"}}, Leap0APIError, "idempotent"),
    "429 + Retry-After": (
        {"status_code": 429, "json": {"message": "slow"}, "headers": {"Retry-After": "3"}},
        Leap0RateLimitError,
        "all",
    ),
    "429": ({"status_code": 429, "json": {"message": "slow"}}, Leap0RateLimitError, "all"),
    "500": ({"status_code": 500, "json": {"message": "boom"}}, Leap0ServerError, "none"),
    "502": (
        {"status_code": 502, "text": "<html>bad gateway</html>"},
        Leap0ServerError,
        "idempotent",
    ),
    "503": ({"status_code": 503, "json": {"message": "busy"}}, Leap0ServerError, "idempotent"),
    "504": ({"status_code": 504}, Leap0ServerError, "idempotent"),
}

# Broken success bodies: never retried; a ResponseError except where no body is read.
BODIES: dict[str, bytes] = {
    "HTML body": b"<html>oops</html>",
    "empty body": b"",
    "truncated JSON": b'{"id": "ssh-7f3a", "pass',
    "JSON array": b"[]",
    "missing field": b'{"id": "ssh-7f3a", "sandbox_id": "sbx-abc123"}',
    "wrong type": b'{"id": 1, "sandbox_id": 2, "valid": "yes", "password": 3}',
}


@pytest.fixture
def client() -> Iterator[Leap0Client]:
    with Leap0Client(
        api_key=API_KEY, base_url=BASE_URL, max_retries=MAX_RETRIES, ssh_api="single"
    ) as c:
        yield c


def _add_fault(httpx_mock: HTTPXMock, spec: dict[str, Any], reusable: bool) -> None:
    if "exception" in spec:
        httpx_mock.add_exception(spec["exception"], is_reusable=reusable)
    else:
        httpx_mock.add_response(**spec, is_reusable=reusable)


def _add_success(httpx_mock: HTTPXMock, method: str) -> None:
    if method == "create":
        httpx_mock.add_response(status_code=201, json=access_json())
    elif method == "delete":
        httpx_mock.add_response(status_code=204)
    elif method == "validate":
        httpx_mock.add_response(json={"valid": True, "sandbox_id": SANDBOX_ID})
    else:
        httpx_mock.add_response(json=access_json())


def _call(client: Leap0Client, method: str) -> object:
    if method == "create":
        return client.ssh.create_access(SANDBOX_ID)
    if method == "delete":
        return client.ssh.delete_access(SANDBOX_ID)  # type: ignore[func-returns-value]
    if method == "validate":
        return client.ssh.validate_access(SANDBOX_ID, access_id=ACCESS_ID, password=PASSWORD)
    return client.ssh.regenerate_access(SANDBOX_ID)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_persistent_fault(
    client: Leap0Client,
    httpx_mock: HTTPXMock,
    sleeps: list[float],
    fault: str,
    method: str,
) -> None:
    spec, error, kind = FAULTS[fault]
    _add_fault(httpx_mock, spec, reusable=True)

    with pytest.raises(Leap0Error) as info:
        _call(client, method)

    assert type(info.value) is error
    expected_attempts = MAX_RETRIES + 1 if retried(kind, method) else 1
    assert len(httpx_mock.get_requests()) == expected_attempts
    assert len(sleeps) == expected_attempts - 1
    if fault == "429 + Retry-After":
        assert sleeps == [3.0] * (expected_attempts - 1)


@pytest.mark.httpx_mock(assert_all_responses_were_requested=False)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_transient_fault(
    client: Leap0Client,
    httpx_mock: HTTPXMock,
    sleeps: list[float],
    fault: str,
    method: str,
) -> None:
    spec, error, kind = FAULTS[fault]
    _add_fault(httpx_mock, spec, reusable=False)
    _add_success(httpx_mock, method)

    if retried(kind, method):
        _call(client, method)
        assert len(httpx_mock.get_requests()) == 2
    else:
        with pytest.raises(error):
            _call(client, method)
        assert len(httpx_mock.get_requests()) == 1


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("body", sorted(BODIES))
def test_broken_success_body(
    client: Leap0Client, httpx_mock: HTTPXMock, sleeps: list[float], body: str, method: str
) -> None:
    status = {"create": 201, "delete": 200, "validate": 200, "regenerate": 200}[method]
    httpx_mock.add_response(status_code=status, content=BODIES[body], is_reusable=True)
    if method == "delete":
        # A delete reads no body: any success status is a success.
        _call(client, method)
    else:
        with pytest.raises(Leap0ResponseError):
            _call(client, method)
    assert len(httpx_mock.get_requests()) == 1
    assert sleeps == []


def test_create_access_read_timeout_is_attempted_once_even_with_many_retries(
    httpx_mock: HTTPXMock, sleeps: list[float]
) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"), is_reusable=True)
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL, max_retries=5) as client:
        with pytest.raises(Leap0TimeoutError):
            client.ssh.create_access(SANDBOX_ID)
    assert len(httpx_mock.get_requests()) == 1


def test_max_retries_zero_makes_one_attempt(httpx_mock: HTTPXMock, sleeps: list[float]) -> None:
    httpx_mock.add_response(status_code=503, is_reusable=True)
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL, max_retries=0) as client:
        with pytest.raises(Leap0ServerError):
            client.ssh.regenerate_access(SANDBOX_ID)
    assert len(httpx_mock.get_requests()) == 1


def test_backoff_grows(client: Leap0Client, httpx_mock: HTTPXMock, sleeps: list[float]) -> None:
    httpx_mock.add_response(status_code=503, is_reusable=True)
    with pytest.raises(Leap0ServerError):
        client.ssh.regenerate_access(SANDBOX_ID)
    first, second = sleeps
    assert 0.375 <= first <= 0.5
    assert 0.75 <= second <= 1.0


def test_attempts_and_retries_are_logged_without_secrets(
    client: Leap0Client,
    httpx_mock: HTTPXMock,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(json={"valid": True, "sandbox_id": SANDBOX_ID})
    with caplog.at_level(logging.DEBUG, logger="leap0"):
        client.ssh.validate_access(SANDBOX_ID, access_id=ACCESS_ID, password=PASSWORD)
    messages = [r.getMessage() for r in caplog.records if r.name == "leap0"]
    path = f"/v1/sandbox/{SANDBOX_ID}/ssh/validate"
    assert f"leap0 POST {path} attempt 1 -> 503" in messages
    assert any(m.startswith(f"leap0 POST {path} retry 1 of 2 in ") for m in messages)
    assert f"leap0 POST {path} attempt 2 -> 200" in messages
    for record in caplog.records:
        text = record.getMessage() + repr(record.args)
        assert PASSWORD not in text
        assert API_KEY not in text
