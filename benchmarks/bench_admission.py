"""Admission: many concurrent calls on one client, SDK vs raw httpx, against the emulator.

A client hands at most ``max_concurrency`` requests (default 100) to httpx's
pool; the others wait their turn in the SDK's queue, at a constant cost each.
Raw httpx queues them in its pool, which does work in proportion to the
requests waiting. Three measurements, each against raw httpx in the same run,
the emulator (``python -m leap0.emulator``) in another process:

* ``creates``: ``--creates`` concurrent async ``create_access`` calls
  (``asyncio.gather``), one per sandbox, by ``AsyncLeap0Client`` at its
  default settings, against raw ``httpx.AsyncClient()`` (default limits)
  sending the same requests; ``raw+sem`` is raw httpx with an
  ``asyncio.Semaphore(100)`` in front of its pool (the floor, no budget). Each
  side creates for its own fresh sandboxes, made before the timed part, on a
  client of its own built for the round (a cold pool). Raw httpx with default
  limits takes tens of seconds here, so it runs in ``--raw-rounds`` of the
  ``--rounds`` rounds; the ratio is of the medians;
* ``validates``: ``--validates`` concurrent async ``validate_access`` calls,
  spread over ``--validate-sandboxes`` sandboxes of one credential each (each
  side its own), by ``AsyncLeap0Client`` at its default settings, against raw
  httpx with ``asyncio.Semaphore(100)`` (raw httpx with its default limits and
  nothing in front would take many minutes at this count, most calls failing
  with ``PoolTimeout``);
* ``threads``: 8, 32 and 128 threads (``--threads``) sharing one blocking
  client, ``--thread-calls`` sequential ``validate_access`` calls a round in
  all, ``Leap0Client`` at its default settings against one ``httpx.Client()``
  (default limits), both kept for all the rounds; at the last count also a
  ``Leap0Client`` on an ``httpx.Client()`` handed in (``sdk+httpx``, no
  budget), which tells the SDK's queue from the transport leap0 builds.

The SDK clients are the ones leap0 builds (pool of 100, ``max_concurrency``
100, timeout 30 s, 2 retries) and call the seed's routes
(``ssh_api="single"``), as the raw side does (with the SDK's timeout). Rounds
alternate, the order rotating; figures are medians of successful calls per
second (a failed call counts in the time, not in the calls), and a ratio is
the median over rounds of the two sides' rates in the same round (creates: of
the medians). Every call's outcome is checked; errors are counted by kind.

    python benchmarks/bench_admission.py [--creates 1000] [--validates 10000] [--threads 8,32,128]
        [--only creates,validates,threads]  (--help lists the counts)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from _common import header, median, verdict
from bench_fanout import emulator

import leap0

CREATE_BUDGET = 5.0  # SDK/raw at least, for the concurrent creates (aim: 10)
THREAD_BUDGET = 0.95  # SDK/raw at least, at the largest thread count
TIMEOUT = httpx.Timeout(30.0, connect=5.0)  # the SDK's default, for the raw side too
RAW_SEMAPHORE = 100  # the pool's size, httpx's default max_connections
TEMPLATE = {"template_name": "system/debian:bookworm"}

Credential = tuple[str, str, str]  # sandbox id, access id, password


class Emulator:
    """The emulator's control routes and a blocking client to set up sandboxes."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.headers = {
            "Authorization": f"Bearer {api_key}",
            "Accept": "application/json",
            "User-Agent": f"leap0-python/{leap0.__version__}",
        }
        self.http = httpx.Client(base_url=base_url, headers=self.headers, timeout=TIMEOUT)

    def reset(self, max_sandboxes: int) -> None:
        """Empty the emulator, then allow ``max_sandboxes`` sandboxes."""
        self.http.post("/_emulator/reset").raise_for_status()
        self.http.post(
            "/_emulator/config", json={"max_sandboxes": max_sandboxes}
        ).raise_for_status()

    def sandboxes(self, n: int) -> list[str]:
        ids = []
        for _ in range(n):
            created = self.http.post("/v1/sandbox/", json=TEMPLATE)
            created.raise_for_status()
            ids.append(created.json()["id"])
        return ids

    def credentials(self, n: int) -> list[Credential]:
        found = []
        for sandbox_id in self.sandboxes(n):
            access = self.http.post(f"/v1/sandbox/{sandbox_id}/ssh/access")
            access.raise_for_status()
            body = access.json()
            found.append((sandbox_id, body["id"], body["password"]))
        return found

    def close(self) -> None:
        self.http.close()


