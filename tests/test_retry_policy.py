"""The retry policy (pure)."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from leap0._retry import (
    MAX_BACKOFF,
    MAX_RETRY_AFTER,
    backoff_delay,
    parse_retry_after,
    status_is_retryable,
)


@pytest.mark.parametrize("status", [429])
def test_always_retryable(status: int) -> None:
    assert status_is_retryable(status, idempotent=False)
    assert status_is_retryable(status, idempotent=True)


@pytest.mark.parametrize("status", [408, 502, 503, 504])
def test_retryable_only_when_idempotent(status: int) -> None:
    assert status_is_retryable(status, idempotent=True)
    assert not status_is_retryable(status, idempotent=False)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 500, 501])
def test_never_retryable(status: int) -> None:
    assert not status_is_retryable(status, idempotent=True)


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    for retry in range(1, 12):
        base = min(0.5 * 2 ** (retry - 1), MAX_BACKOFF)
        delay = backoff_delay(retry)
        assert 0.75 * base <= delay <= base


def test_retry_after_wins_and_is_capped() -> None:
    assert backoff_delay(1, retry_after=3.0) == 3.0
    assert backoff_delay(1, retry_after=10_000) == MAX_RETRY_AFTER
    assert backoff_delay(1, retry_after=-5) == 0.0


def test_parse_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-1") is None
    now = datetime(2026, 11, 26, 4, 0, 0, tzinfo=timezone.utc)
    later = format_datetime(datetime(2026, 11, 26, 4, 0, 30, tzinfo=timezone.utc), usegmt=True)
    assert parse_retry_after(later, now=now.timestamp()) == 30.0
    earlier = format_datetime(datetime(2026, 11, 26, 3, 0, 0, tzinfo=timezone.utc), usegmt=True)
    assert parse_retry_after(earlier, now=now.timestamp()) == 0.0
