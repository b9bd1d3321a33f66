"""The data leap0 returns: frozen attrs classes shared by the sync and async clients.

Timestamps are timezone-aware :class:`datetime.datetime` objects in UTC.
Fields the service adds later are ignored, so an older SDK keeps working.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import attrs

from ._limits import SandboxState

__all__ = [
    "SandboxInfo",
    "SandboxPage",
    "SandboxState",
    "SandboxSummary",
    "SshAccess",
    "SshValidation",
]


@attrs.frozen
class SshAccess:
    """An SSH credential for a sandbox, as issued by ``create_access`` or ``regenerate_access``.

    ``id`` is the SSH user name and ``password`` the password; ``ssh_command``
    (also reachable as ``command``) is the whole command to connect. The
    password is left out of ``repr()`` and ``str()``.
    """

    id: str
    sandbox_id: str
    password: str = attrs.field(repr=False)
    ssh_command: str
    expires_at: datetime
    created_at: datetime
    updated_at: datetime

    @property
    def command(self) -> str:
        """The full SSH command to connect (the wire field ``ssh_command``)."""
        return self.ssh_command

    @property
    def username(self) -> str:
        """The SSH user name: the access id."""
        return self.id

    @property
    def host(self) -> str:
        """The SSH server's host, read from ``ssh_command``.

        A DNS name or an IP address (an IPv6 address without brackets). The
        same reading as ``leap0 ssh connect``'s; see ``leap0._ssh_command``
        for the forms accepted.

        Raises:
            Leap0ResponseError: ``ssh_command`` is not a plain ``ssh`` command
                leap0 understands, names a port outside 1-65535, or names
                another user than ``id`` (``field="ssh_command"``).
        """
        from ._ssh_command import ssh_target  # only here, to keep `import leap0` light

        return ssh_target(self.ssh_command, self.id).host

    @property
    def port(self) -> int:
        """The SSH server's port, read from ``ssh_command`` (22 when it names none).

        Raises:
            Leap0ResponseError: As for :attr:`host`.
        """
        from ._ssh_command import ssh_target

        return ssh_target(self.ssh_command, self.id).port

    @property
    def expired(self) -> bool:
        """Whether the credential's expiry time has passed (by this machine's clock)."""
        return datetime.now(timezone.utc) >= self.expires_at


@attrs.frozen
class SshValidation:
    """Whether an SSH credential pair is valid; wrong, expired and revoked give ``valid=False``."""

    valid: bool
    sandbox_id: str


@attrs.frozen
class SandboxInfo:
    """A sandbox's data, as returned by create and get."""

    id: str
    template_id: str
    vcpu: int
    memory: int
    """Memory in MiB."""
    disk: int
    """Writable disk in MiB."""
    timeout: int
    """Lifetime in seconds."""
    state: str
    """One of :data:`SandboxState`."""
    auto_pause: bool
    created_at: datetime


@attrs.frozen
class SandboxSummary:
    """One sandbox in a list."""

    id: str
    template_id: str
    pod_id: str
    state: str
    created_at: datetime
    launch_time: datetime | None = None
    state_change_time: datetime | None = None
    timeout_at: int | None = None
    """Unix time, in seconds, at which the sandbox times out."""


@attrs.frozen
class SandboxPage:
    """One page of sandboxes: ``items`` and the ``total_items`` matching before paging."""

    items: tuple[SandboxSummary, ...]
    total_items: int

    def __iter__(self) -> Iterator[SandboxSummary]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
