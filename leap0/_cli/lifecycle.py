"""``leap0 sandbox stop | start | pause ID...``: each sandbox named, each reported.

As ``sandbox delete`` does: the sandboxes are acted on in order, each once;
one the service refuses is reported on stderr and the others are still acted
on, the exit status then 1. A 409 (the sandbox is not in the state the action
takes) is one line saying which state it is in and what to do: the sandbox is
read again to say it (``states.conflict_hint``).

Output: ``sandbox ID is STATE`` a sandbox (the state of the service's answer,
e.g. ``stopping``), its id with ``--format id``, and with ``--json`` one list
in the order given, of the shape deletions have (``results.py``):
``{"kind": "sandbox", "id", "sandbox_id", "stopped": true, "sandbox": {...}}``
(the service's answer), or ``{..., "stopped": false, "error": CLASS}`` (the
key is ``started`` or ``paused`` for the other actions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._convert import converter
from ..errors import Leap0ConflictError, Leap0Error, Leap0RateLimitError, Leap0ServerError
from . import report
from .context import EXIT_FAILURE, EXIT_OK, Context
from .output import PROG, clean, print_json
from .results import outcome
from .states import conflict_hint

if TYPE_CHECKING:
    from .._sync.client import Leap0Client

__all__ = ["pause", "start", "stop"]

_DONE = {"stop": "stopped", "start": "started", "pause": "paused"}


def stop(ctx: Context) -> int:
    return _each(ctx, "stop")


def start(ctx: Context) -> int:
    return _each(ctx, "start")


def pause(ctx: Context) -> int:
    return _each(ctx, "pause")


def _each(ctx: Context, action: str) -> int:
    args = ctx.args
    done = _DONE[action]
    results: list[dict[str, object]] = []
    with ctx.client() as client:
        act = getattr(client.sandboxes, action)
        for ident in dict.fromkeys(args.ids):  # each once, in order
            try:
                info = act(ident).info
            except Leap0Error as exc:
                label, url = f"{ctx.label} {ident}", ctx.base_url
                hint = _hint(client, action, ident, exc)
                report.failure(label, exc, ctx.as_json, base_url=url, hint=hint)
                results.append(outcome("sandbox", ident, ident, done, error=exc))
                continue
            answer = converter.unstructure(info)
            results.append(outcome("sandbox", ident, ident, done, sandbox=answer))
            if args.format == "id":
                print(ident)  # as given, and checked as typed (values.sandbox_id)
            elif not ctx.as_json:
                print(f"sandbox {clean(ident)} is {clean(info.state)}", flush=True)
    if ctx.as_json:
        print_json(results)
    return EXIT_OK if all(result[done] for result in results) else EXIT_FAILURE


def _hint(client: Leap0Client, action: str, ident: str, exc: Leap0Error) -> str | None:
    """What to do after ``exc``; for a 409, from the sandbox's state now (if it can be read)."""
    if isinstance(exc, Leap0ConflictError):
        try:
            state: str | None = client.sandboxes.get_info(ident).state
        except Leap0Error:
            state = None
        return conflict_hint(action, ident, state)
    if action == "start" and isinstance(exc, Leap0RateLimitError):
        return (
            f"the organization runs as many sandboxes as it may: '{PROG} sandbox stop ID' "
            f"or '{PROG} sandbox delete ID' frees a place"
        )
    if action == "start" and isinstance(exc, Leap0ServerError) and exc.status_code == 503:
        return "the service has no capacity to run it now; try again later"
    return None
