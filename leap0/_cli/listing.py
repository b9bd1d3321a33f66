"""``leap0 sandbox list``: one page of the sandboxes, or with ``--all`` every page.

One page (``--page N``, 1 by default) prints as a table with a note on
stderr saying which sandboxes of how many it holds; with ``--json`` it is
the service's page (``items``, ``total_items``) with ``page`` and
``page_size``.

``--all`` goes through the pages with the SDK's ``list_all``, one request a
page of ``--page-size``, each sent once the one before is used up. With
``--format id`` each id is printed (and flushed) as its page arrives, so
``... --format id | xargs ...`` starts on the first page; a table or JSON
(``items`` and ``total_items``, the number listed) is printed at the end.
An id leap0 may not print (``output.print_ids``) stops it there, exit 1,
after the ids before it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .._convert import converter
from . import output
from .context import EXIT_OK, Context
from .output import note, print_json, print_table, unix_time

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..models import SandboxPage, SandboxSummary

__all__ = ["list_page"]

_HEADER = ("ID", "TEMPLATE", "STATE", "CREATED_AT", "TIMEOUT_AT")


def list_page(ctx: Context) -> int:
    """``sandbox list``: the page asked for, or every page (``--all``)."""
    args = ctx.args
    if args.all:
        return _list_all(ctx)
    with ctx.client() as client:
        page = client.sandboxes.list(
            state=args.state,
            sort=args.sort,
            order=args.order,
            page=_number(ctx),
            page_size=args.page_size,
        )
    _show_page(page, ctx)
    return EXIT_OK


def _list_all(ctx: Context) -> int:
    args = ctx.args
    with ctx.client() as client:
        found = client.sandboxes.list_all(
            state=args.state, sort=args.sort, order=args.order, page_size=args.page_size
        )
        if args.format == "id":
            for item in found:  # each page fetched once the one before is printed
                output.print_ids([item.id], flush=True)
            return EXIT_OK
        items = list(found)
    if ctx.as_json:
        print_json({"items": _items_json(items), "total_items": len(items)})
    elif items or args.no_header:
        _table(items, ctx)
    else:
        print("no sandboxes")
    return EXIT_OK


def _number(ctx: Context) -> int:
    return 1 if ctx.args.page is None else int(ctx.args.page)


def _items_json(items: Sequence[SandboxSummary]) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = converter.unstructure(list(items))
    for item in data:  # Unix seconds, as every other time: RFC 3339
        item["timeout_at"] = unix_time(item.get("timeout_at"))
    return data


def _table(items: Sequence[SandboxSummary], ctx: Context) -> None:
    times = [(converter.unstructure(i.created_at), unix_time(i.timeout_at)) for i in items]
    rows = [(i.id, i.template_id, i.state, *t) for i, t in zip(items, times, strict=True)]
    print_table(_HEADER, rows, ctx.args)


def _show_page(page: SandboxPage, ctx: Context) -> None:
    args, number = ctx.args, _number(ctx)
    if args.format == "id":
        output.print_ids(item.id for item in page.items)
    elif ctx.as_json:
        data = {"items": _items_json(page.items), "total_items": page.total_items}
        print_json({**data, "page": number, "page_size": args.page_size})
    elif page.items or args.no_header:
        _table(page.items, ctx)
    elif number == 1:
        print("no sandboxes")
    _page_note(page, number, args.page_size)


def _page_note(page: SandboxPage, number: int, size: int) -> None:
    total = page.total_items
    pages = math.ceil(total / size)
    if not page.items and number > 1:
        if total:
            note(
                f"page {number} is past the last page ({pages} page{'s' * (pages != 1)} of {size})"
            )
        else:
            note(f"page {number} is past the last page (there are no sandboxes)")
    elif total > len(page.items) or number > 1:
        first = (number - 1) * size + 1
        note(
            f"page {number} of {pages}: sandboxes {first}-{first + len(page.items) - 1} of {total}"
        )
