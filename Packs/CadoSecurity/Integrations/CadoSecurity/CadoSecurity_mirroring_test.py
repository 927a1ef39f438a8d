"""Mirroring: each command through main() as XSOAR's mirroring runs it, against the stateful fake Cado of
Tests/support/fake_mirroring.py, with the integration context a versioned store that refuses stale writes; then many
cycles of changes on both sides, and the 500-incident burst of tools/mirror_benchmark.py.

The contract cases of the requests (GET /projects filtered, GET and PATCH /projects/{id}, GET /users) are in
Tests/contract/test_contract.py; the mirroring classes of the test doubles are pinned in Tests/test_doubles.
"""
import json

import pytest
import yaml

import CadoSecurity
import mirror_benchmark
from CadoSecurity_test import YAML_PATH
from fake_mirroring import FakeCado, MirroringXsoar

LONG_SUMMARY = 'The miner ran from /tmp as www-data. ' * 100


@pytest.fixture
def cado():
    cado = FakeCado()
    for project_id in (12, 13, 14):
        cado.add(project_id)
    return cado


@pytest.fixture
def xsoar(cado):
    xsoar = MirroringXsoar(cado)
    for project_id in (12, 13, 14):
        assert xsoar.link(f'inc-{project_id}', project_id)['linked']
    assert xsoar.cycle() == ['12', '13', '14']  # the first cycle reads every project once
    return xsoar


def state(xsoar) -> dict:
    return json.loads(xsoar.context.text)['mirror']


def error_of(outcome) -> str:
    (error,) = outcome.errors()
    assert 'Traceback' not in error and 'mirroring-key' not in error
    return error


# ------------------------------------------------------------------------------------------------ get-mapping-fields

def test_mapping_fields_name_the_outgoing_keys_of_both_incident_types(cado):
    outcome = MirroringXsoar(cado).run('get-mapping-fields', {})
    assert list(outcome.entries[0]) == ['Cado Detection', 'Cado Processing Event']
    assert all(set(fields) == {'cado_status', 'phase', 'owner'} for fields in outcome.entries[0].values())
    assert cado.requests == []


# ---------------------------------------------------------------------------------------- get-modified-remote-data

def linked_projects(cado, project_ids: range) -> MirroringXsoar:
    """A mirroring XSOAR whose incident inc-<id> mirrors each of these new projects."""
    xsoar = MirroringXsoar(cado)
    for project_id in project_ids:
        cado.add(project_id)
        xsoar.link(f'inc-{project_id}', project_id)
    return xsoar


def test_one_request_per_100_projects_with_the_contract_filters(cado):
    xsoar = linked_projects(cado, range(100, 350))
    requests = xsoar.requests_of(xsoar.cycle)
    assert requests == [('GET', '/api/v3/projects')] * 3  # 250 projects, and no get-remote-data request
    assert all(incident['fields']['cadoprojectstatus'] == 'Collection & Analysis'
               for incident in xsoar.incidents.values())


def test_the_filtered_read_repeats_project_id_and_asks_for_alarms(cado):
    xsoar = MirroringXsoar(cado)
    xsoar.link('inc-12', 12)
    xsoar.link('inc-13', 13)
    outcome = xsoar.run('get-modified-remote-data', {'lastUpdate': '0'})
    assert outcome.entries[0]['Contents'] == ['12', '13']  # the first read of both
    assert cado.requests == [('GET', '/api/v3/projects')]
    assert cado.queries == [{'project_id': ['12', '13'], 'get_alarm_summary': ['true'], 'page': ['1'],
                             'per_page': ['100']}]


def test_alarm_counts_and_ai_summary_changes_are_reported_without_last_update_moving(xsoar, cado):
    last_update = cado.projects[12]['last_update']
    cado.raise_alarms(12, 3)
    cado.summarise(13, LONG_SUMMARY)
    assert xsoar.cycle() == ['12', '13']
    assert cado.projects[12]['last_update'] == last_update
    assert xsoar.incidents['inc-12']['fields']['cadomaliciousalarms'] == 3
    assert xsoar.incidents['inc-13']['fields']['cadoaisummary'] == LONG_SUMMARY
    assert xsoar.cycle() == []


