"""The arguments several commands of the table share, declared once.

Sandbox ids (one, or several), the credential's ``--access-id``, and the
options of ``ssh connect`` and ``ssh cp`` (``--ssh-option``, ``--keep``,
``--wait-timeout``, which ``sandbox create --wait`` takes too).
"""

from __future__ import annotations

from . import values
from .spec import DEFAULT_WAIT_TIMEOUT, opt

__all__ = ["ACCESS_ID", "KEEP", "SANDBOX_ID", "SANDBOX_IDS", "SSH_OPTION", "WAIT_TIMEOUT"]

SANDBOX_ID = opt("id ID", "sandbox id", type=values.sandbox_id, complete="sandbox")
SANDBOX_IDS = opt("ids ID", "sandbox ids", nargs="+", type=values.sandbox_id, complete="sandbox")
ACCESS_ID = opt(
    "--access-id ACCESS_ID",
    "the credential: the id ssh create printed (required on the per-credential SSH routes)",
    type=values.access_id,
)
SSH_OPTION = opt(
    "--ssh-option OPT",
    "pass -o OPT to ssh (repeatable; these win over leap0's own)",
    type=values.ssh_option,
    action="append",
    default=[],
)
KEEP = opt(
    "--keep",
    "keep the credential afterwards: print it first, as ssh create does (the password "
    "once), instead of revoking it at the end",
    action="store_true",
)
WAIT_TIMEOUT = opt(
    "--wait-timeout S",
    "give up waiting for the sandbox to be running after S seconds "
    f"(default: {DEFAULT_WAIT_TIMEOUT:g})",
    type=values.seconds,
)
"""``None`` when not given (``sandbox create`` tells): read it with ``wait.timeout``."""
