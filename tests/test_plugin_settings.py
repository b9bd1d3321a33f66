"""The fixtures' settings: a marker per test, ini options per session, and a switch that
fails instead of skipping when the emulator extra is missing (each in a pytest of its own)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip(
    "uvicorn", reason='needs the emulator extra: python -m pip install ".[emulator]"'
)


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "LEAP0_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=project,
        env=environ,
    )


def test_a_marker_configures_one_test_and_the_next_sees_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "test_marked.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.leap0_emulator(ssh_api="single", max_sandboxes=7)
            def test_1_marked(leap0_emulator):
                assert leap0_emulator.settings.ssh_api == "single"
                assert leap0_emulator.settings.max_sandboxes == 7

            def test_2_unmarked(leap0_emulator):
                assert leap0_emulator.settings.ssh_api == "both"
                assert leap0_emulator.settings.max_sandboxes == 3

            @pytest.mark.leap0_emulator(no_such_setting=1)
            def test_3_misspelt(leap0_emulator):
                pass
            """
        )
    )
    done = _pytest(tmp_path, "-p", "no:randomly", "test_marked.py")
    assert "2 passed, 1 error" in done.stdout, done.stdout + done.stderr
    assert "no_such_setting" in done.stdout


def test_ini_options_set_the_session_emulator(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nleap0_emulator_max_sandboxes = 9\nleap0_emulator_ssh_api = per-credential\n"
    )
    (tmp_path / "test_ini.py").write_text(
        textwrap.dedent(
            """
            def test_first(leap0_emulator):
                assert leap0_emulator.settings.max_sandboxes == 9
                leap0_emulator.configure(max_sandboxes=4)

            def test_second_after_a_reset(leap0_emulator):
                assert leap0_emulator.settings.max_sandboxes == 9
                assert leap0_emulator.settings.ssh_api == "per-credential"
            """
        )
    )
    done = _pytest(tmp_path, "-p", "no:randomly", "test_ini.py")
    assert "2 passed" in done.stdout, done.stdout + done.stderr


def test_a_bad_ini_value_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nleap0_emulator_max_sandboxes = lots\n")
    (tmp_path / "test_bad.py").write_text("def test_it(leap0_emulator):\n    pass\n")
    done = _pytest(tmp_path, "test_bad.py")
    assert done.returncode != 0
    assert "leap0_emulator_max_sandboxes" in done.stdout + done.stderr


def test_a_missing_extra_skips_or_fails_as_asked(tmp_path: Path) -> None:
    # The extra is installed here: the plugin is told it needs a module that is not.
    (tmp_path / "conftest.py").write_text(
        "import leap0_pytest_plugin\nleap0_pytest_plugin._EXTRA = ('no_such_module_leap0',)\n"
    )
    (tmp_path / "test_needs.py").write_text("def test_it(leap0_emulator):\n    pass\n")
    skipped = _pytest(tmp_path, "-rs", "test_needs.py")
    assert skipped.returncode == 0 and "1 skipped" in skipped.stdout, skipped.stdout
    assert 'python -m pip install ".[emulator]" from a clone' in skipped.stdout, skipped.stdout
    failed = _pytest(tmp_path, "--leap0-require-emulator", "test_needs.py")
    assert failed.returncode == 1, failed.stdout
    assert "no_such_module_leap0" in failed.stdout and "1 error" in failed.stdout
    (tmp_path / "pytest.ini").write_text("[pytest]\nleap0_require_emulator = true\n")
    by_ini = _pytest(tmp_path, "test_needs.py")
    assert by_ini.returncode == 1, by_ini.stdout
