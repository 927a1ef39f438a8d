"""Incident intake end to end: Cado's webhook body -> Generic Webhook -> the pack's mapper -> the pack's playbooks
(run by playbook_runner on a fake Cado) -> the incident fields the layout shows.

The samples in samples/ are synthetic (Cado does not publish $Event). Each holds the values Cado substitutes, the
body Generic Webhook receives under the documented assumption that Cado JSON-escapes what it substitutes, what a
plain-text substitution would give instead, and the incident fields expected after intake and the playbook.
"""
import json

import CadoSecurity
import intake_webhook as webhook
import pytest
from CadoParseEvent import parse_event_command
from fake_cado import FakeCado, acquisition, detection
from playbook_runner import Run, integration_commands, playbooks

SAMPLES = webhook.samples()
MAIN, SUB = 'Cado Detection Response', 'Cado Acquire and Investigate'
FIELDS = webhook.incident_fields()
CLI_NAMES = {f['cliName']: f for f in FIELDS.values()}
LAYOUTS = {doc['id']: doc for doc in map(webhook.load_json, sorted((webhook.PACK / 'Layouts').glob('*.json')))}
TYPES = {doc['id']: doc for doc in map(webhook.load_json, sorted((webhook.PACK / 'IncidentTypes').glob('*.json')))}


def script(args, incident):
    return parse_event_command(args, incident).to_context()['EntryContext']


def cado() -> FakeCado:
    """Detections 1001 (GuardDuty EC2, project 17), 1002 (Defender Azure VM, project 18), 1004 (Wiz GCE,
    project 20), with alarms once acquired in project 17."""
    return FakeCado([detection('detection_guardduty_ec2.json'), detection('detection_defender_azure_vm.json'),
                     dict(detection('detection_wiz_gce.json'), id=1004)], alarms={17: (2, 1)})


def intake(body, incident_id='42') -> dict:
    [incident] = webhook.generic_webhook(json.dumps(body))
    return dict(webhook.apply_mapper(incident), id=incident_id)


def run(incident, fake, playbook=MAIN, inputs=None, answers=None) -> Run:
    runner = Run(incident, fake, {'CadoParseEvent': script}, answers=answers)
    runner.run(playbook, inputs)
    return runner


def analyst(approve: str = 'Acquire') -> dict[str, str]:
    """An analyst who completes every manual task of the pack's playbooks and approves the acquisitions."""
    return {task['task']['name']: '#none#' if task['type'] == 'regular' else approve
            for doc in playbooks().values() for task in doc['tasks'].values() if Run.is_manual(task)}


def layout_fields(layout: dict) -> set[str]:
    return {item['fieldId'] for tab in layout['detailsV2']['tabs'] for section in tab.get('sections') or []
            for item in section.get('items') or []}


def strings_in(data) -> list[str]:
    if isinstance(data, dict):
        return [s for v in data.values() for s in strings_in(v)]
    if isinstance(data, list):
        return [s for v in data for s in strings_in(v)]
    return [data] if isinstance(data, str) else []


def test_there_is_a_sample_for_every_event_type_and_hostile_ones():
    covered = {webhook.load_json(path)['event_type'] for path in SAMPLES}
    assert covered == set(CadoSecurity.XSOAR_WEBHOOK_PAYLOADS)
    assert len([p for p in SAMPLES if p.name.startswith('hostile_')]) >= 6


@pytest.mark.parametrize('path', SAMPLES, ids=lambda p: p.stem)
def test_sample_is_the_integrations_template_filled_by_cado(path):
    sample = webhook.load_json(path)
    assert sample['_comment'].startswith('SYNTHETIC')
    template = CadoSecurity.xsoar_webhook_payload(sample['event_type'])
    assert sample['body'] == webhook.substitute_escaped(template, sample['substitutions'])


