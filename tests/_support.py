"""Shared test data and plain helpers: wire bodies as the service sends them, a fake clock,
SSH logins. None of it is async code, so the async tests and their generated sync twins
share it; plain servers are in ``tests/_servers.py``."""

from __future__ import annotations

from typing import Any

API_KEY = "test-key-0123456789"
BASE_URL = "https://api.leap0.test"
PASSWORD = "s3cret-Pa55word-do-not-leak"
SANDBOX_ID = "sbx-abc123"
ACCESS_ID = "ssh-7f3a"


def access_json(**overrides: Any) -> dict[str, Any]:
    body = {
        "id": ACCESS_ID,
        "sandbox_id": SANDBOX_ID,
        "password": PASSWORD,
        "expires_at": "2026-11-26T05:00:00Z",
        "created_at": "2026-11-26T04:00:00Z",
        "updated_at": "2026-11-26T04:00:00Z",
        "ssh_command": f"ssh -p 2222 {ACCESS_ID}@ssh.leap0.test",
    }
    body.update(overrides)
    return body


def sandbox_json(**overrides: Any) -> dict[str, Any]:
    body = {
        "id": SANDBOX_ID,
        "template_id": "system/debian:bookworm",
        "vcpu": 1,
        "memory": 1024,
        "disk": 10240,
        "timeout": 300,
        "state": "running",
        "auto_pause": False,
        "created_at": "2026-11-26T04:00:00Z",
    }
    body.update(overrides)
    return body


def url(path: str) -> str:
    return BASE_URL + path


#: The SSH methods, and whether each may be repeated once it may have reached the service.
METHODS = ["create", "delete", "validate", "regenerate"]
IDEMPOTENT = {"create": False, "delete": True, "validate": True, "regenerate": True}


def retried(kind: str, method: str) -> bool:
    """Whether a fault retried for ``kind`` (``"all"``, ``"idempotent"``, ``"none"``) is, for ``method``."""
    return kind == "all" or (kind == "idempotent" and IDEMPOTENT[method])


class FakeClock:
    """``time.monotonic`` for the transport's deadlines: each reading is ``step`` later.

    Set as ``leap0._deadline._now`` (the clock every deadline reads; there is
    no public one), so a test decides how much time an attempt took.
    """

    def __init__(self, step: float) -> None:
        self.now = 1000.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


class SshLoginRefused(Exception):
    pass


def ssh_run(host: str, port: int, username: str, password: str, command: str) -> tuple[int, str]:
    """Log in with asyncssh and run ``command``: (exit status, stdout). Usable from any thread."""
    import asyncio
    import concurrent.futures

    import asyncssh

    async def run() -> tuple[int, str]:
        try:
            conn = await asyncio.wait_for(
                asyncssh.connect(
                    host,
                    port,
                    username=username,
                    password=password,
                    known_hosts=None,
                    client_keys=None,
                    agent_path=None,
                    preferred_auth="password",
                ),
                timeout=15,
            )
        except asyncssh.PermissionDenied as exc:
            raise SshLoginRefused(str(exc)) from None
        async with conn:
            result = await asyncio.wait_for(conn.run(command), timeout=15)
            return int(result.exit_status or 0), str(result.stdout)

    # A thread of its own, so this works inside a running event loop as well.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=40)


def openssh_run(ssh_command: str, password: str, command: str) -> tuple[int, str, str]:
    """Run ``ssh_command`` (as issued, e.g. ``ssh -p PORT user@host``) with OpenSSH.

    The password is handed over through SSH_ASKPASS, never on the command line.
    """
    import os
    import shlex
    import stat
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        askpass = os.path.join(tmp, "askpass")
        with open(askpass, "w") as fh:
            fh.write('#!/bin/sh\nprintf "%s\\n" "$LEAP0_TEST_SSH_PASSWORD"\n')
        os.chmod(askpass, stat.S_IRWXU)
        env = dict(os.environ)
        env.update(
            SSH_ASKPASS=askpass,
            SSH_ASKPASS_REQUIRE="force",
            DISPLAY=env.get("DISPLAY", ":0"),
            LEAP0_TEST_SSH_PASSWORD=password,
        )
        issued = shlex.split(ssh_command)
        assert issued[0] == "ssh"
        argv = [
            "ssh",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "PreferredAuthentications=password",
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "NumberOfPasswordPrompts=1",
            "-o",
            "ConnectTimeout=10",
            *issued[1:],
            command,
        ]
        assert password not in argv
        proc = subprocess.run(
            argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
        )
        return proc.returncode, proc.stdout, proc.stderr


def openssh_logs_in(access: Any, password: str | None = None) -> bool:
    """Whether OpenSSH logs in with ``access`` (its password, or ``password``) and runs a command."""
    status, out, err = openssh_run(
        access.command, access.password if password is None else password, "echo in"
    )
    if status == 0:
        assert out == "in\n"
        return True
    assert out == "", err
    return False
