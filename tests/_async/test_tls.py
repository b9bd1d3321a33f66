"""A certificate that fails verification is a ``Leap0TLSError``, raised at once, never retried.

A real TLS server on loopback, with a self-signed certificate the client does
not trust; it counts the handshakes it is asked for.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from leap0 import AsyncLeap0Client, Leap0ConnectionError, Leap0TLSError

x509 = pytest.importorskip("cryptography.x509")


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def untrusted_server(tmp_path: Path) -> Iterator[tuple[int, list[int]]]:
    """(port, handshakes): a TLS server whose certificate nobody trusts."""
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    handshakes: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            handshakes.append(1)
            conn.settimeout(5)
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], handshakes
    finally:
        stop.set()
        thread.join(5)
        listener.close()


async def test_an_untrusted_certificate_is_a_tls_error_not_retried(
    untrusted_server: tuple[int, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, handshakes = untrusted_server
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