@pytest.mark.parametrize('path', SAMPLES, ids=lambda p: p.stem)
def test_generic_webhook_and_mapper(path):
    """Generic Webhook's rules give the name, the pack's type and the whole body as rawJSON; the mapper fills the
    fields the body carries; nothing Cado sent is lost."""
    sample = webhook.load_json(path)
    incident = intake(sample['body'])
    assert incident['name'] == sample['body']['name'] and incident['name'] != webhook.DEFAULT_NAME
    assert incident['type'] in TYPES
    raw = json.loads(incident['rawJSON'])
    assert {k: v for k, v in raw.items() if k != 'headers'} == sample['body']
    assert incident['CustomFields']['cadoeventtype'] == sample['event_type']
    if sample['body'].get('cado_event'):
        assert incident['CustomFields']['cadorawevent'] == sample['body']['cado_event']
    for value in sample['substitutions'].values():  # every substituted value is in rawJSON verbatim
        assert any(value in text for text in strings_in(raw))
    mapping = webhook.mapper()['mapping'][incident['type']]['internalMapping']
    assert set(mapping) <= set(FIELDS) | {'details'}
    assert all(incident['type'] in FIELDS[name]['associatedTypes'] for name in mapping if name in FIELDS)


@pytest.mark.parametrize('path', SAMPLES, ids=lambda p: p.stem)
def test_playbook_on_every_sample(path):
    """The default playbook of the incident's type runs to the end on every sample and leaves the expected fields,
    a clear name and the event as received."""
    sample = webhook.load_json(path)
    incident = intake(sample['body'])
    assert TYPES[incident['type']]['playbookId'] == MAIN
    runner = run(incident, cado(), answers=analyst())
    assert runner.path[-1] == f'{MAIN}/Done'
    values = dict(incident['CustomFields'], name=incident['name'])
    for key, expected in sample['expect'].items():
        assert values.get(key) == expected, f'{key}: {values.get(key)!r} != {expected!r}'
    assert incident['name'].startswith('Cado') and '$' not in incident['name']
    assert set(incident['CustomFields']) <= set(CLI_NAMES)
    assert all(incident['type'] in CLI_NAMES[cli]['associatedTypes'] for cli in incident['CustomFields'])
    if sample['body'].get('cado_event'):
        assert incident['CustomFields']['cadorawevent'] == sample['substitutions']['$Event']


@pytest.mark.parametrize('path', SAMPLES, ids=lambda p: p.stem)
def test_raw_substitution_outcome_is_documented(path):
    """Without JSON escaping, what the same values would do to the body, as each sample records it."""
    sample = webhook.load_json(path)
    text = webhook.substitute_raw(CadoSecurity.xsoar_webhook_payload(sample['event_type']), sample['substitutions'])
    try:
        incidents = webhook.generic_webhook(text)
    except webhook.WebhookRejected:
        assert sample['raw_substitution'].startswith('invalid JSON')
        # The text still holds every field before cado_event, and the event after it; CadoParseEvent recovers them
        # if such a text reaches XSOAR another way.
        event = parse_event_command({'event': text}, {}).outputs
        assert event['event_type'] == sample['event_type'] and event['form'] == 'text'
        return
    raw = json.loads(incidents[0]['rawJSON'])
    differs = sorted(k for k in set(raw) | set(sample['body']) if k != 'headers' and raw.get(k) != sample['body'].get(k))
    assert sample['raw_substitution'] == ('valid JSON' if not differs else
                                          f'valid JSON, but different: {", ".join(differs)}')


def test_hostile_samples_cover_the_cases():
    outcomes = {p.stem: webhook.load_json(p)['raw_substitution'] for p in SAMPLES if p.stem.startswith('hostile_')}
    assert outcomes['hostile_event_quotes_newlines'].startswith('invalid JSON')
    assert outcomes['hostile_title_quotes'].startswith('invalid JSON')
    # $Event comes first in the template, so keys it smuggles in are overridden by the real name and type.
    assert outcomes['hostile_event_injection'] == 'valid JSON, but different: cado_event'
    assert outcomes['hostile_event_not_json'] == 'valid JSON'


