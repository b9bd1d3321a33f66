# Generated from leap0/_async/sandboxes.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
"""Sandboxes, as far as SSH needs them: ``SandboxesClient`` and the ``Sandbox`` handle."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING

from .. import _routes
from .._constants import DEFAULT_ORDER, DEFAULT_SORT, DEFAULT_TEMPLATE
from .._convert import structure
from .._ids import SandboxRef, sandbox_id_of
from .._limits import SandboxState, SortField, SortOrder
from ..errors import Leap0NotFoundError
from ._transport import Transport
from .ssh import SshClient

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ..models import SandboxInfo, SandboxPage, SandboxSummary, SshAccess, SshValidation

__all__ = ["Sandbox", "SandboxSsh", "SandboxesClient"]


class SandboxSsh:
    """The SSH methods of :class:`SshClient`, bound to one sandbox."""

    __slots__ = ("_ssh", "sandbox_id")

    def __init__(self, ssh: SshClient, sandbox_id: str) -> None:
        self._ssh = ssh
        self.sandbox_id = sandbox_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}(sandbox_id={self.sandbox_id!r})"

    def create_access(self, http_timeout: float | None = None) -> SshAccess:
        """Generate SSH credentials for this sandbox (see :meth:`SshClient.create_access`)."""
        return self._ssh.create_access(self.sandbox_id, http_timeout=http_timeout)

    def delete_access(
        self, http_timeout: float | None = None, *, access_id: str | None = None
    ) -> None:
        """Revoke this sandbox's SSH access (see :meth:`SshClient.delete_access`)."""
        self._ssh.delete_access(self.sandbox_id, http_timeout=http_timeout, access_id=access_id)

    def validate_access(
        self, *, access_id: str, password: str, http_timeout: float | None = None
    ) -> SshValidation:
        """Check a credential pair (see :meth:`SshClient.validate_access`)."""
        return self._ssh.validate_access(
            self.sandbox_id, access_id=access_id, password=password, http_timeout=http_timeout
        )

    def regenerate_access(
        self, http_timeout: float | None = None, *, access_id: str | None = None
    ) -> SshAccess:
        """Rotate this sandbox's credential (see :meth:`SshClient.regenerate_access`)."""
        return self._ssh.regenerate_access(
            self.sandbox_id, http_timeout=http_timeout, access_id=access_id
        )


class Sandbox:
    """A handle on one sandbox: its data, its SSH methods, and its lifetime.

    ``with`` deletes the sandbox on exit::

        with client.sandboxes.create() as sandbox:
            access = sandbox.ssh.create_access()
    """

    __slots__ = ("_sandboxes", "info", "ssh")

    info: SandboxInfo
    """The sandbox's data as last fetched (see :meth:`refresh`)."""

    def __init__(self, info: SandboxInfo, sandboxes: SandboxesClient) -> None:
        self.info = info
        self._sandboxes = sandboxes
        self.ssh = SandboxSsh(sandboxes.ssh, info.id)

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def state(self) -> str:
        """The state as last fetched (see :meth:`refresh`)."""
        return self.info.state

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, state={self.state!r})"

    def refresh(self, http_timeout: float | None = None) -> SandboxInfo:
        """Fetch the sandbox's data again; returns it and keeps it in ``info``."""
        self.info = self._sandboxes.get_info(self.id, http_timeout=http_timeout)
        return self.info

    def delete(self, http_timeout: float | None = None) -> None:
        """Delete the sandbox; its SSH credential is revoked with it."""
        self._sandboxes.delete(self.id, http_timeout=http_timeout)

    def stop(self, http_timeout: float | None = None) -> SandboxInfo:
        """Stop the sandbox (see :meth:`SandboxesClient.stop`); the answer goes in ``info``."""
        self.info = (self._sandboxes.stop(self.id, http_timeout=http_timeout)).info
        return self.info

    def start(self, http_timeout: float | None = None) -> SandboxInfo:
        """Start the stopped sandbox again (see :meth:`SandboxesClient.start`)."""
        self.info = (self._sandboxes.start(self.id, http_timeout=http_timeout)).info
        return self.info

    def pause(self, http_timeout: float | None = None) -> SandboxInfo:
        """Pause the sandbox (see :meth:`SandboxesClient.pause`); its answer in ``info``."""
        self.info = (self._sandboxes.pause(self.id, http_timeout=http_timeout)).info
        return self.info

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with contextlib.suppress(Leap0NotFoundError):  # already gone
            self.delete()


