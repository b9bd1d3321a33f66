"""The ``leap0 sandbox ...`` part of the command table (see ``commands.py``)."""

from __future__ import annotations

import argparse

from .._constants import (
    DEFAULT_ORDER,
    DEFAULT_SORT,
    DEFAULT_TEMPLATE,
    LIST_ORDERS,
    LIST_SORT_FIELDS,
    LIST_STATES,
)
from . import values
from .arguments import SANDBOX_ID, SANDBOX_IDS, WAIT_TIMEOUT
from .spec import Command, opt

__all__ = ["SANDBOX", "SANDBOX_CREATE", "SANDBOX_LIST"]

SANDBOX_CREATE = Command(
    "create",
    "create a sandbox",
    "Create a sandbox; unset options take the service's defaults. With --wait, wait "
    "until it is running (a spinner on a terminal) and show it then; --wait-timeout "
    "goes only with --wait.",
    "sandbox:create",
    (
        opt(
            "--template NAME",
            f"template to start from (default: {DEFAULT_TEMPLATE})",
            type=values.text,
        ),
        opt("--vcpu N", "virtual CPUs, 1 to 8", type=values.create_setting("vcpu")),
        opt(
            "--memory MiB", "memory in MiB, even, 512 to 8192", type=values.create_setting("memory")
        ),
        opt(
            "--timeout S", "lifetime in seconds, 1 to 28800", type=values.create_setting("timeout")
        ),
        opt(
            "--env KEY=VALUE",
            "environment variable set in the sandbox (repeatable)",
            type=values.env_pair,
            action="append",
        ),
        opt(
            "--auto-pause",
            "pause into a snapshot at the timeout instead of stopping",
            action=argparse.BooleanOptionalAction,
            default=None,
        ),
        opt("--wait", "wait until the sandbox is running", action="store_true"),
        WAIT_TIMEOUT,
    ),
    ids=True,
    needs=(("--wait-timeout", "--wait"),),
)

SANDBOX_LIST = Command(
    "list",
    "list sandboxes",
    "List one page of the organization's sandboxes, or with --all every page (one "
    "request a page of --page-size; --format id prints the ids as each page arrives).",
    "listing:list_page",
    (
        opt("--state", "only sandboxes in this state", choices=LIST_STATES),
        opt("--sort", "sort field", choices=LIST_SORT_FIELDS, default=DEFAULT_SORT),
        opt("--order", "sort order", choices=LIST_ORDERS, default=DEFAULT_ORDER),
        opt("--page N", "page, from 1 (default: 1)", type=values.list_setting("page")),
        opt(
            "--page-size N",
            "sandboxes a page, 1 to 100",
            type=values.list_setting("page_size"),
            default=20,
        ),
        opt("--all", "every page, not one (not with --page)", action="store_true"),
    ),
    ids=True,
    excludes=(("--page", "--all"),),
    epilog="examples:\n"
    "  leap0 sandbox list --state running\n"
    "  leap0 sandbox list --all --format id | xargs -r leap0 sandbox delete --\n",
)

_EACH = (
    "Each sandbox is reported on its own line (its state in the service's answer); one "
    "the service refuses is reported with what to do, the others are still acted on, "
    "and the exit status is then 1."
)


def _lifecycle(name: str, help: str, description: str, example: str) -> Command:
    return Command(
        name,
        help,
        f"{description} {_EACH}",
        f"lifecycle:{name}",
        (SANDBOX_IDS,),
        epilog=f"examples:\n{example}",
        ids=True,
    )


SANDBOX_STOP = _lifecycle(
    "stop",
    "stop running sandboxes (their disk is kept)",
    "Stop each running sandbox named: it goes stopping, then stopped; its writable disk is "
    "kept (not its memory) and its SSH sessions end. 'leap0 sandbox start' boots it again.",
    "  leap0 sandbox stop sbx-123\n"
    "  leap0 sandbox list --state running --format id | xargs -r leap0 sandbox stop --\n",
)
SANDBOX_START = _lifecycle(
    "start",
    "start stopped sandboxes again",
    "Start each stopped sandbox named: it goes starting, then running, with the disk it "
    "had. A paused sandbox is not started this way (409); ssh connect and ssh cp wait "
    "for a starting one.",
    "  leap0 sandbox start sbx-123\n  leap0 sandbox start sbx-123 && leap0 ssh connect sbx-123\n",
)
SANDBOX_PAUSE = _lifecycle(
    "pause",
    "pause running sandboxes (memory and disk saved)",
    "Pause each running sandbox named: its memory and disk are saved and it is paused; "
    "the service resumes it through its invoke route or resume endpoint, which leap0 does "
    "not call.",
    "  leap0 sandbox pause sbx-123\n",
)

SANDBOX = Command(
    "sandbox",
    "create, show, list, stop, start, pause and delete sandboxes",
    "Create, show, list, stop, start, pause and delete sandboxes.",
    commands=(
        SANDBOX_CREATE,
        Command("get", "show a sandbox", "Show a sandbox.", "sandbox:get", (SANDBOX_ID,), ids=True),
        SANDBOX_LIST,
        SANDBOX_STOP,
        SANDBOX_START,
        SANDBOX_PAUSE,
        Command(
            "delete",
            "delete sandboxes",
            "Delete each sandbox named (its SSH access is revoked with it). One that cannot "
            "be deleted is reported and the others are still deleted; the exit status is "
            "then 1.",
            "sandbox:delete",
            (SANDBOX_IDS,),
            ids=True,
        ),
    ),
)
