import demistomock as demisto  # noqa: F401
from CommonServerPython import *  # noqa: F401
from CommonServerUserPython import *  # noqa: F401

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from string import Template
from typing import Any, NamedTuple
from urllib.parse import quote, urlparse

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

''' CONSTANTS '''

BRAND = 'Cado Security'
MAX_PAGE_SIZE = 100
DEFAULT_LIMIT = 50
FETCH_MAX_DEFAULT = 50
FETCH_MAX_CAP = 200
FETCH_MAX_PAGES = 10
FETCH_MEMORY_CAP = 200  # (id, updated_datetime) pairs kept for the look-back: the saved state stays under 10 KB
FETCH_LOOK_BACK_DEFAULT = 10  # minutes
READ_RETRIES = 3
RETRY_STATUSES = (500, 502, 503, 504)
RETRY_BACKOFF = 0.5
MIN_POLL_INTERVAL = 10
INSTANCE_DEFAULTS = {'account': 'Default cloud account', 'region': 'Default region', 'project': 'Default project ID'}

PIPELINE_STATES = ('queued', 'in_progress', 'complete', 'failed', 'cancelled')
PROJECT_STATUSES = ('Collection & Analysis', 'Containment', 'Eradication', 'Recovery', 'Post incident activity',
                    'Closed', 'Archived')
SEVERITIES = ('critical', 'high', 'medium', 'low')
DETECTION_SOURCES = ('GuardDuty', 'Defender', 'CrowdStrike', 'Wiz', 'Darktrace')
DETECTION_TYPES = ('alert', 'incident', 'all')
# The API's own default, alert, never returns incident-type detections.
FETCH_DETECTION_TYPE_DEFAULT = 'all'
SEVERITY_TO_INCIDENT = {'critical': IncidentSeverity.CRITICAL, 'high': IncidentSeverity.HIGH,
                        'medium': IncidentSeverity.MEDIUM, 'low': IncidentSeverity.LOW}
ACCOUNT_TYPES = ('aws', 'gcp', 'azure', 'crowdstrike', 'sentinelone', 'defender', 'microsoft_saas',
                 'google_workspace', 'darktrace')
PIPELINE_TYPES = ('processing', 'acquisition', 'healthcheck', 'investigation_kicker', 'accountdiscovery', 'analysis',
                  'remote_action', 'deletion', 'archiving', 'scanning')
XDR_PROVIDERS = ('crowdstrike', 'sentinelone', 'defender')
WEBHOOK_EVENT_TYPES = (
    'high_severity_alarm', 'suspicious_severity_event', 'processing_with_alarms', 'processing_finished',
    'processing_failed', 'admin_login', 'audit_event_create', 'audit_event_update', 'audit_event_delete',
    'audit_event_login', 'audit_event_logout', 'audit_event_download', 'audit_event_reboot', 'audit_event_upgrade',
    'audit_event_import', 'audit_event_tested', 'audit_event_upload', 'audit_event_cancel', 'audit_event_rerun',
    'detection_updated', 'detection_created', 'detection_group_created', 'detection_group_updated')
WEBHOOK_PAYLOAD_TYPES = ('custom', 'slack', 'jira')

# Response fields holding epoch timestamps; they become ISO 8601 strings in context.
TIMESTAMP_FIELDS = frozenset({
    'created', 'start_time', 'finish_time', 'last_acquisition', 'last_update', 'created_datetime',
    'updated_datetime', 'first_seen', 'last_seen', 'last_sent', 'creation_date', 'last_modified', 'last_processed',
    'created_timestamp', 'last_login_timestamp', 'resource_updated_datetime'})

''' INCIDENT INTAKE: the one rawJSON shape shared by Cado's webhooks (push) and fetch-incidents (pull) '''

DETECTION_EVENTS = ('detection_created', 'detection_updated', 'detection_group_created', 'detection_group_updated')
PROCESSING_EVENTS = ('high_severity_alarm', 'suspicious_severity_event', 'processing_with_alarms',
                     'processing_finished', 'processing_failed')
DETECTION_INCIDENT_TYPE = 'Cado Detection'
PROCESSING_INCIDENT_TYPE = 'Cado Processing Event'

# $Event has no published structure and may hold quotes, so detection templates leave it out (the playbook reads
# the detection by id). Processing templates put it first: should Cado substitute it unescaped, keys it smuggles in
# come before the real name/type, and JSON parsers keep the last duplicate.
XSOAR_WEBHOOK_PAYLOADS: dict[str, dict[str, str]] = {
    **{event: {'name': 'Cado detection $detection_id: $Title', 'type': DETECTION_INCIDENT_TYPE,
               'cado_webhook_event': event, 'cado_event_type': '$event_type', 'cado_detection_id': '$detection_id',
               'cado_group_id': '$group_id', 'cado_title': '$Title', 'source_brand': BRAND}
       for event in DETECTION_EVENTS},
    **{event: {'cado_event': '$Event', 'name': 'Cado: $Title', 'type': PROCESSING_INCIDENT_TYPE,
               'cado_webhook_event': event, 'cado_title': '$Title', 'source_brand': BRAND}
       for event in PROCESSING_EVENTS},
}

''' ENDPOINTS: method, path and the roles the contract's x-Required Roles names, one entry per Client method '''

ALL_ROLES = ('Administrator', 'Platform Administrator', 'Lead Analyst', 'Analyst', 'Read Only Analyst')
READERS = ('Administrator', 'Lead Analyst', 'Analyst', 'Read Only Analyst')
ANALYSTS = ('Administrator', 'Lead Analyst', 'Analyst')
LEADS = ('Administrator', 'Lead Analyst')
ADMINS = ('Administrator', 'Platform Administrator')
ACCOUNT_READERS = ('Administrator', 'Platform Administrator', 'Lead Analyst', 'Analyst')


class Endpoint(NamedTuple):
    method: str
    path: str
    roles: tuple[str, ...]
    action: str  # what the request does, for error messages
    missing: str = ''  # what a 404 on this path means was not found
    data: str = 'object'  # the success envelope's `data`: object | list | none (the answer may carry none)


ENDPOINTS: dict[str, Endpoint] = {
    'system_status': Endpoint('GET', '/api/v3/system/status', ALL_ROLES, 'read the system status'),
    'list_projects': Endpoint('GET', '/api/v3/projects', READERS, 'list projects', data='list'),
    'create_project': Endpoint('POST', '/api/v3/projects', LEADS, 'create a project'),
    'get_project': Endpoint('GET', '/api/v3/projects/{project_id}', READERS, 'read a project', 'project'),
    'update_project': Endpoint('PATCH', '/api/v3/projects/{project_id}', LEADS, 'update a project', 'project'),
    'delete_projects': Endpoint('DELETE', '/api/v3/projects', LEADS, 'delete projects', 'project', data='none'),
    'get_incident_project': Endpoint('GET', '/api/v3/incidents/{incident_id}', READERS,
                                     'read the project linked to an incident', 'project linked to incident'),
    'import_aws_ec2': Endpoint('POST', '/api/v3/import/aws/ec2', ANALYSTS, 'acquire an EC2 instance'),
    'import_aws_s3': Endpoint('POST', '/api/v3/import/aws/s3', ANALYSTS, 'acquire an S3 bucket'),
    'import_aws_lambda': Endpoint('POST', '/api/v3/import/aws/lambda', ANALYSTS, 'acquire a Lambda function'),
    'import_aws_ecs': Endpoint('POST', '/api/v3/import/aws/ecs', ANALYSTS, 'acquire an ECS container'),
    'import_aws_eks': Endpoint('POST', '/api/v3/import/aws/eks', ANALYSTS, 'acquire an EKS container'),
    'import_gcp_gce': Endpoint('POST', '/api/v3/import/gcp/gce', ANALYSTS, 'acquire a GCE instance'),
    'import_gcp_gcs': Endpoint('POST', '/api/v3/import/gcp/gcs', ANALYSTS, 'acquire a GCS bucket'),
    'import_gcp_gke': Endpoint('POST', '/api/v3/import/gcp/gke', ANALYSTS, 'acquire a GKE container'),
    'import_azure_vm': Endpoint('POST', '/api/v3/import/azure/virtual-machine', ANALYSTS,
                                'acquire an Azure virtual machine'),
    'import_azure_disk': Endpoint('POST', '/api/v3/import/azure/disk', ANALYSTS, 'acquire an Azure disk'),
    'import_azure_blob': Endpoint('POST', '/api/v3/import/azure/storage/blobs', ANALYSTS,
                                  'acquire an Azure storage blob'),
    'import_azure_aks': Endpoint('POST', '/api/v3/import/azure/aks', ANALYSTS, 'acquire an AKS container'),
    'import_xdr_device': Endpoint('POST', '/api/v3/import/xdr', ANALYSTS, 'acquire an XDR device'),
    'import_darktrace_endpoint': Endpoint('POST', '/api/v3/import/xdr/csensor', ANALYSTS,
                                          'acquire a Darktrace endpoint'),
    'import_url': Endpoint('POST', '/api/v3/import/url', ANALYSTS, 'import evidence from a URL'),
    'import_m365_ual': Endpoint('POST', '/api/v3/import/microsoft365/ual', ANALYSTS,
                                'import Microsoft 365 audit logs'),
    'import_entra_id': Endpoint('POST', '/api/v3/import/entra', ANALYSTS, 'import Entra ID logs'),
    'import_google_workspace': Endpoint('POST', '/api/v3/import/google-workspace', ANALYSTS,
                                        'import Google Workspace logs'),
    'investigate_detections': Endpoint('POST', '/api/v3/detections/import', LEADS,
                                       'start an investigation from a detection'),
    'list_accounts': Endpoint('GET', '/api/v3/accounts', ACCOUNT_READERS, 'list cloud accounts', data='list'),
    'list_ec2_instances': Endpoint('GET', '/api/v3/import/aws/ec2', ANALYSTS, 'browse EC2 instances', data='list'),
    'list_s3_buckets': Endpoint('GET', '/api/v3/import/aws/s3/buckets', ANALYSTS, 'browse S3 buckets', data='list'),
    'list_s3_objects': Endpoint('GET', '/api/v3/import/aws/s3/objects', ANALYSTS, 'browse S3 objects', data='list'),
    'list_lambda_functions': Endpoint('GET', '/api/v3/import/aws/lambda', ANALYSTS, 'browse Lambda functions', data='list'),
    'list_gce_instances': Endpoint('GET', '/api/v3/import/gcp/gce', ANALYSTS, 'browse GCE instances', data='list'),
    'list_gcs_buckets': Endpoint('GET', '/api/v3/import/gcp/gcs/buckets', ANALYSTS, 'browse GCS buckets', data='list'),
    'list_azure_vms': Endpoint('GET', '/api/v3/import/azure/virtual-machine', ANALYSTS,
                               'browse Azure virtual machines', data='list'),
    'list_azure_disks': Endpoint('GET', '/api/v3/import/azure/disk', ANALYSTS, 'browse Azure disks', data='list'),
    'list_crowdstrike_devices': Endpoint('GET', '/api/v3/import/xdr/crowdstrike', ANALYSTS,
                                         'browse CrowdStrike devices', data='list'),
    'list_sentinelone_devices': Endpoint('GET', '/api/v3/import/xdr/sentinelone', ANALYSTS,
                                         'browse SentinelOne devices', data='list'),
    'list_defender_devices': Endpoint('GET', '/api/v3/import/xdr/defender', ANALYSTS, 'browse Defender devices', data='list'),
    'list_darktrace_devices': Endpoint('GET', '/api/v3/import/xdr/csensor', ANALYSTS,
                                       'browse Darktrace endpoints', data='list'),
    'list_pipelines': Endpoint('GET', '/api/v3/pipelines', READERS, 'list pipelines', data='list'),
    'get_pipeline': Endpoint('GET', '/api/v3/pipelines/{id}', READERS, 'read a pipeline', 'pipeline'),
    'cancel_pipeline': Endpoint('PATCH', '/api/v3/pipelines/{id}', ANALYSTS, 'cancel a pipeline', 'pipeline'),
    'rerun_pipelines': Endpoint('POST', '/api/v3/pipelines/rerun', ANALYSTS, 'rerun pipelines', 'pipeline or project'),
    'list_detections': Endpoint('GET', '/api/v3/detections', READERS, 'list detections', data='list'),
    'list_detection_groups': Endpoint('GET', '/api/v3/detections/groups', READERS, 'list detection groups', data='list'),
    'list_detection_artifacts': Endpoint('GET', '/api/v3/detections/artifacts', READERS,
                                         'list detection artifacts', 'project or detection', data='list'),
    'get_detection_asset': Endpoint('GET', '/api/v3/detections/assets/{detection_id}', READERS,
                                    'read the asset behind a detection', 'asset for detection'),
    'list_alarms': Endpoint('GET', '/api/v3/alarms', READERS, 'list alarms', data='list'),
    'get_alarm': Endpoint('GET', '/api/v3/alarms/{id}', READERS, 'read an alarm', 'alarm'),
    'get_alarm_summary': Endpoint('GET', '/api/v3/alarms/summary', READERS, 'read the alarm summary', 'project'),
    'list_evidence': Endpoint('GET', '/api/v3/evidences', READERS, 'list evidence', data='list'),
    'get_evidence': Endpoint('GET', '/api/v3/evidences/{evidence_id}', READERS, 'read evidence', 'evidence'),
    'list_indicators': Endpoint('GET', '/api/v3/indicators', READERS, 'list indicators', 'project'),
    'list_webhooks': Endpoint('GET', '/api/v3/webhooks', ADMINS, 'list webhooks', data='list'),
    'create_webhook': Endpoint('POST', '/api/v3/webhooks', ADMINS, 'create a webhook'),
    'update_webhook': Endpoint('PATCH', '/api/v3/webhooks/{webhook_id}', ADMINS, 'update a webhook', 'webhook'),
    'delete_webhook': Endpoint('DELETE', '/api/v3/webhooks/{webhook_id}', ADMINS, 'delete a webhook', 'webhook', data='none'),
    'test_webhook': Endpoint('POST', '/api/v3/webhooks/test', ADMINS, 'test a webhook', 'webhook'),
}

