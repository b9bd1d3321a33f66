"""The shapes of the command table (``commands.py``): :class:`Command` and :class:`Opt`.

Also the command's own settings: the profile variable, the default profile, how
long ``--wait`` waits. The SDK's names and values that help texts show (its
environment variables, defaults and choices) are in ``leap0._constants``,
which imports nothing.
"""

from __future__ import annotations

import argparse

TYPE_CHECKING = False  # typing is not imported at run time: --help stays light
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Command", "Opt", "opt", "walk"]

# The profile file's (``profiles.py``), and how long --wait waits.
PROFILE_ENV = "LEAP0_PROFILE"
DEFAULT_PROFILE = "default"
DEFAULT_WAIT_TIMEOUT = 300.0


class Opt:
    """One argument: what argparse's ``add_argument`` takes, and what completes its value.

    ``complete`` is ``"sandbox"`` (sandbox ids), ``"file"`` or ``None``
    (nothing, or its ``choices``).
    """

    __slots__ = ("complete", "flags", "kwargs")

    def __init__(
        self, flags: tuple[str, ...], kwargs: dict[str, Any], complete: str | None = None
    ) -> None:
        self.flags = flags
        self.kwargs = kwargs
        self.complete = complete

    @property
    def positional(self) -> bool:
        return not self.flags[0].startswith("-")

    @property
    def takes_value(self) -> bool:
        action = self.kwargs.get("action")
        return action not in ("store_true", "store_const", argparse.BooleanOptionalAction)

    @property
    def names(self) -> tuple[str, ...]:
        """Every spelling on the command line (``--no-X`` too, for a boolean pair)."""
        if self.kwargs.get("action") is argparse.BooleanOptionalAction:
            return (*self.flags, *("--no-" + flag[2:] for flag in self.flags))
        return self.flags


def opt(spec: str, help: str, *, complete: str | None = None, **kwargs: Any) -> Opt:
    """An argument from ``"FLAG... [METAVAR]"`` (``"--vcpu N"``, ``"-r --recursive"``, ``"id ID"``).

    The other keywords are ``add_argument``'s own.
    """
    words = spec.split()
    if len(words) > 1 and not words[-1].startswith("-"):
        kwargs["metavar"] = words.pop()
    return Opt(tuple(words), {"help": help, **kwargs}, complete)


class Command:
    """A command (``handler`` set) or a group of commands (``commands`` set).

    ``handler`` is ``"module:function"`` in this package. ``ids``: whether
    ``--format id`` applies (it prints the ids of what the command shows).
    ``client``: whether it talks to the service. ``needs`` and ``excludes``:
    pairs of flags, ``(A, B)``: A is a usage error without B, or with B.
    ``arguments``: ``"module:function"`` that adds the command's options to its
    parser, for a command whose options are declared elsewhere (the
    emulator's); it is called only once that command is the one parsed, and
    ``options`` then only tell completion what there is.
    """

    def __init__(
        self,
        name: str,
        help: str,
        description: str,
        handler: str | None = None,
        options: tuple[Opt, ...] = (),
        *,
        commands: tuple[Command, ...] = (),
        epilog: str | None = None,
        usage: str | None = None,
        ids: bool = False,
        client: bool = True,
        needs: tuple[tuple[str, str], ...] = (),
        excludes: tuple[tuple[str, str], ...] = (),
        arguments: str | None = None,
    ) -> None:
        self.name, self.help, self.description = name, help, description
        self.handler, self.options, self.commands = handler, options, commands
        self.epilog, self.usage, self.ids, self.client = epilog, usage, ids, client
        self.needs, self.excludes, self.arguments = needs, excludes, arguments

    def replace(self, **changes: Any) -> Command:
        """A copy with ``changes`` (keyword arguments of the constructor)."""
        fields = {**vars(self), **changes}
        return Command(**fields)


def walk(
    commands: tuple[Command, ...], path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], Command]]:
    """Every command and group with its path (``("ssh", "connect")``), groups first."""
    found: list[tuple[tuple[str, ...], Command]] = []
    for command in commands:
        here = (*path, command.name)
        found.append((here, command))
        found += walk(command.commands, here)
    return found
