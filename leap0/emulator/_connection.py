"""One HTTP connection's rules: uvicorn's h11 protocol with deadlines and a waiting room.

Imported only when an emulator starts: it needs the ``emulator`` extra.

* Each request must arrive whole within ``request_timeout`` seconds of its
  first byte (of the connection opening, for the first one). uvicorn's own
  timer (``timeout_keep_alive``) runs only between requests: a client that
  sends part of a request line, headers or body, or nothing at all, would
  hold its connection (and a file descriptor) forever. Waiting for the answer
  does not count.
* Until one of its requests carries the API key, a connection waits in a
  :class:`~._waiting.WaitingRoom`: at most ``max_unauthenticated`` do, and one
  more closes the oldest.
* The server's own answer to bytes that are not HTTP (400) carries an
  ``x-request-id`` too, as every other answer does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import h11
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from ._http import AUTHENTICATED, new_request_id
from ._waiting import WaitingRoom

__all__ = ["http_protocol"]

log = logging.getLogger("leap0.emulator")


class _MarksAuthentication:
    """The app, as one connection calls it: its scopes say how to mark it authenticated."""

    def __init__(self, app: ASGIApp, authenticated: Callable[[], None]) -> None:
        self._app = app
        self._authenticated = authenticated

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[AUTHENTICATED] = self._authenticated
        await self._app(scope, receive, send)


def http_protocol(
    request_timeout: Callable[[], float], waiting: WaitingRoom
) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with the emulator's rules (see the module's description)."""

    class EmulatorProtocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)  # type: ignore[arg-type]
            self.app = _MarksAuthentication(self.app, self._authenticated)
            waiting.enter(self, self._refuse)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._watch()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            # A pipelined request may already be partly here; an idle
            # connection is uvicorn's keep-alive timer's to close.
            if self.conn.their_state is h11.SEND_BODY or (
                self.conn.their_state is h11.IDLE and self.conn.trailing_data[0]
            ):
                self._arm()
            else:
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            waiting.leave(self)
            self._disarm()
            super().connection_lost(exc)

        def send_400_response(self, msg: str) -> None:
            """uvicorn's answer to what is not HTTP, with an ``x-request-id`` as every answer."""
            headers = [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"connection", b"close"),
                (b"x-request-id", new_request_id().encode("ascii")),
            ]
            event = h11.Response(status_code=400, headers=headers, reason=b"Bad Request")
            for part in (event, h11.Data(data=msg.encode("ascii")), h11.EndOfMessage()):
                output = self.conn.send(part)
                if output:
                    self.transport.write(output)
            self.transport.close()

        def _authenticated(self) -> None:
            waiting.leave(self)

        def _refuse(self) -> None:
            if not self.transport.is_closing():
                self.transport.close()

        def _watch(self) -> None:
            if self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
                self._arm()  # a request is on its way: keep its first deadline
            else:
                self._disarm()  # the request is whole (or the connection is ending)

        def _arm(self) -> None:
            if self._deadline is None and not self.transport.is_closing():
                self._deadline = self.loop.call_later(request_timeout(), self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if self.flow.read_paused:
                # The server stopped reading (the app is not taking the body yet):
                # the wait is not the client's.
                self._arm()
                return
            if not self.transport.is_closing():
                log.debug("closing a connection whose request did not arrive in time")
                self.transport.close()

    return EmulatorProtocol