class RetryCounter(logging.Handler):
    """Counts the SDK's retries (its log records with ``record.leap0_retry``), by reason."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.reasons: dict[str, int] = {}

    @classmethod
    def install(cls) -> RetryCounter:
        """A counter on the ``leap0`` logger, which then logs its retries to it alone."""
        counter = cls()
        log = logging.getLogger("leap0")
        log.addHandler(counter)
        log.setLevel(logging.INFO)
        log.propagate = False
        return counter

    def emit(self, record: logging.LogRecord) -> None:
        retry = getattr(record, "leap0_retry", None)
        if retry is not None:
            reason = str(retry["reason"])
            self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def take(self) -> dict[str, int]:
        """The counts since the last ``take``."""
        reasons, self.reasons = self.reasons, {}
        return reasons


def describe_retries(reasons: dict[str, int]) -> str:
    if not reasons:
        return "0 retries"
    kinds = ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items()))
    return f"{sum(reasons.values())} retries ({kinds})"


class Tally:
    """Calls per second of one side's rounds, and its errors (by kind, with one example)."""

    def __init__(self) -> None:
        self.rates: list[float] = []
        self.seconds: list[float] = []  # how long each round took (async sides)
        self.errors: dict[str, int] = {}
        self.retries: dict[str, int] = {}  # the SDK's, in the timed rounds
        self.example: str | None = None

    def failed(self, exc: BaseException) -> None:
        kind = type(exc).__name__
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if self.example is None:
            self.example = f"{kind}: {exc}"

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def describe_errors(self) -> str:
        if not self.errors:
            return "0 errors"
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.errors.items()))
        return f"{self.error_count} errors ({kinds})"


def ratios(a: Tally, b: Tally) -> float:
    """The median over rounds of a's rate over b's in the same round."""
    return median([x / y for x, y in zip(a.rates, b.rates, strict=True)])


def ratio_of_medians(a: Tally, b: Tally) -> float:
    return median(a.rates) / median(b.rates)


def rotations(names: Sequence[str], rounds: int) -> list[list[str]]:
    """The order of the sides in each round, rotating so no side is always first."""
    return [[names[(r + i) % len(names)] for i in range(len(names))] for r in range(rounds)]


# -- async -------------------------------------------------------------------


AsyncCall = Callable[[int], Awaitable[Any]]


async def gather_rate(call: AsyncCall, n: int, tally: Tally | None) -> float:
    """Issue ``call(0) ... call(n-1)`` at once; successful calls per second.

    Errors go to ``tally`` (raised when it is ``None``, for a warm-up).
    """
    start = time.perf_counter()
    results = await asyncio.gather(*(call(i) for i in range(n)), return_exceptions=True)
    elapsed = time.perf_counter() - start
    failed = 0
    for result in results:
        if isinstance(result, BaseException):
            if tally is None:
                raise result
            tally.failed(result)
            failed += 1
    if tally is not None:
        tally.seconds.append(elapsed)
    return (n - failed) / elapsed


class UnexpectedStatus(Exception):
    pass


def raw_create(
    http: httpx.AsyncClient, base_url: str, headers: dict[str, str], ids: list[str]
) -> AsyncCall:
    async def call(i: int) -> Any:
        response = await http.request(
            "POST", f"{base_url}/v1/sandbox/{ids[i]}/ssh/access", headers=headers, timeout=TIMEOUT
        )
        if response.status_code != 201:
            raise UnexpectedStatus(response.status_code)
        return json.loads(response.content)

    return call


def raw_validate(
    http: httpx.AsyncClient, base_url: str, headers: dict[str, str], creds: list[Credential]
) -> AsyncCall:
    async def call(i: int) -> Any:
        sandbox_id, access_id, password = creds[i % len(creds)]
        response = await http.request(
            "POST",
            f"{base_url}/v1/sandbox/{sandbox_id}/ssh/validate",
            json={"id": access_id, "password": password},
            headers=headers,
            timeout=TIMEOUT,
        )
        if response.status_code != 200:
            raise UnexpectedStatus(response.status_code)
        result = json.loads(response.content)
        if not result["valid"]:
            raise UnexpectedStatus("valid: false")
        return result

    return call


def with_semaphore(call: AsyncCall, semaphore: asyncio.Semaphore) -> AsyncCall:
    async def gated(i: int) -> Any:
        async with semaphore:
            return await call(i)

    return gated


