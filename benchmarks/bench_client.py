"""Building a client: construction plus close, after the first in a process.

Sides, each timed in batches that build and close one client after another:

* leap0: ``Leap0Client(api_key=..., base_url=...)`` then ``close()``, and
  ``AsyncLeap0Client`` then ``await aclose()``, for an ``https://`` and a
  loopback ``http://`` base URL; budget <= 1 ms per client for each;
* raw httpx, the anchor: ``httpx.Client()`` / ``httpx.AsyncClient()`` then
  close (each builds a TLS context of its own);
* the official Leap0 SDK (``leap0`` 0.8.0 on PyPI), another anchor, when a
  virtual environment with it exists (``--official-venv``, default
  ``/tmp/offvenv``): ``Leap0Client(api_key="k")`` then ``close()``, timed the
  same way by that environment's Python in isolated mode (``-I``) from
  ``/tmp``, so that its own ``leap0`` is imported; skipped with a note
  otherwise. It runs on that environment's Python version.

Batches alternate between the sides (the order rotates) for ``--repeats``
rounds, after ``--warmup`` untimed ones; each figure is the median time per
client over the rounds. With no budget, the first client of a fresh
interpreter is also timed (after ``import leap0`` with ``leap0.Leap0Client``
reached, or ``import httpx``), median of ``--first-runs`` interpreters after an
untimed one (bytecode caches written): httpx imports httpcore for its first
client, and so for leap0's first (leap0 also imports ``leap0._http`` then, and
makes the one ``ssl.SSLContext`` its clients of that kind share, without
certificates).

    python benchmarks/bench_client.py [--clients 200] [--raw-clients 10] [--repeats 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from _common import API_KEY, BASE_URL, header, median, verdict

import leap0

BUDGET_MS = 1.0
HTTP_URL = "http://127.0.0.1:9"

_OFFICIAL = """\
import json, sys, time
import importlib.metadata
import leap0
from leap0 import Leap0Client

clients, repeats, warmup = {clients}, {repeats}, {warmup}
per_client = []
for rnd in range(warmup + repeats):
    start = time.perf_counter()
    for _ in range(clients):
        Leap0Client(api_key="k").close()
    if rnd >= warmup:
        per_client.append((time.perf_counter() - start) / clients)
