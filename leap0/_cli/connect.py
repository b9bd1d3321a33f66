"""``leap0 ssh connect`` and ``ssh cp``: a credential for one session of ``ssh`` or ``scp``.

Both check first where the password helper may go (``askpass.py``: an
unsafe temporary directory is a setup problem, exit 2, before any request),
then that the sandbox is running (``ready.py``: no credential for one that
is not; a starting one is waited for). They start a watchdog
(``watchdog.py``: it revokes the credential if leap0 is killed), issue a
credential (``credential.py``: on the single routes, a sandbox that has one
gets a new password for it instead, said first), hand its password over
through ``SSH_ASKPASS`` (``askpass.py``, once), run the program built only
from the checked user, host and port (``openssh.py``, ``scp.py``), and revoke
the credential at the end, whatever happened, unless ``--keep`` (then it is
printed first, as ``ssh create`` does; if that fails, it is revoked:
``unshown.py``). SIGQUIT, SIGTERM and SIGHUP are taken over meanwhile, so the
revoke still runs. If the revoke fails, the exit status is
``EXIT_CREDENTIAL_LEFT``, not the program's.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..models import SshAccess
from . import askpass, credential, openssh, report
from .access import show_access
from .context import EXIT_CREDENTIAL_LEFT, EXIT_FAILURE, Context
from .output import clean, note
from .ready import running_sandbox
from .scp import build_scp_argv, parse_copy
from .unshown import revoke_unless_shown
from .watchdog import Settings, Watchdog

if TYPE_CHECKING:
    from .._sync.client import Leap0Client

__all__ = ["connect", "copy"]

Build = Callable[[SshAccess, str], list[str]]


def _program(name: str) -> str:
    """The path of ``ssh`` or ``scp``; a setup problem (exit 2) when it cannot run here."""
    if not openssh.SUPPORTED:
        raise report.Problem(
            "not supported on this system yet (it needs a POSIX shell for the password helper)",
            code="unsupported",
        )
    found = shutil.which(name)
    if found is None:
        raise report.Problem(
            f"the OpenSSH client '{name}' is not on PATH; install it "
            "(e.g. the openssh-client package) and try again",
            code="missing",
        )
    return found


def connect(ctx: Context) -> int:
    args = ctx.args
    ssh = _program("ssh")
    try:
        tty = sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        tty = False

    def build(access: SshAccess, program: str) -> list[str]:
        command = args.remote_command
        return openssh.build_ssh_argv(access, command, args.ssh_option, ssh=program, tty=tty)

    return _with_credential(ctx, ssh, build)


def copy(ctx: Context) -> int:
    args = ctx.args
    try:
        plan = parse_copy(args.source, args.dest)
    except ValueError as exc:
        raise report.Problem(str(exc)) from None
    args.id = plan.sandbox  # what the credential is for, and the label's id
    scp = _program("scp")

    def build(access: SshAccess, program: str) -> list[str]:
        recursive = args.recursive
        return build_scp_argv(access, plan, args.ssh_option, scp=program, recursive=recursive)

    return _with_credential(ctx, scp, build)


def _with_credential(ctx: Context, program: str, build: Build) -> int:
    parent = _askpass_parent()  # nothing is sent before this is known
    # SIGQUIT/SIGTERM/SIGHUP from here on raise, so the credential is revoked on the way out.
    with openssh.termination_raises(), ctx.client() as client:
        running_sandbox(client, ctx)  # not running: an error, and no credential issued
        dog = _watchdog(ctx)
        try:
            return _session(ctx, client, program, build, parent, dog)
        finally:
            if dog is not None:
                dog.done()  # after leap0's own revoke, whatever came of it


def _session(
    ctx: Context,
    client: Leap0Client,
    program: str,
    build: Build,
    parent: str,
    dog: Watchdog | None,
) -> int:
    args = ctx.args
    access = credential.issue(client, ctx)
    if dog is not None and not args.keep:  # kept: the credential is the user's, not its
        how = credential.how_to_revoke(ctx, access)
        dog.guard(args.id, access.id, ctx.revision(client) or ctx.ssh_api, how)
    settled = False  # printed and kept (--keep), or revoked because it could not be printed
    try:
        if args.keep:
            try:
                with revoke_unless_shown(client, ctx, access):
                    show_access(access, ctx, ctx.revision(client))
            finally:
                settled = True
        status = _run(ctx, program, build, access, parent, dog)
    except BaseException:
        if not settled:
            credential.revoke(client, ctx, access, None)
        raise
    if args.keep or credential.revoke(client, ctx, access, status):
        return status
    return EXIT_CREDENTIAL_LEFT  # never "success" with a credential left behind


def _askpass_parent() -> str:
    """Where the askpass directory goes; a setup problem (exit 2) if nowhere is safe."""
    try:
        return askpass.private_parent()
    except askpass.UnsafeDirectory as exc:
        raise report.Problem(str(exc), code="unsafe_directory") from None


def _watchdog(ctx: Context) -> Watchdog | None:
    """A watchdog for this session's credential, or ``None`` (said) if it cannot start."""
    from .._config import DEFAULT_MAX_RETRIES

    args = ctx.args
    settings = Settings(
        api_key=ctx.settings.api_key.value or "",  # the client's: flag, environment or profile
        base_url=ctx.base_url or args.base_url,
        timeout=args.request_timeout,
        max_retries=DEFAULT_MAX_RETRIES if args.max_retries is None else args.max_retries,
        label=ctx.label,
    )
    try:
        return Watchdog.start(settings)
    except OSError as exc:
        note(
            f"{ctx.label} {clean(args.id)}: no watchdog ({clean(exc)}): if leap0 is "
            "killed (SIGKILL), the credential of this session stays valid until it expires"
        )
        return None


def _run(
    ctx: Context,
    program: str,
    build: Build,
    access: SshAccess,
    parent: str,
    dog: Watchdog | None,
) -> int:
    """Run ``ssh`` or ``scp`` with ``access``; its exit status."""
    # Only the checked user, host and port reach the program; an answer that
    # does not read is a Leap0ResponseError (the credential is revoked).
    argv = build(access, program)
    sys.stdout.flush()
    sys.stderr.flush()
    with openssh.askpass_script(access.password, parent) as script:
        if dog is not None:
            dog.directory(os.path.dirname(script))
        try:
            return openssh.run_ssh(argv, openssh.askpass_env(os.environ, script))
        except OSError as exc:
            label = f"{ctx.label} {clean(ctx.args.id)}"
            note(f"{label}: could not run {program}: {clean(exc)}")
            return EXIT_FAILURE