def test_generic_webhook_rules():
    """The documented rules the simulation applies: top-level name/type/occurred, rawJson or raw_json object else the
    whole body, one incident per list item, a default name, and no incident for a body that is not JSON."""
    [wrapped] = webhook.generic_webhook('{"name": "n", "type": "t", "occurred": "2024-01-01T00:00:00Z", '
                                        '"rawJson": {"a": 1}}')
    assert (wrapped['name'], wrapped['type'], wrapped['occurred']) == ('n', 't', '2024-01-01T00:00:00Z')
    assert json.loads(wrapped['rawJSON']) == {'a': 1, 'headers': {'content-type': 'application/json'}}
    older, plain = webhook.generic_webhook([{'raw_json': {'b': 2}}, {'c': 3}])
    assert json.loads(older['rawJSON'])['b'] == 2 and older['name'] == webhook.DEFAULT_NAME
    assert json.loads(plain['rawJSON'])['c'] == 3 and plain['type'] is None
    with pytest.raises(webhook.WebhookRejected):
        webhook.generic_webhook('{"name": "broken')


def test_large_event_is_kept_whole():
    event = 'project 12 pipeline 345 ' + 'A' * 300_000
    body = webhook.substitute_escaped(CadoSecurity.xsoar_webhook_payload('processing_with_alarms'),
                                      {'$Title': 'PROCESSING FINISHED WITH ALARMS', '$Event': event})
    incident = intake(body)
    run(incident, cado())
    assert incident['CustomFields']['cadorawevent'] == event
    assert incident['CustomFields']['cadoprojectid'] == '12'


# --- the detection flow ---------------------------------------------------------------------------------------

def detection_incident(detection_id='1001', event='detection_created', incident_id='42'):
    body = webhook.substitute_escaped(CadoSecurity.xsoar_webhook_payload(event), {
        '$detection_id': detection_id, '$Title': 'SSH brute force', '$event_type': event, '$group_id': ''})
    return intake(body, incident_id)


def test_pushed_detection_is_read_acquired_and_summarised():
    fake, incident = cado(), detection_incident()
    runner = run(incident, fake)
    assert fake.lookups == [{'detection_id': '1001', 'reuse_within_hours': '24'}]  # exactly, not among recent ones
    assert 'cado-detection-list' not in [name for name, _ in runner.calls][:runner.calls.index(
        ('cado-aws-ec2-acquire', fake.acquired[0][1]))]
    [(command, args)] = fake.acquired
    assert command == 'cado-aws-ec2-acquire'
    assert args == {'project_id': '17', 'account': 'aws-prod', 'region': 'eu-west-1',
                    'instance_id': 'i-0123456789abcdef0', 'polling': 'true', 'wait_for_processing': 'true',
                    'interval_in_seconds': '30', 'timeout_in_seconds': '3600'}
    fields = incident['CustomFields']
    assert fields['cadoresourceids'] == ['i-0123456789abcdef0']
    assert (fields['cadocloudprovider'], fields['cadoresourcetype']) == ('aws', 'ec2')
    assert fields['cadoprojectid'] == '17' and fields['cadopipelinestate'] == 'complete'
    assert fields['cadoresponsestate'] == 'processed'
    assert (fields['cadomaliciousalarms'], fields['cadosuspiciousalarms']) == (2, 1)
    assert fields['cadodetectioncount'] == 1
    assert fields['cadomitretechniques'] == ['T1110'] and fields['cadoseverity'] == 'high'
    assert incident['severity'] == 'high' and 'closed' not in incident
    assert fake.created == [] and runner.manual == []  # the detection's own project; nobody had to act
    assert runner.path[-1] == f'{MAIN}/Done'


def test_no_unrelated_detection_reaches_the_context():
    fake = FakeCado([detection('detection_guardduty_ec2.json'), detection('detection_defender_azure_vm.json'),
                     detection('detection_wiz_s3.json')], alarms={17: (2, 1)})
    runner = Run(detection_incident(), fake, {'CadoParseEvent': script})
    context = runner.run(MAIN)
    found = context['Cado']['Detection']
    assert [d['id'] for d in (found if isinstance(found, list) else [found])] == [1001]


