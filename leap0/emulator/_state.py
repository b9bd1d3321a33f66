"""The emulator's in-memory state: sandboxes and their life, SSH credentials.

Pure Python, no web or SSH imports. Every method is synchronous and takes one
lock, so the state can be used from the server's event loop, from its worker
threads and from the thread that owns the :class:`~leap0.emulator.Emulator`
handle at the same time.

Nothing a request does scans all sandboxes or credentials: each is found by
id in a dict, a list page is sliced from indexes kept in order
(:mod:`._listing`), and the changes of state that come due on their own (the
start delay, the timeout, the stop delay) wait in a heap of deadlines
(:mod:`._deadlines`). Every look (any call, :meth:`State.tick` or
:meth:`State.advance`) first carries the sandboxes whose deadline passed
through those changes (:meth:`Sandbox.settle`). Whatever ends SSH access (a
sandbox that stops running, on its own or by a stop or pause request, a
deleted sandbox or credential, a reset) is announced to the listeners, in one
batch per call, which end the SSH sessions, once the lock is released.

A sandbox's directory is made when its first SSH credential is issued (until
then nothing can reach it), so sandboxes that are never logged into cost no
directory, to make or to remove.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import itertools
import os
import secrets
import shutil
import threading
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from typing import Any

from ._clock import Clock, rfc3339
from ._deadlines import Deadlines
from ._errors import Conflict, FaultLimit, NotFound, SwitchRefused
from ._faults import FaultBook
from ._listing import Listing
from ._recorder import Recorder
from ._sandbox import DEFAULT_DISK, STATES, Sandbox
from ._settings import MAX_CREDENTIALS_PER_SANDBOX, Settings
from ._validate import CreateRequest, ListQuery

__all__ = [
    "DEFAULT_DISK",
    "Conflict",
    "Credential",
    "Ended",
    "FaultLimit",
    "Listener",
    "NotFound",
    "Sandbox",
    "SessionTarget",
    "SshEndpoint",
    "State",
    "SwitchRefused",
]


@dataclasses.dataclass(frozen=True)
class SshEndpoint:
    """Where SSH clients connect: the host and port every ``ssh_command`` names."""

    host: str
    port: int

    def command(self, user: str) -> str:
        return f"ssh -p {self.port} {user}@{self.host}"


@dataclasses.dataclass
class Credential:
    id: str
    sandbox_id: str
    salt: bytes
    digest: bytes
    created_at: float
    updated_at: float
    expires_at: float

    def matches(self, password: str) -> bool:
        candidate = _digest(self.salt, password)
        return hmac.compare_digest(candidate, self.digest)


@dataclasses.dataclass(frozen=True)
class SessionTarget:
    """What an authenticated SSH session needs to know about its sandbox."""

    sandbox_id: str
    access_id: str
    workdir: str
    env_vars: Mapping[str, str]


def _digest(salt: bytes, password: str) -> bytes:
    return hmac.new(salt, password.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def _new_id(prefix: str, taken: Container[str] = ()) -> str:
    new = f"{prefix}-{secrets.token_hex(8)}"
    while new in taken:  # pragma: no cover - 64 random bits
        new = f"{prefix}-{secrets.token_hex(8)}"
    return new


Ended = tuple[str, "str | None"]
"""``(sandbox_id, access_id)``: SSH access that ended; ``access_id`` None: all the sandbox's."""
Listener = Callable[[Sequence[Ended]], None]
"""Called as ``listener(ended)``, with what one call ended, in order (never empty)."""


