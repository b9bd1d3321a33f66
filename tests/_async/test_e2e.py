"""End to end: the client against the emulator over a real loopback socket, and real SSH logins."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from leap0 import (
    AsyncLeap0Client,
    Leap0AuthenticationError,
    Leap0BadRequestError,
    Leap0ConflictError,
    Leap0NotFoundError,
    SshAccess,
)
from leap0.emulator import Emulator
from tests._support import SshLoginRefused, openssh_run, ssh_run


@pytest.fixture
async def client(leap0_emulator: Emulator) -> AsyncIterator[AsyncLeap0Client]:
    async with AsyncLeap0Client(
        api_key=leap0_emulator.api_key, base_url=leap0_emulator.base_url, max_retries=0
    ) as c:
        yield c


def _login(access: SshAccess, password: str | None = None, command: str = "echo hi") -> str:
    status, out = ssh_run(
        access.host,
        access.port,
        access.id,
        access.password if password is None else password,
        command,
    )
    assert status == 0
    return out


async def test_every_ssh_method_end_to_end(
    client: AsyncLeap0Client, leap0_emulator: Emulator
) -> None:
    leap0_emulator.configure(ssh_api="single")  # the seed's service: one credential a sandbox
    sandbox = await client.sandboxes.create()
    access = await sandbox.ssh.create_access()
    assert access.sandbox_id == sandbox.id
    assert not access.expired
    assert access.command.startswith("ssh -p ")

    with pytest.raises(Leap0ConflictError) as conflict:
        await client.ssh.create_access(sandbox)
    assert conflict.value.status_code == 409
    assert conflict.value.request_id

    good = await client.ssh.validate_access(sandbox, access_id=access.id, password=access.password)
    bad = await client.ssh.validate_access(sandbox, access_id=access.id, password="wrong")
    assert (good.valid, bad.valid) == (True, False)

    renewed = await client.ssh.regenerate_access(sandbox.id)
    assert renewed.password != access.password
    assert renewed.expires_at >= access.expires_at
    old = await client.ssh.validate_access(sandbox, access_id=access.id, password=access.password)
    new = await client.ssh.validate_access(sandbox, access_id=renewed.id, password=renewed.password)
    assert (old.valid, new.valid) == (False, True)

    await client.ssh.delete_access(sandbox)
    gone = await client.ssh.validate_access(
        sandbox, access_id=renewed.id, password=renewed.password
    )
    assert gone.valid is False
    with pytest.raises(Leap0NotFoundError):
        await client.ssh.regenerate_access(sandbox)
    with pytest.raises(Leap0NotFoundError):
        await client.ssh.delete_access(sandbox)

    # After a revoke, new access can be created again.
    again = await client.ssh.create_access(sandbox)
    assert again.password not in (access.password, renewed.password)
    await sandbox.delete()


async def test_unknown_sandbox_is_not_found(client: AsyncLeap0Client) -> None:
    calls = [
        lambda: client.ssh.create_access("sbx-missing"),
        lambda: client.ssh.delete_access("sbx-missing"),
        lambda: client.ssh.regenerate_access("sbx-missing"),
        lambda: client.ssh.validate_access("sbx-missing", access_id="ssh-x", password="p"),
        lambda: client.sandboxes.get("sbx-missing"),
        lambda: client.sandboxes.delete("sbx-missing"),
    ]
    for call in calls:
        with pytest.raises(Leap0NotFoundError):
            await call()


async def test_wrong_api_key_is_401(leap0_emulator: Emulator) -> None:
    async with AsyncLeap0Client(
        api_key="not-the-key", base_url=leap0_emulator.base_url, max_retries=0
    ) as client:
        with pytest.raises(Leap0AuthenticationError) as info:
            await client.ssh.create_access("sbx-any")
    assert info.value.status_code == 401
    assert "not-the-key" not in str(info.value)


async def test_expiry_on_the_emulators_clock(
    client: AsyncLeap0Client, leap0_emulator: Emulator
) -> None:
    sandbox = await client.sandboxes.create(timeout=28800)
    access = await sandbox.ssh.create_access()  # a 1-hour lifetime
    assert (await sandbox.ssh.validate_access(access_id=access.id, password=access.password)).valid
    assert _login(access) == "hi\n"
    leap0_emulator.advance(3600)
    expired = await sandbox.ssh.validate_access(access_id=access.id, password=access.password)
    assert expired.valid is False
    with pytest.raises(SshLoginRefused):
        _login(access)
    # Regenerating resets the expiry, from the emulator's time.
    renewed = await sandbox.ssh.regenerate_access()
    assert renewed.expires_at - access.expires_at >= timedelta(seconds=3600)
    assert (
        await sandbox.ssh.validate_access(access_id=renewed.id, password=renewed.password)
    ).valid
    assert _login(renewed) == "hi\n"


async def test_a_sandbox_stops_at_its_timeout_on_the_emulators_clock(
    client: AsyncLeap0Client, leap0_emulator: Emulator
) -> None:
    sandbox = await client.sandboxes.create(timeout=60)
    access = await sandbox.ssh.create_access()
    assert _login(access) == "hi\n"
    leap0_emulator.advance(61)
    assert (await sandbox.refresh()).state == "stopped"
    assert [s.state for s in await client.sandboxes.list(state="stopped")] == ["stopped"]
    assert not (
        await sandbox.ssh.validate_access(access_id=access.id, password=access.password)
    ).valid
    with pytest.raises(SshLoginRefused):
        _login(access)
    with pytest.raises(Leap0ConflictError):
        await sandbox.ssh.regenerate_access()
    await sandbox.delete()  # a stopped sandbox is deleted directly
    with pytest.raises(Leap0NotFoundError):
        await sandbox.refresh()


async def test_sandbox_lifecycle_list_and_limit(client: AsyncLeap0Client) -> None:
    first = await client.sandboxes.create(vcpu=2, memory=2048, timeout=600, env_vars={"A": "1"})
    assert (first.info.vcpu, first.info.memory, first.info.timeout) == (2, 2048, 600)
    second = await client.sandboxes.create()
    third = await client.sandboxes.create()
    with pytest.raises(Leap0ConflictError):
        await client.sandboxes.create()

    page = await client.sandboxes.list(state="running", order="asc", page_size=2)
    assert page.total_items == 3
    assert [s.id for s in page] == [first.id, second.id]
    page2 = await client.sandboxes.list(state="running", order="asc", page=2, page_size=2)
    assert [s.id for s in page2] == [third.id]
    assert (await client.sandboxes.list(state="paused")).total_items == 0

    fetched = await client.sandboxes.get(first.id)
    assert fetched.info == await fetched.refresh()
    async with second:
        pass  # deleted on exit
    with pytest.raises(Leap0NotFoundError):
        await client.sandboxes.get(second)
    await first.delete()
    await third.delete()
    assert (await client.sandboxes.list()).total_items == 0


async def test_service_side_validation_reaches_the_user_as_field_errors(
    client: AsyncLeap0Client,
) -> None:
    # The SDK checks limits before sending; a raw transport request shows the service's check.
    with pytest.raises(Leap0BadRequestError) as info:
        await client.transport.request(
            "POST", "/v1/sandbox/", expected_status=201, idempotent=False, json={"vcpu": 99}
        )
    assert any(e.field == "vcpu" for e in info.value.errors)


async def test_ssh_login_with_issued_credentials(client: AsyncLeap0Client) -> None:
    async with await client.sandboxes.create(env_vars={"GREETING": "hello"}) as sandbox:
        access = await sandbox.ssh.create_access()
        assert _login(access) == "hi\n"
        assert _login(access, command="echo $GREETING") == "hello\n"
        status, _ = ssh_run(access.host, access.port, access.id, access.password, "exit 7")
        assert status == 7

        renewed = await sandbox.ssh.regenerate_access()
        with pytest.raises(SshLoginRefused):
            _login(access)  # the old password
        assert _login(renewed) == "hi\n"

        await sandbox.ssh.delete_access()
        with pytest.raises(SshLoginRefused):
            _login(renewed)


@pytest.mark.skipif(shutil.which("ssh") is None, reason="the OpenSSH client is not installed")
async def test_openssh_logs_in_with_the_issued_command(client: AsyncLeap0Client) -> None:
    async with await client.sandboxes.create() as sandbox:
        access = await sandbox.ssh.create_access()
        status, out, err = openssh_run(access.command, access.password, "echo hi from $PWD")
        assert status == 0, err
        assert out.startswith("hi from /")

        renewed = await sandbox.ssh.regenerate_access()
        status, out, err = openssh_run(access.command, access.password, "echo hi")
        assert status != 0
        assert out == ""
        status, out, err = openssh_run(renewed.command, renewed.password, "echo again")
        assert (status, out) == (0, "again\n"), err

        await sandbox.ssh.delete_access()
        status, out, err = openssh_run(renewed.command, renewed.password, "echo hi")
        assert status != 0
        assert out == ""
