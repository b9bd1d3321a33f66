"""Every ``leap0`` command and option, declared once: the table.

The parser (``parser.py``), the completion scripts (``completion.py``) and the
run (``entry.py``) are all built from :data:`COMMANDS` and :data:`GLOBALS`.
An option is one :func:`~.spec.opt` line in its command; its handler reads it
from ``args``. Handlers are named ``"module:function"`` and imported only to
run, so ``--help`` and completion load none of the SDK's dependencies.
"""

from __future__ import annotations

import argparse

from . import values
from .spec import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    DEFAULT_TEMPLATE,
    LIST_ORDERS,
    LIST_SORT_FIELDS,
    LIST_STATES,
    SSH_API_ENV,
    SSH_APIS,
    Command,
    opt,
)

__all__ = ["COMMANDS", "FORMATS", "GLOBALS", "SHELLS"]

FORMATS = ("table", "json", "id")
SHELLS = ("bash", "zsh", "fish")

GLOBALS = (
    opt("--format", "output: table (default), json or id", choices=FORMATS, default="table"),
    opt("--json", "the same as --format json", action="store_const", dest="format", const="json"),
    opt("--no-header", "tables without their header line", action="store_true", default=False),
    opt("--api-key KEY", f"API key (default: ${API_KEY_ENV})"),
    opt("--base-url URL", f"API base URL (default: ${BASE_URL_ENV}, else {DEFAULT_BASE_URL})"),
    opt(
        "--ssh-api",
        "the service's SSH routes: single (one credential per sandbox) or per-credential "
        "(several; ssh regen and ssh delete then need --access-id); "
        f"default: ${SSH_API_ENV}, else single",
        choices=SSH_APIS,
    ),
    opt(
        "--request-timeout S", "seconds an HTTP request may take (default: 30)", type=values.seconds
    ),
    opt("--max-retries N", "retries of a failed request (default: 2)", type=values.retries),
)

SANDBOX_ID = opt("id ID", "sandbox id", type=values.sandbox_id, complete="sandbox")
SANDBOX_IDS = opt("ids ID", "sandbox ids", nargs="+", type=values.sandbox_id, complete="sandbox")
ACCESS_ID = opt(
    "--access-id ACCESS_ID",
    "the credential: the id ssh create printed (required with --ssh-api per-credential)",
    type=values.access_id,
)
SSH_OPTION = opt(
    "--ssh-option OPT",
    "pass -o OPT to ssh (repeatable; these win over leap0's own)",
    type=values.ssh_option,
    action="append",
    default=[],
)
KEEP = opt(
    "--keep",
    "keep the credential afterwards: print it first, as ssh create does (the password "
    "once), instead of revoking it at the end",
    action="store_true",
)

SANDBOX_CREATE = Command(
    "create",
    "create a sandbox",
    "Create a sandbox; unset options take the service's defaults. With --wait, wait "
    "until it is running (a spinner on a terminal) and show it then.",
    "sandbox:create",
    (
        opt(
            "--template NAME",
            f"template to start from (default: {DEFAULT_TEMPLATE})",
            type=values.text,
        ),
        opt("--vcpu N", "virtual CPUs, 1 to 8", type=values.create_setting("vcpu")),
        opt(
            "--memory MiB", "memory in MiB, even, 512 to 8192", type=values.create_setting("memory")
        ),
        opt(
            "--timeout S", "lifetime in seconds, 1 to 28800", type=values.create_setting("timeout")
        ),
        opt(
            "--env KEY=VALUE",
            "environment variable set in the sandbox (repeatable)",
            type=values.env_pair,
            action="append",
        ),
        opt(
            "--auto-pause",
            "pause into a snapshot at the timeout instead of stopping",
            action=argparse.BooleanOptionalAction,
            default=None,
        ),
        opt("--wait", "wait until the sandbox is running", action="store_true"),
        opt(
            "--wait-timeout S",
            "give up waiting after S seconds (default: 300)",
            type=values.seconds,
            default=300.0,
        ),
    ),
    ids=True,
)

SANDBOX_LIST = Command(
    "list",
    "list sandboxes",
    "List one page of the organization's sandboxes.",
    "sandbox:list_page",
    (
        opt("--state", "only sandboxes in this state", choices=LIST_STATES),
        opt("--sort", "sort field", choices=LIST_SORT_FIELDS, default="created_at"),
        opt("--order", "sort order", choices=LIST_ORDERS, default="desc"),
        opt("--page N", "page, from 1", type=values.list_setting("page"), default=1),
        opt(
            "--page-size N",
            "sandboxes a page, 1 to 100",
            type=values.list_setting("page_size"),
            default=20,
        ),
    ),
    ids=True,
)

SANDBOX = Command(
    "sandbox",
    "create, show, list and delete sandboxes",
    "Create, show, list and delete sandboxes.",
    commands=(
        SANDBOX_CREATE,
        Command("get", "show a sandbox", "Show a sandbox.", "sandbox:get", (SANDBOX_ID,), ids=True),
        SANDBOX_LIST,
        Command(
            "delete",
            "delete sandboxes",
            "Delete each sandbox named (its SSH access is revoked with it). One that cannot "
            "be deleted is reported and the others are still deleted; the exit status is "
            "then 1.",
            "sandbox:delete",
            (SANDBOX_IDS,),
            ids=True,
        ),
    ),
)

