# Generated from tests/_async/test_transport_hardening.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
"""The transport against hostile settings and answers.

Proxies and certificates in the environment, answers nested too deeply or too
large, answers trickled in, a ``Retry-After`` longer than any retry waits, a
delete whose answer was lost, secrets that cannot be sent, malformed base URLs,
and errors that say how many attempts were made.
"""

from __future__ import annotations

import inspect
import json
import ssl
import traceback
from collections.abc import Iterator, Generator
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock, IteratorStream

import leap0._deadline as deadlines
import leap0._http as http
from leap0 import (
    Leap0Client,
    Leap0APIError,
    Leap0BadRequestError,
    Leap0ConnectionError,
    Leap0NotFoundError,
    Leap0RateLimitError,
    Leap0ResponseError,
    Leap0ServerError,
    Leap0TimeoutError,
)
from leap0._responses import MAX_ANSWER_BYTES
from leap0.models import SshValidation
from tests._servers import DripServer, LoopbackServer, PacedClock
from tests._support import ACCESS_ID, API_KEY, BASE_URL, PASSWORD, SANDBOX_ID, FakeClock

VALID = {"valid": True, "sandbox_id": SANDBOX_ID}
SECRET = "Zq9-do-not-show-0123"  # the part of each secret that must never be shown
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUEST_METHOD")


@pytest.fixture
def client() -> Iterator[Leap0Client]:
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL, max_retries=2, ssh_api="single") as c:
        yield c


def _validate(client: Leap0Client, **kwargs: Any) -> SshValidation:
    return client.ssh.validate_access(SANDBOX_ID, access_id=ACCESS_ID, password=PASSWORD, **kwargs)


def _assert_hidden(exc: BaseException, secret: str) -> None:
    """``secret`` is in no str, repr, arg or traceback of ``exc`` and the errors it chains."""
    texts = ["".join(traceback.format_exception(type(exc), exc, exc.__traceback__))]
    seen: BaseException | None = exc
    while seen is not None:
        texts += [str(seen), repr(seen), *map(repr, seen.args)]
        seen = seen.__cause__ or seen.__context__
    for text in texts:
        assert secret not in text


