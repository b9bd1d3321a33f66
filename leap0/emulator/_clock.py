"""The emulator's one clock: what credential expiry, sandbox timeouts and timestamps read.

Pure Python. The clock starts at the wall time and runs on with
:func:`time.monotonic`, so a step of the system clock (NTP, a suspended
laptop's catch-up) neither expires nor revives anything; :meth:`Clock.advance`
moves it forward at once, for tests that would otherwise wait.
"""

from __future__ import annotations

import datetime
import math
import threading
import time
from collections.abc import Callable

from ._errors import Invalid
from ._settings import MAX_CLOCK_OFFSET

__all__ = ["Clock", "rfc3339"]


def rfc3339(ts: float) -> str:
    """RFC 3339 UTC timestamp with microseconds and a ``Z`` suffix."""
    dt = datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Clock:
    """Wall time at the start, moved on by the monotonic clock, plus what was advanced.

    Thread-safe. ``wall`` and ``monotonic`` are the time sources (the
    :mod:`time` module's unless given).
    """

    def __init__(
        self,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wall = wall
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._start_wall = 0.0
        self._start_monotonic = 0.0
        self._offset = 0.0
        self.restart()

    def now(self) -> float:
        """The emulator's time now, in seconds since the Unix epoch."""
        with self._lock:
            return self._start_wall + (self._monotonic() - self._start_monotonic) + self._offset

    @property
    def offset(self) -> float:
        """Seconds advanced since the start (or the last :meth:`restart`)."""
        with self._lock:
            return self._offset

    def advance(self, seconds: object) -> float:
        """Move the clock ``seconds`` forward at once; return the new time.

        Raises:
            Invalid: ``seconds`` is not a finite non-negative number, or the
                clock would run more than :data:`MAX_CLOCK_OFFSET` ahead
                (field ``advance``).
        """
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise Invalid([("advance", "must be a number of seconds")])
        try:
            amount = float(seconds)
        except OverflowError:  # an int too large for a float
            amount = math.inf
        with self._lock:
            if not (math.isfinite(amount) and 0 <= amount <= MAX_CLOCK_OFFSET - self._offset):
                raise Invalid(
                    [
                        (
                            "advance",
                            "must be a non-negative number of seconds; the clock may run at "
                            f"most {MAX_CLOCK_OFFSET:.0f} s ahead in all "
                            f"({self._offset:.0f} s so far)",
                        )
                    ]
                )
            self._offset += amount
        return self.now()

    def restart(self) -> None:
        """Back to the wall time, with nothing advanced (a reset)."""
        with self._lock:
            self._start_wall = self._wall()
            self._start_monotonic = self._monotonic()
            self._offset = 0.0
