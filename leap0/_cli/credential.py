"""The credential of one ``ssh connect`` or ``ssh cp``: issued for it, revoked after it.

Issued only once the sandbox is running (``ready.py``), so a 409 on create
says the sandbox takes no more credentials. On the per-credential SSH routes
that is an error: a credential of the session's own or none, the others are
never touched. Otherwise (``single``, or ``auto`` before it knows the
revision, whose 409 then means a seed-revision sandbox holding its one
credential) the note that its password stops working comes first, then that
credential gets a new one (regen), and it is the one revoked at the end.

A create (or regen) whose answer cannot be read, or that failed with a 5xx
or a timeout, may have issued a credential all the same, which leap0 does
not know: the error says so and how to find and revoke it (``manual.py``).

A revoke that fails is one error line (or JSON object) giving the command
that finishes it, which works as printed (``manual.py``): ``--base-url`` and
``--ssh-api`` are in it when they were given as flags; the API key never is
(if ``--api-key`` gave it, the line says to pass it again). The caller exits
with ``EXIT_CREDENTIAL_LEFT`` then, not with the session's status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import Leap0AccessIdRequiredError, Leap0ConflictError, Leap0Error
from . import manual, report
from .access import no_more_credentials
from .context import Terminated
from .output import clean, note

if TYPE_CHECKING:
    from .._sync.client import Leap0Client
    from ..models import SshAccess
    from .context import Context

__all__ = ["how_to_revoke", "issue", "revoke"]


def issue(client: Leap0Client, ctx: Context) -> SshAccess:
    """A credential for this session (per-credential: always a new one of its own)."""
    args = ctx.args
    try:
        return client.ssh.create_access(args.id)
    except Leap0ConflictError as exc:
        if ctx.revision(client) == "per-credential":
            raise report.Hinted(exc, no_more_credentials(ctx, args.id)) from exc
        conflict = exc
    except manual.MAYBE_DONE as exc:
        raise report.Hinted(exc, manual.may_be_issued(ctx, ctx.revision(client))) from exc
    sbx = clean(args.id)
    after = "" if args.keep else "; it is revoked when the session ends (--keep keeps it)"
    note(
        f"sandbox {sbx} already has an SSH credential, and holds one at a time: giving it a "
        f"new password for this session, so its current password stops working{after}"
    )
    try:
        return client.ssh.regenerate_access(args.id)
    except Leap0AccessIdRequiredError as exc:  # auto found the per-credential routes
        hint = f"no password was changed; {no_more_credentials(ctx, args.id)}"
        raise report.Hinted(conflict, hint) from exc
    except manual.MAYBE_DONE as exc:
        raise report.Hinted(exc, manual.may_be_regenerated(ctx, None)) from exc


def how_to_revoke(ctx: Context, access: SshAccess, *, by_id: bool = True) -> str:
    """``revoke it with: leap0 ... ssh delete ID --access-id ACCESS_ID`` (``manual.py``)."""
    return manual.how_to_revoke(ctx, ctx.args.id, access.id if by_id else None)


def revoke(client: Leap0Client, ctx: Context, access: SshAccess, status: int | None) -> bool:
    """Revoke the session's credential; whether it is gone (if not, reported on stderr).

    ``status``: the session's exit status, if it ended, said in the report as it is
    not the one leap0 exits with then.
    """
    args = ctx.args
    label, what = f"{ctx.label} {clean(args.id)}", f"SSH credential {clean(access.id)}"
    ended = "" if status is None else f" (the session's exit status was {status})"
    try:
        client.ssh.delete_access(args.id, access_id=access.id)
    except Leap0Error as exc:
        hint = f"{what} was not revoked{ended}; {how_to_revoke(ctx, access)}"
        report.failure(label, exc, ctx.as_json, base_url=ctx.base_url, hint=hint)
        return False
    except ValueError as exc:  # an id the SDK puts in no path: only the single routes need none
        if ctx.revision(client) == "single":
            how = how_to_revoke(ctx, access, by_id=False)
        else:
            how = f"it expires at {clean(access.expires_at)}"
        message = f"{what} was not revoked: {clean(exc)}{ended}; {how}"
        report.problem(label, report.Problem(message, code="credential_left"), ctx.as_json)
        return False
    except (KeyboardInterrupt, Terminated):
        how = how_to_revoke(ctx, access)
        message = f"{what} was not revoked (interrupted); {how}"
        report.problem(label, report.Problem(message, code="credential_left"), ctx.as_json)
        raise
    return True
