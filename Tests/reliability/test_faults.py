"""Fault suite: every command through `main()` against a misbehaving Cado on a real loopback socket.

Defined behaviour under a fault, for every command:
- reads (GET) are retried a bounded number of times, and only over https (XSOAR's BaseClient mounts its retrying
  adapter on https:// only); writes (POST/PATCH/DELETE) reach the server exactly once, whatever happens;
- the command ends in one error entry that names the problem (timeout, reset, status, non-JSON body, certificate,
  redirect), never a Python internal error or an uncaught exception;
- no context and no war-room result is written when the command fails (no partial output);
- fetch-incidents: a failure on its first request leaves the last run untouched (setLastRun not called) and
  creates no incident; a failure later in a run never moves the state past what was handed to XSOAR, so that
  successive runs deliver every detection exactly once.
"""
from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime
from unittest import mock

import pytest

from command_args import VALID_ARGS  # Tests/support: the one table of valid arguments

from .command_cases import POLLING_ARGS, READS, WRITES
from .conftest import API_KEY, api_responder
from .detection_feed import DetectionFeed
from .fault_server import CloseNoReply, Delay, FaultServer, Redirect, Reply, ResetMidBody
from .harness import PYTHON_INTERNALS, Outcome, instance_params, run_main

MAX_READ_ATTEMPTS = 4  # one request and at most three retries
DOWN = {'status': 'error', 'message': 'Service temporarily unavailable', 'code': 'UNAVAILABLE_503'}
FETCH_PARAMS = {'isFetch': True, 'first_fetch': '2020-01-01T00:00:00Z', 'max_fetch': '200'}
STATE_LIMIT = 10 * 1024  # bytes of saved fetch state, at any volume


@pytest.fixture
def skip_backoff(monkeypatch) -> list[float]:
    """Records the sleeps urllib3's Retry asks for between attempts, without sleeping (sweeps stay fast; the
    real backoff is measured once, in test_5xx_backoff_of_a_read_is_bounded_in_time)."""
    import urllib3.util.retry as retry_module

    requested: list[float] = []
    monkeypatch.setattr(retry_module.time, 'sleep', requested.append)
    return requested


def params(server: FaultServer, **overrides) -> dict:
    """Instance parameters for `server`; over https `insecure` defaults to true (its certificate is self-signed)."""
    return instance_params(server.url, API_KEY, **{'insecure': server.scheme == 'https', **overrides})


def assert_clear_error(outcome: Outcome, *needles: str) -> str:
    """One error, no uncaught exception, no result besides it; the message names the problem (any needle)."""
    assert outcome.uncaught is None, f'uncaught {type(outcome.uncaught).__name__}: {outcome.uncaught}'
    assert len(outcome.errors) == 1, f'expected one error, got {outcome.errors} and entries {outcome.entries}'
    message = outcome.errors[0]
    assert not PYTHON_INTERNALS.search(message), f'error is a Python internal, not a message: {message}'
    if needles:
        assert any(n.lower() in message.lower() for n in needles), f'error should mention one of {needles}: {message}'
    assert outcome.ok_entries == [], f'a failed command wrote results/context: {outcome.ok_entries}'
    assert outcome.incidents is None, 'a failed run created incidents'
    return message


def assert_no_fetch_progress(outcome: Outcome) -> None:
    assert outcome.last_run_calls == [], f'fetch state moved on failure: {outcome.last_run_calls}'
    assert outcome.incidents is None, 'a failed fetch created incidents'


def only_path(path: str, action_for):
    """A script applying `action_for(request, n)` to requests on `path` (n counts those only); others normal."""
    seen = {'n': 0}

    def script(request, _):
        if request.path != path:
            return None
        seen['n'] += 1
        return action_for(request, seen['n'])
    return script


def methods(server: FaultServer) -> list[str]:
    return [r.method for r in server.requests]


# ------------------------------------------------------------------------------------------ 5xx and resets


