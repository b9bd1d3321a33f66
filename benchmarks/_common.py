"""Shared by the benchmark scripts: machine line, medians, canned answers, verdicts.

Every script prints ``name: value`` figure lines and, where a budget applies, a
``PASS``/``FAIL`` verdict on the same line, so ``run_all.py`` (and a reader)
can pick them out.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys

import httpx

API_KEY = "bench_key_0123456789"
BASE_URL = "https://api.leap0.test"
SANDBOX_ID = "sbx_bench01"
ACCESS_ID = "acc_bench01"
PASSWORD = "pw-bench-0123456789"

SSH_ACCESS = {
    "id": ACCESS_ID,
    "sandbox_id": SANDBOX_ID,
    "password": PASSWORD,
    "expires_at": "2026-11-26T05:00:00.123456Z",
    "created_at": "2026-11-26T04:00:00.123456Z",
    "updated_at": "2026-11-26T04:00:00.123456Z",
    "ssh_command": f"ssh {ACCESS_ID}@ssh.leap0.test -p 2222",
}
SSH_VALIDATION = {"valid": True, "sandbox_id": SANDBOX_ID}

_JSON_HEADERS = [(b"content-type", b"application/json")]
_ANSWERS = {
    f"/v1/sandbox/{SANDBOX_ID}/ssh/access": (201, json.dumps(SSH_ACCESS).encode()),
    f"/v1/sandbox/{SANDBOX_ID}/ssh/regen": (200, json.dumps(SSH_ACCESS).encode()),
    f"/v1/sandbox/{SANDBOX_ID}/ssh/validate": (200, json.dumps(SSH_VALIDATION).encode()),
}


def handler(request: httpx.Request) -> httpx.Response:
    """The in-memory service both the SDK and raw httpx talk to: canned JSON per path."""
    status, body = _ANSWERS[request.url.path]
    return httpx.Response(status, headers=_JSON_HEADERS, content=body)


def machine() -> str:
    """One line naming the interpreter and the machine the figures come from."""
    impl = platform.python_implementation()
    return (
        f"python: {impl} {platform.python_version()} | machine: {platform.platform()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs | httpx {httpx.__version__}"
    )


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def header(title: str) -> None:
    print(f"== {title}")
    print(machine())
    sys.stdout.flush()