def test_unchanged_projects_keep_only_a_fingerprint(xsoar, cado):
    cado.summarise(12, LONG_SUMMARY)
    xsoar.run('get-modified-remote-data', {'lastUpdate': '0'})
    assert set(state(xsoar)['pending']) == {'12'}
    xsoar.pull('inc-12', xsoar.incidents['inc-12'])  # served: acknowledged and dropped at once
    assert state(xsoar) == {'projects': {key: [f'inc-{key}', value[1], 0] for key, value in
                                         state(xsoar)['projects'].items()}, 'pending': {}, 'cycle': 2,
                            'closed_since': {}}
    assert xsoar.context.size < 430


def test_a_failing_batch_is_read_again_next_cycle_and_the_others_are_reported(cado):
    xsoar = linked_projects(cado, range(100, 250))
    cado.failing = {120}  # in the first batch of 100
    modified = xsoar.cycle()
    assert modified == [str(project_id) for project_id in range(200, 250)]
    assert xsoar.errors == []
    cado.failing = set()
    assert xsoar.cycle() == [str(project_id) for project_id in range(100, 200)]  # nothing forgotten


def test_a_refused_key_fails_the_cycle_naming_the_roles(xsoar, cado):
    cado.forbidden = True
    error = error_of(xsoar.run('get-modified-remote-data', {'lastUpdate': '0'}))
    assert 'HTTP 403' in error and 'Read Only Analyst' in error
    assert set(state(xsoar)['projects']) == {'12', '13', '14'}


def test_a_project_missing_from_the_list_is_reported_once_and_forgotten(xsoar, cado):
    cado.delete(13)
    assert xsoar.cycle() == ['13']
    assert 'no longer exists' in xsoar.notes['inc-13'][0]
    assert '13' not in state(xsoar)['projects']
    assert xsoar.cycle() == []
    assert xsoar.errors == []


# --------------------------------------------------------------------------------------------------- get-remote-data

def test_remote_data_answers_from_the_cycle_without_a_request(xsoar, cado):
    cado.set_status(12, 'Containment')
    modified = xsoar.run('get-modified-remote-data', {'lastUpdate': '0'}).entries[0]['Contents']
    assert modified == ['12']
    requests = xsoar.requests_of(lambda: xsoar.pull('inc-12', xsoar.incidents['inc-12']))
    assert requests == []
    assert xsoar.incidents['inc-12']['fields']['cadoprojectstatus'] == 'Containment'


def test_remote_data_reads_and_registers_a_project_it_does_not_know(cado):
    cado.projects[12]['last_acquisition'] = 1_764_500_000_000
    xsoar = MirroringXsoar(cado)
    outcome = xsoar.run('get-remote-data', {'id': '12', 'lastUpdate': '0'})
    mirrored, *entries = outcome.entries[0]
    assert cado.requests == [('GET', '/api/v3/projects/12')]
    assert mirrored['id'] == '12' and entries == []
    assert mirrored['cado_project'] == {
        'id': 12, 'name': 'Project 12', 'description': 'Opened for case 12', 'status': 'Collection & Analysis',
        'items_identified': 0, 'malicious_alarms': 0, 'suspicious_alarms': 0, 'evidence_count': 0,
        'last_acquisition': '2025-11-30T10:53:20Z', 'last_update': '2025-11-30T10:53:20Z', 'ai_summary': None,
        'link': 'https://cado.example.com/projects/12'}
    assert state(xsoar)['projects']['12'][0] == CadoSecurity.UNNAMED_MIRROR  # the incident XSOAR asked for mirrors it
    assert xsoar.link('4712', 12)['linked'] is False  # so no other incident may claim the project
    assert xsoar.run('get-modified-remote-data', {'lastUpdate': '0'}).entries[0]['Contents'] == []


def test_remote_data_of_a_deleted_project_says_so_and_forgets_it(xsoar, cado):
    assert xsoar.cycle() == []  # nothing kept from the last cycle: get-remote-data reads the project
    cado.delete(12)
    outcome = xsoar.run('get-remote-data', {'id': '12', 'lastUpdate': '0'})
    assert outcome.errors() == []
    mirrored, entry = outcome.entries[0]
    assert mirrored == {'id': '12'} and 'Cado project 12 no longer exists' in entry['Contents']
    assert '12' not in state(xsoar)['projects']


@pytest.mark.parametrize('mirror_id', ['abc', '-3', '0', '1.5'])
def test_a_mirror_id_that_is_not_a_project_id_fails_that_incident_only(xsoar, mirror_id):
    error = error_of(xsoar.run('get-remote-data', {'id': mirror_id, 'lastUpdate': '0'}))
    assert f'Argument "id", the incident\'s mirror ID "{mirror_id}", is not a Cado project ID' in error
    assert xsoar.cado.requests[-1] == ('GET', '/api/v3/projects')  # the fixture's cycle: nothing sent since


