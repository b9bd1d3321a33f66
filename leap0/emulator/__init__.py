"""A local Leap0 service for tests and offline development: the Leap0 HTTP API and an SSH server.

Start it with :func:`serve` (``with serve() as emu: ...``), ``leap0 emulator``
in a shell, or the ``leap0_emulator`` pytest fixture. Its manual, every setting,
route and limit, is ``docs/emulator.md``. It needs the ``emulator`` extra.
"""

from __future__ import annotations

from ._faults import Fault
from ._server import Emulator, serve
from ._settings import Settings

__all__ = ["Emulator", "Fault", "Settings", "serve"]
