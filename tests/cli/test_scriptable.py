"""What scripts read: exit statuses, ``--format id``, one JSON shape for what was done to each thing."""

from __future__ import annotations

import json

import pytest

from leap0.emulator import Emulator

from ._helpers import PER_CREDENTIAL, Run, one_line

SHAPE = ["kind", "id", "sandbox_id"]


def _validate(cli: Run, sandbox_id: str, access_id: str, password: str, *more: str) -> int:
    argv = ["ssh", "validate", sandbox_id, "--access-id", access_id, "--password-stdin", *more]
    code: int = cli(*argv, stdin=password + "\n").code
    return code


def test_ssh_validate_exits_0_for_a_valid_pair_and_1_for_an_invalid_one(
    cli: Run, sandbox_id: str, access: dict[str, str]
) -> None:
    assert _validate(cli, sandbox_id, access["id"], access["password"]) == 0
    assert _validate(cli, sandbox_id, access["id"], "not-it") == 1
    assert _validate(cli, sandbox_id, access["id"], "not-it", "--json") == 1
    wrong = cli(
        "ssh",
        "validate",
        sandbox_id,
        "--access-id",
        access["id"],
        "--password-stdin",
        stdin="not-it\n",
    )
    assert (wrong.out.split()[:2], wrong.err) == (["valid", "false"], "")  # printed, no error


@pytest.mark.parametrize("routes", [(), PER_CREDENTIAL], ids=["auto", "per-credential"])
def test_format_id_prints_only_the_credential_id_and_keeps_it(
    cli: Run, emu: Emulator, sandbox_id: str, routes: tuple[str, ...]
) -> None:
    created = cli(*routes, "--format", "id", "ssh", "create", sandbox_id)
    assert created.code == 0
    ident = created.out.strip()
    assert created.out == f"{ident}\n" and ident.startswith("ssh-")
    note = one_line(created.err)
    assert note.startswith(f"leap0: the password of {ident} is not shown with --format id")
    assert f"'leap0 ssh regen {sandbox_id} --access-id {ident}' gives it a new password" in note

    regen = cli(*routes, "ssh", "regen", sandbox_id, "--access-id", ident, "--format", "id")
    assert (regen.code, regen.out) == (0, f"{ident}\n")
    assert "is not shown with --format id" in one_line(regen.err)

    shown = cli(*routes, "--json", "ssh", "regen", sandbox_id, "--access-id", ident).json()
    assert shown["id"] == ident  # kept all along; a password to see now
    assert _validate(cli, sandbox_id, ident, shown["password"]) == 0


def test_deletions_of_sandboxes_and_credentials_have_one_json_shape(
    cli: Run, sandbox_id: str, access: dict[str, str]
) -> None:
    revoked = cli(
        *PER_CREDENTIAL, "--json", "ssh", "delete", sandbox_id, "--access-id", access["id"]
    )
    assert revoked.code == 0
    deleted = cli("--json", "sandbox", "delete", sandbox_id)
    assert deleted.code == 0
    assert revoked.json() == [
        {"kind": "ssh_access", "id": access["id"], "sandbox_id": sandbox_id, "deleted": True}
    ]
    assert deleted.json() == [
        {"kind": "sandbox", "id": sandbox_id, "sandbox_id": sandbox_id, "deleted": True}
    ]


def test_a_failed_deletion_is_in_the_list_too(cli: Run, sandbox_id: str) -> None:
    """As ``sandbox delete``: ``deleted`` false with the error's class; the error on stderr."""
    failed = cli(*PER_CREDENTIAL, "--json", "ssh", "delete", sandbox_id, "--access-id", "ssh-gone")
    assert failed.code == 1
    (item,) = failed.json()
    assert item == {
        "kind": "ssh_access",
        "id": "ssh-gone",
        "sandbox_id": sandbox_id,
        "deleted": False,
        "error": "Leap0NotFoundError",
    }
    assert json.loads(one_line(failed.err))["status_code"] == 404
    gone = cli("--json", "sandbox", "delete", "sbx-gone")
    assert gone.code == 1
    assert list(gone.json()[0]) == [*SHAPE, "deleted", "error"]


@pytest.mark.parametrize("action", ["stop", "start", "pause"])
def test_stop_start_pause_lists_have_the_same_shape(cli: Run, sandbox_id: str, action: str) -> None:
    if action == "start":
        cli("sandbox", "stop", sandbox_id)
    done = {"stop": "stopped", "start": "started", "pause": "paused"}[action]
    (item,) = cli("--json", "sandbox", action, sandbox_id).json()
    assert list(item) == [*SHAPE, done, "sandbox"]
    assert (item["kind"], item["id"], item["sandbox_id"], item[done]) == (
        "sandbox",
        sandbox_id,
        sandbox_id,
        True,
    )


def test_wait_timeout_without_wait_is_a_usage_error(cli: Run, emu: Emulator) -> None:
    result = cli("sandbox", "create", "--wait-timeout", "5")
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("usage: leap0 sandbox create")
    assert "error: --wait-timeout goes only with --wait" in result.err
    as_json = cli("--json", "sandbox", "create", "--wait-timeout", "5")
    assert json.loads(one_line(as_json.err))["error"] == "usage"
    assert emu.attempts("POST", "/v1/sandbox") == 0
    waited = cli("sandbox", "create", "--wait", "--wait-timeout", "5", "--format", "id")
    assert waited.code == 0
    assert waited.out.startswith("sbx-")
