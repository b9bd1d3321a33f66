"""A client hands at most ``max_concurrency`` requests to its pool; the rest wait in turn.

A wait in that queue that runs out of time was never sent: it is reported as a
wait for a free connection and retried for every operation, ``create_access``
included, never as a timeout that may have acted. A mock transport holds the
requests it is sent, so nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from leap0 import AsyncLeap0Client, Leap0Client, Leap0TimeoutError
from tests._support import API_KEY, BASE_URL, access_json, sandbox_json

SANDBOX = "/v1/sandbox/sbx-abc123/"
ACCESS = "/v1/sandbox/sbx-abc123/ssh/access"


@pytest.fixture(autouse=True)
def _no_waits(sleeps: list[float]) -> None:
    """Retries wait no time (the ``sleeps`` fixture)."""


async def test_async_fan_out_never_has_more_in_flight_than_the_bound() -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        in_flight -= 1
        return httpx.Response(200, json=sandbox_json())

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http,
        AsyncLeap0Client(
            api_key=API_KEY, base_url=BASE_URL, http_client=http, max_concurrency=10
        ) as client,
    ):
        done = await asyncio.gather(*(client.sandboxes.get_info("sbx-abc123") for _ in range(500)))
    assert len(done) == 500
    assert peak == 10


async def test_async_queue_timeout_was_never_sent_and_is_retried_even_for_a_create() -> None:
    release = asyncio.Event()
    paths: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path == SANDBOX:
            await release.wait()  # holds the one admission
            return httpx.Response(200, json=sandbox_json())
        return httpx.Response(201, json=access_json())

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http,
        AsyncLeap0Client(
            api_key=API_KEY, base_url=BASE_URL, http_client=http, max_concurrency=1, max_retries=2
        ) as client,
    ):
        holder = asyncio.ensure_future(client.sandboxes.get_info("sbx-abc123"))
        while not paths:
            await asyncio.sleep(0)
        with pytest.raises(Leap0TimeoutError) as caught:
            await client.ssh.create_access("sbx-abc123", http_timeout=0.05)
        assert "waiting for a free connection" in str(caught.value)
        assert "nothing was sent (3 attempts)" in str(caught.value)  # retried: never sent
        assert paths == [SANDBOX]  # the create never reached the service
        release.set()
        await holder
        access = await client.ssh.create_access("sbx-abc123")  # admitted again
        assert access.id


def test_sync_queue_timeout_was_never_sent_and_is_retried_even_for_a_create() -> None:
    release, entered = threading.Event(), threading.Event()
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path == SANDBOX:
            entered.set()
            release.wait(30)
            return httpx.Response(200, json=sandbox_json())
        return httpx.Response(201, json=access_json())

    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as http,
        Leap0Client(
            api_key=API_KEY, base_url=BASE_URL, http_client=http, max_concurrency=1, max_retries=2
        ) as client,
    ):
        holder = threading.Thread(target=client.sandboxes.get_info, args=("sbx-abc123",))
        holder.start()
        assert entered.wait(30)
        try:
            with pytest.raises(Leap0TimeoutError) as caught:
                client.ssh.create_access("sbx-abc123", http_timeout=0.05)
        finally:
            release.set()
            holder.join(30)
        assert "waiting for a free connection" in str(caught.value)
        assert "nothing was sent (3 attempts)" in str(caught.value)
        assert paths == [SANDBOX]
        assert client.ssh.create_access("sbx-abc123").id


def test_max_concurrency_is_checked() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Leap0Client(api_key=API_KEY, max_concurrency=0)
    with pytest.raises(TypeError, match="max_concurrency must be an int"):
        Leap0Client(api_key=API_KEY, max_concurrency=1.5)  # type: ignore[arg-type]
    Leap0Client(api_key=API_KEY, max_concurrency=None).close()