def sdk_create(client: leap0.AsyncLeap0Client, ids: list[str]) -> AsyncCall:
    ssh = client.ssh

    async def call(i: int) -> Any:
        return await ssh.create_access(ids[i])

    return call


def sdk_validate(client: leap0.AsyncLeap0Client, creds: list[Credential]) -> AsyncCall:
    ssh = client.ssh

    async def call(i: int) -> Any:
        sandbox_id, access_id, password = creds[i % len(creds)]
        result = await ssh.validate_access(sandbox_id, access_id=access_id, password=password)
        if not result.valid:
            raise UnexpectedStatus("valid: false")
        return result

    return call


def sdk_async(emu: Emulator) -> leap0.AsyncLeap0Client:
    """The client leap0 builds, at its default settings, on the seed's routes."""
    return leap0.AsyncLeap0Client(api_key=emu.api_key, base_url=emu.base_url, ssh_api="single")


async def side_rate(
    emu: Emulator, name: str, make: Callable[..., AsyncCall], n: int, tally: Tally | None
) -> float:
    """One round of one side, on a client of its own built for it (a cold pool, untimed)."""
    async with contextlib.AsyncExitStack() as stack:
        if name == "sdk":
            call = make(await stack.enter_async_context(sdk_async(emu)))
        else:
            http = await stack.enter_async_context(httpx.AsyncClient())
            call = make(http)
            if name == "raw+sem":
                call = with_semaphore(call, asyncio.Semaphore(RAW_SEMAPHORE))
        return await gather_rate(call, n, tally)


def creator(emu: Emulator, name: str, ids: list[str]) -> Callable[..., AsyncCall]:
    if name == "sdk":
        return lambda client: sdk_create(client, ids)
    return lambda http: raw_create(http, emu.base_url, emu.headers, ids)


def validator(emu: Emulator, name: str, creds: list[Credential]) -> Callable[..., AsyncCall]:
    if name == "sdk":
        return lambda client: sdk_validate(client, creds)
    return lambda http: raw_validate(http, emu.base_url, emu.headers, creds)


async def run_creates(
    emu: Emulator, counter: RetryCounter, n: int, rounds: int, raw_rounds: int
) -> dict[str, Tally]:
    """Concurrent ``create_access``, one per fresh sandbox, each side its own sandboxes.

    ``raw`` (default limits, nothing in front: slow) runs in the first
    ``raw_rounds`` rounds only, the others in every round.
    """
    names = ("sdk", "raw", "raw+sem")
    warm = min(n, 100)
    tallies = {name: Tally() for name in names}
    emu.reset(len(names) * warm)
    for name in names:  # warm the code paths, imports included (untimed)
        await side_rate(emu, name, creator(emu, name, emu.sandboxes(warm)), warm, None)
    counter.take()
    for rnd, order in enumerate(rotations(names, rounds)):
        order = [name for name in order if name != "raw" or rnd < raw_rounds]
        emu.reset(len(order) * n)  # a small emulator for every round
        fresh = {name: emu.sandboxes(n) for name in order}  # untimed
        for name in order:
            tally = tallies[name]
            tally.rates.append(
                await side_rate(emu, name, creator(emu, name, fresh[name]), n, tally)
            )
    tallies["sdk"].retries = counter.take()
    return tallies


async def run_validates(
    emu: Emulator, counter: RetryCounter, n: int, sandboxes: int, rounds: int
) -> dict[str, Tally]:
    """Concurrent ``validate_access``, spread over a few credentials, each side its own."""
    names = ("sdk", "raw+sem")
    emu.reset(len(names) * sandboxes)
    creds = {name: emu.credentials(sandboxes) for name in names}
    tallies = {name: Tally() for name in names}
    for name in names:  # warm the code paths (untimed)
        await side_rate(emu, name, validator(emu, name, creds[name]), min(n, 200), None)
    counter.take()
    for order in rotations(names, rounds):
        for name in order:
            tally = tallies[name]
            tally.rates.append(
                await side_rate(emu, name, validator(emu, name, creds[name]), n, tally)
            )
    tallies["sdk"].retries = counter.take()
    return tallies


# -- threads -----------------------------------------------------------------


def threads_rate(call: Callable[[int], Any], threads: int, per_thread: int, tally: Tally) -> float:
    """``threads`` threads, each making ``per_thread`` calls in turn; calls per second."""
    start_line = threading.Barrier(threads + 1)
    lock = threading.Lock()

    def work(worker: int) -> None:
        start_line.wait()
        for _ in range(per_thread):
            try:
                call(worker)
            except Exception as exc:
                with lock:
                    tally.failed(exc)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    start_line.wait()
    start = time.perf_counter()
    for worker in workers:
        worker.join()
    return threads * per_thread / (time.perf_counter() - start)


