"""The emulator's addresses: a host resolved to one IP address, and a socket bound to it.

Pure standard library.
"""

from __future__ import annotations

import ipaddress
import socket

__all__ = ["bind", "resolve", "url_host"]


def resolve(host: str) -> str:
    """The single IP address ``host`` names (the first one if several)."""
    if not isinstance(host, str) or not host:
        raise ValueError("host must be a non-empty string")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ValueError(f"cannot resolve host {host!r}: {exc}") from None
    for family, _, _, _, address in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            return str(address[0])
    raise ValueError(f"host {host!r} has no IP address")


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio enables TCP_NODELAY only on sockets that say so.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock
