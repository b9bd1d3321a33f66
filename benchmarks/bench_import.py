"""Import time: what ``import leap0`` adds over its own dependencies.

Each run is a fresh interpreter that first imports ``httpx, attrs, cattrs``
(the floor every user of the SDK pays, untimed), then times ``import leap0``
with both clients reached (``leap0.Leap0Client`` and ``leap0.AsyncLeap0Client``)
with ``time.perf_counter``. Interpreter start-up is left out. ``--runs`` timed
runs follow ``--warmup`` untimed ones (which also write the bytecode caches);
the figure is the median, against a budget of 5 ms. The run also checks that
nothing of the emulator's extra (starlette, uvicorn, asyncssh) nor
``leap0.emulator`` was imported.

The anchor is the official Leap0 SDK (also imported as ``leap0``), timed the
same way after ``import httpx``, when a virtual environment holding it exists
(``--official-venv``, default ``/tmp/offvenv``, as for ``bench_client.py``);
otherwise the anchor is skipped with a note.

    python benchmarks/bench_import.py [--runs 25] [--official-venv /path/to/venv]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from _common import header, median, verdict

BUDGET_MS = 5.0
SKIPPED_ENV = ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME", "PYTHONSTARTUP")
FORBIDDEN = ("starlette", "uvicorn", "asyncssh", "leap0.emulator")

_TIMER = """\
import sys, time
{floor}
t0 = time.perf_counter()
{stmt}
t1 = time.perf_counter()
import json
forbidden = {forbidden!r}
loaded = sorted(m for m in sys.modules
                if m in forbidden or any(m.startswith(f + ".") for f in forbidden))
print(json.dumps({{"seconds": t1 - t0, "forbidden": loaded}}))
"""

FLOOR = "import httpx, attrs, cattrs"
LEAP0 = "import leap0\nleap0.Leap0Client, leap0.AsyncLeap0Client"
OFFICIAL_FLOOR = "import httpx"
OFFICIAL = "import leap0\nleap0.Leap0Client"


def one_run(
    stmt: str, cwd: str, floor: str = FLOOR, python: str = sys.executable
) -> dict[str, object]:
    code = _TIMER.format(floor=floor, stmt=stmt, forbidden=FORBIDDEN)
    # Bytecode caches are written (in the warm-up runs), as an installed package has them.
    env = {k: v for k, v in os.environ.items() if k not in SKIPPED_ENV}
    out = subprocess.run(
        [python, "-c", code],
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
    parser.add_argument("--runs", type=int, default=25, help="timed runs")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first")
    parser.add_argument(
        "--official-venv",
        default="/tmp/offvenv",
        help="virtual environment with the official SDK ('' to skip it)",
    )
    args = parser.parse_args(argv)

    header(f"import time: fresh interpreters after {FLOOR!r}, {args.runs} runs, medians")
    times: list[float] = []
    forbidden: set[str] = set()
    # An empty working directory, so the import finds the installed package only.
    with tempfile.TemporaryDirectory() as cwd:
        for i in range(args.warmup + args.runs):
            result = one_run(LEAP0, cwd)
            forbidden.update(result["forbidden"])  # type: ignore[arg-type]
            if i >= args.warmup:
                times.append(float(result["seconds"]))  # type: ignore[arg-type]
        official_ms = None
        official_python = os.path.join(args.official_venv, "bin", "python")
        if args.official_venv and os.path.exists(official_python):
            official: list[float] = []
            for i in range(args.warmup + args.runs):
                result = one_run(OFFICIAL, cwd, OFFICIAL_FLOOR, official_python)
                if i >= args.warmup:
                    official.append(float(result["seconds"]))  # type: ignore[arg-type]
            official_ms = median(official) * 1e3

    leap0_ms = median(times) * 1e3
    line = f"import leap0 over {FLOOR} {leap0_ms:+.1f} ms"
    if official_ms is not None:
        line += f"  official SDK over import httpx {official_ms:+.1f} ms"
        line += f"  leap0/official {leap0_ms / official_ms:.3f}"
    else:
        line += f"  (official SDK anchor skipped: no venv at {args.official_venv!r})"
    print(f"{line}  budget <= +{BUDGET_MS:.0f} ms  {verdict(leap0_ms <= BUDGET_MS)}")
    print(
        f"import leap0 emulator-extra modules loaded: {', '.join(sorted(forbidden)) or 'none'}  "
        f"{verdict(not forbidden)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
