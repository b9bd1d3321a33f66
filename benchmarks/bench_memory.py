"""Memory: growth of traced memory over many calls through one client.

One ``Leap0Client`` and one ``AsyncLeap0Client``, each over an
``httpx.MockTransport``, make ``--warmup`` calls, then ``tracemalloc`` starts
(after a ``gc.collect()``) and each makes ``--calls`` more, cycling through
``create_access``, ``validate_access`` and ``regenerate_access``. The growth is
the traced memory still held after a final ``gc.collect()``: memory the calls
kept, not what they used and released.

    python benchmarks/bench_memory.py [--calls 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tracemalloc

import httpx
from _common import (
    ACCESS_ID,
    API_KEY,
    BASE_URL,
    PASSWORD,
    SANDBOX_ID,
    handler,
    header,
    verdict,
)

import leap0

BUDGET_BYTES = 1024 * 1024


def sync_calls(client: leap0.Leap0Client, calls: int) -> None:
    ssh = client.ssh
    for i in range(calls):
        kind = i % 3
        if kind == 0:
            ssh.create_access(SANDBOX_ID)
        elif kind == 1:
            ssh.validate_access(SANDBOX_ID, access_id=ACCESS_ID, password=PASSWORD)
        else:
            ssh.regenerate_access(SANDBOX_ID)


async def async_calls(client: leap0.AsyncLeap0Client, calls: int) -> None:
    ssh = client.ssh
    for i in range(calls):
        kind = i % 3
        if kind == 0:
            await ssh.create_access(SANDBOX_ID)
        elif kind == 1:
            await ssh.validate_access(SANDBOX_ID, access_id=ACCESS_ID, password=PASSWORD)
        else:
            await ssh.regenerate_access(SANDBOX_ID)


class Traced:
    """Traced bytes held between ``start`` and ``stop``, both after a full collection."""

    def __enter__(self) -> Traced:
        gc.collect()
        tracemalloc.start()
        self.before = tracemalloc.get_traced_memory()[0]
        return self

    def __exit__(self, *exc: object) -> None:
        gc.collect()
        current, self.peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.growth = current - self.before


def report(name: str, calls: int, traced: Traced) -> bool:
    ok = traced.growth < BUDGET_BYTES
    print(
        f"memory {name:<5} growth over {calls} calls {traced.growth / 1024:8.1f} KiB  "
        f"(peak {traced.peak / 1024:.1f} KiB)  budget < 1024 KiB  {verdict(ok)}"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000, help="traced calls per client")
    parser.add_argument("--warmup", type=int, default=600, help="untraced calls first")
    args = parser.parse_args(argv)
    header(f"memory: tracemalloc growth over {args.calls} calls through one client")

    transport = httpx.MockTransport(handler)

    with leap0.Leap0Client(  # the seed's routes, which the mock serves
        api_key=API_KEY,
        base_url=BASE_URL,
        http_client=httpx.Client(transport=transport),
        ssh_api="single",
    ) as client:
        sync_calls(client, args.warmup)
        with Traced() as traced_sync:
            sync_calls(client, args.calls)
    ok = report("sync", args.calls, traced_sync)

    async def run_async() -> Traced:
        async with (
            httpx.AsyncClient(transport=transport) as http,
            leap0.AsyncLeap0Client(
                api_key=API_KEY, base_url=BASE_URL, http_client=http, ssh_api="single"
            ) as client,
        ):
            await async_calls(client, args.warmup)
            with Traced() as traced:
                await async_calls(client, args.calls)
            return traced

    traced_async = asyncio.run(run_async())
    ok = report("async", args.calls, traced_async) and ok
    worst = max(traced_sync.growth, traced_async.growth)
    print(
        f"memory worst growth {worst / 1024:.1f} KiB over {args.calls} calls  "
        f"budget < 1024 KiB  {verdict(ok)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
