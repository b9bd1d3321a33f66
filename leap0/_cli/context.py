"""What a command runs with, and how it ends: :class:`Context`, exit statuses, :class:`Terminated`.

A module of its own, importing only ``report`` and ``settings`` (and the SDK
inside functions), so that handlers, ``openssh`` and ``values`` can import it
without importing the entry point, the parser or the command table back
(``tests/cli/test_imports.py`` keeps the package free of import cycles). When
each exit status is used: ``entry.py``.
"""

from __future__ import annotations

import contextlib

from . import report
from .settings import Resolved, resolve

TYPE_CHECKING = False  # typing is not imported at run time: --help stays light
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterator

    from .._ssh_api import Revision, SshApi
    from .._sync.client import Leap0Client

    Handler = Callable[["Context"], int]

__all__ = [
    "EXIT_CREDENTIAL_LEFT",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Context",
    "Handler",
    "Terminated",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
# ssh connect / ssh cp left the credential it issued (the revoke failed): a service
# error like any other, so 1, never the remote command's status, which may be 0.
EXIT_CREDENTIAL_LEFT = EXIT_FAILURE


class Terminated(BaseException):
    """SIGQUIT, SIGTERM or SIGHUP arrived while ``ssh connect`` or ``ssh cp`` ran (exit 128 + N).

    A ``BaseException``, like ``KeyboardInterrupt``: ``except Exception`` does
    not stop it, ``finally`` blocks run. ``signum`` is the signal. Raised by
    ``openssh.termination_raises``.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class Context:
    """What a handler gets: the parsed arguments, the settings, the SSH routes, a client on demand.

    Handlers check what they can first (nothing is sent, no key is needed for
    that), then open the client with :meth:`client`. The settings (API key,
    base URL, SSH routes) are read once, when first needed: each from its flag,
    else the environment, else the profile file (``settings.py``).
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.label = " ".join(args.path)
        self.base_url: str | None = None
        self._settings: Resolved | None = None
        self._ssh_api: SshApi | None = None

    @property
    def as_json(self) -> bool:
        return bool(self.args.format == "json")

    @property
    def settings(self) -> Resolved:
        """Each setting and where it comes from; an unreadable profile file is a setup problem."""
        if self._settings is None:
            self._settings = resolve(self.args)
        return self._settings

    @property
    def ssh_api(self) -> SshApi:
        """``--ssh-api``, else ``LEAP0_SSH_API``, else the profile's, else auto."""
        if self._ssh_api is None:
            self._ssh_api = self.settings.checked_ssh_api()
        return self._ssh_api

    def revision(self, client: Leap0Client) -> Revision | None:
        """The SSH routes in use: the setting's, or what auto found so far (``None``: not yet)."""
        ssh_api = self.ssh_api
        return client.ssh.revision if ssh_api == "auto" else ssh_api

    @contextlib.contextmanager
    def client(self, api_key: str | None = None) -> Iterator[Leap0Client]:
        """A client for the command (with ``api_key``, else the one the settings give).

        While it is open, long retry waits are noted on stderr, and the SDK's log
        is on stderr if ``--debug`` or ``LEAP0_LOG`` asks for it (``logs.py``).
        """
        from .._config import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT
        from .._sync.client import Leap0Client
        from ..errors import Leap0Error
        from .logs import sdk_log
        from .retries import retry_notes

        args, settings = self.args, self.settings
        key = api_key if api_key is not None else settings.api_key.value
        if key is None:
            raise report.Problem(settings.no_api_key(), code="config")
        ssh_api = self.ssh_api
        timeout = DEFAULT_TIMEOUT if args.request_timeout is None else args.request_timeout
        retries = DEFAULT_MAX_RETRIES if args.max_retries is None else args.max_retries
        with sdk_log(args.debug):
            try:  # only the configuration is checked here: a malformed key or base URL
                client = Leap0Client(
                    api_key=key,
                    base_url=settings.base_url.value,
                    ssh_api=ssh_api,
                    timeout=timeout,
                    max_retries=retries,
                )
            except (Leap0Error, ValueError) as exc:
                raise report.Problem(str(exc), code="config") from None
            self.base_url = getattr(client.transport, "base_url", None)
            with client, retry_notes():
                yield client
