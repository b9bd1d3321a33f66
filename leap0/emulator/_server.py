"""Run the emulator's HTTP API and SSH server in one background thread.

This module is light: uvicorn, starlette and asyncssh are imported inside the
server thread, only when an emulator starts.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import dataclasses
import datetime
import importlib.util
import ipaddress
import logging
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import types
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, cast

from ._accept import quiet_accept_errors
from ._binding import bind, resolve, url_host
from ._faults import Fault, coerce_fault
from ._fdlimit import raise_open_files_limit
from ._settings import Isolation, IsolationInForce, Settings, SshApiMode
from ._state import SshEndpoint, State

__all__ = ["EXTRA_MODULES", "Emulator", "missing_extra", "serve"]

log = logging.getLogger("leap0.emulator")

_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 15.0
#: Seconds between two looks for sandboxes whose timeout passed.
_TICK = 1.0
_DEFAULTS = Settings()

EXTRA_MODULES = ("starlette", "uvicorn", "asyncssh")
"""What the ``emulator`` extra brings, imported only once an emulator starts."""


def missing_extra() -> str | None:
    """Why the emulator cannot start here (the extra's modules missing, and the fix), or None."""
    missing = [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return (
        f"the Leap0 emulator needs the 'emulator' extra, and {', '.join(missing)} "
        f"{'is' if len(missing) == 1 else 'are'} not installed: from a clone of leap0, "
        'run python -m pip install ".[emulator]" (or install its wheel with [emulator]: '
        'pip install "dist/leap0-VERSION-py3-none-any.whl[emulator]")'
    )


class Emulator:
    """A local Leap0 service: HTTP API plus SSH server, run in a background thread.

    ``serve(...)`` is ``Emulator(...)``: either prepares one, not yet running.
    ``with serve() as emu:`` (or ``async with``) starts it, and stops it on
    exit; ``start()``/``stop()`` work too. While running it exposes
    ``base_url``, ``api_key``, ``ssh_host``, ``ssh_port`` and ``settings``,
    the clock (:meth:`now`, :meth:`advance`), and the test helpers
    :meth:`inject`, :meth:`attempts`, :meth:`requests`, :meth:`reset` and
    :meth:`configure`.
    The helpers are thread-safe and may be called from any thread or event loop.

    Args:
        api_key: The key clients must send. A random ``emu_...`` key if None.
        host: Address both servers listen on. Loopback unless ``allow_remote``.
        api_port: HTTP port; 0 picks a free one.
        ssh_port: SSH port; 0 picks a free one.
        ssh_lifetime: Seconds an SSH credential stays valid after (re)issue.
        max_sandboxes: How many sandboxes may exist at once (409 beyond).
        ssh_api: Which SSH routes to serve: ``"both"`` (the seed's and the
            per-credential ones, several credentials per sandbox; the seed's
            delete and regenerate answer 409 while a sandbox holds more than
            one), ``"single"`` (only the seed's, one credential per sandbox)
            or ``"per-credential"`` (only the later ones, several credentials
            per sandbox).
        request_timeout: Seconds an HTTP client has to send a whole request;
            a connection that takes longer is closed. At least 0.1.
        start_delay: Seconds a sandbox is ``starting`` before ``running``
            (created, or started again).
        stop_delay: Seconds a stopped sandbox is ``stopping`` before ``stopped``.
        max_unauthenticated: How many connections that have not authenticated
            yet (HTTP: no request with the key; SSH: not logged in) may wait
            on each port; one more closes the oldest. 8 to 10,000.
        templates: The template names a sandbox may be created from (a create
            naming another is 400 on ``template_name``); by default
            ``system/debian:bookworm`` and the official SDKs' other defaults
            (``Settings.templates``).
        isolation: Whether SSH sessions run isolated: ``"auto"`` (the
            default) in namespaces of their sandbox's own where the OS allows
            it (Linux user namespaces), else as the current user on this
            machine, with a warning; ``"required"``: :meth:`start` raises
            (RuntimeError, naming why) where sessions cannot be isolated;
            ``"off"``: never. ``settings.isolation_in_force`` says which is
            in force once started (``"namespaces"`` or ``"none"``).
        allow_remote: Permit a non-loopback ``host``: anyone with the API key
            can run commands (isolated or not, see ``isolation``); a warning
            is printed.

    The settings' defaults and checks are :class:`Settings`'.

    Raises:
        ValueError: Bad arguments, or a non-loopback host without ``allow_remote``.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        api_port: int = 0,
        ssh_port: int = 0,
        ssh_lifetime: float = _DEFAULTS.ssh_lifetime,
        max_sandboxes: int = _DEFAULTS.max_sandboxes,
        ssh_api: SshApiMode = _DEFAULTS.ssh_api,
        request_timeout: float = _DEFAULTS.request_timeout,
        start_delay: float = _DEFAULTS.start_delay,
        stop_delay: float = _DEFAULTS.stop_delay,
        max_unauthenticated: int = _DEFAULTS.max_unauthenticated,
        templates: Sequence[str] = _DEFAULTS.templates,
        isolation: Isolation = _DEFAULTS.isolation,
        allow_remote: bool = False,
    ) -> None:
        if api_key is None:
            api_key = "emu_" + secrets.token_urlsafe(24)
        if not isinstance(api_key, str) or not api_key or api_key != api_key.strip():
            raise ValueError("api_key must be a non-empty string without surrounding spaces")
        if any(ord(c) < 0x21 or ord(c) > 0x7E for c in api_key):
            raise ValueError("api_key must consist of printable ASCII characters")
        for name, port in (("api_port", api_port), ("ssh_port", ssh_port)):
            if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
                raise ValueError(f"{name} must be an integer between 0 and 65535")
        self._settings = Settings(
            ssh_lifetime=ssh_lifetime,
            max_sandboxes=max_sandboxes,
            ssh_api=ssh_api,
            request_timeout=request_timeout,
            start_delay=start_delay,
            stop_delay=stop_delay,
            max_unauthenticated=max_unauthenticated,
            # Checked (a str is refused) and kept as a tuple by Settings.
            templates=cast("tuple[str, ...]", templates),
            isolation=isolation,
        )
        self._bind_host = resolve(host)
        address = ipaddress.ip_address(self._bind_host)
        self._remote = not address.is_loopback
        if self._remote and not allow_remote:
            raise ValueError(
                f"refusing to listen on non-loopback address {host!r}: anyone with the API "
                "key could run commands on this machine (with isolation or not, see "
                "isolation); pass allow_remote=True (--allow-remote) to do it anyway"
            )
        if address.is_unspecified:
            self._local_host = "::1" if address.version == 6 else "127.0.0.1"
        else:
            self._local_host = self._bind_host
        self._api_key = api_key
        self._in_force: IsolationInForce = "none"
        self._requested_ports = (api_port, ssh_port)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._state: State | None = None
        self._root: str | None = None
        self._api_port = 0
        self._ssh_port = 0
        self._ssh_host_key = ""

    def __repr__(self) -> str:
        if self.running:
            return f"<Emulator {self.base_url} ssh={self.ssh_host}:{self.ssh_port}>"
        return "<Emulator (stopped)>"

    # -- addresses -------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._state is not None and self._thread is not None and self._thread.is_alive()

    @property
    def api_key(self) -> str:
        """The API key clients must send."""
        return self._api_key

    @property
    def base_url(self) -> str:
        """The HTTP API's base URL, e.g. ``http://127.0.0.1:54321``."""
        self._check_running()
        return f"http://{url_host(self._local_host)}:{self._api_port}"

    @property
    def api_port(self) -> int:
        self._check_running()
        return self._api_port

    @property
    def ssh_host(self) -> str:
        """Host name for SSH clients (as in every ``ssh_command``)."""
        self._check_running()
        return self._local_host

    @property
    def ssh_port(self) -> int:
        self._check_running()
        return self._ssh_port

    @property
    def ssh_host_key(self) -> str:
        """The SSH server's public host key (``ssh-ed25519 AAAA...``), new at each start."""
        self._check_running()
        return self._ssh_host_key

    @property
    def ssh_known_hosts(self) -> str:
        """A ``known_hosts`` line for the SSH server, for strict host key checking."""
        host = self.ssh_host if self.ssh_port == 22 else f"[{self.ssh_host}]:{self.ssh_port}"
        return f"{host} {self.ssh_host_key}"

    def env(self) -> dict[str, str]:
        """``LEAP0_BASE_URL`` and ``LEAP0_API_KEY`` for this emulator."""
        return {"LEAP0_BASE_URL": self.base_url, "LEAP0_API_KEY": self.api_key}

    # -- test helpers ----------------------------------------------------------

    def inject(self, method: str, path: str, *faults: Fault | Mapping[str, Any]) -> None:
        """Script the next answers of ``method path``, one fault per request, in order.

        ``path`` is the request path, e.g. ``/v1/sandbox/sbx-1/ssh/access``; a
        trailing slash and any query string are ignored. Faults are
        :class:`Fault` objects or their dict form (see ``Fault.from_dict``).

        Raises:
            ValueError: A bad fault, or more faults (1,000) or bytes (8 MiB)
                waiting than the emulator keeps; nothing is queued then.
        """
        if not faults:
            raise ValueError("inject needs at least one fault")
        parsed = [coerce_fault(f) for f in faults]
        self._running_state().faults.inject(method, path, parsed)

    def attempts(self, method: str, path: str) -> int:
        """How many authenticated requests for ``method path`` arrived since the last reset.

        Requests are counted for the first 1,000 distinct method and path pairs
        after a reset; others report 0.
        """
        return self._running_state().faults.attempts(method, path)

    def requests(self) -> list[dict[str, Any]]:
        """The last requests of the Leap0 routes the emulator answered, oldest first.

        At most 1,000 (``MAX_RECORDED_REQUESTS``; older ones are forgotten),
        since the start or the last reset; those without the API key and the
        ``/_emulator/*`` routes' are not recorded. Each is ``{"method", "path",
        "query", "status", "request_id", "time", "body", "body_size"}``: the
        path as routes see it, the query as ``{name: value}``, ``status`` None
        if the client left before an answer, ``time`` the emulator's clock at
        its arrival (RFC 3339 UTC), ``body`` its JSON (None if there was none,
        or it is not JSON or larger than 16 KiB) with every field named like a
        secret (password, token, secret, api key, ...) as ``"***"``.
        """
        return self._running_state().recorder.entries()

    def reset(self) -> None:
        """Forget all sandboxes, credentials, faults, counters and recorded requests; restore
        settings and clock.

        Live SSH sessions are closed and sandbox directories removed; the clock
        goes back to the wall time.
        """
        self._running_state().reset()

    def now(self) -> datetime.datetime:
        """The emulator's time: what expiry, timeouts and every timestamp it answers read."""
        return _datetime(self._running_state().clock.now())

    def advance(self, seconds: float) -> datetime.datetime:
        """Move the emulator's clock ``seconds`` forward at once; return its new time.

        Whatever that time brings happens before this returns: credentials
        whose lifetime passed no longer validate or log in, sandboxes whose
        start or stop delay passed are ``running`` or ``stopped``, and sandboxes
        whose timeout passed are stopped (or paused), their SSH sessions closed
        and their processes killed. The clock only moves forward; :meth:`reset`
        sets it back to the wall time.

        Raises:
            ValueError: ``seconds`` is negative or not a finite number, or the
                clock would run more than a hundred years ahead.
        """
        return _datetime(self._running_state().advance(seconds))

    @property
    def settings(self) -> Settings:
        """The current settings (the start-up ones until :meth:`configure`)."""
        if self._state is None:
            return self._settings
        return self._state.settings

    def configure(
        self,
        *,
        ssh_lifetime: float | None = None,
        max_sandboxes: int | None = None,
        ssh_api: SshApiMode | None = None,
        request_timeout: float | None = None,
        start_delay: float | None = None,
        stop_delay: float | None = None,
        max_unauthenticated: int | None = None,
        templates: Sequence[str] | None = None,
    ) -> None:
        """Change settings until the next :meth:`reset`; None leaves a setting as is.

        Raises:
            ValueError: A bad value, or ``ssh_api`` switched to ``"single"``
                (one credential per sandbox) while some sandbox holds several
                credentials. Nothing changes then.
        """
        changes = {name: value for name, value in locals().items() if name != "self"}
        self._running_state().configure(changes)

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> Emulator:
        """Start both servers and wait until they listen. Returns ``self``."""
        self._launch()
        if not self._ready.wait(_START_TIMEOUT):
            self.stop()
            raise RuntimeError("the emulator did not start in time")
        self._raise_start_error()
        return self

    async def astart(self) -> Emulator:
        """Like :meth:`start`, without blocking the running event loop."""
        self._launch()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _START_TIMEOUT
        while not self._ready.is_set():
            if loop.time() > deadline:
                await self.astop()
                raise RuntimeError("the emulator did not start in time")
            await asyncio.sleep(0.005)
        self._raise_start_error()
        return self

    def stop(self) -> None:
        """Stop both servers, end SSH sessions, remove sandbox directories."""
        thread = self._request_stop()
        if thread is not None:
            thread.join(_STOP_TIMEOUT)
        self._cleanup()

    async def astop(self) -> None:
        """Like :meth:`stop`, without blocking the running event loop."""
        thread = self._request_stop()
        if thread is not None:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + _STOP_TIMEOUT
            while thread.is_alive() and loop.time() < deadline:
                await asyncio.sleep(0.005)
            thread.join(0.1)
        self._cleanup()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Emulator:
        return await self.astart()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        await self.astop()

    # -- internals -------------------------------------------------------------

    def _check_running(self) -> None:
        if self._state is None or not self._ready.is_set() or self._error is not None:
            raise RuntimeError("the emulator is not running; use 'with serve() as emu:'")

    def _running_state(self) -> State:
        self._check_running()
        assert self._state is not None
        return self._state

    def _raise_start_error(self) -> None:
        error = self._error
        if error is not None:
            self.stop()
            raise RuntimeError(f"the emulator failed to start: {error}") from error

    def _launch(self) -> None:
        problem = missing_extra()
        if problem is not None:
            raise ModuleNotFoundError(problem)
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("the emulator is already running")
            self._in_force = in_force = _isolation_in_force(self._settings.isolation)
            if self._remote:
                how = (
                    "in namespaces of their sandbox's own (isolation)"
                    if in_force == "namespaces"
                    else "as the current user on this machine with NO isolation"
                )
                sys.stderr.write(
                    f"warning: the Leap0 emulator listens on {self._bind_host}, reachable "
                    f"from other machines. It runs SSH commands {how}; anyone with the API "
                    "key can run anything there.\n"
                )
                sys.stderr.flush()
            raise_open_files_limit()  # sessions hold descriptors: the soft limit up to the hard
            self._root = tempfile.mkdtemp(prefix="leap0-emulator-")
            self._ready.clear()
            self._error = None
            self._thread = threading.Thread(
                target=self._thread_main, name="leap0-emulator", daemon=True
            )
            self._thread.start()
            atexit.register(self.stop)

    def _request_stop(self) -> threading.Thread | None:
        with self._lock:
            thread = self._thread
            loop, event = self._loop, self._stop_event
        if thread is None:
            return None
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(event.set)
        return thread

    def _cleanup(self) -> None:
        with self._lock:
            thread = self._thread
            if thread is not None and thread.is_alive():
                log.warning("the emulator thread did not stop in time")
                return
            if thread is not None:
                atexit.unregister(self.stop)
            self._thread = None
            self._loop = None
            self._stop_event = None
            self._state = None
            root, self._root = self._root, None
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)

    def _thread_main(self) -> None:
        try:
            _run_loop(self._main())
        except BaseException as exc:
            if not self._ready.is_set():
                self._error = exc
            else:
                log.exception("the emulator stopped with an error")
        finally:
            self._ready.set()

    async def _main(self) -> None:
        from ._app import EmulatorApp
        from ._ssh import SshService
        from ._uvicorn import ApiServer

        stop_event = asyncio.Event()
        quiet_accept_errors(asyncio.get_running_loop())
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._stop_event = stop_event
            root = self._root
        assert root is not None
        api_port, ssh_port = self._requested_ports
        socks: list[socket.socket] = []
        ssh: SshService | None = None
        api: ApiServer | None = None
        ticker: asyncio.Future[None] | None = None
        try:
            # Both addresses first, so that the state is whole from its start.
            ssh_sock = bind(self._bind_host, ssh_port)
            socks.append(ssh_sock)
            api_sock = bind(self._bind_host, api_port)
            socks.append(api_sock)
            endpoint = SshEndpoint(self._local_host, ssh_sock.getsockname()[1])
            settings = dataclasses.replace(self._settings, isolation_in_force=self._in_force)
            state = State(root=root, ssh=endpoint, settings=settings)
            ssh = SshService(state, ssh_sock)
            await ssh.start()
            app = EmulatorApp(state, self._api_key, stopping=stop_event)
            api = ApiServer(app, api_sock, state)
            await api.start()
            ticker = asyncio.ensure_future(_tick(state, stop_event))
            with self._lock:
                self._state = state
                self._ssh_port = endpoint.port
                self._api_port = api_sock.getsockname()[1]
                self._ssh_host_key = ssh.host_public_key
            if not stop_event.is_set():
                self._ready.set()
                await stop_event.wait()
        finally:
            stop_event.set()
            if ticker is not None:
                with contextlib.suppress(BaseException):
                    await ticker
            if api is not None:
                await api.stop()
            if ssh is not None:
                await ssh.close()
            for sock in socks:
                sock.close()


serve = Emulator


def _isolation_in_force(mode: Isolation) -> IsolationInForce:
    """What ``isolation=mode`` puts in force here; RuntimeError for "required" where it cannot."""
    if mode == "off":
        return "none"
    from ._isolation import isolation_available

    why = isolation_available()
    if why is None:
        return "namespaces"
    if mode == "required":
        raise RuntimeError(f"isolation='required', but SSH sessions cannot be isolated here: {why}")
    log.warning(
        "SSH sessions are NOT isolated: they run as the current user on this machine "
        "(isolation='auto': %s)",
        why,
    )
    return "none"


"""``serve(...)`` prepares an :class:`Emulator` (the same call): ``with serve() as emu:``."""


async def _tick(state: State, stop: asyncio.Event) -> None:
    """Look at the state every second, so that timeouts end their sessions unasked.

    A look costs what came due (a heap of deadlines); when something did, it
    runs in a worker thread, since ending sessions sweeps the processes they
    left (inline at interpreter exit, when no new thread may start).
    """
    while not stop.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), _TICK)
        try:
            if state.due():
                try:
                    await asyncio.to_thread(state.tick)
                except RuntimeError:  # the interpreter shuts down: no new threads
                    state.tick()
        except Exception:
            log.exception("ending the sessions of timed-out sandboxes failed")


def _datetime(ts: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)


def _run_loop(main: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run`` that also works while the interpreter shuts down.

    At exit (an emulator never stopped) Python 3.12+ refuses new threads, and
    ``asyncio.run`` starts one to shut its default executor down; here that step
    is skipped when it cannot run.
    """
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main)
    finally:
        try:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            with contextlib.suppress(RuntimeError):  # no new threads at interpreter exit
                loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()
