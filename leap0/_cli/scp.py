"""``leap0 ssh cp``: its two operands, and the ``scp`` command line.

One operand is local, the other ``SANDBOX:PATH``: an operand is remote when
what comes before its first ``:`` is a sandbox id (by the SDK's one rule,
``leap0._ids.is_id``: no ``/`` in it), as scp itself reads ``HOST:PATH``.
``./a:b`` is local.

``scp`` gets only what leap0 built: ``-s`` (SFTP mode: the remote path is
read by the SFTP server, never by a shell, so quotes, spaces, ``$`` or ``;``
in it are plain characters; OpenSSH 8.7 or newer), ``-o User=USER`` (scp has
no ``-l`` for the user; leap0's comes first, so it wins), the caller's ``-o``
options, password-only authentication and host-key handling as for ``ssh
connect``, ``-P PORT``, then ``--`` and the two operands. The user, host and
port are those :func:`~leap0._ssh_command.ssh_target` read from the service's
``ssh_command`` and checked; the remote operand is ``HOST:PATH`` (an IPv6
host in brackets), a relative local path is given as ``./PATH`` so that scp
cannot take it for a host.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._ids import is_id
from .openssh import check_ssh_options, common_options

if TYPE_CHECKING:
    from ..models import SshAccess

__all__ = ["Copy", "build_scp_argv", "parse_copy"]


@dataclass(frozen=True)
class Copy:
    """What ``ssh cp`` copies: ``upload`` from ``local`` to ``sandbox``'s ``remote``, or back."""

    sandbox: str
    remote: str
    local: str
    upload: bool


def _remote(operand: str) -> tuple[str, str] | None:
    head, sep, path = operand.partition(":")
    if not sep or not is_id(head):
        return None
    return head, path


def parse_copy(source: str, dest: str) -> Copy:
    """The copy ``SOURCE DEST`` asks for; ``ValueError`` saying why not."""
    ends = (_remote(source), _remote(dest))
    if ends[0] is not None and ends[1] is not None:
        raise ValueError("both SOURCE and DEST are in a sandbox: copy through this machine")
    found = ends[0] or ends[1]
    if found is None:
        raise ValueError("one of SOURCE and DEST must be in a sandbox, written SANDBOX:PATH")
    sandbox, remote = found
    local = dest if ends[0] is not None else source
    for what, value in (("the remote path", remote), ("the local path", local)):
        if not value.isprintable():
            raise ValueError(f"{what} {value!r} holds control characters")
    if not local:
        raise ValueError("the local path is empty")
    return Copy(sandbox, remote, local, upload=ends[1] is not None)


def _local_operand(path: str) -> str:
    return path if os.path.isabs(path) else os.path.join(".", path)


def build_scp_argv(
    access: SshAccess,
    copy: Copy,
    ssh_options: Sequence[str] = (),
    *,
    scp: str = "scp",
    recursive: bool = False,
) -> list[str]:
    """The ``scp`` command line for ``copy`` with ``access``; it never holds the password.

    Raises:
        Leap0ResponseError: The service's ``ssh_command`` is not one leap0 reads.
        ValueError: A malformed ``ssh_options`` entry.
    """
    from .._ssh_command import ssh_target

    check_ssh_options(ssh_options)
    target = ssh_target(access.ssh_command, access.id)
    host = f"[{target.host}]" if ":" in target.host else target.host
    remote = f"{host}:{copy.remote}"
    local = _local_operand(copy.local)
    argv = [scp, "-s", *(["-r"] if recursive else []), "-o", f"User={target.user}"]
    argv += common_options(target.host, ssh_options)
    argv += ["-P", str(target.port), "--"]
    argv += [local, remote] if copy.upload else [remote, local]
    return argv
