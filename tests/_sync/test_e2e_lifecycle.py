# Generated from tests/_async/test_e2e_lifecycle.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
"""Stop, start and pause end to end against the emulator, on its clock, with SSH around them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from leap0 import Leap0Client, Leap0ConflictError, Leap0NotFoundError, SshAccess
from leap0.emulator import Emulator
from tests._support import openssh_run


@pytest.fixture
def client(leap0_emulator: Emulator) -> Iterator[Leap0Client]:
    with Leap0Client(
        api_key=leap0_emulator.api_key, base_url=leap0_emulator.base_url, max_retries=0
    ) as c:
        yield c


def _logs_in(access: SshAccess) -> bool:
    if shutil.which("ssh") is None:  # pragma: no cover - the validate checks still run
        return True
    status, _, _ = openssh_run(access.command, access.password, "true")
    return status == 0


def test_stop_then_start_on_the_handle_and_the_client(
    client: Leap0Client, leap0_emulator: Emulator
) -> None:
    leap0_emulator.configure(stop_delay=5, start_delay=3)
    with client.sandboxes.create() as sandbox:
        leap0_emulator.advance(3)
        sandbox.refresh()
        assert sandbox.state == "running"
        access = sandbox.ssh.create_access()
        assert _logs_in(access)

        info = sandbox.stop()
        assert info.state == sandbox.state == "stopping"
        leap0_emulator.advance(5)
        assert (sandbox.refresh()).state == "stopped"
        check = sandbox.ssh.validate_access(access_id=access.id, password=access.password)
        assert check.valid is False  # no login while stopped
        assert not _logs_in(access)
        with pytest.raises(Leap0ConflictError):
            sandbox.stop()  # not running
        with pytest.raises(Leap0ConflictError):
            sandbox.ssh.create_access()

        started = client.sandboxes.start(sandbox.id)
        assert started.id == sandbox.id and started.state == "starting"
        with pytest.raises(Leap0ConflictError):
            client.sandboxes.start(sandbox)  # not stopped
        leap0_emulator.advance(3)
        assert (sandbox.refresh()).state == "running"
        again = sandbox.ssh.validate_access(access_id=access.id, password=access.password)
        assert again.valid
        assert _logs_in(access)


def test_pause_a_running_sandbox(client: Leap0Client) -> None:
    with client.sandboxes.create() as sandbox:
        access = sandbox.ssh.create_access()
        paused = client.sandboxes.pause(sandbox)
        assert paused.state == "paused"
        assert (sandbox.refresh()).state == "paused"
        check = sandbox.ssh.validate_access(access_id=access.id, password=access.password)
        assert check.valid is False
        assert not _logs_in(access)
        with pytest.raises(Leap0ConflictError):
            sandbox.pause()  # not running


def test_lifecycle_of_an_unknown_sandbox_is_not_found(client: Leap0Client) -> None:
    for action in (client.sandboxes.stop, client.sandboxes.start, client.sandboxes.pause):
        with pytest.raises(Leap0NotFoundError):
            action("sbx-missing")
