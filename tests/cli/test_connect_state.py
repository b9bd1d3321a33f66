"""``ssh connect`` / ``ssh cp`` read the sandbox's state before any credential is issued.

Not running: an error naming the state and what to do, and no credential.
Starting: a note, then a bounded wait (the wait's clock and sleep are the
test's, and a sleep moves the emulator's clock: no time passes for real).
"""

from __future__ import annotations

import json

import pytest

from leap0._cli import wait
from leap0.emulator import Emulator

from ._helpers import FakePopen, Run, one_line


def _issued(emu: Emulator, sandbox_id: str) -> int:
    """How many credential requests (create or regen) reached the sandbox's SSH routes."""
    creates = emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/access")
    return creates + emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/regen")


class Clock:
    """The wait's clock and sleep: time passes only when it sleeps, on the emulator too."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        self.emu.advance(seconds)


@pytest.fixture
def clock(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(emu)
    monkeypatch.setattr(wait, "clock", fake.clock)
    monkeypatch.setattr(wait, "sleep", fake.sleep)
    return fake


def test_a_stopped_sandbox_is_an_error_then_connects_once_started(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    emu.configure(stop_delay=10.0, start_delay=4.0)
    assert cli("sandbox", "stop", sandbox_id).code == 0
    stopping = cli("ssh", "connect", sandbox_id, "--", "true")
    assert (stopping.code, stopping.out) == (1, "")
    assert one_line(stopping.err) == (
        f"leap0: ssh connect {sandbox_id}: sandbox {sandbox_id} is stopping; once it is "
        f"stopped, start it again with 'leap0 sandbox start {sandbox_id}' "
        f"('leap0 sandbox get {sandbox_id}' shows its state)"
    )
    emu.advance(10)
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert (result.code, result.out) == (1, "")
    assert one_line(result.err) == (
        f"leap0: ssh connect {sandbox_id}: sandbox {sandbox_id} is stopped; start it with "
        f"'leap0 sandbox start {sandbox_id}'"
    )
    as_json = cli("--json", "ssh", "connect", sandbox_id)
    assert as_json.code == 1
    assert json.loads(one_line(as_json.err))["error"] == "not_running"
    assert _issued(emu, sandbox_id) == 0  # no credential was asked for
    assert fake_ssh.calls == []

    assert cli("sandbox", "start", sandbox_id).code == 0
    emu.advance(5)  # past the start delay
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert (result.code, result.out, result.err) == (0, "", "")
    assert len(fake_ssh.calls) == 1
    assert _issued(emu, sandbox_id) == 1


def test_a_paused_sandbox_says_what_resumes_it(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    assert cli("sandbox", "pause", sandbox_id).code == 0
    result = cli("ssh", "cp", "notes.txt", f"{sandbox_id}:notes.txt")
    assert (result.code, result.out) == (1, "")
    assert one_line(result.err) == (
        f"leap0: ssh cp {sandbox_id}: sandbox {sandbox_id} is paused; the service resumes a "
        "paused sandbox through its invoke route or resume endpoint, which leap0 does not "
        "call ('leap0 sandbox start' takes a stopped one only)"
    )
    assert _issued(emu, sandbox_id) == 0
    assert fake_ssh.calls == []


def test_ssh_cp_on_a_stopped_sandbox(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen]
) -> None:
    assert cli("sandbox", "stop", sandbox_id).code == 0
    result = cli("ssh", "cp", f"{sandbox_id}:a", "a")
    assert result.code == 1
    assert f"'leap0 sandbox start {sandbox_id}'" in one_line(result.err)
    assert _issued(emu, sandbox_id) == 0


def test_a_starting_sandbox_is_waited_for(
    cli: Run, emu: Emulator, fake_ssh: type[FakePopen], clock: Clock
) -> None:
    emu.configure(start_delay=6.0)
    sandbox_id = cli("sandbox", "create", "--format", "id").out.strip()
    during: list[int] = []
    fake_ssh.during = lambda call: during.append(_issued(emu, sandbox_id))
    result = cli("ssh", "connect", sandbox_id, "--", "true")
    assert (result.code, result.out) == (0, "")
    assert one_line(result.err) == (
        f"leap0: sandbox {sandbox_id} is starting: waiting until it is running "
        "(at most 300 s, --wait-timeout)"
    )
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0]  # until the 6 s had passed
    assert emu.attempts("GET", f"/v1/sandbox/{sandbox_id}") == 5
    assert during == [1]  # the credential was asked for once it ran, not before


def test_the_wait_is_bounded_and_issues_nothing(
    cli: Run, emu: Emulator, fake_ssh: type[FakePopen], clock: Clock
) -> None:
    emu.configure(start_delay=600.0)
    sandbox_id = cli("sandbox", "create", "--format", "id").out.strip()
    result = cli("ssh", "connect", sandbox_id, "--wait-timeout", "10", "--", "true")
    assert (result.code, result.out) == (1, "")
    note, error = result.err.splitlines()
    assert note.endswith("waiting until it is running (at most 10 s, --wait-timeout)")
    assert error == (
        f"leap0: ssh connect {sandbox_id}: sandbox {sandbox_id} is still starting after "
        "10 s (--wait-timeout); it is left as it is"
    )
    assert sum(clock.sleeps) == 10.0
    assert _issued(emu, sandbox_id) == 0
    assert fake_ssh.calls == []


def test_an_unknown_sandbox_is_a_404_before_any_credential(
    cli: Run, emu: Emulator, fake_ssh: type[FakePopen]
) -> None:
    result = cli("ssh", "connect", "sbx-missing", "--", "true")
    assert (result.code, result.out) == (1, "")
    line = one_line(result.err)
    assert line.startswith("leap0: ssh connect sbx-missing failed: GET /v1/sandbox/sbx-missing/")
    assert " -> 404: " in line
    assert _issued(emu, "sbx-missing") == 0
    assert fake_ssh.calls == []
