"""The one table of valid arguments per command: the unit, contract and reliability suites, tools/benchmark.py and
the command examples (the integration README's, and `make command-examples`) all start from it.

Acquisitions come from the integration's SOURCES table: every argument's `example`, so adding a source adds nothing
here. The other commands are listed below with the values of the README's examples (the ids of the test_data
fixtures). Suites add what they test on top (a page size, a polling step, another provider).
"""
from __future__ import annotations

from CadoSecurity import HOST_OPTION_FIELDS, SOURCES, Field, Source


def source_args(command: str) -> dict[str, str]:
    """Every argument of an acquisition command with its example value, Cado Host options apart."""
    return {field.arg: field.example for field in source_arguments(SOURCES[command])}


def source_arguments(source: Source) -> tuple[Field, ...]:
    return (*source.fields, *([source.label_arg] if source.label_arg else ()))


HOST_OPTION_ARGS = {field.arg: field.example for field in HOST_OPTION_FIELDS}
AZURE_SUBSCRIPTION = source_args('cado-azure-vm-acquire')['subscription_id']
WEBHOOK_URL = 'https://ext-acme.crtx.eu.paloaltonetworks.com/xsoar/instance/execute/Cado_Intake'
# Where the browse commands for the names of containers, appliances and storage look.
ECS_REGION = {'account': 'aws-prod', 'region': 'eu-west-2'}
EKS_REGION = {'account': 'aws-prod', 'region': 'us-east-1'}
GCP_PROJECT = {'account': 'gcp-analytics', 'gcp_project': 'analytics-prod-4521'}
AZURE_PLACE = {'account': 'azure-corp', 'subscription_id': AZURE_SUBSCRIPTION}

