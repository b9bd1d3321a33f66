"""Starting and stopping emulators: serve(), the CLI, the pytest plugin, lazy imports."""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from leap0.emulator import Emulator, serve
from leap0.emulator._faults import MAX_DELAY

from ._helpers import NEW, create_access, create_sandbox, make_async_client, make_client

HEAVY = ("starlette", "uvicorn", "asyncssh")


def _emulator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "leap0-emulator"]


def _sandbox_dir(emu: Emulator, sandbox_id: str) -> Path:
    assert emu._root is not None
    return Path(emu._root) / sandbox_id


def test_with_block_starts_and_stops_everything() -> None:
    before = set(_emulator_threads())
    with serve(api_key="k-123", max_sandboxes=1, ssh_lifetime=60) as emu:
        assert emu.running
        assert emu.api_key == "k-123"
        assert emu.base_url == f"http://127.0.0.1:{emu.api_port}"
        assert emu.ssh_host == "127.0.0.1"
        assert emu.ssh_port > 0
        assert emu.env() == {"LEAP0_BASE_URL": emu.base_url, "LEAP0_API_KEY": "k-123"}
        assert "k-123" not in repr(emu)
        with make_client(emu) as api:
            sandbox = create_sandbox(api)
            assert api.post("/v1/sandbox/", json=NEW).status_code == 409
            create_access(api, sandbox["id"])
        root = emu._root
        assert root is not None
        assert _sandbox_dir(emu, sandbox["id"]).is_dir()
        base_url = emu.base_url
    assert not emu.running
    assert set(_emulator_threads()) == before
    assert not os.path.exists(root)
    with pytest.raises(RuntimeError):
        _ = emu.base_url
    with pytest.raises(RuntimeError):
        emu.reset()
    with httpx.Client(trust_env=False) as client, pytest.raises(httpx.ConnectError):
        client.get(base_url + "/v1/sandboxes", timeout=2)


async def test_async_with_block() -> None:
    before = set(_emulator_threads())
    async with serve() as emu:
        assert emu.api_key.startswith("emu_")
        async with make_async_client(emu) as client:
            response = await client.post("/v1/sandbox/", json=NEW)
            assert response.status_code == 201
    assert not emu.running
    assert set(_emulator_threads()) == before


def test_start_and_stop_explicitly_and_restart() -> None:
    emu = serve().start()
    try:
        with pytest.raises(RuntimeError):
            emu.start()
        with make_client(emu) as api:
            create_sandbox(api)
    finally:
        emu.stop()
    emu.stop()  # idempotent
    with emu, make_client(emu) as api:  # a stopped emulator can start again, empty
        assert api.get("/v1/sandboxes").json()["total_items"] == 0


def test_stop_does_not_wait_for_delayed_requests() -> None:
    before = set(_emulator_threads())
    with serve() as emu:
        # An hour's delay, far longer than stop() waits for the server's thread.
        emu.inject("GET", "/v1/sandboxes", {"delay": MAX_DELAY})
        with make_client(emu, timeout=0.2) as api, pytest.raises(httpx.ReadTimeout):
            api.get("/v1/sandboxes")
    # Had stop() waited for the delayed answer, the thread would still be running.
    assert not emu.running
    assert set(_emulator_threads()) == before


def test_stop_ends_ssh_sessions_and_their_processes() -> None:
    code = """
import asyncio, asyncssh, httpx
from leap0.emulator import serve

async def main():
    with serve(isolation="off") as emu:
        with httpx.Client(base_url=emu.base_url, headers={"leap0-authorization": emu.api_key}) as c:
            sid = c.post("/v1/sandbox/", json={"template_name": "system/debian:bookworm"}).json()["id"]
            acc = c.post(f"/v1/sandbox/{sid}/ssh/access").json()
        conn = await asyncssh.connect(emu.ssh_host, emu.ssh_port, username=acc["id"],
            password=acc["password"], known_hosts=None, client_keys=None, agent_path=None,
            config=None)
        proc = await conn.create_process("echo $$; exec sleep 60")
        print(int(await proc.stdout.readline()), emu._root, flush=True)
    await asyncio.wait_for(conn.wait_closed(), 10)

asyncio.run(main())
"""
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    pid, root = result.stdout.split()
    assert not os.path.exists(root)
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid), 0)


def test_exit_without_stop_still_cleans_up() -> None:
    code = "from leap0.emulator import serve\nemu = serve().start()\nprint(emu._root)\n"
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert not os.path.exists(result.stdout.strip())


def test_two_emulators_side_by_side() -> None:
    with serve() as one, serve() as two:
        assert one.base_url != two.base_url
        assert one.ssh_port != two.ssh_port
        with make_client(one) as api:
            create_sandbox(api)
        with make_client(two) as api:
            assert api.get("/v1/sandboxes").json()["total_items"] == 0


def test_fixed_ports() -> None:
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    with serve(api_port=ports[0], ssh_port=ports[1]) as emu:
        assert (emu.api_port, emu.ssh_port) == (ports[0], ports[1])


