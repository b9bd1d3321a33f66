"""The SSH clients' methods have exactly the signatures of the seed specification."""

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


def _text(func: object) -> str:
    # Annotations are kept as written (PEP 563), so they read as in the source.
    sig = inspect.signature(func)  # type: ignore[arg-type]
    return str(sig).replace("'", "")


@pytest.mark.parametrize("name", sorted(SEED))
def test_async_signature_matches_seed(name: str) -> None:
    assert _text(getattr(AsyncSshClient, name)) == SEED[name]


@pytest.mark.parametrize("name", sorted(SEED))
def test_sync_signature_matches_seed(name: str) -> None:
    expected = SEED[name].replace("AsyncTransport", "Transport")
    assert _text(getattr(SshClient, name)) == expected


@pytest.mark.parametrize("cls", [AsyncSshClient, SshClient])
def test_methods_are_async_exactly_in_the_async_client(cls: type) -> None:
    for name in SEED:
        if name == "__init__":
            continue
        is_coro = inspect.iscoroutinefunction(getattr(cls, name))
        assert is_coro is (cls is AsyncSshClient)


@pytest.mark.parametrize("cls", [AsyncSandboxSsh, SandboxSsh])
def test_bound_methods_drop_only_the_sandbox(cls: type) -> None:
    for name, text in SEED.items():
        if name == "__init__":
            continue
        expected = text.replace("sandbox: SandboxRef, *, ", "*, ").replace(
            "sandbox: SandboxRef, ", ""
        )
        assert _text(getattr(cls, name)) == expected
