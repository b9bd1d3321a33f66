"""One sweep kills what the sessions of any number of sandboxes (or credentials) left."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from leap0.emulator._reaper import MARK_VARIABLE, sweep

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads Linux's /proc")


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    children: list[subprocess.Popen[bytes]] = []
    yield children
    for child in children:
        child.kill()
        child.wait()


def _sleeper(
    started: list[subprocess.Popen[bytes]], cwd: Path, mark: str | None = None
) -> subprocess.Popen[bytes]:
    env = {"PATH": os.environ.get("PATH", os.defpath)}
    if mark is not None:
        env[MARK_VARIABLE] = mark
    child = subprocess.Popen(["sleep", "300"], cwd=cwd, env=env)
    started.append(child)
    return child


def _killed(child: subprocess.Popen[bytes]) -> bool:
    return child.wait(timeout=30) == -9


def test_a_sweep_kills_the_marks_and_directories_it_is_given_only(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    root = tmp_path / "root"
    for name in ("sbx-a", "sbx-b", "sbx-c"):
        (root / name / "deep").mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    first = _sleeper(started, outside, "emu1/sbx-a/ssh-1")
    second = _sleeper(started, outside, "emu1/sbx-a/ssh-2")
    other_sandbox = _sleeper(started, outside, "emu1/sbx-b/ssh-3")
    in_directory = _sleeper(started, root / "sbx-c" / "deep")  # no mark: found by its directory
    other_emulator = _sleeper(started, outside, "emu2/sbx-a/ssh-1")
    unmarked = _sleeper(started, outside)
    assert sweep("emu1", str(root), {"sbx-c"}, [("sbx-a", "ssh-2")]) == 2
    assert _killed(second)
    assert _killed(in_directory)
    assert first.poll() is None
    assert other_sandbox.poll() is None
    assert sweep("emu1", str(root), {"sbx-b"}) == 1
    assert _killed(other_sandbox)
    assert sweep("emu1", str(root)) == 1  # everything of this emulator
    assert _killed(first)
    assert other_emulator.poll() is None
    assert unmarked.poll() is None


def test_a_sweep_of_nothing_kills_nothing(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    (tmp_path / "sbx-a").mkdir()
    child = _sleeper(started, tmp_path / "sbx-a", "emu1/sbx-a/ssh-1")
    assert sweep("emu1", str(tmp_path), set(), []) == 0
    assert child.poll() is None
