"""``leap0 ssh connect`` and ``ssh cp``: a credential for one session of ``ssh`` or ``scp``.

Both issue a credential (under ``single``, a sandbox that has one gets a new
password for it instead), hand its password over through ``SSH_ASKPASS``
(``openssh.py``), run the program built only from the checked user, host and
port, and revoke the credential at the end, whatever happened, unless
``--keep`` (then it is printed first, as ``ssh create`` does). SIGQUIT,
SIGTERM and SIGHUP are taken over meanwhile, so the revoke still runs.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable

from .._sync.client import Leap0Client
from ..errors import Leap0ConflictError, Leap0Error
from ..models import SshAccess
from . import openssh, report
from .access import show_access
from .entry import EXIT_FAILURE, Session
from .output import PROG, clean, note
from .scp import build_scp_argv, parse_copy

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


def connect(session: Session) -> int:
    args = session.args
    ssh = _program("ssh")
    try:
        tty = sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        tty = False

    def build(access: SshAccess, program: str) -> list[str]:
        command = args.remote_command
        return openssh.build_ssh_argv(access, command, args.ssh_option, ssh=program, tty=tty)

    return _with_credential(session, ssh, build)


def copy(session: Session) -> int:
    args = session.args
    try:
        plan = parse_copy(args.source, args.dest)
    except ValueError as exc:
        raise report.Problem(str(exc)) from None
    args.id = plan.sandbox  # what the credential is for, and the label's id
    scp = _program("scp")

    def build(access: SshAccess, program: str) -> list[str]:
        recursive = args.recursive
        return build_scp_argv(access, plan, args.ssh_option, scp=program, recursive=recursive)

    return _with_credential(session, scp, build)


def _with_credential(session: Session, program: str, build: Build) -> int:
    args = session.args
    # SIGQUIT/SIGTERM/SIGHUP from here on raise, so the credential is revoked on the way out.
    with openssh.termination_raises(), session.client() as client:
        access = _issue(client, session)
        kept = False
        try:
            if args.keep:
                show_access(access, session)
                kept = True  # printed: from here on it is the user's to keep
            # Only the checked user, host and port reach the program; an answer
            # that does not read is a Leap0ResponseError (the credential is revoked).
            argv = build(access, program)
            sys.stdout.flush()
            sys.stderr.flush()
            with openssh.askpass_script(access.password) as script:
                try:
                    return openssh.run_ssh(argv, openssh.askpass_env(os.environ, script))
                except OSError as exc:
                    note(f"{_label(session)}: could not run {program}: {clean(exc)}")
                    return EXIT_FAILURE
        finally:
            if not kept:
                _revoke(client, session, access)


def _label(session: Session) -> str:
    return f"{session.label} {clean(session.args.id)}"


def _issue(client: Leap0Client, session: Session) -> SshAccess:
    """A credential for this session (per-credential: always a new one of its own)."""
    args = session.args
    if session.ssh_api == "per-credential":
        return client.ssh.create_access(args.id)
    try:
        return client.ssh.create_access(args.id)
    except Leap0ConflictError:
        access = client.ssh.regenerate_access(args.id)
    after = "" if args.keep else "; it is revoked when the session ends (--keep keeps it)"
    note(
        f"sandbox {clean(args.id)} already had SSH access: issued a new password for "
        f"its credential {clean(access.id)} (the previous one no longer works){after}"
    )
    return access


def _revoke(client: Leap0Client, session: Session, access: SshAccess) -> None:
    """Revoke the credential issued for the session; a failure is one line on stderr."""
    args = session.args
    flag = " --ssh-api per-credential" if session.ssh_api == "per-credential" else ""
    by_hand = f"{PROG}{flag} ssh delete {clean(args.id)} --access-id {clean(access.id)}"
    what = f"{_label(session)}: SSH credential {clean(access.id)}"
    try:
        client.ssh.delete_access(args.id, access_id=access.id)
    except Leap0Error as exc:
        note(f"{what} was not revoked: {clean(exc)}; revoke it with '{by_hand}'")
    except ValueError as exc:  # the service's access id is not one the SDK puts in a path
        note(f"{what} was not revoked: {clean(exc)}")
    except (KeyboardInterrupt, openssh.Terminated):
        note(f"{what} was not revoked (interrupted); revoke it with '{by_hand}'")
        raise
