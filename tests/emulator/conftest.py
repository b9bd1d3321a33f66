"""Fixtures for the emulator's own tests (raw httpx and asyncssh, not the SDK).

The ``leap0_emulator`` fixtures come from the ``leap0`` pytest plugin, which the
package registers through its ``pytest11`` entry point.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from leap0.emulator import Emulator

from ._helpers import create_access, create_sandbox, make_client


@pytest.fixture
def emu(leap0_emulator: Emulator) -> Emulator:
    return leap0_emulator


@pytest.fixture
def api(emu: Emulator) -> Iterator[httpx.Client]:
    with make_client(emu) as client:
        yield client


@pytest.fixture
def anon(emu: Emulator) -> Iterator[httpx.Client]:
    """A client that sends no API key."""
    with httpx.Client(base_url=emu.base_url, timeout=10.0, trust_env=False) as client:
        yield client


@pytest.fixture
def sandbox(api: httpx.Client) -> dict[str, Any]:
    return create_sandbox(api)


@pytest.fixture
def access(api: httpx.Client, sandbox: dict[str, Any]) -> dict[str, Any]:
    return create_access(api, sandbox["id"])
