"""Unit tests for the CadoSecurity integration's commands (fetch-incidents: CadoSecurity_fetch_test.py).

Every command runs through main() as XSOAR runs it, against requests_mock serving the fixtures in test_data/
(each one checked against the vendor's contract), and every request it sends is checked against the contract.
Only XSOAR's public API is used, so these tests also pass against XSOAR's real demistomock/CommonServerPython.
"""
import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, quote, urlparse

import pytest
import requests
import yaml

import command_args  # Tests/support/command_args.py: the one table of valid arguments per command
import demistomock as demisto
import CadoSecurity
import prism  # tools/prism.py: where the vendor's spec is and the one table of patches to it
from command_args import VALID_ARGS, args_of
from loopback import LoopbackServer, self_signed_certificate  # Tests/support/loopback.py

HERE = Path(__file__).resolve().parent
TEST_DATA = HERE / 'test_data'
YAML_PATH = HERE / 'CadoSecurity.yml'

BASE = 'https://cado.example.com'
API_KEY = 'cado-api-key-7f3e9a2b5c1d4e6f'
PARAMS = {'url': BASE, 'credentials': {'identifier': '', 'password': API_KEY}, 'insecure': False, 'proxy': False,
          'timeout': '30'}
# XSOAR's standard indicator context, which a command returning XSOAR indicators writes beside its own prefix.
XSOAR_INDICATOR_KEYS = ('DBotScore', 'IP', 'Domain', 'URL', 'File')
ISO_T0 = '2024-06-03T12:00:00Z'  # the fixtures' reference time, 1717416000000 ms


def load(name: str) -> Any:
    return json.loads((TEST_DATA / f'{name}.json').read_text())


# The browse commands for the names that container, appliance and storage acquisitions need: command -> fixture.
BROWSE_FIXTURES = {
    'cado-aws-ecs-cluster-list': 'aws_ecs_cluster_list', 'cado-aws-ecs-task-list': 'aws_ecs_task_list',
    'cado-aws-ecs-container-list': 'aws_ecs_container_list', 'cado-aws-eks-cluster-list': 'aws_eks_cluster_list',
    'cado-aws-eks-pod-list': 'aws_eks_pod_list', 'cado-aws-eks-container-list': 'aws_eks_container_list',
    'cado-gcp-gke-cluster-list': 'gcp_gke_cluster_list', 'cado-gcp-gke-pod-list': 'gcp_gke_pod_list',
    'cado-gcp-gke-container-list': 'gcp_gke_container_list', 'cado-azure-aks-cluster-list': 'azure_aks_cluster_list',
    'cado-azure-aks-pod-list': 'azure_aks_pod_list', 'cado-azure-aks-container-list': 'azure_aks_container_list',
    'cado-darktrace-appliance-list': 'darktrace_appliance_list',
    'cado-azure-subscription-list': 'azure_subscription_list',
    'cado-azure-resource-group-list': 'azure_resource_group_list',
    'cado-azure-storage-account-list': 'azure_storage_account_list',
    'cado-azure-storage-container-list': 'azure_storage_container_list', 'cado-azure-blob-list': 'azure_blob_list',
    'cado-gcp-project-list': 'gcp_project_list', 'cado-gcp-gcs-object-list': 'gcp_gcs_object_list',
}

FIXTURE_OPERATIONS = {
    'system_status': ('GET', '/api/v3/system/status', '200'),
    'auth_whoami': ('GET', '/api/v3/auth/whoami', '200'),
    'project_create': ('POST', '/api/v3/projects', '201'),
    'project_list': ('GET', '/api/v3/projects', '200'),
    'project_get': ('GET', '/api/v3/projects/{project_id}', '200'),
    'project_update': ('PATCH', '/api/v3/projects/{project_id}', '200'),
    'project_delete': ('DELETE', '/api/v3/projects', '200'),
    'incident_project_get': ('GET', '/api/v3/incidents/{incident_id}', '200'),
    # An acquisition's fixture is named after its endpoint: the import's answer.
    **{source.endpoint: (CadoSecurity.ENDPOINTS[source.endpoint].method, CadoSecurity.ENDPOINTS[source.endpoint].path,
                         '200') for source in CadoSecurity.SOURCES.values()},
    'account_list': ('GET', '/api/v3/accounts', '200'),
    'aws_ec2_instance_list_page1': ('GET', '/api/v3/import/aws/ec2', '200'),
    'aws_ec2_instance_list_page2': ('GET', '/api/v3/import/aws/ec2', '200'),
    'aws_s3_bucket_list_page1': ('GET', '/api/v3/import/aws/s3/buckets', '200'),
    'aws_s3_bucket_list_page2': ('GET', '/api/v3/import/aws/s3/buckets', '200'),
    'aws_s3_object_list': ('GET', '/api/v3/import/aws/s3/objects', '200'),
    'aws_lambda_function_list': ('GET', '/api/v3/import/aws/lambda', '200'),
    'gcp_gce_instance_list': ('GET', '/api/v3/import/gcp/gce', '200'),
    'gcp_gcs_bucket_list': ('GET', '/api/v3/import/gcp/gcs/buckets', '200'),
    'azure_vm_list': ('GET', '/api/v3/import/azure/virtual-machine', '200'),
    'azure_disk_list': ('GET', '/api/v3/import/azure/disk', '200'),
    'xdr_device_list_page1': ('GET', '/api/v3/import/xdr/crowdstrike', '200'),
    'xdr_device_list_page2': ('GET', '/api/v3/import/xdr/crowdstrike', '200'),
    'xdr_sentinelone_device_list': ('GET', '/api/v3/import/xdr/sentinelone', '200'),
    'xdr_defender_device_list': ('GET', '/api/v3/import/xdr/defender', '200'),
    'xdr_darktrace_device_list': ('GET', '/api/v3/import/xdr/csensor', '200'),
    'pipeline_list': ('GET', '/api/v3/pipelines', '200'),
    'processing_pipeline_list_running': ('GET', '/api/v3/pipelines', '200'),
    'processing_pipeline_list_complete': ('GET', '/api/v3/pipelines', '200'),
    'processing_pipeline_list_empty': ('GET', '/api/v3/pipelines', '200'),
    'pipeline_get_queued': ('GET', '/api/v3/pipelines/{id}', '200'),
    'pipeline_get_running': ('GET', '/api/v3/pipelines/{id}', '200'),
    'pipeline_get_complete': ('GET', '/api/v3/pipelines/{id}', '200'),
    'pipeline_get_failed': ('GET', '/api/v3/pipelines/{id}', '200'),
    'pipeline_get_cancelled': ('GET', '/api/v3/pipelines/{id}', '200'),
    'pipeline_get_legacy_running': ('GET', '/api/v3/pipelines/{id}', '200'),
    'pipeline_get_legacy_complete': ('GET', '/api/v3/pipelines/{id}', '200'),
    'pipeline_get_legacy_failed': ('GET', '/api/v3/pipelines/{id}', '200'),
    'pipeline_get_legacy_cancelled': ('GET', '/api/v3/pipelines/{id}', '200'),
    'processing_pipeline_get_running': ('GET', '/api/v3/pipelines/{id}', '200'),
    'processing_pipeline_get_complete': ('GET', '/api/v3/pipelines/{id}', '200'),
    'processing_pipeline_get_failed': ('GET', '/api/v3/pipelines/{id}', '200'),
    'pipeline_cancel': ('PATCH', '/api/v3/pipelines/{id}', '200'),
    'pipeline_rerun': ('POST', '/api/v3/pipelines/rerun', '201'),
    'detection_list': ('GET', '/api/v3/detections', '200'),
    'detection_group_list': ('GET', '/api/v3/detections/groups', '200'),
    'detection_artifact_list': ('GET', '/api/v3/detections/artifacts', '200'),
    'detection_asset_get': ('GET', '/api/v3/detections/assets/{detection_id}', '200'),
    'detection_list_sources': ('GET', '/api/v3/detections', '200'),
    'alarm_list': ('GET', '/api/v3/alarms', '200'),
    'alarm_get': ('GET', '/api/v3/alarms/{id}', '200'),
    'alarm_summary': ('GET', '/api/v3/alarms/summary', '200'),
    'evidence_list': ('GET', '/api/v3/evidences', '200'),
    'evidence_get': ('GET', '/api/v3/evidences/{evidence_id}', '200'),
    'indicator_list': ('GET', '/api/v3/indicators', '200'),
    'webhook_list': ('GET', '/api/v3/webhooks', '200'),
    'webhook_create': ('POST', '/api/v3/webhooks', '201'),
    'webhook_update': ('PATCH', '/api/v3/webhooks/{webhook_id}', '200'),
    'webhook_delete': ('DELETE', '/api/v3/webhooks/{webhook_id}', '200'),
    'webhook_test': ('POST', '/api/v3/webhooks/test', '200'),
    'timeline_search': ('GET', '/api/v3/timeline', '200'),
    'timeline_facet_list': ('GET', '/api/v3/timeline/facets', '200'),
    'timeline_note_add': ('POST', '/api/v3/notes', '201'),
    'timeline_note_remove': ('DELETE', '/api/v3/notes', '200'),
    'vulnerability_list': ('GET', '/api/v3/vulnerabilities', '200'),
    'error_envelope': ('GET', '/api/v3/projects/{project_id}', 'default'),
    'error_unauthorized': ('GET', '/api/v3/projects', 'default'),
    'error_forbidden': ('GET', '/api/v3/webhooks', 'default'),
    'error_validation': ('POST', '/api/v3/import/aws/ec2', 'default'),
    'error_server': ('GET', '/api/v3/pipelines/{id}', 'default'),
    'file_search': ('GET', '/api/v3/files/browse', '200'),
    'directory_list': ('GET', '/api/v3/files/directory', '200'),
    'file_get': ('GET', '/api/v3/files/file', '200'),
    'evidence_url': ('GET', '/api/v3/evidences/{evidence_id}/generate-url/{download_type}', '200'),
    'process_evidence': ('POST', '/api/v3/evidences/process', '201'),  # a source, but answering 201
    **{fixture: ('GET', CadoSecurity.ENDPOINTS[CadoSecurity.LISTINGS[command].endpoint].path, '200')
       for command, fixture in BROWSE_FIXTURES.items()},
    'script_list': ('GET', '/api/v3/settings/scripts', '200'),
    'cloudgrep_search': ('POST', '/api/v3/import/cloudgrep', '200'),
    'host_command_get': ('POST', '/api/v3/import/cado-host', '200'),
    'host_download_link_get': ('GET', '/api/v3/import/cado-host', '200'),
    'intelligence_get': ('GET', '/api/v3/intelligence', '200'),
    'intelligence_update': ('PATCH', '/api/v3/intelligence', '200'),
    'timeline_note_update': ('PATCH', '/api/v3/notes/{note_id}', '200'),
    'timeline_note_delete': ('DELETE', '/api/v3/notes/{note_id}', '200'),
    'user_list': ('GET', '/api/v3/users', '200'),
}

# Platforms before 2.269 send no pipeline `status`; the 2.324 contract requires it. These fixtures must violate
# the contract in exactly that one way (and be valid otherwise).
LEGACY_MISSING_REQUIRED = {name: {'status'} for name in FIXTURE_OPERATIONS if name.startswith('pipeline_get_legacy')}


# ============================================================================================================
# The contract
# ============================================================================================================

# The checker is tools/contract.py (fixture `contract`, root conftest.py), reading the spec tools/prism.py finds with
# the patches of prism.SPEC_PATCHES applied (the documented defects of the 2.324.0 spec, each with its reason):
# the same document Prism serves to the contract suite.
URL_IMPORT_POINTER = '/paths/~1api~1v3~1import~1url/post/requestBody/content/application~1json/schema/properties/url'


def test_spec_patches_apply_where_intended(cado_spec_path, contract):
    raw = json.loads(cado_spec_path.read_text())
    assert '\\\\S' in prism.resolve_pointer(raw, URL_IMPORT_POINTER)['pattern'], \
        'the spec was fixed upstream: drop the import/url patch'
    patched = contract.resolve(URL_IMPORT_POINTER)
    assert re.search(patched['pattern'], 'https://files.example.com/evidence/a.zip')
    assert not re.search(patched['pattern'], 'mailto:soc@example.com')
    assert '"format": "hostname"' not in json.dumps(contract.document)
    assert json.dumps(raw).count('"format": "hostname"') == 5
    assert all(patch.applied_in(contract.document) and not patch.applied_in(raw) for patch in prism.SPEC_PATCHES)


# ============================================================================================================
# Fixtures are real responses: each one valid against its operation's response schema
# ============================================================================================================

def test_fixture_table_lists_every_fixture():
    on_disk = {path.stem for path in TEST_DATA.glob('*.json') if not path.name.startswith('fetch_')}
    assert on_disk == set(FIXTURE_OPERATIONS), 'every test_data fixture needs a contract operation (and vice versa)'


@pytest.mark.parametrize('name', sorted(FIXTURE_OPERATIONS))
def test_fixture_matches_contract(name, contract):
    method, path, status = FIXTURE_OPERATIONS[name]
    errors = sorted(contract.response_validator(method, path, status).iter_errors(load(name)),
                    key=lambda error: error.json_path)
    expected_missing = LEGACY_MISSING_REQUIRED.get(name, set())
    unexpected = [error for error in errors
                  if not (error.validator == 'required' and error.json_path == '$.data'
                          and any(error.message == f"'{field}' is a required property" for field in expected_missing))]
    assert not unexpected, '\n'.join(f'{error.json_path}: {error.message}' for error in unexpected)
    assert len(errors) == len(expected_missing), f'{name} should lack exactly {expected_missing}'


# ============================================================================================================
# Running commands as XSOAR does
# ============================================================================================================

class Outcome(NamedTuple):
    result: Any  # what main() returned through return_results
    error: str | None  # what main() reported through return_error


@pytest.fixture(autouse=True)
def xsoar_runtime(mocker):
    """A server recent enough for scheduled commands, and no sleeping anywhere."""
    mocker.patch.object(demisto, 'demistoVersion', create=True,
                        return_value={'version': '8.4.0', 'buildNumber': '1234567'})
    version_cache = getattr(CadoSecurity, 'get_demisto_version', None)
    if version_cache is not None and hasattr(version_cache, '_version'):
        mocker.patch.object(version_cache, '_version', None)
    mocker.patch('time.sleep', side_effect=AssertionError('no code path may sleep'))


