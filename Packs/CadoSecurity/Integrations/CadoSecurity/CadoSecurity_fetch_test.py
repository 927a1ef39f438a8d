"""fetch-incidents over several runs against a simulated Cado detections endpoint.

The simulator applies the contract's semantics of GET /api/v3/detections (updated_start_timestamp inclusive and
updated_end_timestamp exclusive, in seconds; detection_type defaulting to alert; order_by id or updated_datetime;
severity/source filters; page/per_page), so a test can change the detections between runs, or between two requests
of one run, and check that every (detection id, updated_datetime) becomes exactly one incident (or, with updated
detections skipped, that only new detections do). Detections sharing an updated_datetime come back in an order that
changes with the request, as from a database sorting on a key with ties.
The detections in test_data/fetch_*.json are synthetic.
"""
import copy
import json
import math
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import demistomock as demisto
import pytest
from CadoSecurity import (FETCH_MAX_CAP, FETCH_MAX_PAGES, FETCH_MEMORY_CAP, Client, XSOAR_WEBHOOK_PAYLOADS,
                          detection_incident, fetch_incidents, fetch_settings, main)
from CommonServerPython import DemistoException, IncidentSeverity

HERE = Path(__file__).resolve().parent
TEST_DATA = HERE / 'test_data'
BASE_URL = 'https://cado.test'
DETECTIONS_URL = f'{BASE_URL}/api/v3/detections'
T0 = 1735689600  # 2025-01-01T00:00:00Z, seconds: every fixture detection is updated after it
STATE_LIMIT = 10 * 1024  # bytes of saved state, at any volume


def load(name: str) -> dict:
    return json.loads((TEST_DATA / f'{name}.json').read_text())


class FakeCado:
    """GET /api/v3/detections over an in-memory store; `fail_on` lists request numbers (1-based) answered with 500.
    The contract's detection has no type field, so `incident_ids` says which detections are of type incident."""

    def __init__(self, detections: list[dict], fail_on: tuple[int, ...] = (), incident_ids: tuple[int, ...] = ()):
        self.store = {detection['id']: copy.deepcopy(detection) for detection in detections}
        self.incident_ids = set(incident_ids)
        self.fail_on = fail_on
        self.requests: list[dict[str, list[str]]] = []
        self.before_answer = None  # callable(request_number) to change the store while a fetch is running

    def upsert(self, detections: list[dict]) -> None:
        self.store.update({detection['id']: copy.deepcopy(detection) for detection in detections})

    def matches(self, detection: dict, query: dict[str, list[str]]) -> bool:
        start_ms = float(query['updated_start_timestamp'][0]) * 1000
        end_ms = float(query['updated_end_timestamp'][0]) * 1000 if 'updated_end_timestamp' in query else math.inf
        detection_type = query.get('detection_type', ['alert'])[0]
        kind = 'incident' if detection['id'] in self.incident_ids else 'alert'
        return (start_ms <= detection['updated_datetime'] < end_ms and detection_type in ('all', kind)
                and ('severity' not in query or detection['severity'] in query['severity'])
                and ('source' not in query or detection['source'] in query['source']))

    def __call__(self, request, context):
        query = parse_qs(urlparse(request.url).query)
        self.requests.append(query)
        if self.before_answer:
            self.before_answer(len(self.requests))
        if len(self.requests) in self.fail_on:
            context.status_code = 500
            return load('fetch_error')
        assert query['order_by'] in (['id'], ['updated_datetime'])
        assert query.get('detection_type', ['alert'])[0] in ('alert', 'incident', 'all')
        page, per_page = int(query['page'][0]), int(query['per_page'][0])
        matching = [d for d in self.store.values() if self.matches(d, query)]
        if query['order_by'] == ['id']:
            matching.sort(key=lambda d: d['id'])
        else:  # ties in any order, a different one for each request
            salt = (page, per_page, int(float(query['updated_start_timestamp'][0])))
            matching.sort(key=lambda d: (d['updated_datetime'], hash((d['id'], *salt))))
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
        sources=(), detection_type: str = 'all', look_back: int = 10) -> tuple[dict, list[dict]]:
    next_run, incidents = fetch_incidents(client, last_run, first_fetch=T0, max_fetch=max_fetch,
                                          severities=list(severities), sources=list(sources),
                                          fetch_updated=fetch_updated, detection_type=detection_type,
                                          look_back=look_back)
    # XSOAR stores last_run as JSON: the next run must work from exactly what survives that.
    saved = json.dumps(next_run)
    assert len(saved) < STATE_LIMIT
    return json.loads(saved), incidents


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
    assert cado.requests[0]['detection_type'] == ['all']
    assert 'severity' not in cado.requests[0] and 'source' not in cado.requests[0]
    last = max(all_keys(cado), key=lambda key: key[1])
    assert next_run == {'updated_start_timestamp': last[1] // 1000, 'last_id': last[0], 'position': 1, 'floor': T0,
                        'seen': sorted(map(list, all_keys(cado)), key=lambda pair: pair[::-1])}


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
    assert next_run == {'updated_start_timestamp': T0, 'last_id': 0, 'position': 0, 'floor': T0, 'seen': []}
    again, incidents = run(client, next_run)
    assert incidents == [] and again == next_run


