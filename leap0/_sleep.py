"""Sleeping between retries: async code calls ``async_sleep``, its generated twin ``sync_sleep``."""

from __future__ import annotations

import time

__all__ = ["async_sleep", "sync_sleep"]


def sync_sleep(seconds: float) -> None:
    time.sleep(seconds)


async def async_sleep(seconds: float) -> None:
    # anyio comes with httpx and sleeps under asyncio and trio alike; it is
    # imported only when a retry first waits, to keep `import leap0` light.
    import anyio

    await anyio.sleep(seconds)
