"""The examples run as a user runs them.

The quickstarts run in a fresh interpreter, under each ``LEAP0_SSH_API``
setting, output checked. ``examples/ssh_login.py`` is also loaded here and its
OpenSSH login run against the emulator, the way it runs with the SDK alone
installed (no asyncssh).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from leap0 import Leap0Client, Leap0ResponseError, SshAccess
from leap0.emulator import Emulator

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SETTINGS = ["single", "per-credential"]

needs_openssh = pytest.mark.skipif(
    os.name != "posix" or shutil.which("ssh") is None, reason="no OpenSSH client"
)


def _run(script: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    return result.stdout


def _env(ssh_api: str | None) -> dict[str, str]:
    """This process's environment without a Leap0 service, with LEAP0_SSH_API as given."""
    names = ("LEAP0_API_KEY", "LEAP0_BASE_URL", "LEAP0_SSH_API")
    env = {k: v for k, v in os.environ.items() if k not in names}
    if ssh_api is not None:
        env["LEAP0_SSH_API"] = ssh_api
    return env


# -- the quickstarts, each on its own emulator -------------------------------------


@pytest.mark.parametrize("ssh_api", [*SETTINGS, "auto", None])
def test_quickstart_starts_its_own_emulator_and_walks_every_step(ssh_api: str | None) -> None:
    out = _run("quickstart.py", _env(ssh_api))
    setting = ssh_api or "auto"
    assert "started a local emulator" in out
    assert f"SSH routes: ssh_api={setting!r}" in out
    for step in (
        "== Create a sandbox",
        "== Create SSH access",
        "== Log in over SSH with the issued credentials and run a command",
        "== Validate the credential",
        "== Regenerate: a new password, the old one stops working",
        "== Delete SSH access",
        "== Delete the sandbox",
    ):
        assert step in out
    assert "hello from " in out  # the output of the command run over SSH
    assert "valid: True" in out
    assert "old password valid: False" in out
    assert "old password refused by the SSH server" in out
    assert "the new password works" in out
    assert "revoked credential valid: False" in out
    assert out.rstrip().endswith("Done.")

    second = (
        "== A second credential on the same sandbox: each is deleted on its own",
        "valid: first True, second True\ndeleted the second credential\n"
        "valid: first True, second False\nthe first one still logs in\n",
    )
    # Its own emulator serves a strict setting's routes alone, else today's service.
    revision = "single" if setting == "single" else "per-credential"
    assert f"the service's SSH routes: {revision}\n" in out
    for text in second:
        assert (text in out) == (revision == "per-credential")


@pytest.mark.parametrize("ssh_api", SETTINGS)
def test_async_quickstart_on_its_own_emulator(ssh_api: str) -> None:
    out = _run("quickstart_async.py", _env(ssh_api))
    assert f"SSH routes: ssh_api={ssh_api!r}" in out
    assert "ran a command over SSH: hello over SSH from " in out
    assert "validated: valid=True" in out
    assert "old password valid=False, SSH login refused=True" in out
    assert "new password: works" in out
    assert "deleted SSH access: valid=False" in out
    assert out.rstrip().endswith("Done.")

    second = (
        "valid (first, second)=(True, True)",
        "deleted the second: valid (first, second)=(True, False); the first still logs in",
    )
    for text in second:
        assert (text in out) == (ssh_api == "per-credential")


# -- the quickstarts against the service named in the environment -----------------


@pytest.mark.parametrize("ssh_api", SETTINGS)
@pytest.mark.parametrize("script", ["quickstart.py", "quickstart_async.py"])
def test_quickstart_uses_the_service_named_in_the_environment(
    leap0_emulator: Emulator, script: str, ssh_api: str
) -> None:
    leap0_emulator.configure(ssh_api=ssh_api)  # only the routes of this setting
    env = _env(ssh_api)
    env.update(leap0_emulator.env())
    out = _run(script, env)
    assert "started a local emulator" not in out
    assert f"SSH routes: ssh_api={ssh_api!r}" in out
    assert out.rstrip().endswith("Done.")
    assert leap0_emulator.attempts("POST", "/v1/sandbox/") == 1


@pytest.mark.parametrize("ssh_api", [*SETTINGS, None])
@pytest.mark.parametrize("script", ["quickstart.py", "quickstart_async.py"])
def test_quickstart_against_a_plain_emulator_under_any_setting(
    leap0_emulator: Emulator, script: str, ssh_api: str | None
) -> None:
    # A plain `leap0 emulator` (its default, both) serves today's service: several
    # credentials per sandbox, so the per-credential run's second credential works.
    env = _env(ssh_api)
    env.update(leap0_emulator.env())
    out = _run(script, env)
    assert out.rstrip().endswith("Done.")


