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
from playbook_runner import Run, playbooks

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


def run(incident, fake, playbook=MAIN, inputs=None) -> Run:
    runner = Run(incident, fake, {'CadoParseEvent': script, 'CadoDeduplicate': FakeXsoar().dedup_script()})
    runner.run(playbook, inputs)
    return runner


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
    runner = run(incident, cado())
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
    [(command, args)] = fake.acquired
    assert command == 'cado-aws-ec2-acquire'
    assert args == {'project_id': '17', 'account': 'aws-prod', 'region': 'eu-west-1',
                    'instance_id': 'i-0123456789abcdef0', 'polling': 'true', 'wait_for_processing': 'true',
                    'interval_in_seconds': '30', 'timeout_in_seconds': '3600'}
    fields = incident['CustomFields']
    assert fields['cadoresourceids'] == ['i-0123456789abcdef0']
    assert (fields['cadocloudprovider'], fields['cadoresourcetype']) == ('aws', 'ec2')
    assert fields['cadoprojectid'] == '17' and fields['cadopipelinestate'] == 'complete'
    assert (fields['cadomaliciousalarms'], fields['cadosuspiciousalarms']) == (2, 1)
    assert fields['cadodetectioncount'] == 1
    assert fields['cadomitretechniques'] == ['T1110'] and fields['cadoseverity'] == 'high'
    assert incident['severity'] == 'high' and 'closed' not in incident
    assert fake.created == []  # the detection's own project is used
    summaries = [args for name, args in runner.calls if name == 'CadoParseEvent']
    assert len(summaries) == 4  # normalise, add the detection, describe the resource (sub-playbook), summarise


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
    """Each custom field a layout shows is a pack field of that type, filled by the mapper or by the playbook."""
    main = playbooks()[MAIN]
    set_by_playbook = {arg for task in main['tasks'].values() if task['task'].get('script') == 'Builtin|||setIncident'
                       for arg in task.get('scriptarguments') or {}}
    mapped = {FIELDS[name]['cliName'] for rules in webhook.mapper()['mapping'].values()
              for name in rules['internalMapping'] if name in FIELDS}
    for layout in LAYOUTS.values():
        custom = {f for f in layout_fields(layout) if f.startswith('cado')}
        assert custom <= set(CLI_NAMES), layout['id']
        assert all(layout['id'] in CLI_NAMES[f]['associatedTypes'] for f in custom)
        assert custom <= set_by_playbook | mapped, sorted(custom - set_by_playbook - mapped)
    assert {t['layout'] for t in TYPES.values()} == set(LAYOUTS)


def test_rerun_reuses_the_project_and_the_pipeline():
    fake, incident = cado(), detection_incident()
    run(incident, fake)
    run(incident, fake)  # the analyst re-runs the playbook
    assert len(fake.acquired) == 1 and fake.created == []
    assert incident['CustomFields']['cadopipelinestate'] == 'complete'


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


def test_processing_event_waits_for_its_pipeline_with_polling():
    sample = webhook.load_json(webhook.SAMPLES / 'high_severity_alarm.json')
    incident = intake(sample['body'])
    runner = run(incident, FakeCado())
    [(_, args)] = [call for call in runner.calls if call[0] == 'cado-pipeline-get']
    assert args['polling'] == 'true' and args['pipeline_id'] == '345'
    assert incident['CustomFields']['cadopipelinestate'] == 'complete'


def test_auto_acquire_off_acquires_nothing():
    fake, incident = cado(), detection_incident()
    run(incident, fake, inputs={'AutoAcquire': 'false'})
    assert fake.acquired == [] and incident['CustomFields']['cadoresourceids'] == ['i-0123456789abcdef0']


def test_failed_acquisition_still_reaches_the_summary():
    """GCE needs a staging bucket the inputs did not give: the acquisition fails, the playbook still ends."""
    fake, incident = cado(), detection_incident('1004')
    runner = run(incident, fake)
    assert fake.acquired == [] and f'{SUB}/Acquisition failed' in runner.path
    assert runner.path[-1] == f'{MAIN}/Done' and incident['CustomFields']['cadoresourcetype'] == 'gce'


