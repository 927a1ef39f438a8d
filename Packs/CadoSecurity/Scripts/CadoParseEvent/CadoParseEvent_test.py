import json
from pathlib import Path

import demistomock as demisto
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import CadoParseEvent
from CadoParseEvent import parse_event, parse_event_command

TEST_DATA = Path(__file__).parent / 'test_data'


def load(name: str) -> dict:
    return json.loads((TEST_DATA / name).read_text())


def webhook_body(event_type: str, **values) -> dict:
    """The body Generic Webhook stores as rawJSON for the pack's templates, with the headers it adds."""
    if event_type.startswith('detection'):
        body = {'name': f"Cado detection {values.get('detection_id', '$detection_id')}: {values.get('title', '')}",
                'type': 'Cado Detection', 'cado_webhook_event': event_type,
                'cado_event_type': values.get('cado_event_type', event_type),
                'cado_detection_id': values.get('detection_id', ''), 'cado_group_id': values.get('group_id', ''),
                'cado_title': values.get('title', ''), 'source_brand': 'Cado Security'}
    else:
        body = {'name': f"Cado: {values.get('title', '')}", 'type': 'Cado Processing Event',
                'cado_webhook_event': event_type, 'cado_title': values.get('title', ''),
                'source_brand': 'Cado Security', 'cado_event': values.get('event', '')}
    body['headers'] = {'content-type': 'application/json', 'user-agent': 'python-requests/2.31'}
    return body


# --- the forms an event arrives in: the pack's webhook body, fetch's rawJSON, an API detection, text -------------

def test_classification_lives_in_the_integration():
    """The script reads and normalises the event; which acquisition fits a resource is cado-detection-get's."""
    source = Path(CadoParseEvent.__file__).read_text()
    assert 'acquire' not in source and 'arn:aws' not in source
    event = parse_event({'event': load('detection_guardduty_ec2.json')})
    assert not {'acquisition_command', 'acquisition_target', 'resources', 'cloud_provider'} & set(event)


def test_api_detection_object():
    detection = load('detection_guardduty_ec2.json')
    event = parse_event({'event': detection})
    assert (event['category'], event['event_type']) == ('detection', 'detection_created')
    assert (event['detection_id'], event['project_id']) == ('1001', '17')
    assert (event['severity'], event['source']) == ('high', 'GuardDuty')
    assert event['resource_ids'] == ['i-0123456789abcdef0']
    assert event['mitre'] == ['T1110 - Brute Force', 'TA0006 Credential Access'] and event['mitre_techniques'] == ['T1110']
    assert event['title'] == 'UnauthorizedAccess:EC2/SSHBruteForce'
    assert event['description'] == detection['description']


def test_detection_as_json_text_is_the_same_event():
    detection = load('detection_guardduty_ec2.json')
    assert parse_event({'event': json.dumps(detection)}) == parse_event({'event': detection})


def test_fetched_incident_rawjson():
    """fetch-incidents' rawJSON: the webhook template's fields plus cado_detection."""
    event = parse_event({'event': load('fetched_incident_rawjson.json')})
    assert (event['event_type'], event['detection_id'], event['project_id']) == ('detection_created', '1001', '17')
    assert event['resource_ids'] == ['i-0123456789abcdef0'] and event['severity'] == 'high'


@pytest.mark.parametrize('event_type', CadoParseEvent.DETECTION_EVENTS)
def test_webhook_detection_events(event_type):
    """Pushed detection events carry ids and the title only; the playbook reads the rest with cado-detection-get."""
    body = webhook_body(event_type, detection_id='1001', group_id='55', title='SSH brute force')
    event = parse_event({'event': body}, {'id': '77'})
    assert (event['event_type'], event['category']) == (event_type, 'detection')
    assert (event['detection_id'], event['group_id'], event['title']) == ('1001', '55', 'SSH brute force')
    assert event['resource_ids'] == []
    assert event['key'] == 'incident-77' and event['project_name'] == 'XSOAR incident 77'