class State:
    """All mutable emulator state behind one lock.

    Args:
        root: The directory holding one directory per sandbox.
        ssh: Where the SSH server listens, as ``ssh_command`` tells clients.
        settings: The start-up settings (:class:`Settings`' defaults if None);
            :meth:`reset` goes back to them.
        clock: The clock every time is read from (a new one if None).
    """

    def __init__(
        self,
        *,
        root: str,
        ssh: SshEndpoint,
        settings: Settings | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.root = root
        self.ssh = ssh
        self.clock = clock if clock is not None else Clock()
        self.faults = FaultBook()
        # The last requests answered (the app records them; a reset clears them).
        self.recorder = Recorder()
        self._initial = settings if settings is not None else Settings()
        self._settings = self._initial
        self._lock = threading.RLock()
        self._seq = itertools.count(1)
        self._sandboxes: dict[str, Sandbox] = {}
        # The same sandboxes in creation order, and per state, for list pages.
        self._listing: Listing[Sandbox] = Listing(STATES)
        # When each sandbox changes state on its own next (the sandboxes' ``until``).
        self._deadlines = Deadlines()
        # The sandboxes whose directory was made (at their first credential).
        self._workdirs: set[str] = set()
        # Per sandbox, its credentials by id, oldest first.
        self._creds_by_sandbox: dict[str, dict[str, Credential]] = {}
        self._creds_by_id: dict[str, Credential] = {}
        # The sandboxes holding more than one credential.
        self._crowded: set[str] = set()
        self._listeners: list[Listener] = []
        # Access that ended under the lock, announced once it is released (see _now).
        self._ending: list[Ended] = []

    # -- listeners -----------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(ended)`` whenever SSH access ends, with each call's pairs.

        Each pair is ``(sandbox_id, access_id)``: ``access_id`` is the
        credential that was deleted, or None when the whole sandbox's access
        ended (it stopped running: stopped, paused, timed out; or it is being
        deleted, or a reset, which ends every sandbox in one batch). Called
        outside the lock, from whichever thread made the change or noticed it.
        """
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _notify(self, ended: Sequence[Ended]) -> None:
        if not ended:
            return
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(ended)

    @contextlib.contextmanager
    def _now(self) -> Iterator[float]:
        """Hold the lock, the changes of state that came due applied; yield the time.

        What ended access meanwhile (a sandbox that stopped running, what the
        body added to ``_ending``) is announced to the listeners once the lock
        is released, whatever the body raised. It is taken while the lock is
        still held, so each holder announces exactly its own.
        """
        ended: list[Ended] = []
        try:
            with self._lock:
                now = self.clock.now()
                for sandbox_id in self._deadlines.due(now):
                    sandbox = self._sandboxes[sandbox_id]
                    before = sandbox.state
                    if sandbox.settle(now):
                        self._ending.append((sandbox_id, None))
                    self._track(sandbox, before)
                try:
                    yield now
                finally:
                    ended, self._ending = self._ending, []
        finally:
            self._notify(ended)

    # -- the clock -----------------------------------------------------------

    def tick(self) -> None:
        """Apply and announce the changes of state that came due.

        The server calls this each second that :meth:`due` says something
        came, so a timeout ends sessions even when nothing else looks.
        """
        with self._now():
            pass

    def due(self) -> bool:
        """Whether some change of state may have come due (a :meth:`tick` would look)."""
        with self._lock:
            due = self._deadlines.next_due()
            return due is not None and due <= self.clock.now()

    def advance(self, seconds: object) -> float:
        """Move the clock forward; the changes it brings are announced before this returns.

        Raises:
            Invalid: A bad number of seconds (see :meth:`Clock.advance`).
        """
        self.clock.advance(seconds)
        with self._now() as now:
            return now

    # -- sandboxes -----------------------------------------------------------

    def create_sandbox(self, request: CreateRequest) -> dict[str, Any]:
        with self._now() as now:
            limit = self._settings.max_sandboxes
            if len(self._sandboxes) >= limit:
                raise Conflict(f"sandbox limit reached: at most {limit} sandboxes may exist")
            sandbox_id = _new_id("sbx", self._sandboxes)
            sandbox = Sandbox(
                id=sandbox_id,
                request=request,
                mount_ids=tuple(_new_id("mnt") for _ in request.mounts),
                created_at=now,
                seq=next(self._seq),
                workdir=os.path.join(self.root, sandbox_id),
            )
            sandbox.boot(now, self._settings.start_delay)
            self._sandboxes[sandbox_id] = sandbox
            self._listing.add(sandbox.seq, sandbox.state, sandbox)
            self._deadlines.plan(sandbox_id, sandbox.until)
            return sandbox.created_json()

    def get_sandbox(self, sandbox_id: str) -> dict[str, Any]:
        with self._now():
            return self._sandbox(sandbox_id).status_json()

    def stop_sandbox(self, sandbox_id: str) -> dict[str, Any]:
        """Stop a running sandbox: ``stopping`` for ``stop_delay``, then ``stopped``.

        Its SSH sessions end now (it no longer runs); its credentials and its
        directory stay.

        Raises:
            NotFound: No such sandbox.
            Conflict: It is not ``running``.
        """
        with self._now() as now:
            sandbox = self._sandbox(sandbox_id)
            before = sandbox.state
            sandbox.stop(now, self._settings.stop_delay)
            self._track(sandbox, before)
            self._ending.append((sandbox_id, None))
            return sandbox.created_json()

    def start_sandbox(self, sandbox_id: str) -> dict[str, Any]:
        """Boot a stopped sandbox again: ``starting`` for ``start_delay``, then ``running``.

        Its timeout counts from when it is running; its credentials log in
        again then, those not expired.

        Raises:
            NotFound: No such sandbox.
            Conflict: It is not ``stopped`` (a ``paused`` one included).
        """
        with self._now() as now:
            sandbox = self._sandbox(sandbox_id)
            before = sandbox.state
            sandbox.start(now, self._settings.start_delay)
            self._track(sandbox, before)
            return sandbox.created_json()

    def pause_sandbox(self, sandbox_id: str) -> dict[str, Any]:
        """Pause a running sandbox: ``paused`` at once; its SSH sessions end.

        Raises:
            NotFound: No such sandbox.
            Conflict: It is not ``running``.
        """
        with self._now() as now:
            sandbox = self._sandbox(sandbox_id)
            before = sandbox.state
            sandbox.pause(now)
            self._track(sandbox, before)
            self._ending.append((sandbox_id, None))
            return sandbox.created_json()

    def delete_sandbox(self, sandbox_id: str) -> None:
        """Delete a sandbox: ``deleting`` while its sessions end and its directory goes.

        Raises:
            NotFound: No such sandbox.
            Conflict: It is ``starting``, ``stopping`` or already ``deleting``
                (the service refuses deletes while a sandbox is in transition).
        """
        with self._now() as now:
            sandbox = self._sandbox(sandbox_id)
            before = sandbox.state
            sandbox.delete(now)
            self._track(sandbox, before)
            for cred_id in self._creds_by_sandbox.pop(sandbox_id, {}):
                del self._creds_by_id[cred_id]
            self._crowded.discard(sandbox_id)
            has_dir = sandbox_id in self._workdirs
            self._ending.append((sandbox_id, None))
        # Announced (its sessions and their processes ended) before its directory goes.
        if has_dir:
            shutil.rmtree(sandbox.workdir, ignore_errors=True)
        with self._lock:
            if self._sandboxes.get(sandbox_id) is sandbox:
                del self._sandboxes[sandbox_id]
                self._listing.remove(sandbox.seq, sandbox.state)
                self._deadlines.forget(sandbox_id)
                self._workdirs.discard(sandbox_id)

    def list_sandboxes(self, query: ListQuery) -> tuple[list[dict[str, Any]], int]:
        """A page of the list, sliced from the kept order: it costs what it holds."""
        with self._now():
            page, total = self._listing.page(
                state=query.state,
                by_state=query.sort == "state",
                descending=query.descending,
                start=(query.page - 1) * query.page_size,
                count=query.page_size,
            )
            return [s.list_item() for s in page], total

    def _track(self, sandbox: Sandbox, before: str) -> None:
        """After ``sandbox`` changed (it was ``before``): its place in the listing, its deadline."""
        self._listing.move(sandbox.seq, before, sandbox.state, sandbox)
        self._deadlines.plan(sandbox.id, sandbox.until)

    def _sandbox(self, sandbox_id: str) -> Sandbox:
        sandbox = self._sandboxes.get(sandbox_id)
        if sandbox is None:
            raise NotFound(f"sandbox {sandbox_id!r} not found")
        return sandbox

    def _issuable(self, sandbox_id: str) -> None:
        """Check that SSH credentials may be issued (created, regenerated) for the sandbox now."""
        state = self._sandbox(sandbox_id).state
        if state not in ("starting", "running"):
            raise Conflict(
                f"sandbox {sandbox_id!r} is {state}: SSH access is issued for a starting "
                "or running sandbox only"
            )

    # -- SSH credentials -----------------------------------------------------

    def _access_json(self, cred: Credential, password: str) -> dict[str, Any]:
        return {
            "id": cred.id,
            "sandbox_id": cred.sandbox_id,
            "password": password,
            "expires_at": rfc3339(cred.expires_at),
            "created_at": rfc3339(cred.created_at),
            "updated_at": rfc3339(cred.updated_at),
            "ssh_command": self.ssh.command(cred.id),
        }

    def _issue(self, cred: Credential, now: float) -> str:
        """Give ``cred`` a fresh password and expiry; return the password."""
        password = secrets.token_urlsafe(24)
        cred.salt = secrets.token_bytes(16)
        cred.digest = _digest(cred.salt, password)
        cred.updated_at = now
        cred.expires_at = now + self._settings.ssh_lifetime
        return password

    def create_access(self, sandbox_id: str) -> dict[str, Any]:
        with self._now() as now:
            self._issuable(sandbox_id)
            held = len(self._creds_by_sandbox.get(sandbox_id, ()))
            if not self._settings.several_credentials and held:
                raise Conflict(f"sandbox {sandbox_id!r} already has SSH access")
            if held >= MAX_CREDENTIALS_PER_SANDBOX:
                raise Conflict(
                    f"sandbox {sandbox_id!r} already holds {held} SSH credentials, the most "
                    "one sandbox may hold; delete one first"
                )
            cred = Credential(
                id=_new_id("ssh", self._creds_by_id),
                sandbox_id=sandbox_id,
                salt=b"",
                digest=b"",
                created_at=now,
                updated_at=now,
                expires_at=now,
            )
            if sandbox_id not in self._workdirs:  # its first credential: it can be reached now
                workdir = self._sandboxes[sandbox_id].workdir
                with contextlib.suppress(FileExistsError):
                    os.mkdir(workdir, 0o700)
                # Its home (D/home) and temporary directory (D/tmp), the sandbox user's.
                from ._isolation import make_sandbox_dirs

                make_sandbox_dirs(workdir, self._settings.isolation_in_force == "namespaces")
                self._workdirs.add(sandbox_id)
            password = self._issue(cred, now)
            creds = self._creds_by_sandbox.setdefault(sandbox_id, {})
            creds[cred.id] = cred
            if len(creds) > 1:
                self._crowded.add(sandbox_id)
            self._creds_by_id[cred.id] = cred
            return self._access_json(cred, password)

    def _credential(self, sandbox_id: str, ssh_id: str | None) -> Credential:
        """The credential ``ssh_id`` of the sandbox, or its only one when ``ssh_id`` is None.

        ``ssh_id`` None is the seed's routes (``DELETE .../ssh/access``,
        ``POST .../ssh/regen``), which address a sandbox's one credential: a
        sandbox holding several (``ssh_api="both"``) answers them 409, since
        they cannot tell which is meant.
        """
        self._sandbox(sandbox_id)
        creds = self._creds_by_sandbox.get(sandbox_id, {})
        if ssh_id is not None:
            cred = creds.get(ssh_id)
            if cred is None:
                raise NotFound(f"SSH access {ssh_id!r} not found for sandbox {sandbox_id!r}")
            return cred
        if not creds:
            raise NotFound(f"SSH access not found for sandbox {sandbox_id!r}")
        if len(creds) > 1:
            raise Conflict(
                f"sandbox {sandbox_id!r} holds {len(creds)} SSH credentials, and this route "
                "addresses a sandbox's only one: address one by its id "
                f"(DELETE /v1/sandbox/{sandbox_id}/ssh/{{ssh_id}}, "
                f"POST /v1/sandbox/{sandbox_id}/ssh/{{ssh_id}}/regen)"
            )
        return next(iter(creds.values()))

    def delete_access(self, sandbox_id: str, ssh_id: str | None = None) -> None:
        """Delete the credential ``ssh_id``, or the sandbox's only one when None."""
        with self._now():
            cred = self._credential(sandbox_id, ssh_id)
            creds = self._creds_by_sandbox[sandbox_id]
            del creds[cred.id]
            if not creds:
                del self._creds_by_sandbox[sandbox_id]
            if len(creds) < 2:
                self._crowded.discard(sandbox_id)
            del self._creds_by_id[cred.id]
            self._ending.append((sandbox_id, cred.id))

    def regen_access(self, sandbox_id: str, ssh_id: str | None = None) -> dict[str, Any]:
        with self._now() as now:
            cred = self._credential(sandbox_id, ssh_id)
            self._issuable(sandbox_id)
            password = self._issue(cred, now)
            return self._access_json(cred, password)

    def _works(self, cred: Credential | None, password: str | None, now: float) -> bool:
        """Whether ``cred`` logs in now: the password, its expiry, its sandbox running."""
        if cred is None or now >= cred.expires_at:
            return False
        if password is not None and not cred.matches(password):
            return False
        sandbox = self._sandboxes.get(cred.sandbox_id)
        return sandbox is not None and sandbox.running

    def validate_access(self, sandbox_id: str, ssh_id: str, password: str) -> bool:
        with self._now() as now:
            self._sandbox(sandbox_id)
            cred = self._creds_by_sandbox.get(sandbox_id, {}).get(ssh_id)
            return self._works(cred, password, now)

    def authenticate(self, username: str, password: str) -> SessionTarget | None:
        """The session target if ``username``/``password`` logs in now."""
        with self._now() as now:
            cred = self._creds_by_id.get(username)
            if cred is None or not self._works(cred, password, now):
                return None
            sandbox = self._sandboxes[cred.sandbox_id]
            env_vars = dict(sandbox.request.env_vars)
            return SessionTarget(sandbox.id, cred.id, sandbox.workdir, env_vars)

    def session_allowed(self, target: SessionTarget) -> bool:
        """Whether a logged-in connection may open a session now.

        Its sandbox must be running and its credential still there; a
        credential that expired since the login does not end the connection.
        """
        with self._now():
            sandbox = self._sandboxes.get(target.sandbox_id)
            if sandbox is None or not sandbox.running:
                return False
            return target.access_id in self._creds_by_id

    # -- settings and reset ----------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The current settings."""
        with self._lock:
            return self._settings

    def configure(self, changes: Mapping[str, object]) -> Settings:
        """Apply ``changes`` (see :meth:`Settings.replace_from`) until :meth:`reset`.

        Returns the new settings. A new ``start_delay`` applies to the starts
        (creates, ``start``) from then on, a new ``stop_delay`` to the stops.

        Raises:
            SettingsError: A bad name or value (nothing changes).
            SwitchRefused: The change would allow one credential per sandbox
                (``ssh_api="single"``) while some sandbox holds several
                (nothing changes).
        """
        with self._now():
            settings = self._settings.replace_from(changes)
            if not settings.several_credentials:
                crowded = sorted(self._crowded)
                if crowded:
                    shown = ", ".join(crowded[:5]) + (", ..." if len(crowded) > 5 else "")
                    raise SwitchRefused(
                        f"cannot switch ssh_api to {settings.ssh_api!r}, which allows one SSH "
                        f"credential per sandbox: {len(crowded)} sandbox(es) hold several "
                        f"({shown}); delete the extra credentials or reset first"
                    )
            self._settings = settings
            return settings

    def reset(self) -> None:
        """Forget every sandbox, credential, fault, counter and recorded request; restore
        settings and the clock.

        The end of every sandbox's access is announced in one batch (so the
        sessions' processes go in one sweep); then the directories that were
        made are removed. What it costs beyond forgetting is what it frees.
        """
        with self._lock:
            ended: list[Ended] = [(sandbox_id, None) for sandbox_id in self._sandboxes]
            workdirs = [self._sandboxes[sandbox_id].workdir for sandbox_id in self._workdirs]
            self._sandboxes.clear()
            self._listing.clear()
            self._deadlines.clear()
            self._workdirs.clear()
            self._creds_by_sandbox.clear()
            self._creds_by_id.clear()
            self._crowded.clear()
            self.faults.clear()
            self.recorder.clear()
            self._settings = self._initial
            self.clock.restart()
        self._notify(ended)
        for workdir in workdirs:
            shutil.rmtree(workdir, ignore_errors=True)
