"""The ``leap0`` argument parser, built from the command table.

Usage errors raise :class:`UsageError` with the parser they belong to, so the
message comes with that command's usage (``leap0 sandbox list --bogus`` shows
``sandbox list``'s), and an unknown command or choice says what was meant.
A command's ``needs`` and ``excludes`` (``--wait-timeout`` only with
``--wait``) are usage errors too, found once the line is parsed. A command
whose options are declared elsewhere (``leap0 emulator``: the emulator's own,
``Command.arguments``) gets them only when it is the command parsed, with the
global options that do not share their names.
"""

from __future__ import annotations

import argparse

from .. import __version__
from .commands import COMMANDS, GLOBALS
from .epilog import EPILOG
from .output import PROG
from .spec import Command

TYPE_CHECKING = False  # typing is not imported at run time: --help stays light
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, NoReturn

__all__ = ["Parser", "UsageError", "build_parser"]


class UsageError(Exception):
    """A bad command line: ``message``, found by ``parser`` (whose usage goes with it)."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


def _suggest(word: str, known: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


class _Formatter(argparse.HelpFormatter):
    """Wraps one-paragraph descriptions; keeps text with line breaks (epilogs) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class Parser(argparse.ArgumentParser):
    """``ArgumentParser`` with this CLI's defaults; errors raise :class:`UsageError`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(**kwargs)
        self.register("action", "parsers", _Commands)
        self.pending: Callable[[], None] | None = None
        """What adds this command's options (and subcommands), until it has."""
        self.lazy = False
        """Whether its subcommands are filled in only once parsed (:func:`build_parser`)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self, message)

    def parse(self, args: Sequence[str]) -> argparse.Namespace:
        """``parse_args``, with a suggestion for a mistyped option; the table's rules checked."""
        parsed, extras = self.parse_known_args(args)
        if extras:
            raise UsageError(self, _unrecognized(self, extras))
        if parsed.spec is not None:
            _check_rules(parsed.spec, parsed)
        return parsed

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if action.choices is not None and value not in action.choices:
            what = "command" if isinstance(action, _Commands) else "choice"
            choices = ", ".join(map(str, action.choices))
            hint = _suggest(str(value), [str(choice) for choice in action.choices])
            raise argparse.ArgumentError(
                action, f"unknown {what} '{value}' (choose from {choices}){hint}"
            )


class _Commands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """Subcommands whose leftover arguments are an error of the subcommand itself."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        sub = self._name_parser_map.get(values[0])
        if isinstance(sub, Parser) and sub.pending is not None:
            sub.pending()
            sub.pending = None
            _not_before(parser, sub, namespace)
        super().__call__(parser, namespace, values, option_string)
        extras: list[str] = getattr(namespace, argparse._UNRECOGNIZED_ARGS_ATTR, [])
        if extras:
            sub = self._name_parser_map[values[0]]
            raise UsageError(sub, _unrecognized(sub, extras))


def _unrecognized(parser: argparse.ArgumentParser, extras: list[str]) -> str:
    message = f"unrecognized arguments: {' '.join(extras)}"
    first = next((word for word in extras if word.startswith("--")), None)
    if first is not None:
        known = [name for action in parser._actions for name in action.option_strings]
        message += _suggest(first.partition("=")[0], known)
    return message


def _add_options(parser: argparse.ArgumentParser, command: Command) -> None:
    for option in command.options:
        parser.add_argument(*option.flags, **option.kwargs)


def _given(args: argparse.Namespace, parser: argparse.ArgumentParser, flag: str) -> bool:
    value = getattr(args, parser._option_string_actions[flag].dest, None)
    return value is not None and value is not False


def _check_rules(command: Command, args: argparse.Namespace) -> None:
    """``command.needs`` and ``command.excludes``: :class:`UsageError` if a pair is broken."""
    parser: argparse.ArgumentParser = args.parser
    for flag, other in command.needs:
        if _given(args, parser, flag) and not _given(args, parser, other):
            raise UsageError(parser, f"{flag} goes only with {other}: add {other} or leave it out")
    for flag, other in command.excludes:
        if _given(args, parser, flag) and _given(args, parser, other):
            raise UsageError(parser, f"{flag} and {other} do not go together: choose one")


def _own_options(parser: Parser, command: Command) -> Callable[[], None]:
    """What adds ``command.arguments``'s options to ``parser``, then the globals they leave."""

    def add() -> None:
        import importlib

        assert command.arguments is not None
        module, _, name = command.arguments.partition(":")
        getattr(importlib.import_module(f".{module}", __package__), name)(parser)
        group = parser.add_argument_group("global options")
        for option in GLOBALS:
            if not any(flag in parser._option_string_actions for flag in option.flags):
                group.add_argument(*option.flags, **{**option.kwargs, "default": argparse.SUPPRESS})

    return add


