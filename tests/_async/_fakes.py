"""The one fake ``AsyncTransport`` of the tests: it sends nothing, records every request.

It has exactly the protocol's signature, so a client takes it as any other
transport (no ``type: ignore``). Written once, here, and generated into
``tests/_sync`` as the blocking client's ``Transport``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from leap0 import AsyncTransport
from leap0._config import TimeoutTypes

__all__ = ["FakeTransport", "Sent"]


class Sent(NamedTuple):
    """One request a service client handed to the transport."""

    method: str
    path: str
    json: Any = None
    params: Mapping[str, str | int] | None = None


class FakeTransport:
    """An ``AsyncTransport`` answering every request with ``answer`` (``None``: as for a 204).

    ``sent`` holds each request, in order; ``closed`` says whether the client
    closed it.
    """

    def __init__(self, answer: Any = None) -> None:
        self.answer = answer
        self.sent: list[Sent] = []
        self.closed = False

    async def request(
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
        self.sent.append(Sent(method, path, json, params))
        return self.answer

    async def aclose(self) -> None:
        self.closed = True


def _is_a_transport(fake: FakeTransport) -> AsyncTransport:
    return fake  # type checkers check here that the fake has the protocol's signature