print(json.dumps({{
    "per_client": per_client,
    "python": sys.version.split()[0],
    "version": importlib.metadata.version("leap0"),
    "file": leap0.__file__,
}}))
"""

_FIRST = """\
import json, time
{setup}
start = time.perf_counter()
{stmt}
print(json.dumps(time.perf_counter() - start))
"""

FIRST = {
    "leap0 Leap0Client(https://)": (
        "import leap0\nleap0.Leap0Client",
        f"leap0.Leap0Client(api_key={API_KEY!r}, base_url={BASE_URL!r}).close()",
    ),
    "httpx.Client()": ("import httpx\nhttpx.Client", "httpx.Client().close()"),
}


def sync_batch(build: Callable[[], httpx.Client | leap0.Leap0Client], clients: int) -> float:
    """Seconds per client, building and closing ``clients`` of them."""
    clock = time.perf_counter
    start = clock()
    for _ in range(clients):
        build().close()
    return (clock() - start) / clients


async def async_batch(base_url: str | None, clients: int) -> float:
    clock = time.perf_counter
    start = clock()
    if base_url is None:
        for _ in range(clients):
            await httpx.AsyncClient().aclose()
    else:
        for _ in range(clients):
            await leap0.AsyncLeap0Client(api_key=API_KEY, base_url=base_url).aclose()
    return (clock() - start) / clients


def official(venv: Path, clients: int, repeats: int, warmup: int) -> dict[str, object] | str:
    """The official SDK's figures, or why there are none."""
    python = venv / "bin" / "python"
    if not python.exists():
        return f"no virtual environment with the official SDK at {venv}"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    proc = subprocess.run(
        [
            str(python),
            "-I",
            "-c",
            _OFFICIAL.format(clients=clients, repeats=repeats, warmup=warmup),
        ],
        capture_output=True,
        text=True,
        cwd="/tmp",
        env=env,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return f"the official SDK could not be timed ({last})"
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    if not str(result["file"]).startswith(str(venv)):
        return f"{python} imported leap0 from {result['file']}, not from {venv}"
    return result


def first_client(setup: str, stmt: str, runs: int) -> float:
    """Median seconds of the first client in a fresh interpreter, imports done.

    One untimed run first; bytecode caches are written, as an installed
    package has them (a module compiled from source would be timed otherwise).
    """
    times = []
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as cwd:  # the installed leap0, not a checkout's
        for run in range(runs + 1):
            out = subprocess.run(
                [sys.executable, "-c", _FIRST.format(setup=setup, stmt=stmt)],
                capture_output=True,
                text=True,
                check=True,
                cwd=cwd,
                env=env,
            ).stdout
            if run:
                times.append(float(json.loads(out.strip().splitlines()[-1])))
    return median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="leap0 clients per batch")
    parser.add_argument("--raw-clients", type=int, default=10, help="raw/official per batch")
    parser.add_argument("--repeats", type=int, default=15, help="timed rounds")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    parser.add_argument("--first-runs", type=int, default=5, help="fresh interpreters each")
    parser.add_argument(
        "--official-venv",
        default="/tmp/offvenv",
        help="virtual environment with the official SDK ('' to skip it)",
    )
    args = parser.parse_args(argv)

    header(
        f"client construction + close: {args.repeats} rounds x {args.clients} leap0 / "
        f"{args.raw_clients} raw clients, after the first, medians"
    )
    loop = asyncio.new_event_loop()

    def leap0_sync(base_url: str) -> Callable[[], leap0.Leap0Client]:
        return lambda: leap0.Leap0Client(api_key=API_KEY, base_url=base_url)

    sides: dict[tuple[str, str], Callable[[], float]] = {
        ("sync", "leap0 https://"): lambda: sync_batch(leap0_sync(BASE_URL), args.clients),
        ("sync", "leap0 http://"): lambda: sync_batch(leap0_sync(HTTP_URL), args.clients),
        ("async", "leap0 https://"): lambda: loop.run_until_complete(
            async_batch(BASE_URL, args.clients)
        ),
        ("async", "leap0 http://"): lambda: loop.run_until_complete(
            async_batch(HTTP_URL, args.clients)
        ),
        ("sync", "raw httpx.Client()"): lambda: sync_batch(httpx.Client, args.raw_clients),
        ("async", "raw httpx.AsyncClient()"): lambda: loop.run_until_complete(
            async_batch(None, args.raw_clients)
        ),
    }
    times: dict[tuple[str, str], list[float]] = {side: [] for side in sides}
    order = list(sides)
    try:
        for rnd in range(args.warmup + args.repeats):
            shift = rnd % len(order)
            for side in order[shift:] + order[:shift]:
                seconds = sides[side]()
                if rnd >= args.warmup:
                    times[side].append(seconds)
    finally:
        loop.close()

    ms = {side: median(values) * 1e3 for side, values in times.items()}
    worst = 0.0
    for (mode, name), value in ms.items():
        if name.startswith("leap0"):
            worst = max(worst, value)
            raw = ms[(mode, "raw httpx.Client()" if mode == "sync" else "raw httpx.AsyncClient()")]
            print(
                f"client-build {mode:<5} {name:<24} {value:7.3f} ms  leap0/raw {value / raw:.4f}  "
                f"budget <= {BUDGET_MS:.0f} ms  {verdict(value <= BUDGET_MS)}"
            )
    for (mode, name), value in ms.items():
        if name.startswith("raw"):
            print(f"client-build {mode:<5} {name:<24} {value:7.3f} ms  (anchor, no budget)")

    if args.official_venv:
        found = official(Path(args.official_venv), args.raw_clients, args.repeats, args.warmup)
    else:
        found = "not asked for (--official-venv '')"
    if isinstance(found, str):
        print(f"client-build official SDK SKIPPED: {found}")
    else:
        value = median(found["per_client"]) * 1e3  # type: ignore[arg-type]
        print(
            f"client-build sync  official SDK {found['version']} (CPython {found['python']}) "
            f"{value:7.3f} ms  (anchor, no budget)"
        )
    print(
        f"client-build worst leap0 {worst:.3f} ms  budget <= {BUDGET_MS:.0f} ms  "
        f"{verdict(worst <= BUDGET_MS)}"
    )
    print(f"client-build first of a fresh interpreter, imports done ({args.first_runs} runs):")
    for name, (setup, stmt) in FIRST.items():
        value = first_client(setup, stmt, args.first_runs) * 1e3
        print(f"client-build first {name:<28} {value:7.2f} ms  (no budget)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
