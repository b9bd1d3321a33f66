"""Every python block of the README runs as pasted, against the emulator, again and again.

Each block runs in a fresh interpreter with only ``LEAP0_API_KEY`` and
``LEAP0_BASE_URL`` set (no ``LEAP0_SSH_API``), four times in a row, one more
than the emulator's 3 sandboxes: a block that left a sandbox behind, or needs a
name it does not define, fails here. A block that defines pytest tests runs
under pytest, with the ``leap0_emulator`` fixture.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip(
    "uvicorn", reason='needs the emulator extra: python -m pip install ".[emulator]"'
)

from leap0.emulator import Emulator, serve

ROOT = Path(__file__).resolve().parents[1]
RUNS = 4


def _blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def _heading(block: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    before = text[: text.index(block)]
    return re.findall(r"^#+ (.+)$", before, flags=re.MULTILINE)[-1]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with serve() as emu:
        yield emu


def _env(emu: Emulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAP0_")}
    env.update(LEAP0_API_KEY=emu.api_key, LEAP0_BASE_URL=emu.base_url)
    return env


def test_the_readme_has_python_blocks() -> None:
    assert len(_blocks()) >= 5


@pytest.mark.parametrize("index", range(len(_blocks())), ids=lambda i: f"block{i}")
def test_block_runs_as_pasted_again_and_again(
    index: int, emulator: Emulator, tmp_path: Path
) -> None:
    block = _blocks()[index]
    emulator.reset()
    if re.search(r"^def test_", block, flags=re.MULTILINE):
        script = tmp_path / f"test_readme_block{index}.py"
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0"]
        argv += ["-p", "no:randomly", str(script)]
    else:
        script = tmp_path / f"readme_block{index}.py"
        argv = [sys.executable, str(script)]
    script.write_text(block, encoding="utf-8")
    for run in range(RUNS):
        done = subprocess.run(
            argv, env=_env(emulator), capture_output=True, text=True, timeout=120, cwd=tmp_path
        )
        assert done.returncode == 0, (
            f"README block {index} (under {_heading(block)!r}), run {run + 1}:\n"
            f"{done.stdout}\n{done.stderr}"
        )
