"""Import time: ``import leap0`` against ``import httpx, attrs, cattrs``.

Each run is a fresh interpreter that times its own import with
``time.perf_counter`` (interpreter start-up is left out: it is the same for
both). The two imports alternate, ``--runs`` times each after ``--warmup``
untimed runs of each (which also write the bytecode caches); the figures are
medians. ``import leap0`` is taken with both clients reached
(``leap0.Leap0Client`` and ``leap0.AsyncLeap0Client``), and the run also checks
that nothing of the emulator's extra (starlette, uvicorn, asyncssh) nor
``leap0.emulator`` was imported.

    python benchmarks/bench_import.py [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from _common import header, median, verdict

BUDGET_MS = 15.0
SKIPPED_ENV = ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME", "PYTHONSTARTUP")
FORBIDDEN = ("starlette", "uvicorn", "asyncssh", "leap0.emulator")

_TIMER = """\
import sys, time
t0 = time.perf_counter()
{stmt}
t1 = time.perf_counter()
import json
forbidden = {forbidden!r}
loaded = sorted(m for m in sys.modules
                if m in forbidden or any(m.startswith(f + ".") for f in forbidden))
print(json.dumps({{"seconds": t1 - t0, "forbidden": loaded}}))
"""

STATEMENTS = {
    "leap0": "import leap0\nleap0.Leap0Client, leap0.AsyncLeap0Client",
    "baseline": "import httpx, attrs, cattrs",
}


def one_run(stmt: str, cwd: str) -> dict[str, object]:
    code = _TIMER.format(stmt=stmt, forbidden=FORBIDDEN)
    # Bytecode caches are written (in the warm-up runs), as an installed package has them.
    env = {k: v for k, v in os.environ.items() if k not in SKIPPED_ENV}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
        env=env,
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each import")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs of each first")
    args = parser.parse_args(argv)

    header(f"import time: fresh interpreters, {args.runs} interleaved runs each, medians")
    times: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    forbidden: set[str] = set()
    # An empty working directory, so the import finds the installed package only.
    with tempfile.TemporaryDirectory() as cwd:
        for i in range(args.warmup + args.runs):
            names = list(STATEMENTS) if i % 2 == 0 else list(reversed(STATEMENTS))
            for name in names:
                result = one_run(STATEMENTS[name], cwd)
                forbidden.update(result["forbidden"])  # type: ignore[arg-type]
                if i >= args.warmup:
                    times[name].append(float(result["seconds"]))  # type: ignore[arg-type]

    leap0_ms = median(times["leap0"]) * 1e3
    base_ms = median(times["baseline"]) * 1e3
    diff = leap0_ms - base_ms
    print(f"import baseline (import httpx, attrs, cattrs) {base_ms:6.1f} ms")
    print(f"import leap0 (both clients)                   {leap0_ms:6.1f} ms")
    print(
        f"import leap0 - baseline {diff:+.1f} ms  leap0/baseline {leap0_ms / base_ms:.3f}  "
        f"budget <= +{BUDGET_MS:.0f} ms  {verdict(diff <= BUDGET_MS)}"
    )
    print(
        f"import leap0 emulator-extra modules loaded: {', '.join(sorted(forbidden)) or 'none'}  "
        f"{verdict(not forbidden)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
