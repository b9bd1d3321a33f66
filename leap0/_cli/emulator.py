"""``leap0 emulator``: the local emulator, its options its own (``leap0.emulator._cli``).

The options are added to this command's parser only when it is the command
(``emulator_commands.py``), and the emulator runs with what the main parser
read: global options before or after the command, completion and JSON usage
errors as for any command. A missing emulator extra is a setup problem
(exit 2), said as every other.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from . import report
from .context import Context

__all__ = ["add_arguments", "run"]

_INSTALL = 'python -m pip install ".[emulator]"'


def _module(name: str) -> Any:
    # Imported by name: the emulator is type-checked on its own, and loaded only here.
    return importlib.import_module(f"leap0.emulator.{name}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The emulator's options (and description) on ``parser``."""
    _module("_cli").add_arguments(parser)


def run(ctx: Context) -> int:
    """Run the emulator until it is stopped: its exit status (2 when the extra is missing)."""
    problem = _module("_server").missing_extra()
    if problem is not None:
        raise report.Problem(str(problem), code="missing")
    try:
        status: int = _module("_cli").run(ctx.args)
    except ModuleNotFoundError as exc:  # the extra found missing only once it starts
        raise report.Problem(f"{exc} (the 'emulator' extra: {_INSTALL})", code="missing") from None
    return status
