import json
from pathlib import Path

import CadoDeduplicate
import CadoSecurity
import pytest
import yaml
from CadoDeduplicate import deduplicate, deduplicate_command, preprocess
from fake_xsoar import FakeXsoar, error_entry

PACK = Path(__file__).resolve().parents[2]


def detection(detection_id='1001', event='detection_created', **fields) -> dict:
    return {'name': f'Cado detection {detection_id}: SSH brute force', 'type': 'Cado Detection', 'rawJSON': '{}',
            'CustomFields': {'cadodetectionid': detection_id, 'cadoeventtype': event, **fields}}


def processing(project_id='', event='processing_finished', **fields) -> dict:
    return {'name': 'Cado: PROCESSING FINISHED', 'type': 'Cado Processing Event', 'rawJSON': '{}',
            'CustomFields': {'cadoeventtype': event, 'cadorawevent': f'project {project_id}', **fields}}


def store(*incidents, **options) -> FakeXsoar:
    """The incidents as created, whatever the pre-process rule would have done."""
    xsoar = FakeXsoar(pre_processing=False, **options)
    for incident in incidents:
        xsoar.ingest(incident)
    return xsoar


def check(xsoar: FakeXsoar, incident_id: str, **args) -> dict:
    with xsoar.serving(incident_id):
        return deduplicate_command(dict(args, incident_id=incident_id), xsoar.incidents[incident_id]).outputs


def test_shared_constants_equal_the_integrations():
    assert CadoDeduplicate.DETECTION_INCIDENT_TYPE == CadoSecurity.DETECTION_INCIDENT_TYPE
    assert CadoDeduplicate.PROCESSING_INCIDENT_TYPE == CadoSecurity.PROCESSING_INCIDENT_TYPE


def test_the_fields_it_reads_and_writes_are_the_packs_and_the_keys_searchable():
    fields = {f['cliName']: f for f in (json.loads(p.read_text()) for p in PACK.glob('IncidentFields/*.json'))}
    for name in (CadoDeduplicate.DETECTION_KEY, CadoDeduplicate.PROJECT_KEY, *CadoDeduplicate.REFRESHED_FIELDS):
        assert name in fields and set(CadoDeduplicate.CADO_TYPES) <= set(fields[name]['associatedTypes'])
    for key in (CadoDeduplicate.DETECTION_KEY, CadoDeduplicate.PROJECT_KEY):
        assert fields[key]['unsearchable'] is False, f'{key} must be searchable: getIncidents queries it'


def test_the_first_incident_of_a_detection_acts():
    xsoar = store(detection())
    assert check(xsoar, '1') == {'incident_id': '1', 'duplicate': False, 'key_field': 'cadodetectionid',
                                 'key': '1001'}
    assert xsoar.entries == {}


def test_a_later_delivery_is_recorded_on_the_first_and_reported_duplicate():
    xsoar = store(detection(), detection('1002'), detection(event='detection_updated', cadoseverity='critical'))
    result = check(xsoar, '3')
    assert result == {'incident_id': '3', 'duplicate': True, 'primary_incident_id': '1', 'key_field': 'cadodetectionid',
                      'key': '1001', 'problems': []}
    [entry] = xsoar.entries['1']
    assert 'Another Cado delivery' in entry['Contents'] and 'detection_updated' in entry['Contents']
    first = xsoar.incidents['1']['CustomFields']
    assert (first['cadoeventtype'], first['cadoseverity']) == ('detection_updated', 'critical')
    assert xsoar.links == {'1': {'3'}}
    assert xsoar.incidents['2']['CustomFields'] == detection('1002')['CustomFields']


def test_racing_deliveries_agree_on_the_earliest_whatever_order_they_run_in():
    xsoar = store(detection(), detection())
    assert check(xsoar, '2')['primary_incident_id'] == '1'
    assert check(xsoar, '1')['duplicate'] is False  # the first one runs last and still acts


def test_ids_compare_in_creation_order_not_as_text():
    xsoar = store(*[detection(str(n)) for n in range(1, 10)], detection('9'), detection('9'))
    assert check(xsoar, '11')['primary_incident_id'] == '9'
    assert check(xsoar, '10')['primary_incident_id'] == '9'


@pytest.mark.parametrize('reason', ['Duplicate', 'Resolved - Duplicate Alert'])
def test_an_incident_closed_as_a_duplicate_is_never_the_one_joined(reason):
    xsoar = store(detection(), detection(), detection())
    xsoar.incidents['2']['closed'] = {'closeReason': reason}
    del xsoar.incidents['1']  # the first one deleted: the next delivery acts, not the closed duplicate
    assert check(xsoar, '3')['duplicate'] is False


def test_a_closed_incident_still_follows_its_detection_unless_told_otherwise():
    xsoar = store(detection(), detection())
    xsoar.incidents['1']['closed'] = {'closeReason': 'Resolved'}
    assert check(xsoar, '2')['primary_incident_id'] == '1'
    assert check(xsoar, '2', include_closed='false')['duplicate'] is False


