"""Client configuration shared by both clients: API key, base URL, timeout, retries, headers.

Each setting is resolved here (the value given, else the environment's, else
the default) and checked before any I/O. The names and defaults themselves are
in ``leap0._constants``; an attempt's deadline is ``leap0._deadline``'s, the
JSON a request sends ``leap0._requests``'.
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import httpx

from . import __version__
from ._constants import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL, MAX_TIMEOUT
from .errors import Leap0Error

__all__ = [
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "IDENTITY",
    "NOT_GIVEN",
    "USER_AGENT",
    "DefaultInt",
    "NotGiven",
    "TimeoutTypes",
    "build_headers",
    "check_transport",
    "is_loopback",
    "redact_url",
    "resolve_api_key",
    "resolve_base_url",
    "resolve_max_retries",
    "resolve_timeout",
]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class DefaultInt(int):
    """The type of ``DEFAULT_MAX_RETRIES`` and the like: a plain int to everything but ``is``.

    ``max_retries is DEFAULT_MAX_RETRIES`` holds only when the argument was
    left out, so a client handed a transport can refuse a ``max_retries=2``
    that would otherwise be silently ignored, while signatures still show 2.
    """

    __slots__ = ()


DEFAULT_MAX_RETRIES: int = DefaultInt(2)
#: httpx's default ``Limits.max_connections``, and the pool of the client leap0 builds
#: (how many requests a client hands to its pool at once: ``leap0._gate``).
DEFAULT_MAX_CONCURRENCY: int = DefaultInt(100)
USER_AGENT = f"leap0-python/{__version__}"

TimeoutTypes = float | int | httpx.Timeout | None
"""Seconds for every phase, an ``httpx.Timeout`` for each phase, or ``None`` for no limit."""


class NotGiven:
    """The type of :data:`NOT_GIVEN`: an option left as it is (``None`` means "no limit")."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN = NotGiven()
"""``with_options(timeout=...)`` and the like: this option is not changed."""


def resolve_api_key(api_key: str | None) -> str:
    """The API key given, else ``LEAP0_API_KEY``; a clear error when neither is set.

    A key is printable ASCII without whitespace: it goes into an HTTP header,
    and anything else could not be sent (and would fail later, with the key
    in the error). The key itself is never put in a message.
    """
    source = "api_key"
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV) or None
        if api_key is None:
            raise Leap0Error(
                f"no API key: pass api_key=... or set the {API_KEY_ENV} environment variable"
            )
        source = f"api_key (from {API_KEY_ENV})"
    if not isinstance(api_key, str):
        raise TypeError(f"api_key must be a str, not {type(api_key).__name__}")
    if not api_key or not api_key.isascii() or not api_key.isprintable() or " " in api_key:
        raise ValueError(
            f"{source} must be a non-empty string of printable ASCII characters without whitespace"
        )
    return api_key


def resolve_base_url(base_url: str | None) -> str:
    """The base URL given, else ``LEAP0_BASE_URL``, else the service's.

    ``https`` is required, except for a loopback host (``127.0.0.0/8``, ``::1``,
    ``localhost``), so the API key never crosses a network in clear text. A
    URL with user-info, a query or a fragment (even an empty ``?`` or ``#``),
    whitespace or a control character is refused here rather than mangling
    the request paths later. Messages show the URL without its user-info.
    """
    if base_url is None:
        base_url = os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a str, not {type(base_url).__name__}")
    shown = redact_url(base_url)
    if not base_url.isprintable() or any(c.isspace() for c in base_url):
        raise ValueError(f"base_url must not hold whitespace or control characters, got {shown!r}")
    if "?" in base_url or "#" in base_url:
        raise ValueError(f"base_url must not hold a query or a fragment, got {shown!r}")
    parts = urlsplit(base_url)
    scheme = parts.scheme.lower()
    try:
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        host = None
    if scheme not in ("http", "https") or not host:
        raise ValueError(f"base_url must be an http(s) URL with a host, got {shown!r}")
    if "@" in parts.netloc:
        raise ValueError(f"base_url must not hold credentials, got {shown!r}")
    if scheme == "http" and not is_loopback(host):
        raise ValueError(
            f"base_url {shown!r} uses http:// for a host that is not loopback; "
            "use https:// so the API key is not sent in clear text"
        )
    try:
        httpx.URL(base_url)
    except httpx.InvalidURL:
        raise ValueError(f"base_url is not a valid URL, got {shown!r}") from None
    return base_url.rstrip("/")