def test_webhook_detection_then_detection_object_merged():
    """The playbook's second call: the webhook body plus the detection cado-detection-get read make one event."""
    body = webhook_body('detection_updated', detection_id='1001', title='SSH brute force')
    found = {**load('detection_guardduty_ec2.json'), 'found': True,
             'acquisition': {'command': 'cado-aws-ec2-acquire', 'arguments': {'instance_id': 'i-0123456789abcdef0'}}}
    event = parse_event({'event': body, 'detection': [found]}, {'id': '77'})
    assert (event['event_type'], event['title']) == ('detection_updated', 'SSH brute force')
    assert (event['severity'], event['project_id'], event['source']) == ('high', '17', 'GuardDuty')
    assert event['resource_ids'] == ['i-0123456789abcdef0'] and event['mitre_techniques'] == ['T1110']


def test_a_detection_not_found_adds_nothing():
    body = webhook_body('detection_created', detection_id='1001', title='t')
    event = parse_event({'event': body, 'detection': [{'id': 1001, 'found': False, 'reason': 'not found'}]})
    assert (event['project_id'], event['severity'], event['resource_ids']) == ('', '', [])


PROCESSING_EVENTS = {
    # $Event as JSON text
    'high_severity_alarm': ('HIGH SEVERITY ALARM DETECTED',
                            json.dumps({'project_id': 12, 'pipeline_id': 345, 'evidence_id': 9, 'severity': 'high',
                                        'alarm': {'name': 'Reverse shell', 'resource': 'i-0abcdef0123456789'}}),
                            'high', '', ['i-0abcdef0123456789']),
    # $Event as the text of a Python dictionary: read as text
    'suspicious_severity_event': ('SUSPICIOUS SEVERITY EVENT DETECTED',
                                  "{'investigation_id': 12, 'pipeline_id': 345, 'severity': 2, 'ok': True}",
                                  'medium', '', []),
    # $Event as plain text
    'processing_with_alarms': ('PROCESSING FINISHED WITH ALARMS',
                               'Processing of evidence 9 in project 12 finished (pipeline 345) with 2 malicious '
                               'and 5 suspicious alarms', 'medium', 'complete', []),
    'processing_finished': ('PROCESSING FINISHED',
                            json.dumps({'project_id': 12, 'pipeline_id': 345, 'status': 'complete',
                                        'alarms': {'malicious': 0, 'suspicious': 1}}), 'low', 'complete', []),
    'processing_failed': ('PROCESSING FAILED', 'Pipeline 345 failed in project 12: disk could not be read',
                          'low', 'failed', []),
}


@pytest.mark.parametrize('event_type', CadoParseEvent.PROCESSING_EVENTS)
def test_webhook_processing_events(event_type):
    title, raw, severity, state, resources = PROCESSING_EVENTS[event_type]
    event = parse_event({'event': webhook_body(event_type, title=title, event=raw)}, {'id': '5'})
    assert (event['event_type'], event['category']) == (event_type, 'processing')
    assert event['project_id'] == '12' and event['pipeline_id'] == '345'
    assert (event['severity'], event['pipeline_state'], event['title']) == (severity, state, title)
    assert event['raw_event'] == raw
    assert event['resource_ids'] == resources


def test_processing_event_alarm_counts():
    title, raw, *_ = PROCESSING_EVENTS['processing_finished']
    event = parse_event({'event': webhook_body('processing_finished', title=title, event=raw)})
    assert (event['alarms_malicious'], event['alarms_suspicious']) == (0, 1)
    _, text, *_ = PROCESSING_EVENTS['processing_with_alarms']
    event = parse_event({'event': webhook_body('processing_with_alarms', event=text)})
    assert (event['alarms_malicious'], event['alarms_suspicious'], event['evidence_id']) == (2, 5, '9')


def test_plain_text_event():
    event = parse_event({'event': 'Detection ID: 4411 in investigation 27 (severity critical) T1059'})
    assert (event['detection_id'], event['project_id'], event['severity']) == ('4411', '27', 'critical')
    assert event['raw_event'].startswith('Detection ID: 4411')


# --- the current incident as default ------------------------------------------------------------------------

def test_default_is_current_incident_rawjson():
    body = webhook_body('detection_created', detection_id='21', title='t')
    event = parse_event({}, {'id': '9', 'rawJSON': json.dumps(body), 'CustomFields': {}})
    assert event['detection_id'] == '21' and event['incident_id'] == '9'


