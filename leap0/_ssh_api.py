"""The two revisions of the Leap0 SSH routes, and the setting that picks one (pure, shared).

``"single"``, the seed's routes: one credential per sandbox, addressed through
the sandbox (``DELETE .../ssh/access``, ``POST .../ssh/validate`` with
``{"id", "password"}``, ``POST .../ssh/regen``).

``"per-credential"``, the routes of the public OpenAPI description: a sandbox
may hold several credentials, each addressed by its id
(``DELETE .../ssh/{access_id}``, ``POST .../ssh/{access_id}/validate`` with
``{"password"}``, ``POST .../ssh/{access_id}/regen``).

Both create with ``POST .../ssh/access``. Every function here validates what it
puts into a path or a body before anything is sent.
"""

from __future__ import annotations

import os
from typing import Literal

from . import _routes
from ._ids import access_id_of, sandbox_id_of

__all__ = [
    "DEFAULT_SSH_API",
    "SSH_APIS",
    "SSH_API_ENV",
    "SshApi",
    "delete_path",
    "mismatch_hint",
    "regen_path",
    "resolve_ssh_api",
    "validate_request",
]

SshApi = Literal["single", "per-credential"]
"""Which revision of the SSH routes the service serves."""

SSH_APIS: tuple[SshApi, ...] = ("single", "per-credential")
SSH_API_ENV = "LEAP0_SSH_API"
DEFAULT_SSH_API: SshApi = "single"


def resolve_ssh_api(ssh_api: object, *, env: bool = False) -> SshApi:
    """``ssh_api`` checked; if ``None``: ``LEAP0_SSH_API`` (when ``env``), else the default."""
    source = "ssh_api"
    if ssh_api is None:
        if not env:
            return DEFAULT_SSH_API
        ssh_api = os.environ.get(SSH_API_ENV) or DEFAULT_SSH_API
        source = SSH_API_ENV
    if not isinstance(ssh_api, str):
        raise TypeError(f"{source} must be a str, not {type(ssh_api).__name__}")
    if ssh_api == "single":
        return "single"
    if ssh_api == "per-credential":
        return "per-credential"
    shown = ssh_api if len(ssh_api) <= 40 else ssh_api[:40] + "..."
    raise ValueError(
        f"{source} must be 'single' (one SSH credential per sandbox, the original routes) "
        f"or 'per-credential' (several per sandbox, the routes of the public OpenAPI "
        f"description); got {shown!r}"
    )


def _required_id(ssh_api: SshApi, access_id: object, method: str) -> str | None:
    """The validated ``access_id``; required by the per-credential routes."""
    if access_id is None:
        if ssh_api == "per-credential":
            raise ValueError(
                f"{method} needs access_id=... with ssh_api='per-credential': that service "
                "keeps several SSH credentials per sandbox, so name the one to act on "
                "(the id create_access returned)"
            )
        return None
    return access_id_of(access_id)


def _credential_path(
    ssh_api: SshApi, sandbox: object, access_id: object, method: str, action: str
) -> str:
    """``.../ssh/{action}`` (single) or ``.../ssh/{access_id}`` plus ``/{action}`` (per-credential).

    The single routes' delete is ``.../ssh/access``; the per-credential one is the
    credential's own path (``action`` empty).
    """
    sandbox_id = sandbox_id_of(sandbox)
    checked = _required_id(ssh_api, access_id, method)
    if ssh_api == "single":
        return _routes.ssh_regen(sandbox_id) if action else _routes.ssh_access(sandbox_id)
    assert checked is not None
    path = _routes.ssh_credential(sandbox_id, checked)
    return f"{path}/{action}" if action else path


def delete_path(ssh_api: SshApi, sandbox: object, access_id: object) -> str:
    """The path of ``delete_access``."""
    return _credential_path(ssh_api, sandbox, access_id, "delete_access", "")


def regen_path(ssh_api: SshApi, sandbox: object, access_id: object) -> str:
    """The path of ``regenerate_access``."""
    return _credential_path(ssh_api, sandbox, access_id, "regenerate_access", "regen")


def validate_request(
    ssh_api: SshApi, sandbox: object, access_id: object, password: object
) -> tuple[str, dict[str, str]]:
    """The path and JSON body of ``validate_access``."""
    sandbox_id = sandbox_id_of(sandbox)
    checked = access_id_of(access_id)
    if not isinstance(password, str):
        raise TypeError(f"password must be a str, not {type(password).__name__}")
    if ssh_api == "single":
        return _routes.ssh_validate(sandbox_id), {"id": checked, "password": password}
    return _routes.ssh_credential(sandbox_id, checked) + "/validate", {"password": password}


def mismatch_hint(ssh_api: SshApi) -> str:
    """What to say when the service does not know the route this setting called (405)."""
    other = "per-credential" if ssh_api == "single" else "single"
    return (
        f"this client uses the {ssh_api!r} SSH routes and the service does not serve this "
        f"one; if it serves the {other!r} routes, set ssh_api={other!r} "
        f"(or {SSH_API_ENV}={other})"
    )
