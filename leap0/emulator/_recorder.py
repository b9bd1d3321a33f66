"""The last requests the emulator answered, secrets redacted: what code under test sent.

Pure Python, no web or SSH imports. The app hands each answered request of the
Leap0 routes to :meth:`Recorder.record` (control routes and requests without
the API key are not recorded); the recorder keeps the newest
:data:`MAX_RECORDED_REQUESTS` in a bounded deque, so a request costs one
append whatever the history. A body is redacted and serialised when it is
recorded (no secret is kept), and kept only up to :data:`MAX_RECORDED_BODY`
bytes, so what the recorder holds is bounded in bytes too; the rest of an
entry is turned into JSON when the record is read.

A body is recorded as its JSON value with every field whose name marks a
secret (:func:`is_secret_name`: password, token, secret, api key, access key,
authorization, ...) replaced by ``"***"``, at any depth; the same goes for
query parameters. No header is recorded, so neither is the API key.
"""

from __future__ import annotations

import collections
import functools
import json
import re
import threading
import urllib.parse
from typing import Any, NamedTuple

from ._clock import rfc3339

__all__ = [
    "MAX_RECORDED_BODY",
    "MAX_RECORDED_REQUESTS",
    "REDACTED",
    "Recorder",
    "is_secret_name",
]

#: How many requests are kept: the newest, older ones are forgotten.
MAX_RECORDED_REQUESTS = 1000

#: The largest body recorded, in bytes; a larger one is recorded by its size only.
MAX_RECORDED_BODY = 16 << 10

#: What a secret's value is recorded as.
REDACTED = "***"

# A field or query parameter whose name (lower case, "-" and " " read as "_")
# holds one of these is a secret.
_SECRET_WORDS = (
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "authorization",
    "credential",
    "cookie",
)
_SECRET = re.compile("|".join(re.escape(word) for word in _SECRET_WORDS))
# Bodies nested deeper are not recorded (the routes refuse them anyway).
_MAX_DEPTH = 32


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Whether a field or query parameter named ``name`` holds a secret (its value is redacted)."""
    folded = name.lower().replace("-", "_").replace(" ", "_")
    return _SECRET.search(folded) is not None


class _TooDeep(Exception):
    pass


def _redacted(value: Any, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        raise _TooDeep
    if isinstance(value, dict):
        return {
            key: REDACTED if is_secret_name(key) else _redacted(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redacted(item, depth + 1) for item in value]
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def recorded_body(body: bytes, size: int) -> Any:
    """What a body of ``size`` bytes (``body``: its first bytes) is recorded as.

    Its JSON value, secrets redacted; None when there was none, or when it is
    larger than :data:`MAX_RECORDED_BODY`, is not JSON, or nests more than 32
    levels deep.
    """
    if size == 0 or size > MAX_RECORDED_BODY:
        return None
    try:
        return _redacted(json.loads(body, parse_constant=_reject_constant))
    except Exception:  # not JSON (or not text), or too deep: the size says it was sent
        return None


def _body_json(body: bytes, size: int) -> bytes:
    """:func:`recorded_body` as JSON bytes (``null`` for None)."""
    value = recorded_body(body, size)
    return b"null" if value is None else _encode(value)


def recorded_query(raw: bytes) -> dict[str, Any]:
    """The query string as ``{name: value}`` (a list of values for a name given twice)."""
    if not raw:
        return {}
    text = raw[:MAX_RECORDED_BODY].decode("utf-8", "replace")
    query: dict[str, Any] = {}
    for name, value in urllib.parse.parse_qsl(text, keep_blank_values=True, errors="replace"):
        shown = REDACTED if is_secret_name(name) else value
        if name not in query:
            query[name] = shown
        elif isinstance(query[name], list):
            query[name].append(shown)
        else:
            query[name] = [query[name], shown]
    return query


def _encode(value: Any) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (an escape such as "\ud800" in the body)
        return json.dumps(value, separators=(",", ":")).encode("ascii")


class _Entry(NamedTuple):
    """One recorded request: its body already redacted JSON, the rest as it came."""

    method: str
    path: str
    query: dict[str, Any]
    status: int | None
    request_id: str
    time: float
    body: bytes
    body_size: int

    def to_json(self) -> bytes:
        head = _encode(
            {
                "method": self.method,
                "path": self.path,
                "query": self.query,
                "status": self.status,
                "request_id": self.request_id,
                "time": rfc3339(self.time),
            }
        )
        tail = b',"body":%s,"body_size":%d}' % (self.body, self.body_size)
        return head[:-1] + tail


class Recorder:
    """The newest ``limit`` requests, each as its JSON, behind one lock (any thread)."""

    def __init__(self, limit: int = MAX_RECORDED_REQUESTS) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._entries: collections.deque[_Entry] = collections.deque(maxlen=limit)
        self._forgotten = 0

    @property
    def limit(self) -> int:
        return self._limit

    def record(
        self,
        *,
        method: str,
        path: str,
        query: bytes,
        status: int | None,
        request_id: str,
        time: float,
        body: bytes,
        body_size: int,
    ) -> None:
        """Keep one answered request (``status`` None: the client left before an answer).

        ``body`` is the start of what it sent (up to :data:`MAX_RECORDED_BODY`
        bytes), ``body_size`` how many bytes it sent in all.
        """
        entry = _Entry(
            method,
            path,
            recorded_query(query),
            status,
            request_id,
            time,
            _body_json(body, body_size) if body_size else b"null",
            body_size,
        )
        with self._lock:
            if len(self._entries) == self._limit:
                self._forgotten += 1
            self._entries.append(entry)

    def snapshot(self) -> tuple[list[bytes], int]:
        """The kept requests' JSON, oldest first, and how many older ones were forgotten."""
        with self._lock:
            entries, forgotten = list(self._entries), self._forgotten
        return [entry.to_json() for entry in entries], forgotten

    def entries(self) -> list[dict[str, Any]]:
        """The kept requests, oldest first."""
        encoded, _ = self.snapshot()
        return [json.loads(item) for item in encoded]

    def to_json(self) -> bytes:
        """``{"requests": [...], "forgotten": N, "limit": N}`` as JSON bytes."""
        encoded, forgotten = self.snapshot()
        return b"".join(
            (
                b'{"requests":[',
                b",".join(encoded),
                b'],"forgotten":%d,"limit":%d}' % (forgotten, self._limit),
            )
        )

    def clear(self) -> None:
        """Forget every request (a new deque, so what it grew to is freed)."""
        with self._lock:
            self._entries = collections.deque(maxlen=self._limit)
            self._forgotten = 0
