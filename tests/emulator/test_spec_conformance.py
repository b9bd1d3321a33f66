"""Every answer of every route the emulator serves, checked against the public OpenAPI schemas.

The description is ``leap0-openapi.yaml`` beside this file (a copy of the
hosted service's, which lists the later, per-credential SSH routes only). For
each ``ssh_api`` mode a scenario calls every route the emulator serves, in
every outcome it can produce (success, 400, 401, 404, 409, ...), through a
client that records each answer. Each answer is then found in the
description (operation and status) and its body validated against that
response's schema with jsonschema, ``$ref``s resolved over the components.

What the description does not list is the emulator's deliberate difference;
each is named in ``EXCEPTIONS`` (and in the emulator's docs), and its body
must still be the ``ErrorResponse`` every error is. The seed's SSH routes
(``ssh_api`` "single" and "both") are not in the description: their answers
are checked against the schemas of the later routes they match
(``SEED_ROUTES``).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from leap0.emulator import Emulator

from ._helpers import NEW, auth_headers

SPEC = yaml.safe_load((Path(__file__).parent / "leap0-openapi.yaml").read_text("utf-8"))

MODES = ("single", "per-credential", "both")


# -- the description, as JSON Schema ---------------------------------------------------


def _json_schema(node: Any) -> Any:
    """OpenAPI's ``nullable: true`` (which the description uses) as JSON Schema's null type."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [{"type": "null"}, converted]}
    return converted


COMPONENTS = _json_schema(SPEC["components"])
FORMATS = jsonschema.FormatChecker(formats=())
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if isinstance(value, str):
        if not _RFC3339.fullmatch(value):
            raise ValueError(f"not an RFC 3339 date-time: {value!r}")
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def _validate(schema: dict[str, Any], body: Any) -> None:
    root = {**_json_schema(schema), "components": COMPONENTS}
    jsonschema.Draft202012Validator(root, format_checker=FORMATS).validate(body)


ERROR_RESPONSE = {"$ref": "#/components/schemas/ErrorResponse"}


@dataclasses.dataclass(frozen=True)
class Operation:
    method: str
    template: str  # the description's path, e.g. /v1/sandbox/{sandboxID}/
    operation_id: str
    responses: dict[str, Any]

    def matches(self, method: str, path: str) -> bool:
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", self.template.rstrip("/")) + "/?"
        return method == self.method and re.fullmatch(pattern, path) is not None

    def response(self, status: int) -> dict[str, Any] | None:
        """The description's response for ``status``, ``$ref`` resolved; None if not listed."""
        answer = self.responses.get(str(status))
        if answer is None:
            return None
        ref = answer.get("$ref")
        if ref is not None:
            answer = SPEC["components"]["responses"][ref.rsplit("/", 1)[1]]
        result: dict[str, Any] = answer
        return result


OPERATIONS = [
    Operation(method.upper(), template, item["operationId"], item["responses"])
    for template, path_item in SPEC["paths"].items()
    for method, item in path_item.items()
    if method in ("get", "post", "put", "patch", "delete")
]

#: The operations the emulator implements, and what each must be seen answering.
IMPLEMENTED = {
    "createSandbox": {201, 400, 401, 409},
    "getSandbox": {200, 401, 404},
    "deleteSandbox": {204, 401, 404, 409},
    "listSandboxes": {200, 400, 401},
    "createSshAccess": {201, 401, 404},
    "deleteSshAccess": {204, 401, 404},
    "validateSshAccess": {200, 400, 401, 404},
    "regenSshAccess": {200, 401, 404},
    "stopSandbox": {200, 401, 404, 409},
    "startSandbox": {200, 401, 404, 409},  # 429 and 503 are never produced
    "pauseSandbox": {201, 401, 404, 409},
}

#: The seed's SSH routes (CONTRACT.md), absent from the description: each answers as
#: the later operation it stands for. Only with ssh_api "single" and "both".
SEED_ROUTES = {
    ("POST", re.compile(r"/v1/sandbox/[^/]+/ssh/validate/?")): "validateSshAccess",
    ("POST", re.compile(r"/v1/sandbox/[^/]+/ssh/regen/?")): "regenSshAccess",
}

