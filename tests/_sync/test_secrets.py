# Generated from tests/_async/test_secrets.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
"""No password and no API key in any log record, repr, str or exception message."""

from __future__ import annotations

import logging
import traceback

import pytest

from leap0 import Leap0Client, Leap0Error
from leap0.emulator import Emulator, Fault


def test_secrets_never_leak(
    leap0_emulator: Emulator, caplog: pytest.LogCaptureFixture, sleeps: list[float]
) -> None:
    returned: list[object] = []
    errors: list[BaseException] = []
    passwords: list[str] = []
    wrong_key = "wrong-key-that-is-also-secret"

    def expect_error(call: object) -> None:
        try:
            call()  # type: ignore[operator]
        except Leap0Error as exc:
            errors.append(exc)
        else:  # pragma: no cover
            raise AssertionError("expected a Leap0Error")

    caplog.set_level(logging.DEBUG)  # every logger: leap0, httpx, httpcore, the emulator
    leap0_emulator.configure(ssh_api="single")  # one credential a sandbox: the 409 below
    with Leap0Client(
        api_key=leap0_emulator.api_key, base_url=leap0_emulator.base_url, max_retries=2
    ) as client:
        returned.append(client)
        sandbox = client.sandboxes.create(env_vars={"X": "1"})
        returned += [sandbox, sandbox.info, sandbox.ssh, client.ssh, client.sandboxes]
        access = sandbox.ssh.create_access()
        passwords.append(access.password)
        returned.append(access)
        expect_error(lambda: sandbox.ssh.create_access())  # 409
        returned.append(sandbox.ssh.validate_access(access_id=access.id, password=access.password))
        returned.append(sandbox.ssh.validate_access(access_id=access.id, password="nope"))
        renewed = sandbox.ssh.regenerate_access()
        passwords.append(renewed.password)
        returned.append(renewed)
        returned.append(client.sandboxes.list())

        # Failures of every kind on the way, the password in flight each time.
        validate = f"/v1/sandbox/{sandbox.id}/ssh/validate"
        leap0_emulator.inject("POST", validate, *[Fault(status=503)] * 3)
        expect_error(
            lambda: sandbox.ssh.validate_access(access_id=renewed.id, password=renewed.password)
        )
        leap0_emulator.inject("POST", validate, Fault(body=f'{{"echo": "{renewed.password}"'))
        expect_error(
            lambda: sandbox.ssh.validate_access(access_id=renewed.id, password=renewed.password)
        )
        leap0_emulator.inject("POST", validate, *[Fault(delay=1.0)] * 3)
        expect_error(
            lambda: sandbox.ssh.validate_access(
                access_id=renewed.id, password=renewed.password, http_timeout=0.2
            )
        )
        leap0_emulator.inject("POST", validate, *[Fault(drop=True)] * 3)
        expect_error(
            lambda: sandbox.ssh.validate_access(access_id=renewed.id, password=renewed.password)
        )
        sandbox.ssh.delete_access()
        expect_error(lambda: sandbox.ssh.regenerate_access())  # 404
        sandbox.delete()

    with Leap0Client(
        api_key=wrong_key, base_url=leap0_emulator.base_url, max_retries=0
    ) as bad_client:
        returned.append(bad_client)
        expect_error(lambda: bad_client.ssh.create_access("sbx-1"))  # 401

    secrets = [leap0_emulator.api_key, wrong_key, *passwords]
    assert len(errors) == 7
    assert caplog.records, "expected DEBUG records to check"
    for obj in returned:
        for text in (repr(obj), str(obj)):
            for secret in secrets:
                assert secret not in text, type(obj)
    for exc in errors:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        for secret in secrets:
            assert secret not in str(exc)
            assert secret not in repr(exc)
            assert secret not in text
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + (record.exc_text or "")
        for secret in secrets:
            assert secret not in text, record.name