def test_every_layout_field_is_filled_after_a_detection_run():
    incident = detection_incident()
    run(incident, cado(), inputs={'CadoURL': 'https://acme.cadocloud.com'})
    values = dict(incident['CustomFields'], **{k: v for k, v in incident.items() if k != 'CustomFields'})
    not_for_this_event = {'cadogroupid', 'cadorawevent'}  # no group; detections carry no $Event
    for layout in LAYOUTS.values():
        for field in layout_fields(layout) - not_for_this_event:
            assert values.get(field) not in (None, '', []), f'{layout["id"]}: {field} is empty'
    assert incident['CustomFields']['cadoprojectlink'] == 'https://acme.cadocloud.com/projects/17'


def test_every_layout_field_has_a_source():
    """Each custom field a layout shows is a pack field of that type, filled by the mapper or by the playbooks."""
    set_by_playbook = {arg for doc in (playbooks()[MAIN], playbooks()[SUB]) for task in doc['tasks'].values()
                       if task['task'].get('script') == 'Builtin|||setIncident'
                       for arg in task.get('scriptarguments') or {}}
    mapped = {FIELDS[name]['cliName'] for rules in webhook.mapper()['mapping'].values()
              for name in rules['internalMapping'] if name in FIELDS}
    for layout in LAYOUTS.values():
        custom = {f for f in layout_fields(layout) if f.startswith('cado')}
        assert custom <= set(CLI_NAMES), layout['id']
        assert all(layout['id'] in CLI_NAMES[f]['associatedTypes'] for f in custom)
        assert custom <= set_by_playbook | mapped, sorted(custom - set_by_playbook - mapped)
    assert {t['layout'] for t in TYPES.values()} == set(LAYOUTS)


def test_rerun_after_a_complete_acquisition_acquires_nothing():
    fake, incident = cado(), detection_incident()
    run(incident, fake)
    runner = run(incident, fake)  # the analyst re-runs the playbook
    assert len(fake.acquired) == 1 and fake.created == [] and len(fake.lookups) == 1
    assert incident['CustomFields']['cadopipelinestate'] == 'complete'
    assert f'{MAIN}/Get the project' in runner.path


def test_close_when_nothing_found_is_an_input():
    sample = webhook.load_json(webhook.SAMPLES / 'processing_finished.json')
    kept = intake(sample['body'])
    run(kept, cado())
    assert 'closed' not in kept
    closed = intake(sample['body'])
    run(closed, cado(), inputs={'CloseIfNothingFound': 'true'})
    assert closed['closed']['closeReason'] == 'Resolved'
    with_alarms = detection_incident()
    run(with_alarms, cado(), inputs={'CloseIfNothingFound': 'true'})
    assert 'closed' not in with_alarms
    processed = detection_incident('1002')  # project 18 raises no alarm
    run(processed, cado(), inputs={'CloseIfNothingFound': 'true', 'AutoAcquireSeverities': 'medium'})
    assert processed['closed']['closeReason'] == 'Resolved'
    assert 'Cado processed the evidence of project 18' in processed['closed']['closeNotes']


def test_processing_not_finished_never_closes():
    """Without waiting for processing the counts are 0 because nothing has been analysed yet: not a finding."""
    fake, incident = cado(), detection_incident('1002')
    run(incident, fake, inputs={'CloseIfNothingFound': 'true', 'AutoAcquireSeverities': 'medium',
                                'WaitForProcessing': 'false'})
    [(_, args)] = fake.acquired
    assert args['wait_for_processing'] == 'false'
    assert 'closed' not in incident
    assert incident['CustomFields']['cadoresponsestate'] == 'acquired'


def test_processing_event_waits_for_its_pipeline_with_polling():
    sample = webhook.load_json(webhook.SAMPLES / 'high_severity_alarm.json')
    incident = intake(sample['body'])
    runner = run(incident, FakeCado())
    [(_, args)] = [call for call in runner.calls if call[0] == 'cado-pipeline-get']
    assert args['polling'] == 'true' and args['pipeline_id'] == '345'
    assert incident['CustomFields']['cadopipelinestate'] == 'complete'


