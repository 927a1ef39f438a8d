"""The timeline commands: search (cursor paging, alarms summed up), facet counts, stars and comments; the
vulnerability list; and the file exports (timeline, alarms, detections) as War Room file entries.

Their success, error, contract and declared-outputs cases are in the shared tables of CadoSecurity_test.py and
CadoSecurity_outputs_test.py; this module tests what is particular to them.
"""
import hashlib

import pytest

import CadoSecurity
from CadoSecurity_test import BASE, ERRORS, PARAMS, body_of, fail, load, query_of, succeed, xsoar_runtime

SHARED_FIXTURES = (xsoar_runtime,)
TIMELINE = f'{BASE}/api/v3/timeline'
FACETS = f'{BASE}/api/v3/timeline/facets'
NOTES = f'{BASE}/api/v3/notes'
EVENT = load('timeline_search')['data'][0]
ALARMS = EVENT['alarm_information']


def events_page(ids: list[str], next_token: str | None = None) -> dict:
    pagination = {'type': 'cursor', **({'next_token': next_token} if next_token else {})}
    return {'status': 'success', 'data': [{**EVENT, 'id': event_id} for event_id in ids], 'pagination': pagination}


BAD_ARGUMENTS = [
    ('cado-timeline-search', {}, ('project_id', 'Default project ID')),
    ('cado-timeline-search', {'project_id': 'twelve'}, ('project_id', 'whole number')),
    ('cado-timeline-search', {'project_id': '12', 'order_by': 'newest'}, ('order_by', 'timestamp', '-timestamp')),
    ('cado-timeline-search', {'project_id': '12', 'limit': '0'}, ('limit',)),
    ('cado-timeline-search', {'project_id': '12', 'page_size': '101'}, ('page_size', '100')),
    ('cado-timeline-facet-list', {'project_id': '12'}, ('facet_field',)),
    ('cado-timeline-facet-list', {'project_id': '12', 'facet_field': 'severity'},
     ('facet_field', 'alarm_severity', 'source_hostname')),
    ('cado-timeline-note-add', {'project_id': '12', 'event_ids': 'e1'}, ('note_type',)),
    ('cado-timeline-note-add', {'project_id': '12', 'event_ids': 'e1', 'note_type': 'flag'},
     ('note_type', 'star', 'comment')),
    ('cado-timeline-note-add', {'project_id': '12', 'event_ids': 'e1', 'note_type': 'comment'}, ('comment',)),
    ('cado-timeline-note-add', {'project_id': '12', 'event_ids': 'e1', 'note_type': 'star', 'comment': 'x'},
     ('comment',)),
    ('cado-timeline-note-add', {'project_id': '12', 'note_type': 'star'}, ('event_ids', 'search_text')),
    ('cado-timeline-note-add', {'project_id': '12', 'note_type': 'star', 'exclude_event_ids': 'e1'},
     ('event_ids', 'search_text')),
    ('cado-timeline-note-add', {'note_type': 'star', 'event_ids': 'e1'}, ('project_id', 'Default project ID')),
    ('cado-timeline-note-remove', {'project_id': '12', 'note_type': 'comment', 'event_ids': 'e1'}, ('comment',)),
    ('cado-timeline-note-remove', {'project_id': '12', 'note_type': 'star'}, ('event_ids', 'search_text')),
    ('cado-vulnerability-list', {'severity': 'severe'}, ('severity', 'critical', 'unknown')),
    ('cado-vulnerability-list', {'os': 'linux'}, ('os', 'Linux', 'MacOS')),
    ('cado-vulnerability-list', {'package_in_use': 'yes'}, ('package_in_use', 'undetermined')),
    ('cado-vulnerability-list', {'order_by': 'cve'}, ('order_by', '-severity')),
    ('cado-vulnerability-list', {'latest_results': 'maybe'}, ('latest_results', 'true', 'false')),
    ('cado-vulnerability-list', {'evidence_id': '3.5'}, ('evidence_id', 'whole number')),
    ('cado-timeline-export', {}, ('project_id', 'Default project ID')),
    ('cado-alarm-export', {}, ('evidence_id',)),
    ('cado-detection-export', {'detection_type': 'all'}, ('detection_type', 'alert', 'incident')),
    ('cado-detection-export', {'from_date': 'last Tuesday-ish'}, ('from_date', 'ISO 8601')),
]


