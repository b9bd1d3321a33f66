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


def print_ids(ids: Iterable[object]) -> None:
    for ident in ids:
        print(clean(ident))


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
