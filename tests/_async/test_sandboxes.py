"""Sandboxes: create, get, list, delete and the handle (pytest-httpx)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from pytest_httpx import HTTPXMock

from leap0 import (
    AsyncLeap0Client,
    AsyncSandbox,
    Leap0ConflictError,
    Leap0NotFoundError,
    Leap0ServerError,
    SandboxInfo,
    SandboxPage,
)
from tests._support import API_KEY, BASE_URL, SANDBOX_ID, sandbox_json, url

SANDBOX = url(f"/v1/sandbox/{SANDBOX_ID}/")


@pytest.fixture
async def client() -> AsyncIterator[AsyncLeap0Client]:
    async with AsyncLeap0Client(api_key=API_KEY, base_url=BASE_URL, max_retries=0) as c:
        yield c


async def test_create_sends_defaults_and_returns_a_handle(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        method="POST", url=url("/v1/sandbox/"), status_code=201, json=sandbox_json()
    )

    sandbox = await client.sandboxes.create()

    request = httpx_mock.get_request()
    assert request is not None
    assert json.loads(request.content) == {"template_name": "system/debian:bookworm"}
    assert isinstance(sandbox, AsyncSandbox)
    assert sandbox.id == SANDBOX_ID
    assert sandbox.state == "running"
    assert isinstance(sandbox.info, SandboxInfo)
    assert sandbox.info.memory == 1024
    assert sandbox.ssh.sandbox_id == SANDBOX_ID


async def test_create_sends_every_given_field(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(method="POST", status_code=201, json=sandbox_json(vcpu=2))
    await client.sandboxes.create(
        template_name="my-template",
        vcpu=2,
        memory=2048,
        timeout=600,
        env_vars={"A": "1"},
        auto_pause=True,
    )
    request = httpx_mock.get_request()
    assert request is not None
    assert json.loads(request.content) == {
        "template_name": "my-template",
        "vcpu": 2,
        "memory": 2048,
        "timeout": 600,
        "env_vars": {"A": "1"},
        "auto_pause": True,
    }


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"vcpu": 0}, ValueError),
        ({"vcpu": 9}, ValueError),
        ({"vcpu": "2"}, TypeError),
        ({"vcpu": True}, TypeError),
        ({"memory": 511}, ValueError),
        ({"memory": 1025}, ValueError),
        ({"memory": 8194}, ValueError),
        ({"timeout": 0}, ValueError),
        ({"timeout": 28801}, ValueError),
        ({"template_name": ""}, ValueError),
        ({"env_vars": {"A": 1}}, TypeError),
        ({"env_vars": ["A"]}, TypeError),
        ({"auto_pause": "yes"}, TypeError),
    ],
)
async def test_create_checks_limits_before_sending(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock, kwargs: dict[str, object], error: type
) -> None:
    with pytest.raises(error):
        await client.sandboxes.create(**kwargs)  # type: ignore[arg-type]
    assert httpx_mock.get_requests() == []


async def test_create_beyond_the_limit_is_a_conflict(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=409, json={"message": "sandbox limit reached"})
    with pytest.raises(Leap0ConflictError, match="sandbox limit reached"):
        await client.sandboxes.create()


async def test_get_refresh_and_delete(client: AsyncLeap0Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="GET", url=SANDBOX, json=sandbox_json(state="starting"))
    httpx_mock.add_response(method="GET", url=SANDBOX, json=sandbox_json(state="running"))
    httpx_mock.add_response(method="DELETE", url=SANDBOX, status_code=204)

    sandbox = await client.sandboxes.get(SANDBOX_ID)
    assert sandbox.state == "starting"
    info = await sandbox.refresh()
    assert info.state == sandbox.state == "running"
    await sandbox.delete()
    assert [r.method for r in httpx_mock.get_requests()] == ["GET", "GET", "DELETE"]


async def test_handle_as_context_manager_deletes_on_exit(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(method="POST", status_code=201, json=sandbox_json())
    httpx_mock.add_response(method="DELETE", url=SANDBOX, status_code=204)
    async with await client.sandboxes.create() as sandbox:
        assert sandbox.id == SANDBOX_ID
    assert httpx_mock.get_requests()[-1].method == "DELETE"


async def test_handle_exit_tolerates_an_already_deleted_sandbox(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(method="POST", status_code=201, json=sandbox_json())
    httpx_mock.add_response(method="DELETE", url=SANDBOX, status_code=404, json={"message": "gone"})
    async with await client.sandboxes.create():
        pass


async def test_get_unknown_is_not_found(client: AsyncLeap0Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=404, json={"message": "sandbox not found"})
    with pytest.raises(Leap0NotFoundError):
        await client.sandboxes.get(SANDBOX_ID)


async def test_list_sends_query_and_parses_page(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        json={
            "items": [
                {
                    "id": SANDBOX_ID,
                    "template_id": "t",
                    "pod_id": "",
                    "state": "running",
                    "created_at": "2026-11-26T04:00:00Z",
                    "timeout_at": 1795000000,
                    "new_field": "ignored",
                }
            ],
            "total_items": 5,
        }
    )
    page = await client.sandboxes.list(state="running", order="asc", page=2, page_size=1)
    request = httpx_mock.get_request()
    assert request is not None
    assert request.url.path == "/v1/sandboxes"
    assert dict(request.url.params) == {
        "state": "running",
        "sort": "created_at",
        "order-by": "asc",
        "page": "2",
        "page-size": "1",
    }
    assert isinstance(page, SandboxPage)
    assert page.total_items == 5
    assert len(page) == 1
    assert [s.id for s in page] == [SANDBOX_ID]
    assert page.items[0].timeout_at == 1795000000
    assert page.items[0].launch_time is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"state": "deleted"},
        {"state": "bogus"},
        {"sort": "id"},
        {"order": "up"},
        {"page": 0},
        {"page_size": 0},
        {"page_size": 101},
    ],
)
async def test_list_checks_query_before_sending(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock, kwargs: dict[str, object]
) -> None:
    with pytest.raises(ValueError):
        await client.sandboxes.list(**kwargs)  # type: ignore[arg-type]
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize("bad", ["../x", "a/b", ".."])
async def test_bad_ids_never_reach_the_network(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock, bad: str
) -> None:
    with pytest.raises(ValueError):
        await client.sandboxes.get(bad)
    with pytest.raises(ValueError):
        await client.sandboxes.delete(bad)
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize(
    ("action", "status", "state"),
    [("stop", 200, "stopping"), ("start", 200, "starting"), ("pause", 201, "paused")],
)
async def test_lifecycle_routes_and_answers(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock, action: str, status: int, state: str
) -> None:
    route = url(f"/v1/sandbox/{SANDBOX_ID}/{action}")
    httpx_mock.add_response(
        method="POST", url=route, status_code=status, json=sandbox_json(state=state)
    )
    httpx_mock.add_response(method="GET", url=SANDBOX, json=sandbox_json())
    httpx_mock.add_response(
        method="POST", url=route, status_code=status, json=sandbox_json(state=state)
    )

    handle = await getattr(client.sandboxes, action)(SANDBOX_ID)
    assert isinstance(handle, AsyncSandbox) and handle.state == state
    sandbox = await client.sandboxes.get(SANDBOX_ID)
    info = await getattr(sandbox, action)()
    assert info.state == sandbox.state == state  # the handle keeps the answer

    sent = httpx_mock.get_requests()
    assert [(r.method, r.url.path, r.content) for r in sent if r.method == "POST"] == [
        ("POST", f"/v1/sandbox/{SANDBOX_ID}/{action}", b""),
    ] * 2


@pytest.mark.parametrize("action", ["stop", "start", "pause"])
async def test_lifecycle_conflict_is_typed_and_a_503_is_not_repeated(
    httpx_mock: HTTPXMock, action: str
) -> None:
    route = url(f"/v1/sandbox/{SANDBOX_ID}/{action}")
    httpx_mock.add_response(
        method="POST", url=route, status_code=409, json={"message": "sandbox is stopped"}
    )
    httpx_mock.add_response(method="POST", url=route, status_code=503, json={"message": "busy"})
    async with AsyncLeap0Client(api_key=API_KEY, base_url=BASE_URL, max_retries=3) as client:
        with pytest.raises(Leap0ConflictError, match="sandbox is stopped"):
            await getattr(client.sandboxes, action)(SANDBOX_ID)
        with pytest.raises(Leap0ServerError):  # it may have acted: never sent again
            await getattr(client.sandboxes, action)(SANDBOX_ID)
    assert len(httpx_mock.get_requests()) == 2
