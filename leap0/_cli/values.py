"""What the user typed, checked where it is read: argparse ``type=`` functions.

A value the SDK would refuse is refused here, while the command line is
parsed, so it is a usage error (exit status 2) naming the argument, and
nothing is sent. The limits are the SDK's own (``leap0._limits`` for sandbox
settings and list pages, ``leap0._ids`` for ids), imported only when such a
value is given, so ``--help`` stays light.
"""

from __future__ import annotations

import argparse
import math

from .._constants import MAX_TIMEOUT

TYPE_CHECKING = False  # typing is not imported at run time: --help stays light
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Check = Callable[[str], Any]

__all__ = [
    "access_id",
    "create_setting",
    "env_pair",
    "list_setting",
    "profile_name",
    "request_seconds",
    "retries",
    "sandbox_id",
    "seconds",
    "ssh_option",
    "text",
]


def _refuse(exc: Exception) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(str(exc))


def _int(text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _encodable(value: str, what: str) -> str:
    # Arguments a terminal sent in another encoding than UTF-8 arrive with lone surrogates.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise argparse.ArgumentTypeError(f"{what} is not valid UTF-8 text") from None
    return value


def _id_check(name: str) -> Check:
    def check(value: str) -> str:
        from .._ids import validate_id

        try:
            return validate_id(value, name)
        except ValueError as exc:
            raise _refuse(exc) from None

    check.__name__ = name.replace(" ", "_")
    return check


sandbox_id = _id_check("sandbox id")
access_id = _id_check("access id")


def text(value: str) -> str:
    """A non-empty text value that can be sent as UTF-8."""
    if not value:
        raise argparse.ArgumentTypeError("must not be empty")
    return _encodable(value, "the value")


def env_pair(value: str) -> tuple[str, str]:
    """``KEY=VALUE``: an environment variable for a new sandbox."""
    key, sep, rest = value.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {value!r}")
    return _encodable(key, "the name"), _encodable(rest, "the value")


def _limited(name: str, limit: str) -> Check:
    """A whole number for ``name``, within the SDK's ``leap0._limits`` ``limit``."""

    def check(value: str) -> int:
        from .. import _limits

        number = _int(value)
        problem = getattr(_limits, limit).problem(number)
        if problem is not None:
            raise argparse.ArgumentTypeError(f"{name} {problem}, got {number}")
        return number

    check.__name__ = name
    return check


def create_setting(name: str) -> Check:
    """A whole number for ``sandbox create``'s ``name`` (vcpu, memory, timeout)."""
    return _limited(name, name.upper())


def list_setting(name: str) -> Check:
    """A whole number for ``sandbox list``'s ``name`` (page, page_size)."""
    return _limited(name, name.upper())


def seconds(value: str) -> float:
    """A positive, finite number of seconds."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {value!r}") from None
    if not (number > 0 and math.isfinite(number)):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {value!r}")
    return number


def request_seconds(value: str) -> float:
    """``--request-timeout``: a positive number of seconds, at most a day.

    The SDK's own limit (``leap0._constants.MAX_TIMEOUT``), checked here so that
    a larger value is a usage error naming the option, before anything else
    (no API key is needed to be told), and no deadline overflows later.
    """
    number = seconds(value)
    if number > MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"must be at most {MAX_TIMEOUT:g} seconds (a day), got {value!r}"
        )
    return number


def retries(value: str) -> int:
    """How many times a failed request is retried: 0 or more."""
    number = _int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {number}")
    return number


def profile_name(value: str) -> str:
    """``--profile``: a profile's name (``profiles.name_problem`` says which)."""
    from .profiles import name_problem

    problem = name_problem(value)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return value


def ssh_option(value: str) -> str:
    """One ``Key=Value`` (or ``Key Value``) for ``ssh -o``."""
    from .openssh import check_ssh_options

    try:
        check_ssh_options([value])
    except ValueError as exc:
        raise _refuse(exc) from None
    return value