@pytest.mark.parametrize('command', sorted(WRITES))
def test_write_is_sent_once_when_the_server_answers_5xx(command, https_server, skip_backoff):
    https_server.set_script(lambda r, n: Reply(503, DOWN))
    outcome = run_main(command, VALID_ARGS[command], params(https_server))
    assert len(https_server.requests) == 1, f'{command}: write sent {len(https_server.requests)} times'
    assert https_server.requests[0].method in ('POST', 'PATCH', 'DELETE', 'PUT')
    assert_clear_error(outcome, '503')


@pytest.mark.parametrize('command', sorted(WRITES))
def test_write_is_sent_once_when_the_connection_drops(command, https_server, skip_backoff):
    https_server.set_script(lambda r, n: CloseNoReply())
    outcome = run_main(command, VALID_ARGS[command], params(https_server))
    assert len(https_server.requests) == 1, f'{command}: write sent {len(https_server.requests)} times'
    assert_clear_error(outcome, 'reach', 'connection', 'aborted', 'reset')


READ_CASES = [(command, VALID_ARGS[command]) for command in sorted(READS)] + \
             [(command, args) for command, args in sorted(POLLING_ARGS.items())]
READ_IDS = [command for command in sorted(READS)] + [f'{command}-polling-step' for command in sorted(POLLING_ARGS)]


@pytest.mark.parametrize('command,args', READ_CASES, ids=READ_IDS)
def test_read_retries_are_bounded_and_end_in_a_clear_error(command, args, https_server, skip_backoff):
    https_server.set_script(lambda r, n: Reply(503, DOWN))
    outcome = run_main(command, args, params(https_server))
    assert 2 <= len(https_server.requests) <= MAX_READ_ATTEMPTS, \
        f'{command}: {len(https_server.requests)} attempts (expected retries, at most {MAX_READ_ATTEMPTS})'
    assert set(methods(https_server)) == {'GET'}
    assert_clear_error(outcome, '503')


@pytest.mark.parametrize('command,args', READ_CASES, ids=READ_IDS)
def test_read_recovers_from_a_5xx_burst(command, args, https_server, skip_backoff):
    """Two 503s, then the platform is back: the command succeeds with exactly the output of an undisturbed run."""
    undisturbed = run_main(command, args, params(https_server))
    normal_requests = len(https_server.requests)
    https_server.reset()
    https_server.set_script(lambda r, n: Reply(503, DOWN) if n <= 2 else None)
    outcome = run_main(command, args, params(https_server))
    assert outcome.errors == [] and outcome.uncaught is None, outcome.errors or outcome.uncaught
    assert len(https_server.requests) == normal_requests + 2
    assert outcome.entries == undisturbed.entries


def test_a_write_failing_half_way_names_what_was_already_done(https_server, skip_backoff):
    """One webhook per event type: the second POST fails. It is not retried, nothing reaches context, and the error
    names the webhook already created, so that the analyst can remove it or create only the missing one."""
    https_server.set_script(lambda r, n: Reply(503, DOWN) if r.method == 'POST' and n >= 2 else None)
    outcome = run_main('cado-webhook-create', {**VALID_ARGS['cado-webhook-create'],
                                               'event_types': 'detection_created,detection_updated'},
                       params(https_server))
    assert methods(https_server) == ['POST', 'POST']
    message = assert_clear_error(outcome, '503')
    created_id = str(api_responder_body('POST', '/api/v3/webhooks')['data']['id'])
    assert created_id in message and 'detection_created' in message, \
        f'the error should name the webhook already created ({created_id}): {message}'


def test_5xx_backoff_of_a_read_is_bounded_in_time(https_server):
    """Plain 500/502/504 (no Retry-After): retried with the client's own backoff, which must stay short."""
    codes = iter([500, 502, 504, 500, 500])
    https_server.set_script(lambda r, n: Reply(next(codes), DOWN))
    started = time.monotonic()
    outcome = run_main('cado-project-get', VALID_ARGS['cado-project-get'], params(https_server))
    elapsed = time.monotonic() - started
    assert len(https_server.requests) == MAX_READ_ATTEMPTS
    assert elapsed < 15, f'retrying took {elapsed:.1f}s'
    assert_clear_error(outcome, '500', '502', '504')


