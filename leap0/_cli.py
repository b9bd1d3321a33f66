"""``leap0``: the command-line interface to Leap0 sandboxes and their SSH access.

Run ``leap0 --help`` for the commands. Exit status: 0 on success; 1 when the
service answered with an error or could not be reached (any ``Leap0Error``);
2 for bad usage, bad arguments or missing configuration (no API key, a bad
base URL); 130 when interrupted. ``leap0 ssh connect`` exits with the status
of ``ssh``, which is the remote command's (255 when ``ssh`` itself failed), or
128 + the signal when SIGQUIT, SIGTERM or SIGHUP ends it outside the ``ssh`` session.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import http
import importlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, NoReturn

from . import _cli_ssh
from ._config import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL
from ._convert import converter
from ._requests import DEFAULT_TEMPLATE, LIST_ORDERS, LIST_SORT_FIELDS, LIST_STATES
from ._ssh_api import SSH_API_ENV, SSH_APIS, SshApi, resolve_ssh_api
from ._sync.client import Leap0Client
from ._version import __version__
from .errors import (
    Leap0APIError,
    Leap0AuthenticationError,
    Leap0BadRequestError,
    Leap0ConflictError,
    Leap0ConnectionError,
    Leap0Error,
)
from .models import SandboxInfo, SandboxPage, SshAccess, SshValidation

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_PROG = "leap0"

_EPILOG = f"""\
configuration:
  The API key is taken from --api-key, else ${API_KEY_ENV} (prefer the
  variable: command-line arguments are visible to other users of the machine).
  The API's URL is --base-url, else ${BASE_URL_ENV}, else {DEFAULT_BASE_URL}.
  Which revision of the SSH routes the service serves is --ssh-api, else
  ${SSH_API_ENV}, else single: 'single' (the original routes; one SSH
  credential per sandbox) or 'per-credential' (the routes of the public
  OpenAPI description; several credentials per sandbox, so ssh regen and
  ssh delete need --access-id).

examples:
  leap0 sandbox create --vcpu 2 --memory 2048 --env DEBUG=1
  leap0 sandbox list --state running
  leap0 --json sandbox get sbx-123
  leap0 ssh create sbx-123            # prints the password once
  leap0 ssh connect sbx-123           # interactive shell through OpenSSH
  leap0 ssh connect sbx-123 -- uname -a  # the credential is revoked afterwards
  leap0 ssh connect sbx-123 --keep    # prints the credential and keeps it
  leap0 ssh validate sbx-123 --access-id ssh-abc --password-stdin < password.txt
  leap0 --ssh-api per-credential ssh delete sbx-123 --access-id ssh-abc
  leap0 sandbox delete sbx-123
  leap0 emulator                      # a local Leap0 service for development

exit status:
  0 success, 1 the service answered with an error or could not be reached,
  2 bad usage or configuration, 130 interrupted; ssh connect exits with the
  remote command's status (255 if ssh itself failed).
