"""Detections: the exact lookup (cado-detection-get) and the classification of resources into acquisitions
(the CLASSIFICATIONS table, cado-resource-classify).

Commands run through main() against requests_mock serving contract-valid fixtures (helpers and the autouse XSOAR
runtime come from CadoSecurity_test.py); every request is checked against the vendor's contract and counted.
"""
import copy
from urllib.parse import urlparse

import pytest
import yaml

import CadoSecurity
from CadoSecurity_test import (  # noqa: F401  (xsoar_runtime is a pytest fixture; contract comes from conftest.py)
    BASE, ISO_T0, YAML_PATH, fail, load, query_of, succeed, xsoar_runtime)

ASSET_URL = f'{BASE}/api/v3/detections/assets/501'
DETECTIONS_URL = f'{BASE}/api/v3/detections'
ACCOUNTS_URL = f'{BASE}/api/v3/accounts'
SOURCES_FIXTURE = {item['id']: item for item in load('detection_list_sources')['data']}
AZURE_SUB = '3f2b8c1e-7d4a-4e9b-9c61-2a5d8e0f1b47'


def page_of(items: list[dict], page: int = 1, total_pages: int = 1) -> dict:
    return {'status': 'success', 'data': items,
            'pagination': {'type': 'page', 'total_records': len(items) * total_pages, 'current_page': page,
                           'total_pages': total_pages, 'per_page': 100}}


def detection(item_id: int, **changes) -> dict:
    return {**copy.deepcopy(load('detection_list')['data'][0]), 'id': item_id, **changes}


def paths(requests_mock) -> list[str]:
    return [f'{request.method} {urlparse(request.url).path}' for request in requests_mock.request_history]


def no_contract_violations(requests_mock, contract) -> None:
    problems = [problem for request in requests_mock.request_history for problem in contract.request_problems(request)]
    assert not problems, '\n'.join(problems)


# ============================================================================================================
# The classification table
# ============================================================================================================

def test_every_classification_is_a_source_command_fed_with_its_own_arguments():
    yaml_commands = {command['name']: command for command in yaml.safe_load(YAML_PATH.read_text())['script']['commands']}
    attributes = {'provider', 'type', 'id', 'full_id', 'region', 'zone', 'cloud_account', 'resource_group', 'cluster',
                  'task', 'pod', 'namespace', 'container'}
    for (provider, type_), rule in CadoSecurity.CLASSIFICATIONS.items():
        assert rule.command in CadoSecurity.SOURCES, rule.command
        source = CadoSecurity.SOURCES[rule.command]
        declared = {field.arg for field in source.fields} | ({source.label_arg.arg} if source.label_arg else set())
        filled = set(rule.arguments) | set(rule.browse) | {'project_id', 'account'} & declared
        assert filled <= declared, f'{rule.command}: {filled - declared}'
        assert filled <= {argument['name'] for argument in yaml_commands[rule.command]['arguments']}
        assert set(rule.arguments.values()) <= attributes, rule.arguments
        assert set(rule.browse.values()) <= set(CadoSecurity.LISTINGS), rule.browse
        assert provider in CadoSecurity.RESOURCE_PROVIDERS and CadoSecurity.RESOURCE_TYPES[type_] == type_
    assert set(CadoSecurity.BROWSE_FOR_ANY.values()) <= set(CadoSecurity.LISTINGS)


def test_the_readme_table_is_the_classification_table():
    readme = (YAML_PATH.parent / 'README.md').read_text()
    section = readme.split('## Which acquisition fits a resource')[1].split('\n## ')[0]
    rows = [line for line in section.splitlines() if line.startswith('| ') and '`cado-' in line]
    assert [tuple(cell.strip(' `') for cell in row.split('|')[1:4]) for row in rows] == [
        (provider, type_, rule.command) for (provider, type_), rule in CadoSecurity.CLASSIFICATIONS.items()]
    for row, rule in zip(rows, CadoSecurity.CLASSIFICATIONS.values(), strict=True):
        assert all(f'`{argument}` ← {attribute}' in row for argument, attribute in rule.arguments.items()), row


