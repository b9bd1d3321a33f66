"""Log in over SSH with an issued credential and run one command (used by the quickstarts).

Uses asyncssh, which comes with ``pip install "leap0[emulator]"``.
"""

from __future__ import annotations

import asyncio

from leap0 import SshAccess


class LoginRefused(Exception):
    """The SSH server did not accept the user name and password."""


async def run_command_async(access: SshAccess, command: str, password: str | None = None) -> str:
    """Run ``command`` as ``access.id`` on the server named by ``access.command``; its output."""
    import asyncssh

    try:
        conn = await asyncssh.connect(
            access.host,
            access.port,
            username=access.id,
            password=access.password if password is None else password,
            known_hosts=None,  # the local emulator makes a new host key each run
            client_keys=None,
            agent_path=None,
            preferred_auth="password",
        )
    except asyncssh.PermissionDenied:
        raise LoginRefused(f"{access.id}@{access.host}:{access.port} refused the login") from None
    async with conn:
        result = await conn.run(command, check=True)
    return str(result.stdout)


def run_command(access: SshAccess, command: str, password: str | None = None) -> str:
    """The blocking form of :func:`run_command_async`."""
    return asyncio.run(run_command_async(access, command, password))