"""

Handler = Callable[[Leap0Client, argparse.Namespace], int]


class _UsageError(Exception):
    """A problem with the command line found after parsing (exit status 2)."""


# -- parser -------------------------------------------------------------------


class _Formatter(argparse.HelpFormatter):
    """Wraps one-paragraph descriptions; keeps text with line breaks (epilogs) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class _Parser(argparse.ArgumentParser):
    """``ArgumentParser`` with this CLI's defaults (no abbreviations, examples as written)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(**kwargs)


def _common_options(suppress: bool) -> _Parser:
    """``--json``, ``--api-key``, ``--base-url`` and ``--ssh-api``, before and after a command.

    After a command they default to ``SUPPRESS``, so they do not overwrite a
    value given before it.
    """
    parser = _Parser(add_help=False)
    group = parser.add_argument_group("global options")
    default: Any = argparse.SUPPRESS if suppress else None
    group.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="print one JSON document on stdout instead of text",
    )
    group.add_argument(
        "--api-key", metavar="KEY", default=default, help=f"API key (default: ${API_KEY_ENV})"
    )
    group.add_argument(
        "--base-url",
        metavar="URL",
        default=default,
        help=f"API base URL (default: ${BASE_URL_ENV}, else {DEFAULT_BASE_URL})",
    )
    group.add_argument(
        "--ssh-api",
        choices=SSH_APIS,
        default=default,
        help=(
            "the service's SSH routes: single, one credential per sandbox, or "
            "per-credential, several (ssh regen and ssh delete then need --access-id); "
            f"default: ${SSH_API_ENV}, else single"
        ),
    )
    return parser


def _env_pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def build_parser() -> argparse.ArgumentParser:
    """The ``leap0`` argument parser (``emulator`` is dispatched before it runs)."""
    common = _common_options(suppress=True)
    parser = _Parser(
        prog=_PROG,
        description="Manage Leap0 sandboxes and their SSH access.",
        epilog=_EPILOG,
        parents=[_common_options(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"{_PROG} {__version__}")
    commands = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)

    emulator = commands.add_parser(
        "emulator",
        help="run a local Leap0 service (see leap0 emulator --help)",
        description="Run a local Leap0 service; all arguments go to it.",
        add_help=False,
    )
    # Normally dispatched before parsing (see _emulator_args); this covers the rest.
    emulator.add_argument("emulator_args", nargs=argparse.REMAINDER)

    # sandbox ...
    sandbox = commands.add_parser(
        "sandbox",
        help="create, show, list and delete sandboxes",
        description="Create, show, list and delete sandboxes.",
        parents=[common],
    )
    sandbox_cmds = sandbox.add_subparsers(dest="command", metavar="COMMAND", required=True)

    create = sandbox_cmds.add_parser(
        "create",
        help="create a sandbox",
        description="Create a sandbox; unset options take the service's defaults.",
        parents=[common],
    )
    create.add_argument(
        "--template", metavar="NAME", help=f"template to start from (default: {DEFAULT_TEMPLATE})"
    )
    create.add_argument("--vcpu", metavar="N", type=int, help="virtual CPUs, 1 to 8")
    create.add_argument(
        "--memory", metavar="MiB", type=int, help="memory in MiB, even, 512 to 8192"
    )
    create.add_argument("--timeout", metavar="S", type=int, help="lifetime in seconds, 1 to 28800")
    create.add_argument(
        "--env",
        metavar="KEY=VALUE",
        type=_env_pair,
        action="append",
        help="environment variable set in the sandbox (repeatable)",
    )
    create.add_argument(
        "--auto-pause",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="pause into a snapshot at the timeout instead of stopping",
    )
    create.set_defaults(handler=_sandbox_create, label="sandbox create")

    get = sandbox_cmds.add_parser(
        "get", help="show a sandbox", description="Show a sandbox.", parents=[common]
    )
    get.add_argument("id", metavar="ID", help="sandbox id")
    get.set_defaults(handler=_sandbox_get, label="sandbox get")

    listing = sandbox_cmds.add_parser(
        "list",
        help="list sandboxes",
        description="List one page of the organization's sandboxes.",
        parents=[common],
    )
    listing.add_argument("--state", choices=LIST_STATES, help="only sandboxes in this state")
    listing.add_argument(
        "--sort", choices=LIST_SORT_FIELDS, default="created_at", help="sort field"
    )
    listing.add_argument("--order", choices=LIST_ORDERS, default="desc", help="sort order")
    listing.add_argument("--page", metavar="N", type=int, default=1, help="page, from 1")
    listing.add_argument(
        "--page-size", metavar="N", type=int, default=20, help="sandboxes a page, 1 to 100"
    )
    listing.set_defaults(handler=_sandbox_list, label="sandbox list")

    delete = sandbox_cmds.add_parser(
        "delete",
        help="delete a sandbox",
        description="Delete a sandbox (its SSH access is revoked with it).",
        parents=[common],
    )
    delete.add_argument("id", metavar="ID", help="sandbox id")
    delete.set_defaults(handler=_sandbox_delete, label="sandbox delete")

    # ssh ...
    ssh = commands.add_parser(
        "ssh",
        help="manage SSH access to a sandbox and connect to it",
        description=(
            "Manage a sandbox's SSH credentials and connect with OpenSSH. With --ssh-api "
            "single (the default; the service's original routes) a sandbox holds one "
            "credential at a time: create fails with 409 while it has one, and regen and "
            "delete act on that one. With --ssh-api per-credential (the routes of the "
            "public OpenAPI description) each create issues another credential, and "
            "regen and delete act on the one --access-id names (required)."
        ),
        parents=[common],
    )
    ssh_cmds = ssh.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ssh_create = ssh_cmds.add_parser(
        "create",
        help="issue an SSH credential (prints the password once)",
        description=(
            "Issue an SSH credential for a sandbox. The password is printed on stdout "
            "and cannot be shown again; so is the credential's id, which validate (and, "
            "with --ssh-api per-credential, regen and delete) take as --access-id. With "
            "--ssh-api single, fails with 409 if the sandbox already has one (use regen); "
            "with per-credential, each create issues another one."
        ),
        parents=[common],
    )
    ssh_create.add_argument("id", metavar="ID", help="sandbox id")
    ssh_create.set_defaults(handler=_ssh_create, label="ssh create")

    validate = ssh_cmds.add_parser(
        "validate",
        help="check an SSH credential",
        description=(
            "Check whether an access id and password are valid for a sandbox. The "
            "password is read from stdin (one line), never from the command line. "
            "Exits 0 whether or not it is valid: read 'valid'."
        ),
        parents=[common],
    )
    validate.add_argument("id", metavar="ID", help="sandbox id")
    validate.add_argument(
        "--access-id", metavar="ACCESS_ID", required=True, help="the SSH user name"
    )
    validate.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the password from stdin (a prompt without echo on a terminal)",
    )
    validate.set_defaults(handler=_ssh_validate, label="ssh validate")

    regen = ssh_cmds.add_parser(
        "regen",
        help="replace an SSH credential's password (prints the new one once)",
        description=(
            "Give an SSH credential a new password and expiry (it keeps its id); "
            "the old password stops working (open sessions continue). With --ssh-api "
            "single, the sandbox's one credential; with per-credential, the one "
            "--access-id names (required)."
        ),
        parents=[common],
    )
    regen.add_argument("id", metavar="ID", help="sandbox id")
    regen.add_argument(
        "--access-id",
        metavar="ACCESS_ID",
        help="the credential, the id ssh create printed (required with --ssh-api per-credential)",
    )
    regen.set_defaults(handler=_ssh_regen, label="ssh regen", access_id_use="replace")

    ssh_delete = ssh_cmds.add_parser(
        "delete",
        help="revoke SSH access",
        description=(
            "Revoke an SSH credential; the sessions logged in with it are closed. With "
            "--ssh-api single, the sandbox's one credential; with per-credential, the "
            "one --access-id names (required), and no other."
        ),
        parents=[common],
    )
    ssh_delete.add_argument("id", metavar="ID", help="sandbox id")
    ssh_delete.add_argument(
        "--access-id",
        metavar="ACCESS_ID",
        help="the credential, the id ssh create printed (required with --ssh-api per-credential)",
    )
    ssh_delete.set_defaults(handler=_ssh_delete, label="ssh delete", access_id_use="revoke")

    connect = ssh_cmds.add_parser(
        "connect",
        help="open a shell or run a command in a sandbox with OpenSSH",
        usage=(
            f"{_PROG} ssh connect [-h] [--keep] [--ssh-option OPT] [global options] "
            "ID [-- COMMAND ...]"
        ),
        description=(
            "Connect with the OpenSSH client: an interactive shell, or COMMAND after '--' "
            "(exit status: the command's). Issues a credential for this session and "
            "hands its password to ssh through SSH_ASKPASS: it never appears on the "
            "command line or the terminal. When the session ends (whatever its exit "
            "status, also after Ctrl-C), the credential is revoked, unless --keep. With "
            "--ssh-api per-credential the sandbox's other credentials are left alone; "
            "with single, a sandbox that already has a credential gets a new password "
            "for it (the old one stops working), and that credential is the one revoked "
            "at the end. "
            "One COMMAND word is run by the remote shell as a command line, like ssh; "
            "several words are quoted, so they arrive as typed. --json only changes what "
            "--keep prints."
        ),
        epilog=(
            "examples:\n"
            "  leap0 ssh connect sbx-123\n"
            "  leap0 ssh connect sbx-123 -- sh -c 'exit 3'; echo $?   # 3\n"
            "  leap0 ssh connect sbx-123 -- 'cd /tmp && ls | wc -l'\n"
            "  leap0 ssh connect sbx-123 --ssh-option ServerAliveInterval=30\n"
            "  leap0 ssh connect sbx-123 --keep    # prints the credential, keeps it\n"
        ),
        parents=[common],
    )
    connect.add_argument("id", metavar="ID", help="sandbox id")
    connect.add_argument(
        "--ssh-option",
        metavar="OPT",
        action="append",
        default=[],
        help="pass -o OPT to ssh (repeatable; these win over leap0's own options)",
    )
    connect.add_argument(
        "--keep",
        action="store_true",
        help=(
            "keep the credential after the session: print it first, as ssh create "
            "does (the password once), instead of revoking it at the end"
        ),
    )
    connect.set_defaults(handler=_ssh_connect, label="ssh connect", remote_command=[])

    return parser


# -- argument pre-scan ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _OptionWords:
    """The option names the pre-scan must know, read from the parser.

    ``global_values`` and ``global_flags``: the top-level options that take a
    value and those that do not (``--help`` and ``--version`` aside, which end
    the run). ``values``: every option, at any level, that takes a value.
    """

    global_values: frozenset[str]
    global_flags: frozenset[str]
    values: frozenset[str]

    @classmethod
    def of(cls, parser: argparse.ArgumentParser) -> _OptionWords:
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


def _positionals(argv: Sequence[str], limit: int, words: _OptionWords) -> list[tuple[int, str]]:
    """The first ``limit`` words of ``argv`` that are not options, with their indexes."""
    found: list[tuple[int, str]] = []
    i = 0
    while i < len(argv) and len(found) < limit:
        word = argv[i]
        if word == "--":
            break
        if word in words.values:
            i += 2
            continue
        if not word.startswith("-"):
            found.append((i, word))
        i += 1
    return found


def _emulator_args(argv: Sequence[str], words: _OptionWords) -> list[str] | None:
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


def _split_remote_command(
    argv: list[str], words: _OptionWords
) -> tuple[list[str], list[str] | None]:
    """For ``ssh connect ... -- COMMAND``: the arguments before ``--`` and the command."""
    if "--" not in argv:
        return argv, None
    cut = argv.index("--")
    head = argv[:cut]
    if [word for _, word in _positionals(head, 2, words)] == ["ssh", "connect"]:
        return head, argv[cut + 1 :]
    return argv, None


# -- output -------------------------------------------------------------------


def _clean(value: object) -> str:
    """A value as one line of printable text (server text may hold control characters)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _print_json(document: object) -> None:
    print(json.dumps(document, indent=2))


