"""fetch-incidents over several runs against a simulated Cado detections endpoint.

The simulator applies the contract's semantics of GET /api/v3/detections (updated_start_timestamp in seconds,
inclusive; order_by=updated_datetime ascending; severity/source filters; page/per_page), so a test can change the
detections between runs, or between two requests of one run, and check that every (detection id, updated_datetime)
becomes exactly one incident (or, with updated detections skipped, that only new detections do).
The detections in test_data/fetch_*.json are synthetic.
"""
import copy
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import demistomock as demisto
import pytest
from CadoSecurity import (FETCH_MAX_CAP, FETCH_MAX_PAGES, Client, XSOAR_WEBHOOK_PAYLOADS, detection_incident,
                          fetch_incidents, fetch_settings, main)
from CommonServerPython import DemistoException, IncidentSeverity

HERE = Path(__file__).resolve().parent
TEST_DATA = HERE / 'test_data'
BASE_URL = 'https://cado.test'
DETECTIONS_URL = f'{BASE_URL}/api/v3/detections'
T0 = 1735689600  # 2025-01-01T00:00:00Z, seconds: every fixture detection is updated after it


def load(name: str) -> dict:
    return json.loads((TEST_DATA / f'{name}.json').read_text())


class FakeCado:
    """GET /api/v3/detections over an in-memory store; `fail_on` lists request numbers (1-based) answered with 500."""

    def __init__(self, detections: list[dict], fail_on: tuple[int, ...] = ()):
        self.store = {detection['id']: copy.deepcopy(detection) for detection in detections}
        self.fail_on = fail_on
        self.requests: list[dict[str, list[str]]] = []
        self.before_answer = None  # callable(request_number) to change the store while a fetch is running

    def upsert(self, detections: list[dict]) -> None:
        self.store.update({detection['id']: copy.deepcopy(detection) for detection in detections})

    def __call__(self, request, context):
        query = parse_qs(urlparse(request.url).query)
        self.requests.append(query)
        if self.before_answer:
            self.before_answer(len(self.requests))
        if len(self.requests) in self.fail_on:
            context.status_code = 500
            return load('fetch_error')
        assert query['order_by'] == ['updated_datetime']
        start_ms = float(query['updated_start_timestamp'][0]) * 1000
        matching = [d for d in self.store.values() if d['updated_datetime'] >= start_ms
                    and ('severity' not in query or d['severity'] in query['severity'])
                    and ('source' not in query or d['source'] in query['source'])]
        matching.sort(key=lambda d: (d['updated_datetime'], d['id']))
        page, per_page = int(query['page'][0]), int(query['per_page'][0])
        total_pages = -(-len(matching) // per_page)
        return {'status': 'success', 'data': matching[(page - 1) * per_page:page * per_page],
                'pagination': {'type': 'page', 'total_records': len(matching), 'current_page': page,
                               'total_pages': total_pages, 'per_page': per_page}}


@pytest.fixture
def client() -> Client:
    return Client(base_url=BASE_URL, api_key='test-key', verify=True, proxy=False, timeout=10)


@pytest.fixture
def cado(requests_mock):
    """A simulated platform holding the detections of test_data/fetch_detections.json."""
    fake = FakeCado(load('fetch_detections')['data'])
    requests_mock.get(DETECTIONS_URL, json=fake)
    return fake


def run(client: Client, last_run: dict, max_fetch: int = 50, fetch_updated: bool = True, severities=(),
        sources=()) -> tuple[dict, list[dict]]:
    next_run, incidents = fetch_incidents(client, last_run, first_fetch=T0, max_fetch=max_fetch,
                                          severities=list(severities), sources=list(sources),
                                          fetch_updated=fetch_updated)
    # XSOAR stores last_run as JSON: the next run must work from exactly what survives that.
    return json.loads(json.dumps(next_run)), incidents


def keys(incidents: list[dict]) -> list[tuple[int, int]]:
    details = [json.loads(incident['rawJSON'])['cado_detection'] for incident in incidents]
    return [(detection['id'], detection['updated_datetime']) for detection in details]


def events(incidents: list[dict]) -> dict[int, str]:
    raws = [json.loads(incident['rawJSON']) for incident in incidents]
    return {int(raw['cado_detection_id']): raw['cado_webhook_event'] for raw in raws}


def all_keys(fake: FakeCado) -> set[tuple[int, int]]:
    return {(d['id'], d['updated_datetime']) for d in fake.store.values()}


# ------------------------------------------------------------------------------------------------ fixtures


def test_fetch_fixtures_match_the_contract(contract):
    """Every detection fixture is a valid 200 answer of GET /api/v3/detections, the error one a valid error envelope."""
    for name in ('fetch_detections', 'fetch_detections_updated', 'fetch_empty'):
        assert contract.response_errors(load(name), 'GET', '/api/v3/detections', '200') == [], name
    assert contract.response_errors(load('fetch_error'), 'GET', '/api/v3/detections', 'default') == []


# ------------------------------------------------------------------------------------------------ one run


def test_first_run_creates_one_incident_per_detection_oldest_first(client, cado):
    next_run, incidents = run(client, {})

    assert keys(incidents) == sorted(all_keys(cado), key=lambda key: key[1])
    assert len(cado.requests) == 1
    assert cado.requests[0]['updated_start_timestamp'] == [str(T0)]
    assert 'severity' not in cado.requests[0] and 'source' not in cado.requests[0]
    last = max(all_keys(cado), key=lambda key: key[1])
    assert next_run == {'updated_start_timestamp': last[1] // 1000, 'seen': [list(last)]}


def test_incident_carries_the_webhook_detection_shape_plus_the_detection(client, cado):
    _, incidents = run(client, {})
    incident = next(i for i in incidents if json.loads(i['rawJSON'])['cado_detection_id'] == '101')
    raw = json.loads(incident['rawJSON'])
    detection = cado.store[101]

    template_keys = list(XSOAR_WEBHOOK_PAYLOADS['detection_created'])
    assert list(raw) == [*template_keys, 'cado_detection']
    assert raw == {
        'cado_event': detection['raw_event'],  # $Event: the source's event, as Cado holds it
        'name': 'Cado detection 101: UnauthorizedAccess:EC2/SSHBruteForce',
        'type': 'Cado Detection',
        'cado_webhook_event': 'detection_created',
        'cado_event_type': 'UnauthorizedAccess:EC2/SSHBruteForce',
        'cado_detection_id': '101',
        'cado_group_id': '11',
        'cado_title': 'UnauthorizedAccess:EC2/SSHBruteForce',
        'source_brand': 'Cado Security',
        'cado_detection': detection,
    }
    assert incident['name'] == raw['name']
    assert incident['type'] == 'Cado Detection'
    assert incident['occurred'] == '2025-01-01T00:01:40.123Z'
    assert incident['severity'] == IncidentSeverity.HIGH



@pytest.mark.parametrize('raw_event, expected', [
    ({'Type': 'Recon', 'note': '"quoted"'}, '{"Type": "Recon", "note": "\\"quoted\\""}'),
    (None, ''),
    ('', ''),
])
def test_event_is_the_raw_event_whatever_its_form(raw_event, expected):
    """The contract says raw_event is a string; a beta platform may send an object or nothing."""
    detection = dict(load('fetch_detections')['data'][0], raw_event=raw_event)
    raw = json.loads(detection_incident(detection, True)['rawJSON'])
    assert raw['cado_event'] == expected and '$' not in raw['name']

def test_severity_maps_to_incident_severity(client, cado):
    _, incidents = run(client, {})
    by_id = {int(json.loads(i['rawJSON'])['cado_detection_id']): i['severity'] for i in incidents}
    assert by_id[103] == IncidentSeverity.CRITICAL
    assert by_id[102] == IncidentSeverity.MEDIUM
    assert by_id[104] == IncidentSeverity.LOW


def test_filters_are_sent_as_repeated_query_parameters(client, cado):
    _, incidents = run(client, {}, severities=('critical', 'high'), sources=('GuardDuty', 'CrowdStrike'))

    assert cado.requests[0]['severity'] == ['critical', 'high']
    assert cado.requests[0]['source'] == ['GuardDuty', 'CrowdStrike']
    assert sorted(detection_id for detection_id, _ in keys(incidents)) == [101, 103]


def test_empty_answer_keeps_the_state(client, requests_mock):
    requests_mock.get(DETECTIONS_URL, json=load('fetch_empty'))

    next_run, incidents = run(client, {})
    assert incidents == []
    assert next_run == {'updated_start_timestamp': T0, 'seen': []}
    again, incidents = run(client, next_run)
    assert incidents == [] and again == next_run


# ------------------------------------------------------------------------------------------------ several runs


def test_unchanged_detections_are_never_created_twice(client, cado):
    state, first = run(client, {})
    state, second = run(client, state)
    state, third = run(client, state)

    assert len(first) == len(cado.store)
    assert second == [] and third == []
    assert len(cado.requests) == 3


def test_three_runs_with_overlapping_updates_create_each_update_exactly_once(client, cado):
    """fetch_updated=True: every (id, updated_datetime) becomes one incident, whatever the run it shows up in."""
    created: list[tuple[int, int]] = []
    state, incidents = run(client, {}, max_fetch=4)
    created += keys(incidents)
    cado.upsert(load('fetch_detections_updated')['data'])  # 101 and 104 updated in one ms, 108 is new
    expected = set(created) | all_keys(cado)
    state, incidents = run(client, state, max_fetch=4)
    created += keys(incidents)
    cado.upsert([{**cado.store[105], 'updated_datetime': (T0 + 700) * 1000}])
    expected |= all_keys(cado)
    state, incidents = run(client, state, max_fetch=4)
    created += keys(incidents)
    state, incidents = run(client, state, max_fetch=4)
    created += keys(incidents)

    assert len(created) == len(set(created)), 'an update was turned into two incidents'
    assert set(created) == expected, 'an update was lost'
    assert run(client, state)[1] == []


def test_updates_of_fetched_detections_are_labelled_as_updates(client, cado):
    state, first = run(client, {})
    cado.upsert(load('fetch_detections_updated')['data'])
    _, second = run(client, state)

    assert events(first) == {101: 'detection_created', 102: 'detection_created', 103: 'detection_created',
                             104: 'detection_created', 105: 'detection_created', 106: 'detection_updated',
                             107: 'detection_created'}
    assert events(second) == {101: 'detection_updated', 104: 'detection_updated', 108: 'detection_created'}


def test_old_detection_updated_inside_the_first_window_is_an_update(client, cado):
    """106 was created ten days before the first fetch window and updated inside it."""
    _, incidents = run(client, {})
    assert events(incidents)[106] == 'detection_updated'
    assert json.loads(next(i for i in incidents if '106' in i['name'])['rawJSON'])['cado_detection_id'] == '106'


def test_updates_are_skipped_when_updated_detections_are_not_fetched(client, cado):
    """fetch_updated=False: only detections created in the window become incidents, each exactly once."""
    state, first = run(client, {}, fetch_updated=False)
    cado.upsert(load('fetch_detections_updated')['data'])
    state, second = run(client, state, fetch_updated=False)
    state, third = run(client, state, fetch_updated=False)

    assert sorted(events(first)) == [101, 102, 103, 104, 105, 107]  # 106 predates the window: an update
    assert events(second) == {108: 'detection_created'}
    assert third == []
    assert state['updated_start_timestamp'] == T0 + 600


def test_detection_updated_in_the_boundary_second_is_not_created_again(client, cado):
    """A detection fetched in the boundary second, then updated again, is an update, not a new detection."""
    state, _ = run(client, {}, max_fetch=1)  # handles 101 only: the boundary second is T0 + 100
    cado.upsert([{**cado.store[101], 'updated_datetime': (T0 + 900) * 1000}])
    state, incidents = run(client, state, fetch_updated=False)

    assert 101 not in events(incidents)
    assert sorted(events(incidents)) == [102, 103, 104, 105, 107]


# ------------------------------------------------------------------------------------------------ boundaries


def test_max_fetch_splits_detections_that_share_a_second_without_loss(client, cado):
    """101, 102 and 103 share second T0+100: a run may stop inside it and the next one goes on from there."""
    state, incidents = run(client, {}, max_fetch=2)
    assert [key[0] for key in keys(incidents)] == [101, 102]
    assert state == {'updated_start_timestamp': T0 + 100,
                     'seen': [[101, (T0 + 100) * 1000 + 123], [102, (T0 + 100) * 1000 + 456]]}

    created = keys(incidents)
    for _ in range(4):
        state, incidents = run(client, state, max_fetch=2)
        assert len(incidents) <= 2
        created += keys(incidents)
    assert sorted(created) == sorted(all_keys(cado))


def test_many_detections_in_one_second_are_all_fetched_with_small_pages(client, requests_mock):
    """More detections in one second than max_fetch: state grows inside that second and no run is stuck."""
    template = load('fetch_detections')['data'][0]
    burst = [{**template, 'id': 200 + n, 'created_datetime': (T0 + 50) * 1000 + n,
              'updated_datetime': (T0 + 50) * 1000 + n} for n in range(7)]
    fake = FakeCado(burst)
    requests_mock.get(DETECTIONS_URL, json=fake)

    state, created = {}, []
    for _ in range(5):
        state, incidents = run(client, state, max_fetch=2)
        created += keys(incidents)
    assert sorted(created) == sorted(all_keys(fake))
    assert state['updated_start_timestamp'] == T0 + 50 and len(state['seen']) == 7


def test_pages_are_followed_only_as_far_as_max_fetch_needs(client, cado):
    _, incidents = run(client, {}, max_fetch=3)

    assert len(incidents) == 3
    assert len(cado.requests) == 1
    assert cado.requests[0]['per_page'] == ['3']


def test_boundary_second_is_re_read_on_a_page_sized_for_it(client, cado):
    state, _ = run(client, {}, max_fetch=3)
    cado.requests.clear()
    state, incidents = run(client, state, max_fetch=3)

    assert len(cado.requests) == 1
    assert cado.requests[0]['per_page'] == ['6']  # the 3 detections already seen in T0+100, plus 3 new ones
    assert [key[0] for key in keys(incidents)] == [104, 105, 106]


def old_detection_updated(detection_id: int, second: int) -> dict:
    template = load('fetch_detections')['data'][0]
    return {**template, 'id': detection_id, 'created_datetime': (T0 - 86400) * 1000,
            'updated_datetime': (T0 + second) * 1000}


def new_detection(detection_id: int, second: int) -> dict:
    template = load('fetch_detections')['data'][0]
    return {**template, 'id': detection_id, 'created_datetime': (T0 + second) * 1000,
            'updated_datetime': (T0 + second) * 1000}


def test_fetch_pages_on_when_skipped_updates_fill_a_page(client, requests_mock):
    """Skipped updates do not count towards max_fetch: the run keeps reading, restarting from the last second."""
    fake = FakeCado([old_detection_updated(300 + n, 10 + n) for n in range(5)]
                    + [new_detection(400, 20), new_detection(401, 21)])
    requests_mock.get(DETECTIONS_URL, json=fake)

    state, incidents = run(client, {}, max_fetch=2, fetch_updated=False)

    assert [key[0] for key in keys(incidents)] == [400, 401]
    assert [(r['page'], r['updated_start_timestamp']) for r in fake.requests] == [
        (['1'], [str(T0 + second)]) for second in (0, 11, 12, 13, 14, 20)]
    assert state == {'updated_start_timestamp': T0 + 21, 'seen': [[401, (T0 + 21) * 1000]]}


def test_a_run_reads_a_bounded_number_of_pages_and_the_next_one_continues(client, requests_mock):
    fake = FakeCado([old_detection_updated(500 + n, 10 + n) for n in range(30)] + [new_detection(600, 100)])
    requests_mock.get(DETECTIONS_URL, json=fake)

    state, incidents = run(client, {}, max_fetch=2, fetch_updated=False)
    assert incidents == [] and len(fake.requests) == FETCH_MAX_PAGES
    assert state['updated_start_timestamp'] == T0 + 10 + FETCH_MAX_PAGES

    for _ in range(3):
        state, incidents = run(client, state, max_fetch=2, fetch_updated=False)
        if incidents:
            break
    assert [key[0] for key in keys(incidents)] == [600]


def test_detection_updated_while_a_fetch_pages_is_not_lost(client, cado):
    """Between two requests of one run, an unread detection moves past the rest; keyset paging still reaches it."""
    cado.upsert([{**d, 'id': d['id'] + 1000, 'updated_datetime': d['updated_datetime'] + 1}
                 for d in list(cado.store.values())])  # 14 detections

    def move_104(request_number: int) -> None:
        if request_number == 2:
            cado.upsert([{**cado.store[104], 'updated_datetime': (T0 + 999) * 1000}])

    cado.before_answer = move_104
    state, first = run(client, {}, max_fetch=4)
    created = keys(first)
    state, second = run(client, state, max_fetch=50)
    created += keys(second)

    assert len(created) == len(set(created))
    assert {detection_id for detection_id, _ in created} == set(cado.store)
    assert (104, (T0 + 999) * 1000) in created


# ------------------------------------------------------------------------------------------------ API errors


def test_error_on_the_first_request_raises_and_creates_nothing(client, requests_mock):
    requests_mock.get(DETECTIONS_URL, status_code=500, json=load('fetch_error'))

    with pytest.raises(DemistoException, match='HTTP 500.*E-SYNTHETIC-500'):
        run(client, {'updated_start_timestamp': T0, 'seen': []})


def test_error_mid_fetch_keeps_what_was_created_and_the_next_run_resumes(client, requests_mock, mocker):
    """The second request fails: the run returns what the first page created, with a state that matches it."""
    mocker.patch.object(demisto, 'error')
    fake = FakeCado([new_detection(700, 5), old_detection_updated(301, 10), old_detection_updated(302, 11),
                     new_detection(701, 12), new_detection(702, 13), new_detection(703, 14)], fail_on=(2,))
    requests_mock.get(DETECTIONS_URL, json=fake)

    state, first = run(client, {}, max_fetch=4, fetch_updated=False)

    assert len(fake.requests) == 2
    assert [key[0] for key in keys(first)] == [700, 701]  # page 1: 700, 301, 302 (skipped updates), 701
    assert demisto.error.call_count == 1
    assert state == {'updated_start_timestamp': T0 + 12, 'seen': [[701, (T0 + 12) * 1000]]}
    state, second = run(client, state, max_fetch=4, fetch_updated=False)
    assert [key[0] for key in keys(second)] == [702, 703]


# ------------------------------------------------------------------------------------------------ through main()


@pytest.fixture
def fetch_params() -> dict:
    return {'url': BASE_URL, 'credentials': {'password': 'test-key'}, 'isFetch': True, 'first_fetch': '3 days',
            'max_fetch': '2', 'severity': ['critical', 'high', 'medium', 'low'], 'source': [],
            'fetch_updated_detections': False}


def test_main_fetch_incidents_reads_and_writes_last_run(mocker, fetch_params, requests_mock):
    fake = FakeCado(load('fetch_detections')['data'])
    requests_mock.get(DETECTIONS_URL, json=fake)
    mocker.patch.object(demisto, 'params', return_value=fetch_params)
    mocker.patch.object(demisto, 'command', return_value='fetch-incidents')
    mocker.patch.object(demisto, 'getLastRun', return_value={'updated_start_timestamp': T0, 'seen': []})
    set_last_run = mocker.patch.object(demisto, 'setLastRun')
    incidents = mocker.patch.object(demisto, 'incidents')

    main()

    created = incidents.call_args[0][0]
    assert [json.loads(i['rawJSON'])['cado_detection_id'] for i in created] == ['101', '102']
    assert set_last_run.call_args[0][0] == {'updated_start_timestamp': T0 + 100, 'seen': [
        [101, (T0 + 100) * 1000 + 123], [102, (T0 + 100) * 1000 + 456]]}
    assert fake.requests[0]['severity'] == ['critical', 'high', 'medium', 'low']


def test_main_fetch_error_leaves_last_run_untouched(mocker, fetch_params, requests_mock):
    requests_mock.get(DETECTIONS_URL, status_code=503, json=load('fetch_error'))
    mocker.patch.object(demisto, 'params', return_value=fetch_params)
    mocker.patch.object(demisto, 'command', return_value='fetch-incidents')
    mocker.patch.object(demisto, 'getLastRun', return_value={})
    set_last_run = mocker.patch.object(demisto, 'setLastRun')
    incidents = mocker.patch.object(demisto, 'incidents')
    return_error = mocker.patch('CadoSecurity.return_error')

    main()

    set_last_run.assert_not_called()
    incidents.assert_not_called()
    message = return_error.call_args[0][0]
    assert 'HTTP 503' in message and 'test-key' not in message


# ------------------------------------------------------------------------------------------------ settings


def test_fetch_settings_defaults_and_cap():
    settings = fetch_settings({'max_fetch': '1000', 'first_fetch': '3 days'})
    assert settings['max_fetch'] == FETCH_MAX_CAP
    assert settings['severities'] == [] and settings['sources'] == []
    assert settings['fetch_updated'] is False


@pytest.mark.parametrize('params, message', [
    ({'max_fetch': 'many'}, 'Maximum incidents per fetch'),
    ({'max_fetch': '0'}, 'Maximum incidents per fetch'),
    ({'severity': ['urgent']}, 'Allowed values: critical, high, medium, low'),
    ({'source': ['Splunk']}, 'Allowed values: GuardDuty'),
    ({'first_fetch': 'not a time'}, 'First fetch time'),
])
def test_fetch_settings_reject_bad_values(params, message):
    with pytest.raises(ValueError, match=message):
        fetch_settings(params)
