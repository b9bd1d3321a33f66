"""The ``leap0`` command's start-up: ``leap0 --help`` against ``python -c "import argparse"``.

Each run is a whole process, timed from outside with ``time.perf_counter``
(interpreter start-up included, the same on both sides): the installed
``leap0`` console script (found next to ``sys.executable``; else ``python -m
leap0._cli``) with ``--help`` and with ``completion bash``, and the baseline
``python -c "import argparse"``, the least any argparse command line costs.
The three alternate (their order rotates), ``--runs`` times each after
``--warmup`` untimed runs of each (which also write the bytecode caches);
figures are medians, and each difference is the median over rounds of the two
sides' times in the same round (the spread is their interquartile range).
A further run checks that neither command imported httpx, attrs or cattrs.

    python benchmarks/bench_cli.py [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from _common import header, median, verdict

BUDGET_MS = 15.0
HEAVY = ("httpx", "httpcore", "attrs", "cattrs")
SKIPPED_ENV = ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME", "PYTHONSTARTUP")

_IMPORTS = """\
import contextlib, io, json, sys
from leap0._cli import main
with contextlib.redirect_stdout(io.StringIO()):
    status = main(sys.argv[1:])
heavy = {heavy!r}
print(json.dumps({{"status": status,
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] in heavy)}}))
"""


def leap0_command() -> list[str]:
    """The console script as installed beside this interpreter, else ``python -m leap0._cli``."""
    script = shutil.which("leap0", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "leap0._cli"]


def variants() -> dict[str, list[str]]:
    leap0 = leap0_command()
    return {
        "baseline": [sys.executable, "-c", "import argparse"],
        "help": [*leap0, "--help"],
        "completion": [*leap0, "completion", "bash"],
    }


def one_run(argv: list[str], cwd: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, cwd=cwd, env=env)
    return time.perf_counter() - start


def _spread(values: list[float]) -> float:
    q1, _q2, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (0.0, 0.0, 0.0)
    return q3 - q1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each command")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs of each first")
    args = parser.parse_args(argv)

    commands = variants()
    header(
        f"leap0 command line: whole processes, {args.runs} interleaved runs each, medians; "
        f"leap0 = {' '.join(commands['help'][:-1])}"
    )
    # Bytecode caches are written (in the warm-up runs), as an installed package has them;
    # no LEAP0_ variable: the runs must not depend on a service.
    env = {
        k: v for k, v in os.environ.items() if k not in SKIPPED_ENV and not k.startswith("LEAP0_")
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    names = list(commands)
    with tempfile.TemporaryDirectory() as cwd:
        for i in range(args.warmup + args.runs):
            shift = i % len(names)
            for name in names[shift:] + names[:shift]:
                seconds = one_run(commands[name], cwd, env)
                if i >= args.warmup:
                    times[name].append(seconds)
        loaded: set[str] = set()
        for words in (["--help"], ["completion", "bash"]):
            code = _IMPORTS.format(heavy=HEAVY)
            out = subprocess.run(
                [sys.executable, "-c", code, *words],
                capture_output=True, text=True, check=True, cwd=cwd, env=env,
            ).stdout  # fmt: skip
            loaded.update(json.loads(out.strip().splitlines()[-1])["loaded"])

    base_ms = median(times["baseline"]) * 1e3
    print(f'cli baseline (python -c "import argparse")  {base_ms:6.1f} ms')
    for name, label in (("help", "leap0 --help"), ("completion", "leap0 completion bash")):
        print(f"cli {label:41}{median(times[name]) * 1e3:6.1f} ms")
    for name, label in (("help", "leap0 --help"), ("completion", "leap0 completion bash")):
        pairs = list(zip(times[name], times["baseline"], strict=True))
        diffs = [(t - b) * 1e3 for t, b in pairs]
        diff_ms = median(diffs)
        ratio = median([t / b for t, b in pairs])
        print(
            f"cli {label} - baseline {diff_ms:+.1f} ms (spread {_spread(diffs):.1f} ms)  "
            f"{label.split()[1]}/baseline {ratio:.3f}  budget <= +{BUDGET_MS:.0f} ms  "
            f"{verdict(diff_ms <= BUDGET_MS)}"
        )
    print(
        f"cli --help, completion bash: httpx/attrs/cattrs modules loaded: "
        f"{', '.join(sorted(loaded)) or 'none'}  {verdict(not loaded)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
