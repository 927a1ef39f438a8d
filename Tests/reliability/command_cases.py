"""One valid argument set per integration command, shared by the reliability suites and tools/benchmark.py.

`test_every_yaml_command_has_valid_args` (test_hostile_input.py) keeps this table in step with the YAML.
WRITES lists the commands whose first request changes something in Cado (never to be retried).
"""
from __future__ import annotations

import json

PROJECT = '12'
AWS = {'account': 'aws-prod', 'region': 'eu-west-2'}
GCP_ACCOUNT, GCP_PROJECT, GCP_ZONE = 'gcp-prod', 'projectId-1', 'us-central1-a'
AZURE = {'account': 'azure-prod', 'subscription_id': '00000000-0000-4000-8000-000000000001',
         'resource_group': 'rg-prod'}
K8S = {'cluster_name': 'prod-cluster', 'pod_name': 'web-7d4b9c', 'pod_namespace': 'default', 'container_name': 'web'}
WINDOW = {'start_time': '2024-05-01T00:00:00Z', 'end_time': '2024-05-02T00:00:00Z'}
DETECTION = json.dumps({'SchemaVersion': '2.0', 'AccountId': '123456789012', 'Region': 'eu-west-2',
                        'Id': '60baffd3f9042e38640f2300d5c5a631', 'Type': 'Backdoor:EC2/C&CActivity.B!DNS',
                        'Resource': {'ResourceType': 'Instance',
                                     'InstanceDetails': {'InstanceId': 'i-0a1b2c3d4e5f67890'}}, 'Severity': 8})
WEBHOOK_URL = 'https://ext-acme.crtx.eu.paloaltonetworks.com/xsoar/instance/execute/Cado_Intake'

