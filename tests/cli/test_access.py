"""``leap0 ssh create | validate | regen | delete`` against the emulator, both SSH route sets."""

from __future__ import annotations

import json
from typing import Literal

import pytest

from leap0.emulator import Emulator

from ._helpers import ACCESS_FIELDS, PER_CREDENTIAL, Run, fields, is_valid, one_line

# -- ssh access -------------------------------------------------------------------


def test_ssh_create_text_prints_the_password_once(cli: Run, sandbox_id: str) -> None:
    result = cli("ssh", "create", sandbox_id)
    assert result.code == 0
    access = fields(result.out)
    assert list(access) == [
        "id",
        "sandbox_id",
        "password",
        "ssh_command",
        "expires_at",
        "created_at",
        "updated_at",
    ]
    assert access["sandbox_id"] == sandbox_id
    assert access["ssh_command"].startswith("ssh -p ")
    assert access["password"]
    hint = one_line(result.err)
    assert "save the password now" in hint
    assert access["password"] not in result.err
    # nothing else shows it again
    shown = cli("sandbox", "get", sandbox_id)
    assert access["password"] not in shown.out + shown.err


def test_ssh_create_json(cli: Run, sandbox_id: str) -> None:
    result = cli("--json", "ssh", "create", sandbox_id)
    assert result.code == 0
    data = result.json()
    assert set(data) == {
        "id",
        "sandbox_id",
        "password",
        "ssh_command",
        "expires_at",
        "created_at",
        "updated_at",
    }
    assert data["sandbox_id"] == sandbox_id
    assert "save the password now" in result.err


def test_ssh_create_twice_is_a_409_on_one_line(cli: Run, emu: Emulator, sandbox_id: str) -> None:
    emu.configure(ssh_api="single")  # one credential per sandbox
    assert cli("ssh", "create", sandbox_id).code == 0
    result = cli("ssh", "create", sandbox_id)
    assert result.code == 1
    assert result.out == ""
    line = one_line(result.err)
    path = f"/v1/sandbox/{sandbox_id}/ssh/access"
    assert line.startswith(f"leap0: ssh create {sandbox_id} failed: POST {path} -> 409: ")
    assert "already has SSH access (request id req_" in line
    assert line.endswith(
        f"; the sandbox already has one: 'leap0 ssh regen {sandbox_id}' gives it a new "
        f"password (printed once), 'leap0 ssh delete {sandbox_id}' revokes it"
    )


def test_ssh_validate_reads_the_password_from_stdin(cli: Run, sandbox_id: str) -> None:
    access = cli("--json", "ssh", "create", sandbox_id).json()
    argv = ["ssh", "validate", sandbox_id, "--access-id", access["id"], "--password-stdin"]

    good = cli(*argv, stdin=access["password"] + "\n")
    assert good.code == 0
    assert fields(good.out) == {"valid": "true", "sandbox_id": sandbox_id}
    assert access["password"] not in good.out + good.err

    crlf = cli("--json", *argv, stdin=access["password"] + "\r\n")
    assert crlf.json() == {"valid": True, "sandbox_id": sandbox_id}

    no_newline = cli(*argv, "--json", stdin=access["password"])
    assert no_newline.json()["valid"] is True

    wrong = cli(*argv, "--json", stdin="not-the-password\n")
    assert wrong.code == 1  # scriptable: an invalid pair exits 1, what was answered printed
    assert wrong.json() == {"valid": False, "sandbox_id": sandbox_id}


def test_ssh_validate_without_a_password_exits_2(cli: Run, emu: Emulator, sandbox_id: str) -> None:
    argv = ["ssh", "validate", sandbox_id, "--access-id", "ssh-1", "--password-stdin"]
    for stdin in ("", "\n"):
        result = cli(*argv, stdin=stdin)
        assert result.code == 2
        assert "no password on standard input" in one_line(result.err)
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/validate") == 0


