"""``sandbox create --wait``, ``ssh connect``, ``ssh cp``: poll a sandbox until it is running.

It is read again after 0.5 s, then after waits that double up to 5 s, until
its state is ``running`` (done), a state on the way there (``starting``,
``unpausing``: wait on), or any other (it will not run: an error saying what
to do, from ``states.advice``), or until ``--wait-timeout`` seconds have
passed (an error naming the sandbox, which is left as it is). On a
terminal, stderr shows a spinner with the state and the time waited, erased
at the end; otherwise nothing is printed while waiting.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from . import report
from .output import clean
from .spec import DEFAULT_WAIT_TIMEOUT
from .states import ON_THE_WAY, advice

if TYPE_CHECKING:
    import argparse

    from .._sync.client import Leap0Client
    from ..models import SandboxInfo

__all__ = ["FIRST_POLL", "MAX_POLL", "timeout", "until_running"]

FIRST_POLL = 0.5
MAX_POLL = 5.0
_FRAMES = "|/-\\"
_FRAME_SECONDS = 0.1

# Read through the module, so tests can run the clock themselves.
clock = time.monotonic
sleep = time.sleep


def timeout(args: argparse.Namespace) -> float:
    """``--wait-timeout``, or its default when it was not given."""
    given: float | None = args.wait_timeout
    return DEFAULT_WAIT_TIMEOUT if given is None else given


class _Spinner:
    def __init__(self, sandbox_id: str) -> None:
        try:
            self.shown = sys.stderr.isatty()
        except (AttributeError, ValueError):
            self.shown = False
        self.sandbox_id = clean(sandbox_id)
        self.frame = 0

    def show(self, state: str, waited: float) -> None:
        if self.shown:
            frame = _FRAMES[self.frame % len(_FRAMES)]
            self.frame += 1
            text = f"{frame} waiting for sandbox {self.sandbox_id}: {clean(state)}, {waited:.0f} s"
            sys.stderr.write(f"\r\033[K{text}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def until_running(client: Leap0Client, info: SandboxInfo, *, timeout: float) -> SandboxInfo:
    """``info`` once its sandbox is running; :class:`report.Problem` (exit 1) if it is not."""
    start = clock()
    spinner = _Spinner(info.id)
    interval = FIRST_POLL
    try:
        while info.state in ON_THE_WAY:
            waited = clock() - start
            if waited >= timeout:
                raise report.Problem(
                    f"sandbox {clean(info.id)} is still {clean(info.state)} after "
                    f"{timeout:g} s (--wait-timeout); it is left as it is",
                    code="wait_timeout",
                    status=1,
                )
            until = min(start + timeout, clock() + interval)
            while (now := clock()) < until:
                spinner.show(info.state, now - start)
                sleep(min(_FRAME_SECONDS if spinner.shown else interval, until - now))
            interval = min(interval * 2, MAX_POLL)
            info = client.sandboxes.get_info(info.id)
    finally:
        spinner.close()
    if info.state != "running":
        raise report.Problem(
            advice(info.id, info.state),
            code="not_running",
            status=1,
        )
    return info
