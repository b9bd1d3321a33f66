"""The retry policy, written once for both transports.

What is retried:

* for every operation: failures where the request never reached the service
  (the connection could not be made, no pooled connection came free) and
  ``429`` (the service says it did not act);
* only for operations that are safe to repeat (``idempotent=True``): read and
  write timeouts, connections dropped before a full answer, ``408``, ``502``,
  ``503`` and ``504``.

``create_access`` and sandbox ``create`` are not safe to repeat: if the first
attempt reached the service, a repeat would answer ``409`` (or create a
second sandbox) and the credential of the first would be lost.

Delays grow exponentially with full jitter, capped at ``MAX_BACKOFF``; a
``Retry-After`` header (seconds or an HTTP date) is honoured up to
``MAX_RETRY_AFTER``. A longer one is not waited for, nor cut short: the
answer's error is raised at once, with the service's ``retry_after``, so the
caller decides whether to wait that long.

A ``DELETE`` whose earlier attempt may have reached the service and acted
(a read timeout, a connection dropped before a full answer, a ``502``,
``503`` or ``504``) and whose retry answers ``404`` has succeeded: what was
to be deleted is gone. A ``404`` with no such earlier attempt is an error.
"""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

__all__ = [
    "INITIAL_BACKOFF",
    "MAX_BACKOFF",
    "MAX_RETRY_AFTER",
    "backoff_delay",
    "parse_retry_after",
    "retry_after_is_honoured",
    "status_is_retryable",
    "status_may_have_acted",
]

INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
MAX_RETRY_AFTER = 60.0

_ALWAYS = frozenset({429})
_IF_IDEMPOTENT = frozenset({408, 502, 503, 504})
_MAY_HAVE_ACTED = frozenset({502, 503, 504})


def status_is_retryable(status: int, idempotent: bool) -> bool:
    """Whether an answer with ``status`` may be retried."""
    return status in _ALWAYS or (idempotent and status in _IF_IDEMPOTENT)


def status_may_have_acted(status: int) -> bool:
    """Whether the service may have carried out a request answered with ``status``.

    A gateway's ``502``/``504`` or a ``503`` can come after the request was
    handled; ``408`` and ``429`` say it was not.
    """
    return status in _MAY_HAVE_ACTED


def retry_after_is_honoured(retry_after: float | None) -> bool:
    """Whether a retry may wait the ``Retry-After`` asked (``None``: none asked)."""
    return retry_after is None or retry_after <= MAX_RETRY_AFTER


def backoff_delay(retry: int, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``retry`` (1 for the first retry).

    A ``Retry-After`` the service sent wins, capped at ``MAX_RETRY_AFTER``;
    otherwise ``INITIAL_BACKOFF * 2**(retry-1)`` capped at ``MAX_BACKOFF``,
    with jitter that keeps between 75% and 100% of it.
    """
    if retry_after is not None:
        return float(min(max(retry_after, 0.0), MAX_RETRY_AFTER))
    base = min(INITIAL_BACKOFF * (2 ** (retry - 1)), MAX_BACKOFF)
    return float(base * (1.0 - 0.25 * random.random()))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; else ``None``."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds == seconds else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:  # pragma: no cover - older Pythons return None for garbage
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)
