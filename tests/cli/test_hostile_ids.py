"""Sandbox ids from a hostile service: never printed, never run by a shell, never an option.

A service may answer ids such as ``$(touch FILE)`` or ``--base-url=...``.
``leap0 ... --format id`` prints none (the SDK refuses such an answer, and the
command line checks what it prints again), the completion scripts never let
their shell expand what they fetched, and the pipelines the help shows
(``xargs -r leap0 sandbox delete --``) turn no id into an option. Each
service here is a stub on 127.0.0.1 that the test starts and stops.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

import leap0
from leap0._cli import main
from leap0._cli.completion import script
from leap0.emulator import Emulator
from leap0.models import SandboxPage

from ._helpers import FakePopen, Run, leap0_on_path, one_line
from ._stub import StubService, page

KEY = "stub-api-key-not-to-leak"


def hostile(file: Path, port: int) -> list[str]:
    """Ids a hostile service answers: shell code, options, escapes, paths, a long one."""
    return [
        f"$(touch {file})",
        f"`touch {file}`",
        f"--base-url=http://127.0.0.1:{port}",
        f"--ssh-option=ProxyCommand=touch {file}",
        "-rf",
        "\x1b]0;owned\x07\x1b[2J",
        "sbx-a\nsbx-b",
        "/",
        "..",
        "../../etc",
        "*",
        "~root",
        "a b",
        "x" * 200,
    ]


def _env(base_url: str, path: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAP0_")}
    env.update({"LEAP0_BASE_URL": base_url, "LEAP0_API_KEY": KEY})
    if path is not None:
        env["PATH"] = path
    return env


# -- leap0 sandbox list --format id -------------------------------------------------


def test_list_format_id_prints_none_of_a_hostile_services_ids(tmp_path: Path) -> None:
    file = tmp_path / "ran"
    with StubService() as other, StubService() as stub:
        for ident in hostile(file, int(other.base_url.rpartition(":")[2])):
            stub.answers[("GET", "/v1/sandboxes")] = (200, page("sbx-good", ident))
            done = subprocess.run(
                [sys.executable, "-m", "leap0._cli", "sandbox", "list", "--format", "id"],
                capture_output=True,
                text=True,
                env=_env(stub.base_url),
                timeout=60,
                check=False,
            )
            assert (done.returncode, done.stdout) == (1, ""), ident
            line = one_line(done.stderr)
            assert line.startswith("leap0: sandbox list failed: unexpected SandboxPage"), line
            assert "Traceback" not in done.stderr and KEY not in done.stderr
    assert other.requests == []
    assert not file.exists()


def test_the_cli_prints_no_unsafe_id_even_if_the_sdk_returned_one(
    cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("sandbox", "create")
    real_list = leap0.SandboxesClient.list
    bad_id = ["--base-url=http://127.0.0.1:9"]

    def listing(self: leap0.SandboxesClient, **kwargs: object) -> SandboxPage:
        got = real_list(self, **kwargs)  # type: ignore[arg-type]
        (item,) = got.items
        bad = attrs.evolve(item, id=bad_id[0])
        return attrs.evolve(got, items=(item, bad))

    monkeypatch.setattr(leap0.SandboxesClient, "list", listing)
    result = cli("sandbox", "list", "--format", "id")
    assert (result.code, result.out) == (1, "")  # not even the good one: the answer is refused
    line = one_line(result.err)
    assert "not printing an id of the service's answer: '--base-url=http://127.0.0.1:9'" in line
    bad_id[0] = "-rf"
    result = cli("sandbox", "list", "--format", "id")
    assert (result.code, result.out) == (1, "")
    assert "'-rf' starts with '-'" in one_line(result.err)


# -- completion --------------------------------------------------------------------


def _bash_complete(source: Path, words: list[str], env: dict[str, str]) -> list[str]:
    """COMPREPLY after ``_leap0`` for ``words`` (the last one being completed)."""
    code = (
        f'source {source}; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _leap0; '
        "printf '%s\\0' \"${COMPREPLY[@]}\""
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", code, "bash", *words],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [word for word in done.stdout.split("\0") if word]


def _fake_leap0(tmp_path: Path, lines: list[str]) -> str:
    """A ``leap0`` on PATH that prints ``lines`` (what a leap0 without checks would print)."""
    listing = tmp_path / "ids.txt"
    listing.write_text("".join(f"{line}\n" for line in lines))
    return leap0_on_path(tmp_path / "bin", f"#!/bin/sh\nexec cat {listing}\n")


def _lines(file: Path) -> list[str]:
    # One id a line, as --format id prints: a newline in an id would make two lines.
    return [i for i in hostile(file, 9) if "\n" not in i]


def test_bash_completion_runs_none_of_the_ids_it_fetches(tmp_path: Path) -> None:
    file = tmp_path / "ran"
    source = tmp_path / "leap0.bash"
    source.write_text(script("bash"))
    path = _fake_leap0(tmp_path, ["sbx-good", *_lines(file), "sbx-good2"])
    env = _env("http://127.0.0.1:9", path)
    for prefix in ("", "sbx-go", "$(", "`", "x", "*", "~", "a"):
        offered = _bash_complete(source, ["leap0", "sandbox", "get", prefix], env)
        assert not file.exists(), prefix
        expected = [w for w in ("sbx-good", "sbx-good2") if w.startswith(prefix)]
        assert offered == expected, prefix
    assert _bash_complete(source, ["leap0", "sandbox", "delete", "sbx-good", ""], env) == [
        "sbx-good",
        "sbx-good2",
    ]
    assert not file.exists()


def test_bash_completion_against_a_hostile_service_offers_nothing(tmp_path: Path) -> None:
    file = tmp_path / "ran"
    source = tmp_path / "leap0.bash"
    source.write_text(script("bash"))
    with StubService() as stub:
        stub.answers[("GET", "/v1/sandboxes")] = (200, page("sbx-good", *hostile(file, 9)))
        env = _env(stub.base_url, leap0_on_path(tmp_path / "bin"))
        assert _bash_complete(source, ["leap0", "sandbox", "get", ""], env) == []
        assert stub.paths("GET") == ["/v1/sandboxes"]
    assert not file.exists()


def test_zsh_completion_offers_only_well_formed_ids(tmp_path: Path) -> None:
    if shutil.which("zsh") is None:
        pytest.skip("zsh is not installed")
    file = tmp_path / "ran"
    source = tmp_path / "leap0.zsh"
    source.write_text(script("zsh"))
    env = _env("http://127.0.0.1:9", _fake_leap0(tmp_path, ["sbx-good", *_lines(file)]))
    # compadd stands in for zsh's: it prints each word it is given, one a line, NUL-ended.
    code = (
        "compadd() { while [[ $1 == -* ]]; do [[ $1 == -- ]] && { shift; break; }; shift; done; "
        'local w; for w in "$@"; do print -rn -- "$w"; print -n \'\\0\'; done; }; '
        f'_files() {{ :; }}; compset() {{ :; }}; source {source}; words=("$@"); CURRENT=$#; _leap0'
    )
    done = subprocess.run(
        ["zsh", "-f", "-c", code, "zsh", "leap0", "sandbox", "get", ""],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [w for w in done.stdout.split("\0") if w] == ["sbx-good"]
    assert not file.exists()


def test_fish_completion_offers_only_well_formed_ids(tmp_path: Path) -> None:
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed")
    file = tmp_path / "ran"
    source = tmp_path / "leap0.fish"
    source.write_text(script("fish"))
    env = _env("http://127.0.0.1:9", _fake_leap0(tmp_path, ["sbx-good", *_lines(file)]))
    done = subprocess.run(
        ["fish", "--no-config", "-c", f"source {source}; complete -C 'leap0 sandbox get '"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == ["sbx-good"]
    assert not file.exists()


# -- the help's pipelines ----------------------------------------------------------


def _pipelines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The ``xargs ...`` part of every ``... --format id | xargs ...`` example in the help."""
    found: list[str] = []
    for argv in (["--help"], ["sandbox", "stop", "--help"]):
        assert main(argv) == 0
        for line in capsys.readouterr().out.splitlines():
            if "--format id | xargs" in line:
                found.append(line.partition("| ")[2].partition("#")[0].strip())
    assert len(found) == 2, found
    return found


