"""Fixtures shared by the async tests and their generated sync twins."""

from __future__ import annotations

import pytest

import leap0._async._transport as async_transport
import leap0._sync._transport as sync_transport


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