# -- examples/ssh_login.py in this process -----------------------------------------


@pytest.fixture(scope="module")
def ssh_login() -> ModuleType:
    """examples/ssh_login.py, loaded from its path as a user's copy would be."""
    spec = importlib.util.spec_from_file_location("example_ssh_login", EXAMPLES / "ssh_login.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=SETTINGS)
def access(request: pytest.FixtureRequest, leap0_emulator: Emulator) -> Iterator[SshAccess]:
    """A credential issued by the emulator in the strict mode of each setting."""
    leap0_emulator.configure(ssh_api=request.param)
    with (
        Leap0Client(
            api_key=leap0_emulator.api_key,
            base_url=leap0_emulator.base_url,
            ssh_api=request.param,
        ) as client,
        client.sandboxes.create() as sandbox,
    ):
        yield sandbox.ssh.create_access()


def _fake_access(ssh_command: str) -> SshAccess:
    now = datetime.now(timezone.utc)
    return SshAccess(
        id="ssh-0123456789abcdef",
        sandbox_id="sbx-0123456789abcdef",
        password="s3cret-password",
        ssh_command=ssh_command,
        expires_at=now,
        created_at=now,
        updated_at=now,
    )


def _without_openssh(ssh_login: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``ssh`` on PATH, as ssh_login sees it."""
    monkeypatch.setattr(ssh_login, "shutil", SimpleNamespace(which=lambda name: None))


def _with_recorded_ssh(
    ssh_login: ModuleType, monkeypatch: pytest.MonkeyPatch, returncode: int = 0, stderr: str = ""
) -> _RecordedSsh:
    """ssh_login runs a recorder instead of ``ssh``."""
    fake = _RecordedSsh(returncode, stderr)
    monkeypatch.setattr(
        ssh_login, "subprocess", SimpleNamespace(run=fake, DEVNULL=subprocess.DEVNULL)
    )
    return fake


def _without_asyncssh(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import asyncssh`` fails from here on, as with the SDK alone installed."""
    monkeypatch.setitem(sys.modules, "asyncssh", None)


@needs_openssh
def test_openssh_login_runs_the_command_and_refuses_a_wrong_password(
    ssh_login: ModuleType, access: SshAccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_asyncssh(monkeypatch)
    out = ssh_login.run_openssh(access, "echo hello from $(hostname) in $HOME", access.password)
    assert out.startswith("hello from ")
    # In the sandbox's home (/home/user, or its directory on this machine unisolated).
    home = out.rstrip().rpartition(" in ")[2]
    assert home == "/home/user" or access.sandbox_id in home, out
    with pytest.raises(ssh_login.LoginRefused, match="refused the login"):
        ssh_login.run_openssh(access, "echo in", "not-the-password")


@needs_openssh
def test_run_command_uses_openssh_without_asyncssh(
    ssh_login: ModuleType, access: SshAccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_asyncssh(monkeypatch)
    assert ssh_login.run_command(access, "echo blocking") == "blocking\n"
    with pytest.raises(ssh_login.LoginRefused):
        ssh_login.run_command(access, "true", password="not-the-password")


@needs_openssh
async def test_run_command_async_uses_openssh_without_asyncssh(
    ssh_login: ModuleType, access: SshAccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_asyncssh(monkeypatch)
    assert await ssh_login.run_command_async(access, "echo async") == "async\n"


@needs_openssh
def test_openssh_reports_a_failing_command(ssh_login: ModuleType, access: SshAccess) -> None:
    with pytest.raises(RuntimeError, match="status 3"):
        ssh_login.run_openssh(access, "exit 3", access.password)


def test_without_openssh_run_command_uses_asyncssh(
    ssh_login: ModuleType, access: SshAccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_openssh(ssh_login, monkeypatch)
    assert ssh_login.run_command(access, "echo over asyncssh") == "over asyncssh\n"
    with pytest.raises(ssh_login.LoginRefused):
        ssh_login.run_command(access, "true", password="not-the-password")


def test_without_any_ssh_client_the_message_says_what_to_install(
    ssh_login: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_openssh(ssh_login, monkeypatch)
    _without_asyncssh(monkeypatch)
    access = _fake_access("ssh -p 2222 ssh-0123456789abcdef@127.0.0.1")
    with pytest.raises(RuntimeError, match=r"install OpenSSH .*asyncssh"):
        ssh_login.run_command(access, "true")


class _RecordedSsh:
    """Stands in for ``subprocess.run`` in ssh_login: records what ``ssh`` would get."""

    def __init__(self, returncode: int = 0, stderr: str = "") -> None:
        self.returncode = returncode
        self.stderr = stderr
        self.argv: list[str] = []
        self.env: dict[str, str] = {}
        self.modes: dict[str, int] = {}
        self.askpass_output = ""

    def __call__(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.argv = list(argv)
        self.env = dict(kwargs["env"])
        askpass = self.env["SSH_ASKPASS"]
        private = os.path.dirname(askpass)
        for path in (private, *(os.path.join(private, n) for n in os.listdir(private))):
            self.modes[os.path.basename(path)] = stat.S_IMODE(os.stat(path).st_mode)
        self.askpass_output = subprocess.check_output([askpass], text=True)
        assert kwargs["stdin"] == subprocess.DEVNULL
        return subprocess.CompletedProcess(argv, self.returncode, "out\n", self.stderr)

    def option(self, name: str) -> list[str]:
        return [a.partition("=")[2] for a in self.argv if a.startswith(f"-o{name}=")]


def test_openssh_password_goes_through_a_private_askpass_file(
    ssh_login: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAP0_API_KEY", "key-that-ssh-never-sees")
    monkeypatch.delenv("DISPLAY", raising=False)
    fake = _with_recorded_ssh(ssh_login, monkeypatch)
    access = _fake_access("ssh -p 2222 ssh-0123456789abcdef@127.0.0.1")

    assert ssh_login.run_openssh(access, "echo hi", access.password) == "out\n"

    assert not any(access.password in word for word in fake.argv)
    assert fake.askpass_output == access.password + "\n"
    private = os.path.basename(os.path.dirname(fake.env["SSH_ASKPASS"]))
    assert fake.modes == {private: 0o700, "password": 0o600, "askpass": 0o700}
    assert not os.path.exists(os.path.dirname(fake.env["SSH_ASKPASS"]))  # removed after
    assert fake.env["SSH_ASKPASS_REQUIRE"] == "force"
    assert fake.env["DISPLAY"]
    assert "LEAP0_API_KEY" not in fake.env
    assert fake.argv[0] == "ssh"
    destination = ["-p", "2222", "-l", "ssh-0123456789abcdef", "--", "127.0.0.1", "echo hi"]
    assert fake.argv[-7:] == destination
    assert fake.option("PreferredAuthentications") == ["password,keyboard-interactive"]
    assert fake.option("PubkeyAuthentication") == ["no"]
    assert fake.option("NumberOfPasswordPrompts") == ["1"]
    # loopback: the emulator's new host key each run is not pinned
    assert fake.option("StrictHostKeyChecking") == ["no"]
    assert fake.option("UserKnownHostsFile") == ["/dev/null"]
    assert fake.option("LogLevel") == ["ERROR"]


def test_openssh_accepts_a_new_host_key_only_for_another_host(
    ssh_login: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _with_recorded_ssh(ssh_login, monkeypatch)
    access = _fake_access("ssh -p 22 ssh-0123456789abcdef@ssh.leap0.dev")
    ssh_login.run_openssh(access, "true", access.password)
    assert fake.option("StrictHostKeyChecking") == ["accept-new"]
    assert fake.option("UserKnownHostsFile") == []


def test_openssh_never_runs_the_service_command_line(
    ssh_login: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _with_recorded_ssh(ssh_login, monkeypatch)
    # Options from the service are dropped: only its user, host and port are used.
    access = _fake_access("ssh -oProxyCommand=touch+/tmp/x -p 2200 ssh-0123456789abcdef@h.test")
    ssh_login.run_openssh(access, "true", access.password)
    assert not any("ProxyCommand" in a for a in fake.argv)
    assert fake.argv[fake.argv.index("--") + 1] == "h.test"
    # A host that reads as an option is refused before ssh runs.
    fake.argv = []
    hostile = _fake_access("ssh -p 22 ssh-0123456789abcdef@-oLocalCommand=x")
    with pytest.raises(Leap0ResponseError):
        ssh_login.run_openssh(hostile, "true", hostile.password)
    assert fake.argv == []


def test_openssh_refused_login_is_login_refused(
    ssh_login: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    denied = "ssh-0123456789abcdef@127.0.0.1: Permission denied (password).\n"
    _with_recorded_ssh(ssh_login, monkeypatch, 255, denied)
    access = _fake_access("ssh -p 2222 ssh-0123456789abcdef@127.0.0.1")
    with pytest.raises(ssh_login.LoginRefused):
        ssh_login.run_openssh(access, "true", access.password)
    unreachable = "ssh: connect to host 127.0.0.1 port 2222: Connection refused\n"
    _with_recorded_ssh(ssh_login, monkeypatch, 255, unreachable)
    with pytest.raises(RuntimeError, match="Connection refused"):
        ssh_login.run_openssh(access, "true", access.password)