def execute(mocker, command: str, args: dict | None = None, params: dict | None = None) -> Outcome:
    mocker.patch.object(demisto, 'params', return_value={**PARAMS, **(params or {})})
    mocker.patch.object(demisto, 'args', return_value=dict(args or {}))
    mocker.patch.object(demisto, 'command', return_value=command)
    returned = mocker.patch.object(CadoSecurity, 'return_results')
    errored = mocker.patch.object(CadoSecurity, 'return_error')
    CadoSecurity.main()
    results = [call.args[0] for call in returned.call_args_list]
    errors = [call.args[0] if call.args else call.kwargs.get('message') for call in errored.call_args_list]
    assert len(results) + len(errors) == 1, f'main() must answer once: results={results}, errors={errors}'
    return Outcome(results[0] if results else None, str(errors[0]) if errors else None)


def succeed(mocker, command: str, args: dict | None = None, params: dict | None = None):
    outcome = execute(mocker, command, args, params)
    assert outcome.error is None, outcome.error
    return outcome.result


def fail(mocker, command: str, args: dict | None = None, params: dict | None = None) -> str:
    outcome = execute(mocker, command, args, params)
    assert outcome.error is not None, f'{command} should have failed but returned {outcome.result}'
    assert outcome.error.startswith(f'Failed to execute {command} command.')
    assert 'Traceback' not in outcome.error
    assert API_KEY not in outcome.error
    return outcome.error


def dig(value: Any, dotted: str) -> Any:
    for part in dotted.split('.') if dotted else []:
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def table_of(readable: str) -> tuple[str, list[str]]:
    """The title and column names of the first markdown table in a readable output."""
    lines = readable.splitlines()
    title = next(line[4:] for line in lines if line.startswith('### '))
    header = next((line for line in lines if line.startswith('|')), '|')
    return title, [cell.strip() for cell in header.strip('|').split('|') if cell.strip()]


def query_of(request) -> dict[str, list[str]]:
    return parse_qs(urlparse(request.url).query, keep_blank_values=True)


def body_of(request) -> Any:
    return request.json() if request.body else None


# ============================================================================================================
# Every command: one success case (fixture, exact request, outputs, readable table)
# ============================================================================================================

class Case(NamedTuple):
    command: str
    args: dict
    method: str
    path: str
    fixture: str
    query: dict | None  # the exact query sent ({name: [values]}); None: no query string
    body: Any  # the exact JSON body sent; None: no body
    prefix: str | None  # outputs_prefix; None: a message-only command
    key: str | None
    readable: str  # the table title (or, for message-only commands, a phrase of the message)
    columns: tuple[str, ...] = ()  # the table's first columns, in order
    checks: tuple[tuple[str, Any], ...] = ()  # (dotted path in outputs, expected value)
    status: int = 200

    @property
    def id(self) -> str:
        return self.command


PAGE_1 = {'page': ['1'], 'per_page': ['50']}
PROJECT_COLUMNS = ('Id', 'Name', 'Status')
DETECTION = load('detection_list')['data'][0]
XSOAR_URL = command_args.WEBHOOK_URL
LOG_WINDOW = {field.arg: field.example for field in CadoSecurity.LOG_WINDOW_FIELDS}
AZURE_SUB = command_args.AZURE_SUBSCRIPTION


def sent(field: CadoSecurity.Field, text: str) -> Any:
    """What the contract expects in the body for an argument typed as `text`: read here independently of parse_field,
    from the field's kind alone."""
    if field.kind in ('list', 'int_list'):
        values = [value.strip() for value in text.split(',')]
        return [int(value) for value in values] if field.kind == 'int_list' else values
    if field.kind == 'json_list':
        value = json.loads(text)
        return value if isinstance(value, list) else [value]
    return {'int': int, 'bool': {'true': True, 'false': False}.get,
            'time': lambda value: int(datetime.fromisoformat(value).timestamp())}.get(field.kind, str)(text)


def acquisition_body(source: CadoSecurity.Source, args: dict[str, str]) -> dict[str, Any]:
    body = {field.api: sent(field, args[field.arg]) for field in source.fields}
    host_options = {field.api: sent(field, args[field.arg]) for field in CadoSecurity.HOST_OPTION_FIELDS
                    if field.arg in args}
    return {**body, 'host_options': host_options} if host_options or source.host_options == 'required' else body


def acquisition_case(command: str, args: dict[str, str] | None = None) -> Case:
    """An acquisition's success case, all from the SOURCES table: every argument with its example, the exact body
    those make, and the Cado.Acquisition record the fixture named after the endpoint makes."""
    source = CadoSecurity.SOURCES[command]
    endpoint = CadoSecurity.ENDPOINTS[source.endpoint]
    args = args or VALID_ARGS[command]
    data = load(source.endpoint)['data']
    ids = [item['id'] for item in data['pipeline_ids']] if source.returns_list else [data['pipeline_id']]
    label = f'{source.label} ({args[source.label_arg.arg]})' if source.label_arg else source.label
    checks: tuple[tuple[str, Any], ...] = (('pipeline_id', ids[0]), ('pipeline_ids', ids), ('source', label),
                                           ('status', 'submitted'))
    if 'project_id' in args:
        checks += (('project_id', int(args['project_id'])),)
    columns: tuple[str, ...] = ('Pipeline Id', 'Source')
    if source.resource_arg:
        resource_field = next(field for field in source.fields if field.arg == source.resource_arg)
        resource = sent(resource_field, args[source.resource_arg])
        checks += (('resource_id', ', '.join(resource) if isinstance(resource, list) else resource),)
        columns += ('Resource Id',)
    return Case(command, args, endpoint.method, endpoint.path, source.endpoint, None, acquisition_body(source, args),
                'Cado.Acquisition', 'pipeline_id', f'Cado {label} acquisition submitted', columns, checks)