def test_the_yaml_documents_every_argument_a_classification_fills():
    fills = {argument for rule in CadoSecurity.CLASSIFICATIONS.values() for argument in rule.arguments}
    commands = {command['name']: command for command in yaml.safe_load(YAML_PATH.read_text())['script']['commands']}
    for command, prefix in (('cado-detection-get', 'Cado.Detection.acquisition'),
                            ('cado-detection-get', 'Cado.Detection.acquisitions'),
                            ('cado-resource-classify', 'Cado.Classification')):
        documented = {output['contextPath'].rsplit('.', 1)[1] for output in commands[command]['outputs']
                      if output['contextPath'].startswith(f'{prefix}.arguments.')}
        assert documented == fills | {'project_id', 'account'}, prefix


ACCOUNTS = load('account_list')['data']  # aws-prod (123456789012), gcp-analytics, azure-corp, crowdstrike-eu


@pytest.mark.parametrize('detection_id, command, arguments, missing, browse', [
    (601, 'cado-aws-ec2-acquire', {'instance_id': 'i-0c1d2e3f4a5b6c7d8', 'region': 'eu-west-1', 'account': 'aws-prod'},
     [], ''),
    # GuardDuty's EventBridge form (camelCase) names the pod, its namespace and its container.
    (602, 'cado-aws-eks-acquire', {'cluster_name': 'prod-eks', 'region': 'us-east-1', 'pod_name': 'checkout-7d9f8b6c5-x2k4p',
                                   'pod_namespace': 'shop', 'container_name': 'checkout', 'account': 'aws-prod'}, [], ''),
    (603, 'cado-aws-ecs-acquire', {'cluster_name': 'jobs', 'region': 'eu-west-1', 'task_name': '0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c',
                                   'container_name': 'worker', 'account': 'aws-prod'}, [], ''),
    # No resource_data: the raw event's resource.
    (604, 'cado-aws-lambda-acquire', {'function_name': 'billing', 'region': 'us-east-2', 'account': 'aws-prod'}, [], ''),
    (605, 'cado-aws-s3-acquire', {'bucket': 'acme-exports', 'account': 'aws-prod'}, [], ''),
    (607, 'cado-gcp-gce-acquire', {'instance_name': 'miner-vm', 'instance_project': 'analytics-prod-4521',
                                   'zone': 'europe-west2-b', 'account': 'gcp-analytics'},
     ['gcs_bucket', 'gcs_project'], 'cado-gcp-gcs-bucket-list'),
    # Wiz names the AWS instance by its ARN in entitySnapshot.providerId; resource_data holds only its name.
    (608, 'cado-aws-ec2-acquire', {'instance_id': 'i-0d4e5f6a7b8c9d0e1', 'region': 'eu-west-2', 'account': 'aws-prod'},
     [], ''),
    (609, 'cado-azure-vm-acquire', {'vm_name': 'win-jump-01', 'subscription_id': AZURE_SUB, 'resource_group': 'rg-jump',
                                    'account': 'azure-corp'}, [], ''),
    # A Defender for Endpoint device: no Defender account in Cado yet.
    (610, 'cado-xdr-device-acquire', {'device_id': '7b1a2c3d4e5f60718293a4b5c6d7e8f901234567', 'provider': 'defender'},
     ['account'], 'cado-cloud-account-list'),
    (611, 'cado-xdr-device-acquire', {'device_id': '5f3c2a1b0e9d4c8b7a6f5e4d3c2b1a09', 'provider': 'crowdstrike',
                                      'account': 'crowdstrike-eu'}, [], ''),
    (612, 'cado-darktrace-endpoint-acquire', {'device_id': '2f9a1c7e-3b4d-4e5f-8a6b-7c8d9e0f1a2b'}, ['appliance_name'],
     'cado-darktrace-appliance-list'),
    (613, 'cado-azure-blob-acquire', {'storage_account_name': 'acmeinsights', 'subscription_id': AZURE_SUB,
                                      'account': 'azure-corp'}, ['container_name', 'blob_name'],
     'cado-azure-storage-container-list'),
])
def test_classification_of_each_source(detection_id, command, arguments, missing, browse):
    item = SOURCES_FIXTURE[detection_id]
    [resource] = CadoSecurity.detection_resources(item)
    entry = CadoSecurity.classify(resource, item['investigation_id'], None, ACCOUNTS, {})
    assert entry['command'] == command
    assert entry['arguments'] == {**arguments, 'project_id': 30}
    assert (entry['missing'], entry['ready'], entry['browse_command']) == (missing, not missing, browse)


