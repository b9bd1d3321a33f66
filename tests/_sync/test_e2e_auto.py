# Generated from tests/_async/test_e2e_auto.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
"""``ssh_api="auto"`` (no setting) end to end: the seed's calls against every emulator mode.

The client is built with no ``ssh_api`` at all, and runs the seed's calls as
the seed wrote them (no ``access_id``), on the handle and on ``client.ssh``,
then the same calls with ``access_id``, against the emulator serving the seed's
routes (``single``), today's routes (``per-credential``) or both (the default),
with a real OpenSSH login for every credential issued. Every request the client
sends is recorded, to show the at most one extra request ``auto`` costs.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator

import httpx
import pytest

from leap0 import Leap0Client, Sandbox, Leap0ConflictError, SshAccess
from leap0.emulator import Emulator
from tests._support import openssh_logs_in

pytestmark = [
    pytest.mark.usefixtures("no_ssh_api_env"),
    pytest.mark.skipif(shutil.which("ssh") is None, reason="no OpenSSH client"),
]

MODES = ["single", "per-credential", "both"]


@contextlib.contextmanager
def _client(emu: Emulator, mode: str, sent: list[tuple[str, str]]) -> Iterator[Leap0Client]:
    """A client with no ``ssh_api``, recording the SSH requests it sends, against ``mode``."""
    emu.configure(ssh_api=mode)

    def record(request: httpx.Request) -> None:
        if "/ssh/" in request.url.path:
            sent.append((request.method, request.url.path.rsplit("/ssh/", 1)[1]))

    with (
        httpx.Client(event_hooks={"request": [record]}) as http_client,
        Leap0Client(
            api_key=emu.api_key, base_url=emu.base_url, max_retries=0, http_client=http_client
        ) as client,
    ):
        assert client.ssh_api == "auto"
        yield client


def _revision(mode: str) -> str:
    return "single" if mode == "single" else "per-credential"


def _seed_flow_on_the_handle(sandbox: Sandbox) -> SshAccess:
    """The seed's calls, as the seed wrote them, on the sandbox handle; returns the last access."""
    access = sandbox.ssh.create_access()
    good = sandbox.ssh.validate_access(access_id=access.id, password=access.password)
    wrong = sandbox.ssh.validate_access(access_id=access.id, password="wrong")
    assert (good.valid, wrong.valid) == (True, False)
    assert openssh_logs_in(access)

    renewed = sandbox.ssh.regenerate_access()
    assert renewed.id == access.id and renewed.password != access.password
    old = sandbox.ssh.validate_access(access_id=access.id, password=access.password)
    assert old.valid is False
    assert not openssh_logs_in(access)
    assert openssh_logs_in(renewed)

    sandbox.ssh.delete_access()
    revoked = sandbox.ssh.validate_access(access_id=renewed.id, password=renewed.password)
    assert revoked.valid is False
    assert not openssh_logs_in(renewed)
    return renewed


@pytest.mark.parametrize("mode", MODES)
def test_seed_calls_on_the_handle_with_no_setting(leap0_emulator: Emulator, mode: str) -> None:
    sent: list[tuple[str, str]] = []
    with _client(leap0_emulator, mode, sent) as client:
        with client.sandboxes.create() as sandbox:
            access = _seed_flow_on_the_handle(sandbox)
        assert client.ssh.revision == _revision(mode)

    aid = access.id
    if mode == "single":  # one extra request: the first validate's per-credential try
        assert sent[:3] == [("POST", "access"), ("POST", f"{aid}/validate"), ("POST", "validate")]
        assert sent[3:] == [
            ("POST", "validate"),
            ("POST", "regen"),
            ("POST", "validate"),
            ("DELETE", "access"),
            ("POST", "validate"),
        ]
    else:  # today's routes: not one extra request
        assert sent == [
            ("POST", "access"),
            ("POST", f"{aid}/validate"),
            ("POST", f"{aid}/validate"),
            ("POST", f"{aid}/regen"),
            ("POST", f"{aid}/validate"),
            ("DELETE", aid),
            ("POST", f"{aid}/validate"),
        ]


@pytest.mark.parametrize("mode", MODES)
def test_seed_calls_on_client_ssh_with_no_setting(leap0_emulator: Emulator, mode: str) -> None:
    sent: list[tuple[str, str]] = []
    with _client(leap0_emulator, mode, sent) as client:
        sandbox = client.sandboxes.create()
        access = client.ssh.create_access(sandbox)
        if mode == "single":
            with pytest.raises(Leap0ConflictError):  # the seed's one credential per sandbox
                client.ssh.create_access(sandbox)
        # The seed's rotate and revoke before any validate: the revision is found here.
        renewed = client.ssh.regenerate_access(sandbox)
        assert renewed.id == access.id
        assert openssh_logs_in(renewed) and not openssh_logs_in(access)
        client.ssh.delete_access(sandbox.id)
        assert not openssh_logs_in(renewed)
        check = client.ssh.validate_access(sandbox, access_id=renewed.id, password=renewed.password)
        assert check.valid is False
        assert client.ssh.revision == _revision(mode)
        client.sandboxes.delete(sandbox)

    ssh_requests = [r for r in sent if r != ("POST", "access")]
    # Three calls, and at most one request more than three.
    assert len(ssh_requests) == (4 if mode == "single" else 3)


@pytest.mark.parametrize("mode", MODES)
def test_the_same_calls_with_access_id(leap0_emulator: Emulator, mode: str) -> None:
    sent: list[tuple[str, str]] = []
    with _client(leap0_emulator, mode, sent) as client:
        with client.sandboxes.create() as sandbox:
            access = sandbox.ssh.create_access()
            renewed = sandbox.ssh.regenerate_access(access_id=access.id)
            assert openssh_logs_in(renewed) and not openssh_logs_in(access)
            good = client.ssh.validate_access(
                sandbox, access_id=renewed.id, password=renewed.password
            )
            assert good.valid
            client.ssh.delete_access(sandbox, access_id=renewed.id)
            assert not openssh_logs_in(renewed)
        assert client.ssh.revision == _revision(mode)
    assert len(sent) == (5 if mode == "single" else 4)


@pytest.mark.parametrize("mode", ["per-credential", "both"])
def test_two_credentials_from_one_client(leap0_emulator: Emulator, mode: str) -> None:
    sent: list[tuple[str, str]] = []
    with (
        _client(leap0_emulator, mode, sent) as client,
        client.sandboxes.create() as sandbox,
    ):
        first = sandbox.ssh.create_access()
        second = sandbox.ssh.create_access()
        assert openssh_logs_in(first) and openssh_logs_in(second)
        # Which of the two? Refused before any request.
        before = len(sent)
        with pytest.raises(ValueError, match="needs access_id"):
            sandbox.ssh.regenerate_access()
        with pytest.raises(ValueError, match="needs access_id"):
            sandbox.ssh.delete_access()
        assert len(sent) == before
        sandbox.ssh.delete_access(access_id=first.id)
        assert not openssh_logs_in(first) and openssh_logs_in(second)
        # One credential of this client's left on the sandbox: the seed's call finds it.
        sandbox.ssh.delete_access()
        assert not openssh_logs_in(second)
