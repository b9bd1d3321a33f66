"""What the emulator was sent: ``GET /_emulator/requests`` and ``emu.requests()``; the health check."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from leap0.emulator import Emulator
from leap0.emulator._recorder import MAX_RECORDED_BODY, MAX_RECORDED_REQUESTS, Recorder

from ._helpers import NEW, TEMPLATE, TIMESTAMP, create_access, create_sandbox


def _recorded(api: httpx.Client) -> list[dict[str, Any]]:
    response = api.get("/_emulator/requests")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"requests", "forgotten", "limit"}
    assert body["limit"] == MAX_RECORDED_REQUESTS
    requests: list[dict[str, Any]] = body["requests"]
    return requests


def test_a_validate_call_is_recorded_without_its_password(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any], access: dict[str, Any]
) -> None:
    path = f"/v1/sandbox/{sandbox['id']}/ssh/validate"
    answer = api.post(path, json={"id": access["id"], "password": access["password"]})
    assert answer.json()["valid"] is True
    recorded = _recorded(api)
    assert [(r["method"], r["path"], r["status"]) for r in recorded] == [
        ("POST", "/v1/sandbox", 201),
        ("POST", f"/v1/sandbox/{sandbox['id']}/ssh/access", 201),
        ("POST", path, 200),
    ]
    last = recorded[-1]
    assert set(last) == {
        "method",
        "path",
        "query",
        "status",
        "request_id",
        "time",
        "body",
        "body_size",
    }
    assert last["body"] == {"id": access["id"], "password": "***"}
    assert last["request_id"] == answer.headers["x-request-id"]
    assert last["query"] == {}
    assert last["body_size"] == len(answer.request.content)
    assert TIMESTAMP.fullmatch(last["time"])
    text = api.get("/_emulator/requests").text
    assert access["password"] not in text
    assert emu.api_key not in text  # no header is recorded
    assert emu.requests() == recorded


def test_newest_last_with_the_query_and_the_emulators_clock(
    emu: Emulator, api: httpx.Client
) -> None:
    emu.advance(86400 * 400)
    api.get("/v1/sandboxes", params={"state": "running", "page": "2"})
    api.get("/v1/sandboxes?sort=state&sort=created_at&token=abc")
    first, second = emu.requests()
    assert first["query"] == {"state": "running", "page": "2"}
    assert first["status"] == 200
    assert first["body"] is None
    assert first["body_size"] == 0
    assert second["query"] == {"sort": ["state", "created_at"], "token": "***"}
    assert second["status"] == 400
    assert first["time"][:10] == emu.now().isoformat()[:10]


def test_secrets_are_redacted_at_any_depth(emu: Emulator, api: httpx.Client) -> None:
    create_sandbox(
        api,
        env_vars={"OPENAI_API_KEY": "sk-1", "GITHUB_TOKEN": "ghp-2", "PLAIN": "seen"},
        mounts=[
            {
                "type": "object-storage",
                "bucket": "b",
                "mount_path": "/data",
                "endpoint": "https://storage.example.com",
                "access_key_id": "AKIA3",
                "secret_access_key": "s4",
            }
        ],
        network_policy={
            "mode": "custom",
            "transforms": [
                {
                    "domain": "api.example.com",
                    "inject_headers": {"Authorization": "Bearer t5", "X-Api-Key": "k6", "X": "x"},
                }
            ],
        },
    )
    (record,) = emu.requests()
    body = record["body"]
    assert body["env_vars"] == {"OPENAI_API_KEY": "***", "GITHUB_TOKEN": "***", "PLAIN": "seen"}
    mount = body["mounts"][0]
    assert (mount["access_key_id"], mount["secret_access_key"], mount["bucket"]) == (
        "***",
        "***",
        "b",
    )
    headers = body["network_policy"]["transforms"][0]["inject_headers"]
    assert headers == {"Authorization": "***", "X-Api-Key": "***", "X": "x"}
    text = json.dumps(emu.requests())
    for secret in ("sk-1", "ghp-2", "AKIA3", "s4", "t5", "k6"):
        assert secret not in text


def test_bodies_that_are_not_json_are_recorded_by_their_size(
    emu: Emulator, api: httpx.Client
) -> None:
    api.post("/v1/sandbox/", content=b"template_name=x")
    big = {**NEW, "env_vars": {"A": "x" * MAX_RECORDED_BODY}}
    api.post("/v1/sandbox/", json=big)
    api.post("/v1/sandbox/", content=b'{"template_name": "\\ud800"}')
    not_json, too_big, surrogate = emu.requests()
    assert (not_json["status"], not_json["body"], not_json["body_size"]) == (400, None, 15)
    assert (too_big["status"], too_big["body"]) == (201, None)
    assert too_big["body_size"] > MAX_RECORDED_BODY
    assert surrogate["status"] == 400
    assert surrogate["body"] == {"template_name": "\ud800"}
    assert api.get("/_emulator/requests").status_code == 200  # still valid JSON


def test_every_answer_is_recorded_the_not_emulated_ones_with_their_body(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    api.post(f"/v1/sandbox/{sid}/process/execute", json={"command": "make test"})
    api.get("/v2/nothing")
    api.put("/v1/sandbox/")
    emu.inject("GET", "/v1/sandboxes", {"status": 503})
    api.get("/v1/sandboxes")
    recorded = emu.requests()[1:]
    assert [(r["path"], r["status"]) for r in recorded] == [
        (f"/v1/sandbox/{sid}/process/execute", 501),
        ("/v2/nothing", 404),
        ("/v1/sandbox", 405),
        ("/v1/sandboxes", 503),
    ]
    assert recorded[0]["body"] == {"command": "make test"}


def test_control_routes_and_requests_without_the_key_are_not_recorded(
    emu: Emulator, api: httpx.Client, anon: httpx.Client
) -> None:
    assert anon.get("/v1/sandboxes").status_code == 401
    anon.post("/v1/sandbox/", json=NEW)
    api.get("/_emulator/config")
    api.get("/_emulator/clock")
    api.get("/_emulator/requests")
    anon.get("/_emulator/health")
    assert emu.requests() == []


def test_reset_clears_the_record(emu: Emulator, api: httpx.Client) -> None:
    create_access(api, create_sandbox(api)["id"])
    assert len(emu.requests()) == 2
    assert api.post("/_emulator/reset").status_code == 204
    assert _recorded(api) == []
    api.get("/v1/sandboxes")
    emu.reset()
    assert emu.requests() == []


def test_the_record_is_bounded_newest_kept() -> None:
    recorder = Recorder(limit=3)
    for n in range(5):
        recorder.record(
            method="GET",
            path=f"/v1/sandbox/sbx-{n}",
            query=b"",
            status=404,
            request_id=f"req_{n}",
            time=0.0,
            body=b"",
            body_size=0,
        )
    assert [r["request_id"] for r in recorder.entries()] == ["req_2", "req_3", "req_4"]
    assert json.loads(recorder.to_json())["forgotten"] == 2
    recorder.clear()
    assert recorder.entries() == []
    assert json.loads(recorder.to_json()) == {"requests": [], "forgotten": 0, "limit": 3}


def test_the_http_record_keeps_the_documented_number(emu: Emulator, api: httpx.Client) -> None:
    for _ in range(MAX_RECORDED_REQUESTS + 5):
        api.get("/v1/sandboxes")
    body = api.get("/_emulator/requests").json()
    assert len(body["requests"]) == MAX_RECORDED_REQUESTS
    assert body["forgotten"] == 5


# -- health --------------------------------------------------------------------------------


def test_health_answers_without_the_key(anon: httpx.Client, api: httpx.Client) -> None:
    response = anon.get("/_emulator/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"].startswith("req_")
    assert api.get("/_emulator/health").json() == {"status": "ok"}
    # Only GET goes without the key; everything else there is the key's.
    assert anon.post("/_emulator/health").status_code == 401
    assert api.post("/_emulator/health").status_code == 405


def test_health_is_never_faulted(emu: Emulator, anon: httpx.Client) -> None:
    with pytest.raises(ValueError, match="control route"):
        emu.inject("GET", "/_emulator/health", {"status": 503})
    emu.configure(templates=[TEMPLATE])
    assert anon.get("/_emulator/health").status_code == 200
