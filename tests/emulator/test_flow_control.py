"""A session writing to a client that reads nothing costs the emulator bounded memory.

The emulator runs in a process of its own (``python -m leap0.emulator``), so
its resident memory (``VmRSS``) is its own. A session runs ``cat /dev/zero``
(on a terminal, and without one) to an asyncssh client that stops reading at
once; the test follows what ``cat`` has written (``/proc/<pid>/io``) until it
has written :data:`ENOUGH` or stays blocked, then checks the emulator's
memory, and that the output flows again once the client reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import asyncssh
import httpx
import pytest

from ._helpers import create_access, create_sandbox
from ._openssh import MODES
from ._process import _exports

pytestmark = pytest.mark.skipif(
    not os.path.isdir("/proc/self"), reason="reads processes' memory and output in /proc (Linux)"
)

TIMEOUT = 30.0
MIB = 1 << 20
#: The emulator's resident memory must stay under this.
RSS_LIMIT = 200 * MIB
#: Far more than the flow-controlled path holds (a channel window and a few buffers):
#: written by then, the output was not held back.
ENOUGH = 512 * MIB
#: How many looks, a tenth of a second apart, without output make "blocked".
STILL = 20


@contextlib.contextmanager
def emulator_process(mode: str) -> Iterator[tuple[int, httpx.Client]]:
    """The emulator in a process of its own: its pid and an API client."""
    argv = [sys.executable, "-m", "leap0.emulator", "--api-port", "0", "--ssh-port", "0"]
    if mode == "off":
        argv += ["--isolation", "off"]
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL, text=True
        )
        try:
            found = _exports(proc)
            if found is None:
                errors.seek(0)
                raise RuntimeError(f"the emulator did not start:\n{errors.read()}")
            headers = {"Authorization": f"Bearer {found['LEAP0_API_KEY']}"}
            with httpx.Client(
                base_url=found["LEAP0_BASE_URL"], headers=headers, timeout=30.0, trust_env=False
            ) as api:
                yield proc.pid, api
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")  # pragma: no cover


def written(pid: int) -> int:
    with open(f"/proc/{pid}/io") as io:
        for line in io:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    raise AssertionError("no wchar")  # pragma: no cover


def find_cat(sandbox_id: str) -> int | None:
    """The pid of the session's ``cat /dev/zero`` (its environment names the sandbox)."""
    mark = f"/{sandbox_id}/".encode()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as handle:
                if handle.read() != b"cat\0/dev/zero\0":
                    continue
            with open(f"/proc/{name}/environ", "rb") as handle:
                if mark in handle.read():
                    return int(name)
        except OSError:
            continue
    return None


async def connect(access: dict[str, Any]) -> asyncssh.SSHClientConnection:
    parts = shlex.split(access["ssh_command"])
    user, _, host = parts[-1].partition("@")
    port = int(parts[parts.index("-p") + 1])
    return await asyncio.wait_for(
        asyncssh.connect(
            host,
            port,
            username=user,
            password=access["password"],
            known_hosts=None,
            client_keys=None,
            agent_path=None,
            config=None,
            preferred_auth="password",
        ),
        TIMEOUT,
    )


@pytest.mark.parametrize("term_type", ["xterm", None], ids=["pty", "pipes"])
@pytest.mark.parametrize("mode", MODES)
async def test_output_to_a_client_that_does_not_read_is_held_back(
    mode: str, term_type: str | None
) -> None:
    with emulator_process(mode) as (pid, api):
        sandbox = create_sandbox(api)
        access = create_access(api, sandbox["id"])
        async with await connect(access) as conn:
            process = await conn.create_process(
                "exec cat /dev/zero", term_type=term_type, encoding=None
            )
            process.channel.pause_reading()  # reads nothing from now on
            cat = None
            while cat is None:
                cat = find_cat(sandbox["id"])
                await asyncio.sleep(0.05)
            highest, last, still = rss(pid), -1, 0
            while still < STILL:
                now = written(cat)
                highest = max(highest, rss(pid))
                if now >= ENOUGH:
                    break
                still = still + 1 if now == last else 0
                last = now
                await asyncio.sleep(0.1)
            assert highest < RSS_LIMIT, f"{highest / MIB:.0f} MiB after {now / MIB:.0f} MiB"
            assert now < ENOUGH, f"cat wrote {now / MIB:.0f} MiB: its output was not held back"
            # Reading again, the output flows again.
            process.channel.resume_reading()
            got = 0
            while got < 8 * MIB:
                chunk = await asyncio.wait_for(process.stdout.read(MIB), TIMEOUT)
                assert chunk
                got += len(chunk)
            assert written(cat) > now
            assert rss(pid) < RSS_LIMIT
            process.close()
