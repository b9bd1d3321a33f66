"""The emulator's state on its own, with a clock the test moves: no server, no sleeping."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from leap0._convert import parse_datetime
from leap0.emulator import Settings
from leap0.emulator._clock import Clock, rfc3339
from leap0.emulator._errors import Conflict, Invalid, NotFound, SwitchRefused
from leap0.emulator._settings import MAX_CLOCK_OFFSET, SettingsError
from leap0.emulator._state import Sandbox, SshEndpoint, State
from leap0.emulator._validate import CreateRequest, ListQuery, MountRequest

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z
ENDPOINT = SshEndpoint("127.0.0.1", 2222)


class FakeTime:
    """A wall clock and a monotonic clock that move only when told."""

    def __init__(self) -> None:
        self.wall = T0
        self.monotonic = 100.0

    def clock(self) -> Clock:
        return Clock(wall=lambda: self.wall, monotonic=lambda: self.monotonic)


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def ended() -> list[tuple[str, str | None]]:
    return []


def _state(
    tmp_path: Path, time: FakeTime, ended: list[tuple[str, str | None]], **settings: Any
) -> State:
    state = State(
        root=str(tmp_path), ssh=ENDPOINT, settings=Settings(**settings), clock=time.clock()
    )
    state.add_listener(ended.extend)
    return state


@pytest.fixture
def state(tmp_path: Path, time: FakeTime, ended: list[tuple[str, str | None]]) -> Iterator[State]:
    state = _state(tmp_path, time, ended)
    yield state
    state.reset()


def _new(state: State, **fields: Any) -> str:
    sandbox_id: str = state.create_sandbox(CreateRequest(template_name="t", **fields))["id"]
    return sandbox_id


def _state_of(state: State, sandbox_id: str) -> str:
    value: str = state.get_sandbox(sandbox_id)["state"]
    return value


def _works(state: State, access: dict[str, Any]) -> bool:
    valid = state.validate_access(access["sandbox_id"], access["id"], access["password"])
    login = state.authenticate(access["id"], access["password"]) is not None
    assert valid == login
    return valid


# -- set up whole ----------------------------------------------------------------------


def test_the_ssh_endpoint_is_given_at_construction_and_fixed(state: State) -> None:
    access = state.create_access(_new(state))
    assert access["ssh_command"] == f"ssh -p 2222 {access['id']}@127.0.0.1"
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.ssh.port = 22  # type: ignore[misc]


def test_the_settings_default_to_the_settings_object(tmp_path: Path) -> None:
    assert State(root=str(tmp_path), ssh=ENDPOINT).settings == Settings()


# -- the clock -----------------------------------------------------------------------------


def test_timestamps_come_from_the_clock(state: State, time: FakeTime) -> None:
    state.advance(86_400)
    time.monotonic += 0.5
    sandbox = state.create_sandbox(CreateRequest(template_name="t"))
    assert sandbox["created_at"] == rfc3339(T0 + 86_400.5)
    access = state.create_access(sandbox["id"])
    assert access["created_at"] == access["updated_at"] == rfc3339(T0 + 86_400.5)
    assert access["expires_at"] == rfc3339(T0 + 86_400.5 + 3600)


def test_the_clock_follows_the_monotonic_clock_not_wall_steps(time: FakeTime) -> None:
    clock = time.clock()
    time.wall += 10_000  # the system clock steps: nothing moves
    assert clock.now() == T0
    time.monotonic += 2.5
    assert clock.now() == T0 + 2.5
    assert clock.advance(60) == T0 + 62.5
    assert clock.offset == 60
    clock.restart()
    assert (clock.now(), clock.offset) == (T0 + 10_000, 0.0)


@pytest.mark.parametrize(
    "seconds", [-1, math.nan, math.inf, True, "5", None, 10**400, MAX_CLOCK_OFFSET + 1]
)
def test_bad_advances_are_refused_and_move_nothing(state: State, seconds: object) -> None:
    with pytest.raises(Invalid) as caught:
        state.advance(seconds)
    assert [field for field, _ in caught.value.errors] == ["advance"]
    assert state.clock.now() == T0
    assert state.clock.offset == 0


def test_the_clock_runs_at_most_a_hundred_years_ahead_in_all(state: State) -> None:
    state.advance(MAX_CLOCK_OFFSET - 1)
    with pytest.raises(Invalid):
        state.advance(2)
    state.advance(1)
    # Every timestamp the emulator writes from then on still parses (Python 3.10 too).
    assert parse_datetime(rfc3339(state.clock.now() + 10 * 365 * 86_400))


def test_reset_sets_the_clock_back_to_the_wall_time(state: State, time: FakeTime) -> None:
    state.advance(5000)
    time.wall += 30
    state.reset()
    assert (state.clock.now(), state.clock.offset) == (T0 + 30, 0.0)


# -- credential expiry ----------------------------------------------------------------------


def test_a_credential_expires_with_the_clock(state: State, ended: list[Any]) -> None:
    sandbox_id = _new(state, timeout=28_800)
    access = state.create_access(sandbox_id)
    state.advance(3599)
    assert _works(state, access)
    state.advance(1)
    assert not _works(state, access)
    assert ended == []  # an expiry ends no session
    renewed = state.regen_access(sandbox_id)
    assert renewed["expires_at"] == rfc3339(T0 + 3600 + 3600)
    assert _works(state, renewed)


# -- the sandbox's life -------------------------------------------------------------------


def test_running_at_once_by_default(state: State) -> None:
    sandbox_id = _new(state)
    assert _state_of(state, sandbox_id) == "running"
    (item,) = state.list_sandboxes(ListQuery())[0]
    assert item["launch_time"] == item["state_change_time"] == item["created_at"]
    assert item["timeout_at"] == int(T0) + 300


def test_starting_for_the_start_delay(
    tmp_path: Path, time: FakeTime, ended: list[tuple[str, str | None]]
) -> None:
    state = _state(tmp_path, time, ended, start_delay=30)
    sandbox_id = _new(state, timeout=60)
    assert _state_of(state, sandbox_id) == "starting"
    access = state.create_access(sandbox_id)  # issued while starting
    assert not _works(state, access)  # but no login before it runs
    (item,) = state.list_sandboxes(ListQuery(state="starting"))[0]
    assert "launch_time" not in item
    assert item["timeout_at"] == int(T0) + 30 + 60
    with pytest.raises(Conflict, match="starting"):
        state.delete_sandbox(sandbox_id)  # in transition
    state.advance(30)
    assert _state_of(state, sandbox_id) == "running"
    assert _works(state, access)
    (item,) = state.list_sandboxes(ListQuery())[0]
    assert item["launch_time"] == item["state_change_time"] == rfc3339(T0 + 30)
    state.advance(60)  # the timeout counts from running
    assert _state_of(state, sandbox_id) == "stopped"
    # A new start delay applies to sandboxes created from then on.
    state.configure({"start_delay": 0})
    assert _state_of(state, _new(state)) == "running"
    state.reset()


@pytest.mark.parametrize(("auto_pause", "after"), [(False, "stopped"), (True, "paused")])
def test_the_timeout_stops_or_pauses_and_ends_access(
    state: State, ended: list[tuple[str, str | None]], auto_pause: bool, after: str
) -> None:
    sandbox_id = _new(state, timeout=60, auto_pause=auto_pause)
    access = state.create_access(sandbox_id)
    target = state.authenticate(access["id"], access["password"])
    assert target is not None
    state.advance(59)
    assert (_state_of(state, sandbox_id), ended) == ("running", [])
    state.advance(2)
    # Announced before advance() returned, once.
    assert ended == [(sandbox_id, None)]
    assert _state_of(state, sandbox_id) == after
    assert not _works(state, access)
    assert not state.session_allowed(target)
    (item,) = state.list_sandboxes(ListQuery(state=after))[0]
    assert item["state_change_time"] == rfc3339(T0 + 60)
    with pytest.raises(Conflict, match=after):
        state.create_access(sandbox_id)
    with pytest.raises(Conflict, match=after):
        state.regen_access(sandbox_id)
    state.delete_access(sandbox_id)  # revoking still works
    state.tick()
    assert ended == [(sandbox_id, None), (sandbox_id, access["id"])]
    # Stopped and paused sandboxes are deleted directly, and count until then.
    assert len(state.list_sandboxes(ListQuery())[0]) == 1
    state.delete_sandbox(sandbox_id)
    with pytest.raises(NotFound):
        state.get_sandbox(sandbox_id)


def test_a_timeout_found_by_any_look_is_announced(
    state: State, time: FakeTime, ended: list[tuple[str, str | None]]
) -> None:
    sandbox_id = _new(state, timeout=1)
    time.monotonic += 1
    assert ended == []
    state.tick()  # what the server does every second
    assert ended == [(sandbox_id, None)]
    other = _new(state, timeout=1)
    time.monotonic += 1
    assert state.validate_access(other, "ssh-none", "x") is False
    assert ended[1:] == [(other, None)]


def test_delete_goes_through_deleting(state: State, ended: list[tuple[str, str | None]]) -> None:
    sandbox_id = _new(state)
    access = state.create_access(sandbox_id)
    seen: list[Any] = []

    def during_delete(batch: Sequence[tuple[str, str | None]]) -> None:
        # While its sessions end and its directory goes, others see it deleting.
        ((sid, _),) = batch
        seen.append(state.get_sandbox(sid)["state"])
        seen.append(state.list_sandboxes(ListQuery(state="deleting"))[1])
        seen.append(state.validate_access(sid, access["id"], access["password"]))
        for attempt in (state.delete_sandbox, state.create_access):
            with pytest.raises(Conflict, match="deleting"):
                attempt(sid)

    state.add_listener(during_delete)
    state.delete_sandbox(sandbox_id)
    state.remove_listener(during_delete)
    assert seen == ["deleting", 1, False]
    assert ended == [(sandbox_id, None)]
    with pytest.raises(NotFound):
        state.get_sandbox(sandbox_id)
    with pytest.raises(NotFound):
        state.delete_sandbox(sandbox_id)
    assert state.authenticate(access["id"], access["password"]) is None


def test_the_list_sorts_by_the_state_now(state: State) -> None:
    short, long = _new(state, timeout=10), _new(state, timeout=100)
    state.advance(50)
    items, total = state.list_sandboxes(ListQuery(sort="state", descending=False))
    assert [(i["id"], i["state"]) for i in items] == [(long, "running"), (short, "stopped")]
    assert total == 2
    assert state.list_sandboxes(ListQuery(state="running"))[1] == 1


# -- mounts and the network policy -----------------------------------------------------------


def test_mounts_and_policy_are_reported_as_the_spec_says(state: State) -> None:
    mount = MountRequest("object-storage", "b", "/data", None, True)
    policy = {"mode": "deny-all"}
    created = state.create_sandbox(
        CreateRequest(template_name="t", mounts=(mount,), network_policy=policy)
    )
    (reported,) = created["mounts"]
    assert reported == {
        "id": reported["id"],
        "type": "object-storage",
        "bucket": "b",
        "mount_path": "/data",
        "read_only": True,
    }
    assert created["network_policy"] == policy
    status = state.get_sandbox(created["id"])
    assert status["mounts"] == created["mounts"]
    assert "network_policy" not in status


# -- credentials and settings (moved from the HTTP tests) ------------------------------------


def test_state_listener_names_the_credential(
    tmp_path: Path, time: FakeTime, ended: list[tuple[str, str | None]]
) -> None:
    state = _state(tmp_path, time, ended, ssh_api="per-credential")
    sid = _new(state)
    first, second = state.create_access(sid), state.create_access(sid)
    state.regen_access(sid, first["id"])
    assert ended == []
    state.delete_access(sid, first["id"])
    assert ended == [(sid, first["id"])]
    assert state.authenticate(first["id"], first["password"]) is None
    target = state.authenticate(second["id"], second["password"])
    assert target is not None
    assert (target.sandbox_id, target.access_id) == (sid, second["id"])
    assert state.session_allowed(target)
    state.delete_sandbox(sid)
    assert ended[1:] == [(sid, None)]
    assert not state.session_allowed(target)
    other = _new(state)
    state.create_access(other)
    state.reset()
    assert ended[2:] == [(other, None)]


def test_state_refuses_the_switch_atomically(
    tmp_path: Path, time: FakeTime, ended: list[tuple[str, str | None]]
) -> None:
    state = _state(tmp_path, time, ended, ssh_api="per-credential")
    sid = _new(state)
    state.create_access(sid)
    state.create_access(sid)
    with pytest.raises(SwitchRefused):
        state.configure({"ssh_api": "single", "max_sandboxes": 9})
    assert state.settings == Settings(ssh_api="per-credential")
    with pytest.raises(SettingsError):
        state.configure({"max_sandboxes": 9, "ssh_api": "nope"})
    assert state.settings == Settings(ssh_api="per-credential")
    assert state.configure({"max_sandboxes": 9}).max_sandboxes == 9
    state.reset()


@pytest.mark.parametrize("delay", [-1, 3601, "1", True, math.nan])
def test_bad_start_delays_are_refused(state: State, delay: object) -> None:
    with pytest.raises(SettingsError) as caught:
        state.configure({"start_delay": delay})
    assert [field for field, _ in caught.value.errors] == ["start_delay"]
    assert state.settings == Settings()


# -- stop, start and pause --------------------------------------------------------------------


@pytest.mark.parametrize(("action", "after"), [("stop", "stopped"), ("pause", "paused")])
def test_stop_and_pause_end_access_once(
    state: State, ended: list[tuple[str, str | None]], action: str, after: str
) -> None:
    sandbox_id = _new(state, timeout=60)
    access = state.create_access(sandbox_id)
    target = state.authenticate(access["id"], access["password"])
    assert target is not None
    answer = getattr(state, f"{action}_sandbox")(sandbox_id)
    assert answer["state"] == after
    assert ended == [(sandbox_id, None)]  # announced before the call returned
    assert not _works(state, access)
    assert not state.session_allowed(target)
    state.advance(120)  # its old timeout passes: nothing more to announce
    assert ended == [(sandbox_id, None)]
    (item,) = state.list_sandboxes(ListQuery(state=after))[0]
    assert item["state_change_time"] == rfc3339(T0)


def test_stopping_lasts_the_stop_delay(
    tmp_path: Path, time: FakeTime, ended: list[tuple[str, str | None]]
) -> None:
    state = _state(tmp_path, time, ended, stop_delay=5)
    sandbox_id = _new(state)
    state.advance(10)
    assert state.stop_sandbox(sandbox_id)["state"] == "stopping"
    assert ended == [(sandbox_id, None)]  # a stopping sandbox runs no more
    for attempt in (state.stop_sandbox, state.start_sandbox, state.pause_sandbox):
        with pytest.raises(Conflict, match="stopping"):
            attempt(sandbox_id)
    with pytest.raises(Conflict, match="transition"):
        state.delete_sandbox(sandbox_id)
    time.monotonic += 5  # the clock running on by itself
    state.tick()
    (item,) = state.list_sandboxes(ListQuery(state="stopped"))[0]
    assert item["state_change_time"] == rfc3339(T0 + 15)
    assert item["launch_time"] == rfc3339(T0)
    assert ended == [(sandbox_id, None)]
    state.reset()


def test_start_runs_the_timeout_again(state: State, ended: list[tuple[str, str | None]]) -> None:
    sandbox_id = _new(state, timeout=60)
    access = state.create_access(sandbox_id)
    state.advance(30)
    state.stop_sandbox(sandbox_id)
    state.advance(30)
    assert state.start_sandbox(sandbox_id)["state"] == "running"
    assert _works(state, access)
    (item,) = state.list_sandboxes(ListQuery())[0]
    assert item["launch_time"] == item["state_change_time"] == rfc3339(T0 + 60)
    assert item["timeout_at"] == int(T0) + 120
    state.advance(59)
    assert _state_of(state, sandbox_id) == "running"
    state.advance(1)
    assert _state_of(state, sandbox_id) == "stopped"
    assert ended == [(sandbox_id, None), (sandbox_id, None)]  # the stop, then the timeout


def test_start_takes_a_stopped_sandbox_only(state: State) -> None:
    running = _new(state)
    with pytest.raises(Conflict, match="running"):
        state.start_sandbox(running)
    paused = _new(state)
    state.pause_sandbox(paused)
    with pytest.raises(Conflict, match="paused"):
        state.start_sandbox(paused)
    for attempt in (state.stop_sandbox, state.start_sandbox, state.pause_sandbox):
        with pytest.raises(NotFound):
            attempt("sbx-missing")


@pytest.mark.parametrize("delay", [-1, 3601, "1", True, math.nan])
def test_bad_stop_delays_are_refused(state: State, delay: object) -> None:
    with pytest.raises(SettingsError) as caught:
        state.configure({"stop_delay": delay})
    assert [field for field, _ in caught.value.errors] == ["stop_delay"]
    assert state.settings == Settings()


def test_the_seed_routes_with_several_credentials_are_409(state: State) -> None:
    sandbox_id = _new(state)
    first, second = state.create_access(sandbox_id), state.create_access(sandbox_id)
    for attempt in (state.delete_access, state.regen_access):
        with pytest.raises(Conflict, match="holds 2 SSH credentials"):
            attempt(sandbox_id)
    assert state.validate_access(sandbox_id, first["id"], first["password"])
    state.delete_access(sandbox_id, second["id"])
    assert state.regen_access(sandbox_id)["id"] == first["id"]


# -- what a look costs: what came due, never all sandboxes --------------------------------


def _counting_settles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each sandbox that :meth:`Sandbox.settle` is called on from now on."""
    settled: list[str] = []
    original = Sandbox.settle

    def settle(self: Sandbox, now: float) -> bool:
        settled.append(self.id)
        return original(self, now)

    monkeypatch.setattr(Sandbox, "settle", settle)
    return settled


