"""How many requests one client hands to its connection pool at once (pure, shared).

httpx's pool does work in proportion to the requests waiting on it, so a
fan-out of thousands of calls on one client gets slower per call the more
there are. A client therefore admits at most as many requests as its pool has
connections; the others wait here, first come first served, at a constant
cost each. A request that runs out of time while waiting here was never sent:
it fails as "no free connection", which every operation may retry. Past the
queue a request may still wait without being sent (in httpx's pool when it is
smaller than the queue, connecting, or before its task runs again); on the
client leap0 builds, httpcore's trace tells that apart from a request whose
headers went out, and such an attempt fails the same way (see ``_Progress`` in
``leap0._async._httpx_transport``).

:class:`AsyncGate` serves the async client, :class:`Gate` the blocking one
(threads); the generated sync code names ``Gate`` where the async source
names ``AsyncGate``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._deadline import Deadline

__all__ = ["AsyncGate", "Gate", "resolve_max_concurrency"]


def resolve_max_concurrency(value: object) -> int | None:
    """``value`` checked: a positive int, or ``None`` for no limit of the SDK's own."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_concurrency must be an int or None, not {type(value).__name__}")
    if value < 1:
        raise ValueError(f"max_concurrency must be at least 1, got {value}")
    return value


class AsyncGate:
    """At most ``size`` requests at once, the rest waiting in turn (an asyncio semaphore).

    The wait is bounded by the attempt's deadline, which cancels it.
    """

    __slots__ = ("_semaphore",)

    def __init__(self, size: int) -> None:
        import asyncio  # here: a blocking program never pays for importing asyncio

        self._semaphore = asyncio.Semaphore(size)

    async def enter(self, deadline: Deadline) -> None:
        await self._semaphore.acquire()

    def leave(self) -> None:
        self._semaphore.release()


class Gate:
    """At most ``size`` requests at once across threads; the wait ends at the deadline."""

    __slots__ = ("_semaphore",)

    def __init__(self, size: int) -> None:
        self._semaphore = threading.BoundedSemaphore(size)

    def enter(self, deadline: Deadline) -> None:
        """Wait for a turn; ``TimeoutError`` when the deadline passes first."""
        if self._semaphore.acquire(blocking=False):
            return
        left = deadline.left()  # TimeoutError when none is left
        if not self._semaphore.acquire(timeout=-1 if left is None else left):
            raise TimeoutError

    def leave(self) -> None:
        self._semaphore.release()
