"""The service's limits on sandbox requests, written once (pure, no I/O).

Both sides read these: the SDK checks a request before sending it
(:mod:`leap0._requests`), and the local emulator answers 400 with field errors
when a request breaks one (``leap0.emulator._validate``). Each check returns
the problem as a phrase (``"must be between 1 and 8"``), or None; the caller
names the field and picks the exception or the answer.
"""

from __future__ import annotations

from typing import Literal, TypeGuard, get_args

# The values are written once, in leap0._constants (the literal types above name them
# for type checkers; tests/test_typing.py keeps the two the same).
from ._constants import (
    DEFAULT_ORDER as DEFAULT_ORDER,
    DEFAULT_SORT as DEFAULT_SORT,
    DEFAULT_TEMPLATE as DEFAULT_TEMPLATE,
    LIST_ORDERS as LIST_ORDERS,
    LIST_SORT_FIELDS as LIST_SORT_FIELDS,
    LIST_STATES as LIST_STATES,
)

__all__ = [
    "DEFAULT_ORDER",
    "DEFAULT_SORT",
    "DEFAULT_TEMPLATE",
    "LIST_ORDERS",
    "LIST_SORT_FIELDS",
    "LIST_STATES",
    "MEMORY",
    "PAGE",
    "PAGE_SIZE",
    "SANDBOX_STATES",
    "TIMEOUT",
    "VCPU",
    "IntLimit",
    "SandboxState",
    "SortField",
    "SortOrder",
    "choice_problem",
    "is_int",
]

SandboxState = Literal[
    "starting",
    "stopping",
    "running",
    "snapshotting",
    "paused",
    "unpausing",
    "stopped",
    "deleting",
    "deleted",
]
"""The states a sandbox passes through (``SandboxInfo.state`` holds one of them as a str)."""

SANDBOX_STATES: tuple[str, ...] = get_args(SandboxState)

SortField = Literal["created_at", "state"]
"""What a sandbox list can be sorted by."""
SortOrder = Literal["asc", "desc"]
"""The order of a sandbox list."""


def is_int(value: object) -> TypeGuard[int]:
    """Whether ``value`` is an integer the service takes (``True`` and ``False`` are not)."""
    return isinstance(value, int) and not isinstance(value, bool)


class IntLimit:
    """An integer the service takes from ``low`` to ``high``; ``default`` when it is left out.

    A plain class rather than a dataclass: it is built at import, and
    ``import leap0`` stays cheap.
    """

    __slots__ = ("default", "even", "high", "low")

    def __init__(self, low: int, high: int, *, default: int, even: bool = False) -> None:
        self.low = low
        self.high = high
        self.default = default
        self.even = even

    def __repr__(self) -> str:
        even = ", even=True" if self.even else ""
        return f"IntLimit({self.low}, {self.high}, default={self.default}{even})"

    def problem(self, value: int) -> str | None:
        """What is wrong with the integer ``value``, or None if the service takes it."""
        if not self.low <= value <= self.high:
            return f"must be between {self.low} and {self.high}"
        if self.even and value % 2:
            return "must be an even number"
        return None


VCPU = IntLimit(1, 8, default=1)
"""Virtual CPUs of a sandbox."""
MEMORY = IntLimit(512, 8192, default=1024, even=True)
"""Memory of a sandbox in MiB (an even number)."""
TIMEOUT = IntLimit(1, 28800, default=300)
"""Seconds a sandbox runs before it times out."""
PAGE = IntLimit(1, 2**31 - 1, default=1)
"""The page of a sandbox list, from 1."""
PAGE_SIZE = IntLimit(1, 100, default=20)
"""Sandboxes on one page of a list."""


def choice_problem(value: str, choices: tuple[str, ...]) -> str | None:
    """``"must be one of: a, b"`` unless ``value`` is one of ``choices``."""
    if value in choices:
        return None
    return "must be one of: " + ", ".join(choices)
