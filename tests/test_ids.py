"""Identifier validation and paths (pure)."""

from __future__ import annotations

import pytest

from leap0 import _routes
from leap0._ids import answer_id_problem, is_id, sandbox_id_of, validate_id


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


# -- one rule: the SDK's paths, the SSH user of an ssh_command, ssh cp's SANDBOX:PATH --------

RULE_CASES = [
    "a",
    "sbx-abc123",
    "A.b_c-9",
    "...",
    "-lead",
    "x" * 128,
    "x" * 129,
    "",
    ".",
    "..",
    "a/b",
    "a b",
    "ü",
    "\u212a",  # KELVIN SIGN: case-folds to an ASCII letter, and is no id
    "a\x00",
    "a:b",
    "a@b",
]


@pytest.mark.parametrize("value", RULE_CASES)
def test_every_id_leap0_reads_follows_the_one_rule(value: str) -> None:
    from leap0._cli.scp import parse_copy
    from leap0._ssh_command import ssh_target
    from leap0.errors import Leap0ResponseError

    expected = is_id(value)
    try:
        validate_id(value, "sandbox")
        in_a_path = True
    except ValueError:
        in_a_path = False
    try:
        ssh_target(f"ssh -l {value!r} host", value)  # quoted: one word, whatever it holds
        as_ssh_user = True
    except Leap0ResponseError:
        as_ssh_user = False
    if ":" in value:  # SANDBOX:PATH: the sandbox is what comes before the first ':'
        as_sandbox = False
    else:
        try:
            as_sandbox = parse_copy(f"{value}:remote", "/local").sandbox == value
        except ValueError:
            as_sandbox = False
    assert (in_a_path, as_ssh_user, as_sandbox) == (expected, expected, expected)
    assert expected == (answer_id_problem(value) is None or value.startswith("-"))


def test_the_routes_validate_every_id_they_put_in_a_path() -> None:
    builders = [
        _routes.sandbox,
        _routes.ssh_access,
        _routes.ssh_validate,
        _routes.ssh_regen,
        lambda ref: _routes.sandbox_action(ref, "stop"),
        lambda ref: _routes.ssh_credential(ref, "ssh-1"),
        lambda ref: _routes.ssh_credential_validate(ref, "ssh-1"),
        lambda ref: _routes.ssh_credential_regen(ref, "ssh-1"),
    ]
    for build in builders:
        assert build("sbx-1").startswith("/v1/sandbox/sbx-1/")
        with pytest.raises(ValueError, match=r"^sandbox "):
            build("..")
    for build in (
        _routes.ssh_credential,
        _routes.ssh_credential_validate,
        _routes.ssh_credential_regen,
    ):
        with pytest.raises(ValueError, match=r"^access_id "):
            build("sbx-1", "a/b")
    assert _routes.ssh_credential_validate("s", "c") == "/v1/sandbox/s/ssh/c/validate"
    assert _routes.ssh_credential_regen("s", "c") == "/v1/sandbox/s/ssh/c/regen"
