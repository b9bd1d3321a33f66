"""Sandboxes in creation order, all of them and per state, so a list page is sliced, not sorted.

Pure Python. A list sorts by creation (``seq``) or by ``(state, seq)``,
either way up or down, and may keep one state only: each of these orders is
one :class:`Ordered` (all sandboxes) or a run of them (one per state, in the
states' order), kept sorted as sandboxes come, go and change state. A page
then costs what it holds, plus a walk over the blocks' lengths (one block
per :data:`_LOAD` sandboxes or so). Not thread-safe: the state's lock guards it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Generic, TypeVar

__all__ = ["Listing", "Ordered"]

T = TypeVar("T")

#: A block's size: split beyond twice this, merged with its neighbour below a quarter.
_LOAD = 512


class Ordered(Generic[T]):
    """Values sorted by an integer key (unique), held in blocks: add, remove, slice by position."""

    def __init__(self) -> None:
        self._keys: list[list[int]] = []
        self._values: list[list[T]] = []
        self._maxes: list[int] = []  # each block's last key
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def add(self, key: int, value: T) -> None:
        if not self._keys:
            self._keys.append([key])
            self._values.append([value])
            self._maxes.append(key)
            self._len = 1
            return
        i = min(bisect.bisect_left(self._maxes, key), len(self._maxes) - 1)
        keys, values = self._keys[i], self._values[i]
        j = bisect.bisect_left(keys, key)
        if j < len(keys) and keys[j] == key:
            raise KeyError(key)
        keys.insert(j, key)
        values.insert(j, value)
        self._maxes[i] = keys[-1]
        self._len += 1
        if len(keys) > 2 * _LOAD:
            self._keys[i + 1 : i + 1] = [keys[_LOAD:]]
            self._values[i + 1 : i + 1] = [values[_LOAD:]]
            del keys[_LOAD:], values[_LOAD:]
            self._maxes[i : i + 1] = [keys[-1], self._keys[i + 1][-1]]

    def remove(self, key: int) -> None:
        i = bisect.bisect_left(self._maxes, key)
        keys = self._keys[i] if i < len(self._keys) else []
        j = bisect.bisect_left(keys, key)
        if j == len(keys) or keys[j] != key:
            raise KeyError(key)
        del keys[j], self._values[i][j]
        self._len -= 1
        if not keys:
            del self._keys[i], self._values[i], self._maxes[i]
            return
        self._maxes[i] = keys[-1]
        if len(keys) < _LOAD // 4 and i + 1 < len(self._keys):
            keys += self._keys.pop(i + 1)
            self._values[i] += self._values.pop(i + 1)
            del self._maxes[i + 1]
            self._maxes[i] = keys[-1]
            if len(keys) > 2 * _LOAD:  # split it again, in two halves
                self._values.insert(i + 1, self._values[i][len(keys) // 2 :])
                self._keys.insert(i + 1, keys[len(keys) // 2 :])
                del self._values[i][len(keys) // 2 :], keys[len(keys) // 2 :]
                self._maxes[i : i + 1] = [keys[-1], self._keys[i + 1][-1]]

    def slice(self, start: int, count: int, descending: bool = False) -> list[T]:
        """Up to ``count`` values from position ``start``, in key order or its reverse."""
        if count <= 0 or start >= self._len:
            return []
        if descending:
            stop = self._len - start
            start = max(0, stop - count)
            return self._forward(start, stop - start)[::-1]
        return self._forward(start, count)

    def clear(self) -> None:
        self._keys.clear()
        self._values.clear()
        self._maxes.clear()
        self._len = 0

    def _forward(self, start: int, count: int) -> list[T]:
        found: list[T] = []
        for values in self._values:
            if start >= len(values):
                start -= len(values)
                continue
            found += values[start : start + count - len(found)]
            start = 0
            if len(found) >= count:
                break
        return found


class Listing(Generic[T]):
    """Every value by creation, and per state; pages of any sort, order and state filter.

    ``states`` are every state a value may be in; sorting by state follows
    their sorted (alphabetical) order, as sorting the state names does.
    """

    def __init__(self, states: Iterable[str]) -> None:
        self._all: Ordered[T] = Ordered()
        self._by_state: dict[str, Ordered[T]] = {state: Ordered() for state in sorted(states)}

    def __len__(self) -> int:
        return len(self._all)

    def add(self, seq: int, state: str, value: T) -> None:
        self._all.add(seq, value)
        self._by_state[state].add(seq, value)

    def move(self, seq: int, before: str, after: str, value: T) -> None:
        """The value ``seq`` went from state ``before`` to ``after``."""
        if before != after:
            self._by_state[before].remove(seq)
            self._by_state[after].add(seq, value)

    def remove(self, seq: int, state: str) -> None:
        self._all.remove(seq)
        self._by_state[state].remove(seq)

    def clear(self) -> None:
        self._all.clear()
        for ordered in self._by_state.values():
            ordered.clear()

    def page(
        self, *, state: str | None, by_state: bool, descending: bool, start: int, count: int
    ) -> tuple[list[T], int]:
        """The page's values and how many match in all.

        Sorted by ``seq`` (creation), or by ``(state, seq)`` when ``by_state``;
        reversed when ``descending``; of state ``state`` only unless it is None.
        """
        if state is not None:
            ordered = self._by_state.get(state)
            if ordered is None:
                return [], 0
            return ordered.slice(start, count, descending), len(ordered)
        if not by_state:
            return self._all.slice(start, count, descending), len(self._all)
        runs = list(self._by_state.values())
        if descending:
            runs.reverse()
        found: list[T] = []
        for ordered in runs:
            if len(found) >= count:
                break
            if start >= len(ordered):
                start -= len(ordered)
                continue
            found += ordered.slice(start, count - len(found), descending)
            start = 0
        return found, len(self._all)
