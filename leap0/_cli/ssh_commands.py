"""The ``leap0 ssh ...`` part of the command table (see ``commands.py``)."""

from __future__ import annotations

from . import values
from .arguments import ACCESS_ID, KEEP, SANDBOX_ID, SSH_OPTION, WAIT_TIMEOUT
from .spec import Command, opt

__all__ = ["SSH", "SSH_CONNECT", "SSH_CP"]

# What ssh connect and ssh cp share: the state check, the credential, the exit status.
_SESSION = (
    "The sandbox must be running: a stopped or paused one is an error saying what to do "
    "(no credential is issued), and a starting one is waited for (at most --wait-timeout "
    "seconds). A credential is issued for the session and its password handed to {prog} "
    "through SSH_ASKPASS: it never appears on the command line or the terminal. When the "
    "session ends (whatever its exit status, also after Ctrl-C), the credential is revoked, "
    "unless --keep. If that fails, the exit status is 1 (not {prog}'s) and the error gives "
    "the command that revokes it. On the per-credential SSH routes the sandbox's other "
    "credentials are left alone; on the single routes, a sandbox that already has a "
    "credential gets a new password for it (said first: the old one stops working), and "
    "that credential is the one revoked at the end. The password helper reads the password "
    "once and removes it, so no password is on disk once {prog} has logged in; it is made in "
    "$XDG_RUNTIME_DIR when that is yours with mode 0700, else in TMPDIR, which is refused "
    "(exit status 2) when other users may write to it without the sticky bit. If leap0 itself "
    "is killed (SIGKILL), a watchdog process started with the session removes the helper and "
    "revokes the credential (unless --keep); what remains then is {prog}, until the service "
    "ends its session, and, if the watchdog is killed too, the credential until it expires "
    "(and the password file, if {prog} had not read it yet). Nothing is "
    "forwarded to the sandbox's host (ForwardAgent=no, ForwardX11=no, "
    "ClearAllForwardings=yes) unless --ssh-option sets that option."
)

SSH_CONNECT = Command(
    "connect",
    "open a shell or run a command in a sandbox with OpenSSH",
    "Connect with the OpenSSH client: an interactive shell, or COMMAND after '--' (exit "
    "status: the command's, but see below). "
    + _SESSION.format(prog="ssh")
    + " One COMMAND word is run by the remote shell as a command line, like ssh; several "
    "words are quoted, so they arrive as typed.",
    "connect:connect",
    (SANDBOX_ID, SSH_OPTION, KEEP, WAIT_TIMEOUT),
    epilog="examples:\n"
    "  leap0 ssh connect sbx-123\n"
    "  leap0 ssh connect sbx-123 -- sh -c 'exit 3'; echo $?   # 3\n"
    "  leap0 ssh connect sbx-123 -- 'cd /tmp && ls | wc -l'\n"
    "  leap0 ssh connect sbx-123 --keep    # prints the credential, keeps it\n"
    "  leap0 ssh connect -- sbx-123 -- id  # the ID after '--': never read as an option\n"
    "\n"
    "exit status:\n"
    "  the remote command's (ssh's own, 255, when ssh fails); 1 when the sandbox is\n"
    "  not running, or when the credential issued for the session could not be\n"
    "  revoked (the error gives the command that revokes it)\n",
    usage="leap0 ssh connect [-h] [--keep] [--ssh-option OPT] [--wait-timeout S] "
    "[global options] {ID | -- ID} [-- COMMAND ...]",
)

