"""Isolated SSH sessions (Linux user namespaces): what a session can and cannot reach.

Real logins with issued credentials (asyncssh). The tests that need
namespaces skip, naming why, where the machine refuses them; on Linux with
user namespaces (this project's machines and CI, as root) they run.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from leap0.emulator import Emulator, _isolation, serve

from ._helpers import create_access, create_sandbox, make_client, ssh_login

WHY_NOT = _isolation.isolation_available()
needs_namespaces = pytest.mark.skipif(
    WHY_NOT is not None, reason=f"sessions cannot be isolated here: {WHY_NOT}"
)
TIMEOUT = 15.0
KEY = "emu_isolation-" + secrets.token_urlsafe(16)


@pytest.fixture(scope="module")
def iso() -> Iterator[Emulator]:
    """An emulator that must isolate, whose API key is in its own environment too."""
    if WHY_NOT is not None:
        pytest.skip(f"sessions cannot be isolated here: {WHY_NOT}")
    before = os.environ.get("LEAP0_API_KEY")
    os.environ["LEAP0_API_KEY"] = KEY
    try:
        with serve(api_key=KEY, isolation="required", max_sandboxes=5) as emu:
            yield emu
    finally:
        if before is None:
            os.environ.pop("LEAP0_API_KEY", None)
        else:
            os.environ["LEAP0_API_KEY"] = before


@pytest.fixture
def api(iso: Emulator) -> Iterator[httpx.Client]:
    iso.reset()
    with make_client(iso) as client:
        yield client
    iso.reset()


def run(emu: Emulator, access: dict[str, Any], command: str, **kwargs: Any) -> Any:
    """Log in with ``access`` and run ``command``: asyncssh's result."""

    async def go() -> Any:
        async with await ssh_login(emu.ssh_host, emu.ssh_port, access, TIMEOUT) as conn:
            return await asyncio.wait_for(conn.run(command, **kwargs), TIMEOUT)

    return asyncio.run(go())


def new_login(api: httpx.Client, **body: Any) -> tuple[str, dict[str, Any]]:
    sandbox = create_sandbox(api, **body)
    return sandbox["id"], create_access(api, sandbox["id"])


def host_pids(argv: list[str]) -> list[int]:
    """The host's live processes whose command line is exactly ``argv``."""
    wanted = b"\0".join(a.encode() for a in argv) + b"\0"
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as handle:
                if handle.read() != wanted:
                    continue
            with open(f"/proc/{name}/stat", "rb") as handle:
                if handle.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X"):
                    continue
        except OSError:
            continue
        found.append(int(name))
    return found


def sleeper() -> list[str]:
    """A ``sleep`` command line no other process has."""
    return ["sleep", f"1000.{secrets.randbelow(10**9)}"]


def start_background(emu: Emulator, access: dict[str, Any], argv: list[str]) -> None:
    """Start ``argv`` in the background, out of the session's process group (which is
    killed when the session ends), and wait until the host sees it."""
    pidfile = f"/tmp/pid-{secrets.token_hex(4)}"
    command = (
        f"setsid nohup sh -c 'echo $$ > {pidfile}; exec {' '.join(argv)}' "
        f"</dev/null >/dev/null 2>&1 & while [ ! -s {pidfile} ]; do :; done"
    )
    result = run(emu, access, command)
    assert result.exit_status == 0, result.stderr
    for _ in range(1000):  # the exec after the pid file
        if host_pids(argv):
            return
        time.sleep(0.01)
    raise AssertionError("the background process did not start")


# -- what a session sees --------------------------------------------------------------


@needs_namespaces
def test_settings_say_what_is_in_force(iso: Emulator) -> None:
    assert iso.settings.isolation == "required"
    assert iso.settings.isolation_in_force == "namespaces"


@needs_namespaces
def test_the_host_filesystem_is_read_only(iso: Emulator, api: httpx.Client) -> None:
    _, access = new_login(api)
    probe = f"/etc/leap0-probe-{secrets.token_hex(4)}"
    result = run(iso, access, f"touch {probe}; echo status=$?")
    assert "status=0" not in result.stdout
    assert "Read-only file system" in result.stderr
    assert not os.path.exists(probe)
    # Its home and its /tmp are writable, and are the sandbox's directories on the host.
    result = run(iso, access, "echo $HOME; pwd; echo a > ~/a && echo b > /tmp/b && echo written")
    assert result.stdout.split() == ["/home/user", "/home/user", "written"]


