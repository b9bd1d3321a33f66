"""The pytest plugin costs an unrelated project nothing: it imports only pytest until used.

pytest loads the ``leap0`` plugin (``pytest11`` entry point) in every project
where leap0 is installed. These checks run fresh interpreters, so what this
test session has already imported does not count.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Modules the plugin must not import before one of its fixtures is used.
HEAVY = ("httpx", "httpcore", "leap0", "attrs", "cattrs", "starlette", "uvicorn", "asyncssh")


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    environ.update(env)
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=environ
    )


def test_importing_the_plugin_imports_nothing_beyond_pytest(tmp_path: Path) -> None:
    code = textwrap.dedent(
        f"""
        import json, sys
        import pytest
        before = set(sys.modules)
        import leap0_pytest_plugin
        print(json.dumps({{
            "new": sorted(set(sys.modules) - before),
            "heavy": sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r}),
            "file": leap0_pytest_plugin.__file__,
        }}))
        """
    )
    result = _run(["-W", "error", "-c", code], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["heavy"] == [], seen
    assert seen["new"] == ["leap0_pytest_plugin"], seen
    assert Path(seen["file"]) == ROOT / "leap0_pytest_plugin.py"


def test_collecting_an_unrelated_project_imports_no_leap0_or_httpx(tmp_path: Path) -> None:
    # Only this plugin is loaded (by its entry point name), so that another installed
    # plugin that imports httpx (pytest-httpx does) does not hide what this one imports.
    (tmp_path / "test_unrelated.py").write_text("def test_nothing():\n    pass\n")
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            """
            import json, sys

            def pytest_collection_finish(session):
                plugin = session.config.pluginmanager.get_plugin("leap0")
                with open("seen.json", "w") as f:
                    json.dump({
                        "plugin": getattr(plugin, "__name__", None),
                        "modules": sorted(sys.modules),
                    }, f)
            """
        )
    )
    result = _run(
        ["-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", "-p", "leap0"],
        cwd=tmp_path,
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test_unrelated.py::test_nothing" in result.stdout
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen["plugin"] == "leap0_pytest_plugin"
    heavy = [m for m in seen["modules"] if m.split(".")[0] in HEAVY]
    assert heavy == []


def test_the_entry_point_names_the_top_level_module() -> None:
    # (The built wheel's entry point is checked in test_generation.py.)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '\nleap0 = "leap0_pytest_plugin"\n' in pyproject
    assert '\npy-modules = ["leap0_pytest_plugin"]\n' in pyproject


def test_bench_plugin_runs() -> None:
    """The benchmark script still runs (tiny counts); no timing is asserted."""
    result = _run(
        [str(ROOT / "benchmarks" / "bench_plugin.py"), "--runs", "1", "--warmup", "0"], cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"^python: \S+ \d", out, re.M), out
    figures = r"with +[\d.]+ ms +without +[\d.]+ ms +with/without [\d.]+ +[+-] *[\d.]+ ms"
    assert re.search(
        rf"^plugin installed +{figures} \(spread [\d.]+ ms\) +\(no verdict: see 'alone'\)$",
        out,
        re.M,
    ), out
    assert re.search(
        rf"^plugin alone +{figures} \(spread [\d.]+ ms\) +budget <= \+5 ms +(PASS|FAIL)$",
        out,
        re.M,
    ), out
    # Not a timing: with only this plugin loaded, none of these modules is imported.
    assert re.search(r"^plugin alone: .* modules loaded: none +PASS$", out, re.M), out
