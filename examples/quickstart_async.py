"""The whole SSH flow with the async client: sandbox, access, login, rotate, revoke.

    python examples/quickstart_async.py
    LEAP0_SSH_API=per-credential python examples/quickstart_async.py

LEAP0_SSH_API picks the service's SSH routes: unset, "auto" finds out which
revision the service serves; "single" (one credential per sandbox) and
"per-credential" (the routes of the public OpenAPI description, several
credentials per sandbox, which this script then also shows) call only theirs.
Regenerating and deleting pass access_id=access.id, so the same code runs under
every setting.

With LEAP0_API_KEY unset it starts a local emulator (the emulator extra:
python -m pip install ".[emulator]" from a clone of this repository)
(serving only the routes of a strict setting); with it set, it runs against that
service (LEAP0_BASE_URL, else the production API). Logging in needs the OpenSSH
client (ssh) or asyncssh: see ssh_login.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import os

from ssh_login import LoginRefused, run_command_async

from leap0 import AsyncLeap0Client, AsyncSandbox, SshAccess


async def is_valid(sandbox: AsyncSandbox, access: SshAccess) -> bool:
    """Whether the service accepts this credential's user name and password."""
    check = await sandbox.ssh.validate_access(access_id=access.id, password=access.password)
    return check.valid


async def main() -> None:
    async with contextlib.AsyncExitStack() as stack:
        if os.environ.get("LEAP0_API_KEY"):
            client = await stack.enter_async_context(AsyncLeap0Client())
        else:
            from leap0.emulator import serve

            emu = await stack.enter_async_context(serve())
            print(f"LEAP0_API_KEY is not set: started a local emulator at {emu.base_url}")
            client = await stack.enter_async_context(
                AsyncLeap0Client(api_key=emu.api_key, base_url=emu.base_url)
            )
            if client.ssh_api != "auto":  # serve only the SSH routes the client calls
                emu.configure(ssh_api=client.ssh_api)
        print(f"SSH routes: ssh_api={client.ssh_api!r} (LEAP0_SSH_API; 'auto' if unset)")

        sandbox = await stack.enter_async_context(await client.sandboxes.create())
        print(f"created sandbox {sandbox.id} ({sandbox.state})")

        access = await sandbox.ssh.create_access()
        print(f"created SSH access: {access.command}")

        output = await run_command_async(access, "echo hello over SSH from $PWD")
        print(f"ran a command over SSH: {output.strip()}")

        check = await sandbox.ssh.validate_access(access_id=access.id, password=access.password)
        print(f"validated: valid={check.valid}")

        renewed = await sandbox.ssh.regenerate_access(access_id=access.id)
        old = await sandbox.ssh.validate_access(access_id=access.id, password=access.password)
        try:
            await run_command_async(access, "true")
            refused = False
        except LoginRefused:
            refused = True
        print(f"regenerated: old password valid={old.valid}, SSH login refused={refused}")
        print(f"new password: {(await run_command_async(renewed, 'echo works')).strip()}")

        print(f"the service's SSH routes: {client.ssh.revision}")
        if client.ssh.revision == "per-credential":
            second = await sandbox.ssh.create_access()
            both = (await is_valid(sandbox, renewed), await is_valid(sandbox, second))
            await sandbox.ssh.delete_access(access_id=second.id)
            after = (await is_valid(sandbox, renewed), await is_valid(sandbox, second))
            output = await run_command_async(renewed, "echo still logs in")
            print(f"second SSH access {second.id}: valid (first, second)={both}")
            print(f"deleted the second: valid (first, second)={after}; the first {output.strip()}")

        await sandbox.ssh.delete_access(access_id=access.id)
        gone = await sandbox.ssh.validate_access(access_id=renewed.id, password=renewed.password)
        print(f"deleted SSH access: valid={gone.valid}")

        await sandbox.delete()
        print(f"deleted sandbox {sandbox.id}. Done.")


if __name__ == "__main__":
    asyncio.run(main())
