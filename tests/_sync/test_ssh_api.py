# Generated from tests/_async/test_ssh_api.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
"""The ``ssh_api`` setting: which SSH routes each method calls, and what it refuses (pytest-httpx)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pytest_httpx import HTTPXMock

from leap0 import (
    Leap0Client,
    SshClient,
    Leap0APIError,
    Leap0NotFoundError,
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

from ._fakes import FakeTransport

pytestmark = pytest.mark.usefixtures("no_ssh_api_env")

SBX = f"/v1/sandbox/{SANDBOX_ID}"
VALID = {"valid": True, "sandbox_id": SANDBOX_ID}


@pytest.fixture
def per_credential() -> Iterator[Leap0Client]:
    with Leap0Client(
        api_key=API_KEY, base_url=BASE_URL, max_retries=0, ssh_api="per-credential"
    ) as c:
        yield c


@pytest.fixture
def single() -> Iterator[Leap0Client]:
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL, max_retries=0, ssh_api="single") as c:
        yield c


def _sent(httpx_mock: HTTPXMock) -> list[tuple[str, str, object]]:
    return [
        (r.method, r.url.path, json.loads(r.content) if r.content else None)
        for r in httpx_mock.get_requests()
    ]


# -- the setting ------------------------------------------------------------------


def test_default_is_auto() -> None:
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL) as client:
        assert client.ssh_api == client.ssh.ssh_api == "auto"
        assert client.ssh.revision is None  # nothing found before the first answer
        assert "ssh_api='auto'" in repr(client)


def test_a_strict_setting_is_its_own_revision(single: Leap0Client) -> None:
    assert single.ssh_api == single.ssh.ssh_api == single.ssh.revision == "single"
    assert "ssh_api='single'" in repr(single)


def test_environment_variable_sets_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAP0_SSH_API", "per-credential")
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL) as client:
        assert client.ssh_api == "per-credential"
        assert client.ssh.ssh_api == "per-credential"
    # The argument wins over the environment.
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL, ssh_api="single") as client:
        assert client.ssh_api == "single"


def test_empty_environment_variable_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAP0_SSH_API", "")
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL) as client:
        assert client.ssh_api == "auto"


@pytest.mark.parametrize("value", ["both", "Single", "per_credential", " single", "", "AUTO"])
def test_unknown_value_is_refused_at_construction(value: str) -> None:
    with pytest.raises(ValueError, match=r"ssh_api must be 'auto' .* 'single' .* 'per-credential'"):
        Leap0Client(api_key=API_KEY, base_url=BASE_URL, ssh_api=value)  # type: ignore[arg-type]


def test_unknown_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAP0_SSH_API", "v2")
    with pytest.raises(ValueError, match="LEAP0_SSH_API must be 'auto'"):
        Leap0Client(api_key=API_KEY, base_url=BASE_URL)


def test_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="ssh_api must be a str"):
        Leap0Client(api_key=API_KEY, base_url=BASE_URL, ssh_api=1)  # type: ignore[arg-type]


def test_ssh_client_takes_it_and_ignores_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEAP0_SSH_API", "per-credential")
    transport = FakeTransport()
    assert SshClient(transport).ssh_api == "auto"
    assert SshClient(transport, ssh_api=None).ssh_api == "auto"  # type: ignore[arg-type]
    ssh = SshClient(transport, ssh_api="per-credential")
    assert ssh.ssh_api == "per-credential"
    assert "ssh_api='per-credential'" in repr(ssh)
    with pytest.raises(ValueError, match="ssh_api must be"):
        SshClient(transport, ssh_api="bogus")  # type: ignore[arg-type]
    assert transport.sent == []


# -- per-credential routes ----------------------------------------------------------


def test_per_credential_routes_and_bodies(
    per_credential: Leap0Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        method="POST", url=url(f"{SBX}/ssh/access"), status_code=201, json=access_json()
    )
    httpx_mock.add_response(method="POST", url=url(f"{SBX}/ssh/{ACCESS_ID}/validate"), json=VALID)
    httpx_mock.add_response(
        method="POST", url=url(f"{SBX}/ssh/{ACCESS_ID}/regen"), json=access_json(password="p2")
    )
    httpx_mock.add_response(method="DELETE", url=url(f"{SBX}/ssh/{ACCESS_ID}"), status_code=204)

    ssh = per_credential.ssh
    access = ssh.create_access(SANDBOX_ID)
    check = ssh.validate_access(SANDBOX_ID, access_id=access.id, password=PASSWORD)
    renewed = ssh.regenerate_access(SANDBOX_ID, access_id=access.id)
    ssh.delete_access(SANDBOX_ID, access_id=access.id)

    assert check.valid
    assert renewed.password == "p2"
    assert _sent(httpx_mock) == [
        ("POST", f"{SBX}/ssh/access", None),
        ("POST", f"{SBX}/ssh/{ACCESS_ID}/validate", {"password": PASSWORD}),
        ("POST", f"{SBX}/ssh/{ACCESS_ID}/regen", None),
        ("DELETE", f"{SBX}/ssh/{ACCESS_ID}", None),
    ]


def test_bound_handle_follows_the_setting(
    per_credential: Leap0Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(method="GET", url=url(f"{SBX}/"), json=sandbox_json())
    httpx_mock.add_response(method="POST", url=url(f"{SBX}/ssh/{ACCESS_ID}/validate"), json=VALID)
    httpx_mock.add_response(
        method="POST", url=url(f"{SBX}/ssh/{ACCESS_ID}/regen"), json=access_json()
    )
    httpx_mock.add_response(method="DELETE", url=url(f"{SBX}/ssh/{ACCESS_ID}"), status_code=204)

    sandbox = per_credential.sandboxes.get(SANDBOX_ID)
    sandbox.ssh.validate_access(access_id=ACCESS_ID, password=PASSWORD)
    sandbox.ssh.regenerate_access(access_id=ACCESS_ID)
    sandbox.ssh.delete_access(access_id=ACCESS_ID)

    assert [path for _, path, _ in _sent(httpx_mock)] == [
        f"{SBX}/",
        f"{SBX}/ssh/{ACCESS_ID}/validate",
        f"{SBX}/ssh/{ACCESS_ID}/regen",
        f"{SBX}/ssh/{ACCESS_ID}",
    ]


@pytest.mark.parametrize("method", ["delete_access", "regenerate_access"])
def test_per_credential_needs_access_id_before_any_io(
    per_credential: Leap0Client, httpx_mock: HTTPXMock, method: str
) -> None:
    with pytest.raises(ValueError, match=r"needs access_id=.*several SSH credentials per sandbox"):
        getattr(per_credential.ssh, method)(SANDBOX_ID)
    httpx_mock.add_response(method="GET", url=url(f"{SBX}/"), json=sandbox_json())
    sandbox_ssh = (per_credential.sandboxes.get(SANDBOX_ID)).ssh
    with pytest.raises(ValueError, match="needs access_id="):
        getattr(sandbox_ssh, method)()
    assert [path for _, path, _ in _sent(httpx_mock)] == [f"{SBX}/"]


@pytest.mark.parametrize("setting", ["auto", "single", "per-credential"])
@pytest.mark.parametrize("method", ["delete_access", "regenerate_access"])
@pytest.mark.parametrize("bad", ["../x", "a/b", "", "ssh x", "é"])
def test_hostile_access_id_never_leaves_the_process(
    httpx_mock: HTTPXMock, setting: str, method: str, bad: str
) -> None:
    with Leap0Client(api_key=API_KEY, base_url=BASE_URL, ssh_api=setting) as client:  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="access_id must be"):
            getattr(client.ssh, method)(SANDBOX_ID, access_id=bad)
        with pytest.raises(TypeError, match="access_id must be a str"):
            getattr(client.ssh, method)(SANDBOX_ID, access_id=7)
    assert httpx_mock.get_requests() == []


def test_hostile_sandbox_is_refused_before_a_missing_access_id_matters(
    per_credential: Leap0Client, httpx_mock: HTTPXMock
) -> None:
    with pytest.raises(ValueError, match="sandbox must be"):
        per_credential.ssh.delete_access("../etc", access_id=ACCESS_ID)
    assert httpx_mock.get_requests() == []


# -- single routes, with and without access_id ------------------------------------------


def test_single_accepts_access_id_and_does_not_send_it(
    single: Leap0Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(method="POST", url=url(f"{SBX}/ssh/regen"), json=access_json())
    httpx_mock.add_response(method="DELETE", url=url(f"{SBX}/ssh/access"), status_code=204)
    httpx_mock.add_response(method="POST", url=url(f"{SBX}/ssh/regen"), json=access_json())
    httpx_mock.add_response(method="DELETE", url=url(f"{SBX}/ssh/access"), status_code=204)

    single.ssh.regenerate_access(SANDBOX_ID, access_id=ACCESS_ID)
    single.ssh.delete_access(SANDBOX_ID, access_id=ACCESS_ID)
    # Seed-style calls, positional http_timeout included, are unchanged.
    single.ssh.regenerate_access(SANDBOX_ID, 5.0)
    single.ssh.delete_access(SANDBOX_ID, 5.0)

    sent = _sent(httpx_mock)
    assert sent == [
        ("POST", f"{SBX}/ssh/regen", None),
        ("DELETE", f"{SBX}/ssh/access", None),
        ("POST", f"{SBX}/ssh/regen", None),
        ("DELETE", f"{SBX}/ssh/access", None),
    ]
    assert all(ACCESS_ID not in str(r.url) for r in httpx_mock.get_requests())


# -- a setting that does not match the service ---------------------------------------------


def test_405_says_which_setting_to_try(single: Leap0Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST",
        url=url(f"{SBX}/ssh/validate"),
        status_code=405,
        headers={"allow": "DELETE"},
        json={"message": "Method Not Allowed"},
    )
    with pytest.raises(Leap0APIError) as caught:
        single.ssh.validate_access(SANDBOX_ID, access_id=ACCESS_ID, password=PASSWORD)
    error = caught.value
    assert error.status_code == 405
    assert "Method Not Allowed" in str(error)
    assert "ssh_api='per-credential'" in str(error)
    assert "LEAP0_SSH_API=per-credential" in str(error)
    assert PASSWORD not in str(error) and PASSWORD not in repr(error)


def test_404_is_left_as_the_service_said(
    per_credential: Leap0Client, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        method="DELETE",
        url=url(f"{SBX}/ssh/{ACCESS_ID}"),
        status_code=404,
        json={"message": "not found"},
    )
    with pytest.raises(Leap0NotFoundError) as caught:
        per_credential.ssh.delete_access(SANDBOX_ID, access_id=ACCESS_ID)
    assert caught.value.message == "not found"


def test_other_errors_pass_unchanged(single: Leap0Client, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST", url=url(f"{SBX}/ssh/regen"), status_code=400, json={"message": "bad"}
    )
    with pytest.raises(Leap0APIError) as caught:
        single.ssh.regenerate_access(SANDBOX_ID)
    assert caught.value.message == "bad"
