"""``ssh_api="auto"``: what the client sends against each revision (pytest-httpx).

Each test plays one revision of the service with the statuses the CONTRACT
lists for it (a seed service answers the per-credential paths 404, a
per-credential service answers the seed's validate and regen 405 and the
seed's ``DELETE .../ssh/access`` 404), and checks every request sent: at most
one more than the calls made, never a create twice, never two acting requests
on one credential.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from pytest_httpx import HTTPXMock

from leap0 import (
    AsyncLeap0Client,
    Leap0AccessIdRequiredError,
    Leap0APIError,
    Leap0Error,
    Leap0NotFoundError,
    Leap0ServerError,
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

pytestmark = pytest.mark.usefixtures("no_ssh_api_env")

SBX = f"/v1/sandbox/{SANDBOX_ID}"
VALID = {"valid": True, "sandbox_id": SANDBOX_ID}
NO_ROUTE = {"message": "Not Found"}
NOT_ALLOWED = {"message": "Method Not Allowed"}


@pytest.fixture
async def client() -> AsyncIterator[AsyncLeap0Client]:
    async with AsyncLeap0Client(api_key=API_KEY, base_url=BASE_URL, max_retries=0) as c:
        assert c.ssh_api == "auto"
        yield c


def _sent(httpx_mock: HTTPXMock) -> list[tuple[str, str, object]]:
    return [
        (r.method, r.url.path.removeprefix(SBX), json.loads(r.content) if r.content else None)
        for r in httpx_mock.get_requests()
    ]


def _add(httpx_mock: HTTPXMock, method: str, leaf: str, status: int, body: object = None) -> None:
    """One answer of ``method {SBX}{leaf}``."""
    kwargs: dict[str, object] = {} if body is None else {"json": body}
    if status == 405:
        kwargs["headers"] = {"allow": "DELETE"}
    httpx_mock.add_response(method=method, url=url(SBX + leaf), status_code=status, **kwargs)  # type: ignore[arg-type]


def _create(httpx_mock: HTTPXMock) -> None:
    _add(httpx_mock, "POST", "/ssh/access", 201, access_json())


# -- against today's service (per-credential) -----------------------------------------------


async def test_seed_calls_on_a_per_credential_service_send_no_extra_request(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    _create(httpx_mock)
    _add(httpx_mock, "POST", f"/ssh/{ACCESS_ID}/validate", 200, VALID)
    _add(httpx_mock, "POST", f"/ssh/{ACCESS_ID}/regen", 200, access_json(password="p2"))
    _add(httpx_mock, "DELETE", f"/ssh/{ACCESS_ID}", 204)

    access = await client.ssh.create_access(SANDBOX_ID)
    assert (
        await client.ssh.validate_access(SANDBOX_ID, access_id=access.id, password=PASSWORD)
    ).valid
    assert client.ssh.revision == "per-credential"
    assert (await client.ssh.regenerate_access(SANDBOX_ID)).password == "p2"
    await client.ssh.delete_access(SANDBOX_ID)

    assert _sent(httpx_mock) == [
        ("POST", "/ssh/access", None),
        ("POST", f"/ssh/{ACCESS_ID}/validate", {"password": PASSWORD}),
        ("POST", f"/ssh/{ACCESS_ID}/regen", None),
        ("DELETE", f"/ssh/{ACCESS_ID}", None),
    ]


async def test_unknown_credential_on_a_per_credential_service_costs_one_probe(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    _add(httpx_mock, "POST", f"/ssh/{ACCESS_ID}/validate", 404, {"message": "SSH access not found"})
    _add(httpx_mock, "POST", "/ssh/validate", 405, NOT_ALLOWED)
    _add(httpx_mock, "POST", f"/ssh/{ACCESS_ID}/regen", 404, {"message": "SSH access not found"})

    with pytest.raises(Leap0NotFoundError) as caught:
        await client.ssh.validate_access(SANDBOX_ID, access_id=ACCESS_ID, password=PASSWORD)
    assert caught.value.message == "SSH access not found"  # the served route's answer
    assert client.ssh.revision == "per-credential"
    with pytest.raises(Leap0NotFoundError):  # now straight to the per-credential route
        await client.ssh.regenerate_access(SANDBOX_ID, access_id=ACCESS_ID)

    assert _sent(httpx_mock) == [
        ("POST", f"/ssh/{ACCESS_ID}/validate", {"password": PASSWORD}),
        ("POST", "/ssh/validate", {"id": ACCESS_ID, "password": PASSWORD}),
        ("POST", f"/ssh/{ACCESS_ID}/regen", None),
    ]


@pytest.mark.parametrize("method", ["regenerate_access", "delete_access"])
async def test_no_credential_known_on_a_per_credential_service_is_access_id_required(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock, method: str
) -> None:
    if method == "regenerate_access":
        _add(httpx_mock, "POST", "/ssh/regen", 405, NOT_ALLOWED)
        expected: list[tuple[str, str, object]] = [("POST", "/ssh/regen", None)]
    else:  # "the credential 'access'": a 404 that proves nothing, so the probe tells
        _add(httpx_mock, "DELETE", "/ssh/access", 404, {"message": "SSH access 'access' not found"})
        _add(httpx_mock, "POST", "/ssh/validate", 405, NOT_ALLOWED)
        expected = [
            ("DELETE", "/ssh/access", None),
            ("POST", "/ssh/validate", {"id": "access", "password": ""}),
        ]

    with pytest.raises(Leap0AccessIdRequiredError, match="needs access_id") as caught:
        await getattr(client.ssh, method)(SANDBOX_ID)
    error = caught.value
    assert isinstance(error, ValueError) and isinstance(error, Leap0Error)
    assert isinstance(error.__cause__, Leap0APIError)
    assert client.ssh.revision == "per-credential"
    assert _sent(httpx_mock) == expected

    # The revision is known now: the same call is refused before any request.
    with pytest.raises(Leap0AccessIdRequiredError):
        await getattr(client.ssh, method)(SANDBOX_ID)
    assert len(httpx_mock.get_requests()) == len(expected)


async def test_several_credentials_of_this_client_need_access_id_before_any_request(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    _create(httpx_mock)
    _add(httpx_mock, "POST", "/ssh/access", 201, access_json(id="ssh-second"))
    await client.ssh.create_access(SANDBOX_ID)
    await client.ssh.create_access(SANDBOX_ID)
    for method in ("regenerate_access", "delete_access"):
        with pytest.raises(ValueError, match="holds several SSH credentials"):
            await getattr(client.ssh, method)(SANDBOX_ID)
    assert len(httpx_mock.get_requests()) == 2


async def test_deleted_credentials_are_forgotten(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    _create(httpx_mock)
    _add(httpx_mock, "DELETE", f"/ssh/{ACCESS_ID}", 204)
    await client.ssh.create_access(SANDBOX_ID)
    await client.ssh.delete_access(SANDBOX_ID)  # found the per-credential routes, and forgot
    with pytest.raises(Leap0AccessIdRequiredError, match="no credential"):
        await client.ssh.regenerate_access(SANDBOX_ID)
    assert len(httpx_mock.get_requests()) == 2


async def test_a_deleted_sandbox_takes_its_credentials_along(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    _create(httpx_mock)
    _add(httpx_mock, "DELETE", "/", 204)
    _add(httpx_mock, "POST", "/ssh/regen", 405, NOT_ALLOWED)
    await client.ssh.create_access(SANDBOX_ID)
    await client.sandboxes.delete(SANDBOX_ID)
    with pytest.raises(Leap0AccessIdRequiredError):
        await client.ssh.regenerate_access(SANDBOX_ID)
    assert [m for m, _, _ in _sent(httpx_mock)] == ["POST", "DELETE", "POST"]


# -- against a seed-revision service ----------------------------------------------------------


async def test_seed_calls_on_a_seed_service_cost_one_extra_request(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    _create(httpx_mock)
    _add(httpx_mock, "POST", f"/ssh/{ACCESS_ID}/validate", 404, NO_ROUTE)
    _add(httpx_mock, "POST", "/ssh/validate", 200, VALID)
    _add(httpx_mock, "POST", "/ssh/regen", 200, access_json(password="p2"))
    _add(httpx_mock, "DELETE", "/ssh/access", 204)

    access = await client.ssh.create_access(SANDBOX_ID)
    assert (
        await client.ssh.validate_access(SANDBOX_ID, access_id=access.id, password=PASSWORD)
    ).valid
    assert client.ssh.revision == "single"
    await client.ssh.regenerate_access(SANDBOX_ID)
    await client.ssh.delete_access(SANDBOX_ID, access_id=ACCESS_ID)  # checked, not sent

    assert _sent(httpx_mock) == [
        ("POST", "/ssh/access", None),
        ("POST", f"/ssh/{ACCESS_ID}/validate", {"password": PASSWORD}),
        ("POST", "/ssh/validate", {"id": ACCESS_ID, "password": PASSWORD}),
        ("POST", "/ssh/regen", None),
        ("DELETE", "/ssh/access", None),
    ]


@pytest.mark.parametrize("method", ["regenerate_access", "delete_access"])
async def test_a_seed_service_found_by_rotate_or_revoke(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock, method: str
) -> None:
    _create(httpx_mock)
    if method == "regenerate_access":
        _add(httpx_mock, "POST", f"/ssh/{ACCESS_ID}/regen", 404, NO_ROUTE)
        _add(httpx_mock, "POST", "/ssh/regen", 200, access_json())
        leaves = [f"/ssh/{ACCESS_ID}/regen", "/ssh/regen"]
    else:
        _add(httpx_mock, "DELETE", f"/ssh/{ACCESS_ID}", 404, NO_ROUTE)
        _add(httpx_mock, "DELETE", "/ssh/access", 204)
        leaves = [f"/ssh/{ACCESS_ID}", "/ssh/access"]

    await client.ssh.create_access(SANDBOX_ID)
    await getattr(client.ssh, method)(SANDBOX_ID)
    assert client.ssh.revision == "single"
    assert [leaf for _, leaf, _ in _sent(httpx_mock)] == ["/ssh/access", *leaves]


async def test_seed_service_with_no_credential_known(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    # A credential issued elsewhere: the seed routes need no id.
    _add(httpx_mock, "POST", "/ssh/regen", 200, access_json())
    _add(httpx_mock, "DELETE", "/ssh/access", 204)
    await client.ssh.regenerate_access(SANDBOX_ID)
    assert client.ssh.revision == "single"
    await client.ssh.delete_access(SANDBOX_ID)
    assert [leaf for _, leaf, _ in _sent(httpx_mock)] == ["/ssh/regen", "/ssh/access"]


async def test_seed_service_revoke_with_nothing_to_revoke_is_not_found(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    _add(httpx_mock, "DELETE", "/ssh/access", 404, {"message": "SSH access not found"})
    _add(httpx_mock, "POST", "/ssh/validate", 200, {"valid": False, "sandbox_id": SANDBOX_ID})
    with pytest.raises(Leap0NotFoundError) as caught:
        await client.ssh.delete_access(SANDBOX_ID)
    assert caught.value.message == "SSH access not found"
    assert client.ssh.revision == "single"


# -- what never happens ---------------------------------------------------------------------


async def test_a_server_error_is_not_a_missing_route(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    _add(httpx_mock, "POST", f"/ssh/{ACCESS_ID}/regen", 500, {"message": "boom"})
    with pytest.raises(Leap0ServerError):
        await client.ssh.regenerate_access(SANDBOX_ID, access_id=ACCESS_ID)
    assert len(httpx_mock.get_requests()) == 1  # no second route tried
    assert client.ssh.revision is None


async def test_a_create_is_sent_once_whatever_it_answers(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    _add(httpx_mock, "POST", "/ssh/access", 404, NO_ROUTE)
    with pytest.raises(Leap0NotFoundError):
        await client.ssh.create_access(SANDBOX_ID)
    assert len(httpx_mock.get_requests()) == 1


async def test_the_handle_shares_what_its_client_learned(
    client: AsyncLeap0Client, httpx_mock: HTTPXMock
) -> None:
    _add(httpx_mock, "GET", "/", 200, sandbox_json())
    _add(httpx_mock, "POST", "/ssh/access", 201, access_json())
    _add(httpx_mock, "POST", f"/ssh/{ACCESS_ID}/regen", 200, access_json())
    _add(httpx_mock, "DELETE", f"/ssh/{ACCESS_ID}", 204)
    sandbox = await client.sandboxes.get(SANDBOX_ID)
    await client.ssh.create_access(SANDBOX_ID)  # issued through the client ...
    await sandbox.ssh.regenerate_access()  # ... found by the handle
    await sandbox.ssh.delete_access()
    assert client.ssh.revision == "per-credential"
