"""The httpx clients leap0 builds when none is handed in, on httpx's and httpcore's public API.

Building ``httpx.Client()`` costs 20 ms or more, nearly all of it a new TLS
context loading the CA certificates. The clients built here cost about
0.1 ms: they are plain ``httpx.Client`` / ``httpx.AsyncClient`` objects handed
an ``ssl.SSLContext`` leap0 made once per process, and no certificate is
loaded until a request needs one:

* ``https://``: the client's context (``verify=``) is a stand-in that trusts
  what :func:`tls_context` trusts, the context httpx makes with ``trust_env``
  (``httpx.create_ssl_context``: ``SSL_CERT_FILE``, ``SSL_CERT_DIR``, else
  certifi's bundle). That one is made once per process for each
  ``SSL_CERT_FILE``/``SSL_CERT_DIR`` setting, by :func:`prepare_tls` at the
  client's first request, before any I/O (certificates that cannot be loaded
  are then a ``Leap0ConnectionError``, not retried), and each TLS handshake
  uses the one of the setting in force when it starts. httpx reads the
  environment's proxies (``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``) when the
  client is built, as it does with ``trust_env``.
* loopback ``http://``: a context that trusts nothing, made once per process,
  never with a certificate in it; ``trust_env=False``: no proxy, whatever the
  environment says (the API key would cross to it in clear text).

Their pool is httpx's default: 100 connections (leap0's admission queue,
``leap0._gate``, lets no more requests than that through at once), 20 kept
alive. Not more kept alive: httpcore (1.0.x) hands an idle connection to every
request queued at that moment, and all but the first find it taken and queue
again; with all 100 kept alive, 600 concurrent creates behind a slow service
made 1,170 such hand-outs in vain and ended with 191 successes instead of 300
(``benchmarks/bench_queue_timeout.py``). With 20, httpcore closes the idle
connections of a pool that holds more than 20, so under a fan-out each request
gets a connection of its own (a new one).

The blocking client sends through :class:`_DeadlineTransport`, an
``httpx.HTTPTransport`` (built by its own ``__init__``) over an
``httpcore.ConnectionPool`` whose network backend caps every connect, TLS
handshake, read and write at the current attempt's deadline
(``leap0._deadline.ATTEMPT_END``, set by ``with Deadline(...)``) and raises
httpcore's timeout once it has passed, and whose wait for a pooled connection
ends there too (a ``PoolTimeout``: nothing was sent). A status line and
headers trickled in a byte at a time cannot hold an attempt past its timeout.
When ``httpx.HTTPTransport.handle_request`` is not httpx's own (a mock such as
pytest-httpx replaced it on the class), the transport defers to it. When the
environment names a proxy for ``https://`` (``HTTPS_PROXY`` or ``ALL_PROXY``,
as ``urllib.request.getproxies()`` reads them), the blocking client is a plain
``httpx.Client`` with ``trust_env``, so that httpx applies the proxy and
``NO_PROXY`` exactly as it does: through it, as through an ``http_client``
handed in, the attempt's deadline is checked between the body's reads only.

This module is imported when the first such client is built (httpx imports
httpcore then).
"""

from __future__ import annotations

import os
import ssl
import threading
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, overload

import httpx

from . import _deadline
from ._config import DEFAULT_MAX_CONCURRENCY
from ._deadline import ATTEMPT_END
from .errors import Leap0ConnectionError

if TYPE_CHECKING:
    import socket

    import httpcore
    from httpcore import NetworkBackend as _BackendBase, NetworkStream as _StreamBase
else:  # httpcore's bases only name the interface: httpcore is imported with the first client
    _BackendBase = _StreamBase = object

__all__ = ["LIMITS", "build_client", "prepare_tls", "reaches_httpcore", "tls_context"]

LIMITS = httpx.Limits(max_connections=int(DEFAULT_MAX_CONCURRENCY), max_keepalive_connections=20)
"""The pool of the clients leap0 builds: httpx's default, as many connections as are admitted."""

_contexts: dict[tuple[str | None, str | None], ssl.SSLContext] = {}
_contexts_lock = threading.Lock()
_made_lock = threading.Lock()
_stand_ins: dict[bool, ssl.SSLContext] = {}


