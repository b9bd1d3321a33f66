"""The emulator's in-memory state: sandboxes, SSH credentials, faults, counters.

Pure Python, no web or SSH imports. Every method is synchronous and takes one
lock, so the state can be used from the server's event loop and from the
thread that owns the :class:`~leap0.emulator.Emulator` handle at the same time.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import hashlib
import hmac
import itertools
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .._requests import DEFAULT_TEMPLATE, LIST_STATES
from ..models import SANDBOX_STATES
from ._faults import Fault, normalize_method, normalize_path
from ._settings import (
    MAX_COUNTED_ROUTES,
    MAX_CREDENTIALS_PER_SANDBOX,
    MAX_FAULT_BYTES,
    MAX_PENDING_FAULTS,
    Settings,
)

__all__ = [
    "DEFAULT_DISK",
    "DEFAULT_TEMPLATE",
    "LIST_STATES",
    "SANDBOX_STATES",
    "Conflict",
    "Credential",
    "FaultLimit",
    "NotFound",
    "Sandbox",
    "SessionTarget",
    "State",
    "SwitchRefused",
    "rfc3339",
]

log = logging.getLogger("leap0.emulator")

DEFAULT_DISK = 10240
_POD_ID = "pod-emulator-0"


class NotFound(Exception):
    """The addressed sandbox or credential does not exist (HTTP 404)."""


class Conflict(Exception):
    """The request conflicts with the current state (HTTP 409)."""


class SwitchRefused(Conflict, ValueError):
    """A settings change the current state cannot take (HTTP 409, ``ValueError`` in Python)."""


class FaultLimit(Conflict, ValueError):
    """Injecting these faults would pass a limit (HTTP 409, ``ValueError`` in Python)."""


def rfc3339(ts: float) -> str:
    """RFC 3339 UTC timestamp with microseconds and a ``Z`` suffix."""
    dt = datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclasses.dataclass
class Sandbox:
    id: str
    template_id: str
    vcpu: int
    memory: int
    disk: int
    timeout: int
    auto_pause: bool
    env_vars: dict[str, str]
    created_at: float
    seq: int
    workdir: str
    state: str = "running"
    pod_id: str = _POD_ID

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "template_id": self.template_id,
            "vcpu": self.vcpu,
            "memory": self.memory,
            "disk": self.disk,
            "timeout": self.timeout,
            "state": self.state,
            "auto_pause": self.auto_pause,
            "created_at": rfc3339(self.created_at),
        }

    def to_list_item(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "template_id": self.template_id,
            "pod_id": self.pod_id,
            "state": self.state,
            "launch_time": rfc3339(self.created_at),
            "state_change_time": rfc3339(self.created_at),
            "timeout_at": int(self.created_at) + self.timeout,
            "created_at": rfc3339(self.created_at),
        }


@dataclasses.dataclass
class Credential:
    id: str
    sandbox_id: str
    salt: bytes
    digest: bytes
    created_at: float
    updated_at: float
    expires_at: float
    expires_monotonic: float

    def matches(self, password: str) -> bool:
        candidate = _digest(self.salt, password)
        return hmac.compare_digest(candidate, self.digest)

    def expired(self) -> bool:
        return time.monotonic() >= self.expires_monotonic


@dataclasses.dataclass(frozen=True)
class SessionTarget:
    """What an authenticated SSH session needs to know about its sandbox."""

    sandbox_id: str
    access_id: str
    workdir: str
    env_vars: Mapping[str, str]


def _digest(salt: bytes, password: str) -> bytes:
    return hmac.new(salt, password.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def _fault_size(path: str, fault: Fault) -> int:
    """Roughly the bytes a waiting fault holds (its path, texts and headers)."""
    size = len(path) + 64
    for text in (fault.body, fault.content_type, fault.retry_after):
        if text is not None:
            size += len(text.encode("utf-8", "surrogatepass"))
    for name, value in (fault.headers or {}).items():
        size += len(name.encode("utf-8", "surrogatepass"))
        size += len(value.encode("utf-8", "surrogatepass"))
    return size


def _new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


Listener = Callable[[str, "str | None"], None]
"""Called as ``listener(sandbox_id, access_id)``; ``access_id`` None means all of the sandbox."""


class State:
    """All mutable emulator state behind one lock."""

    def __init__(self, *, root: str, settings: Settings | None = None) -> None:
        self.root = root
        self.ssh_host = "127.0.0.1"
        self.ssh_port = 0
        self._initial = settings if settings is not None else Settings()
        self._settings = self._initial
        self._lock = threading.RLock()
        self._seq = itertools.count(1)
        self._sandboxes: dict[str, Sandbox] = {}
        # Per sandbox, its credentials by id, oldest first.
        self._creds_by_sandbox: dict[str, dict[str, Credential]] = {}
        self._creds_by_id: dict[str, Credential] = {}
        self._faults: dict[tuple[str, str], collections.deque[Fault]] = {}
        self._fault_count = 0
        self._fault_bytes = 0
        self._attempts: dict[tuple[str, str], int] = {}
        self._attempts_full_logged = False
        self._listeners: list[Listener] = []

    # -- listeners -----------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(sandbox_id, access_id)`` whenever SSH access ends.

        ``access_id`` is the credential that was deleted, or None when the whole
        sandbox's access ended (the sandbox was deleted, or a reset). Called
        outside the lock, from whichever thread made the change.
        """
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _notify(self, ended: Iterable[tuple[str, str | None]]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for sandbox_id, access_id in ended:
            for listener in listeners:
                listener(sandbox_id, access_id)

    # -- sandboxes -----------------------------------------------------------

    def create_sandbox(
        self,
        *,
        template_name: str = DEFAULT_TEMPLATE,
        vcpu: int = 1,
        memory: int = 1024,
        timeout: int = 300,
        env_vars: Mapping[str, str] | None = None,
        auto_pause: bool = False,
    ) -> dict[str, Any]:
        with self._lock:
            limit = self._settings.max_sandboxes
            if len(self._sandboxes) >= limit:
                raise Conflict(f"sandbox limit reached: at most {limit} sandboxes may exist")
            sandbox_id = _new_id("sbx")
            while sandbox_id in self._sandboxes:  # pragma: no cover - 64 random bits
                sandbox_id = _new_id("sbx")
            workdir = os.path.join(self.root, sandbox_id)
            os.mkdir(workdir, 0o700)
            sandbox = Sandbox(
                id=sandbox_id,
                template_id=template_name,
                vcpu=vcpu,
                memory=memory,
                disk=DEFAULT_DISK,
                timeout=timeout,
                auto_pause=auto_pause,
                env_vars=dict(env_vars or {}),
                created_at=time.time(),
                seq=next(self._seq),
                workdir=workdir,
            )
            self._sandboxes[sandbox_id] = sandbox
            return sandbox.to_json()

    def get_sandbox(self, sandbox_id: str) -> dict[str, Any]:
        with self._lock:
            return self._sandbox(sandbox_id).to_json()

    def delete_sandbox(self, sandbox_id: str) -> None:
        with self._lock:
            sandbox = self._sandbox(sandbox_id)
            del self._sandboxes[sandbox_id]
            for cred_id in self._creds_by_sandbox.pop(sandbox_id, {}):
                del self._creds_by_id[cred_id]
        self._notify([(sandbox_id, None)])
        shutil.rmtree(sandbox.workdir, ignore_errors=True)

    def list_sandboxes(
        self,
        *,
        state: str | None = None,
        sort: str = "created_at",
        descending: bool = True,
        page: int = 1,
        page_size: int = 20,
    ) -> tuple[list[dict[str, Any]], int]:
        with self._lock:
            found = [s for s in self._sandboxes.values() if state is None or s.state == state]
            if sort == "state":
                found.sort(key=lambda s: (s.state, s.seq), reverse=descending)
            else:
                found.sort(key=lambda s: s.seq, reverse=descending)
            start = (page - 1) * page_size
            return [s.to_list_item() for s in found[start : start + page_size]], len(found)

    def _sandbox(self, sandbox_id: str) -> Sandbox:
        sandbox = self._sandboxes.get(sandbox_id)
        if sandbox is None:
            raise NotFound(f"sandbox {sandbox_id!r} not found")
        return sandbox

    # -- SSH credentials -----------------------------------------------------

    def _access_json(self, cred: Credential, password: str) -> dict[str, Any]:
        return {
            "id": cred.id,
            "sandbox_id": cred.sandbox_id,
            "password": password,
            "expires_at": rfc3339(cred.expires_at),
            "created_at": rfc3339(cred.created_at),
            "updated_at": rfc3339(cred.updated_at),
            "ssh_command": f"ssh -p {self.ssh_port} {cred.id}@{self.ssh_host}",
        }

    def _issue(self, cred: Credential) -> str:
        """Give ``cred`` a fresh password and expiry; return the password."""
        password = secrets.token_urlsafe(24)
        now = time.time()
        cred.salt = secrets.token_bytes(16)
        cred.digest = _digest(cred.salt, password)
        cred.updated_at = now
        lifetime = self._settings.ssh_lifetime
        cred.expires_at = now + lifetime
        cred.expires_monotonic = time.monotonic() + lifetime
        return password

    def create_access(self, sandbox_id: str) -> dict[str, Any]:
        with self._lock:
            self._sandbox(sandbox_id)
            held = len(self._creds_by_sandbox.get(sandbox_id, ()))
            if not self._settings.several_credentials and held:
                raise Conflict(f"sandbox {sandbox_id!r} already has SSH access")
            if held >= MAX_CREDENTIALS_PER_SANDBOX:
                raise Conflict(
                    f"sandbox {sandbox_id!r} already holds {held} SSH credentials, the most "
                    "one sandbox may hold; delete one first"
                )
            cred_id = _new_id("ssh")
            while cred_id in self._creds_by_id:  # pragma: no cover - 64 random bits
                cred_id = _new_id("ssh")
            now = time.time()
            cred = Credential(
                id=cred_id,
                sandbox_id=sandbox_id,
                salt=b"",
                digest=b"",
                created_at=now,
                updated_at=now,
                expires_at=now,
                expires_monotonic=0.0,
            )
            password = self._issue(cred)
            cred.updated_at = cred.created_at
            self._creds_by_sandbox.setdefault(sandbox_id, {})[cred_id] = cred
            self._creds_by_id[cred_id] = cred
            return self._access_json(cred, password)

    def _credential(self, sandbox_id: str, ssh_id: str | None) -> Credential:
        """The credential ``ssh_id`` of the sandbox, or its only one when ``ssh_id`` is None."""
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
                f"sandbox {sandbox_id!r} holds {len(creds)} SSH credentials; address one by its id"
            )
        return next(iter(creds.values()))

    def delete_access(self, sandbox_id: str, ssh_id: str | None = None) -> None:
        """Delete the credential ``ssh_id``, or the sandbox's only one when None."""
        with self._lock:
            cred = self._credential(sandbox_id, ssh_id)
            creds = self._creds_by_sandbox[sandbox_id]
            del creds[cred.id]
            if not creds:
                del self._creds_by_sandbox[sandbox_id]
            del self._creds_by_id[cred.id]
        self._notify([(sandbox_id, cred.id)])

    def regen_access(self, sandbox_id: str, ssh_id: str | None = None) -> dict[str, Any]:
        with self._lock:
            cred = self._credential(sandbox_id, ssh_id)
            password = self._issue(cred)
            return self._access_json(cred, password)

    def validate_access(self, sandbox_id: str, ssh_id: str, password: str) -> bool:
        with self._lock:
            self._sandbox(sandbox_id)
            cred = self._creds_by_sandbox.get(sandbox_id, {}).get(ssh_id)
            if cred is None:
                return False
            return cred.matches(password) and not cred.expired()

    def authenticate(self, username: str, password: str) -> SessionTarget | None:
        """The session target if ``username``/``password`` is a valid pair now."""
        with self._lock:
            cred = self._creds_by_id.get(username)
            if cred is None or not cred.matches(password) or cred.expired():
                return None
            sandbox = self._sandboxes[cred.sandbox_id]
            return SessionTarget(sandbox.id, cred.id, sandbox.workdir, dict(sandbox.env_vars))

    def sandbox_exists(self, sandbox_id: str) -> bool:
        with self._lock:
            return sandbox_id in self._sandboxes

    # -- faults and counters -------------------------------------------------

    def inject(self, method: str, path: str, faults: Iterable[Fault]) -> None:
        """Queue ``faults`` for ``method path``.

        Raises:
            FaultLimit: More than :data:`MAX_PENDING_FAULTS` faults or
                :data:`MAX_FAULT_BYTES` bytes would wait (nothing is queued).
        """
        key = (normalize_method(method), normalize_path(path))
        items = list(faults)
        size = sum(_fault_size(key[1], fault) for fault in items)
        with self._lock:
            count = self._fault_count + len(items)
            total = self._fault_bytes + size
            if count > MAX_PENDING_FAULTS:
                raise FaultLimit(
                    f"at most {MAX_PENDING_FAULTS} faults may wait at once; "
                    f"{self._fault_count} are waiting"
                )
            if total > MAX_FAULT_BYTES:
                raise FaultLimit(
                    f"the waiting faults may hold at most {MAX_FAULT_BYTES} bytes "
                    "(paths, bodies and headers)"
                )
            self._faults.setdefault(key, collections.deque()).extend(items)
            self._fault_count, self._fault_bytes = count, total

    def record_attempt(self, method: str, path: str) -> Fault | None:
        """Count a request that arrived; return the next scripted fault for it.

        Only the first :data:`MAX_COUNTED_ROUTES` distinct method and path pairs
        since the last reset are counted.
        """
        key = (method.upper(), normalize_path(path))
        with self._lock:
            if key in self._attempts:
                self._attempts[key] += 1
            elif len(self._attempts) < MAX_COUNTED_ROUTES:
                self._attempts[key] = 1
            elif not self._attempts_full_logged:
                self._attempts_full_logged = True
                log.warning(
                    "request counters are full (%d method and path pairs); further "
                    "pairs are not counted until a reset",
                    MAX_COUNTED_ROUTES,
                )
            queue = self._faults.get(key)
            if not queue:
                return None
            fault = queue.popleft()
            if not queue:
                del self._faults[key]
            self._fault_count -= 1
            self._fault_bytes -= _fault_size(key[1], fault)
            return fault

    def attempts(self, method: str, path: str) -> int:
        key = (normalize_method(method), normalize_path(path))
        with self._lock:
            return self._attempts.get(key, 0)

    def pending_faults(self, method: str, path: str) -> int:
        key = (normalize_method(method), normalize_path(path))
        with self._lock:
            return len(self._faults.get(key, ()))

    @property
    def settings(self) -> Settings:
        """The current settings."""
        with self._lock:
            return self._settings

    def configure(self, changes: Mapping[str, object]) -> Settings:
        """Apply ``changes`` (see :meth:`Settings.replace_from`) until :meth:`reset`.

        Returns the new settings.

        Raises:
            SettingsError: A bad name or value (nothing changes).
            SwitchRefused: The change would allow one credential per sandbox
                while some sandbox holds several (nothing changes).
        """
        with self._lock:
            settings = self._settings.replace_from(changes)
            if not settings.several_credentials:
                crowded = sorted(s for s, creds in self._creds_by_sandbox.items() if len(creds) > 1)
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
        """Forget every sandbox, credential, fault and counter; restore settings."""
        with self._lock:
            sandboxes = list(self._sandboxes.values())
            self._sandboxes.clear()
            self._creds_by_sandbox.clear()
            self._creds_by_id.clear()
            # New containers, so whatever the old ones grew to is freed.
            self._faults = {}
            self._fault_count = self._fault_bytes = 0
            self._attempts = {}
            self._attempts_full_logged = False
            self._settings = self._initial
        self._notify((s.id, None) for s in sandboxes)
        for sandbox in sandboxes:
            shutil.rmtree(sandbox.workdir, ignore_errors=True)
