"""Plain servers on 127.0.0.1 for the transport's tests, each in a thread of its own.

No event loop: the async tests and their generated sync twins share them, so
they are written here once rather than in ``tests/_async`` (whence they would be
generated into ``tests/_sync`` a second time).

* :class:`LoopbackServer`: answers every request with the same bytes, and
  records each request (the API, or a proxy);
* :class:`DripServer` and :class:`PacedClock`: headers that never end, sent
  one byte for each reading of the transport's clock;
* :class:`UntrustedTLSServer`: a TLS server with a self-signed certificate
  nobody trusts, counting the handshakes it is asked for.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from pathlib import Path

from tests._support import FakeClock

__all__ = [
    "DripServer",
    "LoopbackServer",
    "PacedClock",
    "UntrustedTLSServer",
    "http_answer",
    "self_signed",
]


def _read_request(conn: socket.socket) -> bytes | None:
    """One HTTP request from ``conn`` (``None`` if it closed first)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data or None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def http_answer(status: str, body: bytes) -> bytes:
    """A whole HTTP/1.1 answer with a JSON ``body``, after which the connection closes."""
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


class LoopbackServer:
    """A TCP server on 127.0.0.1, in a thread: it records each request and sends ``answer``."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.requests: list[bytes] = []
        self._stopping = False
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            conn, _ = self._sock.accept()
            with conn:
                if self._stopping:
                    return
                conn.settimeout(10)
                request = _read_request(conn)
                if request is not None:
                    self.requests.append(request)
                    conn.sendall(self.answer)

    def stop(self) -> None:
        self._stopping = True
        socket.create_connection(("127.0.0.1", self.port), timeout=10).close()  # wakes accept()
        self._thread.join(timeout=10)
        self._sock.close()


class DripServer:
    """A TCP server on 127.0.0.1 answering one request with headers that never end.

    It sends one byte of them for each ``pace()``, none before the request is in.
    """

    HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Drip: " + b"a" * 4000

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self.sent = 0
        self._allowed = 0
        self._conn: socket.socket | None = None
        self._accepted = False
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        conn, _ = self._sock.accept()
        self._accepted = True
        with conn:
            conn.settimeout(10)
            request = _read_request(conn)
            with self._lock:
                if request is not None and not self._stopped.is_set():
                    self.requests.append(request)
                    self._conn = conn
                    self._send()
            self._stopped.wait(timeout=60)
            with self._lock:
                self._conn = None

    def pace(self) -> None:
        with self._lock:
            self._allowed += 1
            self._send()

    def _send(self) -> None:
        while self._conn is not None and self.sent < min(self._allowed, len(self.HEAD)):
            try:
                self._conn.sendall(self.HEAD[self.sent : self.sent + 1])
            except OSError:  # the client hung up
                self._conn = None
                return
            self.sent += 1

    def stop(self) -> None:
        self._stopped.set()
        if not self._accepted:
            socket.create_connection(("127.0.0.1", self.port), timeout=10).close()
        self._thread.join(timeout=10)
        self._sock.close()


class PacedClock(FakeClock):
    """A ``FakeClock`` whose every reading lets ``server`` send one more byte."""

    def __init__(self, step: float, server: DripServer) -> None:
        super().__init__(step)
        self.server = server

    def __call__(self) -> float:
        self.server.pace()
        return super().__call__()


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key, and that key (needs cryptography).

    Trusted by nobody unless named (``SSL_CERT_FILE``): it is its own CA, for 127.0.0.1.
    """
    import ipaddress

    from cryptography import x509
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
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
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


class UntrustedTLSServer:
    """A TLS server on 127.0.0.1 whose certificate nobody trusts; ``handshakes`` counts attempts.

    Its certificate and key are written into ``directory`` (needs cryptography).
    """

    def __init__(self, directory: Path) -> None:
        cert, key = self_signed(directory)
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(cert, key)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self.handshakes: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            self.handshakes.append(1)
            conn.settimeout(5)
            try:
                with self._context.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()