def test_the_helps_pipelines_turn_no_id_into_an_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "ran"
    with StubService() as other, StubService() as stub:
        port = int(other.base_url.rpartition(":")[2])
        ids = ["sbx-good", f"--base-url=http://127.0.0.1:{port}"]
        env = _env(stub.base_url, leap0_on_path(tmp_path / "bin"))
        for pipeline in _pipelines(capsys):
            for given in (ids, []):
                done = subprocess.run(
                    ["sh", "-c", f"printf '%s\\n' \"$@\" | {pipeline}", "sh", *given],
                    capture_output=True,
                    text=True,
                    env=env,
                    timeout=60,
                    check=False,
                )
                assert other.requests == [], pipeline  # the API key went to no other server
                assert stub.requests == [], pipeline  # nor did anything go to this one
                if given:  # one bad id is a usage error
                    assert "argument ID: sandbox id must be" in done.stderr, done.stderr
                    assert done.returncode != 0
                else:  # -r: no ids, no command
                    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
            assert re.fullmatch(r"xargs -r leap0 sandbox \w+ --", pipeline), pipeline
    assert not file.exists()


def test_ssh_connect_takes_its_id_after_double_dash(
    cli: Run, emu: Emulator, sandbox_id: str, fake_ssh: type[FakePopen], tmp_path: Path
) -> None:
    alone = cli("ssh", "connect", "--", sandbox_id)
    assert (alone.code, alone.err) == (0, "")
    with_command = cli("ssh", "connect", "--keep", "--", sandbox_id, "--", "echo", "hi")
    assert with_command.code == 0, with_command.err
    first, second = fake_ssh.calls
    assert first.argv[-2:] == ["--", emu.ssh_host]
    assert second.argv[-3:] == ["--", emu.ssh_host, "echo hi"]
    # Several ids, as xargs would give them: not a command for the first one.
    several = cli("ssh", "connect", "--", sandbox_id, "sbx-other")
    assert several.code == 2
    assert "unrecognized arguments: sbx-other" in several.err
    option = cli("ssh", "connect", "--", f"--ssh-option=ProxyCommand=touch {tmp_path / 'x'}")
    assert option.code == 2
    assert "argument ID: sandbox id must be" in option.err
    assert len(fake_ssh.calls) == 2
    assert not (tmp_path / "x").exists()
