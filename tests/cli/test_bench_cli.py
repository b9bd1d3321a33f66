"""benchmarks/bench_cli.py still runs (tiny counts), alone and from run_all.py; no timing is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _run(*argv: str) -> str:
    done = subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=BENCHMARKS.parent,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_bench_cli() -> None:
    out = _run(str(BENCHMARKS / "bench_cli.py"), "--runs", "1", "--warmup", "0")
    assert re.search(r"^python: \S+ \d", out, re.M), out
    assert re.search(r'^cli baseline \(python -c "import argparse"\) +[\d.]+ ms$', out, re.M)
    for label in ("leap0 --help", "leap0 completion bash"):
        assert re.search(rf"^cli {label} +[\d.]+ ms$", out, re.M), out
        assert re.search(
            rf"^cli {label} - baseline [+-][\d.]+ ms \(spread [\d.]+ ms\) .* (PASS|FAIL)$",
            out,
            re.M,
        ), out
    # Not a timing: neither command imports the SDK's dependencies.
    assert re.search(r"^cli --help, completion bash: .* loaded: none +PASS$", out, re.M), out


def test_run_all_knows_bench_cli() -> None:
    out = _run(str(BENCHMARKS / "run_all.py"), "--quick", "--only", "cli")
    assert "== summary" in out, out
    assert re.search(r"^cli leap0 --help - baseline .*(PASS|FAIL)$", out, re.M), out
