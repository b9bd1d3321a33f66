"""Log in over SSH with an issued credential and run one command (used by the quickstarts).

Needs only the SDK and an SSH client: the OpenSSH ``ssh`` command when it is on
PATH, else asyncssh (``pip install asyncssh``; the ``emulator`` extra brings it).

With OpenSSH the password never appears in a command line: it goes into a
``0600`` file in a private ``0700`` temporary directory, next to a two-line
``SSH_ASKPASS`` script that prints it when ``ssh`` asks; the directory is removed
when ``ssh`` exits. The connection is built from ``access.host``, ``access.port``
and ``access.id`` only, never by running the service's ``ssh_command`` string.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shlex
import shutil
import subprocess
import tempfile

from leap0 import SshAccess


class LoginRefused(Exception):
    """The SSH server did not accept the user name and password."""


def run_command(access: SshAccess, command: str, password: str | None = None) -> str:
    """Run ``command`` as ``access.id`` on ``access.host``; return its output."""
    password = access.password if password is None else password
    if _use_openssh():
        return run_openssh(access, command, password)
    return asyncio.run(run_asyncssh(access, command, password))


async def run_command_async(access: SshAccess, command: str, password: str | None = None) -> str:
    """The async form of :func:`run_command`."""
    password = access.password if password is None else password
    if _use_openssh():
        return await asyncio.to_thread(run_openssh, access, command, password)
    return await run_asyncssh(access, command, password)


def _use_openssh() -> bool:
    """True for OpenSSH, False for asyncssh; an error naming what to install if neither."""
    if os.name == "posix" and shutil.which("ssh"):
        return True
    try:
        import asyncssh  # noqa: F401
    except ImportError:
        raise RuntimeError(
            "Logging in over SSH needs an SSH client: install OpenSSH (the `ssh` command, "
            "e.g. `apt install openssh-client`) or asyncssh (`pip install asyncssh`)."
        ) from None
    return False


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_openssh(access: SshAccess, command: str, password: str) -> str:
    """Run ``command`` with the OpenSSH client, the password handed over by SSH_ASKPASS."""
    options = [
        "PreferredAuthentications=password,keyboard-interactive",
        "PubkeyAuthentication=no",
        "NumberOfPasswordPrompts=1",
    ]
    if _is_loopback(access.host):  # the local emulator makes a new host key each run
        options += ["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null", "LogLevel=ERROR"]
    else:  # remember the service's host key the first time, check it after
        options += ["StrictHostKeyChecking=accept-new"]
    argv = ["ssh", *(f"-o{option}" for option in options)]
    argv += ["-p", str(access.port), "-l", access.id, "--", access.host, command]

    with tempfile.TemporaryDirectory(prefix="leap0-ssh-") as private:  # mode 0700
        secret = os.path.join(private, "password")
        _write_private(secret, password + "\n", 0o600)
        askpass = os.path.join(private, "askpass")
        _write_private(askpass, f"#!/bin/sh\nexec cat {shlex.quote(secret)}\n", 0o700)
        env = {name: value for name, value in os.environ.items() if name != "LEAP0_API_KEY"}
        env.update(SSH_ASKPASS=askpass, SSH_ASKPASS_REQUIRE="force")
        env["DISPLAY"] = env.get("DISPLAY") or ":0"  # older ssh wants one to use SSH_ASKPASS
        result = subprocess.run(
            argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True
        )
    if result.returncode == 255 and "Permission denied" in result.stderr:
        raise LoginRefused(f"{access.id}@{access.host}:{access.port} refused the login")
    if result.returncode != 0:
        raise RuntimeError(f"ssh exited with status {result.returncode}: {result.stderr.strip()}")
    return result.stdout


def _write_private(path: str, text: str, mode: int) -> None:
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "w") as file:
        file.write(text)


async def run_asyncssh(access: SshAccess, command: str, password: str) -> str:
    """Run ``command`` with asyncssh."""
    import asyncssh

    try:
        conn = await asyncssh.connect(
            access.host,
            access.port,
            username=access.id,
            password=password,
            client_keys=None,
            agent_path=None,
            preferred_auth="password",
            # None: not checked (the local emulator makes a new host key each run);
            # (): checked against ~/.ssh/known_hosts.
            known_hosts=None if _is_loopback(access.host) else (),
        )
    except asyncssh.PermissionDenied:
        raise LoginRefused(f"{access.id}@{access.host}:{access.port} refused the login") from None
    async with conn:
        result = await conn.run(command, check=True)
    return str(result.stdout)