SUCCESS_CASES = [
    # ---------------------------------------------------------------------------------------------- projects
    Case('cado-project-create', args_of('cado-project-create'), 'POST', '/api/v3/projects', 'project_create', None,
         {'case_name': 'INC-2024-0613 Lateral movement', 'description': 'Opened from XSOAR incident 4711'},
         'Cado.Project', 'id', 'Cado project 13 created', ('Id', 'Name'),
         (('id', 13), ('details.name', 'INC-2024-0613 Lateral movement')), status=201),
    Case('cado-project-list', args_of('cado-project-list'), 'GET', '/api/v3/projects', 'project_list',
         {'status': ['Collection & Analysis'], 'page': ['1'], 'per_page': ['10']}, None, 'Cado.Project', 'id',
         'Cado projects', PROJECT_COLUMNS,
         (('0.id', 12), ('0.created', ISO_T0), ('0.last_acquisition', '2024-06-03T12:05:00Z'),
          ('2.details.status', 'Closed'))),
    Case('cado-project-get', args_of('cado-project-get'), 'GET', '/api/v3/projects/12', 'project_get', None, None,
         'Cado.Project', 'id', 'Cado project 12', PROJECT_COLUMNS,
         (('id', 12), ('created', ISO_T0), ('details.users.0.last_login_timestamp', '2024-06-03T11:00:00Z'))),
    Case('cado-project-update', args_of('cado-project-update', name='INC-2024-0612 Crypto-miner (contained)'),
         'PATCH', '/api/v3/projects/12', 'project_update', None,
         {'case_name': 'INC-2024-0612 Crypto-miner (contained)', 'status': 'Containment'}, None, None,
         'Cado project 12 updated'),
    Case('cado-project-delete', args_of('cado-project-delete'), 'DELETE', '/api/v3/projects', 'project_delete', None,
         {'investigation_ids': [9]}, None, None, 'deleted: 9'),
    Case('cado-incident-project-get', args_of('cado-incident-project-get'), 'GET', '/api/v3/incidents/INC-2024-0612',
         'incident_project_get', None, None, 'Cado.Project', 'id', 'Cado project linked to incident INC-2024-0612',
         PROJECT_COLUMNS, (('id', 12), ('created', ISO_T0))),
    # ------------------------------------------------------------------------------------------ acquisitions
    *[acquisition_case(command) for command in CadoSecurity.SOURCES],
    # ------------------------------------------------------------------------------------------------ browse
    Case('cado-cloud-account-list', args_of('cado-cloud-account-list'), 'GET', '/api/v3/accounts', 'account_list',
         {'type': ['aws'], **PAGE_1}, None, 'Cado.CloudAccount', 'id', 'Cado cloud accounts',
         ('Id', 'Account Name', 'Type'), (('0.account_name', 'aws-prod'), ('3.type', 'crowdstrike'))),
    Case('cado-aws-ec2-instance-list', args_of('cado-aws-ec2-instance-list', limit='2'),
         'GET', '/api/v3/import/aws/ec2', 'aws_ec2_instance_list_page1',
         {'cloud_id': ['aws-prod'], 'region': ['eu-west-2'], 'state': ['running']}, None, 'Cado.EC2Instance',
         'instance_id', 'AWS EC2 instances', ('Instance Id', 'Instance Name', 'State'),
         (('0.instance_id', 'i-0a1b2c3d4e5f67890'), ('1.instance_name', 'web-prod-02'))),
    Case('cado-aws-s3-bucket-list', args_of('cado-aws-s3-bucket-list', limit='2'), 'GET',
         '/api/v3/import/aws/s3/buckets', 'aws_s3_bucket_list_page1', {'cloud_id': ['aws-prod'], 'per_page': ['2']},
         None, 'Cado.S3Bucket', 'name', 'AWS S3 buckets', ('Name', 'Creation Date'),
         (('0.name', 'acme-cloudtrail-logs'), ('0.creation_date', '2023-04-30T12:00:00Z'))),
    Case('cado-aws-s3-object-list', args_of('cado-aws-s3-object-list', exclude_archived='false'),
         'GET', '/api/v3/import/aws/s3/objects', 'aws_s3_object_list',
         {'cloud_id': ['aws-prod'], 'bucket_name': ['acme-cloudtrail-logs'], 'prefix': ['AWSLogs/'], 'delimiter': ['/'],
          'exclude_archived': ['false'], 'per_page': ['50']}, None, 'Cado.S3Object', 'name', 'AWS S3 objects',
         ('Name', 'Type'), (('0.type', 'FOLDER'), ('1.last_modified', '2024-06-03T12:05:00Z'), ('1.size', 48213))),
    Case('cado-aws-lambda-function-list', args_of('cado-aws-lambda-function-list'), 'GET',
         '/api/v3/import/aws/lambda', 'aws_lambda_function_list',
         {'cloud_id': ['aws-prod'], 'region': ['eu-west-2'], 'per_page': ['50']}, None, 'Cado.LambdaFunction', 'name',
         'AWS Lambda functions', ('Name', 'Package Type'),
         (('0.name', 'order-processor'), ('0.last_modified', '2024-05-31T12:00:00Z'))),
    Case('cado-gcp-gce-instance-list', args_of('cado-gcp-gce-instance-list'),
         'GET', '/api/v3/import/gcp/gce', 'gcp_gce_instance_list',
         {'account_name': ['gcp-analytics'], 'gcp_project': ['analytics-prod-4521'], 'state': ['RUNNING'], **PAGE_1},
         None, 'Cado.GCEInstance', 'instance_id', 'GCP GCE instances', ('Instance Id', 'Instance Name', 'State'),
         (('0.instance_id', '4829104738291047382'),)),
    Case('cado-gcp-gcs-bucket-list', args_of('cado-gcp-gcs-bucket-list'), 'GET',
         '/api/v3/import/gcp/gcs/buckets', 'gcp_gcs_bucket_list',
         {'account_name': ['gcp-analytics'], 'gcp_project': ['analytics-prod-4521'], **PAGE_1}, None,
         'Cado.GCSBucket', 'name', 'GCP GCS buckets', ('Name', 'Location'),
         (('0.name', 'analytics-prod-4521-audit'),)),
    Case('cado-azure-vm-list', args_of('cado-azure-vm-list'),
         'GET', '/api/v3/import/azure/virtual-machine', 'azure_vm_list',
         {'account_name': ['azure-corp'], 'subscription_id': [AZURE_SUB], 'resource_group': ['rg-jump'], **PAGE_1},
         None, 'Cado.AzureVM', 'name', 'Azure virtual machines', ('Name', 'Location'),
         (('0.name', 'win-jump-01'), ('1.disks.1.disk_size', 256))),
    Case('cado-azure-disk-list', args_of('cado-azure-disk-list'), 'GET',
         '/api/v3/import/azure/disk', 'azure_disk_list',
         {'account_name': ['azure-corp'], 'subscription_id': [AZURE_SUB], **PAGE_1}, None, 'Cado.AzureDisk',
         'disk_name', 'Azure disks', ('Disk Name', 'Resource Group', 'Location'),
         (('1.disk_name', 'lin-app-02-data'),)),
    Case('cado-xdr-device-list', args_of('cado-xdr-device-list', limit='2'),
         'GET', '/api/v3/import/xdr/crowdstrike', 'xdr_device_list_page1',
         {'account_name': ['crowdstrike-eu'], 'hostname': ['FIN-LT'], 'per_page': ['2']}, None, 'Cado.XDRDevice',
         'device_id', 'XDR devices', ('Device Id', 'Hostname', 'Provider'),
         (('0.hostname', 'FIN-LT-0042'), ('0.provider', 'crowdstrike'))),
    # ------------------------------------------------------------------------------------------------ pipelines
    Case('cado-pipeline-get', args_of('cado-pipeline-get'), 'GET', '/api/v3/pipelines/4281', 'pipeline_get_complete',
         None, None, 'Cado.Pipeline', 'id', 'Cado pipeline 4281', ('Id', 'Type', 'Name', 'Status'),
         (('id', 4281), ('type', 'acquisition'), ('status', 'complete'), ('created', ISO_T0),
          ('subtasks.0.finish_time', '2024-06-03T12:02:00Z'))),
    Case('cado-pipeline-list', args_of('cado-pipeline-list', type='processing'), 'GET',
         '/api/v3/pipelines', 'pipeline_list',
         {'project_id': ['12'], 'pipeline_status': ['in_progress'], 'type': ['processing'], **PAGE_1}, None,
         'Cado.Pipeline', 'id', 'Cado pipelines', ('Id', 'Type', 'Name', 'Status'),
         (('0.id', 4282), ('0.status', 'in_progress'), ('0.triggering_pipeline_id', 4281), ('1.created', ISO_T0))),
    Case('cado-pipeline-cancel', args_of('cado-pipeline-cancel'), 'PATCH', '/api/v3/pipelines/4282',
         'pipeline_cancel', None, {'aborted': True}, None, None, 'pipeline 4282'),
    Case('cado-pipeline-rerun', args_of('cado-pipeline-rerun'), 'POST', '/api/v3/pipelines/rerun', 'pipeline_rerun',
         None, {'pipeline_id': 4281}, 'Cado.Pipeline', 'id', 'rerun: 4302', (), (('0.id', 4302),), status=201),
    # ------------------------------------------------------------------------------------------------ findings
    Case('cado-detection-list', args_of('cado-detection-list', source='GuardDuty',
                                        updated_after='2024-06-03T00:00:00Z'),
         'GET', '/api/v3/detections', 'detection_list',
         {'severity': ['critical', 'high'], 'source': ['GuardDuty'], 'updated_start_timestamp': ['1717372800'],
          'order_by': ['-id'], 'page': ['1'], 'per_page': ['20']}, None, 'Cado.Detection', 'id', 'Cado detections',
         ('Id', 'Name', 'Severity', 'Source'),
         (('0.id', 501), ('0.updated_datetime', '2024-06-03T13:05:00Z'), ('0.created_datetime', '2024-06-03T11:50:00Z'),
          ('0.raw_event', DETECTION['raw_event']), ('0.project_id', 12), ('1.project_id', 11))),
    Case('cado-detection-group-list', args_of('cado-detection-group-list'), 'GET', '/api/v3/detections/groups',
         'detection_group_list', {'severity': ['high'], 'order_by': ['-created_datetime'], **PAGE_1}, None,
         'Cado.DetectionGroup', 'investigation_id', 'Cado detection groups', ('Investigation Id', 'Investigation', 'Severity'),
         (('0.investigation_id', 12), ('0.project_id', 12), ('0.detection_count', 3),
          ('0.updated_datetime', '2024-06-03T13:05:00Z'))),
    Case('cado-detection-artifact-list', args_of('cado-detection-artifact-list'), 'GET',
         '/api/v3/detections/artifacts', 'detection_artifact_list',
         {'investigation_id': ['12'], 'artifact_type': ['domain'], **PAGE_1}, None, 'Cado.DetectionArtifact', 'id',
         'Cado detection artifacts', ('Id', 'Type', 'Value'), (('0.value', 'pool.minexmr.com'),)),
    Case('cado-detection-asset-get', args_of('cado-detection-asset-get'), 'GET', '/api/v3/detections/assets/501',
         'detection_asset_get', None, None, 'Cado.DetectionAsset', 'asset_id', 'Asset behind Cado detection 501',
         ('Detection Id', 'Asset Id'),
         (('asset_id', 'i-0a1b2c3d4e5f67890'), ('first_seen', '2024-06-03T11:50:00Z'), ('acquisitions.0.created', ISO_T0))),
    Case('cado-detection-get', {'detection_id': '501', 'resource_id': 'i-0a1b2c3d4e5f67890', 'account': 'aws-prod'},
         'GET', '/api/v3/detections', 'detection_list',
         {'resource_id': ['i-0a1b2c3d4e5f67890'], 'detection_type': ['all'], 'order_by': ['-id'], 'page': ['1'],
          'per_page': ['100']}, None, 'Cado.Detection', 'id', 'Cado detection 501', ('Id', 'Name', 'Severity'),
         (('id', 501), ('found', True), ('project_id', 12), ('investigation_id', 12),
          ('updated_datetime', '2024-06-03T13:05:00Z'), ('acquisition.command', 'cado-aws-ec2-acquire'),
          ('acquisition.arguments', {'instance_id': 'i-0a1b2c3d4e5f67890', 'region': 'eu-west-2', 'project_id': 12,
                                     'account': 'aws-prod'}),
          ('acquisition.ready', True), ('acquisitions.0.resource_id', 'i-0a1b2c3d4e5f67890'))),
    Case('cado-resource-classify', {'resource_id': 'arn:aws:ec2:eu-west-2:123456789012:instance/i-0a1b2c3d4e5f67890',
                                    'project_id': '12'},
         'GET', '/api/v3/accounts', 'account_list', {'type': ['aws'], 'page': ['1'], 'per_page': ['100']}, None,
         'Cado.Classification', 'resource_id', 'Cado acquisition for the resource',
         ('Resource Id', 'Provider', 'Resource Type', 'Command'),
         (('command', 'cado-aws-ec2-acquire'), ('resource_type', 'ec2'), ('provider', 'aws'),
          ('arguments', {'instance_id': 'i-0a1b2c3d4e5f67890', 'region': 'eu-west-2', 'project_id': 12,
                         'account': 'aws-prod'}),
          ('ready', True), ('missing', []), ('resource.cloud_account', '123456789012'))),
    Case('cado-alarm-list', args_of('cado-alarm-list', limit='2'), 'GET', '/api/v3/alarms',
         'alarm_list', {'investigation_id': ['12'], 'alarm_severity': ['4'], 'page': ['1'], 'per_page': ['2']}, None,
         'Cado.Alarm', 'id', 'Cado alarms', ('Id', 'Severity', 'Type', 'Description'),
         (('0.id', 90211), ('0.first_seen', '2024-06-03T12:10:00Z'), ('1.last_seen', '2024-06-03T11:31:00Z'))),
    Case('cado-alarm-get', args_of('cado-alarm-get'), 'GET', '/api/v3/alarms/90211', 'alarm_get', None, None,
         'Cado.Alarm', 'id', 'Cado alarm 90211', ('Id', 'Severity', 'Type', 'Description'),
         (('id', 90211), ('full_path', '/tmp/.X11-unix/xmrig'), ('first_seen', '2024-06-03T12:10:00Z'))),
    Case('cado-alarm-summary-get', args_of('cado-alarm-summary-get'), 'GET', '/api/v3/alarms/summary', 'alarm_summary',
         {'investigation_id': ['12']}, None, 'Cado.AlarmSummary', 'project_id',
         'Cado alarm summary for project 12: 17 alarms',
         ('Description', 'Severity', 'Total Count'), (('project_id', 12), ('total', 17), ('breakdown.1.total_count', 14))),
    Case('cado-evidence-list', args_of('cado-evidence-list', is_compromised='true'), 'GET', '/api/v3/evidences',
         'evidence_list', {'project_id': ['12'], 'is_compromised': ['true'], **PAGE_1}, None, 'Cado.Evidence', 'id',
         'Cado evidence', ('Id', 'Display Name'), (('0.id', 391), ('0.last_processed', '2024-06-03T13:05:00Z'))),
    Case('cado-evidence-get', args_of('cado-evidence-get'), 'GET', '/api/v3/evidences/391', 'evidence_get', None, None,
         'Cado.Evidence', 'id', 'Cado evidence 391', ('Id', 'Display Name'),
         (('id', 391), ('details.hostname', 'web-prod-01'))),
    Case('cado-indicator-list', args_of('cado-indicator-list'), 'GET', '/api/v3/indicators', 'indicator_list',
         {'investigation_id': ['12']}, None, 'Cado.Indicator', 'indicator',
         'Cado indicators of compromise in project 12', ('Indicator', 'Type', 'Description'),
         (('0.indicator', 'pool.minexmr.com'), ('1.type', 'sha256'))),
    # ------------------------------------------------------------------------------------------------ webhooks
    Case('cado-webhook-list', args_of('cado-webhook-list'), 'GET', '/api/v3/webhooks', 'webhook_list', PAGE_1, None,
         'Cado.Webhook', 'id', 'Cado webhooks', ('Id', 'Name', 'Event Type'),
         (('0.id', 31), ('0.last_sent', '2024-06-03T13:05:00Z'), ('1.payload_type', 'slack'))),
    Case('cado-webhook-create', args_of('cado-webhook-create', event_types='detection_created'),
         'POST', '/api/v3/webhooks', 'webhook_create', None,
         {'name': 'XSOAR intake', 'url': XSOAR_URL, 'event_type': 'detection_created',
          'payload_type': 'custom', 'payload': load('webhook_create')['data']['webhook']['payload']},
         'Cado.Webhook', 'id', 'Cado webhooks created', ('Id', 'Name', 'Event Type'),
         (('0.id', 31), ('0.event_type', 'detection_created')), status=201),
    Case('cado-webhook-update', args_of('cado-webhook-update', name='XSOAR detection_created (renamed)'),
         'PATCH', '/api/v3/webhooks/31', 'webhook_update', None,
         {'name': 'XSOAR detection_created (renamed)', 'enabled': False}, 'Cado.Webhook', 'id',
         'Cado webhook 31 updated', ('Id', 'Name', 'Event Type'), (('id', 31), ('enabled', False))),
    Case('cado-webhook-delete', args_of('cado-webhook-delete'), 'DELETE', '/api/v3/webhooks/32', 'webhook_delete',
         None, None, None, None, 'webhook 32 deleted'),
    Case('cado-webhook-test', args_of('cado-webhook-test'), 'POST', '/api/v3/webhooks/test', 'webhook_test', None,
         {'id': 31}, None, None, 'Webhook test sent successfully'),
    # ------------------------------------------------------------------------------------------------ timeline
    Case('cado-timeline-search', args_of('cado-timeline-search', limit='2'), 'GET', '/api/v3/timeline',
         'timeline_search', {'project_id': ['12'], 'search_text': ['xmrig'], 'per_page': ['2']}, None,
         'Cado.TimelineEvent', 'id', 'Cado timeline events',
         ('Id', 'Timestamp', 'Host', 'Summary', 'Evidence', 'Alarm Severity', 'Alarm Descriptions', 'Attack'),
         (('0.timestamp', '2024-06-03T12:10:00Z'), ('0.alarm_severity', 4),
          ('0.alarm_descriptions', ['Cryptocurrency miner XMRig', 'Executable in a hidden directory under /tmp']),
          ('0.attack', ['T1496', 'T1564.001']), ('0.alarm_information.1.severity', 3))),
    Case('cado-timeline-facet-list', args_of('cado-timeline-facet-list'), 'GET', '/api/v3/timeline/facets',
         'timeline_facet_list', {'project_id': ['12'], 'facet_field': ['alarm_severity'], 'per_page': ['50']}, None,
         'Cado.TimelineFacet', 'facet_field', 'Cado timeline facet counts of alarm_severity in project 12',
         ('Value', 'Count'),
         (('facet_field', 'alarm_severity'), ('project_id', 12), ('values.1.count', 14))),
    Case('cado-timeline-note-add', args_of('cado-timeline-note-add'), 'POST', '/api/v3/notes', 'timeline_note_add',
         None, {'investigation_id': 12, 'include_event_ids': ['c2f1e0d9b8a7-391-0001'], 'note': {'type': 'star'}},
         'Cado.TimelineEvent', 'id', 'Cado timeline events starred in project 12: c2f1e0d9b8a7-391-0001',
         checks=(('0.id', 'c2f1e0d9b8a7-391-0001'), ('0.starred', True)), status=201),
    Case('cado-timeline-note-remove', args_of('cado-timeline-note-remove'), 'DELETE', '/api/v3/notes',
         'timeline_note_remove', None,
         {'investigation_id': 12, 'include_event_ids': ['c2f1e0d9b8a7-391-0001'], 'note': {'type': 'star'}},
         None, None, 'Stars removed from the named Cado timeline events in project 12'),
    Case('cado-vulnerability-list', args_of('cado-vulnerability-list'), 'GET', '/api/v3/vulnerabilities',
         'vulnerability_list', {'investigation_id': ['12'], 'severity': ['critical', 'high'], **PAGE_1}, None,
         'Cado.Vulnerability', 'id', 'Cado vulnerabilities', ('Cve', 'Severity', 'Package', 'Installed Version'),
         (('0.id', '391:liblzma5@5.6.0-0.2:CVE-2024-3094'), ('0.published_date', '2024-03-29T20:50:00Z'),
          ('0.first_seen', '2024-06-03T13:05:00Z'), ('1.id', '391:libcurl4@7.88.1-10:CVE-2023-38545'))),
]
# More providers of the XDR browse command (each its own endpoint).
SUCCESS_CASES += [
    Case('cado-xdr-device-list', {'provider': provider, **args}, 'GET', path, fixture, query, None, 'Cado.XDRDevice',
         'device_id', 'XDR devices', ('Device Id', 'Hostname', 'Provider'), (('0.provider', provider),))
    for provider, args, path, fixture, query in (
        ('sentinelone', {'account': 's1-corp'}, '/api/v3/import/xdr/sentinelone', 'xdr_sentinelone_device_list',
         {'account_name': ['s1-corp'], 'per_page': ['50']}),
        ('defender', {'account': 'defender-corp', 'os': 'WindowsServer2022'}, '/api/v3/import/xdr/defender',
         'xdr_defender_device_list',
         {'account_name': ['defender-corp'], 'os': ['WindowsServer2022'], 'per_page': ['50']}),
        ('darktrace', {'appliance_name': 'dt-eu-1'}, '/api/v3/import/xdr/csensor', 'xdr_darktrace_device_list',
         {'selected_appliance': ['dt-eu-1'], 'per_page': ['50']}))]
# Files in evidence (file entries and the download URL: CadoSecurity_files_test.py).
SUCCESS_CASES += [
    Case('cado-file-search', args_of('cado-file-search'), 'GET', '/api/v3/files/browse', 'file_search',
         {'evidence_id': ['391'], 'path': ['/tmp'], 'severity': ['4'], **PAGE_1}, None, 'Cado.File', 'path',
         'Cado files', ('Name', 'Path', 'Type'),
         (('0.path', '/tmp/.X11-unix/kworkerd'), ('0.evidence_id', 391), ('0.last_modified', '2024-06-03T11:50:00Z'),
          ('1.is_deleted', True))),
    Case('cado-directory-list', args_of('cado-directory-list'), 'GET', '/api/v3/files/directory', 'directory_list',
         {'evidence_id': ['391'], 'path': ['/tmp'], **PAGE_1}, None, 'Cado.File', 'path', 'Cado files',
         ('Name', 'Path', 'Type'), (('0.id', 88120), ('0.type', 'folder'), ('1.evidence_id', 391))),
    Case('cado-file-get', args_of('cado-file-get'), 'GET', '/api/v3/files/file', 'file_get',
         {'evidence_id': ['391'], 'path': ['/tmp/.X11-unix/kworkerd']}, None, 'Cado.File', 'path',
         'Cado file /tmp/.X11-unix/kworkerd in evidence 391', ('Path', 'Sha256', 'File Size'),
         (('path', '/tmp/.X11-unix/kworkerd'), ('evidence_id', 391), ('file_size', 2457600),
          ('accessed', '2024-06-03T11:55:00Z'), ('indicators.0.match', 'xmrig'))),
]
# Commands whose success is proven in their own module: they answer War Room file entries (downloads and logs:
# CadoSecurity_files_test.py; exports: CadoSecurity_timeline_test.py), or keep Cado's answer out of the raw response.
OWN_SUCCESS_TESTS = {'cado-file-download', 'cado-pipeline-logs-get', 'cado-evidence-download-url-get',
                     *CadoSecurity.EXPORTS, 'cado-host-command-get', 'cado-host-acquisition-follow'}
