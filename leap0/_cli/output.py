"""What ``leap0`` prints: tables, ``key  value`` lines, JSON, ids, notes on stderr.

``--format table`` (the default) prints tables and ``key  value`` lines,
``--format json`` (or ``--json``) one JSON document, ``--format id`` the ids
of what a command shows, one a line. ``--no-header`` leaves out a table's
header line. Text from the service is printed with its control characters
replaced, so it cannot move the cursor or rewrite the terminal.
"""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # typing is not imported at run time: --help stays light
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "PROG",
    "clean",
    "note",
    "print_fields",
    "print_ids",
    "print_json",
    "print_table",
    "unix_time",
]

PROG = "leap0"


def clean(value: object) -> str:
    """A value as one line of printable text (server text may hold control characters)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def print_json(document: object) -> None:
    import json

    print(json.dumps(document, indent=2))


def print_fields(rows: Sequence[tuple[str, object]]) -> None:
    """``key  value`` lines, the values in one column."""
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        print(f"{key.ljust(width)}  {clean(value)}")


def print_table(
    header: Sequence[str], rows: Sequence[Sequence[object]], args: argparse.Namespace
) -> None:
    """Columns two spaces apart; the header line unless ``--no-header``."""
    cells = [[clean(value) for value in row] for row in rows]
    if not args.no_header:
        cells.insert(0, list(header))
    if not cells:
        return
    widths = [max(len(row[col]) for row in cells) for col in range(len(header))]
    for row in cells:
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        print(line.rstrip())


def print_ids(ids: Iterable[str], *, flush: bool = False) -> None:
    """The service's ``ids``, one a line, if each is one leap0 may print; else none of them.

    The SDK already refuses an answer with such an id; this is checked again
    where ids leave leap0, for ``... --format id | xargs leap0 ...``: an id is
    1 to 128 letters, digits, ``.``, ``_`` and ``-``, not ``.`` or ``..``, and
    does not start with ``-`` (an option, to the next command).

    Raises:
        Leap0ResponseError: One of ``ids`` is not such an id (nothing printed).
    """
    from .._ids import answer_id_problem
    from ..errors import Leap0ResponseError

    shown = list(ids)
    for ident in shown:
        problem = answer_id_problem(ident) if isinstance(ident, str) else "not text"
        if problem is not None:
            raise Leap0ResponseError(f"not printing an id of the service's answer: {problem}")
    for ident in shown:
        print(ident, flush=flush)


def note(text: str) -> None:
    """One line on stderr, after what stdout holds so far."""
    sys.stdout.flush()
    print(f"{PROG}: {text}", file=sys.stderr)


def unix_time(value: int | None) -> str | None:
    """Unix seconds as an RFC 3339 UTC time (``...Z``), as the other times are printed."""
    from datetime import datetime, timezone

    if value is None:
        return None
    try:
        stamp = datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return str(value)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