def test_ssh_regen_text_and_json(cli: Run, sandbox_id: str) -> None:
    first = cli("--json", "ssh", "create", sandbox_id).json()
    text = cli("ssh", "regen", sandbox_id)
    assert text.code == 0
    second = fields(text.out)
    assert second["id"] == first["id"]
    assert second["password"] != first["password"]
    assert "save the password now" in one_line(text.err)
    third = cli("ssh", "regen", sandbox_id, "--json").json()
    assert third["password"] not in (first["password"], second["password"])

    validate = ["ssh", "validate", sandbox_id, "--access-id", first["id"], "--password-stdin"]
    assert cli("--json", *validate, stdin=second["password"]).json()["valid"] is False
    assert cli("--json", *validate, stdin=third["password"]).json()["valid"] is True


def test_ssh_regen_without_access_is_a_404(cli: Run, sandbox_id: str) -> None:
    result = cli("ssh", "regen", sandbox_id)
    assert result.code == 1
    assert one_line(result.err).startswith(f"leap0: ssh regen {sandbox_id} failed: ")


def test_ssh_delete_text_and_json(cli: Run, sandbox_id: str) -> None:
    access = cli("--json", "ssh", "create", sandbox_id).json()
    text = cli("ssh", "delete", sandbox_id)
    assert (text.code, text.out, text.err) == (
        0,
        f"revoked SSH access to sandbox {sandbox_id}\n",
        "",
    )
    validate = ["ssh", "validate", sandbox_id, "--access-id", access["id"], "--password-stdin"]
    assert cli("--json", *validate, stdin=access["password"]).json()["valid"] is False
    again = cli("ssh", "delete", sandbox_id)
    assert again.code == 1
    assert " -> 404: " in one_line(again.err)

    cli("ssh", "create", sandbox_id)
    data = cli("--json", "ssh", "delete", sandbox_id)
    assert data.json() == [
        {"kind": "ssh_access", "id": None, "sandbox_id": sandbox_id, "deleted": True}
    ]


def test_server_errors_are_one_line_with_the_status(
    cli: Run, emu: Emulator, sandbox_id: str
) -> None:
    emu.inject("GET", f"/v1/sandbox/{sandbox_id}", *[{"status": 503, "retry_after": "0"}] * 3)
    result = cli("sandbox", "get", sandbox_id)
    assert result.code == 1
    assert f"GET /v1/sandbox/{sandbox_id}/ -> 503: injected fault" in one_line(result.err)


# -- the SSH routes setting: --ssh-api, LEAP0_SSH_API ---------------------------------


