"""leap0: the Python SDK for Leap0 sandbox SSH access.

Blocking code uses :class:`Leap0Client`; async code :class:`AsyncLeap0Client`.
Both have ``.sandboxes`` and ``.ssh``; every error is a :class:`Leap0Error`.

The public names are loaded on first use (PEP 562): ``import leap0`` alone
imports nothing else, so a program that needs only part of the package (the
``leap0`` command's ``--help``, say) does not pay for httpx, attrs and cattrs.
``from leap0 import Leap0Client`` and ``leap0.Leap0Client`` work as always.
"""

__version__ = "0.1.0"

TYPE_CHECKING = False  # not typing's: importing typing here would cost every import
if TYPE_CHECKING:
    from . import errors as errors, models as models
    from ._async._httpx_transport import AsyncHttpxTransport as AsyncHttpxTransport
    from ._async._transport import AsyncTransport as AsyncTransport
    from ._async.client import AsyncLeap0Client as AsyncLeap0Client
    from ._async.sandboxes import (
        AsyncSandbox as AsyncSandbox,
        AsyncSandboxesClient as AsyncSandboxesClient,
        AsyncSandboxSsh as AsyncSandboxSsh,
    )
    from ._async.ssh import AsyncSshClient as AsyncSshClient
    from ._ids import SandboxRef as SandboxRef
    from ._limits import (
        SortField as SortField,
        SortOrder as SortOrder,
    )
    from ._ssh_api import SshApi as SshApi
    from ._sync._httpx_transport import HttpxTransport as HttpxTransport
    from ._sync._transport import Transport as Transport
    from ._sync.client import Leap0Client as Leap0Client
    from ._sync.sandboxes import (
        Sandbox as Sandbox,
        SandboxesClient as SandboxesClient,
        SandboxSsh as SandboxSsh,
    )
    from ._sync.ssh import SshClient as SshClient
    from .errors import (
        FieldError as FieldError,
        Leap0AccessIdRequiredError as Leap0AccessIdRequiredError,
        Leap0APIError as Leap0APIError,
        Leap0AuthenticationError as Leap0AuthenticationError,
        Leap0BadRequestError as Leap0BadRequestError,
        Leap0ClientClosedError as Leap0ClientClosedError,
        Leap0ConflictError as Leap0ConflictError,
        Leap0ConnectionError as Leap0ConnectionError,
        Leap0Error as Leap0Error,
        Leap0NotFoundError as Leap0NotFoundError,
        Leap0PermissionError as Leap0PermissionError,
        Leap0RateLimitError as Leap0RateLimitError,
        Leap0ResponseError as Leap0ResponseError,
        Leap0ServerError as Leap0ServerError,
        Leap0TimeoutError as Leap0TimeoutError,
        Leap0TLSError as Leap0TLSError,
    )
    from .models import (
        SandboxInfo as SandboxInfo,
        SandboxPage as SandboxPage,
        SandboxState as SandboxState,
        SandboxSummary as SandboxSummary,
        SshAccess as SshAccess,
        SshValidation as SshValidation,
    )

# Where each public name lives (a module relative to this package).
_HOMES = {
    "AsyncHttpxTransport": "._async._httpx_transport",
    "AsyncTransport": "._async._transport",
    "AsyncLeap0Client": "._async.client",
    "AsyncSandbox": "._async.sandboxes",
    "AsyncSandboxSsh": "._async.sandboxes",
    "AsyncSandboxesClient": "._async.sandboxes",
    "AsyncSshClient": "._async.ssh",
    "SandboxRef": "._ids",
    "SortField": "._limits",
    "SortOrder": "._limits",
    "SshApi": "._ssh_api",
    "HttpxTransport": "._sync._httpx_transport",
    "Transport": "._sync._transport",
    "Leap0Client": "._sync.client",
    "Sandbox": "._sync.sandboxes",
    "SandboxSsh": "._sync.sandboxes",
    "SandboxesClient": "._sync.sandboxes",
    "SshClient": "._sync.ssh",
    **dict.fromkeys(
        (
            "FieldError",
            "Leap0AccessIdRequiredError",
            "Leap0APIError",
            "Leap0AuthenticationError",
            "Leap0BadRequestError",
            "Leap0ClientClosedError",
            "Leap0ConflictError",
            "Leap0ConnectionError",
            "Leap0Error",
            "Leap0NotFoundError",
            "Leap0PermissionError",
            "Leap0RateLimitError",
            "Leap0ResponseError",
            "Leap0ServerError",
            "Leap0TimeoutError",
            "Leap0TLSError",
        ),
        ".errors",
    ),
    **dict.fromkeys(
        (
            "SandboxInfo",
            "SandboxPage",
            "SandboxState",
            "SandboxSummary",
            "SshAccess",
            "SshValidation",
        ),
        ".models",
    ),
}
# Submodules reachable as attributes, as they were when this module imported them.
_SUBMODULES = ("errors", "models")

__all__ = [*_HOMES, "__version__"]


if not TYPE_CHECKING:  # a misspelt import is then an error to type checkers

    def __getattr__(name: str) -> object:
        import importlib as _importlib

        home = _HOMES.get(name)
        if home is not None:
            value = getattr(_importlib.import_module(home, __name__), name)
        elif name in _SUBMODULES:
            value = _importlib.import_module(f".{name}", __name__)
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        globals()[name] = value  # found here directly from now on
        return value

    def __dir__() -> list[str]:
        private = (name for name in globals() if name.startswith("_"))
        return sorted({*private, *__all__, *_SUBMODULES})
