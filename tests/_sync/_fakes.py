# Generated from tests/_async/_fakes.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
"""The one fake ``Transport`` of the tests: it sends nothing, records every request.

It has exactly the protocol's signature, so a client takes it as any other
transport (no ``type: ignore``). Written once, here, and generated into
``tests/_sync`` as the blocking client's ``Transport``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from leap0 import Transport
from leap0._config import TimeoutTypes

__all__ = ["FakeTransport", "Sent"]


class Sent(NamedTuple):
    """One request a service client handed to the transport."""

    method: str
    path: str
    json: Any = None
    params: Mapping[str, str | int] | None = None


class FakeTransport:
    """An ``Transport`` answering every request with ``answer`` (``None``: as for a 204).

    ``sent`` holds each request, in order; ``closed`` says whether the client
    closed it.
    """

    def __init__(self, answer: Any = None) -> None:
        self.answer = answer
        self.sent: list[Sent] = []
        self.closed = False

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
        self.sent.append(Sent(method, path, json, params))
        return self.answer

    def close(self) -> None:
        self.closed = True


def _is_a_transport(fake: FakeTransport) -> Transport:
    return fake  # type checkers check here that the fake has the protocol's signature
