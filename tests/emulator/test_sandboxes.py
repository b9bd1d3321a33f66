"""Sandbox routes, authentication and generic HTTP behaviour of the emulator."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from leap0.emulator import Emulator

from ._helpers import (
    NEW,
    SAFE_ID,
    TEMPLATE,
    TIMESTAMP,
    create_sandbox,
    field_errors,
    make_async_client,
)

SANDBOX_FIELDS = {
    "id",
    "template_id",
    "mounts",
    "vcpu",
    "memory",
    "disk",
    "timeout",
    "state",
    "auto_pause",
    "created_at",
}


# -- authentication and generic behaviour ---------------------------------------


def test_bearer_and_raw_key_headers_are_accepted(emu: Emulator, anon: httpx.Client) -> None:
    bearer = anon.get("/v1/sandboxes", headers={"Authorization": f"Bearer {emu.api_key}"})
    raw = anon.get("/v1/sandboxes", headers={"leap0-authorization": emu.api_key})
    lower_scheme = anon.get("/v1/sandboxes", headers={"Authorization": f"bearer {emu.api_key}"})
    assert (bearer.status_code, raw.status_code, lower_scheme.status_code) == (200, 200, 200)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Bearer"},
        {"leap0-authorization": "wrong"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
    ids=["missing", "wrong-bearer", "empty-bearer", "wrong-raw", "basic"],
)
def test_bad_or_missing_key_is_401(anon: httpx.Client, headers: dict[str, str]) -> None:
    for method, path in [
        ("GET", "/v1/sandboxes"),
        ("POST", "/v1/sandbox/"),
        ("POST", "/v1/sandbox/sbx-1/ssh/access"),
        ("GET", "/_emulator/attempts?method=GET&path=/v1/sandboxes"),
        ("POST", "/_emulator/reset"),
    ]:
        response = anon.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (method, path)
        assert set(response.json()) == {"message"}
        assert response.headers["x-request-id"].startswith("req_")


def test_wrong_key_with_bearer_key_wrong_in_other_header_still_ok(
    emu: Emulator, anon: httpx.Client
) -> None:
    response = anon.get(
        "/v1/sandboxes",
        headers={"Authorization": f"Bearer {emu.api_key}", "leap0-authorization": "nope"},
    )
    assert response.status_code == 200


def test_every_response_has_a_distinct_request_id(api: httpx.Client) -> None:
    ids = {api.get("/v1/sandboxes").headers["x-request-id"] for _ in range(5)}
    ids.add(api.get("/v1/sandbox/sbx-missing").headers["x-request-id"])
    assert len(ids) == 6
    assert all(i.startswith("req_") for i in ids)


def test_unknown_route_is_404_json(api: httpx.Client) -> None:
    response = api.get("/v2/whatever")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert set(response.json()) == {"message"}


def test_wrong_method_is_405_json_with_allow(api: httpx.Client) -> None:
    response = api.put("/v1/sandbox/")
    assert response.status_code == 405
    assert set(response.json()) == {"message"}
    assert response.headers["allow"] == "POST"
    response = api.get("/v1/sandbox/sbx-1/ssh/access")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, POST"


def test_unexpected_exception_is_500_without_details(
    emu: Emulator, api: httpx.Client, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def boom(sandbox_id: str) -> dict[str, Any]:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(emu._state, "get_sandbox", boom)
    with caplog.at_level("ERROR", logger="leap0.emulator"):
        response = api.get("/v1/sandbox/sbx-1")
    assert response.status_code == 500
    assert response.json() == {"message": "internal error"}
    assert "secret internals" not in response.text
    assert response.headers["x-request-id"].startswith("req_")
    assert "internal error" in caplog.text


# -- create ------------------------------------------------------------------------


def test_create_with_defaults(api: httpx.Client) -> None:
    response = api.post("/v1/sandbox/", json=NEW)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == SANDBOX_FIELDS
    assert body["id"].startswith("sbx-")
    assert SAFE_ID.fullmatch(body["id"])
    assert body["template_id"] == TEMPLATE
    assert (body["vcpu"], body["memory"], body["disk"], body["timeout"]) == (1, 1024, 10240, 300)
    assert body["state"] == "running"
    assert body["auto_pause"] is False
    assert body["mounts"] == []
    assert TIMESTAMP.fullmatch(body["created_at"])


@pytest.mark.parametrize("body", [{}, {"template_name": None}, {"vcpu": 2}])
def test_the_template_is_required(api: httpx.Client, body: dict[str, Any]) -> None:
    assert field_errors(api.post("/v1/sandbox/", json=body)) == {"template_name"}
    assert api.get("/v1/sandboxes").json()["total_items"] == 0


def test_create_with_every_field(emu: Emulator, api: httpx.Client) -> None:
    emu.configure(templates=["my-template"])
    body = create_sandbox(
        api,
        template_name="my-template",
        vcpu=8,
        memory=8192,
        timeout=28800,
        env_vars={"A": "1"},
        auto_pause=True,
        mounts=[],
        network_policy=None,
    )
    assert body["template_id"] == "my-template"
    assert (body["vcpu"], body["memory"], body["timeout"]) == (8, 8192, 28800)
    assert body["auto_pause"] is True
    assert "network_policy" not in body  # null: none given


MOUNT = {
    "type": "object-storage",
    "bucket": "project-assets",
    "mount_path": "/data/assets",
    "endpoint": "https://storage.example.com",
    "prefix": "docs/",
    "access_key_id": "AKIA-secret-id",
    "secret_access_key": "very-secret",
}
POLICY = {
    "mode": "custom",
    "allow_domains": ["api.example.com"],
    "allow_cidrs": ["10.0.0.0/8", "2001:db8::/32"],
    "transforms": [
        {
            "domain": "api.example.com",
            "inject_headers": {"x-token": "t"},
            "strip_headers": ["cookie"],
        }
    ],
}


def test_mounts_and_network_policy_are_echoed_without_credentials(
    api: httpx.Client,
) -> None:
    public = {"bucket": "public", "mount_path": "/data/public", "type": "object-storage"}
    body = create_sandbox(
        api,
        mounts=[MOUNT, {**public, "endpoint": "http://10.0.0.1:9000", "read_only": False}],
        network_policy=POLICY,
    )
    first, second = body["mounts"]
    assert first["id"].startswith("mnt-")
    assert SAFE_ID.fullmatch(first["id"])
    assert {k: v for k, v in first.items() if k != "id"} == {
        "type": "object-storage",
        "bucket": "project-assets",
        "mount_path": "/data/assets",
        "prefix": "docs/",
        "read_only": True,
    }
    assert {k: v for k, v in second.items() if k != "id"} == {**public, "read_only": False}
    assert "secret" not in str(body)
    assert "AKIA" not in str(body)
    assert body["network_policy"] == POLICY
    got = api.get(f"/v1/sandbox/{body['id']}").json()
    # The status answer (SandboxStatusResponse) carries the mounts, not the policy.
    assert got["mounts"] == body["mounts"]
    assert "network_policy" not in got


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"mounts": {}}, {"mounts"}),
        ({"mounts": [{**MOUNT, "mount_path": f"/m{n}"} for n in range(9)]}, {"mounts"}),
        ({"mounts": ["x"]}, {"mounts[0]"}),
        ({"mounts": [{**MOUNT, "type": "nfs"}]}, {"mounts[0].type"}),
        ({"mounts": [{"type": "object-storage"}]}, {
            "mounts[0].bucket", "mounts[0].mount_path", "mounts[0].endpoint"}),
        ({"mounts": [{**MOUNT, "mount_path": "data"}]}, {"mounts[0].mount_path"}),
        ({"mounts": [{**MOUNT, "mount_path": "/"}]}, {"mounts[0].mount_path"}),
        ({"mounts": [MOUNT, MOUNT]}, {"mounts[1].mount_path"}),
        ({"mounts": [{**MOUNT, "endpoint": "storage.example.com"}]}, {"mounts[0].endpoint"}),
        ({"mounts": [{**MOUNT, "prefix": "docs"}]}, {"mounts[0].prefix"}),
        ({"mounts": [{**MOUNT, "read_only": "yes"}]}, {"mounts[0].read_only"}),
        ({"mounts": [{**MOUNT, "secret_access_key": 5}]}, {"mounts[0].secret_access_key"}),
        ({"network_policy": "deny-all"}, {"network_policy"}),
        ({"network_policy": {}}, {"network_policy.mode"}),
        ({"network_policy": {"mode": "open"}}, {"network_policy.mode"}),
        ({"network_policy": {**POLICY, "allow_domains": ["a.b"] * 51}},
         {"network_policy.allow_domains"}),
        ({"network_policy": {**POLICY, "allow_domains": [""]}},
         {"network_policy.allow_domains[0]"}),
        ({"network_policy": {**POLICY, "allow_cidrs": ["10.0.0.0/8"] * 11}},
         {"network_policy.allow_cidrs"}),
        ({"network_policy": {**POLICY, "allow_cidrs": ["10.0.0.0/33"]}},
         {"network_policy.allow_cidrs[0]"}),
        ({"network_policy": {**POLICY, "transforms": [{"domain": "a.b"}] * 21}},
         {"network_policy.transforms"}),
        ({"network_policy": {**POLICY, "transforms": [{}]}},
         {"network_policy.transforms[0].domain"}),
        ({"network_policy": {**POLICY, "transforms": [{"domain": "a.b", "inject_headers": {"x": 1}}]}},
         {"network_policy.transforms[0].inject_headers.x"}),
        ({"network_policy": {**POLICY, "transforms": [{"domain": "a.b", "strip_headers": "x"}]}},
         {"network_policy.transforms[0].strip_headers"}),
    ],
)  # fmt: skip
def test_mounts_and_network_policy_are_checked_as_the_spec_describes(
    api: httpx.Client, body: dict[str, Any], fields: set[str]
) -> None:
    assert field_errors(api.post("/v1/sandbox/", json={**NEW, **body})) == fields
    assert api.get("/v1/sandboxes").json()["total_items"] == 0


def test_create_without_trailing_slash(api: httpx.Client) -> None:
    assert api.post("/v1/sandbox", json={**NEW, "vcpu": 2}).status_code == 201


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"vcpu": 0}, {"vcpu"}),
        ({"vcpu": 9}, {"vcpu"}),
        ({"vcpu": "2"}, {"vcpu"}),
        ({"vcpu": 1.5}, {"vcpu"}),
        ({"vcpu": True}, {"vcpu"}),
        ({"memory": 511}, {"memory"}),
        ({"memory": 8194}, {"memory"}),
        ({"memory": 1025}, {"memory"}),
        ({"timeout": 0}, {"timeout"}),
        ({"timeout": 28801}, {"timeout"}),
        ({"template_name": ""}, {"template_name"}),
        ({"template_name": 5}, {"template_name"}),
        ({"env_vars": ["A=1"]}, {"env_vars"}),
        ({"env_vars": {"A": 1}}, {"env_vars.A"}),
        ({"auto_pause": "yes"}, {"auto_pause"}),
        ({"vcpu": 0, "memory": 3, "timeout": -1}, {"vcpu", "memory", "timeout"}),
    ],
)
def test_create_validation_errors(
    api: httpx.Client, body: dict[str, Any], fields: set[str]
) -> None:
    response = api.post("/v1/sandbox/", json={**NEW, **body})
    assert field_errors(response) == fields
    assert api.get("/v1/sandboxes").json()["total_items"] == 0


@pytest.mark.parametrize("content", [b"", b"not json", b"[1, 2]", b'"text"', b"{", b"NaN"])
def test_create_with_a_non_object_body_is_400(api: httpx.Client, content: bytes) -> None:
    response = api.post(
        "/v1/sandbox/", content=content, headers={"content-type": "application/json"}
    )
    assert field_errors(response) == {"body"}


def test_oversized_body_is_413(api: httpx.Client) -> None:
    response = api.post("/v1/sandbox/", json={"template_name": "x" * (1 << 20)})
    assert response.status_code == 413
    assert set(response.json()) == {"message"}


def test_sandbox_limit_is_409_and_frees_up_on_delete(api: httpx.Client) -> None:
    ids = [create_sandbox(api)["id"] for _ in range(3)]
    response = api.post("/v1/sandbox/", json=NEW)
    assert response.status_code == 409
    assert set(response.json()) == {"message"}
    assert api.delete(f"/v1/sandbox/{ids[0]}/").status_code == 204
    create_sandbox(api)


def test_configure_changes_the_limit_until_reset(emu: Emulator, api: httpx.Client) -> None:
    emu.configure(max_sandboxes=1)
    create_sandbox(api)
    assert api.post("/v1/sandbox/", json=NEW).status_code == 409
    emu.reset()
    for _ in range(3):
        create_sandbox(api)


async def test_concurrent_creates_respect_the_limit(emu: Emulator) -> None:
    async with make_async_client(emu, limits=httpx.Limits(max_connections=20)) as client:
        responses = await asyncio.gather(
            *(client.post("/v1/sandbox/", json=NEW) for _ in range(20))
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 3 + [409] * 17


# -- get / delete --------------------------------------------------------------------


def test_get_with_and_without_trailing_slash(api: httpx.Client, sandbox: dict[str, Any]) -> None:
    for path in (f"/v1/sandbox/{sandbox['id']}/", f"/v1/sandbox/{sandbox['id']}"):
        response = api.get(path)
        assert response.status_code == 200
        assert response.json() == sandbox


def test_get_and_delete_unknown_are_404(api: httpx.Client) -> None:
    for method in ("GET", "DELETE"):
        response = api.request(method, "/v1/sandbox/sbx-0000/")
        assert response.status_code == 404
        assert set(response.json()) == {"message"}


def test_delete_removes_the_sandbox(api: httpx.Client, sandbox: dict[str, Any]) -> None:
    response = api.delete(f"/v1/sandbox/{sandbox['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert api.get(f"/v1/sandbox/{sandbox['id']}/").status_code == 404
    assert api.delete(f"/v1/sandbox/{sandbox['id']}/").status_code == 404


# -- list ------------------------------------------------------------------------------


def test_list_shape_and_default_order(emu: Emulator, api: httpx.Client) -> None:
    emu.configure(max_sandboxes=10)
    ids = [create_sandbox(api)["id"] for _ in range(4)]
    response = api.get("/v1/sandboxes")
    assert response.status_code == 200
    body = response.json()
    assert body["total_items"] == 4
    assert [item["id"] for item in body["items"]] == ids[::-1]  # newest first
    for item in body["items"]:
        assert {"id", "template_id", "pod_id", "state", "created_at"} <= set(item)
        assert item["state"] == "running"
        assert isinstance(item["pod_id"], str)
        assert TIMESTAMP.fullmatch(item["created_at"])
        assert isinstance(item["timeout_at"], int)


def test_list_filters_sorts_and_pages(emu: Emulator, api: httpx.Client) -> None:
    emu.configure(max_sandboxes=10)
    ids = [create_sandbox(api)["id"] for _ in range(5)]

    def listed(**params: Any) -> tuple[list[str], int]:
        response = api.get("/v1/sandboxes", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        return [item["id"] for item in body["items"]], body["total_items"]

    assert listed(**{"order-by": "asc"}) == (ids, 5)
    assert listed(sort="created_at", **{"order-by": "desc"}) == (ids[::-1], 5)
    assert listed(**{"order-by": "asc", "page": 2, "page-size": 2}) == (ids[2:4], 5)
    assert listed(**{"order-by": "asc", "page": 3, "page-size": 2}) == (ids[4:], 5)
    assert listed(**{"page": 9, "page-size": 100}) == ([], 5)
    assert listed(state="running", sort="state")[1] == 5
    assert listed(state="")[1] == 5
    assert listed(state="stopped") == ([], 0)
    assert listed(state="paused", **{"page-size": 1}) == ([], 0)


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"state": "deleted"}, {"state"}),
        ({"state": "exploded"}, {"state"}),
        ({"sort": "id"}, {"sort"}),
        ({"order-by": "sideways"}, {"order-by"}),
        ({"page": "0"}, {"page"}),
        ({"page": "x"}, {"page"}),
        ({"page-size": "0"}, {"page-size"}),
        ({"page-size": "101"}, {"page-size"}),
        ({"page-size": "1_0"}, {"page-size"}),
        ({"page": "-1", "page-size": "500", "sort": "nope"}, {"page", "page-size", "sort"}),
    ],
)
def test_list_rejects_bad_query(
    api: httpx.Client, params: dict[str, str], fields: set[str]
) -> None:
    assert field_errors(api.get("/v1/sandboxes", params=params)) == fields


# -- the sandbox's life, on the emulator's clock ------------------------------------------


def test_starting_running_stopped_on_the_clock(emu: Emulator, api: httpx.Client) -> None:
    assert api.post("/_emulator/config", json={"start_delay": 5}).json()["start_delay"] == 5.0
    sandbox = create_sandbox(api, timeout=60)
    path = f"/v1/sandbox/{sandbox['id']}"
    assert sandbox["state"] == "starting"
    response = api.delete(path)
    assert response.status_code == 409  # in transition
    assert set(response.json()) == {"message"}
    (item,) = api.get("/v1/sandboxes", params={"state": "starting"}).json()["items"]
    assert "launch_time" not in item
    emu.advance(5)
    assert api.get(path).json()["state"] == "running"
    (item,) = api.get("/v1/sandboxes", params={"state": "running"}).json()["items"]
    assert TIMESTAMP.fullmatch(item["launch_time"])
    emu.advance(60)
    assert api.get(path).json()["state"] == "stopped"
    assert api.get("/v1/sandboxes", params={"state": "stopped"}).json()["total_items"] == 1
    response = api.post(f"{path}/ssh/access")
    assert response.status_code == 409
    assert "stopped" in response.json()["message"]
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404


def test_auto_pause_pauses_at_the_timeout(emu: Emulator, api: httpx.Client) -> None:
    sandbox = create_sandbox(api, timeout=1, auto_pause=True)
    emu.advance(1)
    assert api.get(f"/v1/sandbox/{sandbox['id']}").json()["state"] == "paused"
