"""What can go wrong with a request, as the emulator's pure modules report it.

The state and the validation raise these; the HTTP app turns each into its
answer in one place (``Invalid`` 400 with field errors, ``NotFound`` 404,
``Conflict`` 409), and the Python helpers let them through as ``ValueError``
where that is what they are.
"""

from __future__ import annotations

__all__ = ["Conflict", "FaultLimit", "Invalid", "NotFound", "SwitchRefused"]


class Invalid(ValueError):
    """Bad input (HTTP 400). ``errors`` lists ``(field, error)`` pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field} {error}" for field, error in errors))
        self.errors = errors


class NotFound(Exception):
    """The addressed sandbox or credential does not exist (HTTP 404)."""


class Conflict(Exception):
    """The request conflicts with the current state (HTTP 409)."""


class SwitchRefused(Conflict, ValueError):
    """A settings change the current state cannot take (HTTP 409, ``ValueError`` in Python)."""


class FaultLimit(Conflict, ValueError):
    """Injecting these faults would pass a limit (HTTP 409, ``ValueError`` in Python)."""
