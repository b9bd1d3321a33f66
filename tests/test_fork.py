"""A child forked while another thread builds the shared TLS context is not stuck.

The parent's thread holds the context's lock while ``httpx.create_ssl_context``
runs (made to wait here, so the fork lands inside it every round); the child
then makes a new client and an ``https://`` request, which must reach the
network (a refused connection) instead of waiting forever for that lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() here")

ROUNDS = 30

SCRIPT = textwrap.dedent(
    """
    import os, signal, socket, sys, threading, warnings
    warnings.simplefilter("ignore")  # 3.12+: fork() with threads running
    import httpx
    import leap0
    from leap0 import _http

    rounds, stuck = int(sys.argv[1]), 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    real = httpx.create_ssl_context
    for _ in range(rounds):
        inside, leave = threading.Event(), threading.Event()

        def slow(*args, **kwargs):
            inside.set()
            leave.wait(10)
            return real(*args, **kwargs)

        httpx.create_ssl_context = slow
        # Private, as there is no public way to make the shared context be built again:
        # each round, a worker builds it while the fork lands.
        _http._contexts.clear()
        worker = threading.Thread(target=_http.tls_context)
        worker.start()
        inside.wait(10)  # the worker now holds the context's lock
        pid = os.fork()
        if pid == 0:
            signal.alarm(5)  # a stuck child dies instead of hanging the test
            httpx.create_ssl_context = real
            with leap0.Leap0Client(api_key="k", base_url=f"https://127.0.0.1:{port}",
                                   max_retries=0) as client:
                try:
                    client.sandboxes.list()
                except leap0.Leap0ConnectionError:
                    os._exit(0)
            os._exit(3)
        _, status = os.waitpid(pid, 0)
        leave.set()
        worker.join()
        stuck += status != 0
    print(f"{rounds - stuck} of {rounds}")
    """
)


def test_a_child_forked_during_the_first_https_request_makes_its_own() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROUNDS)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{ROUNDS} of {ROUNDS}", done.stderr
