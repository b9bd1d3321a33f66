"""The lazy parser (what ``leap0`` builds) helps, parses and refuses as the whole one does."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import pytest

from leap0._cli.commands import COMMANDS
from leap0._cli.parser import UsageError, build_parser
from leap0._cli.spec import Command


def _paths(
    commands: tuple[Command, ...] | list[Command], path: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    for command in commands:
        yield (*path, command.name)
        if command.commands:
            yield from _paths(command.commands, (*path, command.name))


PATHS = [(), *_paths(COMMANDS)]


def _outcome(lazy: bool, words: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            args = build_parser(lazy=lazy).parse(words)
        except SystemExit as exc:
            return f"exit {exc.code}: {out.getvalue()}"
        except UsageError as exc:
            return f"usage error of {exc.parser.prog}: {exc.message}"
    return repr(sorted((k, repr(v)) for k, v in vars(args).items() if k != "parser"))


@pytest.mark.parametrize("path", PATHS, ids=lambda path: " ".join(path) or "leap0")
@pytest.mark.parametrize("extra", [["--help"], ["--bogus"], [], ["--json"]])
def test_lazy_and_whole_parsers_agree(path: tuple[str, ...], extra: list[str]) -> None:
    words = [*path, *extra]
    assert _outcome(True, words) == _outcome(False, words)


def test_the_lazy_parser_builds_only_what_is_parsed() -> None:
    parser = build_parser(lazy=True)
    commands = next(a for a in parser._actions if a.dest == "group")  # the subcommands' action
    built = {name: sub.pending is None for name, sub in commands.choices.items()}
    assert not any(built.values())  # nothing below the top until it is parsed
    parser.parse(["sandbox", "list"])
    assert commands.choices["sandbox"].pending is None
    assert all(
        sub.pending is not None for name, sub in commands.choices.items() if name != "sandbox"
    )
