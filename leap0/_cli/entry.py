"""``leap0``'s entry point: parse, run one command, report, exit.

Exit status:

* 0: success (also bare ``leap0`` or a group, which print their help);
* 1: the service answered with an error or could not be reached (any
  ``Leap0Error``), or a sandbox is not running or did not come up
  (``--wait``, ``ssh connect``, ``ssh cp``); also ``ssh connect``/``ssh cp``
  whose credential could not be revoked at the end, whatever ``ssh``'s status
  (:data:`EXIT_CREDENTIAL_LEFT`);
* 2: bad usage, bad arguments, or a setup problem: configuration (no API key,
  a bad base URL), a missing program (``ssh``, ``scp``) or the missing
  emulator extra;
* 130: interrupted (Ctrl-C); 128 + N when signal N (SIGQUIT, SIGTERM, SIGHUP)
  ends ``ssh connect`` or ``ssh cp`` outside ``ssh``;
* ``ssh connect``/``ssh cp``: otherwise the status of ``ssh``/``scp``.

A ``TypeError`` or ``ValueError`` from inside a command is a bug, not a
usage error: it is not caught, so it shows as a traceback (exit status 1).
What the user typed is checked where it is read (``values.py``), before any
request.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys

from . import report
from .parser import (
    OptionWords,
    UsageError,
    build_parser,
    emulator_args,
    split_remote_command,
    wants_json,
)
from .spec import API_KEY_ENV, Command

TYPE_CHECKING = False  # typing is not imported at run time: --help stays light
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import NoReturn

    from .._ssh_api import Revision, SshApi
    from .._sync.client import Leap0Client

    Handler = Callable[["Session"], int]

__all__ = [
    "EXIT_CREDENTIAL_LEFT",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Handler",
    "Session",
    "Terminated",
    "main",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
# ssh connect / ssh cp left the credential it issued (the revoke failed): a service
# error like any other, so 1, never the remote command's status, which may be 0.
EXIT_CREDENTIAL_LEFT = EXIT_FAILURE


class Terminated(BaseException):
    """SIGQUIT, SIGTERM or SIGHUP arrived while ``ssh connect`` or ``ssh cp`` ran (exit 128 + N).

    A ``BaseException``, like ``KeyboardInterrupt``: ``except Exception`` does
    not stop it, ``finally`` blocks run. ``signum`` is the signal. Raised by
    ``openssh.termination_raises``.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class Session:
    """What a handler gets: the parsed arguments, the SSH routes, a client on demand.

    Handlers check what they can first (nothing is sent, no key is needed for
    that), then open the client with :meth:`client`.
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.label = " ".join(args.path)
        self.base_url: str | None = None
        self._ssh_api: SshApi | None = None

    @property
    def as_json(self) -> bool:
        return bool(self.args.format == "json")

    @property
    def ssh_api(self) -> SshApi:
        """``--ssh-api``, else ``LEAP0_SSH_API``, else auto; a bad variable is a usage error."""
        if self._ssh_api is None:
            from .._ssh_api import resolve_ssh_api

            try:
                self._ssh_api = resolve_ssh_api(self.args.ssh_api, env=True)
            except ValueError as exc:  # --ssh-api has choices: only the variable can be bad
                raise report.Problem(str(exc), code="config") from None
        return self._ssh_api

    def revision(self, client: Leap0Client) -> Revision | None:
        """The SSH routes in use: the setting's, or what auto found so far (``None``: not yet)."""
        ssh_api = self.ssh_api
        return client.ssh.revision if ssh_api == "auto" else ssh_api

    @contextlib.contextmanager
    def client(self) -> Iterator[Leap0Client]:
        """A client for the command; long retry waits are noted on stderr while it is open."""
        from .._config import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT
        from .._sync.client import Leap0Client
        from ..errors import Leap0Error
        from .retries import retry_notes

        args = self.args
        if args.api_key is None and not os.environ.get(API_KEY_ENV):
            raise report.Problem(
                f"no API key: set {API_KEY_ENV} (or pass --api-key)", code="config"
            )
        ssh_api = self.ssh_api
        timeout = DEFAULT_TIMEOUT if args.request_timeout is None else args.request_timeout
        retries = DEFAULT_MAX_RETRIES if args.max_retries is None else args.max_retries
        try:  # only the configuration is checked here: a malformed key or base URL
            client = Leap0Client(
                api_key=args.api_key,
                base_url=args.base_url,
                ssh_api=ssh_api,
                timeout=timeout,
                max_retries=retries,
            )
        except (Leap0Error, ValueError) as exc:
            raise report.Problem(str(exc), code="config") from None
        self.base_url = getattr(client.transport, "base_url", None)
        with client, retry_notes():
            yield client


def _handler(command: Command) -> Handler:
    assert command.handler is not None
    module, _, name = command.handler.partition(":")
    found: Handler = getattr(importlib.import_module(f".{module}", __package__), name)
    return found


def _label(session: Session) -> str:
    ident = getattr(session.args, "id", None)
    return f"{session.label} {ident}" if isinstance(ident, str) else session.label


def run(command: Command, args: argparse.Namespace) -> int:
    """Run ``command`` with ``args``; report what went wrong; its exit status."""
    session = Session(args)
    try:
        if args.format == "id" and not command.ids:
            raise report.Problem(
                f"--format id: {session.label} shows no ids of its own (use --format table or json)"
            )
        return _call(command, session)
    except report.Problem as exc:
        report.problem(_label(session), exc, session.as_json)
        return exc.status


def _call(command: Command, session: Session) -> int:
    if not command.client:
        return _handler(command)(session)
    from ..errors import Leap0Error  # only for commands that talk to the service: attrs

    try:
        return _handler(command)(session)
    except report.Hinted as exc:
        label, error = _label(session), exc.error
        report.failure(label, error, session.as_json, base_url=session.base_url, hint=exc.hint)
        return EXIT_FAILURE
    except Leap0Error as exc:
        report.failure(_label(session), exc, session.as_json, base_url=session.base_url)
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


def _run_emulator(rest: list[str]) -> int:
    from .emulator import run as run_emulator

    return run_emulator(rest)


def _main(words: list[str]) -> int:
    parser = build_parser()
    option_words = OptionWords.of(parser)
    rest = emulator_args(words, option_words)
    if rest is not None:
        return _run_emulator(rest)
    head, remote_command = split_remote_command(words, option_words)
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
    if command.name == "emulator":
        return _run_emulator(args.emulator_args)
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
