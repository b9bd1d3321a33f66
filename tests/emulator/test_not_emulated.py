"""What the public OpenAPI description has and the emulator does not emulate: 501, never 404.

``leap0/emulator/_catalogue.py`` lists every operation of the description
(``leap0-openapi.yaml`` beside this file) as (method, path template,
operationId); the emulator answers each one it does not implement with 501
``{"message": "<operationId> is not emulated"}``. The package does not read
the YAML (PyYAML is no dependency of it): the module is generated from it, by
``python -m tests.emulator.test_not_emulated``, and the first test here fails
when the committed module differs from what that writes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from leap0.emulator import Emulator
from leap0.emulator._catalogue import OPERATIONS

from ._helpers import create_access, create_sandbox

SPEC_PATH = Path(__file__).parent / "leap0-openapi.yaml"
MODULE_PATH = Path(__file__).parents[2] / "leap0" / "emulator" / "_catalogue.py"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

#: The operations the emulator implements (leap0.emulator._api.EMULATED).
IMPLEMENTED = {
    "createSandbox",
    "getSandbox",
    "deleteSandbox",
    "listSandboxes",
    "stopSandbox",
    "startSandbox",
    "pauseSandbox",
    "createSshAccess",
    "deleteSshAccess",
    "validateSshAccess",
    "regenSshAccess",
}

_HEADER = '''"""Every operation of the public OpenAPI description: (method, path template, operationId).