def test_a_resource_cado_cannot_acquire_has_no_command():
    [resource] = CadoSecurity.detection_resources(SOURCES_FIXTURE[606])  # an IAM user
    entry = CadoSecurity.classify(resource, 30, None, ACCOUNTS, {})
    assert (resource['provider'], resource['type'], resource['id']) == ('aws', 'iam', 'alice')
    assert (entry['command'], entry['arguments'], entry['ready'], entry['missing']) == ('', {}, False, [])


def test_one_acquisition_per_resource_and_the_first_ready_one_is_acted_on():
    item = SOURCES_FIXTURE[614]  # an EKS cluster without pod details, then an EC2 instance
    entries = [CadoSecurity.classify(resource, 30, None, ACCOUNTS, {})
               for resource in CadoSecurity.detection_resources(item)]
    assert [entry['command'] for entry in entries] == ['cado-aws-eks-acquire', 'cado-aws-ec2-acquire']
    assert entries[0]['missing'] == ['pod_name', 'pod_namespace', 'container_name'] and entries[1]['ready']
    assert CadoSecurity.first_acquisition(entries) is entries[1]
    assert CadoSecurity.first_acquisition(entries[:1]) is entries[0]
    assert CadoSecurity.first_acquisition([]) == {}


def test_instance_defaults_count_as_known():
    [resource] = CadoSecurity.detection_resources(SOURCES_FIXTURE[607])
    entry = CadoSecurity.classify(resource, None, None, [], {'account': 'gcp-default', 'project': 7})
    assert 'account' not in entry['arguments'] and 'project_id' not in entry['arguments']
    assert entry['missing'] == ['gcs_bucket', 'gcs_project']


@pytest.mark.parametrize('accounts, expected', [
    ([{'account_name': 'aws-prod', 'type': 'aws', 'public_identifier': 'arn:aws:iam::123456789012:role/CadoRole'},
      {'account_name': 'aws-dev', 'type': 'aws', 'public_identifier': 'arn:aws:iam::000000000000:role/CadoRole'}],
     'aws-prod'),
    ([{'account_name': 'only-aws', 'type': 'aws', 'public_identifier': 'x'}, {'account_name': 'g', 'type': 'gcp'}],
     'only-aws'),
    ([{'account_name': 'a', 'type': 'aws'}, {'account_name': 'b', 'type': 'aws'}], ''),
    # digits inside a longer number are not the account
    ([{'account_name': 'x', 'type': 'aws', 'public_identifier': '91234567890123'},
      {'account_name': 'y', 'type': 'aws', 'public_identifier': 'arn:aws:iam::555:role/R'}], ''),
    ([], ''),
])
def test_cado_account_matching(accounts, expected):
    resource = {'provider': 'aws', 'type': 'ec2', 'id': 'i-0123456789abcdef0', 'cloud_account': '123456789012'}
    assert CadoSecurity.matching_account(resource, accounts) == expected


@pytest.mark.parametrize('raw_event', ['not json', '[1, 2]', '"text"', '{"Resource": [null, 5, "x"]}', '',
                                       '{"Region": {"nested": true}, "AccountId": 12}'])
def test_raw_events_of_any_shape_never_raise(raw_event):
    item = {**SOURCES_FIXTURE[601], 'raw_event': raw_event}
    [resource] = CadoSecurity.detection_resources(item)
    assert resource['id'] == 'i-0c1d2e3f4a5b6c7d8' and resource['region'] == 'eu-west-1'  # from the ARN


