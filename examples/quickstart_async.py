"""The whole SSH flow with the async client: sandbox, access, login, rotate, revoke.

    python examples/quickstart_async.py

With LEAP0_API_KEY unset it starts a local emulator (pip install "leap0[emulator]");
with it set, it runs against that service (LEAP0_BASE_URL, else the production API).
"""

from __future__ import annotations

import asyncio
import contextlib
import os

from ssh_login import LoginRefused, run_command_async

from leap0 import AsyncLeap0Client


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

        sandbox = await stack.enter_async_context(await client.sandboxes.create())
        print(f"created sandbox {sandbox.id} ({sandbox.state})")

        access = await sandbox.ssh.create_access()
        print(f"created SSH access: {access.command}")

        output = await run_command_async(access, "echo hello over SSH from $PWD")
        print(f"ran a command over SSH: {output.strip()}")

        check = await sandbox.ssh.validate_access(access_id=access.id, password=access.password)
        print(f"validated: valid={check.valid}")

        renewed = await sandbox.ssh.regenerate_access()
        old = await sandbox.ssh.validate_access(access_id=access.id, password=access.password)
        try:
            await run_command_async(access, "true")
            refused = False
        except LoginRefused:
            refused = True
        print(f"regenerated: old password valid={old.valid}, SSH login refused={refused}")
        print(f"new password: {(await run_command_async(renewed, 'echo works')).strip()}")

        await sandbox.ssh.delete_access()
        gone = await sandbox.ssh.validate_access(access_id=renewed.id, password=renewed.password)
        print(f"deleted SSH access: valid={gone.valid}")

        await sandbox.delete()
        print(f"deleted sandbox {sandbox.id}. Done.")


if __name__ == "__main__":
    asyncio.run(main())
