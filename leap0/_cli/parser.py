"""The ``leap0`` argument parser, built from the command table.

Usage errors raise :class:`UsageError` with the parser they belong to, so the
message comes with that command's usage (``leap0 sandbox list --bogus`` shows
``sandbox list``'s), and an unknown command or choice says what was meant.
"""

from __future__ import annotations

import argparse

from .._version import __version__
from .commands import COMMANDS, GLOBALS
from .epilog import EPILOG
from .output import PROG
from .spec import Command

TYPE_CHECKING = False  # typing is not imported at run time: --help stays light
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, NoReturn

__all__ = [
    "OptionWords",
    "Parser",
    "UsageError",
    "build_parser",
    "emulator_args",
    "split_remote_command",
    "wants_json",
]


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

    def error(self, message: str) -> NoReturn:
        raise UsageError(self, message)

    def parse(self, args: Sequence[str]) -> argparse.Namespace:
        """``parse_args``, with a suggestion for a mistyped option."""
        parsed, extras = self.parse_known_args(args)
        if extras:
            raise UsageError(self, _unrecognized(self, extras))
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


def _globals(suppress: bool) -> Parser:
    """The global options; after a command their defaults are SUPPRESS (not to overwrite)."""
    parser = Parser(add_help=False)
    group = parser.add_argument_group("global options")
    for option in GLOBALS:
        kwargs = dict(option.kwargs)
        if suppress or option.kwargs.get("dest") == "format":
            kwargs["default"] = argparse.SUPPRESS
        group.add_argument(*option.flags, **kwargs)
    return parser


def _add_commands(
    parent: argparse.ArgumentParser,
    commands: Sequence[Command],
    path: tuple[str, ...],
    common: Parser,
) -> None:
    dest = "group" if not path else "_".join(path)
    sub = parent.add_subparsers(dest=dest, metavar="COMMAND", parser_class=Parser)
    for command in commands:
        here = (*path, command.name)
        if command.name == "emulator":  # its arguments are the emulator's own
            parser = sub.add_parser(
                command.name, help=command.help, description=command.description, add_help=False
            )
            parser.add_argument("emulator_args", nargs=argparse.REMAINDER)
            parser.set_defaults(spec=command, path=here, parser=parser)
            continue
        parser = sub.add_parser(
            command.name,
            help=command.help,
            description=command.description,
            epilog=command.epilog,
            usage=command.usage,
            parents=[common],
        )
        _add_options(parser, command)
        parser.set_defaults(spec=command, path=here, parser=parser)
        if command.commands:
            _add_commands(parser, command.commands, here, common)


def build_parser() -> Parser:
    """The ``leap0`` parser: a command's ``args.spec`` is its :class:`Command`."""
    parser = Parser(
        prog=PROG,
        description="Manage Leap0 sandboxes and their SSH access.",
        epilog=EPILOG,
        parents=[_globals(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.set_defaults(spec=None, path=(), parser=parser)
    _add_commands(parser, COMMANDS, (), _globals(suppress=True))
    return parser


# -- the pre-scan: what must be known before argparse runs ------------------------


class OptionWords:
    """The option names the pre-scan must know, read from the parser.

    ``global_values`` and ``global_flags``: the top-level options that take a
    value and those that do not (``--help`` and ``--version`` aside, which end
    the run). ``values``: every option, at any level, that takes a value.
    """

    def __init__(
        self, global_values: frozenset[str], global_flags: frozenset[str], values: frozenset[str]
    ) -> None:
        self.global_values, self.global_flags, self.values = global_values, global_flags, values

    @classmethod
    def of(cls, parser: argparse.ArgumentParser) -> OptionWords:
        global_values: set[str] = set()
        global_flags: set[str] = set()
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                continue
            if action.option_strings:
                found = global_flags if action.nargs == 0 else global_values
                found.update(action.option_strings)
        values: set[str] = set()
        pending = [parser]
        seen: set[int] = set()
        while pending:
            current = pending.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            for action in current._actions:
                if isinstance(action, argparse._SubParsersAction):
                    pending.extend(action.choices.values())
                elif action.option_strings and action.nargs != 0:
                    values.update(action.option_strings)
        return cls(frozenset(global_values), frozenset(global_flags), frozenset(values))


def _positionals(argv: Sequence[str], limit: int, words: OptionWords) -> list[str]:
    """The first ``limit`` words of ``argv`` that are not options."""
    found: list[str] = []
    i = 0
    while i < len(argv) and len(found) < limit:
        word = argv[i]
        if word == "--":
            break
        if word in words.values:
            i += 2
            continue
        if not word.startswith("-"):
            found.append(word)
        i += 1
    return found


def emulator_args(argv: Sequence[str], words: OptionWords) -> list[str] | None:
    """The arguments after ``emulator`` if that is the command, else ``None``."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if word in words.global_values:
            i += 2
            continue
        if word in words.global_flags or word.partition("=")[0] in words.global_values:
            i += 1
            continue
        return list(argv[i + 1 :]) if word == "emulator" else None
    return None


def split_remote_command(argv: list[str], words: OptionWords) -> tuple[list[str], list[str] | None]:
    """For ``ssh connect``: the arguments for argparse, and the remote command (if any).

    ``ssh connect ID -- COMMAND...``: the ``--`` ends leap0's arguments. With no
    ID before it, ``ssh connect -- ID [-- COMMAND...]``: the word after the
    first ``--`` is the ID, even one that starts with ``-`` (so that an id read
    from a pipe, as ``xargs -r leap0 ssh connect --`` gives it, is never an
    option), and a second ``--`` starts the command. More words after that ID
    go to argparse, which refuses them: they are not a command.
    """
    if "--" not in argv:
        return argv, None
    cut = argv.index("--")
    head = argv[:cut]
    found = _positionals(head, 3, words)
    if found[:2] == ["ssh", "connect"] and len(found) == 3:
        return head, argv[cut + 1 :]
    if found == ["ssh", "connect"] and cut + 1 < len(argv):
        rest = argv[cut + 2 :]
        if rest[:1] == ["--"]:
            return [*head, "--", argv[cut + 1]], rest[1:]
        return [*head, "--", argv[cut + 1], *rest], None
    return argv, None


def wants_json(argv: Sequence[str]) -> bool:
    """Whether the command line asks for JSON (read before parsing, for usage errors)."""
    found = False
    for i, word in enumerate(argv):
        if word == "--":
            break
        if word == "--json" or word == "--format=json":
            found = True
        elif word == "--format" and i + 1 < len(argv):
            found = argv[i + 1] == "json"
        elif word.startswith("--format="):
            found = False
    return found
