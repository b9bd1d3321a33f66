"""An attempt's deadline (``leap0._deadline``): its clock, and, async, one watchdog per event loop.

What a user sees of it, an attempt cut at its timeout, is checked end to end in
``tests/_async/test_transport_hardening.py``. Here: the deadline on its own.
The event loop's public API (``call_at``, ``TimerHandle``) shows what the
watchdog arms. Two things have no public view and are read from the watchdog
itself, each where it is checked: the deadlines it still holds (a finished
attempt must leave them: a long-lived loop would keep every one otherwise),
and, to make a deadline due at a chosen turn of the loop without waiting in
real time, its book of deadlines and its timer's callback (``_expire_soon``).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import leap0._deadline as deadlines
from leap0._deadline import Deadline, attempt_seconds

needs_uncancel = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="before 3.11 (no Task.uncancel) an anyio scope is used"
)


@pytest.mark.parametrize(
    ("timeout", "seconds"),
    [
        (httpx.Timeout(30.0, connect=5.0), 30.0),
        (httpx.Timeout(1.0), 1.0),
        (httpx.Timeout(2.0, connect=10.0), 10.0),
        (httpx.Timeout(None), None),
        (httpx.Timeout(5.0, read=None), None),
    ],
)
def test_attempt_seconds_is_the_largest_limit(
    timeout: httpx.Timeout, seconds: float | None
) -> None:
    assert attempt_seconds(timeout) == seconds


def test_deadline_checks_against_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(deadlines, "_now", lambda: now[0])  # the clock deadlines read
    deadline = Deadline(2.0)
    assert deadline.left() == 2.0
    deadline.check()
    now[0] = 101.5
    assert deadline.left() == 0.5
    now[0] = 102.0
    with pytest.raises(TimeoutError):
        deadline.check()
    with pytest.raises(TimeoutError):
        deadline.left()
    endless = Deadline(None)
    now[0] = 1e12
    endless.check()
    assert endless.left() is None


def _timers(
    monkeypatch: pytest.MonkeyPatch,
) -> list[tuple[asyncio.TimerHandle, Callable[..., Any]]]:
    """Each timer armed on the running loop from here on, with its callback."""
    loop = asyncio.get_running_loop()
    armed: list[tuple[asyncio.TimerHandle, Callable[..., Any]]] = []
    call_at = loop.call_at

    def counted(when: float, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        handle = call_at(when, callback, *args, **kwargs)
        armed.append((handle, callback))
        return handle

    monkeypatch.setattr(loop, "call_at", counted)
    return armed


def _held(loop: asyncio.AbstractEventLoop) -> set[Deadline]:
    """The deadlines the loop's watchdog holds (private: no public view of them)."""
    watchdog = deadlines._watchdog(loop)
    assert watchdog is not None
    return set(watchdog._watched)


async def _expire_soon(deadline: Deadline) -> None:
    """Make ``deadline`` due now and let its loop's watchdog fire at the next turn.

    Private, to choose the turn of the loop at which a deadline passes without
    waiting for it in real time.
    """
    loop = asyncio.get_running_loop()
    watchdog = deadlines._watchdog(loop)
    assert watchdog is not None
    watchdog._watched[deadline] = loop.time() - 1.0
    loop.call_soon(watchdog._fire)


async def _stall(deadline: Deadline) -> None:
    """An attempt that waits forever, and whose deadline comes at the next turn of the loop."""
    async with deadline:
        await _expire_soon(deadline)
        await asyncio.Event().wait()


@needs_uncancel
async def test_deadline_turns_its_own_cancellation_into_timeout_error() -> None:
    deadline = Deadline(30.0)
    with pytest.raises(TimeoutError):
        await _stall(deadline)
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0
    await asyncio.sleep(0.01)  # the task goes on: nothing is left to cancel it
    assert deadline not in _held(asyncio.get_running_loop())


async def test_deadline_lets_any_other_cancellation_through() -> None:
    entered = asyncio.Event()

    async def attempt() -> None:
        async with Deadline(30.0):
            entered.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(attempt())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@needs_uncancel
async def test_deadline_and_an_outer_cancellation_together_stay_a_cancellation() -> None:
    entered = asyncio.Event()

    async def attempt() -> None:
        async with Deadline(30.0) as deadline:
            await _expire_soon(deadline)
            entered.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(attempt())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@needs_uncancel
async def test_finished_attempts_are_forgotten_and_one_timer_serves_them_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()
    armed = _timers(monkeypatch)
    async with Deadline(30.0) as first:
        assert len(armed) == 1  # the loop's one timer, for the first deadline
        async with Deadline(60.0) as later:
            assert len(armed) == 1  # a later deadline arms nothing
            async with Deadline(10.0):
                assert len(armed) == 2  # an earlier one re-arms it
                assert armed[0][0].cancelled()
        assert _held(loop) == {first}
    assert later not in _held(loop)
    assert _held(loop) == set()


@needs_uncancel
async def test_watchdog_fires_only_the_attempts_that_are_due(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()
    async with Deadline(30.0) as waiting:
        armed = _timers(monkeypatch)
        with pytest.raises(TimeoutError):
            await _stall(Deadline(30.0))
        assert _held(loop) == {waiting}
        timer, _ = armed[-1]  # re-armed, once it fired, for the one left
        assert not timer.cancelled()
        assert waiting.at is not None
        assert timer.when() == pytest.approx(waiting.at, abs=1.0)


async def test_without_an_uncancellable_asyncio_task_an_anyio_scope_bounds_the_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As under trio or Python 3.10: no task the deadline could uncancel (private: there is
    # no public switch between the two ways).
    monkeypatch.setattr(deadlines, "_asyncio_task", lambda: None)
    with pytest.raises(TimeoutError):
        async with Deadline(0.01):  # real time, a hundredth of a second
            await asyncio.Event().wait()


async def test_no_deadline_arms_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    armed = _timers(monkeypatch)
    async with Deadline(None):
        await asyncio.sleep(0)
    assert armed == []


def test_a_loop_without_weakrefs_gets_no_watchdog() -> None:
    # Private: no loop at hand lacks weakrefs, so the fallback is asked for directly.
    assert deadlines._watchdog(object()) is None
