"""A tiny hostile Leap0 service for the command line's tests: fixed answers, counted requests.

:class:`StubService` is an ``http.server`` on 127.0.0.1, in a thread of its
own, started and stopped by the test (``with StubService({...}) as stub:``).
It answers ``(METHOD, PATH)`` with the JSON body and status it was given (404
otherwise) and records every request it gets, so a test can tell what reached
it, the API key included. Unlike the emulator it says whatever a test wants,
ids that are shell code among them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

Answer = tuple[int, Any]
"""A status and a JSON-ready body (``str``: sent as it is, already JSON text)."""


class StubService:
    """Answers ``answers[(method, path)]``; ``requests`` holds ``(method, path, key)`` seen."""

    def __init__(self, answers: Mapping[tuple[str, str], Answer] | None = None) -> None:
        self.answers: dict[tuple[str, str], Answer] = dict(answers or {})
        self.requests: list[tuple[str, str, str | None]] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                path = self.path.partition("?")[0]
                with stub._lock:
                    stub.requests.append((self.command, path, self.headers.get("Authorization")))
                status, body = stub.answers.get((self.command, path), (404, {"message": "no"}))
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def paths(self, method: str | None = None) -> list[str]:
        with self._lock:
            return [path for m, path, _ in self.requests if method is None or m == method]

    def __enter__(self) -> StubService:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def page(*ids: str, total: object = None) -> dict[str, Any]:
    """A ``GET /v1/sandboxes`` answer listing ``ids`` (``total``: its ``total_items``)."""
    items = [
        {
            "id": ident,
            "template_id": "system/debian:bookworm",
            "pod_id": "pod-1",
            "state": "running",
            "created_at": "2026-11-26T04:00:00Z",
        }
        for ident in ids
    ]
    return {"items": items, "total_items": len(items) if total is None else total}
