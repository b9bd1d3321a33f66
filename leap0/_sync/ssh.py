# Generated from leap0/_async/ssh.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
"""SSH access to sandboxes: ``SshClient``."""

from __future__ import annotations

from .. import _routes
from .._convert import structure
from .._ids import SandboxRef
from .._requests import ssh_validate_body
from ..models import SshAccess, SshValidation
from ._transport import Transport

__all__ = ["SshClient"]


class SshClient:
    """Manage SSH access credentials for a sandbox.

    Each sandbox supports a single set of SSH credentials at a time. Creating
    access when credentials already exist returns 409 Conflict. Use
    :meth:`regenerate_access` to rotate credentials without revoking first.

    Example::

        sandbox = client.sandboxes.create()
        access = sandbox.ssh.create_access()
        print(access.command)
    """

    __slots__ = ("_transport",)

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._transport!r})"

    def create_access(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> SshAccess:
        """Generate SSH credentials for a sandbox.

        Returns an access ID (used as the SSH username), a password, and the
        full SSH command to connect.

        This call is not repeated once the request may have reached the
        service (a read timeout, a dropped connection, a 5xx): a repeat would
        answer 409 and the credential the first attempt created would be lost.
        The original error is raised instead; recover with
        :meth:`regenerate_access`. Failures to connect and 429 are retried.

        Args:
            sandbox: Sandbox ID or object.
            http_timeout: Optional HTTP request timeout in seconds for this SDK call.

        Returns:
            SshAccess: Generated SSH credential bundle.

        Raises:
            Leap0ConflictError: The sandbox already has SSH access.
            Leap0NotFoundError: No such sandbox.
        """
        data = self._transport.request(
            "POST",
            _routes.ssh_access(sandbox),
            expected_status=201,
            idempotent=False,
            timeout=http_timeout,
        )
        return structure(data, SshAccess)

    def delete_access(self, sandbox: SandboxRef, http_timeout: float | None = None) -> None:
        """Revoke SSH access for a sandbox. The credential is invalidated immediately.

        Args:
            sandbox: Sandbox ID or object.
            http_timeout: Optional HTTP request timeout in seconds for this SDK call.

        Raises:
            Leap0NotFoundError: No such sandbox, or it has no SSH access.
        """
        self._transport.request(
            "DELETE",
            _routes.ssh_access(sandbox),
            expected_status=204,
            idempotent=True,
            timeout=http_timeout,
        )

    def validate_access(
        self,
        sandbox: SandboxRef,
        *,
        access_id: str,
        password: str,
        http_timeout: float | None = None,
    ) -> SshValidation:
        """Check whether an SSH access credential is still valid and not expired.

        A wrong, expired, regenerated or revoked pair is not an error: the
        result says ``valid=False``.

        Args:
            sandbox: Sandbox ID or object.
            access_id: SSH access identifier.
            password: SSH password.
            http_timeout: Optional HTTP request timeout in seconds for this SDK call.

        Returns:
            SshValidation: Validation result for the supplied credential pair.

        Raises:
            Leap0NotFoundError: No such sandbox.
        """
        path = _routes.ssh_validate(sandbox)
        data = self._transport.request(
            "POST",
            path,
            expected_status=200,
            idempotent=True,
            json=ssh_validate_body(access_id, password),
            timeout=http_timeout,
        )
        return structure(data, SshValidation)

    def regenerate_access(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> SshAccess:
        """Invalidate the current credential and generate a new one. The expiry is also reset.

        Safe to retry: a repeated regeneration still ends with one valid
        credential, the one returned.

        Args:
            sandbox: Sandbox ID or object.
            http_timeout: Optional HTTP request timeout in seconds for this SDK call.

        Returns:
            SshAccess: The new credential bundle (the old password no longer works).

        Raises:
            Leap0NotFoundError: No such sandbox, or it has no SSH access.
        """
        data = self._transport.request(
            "POST",
            _routes.ssh_regen(sandbox),
            expected_status=200,
            idempotent=True,
            timeout=http_timeout,
        )
        return structure(data, SshAccess)
