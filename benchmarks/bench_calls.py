"""Per-call overhead: the SDK against raw httpx making the same request.

For ``create_access``, ``validate_access`` and ``regenerate_access``, sync and
async, the SDK client and a raw httpx client send the same request (same
method, URL, headers, body and timeout) through the same ``httpx.Client`` /
``httpx.AsyncClient`` over one ``httpx.MockTransport``, and raw decodes the
answer with ``json.loads`` and checks the status, as the SDK does. The SDK also
builds its attrs model from the JSON; that is part of its cost.

Batches of ``--calls`` calls alternate SDK and raw (which goes first rotates)
for ``--repeats`` rounds; each side's figure is the median time per call, and
the ratio is the median over rounds of SDK/raw for the same round.

A third side, with no budget, is the floor: raw httpx given an ``httpx.URL``
and ``httpx.Headers`` built once instead of a str and a dict each call (httpx
parses those on every request). The SDK does that too, so SDK/raw-prebuilt is
what the SDK's own work (path and argument checks, retries bookkeeping, model
building) costs.

    python benchmarks/bench_calls.py [--calls 200] [--repeats 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from _common import (
    ACCESS_ID,
    API_KEY,
    BASE_URL,
    PASSWORD,
    SANDBOX_ID,
    handler,
    header,
    median,
    verdict,
)

import leap0

BUDGET = 1.10
METHODS = ("create_access", "validate_access", "regenerate_access")

# What the SDK sends, written out for the raw side.
HEADERS = {
    "Authorization": f"Bearer {API_KEY}",
    "Accept": "application/json",
    "User-Agent": f"leap0-python/{leap0.__version__}",
}
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class UnexpectedStatus(Exception):
    pass


def raw_sync(client: httpx.Client) -> dict[str, Callable[[], Any]]:
    """Raw httpx as one would write it: a str URL and a dict of headers on each call."""

    def create_access() -> Any:
        response = client.request(
            "POST",
            f"{BASE_URL}/v1/sandbox/{SANDBOX_ID}/ssh/access",
            json=None,
            headers=HEADERS,
            timeout=TIMEOUT,
        )
        if response.status_code != 201:
            raise UnexpectedStatus(response.status_code)
        return json.loads(response.content)

    def validate_access() -> Any:
        response = client.request(
            "POST",
            f"{BASE_URL}/v1/sandbox/{SANDBOX_ID}/ssh/validate",
            json={"id": ACCESS_ID, "password": PASSWORD},
            headers=HEADERS,
            timeout=TIMEOUT,
        )
        if response.status_code != 200:
            raise UnexpectedStatus(response.status_code)
        return json.loads(response.content)

    def regenerate_access() -> Any:
        response = client.request(
            "POST",
            f"{BASE_URL}/v1/sandbox/{SANDBOX_ID}/ssh/regen",
            json=None,
            headers=HEADERS,
            timeout=TIMEOUT,
        )
        if response.status_code != 200:
            raise UnexpectedStatus(response.status_code)
        return json.loads(response.content)

    return {
        "create_access": create_access,
        "validate_access": validate_access,
        "regenerate_access": regenerate_access,
    }


def raw_async(client: httpx.AsyncClient) -> dict[str, Callable[[], Awaitable[Any]]]:
    async def create_access() -> Any:
        response = await client.request(
            "POST",
            f"{BASE_URL}/v1/sandbox/{SANDBOX_ID}/ssh/access",
            json=None,
            headers=HEADERS,
            timeout=TIMEOUT,
        )
        if response.status_code != 201:
            raise UnexpectedStatus(response.status_code)
        return json.loads(response.content)

    async def validate_access() -> Any:
        response = await client.request(
            "POST",
            f"{BASE_URL}/v1/sandbox/{SANDBOX_ID}/ssh/validate",
            json={"id": ACCESS_ID, "password": PASSWORD},
            headers=HEADERS,
            timeout=TIMEOUT,
        )
        if response.status_code != 200:
            raise UnexpectedStatus(response.status_code)
        return json.loads(response.content)

    async def regenerate_access() -> Any:
        response = await client.request(
            "POST",
            f"{BASE_URL}/v1/sandbox/{SANDBOX_ID}/ssh/regen",
            json=None,
            headers=HEADERS,
            timeout=TIMEOUT,
        )
        if response.status_code != 200:
            raise UnexpectedStatus(response.status_code)
        return json.loads(response.content)

    return {
        "create_access": create_access,
        "validate_access": validate_access,
        "regenerate_access": regenerate_access,
    }


# The floor: raw httpx with the URLs and headers parsed once, as the SDK does.
URLS = {
    "create_access": httpx.URL(f"{BASE_URL}/v1/sandbox/{SANDBOX_ID}/ssh/access"),
    "validate_access": httpx.URL(f"{BASE_URL}/v1/sandbox/{SANDBOX_ID}/ssh/validate"),
    "regenerate_access": httpx.URL(f"{BASE_URL}/v1/sandbox/{SANDBOX_ID}/ssh/regen"),
}
PARSED_HEADERS = httpx.Headers(HEADERS)
STATUS = {"create_access": 201, "validate_access": 200, "regenerate_access": 200}


def floor_sync(client: httpx.Client) -> dict[str, Callable[[], Any]]:
    def make(method: str) -> Callable[[], Any]:
        url, status = URLS[method], STATUS[method]
        with_body = method == "validate_access"

        def call() -> Any:
            response = client.request(
                "POST",
                url,
                json={"id": ACCESS_ID, "password": PASSWORD} if with_body else None,
                headers=PARSED_HEADERS,
                timeout=TIMEOUT,
            )
            if response.status_code != status:
                raise UnexpectedStatus(response.status_code)
            return json.loads(response.content)

        return call

    return {method: make(method) for method in METHODS}


def floor_async(client: httpx.AsyncClient) -> dict[str, Callable[[], Awaitable[Any]]]:
    def make(method: str) -> Callable[[], Awaitable[Any]]:
        url, status = URLS[method], STATUS[method]
        with_body = method == "validate_access"

        async def call() -> Any:
            response = await client.request(
                "POST",
                url,
                json={"id": ACCESS_ID, "password": PASSWORD} if with_body else None,
                headers=PARSED_HEADERS,
                timeout=TIMEOUT,
            )
            if response.status_code != status:
                raise UnexpectedStatus(response.status_code)
            return json.loads(response.content)

        return call

    return {method: make(method) for method in METHODS}


def sdk_sync(client: leap0.Leap0Client) -> dict[str, Callable[[], Any]]:
    ssh = client.ssh
    return {
        "create_access": lambda: ssh.create_access(SANDBOX_ID),
        "validate_access": lambda: ssh.validate_access(
            SANDBOX_ID, access_id=ACCESS_ID, password=PASSWORD
        ),
        "regenerate_access": lambda: ssh.regenerate_access(SANDBOX_ID),
    }


def sdk_async(client: leap0.AsyncLeap0Client) -> dict[str, Callable[[], Awaitable[Any]]]:
    ssh = client.ssh
    return {
        "create_access": lambda: ssh.create_access(SANDBOX_ID),
        "validate_access": lambda: ssh.validate_access(
            SANDBOX_ID, access_id=ACCESS_ID, password=PASSWORD
        ),
        "regenerate_access": lambda: ssh.regenerate_access(SANDBOX_ID),
    }


def time_sync(fn: Callable[[], Any], calls: int) -> float:
    """Seconds per call over a batch."""
    clock = time.perf_counter
    start = clock()
    for _ in range(calls):
        fn()
    return (clock() - start) / calls


async def time_async(fn: Callable[[], Awaitable[Any]], calls: int) -> float:
    clock = time.perf_counter
    start = clock()
    for _ in range(calls):
        await fn()
    return (clock() - start) / calls


def check_same_answers(sdk: Any, raw: Any) -> None:
    """Both sides got the answer they should, so the comparison is of equal work."""
    access = sdk["create_access"]()
    assert isinstance(access, leap0.SshAccess), access
    assert raw["create_access"]()["id"] == access.id
    assert sdk["validate_access"]().valid is True
    assert raw["validate_access"]()["valid"] is True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per timed batch")
    parser.add_argument("--repeats", type=int, default=60, help="rounds of SDK/raw batches")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first")
    args = parser.parse_args(argv)

    header(
        f"per-call overhead: SDK vs raw httpx over httpx.MockTransport "
        f"({args.repeats} rounds x {args.calls} calls, medians)"
    )
    transport = httpx.MockTransport(handler)
    sync_http = httpx.Client(transport=transport)
    async_http = httpx.AsyncClient(transport=transport)
    # The seed's routes, as the raw side calls them: the same requests on both sides.
    sync_sdk = leap0.Leap0Client(
        api_key=API_KEY, base_url=BASE_URL, http_client=sync_http, ssh_api="single"
    )
    async_sdk = leap0.AsyncLeap0Client(
        api_key=API_KEY, base_url=BASE_URL, http_client=async_http, ssh_api="single"
    )

    sides_sync = {
        "sdk": sdk_sync(sync_sdk),
        "raw": raw_sync(sync_http),
        "floor": floor_sync(sync_http),
    }
    sides_async = {
        "sdk": sdk_async(async_sdk),
        "raw": raw_async(async_http),
        "floor": floor_async(async_http),
    }
    check_same_answers(sides_sync["sdk"], sides_sync["raw"])
    check_same_answers(sides_sync["sdk"], sides_sync["floor"])

    loop = asyncio.new_event_loop()
    per_call: dict[tuple[str, str, str], list[float]] = {}
    ratios: dict[tuple[str, str, str], list[float]] = {}
    orders = (("sdk", "raw", "floor"), ("floor", "raw", "sdk"), ("raw", "sdk", "floor"))

    def one_round(rnd: int, record: bool) -> None:
        order = orders[rnd % len(orders)]
        for mode in ("sync", "async"):
            for method in METHODS:
                got = {}
                for side in order:
                    if mode == "sync":
                        got[side] = time_sync(sides_sync[side][method], args.calls)
                    else:
                        fn = sides_async[side][method]
                        got[side] = loop.run_until_complete(time_async(fn, args.calls))
                if record:
                    for side, seconds in got.items():
                        per_call.setdefault((mode, method, side), []).append(seconds)
                    for base in ("raw", "floor"):
                        ratios.setdefault((mode, method, base), []).append(got["sdk"] / got[base])

    try:
        for rnd in range(args.warmup):
            one_round(rnd, record=False)
        for rnd in range(args.repeats):
            one_round(rnd, record=True)
    finally:
        sync_sdk.close()
        sync_http.close()
        loop.run_until_complete(async_sdk.aclose())
        loop.run_until_complete(async_http.aclose())
        loop.close()

    worst = 0.0
    for mode in ("sync", "async"):
        for method in METHODS:
            sdk_us = median(per_call[(mode, method, "sdk")]) * 1e6
            raw_us = median(per_call[(mode, method, "raw")]) * 1e6
            ratio = median(ratios[(mode, method, "raw")])
            worst = max(worst, ratio)
            print(
                f"per-call {mode:<5} {method:<17} sdk {sdk_us:7.1f} us  raw {raw_us:7.1f} us  "
                f"sdk/raw {ratio:.3f}  budget <= {BUDGET:.2f}  {verdict(ratio <= BUDGET)}"
            )
    print(f"per-call worst sdk/raw {worst:.3f}  budget <= {BUDGET:.2f}  {verdict(worst <= BUDGET)}")
    print("per-call floor: raw httpx with URL and headers parsed once (no budget)")
    for mode in ("sync", "async"):
        for method in METHODS:
            floor_us = median(per_call[(mode, method, "floor")]) * 1e6
            ratio = median(ratios[(mode, method, "floor")])
            print(
                f"per-call floor {mode:<5} {method:<17} raw-prebuilt {floor_us:7.1f} us  "
                f"sdk/raw-prebuilt {ratio:.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
