"""What the completion scripts offer, read from the command table: the one place they read it.

For each command (its path, ``"ssh connect"``), its options and the global
options its own leave free, and what completes a value: the words of its
``choices``, ``@sandbox`` (ids from the service, through :data:`LIST_IDS`),
``@file``, or nothing.
"""

from __future__ import annotations

from .commands import COMMANDS, GLOBALS
from .spec import Command, Opt, walk

__all__ = [
    "GLOBALS",
    "LIST_IDS",
    "every_option",
    "globals_of",
    "options",
    "paths",
    "shadowing",
    "top",
    "value",
]

LIST_IDS = "leap0 sandbox list --format id --page-size 100 --request-timeout 2 --max-retries 0"


def top() -> tuple[Command, ...]:
    """The commands under ``leap0``."""
    return COMMANDS


def value(option: Opt) -> str:
    """What completes the option's value (or a positional): words, @sandbox, @file or ''."""
    if option.kwargs.get("choices"):
        return " ".join(option.kwargs["choices"])
    return f"@{option.complete}" if option.complete else ""


def options(command: Command | None) -> list[Opt]:
    """The command's options, then the globals whose names they leave free."""
    own = list(command.options) if command is not None else []
    return [*own, *globals_of(command)]


def globals_of(command: Command | None) -> list[Opt]:
    """The global options of ``command``: not those whose names its own options take."""
    taken = {name for o in command.options for name in o.names} if command is not None else set()
    return [o for o in GLOBALS if not taken & set(o.names)]


def shadowing() -> list[tuple[str, set[str]]]:
    """The commands whose own options take global names (the emulator's), and those names."""
    found: list[tuple[str, set[str]]] = []
    for path, command in paths():
        globals_ = {name for o in globals_of(command) for name in o.names}
        shadowed = {name for o in GLOBALS for name in o.names} - globals_
        if shadowed:
            found.append((path, shadowed))
    return found


def paths() -> list[tuple[str, Command]]:
    """Every command and group with its path, ``"ssh connect"``, groups first."""
    return [(" ".join(path), command) for path, command in walk(COMMANDS)]


def every_option() -> list[Opt]:
    """The global options and every command's own (the positionals aside)."""
    return [*GLOBALS, *(o for _, cmd in paths() for o in cmd.options if not o.positional)]
