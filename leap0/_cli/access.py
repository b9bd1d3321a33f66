"""``leap0 ssh create | validate | regen | delete``: a sandbox's SSH credentials.

``ssh create`` and ``ssh regen`` print the credential, its password once;
with ``--format id`` only its id, the password nowhere: the user asked for
the id (to pipe it, say), so the credential is kept, and a line on stderr
says that its password was not shown and how to give it one to see (``ssh
regen``). ``ssh validate`` exits 1 for a pair that is not valid.
``ssh delete --json`` prints the list ``results.py`` describes.
"""

from __future__ import annotations

import contextlib
import getpass
import sys
from typing import TYPE_CHECKING

from .._constants import SSH_API_ENV
from .._convert import converter
from .._ssh_api import Revision
from ..errors import Leap0AccessIdRequiredError, Leap0ConflictError, Leap0Error
from ..models import SshAccess
from .context import EXIT_FAILURE, EXIT_OK, Context
from .manual import MAYBE_DONE, may_be_issued, may_be_regenerated
from .output import PROG, clean, note, print_fields, print_ids, print_json
from .report import Hinted, Problem
from .results import outcome
from .states import advice
from .unshown import revoke_unless_shown

if TYPE_CHECKING:
    from .._sync.client import Leap0Client

__all__ = ["create", "delete", "no_more_credentials", "regen", "show_access", "validate"]

ACCESS_FIELDS: tuple[str, ...] = ("id", "sandbox_id", "password", "ssh_command")
ACCESS_FIELDS += ("expires_at", "created_at", "updated_at")


def show_access(access: SshAccess, ctx: Context, revision: Revision | None) -> None:
    """The credential on stdout (the password once), and a reminder to save it.

    ``revision``: the SSH routes in use, if known; the regen command names the
    credential unless they are the single ones (``--access-id`` works on both).
    With ``--format id``, only the id, and a note that the password was not shown.
    """
    regen = f"{PROG} ssh regen {clean(access.sandbox_id)}"
    if revision != "single":
        regen += f" --access-id {clean(access.id)}"
    if ctx.args.format == "id":
        print_ids([access.id])
        note(
            f"the password of {clean(access.id)} is not shown with --format id (only with "
            f"--format table or json); the credential is kept: '{regen}' gives it a new "
            "password, printed once"
        )
        return
    data = converter.unstructure(access)
    if ctx.as_json:
        print_json(data)
    else:
        print_fields([(key, data[key]) for key in ACCESS_FIELDS])
    note(f"save the password now: it cannot be shown again ('{regen}' issues a new one)")


def no_more_credentials(ctx: Context, sandbox_id: str) -> str:
    """What to say when the per-credential routes refuse another credential (409)."""
    prog = f"{PROG} --ssh-api per-credential" if ctx.args.ssh_api == "per-credential" else PROG
    return (
        "the service takes no more credentials for this sandbox: revoke one with "
        f"'{prog} ssh delete {clean(sandbox_id)} --access-id ACCESS_ID'"
    )


def _conflict_hint(client: Leap0Client, ctx: Context) -> str:
    """Why ``ssh create`` got a 409: the sandbox is not running, or takes no more."""
    sbx = clean(ctx.args.id)
    with contextlib.suppress(Leap0Error):
        state = client.sandboxes.get_info(ctx.args.id).state
        if state != "running":
            return advice(ctx.args.id, state)
    if ctx.revision(client) == "per-credential":
        return no_more_credentials(ctx, ctx.args.id)
    return (
        f"the sandbox already has one: '{PROG} ssh regen {sbx}' gives it a new "
        f"password (printed once), '{PROG} ssh delete {sbx}' revokes it"
    )


def create(ctx: Context) -> int:
    """Issue a credential and show it; one that cannot be shown is revoked (``unshown``)."""
    args = ctx.args
    with ctx.client() as client:
        try:
            access = client.ssh.create_access(args.id)
        except Leap0ConflictError as exc:
            raise Hinted(exc, _conflict_hint(client, ctx)) from exc
        except MAYBE_DONE as exc:
            raise Hinted(exc, may_be_issued(ctx, ctx.revision(client))) from exc
        with revoke_unless_shown(client, ctx, access):
            show_access(access, ctx, ctx.revision(client))
    return EXIT_OK


def _name_it(exc: Leap0AccessIdRequiredError, use: str) -> Hinted:
    """Auto found the per-credential routes, which need the credential named: say how."""
    hint = (
        f"this service serves the per-credential SSH routes: name the credential to {use} "
        f"with --access-id ACCESS_ID (the id '{PROG} ssh create' printed)"
    )
    return Hinted(exc, hint)


def _require_access_id(ctx: Context, use: str) -> None:
    """Under per-credential, ``ssh regen``/``ssh delete`` must name the credential."""
    if ctx.ssh_api != "per-credential" or ctx.args.access_id is not None:
        return
    setting = ctx.settings.ssh_api
    source = {
        "flag": "--ssh-api per-credential",
        "environment": f"{SSH_API_ENV}=per-credential",
    }.get(
        str(setting.source),
        f"ssh_api per-credential in profile '{clean(ctx.settings.profile.value)}'",
    )
    raise Problem(
        f"--access-id is required with {source}: this service keeps several SSH "
        f"credentials per sandbox, so name the one to {use} with --access-id ACCESS_ID "
        f"(the id '{PROG} ssh create' printed)"
    )


def regen(ctx: Context) -> int:
    """A new password for a credential, shown; one that cannot be shown is revoked."""
    args = ctx.args
    _require_access_id(ctx, "replace")
    with ctx.client() as client:
        try:
            access = client.ssh.regenerate_access(args.id, access_id=args.access_id)
        except Leap0AccessIdRequiredError as exc:
            raise _name_it(exc, "replace") from exc
        except MAYBE_DONE as exc:
            raise Hinted(exc, may_be_regenerated(ctx, args.access_id)) from exc
        with revoke_unless_shown(client, ctx, access):
            show_access(access, ctx, ctx.revision(client))
    if args.access_id is not None and access.id != args.access_id:
        # Only under "single", whose route takes no id: the sandbox's one credential changed.
        note(
            f"the credential replaced is {clean(access.id)}, the sandbox's one, not "
            f"{clean(args.access_id)}: the single SSH routes take no --access-id"
        )
    return EXIT_OK


def delete(ctx: Context) -> int:
    args = ctx.args
    _require_access_id(ctx, "revoke")
    with ctx.client() as client:
        try:
            client.ssh.delete_access(args.id, access_id=args.access_id)
        except Leap0Error as exc:
            if ctx.as_json:  # as sandbox delete: the list on stdout, the error on stderr
                print_json([outcome("ssh_access", args.access_id, args.id, "deleted", error=exc)])
            if isinstance(exc, Leap0AccessIdRequiredError):
                raise _name_it(exc, "revoke") from exc
            raise
        revision = ctx.revision(client)
    named = args.access_id is not None and revision != "single"
    sbx = clean(args.id)
    if ctx.as_json:  # the single routes cannot say which credential that was: no id then
        print_json([outcome("ssh_access", args.access_id if named else None, args.id, "deleted")])
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


def validate(ctx: Context) -> int:
    args = ctx.args
    password = _read_password()
    with ctx.client() as client:
        result = client.ssh.validate_access(args.id, access_id=args.access_id, password=password)
    if ctx.as_json:
        print_json(converter.unstructure(result))
    else:
        print_fields([("valid", result.valid), ("sandbox_id", result.sandbox_id)])
    return EXIT_OK if result.valid else EXIT_FAILURE
