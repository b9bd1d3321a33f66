"""The end of one attempt: :class:`Deadline`, and the thread's ``ATTEMPT_END`` it sets.

Each attempt of a request has one deadline, the largest of its timeout's
limits from its start (:func:`attempt_seconds`). The async client cancels the
attempt at it: one watchdog per event loop (:class:`_Watchdog`, a single timer
for every attempt on the loop) cancels the task and the cancellation becomes
``TimeoutError``; under trio or Python 3.10, an anyio scope does. The blocking
client cannot interrupt a read: ``with Deadline(...)`` makes the deadline the
thread's ``ATTEMPT_END``, which the connections of the HTTP client leap0
builds wait on at most (``leap0._http``).
"""

from __future__ import annotations

import math
import sys
import threading
import time
import weakref
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

__all__ = ["ATTEMPT_END", "Deadline", "attempt_seconds"]


def attempt_seconds(timeout: httpx.Timeout) -> float | None:
    """How long one attempt may take as a whole: the largest of ``timeout``'s limits.

    ``None`` (no limit) when any of connect, read, write or pool is unlimited.
    """
    limits = (timeout.connect, timeout.read, timeout.write, timeout.pool)
    if None in limits:
        return None
    return max(limits)  # type: ignore[type-var]


_now = time.monotonic


class _AttemptEnd(threading.local):
    """Per thread: when the blocking attempt under way must end (``_now()`` time).

    ``at`` is ``None`` when no attempt is under way, or it has no deadline.
    """

    at: float | None = None


ATTEMPT_END = _AttemptEnd()
"""Set by ``with Deadline(...)``; the connections of the HTTP client leap0 builds
wait at most until ``ATTEMPT_END.at`` on every connect, read and write (see
``leap0._http``). A thread-local: a blocking attempt runs in its caller's thread.
"""


class Deadline:
    """The end of one attempt: ``seconds`` from now, or never for ``None``.

    ``check`` raises ``TimeoutError`` once it has passed. Used as
    ``async with``, it also cancels whatever the attempt is waiting on when the
    time is up, and raises ``TimeoutError``. A plain ``with`` cannot interrupt
    a read in progress; it makes the deadline this thread's ``ATTEMPT_END``,
    which caps each read and write of the connections of the HTTP client leap0
    builds at the time left. With a client handed in, the checks between the
    body's reads are what bound the attempt.
    """

    __slots__ = ("_cancelling", "_outer", "_scope", "_task", "at")

    def __init__(self, seconds: float | None) -> None:
        self.at = None if seconds is None else _now() + seconds
        self._scope: Any = None
        self._task: Any = None
        self._cancelling = 0
        self._outer: float | None = None

    def left(self) -> float | None:
        """Seconds left, ``None`` without a deadline; ``TimeoutError`` when none are."""
        if self.at is None:
            return None
        left = self.at - _now()
        if left <= 0:
            raise TimeoutError
        return left

    def check(self) -> None:
        """``TimeoutError`` once the deadline has passed."""
        if self.at is not None and _now() >= self.at:
            raise TimeoutError

    def passed(self) -> bool:
        """Whether the deadline has passed (never without one)."""
        return self.at is not None and _now() >= self.at

    def __enter__(self) -> Deadline:
        self._outer = ATTEMPT_END.at
        ATTEMPT_END.at = self.at
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        ATTEMPT_END.at = self._outer

    async def __aenter__(self) -> Deadline:
        left = self.left()
        if left is None:
            return self
        task = _asyncio_task()
        watchdog = None if task is None else _watchdog(task.get_loop())
        if watchdog is not None:
            self._task = task
            self._cancelling = task.cancelling()
            self._scope = watchdog
            watchdog.watch(self, left)
        else:  # trio, Python 3.10 (no Task.uncancel), a loop without weakrefs: anyio
            import anyio

            self._scope = anyio.move_on_after(left)
            self._scope.__enter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        scope, self._scope = self._scope, None
        if scope is None:
            return False
        task, self._task = self._task, None
        if task is None:
            swallowed = bool(scope.__exit__(exc_type, exc, tb))
            if scope.cancelled_caught:
                raise TimeoutError from None
            return swallowed
        if scope.forget(self):
            return False
        # The watchdog cancelled the task: turn that cancellation, and only
        # that one, into TimeoutError (as asyncio.timeout does).
        cancelled = sys.modules["asyncio"].CancelledError
        if task.uncancel() <= self._cancelling and exc_type is cancelled:
            raise TimeoutError from None
        return False

    def _expire(self) -> None:
        self._task.cancel()


_UNCANCEL = sys.version_info >= (3, 11)


def _asyncio_task() -> Any:
    """The running asyncio task if it can be uncancelled (Python 3.11+), else ``None``."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None or not _UNCANCEL:
        return None
    try:
        return asyncio.current_task()
    except RuntimeError:  # no asyncio loop running: trio
        return None


class _Watchdog:
    """Cancels the attempts on one event loop that outlast their deadline.

    One timer serves every attempt on the loop: it is re-armed only when an
    attempt's deadline comes before the armed one, or when it fires. A timer
    per attempt costs several microseconds a call; this costs a dict entry.
    """

    __slots__ = ("_due", "_loop", "_timer", "_watched")

    def __init__(self, loop: Any) -> None:
        self._loop = weakref.ref(loop)
        self._watched: dict[Deadline, float] = {}
        self._timer: Any = None
        self._due = math.inf

    def watch(self, deadline: Deadline, left: float) -> None:
        loop = self._loop()
        assert loop is not None
        at = loop.time() + left
        self._watched[deadline] = at
        if at < self._due:
            self._arm(loop, at)

    def forget(self, deadline: Deadline) -> bool:
        """Stop watching ``deadline``; ``False`` if it had already expired."""
        return self._watched.pop(deadline, None) is not None

    def _arm(self, loop: Any, at: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(at, self._fire)
        self._due = at

    def _fire(self) -> None:
        self._timer, self._due = None, math.inf
        loop = self._loop()
        if loop is None:
            return
        now = loop.time()
        due = math.inf
        for deadline, at in list(self._watched.items()):
            if at <= now:
                del self._watched[deadline]
                deadline._expire()
            elif at < due:
                due = at
        if due < math.inf:
            self._arm(loop, due)


_watchdogs: weakref.WeakKeyDictionary[Any, _Watchdog] = weakref.WeakKeyDictionary()
_last: tuple[weakref.ref[Any], _Watchdog] | None = None


def _watchdog(loop: Any) -> _Watchdog | None:
    """The watchdog of ``loop`` (one per loop, dropped with it); ``None`` if it has no weakrefs."""
    global _last
    last = _last
    if last is not None and last[0]() is loop:
        return last[1]
    try:
        watchdog = _watchdogs.get(loop)
        if watchdog is None:
            watchdog = _watchdogs[loop] = _Watchdog(loop)
    except TypeError:
        return None
    _last = (watchdog._loop, watchdog)
    return watchdog