Generated from ``tests/emulator/leap0-openapi.yaml`` by
``python -m tests.emulator.test_not_emulated``; do not edit (a test fails when
this file differs from what that writes). Pure data, read by the emulator's
router: each operation here that it does not implement answers 501
(``{"message": "<operationId> is not emulated"}``).
"""

from __future__ import annotations

__all__ = ["OPERATIONS"]

#: The description's paths in its order (each path's methods in a fixed order), the
#: templates exactly as it writes them.
OPERATIONS: tuple[tuple[str, str, str], ...] = (
'''


def render(spec: dict[str, Any]) -> str:
    """The text of ``_catalogue.py`` for the description ``spec``."""
    lines = [_HEADER]
    for template, item in spec["paths"].items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is not None:
                entry = (method.upper(), template, operation["operationId"])
                lines.append(f"    ({', '.join(_quote(part) for part in entry)}),\n")
    lines.append(")\n")
    return "".join(lines)


def _quote(text: str) -> str:
    assert '"' not in text and "\\" not in text, text
    return f'"{text}"'


def _spec() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text("utf-8"))
    return data


def test_the_catalogue_is_generated_from_the_description() -> None:
    expected = render(_spec())
    assert MODULE_PATH.read_text("utf-8") == expected, (
        "leap0/emulator/_catalogue.py is not what the description gives: run "
        "python -m tests.emulator.test_not_emulated"
    )


def test_the_catalogue_holds_every_operation_once() -> None:
    ids = [operation_id for _, _, operation_id in OPERATIONS]
    assert len(ids) == len(set(ids))
    assert set(ids) >= IMPLEMENTED
    assert len({(method, template) for method, template, _ in OPERATIONS}) == len(OPERATIONS)


def test_the_emulated_set_is_the_implemented_one() -> None:
    from leap0.emulator._api import EMULATED

    assert set(EMULATED) == IMPLEMENTED


NOT_EMULATED = [entry for entry in OPERATIONS if entry[2] not in IMPLEMENTED]


def _path(template: str, sandbox_id: str) -> str:
    """A request path for ``template``: the sandbox given, "x1" for other parameters."""
    path = template.replace("{sandboxID}", sandbox_id)
    return re.sub(r"\{[^}]+\}", "x1", path)


@pytest.mark.parametrize(
    ("method", "template", "operation_id"), NOT_EMULATED, ids=[e[2] for e in NOT_EMULATED]
)
def test_every_operation_not_implemented_answers_501(
    api: httpx.Client, sandbox: dict[str, Any], method: str, template: str, operation_id: str
) -> None:
    response = api.request(method, _path(template, sandbox["id"]))
    assert response.status_code == 501, response.text
    assert response.json() == {"message": f"{operation_id} is not emulated"}
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-request-id"].startswith("req_")


def test_process_execute_on_an_existing_sandbox_is_501(
    api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    path = f"/v1/sandbox/{sandbox['id']}/process/execute"
    response = api.post(path, json={"command": "echo hi"})
    assert response.status_code == 501
    assert response.json() == {"message": "processExecute is not emulated"}
    # With or without a trailing slash, whatever the body.
    assert api.post(path + "/", content=b"not json").status_code == 501


def test_a_missing_sandbox_stays_404(api: httpx.Client) -> None:
    response = api.post("/v1/sandbox/sbx-missing/process/execute", json={"command": "true"})
    assert response.status_code == 404
    assert response.json() == {"message": "sandbox 'sbx-missing' not found"}
    assert api.post("/v1/sandbox/sbx-missing/filesystem/ls", json={}).status_code == 404


def test_operations_outside_a_sandbox_are_501(api: httpx.Client) -> None:
    assert api.get("/v1/snapshots").json() == {"message": "listSnapshots is not emulated"}
    assert api.post("/v1/snapshot/restore", json={}).status_code == 501
    assert api.delete("/v1/snapshot/snap-1").status_code == 501
    assert api.post("/v1/template").status_code == 501


def test_the_key_is_checked_first(anon: httpx.Client, sandbox: dict[str, Any]) -> None:
    response = anon.post(f"/v1/sandbox/{sandbox['id']}/process/execute", json={})
    assert response.status_code == 401
    assert anon.get("/v1/snapshots").status_code == 401


def test_unknown_paths_stay_404(api: httpx.Client, sandbox: dict[str, Any]) -> None:
    for path in (
        "/v2/anything",
        f"/v1/sandbox/{sandbox['id']}/process/kill",
        f"/v1/sandbox/{sandbox['id']}/filesystem",
        "/v1/snapshot/a/b",
        "/",
    ):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json()["message"].startswith("no route for GET ")


def test_a_method_the_path_does_not_take_is_405_naming_the_documented_ones(
    api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    response = api.delete(f"/v1/sandbox/{sandbox['id']}/process/execute")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    # A literal path and a template with a parameter at its place: both templates' methods.
    response = api.request("TRACE", "/v1/snapshot/restore")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, POST"
    assert api.delete("/v1/snapshot/restore").json() == {
        "message": "deleteSnapshot is not emulated"
    }
    pty = f"/v1/sandbox/{sandbox['id']}/pty"
    assert api.get(pty).json() == {"message": "listPtySessions is not emulated"}
    assert api.post(pty).json() == {"message": "createPtySession is not emulated"}


def test_the_seed_revision_keeps_its_404_for_the_later_ssh_routes(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    # ssh_api="single" emulates a service of the seed's revision, which has no
    # per-credential routes: they are absent there (404), not "not emulated".
    emu.configure(ssh_api="single")
    access = create_access(api, sandbox["id"])
    base = f"/v1/sandbox/{sandbox['id']}/ssh/{access['id']}"
    assert api.delete(base).status_code == 404
    assert api.post(f"{base}/regen").status_code == 404
    assert api.post(f"{base}/validate", json={"password": "x"}).status_code == 404


def test_not_emulated_answers_are_counted_and_faultable(emu: Emulator, api: httpx.Client) -> None:
    sid = create_sandbox(api)["id"]
    path = f"/v1/sandbox/{sid}/git/status"
    emu.inject("POST", path, {"status": 503})
    assert api.post(path, json={}).status_code == 503
    assert api.post(path, json={}).status_code == 501
    assert emu.attempts("POST", path) == 2


if __name__ == "__main__":
    MODULE_PATH.write_text(render(_spec()), "utf-8")
    sys.stdout.write(f"wrote {MODULE_PATH}\n")
