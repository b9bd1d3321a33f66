"""What the emulator's HTTP routes share: handlers, route tables, errors, JSON bodies.

Imported only when an emulator starts: it needs the ``emulator`` extra.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._validate import no_body, parse_json_object

__all__ = [
    "AUTHENTICATED",
    "MAX_BODY",
    "REQUEST_ID",
    "HTTPError",
    "Handler",
    "Routes",
    "error_response",
    "new_request_id",
    "read_body",
    "read_json",
    "read_no_body",
]

#: The largest request body taken, in bytes (413 beyond).
MAX_BODY = 1 << 20

#: The header naming each answer's request; every answer has exactly one.
REQUEST_ID = b"x-request-id"

#: The scope key of a callable marking the request's connection authenticated (it sent
#: the API key), set by the emulator's HTTP protocol; absent when served otherwise.
AUTHENTICATED = "leap0.emulator.authenticated"


def new_request_id() -> str:
    """A new request id, ``req_`` and 24 hex digits."""
    return "req_" + secrets.token_hex(12)


Handler = Callable[[Request, dict[str, str]], Awaitable[Response]]
"""A route's handler: the request and the path's named segments, decoded."""

Routes = list[tuple[str, dict[str, Handler]]]
"""Path patterns (regular expressions over the canonical path) and their handlers by method."""


def error_response(
    status: int,
    message: str,
    errors: list[tuple[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``{"message": ...}``, with ``"errors": [{"field", "error"}, ...]`` when given."""
    body: dict[str, Any] = {"message": message}
    if errors is not None:
        body["errors"] = [{"field": field, "error": error} for field, error in errors]
    return JSONResponse(body, status_code=status, headers=headers)


class HTTPError(Exception):
    """An answer other than the handler's: 405, 413, no route."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers

    def response(self) -> Response:
        return error_response(self.status, self.message, headers=self.headers)


async def read_body(request: Request) -> bytes:
    """The request's body.

    Raises:
        HTTPError: 413 beyond :data:`MAX_BODY` bytes.
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise HTTPError(413, "request body too large")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request) -> dict[str, Any]:
    """The request's body as a checked JSON object (see :func:`parse_json_object`).

    Raises:
        HTTPError: 413 beyond :data:`MAX_BODY` bytes.
        Invalid: The body is not a JSON object of valid text.
    """
    return parse_json_object(await read_body(request))


async def read_no_body(request: Request) -> None:
    """Check that a route taking no body got none (or ``{}``, or ``null``: :func:`no_body`).

    Raises:
        HTTPError: 413 beyond :data:`MAX_BODY` bytes.
        Invalid: Something else was sent; each field of an object is named.
    """
    no_body(await read_body(request))
