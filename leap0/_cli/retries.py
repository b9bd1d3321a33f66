"""A line on stderr for each long retry wait, so a slow command says what it waits for.

The SDK logs each retry wait at DEBUG on the ``leap0`` logger, with the wait
itself on the record as ``leap0_retry`` (method, path, attempt, max_retries,
delay and reason: the status, or the error's class name). While a command
runs, a handler turns a wait of a second or more into::

    leap0: 429 Too Many Requests; retrying in 2.0 s (attempt 2 of 3)
"""

from __future__ import annotations

import contextlib
import http
import logging
import sys
from collections.abc import Iterator
from typing import Any

from .output import PROG

__all__ = ["MIN_NOTED_WAIT", "RetryNotes", "retry_notes"]

MIN_NOTED_WAIT = 1.0
"""Shorter waits are not worth a line."""

_ERRORS = {"Leap0TimeoutError": "timed out", "Leap0ConnectionError": "connection failed"}


def _why(reason: object) -> str:
    if isinstance(reason, int):
        try:
            return f"{reason} {http.HTTPStatus(reason).phrase}"
        except ValueError:
            return str(reason)
    return _ERRORS.get(str(reason), str(reason))


class RetryNotes(logging.Handler):
    """Turns the SDK's retry records into ``leap0: ...; retrying in D s`` lines on stderr."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        wait: Any = getattr(record, "leap0_retry", None)
        if not isinstance(wait, dict) or wait.get("delay", 0) < MIN_NOTED_WAIT:
            return
        attempt, tries = wait["attempt"] + 1, wait["max_retries"] + 1
        sys.stdout.flush()
        print(
            f"{PROG}: {_why(wait['reason'])}; retrying in {wait['delay']:.1f} s "
            f"(attempt {attempt} of {tries})",
            file=sys.stderr,
            flush=True,
        )


@contextlib.contextmanager
def retry_notes() -> Iterator[RetryNotes]:
    """Inside, long retry waits are noted on stderr; the ``leap0`` logger is as it was after."""
    logger = logging.getLogger("leap0")
    handler = RetryNotes()
    level = logger.level
    if not logger.isEnabledFor(logging.DEBUG):
        logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