#: The emulator's deliberate differences from the description, each with its reason.
#: Keys: (operation id or "*", status). Their bodies must be ErrorResponse.
EXCEPTIONS = {
    ("createSshAccess", 409): (
        "a second credential where one per sandbox is served (ssh_api 'single'), more "
        "than 32 ('per-credential' and 'both'), or a sandbox that is stopping, stopped, "
        "paused or being deleted"
    ),
    ("regenSshAccess", 409): (
        "the sandbox is stopping, stopped, paused or being deleted; or (ssh_api 'both') "
        "the seed's regen on a sandbox holding several credentials"
    ),
    ("deleteSshAccess", 409): (
        "the seed's DELETE .../ssh/access on a sandbox holding several credentials, which "
        "it cannot tell apart (ssh_api 'both' only)"
    ),
    ("*", 405): "a method the path does not take, with an Allow header",
    ("*", 413): "a request body over 1 MiB",
    ("no route", 404): "a path no route serves (the other revision's SSH paths included)",
    ("control", 0): "the emulator's own /_emulator/* routes, not part of the Leap0 API",
    ("listSandboxes", 400): (
        "the description's schema, oneOf ValidationErrorResponse and ErrorResponse, holds "
        "for no body with field errors (every ValidationErrorResponse is an ErrorResponse "
        "too); the answer is checked against ValidationErrorResponse alone"
    ),
}

#: The exceptions met under some ``ssh_api`` modes only (the others: under every mode).
EXCEPTION_MODES = {
    ("deleteSshAccess", 409): ("both",),
}

#: Where an exception's body is checked against another schema than ErrorResponse.
EXCEPTION_SCHEMAS = {
    ("listSandboxes", 400): {"$ref": "#/components/schemas/ValidationErrorResponse"},
}


@dataclasses.dataclass
class Seen:
    method: str
    path: str
    status: int
    headers: httpx.Headers
    content: bytes


def _operation(method: str, path: str, mode: str) -> str | None:
    """The operation id that answers ``method path`` (the seed's routes included), or None.

    Where several paths of the description match, the one with the fewest
    parameters does, as OpenAPI has it.
    """
    if mode in ("single", "both"):
        for (seed_method, pattern), operation_id in SEED_ROUTES.items():
            if method == seed_method and pattern.fullmatch(path):
                return operation_id
    found = [op for op in OPERATIONS if op.matches(method, path)]
    if not found:
        return None
    return min(found, key=lambda op: op.template.count("{")).operation_id


def _by_id(operation_id: str) -> Operation:
    return next(op for op in OPERATIONS if op.operation_id == operation_id)


def _check(
    seen: Seen, mode: str, served: set[tuple[str, int]], excepted: set[tuple[str, int]]
) -> None:
    """Validate one answer against its schema, or find it in EXCEPTIONS."""
    where = f"{seen.method} {seen.path} -> {seen.status}: {seen.content[:300]!r}"
    body = json.loads(seen.content) if seen.content else None
    if seen.path.startswith("/_emulator"):
        excepted.add(("control", 0))
        return
    if seen.status in (204, 304):
        assert seen.content == b"", where
    else:
        assert seen.headers["content-type"].startswith("application/json"), where
    operation_id = _operation(seen.method, seen.path, mode)
    if operation_id is None:
        key = ("*", seen.status) if seen.status in (405, 413) else ("no route", seen.status)
        assert key in EXCEPTIONS, where
        if seen.status == 405:
            assert seen.headers["allow"], where
        excepted.add(key)
        _validate(ERROR_RESPONSE, body)
        return
    response = _by_id(operation_id).response(seen.status)
    if (operation_id, seen.status) in EXCEPTION_SCHEMAS:
        served.add((operation_id, seen.status))
        excepted.add((operation_id, seen.status))
        _validate(EXCEPTION_SCHEMAS[operation_id, seen.status], body)
        return
    if response is None:
        key = (operation_id, seen.status)
        if key not in EXCEPTIONS:
            key = ("*", seen.status)
        assert key in EXCEPTIONS, f"not in the description and no exception: {where}"
        assert mode in EXCEPTION_MODES.get(key, MODES), f"not an exception in {mode}: {where}"
        excepted.add(key)
        _validate(ERROR_RESPONSE, body)
        return
    served.add((operation_id, seen.status))
    content = response.get("content")
    if content is None:
        assert seen.content == b"", where
        return
    try:
        _validate(content["application/json"]["schema"], body)
    except jsonschema.ValidationError as exc:
        raise AssertionError(f"{where}\n{exc.message} at {list(exc.absolute_path)}") from None


