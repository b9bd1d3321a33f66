"""The exceptions leap0 raises.

Every failure of an API call surfaces as a subclass of :class:`Leap0Error`;
no raw ``httpx``, ``json`` or ``cattrs`` exception escapes the public API.
Bad arguments are the one exception: they raise ``ValueError`` or
``TypeError`` before any request is sent.

The hierarchy::

    Leap0Error
    ├── Leap0APIError                  the service answered with an error status
    │   ├── Leap0BadRequestError       400 (carries ``errors``: the field errors)
    │   ├── Leap0AuthenticationError   401
    │   ├── Leap0PermissionError       403
    │   ├── Leap0NotFoundError         404
    │   ├── Leap0ConflictError         409
    │   ├── Leap0RateLimitError        429 (carries ``retry_after``)
    │   └── Leap0ServerError           5xx
    ├── Leap0ConnectionError           the service could not be reached, or the
    │   │                              connection broke before a full answer
    │   ├── Leap0TimeoutError          a connect, read, write or pool timeout, or an
    │   │                              attempt that outlasted its timeout as a whole
    │   └── Leap0TLSError              the service's certificate failed verification
    ├── Leap0ClientClosedError         the client was closed before the call
    ├── Leap0ResponseError             an answer we cannot understand (not JSON,
    │                                  nested too deeply, compressed, larger than
    │                                  8 MiB, a missing or mistyped field)
    └── Leap0AccessIdRequiredError     the call needs ``access_id`` on the service's
                                       SSH routes (also a ``ValueError``)

No message, ``repr`` or attribute of these exceptions holds the API key, and
request bodies (which may hold a password) are never kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

__all__ = [
    "FieldError",
    "Leap0APIError",
    "Leap0AccessIdRequiredError",
    "Leap0AuthenticationError",
    "Leap0BadRequestError",
    "Leap0ClientClosedError",
    "Leap0ConflictError",
    "Leap0ConnectionError",
    "Leap0Error",
    "Leap0NotFoundError",
    "Leap0PermissionError",
    "Leap0RateLimitError",
    "Leap0ResponseError",
    "Leap0ServerError",
    "Leap0TLSError",
    "Leap0TimeoutError",
]


class Leap0Error(Exception):
    """Base class of every error leap0 raises."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive pickle's default; keep every attribute.
        return (_restore, (type(self), self.message, dict(self.__dict__)))


def _restore(cls: type[Leap0Error], message: str, state: dict[str, Any]) -> Leap0Error:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class FieldError(NamedTuple):
    """One field the service rejected in a ``400`` answer (immutable, compared by value)."""

    field: str
    error: str


class Leap0APIError(Leap0Error):
    """The service answered with a status other than the one expected.

    Attributes:
        status_code: The HTTP status of the answer.
        message: The service's own ``message``, or a summary when it sent none.
        body: The decoded JSON body, the raw text when it was not JSON, or ``None``.
        headers: The answer's headers (the request's Authorization header is
            never among them).
        request_id: The ``x-request-id`` the service sent, if any; quote it
            when you report a problem.
        method: The HTTP method of the request.
        path: The URL path of the request.
    """

    status_code: int
    body: object
    headers: Mapping[str, str]
    request_id: str | None
    method: str
    path: str

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        method: str,
        path: str,
        body: object = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.method = method
        self.path = path
        self.body = body
        self.headers = headers if headers is not None else {}
        self.request_id = request_id

    def __str__(self) -> str:
        text = f"{self.method} {self.path} -> {self.status_code}: {self.message}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code}, "
            f"message={self.message!r}, method={self.method!r}, path={self.path!r}, "
            f"request_id={self.request_id!r})"
        )


class Leap0BadRequestError(Leap0APIError):
    """``400``: the service rejected the request's content.

    ``errors`` lists the rejected fields (empty when the service named none).
    """

    errors: tuple[FieldError, ...]

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors = _field_errors(self.body)

    def __str__(self) -> str:
        text = super().__str__()
        if self.errors:
            text += " [" + "; ".join(f"{e.field}: {e.error}" for e in self.errors) + "]"
        return text


class Leap0AuthenticationError(Leap0APIError):
    """``401``: the API key is missing or not accepted."""


class Leap0PermissionError(Leap0APIError):
    """``403``: the API key may not do this."""


class Leap0NotFoundError(Leap0APIError):
    """``404``: no such sandbox, or no SSH credential on it."""


class Leap0ConflictError(Leap0APIError):
    """``409``: e.g. SSH access already exists, or the sandbox limit is reached."""


class Leap0RateLimitError(Leap0APIError):
    """``429``: too many requests.

    ``retry_after`` is the delay in seconds the service asked for, if it did.
    """

    retry_after: float | None

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Leap0ServerError(Leap0APIError):
    """``5xx``: the service failed."""


class Leap0ConnectionError(Leap0Error):
    """The service could not be reached, or the connection broke mid-answer."""


class Leap0TimeoutError(Leap0ConnectionError):
    """The request timed out.

    Connecting, writing, reading or waiting for a connection took too long, or
    an attempt as a whole took longer than its timeout.
    """


class Leap0ClientClosedError(Leap0Error):
    """The client (or the ``http_client`` handed to it) was closed: nothing was sent.

    Raised by every call made after ``close()`` / ``aclose()`` or the end of
    its ``with`` block, by the sandbox handles it made too, and by clients
    from :meth:`~leap0.Leap0Client.with_options` once the client they share
    connections with is closed. Make a new client.
    """


class Leap0TLSError(Leap0ConnectionError):
    """The service's TLS certificate failed verification; never retried.

    The certificate is not trusted (``SSL_CERT_FILE``, the system's store, or
    an ``http_client`` with its own ``verify``), has expired, or names another
    host. A repeat would fail the same way, so none is made.
    """


class Leap0ResponseError(Leap0Error):
    """The service's answer could not be understood.

    Raised for a body that is not JSON (or is nested too deeply to decode),
    not of the expected shape, compressed although no encoding was accepted,
    larger than ``leap0._responses.MAX_ANSWER_BYTES``, or that lacks or
    mistypes a field (``field`` names it when known).
    """

    field: str | None
    status_code: int | None

    def __init__(
        self, message: str, *, field: str | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.status_code = status_code


class Leap0AccessIdRequiredError(Leap0Error, ValueError):
    """``delete_access`` or ``regenerate_access`` needs ``access_id`` here.

    On the per-credential SSH routes a sandbox may hold several credentials,
    so these calls must name one. Raised before any request when that is
    known (``ssh_api="per-credential"``, or what ``"auto"`` found), else
    after the answer that showed it (chained to it, nothing acted on).
    A ``ValueError`` too, as code written for the strict setting expects.
    """


def _field_errors(body: object) -> tuple[FieldError, ...]:
    if not isinstance(body, dict):
        return ()
    raw = body.get("errors")
    if not isinstance(raw, list):
        return ()
    out = []
    for item in raw:
        if isinstance(item, dict):
            field, error = item.get("field", ""), item.get("error", "")
            out.append(FieldError(field=str(field), error=str(error)))
    return tuple(out)
