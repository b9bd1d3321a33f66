"""``ssh connect`` and ``ssh cp`` forward nothing to the host the service names.

The user's ``~/.ssh/config`` may say ``ForwardAgent yes`` or ``ForwardX11
yes`` for every host; the host here is the service's choice, so leap0 passes
``ForwardAgent=no``, ``ForwardX11=no`` and ``ClearAllForwardings=yes`` unless
the user asks otherwise with ``--ssh-option`` (any case, ``=`` or a space).
``ssh -G`` prints what ssh would use, read from the command line leap0 built
and a configuration file that turns everything on.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from leap0._cli.openssh import build_ssh_argv
from leap0._cli.scp import build_scp_argv, parse_copy

from ._helpers import make_access, options

EVERYTHING_ON = """\
Host *
    ForwardAgent yes
    ForwardX11 yes
    ForwardX11Trusted yes
    LocalForward 127.0.0.1:7001 127.0.0.1:22
    RemoteForward 7002 127.0.0.1:22
    DynamicForward 127.0.0.1:7003
"""

OFF = ["ForwardAgent=no", "ForwardX11=no", "ClearAllForwardings=yes"]


def _effective(argv: list[str], tmp_path: Path) -> dict[str, str]:
    """``ssh -G``'s reading of ``argv`` (leap0's ssh command line) with EVERYTHING_ON."""
    config = tmp_path / "config"
    config.write_text(EVERYTHING_ON)
    ssh = shutil.which("ssh")
    if ssh is None:
        pytest.skip("the OpenSSH client is not installed")
    cut = argv.index("--")
    probe = [ssh, "-F", str(config), "-G", *argv[1:cut], "--", argv[cut + 1]]
    done = subprocess.run(probe, capture_output=True, text=True, timeout=60, check=True)
    found: dict[str, str] = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(" ")
        found.setdefault(key, value)
    return found


def test_connect_turns_every_forwarding_off(tmp_path: Path) -> None:
    argv = build_ssh_argv(make_access(), ["true"])
    assert [o for o in options(argv) if o in OFF] == OFF
    seen = _effective(argv, tmp_path)
    assert (seen["forwardagent"], seen["forwardx11"]) == ("no", "no")
    assert seen["clearallforwardings"] == "yes"


@pytest.mark.parametrize(
    ("given", "left_out"),
    [
        (["ForwardAgent=yes"], "ForwardAgent=no"),
        (["forwardagent yes"], "ForwardAgent=no"),
        (["FORWARDX11=yes"], "ForwardX11=no"),
        (["ForwardX11 yes"], "ForwardX11=no"),
        (["ClearAllForwardings=no"], "ClearAllForwardings=yes"),
        (["LocalForward=127.0.0.1:7100 127.0.0.1:80"], "ClearAllForwardings=yes"),
        (["dynamicforward 7101"], "ClearAllForwardings=yes"),
    ],
)
def test_an_option_the_user_passes_is_theirs(
    given: list[str], left_out: str, tmp_path: Path
) -> None:
    argv = build_ssh_argv(make_access(), ["true"], given)
    opts = options(argv)
    assert opts[: len(given)] == given
    assert left_out not in opts
    assert [o for o in OFF if o != left_out] == [o for o in opts if o in OFF]


def test_the_user_can_forward_the_agent_on_purpose(tmp_path: Path) -> None:
    seen = _effective(build_ssh_argv(make_access(), ["true"], ["forwardagent yes"]), tmp_path)
    assert (seen["forwardagent"], seen["forwardx11"]) == ("yes", "no")


def test_scp_turns_every_forwarding_off_too() -> None:
    copy = parse_copy("notes.txt", "sbx-1:notes.txt")
    assert [o for o in options(build_scp_argv(make_access(), copy)) if o in OFF] == OFF
    mine = options(build_scp_argv(make_access(), copy, ["ForwardAgent yes"]))
    assert "ForwardAgent=no" not in mine and "ForwardX11=no" in mine