# -- the scenario ------------------------------------------------------------------------


class Recorder:
    """Two clients (with the API key, without) that record every answer they get."""

    def __init__(self, emu: Emulator) -> None:
        self.seen: list[Seen] = []
        hooks = {"response": [self._record]}
        options: dict[str, Any] = {"base_url": emu.base_url, "timeout": 10.0, "trust_env": False}
        self.api = httpx.Client(headers=auth_headers(emu), event_hooks=hooks, **options)
        self.anon = httpx.Client(event_hooks=hooks, **options)

    def _record(self, response: httpx.Response) -> None:
        response.read()
        request = response.request
        path = request.url.raw_path.decode("ascii").split("?", 1)[0]
        self.seen.append(
            Seen(request.method, path, response.status_code, response.headers, response.content)
        )

    def close(self) -> None:
        self.api.close()
        self.anon.close()


@pytest.fixture
def recorder(emu: Emulator) -> Iterator[Recorder]:
    recorder = Recorder(emu)
    yield recorder
    recorder.close()


MOUNT = {
    "type": "object-storage",
    "bucket": "assets",
    "mount_path": "/data",
    "endpoint": "https://storage.example.com",
    "prefix": "docs/",
    "access_key_id": "id",
    "secret_access_key": "secret",
}
POLICY = {
    "mode": "custom",
    "allow_domains": ["api.example.com"],
    "allow_cidrs": ["10.0.0.0/8"],
    "transforms": [{"domain": "api.example.com", "inject_headers": {"x-a": "b"}}],
}


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def _scenario(emu: Emulator, mode: str, rec: Recorder) -> None:
    api, anon = rec.api, rec.anon
    emu.configure(ssh_api=mode, max_sandboxes=4)  # type: ignore[arg-type]
    seed = mode in ("single", "both")
    later = mode in ("per-credential", "both")

    # Sandboxes: every state the emulator produces is answered at least once.
    plain = _created(api.post("/v1/sandbox/", json=NEW))
    rich = _created(
        api.post(
            "/v1/sandbox",
            json={**NEW, "vcpu": 2, "memory": 2048, "timeout": 60, "env_vars": {"A": "1"},
                  "auto_pause": True, "mounts": [MOUNT], "network_policy": POLICY},
        )
    )  # fmt: skip
    third = _created(api.post("/v1/sandbox/", json={**NEW, "network_policy": None}))
    emu.configure(start_delay=30)
    starting = _created(api.post("/v1/sandbox/", json=NEW))
    emu.configure(start_delay=0)
    assert starting["state"] == "starting"
    assert api.post("/v1/sandbox/", json=NEW).status_code == 409  # the limit
    assert api.post("/v1/sandbox/", json={"vcpu": 99}).status_code == 400
    assert api.post("/v1/sandbox/", content=b"[1]").status_code == 400
    assert api.post("/v1/sandbox/", json={**NEW, "x": "y" * (1 << 20)}).status_code == 413
    assert api.put("/v1/sandbox/").status_code == 405
    assert api.get("/v2/anything").status_code == 404

    for sandbox_id in (plain["id"], starting["id"], "sbx-missing"):
        api.get(f"/v1/sandbox/{sandbox_id}/")
    assert api.delete(f"/v1/sandbox/{starting['id']}").status_code == 409
    assert api.delete("/v1/sandbox/sbx-missing").status_code == 404
    for params in (
        {},
        {"state": "running", "sort": "state", "order-by": "asc", "page": "1", "page-size": "2"},
        {"state": "starting"},
    ):
        assert api.get("/v1/sandboxes", params=params).status_code == 200
    assert api.get("/v1/sandboxes", params={"page-size": "0", "sort": "x"}).status_code == 400

    # SSH access on the plain sandbox, through the routes this mode serves.
    sid = plain["id"]
    base = f"/v1/sandbox/{sid}/ssh"
    access = _created(api.post(f"{base}/access"))
    second = api.post(f"{base}/access")
    assert second.status_code == (409 if mode == "single" else 201)
    assert api.post("/v1/sandbox/sbx-missing/ssh/access").status_code == 404
    _created(api.post(f"/v1/sandbox/{starting['id']}/ssh/access"))  # issued while starting
    if mode == "both":
        # Two held: the seed's delete and regen cannot tell which is meant.
        assert api.post(f"{base}/regen").status_code == 409
        assert api.delete(f"{base}/access").status_code == 409
        assert api.delete(f"{base}/{second.json()['id']}").status_code == 204
    if seed:
        for password in (access["password"], "wrong"):
            body = {"id": access["id"], "password": password}
            assert api.post(f"{base}/validate", json=body).status_code == 200
        assert api.post(f"{base}/validate", json={"id": 1}).status_code == 400
        assert api.post("/v1/sandbox/sbx-missing/ssh/validate", json=body).status_code == 404
        assert api.post(f"{base}/regen").status_code == 200
        assert api.post("/v1/sandbox/sbx-missing/ssh/regen").status_code == 404
    else:
        # The seed's paths on a service with only the later routes.
        assert api.post(f"{base}/validate", json={}).status_code == 405
        assert api.post(f"{base}/regen").status_code == 405
    if later:
        by_id = f"{base}/{access['id']}"
        for password in (access["password"], "wrong"):
            body = {"password": password}
            assert api.post(f"{by_id}/validate", json=body).status_code == 200
        assert api.post(f"{base}/ssh-unknown/validate", json=body).status_code == 200
        assert api.post(f"{by_id}/validate", json={"password": None}).status_code == 400
        assert api.post(f"{by_id}/validate", content=b"{").status_code == 400
        missing = "/v1/sandbox/sbx-missing/ssh/ssh-x"
        assert api.post(f"{missing}/validate", json=body).status_code == 404
        assert api.post(f"{by_id}/regen").status_code == 200
        assert api.post(f"{base}/ssh-unknown/regen").status_code == 404
        assert api.delete(f"{base}/ssh-unknown").status_code == 404
        assert api.delete(by_id).status_code == 204
    else:
        # The later paths on a service with only the seed's routes.
        assert api.post(f"{base}/{access['id']}/validate", json={}).status_code == 404
        assert api.delete(f"{base}/{access['id']}").status_code == 404
    if seed:
        if not later:
            assert api.delete(f"{base}/access").status_code == 204
        assert api.delete(f"{base}/access").status_code == 404
    else:
        assert api.delete(f"{base}/access").status_code == 404  # the credential "access"

    # The lifecycle routes, on the third sandbox, through every state they produce.
    life = f"/v1/sandbox/{third['id']}"
    emu.configure(stop_delay=5, start_delay=2)
    stopping = api.post(f"{life}/stop")
    assert (stopping.status_code, stopping.json()["state"]) == (200, "stopping")
    assert api.get("/v1/sandboxes", params={"state": "stopping"}).status_code == 200
    api.get(life)
    for action in ("stop", "start", "pause"):
        assert api.post(f"{life}/{action}").status_code == 409  # stopping
    assert api.delete(life).status_code == 409  # in transition
    emu.advance(5)
    started = api.post(f"{life}/start")
    assert (started.status_code, started.json()["state"]) == (200, "starting")
    emu.advance(2)
    paused = api.post(f"{life}/pause")
    assert (paused.status_code, paused.json()["state"]) == (201, "paused")
    assert api.post(f"{life}/start").status_code == 409  # paused: not stopped
    emu.configure(stop_delay=0, start_delay=0)
    for action in ("stop", "start", "pause"):
        assert api.post(f"/v1/sandbox/sbx-missing/{action}").status_code == 404

    # The rich sandbox times out (auto_pause: paused); another is stopped.
    stopped = _created(api.post(f"/v1/sandbox/{rich['id']}/ssh/access"))
    emu.advance(61)
    api.get(f"/v1/sandbox/{rich['id']}")
    assert api.post(f"/v1/sandbox/{rich['id']}/ssh/access").status_code == 409
    regen = f"/v1/sandbox/{rich['id']}/ssh/" + (f"{stopped['id']}/regen" if later else "regen")
    assert api.post(regen).status_code == 409
    emu.advance(300)  # the default timeout: the others stop
    assert api.get("/v1/sandboxes", params={"state": "stopped"}).status_code == 200
    api.get("/v1/sandboxes", params={"sort": "state"})
    for sandbox_id in (plain["id"], rich["id"]):
        api.get(f"/v1/sandbox/{sandbox_id}")
        assert api.delete(f"/v1/sandbox/{sandbox_id}/").status_code == 204

    # Without the key, every route is 401.
    for method, path in [
        ("POST", "/v1/sandbox/"),
        ("GET", f"/v1/sandbox/{sid}/"),
        ("DELETE", f"/v1/sandbox/{sid}/"),
        ("GET", "/v1/sandboxes"),
        ("POST", f"/v1/sandbox/{sid}/stop"),
        ("POST", f"/v1/sandbox/{sid}/start"),
        ("POST", f"/v1/sandbox/{sid}/pause"),
        ("POST", f"{base}/access"),
        ("DELETE", f"{base}/ssh-1"),
        ("POST", f"{base}/ssh-1/validate"),
        ("POST", f"{base}/ssh-1/regen"),
    ]:
        assert anon.request(method, path, json={}).status_code == 401

    # The control routes (exceptions: not part of the API).
    assert api.get("/_emulator/clock").status_code == 200
    assert api.post("/_emulator/clock", json={"advance": 1}).status_code == 200
    assert api.get("/_emulator/config").status_code == 200
    assert api.get("/_emulator/attempts", params={"method": "GET", "path": "/x"}).status_code == 200
    assert api.post("/_emulator/reset").status_code == 204