@pytest.mark.parametrize('status', [503, 429])
def test_retry_after_from_the_server_cannot_stall_a_command(status, https_server, skip_backoff):
    """A proxy answering 503/429 with `Retry-After: 3600` must not make one command sleep for hours: XSOAR would
    kill it at its execution timeout with no message at all. The sleeps urllib3 asks for are recorded (and
    skipped): their total must stay within a minute."""
    requested = skip_backoff
    https_server.set_script(lambda r, n: Reply(status, DOWN, headers={'Retry-After': '3600'}))
    outcome = run_main('cado-project-get', VALID_ARGS['cado-project-get'], params(https_server))
    assert len(https_server.requests) <= MAX_READ_ATTEMPTS
    assert outcome.errors, 'the command should fail'
    assert sum(requested) <= 60, f'one command would sleep {sum(requested):.0f}s in retries: {requested}'


@pytest.mark.parametrize('scheme', ['http', 'https'])
def test_read_reset_in_the_middle_of_the_body(scheme, http_server, https_server, skip_backoff):
    server = http_server if scheme == 'http' else https_server
    body = json.dumps({'status': 'success', 'data': {'id': 12, 'padding': 'x' * 20000}}).encode()
    server.set_script(lambda r, n: ResetMidBody(body, 0.5))
    outcome = run_main('cado-project-get', VALID_ARGS['cado-project-get'], params(server))
    assert 1 <= len(server.requests) <= MAX_READ_ATTEMPTS
    assert_clear_error(outcome, 'reset', 'broken', 'incomplete', 'aborted')


def test_write_reset_in_the_middle_of_the_body_is_not_resent(https_server):
    body = json.dumps({'status': 'success', 'data': {'pipeline_ids': [{'id': 4281}], 'pad': 'x' * 20000}}).encode()
    https_server.set_script(lambda r, n: ResetMidBody(body, 0.5))
    outcome = run_main('cado-aws-ec2-acquire', VALID_ARGS['cado-aws-ec2-acquire'], params(https_server))
    assert methods(https_server) == ['POST']
    assert_clear_error(outcome, 'reset', 'broken', 'incomplete', 'aborted')


def test_refused_connection(skip_backoff):
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    outcome = run_main('cado-project-list', {}, instance_params(f'http://127.0.0.1:{port}', API_KEY))
    assert time.monotonic() - started < 5
    assert_clear_error(outcome, 'refused', 'could not reach', 'connect')


# ------------------------------------------------------------------------------------------ timeouts


def _timed_out_read(server: FaultServer) -> tuple[Outcome, int, float]:
    server.reset()
    server.set_script(lambda r, n: Delay(2.5))
    started = time.monotonic()
    outcome = run_main('cado-project-get', VALID_ARGS['cado-project-get'], params(server, timeout='1'))
    elapsed = time.monotonic() - started
    attempts = len(server.requests)
    server.reset()
    return outcome, attempts, elapsed


@pytest.fixture(scope='module')
def timed_out_reads(_http_server, _https_server):
    """One read per scheme against a platform that never answers within the 1 s timeout (run once per module;
    backoff sleeps skipped as in `skip_backoff`, the attempts themselves really wait for the timeout)."""
    import urllib3.util.retry as retry_module

    with mock.patch.object(retry_module.time, 'sleep', lambda seconds: None):
        return {'http': _timed_out_read(_http_server), 'https': _timed_out_read(_https_server)}


@pytest.mark.parametrize('scheme', ['http', 'https'])
def test_read_slower_than_the_timeout_is_retried_boundedly(scheme, timed_out_reads):
    outcome, attempts, elapsed = timed_out_reads[scheme]
    assert 1 <= attempts <= MAX_READ_ATTEMPTS
    assert elapsed < 15, f'a timed-out read took {elapsed:.1f}s in all'
    assert_clear_error(outcome, 'timed out', 'timeout', 'in time', 'within 1 second')


