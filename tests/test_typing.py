"""Arguments with a fixed set of values are typed as such, so type checkers catch a typo."""

from __future__ import annotations

import ast
import subprocess
import sys
import typing
from pathlib import Path

import pytest

import leap0
import leap0.models
from leap0 import (
    AsyncSandboxesClient,
    SandboxesClient,
    SandboxState,
    SortField,
    SortOrder,
    SshApi,
    _constants,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("cls", [SandboxesClient, AsyncSandboxesClient])
def test_list_takes_literal_types(cls: type) -> None:
    # The models load at the first call; name them for the hints.
    hints = typing.get_type_hints(cls.list, localns=vars(leap0.models))
    assert hints["state"] == SandboxState | None
    assert hints["sort"] == SortField
    assert hints["order"] == SortOrder


@pytest.mark.parametrize(
    ("cls", "transport"),
    [
        (leap0.Leap0Client, leap0.Transport | None),
        (leap0.AsyncLeap0Client, leap0.AsyncTransport | None),
        (leap0.SshClient, leap0.Transport),
        (leap0.AsyncSshClient, leap0.AsyncTransport),
        (SandboxesClient, leap0.Transport),
        (AsyncSandboxesClient, leap0.AsyncTransport),
    ],
)
def test_the_constructors_hints_resolve_at_runtime(cls: type, transport: object) -> None:
    # For tools that read them (dependency injection, documentation): the transport's
    # protocol is importable without the HTTP backend, which loads with the first client.
    hints = typing.get_type_hints(cls.__init__)  # type: ignore[misc]
    assert hints["transport"] == transport


def test_the_checked_values_are_the_typed_ones() -> None:
    # The values are written once, in leap0._constants (which imports nothing); their
    # literal types, which type checkers need written out, name the same values.
    assert typing.get_args(SortField) == _constants.LIST_SORT_FIELDS == ("created_at", "state")
    assert typing.get_args(SortOrder) == _constants.LIST_ORDERS == ("asc", "desc")
    assert typing.get_args(SshApi) == _constants.SSH_APIS
    states = typing.get_args(SandboxState)
    assert tuple(state for state in states if state != "deleted") == _constants.LIST_STATES


def _mypy(tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "user_code.py"
    script.write_text(code, encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def test_a_misspelt_public_name_is_a_type_error_with_a_suggestion(tmp_path: Path) -> None:
    done = _mypy(
        tmp_path,
        "from leap0 import Leap0Clinet\nfrom leap0 import AsyncLeap0Client, Leap0Error\n",
    )
    assert done.returncode == 1, done.stdout
    assert 'has no attribute "Leap0Clinet"; maybe "Leap0Client"?' in done.stdout
    assert done.stdout.count("error:") == 1  # the correct names are fine, re-exported


def test_the_public_names_are_written_once() -> None:
    # The names type checkers see (the TYPE_CHECKING imports) are the ones the module
    # loads on first use (_HOMES), from which __all__ is made.
    tree = ast.parse((ROOT / "leap0" / "__init__.py").read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    seen = {
        alias.asname or alias.name
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen - {"errors", "models"} == set(leap0._HOMES)
    assert leap0.__all__ == [*leap0._HOMES, "__version__"]