@needs_namespaces
def test_user_hostname_and_hidden_directories(iso: Emulator, api: httpx.Client) -> None:
    sandbox_id, access = new_login(api)
    result = run(
        iso,
        access,
        "id -un; id -u; hostname; ls -A /home; (ls -A /root; ls -A /run) | wc -w; ls -A /tmp",
    )
    user, uid, hostname, home, hidden, *tmp = result.stdout.split()
    assert (user, uid, hostname, home, hidden) == ("user", "1000", sandbox_id, "user", "0")
    assert tmp == []
    # Root's secrets are not readable even when the emulator runs as root.
    assert run(iso, access, "cat /etc/shadow").exit_status != 0


@needs_namespaces
def test_only_the_sandboxs_processes_are_visible(iso: Emulator, api: httpx.Client) -> None:
    _, access = new_login(api)
    result = run(iso, access, "ls /proc | grep -c '^[0-9]'; ps -e | wc -l")
    procs, ps_lines = (int(n) for n in result.stdout.split())
    assert procs < 30 and ps_lines < 30, result.stdout
    # Not even the emulator's own process: its pid is not there, and it cannot be signalled.
    result = run(iso, access, f"kill -0 {os.getpid()}; echo status=$?")
    assert "status=0" not in result.stdout


@needs_namespaces
def test_tmp_is_the_sandboxs_own(iso: Emulator, api: httpx.Client) -> None:
    _, first = new_login(api)
    _, second = new_login(api)
    name = f"/tmp/leap0-{secrets.token_hex(4)}"
    assert run(iso, first, f"echo mine > {name}").exit_status == 0
    assert run(iso, first, f"cat {name}").stdout == "mine\n"
    result = run(iso, second, f"cat {name}")
    assert result.exit_status != 0 and result.stdout == ""
    assert not os.path.exists(name)  # nor is it the host's /tmp


@needs_namespaces
def test_the_api_key_is_out_of_reach(iso: Emulator, api: httpx.Client) -> None:
    control = "control-" + secrets.token_hex(8)
    _, access = new_login(api, env_vars={"CONTROL": control})
    # The values searched for are not in the command line itself (base64 there).
    script = (
        f'found=""; for wanted in "$(printf %s {base64.b64encode(KEY.encode()).decode()} | base64 -d)" "$(printf %s {base64.b64encode(control.encode()).decode()} | '
        'base64 -d)"; do hit=no; for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do '
        'c=$(tr "\\0" " " < "$f" 2>/dev/null); case "$c" in *"$wanted"*) hit=yes;; esac; '
        'done; case "$(env)" in *"$wanted"*) hit=yes;; esac; found="$found $hit"; done; '
        "echo $found"
    )
    result = run(iso, access, script)
    # The key: nowhere. The control (the sandbox's env_vars): found, so the search works.
    assert result.stdout.split() == ["no", "yes"], result.stderr


# -- what a session starts ends with its sandbox ----------------------------------------


@needs_namespaces
@pytest.mark.parametrize("how", ["delete", "stop", "pause", "timeout", "reset"])
def test_a_background_process_dies_with_its_sandbox(
    iso: Emulator, api: httpx.Client, how: str
) -> None:
    sandbox_id, access = new_login(api, timeout=60)
    argv = sleeper()
    start_background(iso, access, argv)
    if how == "timeout":
        iso.advance(61)
    elif how == "reset":
        iso.reset()
    elif how == "delete":
        assert api.delete(f"/v1/sandbox/{sandbox_id}").status_code in (200, 204)
    else:
        assert api.post(f"/v1/sandbox/{sandbox_id}/{how}").status_code in (200, 201)
    # Gone once the request returned: the sandbox's PID namespace ended with it.
    assert host_pids(argv) == []


@needs_namespaces
def test_a_background_process_dies_with_the_emulator() -> None:
    argv = sleeper()
    with serve(isolation="required") as emu, make_client(emu) as api:
        _, access = new_login(api)
        start_background(emu, access, argv)
    assert host_pids(argv) == []