@pytest.mark.parametrize("where", ["before", "after", "after=", "env"])
def test_ssh_api_before_or_after_the_command_or_from_the_environment(
    cli: Run,
    emu: Emulator,
    sandbox_id: str,
    access: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    argv = ["ssh", "delete", sandbox_id, "--access-id", access["id"]]
    if where == "before":
        argv = [*PER_CREDENTIAL, *argv]
    elif where == "after":
        argv = [*argv, *PER_CREDENTIAL]
    elif where == "after=":
        argv = [*argv, "--ssh-api=per-credential"]
    else:
        monkeypatch.setenv("LEAP0_SSH_API", "per-credential")
    result = cli(*argv)
    assert (result.code, result.out, result.err) == (
        0,
        f"revoked SSH credential {access['id']} of sandbox {sandbox_id}\n",
        "",
    )
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/{access['id']}") == 1
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access") == 0
    assert is_valid(cli, sandbox_id, access["id"], access["password"]) is False


@pytest.mark.parametrize("env", [None, "", "single"])
def test_single_is_the_default_and_the_flag_wins_over_the_environment(
    cli: Run,
    emu: Emulator,
    sandbox_id: str,
    access: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    env: str | None,
) -> None:
    if env is not None:
        monkeypatch.setenv("LEAP0_SSH_API", env)
    assert cli("ssh", "regen", sandbox_id).code == 0
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/regen") == 1

    monkeypatch.setenv("LEAP0_SSH_API", "per-credential")
    assert cli("ssh", "regen", sandbox_id, "--ssh-api", "single").code == 0
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/regen") == 2
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/{access['id']}/regen") == 0


def test_a_bad_ssh_api_in_the_environment_exits_2_naming_it(
    cli: Run, emu: Emulator, sandbox_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAP0_SSH_API", "per_credential")
    for argv in (["ssh", "create", sandbox_id], ["sandbox", "get", sandbox_id]):
        result = cli(*argv)
        assert (result.code, result.out) == (2, "")
        line = one_line(result.err)
        assert line.startswith(f"leap0: {' '.join(argv)}: LEAP0_SSH_API must be 'auto' ")
        assert line.endswith("got 'per_credential'")
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/access") == 0
    assert emu.attempts("GET", f"/v1/sandbox/{sandbox_id}") == 0
    # the flag is a choice of its own: the variable is not read then
    assert cli("ssh", "create", sandbox_id, "--ssh-api", "single").code == 0


@pytest.mark.parametrize("command", ["delete", "regen"])
@pytest.mark.parametrize("source", ["flag", "env"])
def test_per_credential_without_access_id_exits_2_before_any_request(
    cli: Run,
    emu: Emulator,
    sandbox_id: str,
    access: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    source: str,
) -> None:
    argv = ["ssh", command, sandbox_id]
    if source == "flag":
        argv = [*PER_CREDENTIAL, *argv]
        named = "--ssh-api per-credential"
    else:
        monkeypatch.setenv("LEAP0_SSH_API", "per-credential")
        named = "LEAP0_SSH_API=per-credential"
    monkeypatch.delenv("LEAP0_API_KEY")  # refused before the key is even looked for
    result = cli(*argv)
    assert (result.code, result.out) == (2, "")
    verb = "revoke" if command == "delete" else "replace"
    assert one_line(result.err) == (
        f"leap0: ssh {command} {sandbox_id}: --access-id is required with {named}: this "
        "service keeps several SSH credentials per sandbox, so name the one to "
        f"{verb} with --access-id ACCESS_ID (the id 'leap0 ssh create' printed)"
    )
    for method, path in (("DELETE", "access"), ("POST", "regen"), ("DELETE", access["id"])):
        assert emu.attempts(method, f"/v1/sandbox/{sandbox_id}/ssh/{path}") == 0
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/{access['id']}/regen") == 0
    monkeypatch.setenv("LEAP0_API_KEY", emu.api_key)
    assert is_valid(cli, sandbox_id, access["id"], access["password"]) is True


@pytest.mark.parametrize("mode", ["both", "per-credential"])
def test_per_credential_regen_and_delete_act_on_the_named_credential(
    cli: Run, emu: Emulator, sandbox_id: str, mode: Literal["both", "per-credential"]
) -> None:
    emu.configure(ssh_api=mode)
    first = cli(*PER_CREDENTIAL, "--json", "ssh", "create", sandbox_id)
    ident = first.json()["id"]
    assert one_line(first.err) == (
        "leap0: save the password now: it cannot be shown again "
        f"('leap0 ssh regen {sandbox_id} --access-id {ident}' issues a new one)"
    )

    regen = cli(*PER_CREDENTIAL, "ssh", "regen", sandbox_id, "--access-id", ident)
    assert regen.code == 0
    new = fields(regen.out)
    assert list(new) == ACCESS_FIELDS
    assert new["id"] == ident
    assert new["password"] != first.json()["password"]
    assert one_line(regen.err) == one_line(first.err)
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/{ident}/regen") == 1
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/regen") == 0
    pc = "per-credential"
    assert is_valid(cli, sandbox_id, ident, first.json()["password"], pc) is False
    assert is_valid(cli, sandbox_id, ident, new["password"], pc) is True

    deleted = cli(*PER_CREDENTIAL, "--json", "ssh", "delete", sandbox_id, "--access-id", ident)
    assert deleted.code == 0
    assert deleted.json() == [
        {"kind": "ssh_access", "id": ident, "sandbox_id": sandbox_id, "deleted": True}
    ]
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/{ident}") == 1
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access") == 0
    assert is_valid(cli, sandbox_id, ident, new["password"], pc) is False

    again = cli(*PER_CREDENTIAL, "ssh", "delete", sandbox_id, "--access-id", ident)
    assert again.code == 1
    assert one_line(again.err).startswith(f"leap0: ssh delete {sandbox_id} failed: ")
    gone = cli(*PER_CREDENTIAL, "ssh", "regen", sandbox_id, "--access-id", ident)
    assert gone.code == 1
    assert one_line(gone.err).startswith(f"leap0: ssh regen {sandbox_id} failed: ")


def test_per_credential_delete_leaves_the_other_credentials(
    cli: Run, emu: Emulator, sandbox_id: str
) -> None:
    emu.configure(ssh_api="per-credential")
    one = cli(*PER_CREDENTIAL, "--json", "ssh", "create", sandbox_id).json()
    two = cli(*PER_CREDENTIAL, "--json", "ssh", "create", sandbox_id).json()
    assert one["id"] != two["id"]

    text = cli(*PER_CREDENTIAL, "ssh", "delete", sandbox_id, "--access-id", one["id"])
    assert (text.code, text.out, text.err) == (
        0,
        f"revoked SSH credential {one['id']} of sandbox {sandbox_id}\n",
        "",
    )
    pc = "per-credential"
    assert is_valid(cli, sandbox_id, one["id"], one["password"], pc) is False
    assert is_valid(cli, sandbox_id, two["id"], two["password"], pc) is True

    regen = cli(*PER_CREDENTIAL, "--json", "ssh", "regen", sandbox_id, "--access-id", two["id"])
    assert regen.json()["id"] == two["id"]
    assert "the credential replaced is" not in regen.err


def test_single_takes_access_id_but_does_not_send_it(
    cli: Run, emu: Emulator, sandbox_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAP0_SSH_API", "single")
    access = cli("--json", "ssh", "create", sandbox_id).json()
    ident = access["id"]
    regen = cli("--json", "ssh", "regen", sandbox_id, "--access-id", ident)
    assert regen.code == 0
    assert regen.json()["id"] == ident
    assert "save the password now" in one_line(regen.err)  # no other note: it was that one
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/regen") == 1
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/{ident}/regen") == 0

    # the single route replaces the sandbox's one credential, whatever was named: said so
    other = cli("--json", "ssh", "regen", sandbox_id, "--access-id", "ssh-someone-else")
    assert other.code == 0
    replaced = other.json()
    assert replaced["id"] == ident
    assert other.err.splitlines()[1:] == [
        f"leap0: the credential replaced is {ident}, the sandbox's one, not "
        "ssh-someone-else: the single SSH routes take no --access-id"
    ]

    deleted = cli("ssh", "delete", sandbox_id, "--access-id", ident)
    assert (deleted.code, deleted.out, deleted.err) == (
        0,
        f"revoked SSH access to sandbox {sandbox_id} (its one credential: the single SSH "
        "routes take no --access-id)\n",
        "",
    )
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access") == 1
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/{ident}") == 0
    assert is_valid(cli, sandbox_id, ident, replaced["password"]) is False

    again = cli("--json", "ssh", "create", sandbox_id).json()
    data = cli("--json", "ssh", "delete", sandbox_id, "--access-id", again["id"])
    assert data.json() == [
        {"kind": "ssh_access", "id": None, "sandbox_id": sandbox_id, "deleted": True}
    ]


def test_a_malformed_access_id_exits_2_before_any_request(
    cli: Run, emu: Emulator, sandbox_id: str
) -> None:
    for setting in ("single", "per-credential"):
        result = cli("--ssh-api", setting, "ssh", "delete", sandbox_id, "--access-id", "a/b")
        assert result.code == 2
        assert result.err.splitlines()[-1].startswith(
            "leap0 ssh delete: error: argument --access-id: access id must be 1 to 128"
        )
    assert emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access") == 0


def test_single_routes_against_a_per_credential_service_fail_on_one_line(
    cli: Run, emu: Emulator, sandbox_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.configure(ssh_api="per-credential")
    monkeypatch.setenv("LEAP0_SSH_API", "single")
    access = cli("--json", "ssh", "create", sandbox_id).json()  # the same route in both
    regen = cli("ssh", "regen", sandbox_id)
    assert (regen.code, regen.out) == (1, "")
    line = one_line(regen.err)
    assert line.startswith(
        f"leap0: ssh regen {sandbox_id} failed: POST /v1/sandbox/{sandbox_id}/ssh/regen -> 405: "
    )
    assert "LEAP0_SSH_API=per-credential" in line
    validate = ["ssh", "validate", sandbox_id, "--access-id", access["id"], "--password-stdin"]
    checked = cli(*validate, stdin=access["password"])
    assert checked.code == 1
    assert "/ssh/validate -> 405: " in one_line(checked.err)
    deleted = cli("ssh", "delete", sandbox_id, "--access-id", access["id"])
    assert (deleted.code, deleted.out) == (1, "")
    assert one_line(deleted.err).startswith(f"leap0: ssh delete {sandbox_id} failed: ")
    assert is_valid(cli, sandbox_id, access["id"], access["password"], "per-credential") is True


def test_per_credential_routes_against_a_single_service_fail_on_one_line(
    cli: Run, emu: Emulator, sandbox_id: str, access: dict[str, str]
) -> None:
    emu.configure(ssh_api="single")
    for command in ("regen", "delete"):
        result = cli(*PER_CREDENTIAL, "ssh", command, sandbox_id, "--access-id", access["id"])
        assert (result.code, result.out) == (1, "")
        line = one_line(result.err)
        assert line.startswith(f"leap0: ssh {command} {sandbox_id} failed: ")
        assert " -> 404: " in line
    assert is_valid(cli, sandbox_id, access["id"], access["password"]) is True


def test_ssh_create_409_under_per_credential_says_to_revoke_one(
    cli: Run, emu: Emulator, sandbox_id: str
) -> None:
    emu.configure(ssh_api="single")  # one credential per sandbox, whatever routes are used
    assert cli("ssh", "create", sandbox_id).code == 0
    result = cli(*PER_CREDENTIAL, "ssh", "create", sandbox_id)
    assert (result.code, result.out) == (1, "")
    assert one_line(result.err).endswith(
        "; the service takes no more credentials for this sandbox: revoke one with "
        f"'leap0 --ssh-api per-credential ssh delete {sandbox_id} --access-id ACCESS_ID'"
    )
    as_json = cli(*PER_CREDENTIAL, "--json", "ssh", "create", sandbox_id)
    error = json.loads(one_line(as_json.err))
    assert (error["error"], error["status_code"]) == ("Leap0ConflictError", 409)
    assert error["hint"].startswith("the service takes no more credentials")


def test_ssh_create_on_a_sandbox_that_is_not_running_says_so(
    cli: Run, emu: Emulator, sandbox_id: str
) -> None:
    assert cli("sandbox", "stop", sandbox_id).code == 0
    result = cli("ssh", "create", sandbox_id)
    assert (result.code, result.out) == (1, "")
    line = one_line(result.err)
    assert " -> 409: " in line
    assert line.endswith(
        f"; sandbox {sandbox_id} is stopped; start it with 'leap0 sandbox start {sandbox_id}'"
    )


def test_auto_on_a_per_credential_service_asks_for_the_access_id(
    cli: Run, emu: Emulator, sandbox_id: str
) -> None:
    emu.configure(ssh_api="per-credential")
    access = cli("--json", "ssh", "create", sandbox_id).json()
    for command, use in (("regen", "replace"), ("delete", "revoke")):
        result = cli("ssh", command, sandbox_id)
        assert (result.code, result.out) == (1, "")
        assert one_line(result.err).endswith(
            f"; this service serves the per-credential SSH routes: name the credential to {use} "
            "with --access-id ACCESS_ID (the id 'leap0 ssh create' printed)"
        )
    assert is_valid(cli, sandbox_id, access["id"], access["password"]) is True
    deleted = cli("ssh", "delete", sandbox_id, "--access-id", access["id"])
    assert (deleted.code, deleted.out) == (
        0,
        f"revoked SSH credential {access['id']} of sandbox {sandbox_id}\n",
    )
