"""The benchmark scripts still run: each with tiny counts, checked for its figure lines.

No timing is asserted here; the figures and budgets are in benchmarks/README.md.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

needs_emulator = pytest.mark.skipif(
    any(importlib.util.find_spec(name) is None for name in ("starlette", "uvicorn", "asyncssh")),
    reason="the emulator extra is not installed",
)


def run(script: str, *args: str, timeout: float = 60) -> str:
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=BENCHMARKS.parent,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^python: \S+ \d", proc.stdout, re.M), proc.stdout
    return proc.stdout


def test_bench_calls() -> None:
    out = run("bench_calls.py", "--calls", "3", "--repeats", "1", "--warmup", "0")
    for mode in ("sync", "async"):
        for method in ("create_access", "validate_access", "regenerate_access"):
            assert re.search(
                rf"^per-call {mode} +{method} +sdk +[\d.]+ us +raw +[\d.]+ us +sdk/raw [\d.]+ "
                r".*(PASS|FAIL)$",
                out,
                re.M,
            ), out
    assert re.search(r"^per-call worst sdk/raw [\d.]+ .*(PASS|FAIL)$", out, re.M), out


def test_bench_import() -> None:
    out = run("bench_import.py", "--runs", "1", "--warmup", "0")
    assert re.search(
        r"^import leap0 over import httpx, attrs, cattrs [+-][\d.]+ ms .*budget <= \+5 ms +(PASS|FAIL)$",
        out,
        re.M,
    ), out
    # Not a timing: the extra's modules are never imported by `import leap0`.
    assert re.search(r"^import leap0 emulator-extra modules loaded: none +PASS$", out, re.M), out


def test_bench_memory() -> None:
    out = run("bench_memory.py", "--calls", "30", "--warmup", "6")
    for mode in ("sync", "async"):
        assert re.search(
            rf"^memory {mode} +growth over 30 calls +-?[\d.]+ KiB .*(PASS|FAIL)$", out, re.M
        ), out
    assert re.search(r"^memory worst growth -?[\d.]+ KiB .*(PASS|FAIL)$", out, re.M), out


@needs_emulator
def test_bench_fanout() -> None:
    out = run(
        "bench_fanout.py",
        "--fanout", "10", "--sync-calls", "10", "--rounds", "1", "--sync-rounds", "2",
        "--connections", "4",
    )  # fmt: skip
    for mode in ("async", "sync"):
        assert re.search(
            rf"^fan-out {mode} .*: sdk +\d+ req/s +raw +\d+ req/s +sdk/raw [\d.]+ .*(PASS|FAIL)$",
            out,
            re.M,
        ), out


def test_run_all_quick() -> None:
    # The driver itself; the fan-out is left to the test above.
    out = run("run_all.py", "--quick", "--only", "calls,memory", timeout=90)
    assert "== summary" in out, out
    assert re.search(r"^budgets: \d+ of \d+ lines PASS", out, re.M), out


@needs_emulator
def test_bench_admission_and_queue_timeout() -> None:
    # Through the driver, with its --quick counts: the figure lines of both scripts.
    out = run("run_all.py", "--quick", "--only", "admission,queue", timeout=120)
    assert re.search(
        r"^admission async 20 concurrent create_access: sdk +\d+ calls/s \([\d.]+ s\) +"
        r"raw +\d+ calls/s \([\d.]+ s\) +"
        r"sdk/raw [\d.]+ +sdk 0 errors, \d+ retries.*; raw .*budget sdk/raw >= 5, 0 errors +"
        r"(PASS|FAIL)$",
        out,
        re.M,
    ), out
    assert re.search(
        r"^admission async 20 concurrent create_access floor: raw\+sem\(100\) +\d+ calls/s ",
        out,
        re.M,
    ), out
    assert re.search(
        r"^admission async 60 concurrent validate_access \(3 credentials a side\): sdk +\d+ "
        r"calls/s .*sdk 0 errors, \d+ retries.*budget sdk 0 errors, 0 timeouts \(retried "
        r"included\) +(PASS|FAIL)$",
        out,
        re.M,
    ), out
    assert re.search(
        r"^admission sync +2 threads, one client, .*sdk/raw [\d.]+ +sdk 0 errors, .*\(no budget\)$",
        out,
        re.M,
    ), out
    assert re.search(
        r"^admission sync +4 threads, one client, .*budget sdk/raw >= 0.95, 0 errors +(PASS|FAIL)$",
        out,
        re.M,
    ), out
    # Not timings: every call is accounted for, and the emulator's count is read back.
    found = re.search(
        r"^queue-timeout 30 calls in [\d.]+ s: ok (\d+), \"may have acted\" (\d+), "
        r"\"nothing was sent\" (\d+), other (\d+);.* the emulator saw \d+ requests",
        out,
        re.M,
    )
    assert found, out
    assert sum(int(n) for n in found.groups()) == 30, out
    assert re.search(
        r'^queue-timeout "may have acted" but never reached the emulator: \d+ of \d+ +budget 0 '
        r"+(PASS|FAIL)$",
        out,
        re.M,
    ), out
    assert re.search(
        r'^queue-timeout "nothing was sent" but reached the emulator: \d+ of \d+; creates sent '
        r"twice: \d+ +budget 0, 0 +(PASS|FAIL)$",
        out,
        re.M,
    ), out
    assert re.search(r"^budgets: \d+ of \d+ lines PASS", out, re.M), out