@needs_namespaces
def test_deleting_a_credential_ends_only_its_processes(iso: Emulator, api: httpx.Client) -> None:
    sandbox_id, first = new_login(api)
    second = create_access(api, sandbox_id)
    mine, theirs = sleeper(), sleeper()
    start_background(iso, first, mine)
    start_background(iso, second, theirs)
    response = api.delete(f"/v1/sandbox/{sandbox_id}/ssh/{first['id']}")
    assert response.status_code in (200, 204), response.text
    assert host_pids(mine) == []
    assert host_pids(theirs) != []
    # The other credential's sessions go on; its process ends with the sandbox.
    assert run(iso, second, "echo still").stdout == "still\n"
    assert api.delete(f"/v1/sandbox/{sandbox_id}").status_code in (200, 204)
    assert host_pids(theirs) == []


# -- terminals and file transfers ---------------------------------------------------------


@needs_namespaces
def test_a_terminal_session_has_its_tty_job_control_and_size(
    iso: Emulator, api: httpx.Client
) -> None:
    _, access = new_login(api)

    async def go() -> tuple[str, int | None]:
        async with await ssh_login(iso.ssh_host, iso.ssh_port, access, TIMEOUT) as conn:
            sized = await conn.run("tty; stty size", term_type="xterm", term_size=(80, 24))
            assert str(sized.stdout).split()[1:] == ["24", "80"], sized.stdout
            assert str(sized.stdout).startswith("/dev/pts/"), sized.stdout
            process = await conn.create_process(term_type="xterm", term_size=(80, 24))
            process.stdin.write("tty\nsleep 100 &\njobs\n")
            process.change_terminal_size(120, 40)
            process.stdin.write("stty size; kill %1; wait; echo done-$((6*7))\nexit\n")
            output = await asyncio.wait_for(process.stdout.read(), TIMEOUT)
            await asyncio.wait_for(process.wait_closed(), TIMEOUT)
            return str(output), process.exit_status

    output, status = asyncio.run(go())
    assert status == 0, output
    assert "/dev/pts/" in output and "not a tty" not in output
    assert "40 120" in output
    assert "Running" in output and "sleep 100" in output
    assert "done-42" in output


@needs_namespaces
def test_sftp_files_are_the_sessions_files(iso: Emulator, api: httpx.Client) -> None:
    _, access = new_login(api)

    async def put() -> None:
        async with (
            await ssh_login(iso.ssh_host, iso.ssh_port, access, TIMEOUT) as conn,
            conn.start_sftp_client() as sftp,
        ):
            await sftp.mkdir("/home/user/made")
            async with sftp.open("/home/user/made/f", "w") as handle:
                await handle.write("from sftp\n")

    asyncio.run(put())
    # The session reads it, and (the sandbox user owning what SFTP made) writes there too.
    result = run(iso, access, "cat ~/made/f && echo more >> ~/made/f && touch ~/made/g && echo ok")
    assert result.stdout == "from sftp\nok\n", result.stderr


