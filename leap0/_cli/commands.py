"""Every ``leap0`` command and option, declared once: the table.

The parser (``parser.py``), the completion scripts (``completion.py``) and the
run (``entry.py``) are all built from :data:`COMMANDS` and :data:`GLOBALS`.
The groups are declared in ``sandbox_commands.py``, ``ssh_commands.py`` and
``auth_commands.py`` (``leap0 emulator`` in ``emulator_commands.py``), the
arguments they share in ``arguments.py``. An option is one
:func:`~.spec.opt` line in its command; its handler reads it from ``args``.
Handlers are named ``"module:function"`` and imported only to run, so
``--help`` and completion load none of the SDK's dependencies.
"""

from __future__ import annotations

from .._constants import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    LOG_ENV,
    SSH_API_ENV,
    SSH_APIS,
)
from . import values
from .auth_commands import AUTH
from .emulator_commands import EMULATOR
from .sandbox_commands import SANDBOX, SANDBOX_CREATE, SANDBOX_LIST
from .spec import DEFAULT_PROFILE, PROFILE_ENV, Command, opt
from .ssh_commands import SSH, SSH_CONNECT, SSH_CP

__all__ = [
    "AUTH",
    "COMMANDS",
    "EMULATOR",
    "FORMATS",
    "GLOBALS",
    "SANDBOX",
    "SANDBOX_CREATE",
    "SANDBOX_LIST",
    "SHELLS",
    "SSH",
    "SSH_CONNECT",
    "SSH_CP",
]

FORMATS = ("table", "json", "id")
SHELLS = ("bash", "zsh", "fish")

GLOBALS = (
    opt("--format", "output: table (default), json or id", choices=FORMATS, default="table"),
    opt("--json", "the same as --format json", action="store_const", dest="format", const="json"),
    opt("--no-header", "tables without their header line", action="store_true", default=False),
    opt("--api-key KEY", f"API key (default: ${API_KEY_ENV}, else the profile's)"),
    opt(
        "--base-url URL",
        f"API base URL (default: ${BASE_URL_ENV}, else the profile's, else {DEFAULT_BASE_URL})",
    ),
    opt(
        "--ssh-api",
        "the service's SSH routes: auto (find out), single (one credential per sandbox) or "
        "per-credential (several; ssh regen and ssh delete then need --access-id); "
        f"default: ${SSH_API_ENV}, else the profile's, else auto",
        choices=SSH_APIS,
    ),
    opt(
        "--profile NAME",
        f"the profile of the profile file to use (leap0 auth login stores one); default: "
        f"${PROFILE_ENV}, else {DEFAULT_PROFILE}",
        type=values.profile_name,
    ),
    opt(
        "--request-timeout S",
        "seconds an HTTP request may take (default: 30; at most 86400)",
        type=values.request_seconds,
    ),
    opt("--max-retries N", "retries of a failed request (default: 2)", type=values.retries),
    opt(
        "--debug",
        f"the SDK's debug log on stderr: each request, its status, retries (the same as "
        f"{LOG_ENV}=debug; never the API key)",
        action="store_true",
        default=False,
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

COMMANDS: tuple[Command, ...] = (SANDBOX, SSH, AUTH, COMPLETION, EMULATOR)
