"""Every URL path of the Leap0 API. Each builder validates the ids it puts in the path.

The SSH routes come in two revisions (``leap0._ssh_api`` picks one): the seed's
address the sandbox's one credential through the sandbox (``ssh_access``,
``ssh_validate``, ``ssh_regen``); the per-credential routes name the credential
(``ssh_credential``, ``ssh_credential_validate``, ``ssh_credential_regen``).
Both create with ``POST`` :func:`ssh_access`.
"""

from __future__ import annotations

from ._ids import access_id_of, sandbox_id_of

__all__ = [
    "SANDBOXES",
    "SANDBOX_LIST",
    "sandbox",
    "sandbox_action",
    "ssh_access",
    "ssh_credential",
    "ssh_credential_regen",
    "ssh_credential_validate",
    "ssh_regen",
    "ssh_validate",
]

SANDBOXES = "/v1/sandbox/"
SANDBOX_LIST = "/v1/sandboxes"


def sandbox(ref: object) -> str:
    return f"/v1/sandbox/{sandbox_id_of(ref)}/"


def sandbox_action(ref: object, action: str) -> str:
    """``.../{action}`` of one sandbox: ``stop``, ``start`` or ``pause``."""
    return f"/v1/sandbox/{sandbox_id_of(ref)}/{action}"


def ssh_access(ref: object) -> str:
    """``.../ssh/access``: create (both revisions); the seed's delete of the one credential."""
    return f"/v1/sandbox/{sandbox_id_of(ref)}/ssh/access"


def ssh_validate(ref: object) -> str:
    """The seed's validate: the credential's id goes in the body."""
    return f"/v1/sandbox/{sandbox_id_of(ref)}/ssh/validate"


def ssh_regen(ref: object) -> str:
    """The seed's regenerate of the sandbox's one credential."""
    return f"/v1/sandbox/{sandbox_id_of(ref)}/ssh/regen"


def ssh_credential(ref: object, access_id: object) -> str:
    """``.../ssh/{access_id}``: one credential, in the per-credential routes (its delete)."""
    return f"/v1/sandbox/{sandbox_id_of(ref)}/ssh/{access_id_of(access_id)}"


def ssh_credential_validate(ref: object, access_id: object) -> str:
    """``.../ssh/{access_id}/validate``: the per-credential validate."""
    return ssh_credential(ref, access_id) + "/validate"


def ssh_credential_regen(ref: object, access_id: object) -> str:
    """``.../ssh/{access_id}/regen``: the per-credential regenerate."""
    return ssh_credential(ref, access_id) + "/regen"