@pytest.mark.parametrize('outcome', ['failed', 'cancelled'])
def test_failed_acquisition_is_recorded_in_front_of_an_analyst_and_retried(outcome):
    fake, incident = FakeCado(cado().detections, alarms={17: (2, 1)}, outcomes=[outcome]), detection_incident()
    runner = run(incident, fake)
    fields = incident['CustomFields']
    assert fields['cadoresponsestate'] == 'acquisition_failed' and fields['cadopipelinestate'] == outcome
    pipeline_id = str(fields['cadopipelineid'])
    assert pipeline_id == '500' and 'closed' not in incident
    assert runner.waiting == 'Review the acquisition that did not complete'
    [(_, description)] = runner.manual
    assert f'ended {outcome} (pipeline 500, subtask "Copying snapshot to Cado": synthetic {outcome})' in description
    assert 'i-0123456789abcdef0' in description
    rerun = run(incident, fake)  # after fixing the cause, the analyst runs the playbook again
    assert [command for command, _ in fake.acquired] == ['cado-aws-ec2-acquire'] * 2
    assert fields['cadoresponsestate'] == 'processed' and fields['cadopipelinestate'] == 'complete'
    assert str(fields['cadopipelineid']) != pipeline_id and rerun.manual == []


def test_timed_out_acquisition_is_followed_when_run_again():
    """A timeout stops only the waiting: the pipeline still runs in Cado, so a re-run follows it, never pays again."""
    fake, incident = FakeCado(cado().detections, alarms={17: (2, 1)}, outcomes=['timeout']), detection_incident()
    runner = run(incident, fake)
    fields = incident['CustomFields']
    assert (fields['cadoresponsestate'], fields['cadopipelinestate']) == ('acquisition_failed', 'timeout')
    assert runner.waiting == 'Review the acquisition that did not complete'
    assert 'after a timeout it follows the pipeline' in runner.manual[0][1]
    rerun = run(incident, fake)
    assert len(fake.acquired) == 1
    [(_, args)] = [call for call in rerun.calls if call[0] == 'cado-pipeline-get']
    assert args['pipeline_id'] == str(fields['cadopipelineid']) == '500' and args['polling'] == 'true'
    assert fields['cadopipelinestate'] == 'complete'


def test_pipeline_that_does_not_complete_is_recorded_in_front_of_an_analyst():
    sample = webhook.load_json(webhook.SAMPLES / 'high_severity_alarm.json')
    incident = intake(sample['body'])
    runner = run(incident, FakeCado(outcomes=['failed']))
    assert incident['CustomFields']['cadopipelinestate'] == 'failed'
    assert incident['CustomFields']['cadoresponsestate'] == 'pipeline_not_complete'
    assert runner.waiting == 'Review the pipeline that did not complete'
    assert 'Cado pipeline 345 ended failed' in runner.manual[0][1]


def test_detection_not_found_is_said_and_handed_to_an_analyst():
    fake, incident = cado(), detection_incident('999')
    runner = Run(incident, fake, {'CadoParseEvent': script})
    context = runner.run(MAIN)
    assert fake.acquired == [] and fake.created == []
    assert [name for name, _ in runner.calls if name.startswith('cado-')] == ['cado-detection-get']
    assert incident['CustomFields']['cadoresponsestate'] == 'detection_not_found'
    assert runner.waiting == 'Find the detection in Cado'
    assert 'Cado did not return detection 999: Cado has no detection 999.' in runner.manual[0][1]
    assert context == {'CadoEvent': context['CadoEvent']}  # the sub-playbook stopped: nothing unrelated came back


