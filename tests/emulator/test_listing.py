"""The list indexes: every page equals sorting everything and slicing, whatever was done before."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from hypothesis import given, settings, strategies as st

from leap0.emulator import _listing
from leap0.emulator._listing import Listing, Ordered

STATES = ("starting", "running", "stopping", "stopped", "paused", "deleting")


@pytest.fixture(autouse=True, scope="module")
def small_blocks() -> Iterator[None]:
    """Blocks of 4, so a few dozen values split and merge blocks many times."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_listing, "_LOAD", 4)
        yield


def test_ordered_slices_like_a_sorted_list() -> None:
    rng = random.Random(7)
    ordered: Ordered[str] = Ordered()
    reference: dict[int, str] = {}
    for step in range(3000):
        if reference and rng.random() < 0.45:
            key = rng.choice(list(reference))
            ordered.remove(key)
            del reference[key]
        else:
            key = rng.randrange(10_000)
            if key in reference:
                with pytest.raises(KeyError):
                    ordered.add(key, "again")
                continue
            ordered.add(key, f"v{key}")
            reference[key] = f"v{key}"
        if step % 50 == 0:
            values = [reference[k] for k in sorted(reference)]
            assert len(ordered) == len(values)
            for start in (0, 1, 3, len(values) // 2, len(values) - 1, len(values) + 5):
                for count in (0, 1, 5, 20):
                    assert ordered.slice(start, count) == values[start : start + count]
                    reverse = values[::-1]
                    assert ordered.slice(start, count, True) == reverse[start : start + count]


def test_removing_a_missing_key_is_a_key_error() -> None:
    ordered: Ordered[int] = Ordered()
    with pytest.raises(KeyError):
        ordered.remove(1)
    ordered.add(1, 1)
    with pytest.raises(KeyError):
        ordered.remove(2)


_OPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "move", "remove"]), st.integers(0, 10**6), st.sampled_from(STATES)
    ),
    max_size=120,
)


@settings(max_examples=60, deadline=None)
@given(ops=_OPS, page_size=st.integers(1, 7))
def test_every_page_is_the_sorted_slice(ops: list[tuple[str, int, str]], page_size: int) -> None:
    listing: Listing[int] = Listing(STATES)
    states: dict[int, str] = {}  # seq -> state; seq is the value too
    seq = 0
    for op, pick, state in ops:
        if op == "add" or not states:
            seq += 1
            listing.add(seq, state, seq)
            states[seq] = state
            continue
        chosen = sorted(states)[pick % len(states)]
        if op == "move":
            listing.move(chosen, states[chosen], state, chosen)
            states[chosen] = state
        else:
            listing.remove(chosen, states.pop(chosen))
    assert len(listing) == len(states)
    for wanted in (None, *STATES):
        for by_state in (False, True):
            for descending in (False, True):
                found = [s for s in states if wanted is None or states[s] == wanted]
                if by_state:
                    found.sort(key=lambda s: (states[s], s), reverse=descending)
                else:
                    found.sort(reverse=descending)
                for page in range(len(found) // page_size + 2):
                    start = page * page_size
                    got = listing.page(
                        state=wanted,
                        by_state=by_state,
                        descending=descending,
                        start=start,
                        count=page_size,
                    )
                    assert got == (found[start : start + page_size], len(found))


def test_a_state_nothing_is_in_lists_nothing() -> None:
    listing: Listing[int] = Listing(STATES)
    listing.add(1, "running", 1)
    assert listing.page(state="error", by_state=False, descending=True, start=0, count=5) == (
        [],
        0,
    )
    listing.clear()
    assert len(listing) == 0
    assert listing.page(state=None, by_state=True, descending=False, start=0, count=5) == ([], 0)