@pytest.mark.parametrize("mode", MODES)
def test_every_answer_matches_the_description(emu: Emulator, recorder: Recorder, mode: str) -> None:
    _scenario(emu, mode, recorder)
    served: set[tuple[str, int]] = set()
    excepted: set[tuple[str, int]] = set()
    for seen in recorder.seen:
        _check(seen, mode, served, excepted)
    # Every implemented operation was seen in every outcome the emulator produces,
    # and every exception was met (and needed).
    missing = {
        (operation_id, status)
        for operation_id, statuses in IMPLEMENTED.items()
        for status in statuses
        if (operation_id, status) not in served
    }
    assert not missing
    assert excepted == {key for key in EXCEPTIONS if mode in EXCEPTION_MODES.get(key, MODES)}


def test_the_exceptions_and_operations_name_what_the_description_has() -> None:
    ids = {op.operation_id for op in OPERATIONS}
    for operation_id, _ in EXCEPTIONS:
        assert operation_id in ids | {"*", "no route", "control"}
    assert set(EXCEPTION_MODES) <= set(EXCEPTIONS)
    assert set(IMPLEMENTED) <= ids
    for operation_id, statuses in IMPLEMENTED.items():
        listed = {int(status) for status in _by_id(operation_id).responses}
        assert statuses <= listed, operation_id