SSH_CONNECT = Command(
    "connect",
    "open a shell or run a command in a sandbox with OpenSSH",
    "Connect with the OpenSSH client: an interactive shell, or COMMAND after '--' (exit "
    "status: the command's). Issues a credential for this session and hands its password "
    "to ssh through SSH_ASKPASS: it never appears on the command line or the terminal. "
    "When the session ends (whatever its exit status, also after Ctrl-C), the credential "
    "is revoked, unless --keep. With --ssh-api per-credential the sandbox's other "
    "credentials are left alone; with single, a sandbox that already has a credential gets "
    "a new password for it (the old one stops working), and that credential is the one "
    "revoked at the end. One COMMAND word is run by the remote shell as a command line, "
    "like ssh; several words are quoted, so they arrive as typed.",
    "session:connect",
    (SANDBOX_ID, SSH_OPTION, KEEP),
    epilog="examples:\n"
    "  leap0 ssh connect sbx-123\n"
    "  leap0 ssh connect sbx-123 -- sh -c 'exit 3'; echo $?   # 3\n"
    "  leap0 ssh connect sbx-123 -- 'cd /tmp && ls | wc -l'\n"
    "  leap0 ssh connect sbx-123 --keep    # prints the credential, keeps it\n",
    usage="leap0 ssh connect [-h] [--keep] [--ssh-option OPT] [global options] ID [-- COMMAND ...]",
)

SSH_CP = Command(
    "cp",
    "copy files to or from a sandbox with scp",
    "Copy SOURCE to DEST with OpenSSH's scp, one of them in the sandbox, written "
    "SANDBOX:PATH (a relative PATH starts at the sandbox's home directory). The credential "
    "is handled as by ssh connect: issued for the copy, its password given through "
    "SSH_ASKPASS, revoked at the end unless --keep. scp runs in SFTP mode (-s; OpenSSH 8.7 "
    "or newer), so no remote shell reads PATH: spaces, quotes or $ in it are plain "
    "characters; wildcards in a remote SOURCE are matched by SFTP. A local path with a ':' "
    "before any '/' reads as remote: write ./a:b.",
    "session:copy",
    (
        opt("source SOURCE", "LOCAL or SANDBOX:PATH", complete="file"),
        opt("dest DEST", "LOCAL or SANDBOX:PATH", complete="file"),
        opt("-r --recursive", "copy directories, recursively", action="store_true"),
        SSH_OPTION,
        KEEP,
    ),
    epilog="examples:\n"
    "  leap0 ssh cp notes.txt sbx-123:notes.txt      # upload\n"
    "  leap0 ssh cp sbx-123:/var/log/app.log .        # download\n"
    "  leap0 ssh cp -r sbx-123:results ./results      # a directory\n",
)

SSH = Command(
    "ssh",
    "manage SSH access to a sandbox, connect to it, copy files",
    "Manage a sandbox's SSH credentials, connect with OpenSSH and copy files with scp. With "
    "--ssh-api single (the default; the service's original routes) a sandbox holds one "
    "credential at a time: create fails with 409 while it has one, and regen and delete act "
    "on that one. With --ssh-api per-credential (the routes of the public OpenAPI "
    "description) each create issues another credential, and regen and delete act on the "
    "one --access-id names (required).",
    commands=(
        Command(
            "create",
            "issue an SSH credential (prints the password once)",
            "Issue an SSH credential for a sandbox. The password is printed on stdout and "
            "cannot be shown again; so is the credential's id, which validate (and, with "
            "--ssh-api per-credential, regen and delete) take as --access-id. With --ssh-api "
            "single, fails with 409 if the sandbox already has one (ssh regen gives it a new "
            "password); with per-credential, each create issues another one.",
            "access:create",
            (SANDBOX_ID,),
        ),
        Command(
            "validate",
            "check an SSH credential",
            "Check whether an access id and password are valid for a sandbox. The password is "
            "read from stdin (one line), never from the command line. Exits 0 whether or not "
            "it is valid: read 'valid'.",
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
            "password stops working (open sessions continue). With --ssh-api single, the "
            "sandbox's one credential; with per-credential, the one --access-id names.",
            "access:regen",
            (SANDBOX_ID, ACCESS_ID),
        ),
        Command(
            "delete",
            "revoke SSH access",
            "Revoke an SSH credential; the sessions logged in with it are closed. With "
            "--ssh-api single, the sandbox's one credential; with per-credential, the one "
            "--access-id names, and no other.",
            "access:delete",
            (SANDBOX_ID, ACCESS_ID),
        ),
        SSH_CONNECT,
        SSH_CP,
    ),
)

COMPLETION = Command(
    "completion",
    "print a shell completion script (bash, zsh or fish)",
    "Print the completion script for SHELL on stdout: commands, options, their values and, "
    "from the service, sandbox ids. Load it from your shell's start-up file.",
    "completion:main",
    (opt("shell SHELL", "bash, zsh or fish", choices=SHELLS),),
    epilog="examples:\n"
    '  eval "$(leap0 completion bash)"        # in ~/.bashrc\n'
    '  eval "$(leap0 completion zsh)"         # in ~/.zshrc, after compinit\n'
    "  leap0 completion fish > ~/.config/fish/completions/leap0.fish\n",
    client=False,
)

EMULATOR = Command(
    "emulator",
    "run a local Leap0 service (see leap0 emulator --help)",
    "Run a local Leap0 service; all arguments go to it.",
    "emulator:run",
    client=False,
)

COMMANDS: tuple[Command, ...] = (SANDBOX, SSH, COMPLETION, EMULATOR)
