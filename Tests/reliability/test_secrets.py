"""Secret scan: run every command (success and error paths) and search everything the pack emitted for secrets.

Secrets: the API key (a distinctive value) and the credentials of a Generic Webhook URL
(`https://user:password@host/...`, the only way Cado can authenticate to XSOAR), typed into the URL argument or held
by the instance parameter that the webhook commands insert into the URL. The stand-in platform behaves
like Cado (it stores webhooks and echoes their URL back in create/update/list answers) and, in the error modes,
like the worst proxy or platform: it echoes the request's Authorization header and body in its error message.

Scanned: every demisto.results entry (readable output, context, raw response), incidents and last run,
demisto.debug/info/error/log, the logging root at DEBUG, CommonServerPython's integration log buffer, the text of
any exception (and its causes) leaving main(), and everything written to stdout/stderr (capfd); in debug mode too,
where return_error appends the traceback.
"""
from __future__ import annotations

import copy
import json

import pytest

from .cado_api import fixture
from command_args import VALID_ARGS  # Tests/support: the one table of valid arguments

from .command_cases import POLLING_ARGS
from .conftest import API_KEY, api_responder
from .fault_server import CloseNoReply, FaultServer, RecordedRequest, Reply
from .harness import Outcome, instance_params, run_main

WEBHOOK_USER = 'xsoar-intake'
WEBHOOK_PASSWORD = 'W3bh00k-Pa55-q8Zt1'
SECRET_URL = f'https://{WEBHOOK_USER}:{WEBHOOK_PASSWORD}@ext-acme.crtx.eu.paloaltonetworks.com/xsoar/instance/' \
             'execute/Cado_Intake'
# A password with reserved characters, percent-encoded in the URL as it must be ('Pa$$:w/rd-7Kq').
ENCODED_PASSWORD = 'Pa%24%24%3Aw%2Frd-7Kq'
SECRET_URL_ENCODED = f'https://svc%40acme:{ENCODED_PASSWORD}@xsoar.acme.example/instance/execute/Cado_Intake'
# The instance parameter's password, with reserved characters: sent percent-encoded in the URL.
PARAM_PASSWORD = 'Inst:W3b@h00k/Zq81'
WEBHOOK_PARAMS = {'webhook_credentials': {'identifier': 'cado@acme', 'password': PARAM_PASSWORD,
                                          'credentials': {'identifier': 'cado@acme', 'password': PARAM_PASSWORD}}}
PLAIN_URL = 'https://ext-acme.crtx.eu.paloaltonetworks.com/xsoar/instance/execute/Cado_Intake'
SECRETS = {'API key': API_KEY, 'webhook password': WEBHOOK_PASSWORD,
           'webhook user-info': f'{WEBHOOK_USER}:{WEBHOOK_PASSWORD}',
           'encoded webhook password': ENCODED_PASSWORD, 'decoded webhook password': 'Pa$$:w/rd-7Kq',
           'instance webhook password': PARAM_PASSWORD, 'encoded instance webhook password': 'Inst%3AW3b%40h00k%2FZq81'}
FETCH = {'isFetch': True, 'first_fetch': '2020-01-01T00:00:00Z', 'max_fetch': '10'}


