"""Starting an emulator raises the process's soft limit on open files to its hard limit."""

from __future__ import annotations

import subprocess
import sys

import pytest

resource = pytest.importorskip("resource")

_SHOW = (
    "import resource\n"
    "from leap0.emulator._fdlimit import raise_open_files_limit\n"
    "print(*resource.getrlimit(resource.RLIMIT_NOFILE))\n"
    "print(*raise_open_files_limit())\n"
    "print(*resource.getrlimit(resource.RLIMIT_NOFILE))\n"
)


def _run_with_soft_limit(soft: int) -> list[list[int]]:
    def lower() -> None:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    result = subprocess.run(
        [sys.executable, "-c", _SHOW],
        preexec_fn=lower,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [[int(n) for n in line.split()] for line in result.stdout.splitlines()]


def test_the_soft_limit_is_raised_to_the_hard_one() -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or hard <= 256:
        pytest.skip(f"needs a finite hard limit above 256 (it is {hard})")
    before, answered, after = _run_with_soft_limit(256)
    assert before == [256, hard]
    assert answered == after == [hard, hard]


def test_a_soft_limit_at_the_hard_one_stays() -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        pytest.skip("needs a finite hard limit")
    before, answered, after = _run_with_soft_limit(hard)
    assert before == answered == after == [hard, hard]