def test_a_detection_without_any_resource_has_none():
    item = {**SOURCES_FIXTURE[612], 'resource_data': [{'resource_id': ''}, 'x'], 'raw_event': '{}'}
    assert CadoSecurity.detection_resources(item) == []


# ============================================================================================================
# cado-resource-classify: a resource described by its identifier and arguments
# ============================================================================================================

@pytest.mark.parametrize('args, command, arguments', [
    ({'resource_id': 'arn:aws:ec2:us-east-2:123456789012:instance/i-0fedcba9876543210'}, 'cado-aws-ec2-acquire',
     {'instance_id': 'i-0fedcba9876543210', 'region': 'us-east-2'}),
    ({'resource_id': 'i-0fedcba9876543210', 'region': 'ap-south-1'}, 'cado-aws-ec2-acquire',
     {'instance_id': 'i-0fedcba9876543210', 'region': 'ap-south-1'}),
    ({'provider': 'aws', 'resource_type': 'S3Bucket', 'resource_id': 'acme-logs'}, 'cado-aws-s3-acquire',
     {'bucket': 'acme-logs'}),
    ({'resource_id': 'arn:aws:lambda:us-east-2:111122223333:function:billing:PROD'}, 'cado-aws-lambda-acquire',
     {'function_name': 'billing', 'region': 'us-east-2'}),
    ({'resource_id': 'arn:aws:ecs:us-east-1:111122223333:task/prod-cluster/0a1b2c3d4e5f'}, 'cado-aws-ecs-acquire',
     {'cluster_name': 'prod-cluster', 'task_name': '0a1b2c3d4e5f', 'region': 'us-east-1'}),
    ({'resource_id': 'arn:aws:eks:us-east-1:111122223333:cluster/prod', 'resource_type': 'EKSCluster'},
     'cado-aws-eks-acquire', {'cluster_name': 'prod', 'region': 'us-east-1'}),
    ({'resource_id': 'gs://acme-logs', 'resource_account': 'acme'}, 'cado-gcp-gcs-acquire',
     {'bucket': 'acme-logs', 'gcp_project': 'acme'}),
    ({'resource_id': '//compute.googleapis.com/projects/acme/zones/europe-west4-b/instances/vm-9'},
     'cado-gcp-gce-acquire', {'instance_name': 'vm-9', 'instance_project': 'acme', 'zone': 'europe-west4-b'}),
    ({'provider': 'gcp', 'resource_type': 'gce', 'resource_id': 'vm-9', 'zone': 'europe-west4-b',
      'resource_account': 'acme'}, 'cado-gcp-gce-acquire',
     {'instance_name': 'vm-9', 'instance_project': 'acme', 'zone': 'europe-west4-b'}),
    ({'resource_id': 'projects/acme/zones/europe-west2-a/clusters/gke-1'}, 'cado-gcp-gke-acquire',
     {'cluster_name': 'gke-1', 'gcp_project': 'acme', 'zone': 'europe-west2-a'}),
    ({'resource_id': '//container.googleapis.com/projects/acme/locations/europe-west1-c/clusters/gke-2'},
     'cado-gcp-gke-acquire', {'cluster_name': 'gke-2', 'gcp_project': 'acme', 'zone': 'europe-west1-c'}),
    ({'resource_id': '/subscriptions/s-1/resourceGroups/rg-1/providers/Microsoft.Compute/disks/data-disk'},
     'cado-azure-disk-acquire', {'disk_name': 'data-disk', 'subscription_id': 's-1', 'resource_group': 'rg-1'}),
    ({'resource_id': '/subscriptions/s-1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1'},
     'cado-azure-aks-acquire', {'cluster_name': 'aks1', 'subscription_id': 's-1', 'resource_group': 'rg'}),
    ({'provider': 'azure', 'resource_type': 'aks', 'resource_id': 'aks-1', 'resource_account': 's-1',
      'resource_group': 'rg-1'}, 'cado-azure-aks-acquire',
     {'cluster_name': 'aks-1', 'subscription_id': 's-1', 'resource_group': 'rg-1'}),
    ({'provider': 'sentinelone', 'resource_id': 'agent-77'}, 'cado-xdr-device-acquire',
     {'device_id': 'agent-77', 'provider': 'sentinelone'}),
    ({'provider': 'darktrace', 'resource_id': 'ws-1'}, 'cado-darktrace-endpoint-acquire', {'device_id': 'ws-1'}),
    ({'provider': 'url', 'resource_id': 'https://files.example.com/evidence.zip'}, 'cado-url-acquire',
     {'url': 'https://files.example.com/evidence.zip'}),
])
def test_resource_classify_reads_identifiers_and_arguments(mocker, requests_mock, args, command, arguments):
    """With the account given, no request at all."""
    result = succeed(mocker, 'cado-resource-classify', {**args, 'account': 'cado-acct', 'project_id': '40'})
    assert requests_mock.call_count == 0
    assert result.outputs['command'] == command
    takes_account = CadoSecurity.takes_account(command)
    assert result.outputs['arguments'] == {**arguments, 'project_id': 40,
                                           **({'account': 'cado-acct'} if takes_account else {})}


