"""``leap0 ssh create | validate | regen | delete``: a sandbox's SSH credentials."""

from __future__ import annotations

import getpass
import sys

from .._convert import converter
from .._ssh_api import SSH_API_ENV, SshApi
from ..errors import Leap0ConflictError
from ..models import SshAccess
from .entry import EXIT_OK, Session
from .output import PROG, clean, note, print_fields, print_json
from .report import Hinted, Problem

__all__ = ["create", "delete", "regen", "show_access", "validate"]

ACCESS_FIELDS: tuple[str, ...] = ("id", "sandbox_id", "password", "ssh_command")
ACCESS_FIELDS += ("expires_at", "created_at", "updated_at")


def show_access(access: SshAccess, session: Session) -> None:
    """The credential on stdout (the password once), and a reminder to save it."""
    data = converter.unstructure(access)
    if session.as_json:
        print_json(data)
    else:
        print_fields([(key, data[key]) for key in ACCESS_FIELDS])
    regen = f"{PROG} ssh regen {clean(access.sandbox_id)}"
    if session.ssh_api == "per-credential":
        regen += f" --access-id {clean(access.id)}"
    note(f"save the password now: it cannot be shown again ('{regen}' issues a new one)")


def _per_credential(session: Session) -> str:
    return f"{PROG} --ssh-api per-credential" if session.ssh_api == "per-credential" else PROG


def create(session: Session) -> int:
    args = session.args
    with session.client() as client:
        try:
            access = client.ssh.create_access(args.id)
        except Leap0ConflictError as exc:
            sbx = clean(args.id)
            if session.ssh_api == "per-credential":
                hint = (
                    "the service takes no more credentials for this sandbox: revoke one with "
                    f"'{_per_credential(session)} ssh delete {sbx} --access-id ACCESS_ID'"
                )
            else:
                hint = (
                    f"the sandbox already has one: '{PROG} ssh regen {sbx}' gives it a new "
                    f"password (printed once), '{PROG} ssh delete {sbx}' revokes it"
                )
            raise Hinted(exc, hint) from exc
        show_access(access, session)
    return EXIT_OK


def _require_access_id(session: Session, use: str) -> None:
    """Under per-credential, ``ssh regen``/``ssh delete`` must name the credential."""
    if session.ssh_api != "per-credential" or session.args.access_id is not None:
        return
    source = "--ssh-api per-credential" if session.args.ssh_api else f"{SSH_API_ENV}=per-credential"
    raise Problem(
        f"--access-id is required with {source}: this service keeps several SSH "
        f"credentials per sandbox, so name the one to {use} with --access-id ACCESS_ID "
        f"(the id '{PROG} ssh create' printed)"
    )


def regen(session: Session) -> int:
    args = session.args
    _require_access_id(session, "replace")
    with session.client() as client:
        access = client.ssh.regenerate_access(args.id, access_id=args.access_id)
        show_access(access, session)
    if args.access_id is not None and access.id != args.access_id:
        # Only under "single", whose route takes no id: the sandbox's one credential changed.
        note(
            f"the credential replaced is {clean(access.id)}, the sandbox's one, not "
            f"{clean(args.access_id)}: the single SSH routes take no --access-id"
        )
    return EXIT_OK


def delete(session: Session) -> int:
    args = session.args
    _require_access_id(session, "revoke")
    ssh_api: SshApi = session.ssh_api
    with session.client() as client:
        client.ssh.delete_access(args.id, access_id=args.access_id)
    named = args.access_id is not None and ssh_api == "per-credential"
    sbx = clean(args.id)
    if session.as_json:
        document: dict[str, object] = {"deleted": True, "sandbox_id": args.id}
        if named:
            document["access_id"] = args.access_id
        print_json(document)
    elif named:
        print(f"revoked SSH credential {clean(args.access_id)} of sandbox {sbx}")
    elif args.access_id is not None:
        # The single routes cannot say which credential that was: do not claim it.
        print(
            f"revoked SSH access to sandbox {sbx} (its one credential: "
            "the single SSH routes take no --access-id)"
        )
    else:
        print(f"revoked SSH access to sandbox {sbx}")
    return EXIT_OK


def _read_password() -> str:
    """The password from stdin: one line without its line ending (a silent prompt on a tty)."""
    stdin = sys.stdin
    if stdin is None:
        raise Problem("--password-stdin: no standard input")
    try:
        interactive = stdin.isatty()
    except (AttributeError, ValueError):
        interactive = False
    try:
        if interactive:
            password = getpass.getpass("SSH password: ")
        else:
            line = stdin.readline()
            password = line[:-1] if line.endswith("\n") else line
            password = password[:-1] if password.endswith("\r") else password
        password.encode("utf-8")
    except UnicodeError:
        raise Problem("--password-stdin: the password is not valid UTF-8 text") from None
    if not password:
        raise Problem("--password-stdin: no password on standard input")
    return password


def validate(session: Session) -> int:
    args = session.args
    password = _read_password()
    with session.client() as client:
        result = client.ssh.validate_access(args.id, access_id=args.access_id, password=password)
    if session.as_json:
        print_json(converter.unstructure(result))
    else:
        print_fields([("valid", result.valid), ("sandbox_id", result.sandbox_id)])
    return EXIT_OK
