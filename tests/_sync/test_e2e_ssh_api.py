# Generated from tests/_async/test_e2e_ssh_api.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
"""Both SSH API revisions end to end: each setting against the emulator in its strict mode.

A client whose ``ssh_api`` matches the emulator's runs the whole flow, with real
OpenSSH logins; a client whose setting does not match fails with a typed error.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator

import pytest

from leap0 import (
    Leap0Client,
    Leap0APIError,
    Leap0ConflictError,
    Leap0NotFoundError,
    SshApi,
)
from leap0.emulator import Emulator
from tests._support import openssh_logs_in

pytestmark = pytest.mark.skipif(shutil.which("ssh") is None, reason="no OpenSSH client")


@contextlib.contextmanager
def _pair(emu: Emulator, service: str, sdk: SshApi) -> Iterator[Leap0Client]:
    """A client with the setting ``sdk``, against the emulator serving ``service`` strictly."""
    emu.configure(ssh_api=service)
    with Leap0Client(
        api_key=emu.api_key, base_url=emu.base_url, max_retries=0, ssh_api=sdk
    ) as client:
        yield client


@pytest.fixture(params=["single", "per-credential"])
def matched(request: pytest.FixtureRequest, leap0_emulator: Emulator) -> Iterator[Leap0Client]:
    with _pair(leap0_emulator, request.param, request.param) as client:
        yield client


def test_whole_flow_in_the_matching_strict_mode(matched: Leap0Client) -> None:
    with matched.sandboxes.create() as sandbox:
        access = sandbox.ssh.create_access()
        good = sandbox.ssh.validate_access(access_id=access.id, password=access.password)
        wrong = sandbox.ssh.validate_access(access_id=access.id, password="wrong")
        assert (good.valid, wrong.valid) == (True, False)
        assert openssh_logs_in(access)
        assert not openssh_logs_in(access, "wrong")

        renewed = sandbox.ssh.regenerate_access(access_id=access.id)
        assert renewed.id == access.id
        assert renewed.password != access.password
        old = sandbox.ssh.validate_access(access_id=access.id, password=access.password)
        assert old.valid is False
        assert not openssh_logs_in(access)
        assert openssh_logs_in(renewed)

        sandbox.ssh.delete_access(access_id=access.id)
        revoked = sandbox.ssh.validate_access(access_id=renewed.id, password=renewed.password)
        assert revoked.valid is False
        assert not openssh_logs_in(renewed)
        with pytest.raises(Leap0NotFoundError):
            sandbox.ssh.delete_access(access_id=access.id)


def test_seed_calls_run_unchanged_under_single(leap0_emulator: Emulator) -> None:
    with _pair(leap0_emulator, "single", "single") as client:
        sandbox = client.sandboxes.create()
        access = client.ssh.create_access(sandbox)
        with pytest.raises(Leap0ConflictError):  # one credential per sandbox
            client.ssh.create_access(sandbox)
        renewed = client.ssh.regenerate_access(sandbox)
        assert openssh_logs_in(renewed)
        client.ssh.delete_access(sandbox)
        assert not openssh_logs_in(renewed)
        assert access.id == renewed.id


def test_two_credentials_on_one_sandbox(leap0_emulator: Emulator) -> None:
    with _pair(leap0_emulator, "per-credential", "per-credential") as client:
        sandbox = client.sandboxes.create()
        first = sandbox.ssh.create_access()
        second = sandbox.ssh.create_access()
        assert first.id != second.id
        assert openssh_logs_in(first)
        assert openssh_logs_in(second)
        assert not openssh_logs_in(first, second.password)  # each has its own password

        renewed = sandbox.ssh.regenerate_access(access_id=first.id)
        assert not openssh_logs_in(first)
        assert openssh_logs_in(renewed)
        assert openssh_logs_in(second)  # untouched by the other's rotation

        sandbox.ssh.delete_access(access_id=renewed.id)
        assert not openssh_logs_in(renewed)
        assert openssh_logs_in(second)
        check = sandbox.ssh.validate_access(access_id=second.id, password=second.password)
        assert check.valid
        sandbox.delete()


def test_single_client_against_a_per_credential_service(leap0_emulator: Emulator) -> None:
    with _pair(leap0_emulator, "per-credential", "single") as client:
        sandbox = client.sandboxes.create()
        access = sandbox.ssh.create_access()  # the same route on both
        with pytest.raises(Leap0APIError) as validate:
            sandbox.ssh.validate_access(access_id=access.id, password=access.password)
        assert validate.value.status_code == 405
        assert "ssh_api='per-credential'" in str(validate.value)
        with pytest.raises(Leap0APIError) as regen:
            sandbox.ssh.regenerate_access()
        assert regen.value.status_code == 405
        with pytest.raises(Leap0NotFoundError) as delete:  # "the credential 'access'"
            sandbox.ssh.delete_access()
        assert "'access'" in delete.value.message
        assert openssh_logs_in(access)  # nothing was revoked or rotated


def test_per_credential_client_against_a_single_service(leap0_emulator: Emulator) -> None:
    with _pair(leap0_emulator, "single", "per-credential") as client:
        sandbox = client.sandboxes.create()
        access = sandbox.ssh.create_access()
        with pytest.raises(Leap0NotFoundError):
            sandbox.ssh.validate_access(access_id=access.id, password=access.password)
        with pytest.raises(Leap0NotFoundError):
            sandbox.ssh.regenerate_access(access_id=access.id)
        with pytest.raises(Leap0NotFoundError):
            sandbox.ssh.delete_access(access_id=access.id)
        assert openssh_logs_in(access)