def test_mirroring_arguments_xsoar_always_sends_are_required(xsoar):
    assert 'lastUpdate' in error_of(xsoar.run('get-remote-data', {'id': '12'}))


# ---------------------------------------------------------------------------------------- closing in Cado (incoming)

@pytest.mark.parametrize('status, reason', [('Closed', 'Resolved'), ('Archived', 'Other')])
def test_a_project_closed_in_cado_closes_its_incident_once(xsoar, cado, status, reason):
    cado.set_status(12, status)
    xsoar.cycle()
    assert xsoar.incidents['inc-12']['close'] == {
        'dbotIncidentClose': True, 'closeReason': reason, 'closeNotes': f'Cado project 12 was {status.lower()} in Cado.'}
    xsoar.incidents['inc-12'].update(closed=False, close=None)  # an analyst reopens it in XSOAR
    cado.raise_alarms(12)
    xsoar.cycle()
    assert xsoar.incidents['inc-12']['close'] is None  # a later change does not close it again


def test_closing_in_cado_leaves_the_incident_open_when_close_incident_is_off(cado):
    xsoar = MirroringXsoar(cado, {'close_incident': False})
    xsoar.link('inc-12', 12)
    xsoar.cycle()
    cado.set_status(12, 'Closed')
    xsoar.cycle()
    assert not xsoar.incidents['inc-12']['closed']
    assert xsoar.incidents['inc-12']['fields']['cadoprojectstatus'] == 'Closed'


def test_a_project_reopened_in_cado_reopens_nothing_and_says_so(xsoar, cado):
    cado.set_status(12, 'Closed')
    xsoar.cycle()
    cado.set_status(12, 'Containment')
    xsoar.cycle()
    assert xsoar.incidents['inc-12']['closed']
    assert 'no longer closed or archived (now Containment)' in xsoar.notes['inc-12'][0]
    assert not any('dbotIncidentReopen' in note for note in xsoar.notes['inc-12'])


# -------------------------------------------------------------------------------------- update-remote-system (out)

def test_closing_the_incident_closes_the_project_keeping_its_description(xsoar, cado):
    outcome = xsoar.change('inc-12', close={'closeReason': 'Resolved', 'closeNotes': 'Miner removed.'})
    assert outcome.entries == ['12']  # the remote id, as XSOAR expects
    details = cado.projects[12]['details']
    assert details['status'] == 'Closed'
    assert details['description'] == ('Opened for case 12\n\nClosed in Cortex XSOAR. Close reason: Resolved. '
                                      'Close notes: Miner removed.')
    assert xsoar.cycle() == ['12']  # brings the close note into Cado Project Description...
    assert xsoar.incidents['inc-12']['fields']['cadoprojectdescription'] == details['description']
    assert xsoar.incidents['inc-12'].get('close') is None  # ...without closing the closed incident again
    assert xsoar.cycle() == []
    assert xsoar.change('inc-12', close={'closeReason': 'Resolved', 'closeNotes': 'Miner removed.'}).entries == ['12']
    assert cado.requests[-1] == ('GET', '/api/v3/projects/12')  # a repeated close sends no PATCH


def test_closing_the_incident_appends_to_the_description_cado_has_now(xsoar, cado):
    cado.projects[12]['details']['description'] = 'Edited in Cado after the last cycle read it'
    requests = xsoar.requests_of(lambda: xsoar.change('inc-12', close={'closeReason': 'Other'}))
    assert requests == [('GET', '/api/v3/projects/12'), ('PATCH', '/api/v3/projects/12')]
    assert cado.projects[12]['details']['description'] == ('Edited in Cado after the last cycle read it\n\nClosed in '
                                                           'Cortex XSOAR. Close reason: Other.')


def test_closing_the_incident_leaves_the_project_when_close_project_is_off(cado):
    xsoar = MirroringXsoar(cado, {'close_project': False})
    xsoar.link('inc-12', 12)
    xsoar.cycle()
    assert xsoar.requests_of(lambda: xsoar.change('inc-12', close={'closeReason': 'Resolved'})) == []


def test_cado_status_from_xsoar_is_sent_and_not_echoed(xsoar, cado):
    xsoar.change('inc-12', {'cado_status': 'Eradication'})
    assert cado.projects[12]['details']['status'] == 'Eradication'
    assert xsoar.cycle() == []
    assert xsoar.requests_of(lambda: xsoar.change('inc-12', {'cado_status': 'Eradication'})) == []