def run_threads(
    emu: Emulator, counter: RetryCounter, counts: list[int], calls: int, sandboxes: int, rounds: int
) -> dict[int, dict[str, Tally]]:
    """Threads sharing one blocking client; ``sdk+httpx`` (an SDK client on an
    ``httpx.Client()`` handed in, no budget) runs at the last count only."""
    names = ("sdk", "raw", "sdk+httpx")
    emu.reset(len(names) * sandboxes)
    creds = {name: emu.credentials(sandboxes) for name in names}
    results: dict[int, dict[str, Tally]] = {}
    with (
        leap0.Leap0Client(api_key=emu.api_key, base_url=emu.base_url, ssh_api="single") as client,
        httpx.Client() as raw_http,
        httpx.Client() as handed_http,
        leap0.Leap0Client(
            api_key=emu.api_key, base_url=emu.base_url, ssh_api="single", http_client=handed_http
        ) as handed,
    ):
        base_url, headers = emu.base_url, emu.headers

        def sdk_side(ssh: Any, mine: list[Credential]) -> Callable[[int], Any]:
            def call(worker: int) -> Any:
                sandbox_id, access_id, password = mine[worker % sandboxes]
                result = ssh.validate_access(sandbox_id, access_id=access_id, password=password)
                if not result.valid:
                    raise UnexpectedStatus("valid: false")
                return result

            return call

        def raw(worker: int) -> Any:
            sandbox_id, access_id, password = creds["raw"][worker % sandboxes]
            response = raw_http.request(
                "POST",
                f"{base_url}/v1/sandbox/{sandbox_id}/ssh/validate",
                json={"id": access_id, "password": password},
                headers=headers,
                timeout=TIMEOUT,
            )
            if response.status_code != 200:
                raise UnexpectedStatus(response.status_code)
            result = json.loads(response.content)
            if not result["valid"]:
                raise UnexpectedStatus("valid: false")
            return result

        sides = {
            "sdk": sdk_side(client.ssh, creds["sdk"]),
            "raw": raw,
            "sdk+httpx": sdk_side(handed.ssh, creds["sdk+httpx"]),
        }
        for threads in counts:
            per_thread = max(1, calls // threads)
            here = names if threads == counts[-1] else names[:2]
            tallies = results[threads] = {name: Tally() for name in here}
            for name in here:  # start the connections this many threads use (untimed)
                threads_rate(sides[name], threads, max(1, per_thread // 4), Tally())
            counter.take()
            for order in rotations(here, rounds):
                for name in order:
                    tally = tallies[name]
                    tally.rates.append(threads_rate(sides[name], threads, per_thread, tally))
            tallies["sdk"].retries = counter.take()  # both SDK clients' at the last count
    return results


def report_errors(label: str, tallies: dict[str, Tally]) -> None:
    for name, tally in tallies.items():
        if tally.example is not None:
            print(f"  {label} {name}: {tally.describe_errors()}; e.g. {tally.example[:200]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=1000, help="concurrent creates a round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the creates")
    parser.add_argument(
        "--raw-rounds",
        type=int,
        default=1,
        help="of those, how many raw httpx (default limits) takes part in",
    )
    parser.add_argument("--validates", type=int, default=10_000, help="concurrent validates")
    parser.add_argument(
        "--validate-sandboxes", type=int, default=100, help="sandboxes (1 credential each) a side"
    )
    parser.add_argument("--validate-rounds", type=int, default=1, help="rounds of the validates")
    parser.add_argument(
        "--threads", default="8,32,128", help="comma-separated thread counts (budget: the last)"
    )
    parser.add_argument(
        "--thread-calls", type=int, default=1000, help="calls a round over all threads"
    )
    parser.add_argument("--thread-rounds", type=int, default=5, help="rounds at each count")
    parser.add_argument("--thread-sandboxes", type=int, default=16, help="sandboxes a side")
    parser.add_argument(
        "--only", default="creates,validates,threads", help="comma-separated subset"
    )
    args = parser.parse_args(argv)
    parts = {part.strip() for part in args.only.split(",") if part.strip()}
    unknown = parts - {"creates", "validates", "threads"}
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    counts = [int(count) for count in args.threads.split(",") if count.strip()]
    header(
        "admission: many concurrent calls on one client, SDK (default settings) vs raw httpx "
        "against the emulator in another process, alternating rounds, medians"
    )

    counter = RetryCounter.install()
    with emulator() as (base_url, api_key):
        emu = Emulator(base_url, api_key)
        try:
            if "creates" in parts:
                n = args.creates
                tallies = asyncio.run(run_creates(emu, counter, n, args.rounds, args.raw_rounds))
                sdk, raw, floor = tallies["sdk"], tallies["raw"], tallies["raw+sem"]
                ratio = ratio_of_medians(sdk, raw)
                ok = ratio >= CREATE_BUDGET and sdk.error_count == 0
                print(
                    f"admission async {n} concurrent create_access: sdk {median(sdk.rates):7.0f}"
                    f" calls/s ({median(sdk.seconds):.1f} s)  raw {median(raw.rates):7.0f} calls/s"
                    f" ({median(raw.seconds):.1f} s)  sdk/raw {ratio:.2f}  "
                    f"sdk {sdk.describe_errors()}, {describe_retries(sdk.retries)}; "
                    f"raw {raw.describe_errors()}  "
                    f"budget sdk/raw >= {CREATE_BUDGET:g}, 0 errors  {verdict(ok)}"
                )
                print(
                    f"admission async {n} concurrent create_access floor: raw+sem"
                    f"({RAW_SEMAPHORE}) {median(floor.rates):7.0f} calls/s  "
                    f"sdk/raw+sem {ratios(sdk, floor):.3f}  {floor.describe_errors()}  (no budget)"
                )
                report_errors("creates", tallies)
                sys.stdout.flush()
            if "validates" in parts:
                n = args.validates
                tallies = asyncio.run(
                    run_validates(emu, counter, n, args.validate_sandboxes, args.validate_rounds)
                )
                sdk, floor = tallies["sdk"], tallies["raw+sem"]
                timeouts = sdk.retries.get("Leap0TimeoutError", 0)
                ok = sdk.error_count == 0 and timeouts == 0
                print(
                    f"admission async {n} concurrent validate_access "
                    f"({args.validate_sandboxes} credentials a side): sdk "
                    f"{median(sdk.rates):7.0f} calls/s  raw+sem({RAW_SEMAPHORE}) "
                    f"{median(floor.rates):7.0f} calls/s  sdk/raw+sem {ratios(sdk, floor):.3f}  "
                    f"sdk {sdk.describe_errors()}, {describe_retries(sdk.retries)}; "
                    f"raw+sem {floor.describe_errors()}  "
                    f"budget sdk 0 errors, 0 timeouts (retried included)  {verdict(ok)}"
                )
                report_errors("validates", tallies)
                sys.stdout.flush()
            if "threads" in parts:
                results = run_threads(
                    emu,
                    counter,
                    counts,
                    args.thread_calls,
                    args.thread_sandboxes,
                    args.thread_rounds,
                )
                for threads, tallies in results.items():
                    sdk, raw = tallies["sdk"], tallies["raw"]
                    ratio = ratios(sdk, raw)
                    per_thread = max(1, args.thread_calls // threads)
                    line = (
                        f"admission sync  {threads:3d} threads, one client, "
                        f"{threads * per_thread} validate_access a round: sdk "
                        f"{median(sdk.rates):7.0f} calls/s  raw {median(raw.rates):7.0f} calls/s"
                        f"  sdk/raw {ratio:.3f}  sdk {sdk.describe_errors()}, "
                        f"{describe_retries(sdk.retries)}; raw {raw.describe_errors()}"
                    )
                    if threads == counts[-1]:
                        ok = ratio >= THREAD_BUDGET and sdk.error_count == 0
                        line += f"  budget sdk/raw >= {THREAD_BUDGET:.2f}, 0 errors  {verdict(ok)}"
                    else:
                        line += "  (no budget)"
                    print(line)
                    if "sdk+httpx" in tallies:
                        handed = tallies["sdk+httpx"]
                        print(
                            f"admission sync  {threads:3d} threads, SDK on an httpx.Client() "
                            f"handed in: sdk+httpx {median(handed.rates):7.0f} calls/s  "
                            f"sdk+httpx/raw {ratios(handed, raw):.3f}  "
                            f"{handed.describe_errors()}  (no budget)"
                        )
                    report_errors(f"{threads} threads", tallies)
        finally:
            emu.close()
    return 0


if __name__ == "__main__":
    if os.environ.get("PYTHONASYNCIODEBUG"):
        print("note: PYTHONASYNCIODEBUG is set; figures are slower", file=sys.stderr)
    sys.exit(main())