@pytest.mark.parametrize('scheme', ['http', 'https'])
def test_timeout_error_points_to_the_timeout_setting(scheme, timed_out_reads):
    """The analyst's fix for a slow platform is the instance's "Request timeout": the error should say the platform
    did not answer in time and name that setting, over https (the only real deployment) as over http."""
    message = assert_clear_error(timed_out_reads[scheme][0])
    assert 'request timeout' in message.lower(), f'error does not point to the Request timeout setting: {message}'
    assert 'could not reach' not in message.lower(), f'a slow platform is reported as unreachable: {message}'


def test_write_slower_than_the_timeout_is_not_resent(https_server, skip_backoff):
    https_server.set_script(lambda r, n: Delay(2.5))
    outcome = run_main('cado-project-create', VALID_ARGS['cado-project-create'], params(https_server, timeout='1'))
    assert methods(https_server) == ['POST']
    assert_clear_error(outcome, 'timed out', 'timeout', 'within 1 second')


# ------------------------------------------------------------------------------------------ bodies

BAD_BODIES = {
    'html-200': Reply(200, '<!doctype html><html><body><h1>Sign in to Acme proxy</h1></body></html>', 'text/html'),
    'truncated-json': Reply(200, b'{"status": "success", "data": {"id": 12, "details": {"na'),
    'malformed-json': Reply(200, b"{'status': 'success', data: [1, 2,]}"),
    'xml-200': Reply(200, b'<?xml version="1.0"?><error>maintenance</error>', 'application/xml'),
    'html-500': Reply(500, '<html><body>502 Bad Gateway</body></html>', 'text/html'),
}
BODY_COMMANDS = ['test-module', 'cado-project-get', 'cado-project-list', 'cado-aws-ec2-acquire',
                 'cado-webhook-create']


@pytest.mark.parametrize('body', sorted(BAD_BODIES))
@pytest.mark.parametrize('command', BODY_COMMANDS)
def test_non_json_answers_become_clear_errors(command, body, http_server, skip_backoff):
    http_server.set_script(lambda r, n: BAD_BODIES[body])
    outcome = run_main(command, VALID_ARGS[command], params(http_server))
    assert_clear_error(outcome, 'json', 'html', 'not json', 'non-json', '500', 'web page', 'proxy')


def test_json_with_a_wrong_content_type_is_read(http_server):
    """Be liberal in what you read: a JSON envelope labelled text/plain is still the API's answer."""
    http_server.set_script(lambda r, n: Reply(200, api_responder(r).body, 'text/plain; charset=utf-8'))
    outcome = run_main('cado-project-get', VALID_ARGS['cado-project-get'], params(http_server))
    assert outcome.errors == [] and outcome.uncaught is None
    assert any('Cado.Project' in key for key in outcome.context)


WRONG_SHAPES = [
    ('cado-project-get', {'status': 'success', 'data': ['a', 'b']}),
    ('cado-project-get', {'status': 'success', 'data': 'maintenance'}),
    ('cado-project-get', b''),
    ('cado-project-list', {'status': 'success', 'data': {'id': 12}}),
    ('cado-project-list', {'status': 'success', 'data': 'maintenance'}),
    ('cado-detection-list', {'status': 'success', 'data': ['a', 'b']}),
    ('cado-aws-ec2-acquire', {'status': 'success', 'data': ['a', 'b']}),
    ('cado-project-create', {'status': 'success', 'data': 'created'}),
]


@pytest.mark.parametrize('command,body', WRONG_SHAPES,
                         ids=[f'{c}-{type(b.get("data")).__name__ if isinstance(b, dict) else "empty"}'
                              for c, b in WRONG_SHAPES])
def test_a_success_envelope_of_the_wrong_shape_is_an_error_not_junk_context(command, body, http_server):
    """A half-upgraded platform or a proxy answering `200 {"status": "success", "data": <wrong type>}` (or an empty
    200 to a read) must end in a clear error, not in context built from the characters of a string or the keys of
    an object, and not in a Python error text."""
    http_server.set_script(lambda r, n: Reply(200, body))
    outcome = run_main(command, VALID_ARGS[command], params(http_server))
    assert_clear_error(outcome, 'unexpected', 'answer', 'response', 'json')