VALID_ARGS: dict[str, dict[str, str]] = {
    'test-module': {},
    'fetch-incidents': {},
    'cado-project-create': {'name': 'INC-4711 triage', 'description': 'Opened from XSOAR'},
    'cado-project-list': {},
    'cado-project-get': {'project_id': PROJECT},
    'cado-project-update': {'project_id': PROJECT, 'status': 'Containment'},
    'cado-project-delete': {'project_ids': '12,13'},
    'cado-incident-project-get': {'incident_id': 'XSOAR-4711'},
    'cado-aws-ec2-acquire': {'project_id': PROJECT, **AWS, 'instance_id': 'i-0a1b2c3d4e5f67890'},
    'cado-aws-s3-acquire': {'project_id': PROJECT, 'account': 'aws-prod', 'bucket': 'acme-web-assets'},
    'cado-aws-lambda-acquire': {'project_id': PROJECT, **AWS, 'function_name': 'payments-handler'},
    'cado-aws-ecs-acquire': {'project_id': PROJECT, **AWS, 'cluster_name': 'prod-ecs', 'task_name': 'web-task',
                             'container_name': 'web'},
    'cado-aws-eks-acquire': {'project_id': PROJECT, **AWS, **K8S},
    'cado-gcp-gce-acquire': {'project_id': PROJECT, 'account': GCP_ACCOUNT, 'instance_name': 'instance-1',
                             'instance_project': GCP_PROJECT, 'zone': GCP_ZONE, 'gcs_bucket': 'bucket-1',
                             'gcs_project': GCP_PROJECT},
    'cado-gcp-gcs-acquire': {'project_id': PROJECT, 'account': GCP_ACCOUNT, 'bucket': 'bucket-1',
                             'gcp_project': GCP_PROJECT},
    'cado-gcp-gke-acquire': {'project_id': PROJECT, 'account': GCP_ACCOUNT, 'gcp_project': GCP_PROJECT,
                             'zone': GCP_ZONE, **K8S},
    'cado-azure-vm-acquire': {'project_id': PROJECT, **AZURE, 'vm_name': 'web-vm-01'},
    'cado-azure-disk-acquire': {'project_id': PROJECT, **AZURE, 'disk_name': 'web-vm-01_OsDisk_1'},
    'cado-azure-blob-acquire': {'project_id': PROJECT, 'account': 'azure-prod',
                                'subscription_id': AZURE['subscription_id'], 'storage_account_name': 'prodlogs',
                                'container_name': 'insights-logs', 'blob_name': 'signin/2024/05/01.json'},
    'cado-azure-aks-acquire': {'project_id': PROJECT, **AZURE, **K8S},
    'cado-xdr-device-acquire': {'project_id': PROJECT, 'account': 'crowdstrike-prod', 'provider': 'crowdstrike',
                                'device_id': '5f3c2a1b0e9d4c8b7a6f5e4d3c2b1a09'},
    'cado-darktrace-endpoint-acquire': {'project_id': PROJECT, 'device_id': 'dt-endpoint-0042',
                                        'appliance_name': 'darktrace-appliance-1'},
    'cado-url-acquire': {'project_id': PROJECT, 'url': 'https://example.com/evidence/disk.e01'},
    'cado-m365-ual-acquire': {'project_id': PROJECT, 'account': 'm365-tenant', **WINDOW},
    'cado-entra-id-acquire': {'project_id': PROJECT, 'account': 'entra-tenant', **WINDOW},
    'cado-google-workspace-acquire': {'project_id': PROJECT, 'account': 'gworkspace', **WINDOW},
    'cado-detection-investigate': {'detections': DETECTION},
    'cado-cloud-account-list': {},
    'cado-aws-ec2-instance-list': dict(AWS),
    'cado-aws-s3-bucket-list': {'account': 'aws-prod'},
    'cado-aws-s3-object-list': {'account': 'aws-prod', 'bucket': 'acme-web-assets'},
    'cado-aws-lambda-function-list': dict(AWS),
    'cado-gcp-gce-instance-list': {'account': GCP_ACCOUNT, 'gcp_project': GCP_PROJECT},
    'cado-gcp-gcs-bucket-list': {'account': GCP_ACCOUNT, 'gcp_project': GCP_PROJECT},
    'cado-azure-vm-list': dict(AZURE),
    'cado-azure-disk-list': {'account': 'azure-prod', 'subscription_id': AZURE['subscription_id']},
    'cado-xdr-device-list': {'provider': 'crowdstrike', 'account': 'crowdstrike-prod'},
    'cado-pipeline-get': {'pipeline_id': '4281'},
    'cado-pipeline-list': {'project_id': PROJECT},
    'cado-pipeline-cancel': {'pipeline_id': '4281'},
    'cado-pipeline-rerun': {'pipeline_id': '4281'},
    'cado-detection-list': {},
    'cado-detection-group-list': {},
    'cado-detection-artifact-list': {'project_id': PROJECT, 'artifact_type': 'file'},
    'cado-detection-asset-get': {'detection_id': '501'},
    'cado-detection-get': {'detection_id': '501'},
    'cado-resource-classify': {'resource_id': 'arn:aws:ec2:eu-west-2:123456789012:instance/i-0a1b2c3d4e5f67890'},
    'cado-alarm-list': {'project_id': PROJECT},
    'cado-alarm-get': {'alarm_id': '7'},
    'cado-alarm-summary-get': {'project_id': PROJECT},
    'cado-evidence-list': {'project_id': PROJECT},
    'cado-evidence-get': {'evidence_id': '391'},
    'cado-indicator-list': {'project_id': PROJECT},
    'cado-webhook-list': {},
    'cado-webhook-create': {'name': 'XSOAR intake', 'url': WEBHOOK_URL, 'event_types': 'detection_created'},
    'cado-webhook-update': {'webhook_id': '31', 'enabled': 'false'},
    'cado-webhook-delete': {'webhook_id': '31'},
    'cado-webhook-test': {'webhook_id': '31'},
}

# Commands whose request changes state in Cado: they must never be sent twice by the integration.
WRITES = {name for name in VALID_ARGS if name.endswith(('-acquire', '-create', '-update', '-delete', '-cancel',
                                                         '-rerun', '-investigate'))} | {'cado-webhook-test'}
READS = set(VALID_ARGS) - WRITES - {'fetch-incidents'}

# Polling variants: one step of each polling command, as XSOAR's scheduler would run it.
POLLING_ARGS: dict[str, dict[str, str]] = {
    'cado-pipeline-get': {'pipeline_id': '4281', 'polling': 'true', 'interval_in_seconds': '10'},
    'cado-aws-ec2-acquire': {**VALID_ARGS['cado-aws-ec2-acquire'], 'polling': 'true', 'wait_for_processing': 'true',
                             'interval_in_seconds': '10', 'pipeline_id': '4281', 'pipeline_ids': '4281'},
}