def _reset_in_child() -> None:
    """After ``fork``: new locks and no loaded contexts in the child.

    A thread of the parent may have held a lock at the fork (loading the
    certificates at its first ``https://`` request); that thread does not
    exist in the child, so its lock would never be released there. Clients
    made in the child load their own; a client made before the fork must not
    be used in the child (as with httpx: its pooled connections are the
    parent's).
    """
    global _contexts_lock, _made_lock
    _contexts_lock = threading.Lock()
    _made_lock = threading.Lock()
    _contexts.clear()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_reset_in_child)


def tls_context() -> ssl.SSLContext:
    """The TLS context the ``https://`` clients leap0 builds verify the service with.

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
                context = httpx.create_ssl_context(trust_env=True)
                context.set_alpn_protocols(["http/1.1"])  # what httpcore sets for HTTP/1.1
                _contexts[key] = context
    return context


def prepare_tls() -> ssl.SSLContext:
    """:func:`tls_context`, or ``Leap0ConnectionError`` when its certificates cannot be loaded."""
    try:
        return tls_context()
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise Leap0ConnectionError(
            f"the TLS certificates could not be loaded ({type(exc).__name__}: {exc})"
        ) from exc


class _StandIn(ssl.SSLContext):
    """The ``verify=`` of the ``https://`` clients: its handshakes are :func:`tls_context`'s.

    A bare context (it trusts nothing of its own) whose ``wrap_socket`` and
    ``wrap_bio``, the two ways a TLS connection is made from a context, hand
    the work to the loaded context of the setting in force. Certificates are
    thus loaded at the first request, not when a client is built. (anyio runs
    ``wrap_bio`` of a context that is not exactly ``ssl.SSLContext`` in a
    worker thread: a few tens of microseconds more per new connection.)
    """

    def wrap_socket(
        self,
        sock: socket.socket,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: str | bytes | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLSocket:
        return prepare_tls().wrap_socket(
            sock,
            server_side,
            do_handshake_on_connect,
            suppress_ragged_eofs,
            server_hostname,
            session,
        )

    def wrap_bio(
        self,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: str | bytes | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLObject:
        return prepare_tls().wrap_bio(incoming, outgoing, server_side, server_hostname, session)


def _verify(tls: bool) -> ssl.SSLContext:
    """The ``verify=`` of a client: the stand-in for ``https://``, else one trusting nothing.

    Each is made once per process (an ``ssl.SSLContext`` costs about 0.3 ms).
    """
    context = _stand_ins.get(tls)
    if context is None:
        with _made_lock:
            context = _stand_ins.get(tls)
            if context is None:
                cls = _StandIn if tls else ssl.SSLContext
                context = _stand_ins[tls] = cls(ssl.PROTOCOL_TLS_CLIENT)
    return context


class Built(NamedTuple):
    """A client leap0 built, and what to call before its first request (or ``None``)."""

    client: Any
    prepare: Callable[[], object] | None


@overload
def build_client(kind: type[httpx.AsyncClient], *, tls: bool, headers: dict[str, str]) -> Built: ...
@overload
def build_client(kind: type[httpx.Client], *, tls: bool, headers: dict[str, str]) -> Built: ...
def build_client(
    kind: type[httpx.Client] | type[httpx.AsyncClient], *, tls: bool, headers: dict[str, str]
) -> Built:
    """A client of ``kind``'s flavour for an ``https://`` (``tls``) or loopback ``http://`` URL.

    ``Built.prepare`` loads the certificates (:func:`prepare_tls`); it is
    ``None`` for ``http://``. A SOCKS proxy from the environment without the
    ``socksio`` package, or a proxy URL httpx cannot use, fails here, as httpx
    fails building its client.
    """
    verify = _verify(tls)
    prepare = prepare_tls if tls else None
    if issubclass(kind, httpx.AsyncClient):
        client: Any = httpx.AsyncClient(
            verify=verify, limits=LIMITS, trust_env=tls, headers=headers
        )
    elif tls and _proxy_in_environment():
        client = httpx.Client(verify=verify, limits=LIMITS, trust_env=True, headers=headers)
    else:
        # With a transport given, httpx reads no proxy; trust_env says what it would do.
        transport = _DeadlineTransport(verify, LIMITS)
        client = httpx.Client(transport=transport, trust_env=tls, headers=headers)
    return Built(client, prepare)


def _proxy_in_environment() -> bool:
    """Whether the environment names a proxy httpx would use for an ``https://`` URL."""
    proxies = urllib.request.getproxies()  # what httpx reads with trust_env
    return bool(proxies.get("https") or proxies.get("all"))


