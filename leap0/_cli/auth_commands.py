"""The ``leap0 auth ...`` part of the command table (see ``commands.py``)."""

from __future__ import annotations

from .._constants import API_KEY_ENV, BASE_URL_ENV, SSH_API_ENV
from .spec import PROFILE_ENV, Command

__all__ = ["AUTH"]

_FILE = (
    "The profile file is $XDG_CONFIG_HOME/leap0/config.json (~/.config/leap0/config.json "
    "without XDG_CONFIG_HOME), mode 0600 in a directory of mode 0700; the profile is "
    f"--profile, else ${PROFILE_ENV}, else 'default'. The environment and flags win over the "
    f"file (--api-key, ${API_KEY_ENV}, --base-url, ${BASE_URL_ENV}, --ssh-api, "
    f"${SSH_API_ENV}). Only the leap0 command reads the file: the SDK does not."
)

AUTH = Command(
    "auth",
    "store an API key in a profile, show where the settings come from, remove it",
    "Keep API keys, each with its base URL and SSH routes, in profiles, so that leap0 "
    "needs no environment variable. " + _FILE,
    commands=(
        Command(
            "login",
            "check an API key against the service and store it in a profile",
            "Read an API key from a prompt that does not echo it (or from standard input, one "
            "line, when that is not a terminal), check it against the service (one request "
            "listing sandboxes) and store it in the profile, with the --base-url and --ssh-api "
            "it was checked with when given (as flags or in the environment). A key the service "
            "refuses is not stored (exit 1). " + _FILE,
            "auth:login",
            epilog="examples:\n"
            "  leap0 auth login\n"
            "  printf '%s\\n' \"$KEY\" | leap0 auth login --profile work --base-url URL\n",
        ),
        Command(
            "status",
            "show the API key (masked) and where each setting comes from",
            "Show the profile, the API key (masked: never the key), the base URL and the SSH "
            "routes this command line would use, and where each comes from: a flag, the "
            "environment, the profile file or the default. Sends nothing. Exit status 0 when "
            "there is an API key, 1 when there is none. " + _FILE,
            "auth:status",
            client=False,
        ),
        Command(
            "logout",
            "remove a profile from the profile file",
            "Remove the profile (the file itself once it holds none). The key stays valid at "
            "the service; an API key in the environment is not affected. " + _FILE,
            "auth:logout",
            client=False,
        ),
    ),
)
