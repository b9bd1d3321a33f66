"""``AsyncHttpxTransport``: the ``AsyncTransport`` on ``httpx.AsyncClient``.

It sends each API request with retries (see ``leap0._retry``), a time limit
on each attempt as a whole and a size limit on answers. The httpx client it
builds when none is handed in comes from ``leap0._http``. It loads with the
first client that sends through it (``leap0._async.client``), never for a
client on a transport of its own.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterable, Callable, Mapping
from types import TracebackType
from typing import Any, cast

import httpx

from .._config import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    IDENTITY,
    NOT_GIVEN,
    NotGiven,
    TimeoutTypes,
    build_headers,
    resolve_api_key,
    resolve_base_url,
    resolve_max_retries,
    resolve_timeout,
)
from .._deadline import Deadline, attempt_seconds
from .._gate import AsyncGate, resolve_max_concurrency
from .._log import setup_from_env
from .._requests import encode_json
from .._responses import (
    MAX_ANSWER_BYTES,
    api_error,
    attempt_timeout_error,
    decode_json,
    encoded_answer_error,
    never_sent,
    queue_timeout_error,
    too_large_error,
    transport_error,
)
from .._retry import (
    backoff_delay,
    parse_retry_after,
    retry_after_is_honoured,
    status_is_retryable,
    status_may_have_acted,
)
from .._sleep import async_sleep
from ..errors import Leap0ClientClosedError, Leap0Error, Leap0ResponseError, Leap0TLSError

__all__ = ["AsyncHttpxTransport"]

logger = logging.getLogger("leap0")
_DEBUG = logging.DEBUG
_INFO = logging.INFO

_URL_CACHE_SIZE = 256
"""How many parsed request URLs a transport keeps (a few per sandbox in use)."""


class AsyncHttpxTransport:
    """``AsyncTransport`` on ``httpx.AsyncClient``, with retries.

    Args:
        api_key: The Leap0 API key; else ``LEAP0_API_KEY``.
        base_url: The API's base URL; else ``LEAP0_BASE_URL``, else the
            service's. ``http://`` only for a loopback host.
        timeout: Seconds, an ``httpx.Timeout``, or ``None`` for no limit.
            Each attempt as a whole (connecting, sending, the whole answer)
            takes at most the largest of its limits.
        max_retries: How many times a failed request may be retried (see
            ``leap0._retry`` for what is retried).
        http_client: An ``httpx.AsyncClient`` you configured (proxies,
            certificates, limits). It is used as is, with its own proxy
            settings, and never closed here. Through it, the blocking client
            checks an attempt's deadline only between the body's reads (the
            async client cancels the attempt at its deadline either way).
            The client built otherwise ignores the environment's proxies for
            an ``http://`` (loopback) base URL, so the API key and passwords
            never reach a proxy in clear text; for ``https://`` it follows the
            environment (``HTTPS_PROXY``, ``SSL_CERT_FILE``, ...). It costs
            about 0.1 ms to build: it connects at its first request, and loads
            the certificates then, into the one TLS context all the clients
            leap0 builds share (one per ``SSL_CERT_FILE`` setting). Its pool
            has httpx's default limits. Its blocking connections wait on
            no connect, read, write or free connection past the attempt's
            deadline, except through a proxy from the environment, where the
            deadline is checked between the body's reads (see ``leap0._http``).
        max_concurrency: How many requests this transport hands to the pool
            at once (default 100, the pool's size for the client leap0
            builds and httpx's default); the others wait in turn, at a
            constant cost each, their wait counted in the attempt's timeout
            as a wait for a free connection. Set it to your ``http_client``'s
            ``max_connections``; ``None`` leaves the queueing to httpx.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        max_concurrency: int | None = DEFAULT_MAX_CONCURRENCY,
    ) -> None:
        setup_from_env()
        key = resolve_api_key(api_key)
        self.base_url = resolve_base_url(base_url)
        self.timeout = resolve_timeout(timeout)
        self._attempt_seconds = attempt_seconds(self.timeout)
        self.max_retries = resolve_max_retries(max_retries)
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise TypeError(
                f"http_client must be an httpx.AsyncClient, not {type(http_client).__name__}"
            )
        self._owns_client = http_client is None
        # Called before the first request (the client leap0 builds for https://
        # loads its certificates then); None once done, or for a client handed in.
        self._prepare: Callable[[], object] | None = None
        if http_client is None:
            from .._http import build_client  # not needed by `import leap0`

            # Over http:// (loopback only) nothing may go through a proxy: the
            # key would cross to it in clear text; the client built for it
            # ignores the environment (see leap0._http).
            http_client, self._prepare = build_client(
                httpx.AsyncClient,
                tls=self.base_url.startswith("https://"),
                headers=IDENTITY,
            )
        self._client = http_client
        # Built once: httpx parses a str URL and normalises a dict of headers on
        # every request, which costs more than the rest of the SDK's own work.
        # Uncompressed answers are asked for on each request only when the
        # client's own headers do not already ask for them.
        headers = build_headers(key)
        if http_client.headers.get("accept-encoding") != IDENTITY["Accept-Encoding"]:
            headers.update(IDENTITY)
        self._headers = httpx.Headers(headers)
        self._json_headers = httpx.Headers({**headers, "Content-Type": "application/json"})
        self._urls: dict[str, httpx.URL] = {}
        self._closed = False
        size = resolve_max_concurrency(max_concurrency)
        self._gate = None if size is None else AsyncGate(size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries})"

    def with_options(
        self,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
    ) -> AsyncHttpxTransport:
        """A transport on this one's connections, with other limits.

        Closing it leaves the connections open: they are this transport's,
        and once it is closed the other one's calls raise
        ``Leap0ClientClosedError`` too.
        """
        other = copy.copy(self)
        if not isinstance(timeout, NotGiven):
            other.timeout = resolve_timeout(timeout)
            other._attempt_seconds = attempt_seconds(other.timeout)
        if not isinstance(max_retries, NotGiven):
            other.max_retries = resolve_max_retries(max_retries)
        other._owns_client = False
        return other

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
        if self._closed or self._client.is_closed:
            raise Leap0ClientClosedError(
                f"{method} {path}: this client is closed, nothing was sent; make a new one"
            )
        if timeout is None:
            call_timeout, seconds = self.timeout, self._attempt_seconds
        else:
            call_timeout = resolve_timeout(timeout)
            seconds = attempt_seconds(call_timeout)
        url = self._urls.get(path)
        if url is None:
            url = self._url(path)
        if self._prepare is not None:
            self._prepare()  # Leap0ConnectionError, before any I/O, if it cannot be done
            self._prepare = None
        if json is None:
            content, headers = None, self._headers
        else:
            # Encoded here, before any I/O: text that cannot be sent is a
            # ValueError naming its field, not an error holding the password.
            content, headers = encode_json(json), self._json_headers
        debug = logger.isEnabledFor(_DEBUG)
        # A DELETE whose earlier attempt may have acted is done if it is gone.
        gone_is_done = False
        attempt = 0
        while True:
            attempt += 1
            deadline = Deadline(seconds)
            gate = self._gate
            admitted = gate is None
            # On the client leap0 builds, httpcore says when the request's headers start to
            # go out: an attempt whose time ran out before that was never sent.
            progress = _Progress() if self._owns_client else None
            try:
                try:
                    async with deadline:
                        if gate is not None:
                            await gate.enter(deadline)
                            admitted = True
                        response, body = await self._attempt(
                            method, url, content, headers, params, call_timeout, deadline, progress
                        )
                finally:
                    if gate is not None and admitted:
                        gate.leave()
            except (httpx.HTTPError, TimeoutError) as exc:
                cause: BaseException | None = exc
                error: Leap0Error
                if isinstance(exc, httpx.HTTPError):
                    sent = not never_sent(exc)
                    if isinstance(exc, httpx.TimeoutException) and deadline.passed():
                        # A wait cut short at the attempt's deadline (the
                        # blocking connections of the client leap0 builds).
                        timed_out = attempt_timeout_error if sent else queue_timeout_error
                        error = timed_out(method, path, seconds, attempt)
                    else:
                        error = transport_error(exc, method, path, attempt)
                    retry = (
                        attempt <= self.max_retries
                        and not isinstance(error, Leap0TLSError)  # would fail the same way
                        and ((idempotent and isinstance(exc, httpx.TransportError)) or not sent)
                    )
                elif not admitted or (progress is not None and progress.unsent(self._client)):
                    # Its time ran out before its headers went out: waiting in the
                    # queue, in httpx's pool, connecting. Not a byte of it was sent.
                    error, cause = queue_timeout_error(method, path, seconds, attempt), None
                    sent = False
                    retry = attempt <= self.max_retries
                else:  # the attempt as a whole outlasted its timeout
                    error, cause = attempt_timeout_error(method, path, seconds, attempt), None
                    sent = True
                    retry = attempt <= self.max_retries and idempotent
                if debug:
                    logger.debug(
                        "leap0 %s %s attempt %d failed: %s%s",
                        method,
                        path,
                        attempt,
                        type(error).__name__,
                        "" if retry else " (not retried)",
                    )
                if not retry:
                    raise error from cause
                gone_is_done = gone_is_done or (sent and method == "DELETE")
                await self._wait(method, path, attempt, None, debug, type(error).__name__)
                continue

            status = response.status_code
            if debug:
                logger.debug("leap0 %s %s attempt %d -> %d", method, path, attempt, status)
            if 200 <= status < 300:
                # Any success counts; an operation that expects 204 uses no body.
                if expected_status == 204:
                    return None
                if body is None:
                    raise too_large_error(status, method, path)
                try:
                    return decode_json(body, status)
                except Leap0ResponseError:
                    if _encoded(response):
                        raise encoded_answer_error(status, method, path) from None
                    raise
            if status == 404 and gone_is_done:
                if debug:
                    logger.debug("leap0 %s %s: already gone after an earlier attempt", method, path)
                return None
            if body is None:
                raise too_large_error(status, method, path)
            if attempt <= self.max_retries and status_is_retryable(status, idempotent):
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                if retry_after_is_honoured(retry_after):
                    gone_is_done = gone_is_done or (
                        method == "DELETE" and status_may_have_acted(status)
                    )
                    await self._wait(method, path, attempt, retry_after, debug, status)
                    continue
                if debug:
                    logger.debug(
                        "leap0 %s %s: Retry-After %gs is longer than a retry waits (not retried)",
                        method,
                        path,
                        retry_after,
                    )
            raise api_error(
                status,
                response.reason_phrase,
                response.headers,
                b"" if _encoded(response) else body,
                method,
                path,
            )

    async def _attempt(
        self,
        method: str,
        url: httpx.URL,
        content: bytes | None,
        headers: httpx.Headers,
        params: Mapping[str, str | int] | None,
        timeout: httpx.Timeout,
        deadline: Deadline,
        progress: _Progress | None,
    ) -> tuple[httpx.Response, bytes | None]:
        """One attempt: the answer, and its body (``None`` when too large to read)."""
        extensions = None if progress is None else {"trace": progress.trace}
        request = self._client.build_request(
            method,
            url,
            content=content,
            params=params,
            headers=headers,
            timeout=timeout,
            extensions=extensions,
        )
        response = await self._client.send(request, stream=True)
        try:
            body = await _read_body(response, deadline)
        finally:
            await response.aclose()
        return response, body

    def _url(self, path: str) -> httpx.URL:
        urls = self._urls
        if len(urls) >= _URL_CACHE_SIZE:
            urls.clear()
        url = urls[path] = httpx.URL(self.base_url + path)
        return url

    async def _wait(
        self,
        method: str,
        path: str,
        attempt: int,
        retry_after: float | None,
        debug: bool,
        reason: int | str,
    ) -> None:
        """Wait before the next attempt; ``reason`` is the status or the error's class name.

        The log record carries the wait as ``record.leap0_retry`` (a dict with
        ``method``, ``path``, ``attempt``, ``max_retries``, ``delay`` and
        ``reason``), for a handler that reports waits (the ``leap0`` command).
        """
        delay = backoff_delay(attempt, retry_after)
        if debug or logger.isEnabledFor(_INFO):
            logger.info(
                "leap0 %s %s retry %d of %d in %.2fs",
                method,
                path,
                attempt,
                self.max_retries,
                delay,
                extra={
                    "leap0_retry": {
                        "method": method,
                        "path": path,
                        "attempt": attempt,
                        "max_retries": self.max_retries,
                        "delay": delay,
                        "reason": reason,
                    }
                },
            )
        await async_sleep(delay)

    async def aclose(self) -> None:
        """Close the HTTP client, unless it was handed in (then its owner closes it)."""
        if self._closed:
            return
        self._closed = True
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> AsyncHttpxTransport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class _Progress:
    """How far an attempt went, from httpcore's ``trace`` extension (the client leap0 builds).

    httpcore reports ``http11.send_request_headers.started`` before the first
    byte of a request goes out (a ``CONNECT`` to a proxy aside: that one never
    reaches the service). An attempt whose time ran out before that was never
    sent, wherever it waited: after leap0's queue let it through, in httpx's
    pool (for a connection, or on one handed to it that closed before its task
    ran: no event tells those apart), connecting, in the TLS handshake, in a
    proxy's tunnel. That holds while its requests reach httpcore's own pool and
    connections (``leap0._http.reaches_httpcore``); a mock in their place
    (pytest-httpx) reports nothing, and an attempt that reported nothing to a
    mock is taken to have been sent: it may have acted.
    """

    __slots__ = ("reported", "sent")

    def __init__(self) -> None:
        self.reported = False
        self.sent = False

    def unsent(self, client: httpx.AsyncClient) -> bool:
        """Whether httpcore handled the attempt and never started sending its headers."""
        if self.sent:
            return False
        if self.reported:
            return True
        from .._http import reaches_httpcore

        return reaches_httpcore(client)

    async def trace(self, event: str, info: Mapping[str, Any]) -> None:
        self.reported = True
        if event.endswith(".send_request_headers.started"):
            request = info.get("request")
            if getattr(request, "method", None) != b"CONNECT":
                self.sent = True


