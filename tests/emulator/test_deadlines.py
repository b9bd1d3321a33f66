"""The heap of deadlines: earliest first, one live deadline per key, stale entries skipped."""

from __future__ import annotations

from leap0.emulator._deadlines import Deadlines


def test_keys_come_due_earliest_first_and_only_once() -> None:
    deadlines = Deadlines()
    deadlines.plan("b", 20.0)
    deadlines.plan("a", 10.0)
    deadlines.plan("c", 30.0)
    assert list(deadlines.due(5.0)) == []
    assert list(deadlines.due(20.0)) == ["a", "b"]
    assert list(deadlines.due(20.0)) == []
    assert len(deadlines) == 1
    assert list(deadlines.due(1e9)) == ["c"]
    assert len(deadlines) == 0


def test_a_new_plan_replaces_the_old_one() -> None:
    deadlines = Deadlines()
    deadlines.plan("a", 10.0)
    deadlines.plan("a", 50.0)  # the entry at 10 goes stale
    assert list(deadlines.due(10.0)) == []
    deadlines.plan("a", 5.0)  # earlier again
    assert list(deadlines.due(10.0)) == ["a"]
    assert list(deadlines.due(50.0)) == []


def test_none_and_forget_leave_a_key_without_a_deadline() -> None:
    deadlines = Deadlines()
    deadlines.plan("a", 10.0)
    deadlines.plan("b", 10.0)
    deadlines.plan("a", None)
    deadlines.forget("b")
    deadlines.forget("never-planned")
    assert list(deadlines.due(100.0)) == []


def test_equal_deadlines_come_in_the_order_they_were_planned() -> None:
    deadlines = Deadlines()
    for key in ("x", "y", "z"):
        deadlines.plan(key, 7.0)
    deadlines.plan("x", 7.0)  # the same deadline again: no new entry, the place kept
    assert list(deadlines.due(7.0)) == ["x", "y", "z"]


def test_planning_while_iterating_keeps_what_came_due() -> None:
    deadlines = Deadlines()
    deadlines.plan("a", 1.0)
    deadlines.plan("b", 2.0)
    seen = []
    for key in deadlines.due(10.0):
        seen.append(key)
        if seen == ["a"]:
            deadlines.plan("a", 3.0)  # due within this look too
            deadlines.plan("later", 11.0)  # not yet
    assert seen == ["a", "b", "a"]
    assert list(deadlines.due(11.0)) == ["later"]


def test_stale_entries_do_not_pile_up() -> None:
    deadlines = Deadlines()
    for i in range(10_000):  # the same few keys planned over and over
        deadlines.plan(f"k{i % 10}", float(10_000 - i))
    assert len(deadlines) == 10
    assert len(deadlines._heap) <= 2 * 10 + 64 + 1
    assert sorted(deadlines.due(1e9)) == sorted(f"k{i}" for i in range(10))


def test_clear_forgets_everything() -> None:
    deadlines = Deadlines()
    deadlines.plan("a", 1.0)
    deadlines.clear()
    assert len(deadlines) == 0
    assert list(deadlines.due(1e9)) == []
