"""``ssh connect`` and ``ssh cp``: the sandbox is running before any credential is issued.

A sandbox that is not running accepts no SSH login, and the service answers
a credential request for it with 409, which would read as "it already has a
credential". So the sandbox is read first: ``running`` goes on; ``starting``
or ``unpausing`` is waited for (a note on stderr, then ``wait.until_running``,
at most ``--wait-timeout`` seconds); any other state is an error (exit 1)
naming it and what to do (``states.advice``), and no credential is issued.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import report, wait
from .output import clean, note
from .states import ON_THE_WAY, advice

if TYPE_CHECKING:
    from .._sync.client import Leap0Client
    from ..models import SandboxInfo
    from .context import Context

__all__ = ["running_sandbox"]


def running_sandbox(client: Leap0Client, ctx: Context) -> SandboxInfo:
    """The sandbox of ``ctx.args.id``, running; :class:`report.Problem` (exit 1) if not."""
    args = ctx.args
    info = client.sandboxes.get_info(args.id)
    if info.state in ON_THE_WAY:
        limit = wait.timeout(args)
        note(
            f"sandbox {clean(info.id)} is {clean(info.state)}: waiting until it is running "
            f"(at most {limit:g} s, --wait-timeout)"
        )
        info = wait.until_running(client, info, timeout=limit)
    if info.state != "running":
        raise report.Problem(advice(info.id, info.state), code="not_running", status=1)
    return info
