"""No setting and no fault can make the control routes (``/_emulator/*``) unreachable."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
import pytest

from leap0.emulator import Emulator, Fault, serve

from ._helpers import field_errors

FLOOR = "0.1"


def _error_of(response: httpx.Response, field: str) -> str:
    assert field_errors(response) == {field}, response.text
    errors = [item["error"] for item in response.json()["errors"] if item["field"] == field]
    return str(errors[0])


@pytest.mark.parametrize("timeout", [1e-9, 0, 0.05, 0.0999])
def test_a_request_timeout_below_the_floor_is_refused_everywhere(
    emu: Emulator, api: httpx.Client, timeout: float
) -> None:
    before = api.get("/_emulator/config").json()
    response = api.post("/_emulator/config", json={"request_timeout": timeout})
    assert FLOOR in _error_of(response, "request_timeout")
    assert api.get("/_emulator/config").json() == before
    with pytest.raises(ValueError, match="request_timeout") as raised:
        emu.configure(request_timeout=timeout)
    assert FLOOR in str(raised.value)
    with pytest.raises(ValueError, match="request_timeout"):
        serve(request_timeout=timeout)
    assert emu.settings.request_timeout == before["request_timeout"]
    # The reset route, and every other control route, still answers.
    assert api.post("/_emulator/reset").status_code == 204


def test_the_command_line_refuses_a_request_timeout_below_the_floor() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "leap0.emulator", "--request-timeout", "1e-9"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "request_timeout" in result.stderr
    assert FLOOR in result.stderr
    assert result.stdout == ""


def test_the_floor_itself_is_accepted(emu: Emulator, api: httpx.Client) -> None:
    response = api.post("/_emulator/config", json={"request_timeout": 0.1})
    assert response.status_code == 200, response.text
    assert response.json()["request_timeout"] == 0.1
    emu.reset()
    assert emu.settings.request_timeout == 30.0


@pytest.mark.parametrize("limit", [0, 1, 7, -1, 10_001, 2.5, "64", True])
def test_max_unauthenticated_has_a_floor_too(emu: Emulator, api: httpx.Client, limit: Any) -> None:
    # At 0 no connection could ever get in; the floor keeps room for real clients.
    response = api.post("/_emulator/config", json={"max_unauthenticated": limit})
    _error_of(response, "max_unauthenticated")
    with pytest.raises(ValueError, match="max_unauthenticated"):
        emu.configure(max_unauthenticated=limit)
    with pytest.raises(ValueError, match="max_unauthenticated"):
        serve(max_unauthenticated=limit)
    assert emu.settings.max_unauthenticated == 256
    assert api.post("/_emulator/reset").status_code == 204


CONTROL_PATHS = [
    "/_emulator",
    "/_emulator/reset",
    "/_emulator/config/",
    "/_emulator/faults?x=1",
    "/%5Femulator/clock",
    "/_emulator/no-such-route",
]


@pytest.mark.parametrize("path", CONTROL_PATHS)
def test_faults_for_the_control_routes_are_refused(
    emu: Emulator, api: httpx.Client, path: str
) -> None:
    with pytest.raises(ValueError, match="control"):
        emu.inject("POST", path, Fault(status=503))
    response = api.post(
        "/_emulator/faults", json={"method": "POST", "path": path, "faults": [{"delay": 3600}]}
    )
    assert "control" in _error_of(response, "path")
    assert emu._state is not None
    assert emu._state.faults._fault_count == 0
    assert api.post("/_emulator/reset").status_code == 204
    assert api.get("/_emulator/config").status_code == 200
