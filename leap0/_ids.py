"""Identifier validation: every id put into a URL path is checked here (pure, shared).

A sandbox id or access id is a non-empty string of at most 128 ASCII letters,
digits, ``-``, ``_`` and ``.``, and is neither ``.`` nor ``..``. Such a value is
always exactly one URL path segment, so a hostile id never leaves the process.

The rule is written here once (:func:`is_id`), from the characters and length
of ``leap0._constants``; the SSH user name read from a service's
``ssh_command`` (``leap0._ssh_command``) and the sandbox of ``leap0 ssh cp``'s
``SANDBOX:PATH`` (``leap0._cli.scp``) are ids by this rule too.
"""

from __future__ import annotations

import re
from typing import Protocol

from ._constants import ID_CHARS, ID_MAX_LENGTH

__all__ = [
    "HasId",
    "SandboxRef",
    "access_id_of",
    "answer_id_problem",
    "is_id",
    "sandbox_id_of",
    "validate_id",
]

_pattern: re.Pattern[str] | None = None  # compiled at the first id checked, not at import
_RULE = f"1 to {ID_MAX_LENGTH} ASCII letters, digits, '-', '_' or '.'"


class HasId(Protocol):
    """Anything with a string ``id``: a sandbox handle or a ``SandboxInfo``."""

    @property
    def id(self) -> str: ...


SandboxRef = str | HasId
"""A sandbox id, or any object with an ``id`` (``AsyncSandbox``, ``Sandbox``, ``SandboxInfo``)."""


def is_id(value: str) -> bool:
    """Whether the string ``value`` is a well-formed id: the one rule of every id leap0 uses."""
    pattern = _pattern or _compile()
    return pattern.fullmatch(value) is not None and value != "." and value != ".."


def _compile() -> re.Pattern[str]:
    global _pattern
    _pattern = re.compile(f"[{ID_CHARS}]{{1,{ID_MAX_LENGTH}}}")
    return _pattern


def validate_id(value: object, name: str) -> str:
    """``value`` if it is a well-formed id, else ``TypeError``/``ValueError`` naming ``name``."""
    if type(value) is not str:
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str, not {type(value).__name__}")
        value = str.__str__(value)  # a plain copy, whatever the subclass overrides
    if not is_id(value):
        raise ValueError(f"{name} must be {_RULE} (and not '.' or '..'), got {_preview(value)}")
    return value


def sandbox_id_of(sandbox: object, name: str = "sandbox") -> str:
    """The validated id of a sandbox given as an id or an object with ``.id``."""
    if type(sandbox) is str:
        return validate_id(sandbox, name)
    if isinstance(sandbox, str):
        return validate_id(sandbox, name)
    try:
        ident = sandbox.id  # type: ignore[attr-defined]
    except AttributeError:
        raise TypeError(
            f"{name} must be a sandbox id (str) or an object with an 'id', "
            f"not {type(sandbox).__name__}"
        ) from None
    return validate_id(ident, f"{name}.id")


def access_id_of(value: object, name: str = "access_id") -> str:
    """The validated SSH access id."""
    return validate_id(value, name)


def answer_id_problem(value: str) -> str | None:
    """What is wrong with an id the service answered, or ``None`` if leap0 may use it.

    The rule of the ids leap0 sends, and no leading ``-``: an answer's id may
    reach a URL path, a command line (``leap0 ... --format id | xargs``) or a
    shell's completion, where ``-x`` would read as an option.
    """
    if not is_id(value):
        return f"{_preview(value)} is not {_RULE}"
    if value[0] == "-":
        return f"{_preview(value)} starts with '-'"
    return None


def _preview(value: str) -> str:
    if len(value) > 40:
        return repr(value[:40]) + f"... ({len(value)} characters)"
    return repr(value)
