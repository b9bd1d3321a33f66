"""Arguments with a fixed set of values are typed as such, so type checkers catch a typo."""

from __future__ import annotations

import typing

import pytest

import leap0.models
from leap0 import AsyncSandboxesClient, SandboxesClient, SandboxState, SortField, SortOrder
from leap0._limits import LIST_ORDERS, LIST_SORT_FIELDS


@pytest.mark.parametrize("cls", [SandboxesClient, AsyncSandboxesClient])
def test_list_takes_literal_types(cls: type) -> None:
    # The models load at the first call; name them for the hints.
    hints = typing.get_type_hints(cls.list, localns=vars(leap0.models))
    assert hints["state"] == SandboxState | None
    assert hints["sort"] == SortField
    assert hints["order"] == SortOrder


def test_the_checked_values_are_the_typed_ones() -> None:
    assert typing.get_args(SortField) == LIST_SORT_FIELDS == ("created_at", "state")
    assert typing.get_args(SortOrder) == LIST_ORDERS == ("asc", "desc")