def _print_fields(rows: Sequence[tuple[str, object]]) -> None:
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        print(f"{key.ljust(width)}  {_clean(value)}")


def _print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [list(header)] + [[_clean(value) for value in row] for row in rows]
    widths = [max(len(row[col]) for row in cells) for col in range(len(header))]
    for row in cells:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip()
        )


def _note(text: str) -> None:
    print(f"{_PROG}: {text}", file=sys.stderr)


def _show_sandbox(info: SandboxInfo, as_json: bool) -> None:
    data = converter.unstructure(info)
    if as_json:
        _print_json(data)
        return
    _print_fields(
        [
            ("id", data["id"]),
            ("template_id", data["template_id"]),
            ("state", data["state"]),
            ("vcpu", data["vcpu"]),
            ("memory", f"{data['memory']} MiB"),
            ("disk", f"{data['disk']} MiB"),
            ("timeout", f"{data['timeout']} s"),
            ("auto_pause", data["auto_pause"]),
            ("created_at", data["created_at"]),
        ]
    )


def _show_access(access: SshAccess, as_json: bool, ssh_api: SshApi) -> None:
    data = converter.unstructure(access)
    if as_json:
        _print_json(data)
    else:
        _print_fields(
            [
                (key, data[key])
                for key in (
                    "id",
                    "sandbox_id",
                    "password",
                    "ssh_command",
                    "expires_at",
                    "created_at",
                    "updated_at",
                )
            ]
        )
    sys.stdout.flush()
    regen = f"{_PROG} ssh regen {_clean(access.sandbox_id)}"
    if ssh_api == "per-credential":
        regen += f" --access-id {_clean(access.id)}"
    _note(f"save the password now: it cannot be shown again ('{regen}' issues a new one)")


