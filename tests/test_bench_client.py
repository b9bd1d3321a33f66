"""benchmarks/bench_client.py still runs: tiny counts, checked for its figure lines.

No timing is asserted here; the figures and budget are in benchmarks/README.md.
"""

from __future__ import annotations

import re

from tests.test_benchmarks import run


def test_bench_client() -> None:
    out = run(
        "bench_client.py",
        "--clients", "3", "--raw-clients", "1", "--repeats", "1", "--warmup", "0",
        "--first-runs", "1",
    )  # fmt: skip
    for mode in ("sync", "async"):
        for scheme in ("https", "http"):
            assert re.search(
                rf"^client-build {mode} +leap0 {scheme}:// +[\d.]+ ms +leap0/raw [\d.]+ "
                r".*(PASS|FAIL)$",
                out,
                re.M,
            ), out
    assert re.search(r"^client-build sync +raw httpx\.Client\(\) +[\d.]+ ms", out, re.M), out
    assert re.search(r"^client-build async +raw httpx\.AsyncClient\(\) +[\d.]+ ms", out, re.M), out
    assert re.search(
        r"^client-build (sync  official SDK \S+ \(CPython \S+\) +[\d.]+ ms|official SDK SKIPPED)",
        out,
        re.M,
    ), out
    assert re.search(r"^client-build worst leap0 [\d.]+ ms .*(PASS|FAIL)$", out, re.M), out
    assert re.search(r"^client-build first leap0 .* [\d.]+ ms", out, re.M), out


def test_bench_client_skips_the_official_sdk_when_told() -> None:
    out = run(
        "bench_client.py",
        "--clients", "1", "--raw-clients", "1", "--repeats", "1", "--warmup", "0",
        "--first-runs", "1", "--official-venv", "",
    )  # fmt: skip
    assert re.search(r"^client-build official SDK SKIPPED: not asked for", out, re.M), out
