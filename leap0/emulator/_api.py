"""The Leap0 routes the emulator serves: sandboxes, their life, SSH access in both revisions.

Each handler checks its input (:mod:`._validate`), asks the state, and answers;
what goes wrong (``Invalid``, ``NotFound``, ``Conflict``) is turned into its
answer by the app, in one place. The requests that end SSH access (delete,
stop, pause) ask the state from a worker thread: ending sessions sweeps the
processes they left (:mod:`._reaper`), which must not hold up the event loop.
Imported only when an emulator starts.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._http import Routes, read_json
from ._settings import SshApiMode
from ._state import State
from ._validate import create_request, list_query, string_fields

__all__ = ["PublicApi"]

_PARAM = r"(?P<{}>[^/]+)"
_SBX = "/v1/sandbox/" + _PARAM.format("sandbox_id")
_SSH_ID = _PARAM.format("ssh_id")


class PublicApi:
    """The public routes' handlers, and their route tables per ``ssh_api`` mode."""

    def __init__(self, state: State) -> None:
        self.state = state

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
        checked = create_request(await read_json(request))
        return JSONResponse(self.state.create_sandbox(checked), status_code=201)

    async def get_sandbox(self, request: Request, params: dict[str, str]) -> Response:
        return JSONResponse(self.state.get_sandbox(params["sandbox_id"]))

    async def delete_sandbox(self, request: Request, params: dict[str, str]) -> Response:
        await run_in_threadpool(self.state.delete_sandbox, params["sandbox_id"])
        return Response(status_code=204)

    async def stop_sandbox(self, request: Request, params: dict[str, str]) -> Response:
        return JSONResponse(await run_in_threadpool(self.state.stop_sandbox, params["sandbox_id"]))

    async def start_sandbox(self, request: Request, params: dict[str, str]) -> Response:
        return JSONResponse(self.state.start_sandbox(params["sandbox_id"]))

    async def pause_sandbox(self, request: Request, params: dict[str, str]) -> Response:
        paused = await run_in_threadpool(self.state.pause_sandbox, params["sandbox_id"])
        return JSONResponse(paused, status_code=201)

    async def list_sandboxes(self, request: Request, params: dict[str, str]) -> Response:
        items, total = self.state.list_sandboxes(list_query(request.query_params))
        return JSONResponse({"items": items, "total_items": total})

    # -- SSH access ----------------------------------------------------------

    async def create_access(self, request: Request, params: dict[str, str]) -> Response:
        return JSONResponse(self.state.create_access(params["sandbox_id"]), status_code=201)

    async def delete_access(self, request: Request, params: dict[str, str]) -> Response:
        await run_in_threadpool(
            self.state.delete_access, params["sandbox_id"], params.get("ssh_id")
        )
        return Response(status_code=204)

    async def regen_access(self, request: Request, params: dict[str, str]) -> Response:
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
