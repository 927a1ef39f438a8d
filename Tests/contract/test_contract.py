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

import demistomock
import prism  # tools/prism.py (the root conftest.py puts tools/ on sys.path)
import run_command  # tools/run_command.py: YAML command names, instance params, execute() through main()

from CadoSecurity import SOURCES
from command_args import HOST_OPTION_ARGS, VALID_ARGS, WEBHOOK_URL, args_of  # Tests/support: the one argument table

YML = run_command.load_integration_yml() if run_command.INTEGRATION_YML.exists() else {}
YML_COMMANDS = run_command.yml_command_names(YML) if YML else set()
API_KEY = 'contract-test-key'
MAX_POLL_STEPS = 5

FETCH = {'isFetch': 'true', 'first_fetch': '3 days', 'max_fetch': '10'}
AWS_DEFAULTS = {'default_account': VALID_ARGS['cado-aws-ec2-acquire']['account'],
                'default_region': VALID_ARGS['cado-aws-ec2-acquire']['region']}


@dataclass(frozen=True)
class Case:
    args: dict[str, Any] = field(default_factory=dict)
    label: str = 'basic'
    params: dict[str, Any] = field(default_factory=dict)  # instance parameter overrides
    last_run: dict[str, Any] | None = None  # fetch-incidents only
    follow_polling: bool = False  # run the scheduled follow-ups until the command stops scheduling
    min_incidents: int = 0  # fetch-incidents only
    offline: bool = False  # the command must answer without any request (nothing for the contract to check)
    context: dict[str, Any] | None = None  # the instance's integration context, as XSOAR 6+ serves it (versioned)

    def ident(self, command: str) -> str:
        return f'{command}[{self.label}]'


MIRRORING = {'mirror_direction': 'Incoming And Outgoing', 'close_incident': 'true', 'close_project': 'true'}
MIRRORED = {'context': {'mirror': {'projects': {'12': ['4711', None, None, None], '13': [None, None, None, None]},
                                   'pending': {}}}, 'version': 3}

# Generic Webhook's credentials in the instance parameter, which the webhook commands insert into the URL.
WEBHOOK_CREDENTIALS = {'webhook_credentials': {'identifier': 'xsoar-intake', 'password': 'Contract-Pa55:w0rd'}}


def source_cases(command: str, *extra: Case) -> list[Case]:
    """An acquisition with every argument of the SOURCES table (its examples): the one-step run (polling off), the
    polling run followed through processing to its end, and every Cado Host option when the source takes them: a new
    source needs nothing here."""
    args = VALID_ARGS[command]
    host = [Case({**args, **HOST_OPTION_ARGS}, 'cado-host-options')] if SOURCES[command].host_options else []
    return [Case({**args, 'polling': 'false'}),
            Case({**args, 'polling': 'true', 'wait_for_processing': 'true',
                  'interval_in_seconds': '10', 'timeout_in_seconds': '600'}, 'polling', follow_polling=True),
            *host, *extra]


def with_page(args: dict[str, Any]) -> list[Case]:
    """A `limit` run (pages fetched until limit) and a page-mode run (exactly page 2, page_size 5)."""
    page_args = {name: value for name, value in args.items() if name != 'limit'}
    return [Case(args), Case({**page_args, 'page': '2', 'page_size': '5'}, 'page-mode')]


def with_cursor(args: dict[str, Any]) -> list[Case]:
    """A `limit` run (next_token followed until limit) and a single-page run from a given next_token."""
    page_args = {name: value for name, value in args.items() if name != 'limit'}
    return [Case(args), Case({**page_args, 'next_token': 'token-2', 'page_size': '5'}, 'next-token')]


