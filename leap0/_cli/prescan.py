"""What must be known of the command line before argparse reads it.

``ssh connect ID -- COMMAND...``: where leap0's arguments end and the remote
command starts (argparse would take ``--`` otherwise), and whether a usage
error is to be told as JSON (``--json`` may come after the error). Both read
the option names from the parser (:class:`OptionWords`), so an option that
takes a value is never mistaken for a command or an id.
"""

from __future__ import annotations

import argparse

TYPE_CHECKING = False  # typing is not imported at run time: --help stays light
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["OptionWords", "split_remote_command", "wants_json"]


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