@pytest.mark.parametrize('phase, status', [('Containment', 'Containment'), ('post-incident activity',
                                           'Post incident activity'), ('Lessons Learned', 'Post incident activity')])
def test_the_phase_sets_the_cado_status_of_the_table(xsoar, cado, phase, status):
    xsoar.change('inc-12', {'phase': phase})
    assert cado.projects[12]['details']['status'] == status
    assert xsoar.cycle() == ['12']  # Cado Project Status learns the status the phase set
    assert xsoar.incidents['inc-12']['fields']['cadoprojectstatus'] == status
    assert xsoar.echoes == []


def test_an_unknown_phase_is_ignored(xsoar, cado):
    assert xsoar.requests_of(lambda: xsoar.change('inc-12', {'phase': 'Triage'})) == []
    assert xsoar.errors == []


def test_a_cado_status_cado_does_not_have_is_refused_naming_the_allowed_ones(xsoar):
    error = error_of(xsoar.change('inc-12', {'cado_status': 'Done'}))
    assert 'cado_status' in error and 'Post incident activity' in error


def test_the_owner_is_added_to_the_users_by_exact_username_keeping_the_others(xsoar, cado):
    requests = xsoar.requests_of(lambda: xsoar.change('inc-12', {'owner': 'jdoe'}))
    assert requests == [('GET', '/api/v3/users'), ('GET', '/api/v3/projects/12'), ('PATCH', '/api/v3/projects/12')]
    assert [user['username'] for user in cado.projects[12]['details']['users']] == ['analyst', 'jdoe']
    assert xsoar.requests_of(lambda: xsoar.change('inc-12', {'owner': 'jdoe'}))[-1] == ('GET', '/api/v3/projects/12')


@pytest.mark.parametrize('owner', ['jdo', 'someone'])  # 'jdo' matches two users by substring, neither exactly
def test_an_owner_cado_does_not_know_is_not_added(xsoar, cado, owner):
    assert xsoar.requests_of(lambda: xsoar.change('inc-12', {'owner': owner})) == [('GET', '/api/v3/users')]
    assert [user['username'] for user in cado.projects[12]['details']['users']] == ['analyst']


def test_a_platform_without_the_users_endpoint_still_gets_the_status_and_keeps_the_project(xsoar, cado):
    cado.users = None  # GET /api/v3/users answers 404
    outcome = xsoar.change('inc-12', {'owner': 'jdoe', 'cado_status': 'Recovery'})
    assert outcome.errors() == []
    assert cado.projects[12]['details']['status'] == 'Recovery'
    assert '12' in state(xsoar)['projects']


def test_an_unchanged_open_incident_sends_nothing(xsoar, cado):
    outcome = xsoar.run('update-remote-system', {'remoteId': '12', 'status': 1, 'incidentChanged': False,
                                                 'delta': {'phase': 'Containment'}, 'data': {}})
    assert outcome.entries == ['12']
    assert cado.requests[-1] == ('GET', '/api/v3/projects')


def test_updating_a_deleted_project_says_so_and_forgets_it(xsoar, cado):
    cado.delete(12)
    error = error_of(xsoar.change('inc-12', {'cado_status': 'Recovery'}))
    assert 'Cado project 12 no longer exists' in error
    assert '12' not in state(xsoar)['projects']


def test_a_key_that_may_not_update_projects_gets_a_clear_error(xsoar, cado):
    cado.forbidden = True
    error = error_of(xsoar.change('inc-12', {'cado_status': 'Recovery'}))
    assert 'HTTP 403' in error and 'Lead Analyst' in error


def test_a_failed_cycle_tells_xsoar_to_skip_its_updates(xsoar, cado):
    cado.forbidden = True
    error = error_of(xsoar.run('get-modified-remote-data', {'lastUpdate': '2026-11-30T10:00:00Z'}))
    assert 'skip update' in error and 'HTTP 403' in error


@pytest.mark.parametrize('command, args', [('get-modified-remote-data', {'lastUpdate': '2026-11-30T10:00:00Z'}),
                                           ('get-remote-data', {'id': '15', 'lastUpdate': '2026-11-30T10:00:00Z'})])
def test_rate_limiting_is_named_as_xsoar_mirroring_expects(xsoar, cado, command, args):
    cado.add(15)
    cado.rate_limited = True
    error = error_of(xsoar.run(command, args))
    assert 'API rate limit' in error and 'HTTP 429' in error


