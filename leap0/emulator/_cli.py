"""``leap0 emulator``: run the local Leap0 emulator in the foreground."""

from __future__ import annotations

import argparse
import contextlib
import logging
import shlex
import signal
import sys
import threading
import types
from typing import Any

from ._server import missing_extra
from ._settings import (
    ISOLATION_MODES,
    MAX_CREDENTIALS_PER_SANDBOX,
    MAX_UNAUTHENTICATED,
    MIN_REQUEST_TIMEOUT,
    MIN_UNAUTHENTICATED,
    SSH_API_MODES,
    Settings,
)

__all__ = ["add_arguments", "main", "run"]

_ROUTES = {
    "both": "both (per-credential, and the original ones where a sandbox holds one credential)",
    "single": "single (the original ones: one credential per sandbox)",
    "per-credential": "per-credential (several credentials per sandbox)",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leap0 emulator")
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The emulator's options, description and epilog, on ``parser``.

    Also what ``leap0 emulator`` adds to its parser in the main command line
    (``leap0/_cli/emulator_commands.py``), so they are declared here only.
    """
    parser.description = (
        "Run a local Leap0 service (HTTP API and SSH server) until Ctrl-C "
        "(or SIGTERM or SIGHUP). Prints two lines, 'export LEAP0_BASE_URL=...' and "
        "'export LEAP0_API_KEY=...': paste them into another shell and leap0 "
        "there talks to this service. It holds at most "
        f"{Settings().max_sandboxes} sandboxes at once (--max-sandboxes): creating "
        "one more is a 409 until one is deleted. SSH sessions run each sandbox's "
        "commands in namespaces of its own where Linux allows it (--isolation), else as "
        "the current user on this machine; the banner says which."
    )
    parser.epilog = (
        "It needs the 'emulator' extra: from a clone of leap0, "
        'python -m pip install ".[emulator]".'
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--api-port", type=int, default=0, help="HTTP port (0: a free one)")
    parser.add_argument("--ssh-port", type=int, default=0, help="SSH port (0: a free one)")
    parser.add_argument("--api-key", default=None, help="API key to accept (default: random)")
    defaults = Settings()
    _duration(
        parser, "--ssh-lifetime", defaults.ssh_lifetime, "how long an SSH credential stays valid"
    )
    parser.add_argument(
        "--max-sandboxes",
        type=int,
        default=defaults.max_sandboxes,
        help="sandboxes that may exist at once; one more is a 409 (default: %(default)s)",
    )
    parser.add_argument(
        "--ssh-api",
        choices=SSH_API_MODES,
        default=defaults.ssh_api,
        help=(
            "which SSH routes to serve: 'single' (the original ones: one credential per "
            "sandbox, DELETE .../ssh/access, POST .../ssh/validate and .../ssh/regen), "
            "'per-credential' (the later ones: several credentials per sandbox, at most "
            f"{MAX_CREDENTIALS_PER_SANDBOX}, DELETE .../ssh/ID, POST .../ssh/ID/validate and "
            ".../ssh/ID/regen) or 'both' (both route sets, several credentials per sandbox "
            "as with 'per-credential'; the original DELETE .../ssh/access and POST "
            ".../ssh/regen answer 409 while the sandbox holds more than one, and POST "
            ".../ssh/validate names its credential, so it always works; "
            "default: %(default)s)"
        ),
    )
    _duration(
        parser,
        "--request-timeout",
        defaults.request_timeout,
        "how long an HTTP client has to send a whole request before its connection is "
        f"closed, at least {MIN_REQUEST_TIMEOUT:g}",
    )
    _duration(
        parser,
        "--start-delay",
        defaults.start_delay,
        "how long a sandbox is 'starting' before it is 'running' (created, or started "
        "again), on the emulator's clock",
    )
    _duration(
        parser,
        "--stop-delay",
        defaults.stop_delay,
        "how long a stopped sandbox is 'stopping' before it is 'stopped', on the emulator's clock",
    )
    parser.add_argument(
        "--max-unauthenticated",
        type=int,
        metavar="N",
        default=defaults.max_unauthenticated,
        help=(
            "connections that have not authenticated yet (HTTP: no request with the API "
            "key; SSH: not logged in) that may wait on each port; one more closes the "
            f"oldest ({MIN_UNAUTHENTICATED} to {MAX_UNAUTHENTICATED}; default: %(default)s)"
        ),
    )
    parser.add_argument(
        "--isolation",
        choices=ISOLATION_MODES,
        default=defaults.isolation,
        help=(
            "how SSH sessions run: 'auto' in namespaces of their sandbox's own (Linux user "
            "namespaces: the host's / read-only, its own home, /tmp, processes and "
            "hostname) where the OS allows it, else as the current user with a warning; "
            "'required': refuse to start where sessions cannot be isolated; 'off': always "
            "as the current user, unisolated (default: %(default)s)"
        ),
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (anyone with the key can run commands here)",
    )
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="log level on stderr (info shows each request)",
    )


def _duration(parser: argparse.ArgumentParser, flag: str, default: float, text: str) -> None:
    """An option for a setting that is a number of seconds."""
    parser.add_argument(
        flag, type=float, metavar="SECONDS", default=default, help=f"{text} (default: %(default)g)"
    )


def _isolation_line(settings: Settings) -> str:
    """What the banner says of isolation: what is in force, and why when it is none."""
    if settings.isolation_in_force == "namespaces":
        return (
            "Isolation: namespaces (each sandbox's sessions: the host's / read-only, its own "
            "/home/user, /tmp, processes and hostname, no capability)."
        )
    if settings.isolation == "off":
        return "Isolation: none (--isolation off): SSH sessions run as the current user here."
    from ._isolation import isolation_available

    why = isolation_available() or "unknown"
    return (
        "WARNING: isolation: none: SSH sessions run as the current user on this machine, "
        f"unisolated ({why})."
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m leap0.emulator``; returns the process exit status."""
    return run(_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Run the emulator with the options :func:`add_arguments` declares, until it is stopped."""
    problem = missing_extra()
    if problem is not None:
        print(f"leap0 emulator: error: {problem}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from . import serve

    try:
        emulator = serve(
            api_key=args.api_key,
            host=args.host,
            api_port=args.api_port,
            ssh_port=args.ssh_port,
            ssh_lifetime=args.ssh_lifetime,
            max_sandboxes=args.max_sandboxes,
            ssh_api=args.ssh_api,
            request_timeout=args.request_timeout,
            start_delay=args.start_delay,
            stop_delay=args.stop_delay,
            max_unauthenticated=args.max_unauthenticated,
            isolation=args.isolation,
            allow_remote=args.allow_remote,
        )
    except ValueError as exc:
        print(f"leap0 emulator: error: {exc}", file=sys.stderr)
        return 2

    stop = threading.Event()

    def request_stop(signum: int, frame: types.FrameType | None) -> None:
        stop.set()

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        # A closed terminal (SIGHUP) stops it as cleanly as Ctrl-C or SIGTERM.
        names = ("SIGINT", "SIGTERM", "SIGHUP")
        for signum in [getattr(signal, name) for name in names if hasattr(signal, name)]:
            previous[signum] = signal.signal(signum, request_stop)
    try:
        try:
            emulator.start()
        except (RuntimeError, OSError) as exc:
            print(f"leap0 emulator: error: {exc}", file=sys.stderr)
            return 1
        try:
            with contextlib.suppress(BrokenPipeError):
                # Lines a POSIX shell takes as they are, pasted or through eval.
                print(f"export LEAP0_BASE_URL={shlex.quote(emulator.base_url)}")
                print(f"export LEAP0_API_KEY={shlex.quote(emulator.api_key)}")
                sys.stdout.flush()
            print(
                f"# Leap0 emulator: API {emulator.base_url}, "
                f"SSH {emulator.ssh_host} port {emulator.ssh_port}, "
                f"SSH routes: {_ROUTES[emulator.settings.ssh_api]}. Ctrl-C stops it.",
                file=sys.stderr,
                flush=True,
            )
            print(f"# {_isolation_line(emulator.settings)}", file=sys.stderr, flush=True)
            while not stop.wait(0.25):
                if not emulator.running:
                    print("leap0 emulator: error: the server stopped", file=sys.stderr)
                    return 1
        finally:
            emulator.stop()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 0