def redact_url(url: str) -> str:
    """``url`` for a message: anything before the last ``@`` of it is user-info, shown as ``***``.

    Deliberately blunt, so that no way of mis-parsing a malformed URL shows a
    password or key written into it.
    """
    at = url.rfind("@")
    if at < 0:
        return url
    start = url.find("//")
    start = start + 2 if 0 <= start < at else 0
    return url[:start] + "***" + url[at:]


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine: ``127.0.0.0/8``, ``::1``, or ``localhost``.

    Literal addresses are taken as they are. The one name is exactly
    ``localhost`` (any case, no trailing dot: ``localhost.`` is looked up in
    DNS, past ``/etc/hosts``), and only if this machine resolves it to
    loopback addresses alone.
    """
    if host.lower() == "localhost":
        return _localhost_is_loopback()
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_localhost: list[bool] = []


def _localhost_is_loopback() -> bool:
    """Whether ``localhost`` resolves here to loopback addresses only (looked up once)."""
    if not _localhost:
        import socket

        try:
            found = {info[4][0] for info in socket.getaddrinfo("localhost", None)}
            answer = bool(found) and all(
                ipaddress.ip_address(str(a).partition("%")[0]).is_loopback for a in found
            )
        except (OSError, ValueError):
            answer = False
        _localhost.append(answer)
    return _localhost[0]


def resolve_timeout(timeout: object) -> httpx.Timeout:
    """An ``httpx.Timeout`` from seconds, an ``httpx.Timeout`` or ``None``.

    Each limit is positive and at most ``MAX_TIMEOUT`` (infinity too is a
    ``ValueError``: ``None`` says "no limit"), so no deadline overflows later.
    """
    if isinstance(timeout, httpx.Timeout):
        for name in ("connect", "read", "write", "pool"):
            limit = getattr(timeout, name)
            if limit is not None:
                _check_seconds(limit, f"timeout.{name}")
        return timeout
    if timeout is None:
        return httpx.Timeout(None)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(
            f"timeout must be seconds, an httpx.Timeout or None, not {type(timeout).__name__}"
        )
    return httpx.Timeout(_check_seconds(timeout, "timeout"))


def _check_seconds(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be seconds or None, not {type(value).__name__}")
    try:
        seconds = float(value)
    except OverflowError:  # an int too large for a float
        seconds = math.inf
    if not seconds > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    if seconds > MAX_TIMEOUT:
        shown = f"{seconds:g}"
        raise ValueError(
            f"{name} must be at most {MAX_TIMEOUT:g} seconds (a day), got {shown}; "
            "use None for no limit"
        )
    return seconds


def resolve_max_retries(max_retries: object) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int):
        raise TypeError(f"max_retries must be an int, not {type(max_retries).__name__}")
    if max_retries < 0:
        raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
    return int(max_retries)


def check_transport(
    transport: object, protocol: str, like: Callable[..., object], given: Mapping[str, bool]
) -> None:
    """Refuse, before any I/O, a transport the client could not use as it was given.

    ``given``: which of the HTTP transport's settings were passed too (they
    would be ignored). ``protocol`` names what is expected. ``like``: the
    client's close method; the transport's ``request`` must be a coroutine
    function exactly when it is (an async transport for the async client, a
    blocking one for the blocking client).
    """
    extra = [name for name, passed in given.items() if passed]
    if extra:
        raise TypeError(
            f"{', '.join(extra)} and transport cannot be passed together: "
            f"{'it applies' if len(extra) == 1 else 'they apply'} only to the HTTP "
            "transport the client builds without transport"
        )
    import inspect

    coroutines = inspect.iscoroutinefunction(like)
    request = getattr(transport, "request", None)
    close = like.__name__
    if not callable(request) or not callable(getattr(transport, close, None)):
        raise TypeError(
            f"transport must implement {protocol} (methods request and {close}), "
            f"got {type(transport).__name__}"
        )
    if inspect.iscoroutinefunction(request) != coroutines:
        want, got = ("a coroutine function", "a plain function")[:: 1 if coroutines else -1]
        raise TypeError(
            f"transport must implement {protocol}, whose request is {want}; "
            f"{type(transport).__name__}.request is {got}: it is a transport for the "
            f"{'blocking' if coroutines else 'async'} client"
        )


def build_headers(api_key: str) -> dict[str, str]:
    """The headers of every request: the key, the JSON wanted, the SDK's name."""
    return {
        "Authorization": f"Bearer {api_key}",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }


IDENTITY = {"Accept-Encoding": "identity"}
"""Answers are small JSON, asked for uncompressed: the size limit on answers
counts what is read, and no compressed body can expand past it."""
