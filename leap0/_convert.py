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

from ._ids import answer_id_problem
from .errors import Leap0ResponseError

__all__ = [
    "MAX_ANSWER_INT",
    "MAX_YEAR",
    "converter",
    "format_datetime",
    "parse_datetime",
    "structure",
]

T = TypeVar("T")

_UTC = timezone.utc
_fromisoformat = datetime.fromisoformat


#: The latest year a timestamp in an answer may fall in, in UTC: later ones leave
#: no room for the arithmetic done on them (``timeout_at``, expiry checks).
MAX_YEAR = 9998
#: The largest integer accepted in an answer (the largest JSON numbers keep exactly).
MAX_ANSWER_INT = 2**53


def parse_datetime(value: str) -> datetime:
    """Parse an RFC 3339 timestamp (``...Z`` too, on every Python) into an aware UTC datetime.

    A timestamp without an offset is taken as UTC; any fraction of a second is
    accepted and kept to the microsecond. A time that does not fall within
    the years 1 to ``MAX_YEAR`` in UTC (``9999-12-31T23:59:59-23:59``) is a
    ``ValueError``.
    """
    text = value
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = _fromisoformat(text)
    except ValueError:
        parsed = _fromisoformat(_normalise_fraction(text))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_UTC)
    try:
        parsed = parsed.astimezone(_UTC)
    except OverflowError:
        raise ValueError(f"timestamp out of range: {value[:40]!r}") from None
    if parsed.year > MAX_YEAR:
        raise ValueError(f"timestamp out of range: {value[:40]!r}")
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


def _int_hook(value: Any, _: Any) -> int:
    if type(value) is not int:
        raise TypeError(f"expected int, got {_json_type(value)}")
    if not 0 <= value <= MAX_ANSWER_INT:
        raise ValueError(f"out of range: {value if -1e6 < value < 1e6 else 'a huge number'}")
    return value


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
    for kind in (str, bool):
        conv.register_structure_hook(kind, _strict(kind))
    conv.register_structure_hook(int, _int_hook)
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
        result = (_fast or _fast_converter()).structure(data, cls)
    except Exception:
        result = _explain(data, cls)
    _check_ids(result, cls.__name__, "")
    return result


def _check_ids(value: object, model: str, prefix: str) -> None:
    """Refuse an answer whose ``id`` or ``sandbox_id`` leap0 could not use safely.

    Checked here, where the answer is parsed, so that no such id is ever
    returned, printed, completed in a shell or put into a later request.
    """
    for name in ("id", "sandbox_id"):
        ident = getattr(value, name, None)
        if type(ident) is str:
            problem = answer_id_problem(ident)
            if problem is not None:
                raise Leap0ResponseError(
                    f"unexpected {model} in response: {prefix}{name} {problem}",
                    field=prefix + name,
                )
    items = getattr(value, "items", None)
    if type(items) is tuple:
        for index, item in enumerate(items):
            _check_ids(item, model, f"{prefix}items[{index}].")


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
