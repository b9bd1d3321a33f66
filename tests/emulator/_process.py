"""An emulator in a process of its own (``python -m leap0.emulator``), for what a process costs."""

from __future__ import annotations

import contextlib
import os
import queue
import shlex
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from ._helpers import create_access, create_sandbox

_START_TIMEOUT = 60.0


class EmulatorProcess:
    """The running emulator: its pid, its API (an httpx client), a sandbox's credential."""

    def __init__(self, pid: int, base_url: str, api_key: str) -> None:
        self.pid = pid
        self.api = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=30.0,
            trust_env=False,
        )

    def credential(self) -> dict[str, Any]:
        """A new sandbox's SSH credential, as the API answers it."""
        return create_access(self.api, create_sandbox(self.api)["id"])

    def open_fds(self) -> int:
        """How many file descriptors it holds now (Linux)."""
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def threads(self) -> int:
        """How many threads it runs now (Linux)."""
        return len(os.listdir(f"/proc/{self.pid}/task"))


@contextlib.contextmanager
def emulator_process(preexec_fn: Callable[[], None] | None = None) -> Iterator[EmulatorProcess]:
    """Run the emulator on free loopback ports until the block ends (SIGTERM, then waited for)."""
    argv = [sys.executable, "-m", "leap0.emulator", "--api-port", "0", "--ssh-port", "0"]
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=errors,
            stdin=subprocess.DEVNULL,
            text=True,
            preexec_fn=preexec_fn,
        )
        try:
            found = _exports(proc)
            if found is None:
                errors.seek(0)
                raise RuntimeError(f"the emulator did not start:\n{errors.read()}")
            running = EmulatorProcess(proc.pid, found["LEAP0_BASE_URL"], found["LEAP0_API_KEY"])
            try:
                yield running
            finally:
                running.api.close()
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


def _exports(proc: subprocess.Popen[str]) -> dict[str, str] | None:
    """The ``export LEAP0_BASE_URL=...`` and ``LEAP0_API_KEY`` lines, once printed."""
    stdout = proc.stdout
    assert stdout is not None
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stdout:
            lines.put(line)
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    found: dict[str, str] = {}
    while len(found) < 2:
        try:
            line = lines.get(timeout=_START_TIMEOUT)
        except queue.Empty:
            return None
        if not line:
            return None
        name, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and name in ("LEAP0_BASE_URL", "LEAP0_API_KEY"):
            found[name] = shlex.split(value)[0]
    return found
