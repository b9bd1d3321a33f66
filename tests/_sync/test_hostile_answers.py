# Generated from tests/_async/test_hostile_answers.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
"""A hostile or mistaken service's ids, numbers and times never reach a user as values.

Every id in an answer (sandbox ids, credential ids, ``sandbox_id``) must be one
leap0 would send itself and must not start with ``-``; every integer and
timestamp must be in range. Otherwise the call raises ``Leap0ResponseError``
naming the field: nothing is returned that could later become a path, an
option on a command line or shell code (pytest-httpx).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpx import HTTPXMock

from leap0 import Leap0Client, Leap0ResponseError
from tests._support import (
    ACCESS_ID,
    API_KEY,
    BASE_URL,
    PASSWORD,
    SANDBOX_ID,
    access_json,
    sandbox_json,
    url,
)

HOSTILE_IDS = [
    "$(touch /tmp/x)",
    "`touch /tmp/x`",
    "--base-url=http://127.0.0.1:9",
    "--ssh-option=ProxyCommand=touch /tmp/x",
    "-rf",
    "\x1b]0;title\x07",
    "a\nb",
    "a/b",
    "..",
    "x" * 200,
    "",
]
HOSTILE_TIMES = ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "9999-12-31T00:00:00Z"]
HOSTILE_INTS = [10**400, 2**64, -1]


@pytest.fixture
def client() -> Iterator[Leap0Client]:
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL, max_retries=0) as c:
        yield c


def _summary(**overrides: object) -> dict[str, object]:
    item: dict[str, object] = {
        "id": SANDBOX_ID,
        "template_id": "system/debian:bookworm",
        "pod_id": "pod-1",
        "state": "running",
        "created_at": "2026-11-26T04:00:00Z",
    }
    item.update(overrides)
    return item


@pytest.mark.parametrize("bad", HOSTILE_IDS)
def test_a_hostile_sandbox_id_is_refused_in_create_get_and_list(
    client: Leap0Client, httpx_mock: HTTPXMock, bad: str
) -> None:
    httpx_mock.add_response(
        method="POST", url=url("/v1/sandbox/"), status_code=201, json=sandbox_json(id=bad)
    )
    httpx_mock.add_response(
        method="GET", url=url(f"/v1/sandbox/{SANDBOX_ID}/"), json=sandbox_json(id=bad)
    )
    httpx_mock.add_response(
        method="GET",
        url=url("/v1/sandboxes?sort=created_at&order-by=desc&page=1&page-size=20"),
        json={"items": [_summary(), _summary(id=bad)], "total_items": 2},
    )
    with pytest.raises(Leap0ResponseError) as create:
        client.sandboxes.create()
    assert create.value.field == "id"
    with pytest.raises(Leap0ResponseError):
        client.sandboxes.get(SANDBOX_ID)
    with pytest.raises(Leap0ResponseError) as listed:
        client.sandboxes.list()
    assert listed.value.field == "items[1].id"


@pytest.mark.parametrize("field", ["id", "sandbox_id"])
@pytest.mark.parametrize("bad", HOSTILE_IDS)
def test_a_hostile_id_in_an_ssh_access_is_refused(
    client: Leap0Client, httpx_mock: HTTPXMock, bad: str, field: str
) -> None:
    sbx = f"/v1/sandbox/{SANDBOX_ID}/ssh"
    httpx_mock.add_response(
        method="POST", url=url(f"{sbx}/access"), status_code=201, json=access_json(**{field: bad})
    )
    httpx_mock.add_response(
        method="POST", url=url(f"{sbx}/{ACCESS_ID}/regen"), json=access_json(**{field: bad})
    )
    httpx_mock.add_response(
        method="POST",
        url=url(f"{sbx}/{ACCESS_ID}/validate"),
        json={"valid": True, "sandbox_id": bad},
    )
    with pytest.raises(Leap0ResponseError) as create:
        client.ssh.create_access(SANDBOX_ID)
    assert create.value.field == field
    with pytest.raises(Leap0ResponseError):
        client.ssh.regenerate_access(SANDBOX_ID, access_id=ACCESS_ID)
    if field == "sandbox_id":
        with pytest.raises(Leap0ResponseError):
            client.ssh.validate_access(SANDBOX_ID, access_id=ACCESS_ID, password=PASSWORD)
    else:
        httpx_mock.reset()  # the validate answer is not asked for this field


@pytest.mark.parametrize("bad", HOSTILE_TIMES)
def test_a_timestamp_out_of_range_is_refused(
    client: Leap0Client, httpx_mock: HTTPXMock, bad: str
) -> None:
    httpx_mock.add_response(
        method="POST",
        url=url(f"/v1/sandbox/{SANDBOX_ID}/ssh/access"),
        status_code=201,
        json=access_json(expires_at=bad),
    )
    with pytest.raises(Leap0ResponseError) as caught:
        client.ssh.create_access(SANDBOX_ID)
    assert caught.value.field == "expires_at"


@pytest.mark.parametrize("bad", HOSTILE_INTS)
def test_an_integer_out_of_range_is_refused(
    client: Leap0Client, httpx_mock: HTTPXMock, bad: int
) -> None:
    httpx_mock.add_response(
        method="GET",
        url=url("/v1/sandboxes?sort=created_at&order-by=desc&page=1&page-size=20"),
        json={"items": [], "total_items": bad},
    )
    httpx_mock.add_response(
        method="GET", url=url(f"/v1/sandbox/{SANDBOX_ID}/"), json=sandbox_json(memory=bad)
    )
    with pytest.raises(Leap0ResponseError) as listed:
        client.sandboxes.list()
    assert listed.value.field == "total_items"
    with pytest.raises(Leap0ResponseError) as got:
        client.sandboxes.get_info(SANDBOX_ID)
    assert got.value.field == "memory"


def test_timestamps_are_returned_in_utc(client: Leap0Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="GET",
        url=url(f"/v1/sandbox/{SANDBOX_ID}/"),
        json=sandbox_json(created_at="2026-11-26T06:00:00+02:00"),
    )
    info = client.sandboxes.get_info(SANDBOX_ID)
    assert info.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert info.created_at.hour == 4