def test_a_command_outside_mirroring_keeps_its_plain_error(xsoar, cado):
    cado.rate_limited = True
    error = error_of(xsoar.run('cado-project-get', {'project_id': '12'}))
    assert 'HTTP 429' in error and 'API rate limit' not in error


# ------------------------------------------------------------------------------------------------------------- link

def test_one_project_never_mirrors_into_two_incidents(cado):
    xsoar = MirroringXsoar(cado)
    first = xsoar.link('4711', 12)
    assert first == {'project_id': 12, 'incident_id': '4711', 'linked': True, 'mirrored_by': '4711',
                     'mirror_direction': 'Both', 'mirror_instance': 'Cado_Security_instance_1'}
    assert xsoar.link('4711', 12)['linked']  # the same incident again
    other = xsoar.link('4712', 12)
    assert (other['linked'], other['mirrored_by']) == (False, '4711')
    assert cado.requests == []


@pytest.mark.parametrize('direction, expected', [('Incoming', 'In'), ('Outgoing', 'Out'),
                                                 ('Incoming And Outgoing', 'Both')])
def test_the_link_gives_xsoars_direction_values(cado, direction, expected):
    assert MirroringXsoar(cado, {'mirror_direction': direction}).link('4711', 12)['mirror_direction'] == expected


def test_no_link_when_mirroring_is_off(cado):
    xsoar = MirroringXsoar(cado, {'mirror_direction': 'None'})
    link = xsoar.link('4711', 12)
    assert (link['linked'], link['mirror_direction'], xsoar.context.version) == (False, None, 0)


def test_a_link_written_meanwhile_by_another_playbook_wins(cado, mocker):
    xsoar = MirroringXsoar(cado)
    original = xsoar.context.get

    def another_playbook_links_first(refresh=False):
        if xsoar.context.version == 0:
            xsoar.context.text = json.dumps({'mirror': {'projects': {'12': ['4799', None, None]}, 'pending': {}}})
            xsoar.context.version = 1
            return {'context': {}, 'version': 0}  # what this run read before the other one wrote
        return original(refresh)

    mocker.patch.object(xsoar.context, 'get', side_effect=another_playbook_links_first)
    link = xsoar.link('4711', 12)
    assert (link['linked'], link['mirrored_by'], xsoar.context.refused) == (False, '4799', 1)


def test_a_state_that_keeps_changing_fails_clearly(cado, mocker):
    xsoar = MirroringXsoar(cado)
    mocker.patch.object(xsoar.context, 'set', side_effect=ValueError('stale version'))
    error = error_of(xsoar.run('cado-incident-mirror-link', {'project_id': '12', 'incident_id': '4711'}))
    assert 'Could not save the mirroring state' in error


def test_bad_link_arguments_are_refused(cado):
    xsoar = MirroringXsoar(cado)
    assert 'project_id' in error_of(xsoar.run('cado-incident-mirror-link', {'project_id': 'twelve',
                                                                             'incident_id': '1'}))
    assert 'incident_id' in error_of(xsoar.run('cado-incident-mirror-link', {'project_id': '12'}))
    assert 'Incident Mirroring Direction' in error_of(MirroringXsoar(cado, {'mirror_direction': 'Sideways'}).run(
        'cado-incident-mirror-link', {'project_id': '12', 'incident_id': '1'}))


def test_the_link_writes_every_output_it_declares():
    commands = {command['name']: command for command in yaml.safe_load(YAML_PATH.read_text())['script']['commands']}
    declared = {output['contextPath'] for output in commands['cado-incident-mirror-link']['outputs']}
    outcome = MirroringXsoar(FakeCado()).run('cado-incident-mirror-link', {'project_id': '12', 'incident_id': '7'})
    (key, link), = outcome.entries[0]['EntryContext'].items()
    assert key.startswith('Cado.MirrorLink(')
    assert {f'Cado.MirrorLink.{name}' for name in link} == declared


# ------------------------------------------------------------------------------------------------------------ fetch

def detection_incident(detection_id: int, project_id) -> dict:
    return CadoSecurity.detection_incident({'id': detection_id, 'name': 'Crypto miner', 'severity': 'high',
                                            'investigation_id': project_id, 'created_datetime': 1_764_500_000_000,
                                            'updated_datetime': 1_764_500_000_000}, True)