def _unix_time(value: int | None) -> str | None:
    if value is None:
        return None
    try:
        stamp = datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return str(value)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _show_page(page: SandboxPage, args: argparse.Namespace) -> None:
    if args.json:
        data = converter.unstructure(page)
        data["page"] = args.page
        data["page_size"] = args.page_size
        _print_json(data)
        return
    if page.items:
        _print_table(
            ("ID", "TEMPLATE", "STATE", "CREATED_AT", "TIMEOUT_AT"),
            [
                (
                    item.id,
                    item.template_id,
                    item.state,
                    converter.unstructure(item.created_at),
                    _unix_time(item.timeout_at),
                )
                for item in page.items
            ],
        )
    else:
        print("no sandboxes")
    first = (args.page - 1) * args.page_size
    if page.total_items > len(page.items) or args.page > 1:
        last = first + len(page.items)
        shown = f"{first + 1}-{last}" if page.items else "none"
        sys.stdout.flush()
        _note(f"page {args.page}: sandboxes {shown} of {page.total_items}")


# -- commands -----------------------------------------------------------------


def _sandbox_create(client: Leap0Client, args: argparse.Namespace) -> int:
    options: dict[str, Any] = {
        "vcpu": args.vcpu,
        "memory": args.memory,
        "timeout": args.timeout,
        "auto_pause": args.auto_pause,
    }
    if args.template is not None:
        options["template_name"] = args.template
    if args.env:
        options["env_vars"] = dict(args.env)
    sandbox = client.sandboxes.create(**options)
    _show_sandbox(sandbox.info, args.json)
    return EXIT_OK