# --- proxies -----------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
def test_http_base_url_never_goes_through_a_proxy_from_the_environment(
    loopback: tuple[LoopbackServer, LoopbackServer], monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    api, proxy = loopback
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv(variable, f"http://127.0.0.1:{proxy.port}")

    with Leap0Client(
        api_key=API_KEY, base_url=f"http://127.0.0.1:{api.port}", max_retries=0
    ) as client:
        check = _validate(client)

    assert check.valid
    assert proxy.requests == []
    assert len(api.requests) == 1
    assert f"Bearer {API_KEY}".encode() in api.requests[0]


def test_https_base_url_goes_through_the_proxy_from_the_environment(
    loopback: tuple[LoopbackServer, LoopbackServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, proxy = loopback
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")

    with Leap0Client(api_key=API_KEY, base_url=BASE_URL, max_retries=0) as client:
        with pytest.raises(Leap0ConnectionError, match="502"):  # the proxy refuses the tunnel
            _validate(client)

    assert len(proxy.requests) == 1
    assert proxy.requests[0].startswith(b"CONNECT api.leap0.test:443 ")
    assert API_KEY.encode() not in proxy.requests[0]  # the key only ever goes through TLS
    assert api.requests == []


# --- the TLS context ---------------------------------------------------------------


@pytest.fixture
def tls_contexts(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Each TLS context with certificates made from here on, by anyone (its arguments)."""
    made: list[dict[str, Any]] = []
    create = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(kwargs)
        return create(*args, **kwargs)

    # The TLS contexts leap0 shares are kept in a private cache, with no public way
    # to empty it: each test starts from none, as a fresh process would.
    monkeypatch.setattr(http, "_contexts", {})
    monkeypatch.setattr(ssl, "create_default_context", counted)
    return made


def test_clients_share_one_tls_context_made_at_the_first_https_request(
    tls_contexts: list[dict[str, Any]], httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json=VALID, is_reusable=True)
    first = Leap0Client(api_key=API_KEY, base_url=BASE_URL)
    second = Leap0Client(api_key=API_KEY, base_url=BASE_URL)
    assert tls_contexts == []  # building a client makes none
    with first, second:
        _validate(first)
        _validate(second)
        _validate(first)
    assert len(tls_contexts) == 1


def test_http_base_url_never_makes_a_tls_context(
    loopback: tuple[LoopbackServer, LoopbackServer], tls_contexts: list[dict[str, Any]]
) -> None:
    api, _ = loopback
    with Leap0Client(
        api_key=API_KEY, base_url=f"http://127.0.0.1:{api.port}", max_retries=0
    ) as client:
        check = _validate(client)
    assert check.valid
    assert tls_contexts == []


def test_own_http_client_keeps_its_own_tls_context(
    tls_contexts: list[dict[str, Any]], httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json=VALID)
    with httpx.Client() as http_client:
        assert len(tls_contexts) == 1  # the client's own, made when it was built
        transport = http_client._transport  # httpx's: no public way to see it is the same
        with Leap0Client(api_key=API_KEY, base_url=BASE_URL, http_client=http_client) as client:
            _validate(client)
        assert http_client._transport is transport
        assert type(transport).__module__ == "httpx"
    assert len(tls_contexts) == 1  # leap0 made none


def test_certificates_that_cannot_be_loaded_are_a_connection_error(
    tls_contexts: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    sleeps: list[float],
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL) as client:
        with pytest.raises(Leap0ConnectionError, match="TLS certificates could not be loaded"):
            _validate(client)
    assert sleeps == []  # not retried


def test_own_http_client_is_used_as_is_with_an_http_base_url(
    loopback: tuple[LoopbackServer, LoopbackServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client handed in keeps its own settings: it reads the environment's proxy,
    # where the client leap0 builds for an http:// base URL reads none (see above).
    api, proxy = loopback
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
    with (
        httpx.Client(headers={"X-Team": "blue"}) as http_client,
        Leap0Client(
            api_key=API_KEY,
            base_url=f"http://127.0.0.1:{api.port}",
            http_client=http_client,
            max_retries=0,
        ) as client,
    ):
        with pytest.raises(Leap0ServerError, match="via the proxy"):
            _validate(client)
    assert api.requests == []
    (request,) = proxy.requests
    assert request.startswith(f"POST http://127.0.0.1:{api.port}/".encode())
    assert b"x-team: blue" in request.lower()


# --- answers nested too deeply, answers too large -------------------------------------

DEEP = b"[" * 100_000


@pytest.mark.parametrize(
    ("status", "error"),
    [(200, Leap0ResponseError), (400, Leap0BadRequestError), (503, Leap0ServerError)],
)
def test_deeply_nested_answer_is_a_leap0_error(
    client: Leap0Client,
    httpx_mock: HTTPXMock,
    sleeps: list[float],
    status: int,
    error: type[Exception],
) -> None:
    httpx_mock.add_response(status_code=status, content=DEEP, is_reusable=True)
    with pytest.raises(error) as info:
        _validate(client)
    assert type(info.value) is error
    if status != 200:
        assert isinstance(info.value, Leap0APIError)
        body = info.value.body
        assert isinstance(body, str)
        assert body.startswith("[[[")


def _counted_chunks(count: int, size: int, pulled: list[int]) -> Generator[bytes, None, None]:
    for _ in range(count):
        pulled.append(size)
        yield b" " * size


@pytest.mark.parametrize("status", [200, 404, 503])
def test_answer_larger_than_the_limit_is_refused_unread(
    client: Leap0Client, httpx_mock: HTTPXMock, sleeps: list[float], status: int
) -> None:
    pulled: list[int] = []
    chunk = 1024 * 1024
    httpx_mock.add_response(
        status_code=status, stream=IteratorStream(_counted_chunks(64, chunk, pulled))
    )
    with pytest.raises(Leap0ResponseError, match="larger than 8 MiB") as info:
        _validate(client)
    assert info.value.status_code == status
    assert sum(pulled) <= MAX_ANSWER_BYTES + chunk  # reading stopped at the limit
    assert len(httpx_mock.get_requests()) == 1
    assert sleeps == []


def test_answer_already_read_over_the_limit_is_refused(
    client: Leap0Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(content=b" " * (MAX_ANSWER_BYTES + 1))  # a body held in memory
    with pytest.raises(Leap0ResponseError, match="larger than 8 MiB"):
        _validate(client)


def test_declared_length_over_the_limit_is_refused_before_reading(
    client: Leap0Client, httpx_mock: HTTPXMock
) -> None:
    pulled: list[int] = []
    httpx_mock.add_response(
        headers={"Content-Length": str(MAX_ANSWER_BYTES + 1)},
        stream=IteratorStream(_counted_chunks(9, 1024 * 1024, pulled)),
    )
    with pytest.raises(Leap0ResponseError, match="larger than 8 MiB"):
        _validate(client)
    assert pulled == []


def test_answer_of_exactly_the_limit_is_read(client: Leap0Client, httpx_mock: HTTPXMock) -> None:
    body = json.dumps({**VALID, "pad": ""}).encode()
    body = body[:-2] + b" " * (MAX_ANSWER_BYTES - len(body)) + body[-2:]
    assert len(body) == MAX_ANSWER_BYTES
    httpx_mock.add_response(content=body)
    check = _validate(client)
    assert check.valid


def test_delete_success_with_a_large_body_is_still_a_success(
    client: Leap0Client, httpx_mock: HTTPXMock
) -> None:
    pulled: list[int] = []
    httpx_mock.add_response(stream=IteratorStream(_counted_chunks(64, 1024 * 1024, pulled)))
    client.ssh.delete_access(SANDBOX_ID)
    assert sum(pulled) <= MAX_ANSWER_BYTES + 1024 * 1024


def test_compressed_answer_is_refused(client: Leap0Client, httpx_mock: HTTPXMock) -> None:
    import gzip

    httpx_mock.add_response(
        content=gzip.compress(json.dumps(VALID).encode()), headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(Leap0ResponseError, match="Content-Encoding"):
        _validate(client)
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["accept-encoding"] == "identity"


def test_uncompressed_answers_are_asked_for_with_a_client_handed_in_too(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(json=VALID)
    with (
        httpx.Client() as http_client,
        Leap0Client(api_key=API_KEY, base_url=BASE_URL, http_client=http_client) as client,
    ):
        _validate(client)
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers.get_list("accept-encoding") == ["identity"]


# --- an attempt's total time -----------------------------------------------------------
# The tests below set the clock every deadline reads (leap0._deadline._now; there is no
# public one) to a FakeClock, so that an attempt takes as long as the test says.


def _dripped(request: httpx.Request) -> httpx.Response:
    """A valid answer sent one byte at a time."""
    body = json.dumps(VALID).encode()
    return httpx.Response(200, stream=IteratorStream([body[i : i + 1] for i in range(len(body))]))


def test_answer_dripped_a_byte_at_a_time_is_cut_at_the_timeout(
    httpx_mock: HTTPXMock, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deadlines, "_now", FakeClock(0.25))
    httpx_mock.add_callback(_dripped, is_reusable=True)
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL, timeout=1.0, max_retries=2) as client:
        with pytest.raises(Leap0TimeoutError, match="took longer than its 1 s timeout"):
            _validate(client)
    # Each attempt has the whole timeout; a timed-out attempt is retried as a read timeout is.
    assert len(httpx_mock.get_requests()) == 3
    assert len(sleeps) == 2


def test_call_timeout_bounds_the_attempt_too(
    client: Leap0Client,
    httpx_mock: HTTPXMock,
    sleeps: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deadlines, "_now", FakeClock(0.25))
    httpx_mock.add_callback(_dripped)
    with pytest.raises(Leap0TimeoutError, match=r"took longer than its 1\.5 s timeout"):
        client.ssh.create_access(SANDBOX_ID, http_timeout=1.5)
    assert len(httpx_mock.get_requests()) == 1  # create_access is not repeated


BLOCKING = not inspect.iscoroutinefunction(Leap0Client.close)


def test_answer_dripped_in_its_headers_is_cut_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = DripServer()
    # 30 s of timeout. The blocking client caps each read at the time left, reading the
    # clock first: each reading here is 0.25 s later and lets one more byte through. The
    # async client's watchdog is armed once, when the attempt starts waiting: by then the
    # clock says all but 10 ms have passed.
    clock = PacedClock(0.25 if BLOCKING else 29.99, server)
    monkeypatch.setattr(deadlines, "_now", clock)
    try:
        with Leap0Client(
            api_key=API_KEY, base_url=f"http://127.0.0.1:{server.port}", timeout=30.0, max_retries=0
        ) as client:
            with pytest.raises(
                Leap0TimeoutError, match=r"took longer than its 30 s timeout \(1 attempt\)"
            ):
                _validate(client)
    finally:
        server.stop()
    assert len(server.requests) == 1
    assert server.sent < len(DripServer.HEAD)
    if BLOCKING:
        # Headers were read a byte at a time, one byte per 0.25 s of the clock, until the
        # 30 s were up (120 readings of it): no read waited past the deadline.
        assert 100 <= server.sent <= 30 / 0.25 + 2


def test_no_timeout_reads_a_dripped_answer_to_its_end(
    httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deadlines, "_now", FakeClock(0.25))
    httpx_mock.add_callback(_dripped)
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL, timeout=None) as client:
        check = _validate(client)
    assert check.valid


def test_slow_but_steady_answer_within_the_timeout_is_read(
    httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    body_chunks = len(json.dumps(VALID))
    monkeypatch.setattr(deadlines, "_now", FakeClock(0.9 / (body_chunks + 4)))
    httpx_mock.add_callback(_dripped)
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL, timeout=1.0) as client:
        check = _validate(client)
    assert check.valid


# --- errors that say how many attempts were made -----------------------------------------


@pytest.mark.parametrize(
    ("exception", "error", "message"),
    [
        (httpx.ReadTimeout("timed out"), Leap0TimeoutError, "timed out waiting for the answer"),
        (httpx.ConnectTimeout("timed out"), Leap0TimeoutError, "timed out connecting"),
        (httpx.ConnectError("refused"), Leap0ConnectionError, "could not connect"),
        (httpx.RemoteProtocolError("closed"), Leap0ConnectionError, "dropped before"),
    ],
)
def test_timeouts_and_connection_errors_say_how_many_attempts_were_made(
    client: Leap0Client,
    httpx_mock: HTTPXMock,
    sleeps: list[float],
    exception: Exception,
    error: type[Exception],
    message: str,
) -> None:
    httpx_mock.add_exception(exception, is_reusable=True)
    with pytest.raises(error, match=rf"{message}.* \(3 attempts\)$"):
        _validate(client)
    assert len(httpx_mock.get_requests()) == 3


def test_an_error_after_one_attempt_says_so(client: Leap0Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"))
    with pytest.raises(Leap0TimeoutError, match=r"waiting for the answer \(1 attempt\)$"):
        client.ssh.create_access(SANDBOX_ID)  # not repeated once it may have acted


def test_attempt_timeout_says_how_many_attempts_were_made(
    httpx_mock: HTTPXMock, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deadlines, "_now", FakeClock(0.25))
    httpx_mock.add_callback(_dripped, is_reusable=True)
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL, timeout=1.0, max_retries=1) as client:
        with pytest.raises(Leap0TimeoutError, match=r"1 s timeout \(2 attempts\)$"):
            _validate(client)


# --- Retry-After -----------------------------------------------------------------------


@pytest.mark.parametrize(("status", "error"), [(429, Leap0RateLimitError), (503, Leap0ServerError)])
@pytest.mark.parametrize("retry_after", ["999999", "60.5", "Fri, 01 Jan 2100 00:00:00 GMT"])
def test_retry_after_longer_than_a_retry_waits_is_raised_at_once(
    client: Leap0Client,
    httpx_mock: HTTPXMock,
    sleeps: list[float],
    status: int,
    error: type[Exception],
    retry_after: str,
) -> None:
    httpx_mock.add_response(
        status_code=status,
        headers={"Retry-After": retry_after},
        json={"message": "later"},
        is_reusable=True,
    )
    with pytest.raises(error) as info:
        client.ssh.regenerate_access(SANDBOX_ID)
    assert type(info.value) is error
    assert sleeps == []
    assert len(httpx_mock.get_requests()) == 1
    if isinstance(info.value, Leap0RateLimitError):
        assert info.value.retry_after is not None
        assert info.value.retry_after > 60


def test_retry_after_of_the_longest_wait_is_honoured(
    client: Leap0Client, httpx_mock: HTTPXMock, sleeps: list[float]
) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "60"}, is_reusable=True)
    with pytest.raises(Leap0RateLimitError):
        client.ssh.regenerate_access(SANDBOX_ID)
    assert sleeps == [60.0, 60.0]


# --- a delete whose answer was lost ------------------------------------------------------

# Faults after which the first attempt may have reached the service and acted.
MAY_HAVE_ACTED: dict[str, dict[str, Any]] = {
    "read timeout": {"exception": httpx.ReadTimeout("timed out")},
    "dropped mid-answer": {"exception": httpx.RemoteProtocolError("peer closed connection")},
    "read error": {"exception": httpx.ReadError("reset")},
    "502": {"status_code": 502},
    "503": {"status_code": 503},
    "504": {"status_code": 504},
}
# Faults after which it certainly did not.
DID_NOT_ACT: dict[str, dict[str, Any]] = {
    "connection refused": {"exception": httpx.ConnectError("refused")},
    "pool timeout": {"exception": httpx.PoolTimeout("no connection")},
    "408": {"status_code": 408},
    "429": {"status_code": 429},
}


def _add(httpx_mock: HTTPXMock, spec: dict[str, Any]) -> None:
    if "exception" in spec:
        httpx_mock.add_exception(spec["exception"])
    else:
        httpx_mock.add_response(**spec)


def _delete(client: Leap0Client, operation: str) -> None:
    if operation == "delete_access":
        client.ssh.delete_access(SANDBOX_ID)
    elif operation == "delete_access(access_id)":
        client.ssh.delete_access(SANDBOX_ID, access_id=ACCESS_ID)
    else:
        client.sandboxes.delete(SANDBOX_ID)


DELETES = ["delete_access", "delete_access(access_id)", "sandboxes.delete"]


@pytest.mark.parametrize("operation", DELETES)
@pytest.mark.parametrize("fault", sorted(MAY_HAVE_ACTED))
def test_delete_answered_404_after_a_lost_answer_is_done(
    client: Leap0Client,
    httpx_mock: HTTPXMock,
    sleeps: list[float],
    fault: str,
    operation: str,
) -> None:
    _add(httpx_mock, MAY_HAVE_ACTED[fault])
    httpx_mock.add_response(status_code=404, json={"message": "not found"})
    _delete(client, operation)
    assert len(httpx_mock.get_requests()) == 2


@pytest.mark.parametrize("operation", DELETES)
@pytest.mark.parametrize("fault", sorted(DID_NOT_ACT))
def test_delete_answered_404_after_an_attempt_that_did_not_act_is_not_found(
    client: Leap0Client,
    httpx_mock: HTTPXMock,
    sleeps: list[float],
    fault: str,
    operation: str,
) -> None:
    _add(httpx_mock, DID_NOT_ACT[fault])
    httpx_mock.add_response(status_code=404, json={"message": "not found"})
    with pytest.raises(Leap0NotFoundError):
        _delete(client, operation)
    assert len(httpx_mock.get_requests()) == 2


@pytest.mark.parametrize("operation", DELETES)
def test_delete_answered_404_at_once_is_not_found(
    client: Leap0Client, httpx_mock: HTTPXMock, operation: str
) -> None:
    httpx_mock.add_response(status_code=404, json={"message": "not found"})
    with pytest.raises(Leap0NotFoundError):
        _delete(client, operation)


def test_delete_keeps_a_lost_answer_in_mind_across_retries(
    client: Leap0Client, httpx_mock: HTTPXMock, sleeps: list[float]
) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"))
    httpx_mock.add_response(status_code=429)
    httpx_mock.add_response(status_code=404, json={"message": "not found"})
    client.ssh.delete_access(SANDBOX_ID)
    assert len(httpx_mock.get_requests()) == 3


def test_only_deletes_treat_404_after_a_lost_answer_as_done(
    client: Leap0Client, httpx_mock: HTTPXMock, sleeps: list[float]
) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"))
    httpx_mock.add_response(status_code=404, json={"message": "not found"})
    with pytest.raises(Leap0NotFoundError):
        client.ssh.regenerate_access(SANDBOX_ID)


# --- secrets that cannot be sent --------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        f"{SECRET}-\u00e9",  # not ASCII
        f"{SECRET} x",  # whitespace
        f"{SECRET}\u00a0",  # Unicode whitespace
        f"{SECRET}\udc80",  # a lone surrogate
        f"{SECRET}\x7f",
    ],
)
def test_unsendable_api_key_is_refused_without_showing_it(key: str) -> None:
    with pytest.raises(ValueError) as info:
        Leap0Client(api_key=key, base_url=BASE_URL)
    assert type(info.value) is ValueError
    assert "api_key" in str(info.value)
    _assert_hidden(info.value, SECRET)


def test_unsendable_api_key_from_the_environment_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEAP0_API_KEY", f"{SECRET}-\u00e9")
    with pytest.raises(ValueError) as info:
        Leap0Client(base_url=BASE_URL)
    assert type(info.value) is ValueError
    assert "api_key" in str(info.value)
    assert "LEAP0_API_KEY" in str(info.value)
    _assert_hidden(info.value, SECRET)


@pytest.mark.parametrize("password", [f"{SECRET}\udc80", f"\ud800{SECRET}", f"{SECRET}\udfff!"])
def test_unsendable_password_is_refused_before_sending_without_showing_it(
    client: Leap0Client, httpx_mock: HTTPXMock, password: str
) -> None:
    with pytest.raises(ValueError) as info:
        client.ssh.validate_access(SANDBOX_ID, access_id=ACCESS_ID, password=password)
    assert type(info.value) is ValueError
    assert "password" in str(info.value)
    _assert_hidden(info.value, SECRET)
    assert httpx_mock.get_requests() == []


def test_any_printable_password_is_sent(client: Leap0Client, httpx_mock: HTTPXMock) -> None:
    password = 'p\u00e4ss w\u00f6rd \U0001f511\t"\\\x00'
    httpx_mock.add_response(json=VALID)
    client.ssh.validate_access(SANDBOX_ID, access_id=ACCESS_ID, password=password)
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"id": ACCESS_ID, "password": password}


# --- base URLs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:8080/?",
        "http://127.0.0.1:8080/#",
        "http://127.0.0.1:8080#",
        "https://api.leap0.test/v1?x=1",
        "https://api.leap0.test/#top",
        "https://api.leap0.test/\t",
        "https://api.leap0.test\t/v1",
        " https://api.leap0.test",
        "https://api.leap0.test ",
        "https://api.leap0.test/v 1",
        "https://api.\nleap0.test",
        "https://api.leap0.test/\x7f",
        "https://api.leap0.test/\x00",
        "https://api.leap0.test/\u2028",
        "https://api.leap0.test:99999",
    ],
)
def test_malformed_base_url_is_refused_at_construction(base_url: str) -> None:
    with pytest.raises(ValueError):
        Leap0Client(api_key=API_KEY, base_url=base_url)


@pytest.mark.parametrize(
    "template",
    [
        "htps://u:{}@x",
        "http://u:{}@10.0.0.5",
        "https://u:{}@api.leap0.test",
        "https://u:{}@api.leap0.test/?",
        "https://u:{}@api.leap0.test\t",
        "http://u:{}@[::1",
        "u:{}@api.leap0.test",
        "https://u:{}/x@api.leap0.test",
    ],
)
def test_base_url_errors_never_show_user_info(template: str) -> None:
    base_url = template.format(SECRET)
    with pytest.raises(ValueError) as info:
        Leap0Client(api_key=API_KEY, base_url=base_url)
    _assert_hidden(info.value, SECRET)