# ------------------------------------------------------------------------------------------ redirects


def test_redirect_within_the_platform_is_followed_or_reported(http_server):
    """Following a same-origin redirect (with the key) and refusing it with an error that names it are both
    defined behaviours; anything else is not."""
    target = '/api/v3/projects/12?lb=1'
    http_server.set_script(lambda r, n: Redirect(target, 307) if n == 1 else None)
    outcome = run_main('cado-project-get', VALID_ARGS['cado-project-get'], params(http_server))
    assert outcome.uncaught is None
    if outcome.errors:
        message = assert_clear_error(outcome, 'redirect')
        assert target in message or 'lb=1' in message, f'the error should name where the redirect leads: {message}'
        assert len(http_server.requests) == 1
    else:
        assert [r.headers.get('Authorization') for r in http_server.requests] == [f'Bearer {API_KEY}'] * 2


def test_redirect_loop_ends_in_a_clear_error(http_server, skip_backoff):
    http_server.set_script(lambda r, n: Redirect(r.path))
    outcome = run_main('cado-project-get', VALID_ARGS['cado-project-get'], params(http_server))
    assert len(http_server.requests) <= 31
    assert_clear_error(outcome, 'redirect')


def test_redirect_to_another_origin_never_carries_the_key(http_server, https_server):
    https_server.set_script(lambda r, n: None)
    http_server.set_script(lambda r, n: Redirect(https_server.url + r.raw_target, 301))
    outcome = run_main('cado-project-get', VALID_ARGS['cado-project-get'], params(http_server, insecure=True))
    assert all(API_KEY not in json.dumps(r.headers) for r in https_server.requests)
    assert outcome.errors, 'the command cannot succeed without its key'


def test_redirect_to_another_origin_is_reported_as_a_redirect(http_server, https_server):
    """`http://cado` answering 301 to `https://cado:<port>` is the classic wrong-Server-URL case. The key is
    (rightly) not forwarded, so the new origin answers 401; the error should name the redirect and its target,
    not tell the analyst that the API key is wrong."""
    http_server.set_script(lambda r, n: Redirect(https_server.url + r.raw_target, 301))
    outcome = run_main('cado-project-get', VALID_ARGS['cado-project-get'], params(http_server, insecure=True))
    message = assert_clear_error(outcome)
    assert 'redirect' in message.lower() or https_server.url in message, \
        f'error does not mention the redirect to {https_server.url}: {message}'


@pytest.mark.parametrize('status', [301, 302, 303])
def test_write_answered_with_a_redirect_is_not_replayed(status, http_server):
    """requests turns a redirected POST into a GET of the new location; the write itself must reach the server
    once, and the command must not report success from whatever that GET returned."""
    http_server.set_script(lambda r, n: Redirect('/login?next=' + r.path, status) if r.method != 'GET'
                           else Reply(200, '<html><form action="/login"></form></html>', 'text/html'))
    outcome = run_main('cado-aws-ec2-acquire', VALID_ARGS['cado-aws-ec2-acquire'], params(http_server))
    assert methods(http_server).count('POST') == 1
    assert_clear_error(outcome)


# ------------------------------------------------------------------------------------------ large pages


def _projects(count: int) -> list[dict]:
    template = api_responder_body('GET', '/api/v3/projects')['data'][0]
    return [{**template, 'id': i} for i in range(1, count + 1)]


def api_responder_body(method: str, path: str) -> dict:
    from .cado_api import respond
    return respond(method, path, {})[1]


@pytest.fixture(scope='module')
def huge_page() -> dict:
    items = _projects(5000)
    return {'status': 'success', 'data': items,
            'pagination': {'type': 'page', 'total_records': 5000, 'current_page': 1, 'total_pages': 1,
                           'per_page': 5000}}


@pytest.mark.parametrize('args,most', [({}, 50), ({'limit': '7'}, 7), ({'page_size': '10'}, 10),
                                       ({'page': '1', 'page_size': '3'}, 3)])
