"""The emulator's HTTP API as an ASGI application (starlette request/response types).

Imported only when an emulator starts: it needs the ``emulator`` extra.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hmac
import json
import logging
import re
import secrets
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from ._faults import (
    Fault,
    canonical_path,
    coerce_fault,
    is_text,
    normalize_method,
    normalize_path,
)
from ._settings import SettingsError, SshApiMode
from ._state import DEFAULT_TEMPLATE, LIST_STATES, Conflict, FaultLimit, NotFound, State

__all__ = ["DROPPING", "EmulatorApp"]

log = logging.getLogger("leap0.emulator")

#: Set while a request is being answered with a deliberately dropped response,
#: so the ASGI server's "response not completed" complaint can be filtered out.
DROPPING: contextvars.ContextVar[bool] = contextvars.ContextVar("leap0_emulator_dropping")

MAX_BODY = 1 << 20
#: How deeply a request body's JSON may nest.
MAX_DEPTH = 32
#: The longest ``NAME=value`` (UTF-8 bytes) of one env var: Linux passes no longer
#: string to a program (MAX_ARG_STRLEN, 128 KiB with its terminating NUL).
MAX_ENV_VAR_BYTES = (128 << 10) - 1
#: How many env vars a sandbox may have.
MAX_ENV_VARS = 1000
_INT = re.compile(r"-?[0-9]{1,9}")
_PARAM = r"(?P<{}>[^/]+)"
_SBX = "/v1/sandbox/" + _PARAM.format("sandbox_id")
_SSH_ID = _PARAM.format("ssh_id")


class HTTPError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        errors: list[dict[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers

    def response(self) -> Response:
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def _invalid(errors: list[dict[str, str]]) -> HTTPError:
    return HTTPError(400, "Invalid request", errors)


def _err(field: str, error: str) -> dict[str, str]:
    return {"field": field, "error": error}


Handler = Callable[[Request, dict[str, str]], Awaitable[Response]]
Routes = list[tuple["re.Pattern[str]", dict[str, Handler]]]


class EmulatorApp:
    """ASGI app answering the Leap0 routes from a :class:`State`."""

    def __init__(self, state: State, api_key: str, stopping: asyncio.Event | None = None) -> None:
        self.state = state
        self._key = api_key.encode("utf-8")
        self._stopping = stopping
        sandboxes: list[tuple[str, dict[str, Handler]]] = [
            ("/v1/sandbox", {"POST": self.create_sandbox}),
            ("/v1/sandboxes", {"GET": self.list_sandboxes}),
            (_SBX, {"GET": self.get_sandbox, "DELETE": self.delete_sandbox}),
        ]
        # The seed's SSH routes: the sandbox's one credential, addressed through the sandbox.
        single: list[tuple[str, dict[str, Handler]]] = [
            (_SBX + "/ssh/access", {"POST": self.create_access, "DELETE": self.delete_access}),
            (_SBX + "/ssh/validate", {"POST": self.validate_access}),
            (_SBX + "/ssh/regen", {"POST": self.regen_access}),
        ]
        # The later SSH routes: each credential addressed by its id.
        by_id: list[tuple[str, dict[str, Handler]]] = [
            (_SBX + "/ssh/" + _SSH_ID, {"DELETE": self.delete_access}),
            (_SBX + "/ssh/" + _SSH_ID + "/validate", {"POST": self.validate_access_by_id}),
            (_SBX + "/ssh/" + _SSH_ID + "/regen", {"POST": self.regen_access}),
        ]
        # On a service with only the later routes, ".../ssh/access" is both the
        # create route and "/ssh/{ssh_id}" with ssh_id "access" (so DELETE is 404).
        per_credential: list[tuple[str, dict[str, Handler]]] = [
            (
                _SBX + "/ssh/(?P<ssh_id>access)",
                {"POST": self.create_access, "DELETE": self.delete_access},
            ),
            *by_id,
        ]
        control: list[tuple[str, dict[str, Handler]]] = [
            ("/_emulator/faults", {"POST": self.inject_faults}),
            ("/_emulator/attempts", {"GET": self.get_attempts}),
            ("/_emulator/reset", {"POST": self.reset}),
            ("/_emulator/config", {"GET": self.get_config, "POST": self.set_config}),
        ]

        def compile_routes(ssh: list[tuple[str, dict[str, Handler]]]) -> Routes:
            return [(re.compile(p), methods) for p, methods in [*sandboxes, *ssh, *control]]

        # The first route whose path matches answers, so in "both" the seed's
        # literal routes win over the ones taking an ssh_id.
        self._routes: dict[SshApiMode, Routes] = {
            "both": compile_routes([*single, *by_id]),
            "single": compile_routes(single),
            "per-credential": compile_routes(per_credential),
        }

    # -- ASGI entry point ----------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request_id = "req_" + secrets.token_hex(12)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("ascii")))
                message["headers"] = headers
            await send(message)

        try:
            await self._handle(scope, receive, send_with_id)
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

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"].upper()
        path = request_path(scope)
        request = Request(scope, receive)
        try:
            # The key first: a request without it leaves nothing behind (no
            # counter, no consumed fault).
            self._authenticate(request)
        except HTTPError as exc:
            await exc.response()(scope, receive, send)
            return
        if not (path == "/_emulator" or path.startswith("/_emulator/")):
            fault = self.state.record_attempt(method, path)
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

    def _authenticate(self, request: Request) -> None:
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
            raise HTTPError(
                401,
                "missing API key: send 'Authorization: Bearer <key>' "
                "or 'leap0-authorization: <key>'",
            )
        ok = False
        for candidate in candidates:
            ok |= hmac.compare_digest(candidate.encode("utf-8", "surrogateescape"), self._key)
        if not ok:
            raise HTTPError(401, "invalid API key")

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

    # -- helpers -------------------------------------------------------------

    async def _json_object(self, request: Request) -> dict[str, Any]:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise HTTPError(413, "request body too large")
            chunks.append(chunk)
        raw = b"".join(chunks)
        if not raw.strip():
            raise _invalid([_err("body", "a JSON object is required")])
        try:
            data = json.loads(raw, parse_constant=_reject_constant)
        except Exception:  # bad JSON, bad encoding, nesting too deep: all the client's
            raise _invalid([_err("body", "must be valid JSON")]) from None
        if not isinstance(data, dict):
            raise _invalid([_err("body", "must be a JSON object")])
        problem = _bad_json_value(data)
        if problem is not None:
            raise _invalid([_err(*problem)])
        return data

    # -- sandboxes -----------------------------------------------------------

    async def create_sandbox(self, request: Request, params: dict[str, str]) -> Response:
        body = await self._json_object(request)
        values = validate_create(body)
        try:
            sandbox = self.state.create_sandbox(**values)
        except Conflict as exc:
            raise HTTPError(409, str(exc)) from None
        return JSONResponse(sandbox, status_code=201)

    async def get_sandbox(self, request: Request, params: dict[str, str]) -> Response:
        try:
            return JSONResponse(self.state.get_sandbox(params["sandbox_id"]))
        except NotFound as exc:
            raise HTTPError(404, str(exc)) from None

    async def delete_sandbox(self, request: Request, params: dict[str, str]) -> Response:
        try:
            self.state.delete_sandbox(params["sandbox_id"])
        except NotFound as exc:
            raise HTTPError(404, str(exc)) from None
        return Response(status_code=204)

    async def list_sandboxes(self, request: Request, params: dict[str, str]) -> Response:
        query = validate_list_query(request.query_params)
        items, total = self.state.list_sandboxes(**query)
        return JSONResponse({"items": items, "total_items": total})

    # -- SSH access ----------------------------------------------------------

    async def create_access(self, request: Request, params: dict[str, str]) -> Response:
        try:
            access = self.state.create_access(params["sandbox_id"])
        except NotFound as exc:
            raise HTTPError(404, str(exc)) from None
        except Conflict as exc:
            raise HTTPError(409, str(exc)) from None
        return JSONResponse(access, status_code=201)

    async def delete_access(self, request: Request, params: dict[str, str]) -> Response:
        try:
            self.state.delete_access(params["sandbox_id"], params.get("ssh_id"))
        except NotFound as exc:
            raise HTTPError(404, str(exc)) from None
        except Conflict as exc:
            raise HTTPError(409, str(exc)) from None
        return Response(status_code=204)

    async def regen_access(self, request: Request, params: dict[str, str]) -> Response:
        try:
            access = self.state.regen_access(params["sandbox_id"], params.get("ssh_id"))
        except NotFound as exc:
            raise HTTPError(404, str(exc)) from None
        except Conflict as exc:
            raise HTTPError(409, str(exc)) from None
        return JSONResponse(access)

    async def validate_access(self, request: Request, params: dict[str, str]) -> Response:
        body = await self._json_object(request)
        errors = [
            _err(name, "must be a string")
            for name in ("id", "password")
            if not isinstance(body.get(name), str)
        ]
        if errors:
            raise _invalid(errors)
        return self._validation(params["sandbox_id"], body["id"], body["password"])

    async def validate_access_by_id(self, request: Request, params: dict[str, str]) -> Response:
        body = await self._json_object(request)
        if not isinstance(body.get("password"), str):
            raise _invalid([_err("password", "must be a string")])
        return self._validation(params["sandbox_id"], params["ssh_id"], body["password"])

    def _validation(self, sandbox_id: str, ssh_id: str, password: str) -> Response:
        try:
            valid = self.state.validate_access(sandbox_id, ssh_id, password)
        except NotFound as exc:
            raise HTTPError(404, str(exc)) from None
        return JSONResponse({"valid": valid, "sandbox_id": sandbox_id})

    # -- emulator control ----------------------------------------------------

    async def inject_faults(self, request: Request, params: dict[str, str]) -> Response:
        body = await self._json_object(request)
        errors: list[dict[str, str]] = []
        method = body.get("method")
        path = body.get("path")
        try:
            method = normalize_method(method)  # type: ignore[arg-type]
        except ValueError as exc:
            errors.append(_err("method", str(exc)))
        try:
            path = normalize_path(path)  # type: ignore[arg-type]
        except ValueError as exc:
            errors.append(_err("path", str(exc)))
        raw_faults = body.get("faults")
        faults: list[Fault] = []
        if not isinstance(raw_faults, list) or not raw_faults:
            errors.append(_err("faults", "must be a non-empty array of fault objects"))
        else:
            for index, raw in enumerate(raw_faults):
                try:
                    faults.append(coerce_fault(raw))
                except (ValueError, TypeError) as exc:
                    errors.append(_err(f"faults[{index}]", str(exc)))
        if errors:
            raise _invalid(errors)
        assert isinstance(method, str)
        assert isinstance(path, str)
        try:
            self.state.inject(method, path, faults)
        except FaultLimit as exc:
            raise HTTPError(409, str(exc)) from None
        pending = self.state.pending_faults(method, path)
        return JSONResponse({"method": method, "path": path, "pending": pending})

    async def get_attempts(self, request: Request, params: dict[str, str]) -> Response:
        errors: list[dict[str, str]] = []
        method = request.query_params.get("method", "")
        path = request.query_params.get("path", "")
        try:
            method = normalize_method(method)
        except ValueError as exc:
            errors.append(_err("method", str(exc)))
        try:
            path = normalize_path(path)
        except ValueError as exc:
            errors.append(_err("path", str(exc)))
        if errors:
            raise _invalid(errors)
        return JSONResponse({"attempts": self.state.attempts(method, path)})

    async def reset(self, request: Request, params: dict[str, str]) -> Response:
        self.state.reset()
        return Response(status_code=204)

    async def get_config(self, request: Request, params: dict[str, str]) -> Response:
        return JSONResponse(self.state.settings.to_json())

    async def set_config(self, request: Request, params: dict[str, str]) -> Response:
        body = await self._json_object(request)
        try:
            settings = self.state.configure(body)
        except SettingsError as exc:
            raise _invalid([_err(field, error) for field, error in exc.errors]) from None
        except Conflict as exc:
            raise HTTPError(409, str(exc)) from None
        return JSONResponse(settings.to_json())


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


def _bad_json_value(data: object) -> tuple[str, str] | None:
    """``(field, error)`` for the first value no body may hold, else None.

    Every string (keys included) must be valid Unicode text, so that it can be
    stored and answered back; nesting is at most :data:`MAX_DEPTH` deep.
    """
    stack: list[tuple[str, object, int]] = [("", data, 0)]
    while stack:
        where, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return where or "body", f"is nested more than {MAX_DEPTH} levels deep"
        if isinstance(value, str):
            if not is_text(value):
                return where or "body", "must be valid Unicode text (no lone surrogates)"
        elif isinstance(value, dict):
            for key, item in value.items():
                if not is_text(key):
                    return where or "body", "keys must be valid Unicode text (no lone surrogates)"
                stack.append((f"{where}.{key}" if where else key, item, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((f"{where}[{index}]", item, depth + 1))
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_in_range(
    body: Mapping[str, Any],
    name: str,
    default: int,
    low: int,
    high: int,
    errors: list[dict[str, str]],
) -> int:
    value = body.get(name)
    if value is None:
        return default
    if not _is_int(value):
        errors.append(_err(name, "must be an integer"))
        return default
    if not low <= value <= high:
        errors.append(_err(name, f"must be between {low} and {high}"))
    return int(value)


def validate_create(body: Mapping[str, Any]) -> dict[str, Any]:
    """Check a sandbox create body the way the service does; raise HTTP 400."""
    errors: list[dict[str, str]] = []
    template = body.get("template_name")
    if template is None:
        template = DEFAULT_TEMPLATE
    elif not isinstance(template, str) or not template.strip():
        errors.append(_err("template_name", "must be a non-empty string"))
    vcpu = _int_in_range(body, "vcpu", 1, 1, 8, errors)
    memory = _int_in_range(body, "memory", 1024, 512, 8192, errors)
    if _is_int(body.get("memory")) and memory % 2:
        errors.append(_err("memory", "must be an even number of MiB"))
    timeout = _int_in_range(body, "timeout", 300, 1, 28800, errors)
    env_vars = body.get("env_vars")
    if env_vars is None:
        env_vars = {}
    elif not isinstance(env_vars, dict):
        errors.append(_err("env_vars", "must be an object mapping names to string values"))
    else:
        if len(env_vars) > MAX_ENV_VARS:
            errors.append(_err("env_vars", f"may hold at most {MAX_ENV_VARS} variables"))
        for key, value in env_vars.items():
            if not key or "=" in key or "\0" in key:
                errors.append(_err("env_vars", f"invalid variable name {key!r}"))
            elif not isinstance(value, str):
                errors.append(_err(f"env_vars.{key}", "must be a string"))
            elif "\0" in value:
                errors.append(_err(f"env_vars.{key}", "must not contain NUL characters"))
            elif len(f"{key}={value}".encode()) > MAX_ENV_VAR_BYTES:
                errors.append(
                    _err(
                        f"env_vars.{key}",
                        f"NAME=value must be at most {MAX_ENV_VAR_BYTES} bytes as UTF-8",
                    )
                )
    auto_pause = body.get("auto_pause")
    if auto_pause is None:
        auto_pause = False
    elif not isinstance(auto_pause, bool):
        errors.append(_err("auto_pause", "must be a boolean"))
    if errors:
        raise _invalid(errors)
    return {
        "template_name": template,
        "vcpu": vcpu,
        "memory": memory,
        "timeout": timeout,
        "env_vars": env_vars,
        "auto_pause": auto_pause,
    }


def validate_list_query(query: Mapping[str, str]) -> dict[str, Any]:
    """Check the sandbox list query the way the service does; raise HTTP 400."""
    errors: list[dict[str, str]] = []
    state: str | None = query.get("state") or None
    if state is not None and state not in LIST_STATES:
        errors.append(_err("state", f"must be one of: {', '.join(LIST_STATES)}"))
    sort = query.get("sort") or "created_at"
    if sort not in ("created_at", "state"):
        errors.append(_err("sort", "must be one of: created_at, state"))
    order = query.get("order-by") or "desc"
    if order not in ("asc", "desc"):
        errors.append(_err("order-by", "must be one of: asc, desc"))

    def integer(name: str, default: int, low: int, high: int | None) -> int:
        raw = query.get(name)
        if raw is None or raw == "":
            return default
        if not _INT.fullmatch(raw):
            errors.append(_err(name, "must be an integer"))
            return default
        value = int(raw)
        if value < low or (high is not None and value > high):
            bound = f"at least {low}" if high is None else f"between {low} and {high}"
            errors.append(_err(name, f"must be {bound}"))
        return value

    page = integer("page", 1, 1, None)
    page_size = integer("page-size", 20, 1, 100)
    if errors:
        raise _invalid(errors)
    return {
        "state": state,
        "sort": sort,
        "descending": order == "desc",
        "page": page,
        "page_size": page_size,
    }
