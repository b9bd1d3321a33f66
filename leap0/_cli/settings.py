"""Where each setting of a command comes from: a flag, the environment, the profile file, a default.

One setting at a time, in that order: ``--api-key``, else ``LEAP0_API_KEY``,
else the profile's ``api_key`` (none: the command cannot talk to the
service); the same for ``--base-url``/``LEAP0_BASE_URL``/``base_url`` (else
the service's URL) and ``--ssh-api``/``LEAP0_SSH_API``/``ssh_api`` (else
auto). The environment and flags win over the file. The profile is
``--profile``, else ``LEAP0_PROFILE``, else ``default``; the file
(``profiles.py``) is read only when a flag or a variable leaves a setting
open. The SDK does not read the file: the values settled here are passed to
the client as arguments.
"""

from __future__ import annotations

import os

from .._constants import API_KEY_ENV, BASE_URL_ENV, SSH_API_ENV, SSH_APIS
from . import report
from .output import PROG, clean
from .spec import DEFAULT_PROFILE, PROFILE_ENV

TYPE_CHECKING = False  # typing is not imported at run time: --help stays light
if TYPE_CHECKING:
    import argparse

    from .._ssh_api import SshApi

__all__ = ["Resolved", "Setting", "mask", "resolve"]

FLAG, ENVIRONMENT, PROFILE, DEFAULT = "flag", "environment", "profile", "default"


class Setting:
    """A setting's ``value`` (``None``: not set), its ``source`` and the ``name`` it was given by.

    ``source`` is ``flag``, ``environment``, ``profile``, ``default`` or
    ``None`` (not set); ``name`` the flag or variable (``--api-key``,
    ``LEAP0_API_KEY``), or the profile file's path.
    """

    __slots__ = ("name", "source", "value")

    def __init__(self, value: str | None, source: str | None, name: str | None = None) -> None:
        self.value, self.source, self.name = value, source, name

    def where(self) -> str:
        """Where it comes from, in words: ``flag --api-key``, ``profile file``, ``default``, ..."""
        if self.source in (FLAG, ENVIRONMENT):
            return f"{self.source} {self.name}"
        if self.source == PROFILE:
            return "profile file"
        return self.source or "-"


class Resolved:
    """The command's profile and its settings, each with where it comes from."""

    def __init__(
        self, profile: Setting, settings: dict[str, Setting], path: str, stored: bool
    ) -> None:
        self.profile = profile
        self.api_key, self.base_url, self.ssh_api = (
            settings["api_key"],
            settings["base_url"],
            settings["ssh_api"],
        )
        self.path = path
        self.stored = stored
        """Whether the profile is in the file (``False`` too when the file was not read)."""

    def no_api_key(self) -> str:
        """Why there is no key, and how to give one."""
        name = clean(self.profile.value)
        if self.profile.source in (FLAG, ENVIRONMENT) and not self.stored:
            return (
                f"no API key: profile '{name}' ({self.profile.where()}) is not in "
                f"{clean(self.path)} "
                f"('{PROG} auth login --profile {name}' adds it), and {API_KEY_ENV} is not set"
            )
        return (
            f"no API key: set {API_KEY_ENV}, pass --api-key, or store one with '{PROG} auth login'"
        )

    def checked_ssh_api(self) -> SshApi:
        """The SSH routes; a bad ``LEAP0_SSH_API`` or profile value is a setup problem."""
        from .._ssh_api import resolve_ssh_api

        setting = self.ssh_api
        if setting.source == ENVIRONMENT:
            try:
                return resolve_ssh_api(None, env=True)
            except ValueError as exc:
                raise report.Problem(str(exc), code="config") from None
        if setting.value is None or setting.value in SSH_APIS:  # a flag's is one of them
            return resolve_ssh_api(setting.value)
        raise report.Problem(
            f"ssh_api of profile '{clean(self.profile.value)}' in {clean(self.path)} must be "
            f"{', '.join(SSH_APIS)}; got {clean(setting.value)!r} ('{PROG} auth login "
            "--ssh-api S' replaces it)",
            code="config",
        )


def _given(flag_value: str | None, flag: str, variable: str) -> Setting | None:
    if flag_value is not None:
        return Setting(flag_value, FLAG, flag)
    from_env = os.environ.get(variable)
    return Setting(from_env, ENVIRONMENT, variable) if from_env else None


def _profile(args: argparse.Namespace) -> Setting:
    if args.profile is not None:  # checked as it was parsed (values.profile_name)
        return Setting(args.profile, FLAG, "--profile")
    name = os.environ.get(PROFILE_ENV)
    if not name:
        return Setting(DEFAULT_PROFILE, DEFAULT)
    from .profiles import name_problem

    problem = name_problem(name)
    if problem is not None:
        raise report.Problem(f"{PROFILE_ENV}: {problem}", code="config")
    return Setting(name, ENVIRONMENT, PROFILE_ENV)


def resolve(args: argparse.Namespace) -> Resolved:
    """The settings of this command line; :class:`report.Problem` (exit 2) if the file is unsafe."""
    from . import profiles

    profile = _profile(args)
    given = {
        "api_key": _given(args.api_key, "--api-key", API_KEY_ENV),
        "base_url": _given(args.base_url, "--base-url", BASE_URL_ENV),
        "ssh_api": _given(args.ssh_api, "--ssh-api", SSH_API_ENV),
    }
    path = profiles.config_path()
    stored: dict[str, str] | None = None
    if any(setting is None for setting in given.values()):
        try:
            stored = profiles.read().get(str(profile.value))
        except profiles.ProfileError as exc:
            raise report.Problem(str(exc), code="config") from None
    settings: dict[str, Setting] = {}
    for key, setting in given.items():
        if setting is None and stored is not None and stored.get(key):
            setting = Setting(stored[key], PROFILE, path)
        settings[key] = setting or Setting(None, DEFAULT if key != "api_key" else None)
    return Resolved(profile, settings, path, stored is not None)


def mask(key: str) -> str:
    """An API key as ``****`` and, for a long one, its last four characters: never the key."""
    return "****" + (key[-4:] if len(key) >= 16 else "")
