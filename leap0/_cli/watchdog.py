"""The watchdog of ``ssh connect`` and ``ssh cp``: the credential is revoked if leap0 is killed.

leap0 revokes the credential it issued for a session when the session ends,
whatever ends it (an error, Ctrl-C, SIGTERM, SIGHUP, SIGQUIT), but a SIGKILL
(or a crash of the interpreter) stops leap0 before it can. So before ``ssh``
starts, leap0 starts this small process, ``python -m leap0._cli.watchdog``,
in a session of its own (Ctrl-C and a hang-up on the terminal do not reach
it), reading a pipe whose other end only leap0 holds (``ssh`` and ``scp``
do not inherit it). Over the pipe go JSON lines: the settings, the API key
among them (so it is in no process's arguments or environment, which other
processes may read), then the credential, then the askpass directory; and at
the very end, after leap0's own revoke, ``done``, upon which it exits.

If the pipe closes without ``done`` (leap0 was killed), the watchdog removes
the askpass directory, revokes the credential through the SDK with leap0's
settings, and says so on leap0's stderr (or, if that fails, how to revoke it).
With ``--keep`` it is given no credential (it is the user's): it only removes
the directory.
What a SIGKILL to leap0 still leaves: ``ssh`` runs on until the service ends
its session (it does once the credential is revoked); and if the watchdog is
killed too (``kill -9 -1``, the OOM killer, a power cut), the credential,
until it expires, and the password file, if ``ssh`` had not read it yet.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
from typing import Any

from .._constants import API_KEY_ENV

__all__ = ["MODULE", "Settings", "Watchdog", "main"]

MODULE = "leap0._cli.watchdog"
_DONE = b"done\n"


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the watchdog needs to reach the service as leap0 did."""

    api_key: str
    base_url: str | None
    timeout: float | None
    """``--request-timeout``, or ``None`` for the SDK's default."""
    max_retries: int
    label: str
    """What leap0 was running, for the note: ``ssh connect``."""


class Watchdog:
    """leap0's end of the pipe to a running watchdog (``process``)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process

    @classmethod
    def start(cls, settings: Settings) -> Watchdog:
        """Start a watchdog and hand it ``settings``; ``OSError`` if it cannot start."""
        env = {key: value for key, value in os.environ.items() if key != API_KEY_ENV}
        process = subprocess.Popen(
            [sys.executable, "-m", MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env=env,
            close_fds=True,
            start_new_session=True,
        )
        dog = cls(process)
        dog._send({"settings": dataclasses.asdict(settings)})
        return dog

    def guard(self, sandbox_id: str, access_id: str, ssh_api: str, how: str) -> None:
        """The credential to revoke if leap0 dies; ``how``: how to revoke it by hand."""
        credential = {"sandbox_id": sandbox_id, "access_id": access_id, "ssh_api": ssh_api}
        self._send({"credential": {**credential, "how": how}})

    def directory(self, path: str) -> None:
        """The askpass directory, to remove if leap0 dies."""
        self._send({"directory": path})

    def done(self) -> None:
        """leap0 is done with the credential: the watchdog exits, doing nothing."""
        self._write(_DONE)
        self.abandon()
        with contextlib.suppress(subprocess.TimeoutExpired):  # still starting: it exits anyway
            self.process.wait(timeout=10)

    def abandon(self) -> None:
        """Close the pipe without ``done``: what leap0's death looks like to the watchdog."""
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()

    def _send(self, message: dict[str, Any]) -> None:
        self._write(json.dumps(message).encode("utf-8") + b"\n")

    def _write(self, data: bytes) -> None:
        stdin = self.process.stdin
        try:
            if stdin is not None and not stdin.closed:
                stdin.write(data)
                stdin.flush()
        except OSError:  # the watchdog is gone: there is nobody to tell
            pass


# -- the watchdog process ------------------------------------------------------------


def main() -> int:
    """Read leap0's pipe; at its end without ``done``, clean up after leap0."""
    for name in ("SIGINT", "SIGHUP", "SIGQUIT", "SIGTSTP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    state: dict[str, Any] = {}
    for line in sys.stdin.buffer:
        if line == _DONE:
            return 0
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict):
            state.update(message)
    directory = state.get("directory")
    if isinstance(directory, str) and os.path.basename(directory).startswith("leap0-ssh-"):
        shutil.rmtree(directory, ignore_errors=True)
    if "settings" in state and "credential" in state:
        _say(_revoke(Settings(**state["settings"]), state["credential"]))
    return 0


def _revoke(settings: Settings, credential: dict[str, str]) -> str | None:
    """Revoke the credential; the note to leave on stderr (``None``: it was gone already)."""
    from leap0 import Leap0Client
    from leap0.errors import Leap0Error, Leap0NotFoundError

    label = f"{settings.label} {credential['sandbox_id']}"
    what = f"SSH credential {credential['access_id']}"
    ended = f"{label}: leap0 ended before revoking its credential (was it killed?)"
    options: dict[str, Any] = {"max_retries": settings.max_retries}
    if settings.timeout is not None:
        options["timeout"] = settings.timeout
    try:
        with Leap0Client(
            api_key=settings.api_key,
            base_url=settings.base_url,
            ssh_api=credential["ssh_api"],  # type: ignore[arg-type]
            **options,
        ) as client:
            client.ssh.delete_access(credential["sandbox_id"], access_id=credential["access_id"])
    except Leap0NotFoundError:
        return None
    except (Leap0Error, ValueError) as exc:
        return f"{ended}, and {what} could not be revoked ({exc}); {credential['how']}"
    return f"{ended}: revoked {what}"


def _say(note: str | None) -> None:
    if note is None:
        return
    from leap0._cli.output import clean

    with contextlib.suppress(OSError, ValueError):
        print(f"leap0: {clean(note)}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
