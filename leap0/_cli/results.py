"""One JSON shape for what a command did to each thing it names.

``sandbox delete``, ``ssh delete`` and ``sandbox stop | start | pause`` with
``--json`` print one list, an object for each thing named, in the order
given::

    [{"kind": "sandbox", "id": "sbx-1", "sandbox_id": "sbx-1", "deleted": true}]
    [{"kind": "ssh_access", "id": "ssh-2", "sandbox_id": "sbx-1", "deleted": true}]
    [{"kind": "sandbox", "id": "sbx-1", "sandbox_id": "sbx-1", "stopped": false,
      "error": "Leap0ConflictError"}]

``kind`` is ``sandbox`` or ``ssh_access``; ``id`` the thing's own id (for a
sandbox the same as ``sandbox_id``; for a credential ``null`` when the single
SSH routes revoked the sandbox's one without being told its id); then the
action done, ``deleted``, ``stopped``, ``started`` or ``paused``, true or
false, with ``error`` (the exception's class name) when false, and what the
service answered, when it answered something (``sandbox`` for stop, start
and pause).
"""

from __future__ import annotations

__all__ = ["outcome"]


def outcome(
    kind: str,
    ident: str | None,
    sandbox_id: str,
    done: str,
    *,
    error: BaseException | None = None,
    **answer: object,
) -> dict[str, object]:
    """The object for one thing: ``done`` (``deleted``, ...) true unless ``error``."""
    found: dict[str, object] = {"kind": kind, "id": ident, "sandbox_id": sandbox_id}
    found[done] = error is None
    if error is not None:
        found["error"] = type(error).__name__
    return {**found, **answer}