# Every command in the YAML, with arguments valid for the contract: the shared table's (Tests/support/command_args.py)
# and, for the commands outside SOURCES, variants that exercise every other argument. test_every_yaml_command_has_cases
# keeps this table and the YAML in step: a new command cannot escape the suite.
EC2 = 'cado-aws-ec2-acquire'
CASES: dict[str, list[Case]] = {
    'test-module': [Case(), Case(label='with-fetch', params=FETCH)],
    'fetch-incidents': [
        Case(params=FETCH),
        Case(label='updated-and-filtered', params={**FETCH, 'fetch_updated_detections': 'true',
                                                   'severity': ['critical', 'high'], 'source': ['GuardDuty', 'CrowdStrike']},
             last_run={'updated_start_timestamp': 1714521600, 'seen': [[7, 1714521600000]]}, min_incidents=1),
    ],
    # Projects
    'cado-project-create': [Case(args_of('cado-project-create'))],
    'cado-project-list': [
        Case(args_of('cado-project-list')),
        Case(args_of('cado-project-list', page='1', page_size='10', name='triage',
                     status='Containment,Collection & Analysis', project_ids='1,2', created_after='2024-01-01T00:00:00Z',
                     created_before='2024-12-31T00:00:00Z', get_alarm_summary='true', order_by='-created'),
             'filters-page'),
    ],
    'cado-project-get': [Case(args_of('cado-project-get'))],
    'cado-project-update': [Case(args_of('cado-project-update', name='Incident 4711 triage (contained)',
                                         description='Host isolated'))],
    'cado-project-delete': [Case(args_of('cado-project-delete'))],
    'cado-incident-project-get': [Case(args_of('cado-incident-project-get'))],
    # Acquisitions, all from the SOURCES table
    **{command: source_cases(command) for command in SOURCES},
    EC2: source_cases(EC2, Case({name: value for name, value in VALID_ARGS[EC2].items() if name != 'project_id'},
                                'instance-default-project', params={'default_project': VALID_ARGS[EC2]['project_id']})),
    # Browsing what can be acquired (cursor lists: limit 2 follows one next_token)
    'cado-cloud-account-list': with_page(args_of('cado-cloud-account-list', limit='5', type='aws,gcp',
                                                 account_check_result='success', account_name='aws-prod')),
    'cado-aws-ec2-instance-list': [
        Case(args_of('cado-aws-ec2-instance-list', limit='2')),
        Case(args_of('cado-aws-ec2-instance-list', limit='5', instance_ids='i-0123456789abcdef0', instance_names='web-1',
                     state='running,stopped', ip_addresses='10.0.0.5', os='linux', tags='env:prod'), 'filters'),
        Case({'limit': '1'}, 'instance-defaults', params={'default_account': VALID_ARGS[EC2]['account'],
                                                          'default_region': VALID_ARGS[EC2]['region']}),
        Case(args_of('cado-aws-ec2-instance-list', next_token='eyJwYWdlIjogMn0=', limit='1'), 'next-token'),
    ],
    'cado-aws-s3-bucket-list': with_cursor(args_of('cado-aws-s3-bucket-list', limit='2', prefix='acme-')),
    'cado-aws-s3-object-list': with_cursor(args_of('cado-aws-s3-object-list', limit='2', exclude_archived='true')),
    'cado-aws-lambda-function-list': with_cursor(args_of('cado-aws-lambda-function-list', limit='2')),
    'cado-gcp-gce-instance-list': with_page(args_of('cado-gcp-gce-instance-list', limit='5', instance_name='instance-1',
                                                    instance_id='1234567890123456789', labels='env:prod')),
    'cado-gcp-gcs-bucket-list': with_page(args_of('cado-gcp-gcs-bucket-list', prefix='analytics', limit='5')),
    'cado-azure-vm-list': with_page(args_of('cado-azure-vm-list', vm_name='win-jump-01', tags='env:prod', limit='5')),
    'cado-azure-disk-list': with_page(args_of('cado-azure-disk-list', resource_group='rg-app',
                                              disk_name='lin-app-02-data', managed_by='lin-app-02', limit='5')),
    'cado-xdr-device-list': [
        Case(args_of('cado-xdr-device-list', limit='2', os='Windows'), 'crowdstrike'),
        Case({'provider': 'sentinelone', 'account': 's1-prod', 'limit': '2'}, 'sentinelone'),
        Case({'provider': 'defender', 'account': 'defender-prod', 'limit': '2'}, 'defender'),
        Case({'provider': 'darktrace', 'appliance_name': 'darktrace-appliance-1', 'limit': '2'}, 'darktrace'),
        Case({'provider': 'crowdstrike', 'account': 'crowdstrike-prod', 'next_token': 'token-2', 'page_size': '5'},
             'next-token'),
    ],
    # Pipelines
    'cado-pipeline-get': [
        Case(args_of('cado-pipeline-get')),
        Case(args_of('cado-pipeline-get', polling='true', interval_in_seconds='10', timeout_in_seconds='600'),
             'polling', follow_polling=True),
    ],
    'cado-pipeline-list': [
        Case(args_of('cado-pipeline-list', limit='5')),
        Case(args_of('cado-pipeline-list', triggering_pipeline_id='4281', evidence_id='391', type='processing',
                     page='1', page_size='5'), 'filters-page'),
    ],
    'cado-pipeline-cancel': [Case(args_of('cado-pipeline-cancel'))],
    'cado-pipeline-rerun': [Case(args_of('cado-pipeline-rerun')),
                            Case({'project_id': VALID_ARGS['cado-project-get']['project_id']}, 'whole-project')],
    # Findings
    'cado-detection-list': [
        Case(args_of('cado-detection-list')),
        Case(args_of('cado-detection-list', project_id='12', name='Backdoor', resource_ids='i-0123456789abcdef0',
                     impact='high', project_status='Containment', source='GuardDuty,Wiz', detection_type='all',
                     updated_after='2024-05-01T00:00:00Z', updated_before='2024-05-02T00:00:00Z',
                     order_by='-updated_datetime', page='2', page_size='10'), 'filters-page'),
    ],
    'cado-detection-group-list': with_page(args_of('cado-detection-group-list', limit='5', source='GuardDuty',
                                                   detection_type='alert', order_by='-updated_datetime',
                                                   project_name='triage', impact='high', resource_ids='i-1',
                                                   project_status='Containment', name='Backdoor')),
    'cado-detection-artifact-list': with_page(args_of('cado-detection-artifact-list', detection_id='501',
                                                      detection_type='alert', limit='5')),
    'cado-detection-asset-get': [Case(args_of('cado-detection-asset-get'))],
    'cado-detection-get': [
        Case(args_of('cado-detection-get', reuse_within_hours='24')),
        Case({'detection_id': '1', 'resource_id': 'i-0123456789abcdef0', 'account': 'aws-prod'}, 'with-resource'),
    ],
    'cado-resource-classify': [
        Case(args_of('cado-resource-classify')),
        Case({'resource_id': 'i-0123456789abcdef0', 'region': 'us-east-1'}, 'instance-id'),
        Case({'resource_id': 'web-vm-01', 'provider': 'azure', 'resource_type': 'vm',
              'resource_account': '00000000-0000-4000-8000-000000000001', 'resource_group': 'rg-prod',
              'project_id': '1'}, 'explicit'),
        Case({'resource_id': 'instance-1', 'provider': 'gcp', 'resource_type': 'gce', 'zone': 'us-central1-a',
              'resource_account': 'projectId-1'}, 'gce'),
        Case({'resource_id': 'i-0123456789abcdef0', 'region': 'us-east-1', 'account': 'aws-prod'}, 'account-given',
             offline=True),
    ],
    'cado-alarm-list': with_page(args_of('cado-alarm-list', evidence_id='391', alarm_type='content',
                                         alarm_name='Malware', resource='i-1', latest_results='true', order_by='-id',
                                         limit='5')),
    'cado-alarm-get': [Case(args_of('cado-alarm-get'))],
    'cado-alarm-summary-get': [Case(args_of('cado-alarm-summary-get', evidence_id='391', alarm_severity='2'))],
    'cado-evidence-list': with_page(args_of('cado-evidence-list', display_name='web-1', hostname='web-1', os='linux',
                                            capture_type='full', is_compromised='true', evidence_type='disk',
                                            order_by='-id', limit='5')),
    'cado-evidence-get': [Case(args_of('cado-evidence-get'))],
    'cado-indicator-list': [Case(args_of('cado-indicator-list', evidence_id='391', filter='matched', limit='10'))],
    # Webhooks
    'cado-webhook-list': with_page(args_of('cado-webhook-list', limit='5')),
    'cado-webhook-create': [
        Case(args_of('cado-webhook-create'), 'for-xsoar'),
        Case({'name': 'SOC Slack', 'url': 'https://hooks.slack.com/services/T000/B000/XXXXXXXX',
              'event_types': 'processing_failed', 'for_xsoar': 'false', 'payload_type': 'slack',
              'payload': '{"text": "$Title"}'}, 'own-payload'),
        Case({'name': 'XSOAR intake', 'url': 'https://xsoar.example.com/instance/execute/cado-webhook',
              'event_types': 'detection_created'}, 'instance-credentials', WEBHOOK_CREDENTIALS),
    ],
    'cado-webhook-update': [Case(args_of('cado-webhook-update', name='XSOAR intake', url=WEBHOOK_URL,
                                         event_type='detection_updated', payload_type='custom',
                                         payload='{"name": "Cado: $Title"}')),
                            Case({'webhook_id': '1', 'url': 'https://xsoar.example.com/instance/execute/cado-webhook',
                                  'insert_credentials': 'true'}, 'instance-credentials', WEBHOOK_CREDENTIALS)],
    'cado-webhook-delete': [Case(args_of('cado-webhook-delete'))],
    'cado-webhook-test': [Case(args_of('cado-webhook-test'))],
    # Files and evidence (Prism answers no zip: unzip=true, which unpacks one, is proven in CadoSecurity_files_test.py)
    'cado-file-search': with_page(args_of('cado-file-search', name='kworkerd', limit='5')),
    'cado-directory-list': [*with_page(args_of('cado-directory-list', limit='5')),
                            Case({'evidence_id': '391', 'directory_id': '88120'}, 'by-id')],
    'cado-file-get': [Case(args_of('cado-file-get')), Case({'evidence_id': '391', 'file_id': '88131'}, 'by-id')],
    'cado-file-download': [Case(args_of('cado-file-download')),
                           Case({'evidence_id': '391', 'file_id': '88131', 'unzip': 'false', 'max_size_mb': '50'},
                                'by-id')],
    'cado-pipeline-logs-get': [Case(args_of('cado-pipeline-logs-get', unzip='false', max_size_mb='50'))],
    'cado-evidence-download-url-get': [Case(args_of('cado-evidence-download-url-get')),
                                       Case(args_of('cado-evidence-download-url-get', download_type='encase'), 'encase')],
    # Browsing for the names that container, appliance and storage acquisitions need
    'cado-aws-ecs-cluster-list': [*with_cursor(args_of('cado-aws-ecs-cluster-list', limit='2')),
                                  Case({'limit': '1'}, 'instance-defaults', params=AWS_DEFAULTS)],
    'cado-aws-ecs-task-list': with_cursor(args_of('cado-aws-ecs-task-list', limit='2')),
    'cado-aws-ecs-container-list': [Case(args_of('cado-aws-ecs-container-list')),
                                    Case({'cluster_name': 'prod-ecs', 'task_name': 't-1'}, 'instance-defaults',
                                         params=AWS_DEFAULTS)],
    **{command: with_page(args_of(command, limit='5')) for command in (
        'cado-aws-eks-cluster-list', 'cado-aws-eks-pod-list', 'cado-aws-eks-container-list', 'cado-gcp-gke-cluster-list',
        'cado-gcp-gke-pod-list', 'cado-gcp-gke-container-list', 'cado-azure-aks-cluster-list', 'cado-azure-aks-pod-list',
        'cado-azure-aks-container-list', 'cado-azure-blob-list')},
    'cado-darktrace-appliance-list': with_cursor(args_of('cado-darktrace-appliance-list', limit='2')),
    'cado-azure-subscription-list': with_page(args_of('cado-azure-subscription-list', name='Corp Production',
                                                      limit='5')),
    'cado-azure-resource-group-list': with_page(args_of('cado-azure-resource-group-list', name='rg-jump', limit='5')),
    'cado-azure-storage-account-list': with_page(args_of('cado-azure-storage-account-list', name_filter='acme',
                                                         limit='5')),
    'cado-azure-storage-container-list': with_page(args_of('cado-azure-storage-container-list', name_filter='insights',
                                                           limit='5')),
    'cado-gcp-project-list': [*with_page(args_of('cado-gcp-project-list', name='Analytics Production',
                                                 gcp_project='analytics-prod-4521', limit='5')),
                              Case({}, 'no-account')],
    'cado-gcp-gcs-object-list': with_page(args_of('cado-gcp-gcs-object-list', limit='5')),
    # Timeline
    'cado-timeline-search': with_cursor(args_of('cado-timeline-search', order_by='-timestamp', limit='5')),
    'cado-timeline-facet-list': with_cursor(args_of('cado-timeline-facet-list', search_text='alarm_severity:4',
                                                    limit='5')),
    'cado-timeline-note-add': [
        Case(args_of('cado-timeline-note-add')),
        Case(args_of('cado-timeline-note-add', note_type='comment', comment='Miner dropped here (XSOAR 4711)',
                     search_text='xmrig', exclude_event_ids='c2f1e0d9b8a7-391-0002'), 'comment-by-search'),
    ],
    'cado-timeline-note-remove': [
        Case(args_of('cado-timeline-note-remove')),
        Case(args_of('cado-timeline-note-remove', note_type='comment', comment='Miner dropped here (XSOAR 4711)',
                     search_text='xmrig', exclude_event_ids='c2f1e0d9b8a7-391-0002'), 'comment-by-search'),
    ],
    'cado-vulnerability-list': with_page(args_of('cado-vulnerability-list', evidence_id='391', cve='CVE-2024-3094',
                                                 resource='i-1', target='web-1', package='liblzma5', title='xz',
                                                 os='Linux,Windows', package_in_use='true,undetermined',
                                                 latest_results='true', order_by='-severity', limit='5')),
    # File exports
    'cado-timeline-export': [Case(args_of('cado-timeline-export', max_size_mb='50'))],
    'cado-alarm-export': [Case(args_of('cado-alarm-export', max_size_mb='50'))],
    'cado-detection-export': [Case(args_of('cado-detection-export', from_date='2024-06-01T00:00:00Z',
                                           to_date='2024-06-03T00:00:00Z', max_size_mb='50'))],
    'cado-script-list': with_page(args_of('cado-script-list', name='Collect bash history', limit='5')),
    'cado-cloudgrep-search': [Case(args_of('cado-cloudgrep-search', filename='CloudTrail',
                                           modified_after='2024-06-01T00:00:00Z',
                                           modified_before='2024-06-04T00:00:00Z'))],
    'cado-host-command-get': [
        Case(args_of('cado-host-command-get', include_command_in_context='true')),
        Case(args_of('cado-host-command-get', os='kubernetes', deployment='manual', downloadable='true',
                     max_mode='true', enable_memory='true', extended_memory='true', verbose='true', no_clean='true',
                     is_non_root='true', skip_scan='true', additional_files='/etc/passwd,/var/log/auth.log',
                     host_groups='program_execution,processes', filename='triage.zip', pod_name='web-7d9f',
                     pod_namespace='prod', target_container='nginx', drive_letter='C',
                     custom_container='busybox:1.36'), 'every-option-downloadable'),
    ],
    'cado-host-download-link-get': [Case(args_of('cado-host-download-link-get', os='windows'))],
    'cado-ioc-rule-list': [Case(args_of('cado-ioc-rule-list')), Case(args_of('cado-ioc-rule-list', project_id='12'),
                                                                     'project')],
    # Dry runs only: Prism keeps no state, so the read-back of a write never shows it and the push reports the race it
    # looks like. The write and read-back requests are checked against the contract in CadoSecurity_intelligence_test.py.
    'cado-ioc-rule-push': [Case(args_of('cado-ioc-rule-push')),
                           Case(args_of('cado-ioc-rule-push', values='198.51.100.23', type='ip', project_id='12'),
                                'project')],
    'cado-timeline-note-update': [Case(args_of('cado-timeline-note-update'))],
    'cado-timeline-note-delete': [Case(args_of('cado-timeline-note-delete'))],
    # Mirroring: the filtered read of every mirrored project, one project read, the outgoing PATCH.
    'get-modified-remote-data': [Case(args_of('get-modified-remote-data'), params=MIRRORING, context=MIRRORED)],
    'get-remote-data': [Case(args_of('get-remote-data'), params=MIRRORING)],
    'update-remote-system': [
        Case(args_of('update-remote-system'), 'close-phase-owner', params=MIRRORING),
        Case(args_of('update-remote-system', status='1', delta='{"cado_status": "Eradication"}', data='{}'),
             'cado-status', params=MIRRORING, context=MIRRORED),
    ],
    'get-mapping-fields': [Case(offline=True)],
    'cado-incident-mirror-link': [Case(args_of('cado-incident-mirror-link'), params=MIRRORING, offline=True)],
    # Prism's pipelines carry the contract's example creation time: a collection generated at the epoch sees them.
    'cado-host-acquisition-follow': [Case(args_of('cado-host-acquisition-follow', since='1970-01-01T00:00:00Z',
                                                  interval_in_seconds='10', timeout_in_seconds='60'),
                                          follow_polling=True)],
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
    return exchange, prism.contract_problems(mock.contract, exchange)


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
                     'payload must be object', 'body field "colour" is not in the contract'):
        assert expected in text, problems


def test_wrong_types_and_undeclared_query_names_are_violations(prism_mock, exchanges):
    exchange, problems = _raw(prism_mock, exchanges, 'GET', '/api/v3/detections',
                              params={'severity': 'urgent', 'page': 'one', 'investigation': '1'})
    text = '\n'.join(problems)
    assert exchange.status == 422
    assert 'severity' in text and 'page must be integer' in text
    assert 'query parameter "investigation" is not in the contract' in text


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
    if case.context is not None:
        mocker.patch.object(demistomock, 'integrationContext', json.loads(json.dumps(case.context)))

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
            for problem in prism.contract_problems(prism_mock.contract, exchange):
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