def test_a_processing_event_joins_the_incident_that_follows_its_project():
    xsoar = store(detection(cadoprojectid='17'), processing())
    result = check(xsoar, '2', project_id='17')
    assert (result['primary_incident_id'], result['key_field'], result['key']) == ('1', 'cadoprojectid', '17')
    assert xsoar.incidents['1']['CustomFields']['cadorawevent'] == 'project '  # the event as received
    assert xsoar.incidents['2']['CustomFields']['cadoprojectid'] == '17'  # written before searching


def test_detections_of_one_project_are_different_detections():
    xsoar = store(detection(cadoprojectid='17'), detection('1002'))
    assert check(xsoar, '2', project_id='17')['duplicate'] is False


@pytest.mark.parametrize('args', [{}, {'detection_id': '1 OR type:"x"'}, {'detection_id': '*'}])
def test_no_usable_id_means_no_search(args):
    xsoar = store(detection(''), detection(''))
    assert check(xsoar, '2', **args) == {'incident_id': '2', 'duplicate': False}


@pytest.mark.parametrize('platform, refused', [('xsoar', 'setAlert'), ('xsiam', 'setIncident')])
def test_fields_are_set_with_the_platforms_command(platform, refused):
    xsoar, calls = store(detection(), detection(event='detection_updated'), platform=platform), []
    execute = xsoar.execute
    xsoar.execute = lambda command, args, current: calls.append(command) or execute(command, args, current)
    check(xsoar, '2')
    assert xsoar.incidents['1']['CustomFields']['cadoeventtype'] == 'detection_updated'
    assert 'addEntries' in calls and refused not in calls


def test_the_link_is_optional_where_the_platform_cannot_link():
    xsoar = store(detection(), detection(), links=False)
    result = check(xsoar, '2')
    assert result['duplicate'] is True and result['problems'] == ['not linked (linkIncidents is not supported)']
    assert 'not linked' in CadoDeduplicate.summary(result)
    assert len(xsoar.entries['1']) == 1


@pytest.mark.parametrize('builtin, expected', [
    ('addEntries', 'refused'),
    ('setIncident', 'setIncident failed: refused; setAlert failed: Unsupported Command'),  # both commands named
])
def test_a_failed_update_of_the_earlier_incident_is_an_error_not_a_silent_duplicate(builtin, expected):
    xsoar = store(detection(), detection())
    setattr(xsoar, f'builtin_{builtin}', lambda args, current: error_entry('refused'))
    with pytest.raises(Exception, match=expected):
        check(xsoar, '2')


def test_window_and_size_go_to_the_search():
    xsoar, seen = store(detection(), detection()), []
    search = xsoar.builtin_getIncidents
    xsoar.builtin_getIncidents = lambda args, current: seen.append(args) or search(args, current)
    check(xsoar, '2', window_days='3')
    [args] = seen
    assert args['query'] == 'cadodetectionid:"1001"' and args['size'] == 100
    assert args['fromdate'][:10] >= '2000-01-01'
    with pytest.raises(ValueError, match='window_days'):
        check(xsoar, '2', window_days='soon')


def test_pre_processing_drops_a_duplicate_and_keeps_the_rest():
    xsoar = store(detection())
    with xsoar.serving(None):
        assert preprocess(detection(event='detection_updated'), {}) is False
        assert preprocess(detection('1002'), {}) is True
        assert preprocess(processing('17'), {}) is True  # no project field before the playbook: it joins later
    [entry] = xsoar.entries['1']
    assert '(dropped before creation)' in entry['Contents']
    assert xsoar.links == {}


def test_pre_processing_keeps_the_incident_when_anything_fails(capsys):
    xsoar = store(detection())
    xsoar.builtin_getIncidents = lambda args, current: error_entry('timeout')
    with xsoar.serving(None):
        assert preprocess(detection(), {}) is True
    assert 'kept the incoming incident' in capsys.readouterr().out


def test_the_shipped_pre_process_rule_runs_this_script_on_cado_detections():
    [path] = PACK.glob('PreProcessRules/*.json')
    rule = json.loads(path.read_text())
    assert (rule['scriptName'], rule['action'], rule['enabled']) == ('CadoDeduplicate', 'script', True)
    assert rule['marketplaces'] == ['xsoar']  # XSIAM has no pre-process rules: the playbook deduplicates there
    script = yaml.safe_load((Path(CadoDeduplicate.__file__).with_suffix('.yml')).read_text())
    assert 'preProcessing' in script['tags']  # only such scripts can be chosen by a rule
    xsoar = FakeXsoar()
    first, again, other = (xsoar.ingest(i) for i in (detection(), detection(), processing()))
    assert first['id'] == '1' and again is None and other['id'] == '2'


def test_yaml_declares_what_the_script_reads_and_writes():
    script = yaml.safe_load((Path(CadoDeduplicate.__file__).with_suffix('.yml')).read_text())
    assert {a['name'] for a in script['args']} == {'incident_id', 'detection_id', 'project_id', 'window_days',
                                                   'include_closed'}
    xsoar = store(detection(), detection(), links=False)
    outputs = check(xsoar, '2')
    assert {f'CadoDedup.{k}' for k in outputs} == {o['contextPath'] for o in script['outputs']}


def test_deduplicate_without_an_id_is_the_pre_processing_view():
    xsoar = store(detection())
    with xsoar.serving(None):
        assert deduplicate(detection(), {})['primary_incident_id'] == '1'
