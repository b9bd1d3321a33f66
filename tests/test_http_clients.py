"""The httpx clients leap0 builds, against real sockets on loopback, both flavours.

Their pool: a request whose time runs out while it waits in httpx's pool for
a connection was never sent, and is retried even for a create.
The environment: an ``http://`` client never uses a proxy, an ``https://``
one uses the environment's, a SOCKS proxy without ``socksio`` fails when the
client is built. TLS: ``SSL_CERT_FILE`` is honoured, through the context the
clients share. And pytest-httpx still mocks them.

Servers answer from threads; requests are held on events, not timers, so
nothing depends on how fast the machine is. The one timeout here (50 ms) is a
wait in the pool that can never end otherwise.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

import leap0._http as http
from leap0 import AsyncLeap0Client, Leap0Client, Leap0ConnectionError, Leap0TimeoutError
from tests._servers import self_signed
from tests._support import API_KEY, access_json, sandbox_json

SANDBOX = "/v1/sandbox/sbx-abc123/"
ACCESS = "/v1/sandbox/sbx-abc123/ssh/access"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
FLAVOURS = ["blocking", "async"]


@pytest.fixture(autouse=True)
def _no_waits(sleeps: list[float]) -> None:
    """Retries wait no time (the ``sleeps`` fixture)."""


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def _read_head(conn: socket.socket, buffer: bytearray) -> bytes | None:
    """One request's head and body from ``conn`` (``None`` once it closed)."""
    while b"\r\n\r\n" not in buffer:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    end = buffer.index(b"\r\n\r\n") + 4
    head = bytes(buffer[:end])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(buffer) < end + length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    del buffer[: end + length]
    return head


def _answer(status: str, body: object, *, close: bool = False) -> bytes:
    data = json.dumps(body).encode()
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        f"{'Connection: close' if close else 'Connection: keep-alive'}\r\n\r\n"
    ).encode() + data