def test_an_incident_without_rawjson_is_an_empty_event():
    event = parse_event({}, {'id': '9', 'rawJSON': '', 'CustomFields': {'cadodetectionid': '21'}})
    assert (event['category'], event['detection_id'], event['key']) == ('unknown', '', 'incident-9')


def test_project_name_prefix_and_length():
    event = parse_event({'event': {}, 'incident_id': '1234', 'project_name_prefix': 'P' * 100})
    assert event['project_name'] == ('P' * 100 + ' 1234')[:80]


# --- hostile events -------------------------------------------------------------------------------------------

def test_unsubstituted_template_variables_are_empty():
    body = webhook_body('detection_created', detection_id='$detection_id', group_id='${group_id}', title='$Title')
    event = parse_event({'event': body})
    assert event['detection_id'] == event['group_id'] == event['title'] == ''
    assert event['event_type'] == 'detection_created'
    assert event['incident_name'] == 'Cado detection (no detection ID or title received)'


def test_quotes_newlines_and_markup_survive_as_text():
    raw = 'He said "rm -rf /"\nthen \'exit\' <script>alert(1)</script> in project 12 | pipe'
    body = webhook_body('high_severity_alarm', title='ALARM "quoted"\nline', event=raw)
    event = parse_event({'event': json.dumps(body)})
    assert event['raw_event'] == raw
    assert event['title'] == 'ALARM "quoted" line'
    assert event['project_id'] == '12'
    readable = parse_event_command({'event': body}).readable_output
    assert 'ALARM "quoted" line' in readable and '\n|' not in readable.split('ALARM')[1].split('|')[0]


@pytest.mark.parametrize('value', [None, '', '   ', [], {}, 0, 3.5, True, 'null', '[]', '"just a string"', '123',
                                   [None, '', {}], '{unclosed', "{'a': (1,}", '[' * 5000 + ']' * 5000,
                                   '{"a":' * 3000 + '1' + '}' * 3000, {'cado_event': {'nested': 'object'}},
                                   {'resource_data': 'i-0123456789abcdef0'}, {'resource_data': [None, 5, 'x y']},
                                   {'mitre': 'T1078'}, {'severity': {'bad': 1}}, {'id': ['list']},
                                   {'cado_event': 'x' * 2_000_000}])
def test_hostile_values_never_raise(value):
    event = parse_event({'event': value})
    assert set(event) >= {'event_type', 'detection_id', 'resource_ids', 'raw_event', 'key'}
    assert isinstance(event['resource_ids'], list)
    json.dumps(event)  # always serialisable to context


def test_huge_inputs_are_cut():
    huge = parse_event({'event': {'cado_event': 'project 7 ' + 'x' * 2_000_000}})
    assert huge['project_id'] == '7'
    assert len(huge['raw_event']) == CadoParseEvent.MAX_TEXT


def test_ids_that_are_not_ids_are_dropped():
    body = webhook_body('detection_created', detection_id='1; DROP TABLE x', group_id='a' * 500, title='t')
    event = parse_event({'event': body})
    assert event['detection_id'] == '' and event['group_id'] == ''


def test_headers_are_not_searched():
    body = webhook_body('processing_finished', title='PROCESSING FINISHED', event='done')
    body['headers'] = {'x-project-id': '666', 'project_id': '666', 'authorization': 'Basic c2VjcmV0'}
    event = parse_event({'event': body})
    assert event['project_id'] == ''
    assert 'c2VjcmV0' not in json.dumps(event)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                    lambda children: st.lists(children, max_size=4)
                    | st.dictionaries(st.sampled_from(['cado_event', 'resource_data', 'severity', 'mitre', 'id',
                                                       'project_id', 'cado_detection', 'status', 'x']) | st.text(max_size=5),
                                      children, max_size=4), max_leaves=20))
def test_any_structure_parses(value):
    event = parse_event({'event': value})
    json.dumps(event)
    assert event['category'] in ('detection', 'processing', 'unknown')


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses(text):
    for value in (text, json.dumps(text), webhook_body('processing_failed', title=text, event=text)):
        event = parse_event({'event': value})
        json.dumps(event)


# --- command results and main -------------------------------------------------------------------------------

