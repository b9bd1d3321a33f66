"""Names and values the SDK and the ``leap0`` command share, written once (imports nothing).

The environment variables leap0 reads, the service's URL, the SDK's defaults
and the choices it accepts. The command's ``--help`` and completion scripts
show them without loading the SDK (httpx, attrs), so this module imports
nothing at all: the literal types some of these values have are the SDK's
(``SshApi`` in ``leap0._ssh_api``, ``SortField`` and ``SortOrder`` in
``leap0._limits``), named here for type checkers only.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing here would cost every import
if TYPE_CHECKING:
    from ._limits import SortField, SortOrder
    from ._ssh_api import SshApi

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_ORDER",
    "DEFAULT_SORT",
    "DEFAULT_SSH_API",
    "DEFAULT_TEMPLATE",
    "ID_CHARS",
    "ID_MAX_LENGTH",
    "LIST_ORDERS",
    "LIST_SORT_FIELDS",
    "LIST_STATES",
    "LOG_ENV",
    "MAX_TIMEOUT",
    "SSH_APIS",
    "SSH_API_ENV",
]

# -- the environment ----------------------------------------------------------------

#: The API key, when none is passed.
API_KEY_ENV = "LEAP0_API_KEY"
#: The API's base URL, when none is passed.
BASE_URL_ENV = "LEAP0_BASE_URL"
#: Which SSH routes the service serves (one of ``SSH_APIS``), when none is passed.
SSH_API_ENV = "LEAP0_SSH_API"
#: ``debug`` or ``info``: the SDK's log on stderr (``leap0._log``).
LOG_ENV = "LEAP0_LOG"

# -- the service and the SDK's settings ---------------------------------------------------

DEFAULT_BASE_URL = "https://api.leap0.dev"
#: The longest timeout accepted, in seconds (a day); ``None`` is no limit at all.
MAX_TIMEOUT = 86_400.0

#: The revisions of the SSH routes (``leap0._ssh_api``), and ``auto`` to find out.
SSH_APIS: tuple[SshApi, ...] = ("auto", "single", "per-credential")
DEFAULT_SSH_API: SshApi = "auto"

# -- sandboxes ------------------------------------------------------------------------

#: The template the SDK asks for when none is named (the service requires one).
DEFAULT_TEMPLATE = "system/debian:bookworm"
#: The states a list can filter on: every state of ``SandboxState`` but ``deleted``.
LIST_STATES: tuple[str, ...] = (
    "starting",
    "stopping",
    "running",
    "snapshotting",
    "paused",
    "unpausing",
    "stopped",
    "deleting",
)
#: What a list can be sorted by, and in which order (``SortField``, ``SortOrder``).
LIST_SORT_FIELDS: tuple[SortField, ...] = ("created_at", "state")
LIST_ORDERS: tuple[SortOrder, ...] = ("asc", "desc")
DEFAULT_SORT: SortField = "created_at"
DEFAULT_ORDER: SortOrder = "desc"

# -- ids --------------------------------------------------------------------------------

#: Every character a sandbox id or access id may hold, listed (``-`` last: the list is
#: also a regular expression's character class, there and in shell patterns).
ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
#: The longest id, in characters. An id is 1 to this many of ``ID_CHARS``, and neither
#: ``.`` nor ``..`` (the rule, and what else an answer's id must not be: ``leap0._ids``).
ID_MAX_LENGTH = 128
