# Generated from leap0/_async/_transport.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
"""The one seam between the service clients and HTTP: ``Transport``.

``Transport`` is what the service clients need: send one API request,
return its decoded JSON (``None`` for an expected ``204``), or raise a
``Leap0Error``. ``HttpxTransport`` (``leap0._async._httpx_transport``)
is the backend on ``httpx.Client``; another implementation, e.g. a fake
for tests, needs only ``request`` and ``close``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from .._config import TimeoutTypes

__all__ = ["Transport"]


class Transport(Protocol):
    """What the service clients send their requests through."""

    def request(
        self,
        method: str,
        path: str,
        *,
        expected_status: int,
        idempotent: bool,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        timeout: TimeoutTypes = None,
    ) -> Any:
        """Send one API request; return the decoded JSON, or ``None`` when ``204`` is expected.

        ``path`` starts with ``/`` and holds only validated segments.
        ``idempotent`` says whether the operation is safe to repeat after it
        may have reached the service. ``timeout`` overrides the transport's
        timeout for this call; ``None`` keeps it. Failures raise ``Leap0Error``.
        A ``DELETE`` is done when a retry after an attempt that may have acted
        answers ``404`` (see ``leap0._retry``).
        """
        ...

    def close(self) -> None:
        """Release the transport's connections."""
        ...
