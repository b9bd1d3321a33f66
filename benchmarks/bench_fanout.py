"""Fan-out: throughput against the emulator, running in a separate process on loopback.

* async: ``--fanout`` ``validate_access`` calls issued at once (``asyncio.gather``)
  by ``AsyncLeap0Client``, against raw ``httpx.AsyncClient`` sending the same
  requests; both clients get the same ``httpx.Limits``;
* sync: ``--sync-calls`` sequential ``validate_access`` calls by ``Leap0Client``
  over one keep-alive connection, against raw ``httpx.Client`` doing the same.

SDK and raw alternate: ``--rounds`` async rounds each after a short warm-up,
and the sync calls split into ``--sync-rounds`` alternating chunks; figures are
medians of requests per second. The emulator (``python -m leap0.emulator``, needs the ``emulator``
extra) does most of the work on both sides; what differs is the client.

    python benchmarks/bench_fanout.py [--fanout 1000] [--sync-calls 10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import queue
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
from _common import header, median, verdict

import leap0

BUDGET = 0.90
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


@contextlib.contextmanager
def emulator(start_timeout: float = 30.0) -> Iterator[tuple[str, str]]:
    """Run ``python -m leap0.emulator`` on a free loopback port; yield (base URL, API key)."""
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "leap0.emulator", "--api-port", "0", "--ssh-port", "0"],
            stdout=subprocess.PIPE,
            stderr=errors,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        try:
            found = _read_env(proc, start_timeout)
            if found is None:
                errors.seek(0)
                raise RuntimeError(f"the emulator did not start:\n{errors.read()}")
            yield found["LEAP0_BASE_URL"], found["LEAP0_API_KEY"]
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _read_env(proc: subprocess.Popen[str], timeout: float) -> dict[str, str] | None:
    """The ``LEAP0_BASE_URL`` and ``LEAP0_API_KEY`` lines the emulator prints once it listens."""
    stdout = proc.stdout
    assert stdout is not None
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stdout:
            lines.put(line)
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    found: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(found) < 2:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.001))
        except queue.Empty:
            return None
        if not line:
            return None
        name, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and name in ("LEAP0_BASE_URL", "LEAP0_API_KEY"):
            found[name] = shlex.split(value)[0]
    return found


def make_credential(base_url: str, headers: dict[str, str]) -> tuple[str, str, str]:
    """A sandbox and an SSH credential on the emulator: (sandbox id, access id, password)."""
    with httpx.Client(base_url=base_url, headers=headers, timeout=TIMEOUT) as http:
        created = http.post("/v1/sandbox/", json={"template_name": "system/debian:bookworm"})
        created.raise_for_status()
        sandbox_id = created.json()["id"]
        access = http.post(f"/v1/sandbox/{sandbox_id}/ssh/access")
        access.raise_for_status()
        body = access.json()
    return sandbox_id, body["id"], body["password"]


async def fan_out(fn: Callable[[], Awaitable[Any]], n: int) -> float:
    """Requests per second for ``n`` calls issued at once."""
    start = time.perf_counter()
    results = await asyncio.gather(*(fn() for _ in range(n)))
    elapsed = time.perf_counter() - start
    assert len(results) == n
    return n / elapsed


def sequential(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fanout", type=int, default=1000, help="concurrent async calls a round")
    parser.add_argument("--sync-calls", type=int, default=10_000, help="sequential sync calls")
    parser.add_argument("--rounds", type=int, default=5, help="async rounds of each side")
    parser.add_argument(
        "--sync-rounds", type=int, default=10, help="chunks the sync calls are split into"
    )
    parser.add_argument(
        "--connections", type=int, default=20, help="max connections of each async client"
    )
    args = parser.parse_args(argv)
    header(
        f"fan-out: SDK vs raw httpx against the emulator in another process, "
        f"{args.connections} connections a client, alternating rounds, medians"
    )

    with emulator() as (base_url, api_key):
        headers = {
            "Authorization": f"Bearer {api_key}",
            "Accept": "application/json",
            "User-Agent": f"leap0-python/{leap0.__version__}",
        }
        sandbox_id, access_id, password = make_credential(base_url, headers)
        url = f"{base_url}/v1/sandbox/{sandbox_id}/ssh/validate"
        limits = httpx.Limits(
            max_connections=args.connections, max_keepalive_connections=args.connections
        )

        async def run_async() -> dict[str, list[float]]:
            async with (
                httpx.AsyncClient(limits=limits) as raw_http,
                httpx.AsyncClient(limits=limits) as sdk_http,
                leap0.AsyncLeap0Client(  # the seed's routes, as the raw side calls them
                    api_key=api_key, base_url=base_url, http_client=sdk_http, ssh_api="single"
                ) as client,
            ):
                ssh = client.ssh

                async def sdk() -> Any:
                    result = await ssh.validate_access(
                        sandbox_id, access_id=access_id, password=password
                    )
                    assert result.valid
                    return result

                async def raw() -> Any:
                    response = await raw_http.request(
                        "POST",
                        url,
                        json={"id": access_id, "password": password},
                        headers=headers,
                        timeout=TIMEOUT,
                    )
                    if response.status_code != 200:
                        raise RuntimeError(response.status_code)
                    result = json.loads(response.content)
                    assert result["valid"]
                    return result

                sides = {"sdk": sdk, "raw": raw}
                rps: dict[str, list[float]] = {"sdk": [], "raw": []}
                for fn in sides.values():  # open the connections, warm the code paths
                    await fan_out(fn, min(args.fanout, 200))
                for rnd in range(args.rounds):
                    order = ("sdk", "raw") if rnd % 2 == 0 else ("raw", "sdk")
                    for side in order:
                        rps[side].append(await fan_out(sides[side], args.fanout))
                return rps

        async_rps = asyncio.run(run_async())

        one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        chunk = max(1, args.sync_calls // args.sync_rounds)
        sync_rps: dict[str, list[float]] = {"sdk": [], "raw": []}
        with (
            httpx.Client(limits=one) as raw_http,
            httpx.Client(limits=one) as sdk_http,
            leap0.Leap0Client(
                api_key=api_key, base_url=base_url, http_client=sdk_http, ssh_api="single"
            ) as client,
        ):
            ssh = client.ssh

            def sdk_sync() -> Any:
                result = ssh.validate_access(sandbox_id, access_id=access_id, password=password)
                assert result.valid
                return result

            def raw_sync() -> Any:
                response = raw_http.request(
                    "POST",
                    url,
                    json={"id": access_id, "password": password},
                    headers=headers,
                    timeout=TIMEOUT,
                )
                if response.status_code != 200:
                    raise RuntimeError(response.status_code)
                result = json.loads(response.content)
                assert result["valid"]
                return result

            sides_sync = {"sdk": sdk_sync, "raw": raw_sync}
            warm = min(chunk, 200)
            for fn in sides_sync.values():
                sequential(fn, warm)
            for rnd in range(args.sync_rounds):
                order = ("sdk", "raw") if rnd % 2 == 0 else ("raw", "sdk")
                for side in order:
                    sync_rps[side].append(sequential(sides_sync[side], chunk))

    for name, label, rps in (
        ("async", f"{args.fanout} concurrent validate_access", async_rps),
        ("sync", f"{chunk * args.sync_rounds} sequential validate_access, 1 connection", sync_rps),
    ):
        sdk = median(rps["sdk"])
        raw = median(rps["raw"])
        ratio = sdk / raw
        print(
            f"fan-out {name:<5} {label}: sdk {sdk:7.0f} req/s  raw {raw:7.0f} req/s  "
            f"sdk/raw {ratio:.3f}  budget >= {BUDGET:.2f}  {verdict(ratio >= BUDGET)}"
        )
    return 0


if __name__ == "__main__":
    if os.environ.get("PYTHONASYNCIODEBUG"):
        print("note: PYTHONASYNCIODEBUG is set; figures are slower", file=sys.stderr)
    sys.exit(main())
