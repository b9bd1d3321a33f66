"""What a sandbox's state means to the user: one sentence naming it and what to do.

Shared by the commands that need a sandbox in a given state: ``ssh connect``
and ``ssh cp`` (it must be running before a credential is issued),
``sandbox create --wait``, and ``sandbox stop | start | pause`` (a 409 says
the sandbox is in the wrong state for the action). Pure text, no SDK import.

A paused sandbox is resumed by the service itself, through its invoke route
or resume endpoint (the public OpenAPI description of ``pause``); leap0 calls
neither, and ``POST .../start`` takes only a stopped sandbox (409 otherwise).
"""

from __future__ import annotations

from .output import PROG, clean

__all__ = ["ON_THE_WAY", "advice", "conflict_hint"]

ON_THE_WAY = ("starting", "unpausing")
"""States that become ``running`` by themselves: worth waiting for."""

# The action, the state it needs, and the state it leads to.
_ACTIONS = {
    "stop": ("running", ("stopping", "stopped")),
    "start": ("stopped", ("starting", "running")),
    "pause": ("running", ("paused",)),
}


def advice(sandbox_id: str, state: str) -> str:
    """``sandbox ID is STATE`` and what to do about it, for a sandbox that is not running."""
    sbx = clean(sandbox_id)
    shown = f"sandbox {sbx} is {clean(state)}"
    start = f"'{PROG} sandbox start {sbx}'"
    look = f"'{PROG} sandbox get {sbx}' shows its state"
    if state == "stopped":
        return f"{shown}; start it with {start}"
    if state == "stopping":
        return f"{shown}; once it is stopped, start it again with {start} ({look})"
    if state == "paused":
        return (
            f"{shown}; the service resumes a paused sandbox through its invoke route or "
            f"resume endpoint, which leap0 does not call ('{PROG} sandbox start' takes a "
            "stopped one only)"
        )
    if state in ON_THE_WAY or state == "snapshotting":
        return f"{shown}; try again once it is running ({look})"
    if state in ("deleting", "deleted"):
        return f"{shown}; '{PROG} sandbox create' makes a new one"
    if state == "running":
        return shown
    return f"{shown}, not running ({look})"


def conflict_hint(action: str, sandbox_id: str, state: str | None) -> str:
    """What to say when ``sandbox ACTION`` answered 409: the sandbox's ``state`` (if read)."""
    needed, leads_to = _ACTIONS[action]
    sbx = clean(sandbox_id)
    if state is None:
        return f"{action} takes a {needed} sandbox ('{PROG} sandbox get {sbx}' shows its state)"
    if state in leads_to:
        return f"sandbox {sbx} is already {clean(state)}"
    if state == "running":  # it changed since: the service's answer says what it was
        return f"sandbox {sbx} is running now; try again ('{PROG} sandbox get {sbx}')"
    return f"{action} takes a {needed} sandbox: {advice(sandbox_id, state)}"
