"""leap0: the Python SDK for Leap0 sandbox SSH access.

Blocking code uses :class:`Leap0Client`; async code :class:`AsyncLeap0Client`.
Both have ``.sandboxes`` and ``.ssh``; every error is a :class:`Leap0Error`.
"""

from ._async._transport import AsyncHttpxTransport, AsyncTransport
from ._async.client import AsyncLeap0Client
from ._async.sandboxes import AsyncSandbox, AsyncSandboxesClient, AsyncSandboxSsh
from ._async.ssh import AsyncSshClient
from ._ids import SandboxRef
from ._ssh_api import SshApi
from ._sync._transport import HttpxTransport, Transport
from ._sync.client import Leap0Client
from ._sync.sandboxes import Sandbox, SandboxesClient, SandboxSsh
from ._sync.ssh import SshClient
from ._version import __version__
from .errors import (
    FieldError,
    Leap0APIError,
    Leap0AuthenticationError,
    Leap0BadRequestError,
    Leap0ConflictError,
    Leap0ConnectionError,
    Leap0Error,
    Leap0NotFoundError,
    Leap0PermissionError,
    Leap0RateLimitError,
    Leap0ResponseError,
    Leap0ServerError,
    Leap0TimeoutError,
)
from .models import (
    SandboxInfo,
    SandboxPage,
    SandboxState,
    SandboxSummary,
    SshAccess,
    SshValidation,
)

__all__ = [
    "AsyncHttpxTransport",
    "AsyncLeap0Client",
    "AsyncSandbox",
    "AsyncSandboxSsh",
    "AsyncSandboxesClient",
    "AsyncSshClient",
    "AsyncTransport",
    "FieldError",
    "HttpxTransport",
    "Leap0APIError",
    "Leap0AuthenticationError",
    "Leap0BadRequestError",
    "Leap0Client",
    "Leap0ConflictError",
    "Leap0ConnectionError",
    "Leap0Error",
    "Leap0NotFoundError",
    "Leap0PermissionError",
    "Leap0RateLimitError",
    "Leap0ResponseError",
    "Leap0ServerError",
    "Leap0TimeoutError",
    "Sandbox",
    "SandboxInfo",
    "SandboxPage",
    "SandboxRef",
    "SandboxSsh",
    "SandboxState",
    "SandboxSummary",
    "SandboxesClient",
    "SshAccess",
    "SshApi",
    "SshClient",
    "SshValidation",
    "Transport",
    "__version__",
]
