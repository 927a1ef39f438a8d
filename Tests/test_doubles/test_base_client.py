"""BaseClient: URL building, session reuse, errors, retries, timeouts, proxy and TLS handling.

requests_mock covers request shaping and error texts; a real loopback server (plain and TLS) covers what
only a socket shows: retries, read timeouts, refused connections and certificate failures.
"""
import contextlib
import os
import time

import CommonServerPython as csp
import pytest
import requests
from CommonServerPython import BaseClient, DemistoException
from loopback import Answer, LoopbackServer, self_signed_certificate  # Tests/support/loopback.py

BASE = 'https://api.example.com/v1'


@pytest.fixture(autouse=True)
def _no_proxy_or_timeout_env(monkeypatch):
    # BaseClient deletes proxy and CA-bundle variables from os.environ (as XSOAR's does); monkeypatch puts
    # the original values back after each test.
    for key in ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'REQUESTS_TIMEOUT', 'REQUESTS_CA_BUNDLE',
                'CURL_CA_BUNDLE'):
        monkeypatch.delenv(key, raising=False)


# ------------------------------------------------------------------------------------ requests_mock

def test_defaults_and_session():
    client = BaseClient(BASE)
    assert client.timeout == 60.0
    assert BaseClient.REQUESTS_TIMEOUT == 60
    assert isinstance(client._session, requests.Session)
    assert (client._base_url, client._verify, client._ok_codes, client._headers, client._auth) == \
        (BASE, True, (), None, None)


def test_request_shape(requests_mock):
    requests_mock.post(f'{BASE}/projects', json={'id': 1})
    client = BaseClient(BASE, headers={'Authorization': 'Bearer t'}, timeout=12)
    session = client._session
    assert client._http_request('POST', '/projects', params={'page': 2}, json_data={'name': 'x'}) == {'id': 1}
    request = requests_mock.last_request
    assert request.url == f'{BASE}/projects?page=2'
    assert request.headers['Authorization'] == 'Bearer t'
    assert request.json() == {'name': 'x'}
    assert request.timeout == 12.0
    assert request.verify is True
    assert client._session is session


def test_full_url_headers_auth_and_timeout_override(requests_mock):
    requests_mock.get('https://other.example.com/x', text='ok')
    client = BaseClient(BASE, headers={'A': '1'}, auth=('u', 'p'))
    assert client._http_request('GET', full_url='https://other.example.com/x', headers={'B': '2'},
                                timeout=3, resp_type='text') == 'ok'
    request = requests_mock.last_request
    assert 'A' not in request.headers and request.headers['B'] == '2'
    assert request.headers['Authorization'].startswith('Basic ')
    assert request.timeout == 3


def test_requests_timeout_environment_override(monkeypatch, requests_mock):
    monkeypatch.setenv('REQUESTS_TIMEOUT', '7')
    assert BaseClient(BASE, timeout=30).timeout == 7.0


@pytest.mark.parametrize('resp_type, expected', [
    ('json', {'a': 1}), ('text', '{"a": 1}'), ('content', b'{"a": 1}'), ('JSON', {'a': 1}),
])
def test_resp_types(requests_mock, resp_type, expected):
    requests_mock.get(f'{BASE}/x', text='{"a": 1}')
    assert BaseClient(BASE)._http_request('GET', 'x', resp_type=resp_type) == expected


def test_response_and_xml_resp_types_return_the_response(requests_mock):
    requests_mock.get(f'{BASE}/x', text='<a>1</a>')
    client = BaseClient(BASE)
    assert isinstance(client._http_request('GET', 'x', resp_type='response'), requests.Response)
    assert isinstance(client._http_request('GET', 'x', resp_type='xml'), requests.Response)


def test_invalid_json_body(requests_mock):
    requests_mock.get(f'{BASE}/x', text='not json')
    with pytest.raises(DemistoException) as error:
        BaseClient(BASE)._http_request('GET', 'x')
    assert str(error.value) == "Failed to parse json object from response: b'not json'"
    assert isinstance(error.value.exception, ValueError)
    assert error.value.res.status_code == 200