def _sandbox_get(client: Leap0Client, args: argparse.Namespace) -> int:
    _show_sandbox(client.sandboxes.get_info(args.id), args.json)
    return EXIT_OK


def _sandbox_list(client: Leap0Client, args: argparse.Namespace) -> int:
    page = client.sandboxes.list(
        state=args.state,
        sort=args.sort,
        order=args.order,
        page=args.page,
        page_size=args.page_size,
    )
    _show_page(page, args)
    return EXIT_OK


def _sandbox_delete(client: Leap0Client, args: argparse.Namespace) -> int:
    client.sandboxes.delete(args.id)
    if args.json:
        _print_json({"deleted": True, "id": args.id})
    else:
        print(f"deleted sandbox {_clean(args.id)}")
    return EXIT_OK


def _ssh_create(client: Leap0Client, args: argparse.Namespace) -> int:
    _show_access(client.ssh.create_access(args.id), args.json, client.ssh_api)
    return EXIT_OK


def _access_id_missing(args: argparse.Namespace, ssh_api: SshApi) -> str | None:
    """Why ``ssh regen``/``ssh delete`` cannot go on without ``--access-id``, or None."""
    use: str | None = getattr(args, "access_id_use", None)
    if use is None or ssh_api != "per-credential" or args.access_id is not None:
        return None
    source = "--ssh-api per-credential" if args.ssh_api else f"{SSH_API_ENV}=per-credential"
    return (
        f"--access-id is required with {source}: this service keeps several SSH "
        f"credentials per sandbox, so name the one to {use} with --access-id ACCESS_ID "
        f"(the id '{_PROG} ssh create' printed)"
    )


def _ssh_regen(client: Leap0Client, args: argparse.Namespace) -> int:
    access = client.ssh.regenerate_access(args.id, access_id=args.access_id)
    _show_access(access, args.json, client.ssh_api)
    if args.access_id is not None and access.id != args.access_id:
        # Only under "single", whose route takes no id: the sandbox's one credential changed.
        _note(
            f"the credential replaced is {_clean(access.id)}, the sandbox's one, not "
            f"{_clean(args.access_id)}: the single SSH routes take no --access-id"
        )
    return EXIT_OK


def _ssh_delete(client: Leap0Client, args: argparse.Namespace) -> int:
    client.ssh.delete_access(args.id, access_id=args.access_id)
    named = args.access_id is not None and client.ssh_api == "per-credential"
    if args.json:
        document: dict[str, object] = {"deleted": True, "sandbox_id": args.id}
        if named:
            document["access_id"] = args.access_id
        _print_json(document)
    elif named:
        print(f"revoked SSH credential {_clean(args.access_id)} of sandbox {_clean(args.id)}")
    elif args.access_id is not None:
        # The single routes cannot say which credential that was: do not claim it.
        print(
            f"revoked SSH access to sandbox {_clean(args.id)} (its one credential: "
            "the single SSH routes take no --access-id)"
        )
    else:
        print(f"revoked SSH access to sandbox {_clean(args.id)}")
    return EXIT_OK


