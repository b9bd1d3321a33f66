"""When each sandbox next changes state on its own: a heap of deadlines, not a scan.

Pure Python. :meth:`Deadlines.plan` gives a key (a sandbox id) its one
pending deadline, replacing the one it had; :meth:`Deadlines.due` hands out,
earliest first, the keys whose deadline came. A replaced or forgotten
deadline stays in the heap as a stale entry, skipped when it comes up; when
stale entries outnumber the live ones the heap is rebuilt, so it holds at
most about twice what is planned. Not thread-safe: the state's lock guards it.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator

__all__ = ["Deadlines"]

_SLACK = 64


class Deadlines:
    """Pending deadlines by key; the earliest found in O(log n), nothing scanned."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, str]] = []
        # Each key's live entry: (due, generation); the heap may hold older ones too.
        self._live: dict[str, tuple[float, int]] = {}
        self._generation = itertools.count()

    def __len__(self) -> int:
        return len(self._live)

    def plan(self, key: str, due: float | None) -> None:
        """``key`` falls due at ``due`` (None: never, on its own), whatever it had before."""
        live = self._live.get(key)
        if due is None:
            self.forget(key)
            return
        if live is not None and live[0] == due:
            return
        generation = next(self._generation)
        self._live[key] = (due, generation)
        heapq.heappush(self._heap, (due, generation, key))
        if len(self._heap) > 2 * len(self._live) + _SLACK:
            self._rebuild()

    def next_due(self) -> float | None:
        """The earliest deadline in the heap (perhaps a stale one), or None."""
        return self._heap[0][0] if self._heap else None

    def forget(self, key: str) -> None:
        """``key`` has no deadline any more (its entry goes stale)."""
        self._live.pop(key, None)

    def due(self, now: float) -> Iterator[str]:
        """The keys whose deadline is ``now`` or earlier, earliest first; each then has none.

        Planning again while iterating is allowed: a deadline planned at or
        before ``now`` comes out of this same iteration.
        """
        while self._heap and self._heap[0][0] <= now:  # (a plan may rebuild the heap)
            due, generation, key = heapq.heappop(self._heap)
            if self._live.get(key) == (due, generation):
                del self._live[key]
                yield key

    def clear(self) -> None:
        self._heap.clear()
        self._live.clear()

    def _rebuild(self) -> None:
        self._heap = [(due, generation, key) for key, (due, generation) in self._live.items()]
        heapq.heapify(self._heap)
