"""``leap0 sandbox create | get | list | delete``."""

from __future__ import annotations

import math
from typing import Any

from .._convert import converter
from ..errors import Leap0ConflictError, Leap0Error
from ..models import SandboxInfo, SandboxPage
from . import report
from .entry import EXIT_FAILURE, EXIT_OK, Session
from .output import PROG, clean, note, print_fields, print_ids, print_json, print_table, unix_time
from .wait import until_running

__all__ = ["create", "delete", "get", "list_page"]

_INFO_FIELDS = ("id", "template_id", "state", "vcpu", "memory", "disk", "timeout", "auto_pause")
_UNITS = {"memory": " MiB", "disk": " MiB", "timeout": " s"}


def show_sandbox(info: SandboxInfo, session: Session) -> None:
    data = converter.unstructure(info)
    if session.args.format == "id":
        print_ids([info.id])
    elif session.as_json:
        print_json(data)
    else:
        rows = [(key, clean(data[key]) + _UNITS.get(key, "")) for key in _INFO_FIELDS]
        print_fields([*rows, ("created_at", data["created_at"])])


def create(session: Session) -> int:
    args = session.args
    options: dict[str, Any] = {
        "vcpu": args.vcpu,
        "memory": args.memory,
        "timeout": args.timeout,
        "auto_pause": args.auto_pause,
    }
    if args.template is not None:
        options["template_name"] = args.template
    if args.env:
        options["env_vars"] = dict(args.env)
    with session.client() as client:
        try:
            info = client.sandboxes.create(**options).info
        except Leap0ConflictError as exc:
            hint = (
                f"'{PROG} sandbox list' shows the sandboxes there are; "
                f"'{PROG} sandbox delete ID' frees a place"
            )
            raise report.Hinted(exc, hint) from exc
        if args.wait:
            info = until_running(client, info, timeout=args.wait_timeout)
    show_sandbox(info, session)
    return EXIT_OK


def get(session: Session) -> int:
    with session.client() as client:
        info = client.sandboxes.get_info(session.args.id)
    show_sandbox(info, session)
    return EXIT_OK


def list_page(session: Session) -> int:
    args = session.args
    with session.client() as client:
        page = client.sandboxes.list(
            state=args.state,
            sort=args.sort,
            order=args.order,
            page=args.page,
            page_size=args.page_size,
        )
    _show_page(page, session)
    return EXIT_OK


def _show_page(page: SandboxPage, session: Session) -> None:
    args = session.args
    if args.format == "id":
        print_ids(item.id for item in page.items)
    elif session.as_json:
        data = converter.unstructure(page)
        for item in data["items"]:  # Unix seconds, as every other time: RFC 3339
            item["timeout_at"] = unix_time(item.get("timeout_at"))
        print_json({**data, "page": args.page, "page_size": args.page_size})
    elif page.items or args.no_header:
        header = ("ID", "TEMPLATE", "STATE", "CREATED_AT", "TIMEOUT_AT")
        times = [(converter.unstructure(i.created_at), unix_time(i.timeout_at)) for i in page.items]
        rows = [(i.id, i.template_id, i.state, *t) for i, t in zip(page.items, times, strict=True)]
        print_table(header, rows, args)
    elif args.page == 1:
        print("no sandboxes")
    _page_note(page, args.page, args.page_size)


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


def delete(session: Session) -> int:
    """Delete each sandbox named; a failure is reported and the others are still deleted."""
    args = session.args
    results: list[dict[str, object]] = []
    with session.client() as client:
        for ident in dict.fromkeys(args.ids):  # each once, in order
            try:
                client.sandboxes.delete(ident)
            except Leap0Error as exc:
                label, url = f"{session.label} {ident}", session.base_url
                report.failure(label, exc, session.as_json, base_url=url)
                results.append({"deleted": False, "id": ident, "error": type(exc).__name__})
                continue
            results.append({"deleted": True, "id": ident})
            if args.format == "id":
                print(ident)  # as given, and checked as typed (values.sandbox_id)
            elif not session.as_json:
                print(f"deleted sandbox {clean(ident)}", flush=True)
    if session.as_json:
        print_json(results)
    return EXIT_OK if all(result["deleted"] for result in results) else EXIT_FAILURE