def _read_password() -> str:
    """The password from stdin: one line without its line ending (a silent prompt on a tty)."""
    stdin = sys.stdin
    if stdin is None:
        raise _UsageError("--password-stdin: no standard input")
    try:
        interactive = stdin.isatty()
    except (AttributeError, ValueError):
        interactive = False
    if interactive:
        password = getpass.getpass("SSH password: ")
    else:
        line = stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if password.endswith("\r"):
            password = password[:-1]
    if not password:
        raise _UsageError("--password-stdin: no password on standard input")
    return password


def _ssh_validate(client: Leap0Client, args: argparse.Namespace) -> int:
    result: SshValidation = client.ssh.validate_access(
        args.id, access_id=args.access_id, password=args.password
    )
    if args.json:
        _print_json(converter.unstructure(result))
    else:
        _print_fields([("valid", result.valid), ("sandbox_id", result.sandbox_id)])
    return EXIT_OK


def _ssh_connect(client: Leap0Client, args: argparse.Namespace) -> int:
    if not _cli_ssh.SUPPORTED:
        _note("ssh connect: not supported on this system yet (it needs a POSIX shell for ssh)")
        return EXIT_FAILURE
    _cli_ssh.check_ssh_options(args.ssh_option)  # before a credential is issued
    ssh = shutil.which("ssh")
    if ssh is None:
        _note(
            "ssh connect: the OpenSSH client 'ssh' is not on PATH; install it "
            "(e.g. the openssh-client package) and try again"
        )
        return EXIT_FAILURE
    # SIGQUIT/SIGTERM/SIGHUP from here on raise, so the credential is revoked on the way out.
    with _cli_ssh.termination_raises():
        access = _connect_access(client, args)
        kept = False
        try:
            if args.keep:
                _show_access(access, args.json, client.ssh_api)
                kept = True  # printed: from here on it is the user's to keep
            return _connect_session(args, access, ssh)
        finally:
            if not kept:
                _revoke(client, args, access)


def _connect_access(client: Leap0Client, args: argparse.Namespace) -> SshAccess:
    """A credential for this session (per-credential: always a new one of its own)."""
    if client.ssh_api == "per-credential":
        return client.ssh.create_access(args.id)
    try:
        return client.ssh.create_access(args.id)
    except Leap0ConflictError:
        access = client.ssh.regenerate_access(args.id)
    after = "" if args.keep else "; it is revoked when the session ends (--keep keeps it)"
    _note(
        f"sandbox {_clean(args.id)} already had SSH access: issued a new password for "
        f"its credential {_clean(access.id)} (the previous one no longer works){after}"
    )
    return access


def _connect_session(args: argparse.Namespace, access: SshAccess, ssh: str) -> int:
    """Run ``ssh`` with ``access``; its exit status."""
    try:
        tty = sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        tty = False
    # Only the user, host and port of the service's ssh_command reach ssh; an
    # answer that does not read as one is a Leap0ResponseError (the caller
    # revokes the credential).
    argv = _cli_ssh.build_ssh_argv(access, args.remote_command, args.ssh_option, ssh=ssh, tty=tty)
    sys.stdout.flush()
    sys.stderr.flush()
    with _cli_ssh.askpass_script(access.password) as script:
        try:
            return _cli_ssh.run_ssh(argv, _cli_ssh.askpass_env(os.environ, script))
        except OSError as exc:
            _note(f"ssh connect {_clean(args.id)}: could not run {ssh}: {_clean(exc)}")
            return EXIT_FAILURE


def _revoke(client: Leap0Client, args: argparse.Namespace, access: SshAccess) -> None:
    """Revoke the credential ``ssh connect`` issued; a failure is one line on stderr."""
    ssh_api = f" --ssh-api {client.ssh_api}" if client.ssh_api == "per-credential" else ""
    by_hand = f"{_PROG}{ssh_api} ssh delete {_clean(args.id)} --access-id {_clean(access.id)}"
    what = f"ssh connect {_clean(args.id)}: SSH credential {_clean(access.id)}"
    try:
        client.ssh.delete_access(args.id, access_id=access.id)
    except Leap0Error as exc:
        reason = _describe(exc, getattr(client.transport, "base_url", None))
        _note(f"{what} was not revoked: {_clean(reason)}; revoke it with '{by_hand}'")
    except (TypeError, ValueError) as exc:  # an id the SDK will not put in a path
        _note(f"{what} was not revoked: {_clean(exc)}")
    except (KeyboardInterrupt, _cli_ssh.Terminated):
        _note(f"{what} was not revoked (interrupted); revoke it with '{by_hand}'")
        raise


