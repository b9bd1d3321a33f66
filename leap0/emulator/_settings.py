"""The emulator's settings: one frozen value with its defaults and its checks.

Every place that takes a setting (``serve()``/:class:`~leap0.emulator.Emulator`,
``configure()``, ``POST /_emulator/config``, ``leap0 emulator``, the state)
goes through :class:`Settings`, so each default and each check is written here
only.
Pure Python, no web or SSH imports.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from ._errors import Invalid

__all__ = [
    "ISOLATION_MODES",
    "MAX_CLOCK_OFFSET",
    "MAX_COUNTED_ROUTES",
    "MAX_CREDENTIALS_PER_SANDBOX",
    "MAX_FAULT_BYTES",
    "MAX_PENDING_FAULTS",
    "MAX_REQUEST_TIMEOUT",
    "MAX_SSH_LIFETIME",
    "MAX_START_DELAY",
    "MAX_STOP_DELAY",
    "MAX_TEMPLATES",
    "MAX_TEMPLATE_NAME",
    "MAX_UNAUTHENTICATED",
    "MIN_REQUEST_TIMEOUT",
    "MIN_UNAUTHENTICATED",
    "SSH_API_MODES",
    "TEMPLATES",
    "Isolation",
    "IsolationInForce",
    "Settings",
    "SettingsError",
    "SshApiMode",
]

SshApiMode = Literal["both", "single", "per-credential"]
"""Which SSH routes the emulator serves (see :attr:`Settings.ssh_api`)."""

SSH_API_MODES: tuple[SshApiMode, ...] = ("both", "single", "per-credential")

Isolation = Literal["auto", "required", "off"]
"""Whether SSH sessions run isolated (see :attr:`Settings.isolation`)."""

ISOLATION_MODES: tuple[Isolation, ...] = ("auto", "required", "off")

IsolationInForce = Literal["namespaces", "none"]
"""What isolation is in force (see :attr:`Settings.isolation_in_force`)."""

#: Settings fixed when the emulator starts: given to serve(), not to configure().
_FIXED = ("isolation", "isolation_in_force")

#: How many SSH credentials one sandbox may hold (``ssh_api`` "per-credential" and "both").
MAX_CREDENTIALS_PER_SANDBOX = 32

#: The longest ``request_timeout`` accepted (an hour).
MAX_REQUEST_TIMEOUT = 3600.0

#: The shortest ``request_timeout`` accepted: below it a client could not send the
#: request that sets it back (the control routes' included) before its connection closes.
MIN_REQUEST_TIMEOUT = 0.1

#: The fewest ``max_unauthenticated`` accepted: room for the clients of one test run
#: that connect at once (0 would shut every client out, the control routes' too).
MIN_UNAUTHENTICATED = 8

#: The most ``max_unauthenticated`` accepted.
MAX_UNAUTHENTICATED = 10_000

#: How many distinct (method, path) pairs have their requests counted until a reset;
#: requests for further pairs are answered but not counted.
MAX_COUNTED_ROUTES = 1000

#: How many scripted faults may wait at once, over all routes (so on one route, too).
MAX_PENDING_FAULTS = 1000

#: How many bytes the waiting faults may hold in all: their paths, bodies and headers.
MAX_FAULT_BYTES = 8 << 20

#: The longest ``ssh_lifetime`` accepted (ten years), so every expiry stays a valid date.
MAX_SSH_LIFETIME = 10 * 365 * 24 * 3600.0

#: The longest ``start_delay`` accepted (an hour).
MAX_START_DELAY = 3600.0

#: The longest ``stop_delay`` accepted (an hour).
MAX_STOP_DELAY = 3600.0

#: The templates a sandbox may be created from unless ``templates`` says otherwise: the
#: service's default template and the other defaults of the official SDKs (0.6.1, 0.8.0).
TEMPLATES: tuple[str, ...] = (
    "system/debian:bookworm",
    "system/code-interpreter:v0.1.0",
    "system/desktop:v0.1.0",
)

#: How many templates ``templates`` may name.
MAX_TEMPLATES = 1000

#: The longest template name accepted in ``templates``, in characters (as the official
#: SDKs check names).
MAX_TEMPLATE_NAME = 64

#: How far ahead of the wall time the emulator's clock may be advanced in all (a
#: hundred years), so every timestamp it reports stays a valid date.
MAX_CLOCK_OFFSET = 100 * 365 * 24 * 3600.0


class SettingsError(Invalid):
    """One or more settings have bad values (a ``ValueError``).

    ``errors`` lists ``(field, error)`` pairs, e.g.
    ``("max_sandboxes", "must be a non-negative integer")``.
    """


def _seconds(least: float, most: float, *, above: bool = False) -> Callable[[object], str | None]:
    """The check of a number of seconds from ``least`` (above it when ``above``) to ``most``."""
    rule = f"above {least:g}, at most {most:.0f}" if above else f"from {least:g} to {most:.0f}"

    def check(value: object) -> str | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                seconds = float(value)
            except OverflowError:  # an int too large for a float
                seconds = math.inf
            if (seconds > least if above else seconds >= least) and seconds <= most:
                return None
        return f"must be a number of seconds {rule}"

    return check


def _max_sandboxes_error(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return None
    return "must be a non-negative integer"


def _max_unauthenticated_error(value: object) -> str | None:
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and MIN_UNAUTHENTICATED <= value <= MAX_UNAUTHENTICATED
    ):
        return None
    return f"must be an integer from {MIN_UNAUTHENTICATED} to {MAX_UNAUTHENTICATED}"


def _ssh_api_error(value: object) -> str | None:
    if isinstance(value, str) and value in SSH_API_MODES:
        return None
    return "must be one of: " + ", ".join(SSH_API_MODES)


def _templates_error(value: object) -> str | None:
    rule = (
        f"must be a non-empty list of at most {MAX_TEMPLATES} distinct template names, "
        f"each a string of 1 to {MAX_TEMPLATE_NAME} characters without surrounding spaces"
    )
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return rule
    if not 0 < len(value) <= MAX_TEMPLATES or len(set(map(repr, value))) != len(value):
        return rule
    for name in value:
        if (
            not isinstance(name, str)
            or not 0 < len(name) <= MAX_TEMPLATE_NAME
            or name != name.strip()
            or not name.isprintable()
        ):
            return rule
    return None


_CHECKS: dict[str, Callable[[object], str | None]] = {
    "ssh_lifetime": _seconds(0, MAX_SSH_LIFETIME, above=True),
    "max_sandboxes": _max_sandboxes_error,
    "ssh_api": _ssh_api_error,
    "request_timeout": _seconds(MIN_REQUEST_TIMEOUT, MAX_REQUEST_TIMEOUT),
    "start_delay": _seconds(0, MAX_START_DELAY),
    "stop_delay": _seconds(0, MAX_STOP_DELAY),
    "max_unauthenticated": _max_unauthenticated_error,
    "templates": _templates_error,
}
_SECONDS = ("ssh_lifetime", "request_timeout", "start_delay", "stop_delay")


@dataclasses.dataclass(frozen=True)
class Settings:
    """The emulator's settings. Construction checks every field (:class:`SettingsError`).

    Attributes:
        ssh_lifetime: Seconds an SSH credential stays valid after it is issued
            or regenerated (at most ten years).
        max_sandboxes: How many sandboxes may exist at once (409 beyond).
        ssh_api: Which SSH routes are served. ``"both"``: the seed's routes
            and the per-credential ones; a sandbox may hold several
            credentials, and the seed's delete and regenerate routes answer
            409 while it holds more than one. ``"single"``: only the seed's
            routes, one credential per sandbox. ``"per-credential"``: only
            the per-credential routes. Where several are allowed, a sandbox
            holds up to :data:`MAX_CREDENTIALS_PER_SANDBOX`.
        request_timeout: Seconds an HTTP client has to send a whole request
            (request line, headers and body), counted from its first byte, or
            from connecting for a connection's first request; a connection
            that takes longer is closed. From :data:`MIN_REQUEST_TIMEOUT` (so
            that a client can always send the request that changes it back)
            to :data:`MAX_REQUEST_TIMEOUT`.
        start_delay: Seconds (of the emulator's clock) a sandbox stays
            ``starting`` before it is ``running``, when created or started
            again; 0 (the default) makes it ``running`` at once. At most
            :data:`MAX_START_DELAY`.
        stop_delay: Seconds (of the emulator's clock) a sandbox stays
            ``stopping`` after a stop request before it is ``stopped``; 0 (the
            default) makes the stop's answer ``stopped`` already. At most
            :data:`MAX_STOP_DELAY`.
        max_unauthenticated: How many connections that have not authenticated
            yet may wait on each port (HTTP: no request with the API key yet;
            SSH: not logged in yet). One more closes the oldest of them, so a
            flood of idle connections holds at most this many, and a new
            client, which authenticates at once, still gets in. From
            :data:`MIN_UNAUTHENTICATED` to :data:`MAX_UNAUTHENTICATED`.
        templates: The template names a sandbox may be created from (a create
            naming another is 400 on ``template_name``): :data:`TEMPLATES`
            unless given, at most :data:`MAX_TEMPLATES` names of at most
            :data:`MAX_TEMPLATE_NAME` characters. Any sequence of strings is
            taken; it is kept as a tuple.
        isolation: Whether SSH sessions run isolated (asked for at start,
            fixed then): ``"auto"`` (the default) where the OS allows it
            (Linux user namespaces), else as the emulator's user with a
            warning; ``"required"``: the emulator does not start where it
            cannot isolate; ``"off"``: never.
        isolation_in_force: What is in force, set at start:
            ``"namespaces"`` (each sandbox's sessions in namespaces of its own)
            or ``"none"`` (sessions run as the emulator's user on the host).
            ``"none"`` until the emulator started. Not compared: settings
            are equal whatever is in force.
        ``isolation`` and ``isolation_in_force`` are not in :meth:`to_json`
        (``GET /_emulator/config`` shows what ``configure()`` may change).
    """

    ssh_lifetime: float = 3600.0
    max_sandboxes: int = 3
    ssh_api: SshApiMode = "both"
    request_timeout: float = 30.0
    start_delay: float = 0.0
    stop_delay: float = 0.0
    max_unauthenticated: int = 256
    templates: tuple[str, ...] = TEMPLATES
    isolation: Isolation = "auto"
    # A fact of the running emulator, not a choice: settings compare without it.
    isolation_in_force: IsolationInForce = dataclasses.field(default="none", compare=False)

    def __post_init__(self) -> None:
        errors = _errors(dataclasses.asdict(self))
        if self.isolation not in ISOLATION_MODES:
            errors.append(("isolation", "must be one of: " + ", ".join(ISOLATION_MODES)))
        if self.isolation_in_force not in ("namespaces", "none"):
            errors.append(("isolation_in_force", "must be 'namespaces' or 'none'"))
        if errors:
            raise SettingsError(errors)
        for name in _SECONDS:
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "templates", tuple(self.templates))
        object.__setattr__(self, "_template_set", frozenset(self.templates))

    def knows_template(self, name: str) -> bool:
        """Whether a sandbox may be created from template ``name`` (one of :attr:`templates`)."""
        known: frozenset[str] = self.__dict__["_template_set"]
        return name in known

    @property
    def several_credentials(self) -> bool:
        """Whether a sandbox may hold more than one SSH credential (all but ``"single"``)."""
        return self.ssh_api != "single"

    def replace(self, **changes: object) -> Settings:
        """A copy with ``changes`` applied; a ``None`` value leaves that setting as is.

        Raises:
            SettingsError: An unknown name or a bad value; ``errors`` names each.
        """
        return self.replace_from(changes)

    def replace_from(self, changes: Mapping[str, Any]) -> Settings:
        """Like :meth:`replace`, from a mapping such as a decoded JSON object.

        Keys that are not settings are errors; ``None`` (JSON ``null``) leaves a
        setting as is.
        """
        given = {str(name): value for name, value in changes.items() if value is not None}
        unknown = [
            (name, "is fixed when the emulator starts" if name in _FIXED else "is not a setting")
            for name in given
            if name not in _CHECKS
        ]
        errors = unknown + _errors(given)
        if errors:
            raise SettingsError(errors)
        return dataclasses.replace(self, **given)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["templates"] = list(self.templates)
        for name in _FIXED:
            del data[name]
        return data


def _errors(values: Mapping[str, object]) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    for name, check in _CHECKS.items():
        if name in values:
            error = check(values[name])
            if error is not None:
                errors.append((name, error))
    return errors
