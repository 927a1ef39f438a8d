import json
from pathlib import Path

import demistomock as demisto
import pytest
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


# --- every form an event arrives in -------------------------------------------------------------------------

@pytest.mark.parametrize('name, provider, type_, rid, region, zone, account, command', [
    ('detection_guardduty_ec2.json', 'aws', 'ec2', 'i-0123456789abcdef0', 'eu-west-1', '', '123456789012',
     'cado-aws-ec2-acquire'),
    ('detection_defender_azure_vm.json', 'azure', 'vm', 'web-vm-01', 'westeurope', '',
     '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b', 'cado-azure-vm-acquire'),
    ('detection_crowdstrike_device.json', 'crowdstrike', 'device', '4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b', '', '', '',
     'cado-xdr-device-acquire'),
    ('detection_wiz_gce.json', 'gcp', 'gce', 'miner-vm', 'us-central1', 'us-central1-a', 'acme-prod',
     'cado-gcp-gce-acquire'),
    ('detection_wiz_s3.json', 'aws', 's3', 'acme-exports', '', '', '', 'cado-aws-s3-acquire'),
    ('detection_darktrace.json', 'darktrace', 'endpoint', 'ws-0042', '', '', '', 'cado-darktrace-endpoint-acquire'),
])
def test_api_detection_object(name, provider, type_, rid, region, zone, account, command):
    """An API detection (cado-detection-list, fetch's cado_detection) gives resources and the acquisition hint."""
    detection = load(name)
    event = parse_event({'event': detection})
    target = event['acquisition_target']
    assert (target['provider'], target['type'], target['id']) == (provider, type_, rid)
    assert (target['region'], target['zone'], target['account']) == (region, zone, account)
    assert event['acquisition_command'] == command
    assert event['category'] == 'detection'
    assert event['detection_id'] == str(detection['id'])
    assert event['project_id'] == str(detection['investigation_id'])
    assert event['severity'] == detection['severity']
    assert event['source'] == detection['source']
    assert event['resource_ids'] == [rid]


def test_guardduty_detection_details():
    event = parse_event({'event': load('detection_guardduty_ec2.json')})
    assert event['mitre_techniques'] == ['T1110']
    assert event['mitre'] == ['T1110 - Brute Force', 'TA0006 Credential Access']
    assert event['xsoar_severity'] == 3
    assert event['resources'][0]['full_id'] == 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0'
    assert event['title'] == event['name'] == 'UnauthorizedAccess:EC2/SSHBruteForce'


def test_detection_as_json_string_and_list():
    detection = load('detection_guardduty_ec2.json')
    from_string = parse_event({'event': json.dumps(detection)})
    from_object = parse_event({'event': detection})
    assert from_string['form'] == 'json' and from_object['form'] == 'object'
    assert {k: v for k, v in from_string.items() if k != 'form'} == {
        k: v for k, v in from_object.items() if k != 'form'}
    group = parse_event({'event': [detection, load('detection_wiz_s3.json')]})
    assert group['detection_id'] == '1001'
    assert group['resource_ids'] == ['i-0123456789abcdef0', 'acme-exports']
    assert group['mitre_techniques'] == ['T1110', 'T1530']
    assert group['severity'] == 'high'  # the highest of the group


def test_fetched_incident_rawjson():
    """fetch-incidents' rawJSON: the webhook template's fields plus cado_detection."""
    event = parse_event({'event': load('fetched_incident_rawjson.json')})
    assert event['event_type'] == 'detection_created'
    assert event['detection_id'] == '1001'
    assert event['cado_event_type'] == 'UnauthorizedAccess:EC2/SSHBruteForce'
    assert event['acquisition_command'] == 'cado-aws-ec2-acquire'
    assert event['project_id'] == '17'


