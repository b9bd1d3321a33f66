"""Shared test data: wire bodies as the service sends them."""

from __future__ import annotations

from typing import Any

API_KEY = "test-key-0123456789"
BASE_URL = "https://api.leap0.test"
PASSWORD = "s3cret-Pa55word-do-not-leak"
SANDBOX_ID = "sbx-abc123"
ACCESS_ID = "ssh-7f3a"


def access_json(**overrides: Any) -> dict[str, Any]:
    body = {
        "id": ACCESS_ID,
        "sandbox_id": SANDBOX_ID,
        "password": PASSWORD,
        "expires_at": "2026-11-26T05:00:00Z",
        "created_at": "2026-11-26T04:00:00Z",
        "updated_at": "2026-11-26T04:00:00Z",
        "ssh_command": f"ssh -p 2222 {ACCESS_ID}@ssh.leap0.test",
    }
    body.update(overrides)
    return body


def sandbox_json(**overrides: Any) -> dict[str, Any]:
    body = {
        "id": SANDBOX_ID,
        "template_id": "system/debian:bookworm",
        "vcpu": 1,
        "memory": 1024,
        "disk": 10240,
        "timeout": 300,
        "state": "running",
        "auto_pause": False,
        "created_at": "2026-11-26T04:00:00Z",
    }
    body.update(overrides)
    return body


def url(path: str) -> str:
    return BASE_URL + path
