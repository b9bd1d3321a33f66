"""Fuzzing: random requests at the emulator's API, random answers at the SDK's parsing.

The emulator answers whatever it is sent without a 500 (a bad request is a 4xx,
the process keeps serving). The SDK turns whatever a service answers into a
result or a ``Leap0Error``: no other exception reaches the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import leap0._async._httpx_transport as async_transport
import leap0._sync._httpx_transport as sync_transport
from leap0 import AsyncLeap0Client, Leap0Client, Leap0Error, SshAccess, SshValidation
from leap0.emulator import Emulator

SETTINGS = settings(
    max_examples=int(os.environ.get("LEAP0_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- the emulator's API ---------------------------------------------------------------

_SEGMENT = st.one_of(
    st.sampled_from(["v1", "sandbox", "sandboxes", "ssh", "access", "validate", "regen"]),
    st.sampled_from(["sbx-1", "ssh-1", "..", ".", "%2F", "%3F", "%23", "%00", "%ff", "%"]),
    st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/?#"), max_size=12
    ),
    st.text(st.characters(categories=["L", "N", "S"]), max_size=6),  # sent percent-encoded
)
_PATH = st.one_of(
    st.lists(_SEGMENT, max_size=7).map(lambda parts: "/" + "/".join(parts)),
    st.sampled_from(["/v1/sandbox/", "/v1/sandboxes", "/v1/sandbox/SBX/ssh/access"]),
    st.builds(
        lambda tail: "/v1/sandbox/SBX/ssh/" + tail,
        st.sampled_from(["access", "validate", "regen", "SSH", "SSH/validate", "SSH/regen"]),
    ),
)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "template_name": _JSON,
        "vcpu": _JSON,
        "memory": _JSON,
        "timeout": _JSON,
        "env_vars": _JSON,
        "auto_pause": _JSON,
        "mounts": _JSON,
        "network_policy": _JSON,
        "id": _JSON,
        "password": _JSON,
        "method": _JSON,
        "path": _JSON,
        "faults": _JSON,
        "advance": _JSON,
    },
)
_BODY = st.one_of(
    st.none(),
    st.binary(max_size=200),
    _JSON.map(lambda value: json.dumps(value).encode()),
    _FIELDS.map(lambda value: json.dumps(value).encode()),
    st.integers(1, 3000).map(lambda depth: b"[" * depth + b"]" * depth),
)


@pytest.fixture(scope="module")
def api(leap0_emulator_server: Emulator) -> Iterator[tuple[Emulator, httpx.Client]]:
    emu = leap0_emulator_server
    emu.reset()
    with httpx.Client(base_url=emu.base_url, timeout=30.0, trust_env=False) as client:
        yield emu, client
    emu.reset()


@SETTINGS
@given(
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"]),
    path=_PATH,
    body=_BODY,
    authenticated=st.booleans(),
    content_type=st.sampled_from([None, "application/json", "text/plain"]),
)
def test_the_emulator_answers_anything_without_a_500(
    api: tuple[Emulator, httpx.Client],
    method: str,
    path: str,
    body: bytes | None,
    authenticated: bool,
    content_type: str | None,
) -> None:
    emu, client = api
    sandboxes = client.get("/v1/sandboxes", headers={"authorization": f"Bearer {emu.api_key}"})
    items = sandboxes.json()["items"]
    path = path.replace("SBX", items[0]["id"] if items else "sbx-none")
    headers = {}
    if authenticated:
        headers["authorization"] = f"Bearer {emu.api_key}"
    if content_type:
        headers["content-type"] = content_type
    answer = client.request(method, emu.base_url + path, content=body, headers=headers)
    assert answer.status_code < 500, (method, path, body, answer.text[:300])
    if not authenticated and answer.status_code != 404:
        # Nothing but a route miss is answered before the key is checked.
        assert answer.status_code in (401, 405), (method, path, answer.status_code)
    # Still serving, and still answering lists in the spec's shape.
    after = client.get("/v1/sandboxes", headers={"authorization": f"Bearer {emu.api_key}"})
    assert after.status_code == 200
    assert isinstance(after.json()["items"], list)


# -- the SDK's answer parsing ----------------------------------------------------------

_STATUS = st.one_of(
    st.sampled_from([200, 201, 204, 400, 401, 403, 404, 405, 408, 409, 413, 429, 500, 502, 503]),
    st.integers(200, 599),
)
_HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "content-type": st.sampled_from(["application/json", "text/html", "", "x/y; charset=zz"]),
        "retry-after": st.one_of(
            st.text(st.characters(codec="latin-1"), max_size=30),
            st.integers(-5, 10**9).map(str),
            st.sampled_from(["Wed, 21 Oct 2015 07:28:00 GMT", "1e9", "nan", "inf", "0.5"]),
        ),
        "x-request-id": st.text(st.characters(codec="latin-1"), max_size=30),
        "content-encoding": st.sampled_from(["gzip", "br", "identity", "bogus"]),
    },
)
_ACCESS = st.fixed_dictionaries(
    {},
    optional={
        "id": _JSON | st.sampled_from(["ssh-1", "../x", "-oProxyCommand=x"]),
        "sandbox_id": _JSON | st.just("sbx-1"),
        "password": _JSON | st.just("pw"),
        "expires_at": _JSON | st.sampled_from(["2026-11-26T05:00:00Z", "2026-13-45T99:00:00Z"]),
        "created_at": _JSON | st.just("2026-11-26T04:00:00.123456789+00:00"),
        "updated_at": _JSON | st.just("2026-11-26T04:00:00Z"),
        "ssh_command": _JSON
        | st.sampled_from(["ssh -p 2222 ssh-1@h.example", "ssh ssh://ssh-1@[::1]:70000", "ssh"]),
        "valid": _JSON,
        "message": _JSON,
        "errors": _JSON,
        "items": _JSON,
        "total_items": _JSON,
    },
)
_ANSWER_BODY = st.one_of(
    st.binary(max_size=300),
    _JSON.map(lambda value: json.dumps(value).encode()),
    _ACCESS.map(lambda value: json.dumps(value).encode()),
    st.integers(500, 200_000).map(lambda depth: b"[" * depth),
)

_CALLS: dict[str, Callable[[Any], Any]] = {
    "create_access": lambda ssh: ssh.create_access("sbx-1"),
    "delete_access": lambda ssh: ssh.delete_access("sbx-1", access_id="ssh-1"),
    "validate_access": lambda ssh: ssh.validate_access("sbx-1", access_id="ssh-1", password="p"),
    "regenerate_access": lambda ssh: ssh.regenerate_access("sbx-1", access_id="ssh-1"),
}
_RESULTS = {
    "create_access": SshAccess,
    "delete_access": type(None),
    "validate_access": SshValidation,
    "regenerate_access": SshAccess,
}


def _handler(status: int, headers: dict[str, str], body: bytes) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        raw = [(name.encode(), value.encode("latin-1")) for name, value in headers.items()]
        return httpx.Response(status, headers=raw, content=body)

    return httpx.MockTransport(answer)


@pytest.fixture
def no_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_async_sleep(seconds: float) -> None:
        pass

    monkeypatch.setattr(sync_transport, "sync_sleep", lambda seconds: None)
    monkeypatch.setattr(async_transport, "async_sleep", no_async_sleep)


def _check(method: str, call: Callable[[], Any]) -> None:
    try:
        result = call()
    except Leap0Error as exc:
        str(exc), repr(exc)  # every error can be shown
        return
    assert isinstance(result, _RESULTS[method])
    if isinstance(result, SshAccess):
        # host and port read the service's text: a result or a Leap0Error, nothing else.
        with contextlib.suppress(Leap0Error):
            result.host, result.port  # noqa: B018


@SETTINGS
@given(
    method=st.sampled_from(sorted(_CALLS)),
    ssh_api=st.sampled_from(["single", "per-credential"]),
    status=_STATUS,
    headers=_HEADERS,
    body=_ANSWER_BODY,
)
def test_any_answer_is_a_result_or_a_leap0_error(
    no_waits: None,
    method: str,
    ssh_api: Any,
    status: int,
    headers: dict[str, str],
    body: bytes,
) -> None:
    mock = _handler(status, headers, body)
    with (
        httpx.Client(transport=mock) as http,
        Leap0Client(
            api_key="k",
            base_url="https://api.leap0.test",
            http_client=http,
            max_retries=1,
            ssh_api=ssh_api,
        ) as client,
    ):
        _check(method, lambda: _CALLS[method](client.ssh))

    async def run_async() -> None:
        async with (
            httpx.AsyncClient(transport=mock) as http,
            AsyncLeap0Client(
                api_key="k",
                base_url="https://api.leap0.test",
                http_client=http,
                max_retries=1,
                ssh_api=ssh_api,
            ) as client,
        ):
            try:
                result = await _CALLS[method](client.ssh)
            except Leap0Error:
                return
            _check(method, lambda: result)

    asyncio.run(run_async())