def test_a_page_larger_than_asked_for_is_cut_to_what_was_asked(args, most, huge_page, http_server):
    """A platform ignoring per_page sends 5,000 projects (about 3 MB): the command still finishes, and context
    holds at most what the analyst asked for (limit, or page_size in page mode)."""
    http_server.set_script(lambda r, n: Reply(200, huge_page) if r.path == '/api/v3/projects' else None)
    started = time.monotonic()
    outcome = run_main('cado-project-list', args, params(http_server))
    assert time.monotonic() - started < 20
    assert outcome.errors == [] and outcome.uncaught is None
    projects = next(v for k, v in outcome.context.items() if k.startswith('Cado.Project'))
    assert len(projects) <= most, f'{len(projects)} projects in context, asked for at most {most}'


def test_failure_on_a_later_page_writes_no_partial_context(http_server, skip_backoff):
    """limit 250 needs three pages; the third fails: nothing from the first two may reach context."""
    def script(request, n):
        if request.path != '/api/v3/projects':
            return None
        page = int(request.query.get('page', ['1'])[0])
        if page >= 3:
            return Reply(500, DOWN)
        per_page = int(request.query.get('per_page', ['100'])[0])
        items = _projects(per_page)
        return Reply(200, {'status': 'success', 'data': items, 'pagination': {
            'type': 'page', 'total_records': 1000, 'current_page': page, 'total_pages': 10, 'per_page': per_page}})

    http_server.set_script(script)
    outcome = run_main('cado-project-list', {'limit': '250'}, params(http_server))
    assert 3 <= len(http_server.requests) <= 2 + MAX_READ_ATTEMPTS
    assert_clear_error(outcome, '500')


# ------------------------------------------------------------------------------------------ TLS


@pytest.mark.parametrize('command', ['test-module', 'cado-project-get', 'cado-project-create'])
def test_untrusted_certificate_is_refused_with_a_clear_error(command, https_server, skip_backoff):
    outcome = run_main(command, VALID_ARGS[command], params(https_server, insecure=False))
    assert https_server.requests == [], 'no HTTP request may pass an untrusted certificate'
    deadline = time.monotonic() + 2  # the server thread records the failed handshake a moment after the client
    while https_server.tls_failures < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert 1 <= https_server.tls_failures <= MAX_READ_ATTEMPTS
    assert_clear_error(outcome, 'certificate', 'ssl')
    assert 'trust any certificate' in outcome.errors[0].lower(), 'the error should name the setting that helps'


@pytest.mark.parametrize('command', ['test-module', 'cado-project-get', 'cado-project-create'])
def test_untrusted_certificate_is_accepted_with_insecure(command, https_server):
    outcome = run_main(command, VALID_ARGS[command], params(https_server, insecure=True))
    assert outcome.errors == [] and outcome.uncaught is None
    assert https_server.requests, 'the request should have passed the handshake'  # (a previous test's failed
    # handshakes may still be counted by the server thread, so tls_failures is not asserted here)


# ------------------------------------------------------------------------------------------ fetch-incidents


def feed_script(feed: DetectionFeed, fault=None):
    """Serves `feed` on /api/v3/detections; `fault(request, n)` may replace the n-th detections answer."""
    count = {'n': 0}

    def script(request, _):
        if request.path != '/api/v3/detections':
            return None
        count['n'] += 1
        action = fault(request, count['n']) if fault else None
        return action if action is not None else Reply(200, feed.page(request.query))
    return script


def incident_ids(outcome: Outcome) -> list[int]:
    return [json.loads(incident['rawJSON'])['cado_detection']['id'] for incident in outcome.incidents or []]