def _encoded(response: httpx.Response) -> bool:
    """Whether the answer's body is compressed (``Accept-Encoding: identity`` was sent)."""
    encoding = response.headers.get("content-encoding")
    return encoding is not None and encoding.strip().lower() not in ("", "identity")


async def _read_body(response: httpx.Response, deadline: Deadline) -> bytes | None:
    """The body of ``response``; ``None``, with the rest unread, past ``MAX_ANSWER_BYTES``.

    Read chunk by chunk with the attempt's deadline checked before the first
    and after every chunk: a body sent a byte at a time cannot hold the call
    much past its timeout, even where a read cannot be interrupted (a
    blocking client handed in; the one leap0 builds caps each read itself).
    """
    if response.is_stream_consumed:
        # Read already: an answer built with its body (a mock transport), or
        # one an event hook of the client read.
        try:
            content = response.content
        except httpx.ResponseNotRead:
            return b""
        return content if len(content) <= MAX_ANSWER_BYTES else None
    length = response.headers.get("content-length")
    if length is not None:
        try:
            if int(length) > MAX_ANSWER_BYTES:
                return None
        except ValueError:
            pass
    deadline.check()
    chunks = []
    size = 0
    async for chunk in cast(AsyncIterable[bytes], response.stream):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            return None
        chunks.append(chunk)
        deadline.check()
    return b"".join(chunks)
