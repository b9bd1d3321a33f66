"""pytest fixtures for the Leap0 emulator (registered through the ``pytest11`` entry point).

* ``leap0_emulator_server``: one running emulator for the whole test session.
* ``leap0_emulator``: that emulator after :meth:`~leap0.emulator.Emulator.reset`,
  so each test starts with no sandboxes, no faults and the default settings.

Both skip the test when the ``emulator`` extra is not installed. Nothing heavy
is imported until a fixture is used.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from leap0.emulator import Emulator

__all__ = ["leap0_emulator", "leap0_emulator_server"]

_EXTRA = ("starlette", "uvicorn", "asyncssh")


def _require_extra() -> None:
    missing = [name for name in _EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f'the Leap0 emulator needs {", ".join(missing)}: pip install "leap0[emulator]"')


@pytest.fixture(scope="session")
def leap0_emulator_server() -> Iterator[Emulator]:
    """One Leap0 emulator (HTTP API + SSH server) shared by the test session."""
    _require_extra()
    from leap0.emulator import serve

    with serve() as emulator:
        yield emulator


@pytest.fixture
def leap0_emulator(leap0_emulator_server: Emulator) -> Emulator:
    """The session's Leap0 emulator, reset: empty, no faults, default settings."""
    leap0_emulator_server.reset()
    return leap0_emulator_server