@pytest.mark.parametrize('event_type', CadoParseEvent.DETECTION_EVENTS)
def test_webhook_detection_events(event_type):
    """Pushed detection events carry ids and the title only; the playbook fetches the rest."""
    body = webhook_body(event_type, detection_id='1001', group_id='55', title='SSH brute force',
                        cado_event_type='created')
    event = parse_event({'event': body}, {'id': '77'})
    assert event['event_type'] == event_type
    assert event['category'] == 'detection'
    assert (event['detection_id'], event['group_id'], event['title']) == ('1001', '55', 'SSH brute force')
    assert event['cado_event_type'] == 'created'
    assert event['resources'] == [] and event['acquisition_command'] == ''
    assert event['key'] == 'incident-77' and event['project_name'] == 'XSOAR incident 77'


def test_webhook_detection_then_detection_object_merged():
    """The playbook's second call: the webhook body plus the fetched detection make one event."""
    body = webhook_body('detection_updated', detection_id='1001', title='SSH brute force')
    event = parse_event({'event': body, 'detection': [load('detection_guardduty_ec2.json')]}, {'id': '77'})
    assert event['event_type'] == 'detection_updated'
    assert event['title'] == 'SSH brute force'
    assert event['acquisition_command'] == 'cado-aws-ec2-acquire'
    assert event['severity'] == 'high' and event['project_id'] == '17'
    assert event['key'] == 'incident-77'