''' ARGUMENT SPECS: how a command argument becomes a query parameter or body field '''


class Field(NamedTuple):
    arg: str  # command argument name
    api: str  # query parameter or body field name in the contract
    kind: str = 'str'  # str | int | bool | list | int_list | time | json_object | json_list
    required: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None  # sent when the argument is absent
    fallback: str = ''  # instance default used when the argument is absent: account | region | project


def project_field(api: str, required: bool = True) -> Field:
    return Field('project_id', api, 'int', required, fallback='project')


def account_field(api: str, required: bool = True) -> Field:
    return Field('account', api, 'str', required, fallback='account')


def region_field(api: str = 'region', required: bool = True) -> Field:
    return Field('region', api, 'str', required, fallback='region')


PAGE_FIELDS = (Field('page', 'page', 'int'), Field('page_size', 'per_page', 'int'), Field('limit', 'limit', 'int'))

HOST_OPTION_FIELDS = (
    Field('collection_type', 'collection_type', choices=('balanced', 'custom')),
    Field('light_mode', 'light_mode', 'bool'),
    Field('skip_scan', 'skip_scan', 'bool'),
    Field('additional_files', 'additional_files', 'list'),
    Field('host_groups', 'groups', 'list'),
)

LOG_WINDOW_FIELDS = (Field('start_time', 'start_time', 'time', required=True),
                     Field('end_time', 'end_time', 'time', required=True))

''' ACQUISITION SOURCES: every difference between Cado's import endpoints, described once '''


class Source(NamedTuple):
    label: str  # the `source` value in Cado.Acquisition
    endpoint: str  # ENDPOINTS key and Client method
    resource_arg: str  # the argument naming what is acquired (Cado.Acquisition.resource_id), if any
    fields: tuple[Field, ...]  # project, account and region fields first: their body names differ per endpoint
    host_options: str = ''  # '' | 'optional' | 'required': whether the body takes Cado Host options
    returns_list: bool = False  # True: the answer carries pipeline_ids [{id}], else pipeline_id
    no_processing_arg: str = ''  # boolean argument that skips processing, incompatible with wait_for_processing
    label_arg: Field | None = None  # an argument that only qualifies `source` (it is not sent)


SOURCES: dict[str, Source] = {
    'cado-aws-ec2-acquire': Source('AWS EC2', 'import_aws_ec2', 'instance_id', (
        project_field('project_id'), account_field('cloud_id', required=False), region_field(),
        Field('instance_id', 'instance_id', required=True),
        Field('acquire_with_host', 'acquire_with_host', 'bool'),
        Field('use_ssm_port_forwarding', 'use_ssm_port_forwarding', 'bool'),
        Field('ssm_port_forwarding_port', 'ssm_port_forwarding_port', 'int'),
        Field('fast_scan', 'fast_scan', 'bool'),
        Field('convert_image', 'convert_image', 'bool'),
        Field('skip_processing', 'skip_processing', 'bool')),
        host_options='optional', returns_list=True, no_processing_arg='skip_processing'),
    'cado-aws-s3-acquire': Source('AWS S3', 'import_aws_s3', 'bucket', (
        project_field('project_id'), account_field('cloud_id', required=False),
        Field('bucket', 'bucket', required=True),
        Field('file_names', 'file_name', 'list'),
        Field('prefix', 'prefix'))),
    'cado-aws-lambda-acquire': Source('AWS Lambda', 'import_aws_lambda', 'function_name', (
        project_field('project_id'), account_field('cloud_id', required=False), region_field(),
        Field('function_name', 'function', required=True))),
    'cado-aws-ecs-acquire': Source('AWS ECS', 'import_aws_ecs', 'container_name', (
        project_field('investigation_id'), account_field('account_name', required=False),
        region_field(required=False),
        Field('cluster_name', 'cluster_name', required=True),
        Field('task_name', 'task_name', required=True),
        Field('container_name', 'container_name', required=True),
        Field('file_name', 'file_name')),
        host_options='required'),
    'cado-aws-eks-acquire': Source('AWS EKS', 'import_aws_eks', 'container_name', (
        project_field('investigation_id'), account_field('account_name'), region_field('cluster_region'),
        Field('cluster_name', 'cluster_name', required=True),
        Field('pod_name', 'pod_name', required=True),
        Field('pod_namespace', 'pod_namespace', required=True),
        Field('container_name', 'container_name', required=True)),
        host_options='required'),
    'cado-gcp-gce-acquire': Source('GCP GCE', 'import_gcp_gce', 'instance_name', (
        project_field('investigation_id'), account_field('account_name'),
        Field('instance_name', 'instance_name', required=True),
        Field('instance_project', 'instance_project', required=True),
        Field('zone', 'zone', required=True),
        Field('gcs_bucket', 'gcs_bucket', required=True),
        Field('gcs_project', 'gcs_project', required=True),
        Field('fast_scan', 'fast_scan', 'bool'),
        Field('use_acquisition_service_account', 'use_acquisition_service_account', 'bool'),
        Field('subnet', 'subnet')),
        returns_list=True),
    'cado-gcp-gcs-acquire': Source('GCP GCS', 'import_gcp_gcs', 'bucket', (
        project_field('project_id'), account_field('account_name'),
        Field('bucket', 'bucket', required=True),
        Field('gcp_project', 'gcp_project', required=True),
        # The contract requires a prefix; an empty one acquires the whole bucket.
        Field('prefix', 'prefix', default=''),
        Field('file_names', 'file_names', 'list')),
        returns_list=True),
    'cado-gcp-gke-acquire': Source('GCP GKE', 'import_gcp_gke', 'container_name', (
        project_field('investigation_id'), account_field('account_name'),
        Field('gcp_project', 'gcp_project_id', required=True),
        Field('cluster_name', 'cluster_name', required=True),
        Field('zone', 'cluster_zone', required=True),
        Field('pod_name', 'pod_name', required=True),
        Field('pod_namespace', 'pod_namespace', required=True),
        Field('container_name', 'container_name', required=True)),
        host_options='required'),
    'cado-azure-vm-acquire': Source('Azure VM', 'import_azure_vm', 'vm_name', (
        project_field('investigation_id'), account_field('account_name'),
        Field('vm_name', 'vm_name', required=True),
        Field('subscription_id', 'subscription_id', required=True),
        Field('resource_group', 'resource_group', required=True),
        Field('acquisition_resource_group', 'acquisition_resource_group'),
        Field('acquire_with_host', 'acquire_with_host', 'bool', required=True, default=False),
        Field('scan_only', 'scan', 'bool')),
        host_options='optional', returns_list=True),
    'cado-azure-disk-acquire': Source('Azure Disk', 'import_azure_disk', 'disk_name', (
        project_field('investigation_id'), account_field('account_name'),
        Field('disk_name', 'disk_name', required=True),
        Field('subscription_id', 'subscription_id', required=True),
        Field('resource_group', 'resource_group', required=True),
        Field('acquisition_resource_group', 'acquisition_resource_group'),
        Field('acquire_with_host', 'acquire_with_host', 'bool', required=True, default=False),
        Field('fast_scan', 'fast_scan', 'bool'))),
    'cado-azure-blob-acquire': Source('Azure Blob', 'import_azure_blob', 'blob_name', (
        project_field('investigation_id'), account_field('account_name'),
        Field('subscription_id', 'subscription_id', required=True),
        Field('storage_account_name', 'storage_account_name', required=True),
        Field('container_name', 'container_name', required=True),
        Field('blob_name', 'blob_name', required=True)),
        returns_list=True),
    'cado-azure-aks-acquire': Source('Azure AKS', 'import_azure_aks', 'container_name', (
        project_field('investigation_id'), account_field('account_name'),
        Field('subscription_id', 'subscription_id', required=True),
        Field('resource_group', 'resource_group', required=True),
        Field('cluster_name', 'cluster_name', required=True),
        Field('pod_name', 'pod_name', required=True),
        Field('pod_namespace', 'pod_namespace', required=True),
        Field('container_name', 'container_name', required=True)),
        host_options='required'),
    'cado-xdr-device-acquire': Source('XDR', 'import_xdr_device', 'device_id', (
        project_field('investigation_id'), account_field('account_name'),
        Field('device_id', 'device_id', required=True)),
        host_options='required', label_arg=Field('provider', 'provider', choices=XDR_PROVIDERS)),
    'cado-darktrace-endpoint-acquire': Source('Darktrace Endpoint', 'import_darktrace_endpoint', 'device_id', (
        project_field('investigation_id'),
        Field('device_id', 'device_id', required=True),
        Field('appliance_name', 'appliance_name', required=True))),
    'cado-url-acquire': Source('URL', 'import_url', 'url', (
        project_field('project_id'),
        Field('url', 'url', required=True))),
    'cado-m365-ual-acquire': Source('Microsoft 365 UAL', 'import_m365_ual', 'workload', (
        project_field('project_id'), account_field('credentials'), *LOG_WINDOW_FIELDS,
        Field('workload', 'workload', choices=('exchange', 'sharepoint', 'aad', 'onedrive', 'defender', 'all')),
        Field('user_ids', 'user_ids', 'list'),
        Field('ip_addresses', 'ip_addresses', 'list'))),
    'cado-entra-id-acquire': Source('Microsoft Entra ID', 'import_entra_id', 'user_ids', (
        project_field('investigation_id'), account_field('credentials'), *LOG_WINDOW_FIELDS,
        Field('user_ids', 'user_ids', 'list'))),
    'cado-google-workspace-acquire': Source('Google Workspace', 'import_google_workspace', 'application_names', (
        project_field('investigation_id'), account_field('account_name'), *LOG_WINDOW_FIELDS,
        Field('user_ids', 'user_ids', 'list'),
        Field('application_names', 'application_names', 'list', choices=(
            'access_transparency', 'admin', 'calendar', 'chat', 'drive', 'gcp', 'gplus', 'groups',
            'groups_enterprise', 'jamboard', 'login', 'meet', 'mobile', 'rules', 'saml', 'token', 'user_accounts',
            'context_aware_access', 'chrome', 'data_studio', 'keep', 'vault')))),
    'cado-detection-investigate': Source('Detection', 'investigate_detections', '', (
        Field('detections', 'detections', 'json_list', required=True),
        Field('skip_acquisition', 'skip_acquisition', 'bool')),
        no_processing_arg='skip_acquisition'),
}

''' OUTPUT SPECS: context prefix, key and the readable table of each entity '''


class Entity(NamedTuple):
    prefix: str
    key: str
    title: str
    columns: tuple[tuple[str, str], ...]  # (table header, dotted path in the context object)


PROJECT = Entity('Cado.Project', 'id', 'Cado projects', (
    ('id', 'id'), ('name', 'details.name'), ('status', 'details.status'), ('malicious_alarms', 'alarms.malicious'),
    ('suspicious_alarms', 'alarms.suspicious'), ('evidences', 'evidences'), ('created', 'created'),
    ('last_acquisition', 'last_acquisition')))
ACQUISITION = Entity('Cado.Acquisition', 'pipeline_id', 'Cado acquisition', (
    ('pipeline_id', 'pipeline_id'), ('source', 'source'), ('resource_id', 'resource_id'),
    ('project_id', 'project_id'), ('status', 'status'), ('processing_pipeline_id', 'processing_pipeline_id'),
    ('processing_status', 'processing_status'), ('alarm_count', 'alarm_count'),
    ('detection_count', 'detection_count'), ('evidence_id', 'evidence_id'), ('created', 'created')))
PIPELINE = Entity('Cado.Pipeline', 'id', 'Cado pipelines', (
    ('id', 'id'), ('type', 'type'), ('name', 'name'), ('status', 'status'), ('project', 'project.name'),
    ('evidence', 'evidence.name'), ('triggering_pipeline_id', 'triggering_pipeline_id'), ('created', 'created')))
CLOUD_ACCOUNT = Entity('Cado.CloudAccount', 'id', 'Cado cloud accounts', (
    ('id', 'id'), ('account_name', 'account_name'), ('type', 'type'), ('public_identifier', 'public_identifier'),
    ('account_last_used', 'account_last_used')))
