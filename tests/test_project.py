"""Project hygiene: the README's commands, CI, the public names, a light import."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import leap0

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text, flags=re.DOTALL)


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _readme_commands()[1]
    assert "pytest" in test_command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci


def test_readme_first_commands_make_a_venv_then_run_the_quickstart() -> None:
    first = _readme_commands()[0].splitlines()
    assert first[0].startswith("python3 -m venv ")  # stock Pythons refuse pip outside one
    assert "examples/quickstart.py" in first[-1]
    assert (ROOT / "examples" / "quickstart.py").exists()


def test_public_names() -> None:
    for name in leap0.__all__:
        assert hasattr(leap0, name), name
    assert leap0.SshClient.__module__ == "leap0._sync.ssh"
    assert leap0.AsyncSshClient.__module__ == "leap0._async.ssh"
    for name in dir(leap0):
        if name.isidentifier() and not name.startswith("_"):
            assert name in leap0.__all__ or name in {"errors", "models", "emulator"}, name


def test_import_is_light() -> None:
    code = (
        "import sys, leap0; heavy = {'uvicorn', 'starlette', 'asyncssh'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_py_typed_is_shipped() -> None:
    assert (ROOT / "leap0" / "py.typed").exists()


def test_readme_never_installs_this_package_from_the_index_by_name() -> None:
    # On the package index, "leap0" is the official SDK: every install of this package
    # names a path, a wheel or the repository.
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    # The one section about the official SDK names it on purpose; everywhere else, no.
    start = text.index("### `leap0` on the package index is the official SDK")
    end = text.index("\n## ", start)
    text = text[:start] + text[end:]
    installs = re.findall(r"pip install ([^\n`]+)", text)
    assert installs
    for args in installs:
        for word in args.split():
            target = word.strip("\"'")
            if target.startswith("-") or target in ("&&", "build", "python", "-m"):
                continue
            assert not re.fullmatch(r"leap0(\[[a-z,]+\])?([<>=!~].*)?", target), args


def test_import_leap0_alone_imports_no_sdk_dependency() -> None:
    # The public names load on first use (PEP 562): `import leap0` costs nothing more.
    code = (
        "import sys, leap0; heavy = {'httpx', 'attrs', 'cattrs'} & set(sys.modules); "
        "assert not heavy, heavy; "
        "from leap0 import Leap0Client, SshAccess; import leap0.errors; "
        "assert leap0.Leap0Client is Leap0Client and leap0.models.SshAccess is SshAccess; "
        "assert 'httpx' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_http_transport_loads_with_the_first_client_that_uses_it() -> None:
    # Reaching the clients loads their classes; the HTTP transport and what only it
    # needs (retries, deadlines, the answers' checks) load with the first client that
    # sends through it, and never for a client on a transport of its own.
    machinery = (
        "leap0._sync._httpx_transport",
        "leap0._async._httpx_transport",
        "leap0._deadline",
        "leap0._responses",
        "leap0._retry",
        "leap0._gate",
        "leap0._http",
    )
    code = (
        "import sys, leap0\n"
        "leap0.Leap0Client, leap0.AsyncLeap0Client\n"
        f"machinery = {machinery!r}\n"
        "assert not set(machinery) & set(sys.modules), set(machinery) & set(sys.modules)\n"
        "class Fake:\n"
        "    def request(self, *a, **k): return None\n"
        "    def close(self): pass\n"
        "leap0.Leap0Client(transport=Fake()).sandboxes.delete('sbx-1')\n"
        "assert not set(machinery) & set(sys.modules), set(machinery) & set(sys.modules)\n"
        "leap0.Leap0Client(api_key='k', base_url='http://127.0.0.1:9').close()\n"
        "assert 'leap0._sync._httpx_transport' in sys.modules and 'leap0._http' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_readme_command_line_section_shows_what_people_look_for() -> None:
    from leap0.emulator import Settings

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Command line\n")
    section = text[start : text.index("\n## ", start + 1)]
    for shown in (
        'eval "$(leap0 completion bash)"',
        "leap0 completion fish",
        "--format id | xargs -r leap0 sandbox delete --",
        "leap0 ssh cp report.csv sbx-",
        "export LEAP0_BASE_URL=http://127.0.0.1:",
        "export LEAP0_API_KEY=emu_",
        "and in a second shell:",
        f"It holds at most {Settings().max_sandboxes}\nsandboxes at once",
    ):
        assert shown in section, shown


def test_every_test_the_security_section_names_exists() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Security")
    section = text[start : text.index("\n## ", start + 1)]
    named = set(re.findall(r"`(test_\w+?)(?:\.py)?`", section))
    assert len(named) > 15
    sources = "\n".join(
        path.read_text(encoding="utf-8") for path in (ROOT / "tests").rglob("test_*.py")
    )
    files = {path.stem for path in (ROOT / "tests").rglob("test_*.py")}
    for name in named:
        assert name in files or re.search(rf"def {name}\(", sources), name