def _defined_in(package: str, cls: object, name: str) -> bool:
    """Whether ``cls.name`` is a function of ``package``'s own (no mock replaced it)."""
    module = getattr(getattr(cls, name, None), "__module__", None)
    return isinstance(module, str) and module.partition(".")[0] == package


def reaches_httpcore(client: httpx.Client | httpx.AsyncClient) -> bool:
    """Whether requests of the client leap0 built reach httpcore's own pool and connections.

    Then httpcore's ``trace`` extension reports what they do, and a request it
    never reported sending its headers for never left. Not so when a mock
    replaced httpx's transport (pytest-httpx) or httpcore's pool or
    connections (respx) on their class.
    """
    import httpcore

    if isinstance(client, httpx.AsyncClient):
        send = "handle_async_request"
        transport: type = httpx.AsyncHTTPTransport
        classes: tuple[type, ...] = (
            httpcore.AsyncConnectionPool,
            httpcore.AsyncHTTPProxy,
            httpcore.AsyncSOCKSProxy,
            httpcore.AsyncHTTPConnection,
        )
    else:
        send = "handle_request"
        transport = httpx.HTTPTransport
        classes = (
            httpcore.ConnectionPool,
            httpcore.HTTPProxy,
            httpcore.SOCKSProxy,
            httpcore.HTTPConnection,
        )
    # httpcore's SOCKS pools are placeholders without a handle method when socksio is absent.
    return _defined_in("httpx", transport, send) and all(
        _defined_in("httpcore", cls, send) for cls in classes if hasattr(cls, send)
    )


_httpx_send: list[object] = []
"""``httpx.HTTPTransport.handle_request`` once seen to be httpx's own (at most one)."""


