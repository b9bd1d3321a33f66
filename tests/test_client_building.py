"""The pure parts of building a client: the shared TLS context, the checks on a
transport handed in, the headers, the cap on each wait of an attempt, and the
attempts named in errors."""

from __future__ import annotations

import ssl
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

import leap0._deadline as deadlines
import leap0._http as http
from leap0 import AsyncLeap0Client, Leap0Client
from leap0._config import DEFAULT_MAX_RETRIES, USER_AGENT, build_headers, resolve_max_retries
from leap0._deadline import ATTEMPT_END, Deadline
from leap0._responses import attempt_timeout_error, transport_error

# --- the TLS context ---------------------------------------------------------------


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The arguments of each TLS context made from here on: through httpx, then by ssl."""
    calls: list[dict[str, Any]] = []
    through_httpx = httpx.create_ssl_context
    by_ssl = ssl.create_default_context

    def asked(**kwargs: Any) -> ssl.SSLContext:
        calls.append({"httpx": kwargs})
        return through_httpx(**kwargs)

    def made(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        calls.append(kwargs)
        return by_ssl(*args, **kwargs)

    monkeypatch.setattr(http, "_contexts", {})
    monkeypatch.setattr(httpx, "create_ssl_context", asked)
    monkeypatch.setattr(ssl, "create_default_context", made)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return calls


def test_tls_context_is_made_once_as_httpx_makes_it_with_trust_env(
    made: list[dict[str, Any]],
) -> None:
    import certifi

    first = http.tls_context()
    assert http.tls_context() is first
    assert made == [{"httpx": {"trust_env": True}}, {"cafile": certifi.where()}]
    assert http.prepare_tls() is first


def test_threads_asking_at_once_share_one_tls_context(made: list[dict[str, Any]]) -> None:
    start = threading.Barrier(8)
    got: list[object] = []

    def ask() -> None:
        start.wait(timeout=10)
        got.append(http.tls_context())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(got) == 8
    assert all(context is got[0] for context in got)
    assert len(made) == 2  # asked once, made once


def test_each_certificate_setting_gets_its_own_tls_context(
    made: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import certifi

    default = http.tls_context()
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    from_file = http.tls_context()
    assert from_file is not default
    assert http.tls_context() is from_file
    monkeypatch.delenv("SSL_CERT_FILE")
    assert http.tls_context() is default
    assert [call for call in made if "httpx" not in call] == [
        {"cafile": certifi.where()},
        {"cafile": str(bundle)},  # SSL_CERT_FILE honoured, as httpx does with trust_env
    ]


def test_building_clients_makes_no_tls_context(made: list[dict[str, Any]]) -> None:
    for base_url in ("https://api.leap0.test", "http://127.0.0.1:9"):
        Leap0Client(api_key="k", base_url=base_url).close()
        AsyncLeap0Client(api_key="k", base_url=base_url)
    assert made == []


# --- a transport handed in ---------------------------------------------------------


class BlockingTransport:
    def request(self, method: str, path: str, **kwargs: object) -> object:
        return None

    def close(self) -> None:
        pass


class AsyncTransport:
    async def request(self, method: str, path: str, **kwargs: object) -> object:
        return None

    async def aclose(self) -> None:
        pass


def test_async_transport_for_the_blocking_client_is_refused() -> None:
    with pytest.raises(TypeError, match=r"must implement Transport \(methods request and close\)"):
        Leap0Client(transport=AsyncTransport())  # type: ignore[arg-type]


def test_async_request_for_the_blocking_client_is_refused() -> None:
    class Both(AsyncTransport):
        def close(self) -> None:
            pass

    with pytest.raises(
        TypeError, match=r"Both\.request is a coroutine function: it is a transport for the async"
    ):
        Leap0Client(transport=Both())  # type: ignore[arg-type]


def test_blocking_transport_for_the_async_client_is_refused() -> None:
    class Both(BlockingTransport):
        async def aclose(self) -> None:
            pass

    with pytest.raises(
        TypeError,
        match=r"must implement AsyncTransport, whose request is a coroutine function; "
        r"Both\.request is a plain function: it is a transport for the blocking client",
    ):
        AsyncLeap0Client(transport=Both())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"methods request and aclose"):
        AsyncLeap0Client(transport=BlockingTransport())  # type: ignore[arg-type]


def test_transport_of_the_right_kind_is_accepted() -> None:
    blocking, concurrent = BlockingTransport(), AsyncTransport()
    assert Leap0Client(transport=blocking).transport is blocking  # type: ignore[arg-type]
    assert AsyncLeap0Client(transport=concurrent).transport is concurrent  # type: ignore[arg-type]


def test_several_settings_with_a_transport_are_all_named() -> None:
    with pytest.raises(TypeError, match=r"^timeout, max_retries and transport .* they apply"):
        Leap0Client(transport=BlockingTransport(), timeout=3, max_retries=0)  # type: ignore[arg-type]


def test_default_max_retries_is_two_and_told_apart_from_a_two_passed() -> None:
    assert DEFAULT_MAX_RETRIES == 2
    two = int("2")  # an int made at run time, as a caller's argument is
    assert two is not DEFAULT_MAX_RETRIES
    assert type(resolve_max_retries(DEFAULT_MAX_RETRIES)) is int


# --- headers -----------------------------------------------------------------------


def test_build_headers_takes_the_key_only() -> None:
    assert build_headers("k") == {
        "Authorization": "Bearer k",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }
    with pytest.raises(TypeError):
        build_headers("k", {"X-Extra": "1"})  # type: ignore[call-arg]


# --- the cap on each wait of a blocking attempt --------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_plain_with_makes_the_deadline_the_current_attempt_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    monkeypatch.setattr(deadlines, "_now", clock)
    assert ATTEMPT_END.at is None
    with Deadline(30.0):
        assert ATTEMPT_END.at == 130.0
    assert ATTEMPT_END.at is None
    with Deadline(None):
        assert ATTEMPT_END.at is None


def test_waits_are_capped_at_the_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(deadlines, "_now", clock)
    assert http._capped(5.0, TimeoutError) == 5.0  # no attempt under way
    with Deadline(30.0) as deadline:
        assert http._capped(5.0, TimeoutError) == 5.0
        assert http._capped(None, TimeoutError) == 30.0
        clock.now = 128.0
        assert http._capped(5.0, TimeoutError) == 2.0
        assert not deadline.passed()
        clock.now = 130.0
        assert deadline.passed()
        with pytest.raises(TimeoutError, match="time is up"):
            http._capped(5.0, TimeoutError)


def test_capped_stream_passes_the_capped_timeouts_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpcore

    seen: list[tuple[str, float | None]] = []

    class Stream:
        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            seen.append(("read", timeout))
            return b"x"

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            seen.append(("write", timeout))

        def start_tls(
            self, context: Any, hostname: Any = None, timeout: float | None = None
        ) -> Any:
            seen.append(("tls", timeout))
            return self

    class Backend:
        def connect_tcp(
            self, host: str, port: int, timeout: float | None = None, *rest: Any
        ) -> Any:
            seen.append(("connect", timeout))
            return Stream()

    clock = Clock()
    monkeypatch.setattr(deadlines, "_now", clock)
    backend = http._CappedBackend(Backend())  # type: ignore[arg-type]
    with Deadline(10.0):
        stream = backend.connect_tcp("h", 1, timeout=5.0)
        clock.now = 104.0
        stream = stream.start_tls(None, "h", timeout=8.0)  # type: ignore[arg-type]
        clock.now = 107.0
        stream.write(b"x", timeout=30.0)
        assert stream.read(1, timeout=1.0) == b"x"
        clock.now = 110.0
        with pytest.raises(httpcore.ReadTimeout):
            stream.read(1, timeout=30.0)
        with pytest.raises(httpcore.WriteTimeout):
            stream.write(b"x", timeout=30.0)
    assert seen == [("connect", 5.0), ("tls", 6.0), ("write", 3.0), ("read", 1.0)]


# --- errors name the attempts made ---------------------------------------------------


def test_errors_name_the_attempts_made() -> None:
    timeout = transport_error(httpx.ReadTimeout("t"), "GET", "/x", 3)
    assert str(timeout) == "GET /x: timed out waiting for the answer (3 attempts)"
    refused = transport_error(httpx.ConnectError("refused"), "GET", "/x", 1)
    assert str(refused) == "GET /x: could not connect to the service (refused) (1 attempt)"
    whole = attempt_timeout_error("GET", "/x", 1.5, 2)
    assert (
        str(whole)
        == "GET /x: timed out: the attempt took longer than its 1.5 s timeout (2 attempts)"
    )
