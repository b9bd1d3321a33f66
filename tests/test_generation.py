"""The sync code is generated from the async source, and the drift check notices hand edits."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import setup_hooks  # noqa: E402

sys.path.remove(str(ROOT))


def _copy_tree(dest: Path) -> Path:
    for part in ("leap0", "tests/_async", "tests/_sync"):
        shutil.copytree(
            ROOT / part, dest / part, ignore=shutil.ignore_patterns("__pycache__", "emulator")
        )
    for name in ("setup_hooks.py", "pyproject.toml"):
        shutil.copy2(ROOT / name, dest / name)
    (dest / "README.md").write_text("leap0\n")
    return dest


def _run_check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "setup_hooks.py"), "--check", "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_committed_sync_files_match_generation() -> None:
    assert setup_hooks.check(ROOT) is None


def test_every_generated_file_names_its_source() -> None:
    for _source, target, name in setup_hooks.pairs(ROOT):
        head = target.read_text(encoding="utf-8").splitlines()[:2]
        assert name in head[0] and "Do not edit" in head[0], target


def test_check_exits_zero_when_in_sync(tmp_path: Path) -> None:
    result = _run_check(_copy_tree(tmp_path))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "generated",
    ["leap0/_sync/ssh.py", "leap0/_sync/_transport.py", "leap0/_sync/client.py",
     "leap0/_sync/sandboxes.py", "tests/_sync/test_ssh.py"],
)
def test_check_fails_naming_file_and_line_after_hand_edit(tmp_path: Path, generated: str) -> None:
    root = _copy_tree(tmp_path)
    target = root / generated
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[9] = lines[9].rstrip("\n") + "  # edited by hand\n"
    target.write_text("".join(lines), encoding="utf-8")

    result = _run_check(root)

    assert result.returncode == 1
    assert f"{generated}:10:" in result.stderr


def test_check_fails_for_a_missing_or_stray_generated_file(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    (root / "leap0/_sync/ssh.py").unlink()
    assert "leap0/_sync/ssh.py: missing" in _run_check(root).stderr

    root2 = _copy_tree(tmp_path / "second")
    (root2 / "leap0/_sync/stray.py").write_text("x = 1\n")
    result = _run_check(root2)
    assert result.returncode == 1
    assert "leap0/_sync/stray.py" in result.stderr


def test_regenerate_restores_a_hand_edit(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    target = root / "leap0/_sync/ssh.py"
    original = target.read_text(encoding="utf-8")
    target.write_text(original.replace("def create_access", "def create_acess"), encoding="utf-8")
    changed = setup_hooks.regenerate(root)
    assert target in changed
    assert target.read_text(encoding="utf-8") == original


def test_generation_renames_and_rewrites_docstrings() -> None:
    source = (
        '"""Use ``AsyncLeap0Client``: ``await client.ssh.create_access(s)``."""\n'
        "import httpx\n"
        "async def f(c: httpx.AsyncClient) -> None:\n"
        "    async with c:\n"
        "        await c.aclose()  # await AsyncSshClient\n"
    )
    out = setup_hooks.generate(source, "x.py")
    assert "Use ``Leap0Client``: ``client.ssh.create_access(s)``." in out
    assert "def f(c: httpx.Client) -> None:" in out
    assert "    with c:\n        c.close()  # SshClient\n" in out


def test_unknown_async_name_is_an_error_not_a_silent_sync_name() -> None:
    with pytest.raises(setup_hooks.GenerationError, match="AsyncWidget"):
        setup_hooks.generate("x = AsyncWidget()\n", "x.py")


def test_wheel_build_writes_sync_from_async(tmp_path: Path) -> None:
    """Building a wheel runs the hook: the wheel's _sync/ is generated, whatever is committed."""
    pytest.importorskip("setuptools")
    pytest.importorskip("wheel", reason="building a wheel without isolation needs wheel")
    root = _copy_tree(tmp_path / "src")
    # Spoil the committed copy: the wheel must not take it as it is.
    (root / "leap0/_sync/ssh.py").write_text("raise ImportError('stale')\n")
    out = tmp_path / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-cache-dir", "-q", "-w", str(out), str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("leap0-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        built = zf.read("leap0/_sync/ssh.py").decode()
        names = set(zf.namelist())
    expected = setup_hooks.generate(
        (ROOT / "leap0/_async/ssh.py").read_text(encoding="utf-8"), "leap0/_async/ssh.py"
    )
    assert built == expected
    assert "leap0/py.typed" in names
    assert not any(n.startswith("tests/") for n in names)
