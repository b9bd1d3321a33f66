"""The emulator's ASGI application: the door every HTTP request goes through.

In order: a request id on every answer, the health check (the one route
answered without the API key), the API key, counting and scripted faults
(public routes only), routing on the raw path, the handler, and one place
where what went wrong becomes its answer (``Invalid`` 400 with field errors,
``NotFound`` 404, ``Conflict`` 409, 405/413/501/no route, 500 for anything
else); then every request of the public routes that carried the key is
recorded (:mod:`._recorder`). The routes themselves live in :mod:`._api`
(the Leap0 API, and 501 for the description's other operations) and
:mod:`._control` (``/_emulator/*``). Imported only when an emulator
starts: it needs the ``emulator`` extra.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hmac
import json
import logging
import re
import urllib.parse
from collections.abc import Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from ._api import PublicApi
from ._control import HEALTH_PATH, Control
from ._errors import Conflict, Invalid, NotFound
from ._faults import Fault, canonical_path, is_control_path
from ._http import AUTHENTICATED, REQUEST_ID, Handler, HTTPError, error_response, new_request_id
from ._recorder import MAX_RECORDED_BODY
from ._settings import SSH_API_MODES, SshApiMode
from ._state import State

__all__ = ["DROPPING", "EmulatorApp", "request_path"]

log = logging.getLogger("leap0.emulator")

#: Set while a request is being answered with a deliberately dropped response,
#: so the ASGI server's "response not completed" complaint can be filtered out.
DROPPING: contextvars.ContextVar[bool] = contextvars.ContextVar("leap0_emulator_dropping")

_Compiled = list[tuple["re.Pattern[str]", dict[str, Handler]]]


class EmulatorApp:
    """ASGI app answering the Leap0 routes and the control routes from a :class:`State`."""

    def __init__(self, state: State, api_key: str, stopping: asyncio.Event | None = None) -> None:
        self.state = state
        self._key = api_key.encode("utf-8")
        self._stopping = stopping
        public, control = PublicApi(state), Control(state)
        not_emulated = public.not_emulated()
        self._routes: dict[SshApiMode, _Compiled] = {
            mode: [
                (re.compile(pattern), methods)
                for pattern, methods in [*public.routes(mode), *not_emulated, *control.routes()]
            ]
            for mode in SSH_API_MODES
        }

    # -- ASGI entry point ----------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request_id = new_request_id()
        started = False
        status: int | None = None
        method: str = scope["method"].upper()
        path = request_path(scope)
        # Public routes' requests are recorded once answered, if they carried the key.
        recording = not is_control_path(path)
        arrived = self.state.clock.now() if recording else 0.0
        authenticated = False
        body_start: list[bytes] = []
        body_size = 0

        async def receive_recording() -> Message:
            nonlocal body_size
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                if chunk and body_size < MAX_RECORDED_BODY:
                    body_start.append(chunk[: MAX_RECORDED_BODY - body_size])
                body_size += len(chunk)
            return message

        recorded = False

        def record() -> None:
            nonlocal recorded
            if recorded or not (recording and authenticated):
                return
            recorded = True
            self.state.recorder.record(
                method=method,
                path=path,
                query=scope.get("query_string") or b"",
                status=status,
                request_id=request_id,
                time=arrived,
                body=b"".join(body_start),
                body_size=body_size,
            )

        async def send_with_id(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.body" and not message.get("more_body"):
                record()  # before the client has its answer, so a look after it sees this
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                # Exactly one request id: the emulator's, whatever the answer brought.
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if bytes(name).lower() != REQUEST_ID
                ]
                headers.append((REQUEST_ID, request_id.encode("ascii")))
                message["headers"] = headers
            await send(message)

        def passed_the_key() -> None:
            nonlocal authenticated
            authenticated = True

        try:
            if method == "GET" and path == HEALTH_PATH:
                # The one route without the key: something to wait on while starting.
                await JSONResponse({"status": "ok"})(scope, receive, send_with_id)
                return
            await self._handle(scope, receive_recording, send_with_id, passed_the_key)
        except ClientDisconnect:
            # The client gave up (e.g. its timeout) before sending the whole body.
            log.debug("client went away during %s %s", scope.get("method"), scope.get("path"))
        except Exception:
            log.exception(
                "internal error answering %s %s (request %s)",
                scope.get("method"),
                scope.get("path"),
                request_id,
            )
            if not started:
                response = JSONResponse({"message": "internal error"}, status_code=500)
                await response(scope, receive, send_with_id)
        finally:
            record()  # no complete answer: the client left, or a dropped one

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, passed_the_key: Callable[[], None]
    ) -> None:
        method: str = scope["method"].upper()
        path = request_path(scope)
        request = Request(scope, receive)
        # The key first: a request without it leaves nothing behind (no
        # counter, no consumed fault, no record).
        problem = self._key_problem(request)
        if problem is not None:
            await error_response(401, problem)(scope, receive, send)
            return
        passed_the_key()
        authenticated = scope.get(AUTHENTICATED)
        if callable(authenticated):
            authenticated()  # the connection no longer counts as waiting to authenticate
        if not is_control_path(path):
            fault = self.state.faults.record_attempt(method, path)
            if fault is not None:
                if fault.delay:
                    await self._sleep(fault.delay)
                if fault.answers:
                    await self._answer_fault(fault, send, method)
                    return
        try:
            handler, params = self._route(method, path)
            response = await handler(request, params)
        except HTTPError as exc:
            response = exc.response()
        except Invalid as exc:
            response = error_response(400, "Invalid request", exc.errors)
        except NotFound as exc:
            response = error_response(404, str(exc))
        except Conflict as exc:
            response = error_response(409, str(exc))
        await response(scope, receive, send)

    async def _sleep(self, seconds: float) -> None:
        if self._stopping is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _answer_fault(self, fault: Fault, send: Send, method: str) -> None:
        status = fault.status if fault.status is not None else 200
        if fault.body is not None:
            body = fault.body.encode("utf-8")
        elif fault.drop:
            body = json.dumps(
                {"message": "injected fault: connection dropped", "padding": "x" * 200}
            ).encode()
        else:
            body = b'{"message":"injected fault"}'
        headers = [(b"content-type", (fault.content_type or "application/json").encode("latin-1"))]
        if status in (204, 304):
            body = b""  # these answers have no body, so no Content-Length either
        else:
            # A dropped answer promises more than it sends.
            length = len(body) + (64 if fault.drop else 0)
            headers.append((b"content-length", str(length).encode()))
        if method == "HEAD":
            body = b""  # the headers describe the body a GET would get
        if fault.retry_after is not None:
            headers.append((b"retry-after", fault.retry_after.encode("latin-1")))
        for name, value in (fault.headers or {}).items():
            headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if fault.drop:
            DROPPING.set(True)
            part = body[: len(body) // 2]
            await send({"type": "http.response.body", "body": part, "more_body": True})
            return  # leave the response incomplete: the server closes the connection
        await send({"type": "http.response.body", "body": body})

    def _key_problem(self, request: Request) -> str | None:
        """Why the request's API key is not accepted, or None if it is."""
        candidates: list[str] = []
        authorization = request.headers.get("authorization")
        if authorization:
            scheme, _, token = authorization.strip().partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                candidates.append(token.strip())
        raw = request.headers.get("leap0-authorization")
        if raw and raw.strip():
            candidates.append(raw.strip())
        if not candidates:
            return (
                "missing API key: send 'Authorization: Bearer <key>' "
                "or 'leap0-authorization: <key>'"
            )
        ok = False
        for candidate in candidates:
            ok |= hmac.compare_digest(candidate.encode("utf-8", "surrogateescape"), self._key)
        return None if ok else "invalid API key"

    def _route(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        for pattern, methods in self._routes[self.state.settings.ssh_api]:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            # Each matched segment is decoded and checked before anything else.
            params: dict[str, str] = {}
            for name, segment in match.groupdict().items():
                value = _segment(segment)
                if value is None:
                    raise HTTPError(
                        404,
                        f"no route for {method} {path}: a path segment may not hold an "
                        "escaped '/', '?' or '#', control characters or bytes that are "
                        "not UTF-8",
                    )
                params[name] = value
            handler = methods.get(method)
            if handler is None:
                allowed = ", ".join(sorted(methods))
                raise HTTPError(
                    405,
                    f"method {method} not allowed here (allowed: {allowed})",
                    headers={"allow": allowed},
                )
            return handler, params
        raise HTTPError(404, f"no route for {method} {path}")


def request_path(scope: Scope) -> str:
    """The request's path as routes, faults and counters see it (:func:`canonical_path`).

    Taken from the bytes the client sent (``raw_path``), never from the decoded
    ``path``, so an escaped ``/``, ``?`` or ``#`` cannot move a request to
    another route or resource.
    """
    raw = scope.get("raw_path")
    if not isinstance(raw, bytes):
        raw = str(scope.get("path") or "/").encode("utf-8", "surrogateescape")
    if not raw.startswith(b"/"):
        raw = b"/" + raw
    return canonical_path(raw)


def _segment(segment: str) -> str | None:
    """A matched path segment, decoded; None if it decodes to something no id may hold."""
    try:
        value = urllib.parse.unquote_to_bytes(segment).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not value or any(c in "/?#" or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    return value
