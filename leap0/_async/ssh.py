"""SSH access to sandboxes: ``AsyncSshClient``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import _routes, _ssh_api
from .._convert import structure
from .._ids import SandboxRef
from .._ssh_api import SshApi
from ..errors import Leap0APIError
from ._transport import AsyncTransport

if TYPE_CHECKING:
    from ..models import SshAccess, SshValidation

__all__ = ["AsyncSshClient"]


class AsyncSshClient:
    """Manage SSH access credentials for a sandbox.

    Each sandbox supports a single set of SSH credentials at a time. Creating
    access when credentials already exist returns 409 Conflict. Use
    :meth:`regenerate_access` to rotate credentials without revoking first.

    That is the service's first revision of the SSH routes, ``ssh_api="single"``
    (the default). Its later revision, ``ssh_api="per-credential"`` (the routes
    of the public OpenAPI description), keeps several credentials per sandbox,
    each with its own password and expiry: there a second ``create_access``
    issues another credential, and :meth:`delete_access` and
    :meth:`regenerate_access` need the ``access_id`` of the one to act on.
    Passing ``access_id`` works under both settings, so one piece of code
    serves either service.

    Example::

        sandbox = await client.sandboxes.create()
        access = await sandbox.ssh.create_access()
        print(access.command)

    Args:
        transport: How requests are sent (usually the client's).
        ssh_api: ``"single"`` or ``"per-credential"``: which routes the service
            serves. ``AsyncLeap0Client`` passes its own setting.
    """

    __slots__ = ("_ssh_api", "_transport")

    def __init__(self, transport: AsyncTransport, *, ssh_api: SshApi = "single") -> None:
        self._ssh_api = _ssh_api.resolve_ssh_api(ssh_api)
        self._transport = transport

    @property
    def ssh_api(self) -> SshApi:
        """Which revision of the SSH routes this client calls."""
        return self._ssh_api

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._transport!r}, ssh_api={self._ssh_api!r})"

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return await self._transport.request(method, path, **kwargs)
        except Leap0APIError as exc:
            if exc.status_code == 405:  # the service does not serve this revision's route
                exc.message = f"{exc.message} ({_ssh_api.mismatch_hint(self._ssh_api)})"
            raise

    async def create_access(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> SshAccess:
        """Generate SSH credentials for a sandbox.

        Returns an access ID (used as the SSH username), a password, and the
        full SSH command to connect.

        The same route under both settings. With ``ssh_api="single"`` a
        sandbox holds one credential, and a second create answers 409; with
        ``"per-credential"`` each create issues another credential. Which of
        the two happens is the service's answer, not this method's.

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
            Leap0ConflictError: The sandbox already has SSH access (single).
            Leap0NotFoundError: No such sandbox.
        """
        data = await self._request(
            "POST",
            _routes.ssh_access(sandbox),
            expected_status=201,
            idempotent=False,
            timeout=http_timeout,
        )
        from ..models import SshAccess  # loaded at the first call: import leap0 stays light

        return structure(data, SshAccess)

    async def delete_access(
        self,
        sandbox: SandboxRef,
        http_timeout: float | None = None,
        *,
        access_id: str | None = None,
    ) -> None:
        """Revoke SSH access for a sandbox. The credential is invalidated immediately.

        With ``ssh_api="single"`` this revokes the sandbox's one credential
        (``access_id``, if given, is checked and not sent). With
        ``"per-credential"`` it revokes the credential ``access_id`` and no
        other; ``access_id`` is then required.

        Args:
            sandbox: Sandbox ID or object.
            http_timeout: Optional HTTP request timeout in seconds for this SDK call.
            access_id: The credential to revoke (its ``SshAccess.id``).

        Raises:
            ValueError: ``access_id`` is missing under ``"per-credential"``.
            Leap0NotFoundError: No such sandbox, or no such SSH access.
        """
        await self._request(
            "DELETE",
            _ssh_api.delete_path(self._ssh_api, sandbox, access_id),
            expected_status=204,
            idempotent=True,
            timeout=http_timeout,
        )

    async def validate_access(
        self,
        sandbox: SandboxRef,
        *,
        access_id: str,
        password: str,
        http_timeout: float | None = None,
    ) -> SshValidation:
        """Check whether an SSH access credential is still valid and not expired.

        A wrong, expired, regenerated or revoked pair is not an error: the
        result says ``valid=False``. Under ``"single"`` the pair is posted to
        ``.../ssh/validate``; under ``"per-credential"`` the password is posted
        to ``.../ssh/{access_id}/validate``.

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
        path, body = _ssh_api.validate_request(self._ssh_api, sandbox, access_id, password)
        data = await self._request(
            "POST",
            path,
            expected_status=200,
            idempotent=True,
            json=body,
            timeout=http_timeout,
        )
        from ..models import SshValidation

        return structure(data, SshValidation)

    async def regenerate_access(
        self,
        sandbox: SandboxRef,
        http_timeout: float | None = None,
        *,
        access_id: str | None = None,
    ) -> SshAccess:
        """Invalidate the current credential and generate a new one. The expiry is also reset.

        The credential keeps its id; only the password and the expiry change.
        With ``ssh_api="single"`` this rotates the sandbox's one credential
        (``access_id``, if given, is checked and not sent). With
        ``"per-credential"`` it rotates the credential ``access_id`` and no
        other; ``access_id`` is then required.

        Safe to retry: a repeated regeneration still ends with one valid
        password, the one returned.

        Args:
            sandbox: Sandbox ID or object.
            http_timeout: Optional HTTP request timeout in seconds for this SDK call.
            access_id: The credential to rotate (its ``SshAccess.id``).

        Returns:
            SshAccess: The new credential bundle (the old password no longer works).

        Raises:
            ValueError: ``access_id`` is missing under ``"per-credential"``.
            Leap0NotFoundError: No such sandbox, or no such SSH access.
        """
        data = await self._request(
            "POST",
            _ssh_api.regen_path(self._ssh_api, sandbox, access_id),
            expected_status=200,
            idempotent=True,
            timeout=http_timeout,
        )
        from ..models import SshAccess

        return structure(data, SshAccess)