@pytest.mark.parametrize('command, args, named', BAD_ARGUMENTS,
                         ids=[f'{command}-{"-".join(f"{k}={v}" for k, v in args.items())}'
                              for command, args, _ in BAD_ARGUMENTS])
def test_bad_arguments_are_rejected_before_any_request(mocker, requests_mock, command, args, named):
    message = fail(mocker, command, args)
    assert requests_mock.call_count == 0
    for phrase in named:
        assert phrase in message


def test_search_follows_cursors_up_to_limit_and_resumes_inside_a_page(mocker, requests_mock):
    requests_mock.get(TIMELINE, [{'json': events_page(['e1', 'e2'], 'c2')}, {'json': events_page(['e3', 'e4'], 'c3')}])
    result = succeed(mocker, 'cado-timeline-search', {'project_id': '12', 'limit': '3', 'order_by': '-timestamp'})

    assert [event['id'] for event in result.outputs] == ['e1', 'e2', 'e3']
    first, second = (query_of(request) for request in requests_mock.request_history)
    assert first == {'project_id': ['12'], 'order_by': ['-timestamp'], 'per_page': ['3']}
    assert second == {'project_id': ['12'], 'order_by': ['-timestamp'], 'per_page': ['1'], 'cursor': ['c2']}
    # Cado's page held more than was wanted: the token reads page c2 again after the one event already shown.
    assert 'next_token=resume:1:c2' in result.readable_output

    requests_mock.reset_mock()
    requests_mock.get(TIMELINE, json=events_page(['e3', 'e4']))
    resumed = succeed(mocker, 'cado-timeline-search', {'project_id': '12', 'next_token': 'resume:1:c2'})
    assert [event['id'] for event in resumed.outputs] == ['e4']
    assert query_of(requests_mock.last_request)['cursor'] == ['c2']
    assert 'More results' not in resumed.readable_output


@pytest.mark.parametrize('alarms, summary', [
    (ALARMS, {'alarm_severity': 4, 'alarm_descriptions': ['Cryptocurrency miner XMRig',
                                                          'Executable in a hidden directory under /tmp'],
              'attack': ['T1496', 'T1564.001']}),
    ([{'description': 'Odd', 'severity': 'high', 'attack': []}, 'not an alarm'],
     {'alarm_descriptions': ['Odd']}),
    ([], {}),
], ids=['two-alarms', 'malformed', 'none'])
def test_search_sums_up_each_events_alarms(mocker, requests_mock, alarms, summary):
    requests_mock.get(TIMELINE, json={**events_page([]), 'data': [{**EVENT, 'alarm_information': alarms}]})
    event = succeed(mocker, 'cado-timeline-search', {'project_id': '12'}).outputs[0]
    assert {key: event[key] for key in ('alarm_severity', 'alarm_descriptions', 'attack') if key in event} == summary
    assert event['alarm_information'] == alarms, 'the alarms themselves stay as Cado sent them'
    assert event['timestamp'] == '2024-06-03T12:10:00Z'


def test_facets_of_different_fields_are_kept_apart_and_echo_the_search(mocker, requests_mock):
    requests_mock.get(FACETS, json=load('timeline_facet_list'))
    result = succeed(mocker, 'cado-timeline-facet-list', {'project_id': '12', 'facet_field': 'source_hostname',
                                                          'search_text': 'alarm_severity:4'})
    assert query_of(requests_mock.last_request) == {'project_id': ['12'], 'facet_field': ['source_hostname'],
                                                    'search_text': ['alarm_severity:4'], 'per_page': ['50']}
    assert result.outputs == {'facet_field': 'source_hostname', 'project_id': 12, 'search_text': 'alarm_severity:4',
                              'values': load('timeline_facet_list')['data']}
    # Keyed by the field: a count by host never overwrites a count by severity in the incident's context.
    assert list(result.to_context()['EntryContext']) == [
        'Cado.TimelineFacet(val.facet_field && val.facet_field == obj.facet_field)']
    assert '| 3 | 14 |' in result.readable_output


