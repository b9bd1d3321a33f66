"""One sandbox and its life: its current state, when that changes next, and its JSON.

Pure Python, no web or SSH imports. A sandbox keeps its state explicitly,
with the time it entered it and the time it leaves it on its own (if it
does). The emulator's clock only moves forward, so :meth:`Sandbox.settle`
carries it through every change that came due (``starting`` -> ``running``
after the start delay; ``running`` -> ``stopped``, or ``paused`` with
``auto_pause``, at its timeout; ``stopping`` -> ``stopped`` after the stop
delay), and the requests (stop, start, pause, delete) move it directly,
refusing (:class:`Conflict`) what the service refuses. The caller, the
state, holds the lock and announces a sandbox that stopped running.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ._clock import rfc3339
from ._errors import Conflict
from ._validate import CreateRequest

__all__ = ["DEFAULT_DISK", "STATES", "TRANSITIONS", "Sandbox"]

#: The writable disk every sandbox reports, in MiB.
DEFAULT_DISK = 10240
_POD_ID = "pod-emulator-0"

#: The states a sandbox passes through; it cannot be deleted while in one.
TRANSITIONS = ("starting", "stopping", "deleting")

#: Every state a sandbox here can be in.
STATES = ("starting", "running", "stopping", "stopped", "paused", "deleting")


@dataclasses.dataclass
class Sandbox:
    """A sandbox: its state since ``since``, until ``until`` (None: until a request moves it).

    Attributes:
        state: Its current state, one of the service's.
        since: When it entered ``state``.
        until: When it leaves ``state`` on its own, into :meth:`_successor`;
            None while it stays (``stopped``, ``paused``, ``deleting``).
        timeout_at: When its current (or last) run times out: ``timeout``
            seconds after that run started running.
        launched_at: When its current (or last) run started running; None
            while it is ``starting``.
    """

    id: str
    request: CreateRequest
    mount_ids: tuple[str, ...]
    created_at: float
    seq: int
    workdir: str
    state: str = "starting"
    since: float = 0.0
    until: float | None = None
    timeout_at: float = 0.0
    launched_at: float | None = None

    @property
    def running(self) -> bool:
        return self.state == "running"

    # -- what happens on its own -------------------------------------------------

    def settle(self, now: float) -> bool:
        """Carry the state through every change due by ``now``; whether it stopped running."""
        left_running = False
        while self.until is not None and now >= self.until:
            at, before, after = self.until, self.state, self._successor()
            if after == "running":
                self.launched_at = at
            self._enter(after, at, self.timeout_at if after == "running" else None)
            left_running |= before == "running"
        return left_running

    def _successor(self) -> str:
        """What the current state turns into when its time is up."""
        if self.state == "starting":
            return "running"
        if self.state == "running":
            return "paused" if self.request.auto_pause else "stopped"
        return "stopped"  # stopping

    def _enter(self, state: str, at: float, until: float | None = None) -> None:
        self.state, self.since, self.until = state, at, until

    # -- what requests do ------------------------------------------------------------

    def boot(self, now: float, start_delay: float) -> None:
        """Start a run: ``starting`` for ``start_delay``, then ``running`` until its timeout."""
        self.timeout_at = now + start_delay + self.request.timeout
        self.launched_at = None
        self._enter("starting", now, now + start_delay)
        self.settle(now)

    def start(self, now: float, start_delay: float) -> None:
        """Boot a ``stopped`` sandbox again (its timeout counts from running anew)."""
        if self.state != "stopped":
            hint = (
                " (the service resumes a paused sandbox through routes the emulator does "
                "not serve; delete it instead)"
                if self.state == "paused"
                else ""
            )
            raise Conflict(
                f"sandbox {self.id!r} is {self.state}: only a stopped sandbox can be started{hint}"
            )
        self.boot(now, start_delay)

    def stop(self, now: float, stop_delay: float) -> None:
        """Stop a ``running`` sandbox: ``stopping`` for ``stop_delay``, then ``stopped``."""
        self._expect_running("stopped")
        self._enter("stopping", now, now + stop_delay)
        self.settle(now)

    def pause(self, now: float) -> None:
        """Pause a ``running`` sandbox (its memory and disk saved): ``paused`` at once."""
        self._expect_running("paused")
        self._enter("paused", now)

    def delete(self, now: float) -> None:
        """Mark it ``deleting``; refused while it is in transition, as the service does."""
        if self.state in TRANSITIONS:
            raise Conflict(
                f"sandbox {self.id!r} is {self.state}; it can be deleted once it is not "
                "in transition"
            )
        self._enter("deleting", now)

    def _expect_running(self, becoming: str) -> None:
        if not self.running:
            raise Conflict(
                f"sandbox {self.id!r} is {self.state}: only a running sandbox can be {becoming}"
            )

    # -- its JSON ------------------------------------------------------------------------

    def status_json(self) -> dict[str, Any]:
        """``SandboxStatusResponse``: what ``GET /v1/sandbox/{id}`` answers."""
        request = self.request
        return {
            "id": self.id,
            "template_id": request.template_name,
            "mounts": [
                {"id": mount_id, **{k: v for k, v in vars(mount).items() if v is not None}}
                for mount_id, mount in zip(self.mount_ids, request.mounts, strict=True)
            ],
            "vcpu": request.vcpu,
            "memory": request.memory,
            "disk": DEFAULT_DISK,
            "timeout": request.timeout,
            "state": self.state,
            "auto_pause": request.auto_pause,
            "created_at": rfc3339(self.created_at),
        }

    def created_json(self) -> dict[str, Any]:
        """``SandboxCreateResponse`` (create, stop, start, pause): the status, and the policy."""
        answer = self.status_json()
        if self.request.network_policy is not None:
            answer["network_policy"] = self.request.network_policy
        return answer

    def list_item(self) -> dict[str, Any]:
        """``SandboxListItem``; ``launch_time`` once it has started running."""
        item: dict[str, Any] = {
            "id": self.id,
            "template_id": self.request.template_name,
            "pod_id": _POD_ID,
            "state": self.state,
        }
        if self.launched_at is not None:
            item["launch_time"] = rfc3339(self.launched_at)
        item["state_change_time"] = rfc3339(self.since)
        item["timeout_at"] = int(self.timeout_at)
        item["created_at"] = rfc3339(self.created_at)
        return item
