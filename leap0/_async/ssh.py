"""SSH access to sandboxes: ``AsyncSshClient``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import _routes
from .._convert import structure
from .._ids import SandboxRef, sandbox_id_of
from .._ssh_api import Call, Revision, Router, SshApi, mismatch_hint, resolve_ssh_api
from ..errors import Leap0APIError, Leap0Error, Leap0NotFoundError
from ._transport import AsyncTransport

if TYPE_CHECKING:
    from ..models import SshAccess, SshValidation

__all__ = ["AsyncSshClient"]

#: Answers after which the call tries its other route: the route may not be served.
_ROUTE_MAYBE_MISSING = (404, 405)


class AsyncSshClient:
    """Manage SSH access credentials for a sandbox.

    Each sandbox supports a single set of SSH credentials at a time. Creating
    access when credentials already exist returns 409 Conflict. Use
    :meth:`regenerate_access` to rotate credentials without revoking first.

    That is the service's first revision of the SSH routes (``"single"``).
    Its later revision (``"per-credential"``, the routes of the public
    OpenAPI description, which the hosted service serves today) keeps
    several credentials per sandbox, each with its own password and expiry:
    there a second ``create_access`` issues another credential, and
    :meth:`delete_access` and :meth:`regenerate_access` act on the one named
    by ``access_id``.

    With ``ssh_api="auto"`` (the default) this client serves either: it
    remembers the credentials it issued on each sandbox, so the calls above
    work without ``access_id`` after its own ``create_access``, and it finds
    the revision from the service's answers, at the cost of at most one
    extra request (see :attr:`revision`). ``"single"`` and
    ``"per-credential"`` call only that revision's routes.

    Example::

        sandbox = await client.sandboxes.create()
        access = await sandbox.ssh.create_access()
        print(access.command)

    Args:
        transport: How requests are sent (usually the client's).
        ssh_api: ``"auto"``, ``"single"`` or ``"per-credential"``: which
            routes to call. ``AsyncLeap0Client`` passes its own setting.
    """

    __slots__ = ("_router", "_transport")

    def __init__(self, transport: AsyncTransport, *, ssh_api: SshApi = "auto") -> None:
        self._router = Router(resolve_ssh_api(ssh_api))
        self._transport = transport

    @property
    def ssh_api(self) -> SshApi:
        """The setting: ``"auto"``, ``"single"`` or ``"per-credential"``."""
        return self._router.setting

    @property
    def revision(self) -> Revision | None:
        """The SSH routes in use: the setting's, or what ``"auto"`` found (``None``: not yet)."""
        return self._router.revision

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._transport!r}, ssh_api={self.ssh_api!r})"

    @classmethod
    def _sharing(cls, transport: AsyncTransport, other: AsyncSshClient) -> AsyncSshClient:
        """A client on ``transport`` that shares ``other``'s routes, ids and revision found."""
        ssh = cls.__new__(cls)
        ssh._router = other._router
        ssh._transport = transport
        return ssh

    def _forget_sandbox(self, sandbox_id: str) -> None:
        """The sandbox is gone, and with it every credential this client was given there."""
        self._router.forget(sandbox_id)

    async def _send(
        self,
        method: str,
        sandbox_id: str,
        calls: tuple[Call, ...],
        expected_status: int,
        timeout: float | None,
    ) -> tuple[Call, Any]:
        """Send the planned ``calls`` until one answers; return it and its answer.

        A call after the first is sent only when the one before answered 404
        or 405 (it acted on nothing) and the revision found does not rule it
        out. A probe's success is not a result: the call fails then with the
        error the probe explained.
        """
        router = self._router
        failed: list[tuple[Call, Leap0APIError]] = []
        for call in calls:
            found = router.revision
            if failed and found is not None and (call.probe or call.revision != found):
                continue  # the revision is known now: this request would tell nothing
            try:
                data = await self._transport.request(
                    call.method,
                    call.path,
                    expected_status=200 if call.probe else expected_status,
                    idempotent=True,
                    json=call.body,
                    timeout=timeout,
                )
            except Leap0APIError as exc:
                router.learn(call, exc.status_code)
                failed.append((call, exc))
                if exc.status_code not in _ROUTE_MAYBE_MISSING:
                    break  # the route answered: its error is the call's
                continue
            router.learn(call, 200)
            if not call.probe:
                return call, data
            break
        raise self._failure(method, sandbox_id, calls, failed)

    def _failure(
        self,
        method: str,
        sandbox_id: str,
        calls: tuple[Call, ...],
        failed: list[tuple[Call, Leap0APIError]],
    ) -> Leap0Error:
        """The error of a call none of whose requests succeeded."""
        router = self._router
        call, exc = failed[-1]
        if exc.status_code not in _ROUTE_MAYBE_MISSING:
            return exc
        found = router.revision
        if router.setting != "auto":
            if exc.status_code == 405 and found is not None:
                exc.message = f"{exc.message} ({mismatch_hint(found)})"
            return exc
        if found == "per-credential" and calls[0].access_id is None:
            error = router.id_required(method, sandbox_id)
            error.__cause__ = failed[0][1]
            return error
        for call, exc in failed:
            if call.revision == found and not call.probe:
                return exc  # the answer of the route the service serves
        return failed[0][1]

    async def create_access(
        self, sandbox: SandboxRef, http_timeout: float | None = None
    ) -> SshAccess:
        """Generate SSH credentials for a sandbox.

        Returns an access ID (used as the SSH username), a password, and the
        full SSH command to connect.

        The same route in both revisions. On a service of the seed's
        revision a sandbox holds one credential, and a second create answers
        409; on a per-credential one each create issues another credential.
        Which of the two happens is the service's answer, not this method's.
        Under ``"auto"`` the client remembers the id it was given, so
        :meth:`delete_access` and :meth:`regenerate_access` find it.

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
        sandbox_id = sandbox_id_of(sandbox)
        data = await self._transport.request(
            "POST",
            _routes.ssh_access(sandbox_id),
            expected_status=201,
            idempotent=False,
            timeout=http_timeout,
        )
        from ..models import SshAccess  # loaded at the first call: import leap0 stays light

        access = structure(data, SshAccess)
        self._router.remember(sandbox_id, access.id)
        return access

    async def delete_access(
        self,
        sandbox: SandboxRef,
        http_timeout: float | None = None,
        *,
        access_id: str | None = None,
    ) -> None:
        """Revoke SSH access for a sandbox. The credential is invalidated immediately.

        On the per-credential routes it revokes the credential ``access_id``
        and no other; without ``access_id``, ``"auto"`` takes the one
        credential this client issued on the sandbox. On the seed's routes it
        revokes the sandbox's one credential, and ``access_id``, if given, is
        only checked to be a well-formed id (it is not sent, nor compared
        with the credential's).

        Args:
            sandbox: Sandbox ID or object.
            http_timeout: Optional HTTP request timeout in seconds for this SDK call.
            access_id: The credential to revoke (its ``SshAccess.id``).

        Raises:
            Leap0AccessIdRequiredError: (a ``ValueError``) ``access_id`` is
                needed: ``"per-credential"``, or ``"auto"`` on such a service
                with no one credential of this client's on the sandbox.
            Leap0NotFoundError: No such sandbox, or no such SSH access.
        """
        sandbox_id = sandbox_id_of(sandbox)
        calls = self._router.act("delete_access", sandbox_id, access_id)
        try:
            call, _ = await self._send("delete_access", sandbox_id, calls, 204, http_timeout)
        except Leap0NotFoundError:
            if calls[0].access_id is not None:
                self._router.forget(sandbox_id, calls[0].access_id)  # gone, or never there
            raise
        self._router.forget(sandbox_id, call.access_id)

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
        result says ``valid=False`` (the per-credential routes answer 404 for
        an id they do not know). On the seed's routes the pair is posted to
        ``.../ssh/validate``; on the per-credential ones the password is
        posted to ``.../ssh/{access_id}/validate``.

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
        sandbox_id = sandbox_id_of(sandbox)
        calls = self._router.validate(sandbox_id, access_id, password)
        _, data = await self._send("validate_access", sandbox_id, calls, 200, http_timeout)
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
        On the per-credential routes it rotates the credential ``access_id``
        and no other; without ``access_id``, ``"auto"`` takes the one
        credential this client issued on the sandbox. On the seed's routes it
        rotates the sandbox's one credential, and ``access_id``, if given, is
        only checked to be a well-formed id.

        Safe to retry: a repeated regeneration still ends with one valid
        password, the one returned.

        Args:
            sandbox: Sandbox ID or object.
            http_timeout: Optional HTTP request timeout in seconds for this SDK call.
            access_id: The credential to rotate (its ``SshAccess.id``).

        Returns:
            SshAccess: The new credential bundle (the old password no longer works).

        Raises:
            Leap0AccessIdRequiredError: (a ``ValueError``) ``access_id`` is
                needed (as for :meth:`delete_access`).
            Leap0NotFoundError: No such sandbox, or no such SSH access.
        """
        sandbox_id = sandbox_id_of(sandbox)
        calls = self._router.act("regenerate_access", sandbox_id, access_id)
        call, data = await self._send("regenerate_access", sandbox_id, calls, 200, http_timeout)
        from ..models import SshAccess

        access = structure(data, SshAccess)
        self._router.remember(sandbox_id, access.id, only=call.revision == "single")
        return access