def test_comment_by_search_sends_the_query_exclusions_and_text(mocker, requests_mock):
    requests_mock.post(NOTES, status_code=201, json={'status': 'success', 'data': {'event_ids': ['e1', 'e3']}})
    result = succeed(mocker, 'cado-timeline-note-add', {
        'project_id': '12', 'note_type': 'comment', 'comment': 'Miner dropped here', 'search_text': 'xmrig',
        'exclude_event_ids': 'e2'})
    assert body_of(requests_mock.last_request) == {
        'investigation_id': 12, 'include_timeline_query': 'xmrig', 'exclude_event_ids': ['e2'],
        'note': {'type': 'comment', 'text': 'Miner dropped here'}}
    assert result.outputs == [{'id': 'e1', 'comment': 'Miner dropped here'}, {'id': 'e3', 'comment': 'Miner dropped here'}]
    assert 'commented in project 12: e1, e3' in result.readable_output


def test_note_add_uses_the_instance_default_project(mocker, requests_mock):
    requests_mock.post(NOTES, status_code=201, json=load('timeline_note_add'))
    succeed(mocker, 'cado-timeline-note-add', {'note_type': 'star', 'event_ids': 'e1,e2'}, {'default_project': '7'})
    assert body_of(requests_mock.last_request) == {'investigation_id': 7, 'include_event_ids': ['e1', 'e2'],
                                                   'note': {'type': 'star'}}


def test_removing_a_comment_deletes_that_comment_text(mocker, requests_mock):
    requests_mock.delete(NOTES, json={'status': 'success'})
    result = succeed(mocker, 'cado-timeline-note-remove', {'project_id': '12', 'note_type': 'comment',
                                                           'comment': 'Miner dropped here', 'event_ids': 'e1'})
    assert body_of(requests_mock.last_request) == {'investigation_id': 12, 'include_event_ids': ['e1'],
                                                   'note': {'type': 'comment', 'text': 'Miner dropped here'}}
    assert result.readable_output == 'Comments removed from the named Cado timeline events in project 12.'
    assert result.outputs is None


def test_vulnerabilities_of_one_cve_in_two_evidence_items_stay_apart(mocker, requests_mock):
    finding = load('vulnerability_list')['data'][0]
    requests_mock.get(f'{BASE}/api/v3/vulnerabilities', json={**load('vulnerability_list'), 'data': [
        finding, {**finding, 'evidence_id': 392}]})
    result = succeed(mocker, 'cado-vulnerability-list', {'cve': 'CVE-2024-3094', 'package_in_use': 'true,false',
                                                         'os': 'Linux'})
    assert query_of(requests_mock.last_request) == {'cve': ['CVE-2024-3094'], 'package_in_use': ['true', 'false'],
                                                    'os': ['Linux'], 'page': ['1'], 'per_page': ['50']}
    # Cado gives findings no ID: keyed by the CVE alone, the second evidence item's finding would replace the first.
    assert [item['id'] for item in result.outputs] == ['391:liblzma5@5.6.0-0.2:CVE-2024-3094',
                                                       '392:liblzma5@5.6.0-0.2:CVE-2024-3094']
    assert result.outputs[0]['last_modified_date'] == '2024-06-03T12:00:00Z'


# ============================================================================================================
# File exports
# ============================================================================================================

CSV = b'id,timestamp,short\nc2f1e0d9b8a7-391-0001,1717416600,"File created: /tmp/.X11-unix/xmrig"\n'
EXPORT_CASES = [
    ('cado-timeline-export', {'project_id': '12', 'search_text': 'xmrig'}, '/api/v3/timeline/export',
     {'project_id': ['12'], 'search_text': ['xmrig']}, 'text/csv', 'cado_timeline_project_12.csv'),
    ('cado-alarm-export', {'evidence_id': '391'}, '/api/v3/alarms/export', {'evidence_id': ['391']},
     'application/zip', 'cado_alarms_evidence_391.zip'),
    ('cado-detection-export', {'project_id': '12', 'detection_type': 'incident', 'from_date': '2024-06-01T00:00:00Z'},
     '/api/v3/detections/export', {'project_id': ['12'], 'detection_type': ['incident'], 'from_date': ['1717200000']},
     'text/csv', 'cado_detections.csv'),
]
EXPORT_IDS = [case[0] for case in EXPORT_CASES]


@pytest.fixture
def workdir(tmp_path):
    """Where XSOAR's fileResult writes: the working directory, each test's own (root conftest.py)."""
    return tmp_path


def test_every_export_has_a_case():
    assert set(EXPORT_IDS) == set(CadoSecurity.EXPORTS)