def test_command_results_shape():
    result = parse_event_command({'event': load('detection_guardduty_ec2.json')}, {'id': '12'})
    assert result.outputs_prefix == 'CadoEvent'
    assert result.outputs_key_field == 'key'
    assert result.outputs['key'] == 'incident-12'
    assert 'Cado event' in result.readable_output and 'i-0123456789abcdef0' in result.readable_output
    context = result.to_context()['EntryContext']
    # One entry under the prefix; the key expression's wording is the server's CommonServerPython's.
    assert [path.split('(')[0] for path in context] == ['CadoEvent'] and list(context.values()) == [result.outputs]


def test_outputs_are_the_yaml_outputs():
    outputs = yaml.safe_load((Path(__file__).parent / 'CadoParseEvent.yml').read_text())['outputs']
    declared = {output['contextPath'].split('.')[1] for output in outputs}
    assert set(parse_event({'event': load('fetched_incident_rawjson.json')})) == declared


def test_main_reads_args_and_incident(mocker):
    body = webhook_body('detection_created', detection_id='31', title='t')
    mocker.patch.object(demisto, 'args', return_value={})
    mocker.patch.object(demisto, 'incident', return_value={'id': '2', 'rawJSON': json.dumps(body)})
    returned = mocker.patch.object(CadoParseEvent, 'return_results')
    CadoParseEvent.main()
    assert returned.call_args[0][0].outputs['detection_id'] == '31'


def test_main_reports_errors(mocker):
    mocker.patch.object(demisto, 'args', return_value={'event': 'x'})
    mocker.patch.object(demisto, 'incident', return_value={})
    mocker.patch.object(CadoParseEvent, 'parse_event_command', side_effect=RuntimeError('boom'))
    error = mocker.patch.object(CadoParseEvent, 'return_error')
    CadoParseEvent.main()
    assert 'boom' in error.call_args[0][0]


# --- command results folded in (the playbooks' later calls) ----------------------------------------------------

def test_unrelated_detections_are_not_merged():
    body = webhook_body('detection_created', detection_id='999', title='t')
    event = parse_event({'event': body, 'detection': [load('detection_guardduty_ec2.json')]})
    assert event['resource_ids'] == [] and event['severity'] == ''
    processing = webhook_body('processing_finished', title='PROCESSING FINISHED', event='project 20')
    event = parse_event({'event': processing, 'detection': [load('detection_guardduty_ec2.json'),
                                                            load('detection_wiz_s3.json')]})
    assert event['resource_ids'] == ['acme-exports']  # only the detection of project 20
    nothing = parse_event({'event': {}, 'detection': [load('detection_guardduty_ec2.json')]})
    assert nothing['resource_ids'] == [] and nothing['project_id'] == ''


def test_project_selection_and_alarm_counts():
    projects = [{'id': 3, 'details': {'name': 'XSOAR incident 77 old'}, 'alarms': {'malicious': 9, 'suspicious': 9}},
                {'id': 4, 'details': {'name': 'XSOAR incident 77'}, 'alarms': {'malicious': 0, 'suspicious': 2}}]
    body = webhook_body('detection_created', detection_id='1', title='t')
    by_name = parse_event({'event': body, 'projects': projects}, {'id': '77'})
    assert by_name['project_id'] == '4' and (by_name['alarms_malicious'], by_name['alarms_suspicious']) == (0, 2)
    linked = parse_event({'event': body, 'projects': projects + [{'id': 8, 'incident_id': '77'}]}, {'id': '77'})
    assert linked['project_id'] == '8'
    by_id = parse_event({'event': body, 'project_id': '3', 'projects': json.dumps(projects)}, {'id': '77'})
    assert by_id['project_id'] == '3' and by_id['alarms_malicious'] == 9
    unknown_id = parse_event({'event': body, 'project_id': '5', 'projects': projects}, {'id': '77'})
    assert unknown_id['project_id'] == '5' and unknown_id['alarms_malicious'] is None
    named = parse_event({'event': body, 'project_name': 'XSOAR incident 77 old', 'projects': projects})
    assert named['project_id'] == '3'