def _httpx_sends(function: object) -> bool:
    """Whether ``function`` is httpx's own ``HTTPTransport.handle_request``, not a mock's."""
    if function in _httpx_send:
        return True
    module = getattr(function, "__module__", None)
    own = (
        isinstance(module, str)
        and module.partition(".")[0] == "httpx"
        and getattr(function, "__qualname__", None) == "HTTPTransport.handle_request"
    )
    if own:
        _httpx_send[:] = [function]
    return own


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's blocking transport, sending through a pool whose waits end at the deadline.

    ``__init__`` is httpx's (its own pool stays idle, there for a mock that
    calls httpx's ``handle_request``); requests go to ``deadline_pool``, an
    ``httpcore.ConnectionPool`` over :class:`_CappedBackend`, converted to and
    from httpcore as httpx converts them, httpcore's errors turned into
    httpx's.
    """

    def __init__(self, verify: ssl.SSLContext, limits: httpx.Limits) -> None:
        super().__init__(verify=verify, limits=limits, trust_env=False)
        import httpcore

        self.deadline_pool = httpcore.ConnectionPool(
            ssl_context=verify,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_CappedBackend(httpcore.SyncBackend()),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not _httpx_sends(httpx.HTTPTransport.handle_request):
            return super().handle_request(request)  # a mock's, on httpx's class
        import httpcore

        url = request.url
        extensions = request.extensions
        end = ATTEMPT_END.at
        if end is not None:
            # Waiting for a pooled connection ends at the deadline too: a PoolTimeout.
            left = end - _deadline._now()
            if left <= 0:
                raise httpx.PoolTimeout("the attempt's time is up", request=request)
            timeouts = extensions.get("timeout") or {}
            pool = timeouts.get("pool")
            if pool is None or pool > left:
                extensions = {**extensions, "timeout": {**timeouts, "pool": left}}
        try:
            answer = self.deadline_pool.handle_request(
                httpcore.Request(
                    method=request.method,
                    url=httpcore.URL(
                        scheme=url.raw_scheme,
                        host=url.raw_host,
                        port=url.port,
                        target=url.raw_path,
                    ),
                    headers=request.headers.raw,
                    content=request.stream,
                    extensions=extensions,
                )
            )
        except Exception as exc:
            raise _httpx_error(exc) from exc
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_ResponseStream(answer.stream),  # type: ignore[arg-type]
            extensions=answer.extensions,
        )

    def close(self) -> None:
        super().close()
        self.deadline_pool.close()

    def __exit__(self, *exc_info: Any) -> None:
        try:
            super().__exit__(*exc_info)
        finally:
            self.deadline_pool.close()


class _ResponseStream(httpx.SyncByteStream):
    """An answer's body from httpcore, its errors turned into httpx's."""

    def __init__(self, source: Iterable[bytes]) -> None:
        self.source = source

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.source
        except Exception as exc:
            raise _httpx_error(exc) from exc

    def close(self) -> None:
        close = getattr(self.source, "close", None)
        if close is not None:
            close()


_errors: dict[type[BaseException], type[httpx.TransportError]] = {}


def _httpx_error(exc: Exception) -> Exception:
    """httpx's error for httpcore's ``exc`` (the most specific, as httpx maps them), or ``exc``."""
    if not _errors:
        import httpcore

        _errors.update(
            {
                httpcore.TimeoutException: httpx.TimeoutException,
                httpcore.ConnectTimeout: httpx.ConnectTimeout,
                httpcore.ReadTimeout: httpx.ReadTimeout,
                httpcore.WriteTimeout: httpx.WriteTimeout,
                httpcore.PoolTimeout: httpx.PoolTimeout,
                httpcore.NetworkError: httpx.NetworkError,
                httpcore.ConnectError: httpx.ConnectError,
                httpcore.ReadError: httpx.ReadError,
                httpcore.WriteError: httpx.WriteError,
                httpcore.ProxyError: httpx.ProxyError,
                httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
                httpcore.ProtocolError: httpx.ProtocolError,
                httpcore.LocalProtocolError: httpx.LocalProtocolError,
                httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
            }
        )
    for cls in type(exc).__mro__:
        error = _errors.get(cls)
        if error is not None:
            return error(str(exc))
    return exc


class _Timeouts(NamedTuple):
    connect: type[Exception]
    read: type[Exception]
    write: type[Exception]


def _capped(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout``, or less: no later than the attempt's deadline; ``error`` once it has passed."""
    end = ATTEMPT_END.at
    if end is None:
        return timeout
    left = end - _deadline._now()
    if left <= 0:
        raise error("the attempt's time is up")
    return left if timeout is None or left < timeout else timeout


class _CappedBackend(_BackendBase):
    """httpcore's blocking network backend, each wait capped at the attempt's deadline."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        import httpcore

        self.backend = backend
        self.timeouts = _Timeouts(
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
        timeout = _capped(timeout, self.timeouts.connect)
        stream = self.backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _CappedStream(stream, self.timeouts)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _capped(timeout, self.timeouts.connect)
        stream = self.backend.connect_unix_socket(path, timeout, socket_options)
        return _CappedStream(stream, self.timeouts)

    def sleep(self, seconds: float) -> None:
        self.backend.sleep(seconds)


class _CappedStream(_StreamBase):
    """A connection whose every read, write and TLS handshake ends by the attempt's deadline."""

    __slots__ = ("stream", "timeouts")

    def __init__(self, stream: httpcore.NetworkStream, timeouts: _Timeouts) -> None:
        self.stream = stream
        self.timeouts = timeouts

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.stream.read(max_bytes, _capped(timeout, self.timeouts.read))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, _capped(timeout, self.timeouts.write))

    def close(self) -> None:
        self.stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _capped(timeout, self.timeouts.connect)
        stream = self.stream.start_tls(ssl_context, server_hostname, timeout)
        return _CappedStream(stream, self.timeouts)

    def get_extra_info(self, info: str) -> Any:
        return self.stream.get_extra_info(info)
