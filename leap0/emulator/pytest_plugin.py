"""The Leap0 pytest fixtures under their former module path.

The plugin itself is the top-level module :mod:`leap0_pytest_plugin` (the
``pytest11`` entry point names it), so that loading it does not import the
``leap0`` package. This module gives the same names to code that imports it
from here; importing it loads ``leap0``, as any ``leap0.*`` module does.
"""

from __future__ import annotations

# Re-exported names (``import x as x``), importlib included: code that patches
# importlib.util.find_spec through this module reaches the plugin's.
import importlib as importlib

from leap0_pytest_plugin import (
    _EXTRA as _EXTRA,
    _require_extra as _require_extra,
    leap0_emulator as leap0_emulator,
    leap0_emulator_server as leap0_emulator_server,
)

__all__ = ["leap0_emulator", "leap0_emulator_server"]