def test_fetched_incidents_carry_the_mirroring_fields_and_register_their_project(mocker):
    incidents = [detection_incident(1, 12), detection_incident(2, 12), detection_incident(3, None)]
    mocker.patch.object(CadoSecurity, 'fetch_incidents', return_value=({'last_id': 3}, incidents))
    xsoar = MirroringXsoar(FakeCado())
    outcome = xsoar.run('fetch-incidents', {})
    mirroring = [{key: incident.get(key) for key in ('dbotMirrorDirection', 'dbotMirrorInstance', 'dbotMirrorId')}
                 for incident in outcome.incidents]
    assert mirroring == [{'dbotMirrorDirection': 'Both', 'dbotMirrorInstance': 'Cado_Security_instance_1',
                          'dbotMirrorId': '12'},
                         {'dbotMirrorDirection': 'Both', 'dbotMirrorInstance': 'Cado_Security_instance_1',
                          'dbotMirrorId': None},  # one project, one mirroring incident
                         {'dbotMirrorDirection': 'Both', 'dbotMirrorInstance': 'Cado_Security_instance_1',
                          'dbotMirrorId': None}]
    assert outcome.last_run == {'last_id': 3}
    assert state(xsoar)['projects'] == {'12': [CadoSecurity.UNNAMED_MIRROR, None, None]}
    other = xsoar.link('inc-for-detection-2', 12)  # the second detection's incident, through its response playbook
    assert (other['linked'], other['mirrored_by']) == (False, None)


def test_fetched_incidents_without_a_project_leave_the_mirroring_state_unwritten(mocker):
    incidents = [detection_incident(1, None), detection_incident(2, None)]
    mocker.patch.object(CadoSecurity, 'fetch_incidents', return_value=({'last_id': 2}, incidents))
    xsoar = MirroringXsoar(FakeCado())
    outcome = xsoar.run('fetch-incidents', {})
    assert [(incident['dbotMirrorDirection'], incident.get('dbotMirrorId')) for incident in outcome.incidents] == [
        ('Both', None), ('Both', None)]
    assert xsoar.context.version == 0


def test_fetch_without_mirroring_leaves_incidents_as_they_were(mocker):
    incidents = [detection_incident(1, 12)]
    mocker.patch.object(CadoSecurity, 'fetch_incidents', return_value=({}, incidents))
    xsoar = MirroringXsoar(FakeCado(), {'mirror_direction': 'None'})
    assert xsoar.run('fetch-incidents', {}).incidents == incidents
    assert xsoar.context.version == 0


# --------------------------------------------------------------------------------------------- many cycles, at scale

def test_many_cycles_both_ways(xsoar, cado):
    cado.set_status(12, 'Containment')  # Cado -> XSOAR
    xsoar.change('inc-13', {'phase': 'Eradication'})  # XSOAR -> Cado
    assert xsoar.cycle() == ['12', '13']
    cado.set_status(14, 'Archived')
    xsoar.change('inc-12', close={'closeReason': 'Resolved', 'closeNotes': 'done'})
    assert xsoar.cycle() == ['12', '14']
    cado.delete(13)
    assert xsoar.cycle() == ['13']
    for _ in range(3):
        assert xsoar.cycle() == []
    assert (xsoar.incidents['inc-12']['closed'], xsoar.incidents['inc-12'].get('close')) == (True, None)
    assert xsoar.incidents['inc-14']['close']['closeReason'] == 'Other'
    assert cado.projects[12]['details']['status'] == 'Closed'
    assert 'no longer exists' in xsoar.notes['inc-13'][0]
    assert xsoar.errors == [] and xsoar.echoes == []
    assert mirror_benchmark.lost_updates(xsoar) == []


def test_500_mirrored_incidents_take_at_most_5_requests_a_cycle_and_lose_and_echo_nothing():
    result = mirror_benchmark.run(projects=500, cycles=4, summary_chars=200)
    cycles = result['cycles']
    assert [row['requests'] for row in cycles] == [5] * len(cycles)
    assert [row['lost'] for row in cycles] == [0] * len(cycles)
    assert [row['echoed'] for row in cycles] == [0] * len(cycles)
    assert cycles[0]['reported'] == cycles[1]['reported'] == 500  # the first read, then the burst
    assert all(row['xsoar_changes'] for row in cycles[2:4]) and all(row['cado_changes'] for row in cycles[2:4])
    assert cycles[-1]['reported'] == 0 and cycles[-1]['context_bytes'] < 50 * 500  # only fingerprints are kept
    assert result['errors'] == []
