"""benchmarks/bench_emulator.py still runs: ``--quick`` (tiny sizes), checked for its lines.

No timing is asserted here; the budgets are in the script (and its figures in benchmarks/).
"""

from __future__ import annotations

import re

from tests.test_benchmarks import needs_emulator, run


@needs_emulator
def test_bench_emulator_quick() -> None:
    out = run("bench_emulator.py", "--quick", timeout=240)
    for size in ("10", "200"):
        assert re.search(
            rf"^emulator +{size} sandboxes +config [\d.]+ ms +get [\d.]+ ms \([\d.]+x\) +"
            r"validate [\d.]+ ms \([\d.]+x\) +list [\d.]+ ms \([\d.]+x\) +"
            r"list-mid [\d.]+ ms \([\d.]+x\)$",
            out,
            re.M,
        ), out
        assert re.search(rf"^emulator +{size} sandboxes +filled in [\d.]+ s$", out, re.M), out
    # Every session held at the reset was ended by it.
    assert re.search(
        r"^emulator reset +200 sandboxes \(2 with a live SSH session, 2 ended\): [\d.]+ s +"
        r"longest wait of a concurrent request [\d.]+ s",
        out,
        re.M,
    ), out
    assert re.search(
        r"^emulator GET /v1/sandbox/\{id\} at 200 over at 10 sandboxes: [\d.]+x / [\d.]+x = "
        r"[\d.]+ +budget <= 1\.50 +(PASS|FAIL)$",
        out,
        re.M,
    ), out
    assert re.search(
        r"^emulator reset of 200 sandboxes: [\d.]+ s +budget < 2\.00 s +(PASS|FAIL)$", out, re.M
    ), out
