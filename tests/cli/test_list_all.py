"""``leap0 sandbox list --all``: every page, through the SDK's ``list_all``."""

from __future__ import annotations

import pytest

import leap0
from leap0.emulator import Emulator

from ._helpers import Run

pytestmark = pytest.mark.leap0_emulator(max_sandboxes=5)


@pytest.fixture
def five(cli: Run) -> list[str]:
    """Five sandboxes' ids, newest first (the list's default order)."""
    made = [cli("--format", "id", "sandbox", "create").out.strip() for _ in range(5)]
    assert all(made)
    return made[::-1]


def test_all_pages_of_ids(cli: Run, emu: Emulator, five: list[str]) -> None:
    before = emu.attempts("GET", "/v1/sandboxes")
    result = cli("sandbox", "list", "--all", "--page-size", "2", "--format", "id")
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == five
    assert emu.attempts("GET", "/v1/sandboxes") - before == 3  # pages of 2, 2 and 1


def test_ids_are_printed_as_each_page_arrives(
    cli: Run, five: list[str], monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """When the second page is asked for, the first page's ids are out already (flushed)."""
    real_list = leap0.SandboxesClient.list
    out_when_asked: list[str] = []

    def listing(self: leap0.SandboxesClient, *args: object, **kwargs: object) -> object:
        if kwargs.get("page", 1) == 2:
            out_when_asked.append(capfd.readouterr().out)
        return real_list(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(leap0.SandboxesClient, "list", listing)
    result = cli("sandbox", "list", "--all", "--page-size", "2", "--format", "id")
    assert result.code == 0
    assert out_when_asked == ["".join(f"{ident}\n" for ident in five[:2])]


def test_all_as_a_table_and_as_json(cli: Run, five: list[str]) -> None:
    table = cli("sandbox", "list", "--all", "--page-size", "2")
    assert (table.code, table.err) == (0, "")  # no page note: every page is there
    lines = table.out.splitlines()
    assert lines[0].split()[:3] == ["ID", "TEMPLATE", "STATE"]
    assert [line.split()[0] for line in lines[1:]] == five
    data = cli("--json", "sandbox", "list", "--all", "--page-size", "2").json()
    assert [item["id"] for item in data["items"]] == five
    assert data["total_items"] == 5
    assert data["items"][0]["timeout_at"].endswith("Z")  # RFC 3339, as a page's


def test_all_with_a_state_and_an_order(cli: Run, five: list[str]) -> None:
    cli("sandbox", "stop", five[0])
    result = cli(
        "sandbox", "list", "--all", "--state", "running", "--order", "asc", "--format", "id"
    )
    assert result.out.splitlines() == five[1:][::-1]


def test_all_with_no_sandbox(cli: Run) -> None:
    assert cli("sandbox", "list", "--all").out == "no sandboxes\n"
    assert cli("sandbox", "list", "--all", "--format", "id").out == ""


def test_page_with_all_is_a_usage_error(cli: Run, emu: Emulator) -> None:
    for argv in (["--page", "2", "--all"], ["--all", "--page", "1"]):
        result = cli("sandbox", "list", *argv)
        assert (result.code, result.out) == (2, "")
        assert result.err.startswith("usage: leap0 sandbox list")
        assert "error: --page and --all do not go together" in result.err
    assert emu.attempts("GET", "/v1/sandboxes") == 0


def test_a_page_without_all_is_as_before(cli: Run, five: list[str]) -> None:
    first = cli("sandbox", "list", "--page-size", "2", "--format", "id")
    assert first.out.splitlines() == five[:2]
    assert first.err == "leap0: page 1 of 3: sandboxes 1-2 of 5\n"
    data = cli("--json", "sandbox", "list", "--page-size", "2", "--page", "3").json()
    assert (data["page"], data["page_size"], data["total_items"]) == (3, 2, 5)
    assert [item["id"] for item in data["items"]] == five[4:]