PROCESSING_EVENTS = {
    # $Event as JSON text
    'high_severity_alarm': ('HIGH SEVERITY ALARM DETECTED',
                            json.dumps({'project_id': 12, 'pipeline_id': 345, 'evidence_id': 9, 'severity': 'high',
                                        'alarm': {'name': 'Reverse shell', 'resource': 'i-0abcdef0123456789'}}),
                            'high', '', ['i-0abcdef0123456789']),
    # $Event as str() of a Python dict
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
    assert event['event_type'] == event_type
    assert event['category'] == 'processing'
    assert event['project_id'] == '12' and event['pipeline_id'] == '345'
    assert event['severity'] == severity
    assert event['pipeline_state'] == state
    assert event['title'] == title
    assert event['raw_event'] == raw
    assert event['resource_ids'] == resources


def test_processing_event_alarm_counts():
    title, raw, *_ = PROCESSING_EVENTS['processing_finished']
    event = parse_event({'event': webhook_body('processing_finished', title=title, event=raw)})
    assert (event['alarms_malicious'], event['alarms_suspicious']) == (0, 1)


def test_event_type_from_title_when_literal_missing():
    body = {'name': 'Cado: HIGH SEVERITY ALARM DETECTED', 'cado_title': 'HIGH SEVERITY ALARM DETECTED',
            'cado_event': 'project 3'}
    assert parse_event({'event': body})['event_type'] == 'high_severity_alarm'


@pytest.mark.parametrize('wrapper', ['rawJson', 'raw_json'])
def test_generic_webhook_wrappers(wrapper):
    """A body that used Generic Webhook's rawJson/raw_json wrapper (either spelling) is unwrapped."""
    inner = webhook_body('detection_created', detection_id='8', title='t')
    event = parse_event({'event': {'name': 'x', wrapper: inner}})
    assert event['detection_id'] == '8' and event['event_type'] == 'detection_created'


def test_xsoar_incident_object_and_double_encoded_json():
    body = webhook_body('detection_created', detection_id='8', title='t')
    incident = {'id': '3', 'name': 'x', 'rawJSON': json.dumps(json.dumps(body))}
    event = parse_event({'event': incident})
    assert event['detection_id'] == '8'


def test_plain_text_event():
    event = parse_event({'event': 'Detection ID: 4411 on arn:aws:lambda:us-east-2:111122223333:function:billing '
                                  'in investigation 27 (severity critical) T1059'})
    assert event['form'] == 'text'
    assert event['detection_id'] == '4411' and event['project_id'] == '27'
    assert event['severity'] == 'critical'
    assert event['acquisition_command'] == 'cado-aws-lambda-acquire'
    assert event['acquisition_target']['id'] == 'billing'
    assert event['acquisition_target']['region'] == 'us-east-2'
    assert event['acquisition_target']['account'] == '111122223333'


@pytest.mark.parametrize('text, provider, type_, rid, command', [
    ('arn:aws:ecs:us-east-1:111122223333:task/prod-cluster/0a1b2c3d4e5f', 'aws', 'ecs', '0a1b2c3d4e5f',
     'cado-aws-ecs-acquire'),
    ('arn:aws:eks:us-east-1:111122223333:cluster/prod', 'aws', 'eks', 'prod', 'cado-aws-eks-acquire'),
    ('gs://acme-logs', 'gcp', 'gcs', 'acme-logs', 'cado-gcp-gcs-acquire'),
    ('//container.googleapis.com/projects/acme/locations/europe-west1/clusters/gke-1', 'gcp', 'gke', 'gke-1',
     'cado-gcp-gke-acquire'),
    ('/subscriptions/s-1/resourceGroups/rg/providers/Microsoft.Compute/disks/data-disk', 'azure', 'disk',
     'data-disk', 'cado-azure-disk-acquire'),
    ('/subscriptions/s-1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acmesa', 'azure', 'blob',
     'acmesa', 'cado-azure-blob-acquire'),
    ('/subscriptions/s-1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1', 'azure',
     'aks', 'aks1', 'cado-azure-aks-acquire'),
    ('arn:aws:iam::111122223333:user/alice', 'aws', 'iam', 'alice', ''),
])
def test_resource_identifiers(text, provider, type_, rid, command):
    event = parse_event({'event': f'Resource: {text}'})
    first = event['resources'][0]
    assert (first['provider'], first['type'], first['id']) == (provider, type_, rid)
    assert event['acquisition_command'] == command


def test_acquisition_hint_skips_resources_cado_cannot_acquire():
    event = parse_event({'event': 'arn:aws:iam::111122223333:user/alice then i-0123456789abcdef0'})
    assert event['acquisition_command'] == 'cado-aws-ec2-acquire'
    assert event['acquisition_target']['id'] == 'i-0123456789abcdef0'


# --- explicit inputs (the sub-playbook) ---------------------------------------------------------------------

def test_overrides_describe_the_resource():
    event = parse_event({'provider': 'aws', 'resource_type': 'Instance', 'resource_id': 'i-0fedcba9876543210',
                         'region': 'ap-south-1', 'account': '999988887777', 'project_id': '40'})
    target = event['acquisition_target']
    assert event['acquisition_command'] == 'cado-aws-ec2-acquire'
    assert (target['id'], target['region'], target['account']) == ('i-0fedcba9876543210', 'ap-south-1',
                                                                  '999988887777')
    assert event['project_id'] == '40'


def test_overrides_win_over_event_resources():
    event = parse_event({'event': load('detection_guardduty_ec2.json'), 'provider': 'crowdstrike',
                         'resource_id': 'aid-1,aid-2'})
    assert event['acquisition_command'] == 'cado-xdr-device-acquire'
    assert event['resource_ids'][:2] == ['aid-1', 'aid-2']
    assert 'i-0123456789abcdef0' in event['resource_ids']


def test_gcp_override_with_zone():
    event = parse_event({'provider': 'gcp', 'resource_type': 'gce', 'resource_id': 'vm-9', 'zone': 'europe-west4-b',
                         'account': 'acme-prod'})
    assert event['acquisition_command'] == 'cado-gcp-gce-acquire'
    assert event['acquisition_target']['zone'] == 'europe-west4-b'


@pytest.mark.parametrize('accounts, expected', [
    ([{'id': 1, 'account_name': 'aws-prod', 'type': 'aws',
       'public_identifier': 'arn:aws:iam::123456789012:role/CadoRole'},
      {'id': 2, 'account_name': 'aws-dev', 'type': 'aws',
       'public_identifier': 'arn:aws:iam::000000000000:role/CadoRole'}], 'aws-prod'),
    ([{'id': 3, 'account_name': 'only-aws', 'type': 'aws', 'public_identifier': 'x'},
      {'id': 4, 'account_name': 'gcp', 'type': 'gcp'}], 'only-aws'),
    ([{'id': 5, 'account_name': 'a', 'type': 'aws'}, {'id': 6, 'account_name': 'b', 'type': 'aws'}], ''),
    ([{'id': 7, 'account_name': 'x', 'type': 'aws', 'public_identifier': '91234567890123'},  # digits inside, not it
      {'id': 8, 'account_name': 'y', 'type': 'aws', 'public_identifier': 'arn:aws:iam::555:role/R'}], ''),
    ('not a list', ''),
])
def test_cado_account_matching(accounts, expected):
    event = parse_event({'event': load('detection_guardduty_ec2.json'), 'cloud_accounts': accounts})
    assert event['acquisition_target']['cado_account'] == expected


# --- the current incident as default ------------------------------------------------------------------------

def test_default_is_current_incident_rawjson():
    body = webhook_body('detection_created', detection_id='21', title='t')
    event = parse_event({}, {'id': '9', 'rawJSON': json.dumps(body), 'CustomFields': {}})
    assert event['detection_id'] == '21' and event['incident_id'] == '9'


def test_default_falls_back_to_incident_fields():
    incident = {'id': '9', 'name': 'Cado detection 21: t', 'rawJSON': '',
                'CustomFields': {'cadoeventtype': 'detection_updated', 'cadodetectionid': '21',
                                 'cadoprojectid': '4', 'cadoseverity': 'Low', 'cadosource': 'Wiz',
                                 'cadoresourceids': ['i-0123456789abcdef0']}}
    event = parse_event({}, incident)
    assert (event['event_type'], event['detection_id'], event['project_id']) == ('detection_updated', '21', '4')
    assert event['severity'] == 'low' and event['source'] == 'Wiz'
    assert event['acquisition_command'] == 'cado-aws-ec2-acquire'


def test_project_name_prefix_and_length():
    event = parse_event({'event': {}, 'incident_id': '1234', 'project_name_prefix': 'P' * 100})
    assert event['project_name'] == ('P' * 100 + ' 1234')[:80]


# --- hostile events -------------------------------------------------------------------------------------------

def test_unsubstituted_template_variables_are_empty():
    body = webhook_body('detection_created', detection_id='$detection_id', group_id='${group_id}', title='$Title',
                        cado_event_type='$event_type')
    event = parse_event({'event': body})
    assert event['detection_id'] == event['group_id'] == event['title'] == event['cado_event_type'] == ''
    assert event['event_type'] == 'detection_created'


def test_quotes_newlines_and_markup_survive_as_text():
    raw = 'He said "rm -rf /"\nthen \'exit\' <script>alert(1)</script> in project 12 | pipe'
    body = webhook_body('high_severity_alarm', title='ALARM "quoted"\nline', event=raw)
    event = parse_event({'event': json.dumps(body)})
    assert event['raw_event'] == raw
    assert event['title'] == 'ALARM "quoted" line'
    assert event['project_id'] == '12'
    readable = parse_event_command({'event': body}).readable_output
    assert 'ALARM "quoted" line' in readable and '\n|' not in readable.split('ALARM')[1].split('|')[0]


def test_broken_body_keeps_the_leading_fields():
    """A body whose $Event was substituted without JSON escaping is no JSON any more; the fields before
    cado_event are recovered and the event text after it is kept whole."""
    raw = '{"project_id": 12, "note": "a "quoted" word"}'
    text = ('{"name": "Cado: HIGH SEVERITY ALARM DETECTED", "type": "Cado Processing Event", '
            '"cado_webhook_event": "high_severity_alarm", "cado_title": "HIGH SEVERITY ALARM DETECTED", '
            f'"source_brand": "Cado Security", "cado_event": "{raw}"}}')
    with pytest.raises(ValueError):
        json.loads(text)
    event = parse_event({'event': text})
    assert event['form'] == 'text'
    assert event['event_type'] == 'high_severity_alarm'
    assert event['title'] == 'HIGH SEVERITY ALARM DETECTED'
    assert event['raw_event'] == raw
    assert event['project_id'] == '12'


@pytest.mark.parametrize('value', [None, '', '   ', [], {}, 0, 3.5, True, 'null', '[]', '"just a string"', '123',
                                   b'{"cado_detection_id": "5"}', [None, '', {}], '{unclosed', "{'a': (1,}",
                                   '[' * 5000 + ']' * 5000, '{"a":' * 3000 + '1' + '}' * 3000,
                                   "{'a': " * 3000 + '1' + '}' * 3000, {'cado_event': {'nested': 'object'}},
                                   {'resource_data': 'i-0123456789abcdef0'}, {'resource_data': [None, 5, 'x y']},
                                   {'mitre': 'T1078'}, {'severity': {'bad': 1}}, {'id': ['list']},
                                   {'rawJson': 'not json'}, {'cado_event': 'x' * 2_000_000}])
def test_hostile_values_never_raise(value):
    event = parse_event({'event': value})
    assert set(event) >= {'event_type', 'detection_id', 'resources', 'acquisition_command', 'form'}
    assert isinstance(event['resources'], list)
    json.dumps(event)  # always serialisable to context


def test_bytes_and_huge_inputs():
    assert parse_event({'event': b'{"cado_detection_id": "5"}'})['detection_id'] == '5'
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
                                                       'project_id', 'rawJson', 'region', 'x']) | st.text(max_size=5),
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
    assert 'Cado event' in result.readable_output and 'Resources' in result.readable_output
    assert 'i-0123456789abcdef0' in result.readable_output
    context = result.to_context()['EntryContext']
    assert list(context) == ['CadoEvent(val.key && val.key == obj.key)']


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
    assert event['resources'] == [] and event['acquisition_command'] == ''
    processing = webhook_body('processing_finished', title='PROCESSING FINISHED', event='project 20')
    event = parse_event({'event': processing, 'detection': [load('detection_guardduty_ec2.json'),
                                                            load('detection_wiz_s3.json')]})
    assert event['resource_ids'] == ['acme-exports']  # only the detection of project 20


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


