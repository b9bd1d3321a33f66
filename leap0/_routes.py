"""URL paths of the Leap0 API. Each builder validates the ids it puts in the path."""

from __future__ import annotations

from ._ids import access_id_of, sandbox_id_of

__all__ = [
    "SANDBOXES",
    "SANDBOX_LIST",
    "sandbox",
    "sandbox_action",
    "ssh_access",
    "ssh_credential",
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
    return f"/v1/sandbox/{sandbox_id_of(ref)}/ssh/access"


def ssh_validate(ref: object) -> str:
    return f"/v1/sandbox/{sandbox_id_of(ref)}/ssh/validate"


def ssh_regen(ref: object) -> str:
    return f"/v1/sandbox/{sandbox_id_of(ref)}/ssh/regen"


def ssh_credential(ref: object, access_id: object) -> str:
    """``.../ssh/{access_id}``: one credential, in the per-credential routes."""
    return f"/v1/sandbox/{sandbox_id_of(ref)}/ssh/{access_id_of(access_id)}"
