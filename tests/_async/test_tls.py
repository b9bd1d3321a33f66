"""A certificate that fails verification is a ``Leap0TLSError``, raised at once, never retried.

A real TLS server on loopback (``tests/_servers.py``), with a self-signed
certificate the client does not trust; it counts the handshakes it is asked for.
"""

from __future__ import annotations

import pytest

from leap0 import AsyncLeap0Client, Leap0ConnectionError, Leap0TLSError
from tests._servers import UntrustedTLSServer

pytest.importorskip("cryptography.x509")


async def test_an_untrusted_certificate_is_a_tls_error_not_retried(
    untrusted_server: UntrustedTLSServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, handshakes = untrusted_server.port, untrusted_server.handshakes
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    async with AsyncLeap0Client(
        api_key="k", base_url=f"https://127.0.0.1:{port}", max_retries=3
    ) as client:
        with pytest.raises(Leap0TLSError) as caught:
            await client.sandboxes.list()
    assert isinstance(caught.value, Leap0ConnectionError)
    assert "certificate" in str(caught.value)
    assert "not retried" in str(caught.value)
    assert len(handshakes) == 1  # one attempt, whatever max_retries says
