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
from fake_cado import FakeCado, detection
from fake_xsoar import FakeXsoar
from playbook_runner import Run, integration_commands, playbooks

SAMPLES = webhook.samples()
INTEGRATION = webhook.PACK / 'Integrations' / 'CadoSecurity'
MAIN, SUB, LINK = 'Cado Detection Response', 'Cado Acquire and Investigate', 'Cado Link Project for Mirroring'
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


def scripts(**more) -> dict:
    """The pack's scripts the playbooks run: CadoParseEvent, and CadoDeduplicate on an incident store of its own."""
    return {'CadoParseEvent': script, 'CadoDeduplicate': FakeXsoar().dedup_script(), **more}


def run(incident, fake, playbook=MAIN, inputs=None, answers=None) -> Run:
    runner = Run(incident, fake, scripts(), answers=answers)
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
    if sample['body'].get('cado_event'):  # kept as received, even when Cado left the variable unsubstituted
        assert incident['CustomFields']['cadorawevent'] == sample['body']['cado_event']


@pytest.mark.parametrize('path', SAMPLES, ids=lambda p: p.stem)
def test_raw_substitution_outcome_is_documented(path):
    """Without JSON escaping, what the same values would do to the body, as each sample records it."""
    sample = webhook.load_json(path)
    text = webhook.substitute_raw(CadoSecurity.xsoar_webhook_payload(sample['event_type']), sample['substitutions'])
    try:
        incidents = webhook.generic_webhook(text)
    except webhook.WebhookRejected:
        assert sample['raw_substitution'].startswith('invalid JSON')  # no incident: nothing reaches XSOAR
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
    assert outcomes['hostile_detection_event_injection'] == 'valid JSON, but different: cado_event'
    assert outcomes['hostile_event_not_json'] == 'valid JSON'


SMUGGLING = '", "type": "Unclassified", "name": "pwned", "cado_webhook_event": "admin_login", "cado_detection_id": "666'
HOSTILE_EVENTS = [SMUGGLING, 'plain text', "{'python': 'repr'}", '{"json": "object"}', 'line\nbreak', 'back\\slash',
                  '"', '"}', '{', '$Title', '']


def raw_values(event_type: str, event: str) -> dict[str, str]:
    return {'$Event': event, '$Title': 'SSH brute force', '$detection_id': '1001', '$group_id': '7',
            '$event_type': event_type}


@pytest.mark.parametrize('event_type', sorted(CadoSecurity.XSOAR_WEBHOOK_PAYLOADS))
def test_event_cannot_override_the_templates_own_keys(event_type):
    """Cado requires $Title and $Event in every template. $Event comes first: substituted without escaping, the keys
    it smuggles in precede the template's own and lose to them; with escaping they stay data inside cado_event."""
    template = CadoSecurity.xsoar_webhook_payload(event_type)
    assert list(template)[0] == 'cado_event' and template['cado_event'] == '$Event'
    assert '$Title' in json.dumps(template)
    values = raw_values(event_type, SMUGGLING)
    expected = webhook.substitute_escaped(template, values)
    assert expected['cado_event'] == SMUGGLING
    [incident] = webhook.generic_webhook(webhook.substitute_raw(template, values))
    raw = json.loads(incident['rawJSON'])
    assert (incident['name'], incident['type']) == (expected['name'], expected['type'])
    assert {key: raw[key] for key in template if key != 'cado_event'} == \
        {key: expected[key] for key in template if key != 'cado_event'}


@pytest.mark.parametrize('event', HOSTILE_EVENTS)
def test_detection_templates_break_no_more_than_processing_templates(event):
    """Without escaping, whether a body still parses depends on $Event alone, the same for every template."""
    def parses(event_type: str) -> bool:
        template = CadoSecurity.xsoar_webhook_payload(event_type)
        try:
            webhook.generic_webhook(webhook.substitute_raw(template, raw_values(event_type, event)))
        except webhook.WebhookRejected:
            return False
        return True

    outcomes = {event_type: parses(event_type) for event_type in CadoSecurity.XSOAR_WEBHOOK_PAYLOADS}
    assert len(set(outcomes.values())) == 1, outcomes


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

