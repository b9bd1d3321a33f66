"""Wire conversion: the one cattrs converter between JSON and the models.

Conversion is strict: a field of the wrong JSON type is an error, not coerced
(cattrs would otherwise turn ``5`` into ``"5"``). Unknown fields are ignored.
Any failure becomes :class:`~leap0.errors.Leap0ResponseError` naming the field.

Two converters share the same hooks: a fast one without detailed validation
serves every call; only when it fails does the detailed one run again, to say
which field was wrong. Each is built when first needed (the detailed one on the
first failure), so that ``import leap0`` pays for neither.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

import cattrs

from .errors import Leap0ResponseError

__all__ = ["converter", "format_datetime", "parse_datetime", "structure"]

T = TypeVar("T")

_UTC = timezone.utc
_fromisoformat = datetime.fromisoformat


def parse_datetime(value: str) -> datetime:
    """Parse an RFC 3339 timestamp (``...Z`` too, on every Python) into an aware datetime.

    A timestamp without an offset is taken as UTC; any fraction of a second is
    accepted and kept to the microsecond.
    """
    text = value
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = _fromisoformat(text)
    except ValueError:
        parsed = _fromisoformat(_normalise_fraction(text))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=_UTC)
    return parsed


def _normalise_fraction(text: str) -> str:
    # Python 3.10 accepts only 3 or 6 fractional digits and a space or "T" separator.
    head, sep, rest = text.partition(".")
    if not sep:
        raise ValueError(f"not an ISO 8601 timestamp: {text!r}")
    i = 0
    while i < len(rest) and rest[i].isdigit():
        i += 1
    digits, tail = rest[:i], rest[i:]
    if not digits:
        raise ValueError(f"not an ISO 8601 timestamp: {text!r}")
    return f"{head}.{(digits + '000000')[:6]}{tail}"


def format_datetime(value: datetime) -> str:
    """The RFC 3339 form the service uses: UTC with a ``Z``."""
    text = value.astimezone(_UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _strict(expected: type) -> Any:
    name = expected.__name__

    def hook(value: Any, _: Any) -> Any:
        if type(value) is expected:
            return value
        raise TypeError(f"expected {name}, got {_json_type(value)}")

    return hook


def _float_hook(value: Any, _: Any) -> float:
    if type(value) is float or type(value) is int:
        return float(value)
    raise TypeError(f"expected number, got {_json_type(value)}")


def _datetime_hook(value: Any, _: Any) -> datetime:
    if type(value) is not str:
        raise TypeError(f"expected timestamp string, got {_json_type(value)}")
    return parse_datetime(value)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _make(detailed: bool) -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=detailed, forbid_extra_keys=False)
    for kind in (str, int, bool):
        conv.register_structure_hook(kind, _strict(kind))
    conv.register_structure_hook(float, _float_hook)
    conv.register_structure_hook(datetime, _datetime_hook)
    conv.register_unstructure_hook(datetime, format_datetime)
    return conv


_fast: cattrs.Converter | None = None
_detailed: cattrs.Converter | None = None


def _fast_converter() -> cattrs.Converter:
    global _fast
    if _fast is None:
        _fast = _make(detailed=False)
    return _fast


if TYPE_CHECKING:
    converter: cattrs.Converter
    """The converter used for every response (and for ``unstructure`` to JSON-ready dicts)."""


def __getattr__(name: str) -> Any:
    # ``converter``, the one used for every response (and for ``unstructure`` to
    # JSON-ready dicts), is built on first use: ``import leap0`` does not pay for it.
    if name == "converter":
        return _fast_converter()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _detailed_converter() -> cattrs.Converter:
    global _detailed
    if _detailed is None:
        _detailed = _make(detailed=True)
    return _detailed


def structure(data: Any, cls: type[T]) -> T:
    """Build ``cls`` from decoded JSON, or raise ``Leap0ResponseError`` naming the bad field."""
    if type(data) is not dict:
        raise Leap0ResponseError(
            f"expected a JSON object for {cls.__name__}, got {_json_type(data)}"
        )
    try:
        return (_fast or _fast_converter()).structure(data, cls)
    except Exception:
        pass
    return _explain(data, cls)


def _explain(data: Any, cls: type[T]) -> T:
    try:
        # Run again with detailed validation, only to say what was wrong.
        return _detailed_converter().structure(data, cls)
    except cattrs.BaseValidationError as exc:
        messages = cattrs.transform_error(exc, path="$")
        first = messages[0] if messages else "invalid value"
        field = first.rpartition(" @ $.")[2] if " @ $." in first else None
        raise Leap0ResponseError(
            f"unexpected {cls.__name__} in response: {first}", field=field
        ) from None
    except Exception as exc:  # pragma: no cover - cattrs wraps field errors above
        raise Leap0ResponseError(
            f"unexpected {cls.__name__} in response: {type(exc).__name__}"
        ) from None