class SandboxesClient:
    """Create, find, list and delete sandboxes."""

    __slots__ = ("_transport", "ssh")

    def __init__(self, transport: Transport, ssh: SshClient | None = None) -> None:
        self._transport = transport
        self.ssh = ssh if ssh is not None else SshClient(transport)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._transport!r})"

    def create(
        self,
        *,
        template_name: str = DEFAULT_TEMPLATE,
        vcpu: int | None = None,
        memory: int | None = None,
        timeout: int | None = None,
        env_vars: Mapping[str, str] | None = None,
        auto_pause: bool | None = None,
        http_timeout: float | None = None,
    ) -> Sandbox:
        """Create a sandbox and return a handle on it.

        Arguments left as ``None`` take the service's defaults (1 vCPU,
        1024 MiB, 300 s, no auto-pause). Limits are checked before sending:
        vcpu 1..8, memory 512..8192 MiB and even, timeout 1..28800 s.

        Not repeated once the request may have reached the service (a read
        timeout, a dropped connection, a 5xx): a repeat could create a second
        sandbox. The original error is raised; failures to connect and 429
        are retried.

        Args:
            template_name: The template to start from.
            vcpu: Virtual CPUs.
            memory: Memory in MiB.
            timeout: Lifetime in seconds.
            env_vars: Environment variables set in the sandbox.
            auto_pause: Pause into a snapshot at the timeout instead of stopping.
            http_timeout: Optional HTTP request timeout in seconds for this SDK call.

        Raises:
            Leap0ConflictError: The organization's sandbox limit is reached.
            Leap0BadRequestError: The service rejected a field (see ``errors``).
        """
        # Loaded at the first call, as the models are: import leap0 stays light.
        from .._requests import sandbox_create_body

        body = sandbox_create_body(
            template_name=template_name,
            vcpu=vcpu,
            memory=memory,
            timeout=timeout,
            env_vars=env_vars,
            auto_pause=auto_pause,
        )
        data = self._transport.request(
            "POST",
            _routes.SANDBOXES,
            expected_status=201,
            idempotent=False,
            json=body,
            timeout=http_timeout,
        )
        from ..models import SandboxInfo  # loaded at the first call: import leap0 stays light

        return Sandbox(structure(data, SandboxInfo), self)

    def get(self, sandbox: SandboxRef, http_timeout: float | None = None) -> Sandbox:
        """A handle on an existing sandbox, with its current data.

        Raises:
            Leap0NotFoundError: No such sandbox.
        """
        return Sandbox(self.get_info(sandbox, http_timeout=http_timeout), self)

    def get_info(self, sandbox: SandboxRef, http_timeout: float | None = None) -> SandboxInfo:
        """The current data of a sandbox, without a handle."""
        data = self._transport.request(
            "GET",
            _routes.sandbox(sandbox),
            expected_status=200,
            idempotent=True,
            timeout=http_timeout,
        )
        from ..models import SandboxInfo

        return structure(data, SandboxInfo)

    def list(
        self,
        *,
        state: SandboxState | None = None,
        sort: SortField = DEFAULT_SORT,
        order: SortOrder = DEFAULT_ORDER,
        page: int = 1,
        page_size: int = 20,
        http_timeout: float | None = None,
    ) -> SandboxPage:
        """One page of the organization's sandboxes.

        Args:
            state: Only sandboxes in this state (``running``, ``paused``, ...).
            sort: ``created_at`` or ``state``.
            order: ``asc`` or ``desc``.
            page: The page, from 1.
            page_size: Sandboxes a page, 1 to 100.
            http_timeout: Optional HTTP request timeout in seconds for this SDK call.
        """
        from .._requests import sandbox_list_params

        params = sandbox_list_params(
            state=state, sort=sort, order=order, page=page, page_size=page_size
        )
        data = self._transport.request(
            "GET",
            _routes.SANDBOX_LIST,
            expected_status=200,
            idempotent=True,
            params=params,
            timeout=http_timeout,
        )
        from ..models import SandboxPage

        return structure(data, SandboxPage)

    def stop(self, sandbox: SandboxRef, http_timeout: float | None = None) -> Sandbox:
        """Stop a running sandbox; it goes ``stopping``, then ``stopped``.

        Its writable disk is kept, and :meth:`start` boots it again. Its SSH
        credentials log in no more while it is not running, and its sessions end.
        Not repeated once the request may have reached the service (a repeat
        would answer 409).

        Returns:
            A handle holding the service's answer.

        Raises:
            Leap0ConflictError: The sandbox is not running.
            Leap0NotFoundError: No such sandbox.
        """
        return self._act(sandbox, "stop", 200, http_timeout)

    def start(self, sandbox: SandboxRef, http_timeout: float | None = None) -> Sandbox:
        """Boot a stopped sandbox again; it goes ``starting``, then ``running``.

        It runs for its ``timeout`` again from then on. Not repeated once the
        request may have reached the service.

        Returns:
            A handle holding the service's answer.

        Raises:
            Leap0ConflictError: The sandbox is not stopped.
            Leap0RateLimitError: The organization's sandbox limit is reached (429).
            Leap0ServerError: No capacity to start it now (503).
            Leap0NotFoundError: No such sandbox.
        """
        return self._act(sandbox, "start", 200, http_timeout)

    def pause(self, sandbox: SandboxRef, http_timeout: float | None = None) -> Sandbox:
        """Pause a running sandbox: its memory and disk are saved, its state ``paused``.

        Its SSH credentials log in no more while it is paused. Not repeated
        once the request may have reached the service.

        Returns:
            A handle holding the service's answer.

        Raises:
            Leap0ConflictError: The sandbox is not running.
            Leap0NotFoundError: No such sandbox.
        """
        return self._act(sandbox, "pause", 201, http_timeout)

    def _act(
        self, sandbox: SandboxRef, action: str, status: int, http_timeout: float | None
    ) -> Sandbox:
        data = self._transport.request(
            "POST",
            _routes.sandbox_action(sandbox, action),
            expected_status=status,
            idempotent=False,
            timeout=http_timeout,
        )
        from ..models import SandboxInfo

        return Sandbox(structure(data, SandboxInfo), self)

    def list_all(
        self,
        *,
        state: SandboxState | None = None,
        sort: SortField = DEFAULT_SORT,
        order: SortOrder = DEFAULT_ORDER,
        page_size: int = 100,
        http_timeout: float | None = None,
    ) -> Iterator[SandboxSummary]:
        """Every sandbox, across pages: each page is fetched when the one before is used up.

        ``for sandbox in client.sandboxes.list_all(): ...``. It stops
        at the ``total_items`` the service reports, or at an empty page.
        Sandboxes created or deleted meanwhile may shift the pages: one may
        then be seen twice or not at all, as with :meth:`list` page by page.

        Args:
            state: Only sandboxes in this state.
            sort: ``created_at`` or ``state``.
            order: ``asc`` or ``desc``.
            page_size: Sandboxes a request, 1 to 100.
            http_timeout: Optional HTTP request timeout in seconds, for each page.
        """
        from .._requests import sandbox_list_params

        # Checked now, not at the first page: a bad argument fails where it is passed.
        sandbox_list_params(state=state, sort=sort, order=order, page=1, page_size=page_size)
        return self._pages(state, sort, order, page_size, http_timeout)

    def _pages(
        self,
        state: SandboxState | None,
        sort: SortField,
        order: SortOrder,
        page_size: int,
        http_timeout: float | None,
    ) -> Iterator[SandboxSummary]:
        page, seen = 1, 0
        while True:
            found = self.list(
                state=state,
                sort=sort,
                order=order,
                page=page,
                page_size=page_size,
                http_timeout=http_timeout,
            )
            for item in found.items:
                yield item
            seen += len(found.items)
            if not found.items or seen >= found.total_items:
                return
            page += 1

    def delete(self, sandbox: SandboxRef, http_timeout: float | None = None) -> None:
        """Delete a sandbox; its SSH credential is revoked with it.

        Raises:
            Leap0NotFoundError: No such sandbox.
        """
        sandbox_id = sandbox_id_of(sandbox)
        self._transport.request(
            "DELETE",
            _routes.sandbox(sandbox_id),
            expected_status=204,
            idempotent=True,
            timeout=http_timeout,
        )
        self.ssh._forget_sandbox(sandbox_id)
