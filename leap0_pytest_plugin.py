"""pytest fixtures for the Leap0 emulator (registered through the ``pytest11`` entry point).

* ``leap0_emulator_server``: one running emulator for the whole test session.
* ``leap0_emulator``: that emulator after :meth:`~leap0.emulator.Emulator.reset`,
  so each test starts with no sandboxes, no faults and the default settings.

Both skip the test when the ``emulator`` extra is not installed.

pytest loads this plugin in every project where leap0 is installed, so until a
fixture is used it imports nothing beyond pytest and the standard library
modules pytest has already loaded. That is why it is a top-level module: any
module inside the ``leap0`` package would first run ``leap0/__init__.py``,
which imports httpx, attrs and cattrs. Disable it with ``-p no:leap0``.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from leap0.emulator import Emulator

__all__ = ["leap0_emulator", "leap0_emulator_server"]

_EXTRA = ("starlette", "uvicorn", "asyncssh")


def _require_extra() -> None:
    missing = [name for name in _EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(
            f"the Leap0 emulator needs {', '.join(missing)}: "
            'python -m pip install ".[emulator]" from a clone of leap0'
        )


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
