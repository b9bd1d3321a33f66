"""The sync code is generated from the async source, and the drift check notices hand edits.

The checks run in this process (``setup_hooks.check`` on a copy of the trees);
one test runs ``setup_hooks.py --check`` as a command for its exit status, and
one builds a wheel.
"""

from __future__ import annotations

import re
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

_IGNORE = shutil.ignore_patterns("__pycache__")
_PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def _copy_generation_trees(dest: Path) -> Path:
    """The async sources and their generated twins: all that the check reads."""
    for pair in setup_hooks.DIRS:
        for part in pair:
            shutil.copytree(ROOT / part, dest / part, ignore=_IGNORE)
    return dest


def _copy_project(dest: Path) -> Path:
    """What building a wheel needs."""
    for part in ("leap0", "tests/_async", "tests/_sync"):
        shutil.copytree(
            ROOT / part, dest / part, ignore=shutil.ignore_patterns("__pycache__", "emulator")
        )
    for name in ("setup_hooks.py", "pyproject.toml"):
        shutil.copy2(ROOT / name, dest / name)
    py_modules = re.search(r"^py-modules = \[(.*)\]$", _PYPROJECT, re.M)
    for module in re.findall(r'"(\w+)"', py_modules.group(1) if py_modules else ""):
        shutil.copy2(ROOT / f"{module}.py", dest / f"{module}.py")
    (dest / "README.md").write_text("leap0\n")
    return dest


def _edit_line_10(target: Path) -> None:
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[9] = lines[9].rstrip("\n") + "  # edited by hand\n"
    target.write_text("".join(lines), encoding="utf-8")


def test_committed_sync_files_match_generation() -> None:
    assert setup_hooks.check(ROOT) == []


def test_every_generated_file_names_its_source() -> None:
    for _source, target, name in setup_hooks.pairs(ROOT):
        head = target.read_text(encoding="utf-8").splitlines()[:2]
        assert name in head[0] and "Do not edit" in head[0], target


def test_check_passes_on_an_unchanged_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy_generation_trees(tmp_path)
    assert setup_hooks.check(root) == []
    assert setup_hooks.main(["--check", "--root", str(root)]) == 0
    assert "up to date" in capsys.readouterr().out


@pytest.mark.parametrize(
    "generated",
    ["leap0/_sync/ssh.py", "leap0/_sync/_transport.py", "leap0/_sync/client.py",
     "leap0/_sync/sandboxes.py", "tests/_sync/test_ssh.py"],
)  # fmt: skip
def test_check_fails_naming_file_and_line_after_hand_edit(tmp_path: Path, generated: str) -> None:
    root = _copy_generation_trees(tmp_path)
    _edit_line_10(root / generated)

    (problem,) = setup_hooks.check(root)

    assert problem.startswith(f"{generated}:10: differs from what ")


