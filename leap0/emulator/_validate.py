"""Checking request bodies and queries the way the service does (pure functions).

Every check collects ``(field, error)`` pairs and raises :class:`Invalid` with
all of them, so one answer names every bad field. The service's limits on
sandboxes and lists come from :mod:`leap0._limits`, which the SDK checks too;
the shapes of ``mounts`` and ``network_policy`` follow the public OpenAPI
description (``MountRequest``, ``NetworkPolicy``, ``TransformRule``).

Nothing sent is dropped silently: a field no schema has is an error naming
it (as is a query parameter the list does not take, or one given twice), and
so is ``null`` where the description does not say ``nullable`` (only
``network_policy`` is). The official SDK up to 0.6.1 sends ``memory_mib``
and ``timeout_min``: they are taken as it meant them (:data:`LEGACY_FIELDS`).
No web or SSH imports.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .. import _limits as limits
from ._errors import Invalid
from ._faults import Fault, coerce_fault, is_text, normalize_method, normalize_path

if TYPE_CHECKING:
    from ._settings import Settings

__all__ = [
    "CREATE_FIELDS",
    "LEGACY_FIELDS",
    "LIST_PARAMETERS",
    "MAX_DEPTH",
    "MAX_ENV_VARS",
    "MAX_ENV_VAR_BYTES",
    "MAX_MOUNTS",
    "TIMEOUT_MINUTES",
    "CreateRequest",
    "ListQuery",
    "MountRequest",
    "clock_request",
    "create_request",
    "fault_request",
    "list_query",
    "no_body",
    "parse_json_object",
    "route_query",
    "string_fields",
]

#: How deeply a request body's JSON may nest.
MAX_DEPTH = 32
#: The longest ``NAME=value`` (UTF-8 bytes) of one env var: Linux passes no longer
#: string to a program (MAX_ARG_STRLEN, 128 KiB with its terminating NUL).
MAX_ENV_VAR_BYTES = (128 << 10) - 1
#: How many env vars a sandbox may have.
MAX_ENV_VARS = 1000
#: How many object storage mounts a sandbox may have (``SandboxCreateRequest.mounts``).
MAX_MOUNTS = 8
# NetworkPolicy's list limits, from the OpenAPI description.
_MAX_ALLOW_DOMAINS = 50
_MAX_ALLOW_CIDRS = 10
_MAX_TRANSFORMS = 20
_POLICY_MODES = ("allow-all", "deny-all", "custom")
_MOUNT_TYPES = ("object-storage",)
_QUERY_INT = re.compile(r"-?[0-9]+")
# A query integer with more digits than this is out of every range (and not parsed).
_QUERY_INT_DIGITS = 12
#: ``timeout_min`` (official SDK 0.6.1): minutes, 1 to 480 as that SDK checks them.
TIMEOUT_MINUTES = limits.IntLimit(
    1, limits.TIMEOUT.high // 60, default=limits.TIMEOUT.default // 60
)

Errors = list[tuple[str, str]]


# -- bodies ----------------------------------------------------------------------------


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A request body as a JSON object whose every string is valid Unicode text.

    Raises:
        Invalid: Empty, not JSON (or not UTF-8), not an object, nested more
            than :data:`MAX_DEPTH` deep, or holding a lone surrogate.
    """
    if not raw.strip():
        raise Invalid([("body", "a JSON object is required")])
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except Exception:  # bad JSON, bad encoding, nesting too deep: all the client's
        raise Invalid([("body", "must be valid JSON")]) from None
    if not isinstance(data, dict):
        raise Invalid([("body", "must be a JSON object")])
    problem = _bad_json_value(data)
    if problem is not None:
        raise Invalid([problem])
    return data


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _bad_json_value(data: object) -> tuple[str, str] | None:
    """``(field, error)`` for the first value no body may hold, else None.

    Every string (keys included) must be valid Unicode text, so that it can be
    stored and answered back; nesting is at most :data:`MAX_DEPTH` deep.
    """
    stack: list[tuple[str, object, int]] = [("", data, 0)]
    while stack:
        where, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return where or "body", f"is nested more than {MAX_DEPTH} levels deep"
        if isinstance(value, str):
            if not is_text(value):
                return where or "body", "must be valid Unicode text (no lone surrogates)"
        elif isinstance(value, dict):
            for key, item in value.items():
                if not is_text(key):
                    return where or "body", "keys must be valid Unicode text (no lone surrogates)"
                stack.append((f"{where}.{key}" if where else key, item, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((f"{where}[{index}]", item, depth + 1))
    return None


def string_fields(body: Mapping[str, Any], *names: str) -> tuple[str, ...]:
    """The values of ``names`` in ``body``, each of which must be a string; no other field."""
    errors = [(name, "must be a string") for name in names if not isinstance(body.get(name), str)]
    _unknown(body, names, "", errors)
    if errors:
        raise Invalid(errors)
    return tuple(body[name] for name in names)


def no_body(raw: bytes) -> None:
    """Check the body of a route that takes none: empty, ``{}`` or ``null``.

    Raises:
        Invalid: Anything else; each field of an object is named.
    """
    if not raw.strip():
        return
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except Exception:
        data = ...
    if data is None or data == {}:
        return
    errors: Errors = []
    if isinstance(data, dict) and all(is_text(key) for key in data):
        _unknown(data, (), "", errors, "is not a field: this route takes no body")
    else:
        errors.append(("body", "this route takes no body (send none, or {})"))
    raise Invalid(errors)


# How many unknown fields of one object are named, each in an error of its own.
_NAMED_UNKNOWN = 20


def _unknown(
    item: Mapping[str, Any],
    known: Iterable[str],
    where: str,
    errors: Errors,
    error: str = "is not a field",
) -> None:
    """An error for each field of ``item`` not in ``known`` (``where``: the object's place).

    The first :data:`_NAMED_UNKNOWN` are named (a long name cut at 80
    characters); one more error counts the rest.
    """
    allowed = frozenset(known)
    unknown = [key for key in item if key not in allowed]
    for key in unknown[:_NAMED_UNKNOWN]:
        name = key if len(key) <= 80 else key[:80] + "..."
        errors.append((f"{where}.{name}" if where else name, error))
    if len(unknown) > _NAMED_UNKNOWN:
        more = len(unknown) - _NAMED_UNKNOWN
        errors.append((where or "body", f"has {more} more fields that are not fields"))


def _nulls(item: Mapping[str, Any], names: Iterable[str], where: str, errors: Errors) -> None:
    """An error for each of ``names`` that ``item`` gives as ``null`` (not ``nullable``)."""
    for name in names:
        if name in item and item[name] is None:
            field = f"{where}.{name}" if where else name
            errors.append((field, "must not be null"))


# -- sandbox create ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class MountRequest:
    """One object storage mount as the sandbox reports it (credentials and endpoint left out)."""

    type: str
    bucket: str
    mount_path: str
    prefix: str | None
    read_only: bool


@dataclasses.dataclass(frozen=True)
class CreateRequest:
    """A checked ``POST /v1/sandbox/`` body, the service's defaults filled in."""

    template_name: str
    vcpu: int = limits.VCPU.default
    memory: int = limits.MEMORY.default
    timeout: int = limits.TIMEOUT.default
    env_vars: Mapping[str, str] = dataclasses.field(default_factory=dict)
    auto_pause: bool = False
    mounts: tuple[MountRequest, ...] = ()
    network_policy: Mapping[str, Any] | None = None


#: The fields of ``SandboxCreateRequest``.
CREATE_FIELDS = (
    "template_name",
    "env_vars",
    "mounts",
    "vcpu",
    "memory",
    "timeout",
    "auto_pause",
    "network_policy",
)

#: The create body's fields of an older revision, which the official SDK up to 0.6.1
#: sends: each is the field it names, in that revision's unit (memory in MiB, the
#: timeout in minutes).
LEGACY_FIELDS = {"memory_mib": "memory", "timeout_min": "timeout"}

# The fields that may not be null (only network_policy is nullable).
_NOT_NULL = tuple(name for name in (*CREATE_FIELDS, *LEGACY_FIELDS) if name != "network_policy")


def create_request(body: Mapping[str, Any], settings: Settings | None = None) -> CreateRequest:
    """Check a sandbox create body the way the service does (``SandboxCreateRequest``).

    A field the schema does not have is an error naming it, except the older
    revision's ``memory_mib`` (MiB, as ``memory``) and ``timeout_min``
    (minutes: ``timeout`` is 60 times it), which are taken as they were meant
    (giving both names of one size is an error). ``null`` is an error for
    every field but ``network_policy``. With ``settings``, the template must
    be one of its ``templates``.

    Raises:
        Invalid: Every bad field.
    """
    errors: Errors = []
    _unknown(body, (*CREATE_FIELDS, *LEGACY_FIELDS), "", errors)
    _nulls(body, _NOT_NULL, "", errors)
    template = body.get("template_name")
    if "template_name" not in body:
        errors.append(("template_name", "is required"))
    elif template is not None and (not isinstance(template, str) or not template.strip()):
        errors.append(("template_name", "must be a non-empty string"))
    elif isinstance(template, str) and settings is not None:
        problem = _template_problem(template, settings)
        if problem is not None:
            errors.append(("template_name", problem))
    values: dict[str, Any] = {
        name: _int_field(body, name, limit, errors) for name, limit in _SIZES.items()
    }
    if "memory_mib" in body:
        values["memory"] = _legacy_size(body, "memory_mib", limits.MEMORY, 1, errors)
    if "timeout_min" in body:
        values["timeout"] = _legacy_size(body, "timeout_min", TIMEOUT_MINUTES, 60, errors)
    auto_pause = body.get("auto_pause")
    if auto_pause is not None and not isinstance(auto_pause, bool):
        errors.append(("auto_pause", "must be a boolean"))
    values["env_vars"] = _env_vars(body.get("env_vars"), errors)
    values["mounts"] = _mounts(body.get("mounts"), errors)
    values["network_policy"] = _network_policy(body.get("network_policy"), errors)
    if errors or not isinstance(template, str):  # a bad template is among the errors
        raise Invalid(errors)
    return CreateRequest(template, auto_pause=bool(auto_pause), **values)


#: The sizes a create body may give, each with the service's limit and default.
_SIZES = {"vcpu": limits.VCPU, "memory": limits.MEMORY, "timeout": limits.TIMEOUT}

# How many known templates an unknown template's error names.
_SHOWN_TEMPLATES = 5


def _template_problem(template: str, settings: Settings) -> str | None:
    if settings.knows_template(template):
        return None
    known = settings.templates
    shown = ", ".join(known[:_SHOWN_TEMPLATES])
    if len(known) > _SHOWN_TEMPLATES:
        shown += f" and {len(known) - _SHOWN_TEMPLATES} more"
    name = template if len(template) <= 80 else template[:80] + "..."
    return (
        f"is not a template here: {name!r} is unknown; the emulator creates sandboxes "
        f"from {shown} (its templates setting)"
    )


def _legacy_size(
    body: Mapping[str, Any], name: str, limit: limits.IntLimit, scale: int, errors: Errors
) -> int:
    """An older revision's size field, as the current field's value (``scale`` times it)."""
    current = LEGACY_FIELDS[name]
    value = body[name]
    if current in body:
        errors.append(
            (name, f"is the older revision's name of {current}: give one of them, not both")
        )
    elif value is None:
        pass  # among the null errors
    elif not limits.is_int(value):
        errors.append((name, "must be an integer"))
    else:
        problem = limit.problem(value)
        if problem is not None:
            errors.append((name, problem))
        else:
            return value * scale
    return limit.default * scale


def _int_field(body: Mapping[str, Any], name: str, limit: limits.IntLimit, errors: Errors) -> int:
    value = body.get(name)
    if value is None:  # absent, or null (an error of its own)
        return limit.default
    if not limits.is_int(value):
        errors.append((name, "must be an integer"))
        return limit.default
    problem = limit.problem(value)
    if problem is not None:
        errors.append((name, problem))
    return value


def _env_vars(value: object, errors: Errors) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(("env_vars", "must be an object mapping names to string values"))
        return {}
    if len(value) > MAX_ENV_VARS:
        errors.append(("env_vars", f"may hold at most {MAX_ENV_VARS} variables"))
    checked: dict[str, str] = {}
    for key, item in value.items():
        where = f"env_vars.{key}"
        if not key or "=" in key or "\0" in key:
            errors.append(("env_vars", f"invalid variable name {key!r}"))
        elif not isinstance(item, str):
            errors.append((where, "must be a string"))
        elif "\0" in item:
            errors.append((where, "must not contain NUL characters"))
        elif len(f"{key}={item}".encode()) > MAX_ENV_VAR_BYTES:
            errors.append((where, f"NAME=value must be at most {MAX_ENV_VAR_BYTES} bytes as UTF-8"))
        else:
            checked[key] = item
    return checked


def _array(value: object, where: str, most: int | None, errors: Errors) -> list[Any]:
    """``value`` as a list of at most ``most`` items; [] (and an error) if it is not one."""
    if not isinstance(value, list):
        errors.append((where, "must be an array"))
        return []
    if most is not None and len(value) > most:
        errors.append((where, f"may hold at most {most} items"))
    return value


def _text(item: Mapping[str, Any], name: str, where: str, errors: Errors) -> str | None:
    """The required non-empty string ``item[name]``; None (and an error) otherwise."""
    value = item.get(name)
    if name not in item:
        errors.append((f"{where}.{name}", "is required"))
    elif value is None:
        pass  # a null error of its own
    elif not isinstance(value, str) or not value.strip():
        errors.append((f"{where}.{name}", "must be a non-empty string"))
    else:
        return value
    return None


def _optional(item: Mapping[str, Any], name: str, kind: type, where: str, errors: Errors) -> Any:
    """``item[name]`` if it is absent (None) or a ``kind``; None (and an error) otherwise."""
    value = item.get(name)
    if value is not None and not isinstance(value, kind):
        errors.append((f"{where}.{name}", f"must be a {_KIND_NAMES[kind]}"))
        return None
    return value


_KIND_NAMES = {str: "string", bool: "boolean", dict: "JSON object"}

# The fields of MountRequest, NetworkPolicy and TransformRule (none of them nullable).
_MOUNT_FIELDS = (
    "type",
    "bucket",
    "mount_path",
    "endpoint",
    "prefix",
    "read_only",
    "access_key_id",
    "secret_access_key",
)
_POLICY_FIELDS = ("mode", "allow_domains", "allow_cidrs", "transforms")
_TRANSFORM_FIELDS = ("domain", "inject_headers", "strip_headers")


def _mounts(value: object, errors: Errors) -> tuple[MountRequest, ...]:
    """``mounts``: at most eight ``MountRequest`` objects at distinct absolute paths."""
    if value is None:
        return ()
    checked: list[MountRequest] = []
    paths: set[str] = set()
    for index, item in enumerate(_array(value, "mounts", MAX_MOUNTS, errors)):
        where = f"mounts[{index}]"
        if not isinstance(item, dict):
            errors.append((where, "must be a mount object"))
            continue
        count = len(errors)
        _unknown(item, _MOUNT_FIELDS, where, errors)
        _nulls(item, _MOUNT_FIELDS, where, errors)
        kind = item.get("type")
        if kind not in _MOUNT_TYPES:
            errors.append((f"{where}.type", "must be one of: " + ", ".join(_MOUNT_TYPES)))
        bucket = _text(item, "bucket", where, errors)
        path = _text(item, "mount_path", where, errors)
        if path is not None:
            if not path.startswith("/") or path.rstrip("/") == "":
                errors.append((f"{where}.mount_path", "must be an absolute path below /"))
            elif path in paths:
                errors.append((f"{where}.mount_path", "is used by another mount"))
            paths.add(path)
        endpoint = _text(item, "endpoint", where, errors)
        if endpoint is not None:
            parts = urllib.parse.urlsplit(endpoint)
            if not parts.scheme or not parts.netloc:
                errors.append((f"{where}.endpoint", "must be a full URL such as https://host"))
        prefix = _optional(item, "prefix", str, where, errors)
        if prefix is not None and not prefix.endswith("/"):
            errors.append((f"{where}.prefix", "must end with '/'"))
        read_only = _optional(item, "read_only", bool, where, errors)
        for secret in ("access_key_id", "secret_access_key"):
            _optional(item, secret, str, where, errors)
        if len(errors) == count and isinstance(kind, str) and bucket and path:
            checked.append(
                MountRequest(kind, bucket, path, prefix, True if read_only is None else read_only)
            )
    return tuple(checked)


def _network_policy(value: object, errors: Errors) -> dict[str, Any] | None:
    """``network_policy``: a ``NetworkPolicy`` object, or null for none."""
    if value is None:
        return None
    where = "network_policy"
    if not isinstance(value, dict):
        errors.append((where, "must be a network policy object or null"))
        return None
    policy: dict[str, Any] = {}
    _unknown(value, _POLICY_FIELDS, where, errors)
    _nulls(value, _POLICY_FIELDS, where, errors)
    mode = value.get("mode")
    if "mode" not in value:
        errors.append((f"{where}.mode", "is required"))
    elif mode is None:
        pass  # a null error of its own
    elif not isinstance(mode, str) or limits.choice_problem(mode, _POLICY_MODES) is not None:
        errors.append((f"{where}.mode", "must be one of: " + ", ".join(_POLICY_MODES)))
    policy["mode"] = mode
    domains = value.get("allow_domains")
    if domains is not None:
        place = f"{where}.allow_domains"
        policy["allow_domains"] = _strings(domains, place, _MAX_ALLOW_DOMAINS, errors)
    cidrs = value.get("allow_cidrs")
    if cidrs is not None:
        place = f"{where}.allow_cidrs"
        policy["allow_cidrs"] = _strings(cidrs, place, _MAX_ALLOW_CIDRS, errors)
        for index, cidr in enumerate(policy["allow_cidrs"]):
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                errors.append((f"{place}[{index}]", "must be a CIDR range such as 10.0.0.0/8"))
    transforms = value.get("transforms")
    if transforms is not None:
        place = f"{where}.transforms"
        policy["transforms"] = [
            _transform(item, f"{place}[{index}]", errors)
            for index, item in enumerate(_array(transforms, place, _MAX_TRANSFORMS, errors))
        ]
    return policy


def _strings(value: object, where: str, most: int | None, errors: Errors) -> list[str]:
    items = _array(value, where, most, errors)
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            errors.append((f"{where}[{index}]", "must be a non-empty string"))
    return [item for item in items if isinstance(item, str)]


def _transform(item: object, where: str, errors: Errors) -> dict[str, Any]:
    """One ``TransformRule``: a domain, headers to inject, header names to strip."""
    if not isinstance(item, dict):
        errors.append((where, "must be a transform object"))
        return {}
    _unknown(item, _TRANSFORM_FIELDS, where, errors)
    _nulls(item, _TRANSFORM_FIELDS, where, errors)
    rule: dict[str, Any] = {"domain": _text(item, "domain", where, errors)}
    inject = _optional(item, "inject_headers", dict, where, errors)
    if inject is not None:
        for name, header in inject.items():
            if not isinstance(header, str):
                errors.append((f"{where}.inject_headers.{name}", "must be a string"))
        rule["inject_headers"] = inject
    strip = item.get("strip_headers")
    if strip is not None:
        rule["strip_headers"] = _strings(strip, f"{where}.strip_headers", None, errors)
    return rule


# -- sandbox list ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ListQuery:
    """A checked ``GET /v1/sandboxes`` query."""

    state: str | None = None
    sort: str = limits.DEFAULT_SORT
    descending: bool = limits.DEFAULT_ORDER == "desc"
    page: int = limits.PAGE.default
    page_size: int = limits.PAGE_SIZE.default


#: The query parameters of ``GET /v1/sandboxes``.
LIST_PARAMETERS = ("state", "sort", "order-by", "page", "page-size")


def list_query(query: Mapping[str, str], names: Iterable[str] | None = None) -> ListQuery:
    """Check the sandbox list query the way the service does (empty values are left out).

    ``names`` are the query's parameter names as sent, repeats included (the
    keys of ``query`` if None): one the list does not take, or one given
    twice, is an error naming it.
    """
    errors: Errors = []
    seen: set[str] = set()
    for name in query if names is None else names:
        if name not in LIST_PARAMETERS:
            shown = name if len(name) <= 80 else name[:80] + "..."
            errors.append((shown, "is not a query parameter of this route"))
        elif name in seen:
            errors.append((name, "is given more than once"))
        seen.add(name)

    def choice(name: str, choices: tuple[str, ...]) -> str | None:
        value = query.get(name) or None
        problem = None if value is None else limits.choice_problem(value, choices)
        if problem is not None:
            errors.append((name, problem))
        return value

    def integer(name: str, limit: limits.IntLimit) -> int:
        raw = query.get(name) or None
        if raw is None:
            return limit.default
        if not _QUERY_INT.fullmatch(raw):
            errors.append((name, "must be an integer"))
            return limit.default
        if len(raw.lstrip("-").lstrip("0")) > _QUERY_INT_DIGITS:
            errors.append((name, f"must be between {limit.low} and {limit.high}"))
            return limit.default
        problem = limit.problem(int(raw))
        if problem is not None:
            errors.append((name, problem))
        return int(raw)

    state = choice("state", limits.LIST_STATES)
    sort = choice("sort", limits.LIST_SORT_FIELDS) or limits.DEFAULT_SORT
    order = choice("order-by", limits.LIST_ORDERS) or limits.DEFAULT_ORDER
    page = integer("page", limits.PAGE)
    page_size = integer("page-size", limits.PAGE_SIZE)
    if errors:
        raise Invalid(errors)
    return ListQuery(state, sort, order == "desc", page, page_size)


# -- the control routes ------------------------------------------------------------------


def fault_request(body: Mapping[str, Any]) -> tuple[str, str, list[Fault]]:
    """``POST /_emulator/faults``: the method, the path and the faults to queue."""
    errors: Errors = []
    _unknown(body, ("method", "path", "faults"), "", errors)
    method, path = _route(body, errors)
    raw_faults = body.get("faults")
    faults: list[Fault] = []
    if not isinstance(raw_faults, list) or not raw_faults:
        errors.append(("faults", "must be a non-empty array of fault objects"))
    else:
        for index, raw in enumerate(raw_faults):
            try:
                faults.append(coerce_fault(raw))
            except (ValueError, TypeError) as exc:
                errors.append((f"faults[{index}]", str(exc)))
    if errors:
        raise Invalid(errors)
    return method, path, faults


def route_query(query: Mapping[str, str]) -> tuple[str, str]:
    """``GET /_emulator/attempts?method=&path=``: the method and the path."""
    errors: Errors = []
    method, path = _route(query, errors)
    if errors:
        raise Invalid(errors)
    return method, path


def _route(values: Mapping[str, Any], errors: Errors) -> tuple[str, str]:
    method = path = ""
    try:
        method = normalize_method(values.get("method", ""))
    except ValueError as exc:
        errors.append(("method", str(exc)))
    try:
        path = normalize_path(values.get("path", ""))
    except ValueError as exc:
        errors.append(("path", str(exc)))
    return method, path


def clock_request(body: Mapping[str, Any]) -> object:
    """``POST /_emulator/clock``: the seconds to advance (checked by the clock itself)."""
    errors: Errors = [(name, "is not a field") for name in body if name != "advance"]
    if "advance" not in body:
        errors.append(("advance", "is required: the seconds to move the clock forward"))
    if errors:
        raise Invalid(errors)
    return body["advance"]
