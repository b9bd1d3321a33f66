"""The transport against hostile settings and answers.

Secrets that cannot be sent and malformed base URLs.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from leap0 import (
    AsyncLeap0Client,
)
from leap0.models import SshValidation
from tests._support import ACCESS_ID, API_KEY, BASE_URL, PASSWORD, SANDBOX_ID

VALID = {"valid": True, "sandbox_id": SANDBOX_ID}
SECRET = "Zq9-do-not-show-0123"  # the part of each secret that must never be shown
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUEST_METHOD")


@pytest.fixture
async def client() -> AsyncIterator[AsyncLeap0Client]:
    async with AsyncLeap0Client(api_key=API_KEY, base_url=BASE_URL, max_retries=2) as c:
        yield c


async def _validate(client: AsyncLeap0Client, **kwargs: Any) -> SshValidation:
    return await client.ssh.validate_access(
        SANDBOX_ID, access_id=ACCESS_ID, password=PASSWORD, **kwargs
    )


def _assert_hidden(exc: BaseException, secret: str) -> None:
    """``secret`` is in no str, repr, arg or traceback of ``exc`` and the errors it chains."""
    texts = ["".join(traceback.format_exception(type(exc), exc, exc.__traceback__))]
    seen: BaseException | None = exc
    while seen is not None:
        texts += [str(seen), repr(seen), *map(repr, seen.args)]
        seen = seen.__cause__ or seen.__context__
    for text in texts:
        assert secret not in text


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
async def test_unsendable_api_key_is_refused_without_showing_it(key: str) -> None:
    with pytest.raises(ValueError) as info:
        AsyncLeap0Client(api_key=key, base_url=BASE_URL)
    assert type(info.value) is ValueError
    assert "api_key" in str(info.value)
    _assert_hidden(info.value, SECRET)


async def test_unsendable_api_key_from_the_environment_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEAP0_API_KEY", f"{SECRET}-\u00e9")
    with pytest.raises(ValueError) as info:
        AsyncLeap0Client(base_url=BASE_URL)
    assert type(info.value) is ValueError
    assert "api_key" in str(info.value)
    assert "LEAP0_API_KEY" in str(info.value)
    _assert_hidden(info.value, SECRET)


@pytest.mark.parametrize("password", [f"{SECRET}\udc80", f"\ud800{SECRET}", f"{SECRET}\udfff!"])
async def test_unsendable_password_is_refused_before_sending_without_showing_it(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock, password: str
) -> None:
    with pytest.raises(ValueError) as info:
        await client.ssh.validate_access(SANDBOX_ID, access_id=ACCESS_ID, password=password)
    assert type(info.value) is ValueError
    assert "password" in str(info.value)
    _assert_hidden(info.value, SECRET)
    assert httpx_mock.get_requests() == []


async def test_any_printable_password_is_sent(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    password = "p\u00e4ss w\u00f6rd \U0001f511\t\"\\\x00"
    httpx_mock.add_response(json=VALID)
    await client.ssh.validate_access(SANDBOX_ID, access_id=ACCESS_ID, password=password)
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
async def test_malformed_base_url_is_refused_at_construction(base_url: str) -> None:
    with pytest.raises(ValueError):
        AsyncLeap0Client(api_key=API_KEY, base_url=base_url)


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
async def test_base_url_errors_never_show_user_info(template: str) -> None:
    base_url = template.format(SECRET)
    with pytest.raises(ValueError) as info:
        AsyncLeap0Client(api_key=API_KEY, base_url=base_url)
    _assert_hidden(info.value, SECRET)
