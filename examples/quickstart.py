"""The whole SSH flow with the blocking client: sandbox, access, login, rotate, revoke.

    python examples/quickstart.py
    LEAP0_SSH_API=per-credential python examples/quickstart.py

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

import contextlib
import os

from ssh_login import LoginRefused, run_command

from leap0 import Leap0Client, Sandbox, SshAccess


def step(text: str) -> None:
    print(f"\n== {text}")


def is_valid(sandbox: Sandbox, access: SshAccess) -> bool:
    """Whether the service accepts this credential's user name and password."""
    return sandbox.ssh.validate_access(access_id=access.id, password=access.password).valid


def main() -> None:
    with contextlib.ExitStack() as stack:
        if os.environ.get("LEAP0_API_KEY"):
            client = stack.enter_context(Leap0Client())
            print("Using the Leap0 service from LEAP0_API_KEY / LEAP0_BASE_URL.")
        else:
            from leap0.emulator import serve

            emu = stack.enter_context(serve())
            print(f"LEAP0_API_KEY is not set: started a local emulator at {emu.base_url}")
            client = stack.enter_context(Leap0Client(api_key=emu.api_key, base_url=emu.base_url))
            if client.ssh_api != "auto":  # serve only the SSH routes the client calls
                emu.configure(ssh_api=client.ssh_api)
        print(f"SSH routes: ssh_api={client.ssh_api!r} (LEAP0_SSH_API; 'auto' if unset)")

        step("Create a sandbox")
        sandbox = stack.enter_context(client.sandboxes.create())  # deleted when we leave
        print(
            f"sandbox {sandbox.id}: {sandbox.state}, {sandbox.info.vcpu} vCPU, "
            f"{sandbox.info.memory} MiB"
        )

        step("Create SSH access")
        access = sandbox.ssh.create_access()
        print(f"user name: {access.id}")
        print(f"command:   {access.command}")
        print(f"expires:   {access.expires_at:%Y-%m-%d %H:%M:%S} UTC")
        print("(the password is in access.password; it is shown only once, so keep it safe)")

        step("Log in over SSH with the issued credentials and run a command")
        print(f"$ {access.command} 'echo hello from $(hostname) in $PWD'")
        print(run_command(access, "echo hello from $(hostname) in $PWD"), end="")

        step("Validate the credential")
        check = sandbox.ssh.validate_access(access_id=access.id, password=access.password)
        print(f"valid: {check.valid}")

        step("Regenerate: a new password, the old one stops working")
        renewed = sandbox.ssh.regenerate_access(access_id=access.id)
        old = sandbox.ssh.validate_access(access_id=access.id, password=access.password)
        print(f"old password valid: {old.valid}")
        try:
            run_command(access, "true")
            print("old password logged in: unexpected!")
        except LoginRefused:
            print("old password refused by the SSH server")
        print(run_command(renewed, "echo the new password works"), end="")

        print(f"the service's SSH routes: {client.ssh.revision}")
        if client.ssh.revision == "per-credential":
            step("A second credential on the same sandbox: each is deleted on its own")
            second = sandbox.ssh.create_access()
            print(f"second user name: {second.id}")
            print(f"valid: first {is_valid(sandbox, renewed)}, second {is_valid(sandbox, second)}")
            sandbox.ssh.delete_access(access_id=second.id)
            print("deleted the second credential")
            print(f"valid: first {is_valid(sandbox, renewed)}, second {is_valid(sandbox, second)}")
            print(run_command(renewed, "echo the first one still logs in"), end="")

        step("Delete SSH access")
        sandbox.ssh.delete_access(access_id=access.id)
        gone = sandbox.ssh.validate_access(access_id=renewed.id, password=renewed.password)
        print(f"revoked credential valid: {gone.valid}")

        step("Delete the sandbox")
        sandbox.delete()
        print(f"sandbox {sandbox.id} deleted. Done.")


if __name__ == "__main__":
    main()