OTHER_COMMAND_ARGS: dict[str, dict[str, str]] = {
    'cado-project-create': {'name': 'INC-2024-0613 Lateral movement', 'description': 'Opened from XSOAR incident 4711'},
    'cado-project-list': {'status': 'Collection & Analysis', 'limit': '10'},
    'cado-project-get': {'project_id': '12'},
    'cado-project-update': {'project_id': '12', 'status': 'Containment'},
    'cado-project-delete': {'project_ids': '9'},
    'cado-incident-project-get': {'incident_id': 'INC-2024-0612'},
    'cado-cloud-account-list': {'type': 'aws'},
    'cado-aws-ec2-instance-list': {'account': 'aws-prod', 'region': 'eu-west-2', 'state': 'running', 'limit': '20'},
    'cado-aws-s3-bucket-list': {'account': 'aws-prod', 'limit': '20'},
    'cado-aws-s3-object-list': {'account': 'aws-prod', 'bucket': 'acme-cloudtrail-logs', 'prefix': 'AWSLogs/',
                                'delimiter': '/'},
    'cado-aws-lambda-function-list': {'account': 'aws-prod', 'region': 'eu-west-2'},
    'cado-gcp-gce-instance-list': {'account': 'gcp-analytics', 'gcp_project': 'analytics-prod-4521', 'state': 'RUNNING'},
    'cado-gcp-gcs-bucket-list': {'account': 'gcp-analytics', 'gcp_project': 'analytics-prod-4521'},
    'cado-azure-vm-list': {'account': 'azure-corp', 'subscription_id': AZURE_SUBSCRIPTION, 'resource_group': 'rg-jump'},
    'cado-azure-disk-list': {'account': 'azure-corp', 'subscription_id': AZURE_SUBSCRIPTION},
    'cado-xdr-device-list': {'provider': 'crowdstrike', 'account': 'crowdstrike-eu', 'hostname': 'FIN-LT', 'limit': '20'},
    'cado-pipeline-get': {'pipeline_id': '4281'},
    'cado-pipeline-list': {'project_id': '12', 'status': 'in_progress'},
    'cado-pipeline-cancel': {'pipeline_id': '4282'},
    'cado-pipeline-rerun': {'pipeline_id': '4281'},
    'cado-detection-list': {'severity': 'critical,high', 'updated_after': '1 day', 'limit': '20'},
    'cado-detection-group-list': {'severity': 'high'},
    'cado-detection-artifact-list': {'project_id': '12', 'artifact_type': 'domain'},
    'cado-detection-asset-get': {'detection_id': '501'},
    'cado-detection-get': {'detection_id': '501'},
    'cado-resource-classify': {'resource_id': 'arn:aws:ec2:eu-west-2:123456789012:instance/i-0a1b2c3d4e5f67890',
                               'project_id': '12'},
    'cado-alarm-list': {'project_id': '12', 'alarm_severity': '4', 'limit': '20'},
    'cado-alarm-get': {'alarm_id': '90211'},
    'cado-alarm-summary-get': {'project_id': '12'},
    'cado-evidence-list': {'project_id': '12'},
    'cado-evidence-get': {'evidence_id': '391'},
    'cado-indicator-list': {'project_id': '12'},
    'cado-webhook-list': {},
    'cado-webhook-create': {'name': 'XSOAR intake', 'url': WEBHOOK_URL,
                            'event_types': 'detection_created,detection_updated'},
    'cado-webhook-update': {'webhook_id': '31', 'enabled': 'false'},
    'cado-webhook-delete': {'webhook_id': '32'},
    'cado-webhook-test': {'webhook_id': '31'},
    'cado-file-search': {'evidence_id': '391', 'path': '/tmp', 'severity': '4'},
    'cado-directory-list': {'evidence_id': '391', 'path': '/tmp'},
    'cado-file-get': {'evidence_id': '391', 'path': '/tmp/.X11-unix/kworkerd'},
    'cado-file-download': {'evidence_id': '391', 'path': '/tmp/.X11-unix/kworkerd', 'encryption_password': 'infected'},
    'cado-pipeline-logs-get': {'pipeline_id': '4281'},
    'cado-evidence-download-url-get': {'evidence_id': '391', 'download_type': 'preservation'},
    'cado-aws-ecs-cluster-list': ECS_REGION,
    'cado-aws-ecs-task-list': {**ECS_REGION, 'cluster_name': 'prod-ecs'},
    'cado-aws-ecs-container-list': {**ECS_REGION, 'cluster_name': 'prod-ecs',
                                    'task_name': '0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c'},
    'cado-aws-eks-cluster-list': EKS_REGION,
    'cado-aws-eks-pod-list': {**EKS_REGION, 'cluster_name': 'prod-eks'},
    'cado-aws-eks-container-list': {**EKS_REGION, 'cluster_name': 'prod-eks', 'pod_name': 'checkout-7d9f8b6c5-x2k4p',
                                    'pod_namespace': 'shop'},
    'cado-gcp-gke-cluster-list': GCP_PROJECT,
    'cado-gcp-gke-pod-list': {**GCP_PROJECT, 'cluster_name': 'etl-gke', 'zone': 'europe-west2-b'},
    'cado-gcp-gke-container-list': {**GCP_PROJECT, 'cluster_name': 'etl-gke', 'zone': 'europe-west2-b',
                                    'pod_name': 'spark-driver-0', 'pod_namespace': 'etl'},
    'cado-azure-aks-cluster-list': {**AZURE_PLACE, 'resource_group': 'rg-aks'},
    'cado-azure-aks-pod-list': {**AZURE_PLACE, 'resource_group': 'rg-aks', 'cluster_name': 'aks-prod'},
    'cado-azure-aks-container-list': {**AZURE_PLACE, 'resource_group': 'rg-aks', 'cluster_name': 'aks-prod',
                                      'pod_name': 'web-5c9d8f7b6-q8w2e', 'pod_namespace': 'default'},
    'cado-darktrace-appliance-list': {},
    'cado-azure-subscription-list': {'account': 'azure-corp'},
    'cado-azure-resource-group-list': AZURE_PLACE,
    'cado-azure-storage-account-list': AZURE_PLACE,
    'cado-azure-storage-container-list': {**AZURE_PLACE, 'storage_account_name': 'acmeinsights'},
    'cado-azure-blob-list': {**AZURE_PLACE, 'storage_account_name': 'acmeinsights',
                             'container_name': 'insights-logs-signinlogs'},
    'cado-gcp-project-list': {'account': 'gcp-analytics'},
    'cado-gcp-gcs-object-list': {**GCP_PROJECT, 'bucket': 'analytics-prod-4521-audit', 'prefix': 'logs/2024/06/03/'},
    'cado-timeline-search': {'project_id': '12', 'search_text': 'xmrig', 'limit': '20'},
    'cado-timeline-facet-list': {'project_id': '12', 'facet_field': 'alarm_severity'},
    'cado-timeline-note-add': {'project_id': '12', 'note_type': 'star', 'event_ids': 'c2f1e0d9b8a7-391-0001'},
    'cado-timeline-note-remove': {'project_id': '12', 'note_type': 'star', 'event_ids': 'c2f1e0d9b8a7-391-0001'},
    'cado-vulnerability-list': {'project_id': '12', 'severity': 'critical,high'},
    'cado-timeline-export': {'project_id': '12', 'search_text': 'xmrig'},
    'cado-alarm-export': {'evidence_id': '391'},
    'cado-detection-export': {'project_id': '12', 'detection_type': 'alert'},
    'cado-script-list': {'os': 'linux'},
    'cado-cloudgrep-search': {'bucket': 'acme-cloudtrail-logs', 'query': '203.0.113.45,xmrig', 'account': 'aws-prod',
                              'project_id': '12', 'prefixes': 'AWSLogs/123456789012/CloudTrail/'},
    'cado-host-command-get': {'os': 'linux', 'project_id': '12', 'as_super': 'true', 'light_mode': 'true'},
    'cado-host-download-link-get': {'os': 'linux'},
    'cado-ioc-rule-list': {},
    'cado-ioc-rule-push': {'values': '198.51.100.23,pool.minexmr.example', 'title': 'XSOAR incident 4711',
                           'dry_run': 'true'},
    'cado-timeline-note-update': {'note_id': '57', 'comment': 'Miner dropped here: confirmed by XSOAR incident 4711'},
    'cado-timeline-note-delete': {'note_id': '57'},
    # Mirroring: what XSOAR sends (update-remote-system: an incident closed, its phase and owner changed).
    'get-remote-data': {'id': '12', 'lastUpdate': '2026-11-30T10:00:00Z'},
    'get-modified-remote-data': {'lastUpdate': '2026-11-30T10:00:00Z'},
    'update-remote-system': {'remoteId': '12', 'status': '2', 'incidentChanged': 'true',
                             'data': '{"closeReason": "Resolved", "closeNotes": "Miner removed, instance rebuilt."}',
                             'delta': '{"phase": "Containment", "owner": "jdoe"}'},
    'get-mapping-fields': {},
    'cado-incident-mirror-link': {'project_id': '12', 'incident_id': '4711'},
    'cado-host-acquisition-follow': {'project_id': '12', 'since': '2024-06-03T12:00:00Z', 'host': 'web-01',
                                     'polling': 'true', 'wait_for_processing': 'true'},
}

