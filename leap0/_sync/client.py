# Generated from leap0/_async/client.py by `python setup_hooks.py` (unasync). Do not edit:
# change the async source, then regenerate.
"""``Leap0Client``: configuration, connections and the service clients in one object."""

from __future__ import annotations

from types import TracebackType

import httpx

from .._config import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    NotGiven,
    TimeoutTypes,
    check_transport,
)
from .._ssh_api import SshApi, resolve_ssh_api
from ._transport import Transport
from .sandboxes import SandboxesClient
from .ssh import SshClient

__all__ = ["Leap0Client"]


class Leap0Client:
    """The Leap0 API client.

    Example::

        with Leap0Client() as client:
            sandbox = client.sandboxes.create()
            access = sandbox.ssh.create_access()
            print(access.command)

    Args:
        api_key: The API key; else the ``LEAP0_API_KEY`` environment variable.
        base_url: The API's base URL; else ``LEAP0_BASE_URL``, else
            ``https://api.leap0.dev``. ``http://`` is accepted only for a
            loopback host, so the key never travels in clear text.
        timeout: Seconds, an ``httpx.Timeout``, or ``None`` for no limit
            (default: 30 s, 5 s to connect). Each attempt as a whole takes at
            most the largest of its limits; see the README. Each call's
            ``http_timeout`` overrides it for that call.
        max_retries: How many times a failed request may be retried
            (default 2). Requests that may have created something are never
            repeated; see the README.
        http_client: An ``httpx.Client`` you configured (proxies,
            certificates, limits). It is used as is, proxies included, and
            left open on close. Without one, an ``http://`` (loopback) base
            URL never goes through a proxy from the environment.
        transport: Any ``Transport``, used instead of HTTP (e.g. a fake in
            tests); the arguments above must then be left out (``TypeError``
            otherwise, as for a transport of the other client's kind).
        ssh_api: Which revision of the SSH routes to call: ``"auto"`` (find
            out from the service's answers, at the cost of at most one extra
            request; ``client.ssh.revision`` says what it found),
            ``"single"`` (one credential per sandbox, the original routes) or
            ``"per-credential"`` (several per sandbox, the routes of the
            public OpenAPI description, served by the hosted service today);
            else the ``LEAP0_SSH_API`` environment variable, else ``"auto"``.
            ``.ssh`` and every sandbox handle's ``.ssh`` follow it.
        max_concurrency: How many requests this client hands to its
            connection pool at once (default 100, the size of the pool of the
            client leap0 builds); the others wait in turn at a constant cost
            each, which keeps thousands of concurrent calls fast. With an
            ``http_client`` of your own, set it to its ``max_connections``;
            ``None`` leaves the queueing to httpx. A call whose time runs out
            while waiting was never sent, and is retried as a wait for a free
            connection is.
    """

    __slots__ = ("_transport", "sandboxes", "ssh")

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        transport: Transport | None = None,
        ssh_api: SshApi | None = None,
        max_concurrency: int | None = DEFAULT_MAX_CONCURRENCY,
    ) -> None:
        checked_ssh_api = resolve_ssh_api(ssh_api, env=True)
        if transport is None:
            # The HTTP transport, and what only it needs (retries, deadlines, the
            # answers' checks), loads with the first client that uses it: `import
            # leap0` stays light, and a client on a transport of its own never loads it.
            from ._httpx_transport import HttpxTransport

            transport = HttpxTransport(
                api_key=api_key,
                base_url=base_url,
                timeout=timeout,
                max_retries=max_retries,
                http_client=http_client,
                max_concurrency=max_concurrency,
            )
        else:
            check_transport(
                transport,
                Transport.__name__,
                like=type(self).close,
                given={
                    "api_key": api_key is not None,
                    "base_url": base_url is not None,
                    "http_client": http_client is not None,
                    "timeout": timeout is not DEFAULT_TIMEOUT,
                    "max_retries": max_retries is not DEFAULT_MAX_RETRIES,
                    "max_concurrency": max_concurrency is not DEFAULT_MAX_CONCURRENCY,
                },
            )
        self._transport = transport
        self.ssh = SshClient(transport, ssh_api=checked_ssh_api)
        self.sandboxes = SandboxesClient(transport, self.ssh)

    def with_options(
        self,
        *,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        ssh_api: SshApi | NotGiven = NOT_GIVEN,
    ) -> Leap0Client:
        """A client on the same connections, with other limits, for one call site.

        ``client.with_options(max_retries=0, timeout=5).sandboxes.list()``.
        What is not given is kept. It shares this client's connection pool
        (nothing new is opened), and, unless ``ssh_api`` is given, the
        credentials this client issued and the SSH routes ``auto`` found.
        Closing it leaves the pool open; closing this client closes it for
        both (the other's calls then raise ``Leap0ClientClosedError``).

        Raises:
            TypeError: ``timeout`` or ``max_retries`` with a ``transport`` of
                your own, which has its own.
            ValueError: A value the constructor refuses too.
        """
        transport = self._transport
        if not (isinstance(timeout, NotGiven) and isinstance(max_retries, NotGiven)):
            from ._httpx_transport import HttpxTransport

            if not isinstance(transport, HttpxTransport):
                raise TypeError(
                    "timeout and max_retries apply to the HTTP transport leap0 builds; "
                    f"this client uses a {type(transport).__name__}, which has its own"
                )
            transport = transport.with_options(timeout=timeout, max_retries=max_retries)
        if isinstance(ssh_api, NotGiven):
            ssh = SshClient._sharing(transport, self.ssh)
        else:
            ssh = SshClient(transport, ssh_api=resolve_ssh_api(ssh_api))
        other = type(self).__new__(type(self))
        other._transport = transport
        other.ssh = ssh
        other.sandboxes = SandboxesClient(transport, ssh)
        return other

    @property
    def transport(self) -> Transport:
        return self._transport

    @property
    def ssh_api(self) -> SshApi:
        """The SSH routes setting: ``"auto"``, ``"single"`` or ``"per-credential"``.

        What ``"auto"`` found is ``client.ssh.revision``.
        """
        return self.ssh.ssh_api

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._transport!r}, ssh_api={self.ssh.ssh_api!r})"

    def close(self) -> None:
        """Close the client's connections (a handed-in ``http_client`` stays open)."""
        self._transport.close()

    def __enter__(self) -> Leap0Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
