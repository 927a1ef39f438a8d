"""Real sockets for tests: a throw-away self-signed certificate and a small HTTP(S) server on loopback.

For what requests_mock cannot show (it replaces the transport where urllib3 retries, verifies certificates and
reuses connections). Used by Tests/test_doubles/test_base_client.py and the integration's unit tests; the root
conftest.py puts Tests/support on sys.path.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

HOST = '127.0.0.1'


def self_signed_certificate(directory: Path | str) -> tuple[str, str]:
    """A fresh EC key and a self-signed certificate for 127.0.0.1 (and localhost), valid from a day ago to a day
    ahead, written to directory/cert.pem and directory/key.pem: (cert_path, key_path). No trust store knows it;
    trust it by passing cert_path as the CA bundle."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST)),
                                                               x509.DNSName('localhost')]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = Path(directory) / 'cert.pem', Path(directory) / 'key.pem'
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


class Stream(NamedTuple):
    """A file body of `size` bytes, written a chunk at a time and never held whole (a large download)."""
    size: int
    chunk: bytes = b'\x00' * 65536
    content_type: str = 'application/zip'


class Answer(NamedTuple):
    """One response. `body` is sent as JSON, or as a file when it is a Stream; None sends {"hit": n}, n being the
    request's number on the server."""
    status: int = 200
    body: Any = None
    headers: dict[str, str] | None = None
    delay: float = 0.0  # seconds before answering (the server's stop cuts it short and answers nothing)


class Request(NamedTuple):
    method: str
    path: str  # the request target as sent, query string included


class LoopbackServer:
    """An HTTP(S) server on 127.0.0.1, in a thread, answering any method from the queue `answers`.

    Each request takes the first answer; the last one left repeats; an empty queue answers Answer(). An answer may
    be any tuple in Answer's field order, e.g. (503, body) or (200, body, {'Retry-After': '1'}). `answers` can be
    replaced between requests. HTTP/1.1 keep-alive, as a platform behind a load balancer. Records every request in
    `requests` and every client connection (its address) in `connections`. TLS with `certificate`
    (cert_path, key_path), e.g. from self_signed_certificate(). A context manager, or start() and stop().
    """

    def __init__(self, answers=(), certificate: tuple[str, str] | None = None):
        self.answers: list = list(answers)
        self.requests: list[Request] = []
        self.connections: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._server = ThreadingHTTPServer((HOST, 0), _Handler)
        self._server.daemon_threads = True
        self._server.loopback = self
        if certificate:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*certificate)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.url = f'{"https" if certificate else "http"}://{HOST}:{self._server.server_address[1]}'

    def start(self) -> LoopbackServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={'poll_interval': 0.01},
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and close the port (connections are then refused); a second call does nothing."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _take(self, method: str, path: str, client: tuple[str, int]) -> tuple[int, Answer]:
        """Record a request; its number on this server and its answer."""
        with self._lock:
            self.requests.append(Request(method, path))
            self.connections.add(client)
            if len(self.answers) > 1:
                answer = self.answers.pop(0)
            else:
                answer = self.answers[0] if self.answers else Answer()
            return len(self.requests), Answer(*answer)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def _answer(self):
        loopback: LoopbackServer = self.server.loopback
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)
        number, answer = loopback._take(self.command, self.path, self.client_address)
        if answer.delay and loopback._stopping.wait(answer.delay):
            self.close_connection = True
            return
        stream = answer.body if isinstance(answer.body, Stream) else None
        payload = b'' if stream else json.dumps({'hit': number} if answer.body is None else answer.body).encode()
        try:
            self.send_response(answer.status)
            for name, value in (answer.headers or {}).items():
                self.send_header(name, value)
            self.send_header('Content-Type', stream.content_type if stream else 'application/json')
            self.send_header('Content-Length', str(stream.size if stream else len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            if stream:
                self._write_stream(stream)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a read timeout)
            self.close_connection = True

    def _write_stream(self, stream: Stream) -> None:
        whole, rest = divmod(stream.size, len(stream.chunk))
        for _ in range(whole):
            self.wfile.write(stream.chunk)
        self.wfile.write(stream.chunk[:rest])

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer
