"""Where the askpass directory is made: a parent no other local user can rename things in.

``$XDG_RUNTIME_DIR`` when it is the user's own ``0700`` directory; else the
temporary directory (``TMPDIR``, ...), unless it, or a directory above it, is
writable by others without the sticky bit (by its group too, unless that is
the user's own group), or owned by someone other than root or the user: then
``ssh connect`` and ``ssh cp`` stop with exit status 2 and say why, before
any request.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from leap0._cli import askpass
from leap0._cli.openssh import askpass_script
from leap0.emulator import Emulator

from ._helpers import FakePopen, Run, one_line


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A private XDG_RUNTIME_DIR and TMPDIR, both set (tempfile reads TMPDIR again)."""
    made = {"xdg": tmp_path / "xdg", "tmp": tmp_path / "tmp"}
    for path in made.values():
        path.mkdir(mode=0o700)
        path.chmod(0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(made["xdg"]))
    monkeypatch.setenv("TMPDIR", str(made["tmp"]))
    monkeypatch.setattr(tempfile, "tempdir", None)
    return made


def test_a_private_xdg_runtime_dir_is_preferred(dirs: dict[str, Path]) -> None:
    assert askpass.private_parent() == os.path.realpath(dirs["xdg"])
    with askpass_script("pw") as script:
        assert Path(script).parent.parent == dirs["xdg"].resolve()
    assert list(dirs["xdg"].iterdir()) == []


@pytest.mark.parametrize("mode", [0o755, 0o750, 0o1777, 0o711, 0o770])
def test_an_xdg_runtime_dir_that_is_not_0700_is_passed_over(
    dirs: dict[str, Path], mode: int
) -> None:
    dirs["xdg"].chmod(mode)
    assert askpass.private_parent() == os.path.realpath(dirs["tmp"])


def test_no_xdg_runtime_dir_means_the_temporary_directory(
    dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(dirs["xdg"] / "missing"))
    assert askpass.private_parent() == os.path.realpath(dirs["tmp"])
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    assert askpass.private_parent() == os.path.realpath(dirs["tmp"])
    dirs["tmp"].chmod(0o1777)  # shared, as /tmp is: the sticky bit keeps entries apart
    assert askpass.private_parent() == os.path.realpath(dirs["tmp"])


@pytest.mark.parametrize("mode", [0o777, 0o773, 0o703])
def test_a_temporary_directory_others_can_write_without_the_sticky_bit_is_refused(
    dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    dirs["tmp"].chmod(mode)
    with pytest.raises(askpass.UnsafeDirectory) as refused:
        askpass.private_parent()
    message = str(refused.value)
    assert os.path.realpath(dirs["tmp"]) in message
    assert "without the sticky bit" in message and "TMPDIR" in message


def test_a_directory_above_it_counts_too(
    dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    inner = dirs["tmp"] / "inner"
    inner.mkdir(mode=0o700)
    monkeypatch.setenv("TMPDIR", str(inner))
    dirs["tmp"].chmod(0o777)
    with pytest.raises(askpass.UnsafeDirectory, match="without the sticky bit"):
        askpass.private_parent()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a directory to someone else")
def test_a_temporary_directory_of_another_user_is_refused(
    dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    os.chown(dirs["tmp"], 4242, 4242)
    with pytest.raises(askpass.UnsafeDirectory, match="owned by user 4242"):
        askpass.private_parent()
    os.chown(dirs["tmp"], 0, 4242)  # writable by a group that is not the user's own
    dirs["tmp"].chmod(0o770)
    with pytest.raises(askpass.UnsafeDirectory, match="without the sticky bit"):
        askpass.private_parent()
    dirs["tmp"].chmod(0o1770)
    assert askpass.private_parent() == os.path.realpath(dirs["tmp"])
    os.chown(dirs["xdg"], 4242, 4242)  # nor is another user's runtime directory taken
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(dirs["xdg"]))
    os.chown(dirs["tmp"], 0, 0)
    dirs["tmp"].chmod(0o700)
    assert askpass.private_parent() == os.path.realpath(dirs["tmp"])


@pytest.mark.parametrize(
    "command", [["ssh", "connect", "{id}", "--", "true"], ["ssh", "cp", "{id}:a", "./a"]]
)
def test_connect_and_cp_stop_before_any_request(
    cli: Run,
    emu: Emulator,
    sandbox_id: str,
    fake_ssh: type[FakePopen],
    dirs: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    dirs["tmp"].chmod(0o777)
    result = cli(*(word.replace("{id}", sandbox_id) for word in command))
    assert (result.code, result.out) == (2, "")
    line = one_line(result.err)
    assert line.startswith(f"leap0: {command[0]} {command[1]} {sandbox_id}: "), line
    assert "without the sticky bit" in line
    assert fake_ssh.calls == []
    assert emu.attempts("GET", f"/v1/sandbox/{sandbox_id}/") == 0
    assert emu.attempts("POST", f"/v1/sandbox/{sandbox_id}/ssh/access") == 0
    assert list(dirs["tmp"].iterdir()) == []
