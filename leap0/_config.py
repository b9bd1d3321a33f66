"""Client configuration shared by both clients: API key, base URL, timeout, headers."""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx

from ._version import __version__
from .errors import Leap0Error

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "TimeoutTypes",
    "build_headers",
    "encode_json",
    "redact_url",
    "resolve_api_key",
    "resolve_base_url",
    "resolve_max_retries",
    "resolve_timeout",
]

API_KEY_ENV = "LEAP0_API_KEY"
BASE_URL_ENV = "LEAP0_BASE_URL"
DEFAULT_BASE_URL = "https://api.leap0.dev"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
USER_AGENT = f"leap0-python/{__version__}"

TimeoutTypes = float | int | httpx.Timeout | None
"""Seconds for every phase, an ``httpx.Timeout`` for each phase, or ``None`` for no limit."""


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
            f"{source} must be a non-empty string of printable ASCII characters "
            "without whitespace"
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
        raise ValueError(
            f"base_url must not hold whitespace or control characters, got {shown!r}"
        )
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
    """Whether ``host`` names this machine (``localhost``, ``127.0.0.0/8`` or ``::1``)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_timeout(timeout: object) -> httpx.Timeout:
    """An ``httpx.Timeout`` from seconds, an ``httpx.Timeout`` or ``None``."""
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is None:
        return httpx.Timeout(None)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(
            f"timeout must be seconds, an httpx.Timeout or None, not {type(timeout).__name__}"
        )
    if not timeout > 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    return httpx.Timeout(float(timeout))


def resolve_call_timeout(http_timeout: object) -> httpx.Timeout | None:
    """A per-call override: ``None`` keeps the client's timeout."""
    if http_timeout is None:
        return None
    return resolve_timeout(http_timeout)


def resolve_max_retries(max_retries: object) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int):
        raise TypeError(f"max_retries must be an int, not {type(max_retries).__name__}")
    if max_retries < 0:
        raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
    return max_retries


def build_headers(api_key: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Accept": "application/json",
        # Answers are small JSON; an uncompressed body is what the size limit
        # on answers counts, so no compressed body can expand past it.
        "Accept-Encoding": "identity",
        "User-Agent": USER_AGENT,
    }
    if extra:
        headers.update(extra)
    return headers


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def encode_json(body: object) -> bytes:
    """``body`` as the UTF-8 JSON that is sent.

    A string that UTF-8 cannot encode (a lone surrogate) is a ``ValueError``
    naming its field, never showing its value: it may be a password.
    """
    try:
        return _dumps(body).encode("utf-8")
    except UnicodeEncodeError:
        field = _unencodable(body) or "the request body"
    # Raised outside the except block: the UnicodeEncodeError, which holds the
    # whole text, is not kept as this error's context.
    raise ValueError(f"{field} must be text that UTF-8 can encode (no lone surrogates)")


def _unencodable(value: object, name: str | None = None) -> str | None:
    """The name of the field of ``value`` whose text UTF-8 cannot encode."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return name or "a value"
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            label = key if isinstance(key, str) and key.isidentifier() else "a key"
            found = _unencodable(key, name or "a key") or _unencodable(item, name or label)
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for item in value:
            found = _unencodable(item, name)
            if found:
                return found
    return None
