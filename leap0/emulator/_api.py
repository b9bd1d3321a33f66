"""The Leap0 routes the emulator serves: sandboxes, their life, SSH access in both revisions.

Each handler checks its input (:mod:`._validate`), asks the state, and answers;
what goes wrong (``Invalid``, ``NotFound``, ``Conflict``) is turned into its
answer by the app, in one place. A route that takes no body refuses one
(an empty body, ``{}`` or ``null`` pass). Every other operation of the public
OpenAPI description (:mod:`._catalogue`) answers 501 ``{"message":
"<operationId> is not emulated"}`` (:meth:`PublicApi.not_emulated`); on a
sandbox's path, a sandbox that does not exist is 404 first. The requests
that end SSH access (delete, stop, pause) ask the state from a worker thread:
ending sessions sweeps the processes they left (:mod:`._reaper`), which must
not hold up the event loop.
Imported only when an emulator starts.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._catalogue import OPERATIONS
from ._http import Handler, HTTPError, Routes, read_body, read_json, read_no_body
from ._settings import SshApiMode
from ._state import State
from ._validate import create_request, list_query, string_fields

__all__ = ["EMULATED", "PublicApi"]

#: The operations of the public OpenAPI description the emulator implements (with
#: ``ssh_api="single"``, the per-credential SSH ones are absent, as on a service of the
#: seed's revision: 404, not 501).
EMULATED = frozenset(
    {
        "createSandbox",
        "getSandbox",
        "deleteSandbox",
        "listSandboxes",
        "stopSandbox",
        "startSandbox",
        "pauseSandbox",
        "createSshAccess",
        "deleteSshAccess",
        "validateSshAccess",
        "regenSshAccess",
    }
)

# The path parameter naming a sandbox in the description's templates.
_SANDBOX_PARAM = "sandboxID"

_PARAM = r"(?P<{}>[^/]+)"
_SBX = "/v1/sandbox/" + _PARAM.format("sandbox_id")
_SSH_ID = _PARAM.format("ssh_id")


class PublicApi:
    """The public routes' handlers, and their route tables per ``ssh_api`` mode."""

    def __init__(self, state: State) -> None:
        self.state = state

    def not_emulated(self) -> Routes:
        """A route for each path of the description with an operation not implemented.

        Each such operation answers 501 (after a 404 for a missing sandbox).
        Where one path fits several templates (``/v1/snapshot/restore`` and
        ``/v1/snapshot/{snapshotID}``), it takes every method of each, the
        template with fewer parameters winning a method both have; templates
        with fewer parameters come first. The implemented routes come before
        these, and none of these paths is theirs.
        """
        by_template: dict[str, dict[str, str]] = {}
        for method, template, operation_id in OPERATIONS:
            if operation_id not in EMULATED:
                by_template.setdefault(template.rstrip("/") or "/", {})[method] = operation_id
        templates = sorted(by_template, key=lambda t: t.count("{"))
        routes: Routes = []
        for template in templates:
            methods = dict(by_template[template])
            for other in templates:
                if other != template and _covers(other, template):
                    for method, operation_id in by_template[other].items():
                        methods.setdefault(method, operation_id)
            handlers = {method: self._not_emulated(op) for method, op in methods.items()}
            routes.append((_pattern(template), handlers))
        return routes

    def _not_emulated(self, operation_id: str) -> Handler:
        async def handler(request: Request, params: dict[str, str]) -> Response:
            await read_body(request)  # taken, so that the request record shows it
            sandbox_id = params.get(_SANDBOX_PARAM)
            if sandbox_id is not None:
                self.state.get_sandbox(sandbox_id)  # NotFound: 404
            raise HTTPError(501, f"{operation_id} is not emulated")

        return handler

    def routes(self, mode: SshApiMode) -> Routes:
        """The routes served under ``mode``; the first whose path matches answers."""
        sandboxes: Routes = [
            ("/v1/sandbox", {"POST": self.create_sandbox}),
            ("/v1/sandboxes", {"GET": self.list_sandboxes}),
            (_SBX, {"GET": self.get_sandbox, "DELETE": self.delete_sandbox}),
            (_SBX + "/stop", {"POST": self.stop_sandbox}),
            (_SBX + "/start", {"POST": self.start_sandbox}),
            (_SBX + "/pause", {"POST": self.pause_sandbox}),
        ]
        # The seed's SSH routes: a credential addressed through its sandbox (validate
        # names it by id; delete and regen mean the sandbox's only one).
        single: Routes = [
            (_SBX + "/ssh/access", {"POST": self.create_access, "DELETE": self.delete_access}),
            (_SBX + "/ssh/validate", {"POST": self.validate_access}),
            (_SBX + "/ssh/regen", {"POST": self.regen_access}),
        ]
        # The later SSH routes: each credential addressed by its id.
        by_id: Routes = [
            (_SBX + "/ssh/" + _SSH_ID, {"DELETE": self.delete_access}),
            (_SBX + "/ssh/" + _SSH_ID + "/validate", {"POST": self.validate_access_by_id}),
            (_SBX + "/ssh/" + _SSH_ID + "/regen", {"POST": self.regen_access}),
        ]
        if mode == "single":
            return [*sandboxes, *single]
        if mode == "per-credential":
            # On a service with only the later routes, ".../ssh/access" is both the
            # create route and "/ssh/{ssh_id}" with ssh_id "access" (so DELETE is 404).
            access: Routes = [
                (
                    _SBX + "/ssh/(?P<ssh_id>access)",
                    {"POST": self.create_access, "DELETE": self.delete_access},
                )
            ]
            return [*sandboxes, *access, *by_id]
        # In "both" the seed's literal routes come first, so they win over ssh_id ones;
        # a sandbox may hold several credentials there, and then the seed's delete and
        # regen (which address its only one) answer 409 (State._credential).
        return [*sandboxes, *single, *by_id]

    # -- sandboxes -----------------------------------------------------------

    async def create_sandbox(self, request: Request, params: dict[str, str]) -> Response:
        checked = create_request(await read_json(request), self.state.settings)
        return JSONResponse(self.state.create_sandbox(checked), status_code=201)

    async def get_sandbox(self, request: Request, params: dict[str, str]) -> Response:
        await read_no_body(request)
        return JSONResponse(self.state.get_sandbox(params["sandbox_id"]))

    async def delete_sandbox(self, request: Request, params: dict[str, str]) -> Response:
        await read_no_body(request)
        await run_in_threadpool(self.state.delete_sandbox, params["sandbox_id"])
        return Response(status_code=204)

    async def stop_sandbox(self, request: Request, params: dict[str, str]) -> Response:
        await read_no_body(request)
        return JSONResponse(await run_in_threadpool(self.state.stop_sandbox, params["sandbox_id"]))

    async def start_sandbox(self, request: Request, params: dict[str, str]) -> Response:
        await read_no_body(request)
        return JSONResponse(self.state.start_sandbox(params["sandbox_id"]))

    async def pause_sandbox(self, request: Request, params: dict[str, str]) -> Response:
        await read_no_body(request)
        paused = await run_in_threadpool(self.state.pause_sandbox, params["sandbox_id"])
        return JSONResponse(paused, status_code=201)

    async def list_sandboxes(self, request: Request, params: dict[str, str]) -> Response:
        await read_no_body(request)
        query = request.query_params
        checked = list_query(query, [name for name, _ in query.multi_items()])
        items, total = self.state.list_sandboxes(checked)
        return JSONResponse({"items": items, "total_items": total})

    # -- SSH access ----------------------------------------------------------

    async def create_access(self, request: Request, params: dict[str, str]) -> Response:
        await read_no_body(request)
        return JSONResponse(self.state.create_access(params["sandbox_id"]), status_code=201)

    async def delete_access(self, request: Request, params: dict[str, str]) -> Response:
        await read_no_body(request)
        await run_in_threadpool(
            self.state.delete_access, params["sandbox_id"], params.get("ssh_id")
        )
        return Response(status_code=204)

    async def regen_access(self, request: Request, params: dict[str, str]) -> Response:
        await read_no_body(request)
        return JSONResponse(self.state.regen_access(params["sandbox_id"], params.get("ssh_id")))

    async def validate_access(self, request: Request, params: dict[str, str]) -> Response:
        access_id, password = string_fields(await read_json(request), "id", "password")
        return self._validation(params["sandbox_id"], access_id, password)

    async def validate_access_by_id(self, request: Request, params: dict[str, str]) -> Response:
        (password,) = string_fields(await read_json(request), "password")
        return self._validation(params["sandbox_id"], params["ssh_id"], password)

    def _validation(self, sandbox_id: str, ssh_id: str, password: str) -> Response:
        valid = self.state.validate_access(sandbox_id, ssh_id, password)
        return JSONResponse({"valid": valid, "sandbox_id": sandbox_id})


def _pattern(template: str) -> str:
    """A description's path template as a route pattern: ``{name}`` is one segment."""
    parts = re.split(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", template)
    pattern = ""
    for index, part in enumerate(parts):
        pattern += _PARAM.format(part) if index % 2 else re.escape(part)
    return pattern


def _covers(general: str, specific: str) -> bool:
    """Whether every path that template ``specific`` matches, ``general`` matches too."""
    mine, theirs = general.split("/"), specific.split("/")
    if len(mine) != len(theirs):
        return False
    return all(
        a == b or (a.startswith("{") and a.endswith("}")) for a, b in zip(mine, theirs, strict=True)
    )
