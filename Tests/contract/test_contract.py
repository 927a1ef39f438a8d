"""Contract suite: every CadoSecurity command, run through main() with the XSOAR test doubles, against Stoplight
Prism serving Cado's OpenAPI contract (fixtures in conftest.py; Prism and the spec patches in tools/prism.py).

For every request a command sends, Prism's verdict must be clean: no error-level `sl-violations`, no 422, no
unknown route or method. On top of Prism, query parameter names and JSON body properties must be declared by the
operation (Prism lets unknown ones through). Every command must also end without an error entry: Prism answers
with the contract's static examples, which the integration must be able to read.

Prism's static examples give every integer as 0 (ids included) and every pipeline as `complete`. Polling runs are
followed step by step as XSOAR would run the scheduled command, with the scheduled arguments as they are (an id of 0
is a present id).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

import prism  # tools/prism.py (the root conftest.py puts tools/ on sys.path)
import run_command  # tools/run_command.py: YAML command names, instance params, execute() through main()

YML = run_command.load_integration_yml() if run_command.INTEGRATION_YML.exists() else {}
YML_COMMANDS = run_command.yml_command_names(YML) if YML else set()
API_KEY = 'contract-test-key'
MAX_POLL_STEPS = 5

# Values taken from the contract's own examples where it has any (GCE, GCS, S3 request bodies); others are realistic.
PROJECT = '1'
AWS_ACCOUNT, AWS_REGION = 'aws-prod', 'us-east-1'
GCP_ACCOUNT, GCP_PROJECT, GCP_ZONE = 'gcp-project-1-credentials', 'projectId-1', 'us-central1-a'
AZURE_ACCOUNT, AZURE_SUBSCRIPTION, AZURE_RG = 'azure-prod', '00000000-0000-4000-8000-000000000001', 'rg-prod'
WINDOW = {'start_time': '2024-05-01T00:00:00Z', 'end_time': '2024-05-02T00:00:00Z'}
K8S = {'cluster_name': 'prod-cluster', 'pod_name': 'web-7d4b9c', 'pod_namespace': 'default', 'container_name': 'web'}
HOST_OPTIONS = {'collection_type': 'custom', 'light_mode': 'true', 'skip_scan': 'false',
                'additional_files': '/etc/passwd,/var/log/auth.log', 'host_groups': 'linux-servers'}
GUARDDUTY_FINDING = json.dumps({'SchemaVersion': '2.0', 'AccountId': '123456789012', 'Region': 'us-east-1',
                                'Id': '60baffd3f9042e38640f2300d5c5a631', 'Type': 'Backdoor:EC2/C&CActivity.B!DNS',
                                'Resource': {'ResourceType': 'Instance',
                                             'InstanceDetails': {'InstanceId': 'i-0123456789abcdef0'}},
                                'Severity': 8})
FETCH = {'isFetch': 'true', 'first_fetch': '3 days', 'max_fetch': '10'}


@dataclass(frozen=True)
class Case:
    args: dict[str, Any] = field(default_factory=dict)
    label: str = 'basic'
    params: dict[str, Any] = field(default_factory=dict)  # instance parameter overrides
    last_run: dict[str, Any] | None = None  # fetch-incidents only
    follow_polling: bool = False  # run the scheduled follow-ups until the command stops scheduling
    min_incidents: int = 0  # fetch-incidents only
    offline: bool = False  # the command must answer without any request (nothing for the contract to check)

    def ident(self, command: str) -> str:
        return f'{command}[{self.label}]'


def acquisition(args: dict[str, Any], *extra: Case) -> list[Case]:
    """The one-step run (polling=false), the polling run followed to its end, and any extra variants."""
    return [Case({**args, 'polling': 'false'}),
            Case({**args, 'polling': 'true', 'wait_for_processing': 'true',
                  'interval_in_seconds': '10', 'timeout_in_seconds': '600'}, 'polling', follow_polling=True),
            *extra]


def with_host_options(cases: list[Case], **extra: str) -> list[Case]:
    """Adds a variant of the first case with every Cado Host option."""
    return [*cases, Case({**cases[0].args, **HOST_OPTIONS, **extra}, 'cado-host-options')]


def with_page(args: dict[str, Any]) -> list[Case]:
    """A `limit` run (pages fetched until limit) and a page-mode run (exactly page 2, page_size 5)."""
    page_args = {name: value for name, value in args.items() if name != 'limit'}
    return [Case(args), Case({**page_args, 'page': '2', 'page_size': '5'}, 'page-mode')]


def with_cursor(args: dict[str, Any]) -> list[Case]:
    """A `limit` run (next_token followed until limit) and a single-page run from a given next_token."""
    page_args = {name: value for name, value in args.items() if name != 'limit'}
    return [Case(args), Case({**page_args, 'next_token': 'token-2', 'page_size': '5'}, 'next-token')]


# Every command in the YAML, with arguments valid for the contract. test_every_yaml_command_has_cases keeps this
# table and the YAML in step: a new command cannot escape the suite.
CASES: dict[str, list[Case]] = {
    'test-module': [Case(), Case(label='with-fetch', params=FETCH)],
    'fetch-incidents': [
        Case(params=FETCH),
        Case(label='updated-and-filtered', params={**FETCH, 'fetch_updated_detections': 'true',
                                                   'severity': ['critical', 'high'], 'source': ['GuardDuty', 'CrowdStrike']},
             last_run={'updated_start_timestamp': 1714521600, 'seen': [[7, 1714521600000]]}, min_incidents=1),
    ],
    # Projects
    'cado-project-create': [Case({'name': 'Incident 4711 triage', 'description': 'Opened from XSOAR incident 4711'})],
    'cado-project-list': [
        Case({'limit': '5'}),
        Case({'page': '1', 'page_size': '10', 'name': 'triage', 'status': 'Containment,Collection & Analysis',
              'project_ids': '1,2', 'created_after': '2024-01-01T00:00:00Z', 'created_before': '2024-12-31T00:00:00Z',
              'get_alarm_summary': 'true', 'order_by': '-created'}, 'filters-page'),
    ],
    'cado-project-get': [Case({'project_id': PROJECT})],
    'cado-project-update': [Case({'project_id': PROJECT, 'name': 'Incident 4711 triage (contained)',
                                  'description': 'Host isolated', 'status': 'Containment'})],
    'cado-project-delete': [Case({'project_ids': '1,2'})],
    'cado-incident-project-get': [Case({'incident_id': 'XSOAR-4711'})],
    # Acquisitions
    'cado-aws-ec2-acquire': acquisition(
        {'project_id': PROJECT, 'account': AWS_ACCOUNT, 'region': AWS_REGION, 'instance_id': 'i-0123456789abcdef0'},
        Case({'project_id': PROJECT, 'account': AWS_ACCOUNT, 'region': AWS_REGION,
              'instance_id': 'i-0123456789abcdef0', 'acquire_with_host': 'true', 'use_ssm_port_forwarding': 'true',
              'ssm_port_forwarding_port': '8443', 'fast_scan': 'true', 'convert_image': 'false',
              'skip_processing': 'false', **HOST_OPTIONS}, 'cado-host-options'),
        Case({'account': AWS_ACCOUNT, 'region': AWS_REGION, 'instance_id': 'i-0123456789abcdef0'},
             'instance-default-project', params={'default_project': PROJECT})),
    'cado-aws-s3-acquire': acquisition({'project_id': PROJECT, 'account': AWS_ACCOUNT, 'bucket': 'jf-bucket-1234',
                                        'prefix': 'directory_1/', 'file_names': 'access.log,error.log'}),
    'cado-aws-lambda-acquire': acquisition({'project_id': PROJECT, 'account': AWS_ACCOUNT, 'region': AWS_REGION,
                                            'function_name': 'payments-handler'}),
    'cado-aws-ecs-acquire': with_host_options(acquisition(
        {'project_id': PROJECT, 'account': AWS_ACCOUNT, 'region': AWS_REGION, 'cluster_name': 'prod-ecs',
         'task_name': 'web-task', 'container_name': 'web', 'file_name': 'web-capture'})),
    'cado-aws-eks-acquire': with_host_options(acquisition(
        {'project_id': PROJECT, 'account': AWS_ACCOUNT, 'region': AWS_REGION, **K8S})),
    'cado-gcp-gce-acquire': acquisition({'project_id': PROJECT, 'account': GCP_ACCOUNT, 'instance_name': 'instance-1',
                                         'instance_project': GCP_PROJECT, 'zone': GCP_ZONE, 'gcs_bucket': 'bucket-1',
                                         'gcs_project': 'projectId-2', 'fast_scan': 'false',
                                         'use_acquisition_service_account': 'true',
                                         'subnet': 'projects/my-project/regions/us-central1/subnetworks/my-subnet'}),
    'cado-gcp-gcs-acquire': acquisition({'project_id': PROJECT, 'account': GCP_ACCOUNT, 'bucket': 'bucket-1',
                                         'gcp_project': GCP_PROJECT, 'prefix': 'logs/',
                                         'file_names': 'a.json,b.json'}),
    'cado-gcp-gke-acquire': with_host_options(acquisition(
        {'project_id': PROJECT, 'account': GCP_ACCOUNT, 'gcp_project': GCP_PROJECT, 'zone': GCP_ZONE, **K8S})),
    'cado-azure-vm-acquire': with_host_options(acquisition(
        {'project_id': PROJECT, 'account': AZURE_ACCOUNT, 'vm_name': 'web-vm-01', 'subscription_id': AZURE_SUBSCRIPTION,
         'resource_group': AZURE_RG, 'acquisition_resource_group': 'rg-forensics', 'scan_only': 'false'}),
        acquire_with_host='true'),
    'cado-azure-disk-acquire': acquisition({'project_id': PROJECT, 'account': AZURE_ACCOUNT,
                                            'disk_name': 'web-vm-01_OsDisk_1', 'subscription_id': AZURE_SUBSCRIPTION,
                                            'resource_group': AZURE_RG, 'acquire_with_host': 'false',
                                            'acquisition_resource_group': 'rg-forensics'},
                                           Case({'project_id': PROJECT, 'account': AZURE_ACCOUNT,
                                                 'disk_name': 'web-vm-01_OsDisk_1', 'subscription_id': AZURE_SUBSCRIPTION,
                                                 'resource_group': AZURE_RG, 'acquire_with_host': 'false',
                                                 'fast_scan': 'true'}, 'fast-scan')),
    'cado-azure-blob-acquire': acquisition({'project_id': PROJECT, 'account': AZURE_ACCOUNT,
                                            'subscription_id': AZURE_SUBSCRIPTION, 'storage_account_name': 'prodlogs',
                                            'container_name': 'insights-logs', 'blob_name': 'signin/2024/05/01.json'}),
    'cado-azure-aks-acquire': with_host_options(acquisition(
        {'project_id': PROJECT, 'account': AZURE_ACCOUNT, 'subscription_id': AZURE_SUBSCRIPTION,
         'resource_group': AZURE_RG, **K8S})),
    'cado-xdr-device-acquire': acquisition({'project_id': PROJECT, 'account': 'crowdstrike-prod',
                                            'provider': 'crowdstrike',
                                            'device_id': '5f1d2c3b4a5e6f708192a3b4c5d6e7f8', **HOST_OPTIONS}),
    'cado-darktrace-endpoint-acquire': acquisition({'project_id': PROJECT, 'device_id': 'dt-endpoint-0042',
                                                    'appliance_name': 'darktrace-appliance-1'}),
    'cado-url-acquire': acquisition({'project_id': PROJECT, 'url': 'https://example.com/evidence/disk.e01'}),
    'cado-m365-ual-acquire': acquisition({'project_id': PROJECT, 'account': 'm365-tenant', **WINDOW,
                                          'workload': 'exchange', 'user_ids': 'alice@example.com,bob@example.com',
                                          'ip_addresses': '203.0.113.7'}),
    'cado-entra-id-acquire': acquisition({'project_id': PROJECT, 'account': 'entra-tenant', **WINDOW,
                                          'user_ids': 'alice@example.com'}),
    'cado-google-workspace-acquire': acquisition({'project_id': PROJECT, 'account': 'gworkspace', **WINDOW,
                                                  'application_names': 'login,drive',
                                                  'user_ids': 'alice@example.com'}),
    'cado-detection-investigate': acquisition({'detections': GUARDDUTY_FINDING, 'skip_acquisition': 'false'}),
    # Browsing what can be acquired (cursor lists: limit 2 follows one next_token)
    'cado-cloud-account-list': with_page({'limit': '5', 'type': 'aws,gcp', 'account_check_result': 'success',
                                          'account_name': 'aws-prod'}),
    'cado-aws-ec2-instance-list': [
        Case({'account': AWS_ACCOUNT, 'region': AWS_REGION, 'limit': '2'}),
        Case({'account': AWS_ACCOUNT, 'region': AWS_REGION, 'limit': '5', 'instance_ids': 'i-0123456789abcdef0',
              'instance_names': 'web-1', 'state': 'running,stopped', 'ip_addresses': '10.0.0.5', 'os': 'linux',
              'tags': 'env:prod'}, 'filters'),
        Case({'limit': '1'}, 'instance-defaults', params={'default_account': AWS_ACCOUNT,
                                                          'default_region': AWS_REGION}),
        Case({'account': AWS_ACCOUNT, 'region': AWS_REGION, 'next_token': 'eyJwYWdlIjogMn0=', 'limit': '1'},
             'next-token'),
    ],
    'cado-aws-s3-bucket-list': with_cursor({'account': AWS_ACCOUNT, 'limit': '2', 'prefix': 'jf-'}),
    'cado-aws-s3-object-list': with_cursor({'account': AWS_ACCOUNT, 'bucket': 'jf-bucket-1234', 'limit': '2',
                                            'prefix': 'directory_1/', 'delimiter': '/', 'exclude_archived': 'true'}),
    'cado-aws-lambda-function-list': with_cursor({'account': AWS_ACCOUNT, 'region': AWS_REGION, 'limit': '2'}),
    'cado-gcp-gce-instance-list': with_page({'account': GCP_ACCOUNT, 'gcp_project': GCP_PROJECT, 'limit': '5',
                                             'instance_name': 'instance-1', 'instance_id': '1234567890123456789',
                                             'state': 'RUNNING', 'labels': 'env:prod'}),
    'cado-gcp-gcs-bucket-list': with_page({'account': GCP_ACCOUNT, 'gcp_project': GCP_PROJECT, 'prefix': 'bucket',
                                           'limit': '5'}),
    'cado-azure-vm-list': with_page({'account': AZURE_ACCOUNT, 'subscription_id': AZURE_SUBSCRIPTION,
                                     'resource_group': AZURE_RG, 'vm_name': 'web-vm-01', 'tags': 'env:prod',
                                     'limit': '5'}),
    'cado-azure-disk-list': with_page({'account': AZURE_ACCOUNT, 'subscription_id': AZURE_SUBSCRIPTION,
                                       'resource_group': AZURE_RG, 'disk_name': 'web-vm-01_OsDisk_1',
                                       'managed_by': 'web-vm-01', 'limit': '5'}),
    'cado-xdr-device-list': [
        Case({'provider': 'crowdstrike', 'account': 'crowdstrike-prod', 'limit': '2', 'hostname': 'web-1',
              'os': 'Windows'}, 'crowdstrike'),
        Case({'provider': 'sentinelone', 'account': 's1-prod', 'limit': '2'}, 'sentinelone'),
        Case({'provider': 'defender', 'account': 'defender-prod', 'limit': '2'}, 'defender'),
        Case({'provider': 'darktrace', 'appliance_name': 'darktrace-appliance-1', 'limit': '2'}, 'darktrace'),
        Case({'provider': 'crowdstrike', 'account': 'crowdstrike-prod', 'next_token': 'token-2', 'page_size': '5'},
             'next-token'),
    ],
    # Pipelines
    'cado-pipeline-get': [
        Case({'pipeline_id': '1'}),
        Case({'pipeline_id': '1', 'polling': 'true', 'interval_in_seconds': '10', 'timeout_in_seconds': '600'},
             'polling', follow_polling=True),
    ],
    'cado-pipeline-list': [
        Case({'project_id': PROJECT, 'limit': '5'}),
        Case({'project_id': PROJECT, 'triggering_pipeline_id': '1', 'evidence_id': '1', 'status': 'in_progress',
              'type': 'processing', 'page': '1', 'page_size': '5'}, 'filters-page'),
    ],
    'cado-pipeline-cancel': [Case({'pipeline_id': '1'})],
    'cado-pipeline-rerun': [Case({'pipeline_id': '1'}), Case({'project_id': PROJECT}, 'whole-project')],
    # Findings
    'cado-detection-list': [
        Case({'limit': '5'}),
        Case({'project_id': PROJECT, 'name': 'Backdoor', 'resource_ids': 'i-0123456789abcdef0',
              'severity': 'critical,high', 'impact': 'high', 'project_status': 'Containment',
              'source': 'GuardDuty,Wiz', 'detection_type': 'all', 'updated_after': '2024-05-01T00:00:00Z',
              'updated_before': '2024-05-02T00:00:00Z', 'order_by': '-updated_datetime', 'page': '2',
              'page_size': '10'}, 'filters-page'),
    ],
    'cado-detection-group-list': with_page({'limit': '5', 'severity': 'high', 'source': 'GuardDuty',
                                            'detection_type': 'alert', 'order_by': '-updated_datetime',
                                            'project_name': 'triage', 'impact': 'high', 'resource_ids': 'i-1',
                                            'project_status': 'Containment', 'name': 'Backdoor'}),
    'cado-detection-artifact-list': with_page({'project_id': PROJECT, 'artifact_type': 'hash', 'detection_id': '1',
                                               'detection_type': 'alert', 'limit': '5'}),
    'cado-detection-asset-get': [Case({'detection_id': '1'})],
    'cado-detection-get': [
        Case({'detection_id': '1', 'reuse_within_hours': '24'}),
        Case({'detection_id': '1', 'resource_id': 'i-0123456789abcdef0', 'account': AWS_ACCOUNT}, 'with-resource'),
    ],
    'cado-resource-classify': [
        Case({'resource_id': 'arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0'}),
        Case({'resource_id': 'i-0123456789abcdef0', 'region': AWS_REGION}, 'instance-id'),
        Case({'resource_id': 'web-vm-01', 'provider': 'azure', 'resource_type': 'vm', 'resource_account': AZURE_SUBSCRIPTION,
              'resource_group': AZURE_RG, 'project_id': PROJECT}, 'explicit'),
        Case({'resource_id': 'instance-1', 'provider': 'gcp', 'resource_type': 'gce', 'zone': GCP_ZONE,
              'resource_account': GCP_PROJECT}, 'gce'),
        Case({'resource_id': 'i-0123456789abcdef0', 'region': AWS_REGION, 'account': AWS_ACCOUNT}, 'account-given',
             offline=True),
    ],
    'cado-alarm-list': with_page({'project_id': PROJECT, 'evidence_id': '1', 'alarm_type': 'content',
                                  'alarm_name': 'Malware', 'alarm_severity': '1,2', 'resource': 'i-1',
                                  'latest_results': 'true', 'order_by': '-id', 'limit': '5'}),
    'cado-alarm-get': [Case({'alarm_id': '1'})],
    'cado-alarm-summary-get': [Case({'project_id': PROJECT, 'evidence_id': '1', 'alarm_severity': '2'})],
    'cado-evidence-list': with_page({'project_id': PROJECT, 'display_name': 'web-1', 'hostname': 'web-1',
                                     'os': 'linux', 'capture_type': 'full', 'is_compromised': 'true',
                                     'evidence_type': 'disk', 'order_by': '-id', 'limit': '5'}),
    'cado-evidence-get': [Case({'evidence_id': '1'})],
    'cado-indicator-list': [Case({'project_id': PROJECT, 'evidence_id': '1', 'filter': 'matched', 'limit': '10'})],
    # Webhooks
    'cado-webhook-list': with_page({'limit': '5'}),
    'cado-webhook-create': [
        Case({'name': 'XSOAR intake', 'url': 'https://xsoar.example.com/instance/execute/cado-webhook',
              'event_types': 'detection_created,high_severity_alarm'}, 'for-xsoar'),
        Case({'name': 'SOC Slack', 'url': 'https://hooks.slack.com/services/T000/B000/XXXXXXXX',
              'event_types': 'processing_failed', 'for_xsoar': 'false', 'payload_type': 'slack',
              'payload': '{"text": "$Title"}'}, 'own-payload'),
    ],
    'cado-webhook-update': [Case({'webhook_id': '1', 'name': 'XSOAR intake', 'enabled': 'false',
                                  'url': 'https://xsoar.example.com/instance/execute/cado-webhook',
                                  'event_type': 'detection_updated', 'payload_type': 'custom',
                                  'payload': '{"name": "Cado: $Title"}'})],
    'cado-webhook-delete': [Case({'webhook_id': '1'})],
    'cado-webhook-test': [Case({'webhook_id': '1'})],
}


def _all_cases() -> list[tuple[str, Case | None]]:
    """Every (command, case); a YAML command without cases gets a None case that fails with a clear message."""
    commands = sorted(YML_COMMANDS | set(CASES))
    return [(command, case) for command in commands for case in (CASES.get(command) or [None])]


ALL_CASES = _all_cases()


# --------------------------------------------------------------------------------------------------------
# Harness self-checks: Prism, the patch table and violation capture, proven with raw requests
# --------------------------------------------------------------------------------------------------------

def _raw(mock: prism.ContractMock, recorder: prism.ExchangeRecorder, method: str, path: str, token: bool = True,
         **kwargs) -> tuple[prism.Exchange, list[str]]:
    headers = {'Authorization': f'Bearer {API_KEY}'} if token else {}
    with requests.Session() as session:
        session.request(method, mock.url + path, headers=headers, timeout=30, **kwargs)
    exchange = recorder.exchanges[-1]
    return exchange, prism.contract_problems(mock.spec, exchange)


def test_patch_table_applied_in_full(prism_mock):
    assert prism_mock.applied_patches == list(prism.SPEC_PATCHES)
    assert all(patch.reason and patch.applied_in(prism_mock.spec) for patch in prism.SPEC_PATCHES)
    original = json.loads(prism_mock.spec_path.read_text(encoding='utf-8'))
    assert not any(patch.applied_in(original) for patch in prism.SPEC_PATCHES)
    assert json.loads(prism_mock.patched_spec_path.read_text(encoding='utf-8')) == prism_mock.spec


def test_prism_serves_the_contract_with_a_bearer_token(prism_mock, exchanges):
    exchange, problems = _raw(prism_mock, exchanges, 'GET', '/api/v3/system/status')
    assert (exchange.status, problems) == (200, [])
    assert json.loads(exchange.response_text)['status'] == 'success'


def test_missing_bearer_token_is_a_violation(prism_mock, exchanges):
    exchange, problems = _raw(prism_mock, exchanges, 'GET', '/api/v3/system/status', token=False)
    assert exchange.status == 401
    assert any('security' in problem.lower() for problem in problems), problems


def test_invalid_body_is_a_violation(prism_mock, exchanges):
    exchange, problems = _raw(prism_mock, exchanges, 'POST', '/api/v3/webhooks',
                              json={'name': 'x', 'url': 'https://hooks.slack.com/services/T0/B0/x',
                                    'event_type': 'no_such_event', 'payload': 'not an object', 'colour': 'red'})
    assert exchange.status == 422
    text = '\n'.join(problems)
    for expected in ("required property 'payload_type'", 'event_type must be equal to one of the allowed values',
                     'payload must be object', "body property 'colour' is not declared"):
        assert expected in text, problems


def test_wrong_types_and_undeclared_query_names_are_violations(prism_mock, exchanges):
    exchange, problems = _raw(prism_mock, exchanges, 'GET', '/api/v3/detections',
                              params={'severity': 'urgent', 'page': 'one', 'investigation': '1'})
    text = '\n'.join(problems)
    assert exchange.status == 422
    assert 'severity' in text and 'page must be integer' in text and "'investigation' is not declared" in text


def test_unknown_route_and_method_are_violations(prism_mock, exchanges):
    _, problems = _raw(prism_mock, exchanges, 'GET', '/api/v3/projects/1/nothing-here')
    assert any('no path matched' in problem for problem in problems), problems
    _, problems = _raw(prism_mock, exchanges, 'PUT', '/api/v3/system/status')
    assert any('no method matched' in problem for problem in problems), problems


def test_patched_fields_accept_real_urls_and_still_reject_garbage(prism_mock, exchanges):
    body = {'name': 'XSOAR', 'url': 'https://xsoar.example.com/instance/execute/cado', 'event_type': 'detection_created',
            'payload_type': 'custom', 'payload': {'name': 'Cado: $Title'}}
    assert _raw(prism_mock, exchanges, 'POST', '/api/v3/webhooks', json=body)[1] == []
    assert _raw(prism_mock, exchanges, 'POST', '/api/v3/import/url',
                json={'project_id': 1, 'url': 'https://example.com/evidence/disk.e01'})[1] == []
    exchange, problems = _raw(prism_mock, exchanges, 'POST', '/api/v3/import/url',
                              json={'project_id': 1, 'url': 'not a url'})
    assert exchange.status == 422 and any('pattern' in problem for problem in problems), problems


def test_local_command_runner_starts_its_own_prism_and_prints_output_and_context(prism_mock):
    """tools/run_command.py as a newcomer runs it: no CADO_URL, so it starts (and stops) a Prism of its own."""
    env = {name: value for name, value in os.environ.items() if name not in ('CADO_URL', 'CADO_API_KEY')}
    env['CADO_OPENAPI_SPEC'] = str(prism_mock.spec_path)
    done = subprocess.run([sys.executable, str(run_command.ROOT / 'tools' / 'run_command.py'), 'cado-project-list',
                           'limit=5'], capture_output=True, text=True, timeout=120, env=env, cwd=run_command.ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert '### Cado projects' in done.stdout and '## Context' in done.stdout, done.stdout
    assert '"Cado.Project(val.id && val.id == obj.id)"' in done.stdout, done.stdout
    assert 'local Prism' in done.stderr and 'CONTRACT VIOLATION' not in done.stderr, done.stderr


# --------------------------------------------------------------------------------------------------------
# Every command through main()
# --------------------------------------------------------------------------------------------------------

def test_every_yaml_command_has_cases():
    assert YML_COMMANDS, f'no commands read from {run_command.INTEGRATION_YML}'
    missing, stale = sorted(YML_COMMANDS - set(CASES)), sorted(set(CASES) - YML_COMMANDS)
    assert not missing, f'commands in the YAML without a contract case in CASES: {missing}'
    assert not stale, f'CASES lists commands the YAML does not have: {stale}'


def test_cases_use_declared_arguments_and_exercise_every_visible_one():
    """Arguments in CASES exist in the YAML, and every non-hidden YAML argument reaches Prism in some case (hidden
    polling-state arguments are exercised by the polling follow-up runs)."""
    params = {param['name'] for param in YML.get('configuration', [])}
    problems = []
    for command in YML.get('script', {}).get('commands', []):
        declared = {arg['name'] for arg in command.get('arguments', [])}
        hidden = {arg['name'] for arg in command.get('arguments', []) if arg.get('hidden')}
        used = set().union(*(set(case.args) for case in CASES.get(command['name'], [])))
        if used - declared:
            problems.append(f'{command["name"]}: CASES use undeclared arguments {sorted(used - declared)}')
        if declared - hidden - used:
            problems.append(f'{command["name"]}: no case exercises {sorted(declared - hidden - used)}')
    for command, cases in CASES.items():
        for case in cases:
            if set(case.params) - params:
                problems.append(f'{case.ident(command)}: unknown instance parameters {sorted(set(case.params) - params)}')
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize(('command', 'case'), ALL_CASES, ids=[case.ident(cmd) if case else f'{cmd}[no-case]'
                                                               for cmd, case in ALL_CASES])
def test_command_against_contract(command, case, prism_mock, exchanges, mocker):
    assert case is not None, f'{command} is in the YAML but has no arguments in CASES (Tests/contract/test_contract.py)'
    assert command in YML_COMMANDS, f'{command} is in CASES but not in the YAML'
    params = run_command.instance_params(YML, prism_mock.url, API_KEY, case.params)

    runs = []  # (command, args, outcome, exchanges)
    run_name, run_args = command, dict(case.args)
    for _ in range(MAX_POLL_STEPS):
        outcome = run_command.execute(run_name, run_args, params, mocker.patch.object, last_run=case.last_run)
        runs.append((run_name, run_args, outcome, exchanges.clear()))
        scheduled = outcome.scheduled()
        if not (case.follow_polling and scheduled and not outcome.errors()):
            break
        run_name, run_args = scheduled['PollingCommand'], run_command.follow_up_args(scheduled)

    failures = []
    for step, (name, args, outcome, sent) in enumerate(runs, start=1):
        where = f'{name} (run {step}, args {json.dumps(args)})'
        if bool(sent) == case.offline:
            failures.append(f'{where}: sent {"a request" if sent else "no request"} to Prism')
        for exchange in sent:
            for problem in prism.contract_problems(prism_mock.spec, exchange):
                failures.append(f'{where}: {exchange.describe()} -> HTTP {exchange.status}: {problem}')
        failures += [f'{where}: error result: {error}' for error in outcome.errors()]
        if command == 'fetch-incidents':
            if outcome.incidents is None or outcome.last_run is None:
                failures.append(f'{where}: did not report incidents and the next last run')
            elif len(outcome.incidents) < case.min_incidents:
                failures.append(f'{where}: {len(outcome.incidents)} incidents, expected at least {case.min_incidents}')
        elif command == 'test-module':
            if outcome.entries != ['ok']:
                failures.append(f'{where}: expected the single result "ok", got {outcome.entries!r}')
        elif not outcome.entries:
            failures.append(f'{where}: returned no result')
    if case.follow_polling and runs[-1][2].scheduled():
        failures.append(f'{command}: still scheduling after {MAX_POLL_STEPS} runs although Prism reports every '
                        'pipeline complete')
    assert not failures, '\n'.join(failures)