def test_empty_responses(requests_mock):
    requests_mock.delete(f'{BASE}/x', status_code=204)
    client = BaseClient(BASE)
    response = client._http_request('DELETE', 'x', return_empty_response=True)
    assert isinstance(response, requests.Response) and response.status_code == 204
    with pytest.raises(DemistoException, match='^Failed to parse json object from response: '):
        client._http_request('DELETE', 'x')
    requests_mock.post(f'{BASE}/y', status_code=202)
    assert client._http_request('POST', 'y', return_empty_response=True, empty_valid_codes=[202]).status_code == 202


def test_error_with_json_body(requests_mock):
    requests_mock.get(f'{BASE}/x', status_code=404, reason='Not Found', text='{"detail":  "no such project"}')
    with pytest.raises(DemistoException) as error:
        BaseClient(BASE)._http_request('GET', 'x')
    assert str(error.value) == 'Error in API call [404] - Not Found\n{"detail": "no such project"}'
    assert error.value.message == str(error.value)
    assert error.value.res.status_code == 404
    assert error.value.exception is None


def test_error_with_text_body(requests_mock):
    requests_mock.get(f'{BASE}/x', status_code=500, reason='Internal Server Error', text='oops')
    with pytest.raises(DemistoException) as error:
        BaseClient(BASE)._http_request('GET', 'x')
    assert str(error.value) == 'Error in API call [500] - Internal Server Error\noops'


def test_ok_codes_and_error_handler(requests_mock):
    requests_mock.get(f'{BASE}/x', status_code=404, json={'a': 1})
    assert BaseClient(BASE, ok_codes=(200, 404))._http_request('GET', 'x') == {'a': 1}
    assert BaseClient(BASE)._http_request('GET', 'x', ok_codes=(404,)) == {'a': 1}
    with pytest.raises(DemistoException, match=r'^Error in API call \[404\]'):
        BaseClient(BASE, ok_codes=(404,))._http_request('GET', 'x', ok_codes=(200,))
    seen = []
    # An error handler that returns (does not raise) lets the response through.
    assert BaseClient(BASE)._http_request('GET', 'x', error_handler=seen.append) == {'a': 1}
    assert seen[0].status_code == 404

    def raising(res):
        raise ValueError(f'custom {res.status_code}')

    with pytest.raises(ValueError, match='^custom 404$'):
        BaseClient(BASE)._http_request('GET', 'x', error_handler=raising)


def test_is_status_code_valid(requests_mock):
    requests_mock.get(f'{BASE}/x', status_code=201)
    client = BaseClient(BASE)
    response = client._http_request('GET', 'x', resp_type='response')
    assert client._is_status_code_valid(response) is True
    assert client._is_status_code_valid(response, ok_codes=(200,)) is False
    assert BaseClient(BASE, ok_codes=(201,))._is_status_code_valid(response) is True


@pytest.mark.parametrize('exception, message', [
    (requests.exceptions.ConnectTimeout, 'Connection Timeout Error - potential reasons might be that the Server URL '
                                         'parameter is incorrect or that the Server is not accessible from your host.'),
    (requests.exceptions.SSLError, "SSL Certificate Verification Failed - try selecting 'Trust any certificate' "
                                   "checkbox in the integration configuration."),
    (requests.exceptions.ProxyError, "Proxy Error - if the 'Use system proxy' checkbox in the integration "
                                     "configuration is selected, try clearing the checkbox."),
    (requests.exceptions.ConnectionError('refused'), 'Verify that the server URL parameter is correct and that you '
                                                     'have access to the server from your host.\n'
                                                     'Error Type: <requests.exceptions.ConnectionError>\nrefused'),
])
def test_connection_failures(requests_mock, exception, message):
    requests_mock.get(f'{BASE}/x', exc=exception)
    with pytest.raises(DemistoException) as error:
        BaseClient(BASE)._http_request('GET', 'x')
    assert str(error.value) == message
    assert isinstance(error.value.exception, requests.exceptions.RequestException)


