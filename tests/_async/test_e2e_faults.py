"""The fault matrix over a real socket: faults scripted in the emulator, attempts counted there.

Every fault x every SSH method, persistent (every attempt fails) and transient (only
the first). The outcome is the right ``Leap0Error`` subclass or a success after
retries; never more than ``max_retries + 1`` attempts; ``create_access`` attempted
once whenever the first attempt may have reached the service.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest

from leap0 import (
    AsyncLeap0Client,
    Leap0APIError,
    Leap0ConnectionError,
    Leap0Error,
    Leap0RateLimitError,
    Leap0ResponseError,
    Leap0ServerError,
    Leap0TimeoutError,
)
from leap0.emulator import Emulator, Fault
from tests._support import METHODS, retried

MAX_RETRIES = 2
CALL_TIMEOUT = 0.3
HTTP = {
    "create": ("POST", "access"),
    "delete": ("DELETE", "access"),
    "validate": ("POST", "validate"),
    "regenerate": ("POST", "regen"),
}

# fault -> (Fault, error when it persists, retried for: "all" | "idempotent" | "none")
FAULTS: dict[str, tuple[Fault, type[Leap0Error], str]] = {
    "dropped mid-response": (Fault(drop=True), Leap0ConnectionError, "idempotent"),
    "read timeout": (Fault(delay=CALL_TIMEOUT * 3), Leap0TimeoutError, "idempotent"),
    "408": (Fault(status=408), Leap0APIError, "idempotent"),
    "429 + Retry-After": (Fault(status=429, retry_after="2"), Leap0RateLimitError, "all"),
    "429": (Fault(status=429), Leap0RateLimitError, "all"),
    "500": (Fault(status=500), Leap0ServerError, "none"),
    "502": (
        Fault(status=502, body="<html>bad gateway</html>", content_type="text/html"),
        Leap0ServerError,
        "idempotent",
    ),
    "503": (Fault(status=503), Leap0ServerError, "idempotent"),
    "504": (Fault(status=504, body=""), Leap0ServerError, "idempotent"),
}

BODIES: dict[str, str] = {
    "HTML body": "<html>oops</html>",
    "empty body": "",
    "truncated JSON": '{"id": "ssh-1", "pass',
    "JSON array": "[]",
    "missing field": '{"id": "ssh-1"}',
    "wrong type": '{"id": 1, "sandbox_id": 2, "valid": "yes", "password": 3}',
}


@pytest.fixture
async def client(leap0_emulator: Emulator) -> AsyncIterator[AsyncLeap0Client]:
    # The faults are injected on the seed's routes: the client calls those alone.
    async with AsyncLeap0Client(
        api_key=leap0_emulator.api_key,
        base_url=leap0_emulator.base_url,
        max_retries=MAX_RETRIES,
        ssh_api="single",
    ) as c:
        yield c


async def _prepare(client: AsyncLeap0Client, method: str) -> tuple[str, str, str, str]:
    """A sandbox (with access unless creating it); (sandbox id, access id, password, path)."""
    sandbox = await client.sandboxes.create()
    access_id, password = "ssh-none", "none"
    if method != "create":
        access = await sandbox.ssh.create_access()
        access_id, password = access.id, access.password
    leaf = HTTP[method][1]
    return sandbox.id, access_id, password, f"/v1/sandbox/{sandbox.id}/ssh/{leaf}"


async def _call(
    client: AsyncLeap0Client, method: str, sandbox_id: str, access_id: str, password: str
) -> Any:
    if method == "create":
        return await client.ssh.create_access(sandbox_id, http_timeout=CALL_TIMEOUT)
    if method == "delete":
        return await client.ssh.delete_access(  # type: ignore[func-returns-value]
            sandbox_id, http_timeout=CALL_TIMEOUT
        )
    if method == "validate":
        return await client.ssh.validate_access(
            sandbox_id, access_id=access_id, password=password, http_timeout=CALL_TIMEOUT
        )
    return await client.ssh.regenerate_access(sandbox_id, http_timeout=CALL_TIMEOUT)


@pytest.mark.parametrize("persistent", [True, False], ids=["persistent", "transient"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_fault_matrix(
    client: AsyncLeap0Client,
    leap0_emulator: Emulator,
    sleeps: list[float],
    fault: str,
    method: str,
    persistent: bool,
) -> None:
    spec, error, kind = FAULTS[fault]
    sandbox_id, access_id, password, path = await _prepare(client, method)
    verb = HTTP[method][0]
    leap0_emulator.inject(verb, path, *([spec] * (MAX_RETRIES + 1 if persistent else 1)))

    is_retried = retried(kind, method)
    if is_retried and not persistent:
        await _call(client, method, sandbox_id, access_id, password)
        expected_attempts = 2
    else:
        with pytest.raises(Leap0Error) as info:
            await _call(client, method, sandbox_id, access_id, password)
        assert type(info.value) is error
        expected_attempts = MAX_RETRIES + 1 if is_retried else 1
    assert leap0_emulator.attempts(verb, path) == expected_attempts
    if fault == "429 + Retry-After":
        assert sleeps == [2.0] * (expected_attempts - 1)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("body", list(BODIES))
async def test_broken_success_bodies(
    client: AsyncLeap0Client, leap0_emulator: Emulator, sleeps: list[float], body: str, method: str
) -> None:
    sandbox_id, access_id, password, path = await _prepare(client, method)
    verb = HTTP[method][0]
    status = 201 if method == "create" else 200
    leap0_emulator.inject(verb, path, Fault(status=status, body=BODIES[body]))
    if method == "delete":
        await _call(client, method, sandbox_id, access_id, password)  # no body is read
    else:
        with pytest.raises(Leap0ResponseError):
            await _call(client, method, sandbox_id, access_id, password)
    assert leap0_emulator.attempts(verb, path) == 1
    assert sleeps == []


async def test_read_timeout_on_create_access_makes_exactly_one_request(
    leap0_emulator: Emulator, sleeps: list[float]
) -> None:
    async with AsyncLeap0Client(
        api_key=leap0_emulator.api_key, base_url=leap0_emulator.base_url, max_retries=5
    ) as client:
        sandbox = await client.sandboxes.create()
        path = f"/v1/sandbox/{sandbox.id}/ssh/access"
        leap0_emulator.inject("POST", path, Fault(delay=1.0))
        with pytest.raises(Leap0TimeoutError):
            await client.ssh.create_access(sandbox, http_timeout=0.3)
        assert leap0_emulator.attempts("POST", path) == 1
        assert sleeps == []


@pytest.mark.parametrize("method", METHODS)
async def test_connection_refused_is_retried_for_every_method(
    sleeps: list[float], method: str
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on that port now: every attempt is refused before it is sent.
    async with AsyncLeap0Client(
        api_key="k", base_url=f"http://127.0.0.1:{port}", max_retries=MAX_RETRIES
    ) as client:
        with pytest.raises(Leap0ConnectionError) as info:
            await _call(client, method, "sbx-1", "ssh-1", "pw")
    assert type(info.value) is Leap0ConnectionError
    assert len(sleeps) == MAX_RETRIES
