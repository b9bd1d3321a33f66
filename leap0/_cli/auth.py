"""``leap0 auth login | status | logout``: API keys kept in profiles of the profile file.

``login`` reads the key from a prompt that does not echo (``getpass``), or
from standard input, one line, when that is not a terminal; checks it with
one request (``sandboxes.list(page_size=1)``) against the base URL and SSH
routes the command line gives; and only then stores it (``profiles.py``),
with the base URL and SSH routes when a flag or the environment gave them. A
key given by ``--api-key`` is refused: it would be on the command line. The
key is never printed, by ``status`` either (``settings.mask``).

``status`` sends nothing: it says which profile, API key, base URL and SSH
routes this command line would use and where each comes from (``flag``,
``environment``, ``profile`` file, ``default``); exit status 0 when there is
an API key, 1 when not. ``logout`` removes the profile, and the file once it
holds none. The environment and flags win over the file; the SDK does not
read it.
"""

from __future__ import annotations

import getpass
import sys

from .._constants import API_KEY_ENV, DEFAULT_BASE_URL
from ..errors import Leap0Error
from . import profiles, report
from .context import EXIT_FAILURE, EXIT_OK, Context
from .output import PROG, clean, note, print_fields, print_json
from .settings import ENVIRONMENT, FLAG, Setting, mask

__all__ = ["login", "logout", "status"]


def _read_key() -> str:
    """The key from a silent prompt on a terminal, else one line of stdin."""
    stdin = sys.stdin
    if stdin is None:
        raise report.Problem("no standard input to read the API key from")
    try:
        interactive = stdin.isatty()
    except (AttributeError, ValueError):
        interactive = False
    try:
        key = getpass.getpass("Leap0 API key: ") if interactive else stdin.readline()
    except UnicodeError:
        raise report.Problem("the API key is not valid text") from None
    key = key.strip()
    if not key:
        raise report.Problem("no API key given (type it at the prompt, or pipe it on stdin)")
    return key


def _store(ctx: Context) -> dict[str, str]:
    """What the profile keeps besides the key: the base URL and SSH routes, if set.

    Set by a flag or the environment (what the key was checked with), or by
    the profile itself (kept as they were).
    """
    settings = ctx.settings
    kept: dict[str, str] = {}
    for name, setting in (("base_url", settings.base_url), ("ssh_api", settings.ssh_api)):
        if setting.value is not None:
            kept[name] = setting.value
    return kept


def login(ctx: Context) -> int:
    if ctx.args.api_key is not None:
        raise report.Problem(
            "auth login reads the key from a prompt or stdin, not --api-key (other users "
            "can see command-line arguments)"
        )
    profile = str(ctx.settings.profile.value)
    key = _read_key()
    with ctx.client(api_key=key) as client:
        try:
            client.sandboxes.list(page_size=1)
        except Leap0Error as exc:
            raise report.Hinted(exc, "the key was not stored") from exc
        base_url = ctx.base_url
    try:
        stored = profiles.read()
        stored[profile] = {"api_key": key, **_store(ctx)}
        path = profiles.write(stored)
    except profiles.ProfileError as exc:
        raise report.Problem(str(exc), code="config") from None
    document = {"profile": profile, "config_file": path, "base_url": base_url}
    if ctx.as_json:
        print_json({**document, "api_key": mask(key)})
    else:
        print(
            f"logged in: profile '{clean(profile)}' ({mask(key)}, {clean(base_url)}) "
            f"stored in {clean(path)}"
        )
    if ctx.settings.api_key.source == ENVIRONMENT:
        note(f"{API_KEY_ENV} is set, and wins over the stored key where it is set")
    return EXIT_OK


def _shown(name: str, setting: Setting) -> str | None:
    if setting.value is None:
        return {"base_url": DEFAULT_BASE_URL, "ssh_api": "auto"}.get(name)
    return mask(setting.value) if name == "api_key" else setting.value


def status(ctx: Context) -> int:
    settings = ctx.settings
    rows = {
        "profile": settings.profile,
        "api_key": settings.api_key,
        "base_url": settings.base_url,
        "ssh_api": settings.ssh_api,
    }
    logged_in = settings.api_key.value is not None
    if ctx.as_json:
        found = {name: {"value": _shown(name, s), "source": s.source} for name, s in rows.items()}
        print_json({"logged_in": logged_in, **found, "config_file": settings.path})
    else:
        shown = [(name, f"{clean(_shown(name, s))} ({s.where()})") for name, s in rows.items()]
        print_fields([("logged_in", logged_in), *shown, ("config_file", settings.path)])
    if not logged_in:
        note(f"no API key: '{PROG} auth login' stores one (or set {API_KEY_ENV})")
        return EXIT_FAILURE
    return EXIT_OK


def logout(ctx: Context) -> int:
    settings = ctx.settings
    profile = str(settings.profile.value)
    try:
        stored = profiles.read()
        found = stored.pop(profile, None) is not None
        path = profiles.write(stored) if found else settings.path
    except profiles.ProfileError as exc:
        raise report.Problem(str(exc), code="config") from None
    if ctx.as_json:
        print_json({"profile": profile, "removed": found, "config_file": path})
    elif found:
        print(f"logged out: removed profile '{clean(profile)}' from {clean(path)}")
    else:
        print(f"not logged in: there is no profile '{clean(profile)}' in {clean(path)}")
    if settings.api_key.source in (FLAG, ENVIRONMENT):
        note(f"the API key of {settings.api_key.where()} is still used where it is given")
    return EXIT_OK