# Mirroring answers XSOAR's mirroring objects, or makes no request (cado-incident-mirror-link): its own module,
# CadoSecurity_mirroring_test.py, proves each.
OWN_SUCCESS_TESTS |= set(CadoSecurity.MIRRORING_COMMANDS)
# The browse commands for the names of containers, appliances and storage: (command, exact query, table columns,
# checks); the request path is the Listing's endpoint, the fixture BROWSE_FIXTURES', the prefix and key its Entity's.
ECS_QUERY = {'account_name': ['aws-prod'], 'region': ['eu-west-2']}
EKS_QUERY = {'account_name': ['aws-prod'], 'cluster_region': ['us-east-1'], **PAGE_1}
GKE_QUERY = {'account_name': ['gcp-analytics'], 'gcp_project_id': ['analytics-prod-4521'], **PAGE_1}
AKS_QUERY = {'account_name': ['azure-corp'], 'subscription_id': [AZURE_SUB], 'resource_group': ['rg-aks'], **PAGE_1}
AZURE_QUERY = {'account_name': ['azure-corp'], 'subscription_id': [AZURE_SUB], **PAGE_1}
POD_QUERY = {'pod_name': ['checkout-7d9f8b6c5-x2k4p'], 'pod_namespace': ['shop']}
BROWSE_CASES = [
    ('cado-aws-ecs-cluster-list', {**ECS_QUERY, 'per_page': ['50']}, ('Cluster Name',),
     (('0.cluster_name', 'prod-ecs'),)),
    ('cado-aws-ecs-task-list', {**ECS_QUERY, 'cluster_name': ['prod-ecs'], 'per_page': ['50']},
     ('Task Name', 'Importable'), (('0.task_name', '0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c'), ('1.importable', False))),
    ('cado-aws-ecs-container-list',
     {**ECS_QUERY, 'cluster_name': ['prod-ecs'], 'task_name': ['0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c']},
     ('Container Name', 'Is Online'), (('0.container_name', 'api'), ('1.is_online', False))),
    ('cado-aws-eks-cluster-list', EKS_QUERY, ('Cluster Name', 'Is Private'), (('1.is_private', True),)),
    ('cado-aws-eks-pod-list', {**EKS_QUERY, 'cluster_name': ['prod-eks']}, ('Pod Name', 'Pod Namespace'),
     (('0.pod_name', 'checkout-7d9f8b6c5-x2k4p'), ('0.pod_namespace', 'shop'))),
    ('cado-aws-eks-container-list', {**EKS_QUERY, 'cluster_name': ['prod-eks'], **POD_QUERY},
     ('Container Name', 'Container Image'), (('0.container_name', 'checkout'),)),
    ('cado-gcp-gke-cluster-list', GKE_QUERY, ('Cluster Name', 'Zone', 'Is Private'),
     (('0.cluster_name', 'etl-gke'), ('0.zone', 'europe-west2-b'))),
    ('cado-gcp-gke-pod-list', {**GKE_QUERY, 'cluster_name': ['etl-gke'], 'cluster_zone': ['europe-west2-b']},
     ('Pod Name', 'Pod Namespace'), (('0.pod_name', 'spark-driver-0'),)),
    ('cado-gcp-gke-container-list', {**GKE_QUERY, 'cluster_name': ['etl-gke'], 'cluster_zone': ['europe-west2-b'],
                                     'pod_name': ['spark-driver-0'], 'pod_namespace': ['etl']},
     ('Container Name', 'Container Image'), (('0.container_name', 'spark'),)),
    ('cado-azure-aks-cluster-list', AKS_QUERY, ('Cluster Name', 'Is Private'), (('0.cluster_name', 'aks-prod'),)),
    ('cado-azure-aks-pod-list', {**AKS_QUERY, 'cluster_name': ['aks-prod']}, ('Pod Name', 'Pod Namespace'),
     (('0.pod_namespace', 'default'),)),
    ('cado-azure-aks-container-list', {**AKS_QUERY, 'cluster_name': ['aks-prod'], 'pod_name': ['web-5c9d8f7b6-q8w2e'],
                                       'pod_namespace': ['default']},
     ('Container Name', 'Container Image'), (('1.container_image', 'docker.io/istio/proxyv2:1.21.0'),)),
    ('cado-darktrace-appliance-list', {'per_page': ['50']}, ('Name', 'Product Id', 'Url'),
     (('0.name', 'dt-eu-1'), ('0.deployment_id', 4102))),
    ('cado-azure-subscription-list', {'account_name': ['azure-corp'], **PAGE_1}, ('Id', 'Name'),
     (('0.id', AZURE_SUB), ('0.name', 'Corp Production'))),
    ('cado-azure-resource-group-list', AZURE_QUERY, ('Name',), (('2.name', 'rg-forensics'),)),
    ('cado-azure-storage-account-list', AZURE_QUERY, ('Name',), (('0', {'name': 'acmeinsights'}),)),
    ('cado-azure-storage-container-list', {**AZURE_QUERY, 'storage_account_name': ['acmeinsights']}, ('Name',),
     (('1.name', 'insights-logs-auditlogs'),)),
    ('cado-azure-blob-list', {**AZURE_QUERY, 'storage_account_name': ['acmeinsights'],
                              'container_name': ['insights-logs-signinlogs']}, ('Name', 'Size'),
     (('0.name', 'y=2024/m=06/d=03/h=12/m=00/PT1H.json'), ('0.size', 183204))),
    ('cado-gcp-project-list', {'account_name': ['gcp-analytics'], **PAGE_1}, ('Gcp Project Id', 'Gcp Project Name'),
     (('0.gcp_project_id', 'analytics-prod-4521'),)),
    ('cado-gcp-gcs-object-list', {'account_name': ['gcp-analytics'], 'gcp_project': ['analytics-prod-4521'],
                                  'bucket_name': ['analytics-prod-4521-audit'], 'prefix': ['logs/2024/06/03/'], **PAGE_1},
     ('Name', 'Type', 'Size'), (('0.last_modified', '2024-06-03T12:05:00Z'), ('1.type', 'FOLDER'))),
]
SUCCESS_CASES += [
    Case(command, args_of(command), 'GET', CadoSecurity.ENDPOINTS[CadoSecurity.LISTINGS[command].endpoint].path,
         BROWSE_FIXTURES[command], query, None, CadoSecurity.LISTINGS[command].entity.prefix,
         CadoSecurity.LISTINGS[command].entity.key, CadoSecurity.LISTINGS[command].entity.title, columns, checks)
    for command, query, columns, checks in BROWSE_CASES]
SUCCESS_CASES += [
    Case('cado-script-list', args_of('cado-script-list'), 'GET', '/api/v3/settings/scripts', 'script_list',
         {'operating_system': ['linux'], **PAGE_1}, None, 'Cado.Script', 'id', 'Cado saved scripts',
         ('Id', 'Name', 'Os'), (('0.id', 3), ('0.updated_datetime', '2024-06-03T14:00:00Z'), ('1.os', 'windows'))),
    Case('cado-cloudgrep-search', args_of('cado-cloudgrep-search'), 'POST', '/api/v3/import/cloudgrep',
         'cloudgrep_search', None,
         {'bucket_name': 'acme-cloudtrail-logs', 'account_name': 'aws-prod', 'investigation_id': 12,
          'query': ['203.0.113.45', 'xmrig'], 'prefixes': ['AWSLogs/123456789012/CloudTrail/']},
         'Cado.CloudgrepMatch', 'filename', 'Cado cloudgrep matches in bucket acme-cloudtrail-logs',
         ('Filename', 'Total Matches', 'Matched Lines'),
         (('0.total_matches', 2), ('0.bucket', 'acme-cloudtrail-logs'), ('1.total_matches', 1))),
    Case('cado-host-download-link-get', args_of('cado-host-download-link-get'), 'GET', '/api/v3/import/cado-host',
         'host_download_link_get', {'os': ['linux']}, None, 'Cado.HostDownload', 'os',
         'Cado Host download link for linux', ('Os', 'Link'),
         (('link', 'https://cado.example.com/downloads/cado-host/linux/cado-host'),)),
]
# Custom IOC rules (the push's writes, read-backs and races: CadoSecurity_intelligence_test.py) and single notes.
INTELLIGENCE_QUERY = {'ioc': ['true'], 'yara': ['false']}
SUCCESS_CASES += [
    Case('cado-ioc-rule-list', args_of('cado-ioc-rule-list'), 'GET', '/api/v3/intelligence', 'intelligence_get',
         INTELLIGENCE_QUERY, None, 'Cado.IOCRule', 'key', 'Cado custom IOC rules of the tenant',
         ('Line', 'Value', 'Type', 'Title', 'Scope'),
         (('0.key', 'tenant:203.0.113.45'), ('0.type', 'ip'), ('0.title', 'Mining pool of INC-2024-0612'),
          ('1.value', 'xmrig'), ('1.type', 'keyword'), ('2.type', 'keyword'), ('3.line', 5),
          ('4.type', 'domain'), ('5.type', 'sha256'), ('5.line', 7), ('5.scope', 'tenant'))),
    Case('cado-ioc-rule-push', args_of('cado-ioc-rule-push'), 'GET', '/api/v3/intelligence', 'intelligence_get',
         INTELLIGENCE_QUERY, None, 'Cado.IOCRule', 'key', 'Cado custom IOC rules of the tenant',
         ('Value', 'Type', 'Status', 'Title'),
         (('0.status', 'would be added'), ('0.type', 'ip'), ('0.title', 'XSOAR incident 4711'),
          ('1.key', 'tenant:pool.minexmr.example'), ('1.status', 'already present'), ('1.type', 'domain'))),
    Case('cado-timeline-note-update', args_of('cado-timeline-note-update'), 'PATCH', '/api/v3/notes/57',
         'timeline_note_update', None, {'text': 'Miner dropped here: confirmed by XSOAR incident 4711'},
         'Cado.TimelineNote', 'id', 'Cado timeline note 57 updated', ('Id', 'Event Id', 'Type', 'Text'),
         (('id', 57), ('event_id', 'c2f1e0d9b8a7-391-0001'), ('created', '2024-06-03T12:20:00Z'),
          ('note.text', 'Miner dropped here: confirmed by XSOAR incident 4711'))),
    Case('cado-timeline-note-delete', args_of('cado-timeline-note-delete'), 'DELETE', '/api/v3/notes/57',
         'timeline_note_delete', None, None, None, None, 'Cado timeline note 57 deleted'),
]
CASE_IDS = [f'{case.command}-{case.args.get("provider")}' if case.command == 'cado-xdr-device-list' else case.command
            for case in SUCCESS_CASES]


def serve(requests_mock, case: Case, **response) -> None:
    response = response or {'json': load(case.fixture), 'status_code': case.status}
    requests_mock.register_uri(case.method, f'{BASE}{case.path}', **response)


@pytest.mark.parametrize('case', SUCCESS_CASES, ids=CASE_IDS)
def test_command_success(mocker, requests_mock, case):
    serve(requests_mock, case)
    result = succeed(mocker, case.command, case.args)

    assert requests_mock.call_count == 1, 'a single object or a single page takes exactly one request'
    request = requests_mock.last_request
    assert (request.method, urlparse(request.url).path) == (case.method, case.path)
    assert query_of(request) == (case.query or {})
    assert body_of(request) == case.body
    assert request.headers['Authorization'] == f'Bearer {API_KEY}'

    assert result.outputs_prefix == case.prefix
    assert result.outputs_key_field == case.key
    for path, expected in case.checks:
        assert dig(result.outputs, path) == expected, path
    assert result.raw_response == load(case.fixture)
    if case.columns:
        title, columns = table_of(result.readable_output)
        assert title == case.readable
        assert columns[:len(case.columns)] == list(case.columns)
    else:
        assert case.readable in result.readable_output
    if case.prefix:
        # The outputs land under the prefix; the key expression's wording is the server's CommonServerPython's.
        context = {path: value for path, value in result.to_context()['EntryContext'].items()
                   if path.split('(')[0] not in XSOAR_INDICATOR_KEYS}
        assert [path.split('(')[0] for path in context] == [case.prefix]
        assert list(context.values()) == [result.outputs]


@pytest.mark.parametrize('case', SUCCESS_CASES, ids=CASE_IDS)
def test_command_requests_match_contract(mocker, requests_mock, contract, case):
    serve(requests_mock, case)
    succeed(mocker, case.command, case.args)
    problems = [problem for request in requests_mock.request_history for problem in contract.request_problems(request)]
    assert not problems, '\n'.join(problems)


HOST_SOURCES = [command for command, source in CadoSecurity.SOURCES.items() if source.host_options]


@pytest.mark.parametrize('command', HOST_SOURCES)
def test_cado_host_options_travel_in_the_body(mocker, requests_mock, contract, command):
    case = acquisition_case(command, {**VALID_ARGS[command], **command_args.HOST_OPTION_ARGS})
    serve(requests_mock, case)
    succeed(mocker, command, case.args)
    body = body_of(requests_mock.last_request)
    assert body == case.body
    assert body['host_options'] == {'collection_type': 'custom', 'light_mode': True, 'skip_scan': False,
                                    'additional_files': ['/etc/passwd', '/var/log/auth.log'], 'groups': ['linux-servers']}
    assert not contract.request_problems(requests_mock.last_request)


def test_every_yaml_command_has_a_success_case(yaml_commands):
    assert set(yaml_commands) - {case.command for case in SUCCESS_CASES} - OWN_SUCCESS_TESTS == set()


# ============================================================================================================
# main(): dispatch, YAML and errors
# ============================================================================================================

@pytest.fixture(scope='module')
def integration_yaml() -> dict:
    assert YAML_PATH.is_file(), f'{YAML_PATH.name} is missing'
    return yaml.safe_load(YAML_PATH.read_text())


@pytest.fixture(scope='module')
def yaml_commands(integration_yaml) -> dict[str, dict]:
    return {command['name']: command for command in integration_yaml['script']['commands']}


def test_dispatch_table_matches_yaml(yaml_commands):
    assert set(yaml_commands) == set(CadoSecurity.COMMANDS)
    assert len(yaml_commands) >= 45


# Arguments the code reads under a name built at run time (polling, paging and the instance defaults).
COMMON_ARGUMENTS = {'page', 'page_size', 'limit', 'next_token', 'polling', 'interval_in_seconds',
                    'timeout_in_seconds', 'hide_polling_output', 'pipeline_id', 'pipeline_ids',
                    'processing_pipeline_id', 'wait_for_processing', 'project_id', 'account', 'region',
                    # and the mirroring arguments that CommonServerPython's UpdateRemoteSystemArgs reads
                    'remoteId', 'delta', 'incidentChanged'}