class Server:
    """An HTTP/1.1 server on 127.0.0.1 keeping connections alive, a thread per connection.

    ``hold(request_line)`` runs before each answer (it may wait); ``answer``
    makes it. ``requests`` lists the request lines, ``connections`` counts
    those accepted. With ``tls``, it speaks TLS with that server context.
    """

    def __init__(
        self,
        answer: Callable[[bytes], bytes],
        hold: Callable[[bytes], None] = lambda line: None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.answer = answer
        self.hold = hold
        self.tls = tls
        self.requests: list[bytes] = []
        self.connections = 0
        self.arrived = threading.Condition()
        self._stopping = False
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        while True:
            conn, _ = self._sock.accept()
            if self._stopping:
                conn.close()
                return
            with self.arrived:
                self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = bytearray()
        try:
            conn.settimeout(30)
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            while True:
                head = _read_head(conn, buffer)
                if head is None:
                    return
                line = head.split(b"\r\n", 1)[0]
                with self.arrived:
                    self.requests.append(line)
                    self.arrived.notify_all()
                self.hold(line)
                conn.sendall(self.answer(line))
        except OSError:
            return
        finally:
            conn.close()

    def wait_for(self, count: int) -> None:
        """Until ``count`` requests have arrived (at most 30 s: a stuck test fails)."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.requests) >= count, timeout=30)

    def stop(self) -> None:
        self._stopping = True
        socket.create_connection(("127.0.0.1", self.port), timeout=10).close()
        self._accepting.join(timeout=10)
        self._sock.close()
        for thread in self._threads:
            thread.join(timeout=10)


def _ssh_answer(line: bytes) -> bytes:
    if b" /v1/sandbox/sbx-abc123/ssh/access " in line:
        return _answer("201 Created", access_json())
    return _answer("200 OK", sandbox_json())


@pytest.fixture
def held() -> Iterator[tuple[Server, threading.Event]]:
    """(server, release): its ``GET`` of the sandbox waits until ``release`` is set."""
    release = threading.Event()

    def hold(line: bytes) -> None:
        if line.startswith(b"GET "):
            assert release.wait(30)

    server = Server(_ssh_answer, hold)
    try:
        yield server, release
    finally:
        release.set()
        server.stop()


def _run(flavour: str, body: Callable[[Any], Any], **options: Any) -> Any:
    """``body(client)`` with a client of ``flavour`` on ``options``; its result."""
    if flavour == "blocking":
        with Leap0Client(api_key=API_KEY, ssh_api="single", **options) as client:
            return body(client)

    async def main() -> Any:
        async with AsyncLeap0Client(api_key=API_KEY, ssh_api="single", **options) as client:
            return await body(client)

    return asyncio.run(main())


# --- the pool ------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_wait_in_the_pool_that_runs_out_was_never_sent_and_is_retried_for_a_create(
    flavour: str, held: tuple[Server, threading.Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, release = held
    # A pool of two connections behind a queue of ten: the queue lets the create through,
    # and it can only wait in httpx's pool while the two gets hold both connections.
    monkeypatch.setattr(http, "LIMITS", httpx.Limits(max_connections=2))
    options = {"base_url": f"http://127.0.0.1:{server.port}", "max_concurrency": 10}
    outcome: dict[str, BaseException | str] = {}

    def blocking(client: Leap0Client) -> None:
        holders = [
            threading.Thread(target=client.sandboxes.get_info, args=("sbx-abc123",))
            for _ in range(2)
        ]
        for holder in holders:
            holder.start()
        server.wait_for(2)  # both connections taken: the two requests reached the server
        try:
            client.ssh.create_access("sbx-abc123", http_timeout=0.05)
        except Leap0TimeoutError as exc:
            outcome["error"] = exc
        finally:
            release.set()
            for holder in holders:
                holder.join(30)
        outcome["after"] = client.ssh.create_access("sbx-abc123").id

    async def concurrent(client: AsyncLeap0Client) -> None:
        holders = [asyncio.ensure_future(client.sandboxes.get_info("sbx-abc123")) for _ in "ab"]
        await asyncio.to_thread(server.wait_for, 2)
        try:
            await client.ssh.create_access("sbx-abc123", http_timeout=0.05)
        except Leap0TimeoutError as exc:
            outcome["error"] = exc
        finally:
            release.set()
            await asyncio.gather(*holders)
        outcome["after"] = (await client.ssh.create_access("sbx-abc123")).id

    _run(flavour, blocking if flavour == "blocking" else concurrent, max_retries=2, **options)
    error = str(outcome["error"])
    assert "waiting for a free connection" in error
    assert "nothing was sent (3 attempts)" in error  # retried although a create
    lines = server.requests
    assert sum(line.startswith(b"POST ") for line in lines) == 1  # only the one after
    assert outcome["after"]


# --- proxies from the environment ------------------------------------------------------


@pytest.fixture
def proxy() -> Iterator[Server]:
    """A proxy that refuses everything with ``502``, recording what reaches it."""
    server = Server(
        lambda line: _answer("502 Bad Gateway", {"message": "via the proxy"}, close=True)
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
def test_an_http_client_never_goes_through_a_proxy(
    flavour: str,
    variable: str,
    proxy: Server,
    held: tuple[Server, threading.Event],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api, release = held
    release.set()
    monkeypatch.setenv(variable, f"http://127.0.0.1:{proxy.port}")

    def blocking(client: Leap0Client) -> str:
        return client.ssh.create_access("sbx-abc123").id

    async def concurrent(client: AsyncLeap0Client) -> str:
        return (await client.ssh.create_access("sbx-abc123")).id

    body = blocking if flavour == "blocking" else concurrent
    assert _run(flavour, body, base_url=f"http://127.0.0.1:{api.port}", max_retries=0)
    assert proxy.requests == []
    assert api.requests == [b"POST /v1/sandbox/sbx-abc123/ssh/access HTTP/1.1"]


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "ALL_PROXY"])
def test_an_https_client_goes_through_the_proxy_of_the_environment(
    flavour: str, variable: str, proxy: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, f"http://127.0.0.1:{proxy.port}")

    def blocking(client: Leap0Client) -> None:
        client.sandboxes.get_info("sbx-abc123")

    async def concurrent(client: AsyncLeap0Client) -> None:
        await client.sandboxes.get_info("sbx-abc123")

    with pytest.raises(Leap0ConnectionError, match="502"):  # the proxy refuses the tunnel
        _run(
            flavour,
            blocking if flavour == "blocking" else concurrent,
            base_url="https://api.leap0.test",
            max_retries=0,
        )
    assert proxy.requests == [b"CONNECT api.leap0.test:443 HTTP/1.1"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_no_proxy_leaves_an_https_client_direct(
    flavour: str, proxy: Server, monkeypatch: pytest.MonkeyPatch, httpx_mock: HTTPXMock
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.setenv("NO_PROXY", "api.leap0.test")
    httpx_mock.add_response(json=sandbox_json())

    def blocking(client: Leap0Client) -> str:
        return client.sandboxes.get_info("sbx-abc123").id

    async def concurrent(client: AsyncLeap0Client) -> str:
        return (await client.sandboxes.get_info("sbx-abc123")).id

    body = blocking if flavour == "blocking" else concurrent
    assert _run(flavour, body, base_url="https://api.leap0.test") == "sbx-abc123"
    request = httpx_mock.get_request()
    assert request is not None
    assert request.url == "https://api.leap0.test/v1/sandbox/sbx-abc123/"
    assert proxy.requests == []


@pytest.mark.parametrize("kind", [Leap0Client, AsyncLeap0Client])
def test_a_socks_proxy_without_socksio_fails_when_the_client_is_built(
    kind: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "socksio", None)  # import socksio raises ImportError
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:9")
    with pytest.raises(ImportError, match="socksio"):
        kind(api_key=API_KEY, base_url="https://api.leap0.test")
    kind(api_key=API_KEY, base_url="http://127.0.0.1:9")  # http://: no proxy, nothing needed


# --- TLS --------------------------------------------------------------------------------


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    """(server, its certificate): a TLS server on 127.0.0.1 with a self-signed certificate."""
    pytest.importorskip("cryptography.x509")
    cert_path, key_path = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server = Server(_ssh_answer, tls=context)
    try:
        yield server, cert_path
    finally:
        server.stop()


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_ssl_cert_file_is_trusted_through_the_shared_context(
    flavour: str, tls_server: tuple[Server, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = tls_server
    monkeypatch.setattr(http, "_contexts", {})
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)

    def blocking(client: Leap0Client) -> list[str]:
        return [client.sandboxes.get_info("sbx-abc123").id for _ in range(2)]

    async def concurrent(client: AsyncLeap0Client) -> list[str]:
        return [(await client.sandboxes.get_info("sbx-abc123")).id for _ in range(2)]

    body = blocking if flavour == "blocking" else concurrent
    ids = _run(flavour, body, base_url=f"https://127.0.0.1:{server.port}", max_retries=0)
    assert ids == ["sbx-abc123", "sbx-abc123"]
    assert server.connections == 1  # kept alive
    assert list(http._contexts) == [(str(cert), None)]  # loaded once, for that setting


# --- mocks --------------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("base_url", ["https://api.leap0.test", "http://127.0.0.1:9"])
def test_pytest_httpx_mocks_the_clients_leap0_builds(
    flavour: str, base_url: str, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=201, json=access_json())

    def blocking(client: Leap0Client) -> str:
        return client.ssh.create_access("sbx-abc123").id

    async def concurrent(client: AsyncLeap0Client) -> str:
        return (await client.ssh.create_access("sbx-abc123")).id

    body = blocking if flavour == "blocking" else concurrent
    assert _run(flavour, body, base_url=base_url)
    request = httpx_mock.get_request()
    assert request is not None
    assert request.url == f"{base_url}{ACCESS}"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"


async def test_a_mocked_timeout_stays_one_that_may_have_acted(httpx_mock: HTTPXMock) -> None:
    """A mock reports nothing of a request's progress: its timeout is not "never sent"."""

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)  # cancelled at the attempt's deadline
        return httpx.Response(201, json=access_json())

    httpx_mock.add_callback(slow)
    async with AsyncLeap0Client(api_key=API_KEY, base_url="https://api.leap0.test") as client:
        with pytest.raises(Leap0TimeoutError, match=r"took longer than .* \(1 attempt\)$"):
            await client.ssh.create_access("sbx-abc123", http_timeout=0.05)
    assert len(httpx_mock.get_requests()) == 1  # a create that may have acted: not repeated