def detection_incident(detection_id='1001', event='detection_created', incident_id='42', group_id=''):
    body = webhook.substitute_escaped(CadoSecurity.xsoar_webhook_payload(event), {
        '$detection_id': detection_id, '$Title': 'SSH brute force', '$event_type': event, '$group_id': group_id,
        '$Event': f'Detection {detection_id}: SSH brute force'})
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
    runner = Run(detection_incident(), fake, scripts())
    context = runner.run(MAIN)
    found = context['Cado']['Detection']
    assert [d['id'] for d in (found if isinstance(found, list) else [found])] == [1001]


def test_pushed_detection_is_found_exactly_among_many():
    """Other detections, newer ones on other resources among them, neither land in context nor get acquired."""
    others = [dict(detection('detection_defender_azure_vm.json'), id=2000 + n) for n in range(150)]
    fake = FakeCado([detection('detection_guardduty_ec2.json'), *others])
    runner = Run(detection_incident(), fake, scripts())
    context = runner.run(MAIN)
    assert context['Cado']['Detection']['id'] == 1001 and context['Cado']['Detection']['found'] is True
    assert [args['instance_id'] for _, args in fake.acquired] == ['i-0123456789abcdef0']


def test_every_layout_field_is_filled_after_a_detection_run_and_a_mirroring_cycle():
    """The playbook fills the event's fields; the Cado Project fields are Cado's, filled by incoming mirroring."""
    incident = detection_incident()
    run(incident, cado(), inputs={'CadoURL': 'https://acme.cadocloud.com'})
    webhook.apply_mirrored(incident, webhook.load_json(webhook.MIRRORED / 'project_17.json'))
    values = dict(incident['CustomFields'], **{k: v for k, v in incident.items() if k != 'CustomFields'})
    not_for_this_event = {'cadogroupid'}  # Cado sent no group
    for layout in LAYOUTS.values():
        for field in layout_fields(layout) - not_for_this_event:
            assert values.get(field) not in (None, '', []), f'{layout["id"]}: {field} is empty'
    assert incident['CustomFields']['cadoprojectlink'] == 'https://acme.cadocloud.com/projects/17'


