"""A line on stderr for each long retry wait, so a slow command says what it waits for.

The SDK logs each attempt and each retry wait at DEBUG on the ``leap0``
logger (``leap0 METHOD PATH attempt N -> STATUS``, ``... attempt N failed:
ERROR``, then ``... retry N of MAX in D.DDs``). While a command runs, a
handler reads those records; a wait of a second or more becomes::

    leap0: 429 Too Many Requests; retrying in 2.0 s (attempt 2 of 3)

The wait's own record names no status, so the handler pairs it with the
last attempt logged for the same method and path.
"""

from __future__ import annotations

import contextlib
import http
import logging
import re
import sys
from collections.abc import Iterator

from .output import PROG

__all__ = ["MIN_NOTED_WAIT", "RetryNotes", "retry_notes"]

MIN_NOTED_WAIT = 1.0
"""Shorter waits are not worth a line."""

_ANSWER = re.compile(r"leap0 (\S+) (\S+) attempt \d+ -> (\d+)")
_FAILED = re.compile(r"leap0 (\S+) (\S+) attempt \d+ failed: (\w+)")
_WAIT = re.compile(r"leap0 (\S+) (\S+) retry (\d+) of (\d+) in ([0-9.]+)s")

_ERRORS = {"Leap0TimeoutError": "timed out", "Leap0ConnectionError": "connection failed"}


def _status(code: str) -> str:
    try:
        return f"{code} {http.HTTPStatus(int(code)).phrase}"
    except ValueError:
        return code


class RetryNotes(logging.Handler):
    """Turns the SDK's retry records into ``leap0: ...; retrying in D s`` lines on stderr."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self._last: dict[tuple[str, str], str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except (TypeError, ValueError):  # a record of another shape: not ours to read
            return
        answer = _ANSWER.fullmatch(text)
        if answer:
            self._last[answer[1], answer[2]] = _status(answer[3])
            return
        failed = _FAILED.match(text)
        if failed:
            self._last[failed[1], failed[2]] = _ERRORS.get(failed[3], failed[3])
            return
        wait = _WAIT.fullmatch(text)
        if wait is None:
            return
        delay = float(wait[5])
        if delay < MIN_NOTED_WAIT:
            return
        why = self._last.get((wait[1], wait[2]), f"{wait[1]} {wait[2]} failed")
        attempt, tries = int(wait[3]) + 1, int(wait[4]) + 1
        sys.stdout.flush()
        print(
            f"{PROG}: {why}; retrying in {delay:.1f} s (attempt {attempt} of {tries})",
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