def runs() -> list[tuple[str, dict, dict]]:
    """(command, arguments, instance parameters added): every command with valid arguments (webhook URLs carrying
    credentials), plus polling steps and the webhook commands' other variants (several event types, a bad argument
    next to the secret URL), and the webhook commands with Generic Webhook's credentials in the instance parameter."""
    cases = []
    for command, args in VALID_ARGS.items():
        args = dict(args)
        if command in ('cado-webhook-create', 'cado-webhook-update'):
            args['url'] = SECRET_URL
        cases.append((command, args))
    cases += [(command, args) for command, args in POLLING_ARGS.items()]
    cases += [
        ('cado-webhook-create', {'name': 'XSOAR', 'url': SECRET_URL, 'event_types': 'detection_created,high_severity_alarm'}),
        ('cado-webhook-create', {'name': 'XSOAR', 'url': SECRET_URL, 'event_types': 'not_an_event'}),
        ('cado-webhook-create', {'name': 'XSOAR', 'url': SECRET_URL, 'event_types': 'detection_created',
                                 'for_xsoar': 'false', 'payload': '{"text": "$Title"}', 'payload_type': 'slack'}),
        ('cado-webhook-create', {'name': 'XSOAR', 'url': SECRET_URL, 'event_types': 'detection_created',
                                 'payload': '{not json'}),
        ('cado-webhook-update', {'webhook_id': '31', 'url': SECRET_URL, 'enabled': 'maybe'}),
        ('cado-webhook-update', {'webhook_id': '31', 'url': SECRET_URL, 'name': 'renamed'}),
        ('cado-webhook-create', {'name': 'XSOAR 6', 'url': SECRET_URL_ENCODED, 'event_types': 'processing_failed'}),
        ('cado-webhook-update', {'webhook_id': '32', 'url': SECRET_URL_ENCODED}),
        ('cado-webhook-list', {'page_size': '5'}),
    ]
    with_parameter = [
        ('cado-webhook-create', {'name': 'XSOAR', 'url': PLAIN_URL, 'event_types': 'detection_created,processing_failed'}),
        ('cado-webhook-create', {'name': 'XSOAR', 'url': PLAIN_URL, 'event_types': 'not_an_event'}),
        ('cado-webhook-create', {'name': 'XSOAR', 'url': SECRET_URL, 'event_types': 'detection_created'}),
        ('cado-webhook-update', {'webhook_id': '31', 'url': PLAIN_URL, 'insert_credentials': 'true'}),
        ('cado-webhook-update', {'webhook_id': '31', 'url': 'not a url', 'insert_credentials': 'true'}),
        ('cado-webhook-list', {}),
    ]
    return [(command, args, {}) for command, args in cases] + \
        [(command, args, WEBHOOK_PARAMS) for command, args in with_parameter]


class WebhookStore:
    """Cado's webhook endpoints, statefully: what is created is listed and echoed back, URL included."""

    def __init__(self):
        listed = fixture('webhook_list')['data']
        self.hooks = {31: {**listed[0], 'id': 31, 'url': SECRET_URL},
                      32: {**listed[-1], 'id': 32, 'url': SECRET_URL_ENCODED}}

    def __call__(self, request: RecordedRequest | None) -> Reply:
        if request is None or request.headers.get('Authorization') != f'Bearer {API_KEY}' \
                or not request.path.startswith('/api/v3/webhooks') or request.path == '/api/v3/webhooks/test':
            return api_responder(request)
        if request.method == 'GET':
            hooks = list(self.hooks.values())
            return Reply(200, {'status': 'success', 'data': copy.deepcopy(hooks), 'pagination': {
                'type': 'page', 'total_records': len(hooks), 'current_page': 1, 'total_pages': 1, 'per_page': 50}})
        if request.method == 'POST':
            hook_id = max(self.hooks) + 1
            self.hooks[hook_id] = {**(request.json() or {}), 'id': hook_id, 'enabled': True}
            return Reply(201, {'status': 'success', 'data': {'id': hook_id, 'webhook': self.hooks[hook_id]}})
        hook_id = int(request.path.rsplit('/', 1)[-1])
        if request.method == 'PATCH':
            self.hooks[hook_id] = {**self.hooks.get(hook_id, {}), **(request.json() or {}), 'id': hook_id}
            return Reply(200, {'status': 'success', 'data': {'id': hook_id, 'webhook': self.hooks[hook_id]}})
        self.hooks.pop(hook_id, None)
        return Reply(200, {'status': 'success', 'data': None})


def echo(request: RecordedRequest) -> str:
    return (f'Authorization: {request.headers.get("Authorization")}; body: '
            f'{request.body.decode("utf-8", "replace")}; target: {request.raw_target}')


ERROR_MODES = {
    # A platform that quotes what it was sent, in its own error envelope.
    'echo-401': lambda r, n: Reply(401, {'status': 'error', 'code': 'UNAUTHORIZED_401',
                                         'message': f'Invalid credentials: {echo(r)}'}),
    'echo-422': lambda r, n: Reply(422, {'status': 'error', 'code': 'VALIDATION_422',
                                         'message': f'Validation failed: {echo(r)}',
                                         'data': {'request': r.body.decode('utf-8', 'replace')}}),
    # A proxy's HTML debug page, padded so that an excerpt of its first 200 characters cuts the key in half.
    'echo-500-html': lambda r, n: Reply(500, '<html><body><pre>' + 'x' * 141 + echo(r) + '</pre></body></html>',
                                        'text/html'),
    'echo-200-html': lambda r, n: Reply(200, f'<html><body>Proxy says hi. {echo(r)}</body></html>', 'text/html'),
    'connection-dropped': lambda r, n: CloseNoReply(),
}


