"""Emulator scaling: its cost per request as it holds more sandboxes, and a reset's time.

The emulator (``python -m leap0.emulator``, needs the ``emulator`` extra) runs
in its own process on loopback. It is filled to each of ``--sizes``
sandboxes in turn; at each size ``--rounds`` alternating rounds of
``--requests`` requests of each route, one keep-alive connection, give the
median time of

* ``GET /v1/sandbox/{id}`` (a random sandbox each time),
* ``POST /v1/sandbox/{id}/ssh/{ssh_id}/validate``,
* ``GET /v1/sandboxes`` (page 1, and a page in the middle, 20 a page),

each over the median of ``GET /_emulator/config`` in the same rounds: a route
whose cost holds no sandbox, so a ratio is the emulator's cost, whatever the
machine's speed. Where ``/proc`` exists the emulator's CPU per request is
shown too. Then ``POST /_emulator/reset`` is timed at each of
``--reset-sizes`` sandboxes, ``--sessions`` of them holding a live SSH
session (which the reset must end), while another connection asks for
``/_emulator/config`` throughout: its longest wait shows whether the
emulator went on answering.

Budgets: ``GET`` at 10,000 sandboxes at most 1.5x its ratio at 10; a reset
of 10,000 sandboxes under 2 s.

    python benchmarks/bench_emulator.py [--sizes 10,1000,10000,50000] [--reset-sizes 10000,50000]
    python benchmarks/bench_emulator.py --quick   # tiny sizes: checks that it runs
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import queue
import random
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

from _common import header, median, verdict

GET_BUDGET = 1.5
RESET_BUDGET = 2.0
BUDGET_SIZES = (10, 10_000)
RESET_BUDGET_SIZE = 10_000
PAGE_SIZE = 20
TEMPLATE = "system/debian:bookworm"
LONGEST_TIMEOUT = 28_800  # no sandbox times out during a run
_RECONNECT = (http.client.HTTPException, ConnectionError)


class Wire:
    """One keep-alive HTTP/1.1 connection to the emulator, reopened if the server closed it."""

    def __init__(self, port: int, api_key: str) -> None:
        self._port = port
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self._conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        headers = dict(self._headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                self._conn.request(method, path, body=data, headers=headers)
                response = self._conn.getresponse()
                return response.status, response.read()
            except _RECONNECT:
                self._conn.close()
                self._conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=300)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        status, raw = self.call(method, path, body)
        if status != expect:
            raise RuntimeError(f"{method} {path}: {status} {raw[:300]!r}")
        return json.loads(raw) if raw else None

    def close(self) -> None:
        self._conn.close()


@contextlib.contextmanager
def emulator(max_sandboxes: int) -> Iterator[tuple[int, str, int]]:
    """Run the emulator on free loopback ports; yield (API port, API key, its pid)."""
    argv = [sys.executable, "-m", "leap0.emulator", "--api-port", "0", "--ssh-port", "0"]
    argv += ["--max-sandboxes", str(max_sandboxes), "--max-unauthenticated", "1000"]
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL, text=True
        )
        try:
            found = _read_env(proc, 30.0)
            if found is None:
                errors.seek(0)
                raise RuntimeError(f"the emulator did not start:\n{errors.read()}")
            port = int(found["LEAP0_BASE_URL"].rsplit(":", 1)[1].rstrip("/"))
            yield port, found["LEAP0_API_KEY"], proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(60)
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


def cpu_seconds(pid: int) -> float | None:
    """The process's user plus system CPU time so far, from ``/proc`` (None without it)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fill(wire: Wire, ids: list[str], size: int) -> float:
    """Create sandboxes until ``ids`` holds ``size``; the seconds it took."""
    body = {"template_name": TEMPLATE, "timeout": LONGEST_TIMEOUT}
    started = time.perf_counter()
    while len(ids) < size:
        ids.append(wire.json("POST", "/v1/sandbox/", body, expect=201)["id"])
    return time.perf_counter() - started


