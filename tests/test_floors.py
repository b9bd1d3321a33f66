"""The floors pyproject.toml declares are the versions .ci/floors.txt pins (and CI tests)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent

# Those whose next major release may change an API the SDK or the emulator builds on.
_BOUNDED = {"httpx", "httpcore", "starlette", "uvicorn", "asyncssh"}


def _declared() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floors: dict[str, str] = {}
    for spec in [*project["dependencies"], *project["optional-dependencies"]["emulator"]]:
        name, rest = re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", spec).groups()  # type: ignore[union-attr]
        floor = re.search(r">=\s*([0-9][0-9.]*)", rest)
        assert floor is not None, f"{spec}: every dependency declares a floor"
        if name.lower() in _BOUNDED:
            assert "<" in rest, f"{spec}: bounded above (its next major may change what we use)"
        floors[name.lower()] = floor.group(1)
    return floors


def _pinned() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / ".ci" / "floors.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def _same(declared: str, pinned: str) -> bool:
    def parts(version: str) -> list[int]:
        numbers = [int(p) for p in version.split(".")]
        return numbers + [0] * (3 - len(numbers))

    return parts(declared) == parts(pinned)


def test_every_declared_floor_is_pinned_for_the_floors_run() -> None:
    declared, pinned = _declared(), _pinned()
    assert set(declared) == set(pinned)
    for name, floor in declared.items():
        assert _same(floor, pinned[name]), f"{name}: declared >={floor}, CI pins {pinned[name]}"