# ------------------------------------------------------------------------------------------------ several runs


def test_unchanged_detections_are_never_created_twice(client, cado):
    state, first = run(client, {})
    state, second = run(client, state)
    state, third = run(client, state)

    assert len(first) == len(cado.store)
    assert second == [] and third == []
    assert len(cado.requests) == 1 + 2 + 2  # later runs read the look-back window, then the feed after it


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
    assert state == {'updated_start_timestamp': T0 + 100, 'last_id': 102, 'position': 2, 'floor': T0,
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
    assert cado.requests[0]['per_page'] == ['100']


def test_each_run_re_reads_the_look_back_window_in_id_order(client, cado):
    state, _ = run(client, {}, max_fetch=4)  # stops in T0 + 200
    cado.requests.clear()
    run(client, {**state, 'floor': T0 - 3600}, max_fetch=4, look_back=5)

    look_back, feed = cado.requests
    assert look_back['updated_start_timestamp'] == [str(T0 + 200 - 300)]
    assert look_back['updated_end_timestamp'] == [str(T0 + 200)]
    assert look_back['order_by'] == ['id']
    assert feed['updated_start_timestamp'] == [str(T0 + 200)] and 'updated_end_timestamp' not in feed
    assert feed['order_by'] == ['updated_datetime']


def old_detection_updated(detection_id: int, second: int) -> dict:
    template = load('fetch_detections')['data'][0]
    return {**template, 'id': detection_id, 'created_datetime': (T0 - 86400) * 1000,
            'updated_datetime': (T0 + second) * 1000}


def new_detection(detection_id: int, second: int) -> dict:
    template = load('fetch_detections')['data'][0]
    return {**template, 'id': detection_id, 'created_datetime': (T0 + second) * 1000,
            'updated_datetime': (T0 + second) * 1000}


def test_fetch_pages_on_when_skipped_updates_fill_a_page(client, requests_mock):
    """Skipped updates do not count towards max_fetch: the run keeps reading, from the last second of the page."""
    fake = FakeCado([old_detection_updated(300 + n, 10 + n) for n in range(150)]
                    + [new_detection(1000, 200), new_detection(1001, 201)])
    requests_mock.get(DETECTIONS_URL, json=fake)

    state, incidents = run(client, {}, max_fetch=2, fetch_updated=False)

    assert [key[0] for key in keys(incidents)] == [1000, 1001]
    assert [r['updated_start_timestamp'] for r in fake.requests] == [[str(T0)], [str(T0 + 10 + 99)]]
    assert (state['updated_start_timestamp'], state['last_id']) == (T0 + 201, 1001)


def test_a_run_reads_a_bounded_number_of_pages_and_the_next_one_continues(client, requests_mock):
    fake = FakeCado([old_detection_updated(500 + n, 10 + n) for n in range(1200)] + [new_detection(5000, 1300)])
    requests_mock.get(DETECTIONS_URL, json=fake)

    state, incidents = run(client, {}, max_fetch=2, fetch_updated=False)
    assert incidents == [] and len(fake.requests) == FETCH_MAX_PAGES
    assert state['updated_start_timestamp'] == T0 + 10 + FETCH_MAX_PAGES * 99 - 1

    for _ in range(3):
        fake.requests.clear()
        state, incidents = run(client, state, max_fetch=2, fetch_updated=False)
        assert len(fake.requests) <= FETCH_MAX_PAGES
        if incidents:
            break
    assert [key[0] for key in keys(incidents)] == [5000]


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


# ------------------------------------------------------------------------------------------------ detection types


def test_incident_type_detections_are_fetched_once_by_default(client, requests_mock):
    """The API answers alerts only unless asked: the default type (all) fetches incident-type detections too."""
    fake = FakeCado(load('fetch_detections')['data'], incident_ids=(102, 105))
    requests_mock.get(DETECTIONS_URL, json=fake)

    state, first = run(client, {}, fetch_updated=False)
    state, second = run(client, state, fetch_updated=False)

    assert sorted(events(first)) == [101, 102, 103, 104, 105, 107]
    assert second == []
    assert {r['detection_type'][0] for r in fake.requests} == {'all'}


@pytest.mark.parametrize('detection_type, expected', [('alert', [101, 103, 104, 107]), ('incident', [102, 105])])
def test_detection_type_narrows_the_fetch(client, requests_mock, detection_type, expected):
    fake = FakeCado(load('fetch_detections')['data'], incident_ids=(102, 105))
    requests_mock.get(DETECTIONS_URL, json=fake)

    state, incidents = run(client, {}, fetch_updated=False, detection_type=detection_type)
    state, again = run(client, state, fetch_updated=False, detection_type=detection_type)

    assert sorted(events(incidents)) == expected and again == []
    assert {r['detection_type'][0] for r in fake.requests} == {detection_type}


# ------------------------------------------------------------------------------------------------ look-back


def test_detections_made_visible_late_are_fetched_once(client, cado):
    """Cado shows detections after later ones were fetched, with their own earlier times: behind the cursor, in an
    earlier second shared with fetched ones, in the cursor second itself with a lower id."""
    state, _ = run(client, {}, fetch_updated=False)
    assert state['updated_start_timestamp'] == T0 + 500
    late = [new_detection(150, 450), new_detection(99, 100), new_detection(98, 500), new_detection(151, 120)]
    cado.upsert(late)

    state, second = run(client, state, fetch_updated=False)
    state, third = run(client, state, fetch_updated=False)

    assert events(second) == {98: 'detection_created', 99: 'detection_created', 150: 'detection_created',
                              151: 'detection_created'}
    assert third == []


def test_a_late_detection_is_fetched_only_within_the_look_back_window(client, cado):
    state, _ = run(client, {}, look_back=2)  # cursor T0 + 500
    cado.upsert([new_detection(150, 400), new_detection(151, 300 - 1)])

    _, incidents = run(client, state, look_back=2)

    assert sorted(events(incidents)) == [150]


def test_a_late_update_of_a_fetched_detection_is_an_update(client, cado):
    """A detection fetched, then updated with a time behind the cursor (Cado ingested the change late)."""
    state, _ = run(client, {})
    cado.upsert([{**cado.store[103], 'updated_datetime': (T0 + 450) * 1000, 'severity': 'low'}])

    state, incidents = run(client, state)
    assert events(incidents) == {103: 'detection_updated'}
    assert run(client, state)[1] == []


def test_a_state_saved_before_the_look_back_existed_is_read_and_upgraded(client, cado):
    """{updated_start_timestamp, seen} from the previous version: nothing it handled is created again, and the
    look-back does not reach behind the second it knew about."""
    old = {'updated_start_timestamp': T0 + 100, 'seen': [[101, (T0 + 100) * 1000 + 123], [102, (T0 + 100) * 1000 + 456]]}

    state, incidents = run(client, old)

    assert [key[0] for key in keys(incidents)] == [103, 104, 105, 106, 107]
    assert [r['updated_start_timestamp'] for r in cado.requests] == [[str(T0 + 100)]]
    assert state['floor'] == T0 + 100 and state['updated_start_timestamp'] == T0 + 500
    cado.requests.clear()
    assert run(client, state)[1] == []
    assert cado.requests[0]['updated_start_timestamp'] == [str(T0 + 100)]  # the look-back, from the floor


def test_a_large_state_of_the_previous_version_inside_a_bulk_update_creates_nothing_twice(client, requests_mock):
    """The previous version remembered every pair of its cursor second, handled in no id order: 300 of a 400-detection
    bulk update. Its pairs are kept until the second is read to its end, whatever the memory cap."""
    burst = [new_detection(2000 + n, 50) for n in range(400)]
    fake = FakeCado(burst)
    requests_mock.get(DETECTIONS_URL, json=fake)
    handled = burst[::4] + burst[1::4] + burst[2::4]
    old = {'updated_start_timestamp': T0 + 50, 'seen': [[d['id'], d['updated_datetime']] for d in handled]}

    state, created = old, []
    for _ in range(4):
        state, incidents = run(client, state, max_fetch=30, fetch_updated=False)
        created += keys(incidents)
    assert sorted(created) == sorted((d['id'], d['updated_datetime']) for d in burst[3::4])


def test_past_the_memory_cap_the_look_back_shrinks_and_nothing_is_created_twice(client, requests_mock):
    """More detections in the look-back window than FETCH_MEMORY_CAP: the floor rises to the oldest second still
    remembered. A late detection behind it is missed (the documented limit); one above it is fetched; no detection
    is created twice."""
    fake = FakeCado([new_detection(1000 + n, n) for n in range(FETCH_MEMORY_CAP + 50)])
    requests_mock.get(DETECTIONS_URL, json=fake)
    state, created = {}, []
    for _ in range(3):
        state, incidents = run(client, state, max_fetch=200, look_back=60)
        created += keys(incidents)
    assert sorted(created) == sorted(all_keys(fake))
    assert len(state['seen']) == FETCH_MEMORY_CAP and state['floor'] == T0 + 50

    fake.upsert([new_detection(5000, 49), new_detection(5001, 50)])
    state, incidents = run(client, state, look_back=60)
    assert sorted(events(incidents)) == [5001]
    assert run(client, state, look_back=60)[1] == []


# ------------------------------------------------------------------------------------------------ volume


@pytest.mark.parametrize('same_millisecond, max_fetch', [(True, 200), (False, 37)])
def test_a_thousand_detections_sharing_one_second_across_pages_are_each_fetched_once(client, requests_mock,
                                                                                     same_millisecond, max_fetch):
    """1,000 detections in second T0+50 (ten pages; returned in a different order for each request when they share
    one millisecond), with detections before and after them."""
    burst = [{**new_detection(10_000 + n, 50), 'updated_datetime': (T0 + 50) * 1000 + (0 if same_millisecond else n)}
             for n in range(1000)]
    fake = FakeCado([new_detection(100 + n, n) for n in range(30)] + burst
                    + [new_detection(20_000 + n, 60 + n) for n in range(5)], incident_ids=(10_500, 20_001))
    requests_mock.get(DETECTIONS_URL, json=fake)

    state, created = {}, []
    for _ in range(40):
        state, incidents = run(client, state, max_fetch=max_fetch, fetch_updated=False)
        created += keys(incidents)
        if not incidents:
            break
    assert len(created) == len(set(created)), f'{len(created) - len(set(created))} duplicates'
    assert set(created) == all_keys(fake), f'{len(all_keys(fake) - set(created))} lost'


def test_the_saved_state_stays_under_10_kb_at_volume(client, requests_mock):
    """3,000 detections with 19-digit ids, several per second, then 600 of them updated; a one-day look-back. Every
    state saved is under 10 KB (run() asserts it) and every update is created once."""
    big = 2 ** 63 - 10_000
    fake = FakeCado([{**new_detection(big + n, 0), 'updated_datetime': T0 * 1000 + n * 250} for n in range(3000)])
    requests_mock.get(DETECTIONS_URL, json=fake)
    state, created, sizes = {}, [], []
    for round_number in range(2):
        for _ in range(40):
            state, incidents = run(client, state, max_fetch=200, look_back=1440)
            created += keys(incidents)
            sizes.append(len(json.dumps(state)))
            if not incidents:
                break
        if round_number == 0:
            fake.upsert([{**fake.store[big + n], 'updated_datetime': (T0 + 2000) * 1000 + n} for n in range(0, 3000, 5)])

    assert len(created) == len(set(created)) == 3600
    assert set(created) >= all_keys(fake)
    assert max(sizes) < STATE_LIMIT and len(state['seen']) <= FETCH_MEMORY_CAP


# ------------------------------------------------------------------------------------------------ API errors


def test_error_on_the_first_request_raises_and_creates_nothing(client, requests_mock):
    requests_mock.get(DETECTIONS_URL, status_code=500, json=load('fetch_error'))

    with pytest.raises(DemistoException, match='HTTP 500.*E-SYNTHETIC-500'):
        run(client, {'updated_start_timestamp': T0, 'seen': []})


def test_error_mid_fetch_keeps_what_was_created_and_the_next_run_resumes(client, requests_mock, mocker):
    """The second request fails: the run returns what the first page created, with a state that matches it."""
    mocker.patch.object(demisto, 'error')
    fake = FakeCado([new_detection(700 + n, 5 + n) for n in range(150)], fail_on=(2,))
    requests_mock.get(DETECTIONS_URL, json=fake)

    state, first = run(client, {}, max_fetch=200, fetch_updated=False)

    assert len(fake.requests) == 2
    # The page of 100 may end inside its last second: that one is left for the next request.
    assert [key[0] for key in keys(first)] == [700 + n for n in range(99)]
    assert demisto.error.call_count == 1
    assert (state['updated_start_timestamp'], state['last_id']) == (T0 + 5 + 98, 798)
    state, second = run(client, state, max_fetch=200, fetch_updated=False)
    assert [key[0] for key in keys(second)] == [700 + n for n in range(99, 150)]


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
    assert set_last_run.call_args[0][0] == {
        'updated_start_timestamp': T0 + 100, 'last_id': 102, 'position': 2, 'floor': T0,
        'seen': [[101, (T0 + 100) * 1000 + 123], [102, (T0 + 100) * 1000 + 456]]}
    assert fake.requests[0]['severity'] == ['critical', 'high', 'medium', 'low']
    assert fake.requests[0]['detection_type'] == ['all']


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
    assert settings['detection_type'] == 'all' and settings['look_back'] == 10


def test_fetch_settings_read_detection_type_and_look_back():
    settings = fetch_settings({'detection_type': 'incident', 'look_back': '0'})
    assert settings['detection_type'] == 'incident' and settings['look_back'] == 0


@pytest.mark.parametrize('params, message', [
    ({'max_fetch': 'many'}, 'Maximum incidents per fetch'),
    ({'max_fetch': '0'}, 'Maximum incidents per fetch'),
    ({'detection_type': 'alerts'}, 'Detection type.*Allowed values: alert, incident, all'),
    ({'look_back': '-5'}, 'Look-back window'),
    ({'look_back': 'an hour'}, 'Look-back window'),
    ({'severity': ['urgent']}, 'Allowed values: critical, high, medium, low'),
    ({'source': ['Splunk']}, 'Allowed values: GuardDuty'),
    ({'first_fetch': 'not a time'}, 'First fetch time'),
])
def test_fetch_settings_reject_bad_values(params, message):
    with pytest.raises(ValueError, match=message):
        fetch_settings(params)
