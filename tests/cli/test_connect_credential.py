"""``ssh connect`` / ``ssh cp`` and the credential they issue: revoked, or a failure with a fix.

With no ``--ssh-api`` (auto) against each emulator mode, the credential used is
gone afterwards. A revoke that fails exits 1, whatever the session's status,
and prints a command that revokes it when run as printed (the tests run it).
On the single routes, a sandbox's existing credential is said to lose its
password before it is replaced; on per-credential a 409 is an error.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import leap0
from leap0._cli import credential
from leap0.emulator import Emulator
from leap0.models import SshAccess

from ._helpers import (
    PER_CREDENTIAL,
    FakePopen,
    Run,
    deletes,
    is_valid,
    needs_ssh,
    one_line,
    revoke_command,
)

MODES = ["single", "per-credential", "both"]


@needs_ssh
@pytest.mark.parametrize("mode", MODES)
def test_connect_with_no_setting_leaves_no_credential(
    cli: Run, emu: Emulator, sandbox_id: str, issued: list[SshAccess], mode: str
) -> None:
    emu.configure(ssh_api=mode)  # type: ignore[arg-type]
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert (result.code, result.out, result.err) == (0, "", "")
    (used,) = issued
    assert is_valid(cli, sandbox_id, used.id, used.password) is False
    assert deletes(emu, sandbox_id, used.id) >= 1
    if mode == "single":  # the sandbox's one place is free again
        assert cli("ssh", "create", sandbox_id).code == 0


# -- a revoke that fails ------------------------------------------------------------------

# A 500 is not retried (the SDK retries 408, 429 and 502 to 504): one fails the revoke.
# Three 503s fail it with the retries too (Retry-After: 0, so nothing waits).
FAULTS = {"500": [{"status": 500}], "503x3": [{"status": 503, "retry_after": "0"}] * 3}


def _fail_the_revoke(emu: Emulator, sandbox_id: str, fake: type[FakePopen], faults: Any) -> None:
    """While the session runs (its credential known), the faults wait on its DELETE route."""

    def inject(call: FakePopen) -> None:
        emu.inject("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/{call.user}", *faults)

    fake.during = inject


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failed_revoke_exits_1_and_its_command_works_as_printed(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen], mode: str, fault: str
) -> None:
    emu.configure(ssh_api=mode)  # type: ignore[arg-type]
    _fail_the_revoke(emu, sandbox_id, fake_ssh, FAULTS[fault])
    result = cli("ssh", "connect", sandbox_id, "--", "true")  # the session itself: 0
    assert (result.code, result.out) == (1, "")
    (call,) = fake_ssh.calls
    line = one_line(result.err)
    status = fault[:3]
    path = f"/v1/sandbox/{sandbox_id}/ssh/{call.user}"
    assert line.startswith(f"leap0: ssh connect {sandbox_id} failed: DELETE {path} -> {status}: ")
    assert line.endswith(
        f"; SSH credential {call.user} was not revoked (the session's exit status was 0); "
        f"revoke it with: leap0 ssh delete {sandbox_id} --access-id {call.user}"
    )
    assert call.password not in result.err
    assert emu.attempts("DELETE", path) == len(FAULTS[fault])  # every fault was used
    assert is_valid(cli, sandbox_id, call.user, call.password) is True  # left, as said

    again = cli(*revoke_command(line))
    assert again.code == 0, again.err
    assert is_valid(cli, sandbox_id, call.user, call.password) is False


def test_the_printed_command_has_the_flags_it_needs_and_never_the_key(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen], monkeypatch: Any
) -> None:
    monkeypatch.delenv("LEAP0_API_KEY")
    monkeypatch.delenv("LEAP0_BASE_URL")
    flags = ["--api-key", emu.api_key, "--base-url", emu.base_url, "--ssh-api", "auto"]
    _fail_the_revoke(emu, sandbox_id, fake_ssh, FAULTS["500"])
    fake_ssh.returncode_to_give = 7
    result = cli(*flags, "ssh", "connect", sandbox_id, "--", "true")
    assert result.code == 1  # not the session's 7
    (call,) = fake_ssh.calls
    line = one_line(result.err)
    assert emu.api_key not in line
    assert line.endswith(
        f"; SSH credential {call.user} was not revoked (the session's exit status was 7); "
        "revoke it (pass --api-key again: the key is not printed) with: "
        f"leap0 --base-url {emu.base_url} --ssh-api auto ssh delete {sandbox_id} "
        f"--access-id {call.user}"
    )
    again = cli(*revoke_command(line), "--api-key", emu.api_key)
    assert again.code == 0, again.err
    monkeypatch.setenv("LEAP0_API_KEY", emu.api_key)
    monkeypatch.setenv("LEAP0_BASE_URL", emu.base_url)
    assert is_valid(cli, sandbox_id, call.user, call.password) is False


def test_ssh_api_from_the_environment_is_left_to_it(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen], monkeypatch: Any
) -> None:
    emu.configure(ssh_api="per-credential")
    monkeypatch.setenv("LEAP0_SSH_API", "per-credential")
    _fail_the_revoke(emu, sandbox_id, fake_ssh, FAULTS["500"])
    result = cli("ssh", "cp", "here.txt", f"{sandbox_id}:there.txt")  # scp's status: 0
    assert result.code == 1
    (call,) = fake_ssh.calls
    line = one_line(result.err)
    assert line.startswith(f"leap0: ssh cp {sandbox_id} failed: DELETE ")
    assert line.endswith(f"with: leap0 ssh delete {sandbox_id} --access-id {call.user}")
    assert cli(*revoke_command(line)).code == 0
    assert is_valid(cli, sandbox_id, call.user, call.password, "per-credential") is False


def test_with_json_a_failed_revoke_is_one_json_object(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    _fail_the_revoke(emu, sandbox_id, fake_ssh, FAULTS["500"])
    result = cli("--json", "ssh", "connect", sandbox_id, "--", "true")
    assert (result.code, result.out) == (1, "")
    (call,) = fake_ssh.calls
    error = json.loads(one_line(result.err))
    assert (error["error"], error["status_code"]) == ("Leap0ServerError", 500)
    assert error["command"] == f"ssh connect {sandbox_id}"
    assert error["hint"].endswith(f"leap0 ssh delete {sandbox_id} --access-id {call.user}")


def test_an_interrupted_revoke_says_how_to_finish_it(
    cli: Run,
    emu: Emulator,
    sandbox_id: str,
    fake_ssh: type[FakePopen],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_delete = leap0.SshClient.delete_access
    interrupt = [True]  # the first revoke only

    def delete(self: leap0.SshClient, *args: Any, **kwargs: Any) -> None:
        if interrupt:
            interrupt.clear()
            raise KeyboardInterrupt  # Ctrl-C while the revoke is under way
        real_delete(self, *args, **kwargs)

    monkeypatch.setattr(leap0.SshClient, "delete_access", delete)
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert (result.code, result.out) == (130, "")
    (call,) = fake_ssh.calls
    line = result.err.splitlines()[0]
    assert line == (
        f"leap0: ssh connect {sandbox_id}: SSH credential {call.user} was not revoked "
        f"(interrupted); revoke it with: leap0 ssh delete {sandbox_id} --access-id {call.user}"
    )
    assert cli(*revoke_command(line)).code == 0
    assert is_valid(cli, sandbox_id, call.user, call.password) is False


# -- a sandbox that already holds its one credential ---------------------------------------


@pytest.mark.parametrize("setting", [[], ["--ssh-api", "single"]])
def test_single_says_the_password_stops_working_before_replacing_it(
    cli: Run,
    emu: Emulator,
    sandbox_id: str,
    fake_ssh: type[FakePopen],
    monkeypatch: pytest.MonkeyPatch,
    setting: list[str],
) -> None:
    emu.configure(ssh_api="single")
    old = cli("--json", "ssh", "create", sandbox_id).json()
    events: list[str] = []
    real_note, real_regen = credential.note, leap0.SshClient.regenerate_access

    def note(text: str) -> None:
        events.append(f"note: {text}")
        real_note(text)

    def regen(self: leap0.SshClient, *args: Any, **kwargs: Any) -> SshAccess:
        events.append("regen")
        return real_regen(self, *args, **kwargs)

    monkeypatch.setattr(credential, "note", note)
    monkeypatch.setattr(leap0.SshClient, "regenerate_access", regen)
    result = cli(*setting, "ssh", "connect", sandbox_id, "--", "true")
    assert result.code == 0
    said = (
        f"sandbox {sandbox_id} already has an SSH credential, and holds one at a time: "
        "giving it a new password for this session, so its current password stops working; "
        "it is revoked when the session ends (--keep keeps it)"
    )
    assert events == [f"note: {said}", "regen"]  # said before it was touched
    assert one_line(result.err) == f"leap0: {said}"
    (call,) = fake_ssh.calls
    assert call.user == old["id"]
    assert is_valid(cli, sandbox_id, old["id"], old["password"]) is False
    assert is_valid(cli, sandbox_id, old["id"], call.password) is False  # revoked at the end
    assert cli("ssh", "create", sandbox_id).code == 0  # none left


def test_per_credential_409_is_an_error_not_a_regen(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    emu.inject("POST", f"/v1/sandbox/{sandbox_id}/ssh/access", {"status": 409})
    result = cli(*PER_CREDENTIAL, "ssh", "connect", sandbox_id, "--", "true")
    assert (result.code, result.out) == (1, "")
    line = one_line(result.err)
    assert line.startswith(f"leap0: ssh connect {sandbox_id} failed: POST ")
    assert " -> 409: " in line
    assert line.endswith(
        "; the service takes no more credentials for this sandbox: revoke one with "
        f"'leap0 --ssh-api per-credential ssh delete {sandbox_id} --access-id ACCESS_ID'"
    )
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/regen") == 0
    assert fake_ssh.calls == []


def test_auto_409_on_a_per_credential_service_changes_nothing(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    emu.configure(ssh_api="per-credential")
    mine = cli("--json", "ssh", "create", sandbox_id).json()
    emu.inject("POST", f"/v1/sandbox/{sandbox_id}/ssh/access", {"status": 409})
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert (result.code, result.out) == (1, "")
    note, error = result.err.splitlines()
    assert note.startswith(f"leap0: sandbox {sandbox_id} already has an SSH credential")
    assert " -> 409: " in error
    assert error.endswith(
        "; no password was changed; the service takes no more credentials for this sandbox: "
        f"revoke one with 'leap0 ssh delete {sandbox_id} --access-id ACCESS_ID'"
    )
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/{mine['id']}/regen") == 0
    assert fake_ssh.calls == []
    assert is_valid(cli, sandbox_id, mine["id"], mine["password"]) is True
