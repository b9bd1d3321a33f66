"""The ``ssh_api`` setting: which SSH routes the emulator serves, and how many credentials."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import asyncssh
import httpx
import pytest

from leap0.emulator import Emulator, Settings, serve
from leap0.emulator._settings import (
    MAX_CREDENTIALS_PER_SANDBOX,
    SSH_API_MODES,
    SettingsError,
    SshApiMode,
)

from ._helpers import create_access, create_sandbox, field_errors, make_client, ssh_login

TIMEOUT = 10.0


def _ssh(sandbox_id: str, rest: str = "") -> str:
    return f"/v1/sandbox/{sandbox_id}/ssh/{rest}"


def _validate_by_id(api: httpx.Client, sid: str, aid: str, password: str) -> bool:
    response = api.post(_ssh(sid, f"{aid}/validate"), json={"password": password})
    assert response.status_code == 200, response.text
    assert response.json()["sandbox_id"] == sid
    valid = response.json()["valid"]
    assert isinstance(valid, bool)
    return valid


def _validate_seed(api: httpx.Client, sid: str, aid: str, password: str) -> bool:
    response = api.post(_ssh(sid, "validate"), json={"id": aid, "password": password})
    assert response.status_code == 200, response.text
    valid = response.json()["valid"]
    assert isinstance(valid, bool)
    return valid


def _assert_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message"}
    message = body["message"]
    assert isinstance(message, str)
    assert message
    return message


@pytest.fixture
def per_credential(emu: Emulator) -> Emulator:
    emu.configure(ssh_api="per-credential")
    return emu


@pytest.fixture
def single(emu: Emulator) -> Emulator:
    emu.configure(ssh_api="single")
    return emu


# -- Settings ---------------------------------------------------------------------------


def test_settings_defaults_and_json() -> None:
    settings = Settings()
    assert settings == Settings(ssh_lifetime=3600.0, max_sandboxes=3, ssh_api="both")
    assert settings.to_json() == {
        "ssh_lifetime": 3600.0,
        "max_sandboxes": 3,
        "ssh_api": "both",
        "request_timeout": 30.0,
        "start_delay": 0.0,
        "stop_delay": 0.0,
        "max_unauthenticated": 256,
        "templates": [
            "system/debian:bookworm",
            "system/code-interpreter:v0.1.0",
            "system/desktop:v0.1.0",
        ],
    }
    assert SSH_API_MODES == ("both", "single", "per-credential")
    assert Settings(ssh_lifetime=5).ssh_lifetime == 5.0
    assert isinstance(Settings(ssh_lifetime=5).ssh_lifetime, float)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.ssh_api = "single"  # type: ignore[misc]


def test_settings_checks_every_field() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings(ssh_lifetime=0, max_sandboxes=-1, ssh_api="nope")  # type: ignore[arg-type]
    assert [field for field, _ in caught.value.errors] == [
        "ssh_lifetime",
        "max_sandboxes",
        "ssh_api",
    ]
    assert isinstance(caught.value, ValueError)
    assert "ssh_api must be one of: both, single, per-credential" in str(caught.value)
    for bad in (True, "1", float("inf"), float("nan"), -1.0, 10**400, 1e12):
        with pytest.raises(SettingsError):
            Settings(ssh_lifetime=bad)  # type: ignore[arg-type]
    for bad_max in (True, 1.0, "3", -1):
        with pytest.raises(SettingsError):
            Settings(max_sandboxes=bad_max)  # type: ignore[arg-type]
    for bad_api in ("", "Both", None, 1):
        with pytest.raises(SettingsError):
            Settings(ssh_api=bad_api)  # type: ignore[arg-type]


def test_settings_replace() -> None:
    base = Settings()
    changed = base.replace(ssh_api="per-credential", max_sandboxes=None)
    assert changed == Settings(ssh_api="per-credential")
    assert base == Settings()
    assert base.replace_from({"ssh_lifetime": 2, "ssh_api": None}) == Settings(ssh_lifetime=2.0)
    with pytest.raises(SettingsError) as caught:
        base.replace_from({"ssh_api": "x", "colour": "blue", "self": 1})
    assert sorted(field for field, _ in caught.value.errors) == ["colour", "self", "ssh_api"]
    assert changed.several_credentials
    assert base.several_credentials  # "both", the default
    assert not base.replace(ssh_api="single").several_credentials


# -- "both" (the default) ---------------------------------------------------------------


def test_both_serves_both_route_sets_on_one_credential(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    assert emu.settings.ssh_api == "both"
    sid = sandbox["id"]
    access = create_access(api, sid)
    assert _validate_seed(api, sid, access["id"], access["password"])
    assert _validate_by_id(api, sid, access["id"], access["password"])
    regen = api.post(_ssh(sid, "regen"))
    assert regen.status_code == 200
    again = api.post(_ssh(sid, f"{access['id']}/regen"))
    assert again.status_code == 200
    assert again.json()["id"] == access["id"]
    assert api.delete(_ssh(sid, access["id"])).status_code == 204
    create_access(api, sid)
    assert api.delete(_ssh(sid, "access")).status_code == 204


def test_both_holds_several_credentials(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    first, second = create_access(api, sid), create_access(api, sid)
    assert first["id"] != second["id"]
    # The seed's validate names its credential: it works whatever the count.
    for access in (first, second):
        assert _validate_seed(api, sid, access["id"], access["password"])
        assert _validate_by_id(api, sid, access["id"], access["password"])
    assert not _validate_seed(api, sid, first["id"], second["password"])
    # The seed's delete and regen mean the sandbox's only credential: 409 with two.
    for response in (api.delete(_ssh(sid, "access")), api.post(_ssh(sid, "regen"))):
        message = _assert_error(response, 409)
        assert "holds 2 SSH credentials" in message
        assert f"/v1/sandbox/{sid}/ssh/{{ssh_id}}" in message
    # Nothing changed: both still validate with their passwords.
    for access in (first, second):
        assert _validate_by_id(api, sid, access["id"], access["password"])
    # By id, each is regenerated and deleted on its own.
    renewed = api.post(_ssh(sid, f"{first['id']}/regen")).json()
    assert not _validate_seed(api, sid, first["id"], first["password"])
    assert _validate_seed(api, sid, second["id"], second["password"])
    assert api.delete(_ssh(sid, first["id"])).status_code == 204
    assert not _validate_seed(api, sid, first["id"], renewed["password"])
    # One left: the seed's routes address it again.
    regen = api.post(_ssh(sid, "regen"))
    assert regen.status_code == 200
    assert regen.json()["id"] == second["id"]
    assert _validate_seed(api, sid, second["id"], regen.json()["password"])
    assert api.delete(_ssh(sid, "access")).status_code == 204
    _assert_error(api.delete(_ssh(sid, "access")), 404)


def test_both_has_the_credential_bound(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    for _ in range(MAX_CREDENTIALS_PER_SANDBOX):
        create_access(api, sid)
    message = _assert_error(api.post(_ssh(sid, "access")), 409)
    assert str(MAX_CREDENTIALS_PER_SANDBOX) in message


# -- "single" ---------------------------------------------------------------------------


def test_single_serves_the_seed_routes(
    single: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    access = create_access(api, sid)
    _assert_error(api.post(_ssh(sid, "access")), 409)
    assert _validate_seed(api, sid, access["id"], access["password"])
    regen = api.post(_ssh(sid, "regen"))
    assert regen.status_code == 200
    new = regen.json()
    assert new["id"] == access["id"]
    assert not _validate_seed(api, sid, access["id"], access["password"])
    assert _validate_seed(api, sid, new["id"], new["password"])
    assert api.delete(_ssh(sid, "access")).status_code == 204
    _assert_error(api.delete(_ssh(sid, "access")), 404)


def test_single_has_no_per_credential_routes(
    single: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    access = create_access(api, sid)
    for ssh_id in ("ssh-xyz", access["id"]):
        message = _assert_error(api.delete(_ssh(sid, ssh_id)), 404)
        assert "no route" in message
        validate = api.post(_ssh(sid, f"{ssh_id}/validate"), json={"password": "x"})
        assert "no route" in _assert_error(validate, 404)
        assert "no route" in _assert_error(api.post(_ssh(sid, f"{ssh_id}/regen")), 404)
    # Nothing above touched the credential.
    assert _validate_seed(api, sid, access["id"], access["password"])


# -- "per-credential" -------------------------------------------------------------------


def test_per_credential_seed_routes_answer_as_that_service(
    per_credential: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    access = create_access(api, sid)
    message = _assert_error(api.delete(_ssh(sid, "access")), 404)
    assert f"SSH access 'access' not found for sandbox {sid!r}" in message
    for name in ("validate", "regen"):
        response = api.post(_ssh(sid, name), json={"id": access["id"], "password": "x"})
        _assert_error(response, 405)
        assert response.headers["allow"] == "DELETE"
    # "access", "validate" and "regen" are credential ids there: none exists.
    _assert_error(api.delete(_ssh(sid, "validate")), 404)
    _assert_error(api.post(_ssh(sid, "access/regen")), 404)
    assert not _validate_by_id(api, sid, "access", access["password"])
    assert _validate_by_id(api, sid, access["id"], access["password"])


def test_per_credential_unknown_ids(
    per_credential: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    create_access(api, sid)
    _assert_error(api.delete(_ssh(sid, "ssh-xyz")), 404)
    _assert_error(api.post(_ssh(sid, "ssh-xyz/regen")), 404)
    assert not _validate_by_id(api, sid, "ssh-xyz", "whatever")
    _assert_error(api.post(_ssh("sbx-missing", "ssh-xyz/regen")), 404)


def test_several_credentials_each_with_its_own_password(
    per_credential: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    first, second, third = (create_access(api, sid) for _ in range(3))
    assert len({first["id"], second["id"], third["id"]}) == 3
    assert len({first["password"], second["password"], third["password"]}) == 3
    for access in (first, second, third):
        assert access["sandbox_id"] == sid
        assert _validate_by_id(api, sid, access["id"], access["password"])
    assert not _validate_by_id(api, sid, first["id"], second["password"])
    assert not _validate_by_id(api, sid, second["id"], first["password"])


def test_regenerating_one_credential_leaves_the_other(
    per_credential: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    first, second = create_access(api, sid), create_access(api, sid)
    response = api.post(_ssh(sid, f"{first['id']}/regen"))
    assert response.status_code == 200
    renewed = response.json()
    assert renewed["id"] == first["id"]
    assert renewed["password"] != first["password"]
    assert not _validate_by_id(api, sid, first["id"], first["password"])
    assert _validate_by_id(api, sid, first["id"], renewed["password"])
    assert _validate_by_id(api, sid, second["id"], second["password"])
    other = api.post(_ssh(sid, f"{second['id']}/regen")).json()
    assert other["id"] == second["id"]
    assert _validate_by_id(api, sid, first["id"], renewed["password"])
    assert not _validate_by_id(api, sid, second["id"], second["password"])


def test_deleting_one_credential_leaves_the_other(
    per_credential: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    first, second = create_access(api, sid), create_access(api, sid)
    assert api.delete(_ssh(sid, first["id"])).status_code == 204
    _assert_error(api.delete(_ssh(sid, first["id"])), 404)
    _assert_error(api.post(_ssh(sid, f"{first['id']}/regen")), 404)
    assert not _validate_by_id(api, sid, first["id"], first["password"])
    assert _validate_by_id(api, sid, second["id"], second["password"])
    assert api.post(_ssh(sid, f"{second['id']}/regen")).status_code == 200


def test_credentials_of_other_sandboxes_are_not_found(
    per_credential: Emulator, api: httpx.Client
) -> None:
    one, two = create_sandbox(api)["id"], create_sandbox(api)["id"]
    access = create_access(api, one)
    assert not _validate_by_id(api, two, access["id"], access["password"])
    _assert_error(api.delete(_ssh(two, access["id"])), 404)
    _assert_error(api.post(_ssh(two, f"{access['id']}/regen")), 404)
    assert _validate_by_id(api, one, access["id"], access["password"])


def test_the_credential_bound(
    per_credential: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    created = [create_access(api, sid) for _ in range(MAX_CREDENTIALS_PER_SANDBOX)]
    message = _assert_error(api.post(_ssh(sid, "access")), 409)
    assert str(MAX_CREDENTIALS_PER_SANDBOX) in message
    # Another sandbox has its own bound.
    create_access(api, create_sandbox(api)["id"])
    assert api.delete(_ssh(sid, created[0]["id"])).status_code == 204
    create_access(api, sid)
    _assert_error(api.post(_ssh(sid, "access")), 409)


def test_deleting_the_sandbox_revokes_all_its_credentials(
    per_credential: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    accesses = [create_access(api, sid) for _ in range(3)]
    assert api.delete(f"/v1/sandbox/{sid}").status_code == 204
    for access in accesses:
        _assert_error(api.post(_ssh(sid, f"{access['id']}/validate"), json={"password": "x"}), 404)


# -- switching at run time --------------------------------------------------------------


def test_config_route_gets_and_sets_the_mode(emu: Emulator, api: httpx.Client) -> None:
    assert api.get("/_emulator/config").json()["ssh_api"] == "both"
    response = api.post("/_emulator/config", json={"ssh_api": "per-credential"})
    assert response.status_code == 200
    assert response.json() == {
        "ssh_lifetime": 3600.0,
        "max_sandboxes": 3,
        "ssh_api": "per-credential",
        "request_timeout": 30.0,
        "start_delay": 0.0,
        "stop_delay": 0.0,
        "max_unauthenticated": 256,
        "templates": [
            "system/debian:bookworm",
            "system/code-interpreter:v0.1.0",
            "system/desktop:v0.1.0",
        ],
    }
    assert api.get("/_emulator/config").json()["ssh_api"] == "per-credential"
    assert emu.settings.ssh_api == "per-credential"
    # null leaves a setting as is.
    response = api.post("/_emulator/config", json={"ssh_api": "single", "max_sandboxes": None})
    assert response.status_code == 200
    assert response.json() == Settings(ssh_api="single").to_json()


def test_config_route_rejects_bad_values(emu: Emulator, api: httpx.Client) -> None:
    assert field_errors(api.post("/_emulator/config", json={"ssh_api": "both-ish"})) == {"ssh_api"}
    assert field_errors(api.post("/_emulator/config", json={"ssh_api": 1})) == {"ssh_api"}
    bad = api.post("/_emulator/config", json={"ssh_api": "single", "max_sandboxes": -1})
    assert field_errors(bad) == {"max_sandboxes"}
    assert field_errors(api.post("/_emulator/config", json={"colour": "blue"})) == {"colour"}
    # A rejected request changes nothing, not even its valid parts.
    assert api.get("/_emulator/config").json() == Settings().to_json()
    response = api.post("/_emulator/config", json={})
    assert response.status_code == 200
    assert response.json() == Settings().to_json()


@pytest.mark.parametrize("start", ["per-credential", "both"])
def test_switch_to_single_is_refused_while_a_sandbox_holds_several(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any], start: SshApiMode
) -> None:
    emu.configure(ssh_api=start)
    sid = sandbox["id"]
    first, second = create_access(api, sid), create_access(api, sid)
    response = api.post("/_emulator/config", json={"ssh_api": "single", "ssh_lifetime": 5})
    message = _assert_error(response, 409)
    assert sid in message
    assert "single" in message
    with pytest.raises(ValueError, match="hold several"):
        emu.configure(ssh_api="single")
    # Nothing changed: the mode, the lifetime, the credentials.
    assert api.get("/_emulator/config").json() == Settings(ssh_api=start).to_json()
    assert _validate_by_id(api, sid, first["id"], first["password"])
    # One credential per sandbox again: the switch goes through.
    assert api.delete(_ssh(sid, first["id"])).status_code == 204
    emu.configure(ssh_api="single")
    assert _validate_seed(api, sid, second["id"], second["password"])
    assert api.delete(_ssh(sid, "access")).status_code == 204


def test_switches_between_the_modes_of_several_credentials_go_through(
    per_credential: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    first, second = create_access(api, sid), create_access(api, sid)
    per_credential.configure(ssh_api="both")
    assert _validate_seed(api, sid, first["id"], first["password"])
    _assert_error(api.post(_ssh(sid, "regen")), 409)
    per_credential.configure(ssh_api="per-credential")
    assert _validate_by_id(api, sid, second["id"], second["password"])


def test_configure_in_python(emu: Emulator, api: httpx.Client) -> None:
    emu.configure(ssh_api="single")
    assert emu.settings == Settings(ssh_api="single")
    emu.configure(ssh_lifetime=7)
    assert emu.settings == Settings(ssh_lifetime=7.0, ssh_api="single")
    with pytest.raises(ValueError, match="ssh_api"):
        emu.configure(ssh_api="bogus")  # type: ignore[arg-type]
    assert emu.settings == Settings(ssh_lifetime=7.0, ssh_api="single")
    sid = create_sandbox(api)["id"]
    create_access(api, sid)
    assert api.delete(_ssh(sid, "ssh-xyz")).status_code == 404
    emu.configure(ssh_api="per-credential")
    create_access(api, sid)
    assert api.post(_ssh(sid, "regen")).status_code == 405


def test_reset_restores_the_mode(emu: Emulator, api: httpx.Client) -> None:
    emu.configure(ssh_api="per-credential")
    sid = create_sandbox(api)["id"]
    create_access(api, sid)
    create_access(api, sid)
    emu.reset()
    assert emu.settings == Settings()
    assert api.get("/_emulator/config").json()["ssh_api"] == "both"


def test_serve_takes_the_start_up_mode() -> None:
    with serve(ssh_api="per-credential", max_sandboxes=1) as emu, make_client(emu) as api:
        assert emu.settings == Settings(max_sandboxes=1, ssh_api="per-credential")
        sid = create_sandbox(api)["id"]
        first = create_access(api, sid)
        create_access(api, sid)
        assert api.delete(_ssh(sid, first["id"])).status_code == 204
        emu.configure(ssh_api="single", max_sandboxes=2)
        assert api.post(_ssh(sid, "regen")).status_code == 200
        assert api.post("/_emulator/reset").status_code == 204
        assert api.get("/_emulator/config").json() == {
            "ssh_lifetime": 3600.0,
            "max_sandboxes": 1,
            "ssh_api": "per-credential",
            "request_timeout": 30.0,
            "start_delay": 0.0,
            "stop_delay": 0.0,
            "max_unauthenticated": 256,
            "templates": [
                "system/debian:bookworm",
                "system/code-interpreter:v0.1.0",
                "system/desktop:v0.1.0",
            ],
        }
        sid = create_sandbox(api)["id"]
        create_access(api, sid)
        create_access(api, sid)


@pytest.mark.parametrize("bad", ["", "Single", "per_credential", None, 2])
def test_serve_rejects_a_bad_mode(bad: Any) -> None:
    with pytest.raises(ValueError, match="ssh_api"):
        serve(ssh_api=bad)
    with pytest.raises(ValueError, match="ssh_api"):
        Emulator(ssh_api=bad)
    with pytest.raises(ValueError, match="ssh_lifetime"):
        serve(ssh_lifetime=0)


def test_settings_before_start() -> None:
    assert serve(ssh_api="single").settings == Settings(ssh_api="single")


# -- the command line -------------------------------------------------------------------


def test_cli_ssh_api_option(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    from leap0 import emulator
    from leap0.emulator import _cli

    assert _cli._parser().parse_args([]).ssh_api == "both"
    for mode in SSH_API_MODES:
        assert _cli._parser().parse_args(["--ssh-api", mode]).ssh_api == mode
    with pytest.raises(SystemExit) as exited:
        _cli._parser().parse_args(["--ssh-api", "nope"])
    assert exited.value.code == 2
    assert "--ssh-api" in capsys.readouterr().err

    seen: dict[str, Any] = {}

    def fake_serve(**kwargs: Any) -> Emulator:
        seen.update(kwargs)
        raise ValueError("not starting")

    monkeypatch.setattr(emulator, "serve", fake_serve)
    assert _cli.main(["--ssh-api", "per-credential"]) == 2
    assert seen["ssh_api"] == "per-credential"
    assert "not starting" in capsys.readouterr().err


def test_cli_help_shows_the_option(capsys: Any) -> None:
    from leap0.emulator import _cli

    with pytest.raises(SystemExit):
        _cli._parser().parse_args(["--help"])
    out = capsys.readouterr().out
    assert "--ssh-api {both,single,per-credential}" in out
    assert str(MAX_CREDENTIALS_PER_SANDBOX) in out
    words = " ".join(out.split())
    assert "'both' (both route sets, several credentials per sandbox" in words
    assert "answer 409 while the sandbox holds more than one" in words
    assert "--stop-delay SECONDS" in words


# -- SSH logins -------------------------------------------------------------------------


async def _login(emu: Emulator, access: dict[str, Any]) -> asyncssh.SSHClientConnection:
    return await ssh_login(emu.ssh_host, emu.ssh_port, access, TIMEOUT)


async def _echo(conn: asyncssh.SSHClientConnection, text: str) -> str:
    result = await asyncio.wait_for(conn.run(f"echo {text}"), TIMEOUT)
    assert result.exit_status == 0
    return str(result.stdout)


async def test_deleting_one_credential_ends_only_its_sessions(
    per_credential: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    first, second = create_access(api, sid), create_access(api, sid)
    conn_first = await _login(per_credential, first)
    conn_second = await _login(per_credential, second)
    try:
        assert await _echo(conn_first, "one") == "one\n"
        assert await _echo(conn_second, "two") == "two\n"
        # Both sessions share the sandbox's directory.
        await asyncio.wait_for(conn_first.run("echo shared > note.txt"), TIMEOUT)
        assert (await asyncio.wait_for(conn_second.run("cat note.txt"), TIMEOUT)).stdout == (
            "shared\n"
        )
        running = await conn_first.create_process("sleep 30")

        assert api.delete(_ssh(sid, first["id"])).status_code == 204
        await asyncio.wait_for(conn_first.wait_closed(), TIMEOUT)
        running.close()

        assert await _echo(conn_second, "still here") == "still here\n"
        with pytest.raises(asyncssh.PermissionDenied):
            await _login(per_credential, first)
        async with await _login(per_credential, second) as again:
            assert await _echo(again, "again") == "again\n"

        # Deleting the sandbox ends the rest.
        assert api.delete(f"/v1/sandbox/{sid}").status_code == 204
        await asyncio.wait_for(conn_second.wait_closed(), TIMEOUT)
        with pytest.raises(asyncssh.PermissionDenied):
            await _login(per_credential, second)
    finally:
        for conn in (conn_first, conn_second):
            conn.close()
            await conn.wait_closed()


async def test_regenerating_one_credential_keeps_both_sessions(
    per_credential: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    first, second = create_access(api, sid), create_access(api, sid)
    async with (
        await _login(per_credential, first) as one,
        await _login(per_credential, second) as two,
    ):
        renewed = api.post(_ssh(sid, f"{first['id']}/regen")).json()
        assert await _echo(one, "one") == "one\n"
        assert await _echo(two, "two") == "two\n"
    with pytest.raises(asyncssh.PermissionDenied):
        await _login(per_credential, first)
    async with await _login(per_credential, renewed) as conn:
        assert await _echo(conn, "new") == "new\n"
    async with await _login(per_credential, second) as conn:
        assert await _echo(conn, "other") == "other\n"


async def test_reset_ends_the_sessions_of_every_credential(
    per_credential: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    sid = sandbox["id"]
    first, second = create_access(api, sid), create_access(api, sid)
    conns = [await _login(per_credential, first), await _login(per_credential, second)]
    try:
        per_credential.reset()
        for conn in conns:
            await asyncio.wait_for(conn.wait_closed(), TIMEOUT)
    finally:
        for conn in conns:
            conn.close()
            await conn.wait_closed()


async def test_both_two_credentials_on_one_sandbox_both_log_in(
    emu: Emulator, api: httpx.Client, sandbox: dict[str, Any]
) -> None:
    assert emu.settings.ssh_api == "both"
    sid = sandbox["id"]
    first, second = create_access(api, sid), create_access(api, sid)
    async with await _login(emu, first) as one, await _login(emu, second) as two:
        assert await _echo(one, "one") == "one\n"
        assert await _echo(two, "two") == "two\n"
        # Deleting one by its id ends only its sessions.
        assert api.delete(_ssh(sid, first["id"])).status_code == 204
        await asyncio.wait_for(one.wait_closed(), TIMEOUT)
        assert await _echo(two, "still") == "still\n"
    with pytest.raises(asyncssh.PermissionDenied):
        await _login(emu, first)
