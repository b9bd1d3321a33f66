"""``--debug`` and ``LEAP0_LOG``: the SDK's log on stderr while a command talks to the service.

``leap0 --debug ...`` shows the ``leap0`` logger at DEBUG (every request and
attempt: method, path, status, retries), the same as ``LEAP0_LOG=debug``,
which the command line honours too (``LEAP0_LOG=info``: retries and what is
worth a line). The SDK reads ``LEAP0_LOG`` itself only once a process, when
its first client is built (``leap0._log``); this handler is the command's
own, added before its client is built (so the SDK adds none) and removed
after, so that a second command in the same process logs as it asks. No API
key or password is ever in a ``leap0`` log line.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

from .._log import FORMAT, env_level

__all__ = ["level", "sdk_log"]


def level(debug: bool) -> int | None:
    """The level to log at: DEBUG for ``--debug``, else ``LEAP0_LOG``'s, else ``None``."""
    if debug:
        return logging.DEBUG
    return env_level()


@contextlib.contextmanager
def sdk_log(debug: bool) -> Iterator[None]:
    """Inside, the ``leap0`` logger writes to stderr at :func:`level` (if any)."""
    at = level(debug)
    logger = logging.getLogger("leap0")
    if at is None or logger.handlers:  # a handler configured already wins, as in leap0._log
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(at)  # the logger may be lowered to DEBUG meanwhile (retries.py)
    before = logger.level
    logger.addHandler(handler)
    logger.setLevel(at)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)
