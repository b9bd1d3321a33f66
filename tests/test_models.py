"""Models and wire conversion (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest

from leap0 import Leap0ResponseError, SandboxInfo, SshAccess, SshValidation
from leap0._convert import converter, format_datetime, parse_datetime, structure
from tests._support import PASSWORD, access_json, sandbox_json

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-26T04:00:00Z", datetime(2026, 11, 26, 4, 0, tzinfo=UTC)),
        ("2026-11-26T04:00:00z", datetime(2026, 11, 26, 4, 0, tzinfo=UTC)),
        ("2026-11-26T04:00:00.5Z", datetime(2026, 11, 26, 4, 0, 0, 500000, tzinfo=UTC)),
        ("2026-11-26T04:00:00.123456789Z", datetime(2026, 11, 26, 4, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-26T04:00:00+00:00", datetime(2026, 11, 26, 4, 0, tzinfo=UTC)),
        (
            "2026-11-26T06:00:00+02:00",
            datetime(2026, 11, 26, 6, 0, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2026-11-26T04:00:00", datetime(2026, 11, 26, 4, 0, tzinfo=UTC)),
    ],
)
def test_timestamps_parse_aware_on_every_python(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is not None


def test_format_datetime_round_trips_with_z() -> None:
    value = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
    assert format_datetime(value) == "2026-11-26T04:00:00Z"
    assert parse_datetime(format_datetime(value)) == value


def test_unknown_fields_are_ignored() -> None:
    access = structure(access_json(brand_new_field={"x": 1}), SshAccess)
    assert access.id == "ssh-7f3a"


def test_models_are_frozen() -> None:
    access = structure(access_json(), SshAccess)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        access.password = "x"  # type: ignore[misc]


def test_password_is_not_in_repr_or_str() -> None:
    access = structure(access_json(), SshAccess)
    assert PASSWORD not in repr(access)
    assert PASSWORD not in str(access)
    assert "password" not in repr(access)
    assert access.password == PASSWORD


def test_expired_compares_with_now() -> None:
    past = structure(access_json(expires_at="2000-01-01T00:00:00Z"), SshAccess)
    future = structure(access_json(expires_at="2999-01-01T00:00:00Z"), SshAccess)
    assert past.expired is True
    assert future.expired is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sandbox_id": "s"}, "valid"),
        ({"valid": "yes", "sandbox_id": "s"}, "valid"),
        ({"valid": 1, "sandbox_id": "s"}, "valid"),
        ({"valid": True, "sandbox_id": None}, "sandbox_id"),
    ],
)
def test_missing_or_mistyped_field_names_it(body: dict[str, object], field: str) -> None:
    with pytest.raises(Leap0ResponseError) as info:
        structure(body, SshValidation)
    assert info.value.field == field
    assert field in str(info.value)


@pytest.mark.parametrize("body", [[], "x", None, 3])
def test_non_object_body_is_a_response_error(body: object) -> None:
    with pytest.raises(Leap0ResponseError, match="JSON object"):
        structure(body, SandboxInfo)


def test_sandbox_info_strict_ints() -> None:
    with pytest.raises(Leap0ResponseError, match="vcpu"):
        structure(sandbox_json(vcpu="2"), SandboxInfo)
    with pytest.raises(Leap0ResponseError, match="vcpu"):
        structure(sandbox_json(vcpu=True), SandboxInfo)


def test_unstructure_gives_wire_form() -> None:
    access = structure(access_json(), SshAccess)
    assert converter.unstructure(access) == access_json()


@pytest.mark.parametrize(
    ("command", "host", "port"),
    [
        ("ssh -p 2222 ssh-7f3a@127.0.0.1", "127.0.0.1", 2222),
        ("ssh ssh-7f3a@ssh.leap0.dev", "ssh.leap0.dev", 22),
        ("ssh -o StrictHostKeyChecking=no -p2200 ssh-7f3a@h", "h", 2200),
        ("ssh -p 22 ssh-7f3a@[::1]", "::1", 22),
        ("ssh ssh-7f3a@h.example -p 2200", "h.example", 2200),
        ("ssh -l ssh-7f3a -o Port=2200 h.example", "h.example", 2200),
        ("ssh ssh://ssh-7f3a@h.example:2200", "h.example", 2200),
        ("ssh ssh://ssh-7f3a@h.example", "h.example", 22),
        ("ssh ssh://ssh-7f3a@[2001:db8::1]:2200", "2001:db8::1", 2200),
        ("ssh -p 2222 h.example", "h.example", 2222),
    ],
)
def test_host_and_port_from_the_command(command: str, host: str, port: int) -> None:
    access = structure(access_json(ssh_command=command), SshAccess)
    assert (access.host, access.port) == (host, port)
    assert access.command == access.ssh_command == command


@pytest.mark.parametrize(
    "command",
    [
        "ssh -p 0 ssh-7f3a@h",
        "ssh -p 65536 ssh-7f3a@h",
        "ssh -p -22 ssh-7f3a@h",
        "ssh -p x ssh-7f3a@h",
        "ssh -p \N{SUPERSCRIPT TWO} ssh-7f3a@h",
        "ssh -p",
        "ssh ssh://ssh-7f3a@h:0",
        "ssh ssh://ssh-7f3a@h:99999",
        "ssh -o Port=65536 ssh-7f3a@h",
    ],
)
def test_a_bad_port_is_a_response_error_not_a_value_error(command: str) -> None:
    access = structure(access_json(ssh_command=command), SshAccess)
    for read in (lambda: access.port, lambda: access.host):
        with pytest.raises(Leap0ResponseError) as info:
            read()
        assert info.value.field == "ssh_command"
        assert not isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "command",
    [
        "",
        "ssh 'unterminated",
        "ssh",
        "scp ssh-7f3a@h",
        "ssh -F cfg ssh-7f3a@h",
        "ssh -o UserKnownHostsFile=~/.bashrc -oProxyCommand=x",
        "ssh ssh-7f3a@-oProxyCommand=x",
        "ssh ssh-7f3a@h 'rm -rf /'",
        "ssh '$(id)@h'",
        "ssh other@h",
        "ssh -l other h",
        "ssh ssh-7f3a@h;id",
        "ssh ssh-7f3a@h/x",
    ],
)
def test_a_command_leap0_does_not_understand_is_a_response_error(command: str) -> None:
    access = structure(access_json(ssh_command=command), SshAccess)
    for read in (lambda: access.host, lambda: access.port):
        with pytest.raises(Leap0ResponseError) as info:
            read()
        assert info.value.field == "ssh_command"
        assert "\n" not in str(info.value)
    assert access.command == access.ssh_command == command  # still shown as sent


def test_options_in_the_command_are_read_past() -> None:
    access = structure(
        access_json(
            ssh_command="ssh -o UserKnownHostsFile=~/.bashrc -o 'HostKeyAlias=$(id)' "
            "-p 2200 ssh-7f3a@h.example"
        ),
        SshAccess,
    )
    assert (access.host, access.port) == ("h.example", 2200)


def test_a_command_that_is_not_a_string_is_a_response_error() -> None:
    now = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
    access = SshAccess(
        id="ssh-7f3a",
        sandbox_id="sbx-1",
        password="pw",
        ssh_command=None,  # type: ignore[arg-type]
        expires_at=now,
        created_at=now,
        updated_at=now,
    )
    with pytest.raises(Leap0ResponseError) as info:
        _ = access.host
    assert info.value.field == "ssh_command"


def test_errors_survive_pickling() -> None:
    import pickle

    import httpx

    from leap0 import Leap0BadRequestError, Leap0RateLimitError, Leap0TimeoutError

    bad = Leap0BadRequestError(
        "Invalid request",
        status_code=400,
        method="POST",
        path="/v1/sandbox/",
        body={"message": "Invalid request", "errors": [{"field": "vcpu", "error": "too big"}]},
        headers=httpx.Headers({"X-Request-Id": "req_1"}),
        request_id="req_1",
    )
    limited = Leap0RateLimitError(
        "slow", status_code=429, method="GET", path="/v1/sandboxes", retry_after=2.0
    )
    for error in (
        bad,
        limited,
        Leap0TimeoutError("timed out"),
        Leap0ResponseError("x", field="id"),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
        assert copy.__dict__ == error.__dict__
    assert pickle.loads(pickle.dumps(bad)).headers["X-Request-ID"] == "req_1"
