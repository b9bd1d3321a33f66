"""The two revisions of the Leap0 SSH routes, the setting that picks one, ``auto`` (pure, shared).

``"single"``, the seed's routes: one credential per sandbox, addressed through
the sandbox (``DELETE .../ssh/access``, ``POST .../ssh/validate`` with
``{"id", "password"}``, ``POST .../ssh/regen``).

``"per-credential"``, the routes of the public OpenAPI description: a sandbox
may hold several credentials, each addressed by its id
(``DELETE .../ssh/{access_id}``, ``POST .../ssh/{access_id}/validate`` with
``{"password"}``, ``POST .../ssh/{access_id}/regen``).

``"auto"`` (the default) serves either: :class:`Router` plans each call as
one or two :class:`Call` s and learns the revision from the answers that
prove it. Both revisions create with ``POST .../ssh/access``. Every body here
is built from validated values before anything is sent, every path by
``leap0._routes``, which validates the ids it puts in it.

What proves what (``../shared/api/CONTRACT.md``, "Telling the two SSH
revisions apart"): a ``2xx`` proves its route's revision; a ``405`` proves
the *other* one (a per-credential service answers the seed's validate and
regen with 405, as their paths read as ``/ssh/{ssh_id}``, which has only
``DELETE``). A ``404`` proves nothing: "no such route" and "no such
credential" share it, so it only says "try the other route".
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from typing import Literal

from . import _routes
from ._constants import DEFAULT_SSH_API, SSH_API_ENV, SSH_APIS
from ._ids import access_id_of, sandbox_id_of
from .errors import Leap0AccessIdRequiredError

__all__ = ["Call", "Revision", "Router", "SshApi", "mismatch_hint", "resolve_ssh_api"]

logger = logging.getLogger("leap0")

SshApi = Literal["auto", "single", "per-credential"]
"""Which revision of the SSH routes the service serves, or ``"auto"`` to find out."""

Revision = Literal["single", "per-credential"]
"""One revision of the SSH routes."""

#: Sandboxes whose credential ids one client remembers (the least recently used go first).
REMEMBERED_SANDBOXES = 1024
#: Credential ids remembered per sandbox; past it the sandbox counts as "several".
REMEMBERED_PER_SANDBOX = 32


def resolve_ssh_api(ssh_api: object, *, env: bool = False) -> SshApi:
    """``ssh_api`` checked; if ``None``: ``LEAP0_SSH_API`` (when ``env``), else the default."""
    source = "ssh_api"
    if ssh_api is None:
        if not env:
            return DEFAULT_SSH_API
        ssh_api = os.environ.get(SSH_API_ENV) or DEFAULT_SSH_API
        source = SSH_API_ENV
    if not isinstance(ssh_api, str):
        raise TypeError(f"{source} must be a str, not {type(ssh_api).__name__}")
    for name in SSH_APIS:
        if ssh_api == name:
            return name
    shown = ssh_api if len(ssh_api) <= 40 else ssh_api[:40] + "..."
    raise ValueError(
        f"{source} must be 'auto' (find out which routes the service serves, the default), "
        f"'single' (one SSH credential per sandbox, the original routes) or 'per-credential' "
        f"(several per sandbox, the routes of the public OpenAPI description); got {shown!r}"
    )


def _other(revision: Revision) -> Revision:
    return "per-credential" if revision == "single" else "single"


def mismatch_hint(revision: Revision) -> str:
    """What a strict setting's 405 adds: the service does not serve this revision's route."""
    other = _other(revision)
    return (
        f"this client uses the {revision!r} SSH routes and the service does not serve this "
        f"one; if it serves the {other!r} routes, set ssh_api={other!r} "
        f"(or {SSH_API_ENV}={other}), or leave it unset ('auto') to have it found"
    )


class Call:
    """One request of a planned call (a plain class: a ``NamedTuple`` costs more to import)."""

    __slots__ = ("access_id", "body", "method", "path", "probe", "revision")

    def __init__(
        self,
        method: str,
        path: str,
        body: dict[str, str] | None,
        revision: Revision,
        access_id: str | None = None,
        *,
        probe: bool = False,
    ) -> None:
        self.method = method
        self.path = path
        self.body = body
        #: The revision whose route this is.
        self.revision: Revision = revision
        #: The credential the path names (per-credential routes), if any.
        self.access_id = access_id
        #: Sent only to learn the revision: its success is not the call's result.
        self.probe = probe

    def __repr__(self) -> str:
        # No body: a validate's holds the password.
        return (
            f"Call({self.method} {self.path}, revision={self.revision!r}, "
            f"access_id={self.access_id!r}, probe={self.probe})"
        )


def _validate_call(revision: Revision, sandbox_id: str, access_id: str, password: str) -> Call:
    if revision == "single":
        body = {"id": access_id, "password": password}
        return Call("POST", _routes.ssh_validate(sandbox_id), body, "single")
    path = _routes.ssh_credential_validate(sandbox_id, access_id)
    return Call("POST", path, {"password": password}, "per-credential", access_id)


def _regen_call(revision: Revision, sandbox_id: str, access_id: str | None) -> Call:
    if revision == "single":
        return Call("POST", _routes.ssh_regen(sandbox_id), None, "single")
    assert access_id is not None
    path = _routes.ssh_credential_regen(sandbox_id, access_id)
    return Call("POST", path, None, revision, access_id)


def _delete_call(revision: Revision, sandbox_id: str, access_id: str | None) -> Call:
    if revision == "single":
        return Call("DELETE", _routes.ssh_access(sandbox_id), None, "single")
    assert access_id is not None
    path = _routes.ssh_credential(sandbox_id, access_id)
    return Call("DELETE", path, None, revision, access_id)


_ACTIONS = {"delete_access": _delete_call, "regenerate_access": _regen_call}


class Router:
    """The SSH routes of one client: its setting, the revision found, the ids it was given.

    Under ``"auto"`` the revision is unknown until an answer proves it
    (:meth:`learn`); from then on every call goes straight to its routes.
    While unknown, a call whose credential is known (``access_id`` passed, or
    exactly one credential this client issued on that sandbox) tries the
    per-credential route first, the routes of today's service; a 404 or 405
    there makes it try the seed's route once. A call without a credential
    tries the seed's route (the only one it can address); if that proves the
    per-credential revision, it raises :class:`Leap0AccessIdRequiredError`.
    So does a call without ``access_id`` on a sandbox where this client holds
    several credentials, before any request: only a service that keeps
    several gave them.

    No credential is acted on twice: the second request of a call is sent
    only after the first answered 404 or 405, which act on nothing, and the
    seed's ``DELETE .../ssh/access`` addresses, on a per-credential service,
    the credential ``access``, an id no service issues.

    Thread-safe: the blocking client may be shared by threads.
    """

    __slots__ = ("_found", "_ids", "_lock", "setting")

    def __init__(self, setting: SshApi) -> None:
        self.setting = setting
        self._found: Revision | None = None if setting == "auto" else setting
        # sandbox id -> the credential ids this client was given there (None: too many)
        self._ids: OrderedDict[str, tuple[str, ...] | None] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def revision(self) -> Revision | None:
        """The revision in use: the setting's, or what ``auto`` found (``None``: not yet)."""
        return self._found

    # -- planning -------------------------------------------------------------

    def validate(self, sandbox: object, access_id: object, password: object) -> tuple[Call, ...]:
        """The requests of ``validate_access``."""
        sandbox_id = sandbox_id_of(sandbox)
        checked = access_id_of(access_id)
        if not isinstance(password, str):
            raise TypeError(f"password must be a str, not {type(password).__name__}")
        found = self._found
        if found is not None:
            return (_validate_call(found, sandbox_id, checked, password),)
        return tuple(
            _validate_call(revision, sandbox_id, checked, password)
            for revision in ("per-credential", "single")
        )

    def act(self, method: str, sandbox: object, access_id: object) -> tuple[Call, ...]:
        """The requests of ``delete_access`` or ``regenerate_access`` (``method``)."""
        build = _ACTIONS[method]
        sandbox_id = sandbox_id_of(sandbox)
        checked = None if access_id is None else access_id_of(access_id)
        found = self._found
        if found == "single":
            return (build("single", sandbox_id, None),)
        held = self._held(sandbox_id) if checked is None else (checked,)
        if held is not None and len(held) == 1:
            if found == "per-credential":
                return (build(found, sandbox_id, held[0]),)
            return build("per-credential", sandbox_id, held[0]), build("single", sandbox_id, None)
        # Several credentials of this client's on one sandbox: a service that keeps
        # several (a seed one would have refused the second create). Which one?
        if found == "per-credential" or held is None or len(held) > 1:
            raise self.id_required(method, sandbox_id)
        calls: tuple[Call, ...] = (build("single", sandbox_id, None),)
        if method == "delete_access":
            # A 404 from .../ssh/access says nothing on its own: this probe tells
            # "no credential" (seed) from "name the credential" (per-credential).
            probe = _validate_call("single", sandbox_id, "access", "")
            probe.probe = True
            calls += (probe,)
        return calls

    def id_required(self, method: str, sandbox_id: str) -> Leap0AccessIdRequiredError:
        """The error of a call that needs ``access_id`` on the per-credential routes."""
        if self.setting == "per-credential":
            why = "with ssh_api='per-credential'"
        else:
            held = self._held(sandbox_id)
            if held is None or len(held) > 1:
                why = f"here: this client holds several SSH credentials on sandbox {sandbox_id!r}"
            else:
                why = (
                    "here: the service serves the per-credential SSH routes, and this client "
                    f"holds no credential on sandbox {sandbox_id!r} that it could name"
                )
        return Leap0AccessIdRequiredError(
            f"{method} needs access_id=... {why}; that service keeps several SSH credentials "
            "per sandbox, so name the one to act on (the id create_access returned)"
        )

    # -- learning ---------------------------------------------------------------

    def learn(self, call: Call, status: int) -> bool:
        """Take what ``call``'s answer ``status`` proves; return whether it proved anything."""
        if self.setting != "auto":
            return False
        if 200 <= status < 300:
            revision = call.revision
        elif status == 405:
            revision = _other(call.revision)
        else:
            return False
        if self._found != revision:
            self._found = revision
            logger.debug(
                "SSH routes: the service serves the %r revision (ssh_api='auto')", revision
            )
        return True

    def remember(self, sandbox_id: str, access_id: object, *, only: bool = False) -> None:
        """Note that the service gave this client ``access_id`` on the sandbox.

        ``only``: it is now the sandbox's one credential (the seed's regen).
        An id that could not go into a path is not remembered.
        """
        if self.setting != "auto":
            return
        try:
            checked = access_id_of(access_id)
        except (TypeError, ValueError):
            return
        with self._lock:
            ids = () if only else self._ids.pop(sandbox_id, ())
            if ids is not None and checked not in ids:
                ids = (*ids, checked) if len(ids) < REMEMBERED_PER_SANDBOX else None
            self._ids[sandbox_id] = ids
            while len(self._ids) > REMEMBERED_SANDBOXES:
                self._ids.popitem(last=False)

    def forget(self, sandbox_id: str, access_id: str | None = None) -> None:
        """Forget a credential that is gone (``None``: all of the sandbox's)."""
        with self._lock:
            ids = self._ids.get(sandbox_id)
            if access_id is None:
                self._ids.pop(sandbox_id, None)
            elif ids is not None and access_id in ids:
                self._ids[sandbox_id] = tuple(i for i in ids if i != access_id)

    def _held(self, sandbox_id: str) -> tuple[str, ...] | None:
        """The credentials this client was given on the sandbox (``None``: too many to hold)."""
        with self._lock:
            return self._ids.get(sandbox_id, ())