def test_yaml_arguments_are_read_by_the_code(yaml_commands):
    """An argument the YAML offers but the code never reads would be silently ignored."""
    source = Path(CadoSecurity.__file__).read_text()
    unread = [f'{name}.{argument["name"]}' for name, command in yaml_commands.items()
              for argument in command.get('arguments', [])
              if f"'{argument['name']}'" not in source and argument['name'] not in COMMON_ARGUMENTS]
    assert not unread


def test_shared_arguments_are_valid_for_every_command(yaml_commands):
    """The one table of arguments (VALID_ARGS, and the subset the examples show) against the YAML: declared names,
    every required argument given, predefined values respected."""
    assert set(VALID_ARGS) == {*yaml_commands, 'test-module', 'fetch-incidents'}
    for command, arguments in [*VALID_ARGS.items(), *((c, command_args.example_args(c)) for c in yaml_commands)]:
        declared = {argument['name']: argument for argument in yaml_commands.get(command, {}).get('arguments', [])}
        assert set(arguments) <= set(declared), f'{command}: unknown {set(arguments) - set(declared)}'
        required = {name for name, argument in declared.items() if argument.get('required')}
        assert required <= set(arguments), f'{command}: missing {required - set(arguments)}'
        for name, value in arguments.items():
            values = value.split(',') if declared[name].get('isArray') else [value]
            assert not declared[name].get('predefined') or set(values) <= set(declared[name]['predefined']), \
                f'{command}: {name}={value}'


def test_every_acquisition_argument_has_an_example():
    missing = [f'{command}: {field.arg}' for command, source in CadoSecurity.SOURCES.items()
               for field in (*command_args.source_arguments(source), *CadoSecurity.HOST_OPTION_FIELDS) if not field.example]
    assert not missing, 'every acquisition argument needs an `example` in SOURCES'


def test_readme_examples_are_the_shared_ones(yaml_commands):
    """The README's command examples are generated from the shared table (`make command-examples` writes them all)."""
    readme = (HERE / 'README.md').read_text()
    shown = {section.split('\n', 1)[0]: example.group(1) for section in re.split(r'^### ', readme, flags=re.M)
             if (example := re.search(r'^#### Command example\n\n```\n(.*?)\n```', section, re.M | re.S))}
    stale = {command: command_args.example_line(command) for command in yaml_commands
             if shown.get(command) != command_args.example_line(command)}
    assert not stale, 'write these command examples in the integration README:\n' + '\n'.join(stale.values())


def test_unknown_command(mocker):
    error = fail(mocker, 'cado-does-not-exist')
    assert 'not implemented' in error


