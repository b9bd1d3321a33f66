"""Fixtures shared by the async tests and their generated sync twins."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import leap0._async._httpx_transport as async_transport
import leap0._sync._httpx_transport as sync_transport
from tests._servers import LoopbackServer, UntrustedTLSServer, http_answer
from tests._support import SANDBOX_ID


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries wait no time; the delays they asked for are recorded here."""
    delays: list[float] = []

    def record(seconds: float) -> None:
        delays.append(seconds)

    async def record_async(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(sync_transport, "sync_sleep", record)
    monkeypatch.setattr(async_transport, "async_sleep", record_async)
    return delays


@pytest.fixture
def no_ssh_api_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """``LEAP0_SSH_API`` unset: the SSH routes are the default unless a test sets them."""
    monkeypatch.delenv("LEAP0_SSH_API", raising=False)


@pytest.fixture
def loopback() -> Iterator[tuple[LoopbackServer, LoopbackServer]]:
    """(the API, a proxy that answers 502): both on loopback, both recording what reaches them.

    The API answers every request as a successful ``validate_access``.
    """
    valid = json.dumps({"valid": True, "sandbox_id": SANDBOX_ID}).encode()
    api = LoopbackServer(http_answer("200 OK", valid))
    proxy = LoopbackServer(http_answer("502 Bad Gateway", b'{"message": "via the proxy"}'))
    try:
        yield api, proxy
    finally:
        api.stop()
        proxy.stop()


@pytest.fixture
def untrusted_server(tmp_path: Path) -> Iterator[UntrustedTLSServer]:
    """A TLS server on loopback whose certificate nobody trusts (needs cryptography)."""
    server = UntrustedTLSServer(tmp_path)
    try:
        yield server
    finally:
        server.stop()
