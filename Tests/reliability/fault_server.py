"""A misbehaving HTTP(S) server on loopback: a real socket in a thread, scripted per request.

Each request is recorded (method, path, query, headers, body) and answered by `server.script(request, n)`, which
returns an action: a normal reply, a delay past the client's timeout, a connection reset in the middle of the
body, a redirect, and so on. With no script the server answers like the Cado API (`default_responder`).
TLS uses a throw-away self-signed certificate made with `cryptography`, which no trust store knows.
"""
from __future__ import annotations

import json
import socket
import ssl
import struct
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from loopback import self_signed_certificate

# ------------------------------------------------------------------------------------------------ actions


@dataclass
class Reply:
    """A complete response. `body` may be bytes, str, or a JSON-serialisable object."""
    status: int = 200
    body: Any = b''
    content_type: str | None = 'application/json'
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass
class Delay:
    """Wait `seconds` before doing `then` (nothing is sent while waiting)."""
    seconds: float
    then: Any = None


@dataclass
class ResetMidBody:
    """Status line, headers announcing the whole body, part of it, then a TCP reset."""
    body: bytes
    sent_fraction: float = 0.5
    status: int = 200


@dataclass
class CloseNoReply:
    """Read the request, answer nothing, reset the connection."""


@dataclass
class Redirect:
    location: str
    status: int = 302


Action = Reply | Delay | ResetMidBody | CloseNoReply | Redirect | None


@dataclass
class RecordedRequest:
    method: str
    path: str  # raw request-target path, as sent on the wire (still percent-encoded)
    query: dict[str, list[str]]
    raw_target: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


# ------------------------------------------------------------------------------------------------ TLS


# ------------------------------------------------------------------------------------------------ server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'  # keep-alive, as a real platform behind a load balancer
    server: _Server

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ValueError, OSError):  # the connection was reset on purpose
            self.close_connection = True

    def _handle(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        target = urlsplit(self.path)
        request = RecordedRequest(self.command, target.path, parse_qs(target.query, keep_blank_values=True),
                                  self.path, {k: v for k, v in self.headers.items()}, body)
        with self.server.lock:
            self.server.requests.append(request)
            number = len(self.server.requests)
        action = self.server.script(request, number) if self.server.script else None
        if action is None:
            action = self.server.responder(request)
        self._perform(action)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    def _perform(self, action: Action):
        if isinstance(action, Delay):
            if self.server.stopping.wait(action.seconds):
                return self._reset()
            return self._perform(action.then if action.then is not None else self.server.responder(None))
        if isinstance(action, CloseNoReply):
            return self._reset()
        if isinstance(action, Redirect):
            action = Reply(action.status, b'', None, {'Location': action.location})
        if isinstance(action, ResetMidBody):
            self.send_response(action.status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(action.body)))
            self.end_headers()
            self.wfile.write(action.body[:int(len(action.body) * action.sent_fraction)])
            self.wfile.flush()
            # Let the client read the headers and the first part before the reset discards its receive buffer.
            self.server.stopping.wait(0.2)
            return self._reset()
        payload = action.payload()
        self.send_response(action.status)
        if action.content_type:
            self.send_header('Content-Type', action.content_type)
        for name, value in action.headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        if payload and self.command != 'HEAD':
            try:
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def _reset(self):
        """Abort the connection with a TCP RST (SO_LINGER 0), as a crashing proxy or platform does."""
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        except OSError:
            pass
        for stream in (self.rfile, self.wfile):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.connection.close()
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, responder, ssl_context=None):
        super().__init__(('127.0.0.1', 0), _Handler)
        self.responder = responder
        self.ssl_context = ssl_context
        self.script: Callable[[RecordedRequest, int], Action] | None = None
        self.requests: list[RecordedRequest] = []
        self.connections = 0
        self.tls_failures = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def finish_request(self, request, client_address):
        with self.lock:
            self.connections += 1
        # Headers and body go out in separate writes: without NODELAY, Nagle's algorithm and the client's delayed
        # ACK add ~40 ms to every second request on a kept-alive connection.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.ssl_context is not None:
            request.settimeout(10)
            try:
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                with self.lock:
                    self.tls_failures += 1
                return
            request.settimeout(None)
        try:
            self.RequestHandlerClass(request, client_address, self)
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            if self.ssl_context is not None:
                try:
                    request.close()
                except OSError:
                    pass


class FaultServer:
    """Start with `with FaultServer(...) as server:`; `server.url` is the base URL to give the integration."""

    def __init__(self, responder: Callable[[RecordedRequest | None], Action], tls: bool = False,
                 host: str = '127.0.0.1'):
        self._tmp = tempfile.TemporaryDirectory() if tls else None
        context = None
        if tls:
            cert, key = self_signed_certificate(self._tmp.name)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self.cert_path = cert
        self._server = _Server(responder, context)
        self.host = host
        self.scheme = 'https' if tls else 'http'
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={'poll_interval': 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f'{self.scheme}://{self.host}:{self._server.server_address[1]}'

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._server.lock:
            return list(self._server.requests)

    @property
    def tls_failures(self) -> int:
        return self._server.tls_failures

    @property
    def connections(self) -> int:
        return self._server.connections

    def set_script(self, script: Callable[[RecordedRequest, int], Action] | None) -> None:
        self._server.script = script

    def reset(self) -> None:
        with self._server.lock:
            self._server.requests.clear()
            self._server.connections = 0
            self._server.tls_failures = 0
        self._server.script = None

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