def test_resource_classify_explicit_arguments_win_over_the_identifier(mocker, requests_mock):
    result = succeed(mocker, 'cado-resource-classify', {
        'resource_id': 'arn:aws:ec2:us-east-2:123456789012:instance/i-0fedcba9876543210', 'region': 'eu-central-1',
        'account': 'aws-prod'})
    assert result.outputs['arguments']['region'] == 'eu-central-1'


def test_resource_classify_of_what_cado_cannot_acquire(mocker, requests_mock):
    result = succeed(mocker, 'cado-resource-classify', {'resource_id': 'arn:aws:iam::123456789012:user/alice'})
    assert requests_mock.call_count == 0, 'no account is looked for a resource nothing can acquire'
    assert (result.outputs['command'], result.outputs['ready']) == ('', False)
    assert 'Cado has no acquisition for a aws resource of type "iam"' in result.readable_output


def test_resource_classify_lists_the_accounts_once_and_only_of_its_provider(mocker, requests_mock, contract):
    requests_mock.get(ACCOUNTS_URL, json=load('account_list'))
    result = succeed(mocker, 'cado-resource-classify',
                     {'resource_id': f'/subscriptions/{AZURE_SUB}/resourceGroups/rg-jump/providers/'
                                     'Microsoft.Compute/virtualMachines/win-jump-01'})
    assert requests_mock.call_count == 1 and query_of(requests_mock.last_request)['type'] == ['azure']
    assert result.outputs['arguments']['account'] == 'azure-corp'
    no_contract_violations(requests_mock, contract)


def test_resource_classify_uses_the_instance_default_account(mocker, requests_mock):
    result = succeed(mocker, 'cado-resource-classify', {'resource_id': 'i-0fedcba9876543210', 'region': 'eu-west-1'},
                     params={'default_account': 'aws-default'})
    assert requests_mock.call_count == 0 and 'account' not in result.outputs['arguments']


# ============================================================================================================
# cado-detection-get: the exact lookup
# ============================================================================================================

def serve_asset(requests_mock, **changes) -> None:
    asset = copy.deepcopy(load('detection_asset_get'))
    asset['data'].update(changes)
    requests_mock.get(ASSET_URL, json=asset)


