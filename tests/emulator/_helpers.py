"""Helpers shared by the emulator tests."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

import httpx

from leap0.emulator import Emulator

if TYPE_CHECKING:
    import asyncssh

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z")
SAFE_ID = re.compile(r"[a-z0-9-]+")


def auth_headers(emu: Emulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {emu.api_key}"}


def make_client(emu: Emulator, **kwargs: Any) -> httpx.Client:
    kwargs.setdefault("timeout", 10.0)
    return httpx.Client(base_url=emu.base_url, headers=auth_headers(emu), trust_env=False, **kwargs)


def make_async_client(emu: Emulator, **kwargs: Any) -> httpx.AsyncClient:
    kwargs.setdefault("timeout", 10.0)
    return httpx.AsyncClient(
        base_url=emu.base_url, headers=auth_headers(emu), trust_env=False, **kwargs
    )


#: A template name for request bodies (the service requires one).
TEMPLATE = "system/debian:bookworm"
#: The smallest body that creates a sandbox.
NEW = {"template_name": TEMPLATE}


def create_sandbox(api: httpx.Client, **body: Any) -> dict[str, Any]:
    body.setdefault("template_name", TEMPLATE)
    response = api.post("/v1/sandbox/", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def create_access(api: httpx.Client, sandbox_id: str) -> dict[str, Any]:
    response = api.post(f"/v1/sandbox/{sandbox_id}/ssh/access")
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def field_errors(response: httpx.Response) -> set[str]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert isinstance(body["message"], str)
    assert body["message"]
    for item in body["errors"]:
        assert set(item) == {"field", "error"}
        assert isinstance(item["error"], str)
        assert item["error"]
    return {item["field"] for item in body["errors"]}


async def ssh_login(
    host: str, port: int, access: dict[str, Any], timeout: float = 10.0
) -> asyncssh.SSHClientConnection:
    """Log in with an issued credential (``access`` as the API answers it), password only."""
    import asyncssh

    return await asyncio.wait_for(
        asyncssh.connect(
            host,
            port,
            username=access["id"],
            password=access["password"],
            known_hosts=None,
            client_keys=None,
            agent_path=None,
            config=None,
            preferred_auth="password",
            connect_timeout=timeout,
        ),
        timeout,
    )
