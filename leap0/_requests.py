"""Request bodies and query parameters, checked before any I/O (pure, shared)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import SANDBOX_STATES

__all__ = [
    "DEFAULT_TEMPLATE",
    "LIST_SORT_FIELDS",
    "LIST_STATES",
    "sandbox_create_body",
    "sandbox_list_params",
]

DEFAULT_TEMPLATE = "system/debian:bookworm"
LIST_STATES = tuple(state for state in SANDBOX_STATES if state != "deleted")
"""The states a list can filter on (a deleted sandbox is not listed)."""
LIST_SORT_FIELDS = ("created_at", "state")
LIST_ORDERS = ("asc", "desc")


def _int_in(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return int(value)


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
    if vcpu is not None:
        body["vcpu"] = _int_in("vcpu", vcpu, 1, 8)
    if memory is not None:
        body["memory"] = _int_in("memory", memory, 512, 8192)
        if memory % 2:
            raise ValueError(f"memory must be an even number of MiB, got {memory}")
    if timeout is not None:
        body["timeout"] = _int_in("timeout", timeout, 1, 28800)
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
        if state not in LIST_STATES:
            raise ValueError(f"state must be one of {', '.join(LIST_STATES)}; got {state!r}")
        params["state"] = state
    if sort not in LIST_SORT_FIELDS:
        raise ValueError(f"sort must be one of {', '.join(LIST_SORT_FIELDS)}; got {sort!r}")
    if order not in LIST_ORDERS:
        raise ValueError(f"order must be 'asc' or 'desc'; got {order!r}")
    params["sort"] = sort
    params["order-by"] = order
    params["page"] = _int_in("page", page, 1, 2**31 - 1)
    params["page-size"] = _int_in("page_size", page_size, 1, 100)
    return params
