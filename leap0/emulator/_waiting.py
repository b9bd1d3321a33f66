"""The connections of one port that have not authenticated yet, bounded in number.

Each port's connections are bounded in time until they authenticate
(``request_timeout`` for HTTP, the login timeout for SSH); this bounds them in
number too, so that idle connections from anyone who can reach the port
cannot use up the process's file descriptors and lock real clients out.
Light module: the standard library only.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Callable, Hashable

from ._burst import BurstLog

__all__ = ["WaitingRoom"]


class WaitingRoom:
    """At most ``limit()`` connections waiting to authenticate; one more closes the oldest.

    A connection :meth:`enter` s when it is made and :meth:`leave` s once it
    authenticates or closes. Closing the oldest, rather than refusing the
    newest, is what lets real clients in during a flood: a client that
    authenticates as soon as it connects is the newest while it does, whereas
    a flood's idle connections age and go first. Each closing is counted on
    ``closed``, which logs them as a burst.
    """

    def __init__(self, limit: Callable[[], int], closed: BurstLog) -> None:
        self._limit = limit
        self._closed = closed
        self._waiting: collections.OrderedDict[Hashable, Callable[[], None]] = (
            collections.OrderedDict()
        )

    def __len__(self) -> int:
        return len(self._waiting)

    def enter(self, connection: Hashable, close: Callable[[], None]) -> None:
        """Let ``connection`` wait (``close`` closes it); close the oldest beyond the limit."""
        self._waiting[connection] = close
        limit = max(1, self._limit())
        while len(self._waiting) > limit:
            _, close_oldest = self._waiting.popitem(last=False)
            self._closed.note()
            with contextlib.suppress(Exception):  # already closing
                close_oldest()

    def leave(self, connection: Hashable) -> None:
        """``connection`` authenticated or closed: it no longer waits (no-op if it did not)."""
        self._waiting.pop(connection, None)

    def close(self) -> None:
        """Log the closings not logged yet (the server stops)."""
        self._closed.flush()
