"""The emulator's own routes, ``/_emulator/*``: faults, counters, reset, settings, clock,
the request record and the health check.

Not part of the Leap0 API: requests to them need the API key (all but the
health check, which the app answers before looking for the key) but are never
counted, faulted or recorded. A reset and a move of the clock may end many sandboxes'
SSH sessions: they ask the state from a worker thread, so the event loop goes
on answering meanwhile. Imported only when an emulator starts.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._clock import rfc3339
from ._faults import CONTROL_PREFIX
from ._http import Routes, read_json
from ._state import State
from ._validate import clock_request, fault_request, route_query

__all__ = ["HEALTH_PATH", "PREFIX", "Control", "clock_json"]

#: Every control route's path starts with this.
PREFIX = CONTROL_PREFIX

#: ``GET`` answers 200 ``{"status": "ok"}`` here, without the API key.
HEALTH_PATH = PREFIX + "/health"


def clock_json(state: State, now: float) -> dict[str, Any]:
    """``{"now": RFC 3339, "offset": seconds advanced since the start or the last reset}``."""
    return {"now": rfc3339(now), "offset": state.clock.offset}


class Control:
    """The control routes' handlers and their route table."""

    def __init__(self, state: State) -> None:
        self.state = state

    def routes(self) -> Routes:
        return [
            (PREFIX + "/faults", {"POST": self.inject_faults}),
            (PREFIX + "/attempts", {"GET": self.get_attempts}),
            (PREFIX + "/reset", {"POST": self.reset}),
            (PREFIX + "/config", {"GET": self.get_config, "POST": self.set_config}),
            (PREFIX + "/clock", {"GET": self.get_clock, "POST": self.advance_clock}),
            (PREFIX + "/requests", {"GET": self.get_requests}),
            (HEALTH_PATH, {"GET": self.health}),
        ]

    async def inject_faults(self, request: Request, params: dict[str, str]) -> Response:
        method, path, faults = fault_request(await read_json(request))
        pending = self.state.faults.inject(method, path, faults)
        return JSONResponse({"method": method, "path": path, "pending": pending})

    async def get_attempts(self, request: Request, params: dict[str, str]) -> Response:
        method, path = route_query(request.query_params)
        return JSONResponse({"attempts": self.state.faults.attempts(method, path)})

    async def reset(self, request: Request, params: dict[str, str]) -> Response:
        await run_in_threadpool(self.state.reset)
        return Response(status_code=204)

    async def get_config(self, request: Request, params: dict[str, str]) -> Response:
        return JSONResponse(self.state.settings.to_json())

    async def set_config(self, request: Request, params: dict[str, str]) -> Response:
        settings = self.state.configure(await read_json(request))
        return JSONResponse(settings.to_json())

    async def get_clock(self, request: Request, params: dict[str, str]) -> Response:
        return JSONResponse(clock_json(self.state, self.state.clock.now()))

    async def advance_clock(self, request: Request, params: dict[str, str]) -> Response:
        now = await run_in_threadpool(self.state.advance, clock_request(await read_json(request)))
        return JSONResponse(clock_json(self.state, now))

    async def get_requests(self, request: Request, params: dict[str, str]) -> Response:
        return Response(self.state.recorder.to_json(), media_type="application/json")

    async def health(self, request: Request, params: dict[str, str]) -> Response:
        return JSONResponse({"status": "ok"})