def test_check_reports_every_differing_file_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy_generation_trees(tmp_path)
    _edit_line_10(root / "leap0/_sync/client.py")
    target = root / "tests/_sync/test_ssh.py"
    target.write_text(target.read_text(encoding="utf-8") + "# appended by hand\n")

    problems = setup_hooks.check(root)

    assert len(problems) == 2, problems
    assert problems[0].startswith("leap0/_sync/client.py:10: ")
    last_line = len(target.read_text(encoding="utf-8").splitlines())
    assert problems[1].startswith(f"tests/_sync/test_ssh.py:{last_line}: ")
    assert setup_hooks.main(["--check", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "leap0/_sync/client.py:10: " in err
    assert f"tests/_sync/test_ssh.py:{last_line}: " in err
    assert "2 generated file(s) differ" in err


def test_check_fails_for_a_missing_or_stray_generated_file(tmp_path: Path) -> None:
    root = _copy_generation_trees(tmp_path)
    (root / "leap0/_sync/ssh.py").unlink()
    (root / "leap0/_sync/stray.py").write_text("x = 1\n")

    problems = setup_hooks.check(root)

    assert any(p.startswith("leap0/_sync/ssh.py: missing") for p in problems), problems
    assert any(p.startswith("leap0/_sync/stray.py: has no source") for p in problems), problems
    assert len(problems) == 2, problems


def test_check_command_exits_1_naming_each_differing_file(tmp_path: Path) -> None:
    """The one run of the command itself: its exit status and what it prints."""
    root = _copy_generation_trees(tmp_path)
    _edit_line_10(root / "leap0/_sync/ssh.py")
    _edit_line_10(root / "tests/_sync/test_ssh.py")

    result = subprocess.run(
        [sys.executable, str(ROOT / "setup_hooks.py"), "--check", "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "leap0/_sync/ssh.py:10: " in result.stderr
    assert "tests/_sync/test_ssh.py:10: " in result.stderr


def test_regenerate_restores_a_hand_edit(tmp_path: Path) -> None:
    root = _copy_generation_trees(tmp_path)
    target = root / "leap0/_sync/ssh.py"
    original = target.read_text(encoding="utf-8")
    target.write_text(original.replace("def create_access", "def create_acess"), encoding="utf-8")
    changed = setup_hooks.regenerate(root)
    assert target in changed
    assert target.read_text(encoding="utf-8") == original


def test_a_rule_no_file_uses_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy_generation_trees(tmp_path)
    target = root / "leap0/_sync/ssh.py"
    spoiled = target.read_text(encoding="utf-8") + "# edited by hand\n"
    target.write_text(spoiled, encoding="utf-8")
    rules = {**setup_hooks.REPLACEMENTS, "AsyncNobodyUses": "NobodyUses"}

    with pytest.raises(setup_hooks.GenerationError, match="'AsyncNobodyUses' -> 'NobodyUses'"):
        setup_hooks.check(root, rules)
    with pytest.raises(setup_hooks.GenerationError, match="AsyncNobodyUses"):
        setup_hooks.regenerate(root, rules)
    assert target.read_text(encoding="utf-8") == spoiled  # nothing written

    monkeypatch.setattr(setup_hooks, "REPLACEMENTS", rules)
    for args in (["--check"], []):
        assert setup_hooks.main([*args, "--root", str(root)]) == 2
        assert "unused replacement rule(s) 'AsyncNobodyUses'" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == spoiled


def test_a_rule_used_only_in_a_comment_or_docstring_counts_as_used(tmp_path: Path) -> None:
    source = tmp_path / "leap0/_async/x.py"
    source.parent.mkdir(parents=True)
    source.write_text('"""Like ``AsyncBar``."""\nx = 1  # see AsyncFoo\n', encoding="utf-8")
    rules = {"AsyncFoo": "Foo", "AsyncBar": "Bar"}

    ((target, _name, text),) = setup_hooks.generate_all(tmp_path, rules)

    assert target == tmp_path / "leap0/_sync/x.py"
    assert text.endswith('"""Like ``Bar``."""\n\nx = 1  # see Foo\n')  # formatted by ruff
    with pytest.raises(setup_hooks.GenerationError, match="'AsyncBaz'") as info:
        setup_hooks.generate_all(tmp_path, {**rules, "AsyncBaz": "Baz"})
    assert "AsyncFoo" not in str(info.value) and "AsyncBar" not in str(info.value)


def test_unasync_is_pinned_exactly_and_alike_everywhere() -> None:
    """setup_hooks.py relies on unasync's private Rule._unasync_tokens and _unasync_name."""
    import unasync

    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    pins = re.findall(r'"unasync([=<>!~][^"]*)"', _PYPROJECT) + re.findall(
        r'"unasync([=<>!~][^"]*)"', noxfile
    )
    assert pins == [f"=={unasync.__version__}"] * 3, pins
    assert callable(unasync.Rule._unasync_tokens)
    assert callable(unasync.Rule._unasync_name)


def test_generation_renames_and_rewrites_docstrings() -> None:
    source = (
        '"""Use ``AsyncLeap0Client``: ``await client.ssh.create_access(s)``."""\n'
        "import httpx\n"
        "async def f(c: httpx.AsyncClient) -> None:\n"
        "    async with c:\n"
        "        await c.aclose()  # ``await AsyncSshClient``\n"
    )
    out = setup_hooks.generate(source, "x.py")
    assert "Use ``Leap0Client``: ``client.ssh.create_access(s)``." in out
    assert "def f(c: httpx.Client) -> None:" in out
    assert "    with c:\n        c.close()  # ``SshClient``\n" in out


def test_plain_prose_keeps_its_words_and_code_blocks_are_rewritten() -> None:
    source = (
        "def f() -> None:\n"
        '    """Callers await it, or use it with async with.\n\n'
        "    Example::\n\n"
        "        async with AsyncLeap0Client() as client:\n"
        "            await client.ssh.create_access(s)\n\n"
        '    After the block, await stays a word."""\n'
    )
    out = setup_hooks.generate(source, "x.py")
    assert "Callers await it, or use it with async with." in out
    assert "        with Leap0Client() as client:\n            client.ssh.create_access(s)\n" in out
    assert "After the block, await stays a word." in out


@pytest.mark.parametrize("library", ["asyncio", "anyio", "trio"])
def test_an_event_loop_library_in_async_code_is_refused_naming_the_line(library: str) -> None:
    source = f"import {library}\n\n\nasync def f() -> None:\n    await {library}.sleep(0)\n"
    with pytest.raises(setup_hooks.GenerationError, match=rf"^x\.py:1: {library} has no sync"):
        setup_hooks.generate(source, "x.py")


def test_unknown_async_name_is_an_error_not_a_silent_sync_name() -> None:
    with pytest.raises(setup_hooks.GenerationError, match="AsyncWidget"):
        setup_hooks.generate("x = AsyncWidget()\n", "x.py")


def test_wheel_build_writes_sync_from_async(tmp_path: Path) -> None:
    """Building a wheel runs the hook: the wheel's _sync/ is generated, whatever is committed."""
    pytest.importorskip("setuptools")
    pytest.importorskip("wheel", reason="building a wheel without isolation needs wheel")
    root = _copy_project(tmp_path / "src")
    # Spoil the committed copy: the wheel must not take it as it is.
    (root / "leap0/_sync/ssh.py").write_text("raise ImportError('stale')\n")
    out = tmp_path / "dist"
    backend = re.search(r'^build-backend = "([\w.]+)"$', _PYPROJECT, re.M)
    assert backend
    # The PEP 517 hook that pip calls, without pip around it.
    result = subprocess.run(
        [sys.executable, "-c",
         f"import sys, {backend[1]} as backend; backend.build_wheel(sys.argv[1])", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("leap0-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        built = zf.read("leap0/_sync/ssh.py").decode()
        names = set(zf.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_points_text = zf.read(entry_points).decode()
    generated = setup_hooks.generate(
        (ROOT / "leap0/_async/ssh.py").read_text(encoding="utf-8"), "leap0/_async/ssh.py"
    )
    # Formatted as the committed file is, ruff being installed here.
    expected = setup_hooks.format_texts({"leap0/_sync/ssh.py": generated})["leap0/_sync/ssh.py"]
    assert built == expected == (ROOT / "leap0/_sync/ssh.py").read_text(encoding="utf-8")
    assert "leap0/py.typed" in names
    # The pytest plugin is a top-level module, so loading it does not import leap0.
    assert "leap0_pytest_plugin.py" in names
    assert "[pytest11]\nleap0 = leap0_pytest_plugin\n" in entry_points_text
    assert not any(n.startswith("tests/") for n in names)