def test_the_gate_acquires_high_asks_for_medium_and_leaves_the_rest():
    fake, incident = cado(), detection_incident('1002')  # medium
    runner = run(incident, fake)
    assert fake.acquired == [] and runner.waiting == 'Approve the acquisition?'
    assert incident['CustomFields']['cadoresponsestate'] == 'awaiting_approval'
    description = runner.manual[0][1]
    for shown in ('Cado detection 1002 (medium, Defender)', 'azure vm web-vm-01', 'cado-azure-vm-acquire',
                  'Cado project 18'):
        assert shown in description
    run(incident, fake, answers={'Approve the acquisition?': 'Acquire'})
    assert [command for command, _ in fake.acquired] == ['cado-azure-vm-acquire']
    declined = detection_incident('1002', incident_id='43')
    run(declined, fake, answers={'Approve the acquisition?': 'Do not acquire'})
    assert len(fake.acquired) == 1 and declined['CustomFields']['cadoresponsestate'] == 'declined'
    low = detection_incident('1001', incident_id='44')
    run(low, fake, inputs={'AutoAcquireSeverities': 'critical', 'ApprovalSeverities': 'medium'})
    assert len(fake.acquired) == 1 and low['CustomFields']['cadoresponsestate'] == 'not_acquired_by_policy'
    assert low['CustomFields']['cadoresourceids'] == ['i-0123456789abcdef0']


def test_a_recent_acquisition_of_the_asset_is_reused():
    fake = FakeCado(cado().detections, existing={1001: [
        {'acquired': True, 'evidence_id': 9, 'pipeline_id': 321, 'created': '2024-11-20T00:00:00Z'}]})
    incident = detection_incident()
    runner = run(incident, fake)
    assert fake.acquired == [] and fake.lookups[0]['reuse_within_hours'] == '24'
    fields = incident['CustomFields']
    assert (fields['cadoresponsestate'], str(fields['cadopipelineid']), fields['cadopipelinestate']) == (
        'reused', '321', 'complete')
    assert runner.manual == []
    run(detection_incident(incident_id='45'), fake, inputs={'ReuseWithinHours': '0'})
    assert [command for command, _ in fake.acquired] == ['cado-aws-ec2-acquire']


@pytest.mark.parametrize('detection_id, inputs, missing, argument', [
    ('1004', {'GCSBucket': 'stage', 'GCSProject': 'acme-tools'}, 'gcs_bucket', {'gcs_bucket': 'stage'}),
    ('1006', {'DarktraceAppliance': 'dt-1'}, 'appliance_name', {'appliance_name': 'dt-1'}),
], ids=['gce-without-bucket', 'darktrace-without-appliance'])
def test_missing_details_are_asked_for_then_given_as_inputs(detection_id, inputs, missing, argument):
    fake = FakeCado(cado().detections + [detection('detection_darktrace.json')])
    fake.projects.setdefault(21, fake.project(21, 'Darktrace'))
    gate = {'AutoAcquireSeverities': 'critical,high,medium,low'}
    incident = detection_incident(detection_id)
    runner = run(incident, fake, inputs=gate)
    acquisition_ = fake.classify(next(d for d in fake.detections if d['id'] == int(detection_id)))
    assert fake.acquired == [] and incident['CustomFields']['cadoresponsestate'] == 'needs_input'
    assert runner.waiting == "Give the acquisition's missing details"
    description = runner.manual[0][1]
    for shown in (acquisition_['resource_id'], acquisition_['command'], missing, acquisition_['browse_command']):
        assert shown in description, shown
    run(incident, fake, inputs=dict(gate, **inputs))
    [(command, args)] = fake.acquired
    assert command == acquisition_['command'] and argument.items() <= args.items()


