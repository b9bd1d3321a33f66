"""Turning answers and transport failures into results or leap0 errors (pure, shared)."""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from typing import Any

import httpx

from ._retry import parse_retry_after
from .errors import (
    Leap0APIError,
    Leap0AuthenticationError,
    Leap0BadRequestError,
    Leap0ConflictError,
    Leap0ConnectionError,
    Leap0Error,
    Leap0NotFoundError,
    Leap0PermissionError,
    Leap0RateLimitError,
    Leap0ResponseError,
    Leap0ServerError,
    Leap0TimeoutError,
    Leap0TLSError,
)

__all__ = [
    "MAX_ANSWER_BYTES",
    "api_error",
    "attempt_timeout_error",
    "decode_json",
    "encoded_answer_error",
    "never_sent",
    "queue_timeout_error",
    "too_large_error",
    "transport_error",
]

MAX_ANSWER_BYTES = 8 * 1024 * 1024
"""The largest answer body read (8 MiB); a larger one is a ``Leap0ResponseError``.

The service's answers are a few hundred bytes of JSON. Reading stops at the
limit: the rest of a larger body is never read.
"""

_BY_STATUS: dict[int, type[Leap0APIError]] = {
    400: Leap0BadRequestError,
    401: Leap0AuthenticationError,
    403: Leap0PermissionError,
    404: Leap0NotFoundError,
    409: Leap0ConflictError,
    429: Leap0RateLimitError,
}

_loads = json.loads


def decode_json(content: bytes, status_code: int) -> Any:
    """The JSON body of a successful answer, or ``Leap0ResponseError``."""
    if not content:
        raise Leap0ResponseError(
            f"expected a JSON body, got an empty answer (status {status_code})",
            status_code=status_code,
        )
    try:
        return _loads(content)
    except (ValueError, RecursionError):
        # ValueError covers UnicodeDecodeError; RecursionError is JSON nested
        # deeper than Python's stack allows.
        raise Leap0ResponseError(
            f"expected a JSON body, got {len(content)} bytes that are not JSON "
            f"or are nested too deeply (status {status_code})",
            status_code=status_code,
        ) from None


def _error_body(content: bytes) -> object:
    if not content:
        return None
    try:
        return _loads(content)
    except (ValueError, RecursionError):
        return content[:2000].decode("utf-8", "replace")


def too_large_error(status_code: int, method: str, path: str) -> Leap0ResponseError:
    """The error for an answer whose body is larger than ``MAX_ANSWER_BYTES``."""
    return Leap0ResponseError(
        f"{method} {path}: the answer (status {status_code}) is larger than "
        f"{MAX_ANSWER_BYTES // (1024 * 1024)} MiB; it was not read",
        status_code=status_code,
    )


def encoded_answer_error(status_code: int, method: str, path: str) -> Leap0ResponseError:
    """The error for an answer compressed although ``Accept-Encoding: identity`` was asked."""
    return Leap0ResponseError(
        f"{method} {path}: the answer (status {status_code}) has a Content-Encoding "
        "although none was accepted",
        status_code=status_code,
    )


def _attempts(attempts: int) -> str:
    return f"({attempts} attempt{'' if attempts == 1 else 's'})"


def attempt_timeout_error(
    method: str, path: str, seconds: float | None, attempts: int
) -> Leap0TimeoutError:
    """The error for an attempt that outlasted its timeout as a whole, the ``attempts``-th."""
    limit = "its timeout" if seconds is None else f"its {seconds:g} s timeout"
    return Leap0TimeoutError(
        f"{method} {path}: timed out: the attempt took longer than {limit} {_attempts(attempts)}"
    )


def queue_timeout_error(
    method: str, path: str, seconds: float | None, attempts: int
) -> Leap0TimeoutError:
    """The error for an attempt whose time ran out before its request started to go out.

    Waiting in the client's queue, for a pooled connection, or connecting:
    nothing was sent, so every operation may retry it.
    """
    limit = "its timeout" if seconds is None else f"its {seconds:g} s timeout"
    return Leap0TimeoutError(
        f"{method} {path}: timed out waiting for a free connection (or connecting) within "
        f"{limit}; nothing was sent {_attempts(attempts)}"
    )


def api_error(
    status_code: int,
    reason: str,
    headers: Mapping[str, str],
    content: bytes,
    method: str,
    path: str,
) -> Leap0APIError:
    """The ``Leap0APIError`` subclass for an answer with an unexpected status."""
    body = _error_body(content)
    message = None
    if isinstance(body, dict):
        raw = body.get("message")
        if isinstance(raw, str) and raw:
            message = raw
    if message is None:
        message = reason or "unexpected status"
    if status_code >= 500:
        cls: type[Leap0APIError] = Leap0ServerError
    else:
        cls = _BY_STATUS.get(status_code, Leap0APIError)
    kwargs: dict[str, Any] = {
        "status_code": status_code,
        "method": method,
        "path": path,
        "body": body,
        "headers": headers,
        "request_id": headers.get("x-request-id") or headers.get("request-id"),
    }
    if cls is Leap0RateLimitError:
        kwargs["retry_after"] = parse_retry_after(headers.get("retry-after"))
    return cls(message, **kwargs)


def never_sent(exc: httpx.HTTPError) -> bool:
    """Whether the failed request certainly never reached the service."""
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def _certificate_failure(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind ``exc`` (httpx wraps httpcore wraps ssl)."""
    seen: BaseException | None = exc
    for _ in range(8):  # a chain is short; never loop on a cycle
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def transport_error(exc: httpx.HTTPError, method: str, path: str, attempts: int) -> Leap0Error:
    """The leap0 error for an httpx failure that left no answer to read, on the ``attempts``-th.

    Timeouts and connection errors say how many attempts were made.
    """
    where = f"{method} {path}"
    made = _attempts(attempts)
    if isinstance(exc, httpx.TimeoutException):
        kind = {
            httpx.ConnectTimeout: " connecting",
            httpx.ReadTimeout: " waiting for the answer",
            httpx.WriteTimeout: " sending the request",
            httpx.PoolTimeout: " waiting for a free connection",
        }.get(type(exc), "")
        return Leap0TimeoutError(f"{where}: timed out{kind} {made}")
    if isinstance(exc, httpx.ConnectError):
        failure = _certificate_failure(exc)
        if failure is not None:
            reason = failure.verify_message or failure.reason or "verification failed"
            return Leap0TLSError(
                f"{where}: the service's TLS certificate could not be verified ({reason}); "
                "not retried (set SSL_CERT_FILE, or hand in an http_client with the right "
                "verify=, if the service uses a certificate of your own)"
            )
        return Leap0ConnectionError(f"{where}: could not connect to the service ({exc}) {made}")
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return Leap0ConnectionError(
            f"{where}: the connection was dropped before a full answer {made}"
        )
    if isinstance(exc, httpx.DecodingError):
        return Leap0ResponseError(f"{where}: the answer could not be decoded ({exc})")
    return Leap0ConnectionError(f"{where}: {type(exc).__name__}: {exc} {made}")
