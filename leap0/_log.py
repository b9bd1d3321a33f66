"""``LEAP0_LOG``: the SDK's log on stderr without configuring logging by hand (pure, shared).

``LEAP0_LOG=debug`` shows every request and attempt (method, path, status,
retries: the ``leap0`` logger at DEBUG), ``LEAP0_LOG=info`` only retries and
what is worth a line. It is read when the first client is built, once per
process, and adds one handler to the ``leap0`` logger, unless that logger
already has one (your own configuration wins). No API key or password is
ever in a ``leap0`` log line.
"""

from __future__ import annotations

import logging
import os

from ._constants import LOG_ENV

__all__ = ["FORMAT", "env_level", "setup_from_env"]

#: The format of the handler added (the ``leap0`` command's ``--debug`` uses it too).
FORMAT = "[%(asctime)s %(name)s %(levelname)s] %(message)s"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_done: list[bool] = []


def env_level() -> int | None:
    """The level ``LEAP0_LOG`` asks for (``debug``, ``info``, any case), else ``None``."""
    return _LEVELS.get(os.environ.get(LOG_ENV, "").strip().lower())


def setup_from_env() -> None:
    """Add a stderr handler to the ``leap0`` logger if ``LEAP0_LOG`` asks for one (once)."""
    if _done:
        return
    _done.append(True)
    level = env_level()
    if level is None:
        return
    logger = logging.getLogger("leap0")
    if logger.handlers:
        return
    handler = logging.StreamHandler()  # stderr
    handler.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(handler)
    logger.setLevel(level)
