"""A credential leap0 could not show is revoked at once, and stderr says so.

``ssh create`` and ``ssh regen`` print a password that cannot be shown
again, as ``ssh connect --keep`` and ``ssh cp --keep`` do before the
session. If printing it fails once the service has issued it (stdout is
closed, the disk is full, Ctrl-C), nobody has the password, and a
credential nobody can use is only a risk: it is revoked there and then,
and one line on stderr says so (or, if that fails too, how to revoke it by
hand). The failure then goes on as it would have: a closed stdout exits 1
quietly, Ctrl-C 130; another ``OSError`` is that one line, exit status 1.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import Leap0Error
from . import manual, report
from .output import clean

if TYPE_CHECKING:
    from .._sync.client import Leap0Client
    from ..models import SshAccess
    from .context import Context

__all__ = ["revoke_unless_shown"]


@contextlib.contextmanager
def revoke_unless_shown(client: Leap0Client, ctx: Context, access: SshAccess) -> Iterator[None]:
    """Inside, ``access`` is shown; if that fails, it is revoked and the failure said."""
    try:
        yield
        sys.stdout.flush()  # shown: handed to the reader, not left in a buffer
    except BaseException as exc:
        line = _revoke(client, ctx, access, _why(exc))
        problem = report.Problem(line, code="not_shown", status=1)
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            raise problem from None
        report.problem(f"{ctx.label} {clean(ctx.args.id)}", problem, ctx.as_json)
        raise


def _why(exc: BaseException) -> str:
    if isinstance(exc, BrokenPipeError):
        return "standard output is closed"
    if isinstance(exc, OSError):
        return clean(exc.strerror or exc)
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return type(exc).__name__


def _revoke(client: Leap0Client, ctx: Context, access: SshAccess, why: str) -> str:
    """Revoke ``access``; what to say about it, either way."""
    sbx, what = ctx.args.id, f"SSH credential {clean(access.id)}"
    try:
        client.ssh.delete_access(sbx, access_id=access.id)
    except (Leap0Error, ValueError) as exc:
        how = manual.how_to_revoke(ctx, sbx, access.id)
        return f"could not show the credential ({why}), nor revoke {what} ({clean(exc)}); {how}"
    again = manual.command(ctx, "ssh", "create", sbx)
    return (
        f"could not show the credential ({why}): revoked {what}, so that none is left whose "
        f"password nobody has; '{again}' issues another"
    )