SSH_CP = Command(
    "cp",
    "copy files to or from a sandbox with scp",
    "Copy SOURCE to DEST with OpenSSH's scp, one of them in the sandbox, written "
    "SANDBOX:PATH (a relative PATH starts at the sandbox's home directory). "
    + _SESSION.format(prog="scp")
    + " scp runs in SFTP mode (-s; OpenSSH 8.7 or newer), so no remote shell reads PATH: "
    "spaces, quotes or $ in it are plain characters; wildcards in a remote SOURCE are "
    "matched by SFTP. A local path with a ':' before any '/' reads as remote: write ./a:b.",
    "connect:copy",
    (
        opt("source SOURCE", "LOCAL or SANDBOX:PATH", complete="file"),
        opt("dest DEST", "LOCAL or SANDBOX:PATH", complete="file"),
        opt("-r --recursive", "copy directories, recursively", action="store_true"),
        SSH_OPTION,
        KEEP,
        WAIT_TIMEOUT,
    ),
    epilog="examples:\n"
    "  leap0 ssh cp notes.txt sbx-123:notes.txt      # upload\n"
    "  leap0 ssh cp sbx-123:/var/log/app.log .        # download\n"
    "  leap0 ssh cp -r sbx-123:results ./results      # a directory\n"
    "\n"
    "exit status:\n"
    "  scp's; 1 when the sandbox is not running, or when the credential issued for\n"
    "  the copy could not be revoked (the error gives the command that revokes it)\n",
)

_ROUTES = (
    "Manage a sandbox's SSH credentials, connect with OpenSSH and copy files with scp. The "
    "service serves one of two revisions of the SSH routes; --ssh-api auto (the default) "
    "finds out which. With single (the service's original routes) a sandbox holds one "
    "credential at a time: create fails with 409 while it has one, and regen and delete act "
    "on that one. With per-credential (the routes of the public OpenAPI description) each "
    "create issues another credential, and regen and delete act on the one --access-id "
    "names (required)."
)

_ID_ONLY = (
    "With --format id only the credential's id is printed, and the password nowhere (a line "
    "on stderr says so): the credential is kept, and 'ssh regen' gives it a password to see."
)

SSH = Command(
    "ssh",
    "manage SSH access to a sandbox, connect to it, copy files",
    _ROUTES,
    commands=(
        Command(
            "create",
            "issue an SSH credential (prints the password once)",
            "Issue an SSH credential for a sandbox (it must be running). The password is "
            "printed on stdout and cannot be shown again; so is the credential's id, which "
            "validate, regen and delete take as --access-id. On the single SSH routes, fails "
            "with 409 if the sandbox already has one (ssh regen gives it a new password); on "
            "per-credential, each create issues another one. " + _ID_ONLY,
            "access:create",
            (SANDBOX_ID,),
            ids=True,
        ),
        Command(
            "validate",
            "check an SSH credential",
            "Check whether an access id and password are valid for a sandbox. The password is "
            "read from stdin (one line), never from the command line. Exit status 0 when the "
            "pair is valid, 1 when it is not (what the service answered is printed either "
            "way).",
            "access:validate",
            (
                SANDBOX_ID,
                opt(
                    "--access-id ACCESS_ID",
                    "the SSH user name",
                    type=values.access_id,
                    required=True,
                ),
                opt(
                    "--password-stdin",
                    "read the password from stdin (a prompt without echo on a terminal)",
                    action="store_true",
                    required=True,
                ),
            ),
        ),
        Command(
            "regen",
            "replace an SSH credential's password (prints the new one once)",
            "Give an SSH credential a new password and expiry (it keeps its id); the old "
            "password stops working (open sessions continue). On the single SSH routes, the "
            "sandbox's one credential; on per-credential, the one --access-id names. " + _ID_ONLY,
            "access:regen",
            (SANDBOX_ID, ACCESS_ID),
            ids=True,
        ),
        Command(
            "delete",
            "revoke SSH access",
            "Revoke an SSH credential; the sessions logged in with it are closed. On the "
            "single SSH routes, the sandbox's one credential; on per-credential, the one "
            "--access-id names, and no other. With --json: a list of one "
            '{"kind": "ssh_access", "id", "sandbox_id", "deleted"}, as sandbox delete gives.',
            "access:delete",
            (SANDBOX_ID, ACCESS_ID),
        ),
        SSH_CONNECT,
        SSH_CP,
    ),
)
