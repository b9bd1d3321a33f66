# Generated from tests/_async/test_client.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
"""Client configuration: keys, URLs, timeouts, injected clients, closing."""

from __future__ import annotations

import httpx
import pytest
from pytest_httpx import HTTPXMock

from leap0 import HttpxTransport, Leap0Client, Leap0Error
from tests._support import API_KEY, BASE_URL, SANDBOX_ID, access_json

from ._fakes import FakeTransport, Sent


def test_api_key_and_base_url_from_environment(
    monkeypatch: pytest.MonkeyPatch, httpx_mock: HTTPXMock
) -> None:
    monkeypatch.setenv("LEAP0_API_KEY", "env-key")
    monkeypatch.setenv("LEAP0_BASE_URL", "https://env.leap0.test/")
    httpx_mock.add_response(
        url=f"https://env.leap0.test/v1/sandbox/{SANDBOX_ID}/ssh/regen", json=access_json()
    )
    with Leap0Client() as client:
        client.ssh.regenerate_access(SANDBOX_ID)
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["authorization"] == "Bearer env-key"


def test_default_base_url_is_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEAP0_BASE_URL", raising=False)
    with HttpxTransport(api_key=API_KEY) as transport:
        assert transport.base_url == "https://api.leap0.dev"


def test_missing_api_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEAP0_API_KEY", raising=False)
    with pytest.raises(Leap0Error, match="LEAP0_API_KEY"):
        Leap0Client()


@pytest.mark.parametrize(
    "base_url",
    ["http://api.leap0.dev", "http://10.0.0.5:8080", "ftp://x", "api.leap0.dev", "https://"],
)
def test_unsafe_or_malformed_base_url_is_refused(base_url: str) -> None:
    with pytest.raises(ValueError):
        Leap0Client(api_key=API_KEY, base_url=base_url)


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "https://x.y"]
)
def test_loopback_http_and_any_https_are_accepted(base_url: str) -> None:
    with Leap0Client(api_key=API_KEY, base_url=base_url):
        pass


def test_repr_never_shows_the_key() -> None:
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL) as client:
        for obj in (client, client.ssh, client.sandboxes, client.transport):
            assert API_KEY not in repr(obj)
            assert API_KEY not in str(obj)


def test_injected_http_client_is_used_and_left_open(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=access_json())
    with httpx.Client(headers={"X-Team": "blue"}) as http_client:
        with Leap0Client(api_key=API_KEY, base_url=BASE_URL, http_client=http_client) as client:
            client.ssh.regenerate_access(SANDBOX_ID)
        assert not http_client.is_closed
        request = httpx_mock.get_request()
        assert request is not None
        assert request.headers["x-team"] == "blue"
        assert request.headers["authorization"] == f"Bearer {API_KEY}"


def test_own_http_client_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[httpx.Client] = []
    close = httpx.Client.close

    def counted(self: httpx.Client) -> None:
        closed.append(self)
        close(self)

    monkeypatch.setattr(httpx.Client, "close", counted)
    client = Leap0Client(api_key=API_KEY, base_url=BASE_URL)
    assert closed == []
    client.close()
    client.close()  # closing twice is harmless
    assert closed  # the httpx client leap0 built, closed with it
    assert all(http_client is closed[0] and http_client.is_closed for http_client in closed)


def test_wrong_http_client_type_is_refused() -> None:
    with pytest.raises(TypeError):
        Leap0Client(api_key=API_KEY, http_client=object())  # type: ignore[arg-type]


def test_timeout_accepts_seconds_and_httpx_timeout(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=access_json())
    httpx_mock.add_response(json=access_json())
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL, timeout=3) as client:
        client.ssh.regenerate_access(SANDBOX_ID)
    timeout = httpx.Timeout(10.0, connect=2.0)
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL, timeout=timeout) as client:
        client.ssh.regenerate_access(SANDBOX_ID)
    first, second = httpx_mock.get_requests()
    assert first.extensions["timeout"]["read"] == 3.0
    assert second.extensions["timeout"] == {
        "connect": 2.0,
        "read": 10.0,
        "write": 10.0,
        "pool": 10.0,
    }


@pytest.mark.parametrize(("value", "error"), [(-1, ValueError), ("3", TypeError), (0, ValueError)])
def test_bad_timeout_is_refused(value: object, error: type) -> None:
    with pytest.raises(error):
        Leap0Client(api_key=API_KEY, timeout=value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError)]
)
def test_bad_max_retries_is_refused(value: object, error: type) -> None:
    with pytest.raises(error):
        Leap0Client(api_key=API_KEY, max_retries=value)  # type: ignore[arg-type]


def test_custom_transport_replaces_http() -> None:
    transport = FakeTransport(access_json())
    with Leap0Client(transport=transport) as client:
        access = client.ssh.regenerate_access(SANDBOX_ID)
    assert access.sandbox_id == SANDBOX_ID
    assert transport.sent == [Sent("POST", f"/v1/sandbox/{SANDBOX_ID}/ssh/regen")]
    assert transport.closed


def test_transport_and_http_settings_are_exclusive() -> None:
    with pytest.raises(TypeError):
        Leap0Client(api_key="k", transport=FakeTransport())


@pytest.mark.parametrize(
    "settings",
    [{"max_retries": 7}, {"max_retries": 2}, {"timeout": 5}, {"timeout": None}],
    ids=["max_retries=7", "max_retries=2", "timeout=5", "timeout=None"],
)
def test_transport_with_http_settings_is_refused(settings: dict[str, object]) -> None:
    (name,) = settings
    with pytest.raises(TypeError, match=rf"^{name} and transport cannot be passed together"):
        Leap0Client(transport=FakeTransport(), **settings)  # type: ignore[arg-type]


def test_transport_without_http_settings_is_accepted() -> None:
    transport = FakeTransport()
    with Leap0Client(transport=transport) as client:
        assert client.transport is transport