def leaks(text: str) -> list[str]:
    found = []
    for name, secret in SECRETS.items():
        at = text.find(secret)
        if at >= 0:
            found.append(f'{name} at ...{text[max(0, at - 80):at + len(secret) + 20]!r}...')
    # A secret cut in half by an excerpt is still a leak: any 16-character window of the key.
    if not found:
        for start in range(0, len(API_KEY) - 15):
            window = API_KEY[start:start + 16]
            at = text.find(window)
            if at >= 0:
                found.append(f'part of the API key at ...{text[max(0, at - 80):at + 36]!r}...')
                break
    return found


@pytest.fixture(scope='module')
def secret_server():
    with FaultServer(WebhookStore()) as server:
        yield server


def scan_all(server: FaultServer, capfd, mode: str | None, debug: bool, monkeypatch) -> list[str]:
    import demistomock as demisto

    import CommonServerPython

    monkeypatch.setattr(demisto, 'is_debug', debug, raising=False)
    monkeypatch.setattr(CommonServerPython.LOG, 'messages', [])
    reports = []
    for command, args, added_params in runs():
        server.reset()
        if mode:
            server.set_script(ERROR_MODES[mode])
        params = instance_params(server.url, API_KEY, **FETCH, **added_params, default_project='12')
        outcome: Outcome = run_main(command, args, params, {} if command == 'fetch-incidents' else None,
                                    capture_debug_logs=True)
        captured = capfd.readouterr()
        channels = {**outcome.emitted(), 'stdout': captured.out, 'stderr': captured.err,
                    'integration log buffer (CommonServerPython.LOG)': '\n'.join(map(str, CommonServerPython.LOG.messages))}
        CommonServerPython.LOG.messages = []
        for channel, text in channels.items():
            for leak in leaks(text):
                reports.append(f'{command} {json.dumps(args)[:100]}: [{channel}] {leak}')
        if mode is None and outcome.uncaught is not None:
            reports.append(f'{command}: uncaught {outcome.uncaught!r}')
    return reports


def describe(reports: list[str], limit: int = 25) -> str:
    shown = reports[:limit]
    more = f'\n... and {len(reports) - limit} more' if len(reports) > limit else ''
    return f'{len(reports)} secrets emitted:\n' + '\n'.join(shown) + more


def test_the_scanner_finds_whole_cut_and_encoded_secrets():
    assert leaks(f'Bearer {API_KEY}')
    assert leaks(f'...Bearer {API_KEY[:18]}"')  # cut by an excerpt
    assert leaks(SECRET_URL) and leaks(SECRET_URL_ENCODED)
    assert not leaks('Bearer **** https://xsoar-intake:****@ext-acme.crtx.eu.paloaltonetworks.com/')


def test_secrets_are_really_sent_where_they_belong(secret_server, skip_backoff_sleep):
    """Guard against a vacuous scan: the key does reach the platform, and the webhook URL does reach Cado."""
    secret_server.reset()
    run_main('cado-webhook-create', {'name': 'x', 'url': SECRET_URL, 'event_types': 'detection_created'},
             instance_params(secret_server.url, API_KEY))
    sent = secret_server.requests
    assert sent and sent[0].headers['Authorization'] == f'Bearer {API_KEY}'
    assert sent[0].json()['url'] == SECRET_URL
    secret_server.reset()
    run_main('cado-webhook-create', {'name': 'x', 'url': PLAIN_URL, 'event_types': 'detection_created'},
             instance_params(secret_server.url, API_KEY, **WEBHOOK_PARAMS))
    assert secret_server.requests[0].json()['url'] == PLAIN_URL.replace(
        'https://', f'https://cado%40acme:{SECRETS["encoded instance webhook password"]}@')


def test_no_secret_on_success_paths(secret_server, capfd, monkeypatch, skip_backoff_sleep):
    reports = scan_all(secret_server, capfd, None, False, monkeypatch)
    assert not reports, describe(reports)


@pytest.mark.parametrize('debug', [False, True], ids=['normal', 'debug-mode'])
@pytest.mark.parametrize('mode', sorted(ERROR_MODES))
def test_no_secret_on_error_paths(mode, debug, secret_server, capfd, monkeypatch, skip_backoff_sleep):
    reports = scan_all(secret_server, capfd, mode, debug, monkeypatch)
    assert not reports, describe(reports)


@pytest.fixture
def skip_backoff_sleep(monkeypatch):
    import urllib3.util.retry as retry_module

    monkeypatch.setattr(retry_module.time, 'sleep', lambda seconds: None)
