"""pytest fixtures for the Leap0 emulator (registered through the ``pytest11`` entry point).

* ``leap0_emulator_server``: one running emulator for the whole test session,
  with the settings of the ``leap0_emulator_*`` ini options.
* ``leap0_emulator``: that emulator after :meth:`~leap0.emulator.Emulator.reset`,
  so each test starts with no sandboxes, no faults and the session's settings,
  then with those of its ``@pytest.mark.leap0_emulator(...)`` marker, if any::

      @pytest.mark.leap0_emulator(ssh_api="single", max_sandboxes=7)
      def test_one_credential(leap0_emulator): ...

Both skip the test when the ``emulator`` extra is not installed, or fail it
with ``--leap0-require-emulator`` (or ``leap0_require_emulator = true``), so a
CI run without the extra cannot pass having run none of them.

pytest loads this plugin in every project where leap0 is installed, so until a
fixture is used it imports nothing beyond pytest and the standard library
modules pytest has already loaded. That is why it is a top-level module: any
module inside the ``leap0`` package would first run ``leap0/__init__.py``,
which imports httpx, attrs and cattrs. Disable it with ``-p no:leap0``.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from leap0.emulator import Emulator

__all__ = ["leap0_emulator", "leap0_emulator_server"]

_EXTRA = ("starlette", "uvicorn", "asyncssh")
_MARKER = "leap0_emulator"
_REQUIRE = "leap0_require_emulator"

# The settings an ini option may give the session's emulator: name -> parser.
_SETTINGS: dict[str, Callable[[str], Any]] = {
    "ssh_api": str,
    "max_sandboxes": int,
    "ssh_lifetime": float,
    "start_delay": float,
    "stop_delay": float,
    "request_timeout": float,
    "max_unauthenticated": int,
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("leap0", "the Leap0 emulator fixtures")
    group.addoption(
        "--leap0-require-emulator",
        action="store_true",
        default=None,
        help="fail, instead of skip, tests using the leap0_emulator fixtures when the "
        "emulator extra is missing",
    )
    parser.addini(_REQUIRE, "fail instead of skip without the emulator extra", type="bool")
    for name in _SETTINGS:
        parser.addini(f"leap0_emulator_{name}", f"the session emulator's {name}", default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(**settings): configure the leap0_emulator fixture for this test "
        "(ssh_api=, max_sandboxes=, start_delay=, ...; reset after it)",
    )


def _require_extra(config: pytest.Config | None = None) -> None:
    missing = [name for name in _EXTRA if importlib.util.find_spec(name) is None]
    if not missing:
        return
    why = (
        f"the Leap0 emulator needs {', '.join(missing)}: "
        'python -m pip install ".[emulator]" from a clone of leap0'
    )
    required = config is not None and (
        config.getoption("--leap0-require-emulator") or config.getini(_REQUIRE)
    )
    if required:
        pytest.fail(f"{why} (--leap0-require-emulator is set)", pytrace=False)
    pytest.skip(why)


def _session_settings(config: pytest.Config) -> dict[str, Any]:
    settings = {}
    for name, parse in _SETTINGS.items():
        raw = config.getini(f"leap0_emulator_{name}")
        if raw is None or raw == "":
            continue
        try:
            settings[name] = parse(str(raw).strip())
        except ValueError:
            raise pytest.UsageError(
                f"leap0_emulator_{name} = {raw!r}: not a {parse.__name__}"
            ) from None
    return settings


@pytest.fixture(scope="session")
def leap0_emulator_server(pytestconfig: pytest.Config) -> Iterator[Emulator]:
    """One Leap0 emulator (HTTP API + SSH server) shared by the test session."""
    _require_extra(pytestconfig)
    from leap0.emulator import serve

    try:
        emulator = serve(**_session_settings(pytestconfig))
    except ValueError as exc:
        raise pytest.UsageError(f"leap0_emulator_* ini options: {exc}") from None
    with emulator:
        yield emulator


@pytest.fixture
def leap0_emulator(leap0_emulator_server: Emulator, request: pytest.FixtureRequest) -> Emulator:
    """The session's Leap0 emulator, reset, then set as the test's marker says."""
    leap0_emulator_server.reset()
    marker = request.node.get_closest_marker(_MARKER)
    if marker is not None:
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{_MARKER} takes settings by name only")
        leap0_emulator_server.configure(**marker.kwargs)
    return leap0_emulator_server
