"""Identifier validation and paths (pure)."""

from __future__ import annotations

import pytest

from leap0 import _routes
from leap0._ids import sandbox_id_of, validate_id


@pytest.mark.parametrize("good", ["a", "sbx-abc123", "A.b_c-9", "x" * 128, "..."])
def test_good_ids_pass_unchanged(good: str) -> None:
    assert validate_id(good, "sandbox") == good


@pytest.mark.parametrize(
    "bad", ["", ".", "..", "x" * 129, "a/b", "a\\b", "a b", "a?b", "a#b", "a%2F", "ü", "a\x00"]
)
def test_bad_ids_raise_value_error_naming_the_argument(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^access_id "):
        validate_id(bad, "access_id")


def test_str_subclass_is_reduced_to_a_plain_str() -> None:
    class Sneaky(str):
        def __str__(self) -> str:
            return "../../etc"

    value = validate_id(Sneaky("sbx-1"), "sandbox")
    assert type(value) is str and value == "sbx-1"


def test_object_with_id() -> None:
    class Obj:
        id = "sbx-9"

    assert sandbox_id_of(Obj()) == "sbx-9"
    assert _routes.ssh_access(Obj()) == "/v1/sandbox/sbx-9/ssh/access"


def test_object_with_bad_id_names_it() -> None:
    class Obj:
        id = "../x"

    with pytest.raises(ValueError, match=r"sandbox\.id"):
        sandbox_id_of(Obj())