def test_a_container_resource_is_acquired_with_its_details_or_asked_for():
    cluster = dict(detection('detection_guardduty_ec2.json'), id=1020, severity='high',
                   resource_data=[{'resource_id': 'prod', 'full_resource_id': 'arn:aws:eks:us-east-2:1:cluster/prod'}])
    known = dict(cluster, id=1021)
    fake = FakeCado([cluster, known], acquisitions={
        1020: acquisition('cado-aws-eks-acquire', 'aws', 'eks', 'prod', ('pod_name', 'pod_namespace', 'container_name'),
                          project_id=17, account='aws-prod', region='us-east-2', cluster_name='prod'),
        1021: acquisition('cado-aws-eks-acquire', 'aws', 'eks', 'nginx', project_id=17, account='aws-prod',
                          region='us-east-2', cluster_name='prod', pod_name='web-5d9f', pod_namespace='shop',
                          container_name='nginx')})
    incident = detection_incident('1020')
    runner = run(incident, fake)
    assert fake.acquired == [] and incident['CustomFields']['cadoresponsestate'] == 'needs_input'
    description = runner.manual[0][1]
    assert "aws eks prod, cado-aws-eks-acquire needs pod_name,pod_namespace,container_name" in description
    run(detection_incident('1021', incident_id='46'), fake)
    [(command, args)] = fake.acquired
    assert command == 'cado-aws-eks-acquire'
    assert args == {'project_id': '17', 'account': 'aws-prod', 'region': 'us-east-2', 'cluster_name': 'prod',
                    'pod_name': 'web-5d9f', 'pod_namespace': 'shop', 'container_name': 'nginx', 'polling': 'true',
                    'wait_for_processing': 'true', 'interval_in_seconds': '30', 'timeout_in_seconds': '3600'}


def test_a_resource_cado_cannot_acquire_goes_to_an_analyst():
    iam = dict(detection('detection_guardduty_ec2.json'), id=1030,
               resource_data=[{'resource_id': 'arn:aws:iam::123456789012:user/alice'}])
    fake = FakeCado([iam])
    incident = detection_incident('1030')
    runner = run(incident, fake)
    assert fake.acquired == [] and fake.created == []
    assert incident['CustomFields']['cadoresponsestate'] == 'unsupported_resource'
    assert runner.waiting == 'Assess the resource by hand'


def test_two_cado_instances_only_the_chosen_one_is_used():
    """XSOAR runs a command on every instance when the task names none: an administrator instance (webhooks) and an
    analyst instance would both acquire. With CadoInstance every Cado task runs on that one."""
    analyst, admin = cado(), cado()
    incident = detection_incident()
    runner = Run(incident, {'cado-analyst': analyst, 'cado-admin': admin}, {'CadoParseEvent': script})
    runner.run(MAIN, {'CadoInstance': 'cado-analyst'})
    assert {instance for instance, _ in runner.instance_calls} == {'cado-analyst'}
    assert len(analyst.acquired) == 1 and admin.acquired == [] and admin.lookups == []
    assert runner.path[-1] == f'{MAIN}/Done'


def test_fetched_detection_maps_and_is_looked_up_exactly():
    """fetch-incidents' incident (built by the integration) uses the same mapper and playbook."""
    fake = cado()
    fetched = CadoSecurity.detection_incident(detection('detection_guardduty_ec2.json'), True)
    incident = dict(webhook.apply_mapper(fetched), id='43')
    fields = dict(incident['CustomFields'])
    assert fields['cadodetectionid'] == '1001' and fields['cadoprojectid'] == 17
    assert fields['cadoseverity'] == 'high' and fields['cadosource'] == 'GuardDuty'
    assert fields['cadoresourceids'] == ['i-0123456789abcdef0']
    assert fields['cadomitretechniques'] == ['T1110 - Brute Force', 'TA0006 Credential Access']
    run(incident, fake)
    assert [args['detection_id'] for args in fake.lookups] == ['1001']
    assert [command for command, _ in fake.acquired] == ['cado-aws-ec2-acquire']
    assert incident['CustomFields']['cadomitretechniques'] == ['T1110']


# --- the sub-playbook for any incident that names a Cado detection ---------------------------------------------

def other_incident(incident_id='900'):
    return {'id': incident_id, 'name': 'GuardDuty finding', 'type': 'AWS GuardDuty', 'rawJSON': '{}',
            'CustomFields': {}}


def declared_arguments(command: str) -> list[str]:
    return [a['name'] for a in integration_commands()[command].get('arguments') or []]