def test_exceptions_become_return_error_without_traceback(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/projects/12', exc=RuntimeError('boom in the client'))
    error = fail(mocker, 'cado-project-get', {'project_id': '12'})
    assert 'boom in the client' in error


@pytest.mark.parametrize('exposure', ['envelope', 'non-json', 'connection', 'timeout'])
def test_secrets_never_reach_errors_or_logs(mocker, requests_mock, exposure):
    """Whatever echoes the key back (a proxy page, an exception text), the war room and logs never show it."""
    url = f'{BASE}/api/v3/projects/12'
    if exposure == 'envelope':
        requests_mock.get(url, status_code=401, json={'status': 'error', 'message': f'Bad token {API_KEY}',
                                                       'code': 'AUTH_401'})
    elif exposure == 'non-json':
        requests_mock.get(url, status_code=502, text=f'<html>Bearer {API_KEY} rejected by proxy</html>')
    elif exposure == 'connection':
        requests_mock.get(url, exc=requests.exceptions.ConnectionError(f'refused, headers: Bearer {API_KEY}'))
    else:
        requests_mock.get(url, exc=requests.exceptions.ReadTimeout(f'read timed out (Bearer {API_KEY})'))
    logged = [mocker.patch.object(demisto, name) for name in ('debug', 'info', 'error')]
    fail(mocker, 'cado-project-get', {'project_id': '12'})
    assert API_KEY not in repr([call for log in logged for call in log.call_args_list])


def test_redirects_are_not_followed_with_the_key(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/projects/12', status_code=302,
                      headers={'Location': 'https://collector.example.net/steal'})
    elsewhere = requests_mock.get('https://collector.example.net/steal', json=load('project_get'))
    error = fail(mocker, 'cado-project-get', {'project_id': '12'})
    assert '302' in error
    assert not elsewhere.called


def test_an_id_cannot_leave_its_path_segment(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/incidents/INC%2F..%2Fprojects%3Fx%231', json=load('incident_project_get'))
    succeed(mocker, 'cado-incident-project-get', {'incident_id': 'INC/../projects?x#1'})
    assert urlparse(requests_mock.last_request.url).path == '/api/v3/incidents/INC%2F..%2Fprojects%3Fx%231'
    assert requests_mock.call_count == 1


def test_base_url_with_api_suffix_and_slash_is_accepted(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/projects/12', json=load('project_get'))
    succeed(mocker, 'cado-project-get', {'project_id': '12'}, {'url': f'{BASE}/api/v3/'})
    assert requests_mock.last_request.url == f'{BASE}/api/v3/projects/12'


# ============================================================================================================
# test-module
# ============================================================================================================

def test_test_module_ok(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/system/status', json=load('system_status'))
    assert succeed(mocker, 'test-module') == 'ok'
    assert requests_mock.call_count == 1


def whoami(role: str) -> dict:
    answer = load('auth_whoami')
    answer['data']['rbac_role'] = role
    return answer


@pytest.mark.parametrize('role', ['Analyst', 'Read Only Analyst', 'Administrator', 'Darktrace'])
def test_test_module_checks_the_role_and_the_detection_feed_when_fetching(mocker, requests_mock, role):
    """A role that can read detections, or one the contract does not name (then the detections request decides)."""
    requests_mock.get(f'{BASE}/api/v3/system/status', json=load('system_status'))
    requests_mock.get(f'{BASE}/api/v3/auth/whoami', json=whoami(role))
    requests_mock.get(f'{BASE}/api/v3/detections', json=load('detection_list'))
    assert succeed(mocker, 'test-module', params={'isFetch': True}) == 'ok'
    assert [urlparse(r.url).path for r in requests_mock.request_history] == [
        '/api/v3/system/status', '/api/v3/auth/whoami', '/api/v3/detections']
    assert query_of(requests_mock.last_request)['order_by'] == ['updated_datetime']
    assert query_of(requests_mock.last_request)['detection_type'] == ['all']  # what the fetch will ask for
    assert succeed(mocker, 'test-module', params={'isFetch': True, 'detection_type': 'incident'}) == 'ok'
    assert query_of(requests_mock.last_request)['detection_type'] == ['incident']


def test_test_module_fails_when_fetching_with_a_role_that_cannot_read_detections(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/system/status', json=load('system_status'))
    requests_mock.get(f'{BASE}/api/v3/auth/whoami', json=whoami('Platform Administrator'))
    message = succeed(mocker, 'test-module', params={'isFetch': True})
    assert message != 'ok', 'XSOAR shows any other answer as the failure'
    for phrase in ('Platform Administrator', 'cannot read detections', 'Fetch incidents', 'Read Only Analyst'):
        assert phrase in message
    assert requests_mock.call_count == 2, 'no detections request once the role is known not to read them'


def test_test_module_without_fetch_accepts_a_role_that_cannot_read_detections(mocker, requests_mock):
    """Webhook commands need a Platform Administrator or Administrator key; such an instance must pass its test."""
    requests_mock.get(f'{BASE}/api/v3/system/status', json=load('system_status'))
    requests_mock.get(f'{BASE}/api/v3/auth/whoami', json=whoami('Platform Administrator'))
    assert succeed(mocker, 'test-module', params={'isFetch': False}) == 'ok'


@pytest.mark.parametrize('case', [case for case in SUCCESS_CASES if case.command.startswith('cado-webhook-')]
                         + [SUCCESS_CASES[0]], ids=lambda case: case.command)
def test_a_refused_webhook_command_says_which_key_serves_it(mocker, requests_mock, case):
    """The connection test does not check the webhook roles, so a refusal of a webhook command says what to do."""
    serve(requests_mock, case, status_code=403, json=load('error_forbidden'))
    message = fail(mocker, case.command, case.args)
    hinted = 'Webhook commands need an Administrator or Platform Administrator key' in message
    assert hinted is case.command.startswith('cado-webhook-')


@pytest.mark.parametrize('response, says', [
    ({'status_code': 401, 'json': load('error_unauthorized')}, 'API Key'),
    ({'status_code': 404, 'text': '<html><body>Not Found</body></html>'}, 'Server URL'),
    ({'status_code': 200, 'text': '<!doctype html><title>Sign in</title>'}, 'Server URL'),
    ({'exc': requests.exceptions.ConnectionError('Connection refused')}, 'Server URL'),
    ({'exc': requests.exceptions.ConnectTimeout('timed out')}, 'Server URL'),
    ({'status_code': 503, 'json': load('error_server')}, 'platform'),
    ({'status_code': 200, 'json': {'status': 'success', 'data': {'status': 'installing',
                                                                 'status_message': 'Cado is being installed',
                                                                 'is_installing': True,
                                                                 'setup_complete': False}}}, 'platform'),
], ids=['bad-key', 'wrong-url-404', 'wrong-url-html', 'refused', 'connect-timeout', 'platform-down',
        'platform-installing'])
def test_test_module_failure_says_what_is_wrong(mocker, requests_mock, response, says):
    """XSOAR shows test-module's answer when it is not 'ok', or the error; either must say what to fix."""
    requests_mock.get(f'{BASE}/api/v3/system/status', **response)
    outcome = execute(mocker, 'test-module')
    message = outcome.error or outcome.result
    assert message != 'ok'
    assert isinstance(message, str) and says in message and API_KEY not in message


# ============================================================================================================
# Every error path, for every command
# ============================================================================================================

ENVELOPE = load('error_envelope')
NOT_JSON = '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>'
ERRORS = {
    'error-envelope': ({'status_code': 200, 'json': ENVELOPE}, (ENVELOPE['message'], ENVELOPE['code'])),
    '400': ({'status_code': 400, 'json': load('error_validation')}, ('HTTP 400', "'region' is a required property")),
    '401': ({'status_code': 401, 'json': load('error_unauthorized')}, ('HTTP 401', 'API Key')),
    '403': ({'status_code': 403, 'json': load('error_forbidden')}, ('HTTP 403',)),
    '404': ({'status_code': 404, 'json': ENVELOPE}, ('404', ENVELOPE['message'])),
    '422': ({'status_code': 422, 'json': load('error_validation')}, ('HTTP 422', "'region' is a required property")),
    '500': ({'status_code': 500, 'json': load('error_server')}, ('HTTP 500', load('error_server')['message'])),
    '503-not-json': ({'status_code': 503, 'text': NOT_JSON}, ('HTTP 503', 'not JSON')),
    'timeout': ({'exc': requests.exceptions.ReadTimeout('Read timed out. (read timeout=30)')}, ('30 seconds',)),
    'refused': ({'exc': requests.exceptions.ConnectionError('[Errno 111] Connection refused')},
                ('Could not reach', 'Server URL')),
    'success-not-json': ({'status_code': 200, 'text': NOT_JSON}, ('non-JSON',)),
    'success-not-an-object': ({'status_code': 200, 'json': [ENVELOPE]}, ('unexpected body',)),
    '429': ({'status_code': 429, 'json': {'status': 'error', 'message': 'Too many requests', 'code': 'RATE_429'}},
            ('HTTP 429', 'Too many requests')),
    '418': ({'status_code': 418, 'text': ''}, ('HTTP 418',)),
}


@pytest.mark.parametrize('error', sorted(ERRORS))
@pytest.mark.parametrize('case', SUCCESS_CASES, ids=CASE_IDS)
def test_command_errors(mocker, requests_mock, request, case, error):
    response, phrases = ERRORS[error]
    serve(requests_mock, case, **response)
    message = fail(mocker, case.command, case.args)
    for phrase in phrases:
        assert phrase in message
    assert requests_mock.call_count == 1, 'one attempt (retries happen below requests_mock, see the loopback tests)'
    if error in ('403', '404'):
        contract = request.getfixturevalue('contract')
        _, _, path_values = contract.operation(case.method, case.path)
        if error == '403':
            roles = contract.roles(case.method, case.path)
            assert all(role in message for role in roles), f'403 must name the roles {roles}'
        else:
            for value in path_values.values():
                assert value in message, '404 names the id that was not found'


@pytest.mark.parametrize('case', SUCCESS_CASES, ids=CASE_IDS)
def test_success_envelope_of_another_shape(mocker, requests_mock, case):
    """A success envelope whose `data` is not what the operation returns (another platform version, a proxy) is
    reported, not turned into a KeyError; operations that return no data accept an empty answer."""
    if 'data' in load(case.fixture):
        serve(requests_mock, case, json={'status': 'success', 'data': 'maintenance mode'}, status_code=case.status)
        assert '"data"' in fail(mocker, case.command, case.args)
    else:
        serve(requests_mock, case, status_code=204, text='')
        assert case.readable in succeed(mocker, case.command, case.args).readable_output


@pytest.mark.parametrize('case', [case for case in SUCCESS_CASES if case.prefix == 'Cado.Acquisition'],
                         ids=lambda case: case.command)
def test_import_answer_without_pipeline(mocker, requests_mock, case):
    serve(requests_mock, case, json={'status': 'success', 'data': {}})
    assert 'no pipeline' in fail(mocker, case.command, case.args)


# ============================================================================================================
# Retries (real HTTP: requests_mock bypasses the transport where urllib3 retries)
# ============================================================================================================

@pytest.fixture(scope='module')
def certificate(tmp_path_factory) -> tuple[str, str]:
    return self_signed_certificate(tmp_path_factory.mktemp('tls'))


@pytest.fixture(params=['https-insecure', 'https-verified'])
def fake_cado(certificate, mocker, monkeypatch, request):
    """A loopback Cado (answers queued by each test as (status, body[, headers]); the last one repeats) over TLS
    trusted by 'Trust any certificate' or by a CA bundle: the two adapters XSOAR mounts."""
    mocker.patch.object(CadoSecurity, 'RETRY_BACKOFF', 0)  # retry at once; the backoff itself is urllib3's
    for name in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'):  # XSOAR's insecure mode deletes them: restore afterwards
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
    with LoopbackServer(certificate=certificate) as server:
        server.insecure = request.param == 'https-insecure'
        if not server.insecure:
            monkeypatch.setenv('REQUESTS_CA_BUNDLE', certificate[0])
        yield server


def test_plain_http_read_failure_is_reported_truthfully(mocker):
    """Over plain http (a local Prism, a lab platform) a read either retries or does not say it did."""
    mocker.patch.object(CadoSecurity, 'RETRY_BACKOFF', 0)
    with LoopbackServer([(503, load('error_server'))]) as server:
        message = fail(mocker, 'cado-project-get', {'project_id': '12'}, {'url': server.url})
    assert 'HTTP 503' in message
    if len(server.requests) == 1:
        assert 'retrying' not in message, 'no retry was made over http'
    else:
        assert len(server.requests) == 4


def test_error_says_it_retried_only_when_it_did(mocker):
    """'after retrying' comes from the answer's retry history, whichever adapter the session has."""
    mocker.patch.object(CadoSecurity, 'READ_RETRIES', 0)
    with LoopbackServer([(503, load('error_server'))]) as server:
        message = fail(mocker, 'cado-project-get', {'project_id': '12'}, {'url': server.url})
    assert len(server.requests) == 1
    assert 'HTTP 503' in message and 'retrying' not in message


def _real_params(fake_cado) -> dict:
    return {'url': fake_cado.url, 'insecure': fake_cado.insecure}


@pytest.mark.parametrize('command, args, method, attempts', [
    ('cado-project-get', {'project_id': '12'}, 'GET', 4),
    ('cado-pipeline-list', {}, 'GET', 4),
    ('cado-project-create', {'name': 'Retry check'}, 'POST', 1),
    ('cado-pipeline-cancel', {'pipeline_id': '4281'}, 'PATCH', 1),
    ('cado-project-delete', {'project_ids': '12'}, 'DELETE', 1),
    ('cado-aws-s3-acquire', {'project_id': '12', 'account': 'aws-prod', 'bucket': 'acme-web-assets'}, 'POST', 1),
])
def test_reads_retry_5xx_and_writes_never_do(mocker, fake_cado, command, args, method, attempts):
    fake_cado.answers = [(503, load('error_server'))]
    message = fail(mocker, command, args, _real_params(fake_cado))
    assert 'HTTP 503' in message
    assert [sent for sent, _ in fake_cado.requests] == [method] * attempts
    assert ('after retrying' in message) == (attempts > 1)


def test_retry_after_never_stalls_a_command(mocker, fake_cado):
    """A proxy's Retry-After of an hour must not hold the command (time.sleep fails the test if called)."""
    fake_cado.answers = [(503, load('error_server'), {'Retry-After': '3600'})]
    assert 'HTTP 503' in fail(mocker, 'cado-project-get', {'project_id': '12'}, _real_params(fake_cado))
    assert len(fake_cado.requests) == 4


def test_read_recovers_after_a_transient_5xx(mocker, fake_cado):
    fake_cado.answers = [(502, load('error_server')), (200, load('project_get'))]
    result = succeed(mocker, 'cado-project-get', {'project_id': '12'}, _real_params(fake_cado))
    assert result.outputs['id'] == 12
    assert len(fake_cado.requests) == 2


def test_write_after_a_retried_read_is_not_retried(fake_cado):
    client = CadoSecurity.Client(base_url=fake_cado.url, api_key=API_KEY, verify=not fake_cado.insecure, proxy=False,
                                 timeout=10)
    fake_cado.answers = [(200, load('project_list'))]
    client.list_projects({'page': 1, 'per_page': 10})
    fake_cado.answers = [(500, load('error_server'))]
    with pytest.raises(Exception, match='HTTP 500'):
        client.create_project({'case_name': 'Retry check'})
    assert [method for method, _ in fake_cado.requests] == ['GET', 'POST']


def test_one_session_serves_every_page(mocker, fake_cado):
    pages = [{**load('project_list'), 'pagination': {'type': 'page', 'total_records': 9, 'current_page': page,
                                                     'total_pages': 3, 'per_page': 3}} for page in (1, 2, 3)]
    fake_cado.answers = [(200, page) for page in pages] + [(200, pages[-1])]
    result = succeed(mocker, 'cado-project-list', {'limit': '9'}, _real_params(fake_cado))
    assert len(result.outputs) == 9
    assert len(fake_cado.requests) == 3
    assert len(fake_cado.connections) == 1, 'the session must reuse its connection'


def test_no_sleep_in_the_integration():
    assert 'sleep' not in Path(CadoSecurity.__file__).read_text()


# ============================================================================================================
# Argument validation: rejected before any request, naming the argument (and the allowed values)
# ============================================================================================================

EC2 = {'project_id': '12', 'account': 'aws-prod', 'region': 'eu-west-2', 'instance_id': 'i-0a1b2c3d4e5f67890'}
BAD_ARGUMENTS = [
    # unknown enum values
    ('cado-project-list', {'status': 'Open'}, ('status', 'Collection & Analysis')),
    ('cado-project-update', {'project_id': '12', 'status': 'Done'}, ('status', 'Post incident activity')),
    ('cado-project-list', {'order_by': 'newest'}, ('order_by', '-created')),
    ('cado-cloud-account-list', {'type': 'oracle'}, ('type', 'aws', 'google_workspace')),
    ('cado-aws-ec2-instance-list', {'account': 'aws-prod', 'region': 'eu-west-2', 'state': 'paused'},
     ('state', 'running')),
    ('cado-gcp-gce-instance-list', {'account': 'gcp', 'gcp_project': 'p', 'state': 'running'}, ('state', 'RUNNING')),
    ('cado-xdr-device-list', {'provider': 'carbonblack', 'account': 'cb'}, ('provider', 'crowdstrike', 'sentinelone',
                                                                            'defender')),
    ('cado-pipeline-list', {'status': 'running'}, ('status', 'in_progress', 'queued')),
    ('cado-pipeline-list', {'type': 'import'}, ('type', 'acquisition', 'processing')),
    ('cado-detection-list', {'severity': 'urgent'}, ('severity', 'critical', 'low')),
    ('cado-detection-list', {'source': 'Splunk'}, ('source', 'GuardDuty', 'Wiz')),
    ('cado-detection-artifact-list', {'project_id': '12', 'artifact_type': 'email'}, ('artifact_type', 'domain')),
    ('cado-alarm-list', {'alarm_type': 'alert'}, ('alarm_type', 'content', 'event')),
    ('cado-evidence-list', {'order_by': 'name'}, ('order_by', 'display_name')),
    ('cado-m365-ual-acquire', {'project_id': '12', 'account': 'm', **LOG_WINDOW, 'workload': 'teams'},
     ('workload', 'exchange', 'sharepoint')),
    ('cado-google-workspace-acquire', {'project_id': '12', 'account': 'g', **LOG_WINDOW,
                                       'application_names': 'login,youtube'}, ('application_names', 'youtube',
                                                                               'drive')),
    ('cado-aws-ec2-acquire', {**EC2, 'collection_type': 'full'}, ('collection_type', 'balanced', 'custom')),
    ('cado-webhook-create', {'name': 'n', 'url': XSOAR_URL, 'event_types': 'detection_deleted'},
     ('event_types', 'detection_created')),
    ('cado-webhook-create', {'name': 'n', 'url': XSOAR_URL, 'event_types': 'admin_login'},
     ('event_types', 'detection_created')),  # no XSOAR template for this event
    ('cado-webhook-create', {'name': 'n', 'url': XSOAR_URL, 'event_types': 'admin_login', 'for_xsoar': 'false',
                             'payload_type': 'teams'}, ('payload_type', 'slack', 'jira')),
    ('cado-webhook-update', {'webhook_id': '31', 'event_type': 'everything'}, ('event_type', 'processing_failed')),
    ('cado-resource-classify', {'resource_id': 'db-1', 'provider': 'oracle'}, ('provider', 'aws', 'darktrace', 'url')),
    ('cado-resource-classify', {'resource_id': 'db-1', 'resource_type': 'RDSInstance'},
     ('resource_type', 'ec2', 'blob', 'endpoint')),
    ('cado-resource-classify', {'provider': 'aws'}, ('resource_id',)),
    ('cado-detection-get', {'detection_id': 'latest'}, ('detection_id',)),
    ('cado-detection-get', {}, ('detection_id',)),
    # non-numeric and out-of-range ids and numbers
    ('cado-project-get', {'project_id': 'twelve'}, ('project_id',)),
    ('cado-project-get', {'project_id': '-5'}, ('project_id',)),
    ('cado-project-get', {'project_id': '0'}, ('project_id',)),
    ('cado-project-get', {'project_id': '12.5'}, ('project_id',)),
    ('cado-project-delete', {'project_ids': '12,abc'}, ('project_ids',)),
    ('cado-pipeline-get', {'pipeline_id': 'x1'}, ('pipeline_id',)),
    ('cado-pipeline-cancel', {'pipeline_id': 'all'}, ('pipeline_id',)),
    ('cado-alarm-get', {'alarm_id': 'ten'}, ('alarm_id',)),
    ('cado-evidence-get', {'evidence_id': 'latest'}, ('evidence_id',)),
    ('cado-detection-asset-get', {'detection_id': 'abc'}, ('detection_id',)),
    ('cado-webhook-delete', {'webhook_id': 'hook'}, ('webhook_id',)),
    ('cado-webhook-test', {'webhook_id': ''}, ('webhook_id',)),
    ('cado-aws-ec2-acquire', {**EC2, 'project_id': 'twelve'}, ('project_id',)),
    ('cado-alarm-list', {'alarm_severity': 'high'}, ('alarm_severity',)),
    ('cado-pipeline-list', {'project_id': 'p12'}, ('project_id',)),
    ('cado-project-list', {'page': 'first'}, ('page',)),
    ('cado-project-list', {'limit': '-1'}, ('limit',)),
    ('cado-project-list', {'page_size': '0'}, ('page_size',)),
    ('cado-project-list', {'page_size': '1000'}, ('page_size', '100')),
    ('cado-pipeline-get', {'pipeline_id': '4281', 'polling': 'true', 'interval_in_seconds': '5'},
     ('interval_in_seconds',)),
    ('cado-pipeline-get', {'pipeline_id': '4281', 'polling': 'true', 'interval_in_seconds': 'soon'},
     ('interval_in_seconds',)),
    ('cado-pipeline-get', {'pipeline_id': '4281', 'polling': 'true', 'timeout_in_seconds': 'never'},
     ('timeout_in_seconds',)),
    ('cado-indicator-list', {'project_id': '12', 'limit': 'all'}, ('limit',)),
    ('cado-indicator-list', {'project_id': '12', 'limit': '0'}, ('limit',)),
    ('cado-pipeline-get', {'pipeline_id': '4281', 'polling': 'true', 'timeout_in_seconds': '-5'},
     ('timeout_in_seconds',)),
    # bad booleans
    ('cado-aws-ec2-acquire', {**EC2, 'acquire_with_host': 'maybe'}, ('acquire_with_host', 'true', 'false')),
    ('cado-pipeline-get', {'pipeline_id': '4281', 'polling': 'sometimes'}, ('polling',)),
    ('cado-aws-ec2-acquire', {**EC2, 'polling': 'true', 'wait_for_processing': 'perhaps'}, ('wait_for_processing',)),
    ('cado-webhook-update', {'webhook_id': '31', 'enabled': 'on'}, ('enabled',)),
    ('cado-evidence-list', {'is_compromised': '2'}, ('is_compromised',)),
    ('cado-webhook-create', {'name': 'n', 'url': XSOAR_URL, 'event_types': 'detection_created', 'for_xsoar': 'y'},
     ('for_xsoar',)),
    # bad JSON, dates and lengths
    ('cado-detection-investigate', {'detections': 'detection 501'}, ('detections', 'JSON')),
    ('cado-detection-investigate', {'detections': '[]'}, ('detections',)),
    ('cado-detection-investigate', {'detections': '[1, 2]'}, ('detections',)),
    ('cado-webhook-create', {'name': 'n', 'url': XSOAR_URL, 'event_types': 'admin_login', 'for_xsoar': 'false',
                             'payload': '{"text": '}, ('payload', 'JSON')),
    ('cado-webhook-update', {'webhook_id': '31', 'payload': '["not", "an", "object"]'}, ('payload', 'JSON object')),
    ('cado-m365-ual-acquire', {'project_id': '12', 'account': 'm', 'start_time': 'banana',
                               'end_time': 'now'}, ('start_time',)),
    ('cado-detection-list', {'updated_after': 'banana'}, ('updated_after',)),
    ('cado-incident-project-get', {'incident_id': 'X' * 501}, ('incident_id', '500')),
    # missing required arguments and combinations
    ('cado-project-create', {}, ('name',)),
    ('cado-project-update', {'project_id': '12'}, ('name', 'description', 'status')),
    ('cado-project-delete', {}, ('project_ids',)),
    ('cado-pipeline-rerun', {}, ('pipeline_id', 'project_id')),
    ('cado-pipeline-rerun', {'pipeline_id': '4281', 'project_id': '12'}, ('pipeline_id', 'project_id')),
    ('cado-webhook-update', {'webhook_id': '31'}, ('name', 'enabled')),
    ('cado-webhook-create', {'name': 'n', 'url': XSOAR_URL}, ('event_types',)),
    ('cado-webhook-create', {'name': 'n', 'event_types': 'detection_created'}, ('url',)),
    ('cado-webhook-create', {'name': 'n', 'url': XSOAR_URL, 'event_types': 'detection_created',
                             'payload': '{"text": "$Title"}'}, ('for_xsoar', 'payload')),
    ('cado-aws-ec2-acquire', {**EC2, 'wait_for_processing': 'true'}, ('wait_for_processing', 'polling')),
    ('cado-aws-ec2-acquire', {**EC2, 'polling': 'true', 'wait_for_processing': 'true', 'skip_processing': 'true'},
     ('wait_for_processing', 'skip_processing')),
    ('cado-aws-ec2-acquire', {**EC2, 'polling': 'true', 'interval_in_seconds': '60', 'timeout_in_seconds': '30'},
     ('timeout_in_seconds', 'interval_in_seconds')),
    ('cado-aws-ec2-acquire', {key: value for key, value in EC2.items() if key != 'instance_id'}, ('instance_id',)),
    ('cado-aws-s3-object-list', {'account': 'aws-prod'}, ('bucket',)),
    ('cado-azure-vm-list', {'account': 'azure-corp', 'subscription_id': AZURE_SUB}, ('resource_group',)),
    ('cado-gcp-gcs-bucket-list', {'account': 'gcp'}, ('gcp_project',)),
    ('cado-xdr-device-list', {'account': 'crowdstrike-eu'}, ('provider',)),
    ('cado-xdr-device-acquire', {'project_id': '12', 'account': 'cs', 'device_id': 'd', 'provider': 'carbonblack'},
     ('provider', 'crowdstrike', 'sentinelone', 'defender')),
    ('cado-xdr-device-list', {'provider': 'darktrace'}, ('appliance_name',)),
    ('cado-detection-artifact-list', {'project_id': '12'}, ('artifact_type',)),
    ('cado-darktrace-endpoint-acquire', {'project_id': '12', 'device_id': 'd'}, ('appliance_name',)),
    ('cado-m365-ual-acquire', {'project_id': '12', 'account': 'm', 'start_time': '2024-06-01T00:00:00Z'},
     ('end_time',)),
    ('cado-detection-investigate', {}, ('detections',)),
    ('cado-pipeline-get', {}, ('pipeline_id',)),
    ('cado-alarm-get', {}, ('alarm_id',)),
    ('cado-incident-project-get', {}, ('incident_id',)),
    # missing project / account / region with no instance default
    ('cado-aws-ec2-acquire', {key: value for key, value in EC2.items() if key != 'project_id'},
     ('project_id', 'default')),
    ('cado-aws-ec2-acquire', {key: value for key, value in EC2.items() if key != 'region'}, ('region', 'default')),
    ('cado-aws-eks-acquire', {'project_id': '12', 'region': 'eu-west-2', 'cluster_name': 'c', 'pod_name': 'p',
                              'pod_namespace': 'n', 'container_name': 'c'}, ('account', 'default')),
    ('cado-gcp-gce-acquire', {'account': 'gcp', 'instance_name': 'i', 'instance_project': 'p', 'zone': 'z',
                              'gcs_bucket': 'b', 'gcs_project': 'p'}, ('project_id', 'default')),
    ('cado-url-acquire', {'url': 'https://files.example.com/a.zip'}, ('project_id', 'default')),
    ('cado-aws-ec2-instance-list', {'region': 'eu-west-2'}, ('account', 'default')),
    ('cado-aws-ec2-instance-list', {'account': 'aws-prod'}, ('region', 'default')),
    ('cado-aws-lambda-function-list', {'account': 'aws-prod'}, ('region', 'default')),
    ('cado-aws-s3-bucket-list', {}, ('account', 'default')),
    ('cado-gcp-gce-instance-list', {'gcp_project': 'p'}, ('account', 'default')),
    ('cado-azure-disk-list', {'subscription_id': AZURE_SUB}, ('account', 'default')),
    ('cado-alarm-summary-get', {}, ('project_id', 'default')),
    ('cado-indicator-list', {}, ('project_id', 'default')),
    ('cado-detection-artifact-list', {'artifact_type': 'domain'}, ('project_id', 'default')),
    # custom IOC rules and single notes
    ('cado-ioc-rule-push', {}, ('values',)),
    ('cado-ioc-rule-push', {'values': 'evil.example;my title'}, ('values', 'evil.example;my title', '";"')),
    ('cado-ioc-rule-push', {'values': ['evil.example\nxmrig']}, ('values', 'one line')),
    ('cado-ioc-rule-push', {'values': 'xmrig'}, ('values', '"xmrig"', 'ip, domain, url, md5, sha1, sha256')),
    ('cado-ioc-rule-push', {'values': '203.0.113.45', 'type': 'domain'}, ('values', '"203.0.113.45"', 'not a domain',
                                                                          'an IP address')),
    ('cado-ioc-rule-push', {'values': '203.0.113.45', 'type': 'email'}, ('type', 'email', 'sha256')),
    ('cado-ioc-rule-push', {'values': '203.0.113.45', 'title': 'two\nlines'}, ('title', 'single line')),
    ('cado-ioc-rule-push', {'values': '203.0.113.45', 'dry_run': 'perhaps'}, ('dry_run', 'true', 'false')),
    ('cado-ioc-rule-push', {'values': '203.0.113.45', 'project_id': 'twelve'}, ('project_id', 'whole number')),
    ('cado-ioc-rule-push', {'values': '203.0.113.45', 'project_id': '0'}, ('project_id', 'positive')),
    ('cado-ioc-rule-list', {'project_id': '-3'}, ('project_id', 'positive')),
    ('cado-timeline-note-update', {'comment': 'x'}, ('note_id',)),
    ('cado-timeline-note-update', {'note_id': '57'}, ('comment',)),
    ('cado-timeline-note-update', {'note_id': 'c2f1e0d9b8a7-391-0001', 'comment': 'x'}, ('note_id', 'whole number')),
    ('cado-timeline-note-delete', {}, ('note_id',)),
    ('cado-timeline-note-delete', {'note_id': '0'}, ('note_id', 'positive')),
]


@pytest.mark.parametrize('command, args, named', BAD_ARGUMENTS,
                         ids=[f'{command}-{"-".join(sorted(args))[:60]}' for command, args, _ in BAD_ARGUMENTS])
def test_bad_arguments_are_rejected_before_any_request(mocker, requests_mock, command, args, named):
    message = fail(mocker, command, args)
    for phrase in named:
        assert phrase.lower() in message.lower()
    assert requests_mock.call_count == 0


@pytest.mark.parametrize('command, args, path, sent', [
    ('cado-aws-ec2-acquire', {'instance_id': 'i-0a1b2c3d4e5f67890'}, '/api/v3/import/aws/ec2',
     {'project_id': 7, 'cloud_id': 'aws-default', 'region': 'us-east-1'}),
    ('cado-aws-ec2-acquire', {**EC2}, '/api/v3/import/aws/ec2',
     {'project_id': 12, 'cloud_id': 'aws-prod', 'region': 'eu-west-2'}),
    ('cado-gcp-gcs-acquire', {'bucket': 'b', 'gcp_project': 'p'}, '/api/v3/import/gcp/gcs',
     {'project_id': 7, 'account_name': 'aws-default'}),
    ('cado-azure-aks-acquire', {'subscription_id': AZURE_SUB, 'resource_group': 'rg', 'cluster_name': 'c',
                                'pod_name': 'p', 'pod_namespace': 'n', 'container_name': 'c'},
     '/api/v3/import/azure/aks', {'investigation_id': 7, 'account_name': 'aws-default'}),
], ids=['defaults-used', 'arguments-win', 'gcs-defaults', 'aks-defaults'])
def test_instance_defaults_fill_missing_arguments(mocker, requests_mock, command, args, path, sent):
    requests_mock.post(f'{BASE}{path}', json={'status': 'success', 'data': {'pipeline_id': 1, 'pipeline_ids': [{'id': 1}]}})
    succeed(mocker, command, args, {'default_account': 'aws-default', 'default_region': 'us-east-1',
                                    'default_project': '7'})
    body = body_of(requests_mock.last_request)
    assert {key: body[key] for key in sent} == sent


def test_instance_default_lists_use_the_account_and_region(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/import/aws/lambda', json=load('aws_lambda_function_list'))
    succeed(mocker, 'cado-aws-lambda-function-list', {}, {'default_account': 'aws-default',
                                                          'default_region': 'us-east-1'})
    assert query_of(requests_mock.last_request) == {'cloud_id': ['aws-default'], 'region': ['us-east-1'],
                                                     'per_page': ['50']}


# ============================================================================================================
# Pagination
# ============================================================================================================

def paged_projects(total: int, cap: int = CadoSecurity.MAX_PAGE_SIZE):
    """A page-paginated GET /api/v3/projects over projects 1..total, honouring page and per_page up to `cap`."""
    pool = [{**load('project_list')['data'][0], 'id': number} for number in range(1, total + 1)]

    def answer(request, context):
        query = query_of(request)
        page, per_page = int(query['page'][0]), min(int(query['per_page'][0]), cap)
        return {'status': 'success', 'data': pool[(page - 1) * per_page: page * per_page],
                'pagination': {'type': 'page', 'total_records': total, 'current_page': page,
                               'total_pages': -(-total // per_page), 'per_page': per_page}}
    return answer


def sent_pages(requests_mock) -> list[tuple[str, str]]:
    return [(query_of(r)['page'][0], query_of(r)['per_page'][0]) for r in requests_mock.request_history]


@pytest.mark.parametrize('args, total, requested, returned', [
    ({'page': '2', 'page_size': '3'}, 10, [('2', '3')], range(4, 7)),
    ({'page': '4', 'page_size': '3'}, 10, [('4', '3')], range(10, 11)),
    ({'page_size': '5'}, 10, [('1', '5')], range(1, 6)),
    ({'page': '3'}, 200, [('3', '50')], range(101, 151)),
    ({'page': '3', 'limit': '20'}, 200, [('3', '50')], range(101, 151)),
    ({'limit': '5'}, 10, [('1', '5')], range(1, 6)),
    ({}, 7, [('1', '50')], range(1, 8)),
    ({'limit': '150'}, 250, [('1', '100'), ('3', '50')], range(1, 151)),
    ({'limit': '250'}, 1000, [('1', '100'), ('2', '100'), ('5', '50')], range(1, 251)),
    ({'limit': '233'}, 1000, [('1', '78'), ('2', '78'), ('3', '78')], range(1, 234)),
    ({'limit': '200'}, 130, [('1', '100'), ('2', '100')], range(1, 131)),
    ({'limit': '250'}, 120, [('1', '100'), ('2', '100')], range(1, 121)),
    ({'limit': str(10 ** 12)}, 130, [('1', '100'), ('2', '100')], range(1, 131)),
    ({'limit': '100'}, 0, [('1', '100')], range(0)),
], ids=['page-mode', 'page-mode-last', 'page-size-only', 'page-only', 'page-ignores-limit', 'limit-one-page',
        'default-limit', 'last-request-sized-to-the-rest', 'last-page-aligned-on-its-own-size',
        'no-exact-plan-one-surplus-item', 'limit-beyond-total', 'list-ends-before-the-plan',
        'huge-limit-planned-lazily', 'empty'])
def test_page_pagination(mocker, requests_mock, args, total, requested, returned):
    requests_mock.get(f'{BASE}/api/v3/projects', json=paged_projects(total))
    result = succeed(mocker, 'cado-project-list', args)
    assert sent_pages(requests_mock) == requested
    assert [project['id'] for project in result.outputs] == list(returned)
    if not returned:
        assert 'No entries' in result.readable_output


def test_page_plan_covers_the_limit_in_the_fewest_requests_with_less_than_one_surplus_item_each():
    for limit in range(1, 2001):
        plan = list(CadoSecurity.page_plan(limit))
        starts = [(page - 1) * per_page for page, per_page in plan]
        ends = [page * per_page for page, per_page in plan]
        assert starts == [0, *ends[:-1]], f'limit {limit}: each request starts where the previous one ended'
        assert all(per_page <= CadoSecurity.MAX_PAGE_SIZE for _, per_page in plan), limit
        assert len(plan) == -(-limit // CadoSecurity.MAX_PAGE_SIZE), limit
        assert 0 <= ends[-1] - limit < len(plan), limit


def test_page_pagination_follows_a_server_that_caps_the_page_size(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/projects', json=paged_projects(1000, cap=30))
    result = succeed(mocker, 'cado-project-list', {'limit': '250'})
    assert sent_pages(requests_mock) == [('1', '100')] + [(str(page), '30') for page in range(2, 10)]
    assert [project['id'] for project in result.outputs] == list(range(1, 251))


@pytest.mark.parametrize('command, path, fixture, args, order', [
    ('cado-detection-list', '/api/v3/detections', 'detection_list', {}, '-id'),
    ('cado-detection-list', '/api/v3/detections', 'detection_list', {'order_by': 'severity'}, 'severity'),
    ('cado-detection-group-list', '/api/v3/detections/groups', 'detection_group_list', {}, '-created_datetime'),
    ('cado-detection-group-list', '/api/v3/detections/groups', 'detection_group_list',
     {'order_by': 'updated_datetime'}, 'updated_datetime'),
])
def test_detection_pages_share_one_order_without_ties(mocker, requests_mock, command, path, fixture, args, order):
    requests_mock.get(f'{BASE}{path}', json={'status': 'success', 'data': [load(fixture)['data'][0]] * 100,
                                             'pagination': {'type': 'page', 'total_pages': 9}})
    succeed(mocker, command, {**args, 'limit': '150'})
    assert [query_of(r)['order_by'] for r in requests_mock.request_history] == [[order], [order]]


def cursor_pages(first: str, second: str, token: str):
    def answer(request, context):
        return load(second) if query_of(request).get('cursor') == [token] else load(first)
    return answer


EC2_TOKEN = load('aws_ec2_instance_list_page1')['pagination']['next_token']
XDR_TOKEN = load('xdr_device_list_page1')['pagination']['next_token']
S3_TOKEN = load('aws_s3_bucket_list_page1')['pagination']['next_token']


@pytest.mark.parametrize('command, args, path, pages, token, cursors, returned, next_token', [
    ('cado-aws-ec2-instance-list', {'account': 'aws-prod', 'region': 'eu-west-2'}, '/api/v3/import/aws/ec2',
     ('aws_ec2_instance_list_page1', 'aws_ec2_instance_list_page2'), EC2_TOKEN, [None, EC2_TOKEN], 3, None),
    ('cado-aws-ec2-instance-list', {'account': 'aws-prod', 'region': 'eu-west-2', 'limit': '2'},
     '/api/v3/import/aws/ec2', ('aws_ec2_instance_list_page1', 'aws_ec2_instance_list_page2'), EC2_TOKEN, [None], 2,
     EC2_TOKEN),
    ('cado-aws-ec2-instance-list', {'account': 'aws-prod', 'region': 'eu-west-2', 'limit': '1'},
     '/api/v3/import/aws/ec2', ('aws_ec2_instance_list_page1', 'aws_ec2_instance_list_page2'), EC2_TOKEN, [None], 1,
     'resume:1:'),
    ('cado-aws-ec2-instance-list', {'account': 'aws-prod', 'region': 'eu-west-2', 'next_token': EC2_TOKEN},
     '/api/v3/import/aws/ec2', ('aws_ec2_instance_list_page1', 'aws_ec2_instance_list_page2'), EC2_TOKEN,
     [EC2_TOKEN], 1, None),
    ('cado-xdr-device-list', {'provider': 'crowdstrike', 'account': 'crowdstrike-eu'},
     '/api/v3/import/xdr/crowdstrike', ('xdr_device_list_page1', 'xdr_device_list_page2'), XDR_TOKEN,
     [None, XDR_TOKEN], 3, None),
    ('cado-xdr-device-list', {'provider': 'crowdstrike', 'account': 'crowdstrike-eu', 'page_size': '2'},
     '/api/v3/import/xdr/crowdstrike', ('xdr_device_list_page1', 'xdr_device_list_page2'), XDR_TOKEN, [None], 2,
     XDR_TOKEN),
    ('cado-aws-s3-bucket-list', {'account': 'aws-prod', 'limit': '3'}, '/api/v3/import/aws/s3/buckets',
     ('aws_s3_bucket_list_page1', 'aws_s3_bucket_list_page2'), S3_TOKEN, [None, S3_TOKEN], 3, None),
], ids=['follows-cursor', 'stops-at-limit', 'trimmed-page-resumes-after-the-last-item-shown',
        'resumes-from-next-token', 'xdr-follows-cursor', 'xdr-page-mode',
        's3-follows-cursor'])
def test_cursor_pagination(mocker, requests_mock, command, args, path, pages, token, cursors, returned, next_token):
    requests_mock.get(f'{BASE}{path}', json=cursor_pages(*pages, token))
    result = succeed(mocker, command, args)
    assert [query_of(r).get('cursor', [None])[0] for r in requests_mock.request_history] == cursors
    assert len(result.outputs) == returned
    continuation = re.search(r'next_token=(\S+) to continue', result.readable_output)
    assert (continuation and continuation.group(1)) == next_token, 'an unfinished listing tells how to continue'


def cursor_pool(template: dict, key: str, total: int, server_page: int | None = None):
    """A cursor listing over items 1..total (`key` numbered); pages of per_page, or of `server_page` if it has its
    own size. The cursor is the offset of the page's first item."""
    pool = [{**template, key: str(number)} for number in range(1, total + 1)]

    def answer(request, context):
        query = query_of(request)
        start = int(query.get('cursor', ['0'])[0])
        end = start + (server_page or int(query['per_page'][0]))
        return {'status': 'success', 'data': pool[start:end],
                'pagination': {'type': 'cursor', **({'next_token': str(end)} if end < total else {})}}
    return answer


def read_to_the_end(mocker, command: str, args: dict, key: str) -> list[list[str]]:
    """Every call's items, following the note's next_token until a call offers none."""
    calls: list[list[str]] = []
    token: dict = {}
    while len(calls) < 50:
        result = succeed(mocker, command, {**args, **token})
        calls.append([item[key] for item in result.outputs])
        continuation = re.search(r'next_token=(\S+) to continue', result.readable_output)
        if not continuation:
            return calls
        token = {'next_token': continuation.group(1)}
    raise AssertionError('the listing never ended')


EC2_ARGS = {'account': 'aws-prod', 'region': 'eu-west-2'}
EC2_INSTANCE = load('aws_ec2_instance_list_page1')['data'][0]


@pytest.mark.parametrize('limit, calls', [('1', 20), ('5', 4), ('7', 3), ('12', 2), ('20', 1)])
def test_ec2_pages_larger_than_limit_hide_nothing(mocker, requests_mock, limit, calls):
    """The EC2 browse endpoint takes no page size: Cado's pages (7 here) may hold more than limit. Each call returns
    at most `limit`, and its next_token resumes after the last one shown: every instance once, in order."""
    requests_mock.get(f'{BASE}/api/v3/import/aws/ec2', json=cursor_pool(EC2_INSTANCE, 'instance_id', 20, 7))
    returned = read_to_the_end(mocker, 'cado-aws-ec2-instance-list', {**EC2_ARGS, 'limit': limit}, 'instance_id')
    assert all(len(items) <= int(limit) for items in returned)
    assert [item for items in returned for item in items] == [str(number) for number in range(1, 21)]
    assert len(returned) == calls


S3_BUCKET = load('aws_s3_bucket_list_page1')['data'][0]


def test_cursor_requests_are_sized_to_what_is_still_wanted(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/import/aws/s3/buckets', json=cursor_pool(S3_BUCKET, 'name', 1000))
    result = succeed(mocker, 'cado-aws-s3-bucket-list', {'account': 'aws-prod', 'limit': '150'})
    assert [query_of(r)['per_page'] for r in requests_mock.request_history] == [['100'], ['50']]
    assert [bucket['name'] for bucket in result.outputs] == [str(number) for number in range(1, 151)]


def test_cursor_page_larger_than_asked_resumes_after_the_last_item_shown(mocker, requests_mock):
    """A server that ignores per_page (pages of 7): the extra items come on the next call, not never."""
    requests_mock.get(f'{BASE}/api/v3/import/aws/s3/buckets', json=cursor_pool(S3_BUCKET, 'name', 10, 7))
    returned = read_to_the_end(mocker, 'cado-aws-s3-bucket-list', {'account': 'aws-prod', 'page_size': '4'}, 'name')
    assert returned == [['1', '2', '3', '4'], ['5', '6', '7'], ['8', '9', '10']]
    assert [query_of(r).get('cursor') for r in requests_mock.request_history] == [None, None, ['7']]
    assert [query_of(r)['per_page'] for r in requests_mock.request_history] == [['4'], ['8'], ['4']]


# ============================================================================================================
# Webhooks for XSOAR
# ============================================================================================================

def test_webhook_create_one_per_event_type_with_the_xsoar_templates(mocker, requests_mock):
    sent: list[dict] = []

    def answer(request, context):
        body = json.loads(request.body)
        sent.append(body)
        context.status_code = 201
        return {'status': 'success', 'data': {'id': 30 + len(sent), 'webhook': {**body, 'enabled': True}}}

    requests_mock.post(f'{BASE}/api/v3/webhooks', json=answer)
    result = succeed(mocker, 'cado-webhook-create', {'name': 'XSOAR', 'url': XSOAR_URL,
                                                     'event_types': 'detection_created,processing_failed'})
    assert [body['event_type'] for body in sent] == ['detection_created', 'processing_failed']
    assert len({body['name'] for body in sent}) == 2, 'each webhook is told apart by name'
    detection, processing = (body['payload'] for body in sent)
    assert detection == {'cado_event': '$Event', 'name': 'Cado detection $detection_id: $Title',
                         'type': 'Cado Detection', 'cado_webhook_event': 'detection_created',
                         'cado_event_type': '$event_type', 'cado_detection_id': '$detection_id',
                         'cado_group_id': '$group_id', 'cado_title': '$Title', 'source_brand': 'Cado Security'}
    assert processing['type'] == 'Cado Processing Event' and processing['cado_webhook_event'] == 'processing_failed'
    for payload in (detection, processing):  # Cado requires both; $Event first, so that the real keys follow it
        assert list(payload)[0] == 'cado_event' and payload['cado_event'] == '$Event'
        assert '$Title' in json.dumps(payload)
    assert [hook['id'] for hook in result.outputs] == [31, 32]


def test_webhook_create_reports_what_was_created_before_a_failure(mocker, requests_mock):
    requests_mock.post(f'{BASE}/api/v3/webhooks', [
        {'status_code': 201, 'json': load('webhook_create')},
        {'status_code': 403, 'json': load('error_forbidden')}])
    message = fail(mocker, 'cado-webhook-create', {'name': 'XSOAR', 'url': XSOAR_URL,
                                                   'event_types': 'detection_created,detection_updated'})
    assert '31' in message and 'detection_updated' in message and 'HTTP 403' in message
    assert requests_mock.call_count == 2


def test_webhook_create_custom_payload(mocker, requests_mock):
    requests_mock.post(f'{BASE}/api/v3/webhooks', status_code=201, json=load('webhook_create'))
    succeed(mocker, 'cado-webhook-create', {'name': 'SOC Slack', 'url': 'https://hooks.slack.com/services/T0/B0/X',
                                            'event_types': 'high_severity_alarm', 'for_xsoar': 'false',
                                            'payload_type': 'slack', 'payload': '{"text": "$Title"}'})
    assert body_of(requests_mock.last_request) == {
        'name': 'SOC Slack', 'url': 'https://hooks.slack.com/services/T0/B0/X', 'event_type': 'high_severity_alarm',
        'payload_type': 'slack', 'payload': {'text': '$Title'}}


def test_webhook_credentials_in_the_url_are_masked(mocker, requests_mock):
    listing = load('webhook_list')
    listing['data'][0]['url'] = 'https://cado_intake:S3cr3t-P4ss@ext-acme.crtx.eu.paloaltonetworks.com/xsoar/instance'
    requests_mock.get(f'{BASE}/api/v3/webhooks', json=listing)
    result = succeed(mocker, 'cado-webhook-list', {})
    assert 'S3cr3t-P4ss' not in json.dumps(result.outputs) and 'S3cr3t-P4ss' not in result.readable_output


def test_a_users_temporary_password_never_reaches_context(mocker, requests_mock):
    """The contract's project user carries `temp_password`: should Cado send it, it is masked like any secret."""
    project = load('project_get')
    project['data']['details']['users'][0]['temp_password'] = 'Welcome-2024!'
    requests_mock.get(f'{BASE}/api/v3/projects/12', json=project)
    result = succeed(mocker, 'cado-project-get', {'project_id': '12'})
    assert result.outputs['details']['users'][0]['temp_password'] == '****'
    assert 'Welcome-2024!' not in json.dumps(result.to_context())


# Generic Webhook credentials come from an instance parameter, so that no password is typed as an argument.
HOOK_USER, HOOK_PASSWORD = 'svc@acme', 'Pa$$:w/rd-7Kq9'  # reserved characters, to be percent-encoded in the URL
HOOK_PARAMS = {'webhook_credentials': {'identifier': HOOK_USER, 'password': HOOK_PASSWORD}}
HOOK_URL_WITH_CREDENTIALS = ('https://svc%40acme:Pa%24%24%3Aw%2Frd-7Kq9@ext-acme.crtx.eu.paloaltonetworks.com/xsoar/'
                             'instance/execute/Cado_Intake')


def echoing_webhook_api(requests_mock) -> list[dict]:
    """Cado's webhook endpoints, echoing what they store (the URL included) as the platform does."""
    sent: list[dict] = []

    def answer(request, context):
        body = json.loads(request.body)
        sent.append(body)
        context.status_code = 201 if request.method == 'POST' else 200
        return {'status': 'success', 'data': {'id': 30 + len(sent), 'webhook': {**body, 'enabled': True}}}

    requests_mock.post(f'{BASE}/api/v3/webhooks', json=answer)
    requests_mock.patch(f'{BASE}/api/v3/webhooks/31', json=answer)
    return sent


def assert_password_hidden(result) -> None:
    shown = json.dumps([result.outputs, result.raw_response]) + result.readable_output
    for secret in (HOOK_PASSWORD, quote(HOOK_PASSWORD, safe='')):
        assert secret not in shown


def test_webhook_create_inserts_the_instance_credentials_into_the_url(mocker, requests_mock):
    sent = echoing_webhook_api(requests_mock)
    result = succeed(mocker, 'cado-webhook-create', {'name': 'XSOAR', 'url': XSOAR_URL,
                                                     'event_types': 'detection_created,processing_failed'}, HOOK_PARAMS)
    assert [body['url'] for body in sent] == [HOOK_URL_WITH_CREDENTIALS] * 2
    assert [hook['url'] for hook in result.outputs] == [
        'https://svc%40acme:****@ext-acme.crtx.eu.paloaltonetworks.com/xsoar/instance/execute/Cado_Intake'] * 2
    assert_password_hidden(result)
    assert 'holds a password' not in result.readable_output


def test_webhook_create_never_sends_the_credentials_elsewhere(mocker, requests_mock):
    """A custom payload may go to Slack or Teams: Generic Webhook's credentials stay out of that URL."""
    sent = echoing_webhook_api(requests_mock)
    succeed(mocker, 'cado-webhook-create', {'name': 'SOC Slack', 'url': 'https://hooks.slack.com/services/T0/B0/X',
                                            'event_types': 'high_severity_alarm', 'for_xsoar': 'false',
                                            'payload_type': 'slack', 'payload': '{"text": "$Title $Event"}'},
            HOOK_PARAMS)
    assert sent[0]['url'] == 'https://hooks.slack.com/services/T0/B0/X'


def test_webhook_update_inserts_the_credentials_only_when_asked(mocker, requests_mock):
    sent = echoing_webhook_api(requests_mock)
    result = succeed(mocker, 'cado-webhook-update', {'webhook_id': '31', 'url': XSOAR_URL,
                                                     'insert_credentials': 'true'}, HOOK_PARAMS)
    assert sent[-1] == {'url': HOOK_URL_WITH_CREDENTIALS}
    assert_password_hidden(result)
    succeed(mocker, 'cado-webhook-update', {'webhook_id': '31', 'url': XSOAR_URL}, HOOK_PARAMS)
    assert sent[-1] == {'url': XSOAR_URL}


def test_a_password_typed_into_the_url_is_masked_and_pointed_out(mocker, requests_mock):
    sent = echoing_webhook_api(requests_mock)
    typed = 'https://xsoar:Typed-Secret-91@ext-acme.crtx.eu.paloaltonetworks.com/xsoar/instance/execute/Cado_Intake'
    result = succeed(mocker, 'cado-webhook-create', {'name': 'XSOAR', 'url': typed, 'event_types': 'detection_created'})
    assert sent[0]['url'] == typed  # still accepted, as before the instance parameter existed
    assert 'Typed-Secret-91' not in json.dumps([result.outputs, result.raw_response]) + result.readable_output
    assert 'Generic Webhook username / password' in result.readable_output


@pytest.mark.parametrize('command, args, params, named', [
    ('cado-webhook-create', {'url': HOOK_URL_WITH_CREDENTIALS}, HOOK_PARAMS, ('"url"', 'already holds credentials')),
    ('cado-webhook-create', {'url': 'ext-acme.crtx.eu.paloaltonetworks.com/xsoar'}, HOOK_PARAMS, ('"url"', 'http(s)')),
    ('cado-webhook-create', {'url': 'https://[::1/x'}, HOOK_PARAMS, ('"url"', 'http(s)')),
    ('cado-webhook-create', {}, {'webhook_credentials': {'identifier': '', 'password': 'only-a-password'}},
     ('Generic Webhook username / password', 'both')),
    ('cado-webhook-create', {}, {'webhook_credentials': {'identifier': '_header:Authorization', 'password': 'x-token'}},
     ('Generic Webhook username / password', 'no headers')),
    ('cado-webhook-update', {'webhook_id': '31', 'url': XSOAR_URL, 'insert_credentials': 'true'}, {},
     ('Generic Webhook username / password', 'both')),
    ('cado-webhook-update', {'webhook_id': '31', 'name': 'n', 'insert_credentials': 'true'}, HOOK_PARAMS,
     ('"insert_credentials"', '"url"')),
    ('cado-webhook-update', {'webhook_id': '31', 'url': XSOAR_URL, 'insert_credentials': 'maybe'}, HOOK_PARAMS,
     ('"insert_credentials"', 'true, false')),
])
def test_webhook_credentials_errors_name_what_to_fix(mocker, requests_mock, command, args, params, named):
    base = {'name': 'XSOAR', 'url': XSOAR_URL, 'event_types': 'detection_created'} if command.endswith('create') else {}
    message = fail(mocker, command, {**base, **args}, params)
    assert all(text in message for text in named), message
    assert requests_mock.call_count == 0
    for secret in ('only-a-password', 'x-token', HOOK_PASSWORD, quote(HOOK_PASSWORD, safe='')):
        assert secret not in message
