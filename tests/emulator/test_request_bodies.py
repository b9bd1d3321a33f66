"""Nothing a request sends is dropped silently: unknown fields, nulls, older names, templates.

A field no schema of the description has is 400 naming it, except the
official SDK 0.6.1's ``memory_mib`` and ``timeout_min``, which are taken as
that revision meant them; ``null`` where the description has no ``nullable``
is 400 naming the field; the template must be one the emulator knows (its
``templates`` setting), else 400 on ``template_name``, the only error status
the description lists for a create body. Routes without a body refuse one,
and the list refuses query parameters it does not take.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from leap0.emulator import Emulator, Settings, serve
from leap0.emulator._settings import TEMPLATES

from ._helpers import NEW, TEMPLATE, create_access, create_sandbox, field_errors, make_client

#: What the official SDK 0.6.1 sends for ``sandboxes.create()`` with its defaults
#: (``CreateSandboxParams.to_payload()``, ``otel_export`` popped).
SDK_061_DEFAULT = {
    "template_name": "system/debian:bookworm",
    "vcpu": 1,
    "memory_mib": 1024,
    "timeout_min": 5,
    "auto_pause": False,
}
#: And what 0.8.0 sends.
SDK_080_DEFAULT = {
    "template_name": "system/debian:bookworm",
    "vcpu": 1,
    "memory": 1024,
    "timeout": 300,
    "auto_pause": False,
}


def _nothing_created(api: httpx.Client) -> None:
    assert api.get("/v1/sandboxes").json()["total_items"] == 0


# -- the older revision's names ----------------------------------------------------------


def test_memory_mib_is_not_silently_a_1024_mib_sandbox(api: httpx.Client) -> None:
    body = create_sandbox(api, memory_mib=2048)
    assert body["memory"] == 2048
    assert api.get(f"/v1/sandbox/{body['id']}").json()["memory"] == 2048


def test_timeout_min_is_minutes(api: httpx.Client) -> None:
    body = create_sandbox(api, timeout_min=10)
    assert body["timeout"] == 600


@pytest.mark.parametrize(
    ("sent", "memory", "timeout"),
    [
        (SDK_061_DEFAULT, 1024, 300),
        ({**SDK_061_DEFAULT, "memory_mib": 4096, "timeout_min": 480}, 4096, 28800),
        (SDK_080_DEFAULT, 1024, 300),
        ({**SDK_080_DEFAULT, "memory": 512, "timeout": 1}, 512, 1),
    ],
)
def test_the_official_sdks_bodies_are_taken_as_meant(
    api: httpx.Client, sent: dict[str, Any], memory: int, timeout: int
) -> None:
    body = create_sandbox(api, **sent)
    assert (body["memory"], body["timeout"]) == (memory, timeout)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"memory_mib": 511}, {"memory_mib"}),
        ({"memory_mib": 1025}, {"memory_mib"}),
        ({"memory_mib": "2048"}, {"memory_mib"}),
        ({"timeout_min": 0}, {"timeout_min"}),
        ({"timeout_min": 481}, {"timeout_min"}),
        ({"timeout_min": 1.5}, {"timeout_min"}),
        ({"memory_mib": 2048, "memory": 2048}, {"memory_mib"}),
        ({"timeout_min": 5, "timeout": 300}, {"timeout_min"}),
        ({"memory_mib": None}, {"memory_mib"}),
    ],
)
def test_the_older_names_are_checked_as_that_revision_did(
    api: httpx.Client, body: dict[str, Any], fields: set[str]
) -> None:
    assert field_errors(api.post("/v1/sandbox/", json={**NEW, **body})) == fields
    _nothing_created(api)


# -- unknown fields ----------------------------------------------------------------------

MOUNT = {
    "type": "object-storage",
    "bucket": "b",
    "mount_path": "/data",
    "endpoint": "https://storage.example.com",
}
POLICY = {"mode": "custom", "transforms": [{"domain": "api.example.com"}]}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"surprise": {"x": 1}}, {"surprise"}),
        ({"memory_gb": 2}, {"memory_gb"}),
        ({"otel_export": False}, {"otel_export"}),
        ({"a": 1, "b": 2}, {"a", "b"}),
        ({"mounts": [{**MOUNT, "readonly": True}]}, {"mounts[0].readonly"}),
        ({"network_policy": {**POLICY, "allow_domain": ["a.b"]}}, {"network_policy.allow_domain"}),
        (
            {"network_policy": {**POLICY, "transforms": [{"domain": "a.b", "headers": {}}]}},
            {"network_policy.transforms[0].headers"},
        ),
    ],
)
def test_an_unknown_field_is_400_naming_it(
    api: httpx.Client, body: dict[str, Any], fields: set[str]
) -> None:
    response = api.post("/v1/sandbox/", json={**NEW, **body})
    assert field_errors(response) == fields
    errors = {item["field"]: item["error"] for item in response.json()["errors"]}
    assert all(errors[field] == "is not a field" for field in fields)
    _nothing_created(api)


def test_unknown_fields_are_named_up_to_a_bound(api: httpx.Client) -> None:
    body = {**NEW, **{f"f{n}": n for n in range(50)}, "x" * 300: 1}
    response = api.post("/v1/sandbox/", json=body)
    errors = response.json()["errors"]
    assert response.status_code == 400
    assert len(errors) == 21
    assert errors[-1] == {"field": "body", "error": "has 31 more fields that are not fields"}


def test_validate_bodies_take_only_their_fields(
    api: httpx.Client, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    sid, aid = sandbox["id"], access["id"]
    seed = {"id": aid, "password": access["password"]}
    assert api.post(f"/v1/sandbox/{sid}/ssh/validate", json=seed).json()["valid"] is True
    response = api.post(f"/v1/sandbox/{sid}/ssh/validate", json={**seed, "ttl": 5})
    assert field_errors(response) == {"ttl"}
    later = f"/v1/sandbox/{sid}/ssh/{aid}/validate"
    assert api.post(later, json={"password": access["password"]}).json()["valid"] is True
    assert field_errors(api.post(later, json=seed)) == {"id"}


# -- nulls -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"template_name": None}, {"template_name"}),
        ({"vcpu": None}, {"vcpu"}),
        ({"memory": None}, {"memory"}),
        ({"timeout": None}, {"timeout"}),
        ({"auto_pause": None}, {"auto_pause"}),
        ({"env_vars": None}, {"env_vars"}),
        ({"mounts": None}, {"mounts"}),
        ({"vcpu": None, "memory": None, "timeout": None}, {"vcpu", "memory", "timeout"}),
        ({"network_policy": {**POLICY, "transforms": None}}, {"network_policy.transforms"}),
        ({"network_policy": {"mode": None}}, {"network_policy.mode"}),
        ({"network_policy": {**POLICY, "allow_cidrs": None}}, {"network_policy.allow_cidrs"}),
        (
            {"network_policy": {**POLICY, "transforms": [{"domain": "a", "strip_headers": None}]}},
            {"network_policy.transforms[0].strip_headers"},
        ),
        ({"mounts": [{**MOUNT, "prefix": None}]}, {"mounts[0].prefix"}),
        ({"mounts": [{**MOUNT, "bucket": None}]}, {"mounts[0].bucket"}),
    ],
)
def test_null_where_the_description_has_no_nullable_is_400(
    api: httpx.Client, body: dict[str, Any], fields: set[str]
) -> None:
    response = api.post("/v1/sandbox/", json={**NEW, **body})
    assert field_errors(response) == fields
    assert {item["error"] for item in response.json()["errors"]} == {"must not be null"}
    _nothing_created(api)


def test_a_null_network_policy_is_none(api: httpx.Client) -> None:
    body = create_sandbox(api, network_policy=None)
    assert "network_policy" not in body


# -- templates ---------------------------------------------------------------------------


def test_an_unknown_template_is_400_on_template_name(api: httpx.Client) -> None:
    response = api.post("/v1/sandbox/", json={"template_name": "system/debian:bookwrom"})
    assert field_errors(response) == {"template_name"}
    (error,) = response.json()["errors"]
    assert "'system/debian:bookwrom' is unknown" in error["error"]
    assert "system/debian:bookworm" in error["error"]
    _nothing_created(api)


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_default_templates_are_the_official_sdks_defaults(
    api: httpx.Client, template: str
) -> None:
    assert create_sandbox(api, template_name=template)["template_id"] == template


def test_templates_are_configured_until_reset(emu: Emulator, api: httpx.Client) -> None:
    emu.configure(templates=["team/base:1", TEMPLATE])
    assert emu.settings.templates == ("team/base:1", TEMPLATE)
    assert create_sandbox(api, template_name="team/base:1")["template_id"] == "team/base:1"
    response = api.post("/_emulator/config", json={"templates": ["team/other:2"]})
    assert response.json()["templates"] == ["team/other:2"]
    assert api.get("/_emulator/config").json()["templates"] == ["team/other:2"]
    assert field_errors(api.post("/v1/sandbox/", json=NEW)) == {"template_name"}
    emu.reset()
    assert api.get("/_emulator/config").json()["templates"] == list(TEMPLATES)
    assert field_errors(api.post("/v1/sandbox/", json={"template_name": "team/base:1"})) == {
        "template_name"
    }


@pytest.mark.parametrize(
    "bad", ["system/debian:bookworm", [], [""], [" x"], ["x", "x"], [1], ["x" * 65], ["a\nb"]]
)
def test_a_bad_templates_setting_is_refused(emu: Emulator, api: httpx.Client, bad: object) -> None:
    with pytest.raises(ValueError, match="templates"):
        emu.configure(templates=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="templates"):
        Settings(templates=bad)  # type: ignore[arg-type]
    assert field_errors(api.post("/_emulator/config", json={"templates": bad})) == {"templates"}
    assert emu.settings.templates == TEMPLATES


def test_serve_takes_the_start_up_templates() -> None:
    with serve(templates=["only/this:1"]) as emu, make_client(emu) as api:
        assert emu.settings.templates == ("only/this:1",)
        assert field_errors(api.post("/v1/sandbox/", json=NEW)) == {"template_name"}
        create_sandbox(api, template_name="only/this:1")
        emu.reset()
        assert emu.settings.templates == ("only/this:1",)
    with pytest.raises(ValueError, match="templates"):
        serve(templates="only/this:1")


# -- routes that take no body ------------------------------------------------------------


def test_a_route_without_a_body_refuses_one(api: httpx.Client, sandbox: dict[str, Any]) -> None:
    sid = sandbox["id"]
    response = api.post(f"/v1/sandbox/{sid}/ssh/access", json={"lifetime": 60})
    assert field_errors(response) == {"lifetime"}
    assert field_errors(api.post(f"/v1/sandbox/{sid}/ssh/access", content=b"[1]")) == {"body"}
    assert field_errors(api.post(f"/v1/sandbox/{sid}/stop", json={"force": True})) == {"force"}
    assert api.get(f"/v1/sandbox/{sid}").json()["state"] == "running"
    # No body, an empty object or null: nothing is dropped.
    assert api.post(f"/v1/sandbox/{sid}/ssh/access").status_code == 201
    assert api.post(f"/v1/sandbox/{sid}/ssh/access", json={}).status_code == 201
    assert api.post(f"/v1/sandbox/{sid}/ssh/access", content=b"null").status_code == 201


def test_regen_and_delete_refuse_a_body(api: httpx.Client, sandbox: dict[str, Any]) -> None:
    sid = sandbox["id"]
    aid = create_access(api, sandbox["id"])["id"]
    path = f"/v1/sandbox/{sid}/ssh/{aid}"
    assert field_errors(api.post(f"{path}/regen", json={"lifetime": 1})) == {"lifetime"}
    response = api.request("DELETE", path, json={"now": True})
    assert field_errors(response) == {"now"}
    assert api.delete(path).status_code == 204


# -- the list's query --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ("page_size=50", {"page_size"}),
        ("order=asc", {"order"}),
        ("state=running&state=paused", {"state"}),
        ("page=5029524446666", {"page"}),
    ],
)
def test_the_list_refuses_what_it_does_not_take(
    api: httpx.Client, params: str, fields: set[str]
) -> None:
    assert field_errors(api.get(f"/v1/sandboxes?{params}")) == fields


def test_a_huge_page_number_is_out_of_range_not_a_non_integer(api: httpx.Client) -> None:
    (error,) = api.get("/v1/sandboxes?page=5029524446666").json()["errors"]
    assert error == {"field": "page", "error": "must be between 1 and 2147483647"}
    assert api.get("/v1/sandboxes?page=0002").status_code == 200


def test_the_faults_route_refuses_unknown_fields(api: httpx.Client) -> None:
    body = {"method": "GET", "path": "/v1/sandboxes", "faults": [{"status": 503}], "times": 2}
    assert field_errors(api.post("/_emulator/faults", json=body)) == {"times"}