EC2_INSTANCE = Entity('Cado.EC2Instance', 'instance_id', 'AWS EC2 instances', (
    ('instance_id', 'instance_id'), ('instance_name', 'instance_name'), ('state', 'state'),
    ('instance_type', 'instance_type'), ('availability_zone', 'availability_zone'), ('ip_address', 'ip_address'),
    ('os', 'os'), ('importable', 'importable')))
S3_BUCKET = Entity('Cado.S3Bucket', 'name', 'AWS S3 buckets', (('name', 'name'), ('creation_date', 'creation_date')))
S3_OBJECT = Entity('Cado.S3Object', 'name', 'AWS S3 objects', (
    ('name', 'name'), ('type', 'type'), ('size', 'size'), ('storage_class', 'storage_class'),
    ('last_modified', 'last_modified')))
LAMBDA_FUNCTION = Entity('Cado.LambdaFunction', 'name', 'AWS Lambda functions', (
    ('name', 'name'), ('package_type', 'package_type'), ('last_modified', 'last_modified')))
GCE_INSTANCE = Entity('Cado.GCEInstance', 'instance_id', 'GCP GCE instances', (
    ('instance_id', 'instance_id'), ('instance_name', 'instance_name'), ('state', 'state'),
    ('instance_type', 'instance_type'), ('region_zone', 'region_zone')))
GCS_BUCKET = Entity('Cado.GCSBucket', 'name', 'GCP GCS buckets', (
    ('name', 'name'), ('location', 'location'), ('storage_class', 'storage_class')))
AZURE_VM = Entity('Cado.AzureVM', 'name', 'Azure virtual machines', (
    ('name', 'name'), ('location', 'location'), ('operating_system', 'operating_system'), ('disks', 'disks.name')))
AZURE_DISK = Entity('Cado.AzureDisk', 'disk_name', 'Azure disks', (
    ('disk_name', 'disk_name'), ('resource_group', 'resource_group'), ('location', 'location'),
    ('disk_size', 'disk_size'), ('managed_by', 'managed_by'), ('os', 'os')))
XDR_DEVICE = Entity('Cado.XDRDevice', 'device_id', 'XDR devices', (
    ('device_id', 'device_id'), ('hostname', 'hostname'), ('provider', 'provider'), ('ip_address', 'ip_address'),
    ('operating_system', 'operating_system'), ('is_online', 'is_online')))
DETECTION = Entity('Cado.Detection', 'id', 'Cado detections', (
    ('id', 'id'), ('name', 'name'), ('severity', 'severity'), ('source', 'source'),
    ('resource_id', 'resource_data.resource_id'), ('investigation_id', 'investigation_id'),
    ('updated_datetime', 'updated_datetime')))
DETECTION_GROUP = Entity('Cado.DetectionGroup', 'investigation_id', 'Cado detection groups', (
    ('investigation_id', 'investigation_id'), ('investigation', 'investigation'), ('severity', 'severity'),
    ('source', 'source'), ('detection_count', 'detection_count'), ('status', 'status'),
    ('updated_datetime', 'updated_datetime')))
DETECTION_ARTIFACT = Entity('Cado.DetectionArtifact', 'id', 'Cado detection artifacts', (
    ('id', 'id'), ('type', 'type'), ('value', 'value')))
DETECTION_ASSET = Entity('Cado.DetectionAsset', 'asset_id', 'Cado detection asset', (
    ('detection_id', 'detection_id'), ('asset_id', 'asset_id'), ('acquisition_type', 'acquisition_type'),
    ('first_seen', 'first_seen'), ('last_seen', 'last_seen'), ('evidence_ids', 'acquisitions.evidence_id')))
ALARM = Entity('Cado.Alarm', 'id', 'Cado alarms', (
    ('id', 'id'), ('severity', 'severity'), ('type', 'type'), ('description', 'description'),
    ('resource', 'resource'), ('evidence_name', 'evidence_name'), ('full_path', 'full_path'),
    ('first_seen', 'first_seen')))
ALARM_SUMMARY = Entity('Cado.AlarmSummary', 'project_id', 'Cado alarm summary', (
    ('description', 'description'), ('severity', 'severity'), ('total_count', 'total_count'),
    ('content_alarm_count', 'content_alarm_count'), ('event_alarm_count', 'event_alarm_count')))
EVIDENCE = Entity('Cado.Evidence', 'id', 'Cado evidence', (
    ('id', 'id'), ('display_name', 'display_name'), ('project_id', 'project_id'), ('hostname', 'details.hostname'),
    ('os', 'details.os'), ('malicious_alarms', 'alarms.malicious'), ('suspicious_alarms', 'alarms.suspicious'),
    ('items', 'items')))
INDICATOR = Entity('Cado.Indicator', 'indicator', 'Cado indicators of compromise', (
    ('indicator', 'indicator'), ('type', 'type'), ('description', 'description'),
    ('evidence_name', 'evidence_name'), ('evidence_id', 'evidence_id'), ('project_id', 'project_id')))
WEBHOOK = Entity('Cado.Webhook', 'id', 'Cado webhooks', (
    ('id', 'id'), ('name', 'name'), ('event_type', 'event_type'), ('payload_type', 'payload_type'), ('url', 'url'),
    ('enabled', 'enabled'), ('times_sent', 'times_sent'), ('last_sent', 'last_sent')))


class Listing(NamedTuple):
    endpoint: str  # ENDPOINTS key and Client method
    entity: Entity
    filters: tuple[Field, ...]
    paging: str  # page | cursor (per_page accepted) | cursor_unsized (the endpoint takes no per_page)


LISTINGS: dict[str, Listing] = {
    'cado-project-list': Listing('list_projects', PROJECT, (
        Field('name', 'name'),
        Field('status', 'status', 'list', choices=PROJECT_STATUSES),
        Field('project_ids', 'project_id', 'int_list'),
        Field('created_after', 'created_start_timestamp', 'time'),
        Field('created_before', 'created_end_timestamp', 'time'),
        Field('get_alarm_summary', 'get_alarm_summary', 'bool'),
        Field('order_by', 'order_by', choices=tuple(f'{sign}{name}' for name in (
            'created', 'name', 'status', 'id', 'malicious', 'suspicious', 'evidences', 'items_identified',
            'description', 'ai_summary', 'last_acquisition') for sign in ('', '-')))), 'page'),
    'cado-cloud-account-list': Listing('list_accounts', CLOUD_ACCOUNT, (
        Field('account_name', 'account_name'),
        Field('type', 'type', 'list', choices=ACCOUNT_TYPES),
        Field('account_check_result', 'account_check_result', choices=('success', 'failure', 'cancelled',
                                                                       'no_checks'))), 'page'),
    'cado-aws-ec2-instance-list': Listing('list_ec2_instances', EC2_INSTANCE, (
        account_field('cloud_id'), region_field(),
        Field('instance_ids', 'instance_id', 'list'),
        Field('instance_names', 'instance_name', 'list'),
        Field('state', 'state', 'list', choices=('pending', 'running', 'shutting-down', 'terminated', 'stopping',
                                                 'stopped')),
        Field('ip_addresses', 'ip_address', 'list'),
        Field('os', 'os'),
        Field('tags', 'tags', 'list')), 'cursor_unsized'),
    'cado-aws-s3-bucket-list': Listing('list_s3_buckets', S3_BUCKET, (
        account_field('cloud_id'),
        Field('prefix', 'prefix')), 'cursor'),
    'cado-aws-s3-object-list': Listing('list_s3_objects', S3_OBJECT, (
        account_field('cloud_id'),
        Field('bucket', 'bucket_name', required=True),
        Field('prefix', 'prefix'),
        Field('delimiter', 'delimiter'),
        Field('exclude_archived', 'exclude_archived', 'bool')), 'cursor'),
    'cado-aws-lambda-function-list': Listing('list_lambda_functions', LAMBDA_FUNCTION, (
        account_field('cloud_id'), region_field()), 'cursor'),
    'cado-gcp-gce-instance-list': Listing('list_gce_instances', GCE_INSTANCE, (
        account_field('account_name'),
        Field('gcp_project', 'gcp_project', required=True),
        Field('instance_name', 'instance_name'),
        Field('instance_id', 'instance_id'),
        Field('state', 'state', choices=('PROVISIONING', 'STAGING', 'RUNNING', 'STOPPING', 'SUSPENDING', 'SUSPENDED',
                                         'REPAIRING', 'TERMINATED')),
        Field('labels', 'label', 'list')), 'page'),
    'cado-gcp-gcs-bucket-list': Listing('list_gcs_buckets', GCS_BUCKET, (
        account_field('account_name'),
        Field('gcp_project', 'gcp_project', required=True),
        Field('prefix', 'bucket_prefix')), 'page'),
    'cado-azure-vm-list': Listing('list_azure_vms', AZURE_VM, (
        account_field('account_name'),
        Field('subscription_id', 'subscription_id', required=True),
        Field('resource_group', 'resource_group', required=True),
        Field('vm_name', 'vm_name'),
        Field('tags', 'tags', 'list')), 'page'),
    'cado-azure-disk-list': Listing('list_azure_disks', AZURE_DISK, (
        account_field('account_name'),
        Field('subscription_id', 'subscription_id', required=True),
        Field('resource_group', 'resource_group'),
        Field('disk_name', 'disk_name'),
        Field('managed_by', 'managed_by')), 'page'),
    'cado-pipeline-list': Listing('list_pipelines', PIPELINE, (
        Field('project_id', 'project_id', 'int'),
        Field('triggering_pipeline_id', 'triggering_pipeline_id', 'int'),
        Field('evidence_id', 'evidence_id', 'int'),
        Field('status', 'pipeline_status', choices=PIPELINE_STATES),
        Field('type', 'type', choices=PIPELINE_TYPES)), 'page'),
    'cado-detection-list': Listing('list_detections', DETECTION, (
        Field('project_id', 'investigation_id', 'int'),
        Field('name', 'name'),
        Field('resource_ids', 'resource_id', 'list'),
        Field('severity', 'severity', 'list', choices=SEVERITIES),
        Field('impact', 'impact', 'list', choices=SEVERITIES),
        Field('project_status', 'status', 'list', choices=PROJECT_STATUSES),
        Field('source', 'source', 'list', choices=DETECTION_SOURCES),
        Field('detection_type', 'detection_type', choices=DETECTION_TYPES),
        Field('updated_after', 'updated_start_timestamp', 'time'),
        Field('updated_before', 'updated_end_timestamp', 'time'),
        Field('order_by', 'order_by', choices=tuple(f'{sign}{name}' for name in (
            'id', 'created_datetime', 'updated_datetime', 'source', 'resource_id', 'severity')
            for sign in ('', '-')))), 'page'),
    'cado-detection-group-list': Listing('list_detection_groups', DETECTION_GROUP, (
        Field('project_name', 'investigation'),
        Field('name', 'name'),
        Field('resource_ids', 'resource_id', 'list'),
        Field('severity', 'severity', 'list', choices=SEVERITIES),
        Field('impact', 'impact', 'list', choices=SEVERITIES),
        Field('project_status', 'status', 'list', choices=PROJECT_STATUSES),
        Field('source', 'source', 'list'),
        Field('detection_type', 'detection_type', choices=('alert', 'incident')),
        Field('order_by', 'order_by', choices=tuple(f'{sign}{name}' for name in (
            'created_datetime', 'updated_datetime', 'source', 'resource_id', 'severity')
            for sign in ('', '-')))), 'page'),
    'cado-detection-artifact-list': Listing('list_detection_artifacts', DETECTION_ARTIFACT, (
        project_field('investigation_id'),
        Field('artifact_type', 'artifact_type', required=True, choices=(
            'file', 'hash', 'process', 'user', 'ip_local', 'ip_remote', 'domain')),
        Field('detection_id', 'detection_id', 'int'),
        Field('detection_type', 'detection_type', choices=('alert', 'incident'))), 'page'),
    'cado-alarm-list': Listing('list_alarms', ALARM, (
        Field('project_id', 'investigation_id', 'int'),
        Field('evidence_id', 'evidence_id', 'int'),
        Field('alarm_type', 'alarm_type', choices=('content', 'event')),
        Field('alarm_name', 'alarm_name'),
        Field('alarm_severity', 'alarm_severity', 'int_list'),
        Field('resource', 'resource'),
        Field('latest_results', 'latest_results', 'bool'),
        Field('order_by', 'order_by', choices=('id', '-id'))), 'page'),
    'cado-evidence-list': Listing('list_evidence', EVIDENCE, (
        Field('project_id', 'project_id', 'int'),
        Field('display_name', 'display_name'),
        Field('hostname', 'hostname'),
        Field('os', 'os', 'list'),
        Field('capture_type', 'capture_type'),
        Field('is_compromised', 'is_compromised', 'bool'),
        Field('evidence_type', 'evidence_type', 'list'),
        Field('order_by', 'order_by', choices=('id', '-id', 'display_name', '-display_name'))), 'page'),
    'cado-webhook-list': Listing('list_webhooks', WEBHOOK, (), 'page'),
}

