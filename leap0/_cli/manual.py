"""What to run by hand when leap0 could not finish: the commands it prints, as they work pasted.

With the global options of this command line that reach the same service
the same way: ``--profile``, ``--base-url`` and ``--ssh-api`` when given as
flags (the environment the user ran this with is theirs to keep). Never the API key:
if ``--api-key`` gave it, the text says to pass it again.

Also what to say when the service may have issued a credential (or given one
a new password) whose answer leap0 could not read: it does not know the
credential then, so it says how to find and revoke it.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from ..errors import Leap0ResponseError, Leap0ServerError, Leap0TimeoutError
from .output import PROG, clean

if TYPE_CHECKING:
    from .._ssh_api import Revision
    from .context import Context

__all__ = ["MAYBE_DONE", "command", "how_to_revoke", "may_be_issued", "may_be_regenerated"]

MAYBE_DONE = (Leap0ResponseError, Leap0ServerError, Leap0TimeoutError)
"""Failures after which a create or regen may have happened all the same.

An answer leap0 cannot read (a 201 with a time out of range, say), a 5xx or a
timeout: the request may have reached the service and been carried out.
"""


def command(ctx: Context, *words: str) -> str:
    """``leap0 [--profile P] [--base-url URL] [--ssh-api S] WORDS...``, quoted for a POSIX shell."""
    args = ctx.args
    line = [PROG]
    if args.profile is not None:
        line += ["--profile", args.profile]
    if args.base_url is not None:
        line += ["--base-url", ctx.base_url or args.base_url]
    if args.ssh_api is not None:
        line += ["--ssh-api", args.ssh_api]
    return " ".join(shlex.quote(clean(word)) for word in [*line, *words])


def how_to_revoke(ctx: Context, sandbox_id: str, access_id: str | None) -> str:
    """``revoke it with: leap0 ... ssh delete ID [--access-id ACCESS_ID]``."""
    words = ["ssh", "delete", sandbox_id]
    if access_id is not None:
        words += ["--access-id", access_id]
    again = " (pass --api-key again: the key is not printed)" if ctx.args.api_key else ""
    return f"revoke it{again} with: {command(ctx, *words)}"


def may_be_issued(ctx: Context, revision: Revision | None) -> str:
    """The hint for a create whose answer was not read: a credential may exist, unknown."""
    sbx = ctx.args.id
    if revision == "per-credential":
        delete = command(ctx, "ssh", "delete", sbx, "--access-id", "ACCESS_ID")
        return (
            "the service may have issued a credential all the same, whose id leap0 could not "
            f"read: it works until it expires, unless revoked with '{delete}' (deleting the "
            "sandbox revokes all of its credentials)"
        )
    create, delete = command(ctx, "ssh", "create", sbx), command(ctx, "ssh", "delete", sbx)
    return (
        f"the service may have issued a credential all the same: '{create}' failing with 409 "
        f"says the sandbox holds one, and '{delete}' revokes it"
    )


def may_be_regenerated(ctx: Context, access_id: str | None) -> str:
    """The hint for a regen whose answer was not read: the password may have changed."""
    named = [] if access_id is None else ["--access-id", access_id]
    regen = command(ctx, "ssh", "regen", ctx.args.id, *named)
    delete = command(ctx, "ssh", "delete", ctx.args.id, *named)
    return (
        "the service may have given it a new password all the same, so the old one may no "
        f"longer work: '{regen}' gives it another (printed once), '{delete}' revokes it"
    )
