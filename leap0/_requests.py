"""What a request sends, checked before any I/O: bodies, queries, their JSON (pure, shared).

Each body and query is built from checked values (the service's limits,
``leap0._limits``; its choices, ``leap0._constants``), and :func:`encode_json`
turns a body into the bytes sent, naming the field it cannot encode without
showing its value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._constants import LIST_ORDERS, LIST_SORT_FIELDS, LIST_STATES
from ._limits import MEMORY, PAGE, PAGE_SIZE, TIMEOUT, VCPU, IntLimit, choice_problem, is_int

__all__ = ["encode_json", "sandbox_create_body", "sandbox_list_params"]


def _checked_int(name: str, value: object, limit: IntLimit) -> int:
    if not is_int(value):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    problem = limit.problem(value)
    if problem is not None:
        raise ValueError(f"{name} {problem}, got {value}")
    return int(value)


def _checked_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    problem = choice_problem(value, choices)
    if problem is not None:
        raise ValueError(f"{name} {problem}; got {value!r}")
    return value


def sandbox_create_body(
    *,
    template_name: str,
    vcpu: int | None,
    memory: int | None,
    timeout: int | None,
    env_vars: Mapping[str, str] | None,
    auto_pause: bool | None,
) -> dict[str, Any]:
    """The JSON body of ``POST /v1/sandbox/``, with the service's limits checked."""
    if not isinstance(template_name, str):
        raise TypeError(f"template_name must be a str, not {type(template_name).__name__}")
    if not template_name:
        raise ValueError("template_name must not be empty")
    body: dict[str, Any] = {"template_name": template_name}
    for name, number, limit in (
        ("vcpu", vcpu, VCPU),
        ("memory", memory, MEMORY),
        ("timeout", timeout, TIMEOUT),
    ):
        if number is not None:
            body[name] = _checked_int(name, number, limit)
    if env_vars is not None:
        if not isinstance(env_vars, Mapping):
            raise TypeError(f"env_vars must be a mapping, not {type(env_vars).__name__}")
        checked: dict[str, str] = {}
        for key, value in env_vars.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError("env_vars keys and values must be str")
            if not key:
                raise ValueError("env_vars keys must not be empty")
            checked[key] = value
        body["env_vars"] = checked
    if auto_pause is not None:
        if not isinstance(auto_pause, bool):
            raise TypeError(f"auto_pause must be a bool, not {type(auto_pause).__name__}")
        body["auto_pause"] = auto_pause
    return body


def sandbox_list_params(
    *, state: str | None, sort: str, order: str, page: int, page_size: int
) -> dict[str, str | int]:
    """The query of ``GET /v1/sandboxes``, checked as the service checks it."""
    params: dict[str, str | int] = {}
    if state is not None:
        params["state"] = _checked_choice("state", state, LIST_STATES)
    params["sort"] = _checked_choice("sort", sort, LIST_SORT_FIELDS)
    params["order-by"] = _checked_choice("order", order, LIST_ORDERS)
    params["page"] = _checked_int("page", page, PAGE)
    params["page-size"] = _checked_int("page_size", page_size, PAGE_SIZE)
    return params


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def encode_json(body: object) -> bytes:
    """``body`` as the UTF-8 JSON that is sent.

    A string that UTF-8 cannot encode (a lone surrogate) is a ``ValueError``
    naming its field, never showing its value: it may be a password.
    """
    try:
        return _dumps(body).encode("utf-8")
    except UnicodeEncodeError:
        field = _unencodable(body) or "the request body"
    # Raised outside the except block: the UnicodeEncodeError, which holds the
    # whole text, is not kept as this error's context.
    raise ValueError(f"{field} must be text that UTF-8 can encode (no lone surrogates)")


def _unencodable(value: object, name: str | None = None) -> str | None:
    """The name of the field of ``value`` whose text UTF-8 cannot encode."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return name or "a value"
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            label = key if isinstance(key, str) and key.isidentifier() else "a key"
            found = _unencodable(key, name or "a key") or _unencodable(item, name or label)
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for item in value:
            found = _unencodable(item, name)
            if found:
                return found
    return None
