"""``leap0 auth login | status | logout`` and the profile file they keep, against the emulator.

``XDG_CONFIG_HOME`` is each test's own directory (``conftest.own_config``).
"""

from __future__ import annotations

import argparse
import json
import os
import stat
from pathlib import Path

import pytest

from leap0._cli import manual
from leap0._cli.context import Context
from leap0._cli.watchdog import Settings, Watchdog
from leap0.emulator import Emulator

from ._helpers import FakePopen, Run, fields, one_line


@pytest.fixture
def no_env(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The emulator, with neither its key nor its URL in the environment."""
    monkeypatch.delenv("LEAP0_API_KEY")
    monkeypatch.delenv("LEAP0_BASE_URL")
    return emu


def _file(config: str) -> Path:
    return Path(config) / "leap0" / "config.json"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _login(cli: Run, emu: Emulator, *argv: str) -> None:
    result = cli("auth", "login", "--base-url", emu.base_url, *argv, stdin=emu.api_key + "\n")
    assert result.code == 0, result.err
    assert emu.api_key not in result.out + result.err


def test_login_stores_the_key_privately_status_hides_it_logout_removes_it(
    cli: Run, no_env: Emulator, own_config: str
) -> None:
    emu = no_env
    assert cli("sandbox", "list").code == 2  # no key anywhere
    result = cli("auth", "login", "--base-url", emu.base_url, stdin=emu.api_key + "\n")
    assert result.code == 0, result.err
    path = _file(own_config)
    assert result.out == (
        f"logged in: profile 'default' (****{emu.api_key[-4:]}, {emu.base_url}) stored in {path}\n"
    )
    assert (_mode(path), _mode(path.parent)) == (0o600, 0o700)
    stored = json.loads(path.read_text())
    assert stored == {"profiles": {"default": {"api_key": emu.api_key, "base_url": emu.base_url}}}
    assert emu.attempts("GET", "/v1/sandboxes") == 1  # checked before it was stored

    listed = cli("sandbox", "list")
    assert (listed.code, listed.out) == (0, "no sandboxes\n")

    status = cli("auth", "status")
    assert status.code == 0
    assert emu.api_key not in status.out + status.err
    assert fields(status.out) == {
        "logged_in": "true",
        "profile": "default (default)",
        "api_key": f"****{emu.api_key[-4:]} (profile file)",
        "base_url": f"{emu.base_url} (profile file)",
        "ssh_api": "auto (default)",
        "config_file": str(path),
    }

    out = cli("auth", "logout")
    assert (out.code, out.out) == (0, f"logged out: removed profile 'default' from {path}\n")
    assert not path.exists()  # no profile left: no file
    assert cli("sandbox", "list").code == 2
    status = cli("auth", "status")
    assert status.code == 1
    assert fields(status.out)["logged_in"] == "false"
    assert "no API key: 'leap0 auth login' stores one" in status.err


def test_a_key_the_service_refuses_is_not_stored(
    cli: Run, no_env: Emulator, own_config: str
) -> None:
    result = cli("auth", "login", "--base-url", no_env.base_url, stdin="wrong-key\n")
    assert (result.code, result.out) == (1, "")
    assert "401" in result.err
    assert "the key was not stored" in result.err
    assert "wrong-key" not in result.err
    assert not _file(own_config).exists()


def test_login_prompts_without_echo_on_a_terminal(
    cli: Run, no_env: Emulator, monkeypatch: pytest.MonkeyPatch, own_config: str
) -> None:
    import getpass
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    prompts: list[str] = []

    def ask(prompt: str = "") -> str:
        prompts.append(prompt)
        return no_env.api_key

    monkeypatch.setattr(getpass, "getpass", ask)
    monkeypatch.setattr("sys.stdin", Terminal("not this\n"))
    result = cli("auth", "login", "--base-url", no_env.base_url)
    assert result.code == 0, result.err
    assert prompts == ["Leap0 API key: "]
    assert json.loads(_file(own_config).read_text())["profiles"]["default"]["api_key"] == (
        no_env.api_key
    )


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["--api-key", "k"], "k\n", "not --api-key"),
        ([], "\n", "no API key given"),
        (["--profile=-x"], "k\n", "a profile name is 1 to 64 letters"),
        (["--profile", "a b"], "k\n", "a profile name is 1 to 64 letters"),
    ],
)
def test_login_refuses_before_sending(
    cli: Run, no_env: Emulator, argv: list[str], stdin: str, message: str, own_config: str
) -> None:
    result = cli("auth", "login", *argv, stdin=stdin)
    assert result.code == 2
    assert message in result.err
    assert no_env.attempts("GET", "/v1/sandboxes") == 0
    assert not _file(own_config).exists()


def test_profiles_by_flag_and_variable(
    cli: Run, no_env: Emulator, monkeypatch: pytest.MonkeyPatch, own_config: str
) -> None:
    emu = no_env
    _login(cli, emu, "--profile", "work", "--ssh-api", "per-credential")
    assert cli("sandbox", "list").code == 2  # "default" is not stored
    missing = cli("sandbox", "list", "--profile", "home")
    assert missing.code == 2
    assert "profile 'home' (flag --profile) is not in" in missing.err
    assert "'leap0 auth login --profile home' adds it" in missing.err
    assert cli("--profile", "work", "sandbox", "list").code == 0
    monkeypatch.setenv("LEAP0_PROFILE", "work")
    assert cli("sandbox", "list").code == 0
    status = fields(cli("auth", "status").out)
    assert status["profile"] == "work (environment LEAP0_PROFILE)"
    assert status["ssh_api"] == "per-credential (profile file)"
    monkeypatch.setenv("LEAP0_PROFILE", "no/such")
    bad = cli("sandbox", "list")
    assert (bad.code, one_line(bad.err).startswith("leap0: sandbox list: LEAP0_PROFILE: ")) == (
        2,
        True,
    )
    monkeypatch.delenv("LEAP0_PROFILE")

    _login(cli, emu)  # a second profile, in the same file
    assert set(json.loads(_file(own_config).read_text())["profiles"]) == {"default", "work"}
    assert cli("auth", "logout", "--profile", "work").code == 0
    assert set(json.loads(_file(own_config).read_text())["profiles"]) == {"default"}
    again = cli("auth", "logout", "--profile", "work")
    assert again.code == 0
    assert again.out.startswith("not logged in: there is no profile 'work' in ")


def test_the_environment_and_flags_win_over_the_file(
    cli: Run, no_env: Emulator, monkeypatch: pytest.MonkeyPatch, own_config: str
) -> None:
    emu = no_env
    _login(cli, emu)
    stored = json.loads(_file(own_config).read_text())
    stored["profiles"]["default"].update(api_key="stale-key", base_url="http://127.0.0.1:9")
    _file(own_config).write_text(json.dumps(stored))  # 0600 already

    assert cli("sandbox", "list").code == 1  # the file's port 9 answers nothing
    monkeypatch.setenv("LEAP0_BASE_URL", emu.base_url)
    refused = cli("sandbox", "list")  # the file's stale key
    assert refused.code == 1
    assert "401" in refused.err
    monkeypatch.setenv("LEAP0_API_KEY", emu.api_key)
    assert cli("sandbox", "list").code == 0
    monkeypatch.delenv("LEAP0_API_KEY")
    assert cli("sandbox", "list", "--api-key", emu.api_key).code == 0
    monkeypatch.delenv("LEAP0_BASE_URL")
    flags = cli("--api-key", emu.api_key, "--base-url", emu.base_url, "sandbox", "list")
    assert flags.code == 0

    data = cli("--json", "auth", "status", "--base-url", emu.base_url).json()
    assert data["api_key"] == {"value": "****", "source": "profile"}  # short: no end shown
    assert data["base_url"] == {"value": emu.base_url, "source": "flag"}
    assert data["ssh_api"] == {"value": "auto", "source": "default"}
    assert (data["logged_in"], data["config_file"]) == (True, str(_file(own_config)))


def test_the_key_is_given_to_the_client_not_to_the_environment(
    cli: Run, no_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read from the file, the key reaches the client as an argument; no variable is set."""
    import leap0

    _login(cli, no_env)
    given: list[object] = []
    real = leap0.Leap0Client.__init__

    def init(self: leap0.Leap0Client, *args: object, **kwargs: object) -> None:
        given.append(kwargs.get("api_key"))
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(leap0.Leap0Client, "__init__", init)
    assert cli("sandbox", "list").code == 0
    assert given == [no_env.api_key]
    assert "LEAP0_API_KEY" not in os.environ


def test_the_watchdog_gets_the_key_the_file_gave(
    cli: Run, no_env: Emulator, fake_ssh: type[FakePopen], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ssh connect``'s watchdog reaches the service as leap0 does: with the profile's key."""
    from leap0._cli import connect

    _login(cli, no_env)
    sandbox = cli("--format", "id", "sandbox", "create").out.strip()
    seen: list[str] = []
    real = connect.Watchdog.start

    def start(settings: Settings) -> Watchdog:
        seen.append(settings.api_key)
        return real(settings)

    monkeypatch.setattr(connect.Watchdog, "start", staticmethod(start))
    result = cli("ssh", "connect", sandbox, "--", "true")
    assert result.code == 0, result.err
    assert seen == [no_env.api_key]
    assert len(fake_ssh.calls) == 1
    assert no_env.api_key not in " ".join(fake_ssh.calls[0].argv)
    assert no_env.api_key not in fake_ssh.calls[0].env.values()


def test_commands_to_run_by_hand_keep_the_profile_flag() -> None:
    args = argparse.Namespace(
        path=("ssh", "connect"), profile="work", base_url=None, ssh_api=None, api_key=None
    )
    line = manual.command(Context(args), "ssh", "delete", "sbx-1")
    assert line == "leap0 --profile work ssh delete sbx-1"


# -- the file and its directory ---------------------------------------------------------


def test_a_symlinked_directory_is_refused(
    cli: Run, no_env: Emulator, own_config: str, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (Path(own_config) / "leap0").symlink_to(elsewhere)
    login = cli("auth", "login", "--base-url", no_env.base_url, stdin=no_env.api_key + "\n")
    assert login.code == 2
    assert "is a symbolic link" in login.err
    assert list(elsewhere.iterdir()) == []
    assert "no API key: set LEAP0_API_KEY" in cli("sandbox", "list").err  # no file: no profile
    planted = elsewhere / "config.json"
    planted.write_text(json.dumps({"profiles": {"default": {"api_key": no_env.api_key}}}))
    planted.chmod(0o600)
    listed = cli("sandbox", "list")
    assert listed.code == 2
    assert "is a symbolic link" in one_line(listed.err)


@pytest.mark.skipif(os.name != "posix" or os.getuid() != 0, reason="chown needs root")
def test_a_directory_or_file_of_another_user_is_refused(
    cli: Run, no_env: Emulator, own_config: str
) -> None:
    _login(cli, no_env)
    path = _file(own_config)
    os.chown(path, 65534, 65534)
    assert "belongs to another user" in cli("sandbox", "list").err
    os.chown(path, 0, 0)
    os.chown(path.parent, 65534, 65534)
    result = cli("auth", "status")
    assert result.code == 2
    assert "belongs to another user" in result.err


def test_a_file_others_may_read_is_refused_and_a_symlinked_file_too(
    cli: Run, no_env: Emulator, own_config: str, tmp_path: Path
) -> None:
    _login(cli, no_env)
    path = _file(own_config)
    path.chmod(0o644)
    result = cli("sandbox", "list")
    assert result.code == 2
    assert f"'chmod 600 {path}'" in result.err
    path.chmod(0o600)
    assert cli("sandbox", "list").code == 0
    target = tmp_path / "target.json"
    path.rename(target)
    path.symlink_to(target)
    assert "is a symbolic link" in cli("sandbox", "list").err


def test_writing_is_atomic_private_and_narrows_a_wide_directory(
    cli: Run, no_env: Emulator, own_config: str
) -> None:
    directory = Path(own_config) / "leap0"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    old_umask = os.umask(0)  # a umask that would leave everything open changes nothing
    try:
        _login(cli, no_env)
        _login(cli, no_env, "--profile", "other")
    finally:
        os.umask(old_umask)
    assert sorted(p.name for p in directory.iterdir()) == ["config.json"]  # no temporary left
    assert (_mode(directory), _mode(directory / "config.json")) == (0o700, 0o600)


def test_a_file_that_is_not_a_profile_file_is_a_setup_problem(
    cli: Run, no_env: Emulator, own_config: str
) -> None:
    path = _file(own_config)
    path.parent.mkdir(mode=0o700)
    for text in ("not json", '{"profiles": []}', '{"profiles": {"default": {"api_key": 1}}}'):
        path.write_text(text)
        path.chmod(0o600)
        result = cli("sandbox", "list")
        assert result.code == 2
        assert "is not a leap0 profile file" in one_line(result.err)


def test_login_stores_the_environments_base_url_and_says_its_key_wins(
    cli: Run, emu: Emulator, own_config: str
) -> None:
    """``LEAP0_BASE_URL`` is what the key was checked with: stored; ``LEAP0_API_KEY`` wins later."""
    result = cli("auth", "login", stdin=emu.api_key + "\n")
    assert result.code == 0, result.err
    assert one_line(result.err) == (
        "leap0: LEAP0_API_KEY is set, and wins over the stored key where it is set"
    )
    stored = json.loads(_file(own_config).read_text())["profiles"]["default"]
    assert stored == {"api_key": emu.api_key, "base_url": emu.base_url}
