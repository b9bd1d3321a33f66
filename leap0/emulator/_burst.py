"""One log line for a burst of the same event, instead of one line (or traceback) each.

A flood of connections makes the same thing happen hundreds of times a
second; :class:`BurstLog` logs it at most once a second, with how many times
it happened since the last line. Light module: the standard library only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

__all__ = ["BurstLog"]


class BurstLog:
    """Log ``message % (count, *args())`` at most once every ``every`` seconds.

    :meth:`note` counts one occurrence. The first after a quiet second is
    logged at once; those that follow within the second are counted and logged
    together when it is over (by a timer of the running event loop, if any, or
    with the next occurrence or :meth:`flush`).

    Args:
        logger: Where the lines go (at WARNING).
        message: A ``%``-format whose first field is the count.
        args: The format's other fields, read when a line is written.
        every: The least time between two lines, in seconds.
        clock: Seconds, monotonic.
    """

    def __init__(
        self,
        logger: logging.Logger,
        message: str,
        args: Callable[[], tuple[object, ...]] = tuple,
        *,
        every: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._message = message
        self._args = args
        self._every = every
        self._clock = clock
        self._pending = 0
        self._next = -float("inf")
        self._timer: asyncio.TimerHandle | None = None

    @property
    def pending(self) -> int:
        """Occurrences counted but not logged yet."""
        return self._pending

    def note(self, count: int = 1) -> None:
        """Count ``count`` occurrences; log them now, or with the rest of their second."""
        self._pending += count
        now = self._clock()
        if now >= self._next:
            self.flush()
        elif self._timer is None:
            with contextlib.suppress(RuntimeError):  # no running loop: the next note logs
                loop = asyncio.get_running_loop()
                self._timer = loop.call_later(self._next - now, self._due)

    def flush(self) -> None:
        """Log what was counted, if anything, now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending:
            count, self._pending = self._pending, 0
            self._next = self._clock() + self._every
            self._logger.warning(self._message, count, *self._args())

    def _due(self) -> None:
        self._timer = None
        self.flush()