def test_detection_get_finds_the_detection_exactly_in_three_requests(mocker, requests_mock, contract):
    """Asset, the resource's detections, the accounts: the pushed detection and nothing else lands in context."""
    serve_asset(requests_mock)
    requests_mock.get(DETECTIONS_URL, json=page_of([detection(502), detection(501)]))
    requests_mock.get(ACCOUNTS_URL, json=load('account_list'))
    result = succeed(mocker, 'cado-detection-get', {'detection_id': '501'})
    assert paths(requests_mock) == ['GET /api/v3/detections/assets/501', 'GET /api/v3/detections',
                                    'GET /api/v3/accounts']
    assert query_of(requests_mock.request_history[1]) == {
        'resource_id': ['i-0a1b2c3d4e5f67890'], 'detection_type': ['all'], 'order_by': ['-id'], 'page': ['1'],
        'per_page': ['100']}
    outputs = result.outputs
    assert isinstance(outputs, dict) and (outputs['id'], outputs['found'], outputs['project_id']) == (501, True, 12)
    assert outputs['acquisition'] == outputs['acquisitions'][0]
    assert outputs['acquisition']['arguments'] == {'instance_id': 'i-0a1b2c3d4e5f67890', 'region': 'eu-west-2',
                                                   'project_id': 12, 'account': 'aws-prod'}
    assert outputs['existing_acquisitions'] == [{'created': ISO_T0, 'acquired': True, 'evidence_id': 391,
                                                 'pipeline_id': 4281,
                                                 'reason': 'Automated investigation from detection 501'}]
    for title in ('Cado detection 501', 'Acquisitions that fit its resources',
                  'Acquisitions Cado already made of the resource'):
        assert title in result.readable_output
    assert result.outputs_key_field == 'id'
    context = result.to_context()['EntryContext']  # the key expression's wording is the server's CommonServerPython's
    assert [path.split('(')[0] for path in context] == ['Cado.Detection'] and list(context.values()) == [outputs]
    no_contract_violations(requests_mock, contract)


def test_detection_get_reads_newest_first_until_it_finds_the_detection(mocker, requests_mock):
    serve_asset(requests_mock)
    newer = [detection(item_id) for item_id in range(700, 600, -1)]
    requests_mock.get(DETECTIONS_URL, [{'json': page_of(newer, 1, 3)},
                                       {'json': page_of([detection(600), detection(501)], 2, 3)}])
    result = succeed(mocker, 'cado-detection-get', {'detection_id': '501', 'account': 'aws-prod'})
    assert result.outputs['id'] == 501 and result.outputs['found'] is True
    assert [query_of(request)['page'] for request in requests_mock.request_history[1:]] == [['1'], ['2']]


def test_detection_get_stops_once_the_ids_fall_below_the_detection(mocker, requests_mock):
    serve_asset(requests_mock)
    newest_first = [detection(item_id) for item_id in range(560, 460, -1) if item_id != 501]
    requests_mock.get(DETECTIONS_URL, json=page_of(newest_first, 1, 9))
    result = succeed(mocker, 'cado-detection-get', {'detection_id': '501'})
    assert requests_mock.call_count == 2, 'page 1 ends below 501: no later page can hold it'
    assert result.outputs['found'] is False and 'not among the detections of its resource' in result.outputs['reason']


def test_detection_get_is_bounded_and_says_how_far_it_searched(mocker, requests_mock):
    """An unordered answer (a platform ignoring order_by) never stops the search early; the pages are bounded."""
    serve_asset(requests_mock)
    unordered = [detection(item_id) for item_id in list(range(100, 150)) + list(range(1000, 950, -1))]
    requests_mock.get(DETECTIONS_URL, json=page_of(unordered, 1, 50))
    result = succeed(mocker, 'cado-detection-get', {'detection_id': '501'})
    assert requests_mock.call_count == 1 + CadoSecurity.DETECTION_LOOKUP_PAGES
    assert result.outputs == {'id': 501, 'found': False, 'reason': 'Detection 501 is not among the 500 newest '
                                                                   'detections of its resource i-0a1b2c3d4e5f67890 '
                                                                   'in Cado.'}


@pytest.mark.parametrize('asset_response, listed, calls, says', [
    ({'status_code': 404, 'json': load('error_envelope')}, None, 1, 'Cado has no asset for detection 501'),
    ({'json': {'status': 'success', 'data': {'asset_id': '', 'first_seen': 0, 'last_seen': 0,
                                             'acquisition_type': 'full', 'acquisitions': []}}}, None, 1,
     'Cado names no asset for detection 501'),
    ({'json': load('detection_asset_get')}, page_of([detection(777)]), 2,
     'Detection 501 is not among the detections of its resource i-0a1b2c3d4e5f67890'),
    ({'json': load('detection_asset_get')}, page_of([]), 2, 'not among the detections'),
], ids=['asset-404', 'no-asset', 'not-in-the-list', 'empty-list'])
def test_detection_not_found_is_an_answer_not_an_error(mocker, requests_mock, asset_response, listed, calls, says):
    requests_mock.get(ASSET_URL, **asset_response)
    if listed is not None:
        requests_mock.get(DETECTIONS_URL, json=listed)
    result = succeed(mocker, 'cado-detection-get', {'detection_id': '501'})
    assert requests_mock.call_count == calls
    assert result.outputs['found'] is False and result.outputs['id'] == 501 and says in result.outputs['reason']
    assert set(result.outputs) == {'id', 'found', 'reason'}, 'no unrelated detection in context'
    assert result.entry_type != 4 and 'not found' in result.readable_output


