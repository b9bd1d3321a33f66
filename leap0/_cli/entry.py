"""``leap0``'s entry point: parse, run one command, report, exit.

Exit status:

* 0: success (also bare ``leap0`` or a group, which print their help);
* 1: the service answered with an error or could not be reached (any
  ``Leap0Error``), or a sandbox is not running or did not come up
  (``--wait``, ``ssh connect``, ``ssh cp``); also ``ssh connect``/``ssh cp``
  whose credential could not be revoked at the end, whatever ``ssh``'s status
  (:data:`~.context.EXIT_CREDENTIAL_LEFT`); ``ssh validate`` of a pair that is
  not valid; ``auth status`` with no API key;
* 2: bad usage, bad arguments, or a setup problem: configuration (no API key,
  a bad base URL, a profile file leap0 will not read), a missing program
  (``ssh``, ``scp``) or the missing emulator extra;
* 130: interrupted (Ctrl-C); 128 + N when signal N (SIGQUIT, SIGTERM, SIGHUP)
  ends ``ssh connect`` or ``ssh cp`` outside ``ssh``;
* ``ssh connect``/``ssh cp``: otherwise the status of ``ssh``/``scp``.

A ``TypeError`` or ``ValueError`` from inside a command is a bug, not a
usage error: it is not caught, so it shows as a traceback (exit status 1).
What the user typed is checked where it is read (``values.py``), before any
request.
"""

from __future__ import annotations

import importlib
import os
import sys

from . import report
from .context import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Context,
    Terminated,
)
from .parser import UsageError, build_parser
from .prescan import OptionWords, split_remote_command, wants_json
from .spec import Command

TYPE_CHECKING = False  # typing is not imported at run time: --help stays light
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import NoReturn

    from .context import Handler

__all__ = ["main", "run"]


def _handler(command: Command) -> Handler:
    assert command.handler is not None
    module, _, name = command.handler.partition(":")
    found: Handler = getattr(importlib.import_module(f".{module}", __package__), name)
    return found


def _label(ctx: Context) -> str:
    ident = getattr(ctx.args, "id", None)
    return f"{ctx.label} {ident}" if isinstance(ident, str) else ctx.label


def run(command: Command, args: argparse.Namespace) -> int:
    """Run ``command`` with ``args``; report what went wrong; its exit status."""
    ctx = Context(args)
    try:
        if args.format == "id" and not command.ids:
            raise report.Problem(
                f"--format id: {ctx.label} shows no ids of its own (use --format table or json)"
            )
        return _call(command, ctx)
    except report.Problem as exc:
        report.problem(_label(ctx), exc, ctx.as_json)
        return exc.status


def _call(command: Command, ctx: Context) -> int:
    if not command.client:
        return _handler(command)(ctx)
    from ..errors import Leap0Error  # only for commands that talk to the service: attrs

    try:
        return _handler(command)(ctx)
    except report.Hinted as exc:
        label, error = _label(ctx), exc.error
        report.failure(label, error, ctx.as_json, base_url=ctx.base_url, hint=exc.hint)
        return EXIT_FAILURE
    except Leap0Error as exc:
        report.failure(_label(ctx), exc, ctx.as_json, base_url=ctx.base_url)
        return EXIT_FAILURE


def _usage(exc: UsageError, as_json: bool) -> int:
    """The usage of the command at fault, then ``PROG: error: MESSAGE`` (or its JSON)."""
    if as_json:
        report.problem(exc.parser.prog, report.Problem(exc.message), as_json)
    else:
        exc.parser.print_usage(sys.stderr)
        print(f"{exc.parser.prog}: error: {exc.message}", file=sys.stderr)
    return EXIT_USAGE


def _exit_status(code: object) -> int:
    if code is None:
        return EXIT_OK
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return EXIT_FAILURE


def _stdout_gone() -> NoReturn:
    # stdout was closed early (e.g. piped into head): no traceback, no
    # second error when Python flushes it at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    raise SystemExit(EXIT_FAILURE)


def _main(words: list[str]) -> int:
    # Whole only when the pre-scan needs every option's name (a remote command after --).
    parser = build_parser(lazy="--" not in words)
    head, remote_command = split_remote_command(words, OptionWords.of(parser))
    try:
        args = parser.parse(head)
    except SystemExit as exc:  # --help, --version
        return _exit_status(exc.code)
    except UsageError as exc:
        return _usage(exc, wants_json(words))
    command: Command | None = args.spec
    if command is None or command.commands:  # bare leap0, or a group: its help
        args.parser.print_help()
        return EXIT_OK
    args.remote_command = remote_command or []
    return run(command, args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``leap0`` with ``argv`` (default: the process's arguments); return the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(words)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated as exc:  # SIGQUIT/SIGTERM/SIGHUP in ssh connect or cp, after clean-up
        return 128 + exc.signum
    except BrokenPipeError:
        _stdout_gone()
