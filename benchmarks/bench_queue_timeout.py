"""Timeouts in the queue: a call whose request never reached the service must not say it may have.

``--calls`` concurrent ``create_access`` calls (one per sandbox) with a short
``--timeout`` through one ``AsyncLeap0Client`` (default settings otherwise:
the pool leap0 builds, ``max_concurrency`` 100, 2 retries), against the
emulator in another process, where the first request of each sandbox's create
route waits ``--delay`` seconds (a ``delay`` fault) before it is answered: a
slow service behind a full pool. Calls queue for a connection; those whose
time runs out before their request headers start to go out (in leap0's queue,
in httpx's pool, connecting: httpcore's trace extension tells) fail as "timed
out waiting for a free connection ... nothing was sent" (and are retried, even
a create), those whose request was sent and not answered in time as "the
attempt took longer than": the request may have acted, so a create is not
repeated.

After the calls, and after the delayed requests have been answered, the
emulator's attempts counter of each sandbox's route says whether a request
for it ever reached the emulator. The budget: no call whose request never
reached the emulator failed as "may have acted", and none whose request did
reach it failed as "nothing was sent" (nor was a create sent twice).

    python benchmarks/bench_queue_timeout.py [--calls 600] [--timeout 2] [--delay 1.5]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from _common import header, verdict
from bench_admission import Emulator, RetryCounter
from bench_fanout import emulator

import leap0

MAY_HAVE_ACTED = "the attempt took longer than"
NEVER_SENT = "nothing was sent"


def classify(result: Any) -> str:
    if not isinstance(result, BaseException):
        return "ok"
    if isinstance(result, leap0.Leap0TimeoutError):
        text = str(result)
        if MAY_HAVE_ACTED in text:
            return "may-have-acted"
        if NEVER_SENT in text:
            return "never-sent"
    return "other"


async def fan_out(
    emu: Emulator, ids: list[str], timeout: float, max_concurrency: int | None
) -> tuple[list[Any], float]:
    options: dict[str, Any] = {}
    if max_concurrency is not None:
        options["max_concurrency"] = max_concurrency
    async with leap0.AsyncLeap0Client(
        api_key=emu.api_key, base_url=emu.base_url, ssh_api="single", timeout=timeout, **options
    ) as client:
        ssh = client.ssh
        started = time.perf_counter()
        results = await asyncio.gather(
            *(ssh.create_access(sandbox_id) for sandbox_id in ids), return_exceptions=True
        )
        return results, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=600, help="concurrent creates")
    parser.add_argument("--timeout", type=float, default=2.0, help="the client's timeout (s)")
    parser.add_argument(
        "--delay", type=float, default=1.5, help="the first answer of each sandbox waits (s)"
    )
    parser.add_argument(
        "--max-concurrency",
        type=int,
        default=None,
        help="the client's max_concurrency (default: the SDK's, 100)",
    )
    args = parser.parse_args(argv)
    gate = "default (100)" if args.max_concurrency is None else str(args.max_concurrency)
    header(
        f"queue timeouts: {args.calls} concurrent create_access, timeout {args.timeout:g} s, "
        f"max_concurrency {gate}, the first request of each sandbox answered after "
        f"{args.delay:g} s, against the emulator in another process"
    )

    counter = RetryCounter.install()

    with emulator() as (base_url, api_key):
        emu = Emulator(base_url, api_key)
        try:
            emu.reset(args.calls)
            ids = emu.sandboxes(args.calls)
            paths = [f"/v1/sandbox/{sandbox_id}/ssh/access" for sandbox_id in ids]
            for path in paths:
                emu.http.post(
                    "/_emulator/faults",
                    json={"method": "POST", "path": path, "faults": [{"delay": args.delay}]},
                ).raise_for_status()
            results, elapsed = asyncio.run(fan_out(emu, ids, args.timeout, args.max_concurrency))
            time.sleep(args.delay + 1.0)  # every delayed request answered, and counted
            attempts = []
            for path in paths:
                answer = emu.http.get(
                    "/_emulator/attempts", params={"method": "POST", "path": path}
                )
                answer.raise_for_status()
                attempts.append(answer.json()["attempts"])
        finally:
            emu.close()

    kinds = [classify(result) for result in results]
    count = {kind: kinds.count(kind) for kind in ("ok", "may-have-acted", "never-sent", "other")}
    reached = {
        kind: sum(1 for k, n in zip(kinds, attempts, strict=True) if k == kind and n > 0)
        for kind in count
    }
    acted_unsent = count["may-have-acted"] - reached["may-have-acted"]
    unsent_reached = reached["never-sent"]
    twice = sum(1 for n in attempts if n > 1)
    retries = ", ".join(f"{reason} {n}" for reason, n in sorted(counter.reasons.items())) or "none"
    print(
        f"queue-timeout {args.calls} calls in {elapsed:.1f} s: ok {count['ok']}, "
        f'"may have acted" {count["may-have-acted"]}, "nothing was sent" {count["never-sent"]}, '
        f"other {count['other']}; retries: {retries}; "
        f"the emulator saw {sum(attempts)} requests, for {sum(n > 0 for n in attempts)} sandboxes"
    )
    for result, kind in zip(results, kinds, strict=True):
        if kind == "other":
            print(f"  other error, e.g. {type(result).__name__}: {str(result)[:200]}")
            break
    print(
        f'queue-timeout "may have acted" but never reached the emulator: {acted_unsent} '
        f"of {count['may-have-acted']}  budget 0  {verdict(acted_unsent == 0)}"
    )
    print(
        f'queue-timeout "nothing was sent" but reached the emulator: {unsent_reached} '
        f"of {count['never-sent']}; creates sent twice: {twice}  budget 0, 0  "
        f"{verdict(unsent_reached == 0 and twice == 0)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
