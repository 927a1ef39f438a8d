"""The timeline commands: search (cursor paging, alarms summed up), facet counts, and stars and comments; and the
vulnerability list.

Their success, error, contract and declared-outputs cases are in the shared tables of CadoSecurity_test.py and
CadoSecurity_outputs_test.py; this module tests what is particular to them.
"""
import pytest

from CadoSecurity_test import BASE, body_of, fail, load, query_of, succeed, xsoar_runtime

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
