"""SSH credential routes: the seed's routes and the later per-credential ones."""

from __future__ import annotations

import asyncio
import datetime
import logging
from typing import Any

import httpx
import pytest

from leap0.emulator import Emulator
from leap0.emulator._settings import MAX_CREDENTIALS_PER_SANDBOX

from ._helpers import (
    SAFE_ID,
    TIMESTAMP,
    create_access,
    create_sandbox,
    field_errors,
    make_async_client,
)

ACCESS_FIELDS = {
    "id",
    "sandbox_id",
    "password",
    "expires_at",
    "created_at",
    "updated_at",
    "ssh_command",
}


def _ts(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _validate(api: httpx.Client, sandbox_id: str, access_id: str, password: str) -> bool:
    response = api.post(
        f"/v1/sandbox/{sandbox_id}/ssh/validate", json={"id": access_id, "password": password}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sandbox_id"] == sandbox_id
    assert set(body) == {"valid", "sandbox_id"}
    valid = body["valid"]
    assert isinstance(valid, bool)
    return valid


def test_create_access_shape(
    emu: Emulator, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    assert set(access) == ACCESS_FIELDS
    assert access["id"].startswith("ssh-")
    assert SAFE_ID.fullmatch(access["id"])
    assert access["sandbox_id"] == sandbox["id"]
    assert len(access["password"]) >= 20
    for name in ("expires_at", "created_at", "updated_at"):
        assert TIMESTAMP.fullmatch(access[name]), access[name]
    lifetime = _ts(access["expires_at"]) - _ts(access["created_at"])
    assert abs(lifetime.total_seconds() - 3600) < 2
    assert access["updated_at"] == access["created_at"]
    assert access["ssh_command"] == f"ssh -p {emu.ssh_port} {access['id']}@{emu.ssh_host}"


def test_one_credential_per_sandbox_under_single(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    emu.configure(ssh_api="single")
    create_access(api, sandbox["id"])
    response = api.post(f"/v1/sandbox/{sandbox['id']}/ssh/access")
    assert response.status_code == 409
    assert set(response.json()) == {"message"}


def test_several_credentials_per_sandbox_by_default(
    api: httpx.Client, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    second = create_access(api, sandbox["id"])
    assert second["id"] != access["id"]


def test_unknown_sandbox_is_404_everywhere(api: httpx.Client) -> None:
    base = "/v1/sandbox/sbx-unknown/ssh"
    calls = [
        ("POST", f"{base}/access", None),
        ("DELETE", f"{base}/access", None),
        ("POST", f"{base}/validate", {"id": "ssh-1", "password": "x"}),
        ("POST", f"{base}/regen", None),
        ("DELETE", f"{base}/ssh-1", None),
        ("POST", f"{base}/ssh-1/validate", {"password": "x"}),
        ("POST", f"{base}/ssh-1/regen", None),
    ]
    for method, path, body in calls:
        response = api.request(method, path, json=body)
        assert response.status_code == 404, (method, path)
        assert set(response.json()) == {"message"}


def test_no_credential_is_404_for_delete_and_regen(
    api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    assert api.delete(f"/v1/sandbox/{sid}/ssh/access").status_code == 404
    assert api.post(f"/v1/sandbox/{sid}/ssh/regen").status_code == 404
    assert _validate(api, sid, "ssh-0", "x") is False


def test_validate(api: httpx.Client, sandbox: dict[str, Any], access: dict[str, Any]) -> None:
    sid, aid, pw = sandbox["id"], access["id"], access["password"]
    assert _validate(api, sid, aid, pw) is True
    assert _validate(api, sid, aid, pw + "x") is False
    assert _validate(api, sid, aid, "") is False
    assert _validate(api, sid, "ssh-0000", pw) is False


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"id", "password"}),
        ({"id": "ssh-1"}, {"password"}),
        ({"password": "x"}, {"id"}),
        ({"id": 1, "password": None}, {"id", "password"}),
    ],
)
def test_validate_rejects_malformed_bodies(
    api: httpx.Client, sandbox: dict[str, Any], body: dict[str, Any], fields: set[str]
) -> None:
    response = api.post(f"/v1/sandbox/{sandbox['id']}/ssh/validate", json=body)
    assert field_errors(response) == fields


def test_validate_rejects_non_json(api: httpx.Client, sandbox: dict[str, Any]) -> None:
    response = api.post(f"/v1/sandbox/{sandbox['id']}/ssh/validate", content=b"id=1")
    assert field_errors(response) == {"body"}


def test_regen_keeps_id_and_invalidates_the_old_password(
    api: httpx.Client, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    response = api.post(f"/v1/sandbox/{sid}/ssh/regen")
    assert response.status_code == 200
    new = response.json()
    assert set(new) == ACCESS_FIELDS
    assert new["id"] == access["id"]
    assert new["password"] != access["password"]
    assert new["created_at"] == access["created_at"]
    assert _ts(new["updated_at"]) > _ts(access["updated_at"])
    assert _ts(new["expires_at"]) > _ts(access["expires_at"])
    assert new["ssh_command"] == access["ssh_command"]
    assert _validate(api, sid, access["id"], access["password"]) is False
    assert _validate(api, sid, new["id"], new["password"]) is True


def test_delete_access_then_create_again(
    api: httpx.Client, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    response = api.delete(f"/v1/sandbox/{sid}/ssh/access")
    assert response.status_code == 204
    assert response.content == b""
    assert _validate(api, sid, access["id"], access["password"]) is False
    assert api.delete(f"/v1/sandbox/{sid}/ssh/access").status_code == 404
    again = create_access(api, sid)
    assert again["id"] != access["id"]


def test_deleting_the_sandbox_revokes_its_credential(
    api: httpx.Client, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    assert api.delete(f"/v1/sandbox/{sandbox['id']}").status_code == 204
    response = api.post(
        f"/v1/sandbox/{sandbox['id']}/ssh/validate",
        json={"id": access["id"], "password": access["password"]},
    )
    assert response.status_code == 404


def test_expiry(emu: Emulator, api: httpx.Client) -> None:
    sandbox = create_sandbox(api, timeout=28800)
    access = create_access(api, sandbox["id"])
    lifetime = _ts(access["expires_at"]) - _ts(access["created_at"])
    assert lifetime.total_seconds() == 3600
    emu.advance(3599)
    assert _validate(api, sandbox["id"], access["id"], access["password"]) is True
    emu.advance(1)
    assert _validate(api, sandbox["id"], access["id"], access["password"]) is False
    # regenerating resets the expiry, from the emulator's time
    renewed = api.post(f"/v1/sandbox/{sandbox['id']}/ssh/regen").json()
    assert _ts(renewed["expires_at"]) - _ts(access["expires_at"]) >= datetime.timedelta(hours=1)
    assert _validate(api, sandbox["id"], renewed["id"], renewed["password"]) is True


def test_the_clock_over_http(emu: Emulator, api: httpx.Client) -> None:
    before = api.get("/_emulator/clock").json()
    assert set(before) == {"now", "offset"}
    assert TIMESTAMP.fullmatch(before["now"])
    assert before["offset"] == 0
    after = api.post("/_emulator/clock", json={"advance": 90}).json()
    assert after["offset"] == 90
    assert (_ts(after["now"]) - _ts(before["now"])).total_seconds() >= 90
    assert emu.now() >= _ts(after["now"])
    sandbox = create_sandbox(api)
    assert _ts(sandbox["created_at"]) >= _ts(after["now"])
    for bad, fields in [
        ({"advance": -1}, {"advance"}),
        ({"advance": "1"}, {"advance"}),
        ({"advance": 1e300}, {"advance"}),
        ({}, {"advance"}),
        ({"advance": 1, "extra": 2}, {"extra"}),
    ]:
        assert field_errors(api.post("/_emulator/clock", json=bad)) == fields
    assert api.get("/_emulator/clock").json()["offset"] == 90
    emu.reset()
    assert api.get("/_emulator/clock").json()["offset"] == 0


def test_configure_over_http(api: httpx.Client, sandbox: dict[str, Any]) -> None:
    response = api.post("/_emulator/config", json={"ssh_lifetime": 0.5})
    assert response.status_code == 200
    assert response.json() == {
        "ssh_lifetime": 0.5,
        "max_sandboxes": 3,
        "ssh_api": "both",
        "request_timeout": 30.0,
        "start_delay": 0.0,
        "stop_delay": 0.0,
        "max_unauthenticated": 256,
        "templates": [
            "system/debian:bookworm",
            "system/code-interpreter:v0.1.0",
            "system/desktop:v0.1.0",
        ],
    }
    assert api.get("/_emulator/config").json()["ssh_lifetime"] == 0.5
    access = create_access(api, sandbox["id"])
    lifetime = _ts(access["expires_at"]) - _ts(access["created_at"])
    assert lifetime.total_seconds() < 1
    bad = api.post("/_emulator/config", json={"ssh_lifetime": 0, "max_sandboxes": -1})
    assert field_errors(bad) == {"ssh_lifetime", "max_sandboxes"}
    bad = api.post("/_emulator/config", json={"ssh_lifetime": "1", "max_sandboxes": 1.5})
    assert field_errors(bad) == {"ssh_lifetime", "max_sandboxes"}


# -- the later per-credential routes -------------------------------------------------


def test_per_credential_routes(
    api: httpx.Client, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    sid, aid = sandbox["id"], access["id"]

    def validate(ssh_id: str, password: Any) -> httpx.Response:
        return api.post(f"/v1/sandbox/{sid}/ssh/{ssh_id}/validate", json={"password": password})

    response = validate(aid, access["password"])
    assert response.status_code == 200
    assert response.json() == {"valid": True, "sandbox_id": sid}
    assert validate(aid, "wrong").json()["valid"] is False
    assert validate("ssh-other", access["password"]).json()["valid"] is False
    assert field_errors(validate(aid, 5)) == {"password"}

    assert api.post(f"/v1/sandbox/{sid}/ssh/ssh-other/regen").status_code == 404
    regen = api.post(f"/v1/sandbox/{sid}/ssh/{aid}/regen")
    assert regen.status_code == 200
    new = regen.json()
    assert new["id"] == aid
    assert new["password"] != access["password"]
    assert validate(aid, access["password"]).json()["valid"] is False
    assert validate(aid, new["password"]).json()["valid"] is True

    assert api.delete(f"/v1/sandbox/{sid}/ssh/ssh-other").status_code == 404
    assert api.delete(f"/v1/sandbox/{sid}/ssh/{aid}/").status_code == 204
    assert api.delete(f"/v1/sandbox/{sid}/ssh/{aid}").status_code == 404
    assert validate(aid, new["password"]).json()["valid"] is False


def test_literal_routes_win_over_ssh_id(
    api: httpx.Client, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    # "/ssh/validate" is the seed's validate, not "/ssh/{ssh_id}" with ssh_id="validate".
    assert api.delete(f"/v1/sandbox/{sid}/ssh/validate").status_code == 405
    assert api.delete(f"/v1/sandbox/{sid}/ssh/regen").status_code == 405
    # "/ssh/access" DELETE is the seed's delete of the current credential.
    assert api.delete(f"/v1/sandbox/{sid}/ssh/access").status_code == 204


# -- concurrency ---------------------------------------------------------------------


async def test_hundred_concurrent_creates_give_one_credential_under_single(
    emu: Emulator, sandbox: dict[str, Any]
) -> None:
    emu.configure(ssh_api="single")
    path = f"/v1/sandbox/{sandbox['id']}/ssh/access"
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with make_async_client(emu, limits=limits) as client:
        responses = await asyncio.gather(*(client.post(path) for _ in range(100)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 1
    assert statuses.count(409) == 99
    created = next(r.json() for r in responses if r.status_code == 201)
    async with make_async_client(emu) as client:
        response = await client.post(
            f"/v1/sandbox/{sandbox['id']}/ssh/validate",
            json={"id": created["id"], "password": created["password"]},
        )
    assert response.json()["valid"] is True
    assert emu.attempts("POST", path) == 100


async def test_hundred_concurrent_creates_stop_at_the_bound_by_default(
    emu: Emulator, sandbox: dict[str, Any]
) -> None:
    path = f"/v1/sandbox/{sandbox['id']}/ssh/access"
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with make_async_client(emu, limits=limits) as client:
        responses = await asyncio.gather(*(client.post(path) for _ in range(100)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == MAX_CREDENTIALS_PER_SANDBOX
    assert statuses.count(409) == 100 - MAX_CREDENTIALS_PER_SANDBOX
    assert len({r.json()["id"] for r in responses if r.status_code == 201}) == (
        MAX_CREDENTIALS_PER_SANDBOX
    )


def test_secrets_never_reach_the_logs(
    emu: Emulator,
    api: httpx.Client,
    sandbox: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        access = create_access(api, sandbox["id"])
        _validate(api, sandbox["id"], access["id"], access["password"])
        regen = api.post(f"/v1/sandbox/{sandbox['id']}/ssh/regen").json()
        api.get("/v1/sandbox/nope")
    assert caplog.records  # the access log went through
    for secret in (emu.api_key, access["password"], regen["password"]):
        assert secret not in caplog.text