def _not_before(top: argparse.ArgumentParser, sub: Parser, namespace: argparse.Namespace) -> None:
    """A global option given before a command whose own option has its name: a usage error.

    ``leap0 --api-key K emulator`` would otherwise be dropped for the
    emulator's ``--api-key`` default without a word.
    """
    for action in sub._actions:
        if action.default is argparse.SUPPRESS:  # --help, and the globals it was given
            continue
        for flag in action.option_strings:
            ours = top._option_string_actions.get(flag)
            if ours is None or getattr(namespace, ours.dest, None) == top.get_default(ours.dest):
                continue
            raise UsageError(
                sub,
                f"{flag} before '{sub.prog.rpartition(' ')[2]}' is leap0's own option, not this "
                f"command's: give it after the command ({sub.prog} {flag} ...)",
            )


def _globals(suppress: bool) -> Parser:
    """The global options; after a command their defaults are SUPPRESS (not to overwrite)."""
    parser = Parser(add_help=False)
    _add_globals(parser, suppress)
    return parser


def _add_globals(parser: argparse.ArgumentParser, suppress: bool) -> None:
    group = parser.add_argument_group("global options")
    for option in GLOBALS:
        kwargs = dict(option.kwargs)
        if suppress or option.kwargs.get("dest") == "format":
            kwargs["default"] = argparse.SUPPRESS
        group.add_argument(*option.flags, **kwargs)


def _add_commands(
    parent: argparse.ArgumentParser,
    commands: Sequence[Command],
    path: tuple[str, ...],
    *,
    lazy: bool,
) -> None:
    """Each of ``commands`` as a subcommand of ``parent``; ``lazy``: filled in once parsed."""
    dest = "group" if not path else "_".join(path)
    sub = parent.add_subparsers(dest=dest, metavar="COMMAND", parser_class=Parser)
    for command in commands:
        here = (*path, command.name)
        if command.arguments is not None:  # options of its own, added once it is the command
            own: Parser = sub.add_parser(
                command.name, help=command.help, description=command.description
            )
            own.pending = _own_options(own, command)
            own.set_defaults(spec=command, path=here, parser=own)
            own.lazy = lazy
            continue
        parser = sub.add_parser(
            command.name,
            help=command.help,
            description=command.description,
            epilog=command.epilog,
            usage=command.usage,
        )
        parser.lazy = lazy
        parser.set_defaults(spec=command, path=here, parser=parser)
        fill = _filler(parser, command, here)
        if lazy:
            parser.pending = fill  # once it is the command parsed (see _Commands)
        else:
            fill()


def _filler(parser: Parser, command: Command, here: tuple[str, ...]) -> Callable[[], None]:
    """What gives ``parser`` the global options, ``command``'s own and its subcommands."""

    def fill() -> None:
        _add_globals(parser, suppress=True)  # first, as parents=[...] would put them
        _add_options(parser, command)
        if command.commands:
            _add_commands(parser, command.commands, here, lazy=parser.lazy)

    return fill


def build_parser(*, lazy: bool = False) -> Parser:
    """The ``leap0`` parser: a command's ``args.spec`` is its :class:`Command`.

    ``lazy``: a command's options and subcommands are added only once it is
    the command parsed (``leap0 --help`` builds 7 parsers instead of 24, and
    each costs argparse several gettext lookups); the parser then parses and
    prints help as the whole one does, but holds only what was parsed.
    """
    parser = Parser(
        prog=PROG,
        description="Manage Leap0 sandboxes and their SSH access.",
        epilog=EPILOG,
        parents=[_globals(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.set_defaults(spec=None, path=(), parser=parser)
    parser.lazy = lazy
    _add_commands(parser, COMMANDS, (), lazy=lazy)
    return parser
