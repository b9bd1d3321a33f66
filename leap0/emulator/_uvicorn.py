"""uvicorn, as the emulator runs it: one pre-bound socket, started and stopped in the running loop.

Imported only when an emulator starts (it needs the ``emulator`` extra). The
connections follow :func:`~._connection.http_protocol`'s rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from typing import Any

from ._state import State

__all__ = ["ApiServer"]

log = logging.getLogger("leap0.emulator")

_filter_lock = threading.Lock()
_filter_installed = False


class ApiServer:
    """uvicorn serving one pre-bound socket, started and stopped in the current loop.

    Its connections follow :func:`~._connection.http_protocol`'s rules, with the
    state's ``request_timeout`` and ``max_unauthenticated``.
    """

    def __init__(self, app: Any, sock: socket.socket, state: State) -> None:
        import uvicorn

        _install_drop_log_filter()

        from ._burst import BurstLog
        from ._connection import http_protocol
        from ._waiting import WaitingRoom

        self.waiting = WaitingRoom(
            lambda: state.settings.max_unauthenticated,
            BurstLog(
                log,
                "closed %d HTTP connection(s) that had sent no request with the API key: "
                "more than %d were waiting (max_unauthenticated)",
                lambda: (state.settings.max_unauthenticated,),
            ),
        )
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level=None,
            access_log=True,
            lifespan="off",
            http=http_protocol(lambda: state.settings.request_timeout, self.waiting),
            ws="none",
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._sock = sock
        self._task: asyncio.Future[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.ensure_future(self._server.serve(sockets=[self._sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises the startup error, if any
                raise RuntimeError("the HTTP server exited during startup")
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        task = self._task
        if task is None:
            return
        self.waiting.close()
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=5)
        except asyncio.TimeoutError:
            self._server.force_exit = True
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        except BaseException:
            log.debug("HTTP server stopped with an error", exc_info=True)


class _DropFilter(logging.Filter):
    """Hide uvicorn's complaint about responses the emulator drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        from ._app import DROPPING

        return not (
            DROPPING.get(False) and str(record.msg).startswith("ASGI callable returned without")
        )


def _install_drop_log_filter() -> None:
    global _filter_installed
    with _filter_lock:
        if not _filter_installed:
            logging.getLogger("uvicorn.error").addFilter(_DropFilter())
            _filter_installed = True
