"""Errors on stderr: one line of text, or with ``--json`` one JSON object.

A service error prints through ``str(exc)``, the SDK's own message (method,
path, status, the service's message, its request id), after what failed and
before what to do next, if there is something. With ``--json`` the same is
one JSON object on one line: ``error`` (the exception's class name, or a short
code for a problem found by leap0 itself), ``status_code``, ``request_id``,
``message``, ``command`` (what failed), and ``hint`` when there is one. The
exit status is the same.
"""

from __future__ import annotations

import contextlib
import sys

from .._constants import API_KEY_ENV
from .output import PROG, clean

TYPE_CHECKING = False  # typing is not imported at run time: --help stays light
if TYPE_CHECKING:
    from ..errors import Leap0Error

__all__ = ["Hinted", "Problem", "failure", "problem"]


class Problem(Exception):
    """Something leap0 found wrong before or instead of the service: no traceback, one line.

    ``code`` names it in JSON (``usage``, ``config``, ``missing``, ...);
    ``status`` is the exit status.
    """

    def __init__(self, message: str, *, code: str = "usage", status: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class Hinted(Exception):
    """A service error with what to do next (``raise Hinted(exc, hint) from exc``)."""

    def __init__(self, error: Leap0Error, hint: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.hint = hint


def _emit(document: dict[str, object], as_json: bool, text: str) -> None:
    # After what stdout holds so far; said all the same when stdout is what failed.
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    if as_json:
        import json

        print(json.dumps(document), file=sys.stderr)
    else:
        print(f"{PROG}: {clean(text)}", file=sys.stderr)


def problem(label: str, exc: Problem, as_json: bool) -> None:
    """``leap0: LABEL: MESSAGE``."""
    document: dict[str, object] = {
        "error": exc.code,
        "status_code": None,
        "request_id": None,
        "message": exc.message,
        "command": label,
    }
    _emit(document, as_json, f"{label}: {exc.message}" if label else exc.message)


def failure(
    label: str,
    exc: Leap0Error,
    as_json: bool,
    *,
    base_url: str | None = None,
    hint: str | None = None,
) -> None:
    """``leap0: LABEL failed: str(exc)[; hint]``, or its JSON object."""
    from ..errors import Leap0AuthenticationError, Leap0ConnectionError

    if hint is None and isinstance(exc, Leap0AuthenticationError):
        hint = (
            f"check the API key (--api-key, ${API_KEY_ENV}, or the profile file: "
            f"{PROG} auth status)"
        )
    if hint is None and isinstance(exc, Leap0ConnectionError) and base_url:
        hint = f"the base URL is {base_url}"
    document: dict[str, object] = {
        "error": type(exc).__name__,
        "status_code": getattr(exc, "status_code", None),
        "request_id": getattr(exc, "request_id", None),
        "message": str(exc),
        "command": label,
    }
    if hint:
        document["hint"] = hint
    text = f"{label} failed: {exc}" + (f"; {hint}" if hint else "")
    _emit(document, as_json, text)
