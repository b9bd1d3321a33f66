"""Concurrency against the emulator, for both clients: one credential per sandbox, always.

The async client fans out with asyncio.gather; the sync client shares one
``Leap0Client`` between threads.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx

from leap0 import (
    AsyncLeap0Client,
    Leap0Client,
    Leap0ConflictError,
    SshAccess,
)
from leap0.emulator import Emulator

LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


def _sync_client(emu: Emulator, http: httpx.Client) -> Leap0Client:
    return Leap0Client(api_key=emu.api_key, base_url=emu.base_url, http_client=http)


def test_100_concurrent_creates_async_give_one_credential(leap0_emulator: Emulator) -> None:
    leap0_emulator.configure(ssh_api="single")  # the seed's service: one credential a sandbox

    async def main() -> list[object]:
        async with (
            httpx.AsyncClient(limits=LIMITS) as http,
            AsyncLeap0Client(
                api_key=leap0_emulator.api_key, base_url=leap0_emulator.base_url, http_client=http
            ) as client,
        ):
            sandbox = await client.sandboxes.create()
            return await asyncio.gather(
                *(client.ssh.create_access(sandbox) for _ in range(100)), return_exceptions=True
            )

    results = asyncio.run(main())
    assert sum(isinstance(r, SshAccess) for r in results) == 1
    assert sum(isinstance(r, Leap0ConflictError) for r in results) == 99


def test_100_concurrent_creates_sync_give_one_credential(leap0_emulator: Emulator) -> None:
    leap0_emulator.configure(ssh_api="single")  # the seed's service: one credential a sandbox
    with (
        httpx.Client(limits=LIMITS) as http,
        _sync_client(leap0_emulator, http) as client,
        ThreadPoolExecutor(20) as pool,
    ):
        sandbox = client.sandboxes.create()

        def create() -> object:
            try:
                return client.ssh.create_access(sandbox)
            except Leap0ConflictError as exc:
                return exc

        results = list(pool.map(lambda _: create(), range(100)))
    assert sum(isinstance(r, SshAccess) for r in results) == 1
    assert sum(isinstance(r, Leap0ConflictError) for r in results) == 99


def test_20_concurrent_regenerations_leave_one_returned_password_valid_async(
    leap0_emulator: Emulator,
) -> None:
    async def main() -> tuple[list[SshAccess], list[bool]]:
        async with AsyncLeap0Client(
            api_key=leap0_emulator.api_key, base_url=leap0_emulator.base_url
        ) as client:
            sandbox = await client.sandboxes.create()
            await sandbox.ssh.create_access()
            renewed = await asyncio.gather(*(sandbox.ssh.regenerate_access() for _ in range(20)))
            checks = await asyncio.gather(
                *(sandbox.ssh.validate_access(access_id=a.id, password=a.password) for a in renewed)
            )
            return list(renewed), [c.valid for c in checks]

    renewed, valid = asyncio.run(main())
    assert len({a.password for a in renewed}) == 20
    assert valid.count(True) == 1


def test_20_concurrent_regenerations_leave_one_returned_password_valid_sync(
    leap0_emulator: Emulator,
) -> None:
    with (
        httpx.Client(limits=LIMITS) as http,
        _sync_client(leap0_emulator, http) as client,
        ThreadPoolExecutor(20) as pool,
    ):
        sandbox = client.sandboxes.create()
        sandbox.ssh.create_access()
        renewed = list(pool.map(lambda _: sandbox.ssh.regenerate_access(), range(20)))
        valid = [
            sandbox.ssh.validate_access(access_id=a.id, password=a.password).valid for a in renewed
        ]
    assert len({a.password for a in renewed}) == 20
    assert valid.count(True) == 1