XDR_DEVICE_FILTERS = (Field('hostname', 'hostname'), Field('os', 'os'))
XDR_LISTINGS: dict[str, Listing] = {
    **{provider: Listing(f'list_{provider}_devices', XDR_DEVICE, (account_field('account_name'), *XDR_DEVICE_FILTERS),
                         'cursor')
       for provider in XDR_PROVIDERS},
    'darktrace': Listing('list_darktrace_devices', XDR_DEVICE, (
        Field('appliance_name', 'selected_appliance', required=True), *XDR_DEVICE_FILTERS), 'cursor'),
}

''' CLIENT '''


class CadoApiError(DemistoException):
    """An error the Cado platform (or the way to it) returned, already phrased for an analyst."""


class Client(BaseClient):
    """One method per Cado endpoint; each returns the decoded response envelope."""

    def __init__(self, base_url: str, api_key: str, verify: bool, proxy: bool, timeout: int,
                 default_account: str | None = None, default_region: str | None = None,
                 default_project: int | None = None):
        # Analysts often paste the API root; every path below already starts with /api/v3.
        base_url = re.sub(r'(/api/v3)?/*$', '', base_url.strip())
        super().__init__(base_url=base_url, verify=verify, proxy=proxy,
                         headers={'Authorization': f'Bearer {api_key}', 'Accept': 'application/json'})
        self.timeout = timeout
        self._secrets = (api_key,) if api_key else ()
        self.defaults = {'account': default_account, 'region': default_region, 'project': default_project}
        # One retrying adapter for the session's life: reads retry connection errors and 5xx with backoff; a write is
        # never resent once it may have reached the server (urllib3 retries only allowed_methods then); a proxy's
        # Retry-After cannot stall a command for hours. BaseClient's `retries` argument would instead remount an
        # adapter on every call (dropping the pooled connection), retry writes and honour any Retry-After.
        # `other=0`: a TLS failure (untrusted certificate) will not pass on a second try.
        retry = Retry(total=READ_RETRIES, connect=READ_RETRIES, read=READ_RETRIES, status=READ_RETRIES, other=0,
                      backoff_factor=RETRY_BACKOFF, status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({'GET'}),
                      raise_on_status=False, respect_retry_after_header=False)
        scheme = urlparse(base_url).scheme or 'https'
        self._session.mount(f'{scheme}://', SSLAdapter(max_retries=retry, verify=False)
                            if scheme == 'https' and not verify else HTTPAdapter(max_retries=retry))

    def _call(self, name: str, path_args: dict[str, Any] | None = None, params: dict[str, Any] | None = None,
              body: Any = None) -> dict[str, Any]:
        endpoint = ENDPOINTS[name]
        # Path parameters are encoded whole, so an id can never add a segment, a query or a fragment.
        path = endpoint.path.format(**{key: quote(str(value), safe='') for key, value in (path_args or {}).items()})
        if params:
            # requests would write Python booleans as "True"; the contract's boolean query parameters take "true".
            params = {key: str(value).lower() if isinstance(value, bool) else value for key, value in params.items()}
        try:
            # Redirects are not followed: the API key must never be sent on to another origin.
            response = self._http_request(
                endpoint.method, path, params=params, json_data=body, resp_type='response', timeout=self.timeout,
                error_handler=partial(raise_for_response, endpoint, path_args or {}, self._secrets),
                allow_redirects=False)
            return redact(decode_response(endpoint, response, self._secrets), self._secrets)
        except CadoApiError as e:
            failure = str(e)
        except (DemistoException, requests.exceptions.RequestException) as e:
            # Retried read timeouts surface as connection errors caused by a ReadTimeoutError.
            if isinstance(e, requests.exceptions.Timeout) or 'timed out' in str(e).lower():
                failure = (f'Cado did not answer {endpoint.method} {path} within {self.timeout} seconds. The platform '
                           'may be busy: try again, or raise the Request timeout in the instance settings. If it never '
                           'answers, check the Server URL.')
            else:
                failure = (f'Could not reach the Cado platform at {self._base_url} to {endpoint.action}. Check the '
                           f'Server URL, the network path and the proxy and certificate settings. Details: {e}')
        # Raised outside the except blocks so that no chained exception keeps an unredacted text (an echoing proxy
        # can return the key, and tracebacks are logged).
        raise CadoApiError(redact(failure, self._secrets))

    # System
    def system_status(self) -> dict:
        return self._call('system_status')

    # Projects
    def list_projects(self, params: dict) -> dict:
        return self._call('list_projects', params=params)

    def create_project(self, body: dict) -> dict:
        return self._call('create_project', body=body)

    def get_project(self, project_id: int) -> dict:
        return self._call('get_project', {'project_id': project_id})

    def update_project(self, project_id: int, body: dict) -> dict:
        return self._call('update_project', {'project_id': project_id}, body=body)

    def delete_projects(self, project_ids: list[int]) -> dict:
        return self._call('delete_projects', body={'investigation_ids': project_ids})

    def get_incident_project(self, incident_id: str) -> dict:
        return self._call('get_incident_project', {'incident_id': incident_id})

    # Acquisitions
    def import_aws_ec2(self, body: dict) -> dict:
        return self._call('import_aws_ec2', body=body)

    def import_aws_s3(self, body: dict) -> dict:
        return self._call('import_aws_s3', body=body)

    def import_aws_lambda(self, body: dict) -> dict:
        return self._call('import_aws_lambda', body=body)

    def import_aws_ecs(self, body: dict) -> dict:
        return self._call('import_aws_ecs', body=body)

    def import_aws_eks(self, body: dict) -> dict:
        return self._call('import_aws_eks', body=body)

    def import_gcp_gce(self, body: dict) -> dict:
        return self._call('import_gcp_gce', body=body)

    def import_gcp_gcs(self, body: dict) -> dict:
        return self._call('import_gcp_gcs', body=body)

    def import_gcp_gke(self, body: dict) -> dict:
        return self._call('import_gcp_gke', body=body)

    def import_azure_vm(self, body: dict) -> dict:
        return self._call('import_azure_vm', body=body)

    def import_azure_disk(self, body: dict) -> dict:
        return self._call('import_azure_disk', body=body)

    def import_azure_blob(self, body: dict) -> dict:
        return self._call('import_azure_blob', body=body)

    def import_azure_aks(self, body: dict) -> dict:
        return self._call('import_azure_aks', body=body)

    def import_xdr_device(self, body: dict) -> dict:
        return self._call('import_xdr_device', body=body)

    def import_darktrace_endpoint(self, body: dict) -> dict:
        return self._call('import_darktrace_endpoint', body=body)

    def import_url(self, body: dict) -> dict:
        return self._call('import_url', body=body)

    def import_m365_ual(self, body: dict) -> dict:
        return self._call('import_m365_ual', body=body)

    def import_entra_id(self, body: dict) -> dict:
        return self._call('import_entra_id', body=body)

    def import_google_workspace(self, body: dict) -> dict:
        return self._call('import_google_workspace', body=body)

    def investigate_detections(self, body: dict) -> dict:
        return self._call('investigate_detections', body=body)

    # Browsing what can be acquired
    def list_accounts(self, params: dict) -> dict:
        return self._call('list_accounts', params=params)

    def list_ec2_instances(self, params: dict) -> dict:
        return self._call('list_ec2_instances', params=params)

    def list_s3_buckets(self, params: dict) -> dict:
        return self._call('list_s3_buckets', params=params)

    def list_s3_objects(self, params: dict) -> dict:
        return self._call('list_s3_objects', params=params)

    def list_lambda_functions(self, params: dict) -> dict:
        return self._call('list_lambda_functions', params=params)

    def list_gce_instances(self, params: dict) -> dict:
        return self._call('list_gce_instances', params=params)

    def list_gcs_buckets(self, params: dict) -> dict:
        return self._call('list_gcs_buckets', params=params)

    def list_azure_vms(self, params: dict) -> dict:
        return self._call('list_azure_vms', params=params)

    def list_azure_disks(self, params: dict) -> dict:
        return self._call('list_azure_disks', params=params)

    def list_crowdstrike_devices(self, params: dict) -> dict:
        return self._call('list_crowdstrike_devices', params=params)

    def list_sentinelone_devices(self, params: dict) -> dict:
        return self._call('list_sentinelone_devices', params=params)

    def list_defender_devices(self, params: dict) -> dict:
        return self._call('list_defender_devices', params=params)

    def list_darktrace_devices(self, params: dict) -> dict:
        return self._call('list_darktrace_devices', params=params)

    # Pipelines
    def list_pipelines(self, params: dict) -> dict:
        return self._call('list_pipelines', params=params)

    def get_pipeline(self, pipeline_id: int) -> dict:
        return self._call('get_pipeline', {'id': pipeline_id})

    def cancel_pipeline(self, pipeline_id: int) -> dict:
        return self._call('cancel_pipeline', {'id': pipeline_id}, body={'aborted': True})

    def rerun_pipelines(self, body: dict) -> dict:
        return self._call('rerun_pipelines', body=body)

    # Findings
    def list_detections(self, params: dict) -> dict:
        return self._call('list_detections', params=params)

    def list_detection_groups(self, params: dict) -> dict:
        return self._call('list_detection_groups', params=params)

    def list_detection_artifacts(self, params: dict) -> dict:
        return self._call('list_detection_artifacts', params=params)

    def get_detection_asset(self, detection_id: int) -> dict:
        return self._call('get_detection_asset', {'detection_id': detection_id})

    def list_alarms(self, params: dict) -> dict:
        return self._call('list_alarms', params=params)

    def get_alarm(self, alarm_id: int) -> dict:
        return self._call('get_alarm', {'id': alarm_id})

    def get_alarm_summary(self, params: dict) -> dict:
        return self._call('get_alarm_summary', params=params)

    def list_evidence(self, params: dict) -> dict:
        return self._call('list_evidence', params=params)

    def get_evidence(self, evidence_id: int) -> dict:
        return self._call('get_evidence', {'evidence_id': evidence_id})

    def list_indicators(self, params: dict) -> dict:
        return self._call('list_indicators', params=params)

    # Webhooks
    def list_webhooks(self, params: dict) -> dict:
        return self._call('list_webhooks', params=params)

    def create_webhook(self, body: dict) -> dict:
        return self._call('create_webhook', body=body)

    def update_webhook(self, webhook_id: int, body: dict) -> dict:
        return self._call('update_webhook', {'webhook_id': webhook_id}, body=body)

    def delete_webhook(self, webhook_id: int) -> dict:
        return self._call('delete_webhook', {'webhook_id': webhook_id})

    def test_webhook(self, webhook_id: int) -> dict:
        return self._call('test_webhook', body={'id': webhook_id})


''' ERROR TRANSLATION '''


def excerpt(value: Any, secrets: tuple[str, ...]) -> str:
    """A short, single-line extract of what the platform sent, redacted before it is cut (a cut secret is not found)."""
    return ' '.join(redact(str(value), secrets).split())[:200]


def error_details(response: requests.Response, secrets: tuple[str, ...]) -> str:
    """The API envelope's message and support code, or a short excerpt of whatever else came back."""
    try:
        envelope = response.json()
    except ValueError:
        text = excerpt(response.text, secrets)
        return f'The answer was not JSON: "{text}"' if text else 'The answer had no body.'
    if not isinstance(envelope, dict):
        return f'Unexpected answer: {excerpt(envelope, secrets)}'
    message = envelope.get('message') or envelope.get('detail') or ''
    code = envelope.get('code')
    return f'{message} (Cado error code {code}: quote it to Cado support)' if code else str(message)


def raise_for_response(endpoint: Endpoint, path_args: dict[str, Any], secrets: tuple[str, ...],
                       response: requests.Response) -> None:
    status = response.status_code
    details = error_details(response, secrets)
    if status == 401:
        message = ('Cado rejected the API key (HTTP 401). Check the API Key in the instance settings: it may be '
                   'mistyped, revoked or expired.')
    elif status == 403:
        message = (f'The API key\'s role may not {endpoint.action} (HTTP 403). This needs a key with one of these '
                   f'roles: {", ".join(endpoint.roles)}.')
    elif status == 404 and endpoint.missing and path_args:
        ids = ', '.join(str(value) for value in path_args.values())
        message = f'Cado has no {endpoint.missing} {ids}, or the API key\'s user cannot see it (HTTP 404).'
    elif status == 404 and endpoint.missing:
        message = f'Cado could not find the {endpoint.missing} named in the request (HTTP 404).'
    elif status == 404:
        message = (f'Cado answered 404 to {endpoint.method} {endpoint.path}: check that the Server URL is the '
                   'platform\'s base URL (https://<host>) and that the platform serves API v3.')
    elif status in (400, 409, 422):
        message = f'Cado rejected the request to {endpoint.action} (HTTP {status}). Check the arguments.'
    elif status == 429:
        message = f'Cado is rate limiting requests (HTTP 429) and did not {endpoint.action}. Try again later.'
    elif status >= 500:
        retried = ' after retrying' if endpoint.method == 'GET' else ''
        message = (f'The Cado platform failed to {endpoint.action} (HTTP {status}){retried}. It may be updating or '
                   'overloaded: try again later, and check its status page if it persists.')
    else:
        message = f'Cado answered HTTP {status} when asked to {endpoint.action}.'
    raise CadoApiError(f'{message} {details}'.strip())