def test_ssl_error_is_reraised_unchanged_when_verification_is_off(requests_mock):
    requests_mock.get(f'{BASE}/x', exc=requests.exceptions.SSLError('bad handshake'))
    with pytest.raises(requests.exceptions.SSLError):
        BaseClient(BASE, verify=False)._http_request('GET', 'x')


def test_read_timeout_is_not_translated(requests_mock):
    requests_mock.get(f'{BASE}/x', exc=requests.exceptions.ReadTimeout('slow'))
    with pytest.raises(requests.exceptions.ReadTimeout):
        BaseClient(BASE)._http_request('GET', 'x')


def test_retry_adapter_is_mounted_for_https_only(requests_mock):
    requests_mock.get(f'{BASE}/x', json={})
    client = BaseClient(BASE)
    client._http_request('GET', 'x')
    assert client._session.adapters['https://'].max_retries.total == 0
    client._http_request('GET', 'x', retries=3, status_list_to_retry=[429, 503], backoff_factor=2)
    retry = client._session.adapters['https://'].max_retries
    assert (retry.total, retry.connect, retry.read, retry.status, retry.backoff_factor) == (3, 3, 3, 3, 2)
    assert retry.status_forcelist == [429, 503]
    assert retry.allowed_methods == frozenset(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])
    assert (retry.raise_on_status, retry.raise_on_redirect) == (False, False)
    assert client._session.adapters['http://'].max_retries.total == 0


def test_proxy_and_verify_environment(monkeypatch):
    monkeypatch.setenv('HTTPS_PROXY', 'proxy.local:3128')
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/tmp/ca.pem')
    BaseClient(BASE, proxy=True)
    assert os.environ['HTTPS_PROXY'] == 'http://proxy.local:3128'
    assert os.environ['REQUESTS_CA_BUNDLE'] == '/tmp/ca.pem'
    client = BaseClient(BASE, proxy=False, verify=False)
    assert 'HTTPS_PROXY' not in os.environ
    assert 'REQUESTS_CA_BUNDLE' not in os.environ
    assert isinstance(client._session.adapters['https://'], csp.SSLAdapter)
    assert not isinstance(BaseClient(BASE)._session.adapters['https://'], csp.SSLAdapter)


def test_verify_false_is_passed_to_requests(requests_mock):
    requests_mock.get(f'{BASE}/x', json={})
    BaseClient(BASE, verify=False)._http_request('GET', 'x')
    assert requests_mock.last_request.verify is False


def test_handle_proxy(mocker, monkeypatch):
    monkeypatch.setenv('HTTP_PROXY', 'proxy.local:8080')
    monkeypatch.setenv('https_proxy', 'https://secure.local')
    monkeypatch.setenv('CURL_CA_BUNDLE', '/tmp/ca.pem')
    mocker.patch.object(csp.demisto, 'params', return_value={'proxy': True, 'insecure': True})
    assert csp.handle_proxy() == {'http': 'http://proxy.local:8080', 'https': 'https://secure.local'}
    assert 'CURL_CA_BUNDLE' not in os.environ
    mocker.patch.object(csp.demisto, 'params', return_value={})
    assert csp.handle_proxy() == {}
    assert 'HTTP_PROXY' not in os.environ and 'https_proxy' not in os.environ


def test_with_metrics_counts_calls(requests_mock):
    requests_mock.get(f'{BASE}/ok', json={})
    requests_mock.get(f'{BASE}/denied', status_code=401, text='no')
    client = BaseClient(BASE)
    client._http_request('GET', 'ok', with_metrics=True)
    with pytest.raises(DemistoException):
        client._http_request('GET', 'denied', with_metrics=True)
    assert client.execution_metrics.get_metric_list() == [{'Type': 'Successful', 'APICallsCount': 1},
                                                          {'Type': 'AuthError', 'APICallsCount': 1}]
    client.execution_metrics = csp.ExecutionMetrics()  # nothing to report when the client is collected


# -------------------------------------------------------------------------------- loopback servers

