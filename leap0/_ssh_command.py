"""The service's ``ssh_command``, read once for ``SshAccess.host``/``.port`` and ``ssh connect``.

The service's answer is untrusted. From its ``ssh_command`` only three values
are taken, each checked: the user, the host and the port. Nothing else in it
(``-o`` options naming files, commands, proxies or a configuration) is ever
used; ``ssh connect`` builds the ``ssh`` command line from these three values
and its own options.

Accepted, after splitting into words as a POSIX shell would (quotes, no
expansion)::

    ssh WORD... where each WORD is one of
        -p PORT | -pPORT            the port
        -l USER | -lUSER            the user
        -o OPTION | -oOPTION        Key=Value or "Key Value"; Port and User are
                                    read, HostName is refused, any other key
                                    is read past and dropped
        DESTINATION                 exactly one:
            [USER@]HOST
            ssh://[USER@]HOST[:PORT]

``ssh`` may be a path ending in ``/ssh``; options may come before or after the
destination. ``HOST`` is a DNS name (letters, digits, ``-`` and ``_`` in dot
separated labels, none starting or ending with ``-``, at most 253 characters,
an optional final dot), an IPv4 address, or an IPv6 address: bare or in
brackets in ``[USER@]HOST``, in brackets in the ``ssh://`` form (where a colon
after the host starts the port). ``USER`` is a plain id, by the rule of access ids
(``leap0._ids``: 1 to 128 ASCII letters, digits, ``-``, ``_``, ``.``; not ``.``
or ``..``).
``PORT`` is 1 to 5 ASCII digits, 1 to 65535; 22 when none is named. A value named twice (``-p`` and
``-o Port``, ``-l`` and ``USER@``) must be the same both times.

The user must be the credential's own id: a command naming another user is
refused rather than followed, since ``id`` is the SSH user name and a service
that says otherwise is not understood. When the command names no user, the
access id is the user.

Anything else (another option, a remote command, a second destination, a word
that is not ``ssh``) raises :class:`~leap0.errors.Leap0ResponseError` with
``field="ssh_command"``, as does a malformed access id (``field="id"``).
"""

from __future__ import annotations

import re
from typing import TypeVar

import attrs

from ._ids import is_id
from .errors import Leap0ResponseError

__all__ = ["DEFAULT_PORT", "SshTarget", "ssh_target"]

T = TypeVar("T")

DEFAULT_PORT = 22

_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_DNS_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
_IPV4_LIKE_RE = re.compile(r"[0-9.]+")
_IPV6_CHARS_RE = re.compile(r"[0-9A-Fa-f:.]+")
_PORT_RE = re.compile(r"[0-9]{1,5}")
_OPTION_RE = re.compile(r"\s*([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(.*)", re.DOTALL)
_PREVIEW = 80


@attrs.frozen
class SshTarget:
    """Where to connect: what the service's ``ssh_command`` says, checked."""

    user: str
    host: str
    """A DNS name or an IP address; an IPv6 address without brackets."""
    port: int


def ssh_target(ssh_command: object, access_id: object) -> SshTarget:
    """The user, host and port of ``ssh_command`` for the credential ``access_id``.

    Raises:
        Leap0ResponseError: ``ssh_command`` is not in the accepted form, names
            a port outside 1-65535 or another user than ``access_id``
            (``field="ssh_command"``); or ``access_id`` is not a plain id and
            the command names no user (``field="id"``).
    """
    if type(ssh_command) is not str:
        raise Leap0ResponseError(
            f"the service's ssh_command is not a string: {type(ssh_command).__name__}",
            field="ssh_command",
        )
    return _Parser(ssh_command).parse(access_id)


