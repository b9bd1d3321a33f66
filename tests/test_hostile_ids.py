"""Property tests: any value given as an id is refused before I/O, or is exactly one path segment.

Written once and run against both clients (the async one through ``asyncio.run``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings, strategies as st

from leap0 import AsyncLeap0Client, Leap0Client
from tests._support import access_json

ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."


class WithId:
    def __init__(self, value: object) -> None:
        self.id = value

    def __repr__(self) -> str:
        return f"WithId({self.id!r})"


ids = st.one_of(
    st.text(),
    st.text(alphabet=ID_CHARS, min_size=0, max_size=140),
    st.sampled_from(
        [".", "..", "...", "a/b", "%2e%2e", "a%2Fb", "a?b", "a#b", "x" * 128, "x" * 129]
    ),
)
values = st.one_of(
    ids,
    ids.map(WithId),
    st.integers(),
    st.none(),
    st.binary(),
    st.floats(),
    st.lists(st.text(max_size=3), max_size=2),
    st.builds(object),
)


def _valid(value: object) -> bool:
    if isinstance(value, WithId):
        value = value.id
    return (
        isinstance(value, str)
        and 1 <= len(value) <= 128
        and all(c in ID_CHARS for c in value)
        and value not in (".", "..")
    )


def _handler(seen: list[bytes]) -> Any:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path)
        if request.method == "DELETE":
            return httpx.Response(204)
        if request.url.path.endswith("/validate"):
            return httpx.Response(200, json={"valid": False, "sandbox_id": "x"})
        return httpx.Response(201, json=access_json())

    return handle


def _sync_calls(value: Any, access_id: Any, seen: list[bytes]) -> list[tuple[str, object]]:
    outcomes: list[tuple[str, object]] = []
    http = httpx.Client(transport=httpx.MockTransport(_handler(seen)))
    with http, Leap0Client(api_key="k", base_url="https://h.test", http_client=http) as c:
        for name, call in [
            ("create", lambda: c.ssh.create_access(value)),
            ("delete", lambda: c.ssh.delete_access(value)),
            ("regen", lambda: c.ssh.regenerate_access(value)),
            ("validate", lambda: c.ssh.validate_access(value, access_id=access_id, password="p")),
            ("get", lambda: c.sandboxes.get_info(value)),
        ]:
            try:
                call()
                outcomes.append((name, None))
            except (ValueError, TypeError) as exc:
                outcomes.append((name, type(exc)))
            except Exception:  # e.g. a ResponseError for "get" is fine here
                outcomes.append((name, "sent"))
    return outcomes


async def _async_calls(value: Any, access_id: Any, seen: list[bytes]) -> list[tuple[str, object]]:
    outcomes: list[tuple[str, object]] = []
    http = httpx.AsyncClient(transport=httpx.MockTransport(_handler(seen)))
    async with (
        http,
        AsyncLeap0Client(api_key="k", base_url="https://h.test", http_client=http) as c,
    ):
        for name, make in [
            ("create", lambda: c.ssh.create_access(value)),
            ("delete", lambda: c.ssh.delete_access(value)),
            ("regen", lambda: c.ssh.regenerate_access(value)),
            ("validate", lambda: c.ssh.validate_access(value, access_id=access_id, password="p")),
            ("get", lambda: c.sandboxes.get_info(value)),
        ]:
            try:
                await make()
                outcomes.append((name, None))
            except (ValueError, TypeError) as exc:
                outcomes.append((name, type(exc)))
            except Exception:
                outcomes.append((name, "sent"))
    return outcomes


def _check(value: Any, seen: list[bytes], outcomes: list[tuple[str, object]]) -> None:
    if not _valid(value):
        assert seen == [], (value, seen)
        assert all(o in (ValueError, TypeError) for _, o in outcomes), outcomes
        return
    ident = value.id if isinstance(value, WithId) else value
    for path in seen:
        segments = path.split(b"/")
        assert segments[:3] == [b"", b"v1", b"sandbox"], path
        assert segments[3] == ident.encode("ascii"), (path, ident)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=values)
def test_sandbox_argument_sync(value: Any) -> None:
    seen: list[bytes] = []
    _check(value, seen, _sync_calls(value, "ssh-1", seen))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=values)
def test_sandbox_argument_async(value: Any) -> None:
    seen: list[bytes] = []
    _check(value, seen, asyncio.run(_async_calls(value, "ssh-1", seen)))


@settings(max_examples=150, deadline=None)
@given(access_id=values.filter(lambda v: not isinstance(v, WithId)))
def test_access_id_argument_both_clients(access_id: Any) -> None:
    for run in (
        lambda seen: _sync_calls("sbx-1", access_id, seen),
        lambda seen: asyncio.run(_async_calls("sbx-1", access_id, seen)),
    ):
        seen: list[bytes] = []
        outcomes = dict(run(seen))
        validate_sent = any(p.endswith(b"/validate") for p in seen)
        if _valid(access_id):
            assert validate_sent
        else:
            assert not validate_sent
            assert outcomes["validate"] in (ValueError, TypeError)