def run_fetches(server: FaultServer, runs: int, last_run: dict | None = None, **overrides):
    """Successive fetch runs, each starting from the state the previous one saved (always under 10 KB); stops after
    2 empty runs."""
    last_run = dict(last_run or {})
    delivered: list[int] = []
    outcomes = []
    empty = 0
    for _ in range(runs):
        outcome = run_main('fetch-incidents', {}, params(server, **{**FETCH_PARAMS, **overrides}), last_run)
        outcomes.append(outcome)
        assert outcome.uncaught is None, outcome.uncaught
        if outcome.last_run_calls:
            last_run = outcome.last_run_calls[-1]
            assert len(json.dumps(last_run)) < STATE_LIMIT, f'saved state of {len(json.dumps(last_run))} bytes'
        ids = incident_ids(outcome)
        delivered += ids
        empty = empty + 1 if not ids and not outcome.errors else 0
        if empty >= 2:
            break
    return delivered, outcomes, last_run


FIRST_REQUEST_FAULTS = {
    '503': Reply(503, DOWN),
    'html-200': BAD_BODIES['html-200'],
    'truncated-json': BAD_BODIES['truncated-json'],
    'reset-mid-body': ResetMidBody(json.dumps({'status': 'success', 'data': [], 'pad': 'x' * 5000}).encode()),
    'no-reply': CloseNoReply(),
    'timeout': Delay(2.5),
    'wrong-shape': Reply(200, {'status': 'success', 'data': 'maintenance'}),
}


@pytest.mark.parametrize('fault', sorted(FIRST_REQUEST_FAULTS))
def test_fetch_failing_on_its_first_request_keeps_its_state(fault, http_server, skip_backoff):
    http_server.set_script(feed_script(DetectionFeed(50), lambda r, n: FIRST_REQUEST_FAULTS[fault]))  # every time
    last_run = {'updated_start_timestamp': 1_716_999_000, 'seen': [[7, 1_716_999_000_000]]}
    outcome = run_main('fetch-incidents', {}, params(http_server, **FETCH_PARAMS, timeout='1'), last_run)
    assert outcome.uncaught is None, f'uncaught {outcome.uncaught!r}'
    assert outcome.errors, 'a failed fetch must be reported to XSOAR (return_error raises for fetch-incidents)'
    assert not PYTHON_INTERNALS.search(outcome.errors[0]), outcome.errors[0]
    assert_no_fetch_progress(outcome)


@pytest.mark.parametrize('fault', ['503', 'truncated-json', 'reset-mid-body', 'wrong-shape'])
def test_fetch_failing_mid_run_loses_and_duplicates_nothing(fault, http_server, skip_backoff):
    """450 detections (alerts and incidents), pages of 100 (max_fetch 200): from the 2nd answer of the first run,
    four answers in a row fail (more than any retry absorbs). Whatever that run keeps, the runs that follow must
    deliver every detection exactly once."""
    feed = DetectionFeed(450, incident_every=4)
    http_server.set_script(feed_script(feed, lambda r, n: FIRST_REQUEST_FAULTS[fault] if 2 <= n <= 5 else None))
    delivered, outcomes, _ = run_fetches(http_server, runs=12)
    assert all(not PYTHON_INTERNALS.search(e) for o in outcomes for e in o.errors), [o.errors for o in outcomes]
    assert sorted(delivered) == feed.all_ids(), \
        f'missing {sorted(set(feed.all_ids()) - set(delivered))[:10]}, duplicated {len(delivered) - len(set(delivered))}'
    for outcome in outcomes:
        if outcome.errors:
            assert_no_fetch_progress(outcome)


def test_fetch_state_never_runs_ahead_of_delivered_incidents(http_server, skip_backoff):
    feed = DetectionFeed(450)
    failing = set(range(2, 6)) | set(range(9, 13))
    http_server.set_script(feed_script(feed, lambda r, n: Reply(503, DOWN) if n in failing else None))
    last_run: dict = {}
    newest_delivered = 0
    for _ in range(10):
        outcome = run_main('fetch-incidents', {}, params(http_server, **FETCH_PARAMS), last_run)
        for incident in outcome.incidents or []:
            newest_delivered = max(newest_delivered,
                                   json.loads(incident['rawJSON'])['cado_detection']['updated_datetime'])
        if outcome.last_run_calls:
            last_run = outcome.last_run_calls[-1]
            if newest_delivered:
                assert int(last_run['updated_start_timestamp']) * 1000 <= newest_delivered, \
                    f'state {last_run} is past the newest delivered detection ({newest_delivered})'


