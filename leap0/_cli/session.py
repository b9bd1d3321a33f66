"""``leap0 ssh connect`` and ``ssh cp``: a credential for one session of ``ssh`` or ``scp``.

Both check that the sandbox is running first (``ready.py``: no credential for
one that is not; a starting one is waited for), issue a credential
(``credential.py``: on the single routes, a sandbox that has one gets a new
password for it instead, said first), hand its password over through
``SSH_ASKPASS`` (``openssh.py``), run the program built only from the checked
user, host and port, and revoke the credential at the end, whatever happened,
unless ``--keep`` (then it is printed first, as ``ssh create`` does). SIGQUIT,
SIGTERM and SIGHUP are taken over meanwhile, so the revoke still runs. If the
revoke fails, the exit status is ``EXIT_CREDENTIAL_LEFT``, not the program's.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable

from ..models import SshAccess
from . import credential, openssh, report
from .access import show_access
from .entry import EXIT_CREDENTIAL_LEFT, EXIT_FAILURE, Session
from .output import clean, note
from .ready import running_sandbox
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
        running_sandbox(client, session)  # not running: an error, and no credential issued
        access = credential.issue(client, session)
        kept = False
        try:
            if args.keep:
                show_access(access, session, session.revision(client))
                kept = True  # printed: from here on it is the user's to keep
            status = _run(session, program, build, access)
        except BaseException:
            if not kept:
                credential.revoke(client, session, access, None)
            raise
        if kept or credential.revoke(client, session, access, status):
            return status
        return EXIT_CREDENTIAL_LEFT  # never "success" with a credential left behind


def _run(session: Session, program: str, build: Build, access: SshAccess) -> int:
    """Run ``ssh`` or ``scp`` with ``access``; its exit status."""
    # Only the checked user, host and port reach the program; an answer that
    # does not read is a Leap0ResponseError (the credential is revoked).
    argv = build(access, program)
    sys.stdout.flush()
    sys.stderr.flush()
    with openssh.askpass_script(access.password) as script:
        try:
            return openssh.run_ssh(argv, openssh.askpass_env(os.environ, script))
        except OSError as exc:
            label = f"{session.label} {clean(session.args.id)}"
            note(f"{label}: could not run {program}: {clean(exc)}")
            return EXIT_FAILURE
