"""``leap0 emulator``: the local emulator's own command line, every argument passed on."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

__all__ = ["run"]


def run(argv: list[str]) -> int:
    """Run ``leap0 emulator ARGS``: its exit status (2 when the emulator extra is missing)."""
    # Imported by name: the emulator is type-checked on its own, and loaded only here.
    module = importlib.import_module("leap0.emulator._cli")
    emulator_main: Callable[[list[str]], int] = module.main
    try:
        return emulator_main(argv)
    except SystemExit as exc:  # its --help, or a usage error
        return exc.code if isinstance(exc.code, int) else 2
    except ModuleNotFoundError as exc:  # the extra found missing only once it starts
        print(f"leap0 emulator: error: {exc}", file=sys.stderr)
        return 2