def test_acquisition_and_pipeline_results():
    acquisitions = [{'pipeline_id': 10, 'project_id': 4, 'status': 'complete'},
                    {'pipeline_id': 11, 'project_id': 4, 'status': 'complete', 'processing_pipeline_id': 12,
                     'processing_status': 'in_progress', 'evidence_id': 5, 'detection_count': 3}]
    body = webhook_body('detection_created', detection_id='1', title='t')
    event = parse_event({'event': body, 'acquisitions': acquisitions}, {'id': '77'})
    assert (event['project_id'], event['pipeline_id'], event['processing_pipeline_id']) == ('4', '11', '12')
    assert event['pipeline_state'] == 'in_progress' and event['pipeline_running'] is True
    assert event['evidence_id'] == '5' and event['detection_count'] == 3
    partial = [{'pipeline_id': 11, 'project_id': 4, 'status': 'failed', 'processing_status': 'complete'}]
    assert parse_event({'event': body, 'acquisitions': partial})['pipeline_state'] == 'failed', \
        'one pipeline processed does not make a partly failed acquisition complete'
    other_project = parse_event({'event': body, 'project_id': '9', 'acquisitions': acquisitions})
    assert other_project['pipeline_id'] == ''
    polled = parse_event({'event': webhook_body('high_severity_alarm', title='HIGH SEVERITY ALARM DETECTED',
                                                event='pipeline 345 project 12'),
                          'pipelines': [{'id': 344, 'status': 'failed'}, {'id': 345, 'status': 'Complete'}]})
    assert polled['pipeline_state'] == 'complete' and polled['pipeline_running'] is False
    no_project = parse_event({'event': 'pipeline 345', 'pipelines': [{'id': 345, 'status': 'complete',
                                                                        'project': {'id': 12, 'name': 'p'}}]})
    assert no_project['project_id'] == '12'


def test_pipeline_fields_from_the_incident_on_a_rerun():
    body = webhook_body('detection_created', detection_id='1', title='t')
    event = parse_event({'event': body, 'pipeline_id': '11', 'pipeline_state': 'queued'})
    assert event['pipeline_running'] is True
    assert parse_event({'event': body, 'pipeline_id': '11', 'pipeline_state': 'complete'})['pipeline_running'] is False
    assert parse_event({'event': body})['pipeline_running'] is False


@pytest.mark.parametrize('state, malicious, suspicious, expected', [
    ('complete', 0, 0, True), ('complete', 1, 0, False), ('complete', 0, 4, False), ('in_progress', 0, 0, False),
    ('complete', None, None, False)])
def test_nothing_found(state, malicious, suspicious, expected):
    project = {'id': 4, 'alarms': {'malicious': malicious, 'suspicious': suspicious}}
    event = parse_event({'event': webhook_body('detection_created', detection_id='1', title='t'), 'project_id': '4',
                         'pipeline_id': '11', 'pipeline_state': state, 'projects': [project]})
    assert event['nothing_found'] is expected


def test_detection_count_from_listed_project_detections():
    detections = [load('detection_wiz_gce.json'), load('detection_wiz_s3.json'), load('detection_darktrace.json')]
    event = parse_event({'event': webhook_body('processing_finished', title='PROCESSING FINISHED',
                                               event='project 20'), 'detection': detections})
    assert event['detection_count'] == 2
    assert parse_event({'event': {}})['detection_count'] is None


def test_project_link():
    event = parse_event({'event': load('detection_guardduty_ec2.json'), 'cado_url': 'https://acme.cadocloud.com/'})
    assert event['project_link'] == 'https://acme.cadocloud.com/projects/17'
    assert parse_event({'event': {}, 'cado_url': 'https://x'})['project_link'] == ''


def test_summary_lists_findings():
    project = {'id': 17, 'alarms': {'malicious': 2, 'suspicious': 1}}
    readable = parse_event_command({'event': load('detection_guardduty_ec2.json'), 'projects': [project],
                                    'acquisitions': [{'pipeline_id': 5, 'project_id': 17, 'status': 'complete',
                                                      'detection_count': 4}]}).readable_output
    for header in ('Detection Id', 'Project Id', 'Pipeline State', 'Alarms Malicious', 'Detection Count'):
        assert header in readable
    assert parse_event_command({'event': {}}).readable_output.splitlines()[1:] == ['|Nothing Found|', '|---|', '| false |']