def test_a_look_settles_only_the_sandboxes_that_came_due(
    tmp_path: Path,
    time: FakeTime,
    ended: list[tuple[str, str | None]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = _state(tmp_path, time, ended, max_sandboxes=2000)
    batches: list[int] = []
    state.add_listener(lambda batch: batches.append(len(batch)))
    soon = [_new(state, timeout=60) for _ in range(500)]
    late = [_new(state, timeout=600) for _ in range(1500)]
    access = state.create_access(late[0])
    settled = _counting_settles(monkeypatch)
    for _ in range(3):
        state.get_sandbox(late[-1])
        state.validate_access(late[0], access["id"], access["password"])
        assert state.authenticate(access["id"], access["password"]) is not None
        state.list_sandboxes(ListQuery(page=40))
        state.tick()
    assert settled == []  # nothing came due: no sandbox looked at
    state.advance(61)
    assert sorted(settled) == sorted(soon)  # each timed-out sandbox once, no other
    assert batches == [500]  # announced in one batch
    assert ended == [(sandbox_id, None) for sandbox_id in soon]
    settled.clear()
    state.advance(1000)
    assert sorted(settled) == sorted(late)
    state.reset()


def test_a_reset_announces_every_sandbox_in_one_batch(
    tmp_path: Path, time: FakeTime, ended: list[tuple[str, str | None]]
) -> None:
    state = _state(tmp_path, time, ended, max_sandboxes=100)
    batches: list[int] = []
    state.add_listener(lambda batch: batches.append(len(batch)))
    ids = [_new(state) for _ in range(100)]
    state.reset()
    assert batches == [100]
    assert sorted(ended) == sorted((sandbox_id, None) for sandbox_id in ids)
    assert state.list_sandboxes(ListQuery()) == ([], 0)


def test_a_sandbox_directory_is_made_at_its_first_credential(tmp_path: Path, state: State) -> None:
    sandbox_id = _new(state)
    never = _new(state)
    assert not (tmp_path / sandbox_id).exists()
    first = state.create_access(sandbox_id)
    assert (tmp_path / sandbox_id).is_dir()
    (tmp_path / sandbox_id / "kept.txt").write_text("x")
    state.delete_access(sandbox_id, first["id"])
    state.create_access(sandbox_id)  # a later credential keeps what is there
    assert (tmp_path / sandbox_id / "kept.txt").read_text() == "x"
    target = state.authenticate(*_login(state, sandbox_id))
    assert target is not None
    assert target.workdir == str(tmp_path / sandbox_id)
    state.delete_sandbox(never)
    state.delete_sandbox(sandbox_id)
    assert not (tmp_path / sandbox_id).exists()
    other = _new(state)
    state.create_access(other)
    state.reset()
    assert list(tmp_path.iterdir()) == []


def _login(state: State, sandbox_id: str) -> tuple[str, str]:
    access = state.create_access(sandbox_id)
    return access["id"], access["password"]


def test_list_pages_follow_every_change_of_state(
    tmp_path: Path, time: FakeTime, ended: list[tuple[str, str | None]]
) -> None:
    state = _state(tmp_path, time, ended, max_sandboxes=200, stop_delay=5, start_delay=3)
    ids = [_new(state, timeout=30 + (i % 7) * 10, auto_pause=i % 5 == 0) for i in range(120)]
    time.monotonic += 4
    for i, sandbox_id in enumerate(ids):
        if i % 3 == 0:
            state.stop_sandbox(sandbox_id)
        elif i % 11 == 0:
            state.pause_sandbox(sandbox_id)
    state.advance(6)
    for sandbox_id in ids[::9]:
        if _state_of(state, sandbox_id) == "stopped":
            state.start_sandbox(sandbox_id)
        elif _state_of(state, sandbox_id) != "starting":
            state.delete_sandbox(sandbox_id)
    state.advance(41)  # some time out, some start running
    by_id = {s: state.get_sandbox(s) for s in ids if _exists(state, s)}
    order = {s: n for n, s in enumerate(ids)}
    for wanted in (None, "running", "stopped", "paused", "starting"):
        for sort in ("created_at", "state"):
            for descending in (False, True):
                found = [s for s in by_id if wanted is None or by_id[s]["state"] == wanted]
                key = (
                    (lambda s: (by_id[s]["state"], order[s]))
                    if sort == "state"
                    else (lambda s: (order[s],))
                )
                found.sort(key=key, reverse=descending)
                for page in (1, 2, 5):
                    query = ListQuery(
                        state=wanted, sort=sort, descending=descending, page=page, page_size=11
                    )
                    items, total = state.list_sandboxes(query)
                    assert total == len(found)
                    assert [item["id"] for item in items] == found[(page - 1) * 11 : page * 11]
    state.reset()


def _exists(state: State, sandbox_id: str) -> bool:
    try:
        state.get_sandbox(sandbox_id)
    except NotFound:
        return False
    return True