def test_fetched_detection_maps_and_needs_no_lookup():
    """fetch-incidents' incident (built by the integration) uses the same mapper and playbook."""
    fake = cado()
    fetched = CadoSecurity.detection_incident(detection('detection_guardduty_ec2.json'), True)
    incident = dict(webhook.apply_mapper(fetched), id='43')
    fields = dict(incident['CustomFields'])
    assert fields['cadodetectionid'] == '1001' and fields['cadoprojectid'] == 17
    assert fields['cadoseverity'] == 'high' and fields['cadosource'] == 'GuardDuty'
    assert fields['cadoresourceids'] == ['i-0123456789abcdef0']
    assert fields['cadomitretechniques'] == ['T1110 - Brute Force', 'TA0006 Credential Access']
    runner = run(incident, fake)
    assert 'cado-detection-list' not in [name for name, _ in runner.calls][:3]
    assert [command for command, _ in fake.acquired] == ['cado-aws-ec2-acquire']
    assert incident['CustomFields']['cadomitretechniques'] == ['T1110']


# --- the sub-playbook for any incident -------------------------------------------------------------------------

def other_incident(incident_id='900'):
    return {'id': incident_id, 'name': 'GuardDuty finding', 'type': 'AWS GuardDuty', 'rawJSON': '{}',
            'CustomFields': {}}


@pytest.mark.parametrize('inputs, command, expected', [
    ({'Provider': 'aws', 'ResourceID': 'arn:aws:ec2:us-east-2:123456789012:instance/i-0fedcba9876543210'},
     'cado-aws-ec2-acquire', {'instance_id': 'i-0fedcba9876543210', 'region': 'us-east-2', 'account': 'aws-prod'}),
    ({'Provider': 'aws', 'ResourceType': 'S3Bucket', 'ResourceID': 'acme-logs'}, 'cado-aws-s3-acquire',
     {'bucket': 'acme-logs', 'account': 'aws-prod'}),
    ({'ResourceID': '/subscriptions/s-1/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/vm-1'},
     'cado-azure-vm-acquire', {'vm_name': 'vm-1', 'subscription_id': 's-1', 'resource_group': 'rg-1',
                               'account': 'azure-prod'}),
    ({'Provider': 'crowdstrike', 'ResourceID': 'aid-123'}, 'cado-xdr-device-acquire',
     {'device_id': 'aid-123', 'provider': 'crowdstrike', 'account': 'falcon'}),
    ({'Provider': 'gcp', 'ResourceType': 'gce', 'ResourceID': 'vm-9', 'Zone': 'europe-west4-b', 'Account': 'acme',
      'GCSBucket': 'stage', 'GCSProject': 'acme-tools'}, 'cado-gcp-gce-acquire',
     {'instance_name': 'vm-9', 'zone': 'europe-west4-b', 'instance_project': 'acme', 'gcs_bucket': 'stage'}),
    ({'Provider': 'darktrace', 'ResourceID': 'ws-1', 'DarktraceAppliance': 'dt-1'}, 'cado-darktrace-endpoint-acquire',
     {'device_id': 'ws-1', 'appliance_name': 'dt-1'}),
    ({'Provider': 'url', 'ResourceID': 'https://files.example/evidence.zip'}, 'cado-url-acquire',
     {'url': 'https://files.example/evidence.zip'}),
])
def test_sub_playbook_acquires_for_any_incident(inputs, command, expected):
    fake = FakeCado()
    runner = run(other_incident(), fake, SUB, inputs)
    [(called, args)] = fake.acquired
    assert called == command and expected.items() <= args.items()
    assert fake.created == ['XSOAR incident 900'] and args['project_id'] == '500'
    assert runner.path[-1] == f'{SUB}/Done'


def test_sub_playbook_finds_the_project_instead_of_creating_it_again():
    fake = FakeCado()
    inputs = {'Provider': 'aws', 'ResourceID': 'i-0fedcba9876543210', 'Region': 'us-east-1'}
    run(other_incident(), fake, SUB, inputs)
    run(other_incident(), fake, SUB, inputs)
    assert fake.created == ['XSOAR incident 900']
    assert [args['project_id'] for _, args in fake.acquired] == ['500', '500']
    fake.incident_links['901'] = 500  # a project Cado links to the incident wins over creating one
    run(other_incident('901'), fake, SUB, inputs)
    assert fake.created == ['XSOAR incident 900'] and fake.acquired[-1][1]['project_id'] == '500'


def test_sub_playbook_uses_a_given_project():
    fake = cado()
    run(other_incident(), fake, SUB, {'Provider': 'aws', 'ResourceID': 'i-0fedcba9876543210', 'ProjectID': '17'})
    assert fake.created == [] and fake.acquired[0][1]['project_id'] == '17'


