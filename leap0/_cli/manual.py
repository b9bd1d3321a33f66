"""What to run by hand when leap0 could not finish: the commands it prints, as they work pasted.

With the global options of this command line that reach the same service
the same way: ``--base-url`` and ``--ssh-api`` when given as flags (the
environment the user ran this with is theirs to keep). Never the API key:
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
    from .entry import Session

__all__ = ["MAYBE_DONE", "command", "how_to_revoke", "may_be_issued", "may_be_regenerated"]

MAYBE_DONE = (Leap0ResponseError, Leap0ServerError, Leap0TimeoutError)
"""Failures after which a create or regen may have happened all the same.

An answer leap0 cannot read (a 201 with a time out of range, say), a 5xx or a
timeout: the request may have reached the service and been carried out.
"""


def command(session: Session, *words: str) -> str:
    """``leap0 [--base-url URL] [--ssh-api S] WORDS...``, quoted for a POSIX shell."""
    args = session.args
    line = [PROG]
    if args.base_url is not None:
        line += ["--base-url", session.base_url or args.base_url]
    if args.ssh_api is not None:
        line += ["--ssh-api", args.ssh_api]
    return " ".join(shlex.quote(clean(word)) for word in [*line, *words])


def how_to_revoke(session: Session, sandbox_id: str, access_id: str | None) -> str:
    """``revoke it with: leap0 ... ssh delete ID [--access-id ACCESS_ID]``."""
    words = ["ssh", "delete", sandbox_id]
    if access_id is not None:
        words += ["--access-id", access_id]
    again = " (pass --api-key again: the key is not printed)" if session.args.api_key else ""
    return f"revoke it{again} with: {command(session, *words)}"


def may_be_issued(session: Session, revision: Revision | None) -> str:
    """The hint for a create whose answer was not read: a credential may exist, unknown."""
    sbx = session.args.id
    if revision == "per-credential":
        delete = command(session, "ssh", "delete", sbx, "--access-id", "ACCESS_ID")
        return (
            "the service may have issued a credential all the same, whose id leap0 could not "
            f"read: it works until it expires, unless revoked with '{delete}' (deleting the "
            "sandbox revokes all of its credentials)"
        )
    create, delete = command(session, "ssh", "create", sbx), command(session, "ssh", "delete", sbx)
    return (
        f"the service may have issued a credential all the same: '{create}' failing with 409 "
        f"says the sandbox holds one, and '{delete}' revokes it"
    )


def may_be_regenerated(session: Session, access_id: str | None) -> str:
    """The hint for a regen whose answer was not read: the password may have changed."""
    named = [] if access_id is None else ["--access-id", access_id]
    regen = command(session, "ssh", "regen", session.args.id, *named)
    delete = command(session, "ssh", "delete", session.args.id, *named)
    return (
        "the service may have given it a new password all the same, so the old one may no "
        f"longer work: '{regen}' gives it another (printed once), '{delete}' revokes it"
    )