@needs_namespaces
@pytest.mark.skipif(
    shutil.which("rsync") is None or shutil.which("ssh") is None,
    reason="needs rsync and OpenSSH's ssh",
)
def test_rsync_over_ssh_runs_in_the_sandbox(
    iso: Emulator, api: httpx.Client, tmp_path: Any
) -> None:
    _, access = new_login(api)
    source = tmp_path / "src"
    source.mkdir()
    (source / "f").write_text("synced\n")
    askpass = tmp_path / "askpass"
    askpass.write_text('#!/bin/sh\nprintf "%s\\n" "$LEAP0_TEST_SSH_PASSWORD"\n')
    askpass.chmod(0o700)
    ssh = (
        f"ssh -p {iso.ssh_port} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
        "-o LogLevel=ERROR -o PreferredAuthentications=password -o PubkeyAuthentication=no"
    )
    env = {
        **os.environ,
        "SSH_ASKPASS": str(askpass),
        "SSH_ASKPASS_REQUIRE": "force",
        "DISPLAY": os.environ.get("DISPLAY", ":0"),
        "LEAP0_TEST_SSH_PASSWORD": access["password"],
    }
    done = subprocess.run(
        ["rsync", "-a", "-e", ssh, f"{source}/", f"{access['id']}@127.0.0.1:dst/"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result = run(iso, access, "cat /home/user/dst/f; stat -c %U /home/user/dst/f")
    assert result.stdout == "synced\nuser\n"


# -- where namespaces are refused ---------------------------------------------------------------


REFUSED = "user namespaces are refused here: unshare(CLONE_NEWUSER): simulated (errno 28)"


@pytest.fixture
def refused(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A machine that refuses namespaces, as far as the emulator can tell."""
    monkeypatch.setattr(_isolation, "_probe", lambda: REFUSED)
    _isolation.isolation_available.cache_clear()
    yield
    monkeypatch.undo()
    _isolation.isolation_available.cache_clear()


def test_required_refuses_to_start_where_namespaces_are_refused(refused: None) -> None:
    emu = serve(isolation="required")
    with pytest.raises(RuntimeError, match="isolation='required'") as raised:
        emu.start()
    assert REFUSED in str(raised.value)
    assert not emu.running


def test_auto_starts_unisolated_with_a_warning(
    refused: None, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="leap0.emulator"),
        serve(isolation="auto") as emu,
        make_client(emu) as api,
    ):
        assert emu.settings.isolation == "auto"
        assert emu.settings.isolation_in_force == "none"
        _, access = new_login(api)
        result = run(emu, access, "id -u; pwd; echo $TMPDIR")
    uid, home, tmp = result.stdout.split()
    assert uid == str(os.getuid())
    assert home.endswith("/home") and tmp.endswith("/tmp") and home != "/home/user"
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("NOT isolated" in m and REFUSED in m for m in warned), warned


def test_off_runs_unisolated_without_looking() -> None:
    with serve(isolation="off") as emu:
        assert emu.settings.isolation_in_force == "none"


def test_isolation_is_fixed_at_start() -> None:
    with serve(isolation="off") as emu, make_client(emu) as api:
        response = api.post("/_emulator/config", json={"isolation": "auto"})
        assert response.status_code == 400
        assert "fixed when the emulator starts" in response.text
        assert "isolation" not in api.get("/_emulator/config").json()
    with pytest.raises(ValueError, match="isolation"):
        serve(isolation="sometimes")  # type: ignore[arg-type]


@pytest.mark.skipif(
    shutil.which("unshare") is None or not sys.platform.startswith("linux"),
    reason="needs util-linux unshare to make a machine that refuses user namespaces",
)
@pytest.mark.parametrize("mode", ["required", "auto"])
def test_the_command_line_on_a_machine_that_refuses_namespaces(mode: str) -> None:
    """``leap0 emulator`` where the kernel refuses new user namespaces (their limit is 0)."""
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "true"], capture_output=True, timeout=30
    )
    if probe.returncode != 0:
        pytest.skip("no user namespace to set the limit in")
    script = (
        "echo 0 > /proc/sys/user/max_user_namespaces && exec "
        f"{sys.executable} -m leap0.emulator --isolation {mode}"
    )
    proc = subprocess.Popen(
        ["unshare", "--user", "--map-root-user", "sh", "-c", script],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if mode == "required":
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 1, err
            assert "isolation='required'" in err
            assert "user namespaces are refused here" in err
            return
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().startswith("export LEAP0_BASE_URL=")
        while True:  # the log's warning first, then the banner's lines
            line = proc.stderr.readline()
            assert line, "the emulator exited"
            if line.startswith("# ") and "solation" in line:
                break
        assert line.startswith("# WARNING: isolation: none"), line
        assert "user namespaces are refused here" in line
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.communicate(timeout=30)


def test_view_maps_session_paths_to_the_host() -> None:
    view = _isolation.View.for_sandbox("/state/sbx-1", isolated=True)
    assert (view.home, view.tmp) == ("/home/user", "/tmp")
    assert view.to_host("/home/user") == ("/state/sbx-1/home", True)
    assert view.to_host("/home/user/a/b") == ("/state/sbx-1/home/a/b", True)
    assert view.to_host("/tmp/x") == ("/state/sbx-1/tmp/x", True)
    assert view.to_host("/usr/bin/env") == ("/usr/bin/env", False)
    for hidden in ("/home", "/home/other", "/root", "/run/x", "/proc/1/environ", "/dev/sda"):
        assert view.to_host(hidden) is None
    assert view.to_host("/state/sbx-2/home") is None  # another sandbox's directory
    assert view.to_host("/home/username") is None
    plain = _isolation.View.for_sandbox("/state/sbx-1", isolated=False)
    assert (plain.home, plain.tmp) == ("/state/sbx-1/home", "/state/sbx-1/tmp")
    assert plain.to_host("/etc/passwd") == ("/etc/passwd", True)