# -- errors -------------------------------------------------------------------


def _describe(exc: Leap0Error, base_url: str | None) -> str:
    if isinstance(exc, Leap0APIError):
        try:
            phrase = http.HTTPStatus(exc.status_code).phrase
        except ValueError:
            phrase = ""
        text = f"{exc.status_code} {phrase}".rstrip() + f": {exc.message}"
        if isinstance(exc, Leap0BadRequestError) and exc.errors:
            text += " [" + "; ".join(f"{e.field}: {e.error}" for e in exc.errors) + "]"
        if exc.request_id:
            text += f" (request id {exc.request_id})"
        if isinstance(exc, Leap0AuthenticationError):
            text += f"; check the API key (--api-key or ${API_KEY_ENV})"
        return text
    text = str(exc)
    if isinstance(exc, Leap0ConnectionError) and base_url:
        text += f" (base URL {base_url})"
    return text


def _fail(label: str, exc: Leap0Error, base_url: str | None) -> int:
    _note(f"{label} failed: {_clean(_describe(exc, base_url))}")
    return EXIT_FAILURE


def _usage(label: str, message: object) -> int:
    _note(f"{label}: {_clean(message)}")
    return EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    label = args.label if getattr(args, "id", None) is None else f"{args.label} {args.id}"
    if args.handler is _ssh_validate:
        try:
            args.password = _read_password()
        except _UsageError as exc:
            return _usage(label, exc)
    try:
        ssh_api = resolve_ssh_api(args.ssh_api, env=True)
    except (TypeError, ValueError) as exc:  # a bad LEAP0_SSH_API (--ssh-api has choices)
        return _usage(label, exc)
    missing = _access_id_missing(args, ssh_api)
    if missing is not None:
        return _usage(label, missing)
    if args.api_key is None and not os.environ.get(API_KEY_ENV):
        return _usage(label, f"no API key: set {API_KEY_ENV} (or pass --api-key)")
    try:
        client = Leap0Client(api_key=args.api_key, base_url=args.base_url, ssh_api=ssh_api)
    except (Leap0Error, TypeError, ValueError) as exc:  # a malformed key or base URL
        return _usage(label, exc)
    base_url = getattr(client.transport, "base_url", None)
    handler: Handler = args.handler
    with client:
        try:
            return handler(client, args)
        except Leap0Error as exc:
            return _fail(label, exc, base_url)
        except (TypeError, ValueError) as exc:  # arguments the SDK refused before any I/O
            return _usage(label, f"invalid argument: {exc}")


# -- entry point ----------------------------------------------------------------


def _run_emulator(rest: list[str]) -> int:
    try:
        # Imported by name: the emulator is optional, and type-checked on its own.
        module = importlib.import_module("leap0.emulator._cli")
    except ImportError as exc:
        return _emulator_missing(exc)
    emulator_main: Callable[[list[str]], int] = module.main
    try:
        return emulator_main(rest)
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] in ("starlette", "uvicorn", "asyncssh"):
            return _emulator_missing(exc)
        raise


def _emulator_missing(exc: ImportError) -> int:
    _note(
        f'emulator: not available ({_clean(exc)}); install it with: pip install "leap0[emulator]"'
    )
    return EXIT_FAILURE


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``leap0`` with ``argv`` (default: the process's arguments); return the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser()
        option_words = _OptionWords.of(parser)
        rest = _emulator_args(words, option_words)
        if rest is not None:
            return _run_emulator(rest)
        head, remote_command = _split_remote_command(words, option_words)
        try:
            args = parser.parse_args(head)
        except SystemExit as exc:
            return _exit_status(exc.code)
        if args.group == "emulator":
            return _run_emulator(args.emulator_args)
        if remote_command is not None:
            args.remote_command = remote_command
        return _run(args)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
    except _cli_ssh.Terminated as exc:  # SIGQUIT/SIGTERM/SIGHUP in ssh connect, after clean-up
        return 128 + exc.signum
    except BrokenPipeError:
        _stdout_gone()


if __name__ == "__main__":
    raise SystemExit(main())