# Resources a detection can name; the SaaS log acquisitions (M365, Entra ID, Google Workspace) take a time range.
ACQUIRE_COMMANDS = sorted(name for name in integration_commands() if name.endswith('-acquire') and name not in (
    'cado-m365-ual-acquire', 'cado-entra-id-acquire', 'cado-google-workspace-acquire'))


@pytest.mark.parametrize('command', ACQUIRE_COMMANDS)
def test_sub_playbook_passes_every_argument_the_integration_read(command):
    """Each acquisition task sends the arguments cado-detection-get read for the resource, under the same names."""
    task = next(t for t in playbooks()[SUB]['tasks'].values() if t['task'].get('script') == f'|||{command}')
    from_detection = [name for name, value in task['scriptarguments'].items()
                      if value['simple'].startswith('${Cado.Detection.acquisition.arguments.')]
    arguments = {name: f'value-of-{name}' for name in from_detection}
    found = dict(detection('detection_guardduty_ec2.json'), id=1040)
    fake = FakeCado([found], acquisitions={1040: dict(acquisition(command, 'p', 't', 'r'),
                                                      arguments=dict(arguments, project_id=17))})
    run(other_incident(), fake, SUB, {'DetectionID': '1040', 'GCSBucket': 'b', 'GCSProject': 'p',
                                      'DarktraceAppliance': 'a'})
    [(called, args)] = fake.acquired
    assert called == command and arguments.items() <= args.items()
    required = {a['name'] for a in integration_commands()[command]['arguments'] if a.get('required')}
    assert required <= set(args)
    assert {a for a in arguments if a in declared_arguments(command)} == set(arguments)


def test_sub_playbook_uses_a_given_project():
    fake = cado()
    fake.projects[40] = fake.project(40, 'chosen')
    run(other_incident(), fake, SUB, {'DetectionID': '1001', 'ProjectID': '40'})
    assert fake.created == [] and fake.acquired[0][1]['project_id'] == '40'


def test_pack_readme_shows_the_integrations_template_for_every_event_type():
    readme = (webhook.PACK / 'README.md').read_text()
    for event in CadoSecurity.XSOAR_WEBHOOK_PAYLOADS:
        assert f'| `{event}` | `{json.dumps(CadoSecurity.xsoar_webhook_payload(event))}` |' in readme
    for text in ('Cado Security - Incoming Mapper', '/instance/execute/<instance-name>',
                 'ext-<tenant-fqdn>/xsoar/instance/execute/<instance-name>', 'instance.execute.external.',
                 '<username>:<password>@', 'Not verified', 'fetch-incidents'):
        assert text in readme


def fail_the_test(args, incident):
    raise AssertionError(args['message'])


def test_the_test_playbook_passes_against_the_fake_and_cleans_up():
    fake = cado()
    incident = {'id': '7', 'name': 'test', 'rawJSON': '', 'CustomFields': {}}
    runner = Run(incident, fake, {'CadoParseEvent': script, 'PrintErrorEntry': fail_the_test})
    runner.run('Cado Security - Test', {'CadoInstance': 'Cado Security_instance_1'})
    assert runner.path[-1] == 'Cado Security - Test/Test done'
    assert fake.created == ['XSOAR test playbook 7'] and 500 not in fake.projects
    assert fake.lookups and fake.acquired == [] and runner.manual == []
    assert {instance for instance, _ in runner.instance_calls} == {'Cado Security_instance_1'}


def test_the_test_playbook_fails_on_a_wrong_answer():
    """Its assertions have an else branch to an error: a lookup that finds nothing fails the test."""
    fake = cado()
    fake.cado_detection_get = lambda args: {'Cado.Detection(val.id && val.id == obj.id)': {'id': 1, 'found': False}}
    runner = Run({'id': '7', 'name': 'test', 'rawJSON': '', 'CustomFields': {}}, fake,
                 {'CadoParseEvent': script, 'PrintErrorEntry': fail_the_test})
    with pytest.raises(AssertionError, match='an assertion failed'):
        runner.run('Cado Security - Test')
    assert 'Cado Security - Test/Was the detection found exactly?' in runner.path