class _Refused(Exception):
    """Why the command is not understood; becomes a ``Leap0ResponseError``."""


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.users: list[str] = []
        self.ports: list[int] = []
        self.host: str | None = None

    def parse(self, access_id: object) -> SshTarget:
        try:
            self._read()
            user = self._one(self.users, "user")
            port = self._one(self.ports, "port")
        except _Refused as exc:
            raise Leap0ResponseError(
                f"the service's ssh_command {_preview(self.text)} is not one leap0 can use: {exc}",
                field="ssh_command",
            ) from None
        if user is None:
            if type(access_id) is not str or not is_id(access_id):
                raise Leap0ResponseError(
                    f"the service's access id {_preview(access_id)} is not a valid SSH user name",
                    field="id",
                )
            user = access_id
        elif user != access_id:
            raise Leap0ResponseError(
                f"the service's ssh_command {_preview(self.text)} names the user "
                f"{_preview(user)}, not the credential's id {_preview(access_id)}",
                field="ssh_command",
            )
        assert self.host is not None  # _read found one
        return SshTarget(user=user, host=self.host, port=DEFAULT_PORT if port is None else port)

    def _read(self) -> None:
        import shlex  # only here, to keep `import leap0` light

        try:
            words = shlex.split(self.text)
        except ValueError as exc:
            raise _Refused(f"cannot split it into words ({exc})") from None
        if not words:
            raise _Refused("it is empty")
        if words[0] != "ssh" and not words[0].endswith("/ssh"):
            raise _Refused("it does not start with ssh")
        rest = words[1:]
        i = 0
        while i < len(rest):
            word = rest[i]
            flag, value = word[:2], word[2:]
            if flag in ("-p", "-l", "-o"):
                if not value:
                    if i + 1 >= len(rest):
                        raise _Refused(f"{flag} without a value")
                    value = rest[i + 1]
                    i += 1
                self._flag(flag, value)
            elif word.startswith("-"):
                raise _Refused(f"unexpected option {_preview(word)}")
            elif self.host is not None:
                raise _Refused(f"unexpected word {_preview(word)} after the destination")
            else:
                self._destination(word)
            i += 1
        if self.host is None:
            raise _Refused("it names no host")

    def _flag(self, flag: str, value: str) -> None:
        if flag == "-p":
            self.ports.append(_port(value))
        elif flag == "-l":
            self.users.append(_user(value))
        else:
            match = _OPTION_RE.fullmatch(value)
            if match is None:
                raise _Refused(f"malformed option -o {_preview(value)}")
            key, setting = match.group(1).lower(), match.group(2).rstrip()
            if key == "port":
                self.ports.append(_port(setting))
            elif key == "user":
                self.users.append(_user(setting))
            elif key == "hostname":
                raise _Refused(f"option -o {_preview(value)} would change the host")
            # Any other option is dropped: nothing from the service but the
            # user, host and port reaches ssh.

    def _destination(self, word: str) -> None:
        if word.startswith("ssh://"):
            self._url(word[len("ssh://") :])
            return
        user, at, host = word.rpartition("@")
        if at:
            self.users.append(_user(user))
        if host.startswith("["):
            if not host.endswith("]"):
                raise _Refused(f"unclosed bracket in host {_preview(host)}")
            self.host = _ipv6(host[1:-1])
        else:
            self.host = _host(host)

    def _url(self, rest: str) -> None:
        user, at, hostport = rest.rpartition("@")
        if at:
            self.users.append(_user(user))
        if hostport.startswith("["):
            inside, bracket, after = hostport[1:].partition("]")
            if not bracket:
                raise _Refused(f"unclosed bracket in {_preview(hostport)}")
            self.host = _ipv6(inside)
            if after:
                if not after.startswith(":"):
                    raise _Refused(f"unexpected {_preview(after)} after the host")
                self.ports.append(_port(after[1:]))
            return
        host, colon, port = hostport.partition(":")
        self.host = _host(host)
        if colon:
            self.ports.append(_port(port))

    @staticmethod
    def _one(values: list[T], what: str) -> T | None:
        if len(set(values)) > 1:
            named = ", ".join(_preview(value) for value in values)
            raise _Refused(f"it names different {what}s ({named})")
        return values[0] if values else None


def _user(value: str) -> str:
    if not is_id(value):
        raise _Refused(f"bad user name {_preview(value)}")
    return value


def _port(value: str) -> int:
    if _PORT_RE.fullmatch(value) is None or not 1 <= int(value) <= 65535:
        raise _Refused(f"bad port {_preview(value)} (expected 1 to 65535)")
    return int(value)


def _host(value: str) -> str:
    """A DNS name or an IP address, as it is; refused unless it looks like one."""
    if ":" in value:
        return _ipv6(value)
    if len(value.rstrip(".")) > 253 or _DNS_RE.fullmatch(value) is None:
        raise _Refused(f"bad host {_preview(value)}")
    if _IPV4_LIKE_RE.fullmatch(value) is not None:  # digits and dots: an IPv4 address
        import ipaddress

        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            raise _Refused(f"bad IPv4 address {_preview(value)}") from None
    return value


def _ipv6(value: str) -> str:
    import ipaddress

    if _IPV6_CHARS_RE.fullmatch(value) is None:
        raise _Refused(f"bad IPv6 address {_preview(value)}")
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        raise _Refused(f"bad IPv6 address {_preview(value)}") from None
    return value


def _preview(value: object) -> str:
    """``repr`` of a value from the service, one line and at most about 80 characters."""
    if isinstance(value, str) and len(value) > _PREVIEW:
        return repr(value[:_PREVIEW]) + f"... ({len(value)} characters)"
    return repr(value)