def test_busy_port_fails_cleanly() -> None:
    before = set(_emulator_threads())
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        emu = serve(api_port=busy.getsockname()[1])
        with pytest.raises(RuntimeError, match="failed to start"):
            emu.start()
    assert not emu.running
    assert set(_emulator_threads()) == before


@pytest.mark.parametrize(
    "kwargs",
    [
        {"host": "0.0.0.0"},
        {"host": "192.0.2.1"},
        {"api_port": -1},
        {"ssh_port": 70000},
        {"ssh_lifetime": 0},
        {"max_sandboxes": -1},
        {"api_key": ""},
        {"api_key": "has space"},
    ],
)
def test_bad_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        serve(**kwargs)


def test_remote_host_needs_allow_remote_and_warns(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="allow_remote"):
        serve(host="0.0.0.0")
    with serve(host="0.0.0.0", allow_remote=True) as emu:
        assert emu.ssh_host == "127.0.0.1"
        with make_client(emu) as api:
            access = create_access(api, create_sandbox(api)["id"])
        assert access["ssh_command"].endswith("@127.0.0.1")
    err = capsys.readouterr().err
    assert "warning" in err.lower()
    assert "isolation" in err.lower()


def test_localhost_resolves_to_one_address() -> None:
    with serve(host="localhost") as emu:
        assert emu.ssh_host in ("127.0.0.1", "::1")
        with make_client(emu) as api:
            assert api.get("/v1/sandboxes").status_code == 200


# -- lazy imports and the pytest plugin -----------------------------------------------


def test_importing_the_package_and_plugin_stays_light() -> None:
    code = (
        "import sys, leap0.emulator, leap0_pytest_plugin\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True, timeout=60)


def test_fixture_part_one_dirties_the_emulator(
    leap0_emulator: Emulator, leap0_emulator_server: Emulator
) -> None:
    assert leap0_emulator is leap0_emulator_server
    leap0_emulator.configure(max_sandboxes=9)
    leap0_emulator.inject("GET", "/v1/sandboxes", {"status": 500})
    with make_client(leap0_emulator) as api:
        create_sandbox(api)


def test_fixture_part_two_starts_clean(leap0_emulator: Emulator) -> None:
    with make_client(leap0_emulator) as api:
        response = api.get("/v1/sandboxes")
        assert response.json() == {"items": [], "total_items": 0}
        assert api.get("/_emulator/config").json() == {
            "ssh_lifetime": 3600.0,
            "max_sandboxes": 3,
            "ssh_api": "both",
            "request_timeout": 30.0,
            "start_delay": 0.0,
            "stop_delay": 0.0,
            "max_unauthenticated": 256,
            "templates": [
                "system/debian:bookworm",
                "system/code-interpreter:v0.1.0",
                "system/desktop:v0.1.0",
            ],
        }
    assert leap0_emulator.attempts("GET", "/v1/sandboxes") == 1


# -- the command line -------------------------------------------------------------------


def _read_lines(proc: subprocess.Popen[bytes], count: int, timeout: float) -> list[str]:
    """The first ``count`` stdout lines, waiting at most ``timeout`` for each chunk."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while buffer.count(b"\n") < count:
            if not selector.select(timeout):
                raise AssertionError(f"no output from the emulator; got {buffer!r}")
            chunk = os.read(fd, 4096)
            if not chunk:
                raise AssertionError(f"the emulator exited early; got {buffer!r}")
            buffer += chunk
    return buffer.decode().splitlines()[:count]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_cli_prints_exports_and_stops_on_signal(signum: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-W", "error", "-m", "leap0.emulator", "--api-key", "cli-key",
         "--max-sandboxes", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        lines = _read_lines(proc, 2, timeout=20)
        assert lines[0].startswith("export LEAP0_BASE_URL=http://127.0.0.1:")
        assert lines[1] == "export LEAP0_API_KEY=cli-key"
        base_url = lines[0].split("=", 1)[1]
        with httpx.Client(
            base_url=base_url, headers={"leap0-authorization": "cli-key"}, trust_env=False
        ) as api:
            assert api.post("/v1/sandbox/", json=NEW).status_code == 201
            assert api.post("/v1/sandbox/", json=NEW).status_code == 409
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, stderr
    assert stdout == b""
    assert b"SSH" in stderr
    assert b"Traceback" not in stderr


def test_cli_refuses_remote_host_without_flag() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "leap0.emulator", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "allow-remote" in result.stderr
    assert result.stdout == ""


def test_cli_main_in_process(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    from leap0.emulator import _cli

    # Stop as soon as the emulator reports it is running.
    real_start = Emulator.start

    def start_then_interrupt(self: Emulator) -> Emulator:
        started = real_start(self)
        threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT)).start()
        return started

    monkeypatch.setattr(Emulator, "start", start_then_interrupt)
    previous = signal.getsignal(signal.SIGINT)
    assert _cli.main(["--api-key", "abc", "--ssh-lifetime", "5"]) == 0
    assert signal.getsignal(signal.SIGINT) is previous
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("export LEAP0_BASE_URL=http://127.0.0.1:")
    assert out[1] == "export LEAP0_API_KEY=abc"