# Every command the integration answers (test-module and fetch-incidents read only instance parameters).
VALID_ARGS: dict[str, dict[str, str]] = {'test-module': {}, 'fetch-incidents': {},
                                         **{command: source_args(command) for command in SOURCES},
                                         **OTHER_COMMAND_ARGS}

def args_of(command: str, **changes: str) -> dict[str, str]:
    """A command's arguments from the table, with what a test case adds or changes."""
    return {**VALID_ARGS[command], **changes}


# The acquisition examples that also show polling: their README output shows the polls.
POLLING_EXAMPLES = {'cado-aws-ec2-acquire': {'polling': 'true'},
                    'cado-detection-investigate': {'polling': 'true', 'wait_for_processing': 'true'}}


def example_args(command: str) -> dict[str, str]:
    """The arguments a command's example shows. An acquisition's shows what it needs (a required argument, or one an
    instance default fills) and what it acquires; the suites send all of VALID_ARGS."""
    if command not in SOURCES:
        return VALID_ARGS[command]
    source = SOURCES[command]
    shown = {field.arg for field in source_arguments(source) if (field.required and field.default is None)
             or field.fallback or field.arg == source.resource_arg or field is source.label_arg}
    return {**{name: value for name, value in VALID_ARGS[command].items() if name in shown},
            **POLLING_EXAMPLES.get(command, {})}


def quoted(value: str) -> str:
    """An argument value as written on XSOAR's command line: JSON in backquotes, text with spaces in quotes."""
    if value[:1] in '[{':
        return f'`{value}`'
    return f'"{value}"' if ' ' in value else value


def example_line(command: str) -> str:
    return ' '.join([f'!{command}', *(f'{name}={quoted(value)}' for name, value in example_args(command).items())])
