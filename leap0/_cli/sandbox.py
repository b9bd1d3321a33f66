"""``leap0 sandbox create | get | delete`` (``list`` is in ``listing.py``)."""

from __future__ import annotations

from typing import Any

from .._convert import converter
from ..errors import Leap0ConflictError, Leap0Error
from ..models import SandboxInfo
from . import report
from .context import EXIT_FAILURE, EXIT_OK, Context
from .output import PROG, clean, print_fields, print_ids, print_json
from .results import outcome
from .wait import timeout, until_running

__all__ = ["create", "delete", "get", "show_sandbox"]

_INFO_FIELDS = ("id", "template_id", "state", "vcpu", "memory", "disk", "timeout", "auto_pause")
_UNITS = {"memory": " MiB", "disk": " MiB", "timeout": " s"}


def show_sandbox(info: SandboxInfo, ctx: Context) -> None:
    data = converter.unstructure(info)
    if ctx.args.format == "id":
        print_ids([info.id])
    elif ctx.as_json:
        print_json(data)
    else:
        rows = [(key, clean(data[key]) + _UNITS.get(key, "")) for key in _INFO_FIELDS]
        print_fields([*rows, ("created_at", data["created_at"])])


def create(ctx: Context) -> int:
    args = ctx.args
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
    with ctx.client() as client:
        try:
            info = client.sandboxes.create(**options).info
        except Leap0ConflictError as exc:
            hint = (
                f"'{PROG} sandbox list' shows the sandboxes there are; "
                f"'{PROG} sandbox delete ID' frees a place"
            )
            raise report.Hinted(exc, hint) from exc
        if args.wait:
            info = until_running(client, info, timeout=timeout(args))
    show_sandbox(info, ctx)
    return EXIT_OK


def get(ctx: Context) -> int:
    with ctx.client() as client:
        info = client.sandboxes.get_info(ctx.args.id)
    show_sandbox(info, ctx)
    return EXIT_OK


def delete(ctx: Context) -> int:
    """Delete each sandbox named; a failure is reported and the others are still deleted.

    ``--json``: the list ``results.py`` describes, ``deleted`` true or false for each.
    """
    args = ctx.args
    results: list[dict[str, object]] = []
    with ctx.client() as client:
        for ident in dict.fromkeys(args.ids):  # each once, in order
            try:
                client.sandboxes.delete(ident)
            except Leap0Error as exc:
                label, url = f"{ctx.label} {ident}", ctx.base_url
                report.failure(label, exc, ctx.as_json, base_url=url)
                results.append(outcome("sandbox", ident, ident, "deleted", error=exc))
                continue
            results.append(outcome("sandbox", ident, ident, "deleted"))
            if args.format == "id":
                print(ident)  # as given, and checked as typed (values.sandbox_id)
            elif not ctx.as_json:
                print(f"deleted sandbox {clean(ident)}", flush=True)
    if ctx.as_json:
        print_json(results)
    return EXIT_OK if all(result["deleted"] for result in results) else EXIT_FAILURE
