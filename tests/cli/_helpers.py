"""Helpers shared by the command line's tests (fixtures are in conftest.py)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import attrs
import pytest

import leap0
from leap0._cli.openssh import askpass_env, askpass_script, build_ssh_argv
from leap0._cli.watchdog import MODULE as WATCHDOG
from leap0._convert import structure
from leap0._ssh_api import SshApi
from leap0.emulator import Emulator
from leap0.models import SshAccess

from .._support import access_json

REAL_POPEN = subprocess.Popen
HAVE_SSH = shutil.which("ssh") is not None
needs_ssh = pytest.mark.skipif(not HAVE_SSH, reason="the OpenSSH client is not installed")
PER_CREDENTIAL = ("--ssh-api", "per-credential")


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Result]


ACCESS_FIELDS = [
    "id",
    "sandbox_id",
    "password",
    "ssh_command",
    "expires_at",
    "created_at",
    "updated_at",
]


def fields(text: str) -> dict[str, str]:
    """``key  value`` lines as a dict."""
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        out[key] = value.strip()
    return out


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


def is_valid(
    cli: Run, sandbox_id: str, access_id: str, password: str, ssh_api: str = "auto"
) -> bool:
    """``leap0 ssh validate`` of the pair (under ``ssh_api``'s routes)."""
    result = cli(
        "--ssh-api",
        ssh_api,
        "--json",
        "ssh",
        "validate",
        sandbox_id,
        "--access-id",
        access_id,
        "--password-stdin",
        stdin=password,
    )
    valid: bool = result.json()["valid"]
    assert result.code == (0 if valid else 1), result.err  # scriptable: 1 for an invalid pair
    return valid


def validate_now(emu: Emulator, sandbox_id: str, access_id: str, password: str) -> bool:
    """The SDK's validate, for use while ``main`` runs (``cli`` would take over its output)."""
    ssh_api: SshApi = "single" if emu.settings.ssh_api == "single" else "per-credential"
    with leap0.Leap0Client(api_key=emu.api_key, base_url=emu.base_url, ssh_api=ssh_api) as client:
        return client.ssh.validate_access(sandbox_id, access_id=access_id, password=password).valid


def deletes(emu: Emulator, sandbox_id: str, access_id: str) -> int:
    """The DELETE requests for the credential: on its own route and on the seed's."""
    own = emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/{access_id}")
    return own + emu.attempts("DELETE", f"/v1/sandbox/{sandbox_id}/ssh/access")


def revoke_command(line: str) -> list[str]:
    """The arguments of the command a failed revoke printed (after ``leap0``)."""
    words = shlex.split(line.rpartition(" with: ")[2])
    assert words[0] == "leap0", line
    return words[1:]


def make_access(command: str = "ssh -p 2222 ssh-7f3a@127.0.0.1") -> SshAccess:
    return structure(access_json(ssh_command=command), SshAccess)


def options(argv: list[str]) -> list[str]:
    return [argv[i + 1] for i, word in enumerate(argv) if word == "-o"]


class FakePopen:
    """Stands in for ``subprocess.Popen``: records what ssh would get, answers as the askpass.

    ``during``, if set, is called from ``wait()``: while the session "runs".
    leap0's watchdog is no ssh: it is started for real.
    """

    calls: list[FakePopen]
    returncode_to_give = 0
    during: Callable[[FakePopen], None] | None = None

    def __new__(cls, argv: list[str], *args: Any, **kwargs: Any) -> Any:
        if argv[1:] == ["-m", WATCHDOG]:
            return REAL_POPEN(argv, *args, **kwargs)
        return super().__new__(cls)

    def __init__(self, argv: list[str], env: dict[str, str], **kwargs: Any) -> None:
        self.argv = argv
        self.env = env
        self.kwargs = kwargs
        askpass = env["SSH_ASKPASS"]
        self.askpass = askpass
        self.askpass_mode = stat.S_IMODE(os.stat(askpass).st_mode)
        self.dir_mode = stat.S_IMODE(os.stat(os.path.dirname(askpass)).st_mode)
        with REAL_POPEN(
            [askpass, "u@h's password: "], stdout=subprocess.PIPE, text=True
        ) as process:
            self.answer = process.communicate()[0]
        FakePopen.calls.append(self)

    def send_signal(self, signum: int) -> None:
        pass

    @property
    def user(self) -> str:
        """The SSH user name, which is the access id (``-l USER``, or scp's ``-o User=USER``)."""
        if "-l" in self.argv:
            return self.argv[self.argv.index("-l") + 1]
        (user,) = [opt[5:] for opt in options(self.argv) if opt.startswith("User=")]
        return user

    @property
    def password(self) -> str:
        return self.answer.rstrip("\n")

    def wait(self) -> int:
        if FakePopen.during is not None:
            FakePopen.during(self)
        return FakePopen.returncode_to_give


def login(access: Mapping[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    """Run ``command`` through OpenSSH with a credential ``ssh create`` printed."""
    credential = structure(dict(access), SshAccess)
    argv = build_ssh_argv(credential, list(command), ssh=shutil.which("ssh") or "ssh")
    with askpass_script(credential.password) as script:
        return subprocess.run(
            argv,
            env=askpass_env(os.environ, script),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


def answer_with(monkeypatch: pytest.MonkeyPatch, template: str) -> None:
    """The service's create answer carries ``template`` as its ssh_command.

    The credential is the one the emulator issued; ``{user}``, ``{host}`` and
    ``{port}`` in ``template`` are its own.
    """
    real_create = leap0.SshClient.create_access

    def create(self: leap0.SshClient, *args: Any, **kwargs: Any) -> SshAccess:
        got = real_create(self, *args, **kwargs)
        return attrs.evolve(
            got,
            ssh_command=template.format(user=got.id, host=got.host, port=got.port),
        )

    monkeypatch.setattr(leap0.SshClient, "create_access", create)


def console(*argv: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leap0._cli", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def poll(condition: Callable[[], bool], what: str, limit: float = 60.0) -> None:
    """Wait until ``condition()`` holds, checking every 20 ms; fail saying ``what`` after ``limit`` s.

    A bound against hanging, not a claim about speed: ``limit`` is far above
    what any of these waits takes.
    """
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting for {what} after {limit:g} s")
        time.sleep(0.02)


def leap0_on_path(bin_dir: Any, body: str | None = None) -> str:
    """A ``leap0`` in ``bin_dir`` (this one, or a shell script of ``body``); the new PATH."""
    bin_dir.mkdir(exist_ok=True)
    wrapper = bin_dir / "leap0"
    wrapper.write_text(body or f'#!/bin/sh\nexec {sys.executable} -m leap0._cli "$@"\n')
    wrapper.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