@pytest.mark.parametrize('status', [401, 403, 500])
def test_detection_get_reports_other_asset_errors(mocker, requests_mock, status):
    requests_mock.get(ASSET_URL, status_code=status, json=load('error_envelope'))
    assert f'HTTP {status}' in fail(mocker, 'cado-detection-get', {'detection_id': '501'})


def test_detection_get_with_the_resource_skips_the_asset(mocker, requests_mock):
    requests_mock.get(DETECTIONS_URL, json=page_of([detection(501)]))
    result = succeed(mocker, 'cado-detection-get', {'detection_id': '501', 'resource_id': 'i-0a1b2c3d4e5f67890',
                                                    'account': 'aws-prod'})
    assert paths(requests_mock) == ['GET /api/v3/detections']
    assert 'existing_acquisitions' not in result.outputs and result.outputs['acquisition']['ready'] is True


T0_MS = 1717416000000  # the asset fixture's acquisition (ISO_T0)


@pytest.mark.parametrize('hours, hours_later, reused', [
    ('24', 23, True),  # a successful acquisition 23 hours old is within a 24-hour window
    ('24', 25, False),  # one 25 hours old is not
    ('0', 1, False),  # 0 never reuses
    (None, 1, False),  # neither does leaving the argument out
])
def test_detection_get_names_a_recent_successful_acquisition_to_reuse(mocker, requests_mock, hours, hours_later,
                                                                        reused):
    serve_asset(requests_mock)
    requests_mock.get(DETECTIONS_URL, json=page_of([detection(501)]))
    requests_mock.get(ACCOUNTS_URL, json=load('account_list'))
    mocker.patch.object(CadoSecurity, 'now_ms', return_value=T0_MS + hours_later * 3_600_000)
    outputs = succeed(mocker, 'cado-detection-get', {'detection_id': '501', 'reuse_within_hours': hours}).outputs
    expected = {'created': ISO_T0, 'acquired': True, 'evidence_id': 391, 'pipeline_id': 4281,
                'reason': 'Automated investigation from detection 501'}
    assert outputs.get('reusable_acquisition') == (expected if reused else None)


def test_detection_get_never_reuses_a_failed_acquisition(mocker, requests_mock):
    serve_asset(requests_mock, acquisitions=[
        {'created': T0_MS, 'acquired': False, 'evidence_id': 390, 'reason': 'AccessDenied'},
        {'created': T0_MS - 3_600_000, 'acquired': True, 'evidence_id': 389, 'pipeline_id': 4270}])
    requests_mock.get(DETECTIONS_URL, json=page_of([detection(501)]))
    requests_mock.get(ACCOUNTS_URL, json=load('account_list'))
    mocker.patch.object(CadoSecurity, 'now_ms', return_value=T0_MS)
    outputs = succeed(mocker, 'cado-detection-get', {'detection_id': '501', 'reuse_within_hours': '24'}).outputs
    assert outputs['reusable_acquisition']['pipeline_id'] == 4270
    assert 'Reusable acquisition' in succeed(mocker, 'cado-detection-get', {
        'detection_id': '501', 'reuse_within_hours': '24'}).readable_output


def test_detection_get_refuses_a_negative_window(mocker, requests_mock):
    error = fail(mocker, 'cado-detection-get', {'detection_id': '501', 'reuse_within_hours': '-1'})
    assert 'reuse_within_hours' in error and requests_mock.request_history == []