@pytest.fixture(scope='module')
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (cert_path, key_path)."""
    pytest.importorskip('cryptography.x509')
    return self_signed_certificate(tmp_path_factory.mktemp('tls'))


@pytest.fixture
def start_server(request):
    """start_server(answers, tls=False) starts a LoopbackServer (over TLS with `certificate`); all are stopped after
    the test. With no answers, each request is answered 200 {"hit": <its number>}."""
    with contextlib.ExitStack() as servers:
        def start(answers=(), tls=False):
            certificate = request.getfixturevalue('certificate') if tls else None
            return servers.enter_context(LoopbackServer(answers, certificate))

        yield start


def get_retrying_503(server, verify=True, **kwargs):
    """One GET through BaseClient that may be retried twice, on 503 only, at once."""
    return BaseClient(server.url, verify=verify)._http_request('GET', 'x', retries=2, status_list_to_retry=[503],
                                                               backoff_factor=0, **kwargs)


def test_https_retries_on_listed_statuses(start_server, certificate):
    server = start_server([Answer(503), Answer(503), Answer(200)], tls=True)
    assert get_retrying_503(server, certificate[0]) == {'hit': 3}
    assert len(server.requests) == 3


def test_https_retries_exhausted(start_server, certificate):
    server = start_server([Answer(503)], tls=True)
    with pytest.raises(DemistoException) as error:
        get_retrying_503(server, certificate[0])
    assert str(error.value).startswith('Error in API call [503] - Service Unavailable\n{"hit": 3}')
    assert len(server.requests) == 3


def test_https_retries_exhausted_with_raise_on_status(start_server, certificate):
    server = start_server([Answer(503)], tls=True)
    with pytest.raises(DemistoException) as error:
        get_retrying_503(server, certificate[0], raise_on_status=True)
    assert str(error.value) == 'Max Retries Error- Request attempts with 2 retries failed. \n' \
                               'Reason: too many 503 error responses'
    assert isinstance(error.value.exception, requests.exceptions.RetryError)
    assert len(server.requests) == 3


def test_statuses_not_listed_are_not_retried(start_server, certificate):
    server = start_server([Answer(500), Answer(200)], tls=True)
    with pytest.raises(DemistoException, match=r'^Error in API call \[500\]'):
        get_retrying_503(server, certificate[0])
    assert len(server.requests) == 1


def test_plain_http_is_not_retried(start_server):
    # XSOAR mounts its retry adapter on https:// only.
    server = start_server([Answer(503), Answer(200)])
    with pytest.raises(DemistoException, match=r'^Error in API call \[503\] - Service Unavailable'):
        get_retrying_503(server)
    assert len(server.requests) == 1


@pytest.mark.filterwarnings('ignore::urllib3.exceptions.InsecureRequestWarning')
def test_untrusted_certificate(start_server):
    server = start_server(tls=True)
    with pytest.raises(DemistoException) as error:
        BaseClient(server.url)._http_request('GET', 'x')
    assert str(error.value) == "SSL Certificate Verification Failed - try selecting 'Trust any certificate' " \
                               "checkbox in the integration configuration."
    assert BaseClient(server.url, verify=False)._http_request('GET', 'x') == {'hit': 1}


def test_read_timeout_on_a_slow_server(start_server):
    server = start_server([Answer(delay=1.0)])
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        BaseClient(server.url, timeout=0.2)._http_request('GET', 'x')
    assert time.monotonic() - started < 0.9
    server2 = start_server([Answer(delay=1.0)])
    with pytest.raises(requests.exceptions.ReadTimeout):
        BaseClient(server2.url)._http_request('GET', 'x', timeout=0.2)


def test_refused_connection(start_server):
    server = start_server()
    server.stop()
    with pytest.raises(DemistoException) as error:
        BaseClient(server.url)._http_request('GET', 'x')
    message = str(error.value)
    assert message.startswith('Verify that the server URL parameter is correct and that you have access to the '
                              'server from your host.\nError Type: <requests.exceptions.ConnectionError>\n')
    assert isinstance(error.value.exception, requests.exceptions.ConnectionError)


def test_session_is_reused_across_calls(start_server):
    server = start_server()
    client = BaseClient(server.url)
    session = client._session
    assert client._http_request('GET', 'a') == {'hit': 1}
    assert client._http_request('POST', 'b', json_data={}) == {'hit': 2}
    assert client._session is session