def decode_response(endpoint: Endpoint, response: requests.Response, secrets: tuple[str, ...]) -> dict[str, Any]:
    if response.is_redirect:
        raise CadoApiError(f'Cado answered {endpoint.method} {endpoint.path} with a redirect (HTTP '
                           f'{response.status_code}) to {response.headers.get("Location")}. Set the Server URL to the '
                           'address the platform redirects to (the API key is not sent across redirects).')
    if not response.content and endpoint.data == 'none':
        return {}
    try:
        envelope = response.json()
    except ValueError as e:
        content_type = response.headers.get('Content-Type', 'unknown')
        raise CadoApiError(
            f'Cado answered {endpoint.method} {endpoint.path} with a non-JSON body (HTTP {response.status_code}, '
            f'{content_type}). The Server URL probably points to a web page or a proxy rather than the Cado API.'
        ) from e
    if not isinstance(envelope, dict):
        raise CadoApiError(f'Cado answered {endpoint.method} {endpoint.path} with an unexpected body: '
                           f'{excerpt(envelope, secrets)}')
    if envelope.get('status') == 'error':
        raise CadoApiError(f'Cado could not {endpoint.action}: {error_details(response, secrets)}')
    data = envelope.get('data')
    shape_ok = {'object': isinstance(data, dict),
                'list': isinstance(data, list) and all(isinstance(item, dict) for item in data)}.get(endpoint.data, True)
    if not shape_ok:
        expected = 'a JSON object' if endpoint.data == 'object' else 'a list of JSON objects'
        raise CadoApiError(f'Cado answered {endpoint.method} {endpoint.path} with a "data" that is not {expected}: '
                           f'{excerpt(data, secrets)}. The platform version may not match the integration.')
    return envelope


''' HELPERS '''

URL_PASSWORD = re.compile(r'(://[^/:@\s"\']+):[^/@\s"\']+@')


def redact(value: Any, secrets: tuple[str, ...] = ()) -> Any:
    """`value` with the given secrets and every URL password masked: a Generic Webhook URL carries its credentials
    in its user-info, and an echoing proxy can return the API key."""
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, '****')
        return URL_PASSWORD.sub(r'\1:****@', value)
    if isinstance(value, dict):
        return {key: redact(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, secrets) for item in value]
    return value


def to_iso(timestamp: Any) -> Any:
    """Cado sends epoch milliseconds; a few fields are documented only as "Unix timestamp", so seconds are accepted."""
    if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)):
        return timestamp
    seconds = timestamp / 1000 if abs(timestamp) >= 1e11 else timestamp
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.isoformat(timespec='milliseconds' if moment.microsecond else 'seconds').replace('+00:00', 'Z')


def epoch_millis(timestamp: Any) -> int | None:
    """Milliseconds since the epoch from what the contract promises (epoch milliseconds) or what a beta platform may
    send instead (epoch seconds, numeric text, ISO 8601 text); None when there is no readable time."""
    if isinstance(timestamp, str):
        try:
            timestamp = float(timestamp)
        except ValueError:
            try:
                return int(datetime.fromisoformat(timestamp.replace('Z', '+00:00')).timestamp() * 1000)
            except ValueError:
                return None
    if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)):
        return None
    return int(timestamp if abs(timestamp) >= 1e11 else timestamp * 1000)


def with_iso_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: to_iso(item) if key in TIMESTAMP_FIELDS else with_iso_times(item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_iso_times(item) for item in value]
    return value


def dig(obj: Any, path: str) -> Any:
    """The value at a dotted path; through a list it collects the values of every element."""
    for part in path.split('.'):
        if isinstance(obj, list):
            obj = [item.get(part) for item in obj if isinstance(item, dict)]
        elif isinstance(obj, dict):
            obj = obj.get(part)
        else:
            return None
    return obj


def table(entity: Entity, items: list[dict], title: str | None = None) -> str:
    headers = [header for header, _ in entity.columns]
    rows = [{header: dig(item, path) for header, path in entity.columns} for item in items]
    return tableToMarkdown(title or entity.title, rows, headers=headers, headerTransform=string_to_table_header,
                           removeNull=True)


def entity_results(entity: Entity, items: list[dict] | dict, raw: Any, title: str | None = None,
                   note: str = '') -> CommandResults:
    outputs = with_iso_times(items)
    readable = table(entity, outputs if isinstance(outputs, list) else [outputs], title)
    return CommandResults(outputs_prefix=entity.prefix, outputs_key_field=entity.key, outputs=outputs,
                          readable_output=f'{readable}\n{note}' if note else readable, raw_response=raw)


def bad_value(name: str, value: Any, choices: tuple[str, ...]) -> ValueError:
    return ValueError(f'Invalid value "{value}" for argument "{name}". Allowed values: {", ".join(choices)}.')


def is_empty(raw: Any) -> bool:
    return raw is None or raw == [] or (isinstance(raw, str) and not raw.strip())


def to_int(raw: Any, name: str) -> int:
    """A whole number, strictly: arg_to_number alone turns "1.5" into 1 and fails on "²" with Python's own text."""
    text = str(raw).strip()
    try:
        number = arg_to_number(text, arg_name=name, required=True)
        exact = number is not None and float(text) == number and abs(number) < 2 ** 63
    except (ValueError, TypeError, OverflowError):
        exact = False
    if isinstance(raw, bool) or not exact:
        raise ValueError(f'Argument "{name}" must be a whole number, got "{text[:50]}".')
    return number  # type: ignore[return-value]


def to_bool(raw: Any, name: str) -> bool:
    try:
        return argToBoolean(raw)
    except (ValueError, TypeError):
        raise bad_value(name, str(raw)[:50], ('true', 'false')) from None


def to_text(raw: Any, name: str) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ValueError(f'Argument "{name}" must be a single text value.')
    return str(raw).strip()


def text_list(raw: Any, name: str) -> list[str]:
    return [text for text in (to_text(item, name) for item in argToList(raw)) if text]


def to_epoch(raw: Any, name: str) -> int:
    try:
        moment = arg_to_datetime(to_text(raw, name), arg_name=name, required=True)
        return int(moment.timestamp())  # type: ignore[union-attr]
    except (ValueError, TypeError, OverflowError):
        raise ValueError(f'Argument "{name}" must be a time: ISO 8601 (2024-01-31T00:00:00Z) or relative '
                         '(3 days ago).') from None


def parse_field(args: dict[str, Any], field: Field, defaults: dict[str, Any] | None = None) -> Any:
    """The API value of one argument, validated; the field's default when absent and optional."""
    raw = args.get(field.arg)
    if is_empty(raw) and field.fallback and defaults:
        raw = defaults.get(field.fallback)
    if is_empty(raw):
        if field.required and field.default is None:
            instance_hint = f' or set the instance\'s "{INSTANCE_DEFAULTS[field.fallback]}"' if field.fallback else ''
            raise ValueError(f'Missing required argument "{field.arg}": give it{instance_hint}.')
        return field.default
    kind = field.kind
    if kind == 'int':
        return to_int(raw, field.arg)
    if kind == 'int_list':
        return [to_int(item, field.arg) for item in text_list(raw, field.arg)]
    if kind == 'bool':
        return to_bool(raw, field.arg)
    if kind == 'time':
        return to_epoch(raw, field.arg)
    if kind in ('json_object', 'json_list'):
        return parse_json_arg(field.arg, raw, as_list=kind == 'json_list')
    values = text_list(raw, field.arg) if kind == 'list' else [to_text(raw, field.arg)]
    for value in values:
        if field.choices and value not in field.choices:
            raise bad_value(field.arg, value[:50], field.choices)
    return values if kind == 'list' else values[0]