def test_project_link_and_cado_account_override():
    event = parse_event({'event': load('detection_guardduty_ec2.json'), 'cado_url': 'https://acme.cadocloud.com/',
                         'cado_account': 'aws-prod'})
    assert event['project_link'] == 'https://acme.cadocloud.com/projects/17'
    assert event['acquisition_target']['cado_account'] == 'aws-prod'
    assert parse_event({'event': {}, 'cado_url': 'https://x'})['project_link'] == ''


def test_explicit_resource_does_not_read_the_incident():
    body = webhook_body('detection_created', detection_id='21', title='t')
    incident = {'id': '9', 'rawJSON': json.dumps(body)}
    event = parse_event({'provider': 'aws', 'resource_type': 'ec2', 'resource_id': 'i-0fedcba9876543210'}, incident)
    assert event['detection_id'] == '' and event['incident_id'] == '9'
    assert event['resource_ids'] == ['i-0fedcba9876543210']


def test_summary_lists_findings():
    project = {'id': 17, 'alarms': {'malicious': 2, 'suspicious': 1}}
    readable = parse_event_command({'event': load('detection_guardduty_ec2.json'), 'projects': [project],
                                    'acquisitions': [{'pipeline_id': 5, 'project_id': 17, 'status': 'complete',
                                                      'detection_count': 4}]}).readable_output
    for title in ('Cado event', 'Resources', 'Cado project and pipeline', 'Findings'):
        assert title in readable
    assert parse_event_command({'event': {}}).readable_output
