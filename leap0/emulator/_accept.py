"""Failures to accept a connection, as one log line a second instead of a traceback each.

When the process runs out of file descriptors, asyncio logs a traceback for
every failed ``accept()``, and retries each listener many times a second: a
flood of connections then writes megabytes of tracebacks to stderr. The
emulator's event loop logs them through a :class:`~._burst.BurstLog`
instead. Light module: the standard library only.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from typing import Any

from ._burst import BurstLog

__all__ = ["quiet_accept_errors"]

log = logging.getLogger("leap0.emulator")

# What asyncio reports, and then retries, when accept() runs out of a resource.
_RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> None:
    """Make ``loop`` log failed accepts as a burst; everything else as before."""
    reason = ["?"]
    burst = BurstLog(
        log,
        "%d accept() call(s) failed: %s (the process's file-descriptor limit?); "
        "retrying each second",
        lambda: (reason[0],),
    )

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if (
            isinstance(exc, OSError)
            and exc.errno in _RESOURCE_ERRORS
            and "accept" in str(context.get("message", ""))
        ):
            reason[0] = exc.strerror or str(exc)
            burst.note()
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handle)
