"""The transport against hostile settings and answers.

Malformed base URLs.
"""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator
from typing import Any

import pytest

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
