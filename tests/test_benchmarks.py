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
