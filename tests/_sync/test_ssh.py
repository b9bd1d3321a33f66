# Generated from tests/_async/test_ssh.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
"""The SSH client: request shapes, results and error mapping (pytest-httpx)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone

import httpx
import pytest
from pytest_httpx import HTTPXMock

from leap0 import (
    Leap0Client,
    SshClient,
    Leap0APIError,
    Leap0AuthenticationError,
    Leap0BadRequestError,
    Leap0ConflictError,
    Leap0NotFoundError,
    Leap0PermissionError,
    Leap0RateLimitError,
    Leap0ResponseError,
    Leap0ServerError,
    SandboxInfo,
    SshAccess,
    SshValidation,
)
from tests._support import (
    ACCESS_ID,
    API_KEY,
    BASE_URL,
    PASSWORD,
    SANDBOX_ID,
    access_json,
    sandbox_json,
    url,
)

ACCESS = url(f"/v1/sandbox/{SANDBOX_ID}/ssh/access")
VALIDATE = url(f"/v1/sandbox/{SANDBOX_ID}/ssh/validate")
REGEN = url(f"/v1/sandbox/{SANDBOX_ID}/ssh/regen")


@pytest.fixture
def client() -> Iterator[Leap0Client]:
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL, max_retries=0, ssh_api="single") as c:
        yield c


def _assert_common_headers(request: httpx.Request) -> None:
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"].startswith("leap0-python/")


def test_create_access_request_and_result(client: Leap0Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=ACCESS, status_code=201, json=access_json())

    access = client.ssh.create_access(SANDBOX_ID)

    request = httpx_mock.get_request()
    assert request is not None
    _assert_common_headers(request)
    assert request.content == b""
    assert isinstance(access, SshAccess)
    assert access.id == ACCESS_ID
    assert access.username == ACCESS_ID
    assert access.sandbox_id == SANDBOX_ID
    assert access.password == PASSWORD
    assert access.command == access.ssh_command == f"ssh -p 2222 {ACCESS_ID}@ssh.leap0.test"
    assert access.expires_at == datetime(2026, 11, 26, 5, 0, tzinfo=timezone.utc)
    assert access.created_at.tzinfo is not None


def test_delete_access_sends_delete_and_returns_none(
    client: Leap0Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(method="DELETE", url=ACCESS, status_code=204)

    result = client.ssh.delete_access(SANDBOX_ID)  # type: ignore[func-returns-value]

    assert result is None
    request = httpx_mock.get_request()
    assert request is not None
    _assert_common_headers(request)


def test_validate_access_sends_the_pair(client: Leap0Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=VALIDATE, json={"valid": True, "sandbox_id": SANDBOX_ID}
    )

    result = client.ssh.validate_access(SANDBOX_ID, access_id=ACCESS_ID, password=PASSWORD)

    assert result == SshValidation(valid=True, sandbox_id=SANDBOX_ID)
    request = httpx_mock.get_request()
    assert request is not None
    _assert_common_headers(request)
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"id": ACCESS_ID, "password": PASSWORD}


def test_validate_access_invalid_pair_is_a_result_not_an_error(
    client: Leap0Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        method="POST", url=VALIDATE, json={"valid": False, "sandbox_id": SANDBOX_ID}
    )
    result = client.ssh.validate_access(SANDBOX_ID, access_id=ACCESS_ID, password="wrong")
    assert result.valid is False


def test_regenerate_access_returns_new_credential(
    client: Leap0Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        method="POST",
        url=REGEN,
        json=access_json(password="new-password", updated_at="2026-11-26T04:30:00Z"),
    )

    access = client.ssh.regenerate_access(SANDBOX_ID)

    assert access.password == "new-password"
    assert access.updated_at == datetime(2026, 11, 26, 4, 30, tzinfo=timezone.utc)
    request = httpx_mock.get_request()
    assert request is not None
    assert request.content == b""


def test_sandbox_object_is_accepted_wherever_an_id_is(
    client: Leap0Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(method="POST", url=REGEN, json=access_json())
    info = SandboxInfo(
        id=SANDBOX_ID,
        template_id="t",
        vcpu=1,
        memory=1024,
        disk=1,
        timeout=300,
        state="running",
        auto_pause=False,
        created_at=datetime.now(timezone.utc),
    )
    access = client.ssh.regenerate_access(info)
    assert access.sandbox_id == SANDBOX_ID


def test_bound_ssh_of_a_sandbox_handle(client: Leap0Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=url("/v1/sandbox/"), status_code=201, json=sandbox_json()
    )
    httpx_mock.add_response(method="POST", url=ACCESS, status_code=201, json=access_json())
    httpx_mock.add_response(
        method="POST", url=VALIDATE, json={"valid": True, "sandbox_id": SANDBOX_ID}
    )
    httpx_mock.add_response(method="POST", url=REGEN, json=access_json(password="p2"))
    httpx_mock.add_response(method="DELETE", url=ACCESS, status_code=204)

    sandbox = client.sandboxes.create()
    access = sandbox.ssh.create_access()
    print(access.command)
    validation = sandbox.ssh.validate_access(access_id=access.id, password=access.password)
    regenerated = sandbox.ssh.regenerate_access()
    sandbox.ssh.delete_access()

    assert access.sandbox_id == sandbox.id == SANDBOX_ID
    assert validation.valid
    assert regenerated.password == "p2"
    assert [r.url.path for r in httpx_mock.get_requests()] == [
        "/v1/sandbox/",
        f"/v1/sandbox/{SANDBOX_ID}/ssh/access",
        f"/v1/sandbox/{SANDBOX_ID}/ssh/validate",
        f"/v1/sandbox/{SANDBOX_ID}/ssh/regen",
        f"/v1/sandbox/{SANDBOX_ID}/ssh/access",
    ]


def test_ssh_client_on_a_bare_transport(httpx_mock: HTTPXMock) -> None:
    from leap0 import HttpxTransport

    httpx_mock.add_response(method="POST", url=ACCESS, status_code=201, json=access_json())
    with HttpxTransport(api_key=API_KEY, base_url=BASE_URL) as transport:
        ssh = SshClient(transport)
        access = ssh.create_access(SANDBOX_ID)
    assert access.id == ACCESS_ID


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, Leap0BadRequestError),
        (401, Leap0AuthenticationError),
        (403, Leap0PermissionError),
        (404, Leap0NotFoundError),
        (409, Leap0ConflictError),
        (422, Leap0APIError),
        (429, Leap0RateLimitError),
        (500, Leap0ServerError),
        (503, Leap0ServerError),
    ],
)
@pytest.mark.parametrize("method", ["create", "delete", "validate", "regenerate"])
def test_error_status_maps_to_its_class(
    client: Leap0Client,
    httpx_mock: HTTPXMock,
    status: int,
    error: type[Leap0APIError],
    method: str,
) -> None:
    httpx_mock.add_response(
        status_code=status,
        json={"message": f"server says {status}"},
        headers={"x-request-id": "req_42"},
    )
    with pytest.raises(error) as info:
        _call(client, method)
    exc = info.value
    assert type(exc) is error
    assert exc.status_code == status
    assert exc.message == f"server says {status}"
    assert exc.request_id == "req_42"
    assert exc.path.startswith(f"/v1/sandbox/{SANDBOX_ID}/ssh/")
    assert exc.method in ("POST", "DELETE")
    assert exc.body == {"message": f"server says {status}"}
    assert str(status) in str(exc) and "req_42" in str(exc)


def test_bad_request_carries_field_errors(client: Leap0Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=400,
        json={"message": "Invalid request", "errors": [{"field": "id", "error": "required"}]},
    )
    with pytest.raises(Leap0BadRequestError) as info:
        client.ssh.validate_access(SANDBOX_ID, access_id=ACCESS_ID, password=PASSWORD)
    assert [(e.field, e.error) for e in info.value.errors] == [("id", "required")]
    assert "id: required" in str(info.value)


def test_rate_limit_carries_retry_after(client: Leap0Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=429, json={"message": "slow down"}, headers={"Retry-After": "7"}
    )
    with pytest.raises(Leap0RateLimitError) as info:
        client.ssh.regenerate_access(SANDBOX_ID)
    assert info.value.retry_after == 7.0


def test_error_without_json_body_still_maps(client: Leap0Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=502, text="<html>Bad gateway</html>")
    with pytest.raises(Leap0ServerError) as info:
        client.ssh.create_access(SANDBOX_ID)
    assert info.value.body == "<html>Bad gateway</html>"
    assert info.value.message == "Bad Gateway"


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"<html>oops</html>", None),
        (b"", None),
        (b'{"id": "ssh-1", ', None),
        (b"[1, 2]", None),
        (
            json.dumps({k: v for k, v in access_json().items() if k != "password"}).encode(),
            "password",
        ),
        (json.dumps(access_json(expires_at=17)).encode(), "expires_at"),
        (json.dumps(access_json(id=5)).encode(), "id"),
        (json.dumps(access_json(created_at="yesterday")).encode(), "created_at"),
    ],
)
def test_unreadable_success_body_is_a_response_error(
    client: Leap0Client, httpx_mock: HTTPXMock, content: bytes, field: str | None
) -> None:
    httpx_mock.add_response(status_code=201, content=content)
    with pytest.raises(Leap0ResponseError) as info:
        client.ssh.create_access(SANDBOX_ID)
    assert info.value.field == field
    if field is not None:
        assert field in str(info.value)
    assert PASSWORD not in str(info.value)


@pytest.mark.parametrize(
    "bad",
    ["", ".", "..", "../etc", "a/b", "a b", "sbx?x=1", "sbx#x", "é", "x" * 129, "%2e%2e", "a\nb"],
)
@pytest.mark.parametrize("method", ["create", "delete", "validate", "regenerate"])
def test_bad_sandbox_id_is_rejected_before_any_request(
    client: Leap0Client, httpx_mock: HTTPXMock, bad: str, method: str
) -> None:
    with pytest.raises(ValueError, match="sandbox"):
        _call(client, method, sandbox=bad)
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize("bad", [None, 5, b"sbx-1", ["sbx-1"], object()])
def test_wrong_sandbox_type_is_a_type_error(
    client: Leap0Client, httpx_mock: HTTPXMock, bad: object
) -> None:
    with pytest.raises(TypeError, match="sandbox"):
        client.ssh.create_access(bad)  # type: ignore[arg-type]
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize(
    ("access_id", "error"), [("../x", ValueError), (7, TypeError), ("", ValueError)]
)
def test_bad_access_id_is_rejected_before_any_request(
    client: Leap0Client, httpx_mock: HTTPXMock, access_id: object, error: type[Exception]
) -> None:
    with pytest.raises(error, match="access_id"):
        client.ssh.validate_access(
            SANDBOX_ID,
            access_id=access_id,  # type: ignore[arg-type]
            password=PASSWORD,
        )
    assert httpx_mock.get_requests() == []


def test_password_must_be_a_string(client: Leap0Client, httpx_mock: HTTPXMock) -> None:
    with pytest.raises(TypeError, match="password"):
        client.ssh.validate_access(
            SANDBOX_ID,
            access_id=ACCESS_ID,
            password=None,  # type: ignore[arg-type]
        )
    assert httpx_mock.get_requests() == []


def test_http_timeout_applies_to_that_call_only(client: Leap0Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=REGEN, json=access_json())
    httpx_mock.add_response(method="POST", url=REGEN, json=access_json())

    client.ssh.regenerate_access(SANDBOX_ID, http_timeout=1.5)
    client.ssh.regenerate_access(SANDBOX_ID)

    first, second = httpx_mock.get_requests()
    assert first.extensions["timeout"] == {"connect": 1.5, "read": 1.5, "write": 1.5, "pool": 1.5}
    assert second.extensions["timeout"] == {
        "connect": 5.0,
        "read": 30.0,
        "write": 30.0,
        "pool": 30.0,
    }


def _call(client: Leap0Client, method: str, sandbox: str = SANDBOX_ID) -> object:
    if method == "create":
        return client.ssh.create_access(sandbox)
    if method == "delete":
        return client.ssh.delete_access(sandbox)  # type: ignore[func-returns-value]
    if method == "validate":
        return client.ssh.validate_access(sandbox, access_id=ACCESS_ID, password=PASSWORD)
    return client.ssh.regenerate_access(sandbox)