def measure(
    wire: Wire, pid: int, ids: list[str], access: dict[str, Any], rounds: int, requests: int
) -> dict[str, tuple[float, float | None]]:
    """Per route: (median seconds per request, emulator CPU seconds per request or None)."""
    middle = max(1, len(ids) // PAGE_SIZE // 2)
    validate = f"/v1/sandbox/{access['sandbox_id']}/ssh/{access['id']}/validate"
    password = {"password": access["password"]}
    routes: dict[str, Any] = {
        "config": lambda: ("GET", "/_emulator/config", None),
        "get": lambda: ("GET", f"/v1/sandbox/{random.choice(ids)}", None),
        "validate": lambda: ("POST", validate, password),
        "list": lambda: ("GET", f"/v1/sandboxes?page-size={PAGE_SIZE}", None),
        "list-mid": lambda: ("GET", f"/v1/sandboxes?page-size={PAGE_SIZE}&page={middle}", None),
    }
    samples: dict[str, list[float]] = {name: [] for name in routes}
    cpu: dict[str, float | None] = dict.fromkeys(routes, 0.0)
    names = list(routes)
    for name in names:  # warm up each route's code path
        for _ in range(min(requests, 20)):
            wire.call(*routes[name]())
    for rnd in range(rounds):
        order = names[rnd % len(names) :] + names[: rnd % len(names)]
        for name in order:
            make = routes[name]
            before = cpu_seconds(pid)
            for _ in range(requests):
                request = make()
                started = time.perf_counter()
                status, _ = wire.call(*request)
                samples[name].append(time.perf_counter() - started)
                if status != 200:
                    raise RuntimeError(f"{request[0]} {request[1]}: {status}")
            after = cpu_seconds(pid)
            spent = cpu[name]
            cpu[name] = (
                None
                if spent is None or before is None or after is None
                else spent + (after - before)
            )
    total = rounds * requests
    return {
        name: (median(samples[name]), None if cpu[name] is None else cpu[name] / total)
        for name in routes
    }


async def hold_sessions(
    wire: Wire, ids: list[str], count: int, release: asyncio.Event, held: asyncio.Event
) -> int:
    """Hold a live SSH session (``sleep``) in ``count`` of the sandboxes until ``release``.

    Sets ``held`` once all run; returns how many ended by the time ``release``
    was set and they were waited for (all, once a reset ended them).
    """
    import asyncssh

    async def one(sandbox_id: str) -> bool:
        access = wire.json("POST", f"/v1/sandbox/{sandbox_id}/ssh/access", expect=201)
        port = int(access["ssh_command"].split()[2])
        async with asyncssh.connect(
            "127.0.0.1",
            port,
            username=access["id"],
            password=access["password"],
            known_hosts=None,
            client_keys=None,
            agent_path=None,
            config=None,
            preferred_auth="password",
        ) as conn:
            process = await conn.create_process("echo up; exec sleep 600")
            await process.stdout.readline()
            ready.append(sandbox_id)
            if len(ready) == count:
                held.set()
            try:
                await asyncio.wait_for(process.wait_closed(), 120)
            except asyncio.TimeoutError:
                return False
            return True

    ready: list[str] = []
    if count == 0:
        held.set()
        return 0
    tasks = [asyncio.ensure_future(one(sandbox_id)) for sandbox_id in ids[-count:]]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    return sum(1 for ended in results if ended is True)


def timed_reset(
    port: int, api_key: str, wire: Wire, ids: list[str], sessions: int
) -> tuple[float, float, int]:
    """Reset with ``sessions`` live SSH sessions: (seconds, longest config wait, sessions ended)."""
    loop = asyncio.new_event_loop()
    release, held = asyncio.Event(), asyncio.Event()
    sessions = min(sessions, len(ids))
    holder = loop.create_task(hold_sessions(wire, ids, sessions, release, held))
    loop.run_until_complete(asyncio.wait_for(held.wait(), 120))
    stop = threading.Event()
    waits: list[float] = []

    def ask() -> None:
        probe = Wire(port, api_key)
        try:
            while not stop.is_set():
                started = time.perf_counter()
                probe.call("GET", "/_emulator/config")
                waits.append(time.perf_counter() - started)
        finally:
            probe.close()

    prober = threading.Thread(target=ask, daemon=True)
    prober.start()
    started = time.perf_counter()
    wire.json("POST", "/_emulator/reset", expect=204)
    elapsed = time.perf_counter() - started
    stop.set()
    prober.join(120)
    release.set()
    ended = loop.run_until_complete(holder)
    loop.close()
    ids.clear()
    return elapsed, max(waits, default=0.0), ended


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,1000,10000,50000", help="sandbox counts")
    parser.add_argument("--reset-sizes", default="10000,50000", help="sandbox counts reset")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds a size")
    parser.add_argument("--requests", type=int, default=100, help="requests a route a round")
    parser.add_argument("--sessions", type=int, default=10, help="live SSH sessions at a reset")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check, don't measure")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.reset_sizes = "10,200", "200"
        args.rounds, args.requests, args.sessions = 2, 10, 2
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    reset_sizes = sorted({int(s) for s in args.reset_sizes.split(",") if s.strip()}, reverse=True)
    header(
        f"emulator: cost per request at {', '.join(f'{s:,}' for s in sizes)} sandboxes over "
        f"GET /_emulator/config in the same rounds ({args.rounds} rounds of {args.requests} "
        "a route, one keep-alive connection, medians); reset time"
    )
    ratios: dict[int, float] = {}
    resets: dict[int, float] = {}
    with emulator(max(sizes + reset_sizes) + 1) as (port, api_key, pid):
        wire = Wire(port, api_key)
        ids: list[str] = []
        fill(wire, ids, 1)
        access = wire.json("POST", f"/v1/sandbox/{ids[0]}/ssh/access", expect=201)
        for size in sizes:
            took = fill(wire, ids, size)
            figures = measure(wire, pid, ids, access, args.rounds, args.requests)
            floor = figures["config"][0]
            ratios[size] = figures["get"][0] / floor
            shown = "  ".join(
                f"{name} {seconds * 1e3:.3f} ms ({seconds / floor:.2f}x)"
                for name, (seconds, _) in figures.items()
                if name != "config"
            )
            print(f"emulator {size:>6,} sandboxes  config {floor * 1e3:.3f} ms  {shown}")
            if figures["get"][1] is not None:
                cpu = "  ".join(
                    f"{name} {spent * 1e3:.3f} ms"
                    for name, (_, spent) in figures.items()
                    if spent is not None
                )
                print(f"emulator {size:>6,} sandboxes  emulator CPU a request: {cpu}")
            print(f"emulator {size:>6,} sandboxes  filled in {took:.1f} s", flush=True)
        for size in reset_sizes:
            took = fill(wire, ids, size)
            elapsed, longest, ended = timed_reset(port, api_key, wire, ids, args.sessions)
            resets[size] = elapsed
            print(
                f"emulator reset {size:>6,} sandboxes ({args.sessions} with a live SSH session, "
                f"{ended} ended): {elapsed:.3f} s  longest wait of a concurrent request "
                f"{longest:.3f} s  (filled in {took:.1f} s)",
                flush=True,
            )
        wire.close()
    low, high = BUDGET_SIZES
    if high not in ratios or low not in ratios:  # --quick, or other sizes: the ends measured
        low, high = sizes[0], sizes[-1]
    growth = ratios[high] / ratios[low]
    print(
        f"emulator GET /v1/sandbox/{{id}} at {high:,} over at {low:,} sandboxes: "
        f"{ratios[high]:.2f}x / {ratios[low]:.2f}x = {growth:.2f}  "
        f"budget <= {GET_BUDGET:.2f}  {verdict(growth <= GET_BUDGET)}"
    )
    size = RESET_BUDGET_SIZE if RESET_BUDGET_SIZE in resets else min(resets, default=None)
    if size is not None:
        print(
            f"emulator reset of {size:,} sandboxes: {resets[size]:.3f} s  "
            f"budget < {RESET_BUDGET:.2f} s  {verdict(resets[size] < RESET_BUDGET)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
