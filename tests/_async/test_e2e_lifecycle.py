"""Stop, start and pause end to end against the emulator, on its clock, with SSH around them."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import pytest

from leap0 import AsyncLeap0Client, Leap0ConflictError, Leap0NotFoundError, SshAccess
from leap0.emulator import Emulator
from tests._support import openssh_run


@pytest.fixture
async def client(leap0_emulator: Emulator) -> AsyncIterator[AsyncLeap0Client]:
    async with AsyncLeap0Client(
        api_key=leap0_emulator.api_key, base_url=leap0_emulator.base_url, max_retries=0
    ) as c:
        yield c


def _logs_in(access: SshAccess) -> bool:
    if shutil.which("ssh") is None:  # pragma: no cover - the validate checks still run
        return True
    status, _, _ = openssh_run(access.command, access.password, "true")
    return status == 0


async def test_stop_then_start_on_the_handle_and_the_client(
    client: AsyncLeap0Client, leap0_emulator: Emulator
) -> None:
    leap0_emulator.configure(stop_delay=5, start_delay=3)
    async with await client.sandboxes.create() as sandbox:
        leap0_emulator.advance(3)
        await sandbox.refresh()
        assert sandbox.state == "running"
        access = await sandbox.ssh.create_access()
        assert _logs_in(access)

        info = await sandbox.stop()
        assert info.state == sandbox.state == "stopping"
        leap0_emulator.advance(5)
        assert (await sandbox.refresh()).state == "stopped"
        check = await sandbox.ssh.validate_access(access_id=access.id, password=access.password)
        assert check.valid is False  # no login while stopped
        assert not _logs_in(access)
        with pytest.raises(Leap0ConflictError):
            await sandbox.stop()  # not running
        with pytest.raises(Leap0ConflictError):
            await sandbox.ssh.create_access()

        started = await client.sandboxes.start(sandbox.id)
        assert started.id == sandbox.id and started.state == "starting"
        with pytest.raises(Leap0ConflictError):
            await client.sandboxes.start(sandbox)  # not stopped
        leap0_emulator.advance(3)
        assert (await sandbox.refresh()).state == "running"
        again = await sandbox.ssh.validate_access(access_id=access.id, password=access.password)
        assert again.valid
        assert _logs_in(access)


async def test_pause_a_running_sandbox(client: AsyncLeap0Client) -> None:
    async with await client.sandboxes.create() as sandbox:
        access = await sandbox.ssh.create_access()
        paused = await client.sandboxes.pause(sandbox)
        assert paused.state == "paused"
        assert (await sandbox.refresh()).state == "paused"
        check = await sandbox.ssh.validate_access(access_id=access.id, password=access.password)
        assert check.valid is False
        assert not _logs_in(access)
        with pytest.raises(Leap0ConflictError):
            await sandbox.pause()  # not running


async def test_lifecycle_of_an_unknown_sandbox_is_not_found(client: AsyncLeap0Client) -> None:
    for action in (client.sandboxes.stop, client.sandboxes.start, client.sandboxes.pause):
        with pytest.raises(Leap0NotFoundError):
            await action("sbx-missing")