def parse_fields(args: dict[str, Any], fields: tuple[Field, ...], defaults: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    values = {field.api: parse_field(args, field, defaults) for field in fields}
    return {name: value for name, value in values.items() if value is not None}


def parse_json_arg(name: str, raw: Any, as_list: bool) -> Any:
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except ValueError:
            raise ValueError(f'Argument "{name}" must be valid JSON.') from None
    if as_list:
        value = value if isinstance(value, list) else [value]
        if not value or not all(isinstance(item, dict) for item in value):
            raise ValueError(f'Argument "{name}" must be a JSON object or a non-empty list of JSON objects.')
        return value
    if not isinstance(value, dict):
        raise ValueError(f'Argument "{name}" must be a JSON object.')
    return value


def required_id(args: dict[str, Any], name: str) -> int:
    number = parse_field(args, Field(name, name, 'int', required=True))
    if number < 1:
        raise ValueError(f'Argument "{name}" must be a positive whole number, got "{number}".')
    return number


def paginate(fetch: Callable[[dict[str, Any]], dict], filters: dict[str, Any], args: dict[str, Any],
             paging: str) -> tuple[list[dict], list[dict], str | None]:
    """Items up to `limit` (or exactly one requested page), every raw response, and the next cursor if any."""
    paging_args = parse_fields(args, PAGE_FIELDS)
    limit = paging_args.get('limit', DEFAULT_LIMIT)
    page_size = paging_args.get('per_page')
    for name, number in (('limit', limit), ('page_size', page_size), ('page', paging_args.get('page'))):
        if number is not None and number < 1:
            raise ValueError(f'Argument "{name}" must be a positive integer.')
    if page_size and page_size > MAX_PAGE_SIZE:
        raise ValueError(f'Argument "page_size" must be at most {MAX_PAGE_SIZE}.')
    single_page = 'page' in paging_args or page_size is not None
    items: list[dict] = []
    responses: list[dict] = []
    if paging == 'page':
        page, per_page = paging_args.get('page', 1), page_size or min(limit, MAX_PAGE_SIZE)
        while True:
            response = fetch({**filters, 'page': page, 'per_page': per_page})
            responses.append(response)
            batch = response.get('data') or []
            items.extend(batch)
            total_pages = (response.get('pagination') or {}).get('total_pages')
            more = page < total_pages if isinstance(total_pages, int) else len(batch) >= per_page
            if single_page or len(items) >= limit or not batch or not more:
                return items[:per_page if single_page else limit], responses, None
            page += 1
    cursor = args.get('next_token') or None
    while True:
        params = dict(filters)
        if cursor:
            params['cursor'] = cursor
        if paging == 'cursor':
            params['per_page'] = page_size or min(limit - len(items), MAX_PAGE_SIZE)
        response = fetch(params)
        responses.append(response)
        batch = response.get('data') or []
        items.extend(batch)
        cursor = (response.get('pagination') or {}).get('next_token') or None
        if single_page or len(items) >= limit or not batch or not cursor:
            cap = (page_size or len(items)) if single_page else limit
            # A cursor past items cut off here would skip them: offer none then.
            return items[:cap], responses, (cursor if len(items) <= cap else None)


def list_results(client: Client, args: dict[str, Any], listing: Listing,
                 transform: Callable[[dict], dict] = lambda item: item) -> CommandResults:
    filters = parse_fields(args, listing.filters, client.defaults)
    items, responses, next_token = paginate(getattr(client, listing.endpoint), filters, args, listing.paging)
    note = f'More results are available: run again with next_token={next_token}.' if next_token else ''
    return entity_results(listing.entity, [transform(item) for item in items],
                          responses[0] if len(responses) == 1 else responses, note=note)


''' PIPELINE STATE '''


def pipeline_state(pipeline: dict[str, Any]) -> str:
    """The pipeline's status; platforms before 2.269 have none, so it is derived from the subtask summary."""
    status = pipeline.get('status')
    if status in PIPELINE_STATES:
        return status
    summary = pipeline.get('summary') or {}
    total = summary.get('total') or 0
    unfinished = (summary.get('pending') or 0) + (summary.get('running') or 0)
    finished = bool(pipeline.get('terminated') or pipeline.get('aborted')) or (total > 0 and unfinished == 0)
    if not finished:
        started = (summary.get('running') or 0) + (summary.get('success') or 0) + (summary.get('failure') or 0)
        return 'in_progress' if started else 'queued'
    if summary.get('failure'):
        return 'failed'
    if pipeline.get('aborted') or summary.get('cancelled'):
        return 'cancelled'
    return 'complete'


def pipeline_context(pipeline: dict[str, Any]) -> dict[str, Any]:
    """The pipeline as the API gave it, plus top-level id, type and (derived when missing) status."""
    details = pipeline.get('pipeline') or {}
    return {'id': details.get('id'), 'type': details.get('type'), **pipeline, 'status': pipeline_state(pipeline)}


def failing_subtask(pipeline: dict[str, Any], states: tuple[str, ...]) -> str:
    """The first subtask in the first of `states` that has one: a failure explains a run better than what it cancelled."""
    subtasks = pipeline.get('subtasks') or []
    for state in states:
        for subtask in subtasks:
            if subtask.get('state') == state:
                progress = subtask.get('progress_text') or []
                last_words = f': {progress[-1]}' if progress else ''
                return f' at subtask "{subtask.get("name")}" ({state}){last_words}'
    return ''


def checked_state(pipeline: dict[str, Any], label: str) -> str:
    """The pipeline's state, unless it failed or was cancelled: then an error naming the subtask that did."""
    state = pipeline_state(pipeline)
    if state in ('failed', 'cancelled'):
        pipeline_id = (pipeline.get('pipeline') or {}).get('id')
        raise CadoApiError(f'The Cado {label} pipeline {pipeline_id} {"failed" if state == "failed" else "was cancelled"}'
                           f'{failing_subtask(pipeline, ("FAILURE", "CANCELLED"))}. See it in Cado under Pipelines.')
    return state


def polling_settings(args: dict[str, Any]) -> tuple[bool, int, int]:
    polling = parse_field(args, Field('polling', 'polling', 'bool', default=False))
    interval = parse_field(args, Field('interval_in_seconds', 'interval_in_seconds', 'int', default=30))
    timeout = parse_field(args, Field('timeout_in_seconds', 'timeout_in_seconds', 'int', default=1800))
    if interval < MIN_POLL_INTERVAL:
        raise ValueError(f'Argument "interval_in_seconds" must be at least {MIN_POLL_INTERVAL}.')
    if timeout < 0:
        raise ValueError('Argument "timeout_in_seconds" must be a positive number of seconds.')
    return polling, interval, timeout


def poll_again(command: str, args: dict[str, Any], interval: int, timeout: int, waiting_on: dict[str, Any],
               label: str, readable: str | None = None, outputs: CommandResults | None = None) -> CommandResults:
    """Schedules the next poll, carrying the remaining time in timeout_in_seconds; past it, fails naming the step."""
    remaining = timeout - interval
    if remaining < 0:
        pipeline_id = (waiting_on.get('pipeline') or {}).get('id') or args.get('pipeline_id')
        raise CadoApiError(f'Timed out waiting for the Cado {label} pipeline {pipeline_id}: it is still '
                           f'{pipeline_state(waiting_on) if waiting_on else "not started"}'
                           f'{failing_subtask(waiting_on, ("RUNNING", "PENDING"))}. It keeps running in Cado; check '
                           'it with cado-pipeline-get, or raise timeout_in_seconds.')
    # The state travels through the server: a URL argument keeps no password there (only the import needed it).
    next_args = redact({**args, 'polling': True, 'hide_polling_output': True, 'timeout_in_seconds': remaining})
    # XSOAR's own timeout is kept above ours so that the error above, which names the subtask, is what ends the poll.
    scheduled = ScheduledCommand(command=command, next_run_in_seconds=interval, args=next_args,
                                 timeout_in_seconds=remaining + 2 * interval)
    if outputs is not None:
        outputs.scheduled_command = scheduled
        return outputs
    hidden = parse_field(args, Field('hide_polling_output', 'hide_polling_output', 'bool', default=False))
    return CommandResults(readable_output=None if hidden else readable, scheduled_command=scheduled)


''' COMMANDS: test-module '''


def test_module(client: Client, fetch_settings: dict[str, Any] | None) -> str:
    system = client.system_status().get('data') or {}
    if system.get('setup_complete') is False:
        raise CadoApiError(f'The Cado platform answered, but its initial setup is not complete (status: '
                           f'{system.get("status_message") or system.get("status")}). Finish the setup in Cado, then '
                           'test again.')
    if fetch_settings is not None:
        client.list_detections({'page': 1, 'per_page': 1, 'order_by': 'updated_datetime',
                                'detection_type': fetch_settings['detection_type']})
    return 'ok'


''' COMMANDS: projects '''


def project_create_command(client: Client, args: dict[str, Any]) -> CommandResults:
    name = parse_field(args, Field('name', 'case_name', required=True))
    description = parse_field(args, Field('description', 'description'))
    response = client.create_project(assign_params(case_name=name, description=description))
    project = {'id': (response.get('data') or {}).get('id'), 'details': assign_params(name=name,
                                                                                       description=description)}
    return entity_results(PROJECT, project, response, title=f'Cado project {project["id"]} created')


def project_get_command(client: Client, args: dict[str, Any]) -> CommandResults:
    project_id = required_id(args, 'project_id')
    response = client.get_project(project_id)
    return entity_results(PROJECT, response.get('data') or {}, response, title=f'Cado project {project_id}')


def project_update_command(client: Client, args: dict[str, Any]) -> CommandResults:
    project_id = required_id(args, 'project_id')
    body = parse_fields(args, (Field('name', 'case_name'), Field('description', 'description'),
                               Field('status', 'status', choices=PROJECT_STATUSES)))
    if not body:
        raise ValueError('Give at least one of the arguments "name", "description" or "status" to update.')
    response = client.update_project(project_id, body)
    return CommandResults(readable_output=f'Cado project {project_id} updated: {", ".join(sorted(body))}.',
                          raw_response=response)


def project_delete_command(client: Client, args: dict[str, Any]) -> CommandResults:
    project_ids = parse_field(args, Field('project_ids', 'investigation_ids', 'int_list', required=True))
    response = client.delete_projects(project_ids)
    return CommandResults(readable_output=f'Cado projects deleted: {", ".join(map(str, project_ids))}.',
                          raw_response=response)


def incident_project_get_command(client: Client, args: dict[str, Any]) -> CommandResults:
    incident_id = parse_field(args, Field('incident_id', 'incident_id', required=True))
    if len(incident_id) > 500 or incident_id in ('.', '..'):
        raise ValueError('Argument "incident_id" must be an incident ID of at most 500 characters.')
    response = client.get_incident_project(incident_id)
    project = {**(response.get('data') or {}), 'incident_id': incident_id}
    return entity_results(PROJECT, project, response, title=f'Cado project linked to incident {incident_id}')


''' COMMANDS: acquisitions (one function serves every source in SOURCES) '''


def acquisition_body(client: Client, source: Source, args: dict[str, Any]) -> dict[str, Any]:
    body = parse_fields(args, source.fields, client.defaults)
    if source.label_arg:
        parse_field(args, source.label_arg)  # validated before the request, though not sent
    if source.host_options:
        host_options = parse_fields(args, HOST_OPTION_FIELDS)
        if host_options or source.host_options == 'required':
            body['host_options'] = host_options
    return body


def pipeline_ids_from(source: Source, response: dict[str, Any]) -> list[int]:
    data = response.get('data') or {}
    listed = data.get('pipeline_ids') if isinstance(data.get('pipeline_ids'), list) else []
    ids = [item.get('id') for item in listed if isinstance(item, dict)] if source.returns_list \
        else [data.get('pipeline_id')]
    ids = [pipeline_id for pipeline_id in ids if isinstance(pipeline_id, int) and not isinstance(pipeline_id, bool)]
    if not ids:
        raise CadoApiError(f'Cado accepted the {source.label} acquisition but its answer named no pipeline: '
                           f'{str(data)[:200]}')
    return ids


def acquisition_record(source: Source, args: dict[str, Any], pipeline_ids: list[int], status: str,
                       pipeline: dict[str, Any] | None = None, processing: dict[str, Any] | None = None,
                       counts: dict[str, int] | None = None) -> dict[str, Any]:
    """The one Cado.Acquisition shape, whatever the source."""
    pipeline = pipeline or {}
    project = parse_field(args, Field('project_id', 'project_id', 'int')) or (pipeline.get('project') or {}).get('id')
    evidence = (processing or {}).get('evidence') or pipeline.get('evidence') or {}
    resource_field = next((field for field in source.fields if field.arg == source.resource_arg), None)
    resource = parse_field(args, resource_field) if resource_field else None
    qualifier = parse_field(args, source.label_arg) if source.label_arg else None
    return remove_empty_elements({
        'pipeline_id': pipeline_ids[0],
        'pipeline_ids': pipeline_ids,
        'project_id': project,
        'source': f'{source.label} ({qualifier})' if qualifier else source.label,
        'resource_id': redact(', '.join(resource) if isinstance(resource, list) else resource),
        'status': status,
        'processing_pipeline_id': ((processing or {}).get('pipeline') or {}).get('id'),
        'processing_status': pipeline_state(processing) if processing else None,
        'evidence_id': evidence.get('id'),
        'created': pipeline.get('created'),
        **(counts or {}),
    })


def finding_counts(client: Client, project_id: int | None, evidence_id: int | None) -> dict[str, int]:
    """Alarms found in the acquired evidence and detections in its project: one request each."""
    if project_id is None:
        return {}
    summary = client.get_alarm_summary(assign_params(investigation_id=project_id, evidence_id=evidence_id))
    detections = client.list_detections({'investigation_id': project_id, 'page': 1, 'per_page': 1})
    return {'alarm_count': (summary.get('data') or {}).get('total') or 0,
            'detection_count': (detections.get('pagination') or {}).get('total_records') or 0}


def acquire_command(client: Client, args: dict[str, Any], command: str) -> CommandResults:
    source = SOURCES[command]
    polling, interval, timeout = polling_settings(args)
    wait_for_processing = parse_field(args, Field('wait_for_processing', 'wait_for_processing', 'bool',
                                                  default=False))
    if wait_for_processing and not polling:
        raise ValueError('Argument "wait_for_processing" needs "polling" set to true.')
    if args.get('pipeline_id'):
        return poll_acquisition(client, args, command, interval, timeout, wait_for_processing)
    if polling and timeout < interval:
        raise ValueError(f'Argument "timeout_in_seconds" ({timeout}) must be at least "interval_in_seconds" '
                         f'({interval}): the acquisition would time out before its first check.')
    body = acquisition_body(client, source, args)
    if wait_for_processing and source.no_processing_arg and body.get(source.no_processing_arg):
        raise ValueError(f'Argument "wait_for_processing" cannot be used with "{source.no_processing_arg}": no '
                         'processing would follow.')
    response = getattr(client, source.endpoint)(body)
    pipeline_ids = pipeline_ids_from(source, response)
    project = body.get('project_id') or body.get('investigation_id')
    state_args = {**args, 'project_id': project} if project else dict(args)
    record = acquisition_record(source, state_args, pipeline_ids, 'queued')
    results = entity_results(ACQUISITION, record, response, title=f'Cado {record["source"]} acquisition started')
    if not polling:
        return results
    next_args = {**state_args, 'pipeline_id': pipeline_ids[0], 'pipeline_ids': ','.join(map(str, pipeline_ids))}
    return poll_again(command, next_args, interval, timeout, {}, source.label, outputs=results)


def poll_acquisition(client: Client, args: dict[str, Any], command: str, interval: int, timeout: int,
                     wait_for_processing: bool) -> CommandResults:
    source = SOURCES[command]
    pipeline_id = required_id(args, 'pipeline_id')
    pipeline_ids = parse_field(args, Field('pipeline_ids', 'pipeline_ids', 'int_list')) or [pipeline_id]
    processing_id = parse_field(args, Field('processing_pipeline_id', 'processing_pipeline_id', 'int'))
    created = parse_field(args, Field('acquisition_created', 'acquisition_created', 'int'))
    if processing_id is None:
        pipeline = client.get_pipeline(pipeline_id).get('data') or {}
        state = checked_state(pipeline, f'{source.label} acquisition')
        if state != 'complete':
            return poll_again(command, args, interval, timeout, pipeline, f'{source.label} acquisition',
                              readable=f'Cado {source.label} acquisition pipeline {pipeline_id} is {state}.')
        if not wait_for_processing:
            record = acquisition_record(source, args, pipeline_ids, state, pipeline)
            return entity_results(ACQUISITION, record, pipeline, title=f'Cado {record["source"]} acquisition complete')
        followers = client.list_pipelines({'triggering_pipeline_id': pipeline_id, 'page': 1, 'per_page': 1})
        processing = next(iter(followers.get('data') or []), None)
        if processing is None:
            return poll_again(command, args, interval, timeout, {}, f'{source.label} processing',
                              readable=f'Acquisition pipeline {pipeline_id} is complete; waiting for processing.')
        created = int(pipeline['created']) if isinstance(pipeline.get('created'), int | float) else None
        args = {**args, 'processing_pipeline_id': (processing.get('pipeline') or {}).get('id'),
                'acquisition_created': created}
    else:
        processing = client.get_pipeline(processing_id).get('data') or {}
    state = checked_state(processing, f'{source.label} processing')
    if state != 'complete':
        return poll_again(command, args, interval, timeout, processing, f'{source.label} processing',
                          readable=f'Cado processing pipeline {args.get("processing_pipeline_id")} is {state}.')
    evidence_id = (processing.get('evidence') or {}).get('id')
    project_id = parse_field(args, Field('project_id', 'project_id', 'int')) or (processing.get('project') or {}).get('id')
    counts = finding_counts(client, project_id, evidence_id)
    record = acquisition_record(source, {**args, 'project_id': project_id}, pipeline_ids, 'complete',
                                {'created': created}, processing, counts)
    return entity_results(ACQUISITION, record, processing,
                          title=f'Cado {record["source"]} acquisition and processing complete')


''' COMMANDS: browsing what can be acquired '''


def xdr_device_list_command(client: Client, args: dict[str, Any]) -> CommandResults:
    provider = parse_field(args, Field('provider', 'provider', required=True, choices=tuple(XDR_LISTINGS)))
    return list_results(client, args, XDR_LISTINGS[provider], transform=lambda device: {**device,
                                                                                         'provider': provider})


''' COMMANDS: pipelines '''


def pipeline_list_command(client: Client, args: dict[str, Any]) -> CommandResults:
    return list_results(client, args, LISTINGS['cado-pipeline-list'], transform=pipeline_context)


def pipeline_get_command(client: Client, args: dict[str, Any]) -> CommandResults:
    pipeline_id = required_id(args, 'pipeline_id')
    polling, interval, timeout = polling_settings(args)
    response = client.get_pipeline(pipeline_id)
    pipeline = response.get('data') or {}
    if polling:
        state = checked_state(pipeline, (pipeline.get('pipeline') or {}).get('type') or 'requested')
        if state != 'complete':
            return poll_again('cado-pipeline-get', args, interval, timeout, pipeline, 'pipeline',
                              readable=f'Cado pipeline {pipeline_id} is {state}.')
    return entity_results(PIPELINE, pipeline_context(pipeline), response, title=f'Cado pipeline {pipeline_id}')


def pipeline_cancel_command(client: Client, args: dict[str, Any]) -> CommandResults:
    pipeline_id = required_id(args, 'pipeline_id')
    response = client.cancel_pipeline(pipeline_id)
    return CommandResults(readable_output=f'Cancellation of Cado pipeline {pipeline_id} requested.',
                          raw_response=response)


def pipeline_rerun_command(client: Client, args: dict[str, Any]) -> CommandResults:
    body = parse_fields(args, (Field('pipeline_id', 'pipeline_id', 'int'), Field('project_id', 'project_id', 'int')))
    if len(body) != 1:
        raise ValueError('Give exactly one of "pipeline_id" (rerun that pipeline) or "project_id" (rerun all of the '
                         'project\'s pipelines).')
    response = client.rerun_pipelines(body)
    rerun_ids = (response.get('data') or {}).get('pipeline_ids') or []
    return CommandResults(outputs_prefix=PIPELINE.prefix, outputs_key_field=PIPELINE.key,
                          outputs=[{'id': pipeline_id, 'status': 'queued'} for pipeline_id in rerun_ids],
                          readable_output=f'Cado pipelines rerun: {", ".join(map(str, rerun_ids)) or "none"}.',
                          raw_response=response)


''' COMMANDS: findings '''


def detection_asset_get_command(client: Client, args: dict[str, Any]) -> CommandResults:
    detection_id = required_id(args, 'detection_id')
    response = client.get_detection_asset(detection_id)
    asset = {**(response.get('data') or {}), 'detection_id': detection_id}
    return entity_results(DETECTION_ASSET, asset, response, title=f'Asset behind Cado detection {detection_id}')


def alarm_get_command(client: Client, args: dict[str, Any]) -> CommandResults:
    alarm_id = required_id(args, 'alarm_id')
    response = client.get_alarm(alarm_id)
    return entity_results(ALARM, response.get('data') or {}, response, title=f'Cado alarm {alarm_id}')


def alarm_summary_get_command(client: Client, args: dict[str, Any]) -> CommandResults:
    params = parse_fields(args, (project_field('investigation_id'), Field('evidence_id', 'evidence_id', 'int'),
                                 Field('alarm_severity', 'alarm_severity', 'int')), client.defaults)
    response = client.get_alarm_summary(params)
    summary = {**(response.get('data') or {}), 'project_id': params['investigation_id'],
               'evidence_id': params.get('evidence_id')}
    readable = table(ALARM_SUMMARY, summary.get('breakdown') or [],
                     f'Cado alarm summary for project {summary["project_id"]}: {summary.get("total", 0)} alarms')
    return CommandResults(outputs_prefix=ALARM_SUMMARY.prefix, outputs_key_field=ALARM_SUMMARY.key,
                          outputs=remove_empty_elements(summary), readable_output=readable, raw_response=response)


def evidence_get_command(client: Client, args: dict[str, Any]) -> CommandResults:
    evidence_id = required_id(args, 'evidence_id')
    response = client.get_evidence(evidence_id)
    return entity_results(EVIDENCE, response.get('data') or {}, response, title=f'Cado evidence {evidence_id}')


def indicator_list_command(client: Client, args: dict[str, Any]) -> CommandResults:
    params = parse_fields(args, (project_field('investigation_id'), Field('evidence_id', 'evidence_id', 'int'),
                                 Field('filter', 'filter', choices=('matched', 'extracted'))), client.defaults)
    limit = parse_field(args, Field('limit', 'limit', 'int', default=DEFAULT_LIMIT))
    if limit < 1:
        raise ValueError('Argument "limit" must be a positive integer.')
    response = client.list_indicators(params)
    # The endpoint has no paging: `limit` only trims what is shown.
    indicators = ((response.get('data') or {}).get('detected_iocs') or [])[:limit]
    return entity_results(INDICATOR, indicators, response,
                          title=f'Cado indicators of compromise in project {params["investigation_id"]}')


''' COMMANDS: webhooks '''

def xsoar_webhook_payload(event_type: str) -> dict[str, str]:
    if event_type not in XSOAR_WEBHOOK_PAYLOADS:
        raise bad_value('event_types', event_type, tuple(XSOAR_WEBHOOK_PAYLOADS))
    return dict(XSOAR_WEBHOOK_PAYLOADS[event_type])


def webhook_create_command(client: Client, args: dict[str, Any]) -> CommandResults:
    name, url = (parse_field(args, Field(arg, arg, required=True)) for arg in ('name', 'url'))
    event_types = parse_field(args, Field('event_types', 'event_type', 'list', required=True,
                                          choices=WEBHOOK_EVENT_TYPES))
    payload_type = parse_field(args, Field('payload_type', 'payload_type', choices=WEBHOOK_PAYLOAD_TYPES,
                                           default='custom'))
    payload = parse_field(args, Field('payload', 'payload', 'json_object'))
    for_xsoar = parse_field(args, Field('for_xsoar', 'for_xsoar', 'bool', default=True))
    if for_xsoar:
        if payload is not None or payload_type != 'custom':
            raise ValueError('With "for_xsoar" true the payload is the pack\'s Generic Webhook template (payload_type '
                             'custom): set "for_xsoar" to false to send your own "payload" or "payload_type".')
        for event_type in event_types:
            xsoar_webhook_payload(event_type)
    created: list[dict] = []
    responses: list[dict] = []
    for event_type in event_types:
        body = assign_params(name=name if len(event_types) == 1 else f'{name} ({event_type})', url=url,
                             event_type=event_type, payload_type=payload_type,
                             payload=xsoar_webhook_payload(event_type) if for_xsoar else payload)
        try:
            response = client.create_webhook(body)
        except DemistoException as e:
            done = ', '.join(f'{hook["id"]} ({hook["event_type"]})' for hook in created) or 'none'
            raise CadoApiError(f'Creating the webhook for "{event_type}" failed; webhooks already created: {done}. '
                               f'{e}') from e
        responses.append(response)
        data = response.get('data') or {}
        created.append({**(data.get('webhook') or redact(body)), 'id': data.get('id')})
    return entity_results(WEBHOOK, created, responses[0] if len(responses) == 1 else responses,
                          title='Cado webhooks created')


def webhook_update_command(client: Client, args: dict[str, Any]) -> CommandResults:
    webhook_id = required_id(args, 'webhook_id')
    body = parse_fields(args, (
        Field('name', 'name'), Field('url', 'url'),
        Field('event_type', 'event_type', choices=WEBHOOK_EVENT_TYPES),
        Field('payload_type', 'payload_type', choices=WEBHOOK_PAYLOAD_TYPES),
        Field('payload', 'payload', 'json_object'),
        Field('enabled', 'enabled', 'bool')))
    if not body:
        raise ValueError('Give at least one of "name", "url", "event_type", "payload_type", "payload" or "enabled".')
    response = client.update_webhook(webhook_id, body)
    data = response.get('data') or {}
    webhook = {**(data.get('webhook') or redact(body)), 'id': data.get('id') or webhook_id}
    return entity_results(WEBHOOK, webhook, response, title=f'Cado webhook {webhook_id} updated')


def webhook_delete_command(client: Client, args: dict[str, Any]) -> CommandResults:
    webhook_id = required_id(args, 'webhook_id')
    response = client.delete_webhook(webhook_id)
    return CommandResults(readable_output=f'Cado webhook {webhook_id} deleted.', raw_response=response)


def webhook_test_command(client: Client, args: dict[str, Any]) -> CommandResults:
    webhook_id = required_id(args, 'webhook_id')
    response = client.test_webhook(webhook_id)
    message = (response.get('data') or {}).get('message') or 'sent'
    return CommandResults(readable_output=f'Cado webhook {webhook_id} test: {message}', raw_response=response)


''' FETCH INCIDENTS '''


def detection_incident(detection: dict[str, Any], first_seen: bool) -> dict[str, Any]:
    """An incident whose rawJSON is the detection webhook template filled in (so one mapper serves push and pull),
    plus the full detection."""
    title = detection.get('name') or ''
    values = {'detection_id': str(detection.get('id')), 'Title': title, 'event_type': title,
              'group_id': str(detection.get('investigation_id') or '')}
    template = XSOAR_WEBHOOK_PAYLOADS['detection_created' if first_seen else 'detection_updated']
    raw = {**{key: Template(value).substitute(values) for key, value in template.items()}, 'cado_detection': detection}
    occurred = detection.get('created_datetime') if first_seen else detection.get('updated_datetime')
    return {
        'name': raw['name'],
        'type': DETECTION_INCIDENT_TYPE,
        'occurred': to_iso(occurred or detection.get('updated_datetime')),
        'severity': SEVERITY_TO_INCIDENT.get(str(detection.get('severity')).lower(), IncidentSeverity.UNKNOWN),
        'rawJSON': json.dumps(raw),
    }


class Read(NamedTuple):
    """A detection as a fetch read it."""
    detection: dict[str, Any]
    id: int
    updated: int | None  # updated_datetime in milliseconds; None when unreadable
    second: int  # the second it is filed under: its update's, or the one the read placed it in
    created_second: int


def detection_read(detection: dict[str, Any], placement: int) -> Read:
    """`placement`: the second that a detection without a readable update time is filed under."""
    detection_id = detection.get('id')
    if isinstance(detection_id, bool) or not isinstance(detection_id, int):
        raise CadoApiError(f'Cado answered a detection whose id is not a number ({str(detection_id)[:50]}), so the fetch '
                           'cannot tell it from the others. Report this to Cado.')
    updated = epoch_millis(detection.get('updated_datetime'))
    second = placement if updated is None else updated // 1000
    created = epoch_millis(detection.get('created_datetime'))
    return Read(detection, detection_id, updated, second, second if created is None else created // 1000)


def by_second(reads: list[Read]) -> list[tuple[int, list[Read]]]:
    """Reads grouped by second, oldest first, each group in id order."""
    groups: dict[int, list[Read]] = {}
    for read in reads:
        groups.setdefault(read.second, []).append(read)
    return [(second, sorted(group, key=lambda read: read.id)) for second, group in sorted(groups.items())]


class FetchState:
    """What fetch-incidents keeps between runs (see fetch_incidents)."""

    def __init__(self, last_run: dict[str, Any], first_fetch: int, look_back: int):
        self.cursor = int(last_run.get('updated_start_timestamp', first_fetch))
        self.last_id = int(last_run.get('last_id', 0))
        self.position = int(last_run.get('position', 0))
        # A state saved before the look-back existed holds the pairs of its cursor second only.
        self.floor = int(last_run.get('floor', self.cursor))
        self.seen: dict[int, int] = {}
        for detection_id, updated in last_run.get('seen') or []:
            self.seen[detection_id] = max(updated, self.seen.get(detection_id, updated))
        self.look_back = look_back
        # The cursor second's pairs were dropped from memory: what was handled in it is every id up to last_id.
        self.dropped = (self.cursor, self.last_id) if self.floor > self.cursor else None
        self.window_start = min(self.look_back_range()[0], self.cursor)

    def look_back_range(self) -> tuple[int, int]:
        return max(self.cursor - self.look_back, self.floor), self.cursor

    def was_dropped(self, second: int, detection_id: int) -> bool:
        return self.dropped is not None and second == self.dropped[0] and detection_id <= self.dropped[1]

    def handled(self, read: Read) -> bool:
        known = self.seen.get(read.id)
        if known is not None and (read.updated is None or known >= read.updated):
            return True
        return self.was_dropped(read.second, read.id)

    def is_new(self, read: Read) -> bool:
        """Created inside this run's window and never handled before; otherwise an update."""
        return (read.created_second >= self.window_start and read.id not in self.seen
                and not self.was_dropped(read.created_second, read.id))

    def remember(self, read: Read) -> None:
        updated = read.second * 1000 if read.updated is None else read.updated
        self.seen[read.id] = max(updated, self.seen.get(read.id, updated))

    def passed(self, read: Read, position: int) -> None:
        """Every detection of read.second up to read.id, in id order, is handled; `position` counts them."""
        self.cursor, self.last_id, self.position = read.second, read.id, position

    def resume_page(self, second: int) -> int:
        """The page of `second` (in id order) that holds last_id, when the run stopped inside that second."""
        return max(1, -(-self.position // MAX_PAGE_SIZE)) if second == self.cursor else 1

    def saved(self) -> dict[str, Any]:
        floor = max(self.floor, self.cursor - self.look_back)
        seconds = sorted((updated // 1000 for updated in self.seen.values()), reverse=True)
        if len(seconds) > FETCH_MEMORY_CAP:
            floor = max(floor, seconds[FETCH_MEMORY_CAP] + 1)
        if floor > self.cursor and any(updated // 1000 == self.cursor and detection_id > self.last_id
                                       for detection_id, updated in self.seen.items()):
            floor = self.cursor  # what was handled in the cursor second is not an id prefix: keep its pairs
        floor = min(floor, self.cursor + 1)
        seen = sorted(([detection_id, updated] for detection_id, updated in self.seen.items() if updated // 1000 >= floor),
                      key=lambda pair: (pair[1], pair[0]))
        return {'updated_start_timestamp': self.cursor, 'last_id': self.last_id, 'position': self.position,
                'floor': floor, 'seen': seen}


class DetectionFetch:
    """One fetch run: at most FETCH_MAX_PAGES requests, each detection handed to the state once."""

    def __init__(self, client: Client, state: FetchState, filters: dict[str, Any], max_fetch: int,
                 fetch_updated: bool):
        self.client, self.state, self.filters = client, state, filters
        self.max_fetch, self.fetch_updated = max_fetch, fetch_updated
        self.incidents: list[dict[str, Any]] = []
        self.requests = 0
        self.done = False

    def page(self, start: int, end: int | None = None, order_by: str = 'updated_datetime', page: int = 1
             ) -> list[dict[str, Any]] | None:
        """One page of detections updated in [start, end), or None once the run must stop reading."""
        if self.done or self.requests >= FETCH_MAX_PAGES:
            return None
        self.requests += 1
        params = {**self.filters, 'updated_start_timestamp': start, 'order_by': order_by, 'page': page,
                  'per_page': MAX_PAGE_SIZE, **({} if end is None else {'updated_end_timestamp': end})}
        try:
            return self.client.list_detections(params).get('data') or []
        except DemistoException as e:
            if self.requests == 1:
                raise
            # What was handled so far is consistent with the state; the next run resumes from there.
            demisto.error(f'Cado fetch stopped early, {len(self.incidents)} incidents kept: {e}')
            self.done = True
            return None

    def handle(self, read: Read) -> bool:
        """Creates or skips one detection; False when max_fetch is reached before an unhandled one."""
        if self.state.handled(read):
            return True
        if len(self.incidents) >= self.max_fetch:
            self.done = True
            return False
        first_seen = self.state.is_new(read)
        if first_seen or self.fetch_updated:
            self.incidents.append(detection_incident(read.detection, first_seen))
        self.state.remember(read)
        return True

    def handle_in_order(self, reads: list[Read], before: int) -> bool:
        """Reads of one second in id order, `before` detections of that second preceding them."""
        for position, read in enumerate(reads, before + 1):
            if not self.handle(read):
                return False
            self.state.passed(read, position)
        return True

    def run(self) -> None:
        self.look_back()
        start = self.state.cursor
        if self.state.position >= MAX_PAGE_SIZE:  # a second holding more than a page: go on in id order
            if not self.second_by_id(start):
                return
            start += 1
        self.forward(start)

    def look_back(self) -> None:
        start, end = self.state.look_back_range()
        page = 1
        while start < end and (batch := self.page(start, end, 'id', page)) is not None:
            for detection in batch:
                if not self.handle(detection_read(detection, end - 1)):
                    return
            if len(batch) < MAX_PAGE_SIZE:
                return
            page += 1

    def second_by_id(self, second: int) -> bool:
        """One second in id order, from the page holding last_id; True when read to its end."""
        page = self.state.resume_page(second)
        resuming = page > 1
        while (batch := self.page(second, second + 1, 'id', page)) is not None:
            reads = [detection_read(detection, second) for detection in batch]
            if resuming and page > 1 and (not reads or reads[0].id > self.state.last_id):
                page -= 1  # detections left this second since the last run: step back to reach last_id
                continue
            resuming = False
            if not self.handle_in_order(reads, (page - 1) * MAX_PAGE_SIZE):
                return False
            if len(batch) < MAX_PAGE_SIZE:
                return True
            page += 1
        return False

    def forward(self, start: int) -> None:
        while (batch := self.page(start)) is not None:
            reads = [detection_read(detection, start) for detection in batch]
            full = len(batch) >= MAX_PAGE_SIZE
            if full and all(read.updated is None for read in reads):
                raise CadoApiError('Cado answered a page of detections without a readable updated_datetime, so the '
                                   'fetch cannot tell where to go on from. Report this to Cado.')
            groups = by_second(reads)
            if full and len(groups) == 1:
                if not self.second_by_id(groups[0][0]):
                    return
                start = groups[0][0] + 1
                continue
            # A full page may end inside its last second: that second is read again, from its start.
            for _, group in groups[:-1] if full else groups:
                if not self.handle_in_order(group, 0):
                    return
            if not full:
                return
            start = groups[-1][0]


def fetch_incidents(client: Client, last_run: dict[str, Any], first_fetch: int, max_fetch: int,
                    severities: list[str], sources: list[str], fetch_updated: bool, detection_type: str,
                    look_back: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Detections updated since the last run, oldest first, each (id, updated_datetime) handled once.

    Cado filters on whole seconds and orders by one key only, and detections sharing a time come back in any order,
    so offset pages over updated_datetime skip or repeat them. A second that fills a page, or that a run stopped
    inside, is therefore read in id order; the state keeps that second (`updated_start_timestamp`), the last id
    handled in it and its position there (a page hint).
    Each run first re-reads the `look_back` minutes behind that second, in id order, for detections Cado makes
    visible with a time already passed. `seen` holds the (id, updated_datetime) pairs handled since `floor`, so none
    is created twice. It keeps at most FETCH_MEMORY_CAP pairs, so the state stays under 10 KB: past that, `floor`
    moves up and the look-back shrinks to what is remembered. Nothing is then created twice; only detections that
    arrive late behind `floor`, or behind last_id in a second whose pairs were dropped, are missed.
    A detection is new when it was created inside the run's window and never handled; otherwise it is an update,
    which `fetch_updated` turns into an incident or skips.
    """
    state = FetchState(last_run, first_fetch, look_back * 60)
    filters = assign_params(severity=severities or None, source=sources or None, detection_type=detection_type)
    fetch = DetectionFetch(client, state, filters, max_fetch, fetch_updated)
    fetch.run()
    return state.saved(), fetch.incidents


def instance_setting(params: dict[str, Any], field: Field, display: str) -> Any:
    """An instance parameter parsed like an argument, with errors that name it as the instance settings show it."""
    try:
        return parse_field(params, field)
    except ValueError as e:
        raise ValueError(f'Instance parameter "{display}" is not valid. {e}') from None


def fetch_settings(params: dict[str, Any]) -> dict[str, Any]:
    first_fetch = instance_setting(params, Field('first_fetch', 'first_fetch', 'time'), 'First fetch time')
    max_fetch = instance_setting(params, Field('max_fetch', 'max_fetch', 'int', default=FETCH_MAX_DEFAULT),
                                 'Maximum incidents per fetch')
    if max_fetch < 1:
        raise ValueError('Instance parameter "Maximum incidents per fetch" must be a positive whole number.')
    look_back = instance_setting(params, Field('look_back', 'look_back', 'int', default=FETCH_LOOK_BACK_DEFAULT),
                                 'Look-back window (minutes)')
    if look_back < 0:
        raise ValueError('Instance parameter "Look-back window (minutes)" must be 0 or a positive whole number.')
    return {
        'first_fetch': first_fetch or to_epoch('3 days', 'first_fetch'),
        'max_fetch': min(max_fetch, FETCH_MAX_CAP),
        'severities': instance_setting(params, Field('severity', 'severity', 'list', choices=SEVERITIES),
                                       'Severity') or [],
        'sources': instance_setting(params, Field('source', 'source', 'list', choices=DETECTION_SOURCES),
                                    'Detection source') or [],
        'fetch_updated': instance_setting(params, Field('fetch_updated_detections', '', 'bool', default=False),
                                          'Create incidents for updated detections'),
        'detection_type': instance_setting(params, Field('detection_type', 'detection_type', choices=DETECTION_TYPES,
                                                         default=FETCH_DETECTION_TYPE_DEFAULT), 'Detection type'),
        'look_back': look_back,
    }


def build_client(params: dict[str, Any], api_key: str) -> Client:
    url = instance_setting(params, Field('url', 'url', required=True), 'Server URL')
    if not re.match(r'https?://[^/\s]+', url, re.IGNORECASE):
        raise ValueError('Instance parameter "Server URL" must be the platform\'s address, e.g. '
                         'https://cado.example.com.')
    if not api_key or any(char.isspace() or not char.isprintable() for char in api_key):
        raise ValueError('Instance parameter "API Key" is empty or holds spaces or line breaks: paste the key again.')
    timeout = instance_setting(params, Field('timeout', 'timeout', 'int', default=60), 'Request timeout (seconds)')
    if timeout < 1:
        raise ValueError('Instance parameter "Request timeout (seconds)" must be a positive whole number.')
    return Client(
        base_url=url,
        api_key=api_key,
        verify=not instance_setting(params, Field('insecure', '', 'bool', default=False),
                                    'Trust any certificate (not secure)'),
        proxy=instance_setting(params, Field('proxy', '', 'bool', default=False), 'Use system proxy settings'),
        timeout=timeout,
        default_account=instance_setting(params, Field('default_account', ''), 'Default cloud account'),
        default_region=instance_setting(params, Field('default_region', ''), 'Default region'),
        default_project=instance_setting(params, Field('default_project', '', 'int'), 'Default project ID'),
    )


''' DISPATCH '''

COMMANDS: dict[str, Callable[[Client, dict[str, Any]], CommandResults]] = {
    'cado-project-create': project_create_command,
    'cado-project-get': project_get_command,
    'cado-project-update': project_update_command,
    'cado-project-delete': project_delete_command,
    'cado-incident-project-get': incident_project_get_command,
    **{command: partial(acquire_command, command=command) for command in SOURCES},
    **{command: partial(list_results, listing=LISTINGS[command]) for command in (
        'cado-project-list', 'cado-webhook-list', 'cado-cloud-account-list', 'cado-aws-ec2-instance-list',
        'cado-aws-s3-bucket-list', 'cado-aws-s3-object-list', 'cado-aws-lambda-function-list',
        'cado-gcp-gce-instance-list', 'cado-gcp-gcs-bucket-list',
        'cado-azure-vm-list', 'cado-azure-disk-list', 'cado-detection-list', 'cado-detection-group-list',
        'cado-detection-artifact-list', 'cado-alarm-list', 'cado-evidence-list')},
    'cado-xdr-device-list': xdr_device_list_command,
    'cado-pipeline-get': pipeline_get_command,
    'cado-pipeline-list': pipeline_list_command,
    'cado-pipeline-cancel': pipeline_cancel_command,
    'cado-pipeline-rerun': pipeline_rerun_command,
    'cado-detection-asset-get': detection_asset_get_command,
    'cado-alarm-get': alarm_get_command,
    'cado-alarm-summary-get': alarm_summary_get_command,
    'cado-evidence-get': evidence_get_command,
    'cado-indicator-list': indicator_list_command,
    'cado-webhook-create': webhook_create_command,
    'cado-webhook-update': webhook_update_command,
    'cado-webhook-delete': webhook_delete_command,
    'cado-webhook-test': webhook_test_command,
}


''' MAIN '''


def main() -> None:
    params = demisto.params()
    command = demisto.command()
    credentials = params.get('credentials')
    api_key = str((credentials.get('password') if isinstance(credentials, dict) else '') or '').strip()
    try:
        client = build_client(params, api_key)
        demisto.debug(f'Command being called is {command}')
        if command == 'test-module':
            is_fetch = instance_setting(params, Field('isFetch', '', 'bool', default=False), 'Fetch incidents')
            return_results(test_module(client, fetch_settings(params) if is_fetch else None))
        elif command == 'fetch-incidents':
            next_run, incidents = fetch_incidents(client, demisto.getLastRun() or {}, **fetch_settings(params))
            demisto.setLastRun(next_run)
            demisto.incidents(incidents)
        elif command in COMMANDS:
            return_results(COMMANDS[command](client, demisto.args()))
        else:
            raise NotImplementedError(f'Command {command} is not implemented by the {BRAND} integration.')
    except Exception as e:
        message = redact(str(e), (api_key,) if api_key else ())
        return_error(f'Failed to execute {command} command.\nError:\n{message}')


if __name__ in ('__main__', '__builtin__', 'builtins'):
    main()
