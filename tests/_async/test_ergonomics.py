"""What users of openai-python and stripe-python reach for: every page, per-call options,
a closed client's typed error, and ``LEAP0_LOG``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from pytest_httpx import HTTPXMock

from leap0 import (
    AsyncLeap0Client,
    Leap0ClientClosedError,
    Leap0Error,
    Leap0ServerError,
    SandboxSummary,
)
from leap0.emulator import Emulator
from tests._support import API_KEY, BASE_URL, url


@pytest.fixture
async def client(leap0_emulator: Emulator) -> AsyncIterator[AsyncLeap0Client]:
    async with AsyncLeap0Client(
        api_key=leap0_emulator.api_key, base_url=leap0_emulator.base_url, max_retries=0
    ) as c:
        yield c


# -- every page ---------------------------------------------------------------------------


async def test_list_all_walks_every_page(
    client: AsyncLeap0Client, leap0_emulator: Emulator
) -> None:
    leap0_emulator.configure(max_sandboxes=7)
    made = {(await client.sandboxes.create()).id for _ in range(5)}
    seen = [s async for s in client.sandboxes.list_all(page_size=2)]
    assert all(isinstance(s, SandboxSummary) for s in seen)
    assert {s.id for s in seen} == made and len(seen) == 5
    # Three pages for five sandboxes, two a page: no request past the last one.
    assert leap0_emulator.attempts("GET", "/v1/sandboxes") == 3
    oldest_first = [s async for s in client.sandboxes.list_all(order="asc", page_size=100)]
    assert [s.id for s in oldest_first] == [s.id for s in reversed(seen)]


async def test_list_all_fetches_a_page_only_when_needed(
    client: AsyncLeap0Client, leap0_emulator: Emulator
) -> None:
    leap0_emulator.configure(max_sandboxes=7)
    for _ in range(5):
        await client.sandboxes.create()
    pages = client.sandboxes.list_all(page_size=2)
    assert leap0_emulator.attempts("GET", "/v1/sandboxes") == 0
    first = await pages.__anext__()
    assert first.id
    assert leap0_emulator.attempts("GET", "/v1/sandboxes") == 1


async def test_list_all_checks_its_arguments_where_they_are_passed() -> None:
    async with AsyncLeap0Client(api_key=API_KEY, base_url=BASE_URL) as client:
        with pytest.raises(ValueError, match="page_size"):
            client.sandboxes.list_all(page_size=0)


async def test_list_all_stops_at_an_empty_page(httpx_mock: HTTPXMock) -> None:
    item = {
        "id": "sbx-1",
        "template_id": "t",
        "pod_id": "p",
        "state": "running",
        "created_at": "2026-11-26T04:00:00Z",
    }
    base = "/v1/sandboxes?sort=created_at&order-by=desc&page-size=1&page="
    httpx_mock.add_response(url=url(base + "1"), json={"items": [item], "total_items": 9})
    httpx_mock.add_response(url=url(base + "2"), json={"items": [], "total_items": 9})
    async with AsyncLeap0Client(api_key=API_KEY, base_url=BASE_URL) as client:
        seen = [s async for s in client.sandboxes.list_all(page_size=1)]
    assert [s.id for s in seen] == ["sbx-1"]


# -- with_options ----------------------------------------------------------------------------


async def test_with_options_is_another_client_on_the_same_pool(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=url("/v1/sandbox/sbx-1/"), status_code=503, is_reusable=True)
    async with httpx.AsyncClient() as http:
        async with AsyncLeap0Client(
            api_key=API_KEY, base_url=BASE_URL, http_client=http, max_retries=2
        ) as client:
            quick = client.with_options(max_retries=0, timeout=5)
            assert quick is not client and quick.sandboxes is not client.sandboxes
            assert quick.ssh_api == client.ssh_api
            assert quick.transport.max_retries == 0  # type: ignore[attr-defined]
            assert quick.transport.timeout == httpx.Timeout(5)  # type: ignore[attr-defined]
            assert client.transport.max_retries == 2  # type: ignore[attr-defined]
            with pytest.raises(Leap0ServerError):
                await quick.sandboxes.get_info("sbx-1")
            assert len(httpx_mock.get_requests()) == 1  # no retry
            await quick.aclose()  # leaves the shared connections open ...
            with pytest.raises(Leap0ServerError):
                await client.sandboxes.get_info("sbx-1")
            assert len(httpx_mock.get_requests()) == 4  # ... and the parent retries twice
        with pytest.raises(Leap0ClientClosedError):  # ... closing the parent closes both
            await quick.sandboxes.get_info("sbx-1")


async def test_with_options_may_change_the_ssh_routes() -> None:
    async with AsyncLeap0Client(api_key=API_KEY, base_url=BASE_URL) as client:
        strict = client.with_options(ssh_api="single")
        assert strict.ssh_api == "single" and client.ssh_api == "auto"
        with pytest.raises(ValueError, match="ssh_api must be"):
            client.with_options(ssh_api="bogus")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="at most 86400"):
            client.with_options(timeout=float("inf"))


# -- a closed client ---------------------------------------------------------------------------


async def test_a_closed_client_raises_a_leap0_error(
    client: AsyncLeap0Client, leap0_emulator: Emulator
) -> None:
    sandbox = await client.sandboxes.create()
    await client.aclose()
    calls = [
        lambda: client.sandboxes.list(),
        lambda: sandbox.refresh(),
        lambda: sandbox.ssh.create_access(),
        lambda: client.ssh.validate_access(sandbox, access_id="ssh-1", password="p"),
    ]
    for call in calls:
        with pytest.raises(Leap0ClientClosedError, match="closed") as caught:
            await call()
        assert isinstance(caught.value, Leap0Error)
    assert leap0_emulator.attempts("GET", "/v1/sandboxes") == 0


# -- LEAP0_LOG ---------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["debug", "DEBUG"])
def test_leap0_log_debug_shows_the_request_without_the_key(
    leap0_emulator: Emulator, level: str
) -> None:
    script = "import leap0\nwith leap0.Leap0Client() as client:\n    client.sandboxes.list()\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAP0_")}
    env.update(leap0_emulator.env(), LEAP0_LOG=level)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "GET /v1/sandboxes" in done.stderr
    assert leap0_emulator.api_key not in done.stderr + done.stdout
    env.pop("LEAP0_LOG")
    quiet = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert quiet.stderr == ""
