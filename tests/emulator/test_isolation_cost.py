"""What isolation costs a session's start: ``/bin/true`` started directly and through the launcher.

Asserts no time (the machine is shared); prints the figures docs/emulator.md
quotes. Run it alone to read them:

    python -m pytest -p no:benchmark tests/emulator/test_isolation_cost.py -n 0 -s
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from leap0.emulator import _isolation

WHY_NOT = _isolation.isolation_available()
STARTS = 40


def _median_ms(start: Callable[[], None], count: int = STARTS) -> float:
    times = []
    for _ in range(count):
        began = time.perf_counter()
        start()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


@pytest.mark.skipif(WHY_NOT is not None, reason=f"sessions cannot be isolated here: {WHY_NOT}")
def test_the_cost_of_an_isolated_session_start(tmp_path: Path) -> None:
    workdir = tmp_path / "sbx-cost"
    workdir.mkdir(mode=0o700)
    _isolation.make_sandbox_dirs(str(workdir), True)
    env = {"PATH": "/usr/bin:/bin", "HOME": "/home/user"}
    home = str(workdir / "home")

    def run(argv: list[str]) -> None:
        subprocess.run(argv, env=env, cwd=home, start_new_session=True, check=True)

    began = time.perf_counter()
    wrapped = _isolation.wrap(["/bin/true"], workdir=str(workdir), sandbox_id="sbx-cost", env=env)
    holder_ms = (time.perf_counter() - began) * 1000
    try:
        plain = _median_ms(lambda: run(["/bin/true"]))
        isolated = _median_ms(lambda: run(wrapped))
    finally:
        began = time.perf_counter()
        assert _isolation.end([str(workdir)]) == 1
        end_ms = (time.perf_counter() - began) * 1000
    print(
        f"\nsandbox's first session (its holder): {holder_ms:.1f} ms; "
        f"a session start, median of {STARTS}: {plain:.1f} ms not isolated, "
        f"{isolated:.1f} ms isolated; ending the sandbox: {end_ms:.1f} ms"
    )
    assert os.listdir(home) == []
