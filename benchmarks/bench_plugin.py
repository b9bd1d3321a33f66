"""The pytest plugin's cost: ``pytest --co -q`` of an empty project, with and without it.

pytest loads the ``leap0`` plugin (``pytest11`` entry point) in every project
where leap0 is installed, whether or not a test uses its fixtures. Each run is
a fresh interpreter that times ``import pytest`` and ``pytest.main(["--co",
"-q", ...])`` with ``time.perf_counter`` (interpreter start-up is left out: it
is the same for both), in an empty temporary project. Two comparisons:

* ``installed``: every installed plugin autoloads, as in any project; the
  plugin on, against ``-p no:leap0``. Shown without a verdict: the other
  plugins' start-up spreads these runs by tens of ms, far more than the budget;
* ``alone``: ``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``; the plugin module named in
  ``PYTEST_PLUGINS``, against no plugin at all. Other plugins are left out, so
  one that imports the same modules (pytest-httpx imports httpx) cannot hide
  what this one costs, and their start-up time does not drown the figure.
  (``PYTEST_PLUGINS``, not ``-p leap0``: with autoload off, ``-p NAME`` makes
  pytest read every installed distribution's entry points, a few ms that
  autoloading spends anyway.) ``--module leap0.emulator.pytest_plugin`` times
  the plugin's former module path, which imports the ``leap0`` package. The
  budget (5 ms over no plugin) is judged on this comparison.

The four variants alternate (their order rotates), ``--runs`` times each after
``--warmup`` untimed runs of each (which also write the bytecode caches).
Figures are medians; the ratio and the difference are medians over rounds of
the two sides' times in the same round, and the spread is the interquartile
range of those differences. The runs also check that the plugin was loaded,
and report which modules of leap0, httpx, attrs, cattrs and the emulator's
extra a run with only this plugin loaded imported.

    python benchmarks/bench_plugin.py [--runs 30] [--module leap0_pytest_plugin]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import header, median, verdict

BUDGET_MS = 5.0
HEAVY = ("leap0", "httpx", "httpcore", "attrs", "cattrs", "starlette", "uvicorn", "asyncssh")
SKIPPED_ENV = ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME", "PYTHONSTARTUP")

MODULE = "leap0_pytest_plugin"

_TIMER = """\
import sys, time
t0 = time.perf_counter()
import pytest

class Recorder:
    plugins = []
    def pytest_collection_finish(self, session):
        Recorder.plugins = sorted(
            name for plugin in session.config.pluginmanager.get_plugins()
            if (name := getattr(plugin, "__name__", "")).startswith("leap0")
        )

status = pytest.main({args!r}, plugins=[Recorder()])
t1 = time.perf_counter()
import json
heavy = {heavy!r}
loaded = sorted(m for m in sys.modules if m.split(".")[0] in heavy)
print(json.dumps({{"seconds": t1 - t0, "status": int(status), "plugins": Recorder.plugins,
                  "loaded": loaded}}))
"""

COMMON = ["--co", "-q", "-p", "no:cacheprovider"]
# name: (pytest arguments, autoload off, the plugin module in PYTEST_PLUGINS)
VARIANTS: dict[str, tuple[list[str], bool, bool]] = {
    "installed-with": (COMMON, False, False),
    "installed-without": ([*COMMON, "-p", "no:leap0"], False, False),
    "alone-with": (COMMON, True, True),
    "alone-without": (COMMON, True, False),
}
COMPARISONS = {
    "installed": ("installed-with", "installed-without", "all installed plugins vs -p no:leap0"),
    "alone": ("alone-with", "alone-without", "autoload off, PYTEST_PLUGINS={module} vs none"),
}


def one_run(name: str, cwd: str, module: str) -> dict[str, object]:
    args, alone, plugin = VARIANTS[name]
    code = _TIMER.format(args=args, heavy=HEAVY)
    env = {
        k: v for k, v in os.environ.items() if k not in SKIPPED_ENV and not k.startswith("PYTEST_")
    }
    if alone:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    if plugin:
        env["PYTEST_PLUGINS"] = module
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
        env=env,
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    # 5: no tests collected, as in an empty project.
    if result["status"] not in (0, 5):
        raise SystemExit(f"{name}: pytest exited with status {result['status']}:\n{out}")
    return result


def _spread(values: list[float]) -> float:
    q1, _q2, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (0.0, 0.0, 0.0)
    return q3 - q1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each variant")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs of each first")
    parser.add_argument(
        "--module", default=MODULE, help=f"plugin module for the 'alone' runs (default {MODULE})"
    )
    args = parser.parse_args(argv)

    header(
        f"pytest plugin: `pytest --co -q` of an empty project, fresh interpreters, "
        f"{args.runs} interleaved runs each, medians"
    )
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    plugins: dict[str, set[str]] = {name: set() for name in VARIANTS}
    loaded: dict[str, set[str]] = {name: set() for name in VARIANTS}
    names = list(VARIANTS)
    with tempfile.TemporaryDirectory() as cwd:
        # An empty project: a pytest.ini so that pytest looks no further up.
        (Path(cwd) / "pytest.ini").write_text("[pytest]\n")
        for i in range(args.warmup + args.runs):
            shift = i % len(names)
            for name in names[shift:] + names[:shift]:
                result = one_run(name, cwd, args.module)
                plugins[name].update(result["plugins"])  # type: ignore[arg-type]
                loaded[name].update(result["loaded"])  # type: ignore[arg-type]
                if i >= args.warmup:
                    times[name].append(float(result["seconds"]))  # type: ignore[arg-type]

    expected = {
        "installed-with": {MODULE},
        "installed-without": set(),
        "alone-with": {args.module},
        "alone-without": set(),
    }
    if plugins != expected:
        print(f"ERROR the plugin was not loaded as expected: {plugins}, expected {expected}")
        return 2

    for label, (with_name, without_name, what) in COMPARISONS.items():
        with_ms = median(times[with_name]) * 1e3
        without_ms = median(times[without_name]) * 1e3
        pairs = list(zip(times[with_name], times[without_name], strict=True))
        ratio = median([w / wo for w, wo in pairs])
        diffs = [(w - wo) * 1e3 for w, wo in pairs]
        diff_ms = median(diffs)
        line = (
            f"plugin {label:9} with {with_ms:6.1f} ms  without {without_ms:6.1f} ms  "
            f"with/without {ratio:.3f}  {diff_ms:+5.1f} ms (spread {_spread(diffs):.1f} ms)"
        )
        if label == "alone":
            line += f"  budget <= +{BUDGET_MS:.0f} ms  {verdict(diff_ms <= BUDGET_MS)}"
        else:
            # Every other installed plugin starts too: its spread is far wider than the
            # budget, so this line informs and the budget is judged on the plugin alone.
            line += "  (no verdict: see 'alone')"
        print(line)
        print(f"plugin {label:9} = {what.format(module=args.module)}")
    # Not a timing: what `pytest --co` imported with only this plugin loaded.
    counts = collections.Counter(m.split(".")[0] for m in loaded["alone-with"])
    listed = ", ".join(f"{top} ({n} modules)" for top, n in sorted(counts.items()))
    print(
        f"plugin alone: leap0/httpx/attrs/cattrs/emulator-extra modules loaded: "
        f"{listed or 'none'}  {verdict(not counts)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