def test_every_layout_field_has_a_source():
    """Each custom field a layout shows is a pack field of that type, filled by the mapper or by the playbooks."""
    set_by_playbook = {arg for doc in (playbooks()[MAIN], playbooks()[SUB], playbooks()[LINK])
                       for task in doc['tasks'].values()
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
    runner = Run(incident, fake, scripts())
    context = runner.run(MAIN)
    assert fake.acquired == [] and fake.created == []
    assert [name for name, _ in runner.calls if name.startswith('cado-')] == ['cado-detection-get']
    assert incident['CustomFields']['cadoresponsestate'] == 'detection_not_found'
    assert runner.waiting == 'Find the detection in Cado'
    assert 'Cado did not return detection 999: Cado has no asset for detection 999 (HTTP 404).' in runner.manual[0][1]
    assert context['Cado'] == {'Detection': {'id': 999, 'found': False,  # and nothing unrelated
                                             'reason': 'Cado has no asset for detection 999 (HTTP 404).'}}


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
    declined, unacquired = detection_incident('1002', incident_id='43'), cado()  # Cado has no acquisition to reuse
    run(declined, unacquired, answers={'Approve the acquisition?': 'Do not acquire'})
    assert unacquired.acquired == [] and declined['CustomFields']['cadoresponsestate'] == 'declined'
    low = detection_incident('1001', incident_id='44')
    run(low, fake, inputs={'AutoAcquireSeverities': 'critical', 'ApprovalSeverities': 'medium'})
    assert len(fake.acquired) == 1 and low['CustomFields']['cadoresponsestate'] == 'not_acquired_by_policy'
    assert low['CustomFields']['cadoresourceids'] == ['i-0123456789abcdef0']


def test_a_recent_acquisition_of_the_asset_is_reused():
    fake = FakeCado(cado().detections, existing={1001: [
        {'acquired': True, 'evidence_id': 9, 'pipeline_id': 321, 'created': CadoSecurity.now_ms() - 3_600_000}]})
    incident = detection_incident()
    runner = run(incident, fake)
    assert fake.acquired == [] and fake.lookups[0]['reuse_within_hours'] == '24'
    fields = incident['CustomFields']
    assert (fields['cadoresponsestate'], str(fields['cadopipelineid']), fields['cadopipelinestate']) == (
        'reused', '321', 'complete')
    assert runner.manual == []
    run(detection_incident(incident_id='45'), fake, inputs={'ReuseWithinHours': '0'})
    assert [command for command, _ in fake.acquired] == ['cado-aws-ec2-acquire']


@pytest.mark.parametrize('detection_id, inputs, shown, argument', [
    ('1004', {'GCSBucket': 'stage', 'GCSProject': 'acme-tools'},
     ('gcp gce miner-vm, cado-gcp-gce-acquire needs gcs_bucket,gcs_project',), {'gcs_bucket': 'stage'}),
    ('1006', {'DarktraceAppliance': 'dt-1'},
     ('darktrace endpoint ws-0042, cado-darktrace-endpoint-acquire needs appliance_name',), {'appliance_name': 'dt-1'}),
], ids=['gce-without-bucket', 'darktrace-without-appliance'])
def test_missing_details_are_asked_for_then_given_as_inputs(detection_id, inputs, shown, argument):
    fake = FakeCado(cado().detections + [detection('detection_darktrace.json')])
    fake.projects.setdefault(21, fake.project(21, 'Darktrace'))
    gate = {'AutoAcquireSeverities': 'critical,high,medium,low'}
    incident = detection_incident(detection_id)
    runner = run(incident, fake, inputs=gate)
    assert fake.acquired == [] and incident['CustomFields']['cadoresponsestate'] == 'needs_input'
    assert runner.waiting == "Give the acquisition's missing details"
    assert all(text in runner.manual[0][1] for text in shown), runner.manual[0][1]
    run(incident, fake, inputs=dict(gate, **inputs))
    [(_, args)] = fake.acquired
    assert argument.items() <= args.items()


def test_a_container_resource_is_acquired_with_its_details_or_asked_for():
    """GuardDuty's EKS finding names the pod, its namespace and its container: the acquisition has them. A detection
    that names only the cluster asks the analyst for them."""
    sources = INTEGRATION / 'test_data' / 'detection_list_sources.json'
    eks = next(item for item in json.loads(sources.read_text())['data'] if item['id'] == 602)
    cluster = dict(detection('detection_guardduty_ec2.json'), id=1020, resource_data=[
        {'resource_id': 'prod', 'full_resource_id': 'arn:aws:eks:us-east-2:123456789012:cluster/prod'}])
    fake = FakeCado([eks, cluster])
    run(detection_incident('602'), fake, inputs={'AutoAcquireSeverities': 'high,medium'})
    [(command, args)] = fake.acquired
    assert command == 'cado-aws-eks-acquire'
    assert {'project_id': '30', 'account': 'aws-prod', 'region': 'us-east-1', 'cluster_name': 'prod-eks',
            'pod_name': 'checkout-7d9f8b6c5-x2k4p', 'pod_namespace': 'shop', 'container_name': 'checkout'}.items() \
        <= args.items()
    incident = detection_incident('1020', incident_id='46')
    runner = run(incident, fake)
    assert len(fake.acquired) == 1 and incident['CustomFields']['cadoresponsestate'] == 'needs_input'
    assert 'aws eks prod, cado-aws-eks-acquire needs pod_name,pod_namespace,container_name' in runner.manual[0][1]


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
    runner = Run(incident, {'cado-analyst': analyst, 'cado-admin': admin}, scripts())
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


VERDICT_FIELDS = ('cadodetectionid', 'cadoeventtype', 'cadogroupid', 'cadoprojectid', 'cadoseverity', 'cadosource',
                  'cadoresourceids', 'cadoresourcetype', 'cadocloudprovider', 'cadopipelinestate', 'cadomaliciousalarms',
                  'cadosuspiciousalarms', 'cadodetectioncount', 'cadomitretechniques')


def test_pushed_and_fetched_detections_end_with_the_same_fields():
    """One detection pushed (Cado's webhook through Generic Webhook's rules) and fetched (fetch-incidents), each through
    the mapper and the playbook: the same fields filled, the same verdict, and Cado Raw Event holding the event each
    intake really carries. Cado's $group_id of a detection is taken to be its investigation ID, as fetch-incidents
    assumes (Cado keys detection groups by investigation ID)."""
    found = detection('detection_guardduty_ec2.json')
    sample = webhook.load_json(webhook.SAMPLES / 'detection_created.json')
    values = dict(sample['substitutions'], **{'$group_id': str(found['investigation_id'])})
    pushed = intake(webhook.substitute_escaped(CadoSecurity.xsoar_webhook_payload('detection_created'), values), '42')
    fetched = dict(webhook.apply_mapper(CadoSecurity.detection_incident(found, True)), id='43')
    for incident in (pushed, fetched):
        assert run(incident, cado()).path[-1] == f'{MAIN}/Done'
    push_fields, pull_fields = pushed['CustomFields'], fetched['CustomFields']
    assert {k for k, v in push_fields.items() if v not in (None, '', [])} == \
        {k for k, v in pull_fields.items() if v not in (None, '', [])}
    assert {k: push_fields.get(k) for k in VERDICT_FIELDS} == {k: pull_fields.get(k) for k in VERDICT_FIELDS}
    assert (pushed['name'], pushed['severity']) == (fetched['name'], fetched['severity'])
    assert push_fields['cadorawevent'] == values['$Event']
    assert pull_fields['cadorawevent'] == found['raw_event']


# --- the sub-playbook for any incident -------------------------------------------------------------------------

def other_incident(incident_id='900'):
    return {'id': incident_id, 'name': 'GuardDuty finding', 'type': 'AWS GuardDuty', 'rawJSON': '{}',
            'CustomFields': {}}


@pytest.mark.parametrize('inputs, command, expected', [
    ({'Provider': 'aws', 'ResourceID': 'arn:aws:ec2:us-east-2:123456789012:instance/i-0fedcba9876543210'},
     'cado-aws-ec2-acquire', {'instance_id': 'i-0fedcba9876543210', 'region': 'us-east-2', 'account': 'aws-prod'}),
    ({'Provider': 'aws', 'ResourceType': 'S3Bucket', 'ResourceID': 'acme-logs'}, 'cado-aws-s3-acquire',
     {'bucket': 'acme-logs', 'account': 'aws-prod'}),
    ({'ResourceID': 'arn:aws:lambda:eu-west-1:123456789012:function:resize'}, 'cado-aws-lambda-acquire',
     {'function_name': 'resize', 'region': 'eu-west-1', 'account': 'aws-prod'}),
    ({'ResourceID': 'gs://acme-exports', 'Account': 'acme'}, 'cado-gcp-gcs-acquire',
     {'bucket': 'acme-exports', 'gcp_project': 'acme', 'account': 'gcp-prod'}),
    ({'ResourceID': '/subscriptions/s-1/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/vm-1'},
     'cado-azure-vm-acquire', {'vm_name': 'vm-1', 'subscription_id': 's-1', 'resource_group': 'rg-1',
                               'account': 'azure-prod'}),
    ({'ResourceID': '/subscriptions/s-1/resourceGroups/rg-1/providers/Microsoft.Compute/disks/disk-1'},
     'cado-azure-disk-acquire', {'disk_name': 'disk-1', 'subscription_id': 's-1', 'resource_group': 'rg-1'}),
    ({'Provider': 'crowdstrike', 'ResourceID': 'aid-123'}, 'cado-xdr-device-acquire',
     {'device_id': 'aid-123', 'provider': 'crowdstrike', 'account': 'falcon'}),
    ({'Provider': 'gcp', 'ResourceType': 'gce', 'ResourceID': 'vm-9', 'Zone': 'europe-west4-b', 'Account': 'acme',
      'GCSBucket': 'stage', 'GCSProject': 'acme-tools'}, 'cado-gcp-gce-acquire',
     {'instance_name': 'vm-9', 'zone': 'europe-west4-b', 'instance_project': 'acme', 'gcs_bucket': 'stage',
      'gcs_project': 'acme-tools'}),
    ({'Provider': 'darktrace', 'ResourceID': 'ws-1', 'DarktraceAppliance': 'dt-1'}, 'cado-darktrace-endpoint-acquire',
     {'device_id': 'ws-1', 'appliance_name': 'dt-1'}),
    ({'Provider': 'url', 'ResourceID': 'https://files.example/evidence.zip'}, 'cado-url-acquire',
     {'url': 'https://files.example/evidence.zip'}),
    ({'ResourceID': 'arn:aws:eks:us-east-2:123456789012:cluster/prod', 'PodName': 'web-5d9f', 'PodNamespace': 'shop',
      'ContainerName': 'nginx'}, 'cado-aws-eks-acquire',
     {'cluster_name': 'prod', 'region': 'us-east-2', 'account': 'aws-prod', 'pod_name': 'web-5d9f',
      'pod_namespace': 'shop', 'container_name': 'nginx'}),
    ({'Provider': 'aws', 'ResourceType': 'ecs', 'ResourceID': 'arn:aws:ecs:eu-west-1:123456789012:cluster/jobs',
      'TaskName': 'nightly', 'ContainerName': 'worker'}, 'cado-aws-ecs-acquire',
     {'cluster_name': 'jobs', 'region': 'eu-west-1', 'account': 'aws-prod', 'task_name': 'nightly',
      'container_name': 'worker'}),
    ({'ResourceID': 'projects/acme/zones/europe-west2-a/clusters/gke-1', 'PodName': 'api-0', 'PodNamespace': 'default',
      'ContainerName': 'api'}, 'cado-gcp-gke-acquire',
     {'gcp_project': 'acme', 'cluster_name': 'gke-1', 'zone': 'europe-west2-a', 'pod_name': 'api-0',
      'pod_namespace': 'default', 'container_name': 'api'}),
    ({'ResourceID': '/subscriptions/s-1/resourceGroups/rg-1/providers/Microsoft.Storage/storageAccounts/acmelogs',
      'ContainerName': 'audit', 'BlobName': 'day1.log'}, 'cado-azure-blob-acquire',
     {'subscription_id': 's-1', 'storage_account_name': 'acmelogs', 'container_name': 'audit', 'blob_name': 'day1.log',
      'account': 'azure-prod'}),
    ({'Provider': 'azure', 'ResourceType': 'aks', 'ResourceID': 'aks-1', 'Account': 's-1', 'ResourceGroup': 'rg-1',
      'PodName': 'pay-1', 'PodNamespace': 'pay', 'ContainerName': 'svc'}, 'cado-azure-aks-acquire',
     {'subscription_id': 's-1', 'resource_group': 'rg-1', 'cluster_name': 'aks-1', 'pod_name': 'pay-1',
      'pod_namespace': 'pay', 'container_name': 'svc', 'account': 'azure-prod'}),
], ids=lambda value: value if isinstance(value, str) else None)
def test_sub_playbook_acquires_for_any_incident(inputs, command, expected):
    """Every acquisition task, from a resource identifier and the inputs the resource does not give."""
    fake = FakeCado()
    runner = Run(other_incident(), fake, scripts())
    context = runner.run(SUB, inputs)
    [(called, args)] = fake.acquired
    assert called == command and expected.items() <= args.items()
    required = {a['name'] for a in integration_commands()[command]['arguments'] if a.get('required')}
    assert required <= set(args) | {'account'}  # the instance's default account stands in for a missing one
    assert args['polling'] == 'true' and args['wait_for_processing'] == 'true'
    assert fake.created == ['XSOAR incident 900'] and args['project_id'] == '500'
    assert runner.path[-1] == f'{SUB}/Done' and runner.manual == []
    assert context['Cado']['Acquisition']['processing_status'] == 'complete'


def test_sub_playbook_finds_the_project_instead_of_creating_it_again():
    fake = FakeCado()
    inputs = {'Provider': 'aws', 'ResourceID': 'i-0fedcba9876543210', 'Region': 'us-east-1'}
    run(other_incident(), fake, SUB, inputs)
    run(other_incident(), fake, SUB, inputs)
    assert fake.created == ['XSOAR incident 900']
    assert [args['project_id'] for _, args in fake.acquired] == ['500', '500']


def test_sub_playbook_never_reads_a_foreign_incidents_rawjson():
    """The incident may come from any source: its own project_id (a GCP finding's) is no Cado project."""
    fake = FakeCado()
    incident = dict(other_incident(), rawJSON=json.dumps({'project_id': 'acme-prod', 'investigation_id': 7}))
    run(incident, fake, SUB, {'Provider': 'aws', 'ResourceID': 'i-0fedcba9876543210', 'Region': 'us-east-1'})
    assert fake.created == ['XSOAR incident 900'] and fake.acquired[0][1]['project_id'] == '500'


def test_sub_playbook_takes_the_project_linked_to_the_cado_incident():
    """Cado links projects to its own incident IDs (a detection's incident_id), never to XSOAR's."""
    fake = FakeCado()
    fake.projects[30] = fake.project(30, 'Cado incident 7')
    fake.incident_links['cado-inc-7'] = 30
    runner = run(other_incident('901'), fake, SUB, {'Provider': 'aws', 'ResourceID': 'i-0fedcba9876543210',
                                                    'Region': 'us-east-1', 'CadoIncidentID': 'cado-inc-7'})
    [(_, args)] = [call for call in runner.calls if call[0] == 'cado-incident-project-get']
    assert args == {'incident_id': 'cado-inc-7'}
    assert fake.created == [] and fake.acquired[0][1]['project_id'] == '30'


def test_sub_playbook_uses_a_given_project():
    fake = cado()
    run(other_incident(), fake, SUB, {'Provider': 'aws', 'ResourceID': 'i-0fedcba9876543210', 'Region': 'us-east-1',
                                      'ProjectID': '17'})
    assert fake.created == [] and fake.acquired[0][1]['project_id'] == '17'


def test_sub_playbook_records_a_resource_it_cannot_acquire_in_front_of_an_analyst():
    """A resource Cado has no acquisition for (an IAM user) is said in front of an analyst; nothing is created."""
    fake, iam = FakeCado(), other_incident('902')
    runner = run(iam, fake, SUB, {'ResourceID': 'arn:aws:iam::123456789012:user/alice'})
    assert fake.created == [] and fake.acquired == []
    assert iam['CustomFields']['cadoresponsestate'] == 'unsupported_resource'
    assert runner.waiting == 'Assess the resource by hand' and 'aws iam alice' in runner.manual[0][1]


def test_sub_playbook_container_without_its_details_asks_for_them():
    """Without the pod, namespace and container names no container command can succeed: none is sent, and the
    analyst is asked for them, with the cluster and what is missing (a detection on an EKS cluster carries only it)."""
    fake, incident = FakeCado(), other_incident()
    runner = run(incident, fake, SUB, {'Provider': 'aws', 'ResourceType': 'eks', 'ResourceID': 'prod',
                                       'Region': 'us-east-1'})
    assert fake.acquired == [] and fake.created == ['XSOAR incident 900']  # kept for when the details come
    assert incident['CustomFields']['cadoresponsestate'] == 'needs_input'
    assert runner.waiting == "Give the acquisition's missing details"
    assert 'aws eks prod, cado-aws-eks-acquire needs pod_name,pod_namespace,container_name' in runner.manual[0][1]
    run(incident, fake, SUB, {'Provider': 'aws', 'ResourceType': 'eks', 'ResourceID': 'prod', 'Region': 'us-east-1',
                              'PodName': 'web-5d9f', 'PodNamespace': 'shop', 'ContainerName': 'nginx'})
    [(command, args)] = fake.acquired
    assert command == 'cado-aws-eks-acquire' and args['pod_name'] == 'web-5d9f'


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
    runner = Run(incident, fake, scripts(PrintErrorEntry=fail_the_test))
    runner.run('Cado Security - Test', {'CadoInstance': 'Cado Security_instance_1'})
    assert runner.path[-1] == 'Cado Security - Test/Test done'
    assert fake.created == ['XSOAR test playbook 7'] and 500 not in fake.projects
    assert fake.lookups and runner.manual == []
    assert [(command, args['url'], args['project_id']) for command, args in fake.acquired] == [
        ('cado-url-acquire', 'https://www.example.com/', '500')]
    assert {instance for instance, _ in runner.instance_calls} == {'Cado Security_instance_1'}


def test_the_test_playbook_fails_on_a_wrong_answer():
    """Its assertions have an else branch to an error: a lookup that finds nothing fails the test."""
    fake = cado()
    fake.cado_detection_get = lambda args: {'Cado.Detection(val.id && val.id == obj.id)': {'id': 1, 'found': False}}
    runner = Run({'id': '7', 'name': 'test', 'rawJSON': '', 'CustomFields': {}}, fake,
                 scripts(PrintErrorEntry=fail_the_test))
    with pytest.raises(AssertionError, match='an assertion failed'):
        runner.run('Cado Security - Test')
    assert 'Cado Security - Test/Was the detection found exactly?' in runner.path