def test_sub_playbook_creates_nothing_for_a_resource_it_cannot_acquire():
    fake = FakeCado()
    runner = run(other_incident(), fake, SUB, {'ResourceID': 'arn:aws:iam::123456789012:user/alice'})
    assert fake.created == [] and fake.acquired == []
    assert f'{SUB}/Nothing Cado can acquire' in runner.path


@pytest.mark.parametrize('inputs, command, expected', [
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
])
def test_sub_playbook_acquires_containers_and_blobs_with_their_details(inputs, command, expected):
    fake = FakeCado()
    runner = Run(other_incident(), fake, {'CadoParseEvent': script})
    context = runner.run(SUB, inputs)
    [(called, args)] = fake.acquired
    assert called == command and expected.items() <= args.items()
    assert args['polling'] == 'true' and args['wait_for_processing'] == 'true'
    assert fake.created == ['XSOAR incident 900'] and args['project_id'] == '500'
    assert runner.path[-1] == f'{SUB}/Done' and f'{SUB}/Acquisition failed' not in runner.path
    assert context['Cado']['Acquisition']['processing_status'] == 'complete'


def test_sub_playbook_eks_end_to_end():
    fake = FakeCado(alarms={500: (1, 2)})
    inputs = {'Provider': 'aws', 'ResourceType': 'EKSCluster', 'ResourceID': 'prod', 'Region': 'us-east-1',
              'PodName': 'web-5d9f', 'PodNamespace': 'shop', 'ContainerName': 'nginx'}
    runner = Run(other_incident(), fake, {'CadoParseEvent': script})
    context = runner.run(SUB, inputs)
    [(called, args)] = fake.acquired
    assert called == 'cado-aws-eks-acquire'
    assert args == {'project_id': '500', 'account': 'aws-prod', 'region': 'us-east-1', 'cluster_name': 'prod',
                    'pod_name': 'web-5d9f', 'pod_namespace': 'shop', 'container_name': 'nginx', 'polling': 'true',
                    'wait_for_processing': 'true', 'interval_in_seconds': '30', 'timeout_in_seconds': '3600'}
    assert [name for name, _ in runner.calls] == [
        'cado-cloud-account-list', 'CadoParseEvent', 'cado-incident-project-get', 'cado-project-list', 'CadoParseEvent',
        'cado-project-create', 'CadoParseEvent', 'cado-aws-eks-acquire', 'cado-project-get', 'cado-alarm-list',
        'cado-detection-list']
    assert context['Cado']['Acquisition']['resource_id'] == 'nginx'
    assert context['Cado']['Project']['alarms'] == {'malicious': 1, 'suspicious': 2}
    assert len(context['Cado']['Alarm']) == 3
    assert runner.path[-1] == f'{SUB}/Done'


def test_sub_playbook_container_without_its_details_is_left_for_manual_acquisition():
    """Without the pod, namespace and container names no container command can succeed: none is sent, and the
    analyst is told to acquire it by hand (a Cado Detection on an EKS cluster carries only the cluster)."""
    fake = FakeCado()
    runner = run(other_incident(), fake, SUB, {'Provider': 'aws', 'ResourceType': 'eks', 'ResourceID': 'prod'})
    assert fake.acquired == [] and fake.created == ['XSOAR incident 900']
    assert not [call for call in runner.calls if call[0].endswith('-acquire')]
    assert f'{SUB}/Acquire this resource type manually' in runner.path and runner.path[-1] == f'{SUB}/Done'


def test_pack_readme_shows_the_integrations_template_for_every_event_type():
    readme = (webhook.PACK / 'README.md').read_text()
    for event in CadoSecurity.XSOAR_WEBHOOK_PAYLOADS:
        assert f'| `{event}` | `{json.dumps(CadoSecurity.xsoar_webhook_payload(event))}` |' in readme
    for text in ('Cado Security - Incoming Mapper', '/instance/execute/<instance-name>',
                 'ext-<tenant-fqdn>/xsoar/instance/execute/<instance-name>', 'instance.execute.external.',
                 '<username>:<password>@', 'Not verified', 'fetch-incidents'):
        assert text in readme


def test_the_test_playbook_passes_against_the_fake_and_cleans_up():
    fake = FakeCado()
    runner = run({'id': '7', 'name': 'test', 'rawJSON': '', 'CustomFields': {}}, fake, 'Cado Security - Test')
    assert runner.path[-1] == 'Cado Security - Test/Test done'
    assert fake.created == ['XSOAR test playbook 7'] and fake.projects == {}
