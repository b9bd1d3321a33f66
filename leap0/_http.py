"""The httpx clients leap0 builds when none is handed in.

Building an ``httpx`` client costs about 29 ms, nearly all of it a new TLS
context loading the CA certificates. The clients built here cost a fraction of
a millisecond: they share one TLS context per process, built at the first
``https://`` request (a loopback ``http://`` client never builds one), and
each transport sets up its connection pool at its first request.

They keep what httpx does with the environment. With ``trust_env`` (the
``https://`` clients), httpx still reads the proxies (``HTTPS_PROXY``,
``ALL_PROXY``, ``NO_PROXY``) when the client is built, and the TLS context is
the one ``httpx.create_ssl_context(trust_env=True)`` makes (``SSL_CERT_FILE``,
``SSL_CERT_DIR``, as set at a client's first request; one context per setting
seen). Without it (the ``http://`` clients), no proxy.

The blocking client's connections wait at most until the current attempt's
deadline (``leap0._config.ATTEMPT_END``, set by ``with Deadline(...)``) on
every connect, TLS handshake, read and write, and raise httpcore's timeout once
it has passed: a status line and headers trickled in a byte at a time cannot
hold an attempt past its timeout.

This module is imported when the first such client is built, httpcore at its
first request.
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple, overload

import httpx

from . import _config
from ._config import ATTEMPT_END
from .errors import Leap0ConnectionError

if TYPE_CHECKING:
    import httpcore
    from httpcore import NetworkBackend as _BackendBase, NetworkStream as _StreamBase
else:  # httpcore's bases only name the interface: httpcore is imported at the first request
    _BackendBase = _StreamBase = object

__all__ = ["build_client", "tls_context"]

_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
"""httpx's default limits, for a transport httpx asks for without naming any."""

_contexts: dict[tuple[str | None, str | None], ssl.SSLContext] = {}
_contexts_lock = threading.Lock()
_open_lock = threading.Lock()


def _reset_in_child() -> None:
    """After ``fork``: new locks and no shared contexts in the child.

    A thread of the parent may have held a lock at the fork (building the
    TLS context of its first ``https://`` request); that thread does not
    exist in the child, so its lock would never be released there. Clients
    made in the child build their own context; a client made before the fork
    must not be used in the child (as with httpx: its pooled connections are
    the parent's).
    """
    global _contexts_lock, _open_lock
    _contexts_lock = threading.Lock()
    _open_lock = threading.Lock()
    _contexts.clear()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_reset_in_child)


def tls_context() -> ssl.SSLContext:
    """The TLS context of the ``https://`` clients leap0 builds.

    Made as httpx makes it with ``trust_env`` (``httpx.create_ssl_context``),
    once per process for each ``SSL_CERT_FILE``/``SSL_CERT_DIR`` setting, the
    first time it is asked for; threads asking at once get the same one.
    """
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    context = _contexts.get(key)
    if context is None:
        with _contexts_lock:
            context = _contexts.get(key)
            if context is None:
                context = _contexts[key] = httpx.create_ssl_context(trust_env=True)
    return context


@overload
def build_client(
    kind: type[httpx.AsyncClient], *, headers: dict[str, str], trust_env: bool
) -> httpx.AsyncClient: ...
@overload
def build_client(
    kind: type[httpx.Client], *, headers: dict[str, str], trust_env: bool
) -> httpx.Client: ...
def build_client(
    kind: type[httpx.Client] | type[httpx.AsyncClient], *, headers: dict[str, str], trust_env: bool
) -> httpx.Client | httpx.AsyncClient:
    """A client of ``kind``'s flavour whose transports are set up at their first request."""
    cls = _AsyncClient if issubclass(kind, httpx.AsyncClient) else _Client
    return cls(headers=headers, trust_env=trust_env)


def _check_proxy(proxy: httpx.Proxy) -> None:
    """Refuse now, as httpx would, a SOCKS proxy that could not be used."""
    if proxy.url.scheme in ("socks5", "socks5h"):
        import importlib.util

        if importlib.util.find_spec("socksio") is None:
            raise ImportError(
                "a SOCKS proxy is set in the environment but the 'socksio' package "
                "is not installed: install httpx[socks]"
            )


class _Client(httpx.Client):
    """``httpx.Client`` with transports that set up their pool at their first request.

    httpx reads the environment's proxies itself (with ``trust_env``) and asks
    ``_init_transport`` and ``_init_proxy_transport`` for the transports; these
    answer without building a TLS context.
    """

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx.BaseTransport:
        transport: httpx.BaseTransport | None = kwargs.get("transport")
        if transport is not None:
            return transport
        return _LazyTransport(None, kwargs.get("limits", _LIMITS))

    def _init_proxy_transport(
        self, proxy: httpx.Proxy, *args: Any, **kwargs: Any
    ) -> httpx.BaseTransport:
        _check_proxy(proxy)
        return _LazyTransport(proxy, kwargs.get("limits", _LIMITS))


