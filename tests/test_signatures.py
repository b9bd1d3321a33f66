"""The SSH clients keep the seed's signatures; what was added since is keyword-only and optional."""

from __future__ import annotations

import inspect

import pytest

from leap0 import AsyncSandboxSsh, AsyncSshClient, SandboxSsh, SshClient

# From the specification of AsyncSshClient (leap0/_async/ssh.py).
SEED = {
    "__init__": "(self, transport: AsyncTransport) -> None",
    "create_access": "(self, sandbox: SandboxRef, http_timeout: float | None = None) -> SshAccess",
    "delete_access": "(self, sandbox: SandboxRef, http_timeout: float | None = None) -> None",
    "validate_access": (
        "(self, sandbox: SandboxRef, *, access_id: str, password: str, "
        "http_timeout: float | None = None) -> SshValidation"
    ),
    "regenerate_access": (
        "(self, sandbox: SandboxRef, http_timeout: float | None = None) -> SshAccess"
    ),
}

# Added for the per-credential SSH routes (ssh_api="per-credential"): name -> default.
ADDED = {
    "__init__": {"ssh_api": "auto"},
    "create_access": {},
    "delete_access": {"access_id": None},
    "validate_access": {},
    "regenerate_access": {"access_id": None},
}


def _text(func: object) -> str:
    # Annotations are kept as written (PEP 563), so they read as in the source.
    sig = inspect.signature(func)  # type: ignore[arg-type]
    return str(sig).replace("'", "")


def _seed_part(func: object, seed: str) -> str:
    """``func``'s signature as text, without the parameters added since the seed."""
    sig = inspect.signature(func)  # type: ignore[arg-type]
    names = set(inspect.signature(_from_text(seed)).parameters)
    kept = [p for p in sig.parameters.values() if p.name in names]
    return str(sig.replace(parameters=kept)).replace("'", "")


def _from_text(text: str) -> object:
    namespace: dict[str, object] = {}
    exec(f"def f{text}: pass", {"__builtins__": {}}, namespace)  # annotations stay strings
    return namespace["f"]


def _check(func: object, seed: str, added: dict[str, object]) -> None:
    # The seed's parameters, in order, with the seed's annotations and defaults.
    assert _seed_part(func, seed) == seed
    params = list(inspect.signature(func).parameters.values())  # type: ignore[arg-type]
    seed_names = list(inspect.signature(_from_text(seed)).parameters)
    # Nothing new comes before or between them: the seed's come first.
    assert [p.name for p in params[: len(seed_names)]] == seed_names
    new = {p.name: p for p in params[len(seed_names) :]}
    assert set(new) == set(added)
    for name, default in added.items():
        assert new[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert new[name].default == default


@pytest.mark.parametrize("name", sorted(SEED))
def test_async_signature_keeps_the_seed(name: str) -> None:
    _check(getattr(AsyncSshClient, name), SEED[name], ADDED[name])


@pytest.mark.parametrize("name", sorted(SEED))
def test_sync_signature_keeps_the_seed(name: str) -> None:
    seed = SEED[name].replace("AsyncTransport", "Transport")
    _check(getattr(SshClient, name), seed, ADDED[name])


def test_added_parameters_read_as_documented() -> None:
    assert _text(AsyncSshClient.delete_access) == (
        "(self, sandbox: SandboxRef, http_timeout: float | None = None, *, "
        "access_id: str | None = None) -> None"
    )
    assert _text(AsyncSshClient.__init__) == (
        "(self, transport: AsyncTransport, *, ssh_api: SshApi = auto) -> None"
    )


@pytest.mark.parametrize("cls", [AsyncSshClient, SshClient])
def test_methods_are_async_exactly_in_the_async_client(cls: type) -> None:
    for name in SEED:
        if name == "__init__":
            continue
        is_coro = inspect.iscoroutinefunction(getattr(cls, name))
        assert is_coro is (cls is AsyncSshClient)


@pytest.mark.parametrize("cls", [AsyncSandboxSsh, SandboxSsh])
@pytest.mark.parametrize("name", sorted(set(SEED) - {"__init__"}))
def test_bound_methods_drop_only_the_sandbox(cls: type, name: str) -> None:
    seed = (
        SEED[name].replace("sandbox: SandboxRef, *, ", "*, ").replace("sandbox: SandboxRef, ", "")
    )
    _check(getattr(cls, name), seed, ADDED[name])