@pytest.mark.parametrize('command, args, path, query, media_type, file_name', EXPORT_CASES, ids=EXPORT_IDS)
def test_export_is_a_file_entry_holding_cados_answer(mocker, requests_mock, contract, workdir, command, args, path,
                                                     query, media_type, file_name):
    requests_mock.get(f'{BASE}{path}', content=CSV, headers={'Content-Type': media_type})
    entry = succeed(mocker, command, args)

    request = requests_mock.last_request
    assert query_of(request) == query
    assert request.headers['Accept'] == '*/*', 'a file endpoint answers its file only to a request that accepts it'
    assert not contract.request_problems(request)
    # XSOAR's fileResult shape: the file is written under the investigation's id and the entry's FileID.
    assert entry == {'Contents': '', 'ContentsFormat': 'text', 'Type': 3, 'File': file_name,
                     'FileID': entry['FileID']}
    assert (workdir / f'1_{entry["FileID"]}').read_bytes() == CSV
    assert len(list(workdir.iterdir())) == 1


class Recorder:
    """A file that keeps only the sizes of the chunks written to it."""
    def __init__(self):
        self.writes: list[int] = []

    def write(self, chunk: bytes) -> None:
        self.writes.append(len(chunk))


def test_export_is_streamed_a_chunk_at_a_time_without_a_size_limit(requests_mock):
    body = b'x' * (3 * CadoSecurity.FILE_CHUNK_SIZE + 5)
    requests_mock.get(f'{BASE}/api/v3/timeline/export', content=body, headers={'Content-Type': 'text/csv'})
    client = CadoSecurity.build_client(PARAMS, PARAMS['credentials']['password'])
    recorder = Recorder()
    saved = client.export_timeline({'project_id': 12}, CadoSecurity.Sink(recorder, None, 'the export'))
    assert saved == {'size': len(body), 'sha256': hashlib.sha256(body).hexdigest()}
    assert sum(recorder.writes) == len(body) and max(recorder.writes) <= CadoSecurity.FILE_CHUNK_SIZE
    assert len(recorder.writes) == 4


EXPORT_ERRORS = sorted(set(ERRORS) - {'success-not-json'})  # a body without a Content-Type is a file: see below


@pytest.mark.parametrize('error', EXPORT_ERRORS)
@pytest.mark.parametrize('command, args, path, query, media_type, file_name', EXPORT_CASES, ids=EXPORT_IDS)
def test_export_errors_leave_no_file_behind(mocker, requests_mock, workdir, error, command, args, path, query,
                                            media_type, file_name):
    response, phrases = ERRORS[error]
    # A server answering JSON says so (requests_mock does not): the Content-Type tells a file from an envelope.
    json_type = {'headers': {'Content-Type': 'application/json'}} if 'json' in response else {}
    requests_mock.get(f'{BASE}{path}', **response, **json_type)
    message = fail(mocker, command, args)
    for phrase in phrases:
        assert phrase in message
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize('response, says', [
    ({'json': {'status': 'success', 'data': []}, 'headers': {'Content-Type': 'application/json'}},
     'JSON instead of a file'),
    ({'text': '<html><title>Sign in</title></html>', 'headers': {'Content-Type': 'text/html; charset=utf-8'}},
     'web page instead of a file'),
    ({'status_code': 302, 'headers': {'Location': 'https://sso.example.com/login'}}, 'redirect'),
], ids=['json-success', 'web-page', 'redirect'])
@pytest.mark.parametrize('command, args, path', [
    ('cado-timeline-export', {'project_id': '12'}, '/api/v3/timeline/export'),
    ('cado-file-download', {'evidence_id': '391', 'path': '/tmp/x', 'unzip': 'true'}, '/api/v3/files/file/download'),
    ('cado-pipeline-logs-get', {'pipeline_id': '4281'}, '/api/v3/pipelines/4281/logs'),
], ids=['export', 'download', 'logs'])
def test_an_answer_that_is_not_a_file_is_reported_not_saved(mocker, requests_mock, workdir, response, says, command,
                                                            args, path):
    """Every file command streams through one path, which tells a file from an envelope, a page or a redirect."""
    requests_mock.get(f'{BASE}{path}', **response)
    assert says in fail(mocker, command, args)
    assert list(workdir.iterdir()) == []