class _AsyncClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` with transports that set up their pool at their first request."""

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx.AsyncBaseTransport:
        transport: httpx.AsyncBaseTransport | None = kwargs.get("transport")
        if transport is not None:
            return transport
        return _AsyncLazyTransport(None, kwargs.get("limits", _LIMITS))

    def _init_proxy_transport(
        self, proxy: httpx.Proxy, *args: Any, **kwargs: Any
    ) -> httpx.AsyncBaseTransport:
        _check_proxy(proxy)
        return _AsyncLazyTransport(proxy, kwargs.get("limits", _LIMITS))


class _LazyTransport(httpx.BaseTransport):
    """A transport that sets up its pool (for ``https``, with the TLS context) on first use."""

    def __init__(self, proxy: httpx.Proxy | None, limits: httpx.Limits) -> None:
        self._proxy = proxy
        self._limits = limits
        self._inner: httpx.HTTPTransport | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        inner = self._inner
        if inner is None:
            inner = self._open(request.url.scheme == "https")
        return inner.handle_request(request)

    def _open(self, tls: bool) -> httpx.HTTPTransport:
        with _open_lock:
            if self._inner is None:
                self._inner = _PoolTransport(_pool(self._proxy, self._limits, tls, blocking=True))
            return self._inner

    def close(self) -> None:
        with _open_lock:
            inner, self._inner = self._inner, None
        if inner is not None:
            inner.close()


class _AsyncLazyTransport(httpx.AsyncBaseTransport):
    """The async ``_LazyTransport``."""

    def __init__(self, proxy: httpx.Proxy | None, limits: httpx.Limits) -> None:
        self._proxy = proxy
        self._limits = limits
        self._inner: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        inner = self._inner
        if inner is None:
            inner = self._open(request.url.scheme == "https")
        return await inner.handle_async_request(request)

    def _open(self, tls: bool) -> httpx.AsyncHTTPTransport:
        with _open_lock:
            if self._inner is None:
                pool = _pool(self._proxy, self._limits, tls, blocking=False)
                self._inner = _AsyncPoolTransport(pool)
            return self._inner

    async def aclose(self) -> None:
        with _open_lock:
            inner, self._inner = self._inner, None
        if inner is not None:
            await inner.aclose()


class _PoolTransport(httpx.HTTPTransport):
    """httpx's transport over a pool built by ``_pool``.

    httpx's own ``__init__`` is not called: it would build a pool of its own,
    with a TLS context of its own. Sending, closing and turning httpcore's
    errors into httpx's are httpx's, unchanged.
    """

    def __init__(self, pool: httpcore.ConnectionPool) -> None:
        self._pool = pool


class _AsyncPoolTransport(httpx.AsyncHTTPTransport):
    """The async ``_PoolTransport``."""

    def __init__(self, pool: httpcore.AsyncConnectionPool) -> None:
        self._pool = pool


def _pool(proxy: httpx.Proxy | None, limits: httpx.Limits, tls: bool, *, blocking: bool) -> Any:
    """The httpcore pool httpx would build for ``proxy`` and ``limits``, HTTP/1.1 only.

    ``tls``: with the shared TLS context (else none: httpcore would make a
    verifying one if a TLS connection were ever asked for). ``blocking``: the
    blocking pool, its connections capped at the attempt's deadline.
    """
    import httpcore

    if tls:
        try:
            ssl_context: ssl.SSLContext | None = tls_context()
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise Leap0ConnectionError(
                f"the TLS certificates could not be loaded ({type(exc).__name__}: {exc})"
            ) from exc
    else:
        ssl_context = None
    options: dict[str, Any] = {
        "ssl_context": ssl_context,
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
    }
    classes: tuple[Any, Any, Any]
    if blocking:
        options["network_backend"] = _CappedBackend(httpcore.SyncBackend())
        classes = (httpcore.ConnectionPool, httpcore.HTTPProxy, httpcore.SOCKSProxy)
    else:
        classes = (httpcore.AsyncConnectionPool, httpcore.AsyncHTTPProxy, httpcore.AsyncSOCKSProxy)
    pool, http_proxy, socks_proxy = classes
    if proxy is None:
        return pool(**options)
    url = httpcore.URL(
        scheme=proxy.url.raw_scheme,
        host=proxy.url.raw_host,
        port=proxy.url.port,
        target=proxy.url.raw_path,
    )
    if proxy.url.scheme in ("socks5", "socks5h"):
        return socks_proxy(proxy_url=url, proxy_auth=proxy.raw_auth, **options)
    return http_proxy(
        proxy_url=url,
        proxy_auth=proxy.raw_auth,
        proxy_headers=proxy.headers.raw,
        proxy_ssl_context=proxy.ssl_context,
        **options,
    )


class _Timeouts(NamedTuple):
    connect: type[Exception]
    read: type[Exception]
    write: type[Exception]


def _capped(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout``, or less: no later than the attempt's deadline; ``error`` once it has passed."""
    end = ATTEMPT_END.at
    if end is None:
        return timeout
    left = end - _config._now()
    if left <= 0:
        raise error("the attempt's time is up")
    return left if timeout is None or left < timeout else timeout


class _CappedBackend(_BackendBase):
    """httpcore's blocking network backend, each wait capped at the attempt's deadline."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        import httpcore

        self._backend = backend
        self._timeouts = _Timeouts(
            httpcore.ConnectTimeout, httpcore.ReadTimeout, httpcore.WriteTimeout
        )

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _capped(timeout, self._timeouts.connect)
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _CappedStream(stream, self._timeouts)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _capped(timeout, self._timeouts.connect)
        stream = self._backend.connect_unix_socket(path, timeout, socket_options)
        return _CappedStream(stream, self._timeouts)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _CappedStream(_StreamBase):
    """A connection whose every read, write and TLS handshake ends by the attempt's deadline."""

    __slots__ = ("_stream", "_timeouts")

    def __init__(self, stream: httpcore.NetworkStream, timeouts: _Timeouts) -> None:
        self._stream = stream
        self._timeouts = timeouts

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _capped(timeout, self._timeouts.read))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _capped(timeout, self._timeouts.write))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _capped(timeout, self._timeouts.connect)
        stream = self._stream.start_tls(ssl_context, server_hostname, timeout)
        return _CappedStream(stream, self._timeouts)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)
