"""The ``auto`` router's memory and planning, without I/O (pure)."""

from __future__ import annotations

import pytest

from leap0 import Leap0AccessIdRequiredError
from leap0._ssh_api import REMEMBERED_PER_SANDBOX, REMEMBERED_SANDBOXES, Call, Router


def _paths(calls: tuple[Call, ...]) -> list[str]:
    return [c.path.split("/ssh/", 1)[1] for c in calls]


def test_one_remembered_credential_is_tried_on_both_routes() -> None:
    router = Router("auto")
    router.remember("sbx-1", "ssh-a")
    assert _paths(router.act("regenerate_access", "sbx-1", None)) == ["ssh-a/regen", "regen"]
    assert _paths(router.act("delete_access", "sbx-1", None)) == ["ssh-a", "access"]


def test_memory_is_per_sandbox_and_bounded() -> None:
    router = Router("auto")
    for n in range(REMEMBERED_SANDBOXES + 10):
        router.remember(f"sbx-{n}", f"ssh-{n}")
    # The oldest sandboxes are forgotten; the newest kept.
    assert _paths(router.act("delete_access", "sbx-0", None)) == ["access", "validate"]
    newest = REMEMBERED_SANDBOXES + 9
    assert _paths(router.act("delete_access", f"sbx-{newest}", None))[0] == f"ssh-{newest}"


def test_too_many_credentials_on_one_sandbox_stay_several() -> None:
    router = Router("auto")
    for n in range(REMEMBERED_PER_SANDBOX + 1):
        router.remember("sbx-1", f"ssh-{n}")
    for n in range(REMEMBERED_PER_SANDBOX):
        router.forget("sbx-1", f"ssh-{n}")
    # Past the bound the client no longer knows which are left: it asks.
    with pytest.raises(Leap0AccessIdRequiredError, match="several"):
        router.act("regenerate_access", "sbx-1", None)


def test_an_id_that_cannot_go_into_a_path_is_not_remembered() -> None:
    router = Router("auto")
    router.remember("sbx-1", "../x")
    router.remember("sbx-1", 7)
    assert _paths(router.act("regenerate_access", "sbx-1", None)) == ["regen"]


def test_strict_settings_remember_nothing_and_never_learn() -> None:
    for setting in ("single", "per-credential"):
        router = Router(setting)  # type: ignore[arg-type]
        router.remember("sbx-1", "ssh-a")
        call = Call("POST", "/x", None, "single")
        assert router.learn(call, 405) is False
        assert router.revision == setting


def test_the_seed_regen_after_a_rotation_is_the_one_credential() -> None:
    router = Router("auto")
    router.remember("sbx-1", "ssh-a")
    router.remember("sbx-1", "ssh-b", only=True)
    assert _paths(router.act("regenerate_access", "sbx-1", None))[0] == "ssh-b/regen"


def test_a_planned_validate_shows_no_password() -> None:
    for calls in (Router("auto").validate("sbx-1", "ssh-a", "s3cret-pw"),
                  Router("single").validate("sbx-1", "ssh-a", "s3cret-pw")):  # fmt: skip
        for call in calls:
            assert call.body is not None and "s3cret-pw" in call.body.values()
            assert "s3cret-pw" not in repr(call) and "s3cret-pw" not in str(call)
            assert call.path in repr(call)
