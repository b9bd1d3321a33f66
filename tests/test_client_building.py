"""The pure parts of building a client: the attempts named in errors."""

from __future__ import annotations

import httpx

from leap0._responses import attempt_timeout_error, transport_error

# --- errors name the attempts made ---------------------------------------------------


def test_errors_name_the_attempts_made() -> None:
    timeout = transport_error(httpx.ReadTimeout("t"), "GET", "/x", 3)
    assert str(timeout) == "GET /x: timed out waiting for the answer (3 attempts)"
    refused = transport_error(httpx.ConnectError("refused"), "GET", "/x", 1)
    assert str(refused) == "GET /x: could not connect to the service (refused) (1 attempt)"
    whole = attempt_timeout_error("GET", "/x", 1.5, 2)
    assert str(whole) == "GET /x: timed out: the attempt took longer than its 1.5 s timeout (2 attempts)"