def test_the_blocking_wait_for_a_pooled_connection_ends_at_the_deadline(
    held: tuple[Server, threading.Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no pool timeout of its own, the wait still ends with the attempt (a PoolTimeout).

    Without the cap it would last until the held request is answered (``release``
    after 10 s at the latest) and then succeed.
    """
    import leap0._deadline as deadlines
    from leap0._deadline import Deadline

    server, release = held
    transport = http._DeadlineTransport(http._verify(False), httpx.Limits(max_connections=1))
    unlimited = httpx.Timeout(None)
    with httpx.Client(transport=transport) as client:
        holder = threading.Thread(target=client.get, args=(f"http://127.0.0.1:{server.port}/",))
        holder.start()
        server.wait_for(1)  # the one connection is taken
        timer = threading.Timer(10, release.set)
        timer.start()
        try:
            with Deadline(30.0):
                # 29.95 s of the attempt have passed: 50 ms are left for the wait.
                monkeypatch.setattr(deadlines, "_now", lambda: time.monotonic() + 29.95)
                with pytest.raises(httpx.PoolTimeout):
                    client.post(f"http://127.0.0.1:{server.port}{ACCESS}", timeout=unlimited)
        finally:
            monkeypatch.setattr(deadlines, "_now", time.monotonic)
            release.set()
            timer.cancel()
            holder.join(30)
    assert [line.split(b" ")[0] for line in server.requests] == [b"GET"]  # the POST never left
