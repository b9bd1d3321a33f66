"""The ``leap0 emulator`` part of the command table (see ``commands.py``).

The emulator's options are its own, declared once, in
``leap0.emulator._cli.add_arguments``: the parser adds them to ``leap0
emulator`` when that is the command (``Command.arguments``), with the global
options whose names they leave free (``--format``, ``--json``, ...; its
``--api-key``, ``--ssh-api`` and ``--request-timeout`` are the emulator's).
Importing the emulator costs more than the rest of the command line together
(asyncio), so ``--help`` and the completion scripts do not: completion
reads the words below instead, each option's name, whether it takes a value
and its choices, which ``tests/cli/test_emulator.py`` keeps the same as the
emulator's.
"""

from __future__ import annotations

from .spec import Command, opt

__all__ = ["EMULATOR", "EMULATOR_ISOLATIONS", "EMULATOR_SSH_APIS"]

EMULATOR_SSH_APIS = ("both", "single", "per-credential")  # leap0.emulator.SSH_API_MODES
EMULATOR_ISOLATIONS = ("auto", "required", "off")  # leap0.emulator._settings.ISOLATION_MODES

# For completion only (see above); the emulator's own help says what each does.
_WORDS = (
    opt("--host HOST", ""),
    opt("--api-port PORT", ""),
    opt("--ssh-port PORT", ""),
    opt("--api-key KEY", ""),
    opt("--ssh-lifetime SECONDS", ""),
    opt("--max-sandboxes N", ""),
    opt("--ssh-api", "", choices=EMULATOR_SSH_APIS),
    opt("--request-timeout SECONDS", ""),
    opt("--start-delay SECONDS", ""),
    opt("--stop-delay SECONDS", ""),
    opt("--max-unauthenticated N", ""),
    opt("--isolation", "", choices=EMULATOR_ISOLATIONS),
    opt("--allow-remote", "", action="store_true"),
    opt("--log-level", "", choices=("debug", "info", "warning", "error")),
)

EMULATOR = Command(
    "emulator",
    "run a local Leap0 service (see leap0 emulator --help)",
    "Run a local Leap0 service.",
    "emulator:run",
    _WORDS,
    arguments="emulator:add_arguments",
    client=False,
)
