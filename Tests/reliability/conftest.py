"""Fixtures of the reliability suites: loopback fault servers (plain and TLS) and a clean environment."""
from __future__ import annotations

import demistomock as demisto
import pytest

from .cado_api import media_type, respond
from .fault_server import FaultServer, RecordedRequest, Reply

API_KEY = 'cado-k3y-7Qf9ZxR2pLw8VtN4sJ6hB1mD'  # distinctive: any occurrence in emitted output is a leak


def api_responder(request: RecordedRequest | None) -> Reply:
    """The stand-in Cado API; like the platform, it answers 401 to a request without the right bearer key."""
    if request is None:
        return Reply(200, {'status': 'success', 'data': {}})
    if request.headers.get('Authorization') != f'Bearer {API_KEY}':
        return Reply(401, {'status': 'error', 'message': 'Unauthorized', 'code': 'UNAUTHORIZED_401'})
    status, body = respond(request.method, request.path, request.query)
    return Reply(status, body, media_type(request.method, request.path))


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    # File entries go to the test's own working directory (root conftest.py); a fixed file id lets runs be compared.
    monkeypatch.setattr(demisto, 'uniqueFile', lambda: 'reliability-file')
    # BaseClient deletes proxy and CA-bundle variables from os.environ (as XSOAR's does); monkeypatch restores them.
    for key in ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'NO_PROXY', 'no_proxy',
                'REQUESTS_TIMEOUT', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture(scope='module')
def _http_server():
    with FaultServer(api_responder) as server:
        yield server


@pytest.fixture(scope='module')
def _https_server():
    with FaultServer(api_responder, tls=True) as server:
        yield server


@pytest.fixture
def http_server(_http_server):
    _http_server.reset()
    yield _http_server
    _http_server.reset()


@pytest.fixture
def https_server(_https_server):
    _https_server.reset()
    yield _https_server
    _https_server.reset()
