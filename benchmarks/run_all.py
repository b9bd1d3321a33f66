"""Run every benchmark and print its figures, ratios and verdicts, then a summary.

Each benchmark runs in its own interpreter (``sys.executable``), one after the
other, so none disturbs another's figures:

* ``bench_calls.py``: per-call overhead, SDK/raw httpx, sync and async;
* ``bench_client.py``: building and closing a client, against ``httpx.Client()``
  and the official SDK;
* ``bench_import.py``: ``import leap0`` against ``import httpx, attrs, cattrs``;
* ``bench_fanout.py``: throughput against the emulator in another process;
* ``bench_admission.py``: 1,000 concurrent async creates, 10,000 concurrent
  async validates and 8/32/128 threads on one blocking client, against the
  emulator, SDK vs raw httpx;
* ``bench_queue_timeout.py``: 600 concurrent creates with ``timeout=2`` behind
  a slow service: a call never sent must not fail as "may have acted";
* ``bench_memory.py``: traced memory growth over 20,000 calls;
* ``bench_plugin.py``: ``pytest --co -q`` of an empty project, with and
  without the pytest plugin;
* ``bench_cli.py``: ``leap0 --help`` against ``python -c "import argparse"``;
* ``bench_emulator.py``: the emulator's cost per request at 10 to 50,000
  sandboxes against its own O(1) route, and its reset time.

    python benchmarks/run_all.py [--quick] [--only calls,client,import,fanout,admission,queue,...]

``--quick`` uses tiny counts (to check that everything runs; its figures mean
little). The exit status is 1 when a budget is missed (not with ``--quick``),
2 when a benchmark fails to run.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

from _common import machine

HERE = Path(__file__).resolve().parent

BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    # name: (script, default arguments, --quick arguments)
    "calls": ("bench_calls.py", [], ["--calls", "5", "--repeats", "2", "--warmup", "1"]),
    "client": (
        "bench_client.py",
        [],
        ["--clients", "5", "--raw-clients", "1", "--repeats", "2", "--first-runs", "1"],
    ),
    "import": ("bench_import.py", [], ["--runs", "2", "--warmup", "1"]),
    "fanout": (
        "bench_fanout.py",
        [],
        ["--fanout", "20", "--sync-calls", "20", "--rounds", "1", "--sync-rounds", "2"],
    ),
    "emulator": ("bench_emulator.py", [], ["--quick"]),
    "admission": (
        "bench_admission.py",
        [],
        [
            "--creates",
            "20",
            "--rounds",
            "1",
            "--validates",
            "60",
            "--validate-sandboxes",
            "3",
            "--threads",
            "2,4",
            "--thread-calls",
            "16",
            "--thread-rounds",
            "1",
            "--thread-sandboxes",
            "2",
        ],
    ),
    "queue": (
        "bench_queue_timeout.py",
        [],
        ["--calls", "30", "--max-concurrency", "5", "--timeout", "0.5", "--delay", "0.3"],
    ),
    "memory": ("bench_memory.py", [], ["--calls", "300", "--warmup", "30"]),
    "plugin": ("bench_plugin.py", [], ["--runs", "2", "--warmup", "0"]),
    "cli": ("bench_cli.py", [], ["--runs", "2", "--warmup", "0"]),
}

#: Those run against the emulator in another process (the ``emulator`` extra).
NEEDS_EMULATOR = frozenset({"fanout", "admission", "queue", "emulator"})


def emulator_available() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("uvicorn", "starlette"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts: check, don't measure")
    parser.add_argument(
        "--only",
        default=",".join(BENCHMARKS),
        help=f"comma-separated subset of {', '.join(BENCHMARKS)}",
    )
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")

    print(machine())
    print(flush=True)
    verdicts: list[str] = []
    broken: list[str] = []
    for name in chosen:
        script, normal, quick = BENCHMARKS[name]
        if name in NEEDS_EMULATOR and not emulator_available():
            line = (
                f"{name} SKIPPED: the emulator extra is not installed "
                '(python -m pip install ".[emulator]")'
            )
            print(line)
            verdicts.append(line)
            continue
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(HERE / script), *(quick if args.quick else normal)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=HERE.parent,
        )
        print(proc.stdout, end="")
        print(f"({script}: {time.perf_counter() - started:.1f} s)\n", flush=True)
        if proc.returncode != 0:
            broken.append(f"{script} exited with status {proc.returncode}")
        verdicts += [line for line in proc.stdout.splitlines() if line.endswith(("PASS", "FAIL"))]

    print("== summary" + (" (--quick: tiny counts, figures not meaningful)" if args.quick else ""))
    print(machine())
    for line in verdicts:
        print(line)
    failed = [line for line in verdicts if line.endswith("FAIL")]
    for problem in broken:
        print(f"ERROR {problem}")
    print(
        f"budgets: {len(verdicts) - len(failed)} of {len(verdicts)} lines PASS"
        + (f", {len(failed)} FAIL" if failed else "")
    )
    if broken:
        return 2
    if failed and not args.quick:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