def test_fetch_recovers_from_a_5xx_burst_within_one_run(https_server, skip_backoff):
    feed = DetectionFeed(150)
    https_server.set_script(feed_script(feed, lambda r, n: Reply(503, DOWN) if n <= 2 else None))
    outcome = run_main('fetch-incidents', {}, params(https_server, **FETCH_PARAMS), {})
    assert outcome.errors == [] and outcome.uncaught is None
    assert sorted(incident_ids(outcome)) == feed.all_ids()[:150]
    assert len(outcome.last_run_calls) == 1


def test_fetch_with_an_oversized_page_stays_within_max_fetch_and_delivers_everything(http_server):
    """The platform ignores per_page and answers up to 1,000 detections at once."""
    feed = DetectionFeed(1000, incident_every=3)

    def oversized(request, n):
        query = {**request.query, 'per_page': ['1000']}
        body = feed.page({k: v for k, v in query.items() if k != 'page'}) \
            if request.query.get('page', ['1'])[0] == '1' else {'status': 'success', 'data': []}
        return Reply(200, body)

    http_server.set_script(feed_script(feed, oversized))
    delivered, outcomes, _ = run_fetches(http_server, runs=15, max_fetch='100')
    assert all(len(o.incidents or []) <= 100 for o in outcomes)
    assert sorted(delivered) == feed.all_ids()


def test_fetch_survives_a_bulk_update_larger_than_one_run_can_page_through(http_server):
    """1,200 detections (alerts and incidents) updated in the same millisecond (a bulk re-score), then 50 more; the
    platform returns that millisecond's detections in a different order for each request. Every one must be
    delivered, once, by successive runs: a fetch stuck on that second would stop delivering anything, for ever."""
    feed = DetectionFeed(1250, first_burst=1200, incident_every=5)
    http_server.set_script(feed_script(feed))
    delivered, outcomes, last_run = run_fetches(http_server, runs=30)
    assert not [o.errors for o in outcomes if o.errors]
    missing = sorted(set(feed.all_ids()) - set(delivered))
    assert not missing, f'{len(missing)} detections never fetched (first {missing[:5]}); last state holds ' \
                        f'{len(last_run.get("seen") or [])} seen pairs at {last_run.get("updated_start_timestamp")}'
    assert len(delivered) == len(set(delivered)), 'duplicates'


UNREADABLE_TIMES = {
    # A platform sending its times as ISO 8601 strings where the contract has epoch milliseconds (a half-upgraded
    # platform). The feed still filters on the same times, as a real platform would.
    'iso-strings': lambda d: {**d, **{key: datetime.fromtimestamp(d[key] / 1000, tz=UTC).isoformat().replace('+00:00', 'Z')
                                      for key in ('updated_datetime', 'created_datetime')}},
    'null': lambda d: {**d, 'updated_datetime': None, 'created_datetime': None},
}


@pytest.mark.parametrize('variant', sorted(UNREADABLE_TIMES))
def test_fetch_with_unreadable_detection_times_neither_crashes_nor_drops_silently(variant, http_server):
    """Detections whose timestamps cannot be read must either still be delivered (once each), or the fetch must
    fail with a clear error without moving its state; never a Python error text, never a silent loss."""
    feed = DetectionFeed(150)

    def odd_times(request, n):
        body = feed.page(request.query)
        body['data'] = [UNREADABLE_TIMES[variant](d) for d in body['data']]
        return Reply(200, body)

    http_server.set_script(feed_script(feed, odd_times))
    delivered, outcomes, _ = run_fetches(http_server, runs=5)
    failures = [o for o in outcomes if o.errors]
    for outcome in failures:
        assert not PYTHON_INTERNALS.search(outcome.errors[0]), outcome.errors[0]
        assert_no_fetch_progress(outcome)
    if not failures:
        assert sorted(delivered) == feed.all_ids(), \
            f'{len(feed.all_ids()) - len(set(delivered))} of {len(feed.all_ids())} detections silently not delivered'
