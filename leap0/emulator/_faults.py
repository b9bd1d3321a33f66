"""Scripted faults for the emulator's HTTP routes, and the book that keeps them.

Light module: no third-party imports.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from ._errors import FaultLimit, Invalid
from ._settings import MAX_COUNTED_ROUTES, MAX_FAULT_BYTES, MAX_PENDING_FAULTS

__all__ = [
    "CONTROL_PREFIX",
    "MAX_DELAY",
    "Fault",
    "FaultBook",
    "canonical_path",
    "is_control_path",
    "is_text",
    "normalize_method",
    "normalize_path",
]

log = logging.getLogger("leap0.emulator")

_FIELDS = ("status", "body", "content_type", "retry_after", "headers", "delay", "drop")

#: The longest ``delay`` a fault may have, in seconds.
MAX_DELAY = 3600.0

#: The emulator's own routes (``/_emulator/*``) start with this: never counted or faulted.
CONTROL_PREFIX = "/_emulator"

_TOKEN = re.compile(r"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
# Visible ASCII or Latin-1 characters, single spaces or tabs between them; no CR, LF or NUL.
_HEADER_VALUE = re.compile(r"(?:[\x21-\x7e\x80-\xff]+(?:[ \t]+[\x21-\x7e\x80-\xff]+)*)?")
_HEADER_VALUE_RULE = (
    "must be a valid header value: printable ASCII or Latin-1 characters, spaces or "
    "tabs only between them (no CR, LF or other control characters)"
)
# The emulator frames every answer itself, and names each with one request id.
_EMULATOR_HEADERS = frozenset({"content-length", "transfer-encoding", "x-request-id"})
# Answers with these statuses never have a body.
_NO_BODY_STATUSES = frozenset({204, 304})


def is_text(value: str) -> bool:
    """Whether ``value`` is valid Unicode text: encodable as UTF-8 (no lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclasses.dataclass(frozen=True)
class Fault:
    """One scripted answer for the next matching request.

    The kinds, which may be combined:

    * ``Fault(status=503, retry_after="1")``: answer this status instead of the
      real handler. The body defaults to ``{"message": "injected fault"}``.
    * ``Fault(body="<html>oops</html>", content_type="text/html")``: answer this
      raw body (status 200 unless ``status`` is given) instead of the real
      handler; for malformed, truncated or wrong-shape bodies.
    * ``Fault(delay=2.5)``: wait this many seconds, then handle the request
      normally (or answer ``status``/``body`` if also given).
    * ``Fault(drop=True)``: start a response (status 200 unless ``status`` is
      given) whose ``Content-Length`` is larger than what is sent, send part of
      it, then close the connection.

    ``headers`` adds response headers to an injected answer.

    Construction checks every field (``ValueError``): ``status`` 200 to 599;
    ``body`` valid Unicode text; ``retry_after``, ``content_type`` and header
    values printable ASCII or Latin-1, spaces or tabs only between characters;
    header names HTTP tokens other than ``Content-Length``,
    ``Transfer-Encoding`` and ``X-Request-Id``; ``delay`` 0 to
    :data:`MAX_DELAY` seconds; ``drop`` not with status 204 or 304.
    """

    status: int | None = None
    body: str | None = None
    content_type: str | None = None
    retry_after: str | None = None
    headers: Mapping[str, str] | None = dataclasses.field(default=None, hash=False)
    delay: float | None = None
    drop: bool = False

    def __post_init__(self) -> None:
        if self.status is not None and (
            isinstance(self.status, bool)
            or not isinstance(self.status, int)
            or not 200 <= self.status <= 599
        ):
            raise ValueError("status must be an integer between 200 and 599")
        for name in ("body", "content_type", "retry_after"):
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, str):
                raise ValueError(f"{name} must be a string")
            if name == "body":
                if not is_text(value):
                    raise ValueError("body must be valid Unicode text (no lone surrogates)")
            elif not _HEADER_VALUE.fullmatch(value):
                raise ValueError(f"{name} {_HEADER_VALUE_RULE}")
        if self.headers is not None:
            if not isinstance(self.headers, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.headers.items()
            ):
                raise ValueError("headers must map strings to strings")
            for name, value in self.headers.items():
                if not _TOKEN.fullmatch(name):
                    raise ValueError(
                        f"header name {name!r} must be an HTTP token (letters, digits "
                        "and !#$%&'*+-.^_`|~)"
                    )
                if name.lower() in _EMULATOR_HEADERS:
                    raise ValueError(f"header {name!r} is set by the emulator, not by a fault")
                if not _HEADER_VALUE.fullmatch(value):
                    raise ValueError(f"header {name!r} {_HEADER_VALUE_RULE}")
            object.__setattr__(self, "headers", dict(self.headers))
        if self.delay is not None:
            if (
                isinstance(self.delay, bool)
                or not isinstance(self.delay, (int, float))
                or not 0 <= self.delay <= MAX_DELAY
            ):
                raise ValueError(f"delay must be a number of seconds between 0 and {MAX_DELAY:.0f}")
            object.__setattr__(self, "delay", float(self.delay))
        if not isinstance(self.drop, bool):
            raise ValueError("drop must be a boolean")
        if self.drop and self.status in _NO_BODY_STATUSES:
            raise ValueError(f"drop needs a status whose answer has a body (not {self.status})")
        if (
            self.status is None
            and self.body is None
            and self.delay is None
            and not self.drop
            and self.retry_after is None
            and self.headers is None
            and self.content_type is None
        ):
            raise ValueError("a fault needs at least one of status, body, delay or drop")

    @property
    def answers(self) -> bool:
        """Whether this fault replaces the real handler's answer."""
        return (
            self.drop
            or self.status is not None
            or self.body is not None
            or self.retry_after is not None
            or self.headers is not None
            or self.content_type is not None
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """Build a fault from its JSON form; raises ValueError on bad input."""
        if not isinstance(data, Mapping):
            raise ValueError("a fault must be an object")
        unknown = sorted(set(data) - set(_FIELDS))
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(map(str, unknown))}")
        values = {k: v for k, v in data.items() if v is not None}
        if "retry_after" in values and isinstance(values["retry_after"], (int, float)):
            if isinstance(values["retry_after"], bool):
                raise ValueError("retry_after must be a string")
            values["retry_after"] = _number_text(values["retry_after"])
        if "drop" in values and not isinstance(values["drop"], bool):
            raise ValueError("drop must be a boolean")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form accepted by ``POST /_emulator/faults``."""
        out: dict[str, Any] = {}
        for name in _FIELDS:
            value = getattr(self, name)
            if name == "drop":
                if value:
                    out[name] = True
            elif value is not None:
                out[name] = dict(value) if name == "headers" else value
        return out


def _number_text(value: float) -> str:
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    return repr(value)


def coerce_fault(value: Fault | Mapping[str, Any]) -> Fault:
    if isinstance(value, Fault):
        return value
    return Fault.from_dict(value)


def normalize_method(method: str) -> str:
    if not isinstance(method, str) or not method or not method.isalpha():
        raise ValueError("method must be an HTTP method name such as 'POST'")
    return method.upper()


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters a path may hold as they are (RFC 3986 pchar plus "/"); all others are escaped.
_LITERAL = _UNRESERVED | frozenset(b"!$&'()*+,;=:@/")
_HEX = frozenset(b"0123456789abcdefABCDEF")


def canonical_path(raw: bytes) -> str:
    """The canonical form of a request path as sent on the wire (no query string).

    Escapes of unreserved characters are decoded (``%73`` is ``s``), every other
    escape is kept with upper-case hex digits (``%2f`` is ``%2F``), characters
    that may not appear literally (``?``, ``#``, spaces, non-ASCII bytes) are
    escaped, and trailing slashes are dropped. An escaped ``/``, ``?`` or ``#``
    so stays inside its path segment: routes match this form, and each segment
    is decoded only after its route matched.
    """
    out = bytearray()
    i, size = 0, len(raw)
    while i < size:
        byte = raw[i]
        if byte == 0x25 and i + 2 < size and raw[i + 1] in _HEX and raw[i + 2] in _HEX:
            value = int(raw[i + 1 : i + 3], 16)
            if value in _UNRESERVED:
                out.append(value)
            else:
                out += b"%%%02X" % value
            i += 3
            continue
        if byte in _LITERAL:
            out.append(byte)
        else:
            out += b"%%%02X" % byte
        i += 1
    path = out.decode("ascii")
    while len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


def is_control_path(path: str) -> bool:
    """Whether the canonical request ``path`` is one of the control routes' (``/_emulator/*``)."""
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def normalize_path(path: str) -> str:
    """The request path as faults and attempt counters key it (see :func:`canonical_path`).

    ``path`` is what a client would send, e.g. ``/v1/sandbox/sbx-1/ssh/access``:
    a query string is ignored, and text that a client escapes (spaces,
    non-ASCII) matches its escaped form.
    """
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError("path must be an absolute request path such as '/v1/sandbox/'")
    path = path.split("?", 1)[0]
    try:
        raw = path.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("path must be valid Unicode text") from None
    return canonical_path(raw)


def _fault_size(path: str, fault: Fault) -> int:
    """Roughly the bytes a waiting fault holds (its path, texts and headers)."""
    size = len(path) + 64
    for text in (fault.body, fault.content_type, fault.retry_after):
        if text is not None:
            size += len(text.encode("utf-8", "surrogatepass"))
    for name, value in (fault.headers or {}).items():
        size += len(name.encode("utf-8", "surrogatepass"))
        size += len(value.encode("utf-8", "surrogatepass"))
    return size


class FaultBook:
    """The faults waiting per route and the requests counted per route, behind one lock.

    Bounded: at most :data:`MAX_PENDING_FAULTS` faults holding
    :data:`MAX_FAULT_BYTES` bytes wait at once, and requests are counted for at
    most :data:`MAX_COUNTED_ROUTES` (method, path) pairs until :meth:`clear`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[tuple[str, str], collections.deque[Fault]] = {}
        self._fault_count = 0
        self._fault_bytes = 0
        self._attempts: dict[tuple[str, str], int] = {}
        self._attempts_full_logged = False

    def inject(self, method: str, path: str, faults: Iterable[Fault]) -> int:
        """Queue ``faults`` for ``method path``; return how many wait there now.

        Raises:
            ValueError: A bad method or path; ``Invalid`` (a ``ValueError``) for a
                control route's path, which no fault can reach.
            FaultLimit: More than :data:`MAX_PENDING_FAULTS` faults or
                :data:`MAX_FAULT_BYTES` bytes would wait (nothing is queued).
        """
        key = (normalize_method(method), normalize_path(path))
        if is_control_path(key[1]):
            raise Invalid(
                [
                    (
                        "path",
                        f"is a control route's ({CONTROL_PREFIX}/...): the control routes "
                        "always answer, and are never faulted or counted",
                    )
                ]
            )
        items = list(faults)
        size = sum(_fault_size(key[1], fault) for fault in items)
        with self._lock:
            count = self._fault_count + len(items)
            total = self._fault_bytes + size
            if count > MAX_PENDING_FAULTS:
                raise FaultLimit(
                    f"at most {MAX_PENDING_FAULTS} faults may wait at once; "
                    f"{self._fault_count} are waiting"
                )
            if total > MAX_FAULT_BYTES:
                raise FaultLimit(
                    f"the waiting faults may hold at most {MAX_FAULT_BYTES} bytes "
                    "(paths, bodies and headers)"
                )
            queue = self._faults.setdefault(key, collections.deque())
            queue.extend(items)
            self._fault_count, self._fault_bytes = count, total
            return len(queue)

    def record_attempt(self, method: str, path: str) -> Fault | None:
        """Count a request that arrived; return the next scripted fault for it.

        Only the first :data:`MAX_COUNTED_ROUTES` distinct method and path pairs
        since the last :meth:`clear` are counted.
        """
        key = (method.upper(), normalize_path(path))
        with self._lock:
            if key in self._attempts:
                self._attempts[key] += 1
            elif len(self._attempts) < MAX_COUNTED_ROUTES:
                self._attempts[key] = 1
            elif not self._attempts_full_logged:
                self._attempts_full_logged = True
                log.warning(
                    "request counters are full (%d method and path pairs); further "
                    "pairs are not counted until a reset",
                    MAX_COUNTED_ROUTES,
                )
            queue = self._faults.get(key)
            if not queue:
                return None
            fault = queue.popleft()
            if not queue:
                del self._faults[key]
            self._fault_count -= 1
            self._fault_bytes -= _fault_size(key[1], fault)
            return fault

    def attempts(self, method: str, path: str) -> int:
        key = (normalize_method(method), normalize_path(path))
        with self._lock:
            return self._attempts.get(key, 0)

    def pending(self, method: str, path: str) -> int:
        key = (normalize_method(method), normalize_path(path))
        with self._lock:
            return len(self._faults.get(key, ()))

    def clear(self) -> None:
        """Forget every fault and counter (new containers, so what they grew to is freed)."""
        with self._lock:
            self._faults = {}
            self._fault_count = self._fault_bytes = 0
            self._attempts = {}
            self._attempts_full_logged = False
