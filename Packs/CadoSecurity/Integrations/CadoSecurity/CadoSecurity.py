import demistomock as demisto  # noqa: F401
from CommonServerPython import *  # noqa: F401
from CommonServerUserPython import *  # noqa: F401

import contextlib
import functools
import hashlib
import ipaddress
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from string import Template
from typing import Any, BinaryIO, NamedTuple
from urllib.parse import quote, quote_plus, urlparse, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

''' CONSTANTS '''

BRAND = 'Cado Security'
MAX_PAGE_SIZE = 100
DEFAULT_LIMIT = 50
DEFAULT_PAGE_SIZE = 50  # `page` given without `page_size`
RESUME_PREFIX = 'resume:'  # next_token of ours: resume:<items already shown>:<Cado cursor of their page>
FETCH_MAX_DEFAULT = 50
FETCH_MAX_CAP = 200
FETCH_MAX_PAGES = 10
DETECTION_LOOKUP_PAGES = 5  # pages of a resource's detections read, newest first, to find one detection
FETCH_MEMORY_CAP = 200  # (id, updated_datetime) pairs kept for the look-back: the saved state stays under 10 KB
FETCH_LOOK_BACK_DEFAULT = 10  # minutes
READ_RETRIES = 3
RETRY_STATUSES = (500, 502, 503, 504)
RETRY_BACKOFF = 0.5
MIN_POLL_INTERVAL = 10
MEGABYTE = 1024 * 1024
FILE_CHUNK_SIZE = MEGABYTE  # what a streamed file answer holds in memory at once, and what is copied out of a zip
MAX_DOWNLOAD_MB_DEFAULT = 200
INSTANCE_DEFAULTS = {'account': 'Default cloud account', 'region': 'Default region', 'project': 'Default project ID'}
WEBHOOK_CREDENTIALS_PARAM = 'Generic Webhook username / password'

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
    'created_timestamp', 'last_login_timestamp', 'resource_updated_datetime', 'accessed', 'timestamp',
    'published_date', 'last_modified_date'})

''' INCIDENT INTAKE: the one rawJSON shape shared by Cado's webhooks (push) and fetch-incidents (pull) '''

DETECTION_EVENTS = ('detection_created', 'detection_updated', 'detection_group_created', 'detection_group_updated')
PROCESSING_EVENTS = ('high_severity_alarm', 'suspicious_severity_event', 'processing_with_alarms',
                     'processing_finished', 'processing_failed')
DETECTION_INCIDENT_TYPE = 'Cado Detection'
PROCESSING_INCIDENT_TYPE = 'Cado Processing Event'

# Cado refuses a custom payload without both $Title and $Event. $Event has no published structure and may hold
# quotes, so every template puts it first: should Cado substitute it unescaped, keys it smuggles in come before the
# template's own (name, type, ids), and JSON parsers keep the last duplicate.
XSOAR_WEBHOOK_PAYLOADS: dict[str, dict[str, str]] = {
    **{event: {'cado_event': '$Event', 'name': 'Cado detection $detection_id: $Title', 'type': DETECTION_INCIDENT_TYPE,
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
# The connection test does not check for the webhook roles (an instance works without them): their refusal says it.
WEBHOOK_HINT = ('Webhook commands need an Administrator or Platform Administrator key; a Platform Administrator key '
                'cannot read detections or pipelines, so use an Administrator key, or give the webhook commands an '
                'instance of their own with Fetch incidents cleared.')


class Endpoint(NamedTuple):
    method: str
    path: str
    roles: tuple[str, ...]
    action: str  # what the request does, for error messages
    missing: str = ''  # what a 404 on this path means was not found
    data: str = 'object'  # the success envelope's `data`: object | list | names (strings) | none (may carry
    # none) | file (no envelope: the answer is a file, streamed to disk)
    hint: str = ''  # added to a refusal (HTTP 403): which key to use instead


ENDPOINTS: dict[str, Endpoint] = {
    'system_status': Endpoint('GET', '/api/v3/system/status', ALL_ROLES, 'read the system status'),
    'whoami': Endpoint('GET', '/api/v3/auth/whoami', ALL_ROLES, 'read the API key\'s user and role'),
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
    'list_webhooks': Endpoint('GET', '/api/v3/webhooks', ADMINS, 'list webhooks', data='list', hint=WEBHOOK_HINT),
    'create_webhook': Endpoint('POST', '/api/v3/webhooks', ADMINS, 'create a webhook', hint=WEBHOOK_HINT),
    'update_webhook': Endpoint('PATCH', '/api/v3/webhooks/{webhook_id}', ADMINS, 'update a webhook', 'webhook',
                               hint=WEBHOOK_HINT),
    'delete_webhook': Endpoint('DELETE', '/api/v3/webhooks/{webhook_id}', ADMINS, 'delete a webhook', 'webhook',
                               data='none', hint=WEBHOOK_HINT),
    'test_webhook': Endpoint('POST', '/api/v3/webhooks/test', ADMINS, 'test a webhook', 'webhook', hint=WEBHOOK_HINT),
    'browse_files': Endpoint('GET', '/api/v3/files/browse', READERS, 'search files in evidence', 'evidence',
                             data='list'),
    'list_directory': Endpoint('GET', '/api/v3/files/directory', READERS, 'list a directory in evidence',
                               'evidence or directory', data='list'),
    'get_file': Endpoint('GET', '/api/v3/files/file', READERS, 'read a file in evidence', 'evidence or file'),
    'download_file': Endpoint('GET', '/api/v3/files/file/download', ANALYSTS, 'download a file from evidence',
                              'evidence or file', data='file'),
    'get_pipeline_logs': Endpoint('GET', '/api/v3/pipelines/{id}/logs', ANALYSTS, 'read a pipeline\'s logs',
                                  'pipeline', data='file'),
    'process_evidence': Endpoint('POST', '/api/v3/evidences/process', ANALYSTS, 'process evidence', 'evidence'),
    'generate_evidence_url': Endpoint('GET', '/api/v3/evidences/{evidence_id}/generate-url/{download_type}', ANALYSTS,
                                      'generate a download URL for evidence', 'evidence'),
    **{f'list_{name}': Endpoint('GET', f'/api/v3/import/{path}', ANALYSTS, f'browse {what}', data=data)
       for name, path, what, data in (
           ('ecs_clusters', 'aws/ecs/clusters', 'ECS clusters', 'list'),
           ('ecs_tasks', 'aws/ecs/tasks', 'ECS tasks', 'list'),
           ('ecs_containers', 'aws/ecs/containers', 'ECS containers', 'object'),
           ('eks_clusters', 'aws/eks/clusters', 'EKS clusters', 'list'),
           ('eks_pods', 'aws/eks/pods', 'EKS pods', 'list'),
           ('eks_containers', 'aws/eks/containers', 'EKS containers', 'list'),
           ('gke_clusters', 'gcp/gke/clusters', 'GKE clusters', 'list'),
           ('gke_pods', 'gcp/gke/pods', 'GKE pods', 'list'),
           ('gke_containers', 'gcp/gke/containers', 'GKE containers', 'list'),
           ('aks_clusters', 'azure/aks/clusters', 'AKS clusters', 'list'),
           ('aks_pods', 'azure/aks/pods', 'AKS pods', 'list'),
           ('aks_containers', 'azure/aks/containers', 'AKS containers', 'list'),
           ('darktrace_appliances', 'xdr/csensor/appliances', 'Darktrace csensor appliances', 'list'),
           ('azure_subscriptions', 'azure/management/subscriptions', 'Azure subscriptions', 'list'),
           ('azure_resource_groups', 'azure/management/resource-groups', 'Azure resource groups', 'list'),
           ('azure_storage_accounts', 'azure/storage/accounts', 'Azure storage accounts', 'names'),
           ('azure_storage_containers', 'azure/storage/containers', 'Azure storage containers', 'names'),
           ('azure_blobs', 'azure/storage/blobs', 'Azure storage blobs', 'list'),
           ('gcp_projects', 'gcp/resource-manager/projects', 'GCP projects', 'list'),
           ('gcs_objects', 'gcp/gcs/objects', 'GCS objects', 'list'))},
    'search_timeline': Endpoint('GET', '/api/v3/timeline', READERS, 'search the timeline', 'project', data='list'),
    'list_timeline_facets': Endpoint('GET', '/api/v3/timeline/facets', READERS, 'count timeline facets', 'project',
                                     data='list'),
    'create_notes': Endpoint('POST', '/api/v3/notes', ANALYSTS, 'star or comment timeline events', 'project'),
    'remove_notes': Endpoint('DELETE', '/api/v3/notes', ANALYSTS, 'remove stars or comments from timeline events',
                             'project', data='none'),
    'list_vulnerabilities': Endpoint('GET', '/api/v3/vulnerabilities', READERS, 'list vulnerabilities', data='list'),
    'export_timeline': Endpoint('GET', '/api/v3/timeline/export', ANALYSTS, 'export the timeline', 'project',
                                data='file'),
    'export_alarms': Endpoint('GET', '/api/v3/alarms/export', READERS, 'export alarms', 'evidence', data='file'),
    'export_detections': Endpoint('GET', '/api/v3/detections/export', ANALYSTS, 'export detections', 'project',
                                  data='file'),
    'list_scripts': Endpoint('GET', '/api/v3/settings/scripts', ('Administrator', 'Platform Administrator',
                                                                 'Lead Analyst'), 'list saved scripts', data='list'),
    'run_remote_script': Endpoint('POST', '/api/v3/remote-actions/run-script', LEADS,
                                  'run a saved script on an EC2 instance'),
    'search_cloudgrep': Endpoint('POST', '/api/v3/import/cloudgrep', ANALYSTS, 'search an S3 bucket with cloudgrep'),
    'generate_host_command': Endpoint('POST', '/api/v3/import/cado-host', ANALYSTS,
                                      'generate a Cado Host deployment command', 'project'),
    'get_host_download_link': Endpoint('GET', '/api/v3/import/cado-host', ANALYSTS, 'get the Cado Host download link'),
    'get_intelligence': Endpoint('GET', '/api/v3/intelligence', LEADS, 'read the custom IOC rules'),
    'update_intelligence': Endpoint('PATCH', '/api/v3/intelligence', LEADS, 'write the custom IOC rules'),
    'update_note': Endpoint('PATCH', '/api/v3/notes/{note_id}', ANALYSTS, 'edit a timeline comment', 'note'),
    'delete_note': Endpoint('DELETE', '/api/v3/notes/{note_id}', ANALYSTS, 'delete a timeline note', 'note',
                            data='none'),
    'list_users': Endpoint('GET', '/api/v3/users', ('Administrator', 'Platform Administrator', 'Lead Analyst'),
                           'list users', data='list'),
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
    description: str = ''  # the argument's description in the YAML (tools/generate_yaml.py writes it there)
    example: str = ''  # a valid value, as typed in XSOAR: the arguments of the tests and of the command examples


# Argument descriptions several commands share (the YAML's text).
ACQUISITION_PROJECT = "ID of the Cado project to acquire into. Defaults to the instance's Default project ID."
AWS_PLATFORM_ACCOUNT = ("Name (alias) of the AWS account registered in Cado, as listed by cado-cloud-account-list. "
                        "Defaults to the instance's Default cloud account; when neither is set, Cado uses its own "
                        "platform role.")
M365_ACCOUNT = ("Name of the Microsoft 365 account registered in Cado whose credentials read the logs (see "
                "cado-cloud-account-list). Defaults to the instance's Default cloud account.")
RESOURCE_REGION = "AWS region of the resource, e.g. us-east-1. Defaults to the instance's Default region."
BROWSED_REGION = "AWS region to browse. Defaults to the instance's Default region."


def account_description(cloud: str = '') -> str:
    return (f"Name of the {f'{cloud} ' if cloud else ''}account registered in Cado (see cado-cloud-account-list). "
            "Defaults to the instance's Default cloud account.")


def project_field(api: str, required: bool = True, description: str = ACQUISITION_PROJECT) -> Field:
    return Field('project_id', api, 'int', required, fallback='project', description=description, example='12')


def account_field(api: str, required: bool = True, description: str = account_description(), example: str = '') -> Field:
    return Field('account', api, 'str', required, fallback='account', description=description, example=example)


def region_field(api: str = 'region', required: bool = True, description: str = RESOURCE_REGION) -> Field:
    return Field('region', api, 'str', required, fallback='region', description=description, example='eu-west-2')


ONE_PAGE = 'With page or page_size, exactly one page is returned in one request, and limit is ignored.'
PAGE_FIELDS = (
    Field('page', 'page', 'int', description=f'Page number to return (1-based). {ONE_PAGE}'),
    Field('page_size', 'per_page', 'int',
          description=f'Number of results per page (at most {MAX_PAGE_SIZE}). Default is {DEFAULT_LIMIT} when only '
                      f'page is given. {ONE_PAGE}'),
    Field('limit', 'limit', 'int', default=DEFAULT_LIMIT,
          description='Maximum number of results to return when page and page_size are not given (pages are followed '
                      f'until it is reached, each request sized to what is still wanted). Default is {DEFAULT_LIMIT}.'),
)
CURSOR_LIMIT = ('Maximum number of results to return (cursor pages are followed until it is reached). Default is '
                f'{DEFAULT_LIMIT}.')
CURSOR_FIELDS = (
    PAGE_FIELDS[1]._replace(description=f'Number of results per request (at most {MAX_PAGE_SIZE}). When given, '
                                        'exactly one request is made.'),
    PAGE_FIELDS[2]._replace(description=CURSOR_LIMIT),
    Field('next_token', 'cursor',
          description='The next_token of a previous call\'s "More results are available" note. The list continues '
                      'right after the last result that call returned.'),
)
# The paging arguments of each Listing.paging style.
PAGING_FIELDS = {'page': PAGE_FIELDS, 'cursor': CURSOR_FIELDS, 'cursor_unsized': (
    CURSOR_FIELDS[1]._replace(description=f'{CURSOR_LIMIT} Cado decides how many instances a page holds; when it '
                                          'holds more than limit, the rest come with the next_token of the note.'),
    CURSOR_FIELDS[2]), 'none': ()}

HOST_OPTION_FIELDS = (
    Field('collection_type', 'collection_type', choices=('balanced', 'custom'), example='custom',
          description='Cado Host collection type: balanced (default) or custom.'),
    Field('light_mode', 'light_mode', 'bool', example='true',
          description='Cado Host light mode: only acquire files smaller than 10 MB.'),
    Field('skip_scan', 'skip_scan', 'bool', example='false',
          description='Whether Cado Host skips scanning for additional files.'),
    Field('additional_files', 'additional_files', 'list', example='/etc/passwd,/var/log/auth.log',
          description='Comma-separated additional file paths for Cado Host to acquire.'),
    Field('host_groups', 'groups', 'list', example='linux-servers',
          description='Comma-separated Cado Host collection groups (custom collection type only).'),
)

LOG_WINDOW_FIELDS = (
    Field('start_time', 'start_time', 'time', required=True, example='2024-06-01T00:00:00Z',
          description='Start of the log window: ISO 8601 (2024-01-01T00:00:00Z) or relative (3 days ago).'),
    Field('end_time', 'end_time', 'time', required=True, example='2024-06-03T00:00:00Z',
          description='End of the log window: ISO 8601 (2024-01-02T00:00:00Z) or relative (now).'),
)

# What every acquisition command takes besides its source's fields; the polling code reads them by name.
ACQUISITION_POLLING_FIELDS = (
    Field('polling', 'polling', 'bool', default=False,
          description='Whether to poll (through scheduled commands, without blocking) until the pipeline ends.'),
    Field('interval_in_seconds', 'interval_in_seconds', 'int', default=30,
          description=f'Seconds between polls (at least {MIN_POLL_INTERVAL}).'),
    Field('timeout_in_seconds', 'timeout_in_seconds', 'int', default=1800,
          description='Seconds after which polling stops with an error naming the step still running.'),
    Field('wait_for_processing', 'wait_for_processing', 'bool', default=False,
          description='Whether polling continues through the processing pipeline that follows the acquisition and '
                      'ends with alarm and detection counts. Needs polling=true.'),
)
# The state a scheduled poll carries to the next one: hidden in the YAML. pipeline_ids is one comma-separated text, as
# the poll writes it.
POLLING_STATE_FIELDS = tuple(Field(arg, arg, kind, description=f'Internal polling state: {what}.') for arg, kind, what in (
    ('pipeline_id', 'int', 'the acquisition pipeline being polled'),
    ('pipeline_ids', 'str', 'every pipeline the acquisition started'),
    ('processing_pipeline_ids', 'str', 'each completed acquisition pipeline with its processing pipeline '
                                       '(acquisition:processing)'),
    ('acquisition_created', 'int', 'when the acquisition pipeline was created'),
    ('hide_polling_output', 'bool', 'hides the output of intermediate polls')))

''' ACQUISITION SOURCES: every difference between Cado's import endpoints, described once '''


class Source(NamedTuple):
    label: str  # the `source` value in Cado.Acquisition
    endpoint: str  # ENDPOINTS key and Client method
    resource_arg: str  # the argument naming what is acquired (Cado.Acquisition.resource_id), if any
    description: str  # what the command does; the YAML adds POLLING_DESCRIPTION
    fields: tuple[Field, ...]  # project, account and region fields first: their body names differ per endpoint
    host_options: str = ''  # '' | 'optional' | 'required': whether the body takes Cado Host options
    returns_list: bool = False  # True: the answer carries pipeline_ids [{id}], else pipeline_id
    no_processing: tuple[str, ...] = ()  # body fields that, when true, make an import Cado will never process
    label_arg: Field | None = None  # an argument that only qualifies `source` (it is not sent)
    processes: bool = False  # True: the pipeline started is itself the processing pipeline
    execution: bool = False  # True: the command runs code on a host (XSOAR asks before a playbook runs it)


POLLING_DESCRIPTION = ('With polling=true it waits, without blocking, until the acquisition pipeline ends (and with '
                       'wait_for_processing=true through processing, ending with alarm and detection counts); a failed,'
                       ' cancelled or timed-out acquisition writes Cado.Acquisition with that status, the pipeline, '
                       'subtask and reason, and adds an error entry.')
# Argument descriptions several sources share.
ACQUIRE_WITH_HOST = ('Whether to acquire with Cado Host (a triage collection on the running machine) instead of a '
                     'disk snapshot.')
FAST_SCAN = 'Whether to run a scan-only import pipeline (faster, less data).'
GCP_PROJECT = 'ID of the GCP project that holds the resource.'
GCP_ZONE = 'GCP zone of the resource, e.g. europe-west2-a.'
BUCKET = 'Name of the bucket to acquire.'
OBJECT_KEYS = 'Comma-separated object keys to acquire. If empty, the whole bucket (or prefix) is acquired.'
OBJECT_PREFIX = 'Only acquire objects under this prefix (must end with "/").'
CLUSTER = 'Name of the cluster that runs the container.'
POD = 'Name of the pod that runs the container.'
POD_NAMESPACE = 'Namespace of the pod.'
CONTAINER = 'Name of the container to acquire.'
DEVICE = 'ID of the device in the XDR platform (see cado-xdr-device-list).'
USER_IDS = 'Comma-separated user IDs to import logs for. If empty, all users.'


def azure_fields(resource_group: str) -> tuple[Field, ...]:
    """The subscription and resource group that hold an Azure resource, with examples."""
    return (Field('subscription_id', 'subscription_id', required=True, example='3f2b8c1e-7d4a-4e9b-9c61-2a5d8e0f1b47',
                  description='ID of the Azure subscription that holds the resource.'),
            Field('resource_group', 'resource_group', required=True, example=resource_group,
                  description='Azure resource group that holds the resource.'))


def azure_snapshot_fields(acquire_with_host: str) -> tuple[Field, ...]:
    """How an Azure VM or disk is acquired: where its snapshots are made, or with Cado Host instead."""
    return (Field('acquisition_resource_group', 'acquisition_resource_group', example='rg-forensics',
                  description='Resource group to create snapshots in (useful for a scoped-down role).'),
            Field('acquire_with_host', 'acquire_with_host', 'bool', required=True, default=False,
                  description=ACQUIRE_WITH_HOST, example=acquire_with_host))


def cluster_field(example: str) -> Field:
    return Field('cluster_name', 'cluster_name', required=True, description=CLUSTER, example=example)


def pod_fields(pod: str, namespace: str, container: str) -> tuple[Field, ...]:
    """The container a Cado Host acquisition targets in a Kubernetes cluster (EKS, GKE, AKS), with examples."""
    return (Field('pod_name', 'pod_name', required=True, description=POD, example=pod),
            Field('pod_namespace', 'pod_namespace', required=True, description=POD_NAMESPACE, example=namespace),
            Field('container_name', 'container_name', required=True, description=CONTAINER, example=container))


SOURCES: dict[str, Source] = {
    'cado-aws-ec2-acquire': Source('AWS EC2', 'import_aws_ec2', 'instance_id', (
        'Acquires an AWS EC2 instance (disk snapshot, or Cado Host triage with acquire_with_host) into a Cado '
        'project.'), (
        project_field('project_id'),
        account_field('cloud_id', required=False, description=AWS_PLATFORM_ACCOUNT, example='aws-prod'),
        region_field(),
        Field('instance_id', 'instance_id', required=True, example='i-0a1b2c3d4e5f67890',
              description='ID of the EC2 instance to acquire, e.g. i-0123456789abcdef0.'),
        Field('acquire_with_host', 'acquire_with_host', 'bool', description=ACQUIRE_WITH_HOST, example='true'),
        Field('use_ssm_port_forwarding', 'use_ssm_port_forwarding', 'bool', example='true',
              description='Whether to send Cado Host to the instance through SSM port forwarding.'),
        Field('ssm_port_forwarding_port', 'ssm_port_forwarding_port', 'int', example='8443',
              description='Port used for SSM port forwarding to let Cado Host reach the instance.'),
        Field('fast_scan', 'fast_scan', 'bool', description=FAST_SCAN, example='false'),
        Field('convert_image', 'convert_image', 'bool', example='false',
              description='Whether to also convert the disk image to EnCase files.'),
        Field('skip_processing', 'skip_processing', 'bool', example='false',
              description='Whether to acquire without processing; processing can be run later. Cannot be combined '
                          'with wait_for_processing.')),
        host_options='optional', returns_list=True, no_processing=('skip_processing', 'fast_scan')),
    'cado-aws-s3-acquire': Source('AWS S3', 'import_aws_s3', 'bucket', (
        'Acquires an AWS S3 bucket, a prefix or chosen objects into a Cado project.'), (
        project_field('project_id'),
        account_field('cloud_id', required=False, description=AWS_PLATFORM_ACCOUNT, example='aws-prod'),
        Field('bucket', 'bucket', required=True, description=BUCKET, example='acme-web-assets'),
        Field('file_names', 'file_name', 'list', description=OBJECT_KEYS, example='access.log,error.log'),
        Field('prefix', 'prefix', description=OBJECT_PREFIX, example='uploads/'))),
    'cado-aws-lambda-acquire': Source('AWS Lambda', 'import_aws_lambda', 'function_name', (
        'Acquires an AWS Lambda function into a Cado project.'), (
        project_field('project_id'),
        account_field('cloud_id', required=False, description=AWS_PLATFORM_ACCOUNT, example='aws-prod'),
        region_field(),
        Field('function_name', 'function', required=True, example='order-processor',
              description='Name of the Lambda function to acquire.'))),
    'cado-aws-ecs-acquire': Source('AWS ECS', 'import_aws_ecs', 'container_name', (
        'Acquires a container running on AWS ECS into a Cado project with Cado Host.'), (
        project_field('investigation_id'), account_field('account_name', required=False, example='aws-prod'),
        region_field(required=False),
        cluster_field('prod-ecs'),
        Field('task_name', 'task_name', required=True, example='0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c',
              description='Name of the ECS task that runs the container.'),
        Field('container_name', 'container_name', required=True, description=CONTAINER, example='api'),
        Field('file_name', 'file_name', example='web-capture',
              description='Name of the archive Cado Host produces for this capture.')),
        host_options='required'),
    'cado-aws-eks-acquire': Source('AWS EKS', 'import_aws_eks', 'container_name', (
        'Acquires a container running on AWS EKS into a Cado project with Cado Host.'), (
        project_field('investigation_id'), account_field('account_name', example='aws-prod'),
        region_field('cluster_region'), cluster_field('prod-eks'),
        *pod_fields('checkout-7d9f8b6c5-x2k4p', 'shop', 'checkout')),
        host_options='required'),
    'cado-gcp-gce-acquire': Source('GCP GCE', 'import_gcp_gce', 'instance_name', (
        'Acquires a GCP Compute Engine instance into a Cado project (its disk image is exported to a GCS bucket).'), (
        project_field('investigation_id'), account_field('account_name', example='gcp-analytics'),
        Field('instance_name', 'instance_name', required=True, example='etl-runner-1',
              description='Name of the GCE instance to acquire.'),
        Field('instance_project', 'instance_project', required=True, example='analytics-prod-4521',
              description='ID of the GCP project the instance belongs to.'),
        Field('zone', 'zone', required=True, description=GCP_ZONE, example='europe-west2-b'),
        Field('gcs_bucket', 'gcs_bucket', required=True, example='cado-evidence-eu',
              description='GCS bucket the disk image is exported to.'),
        Field('gcs_project', 'gcs_project', required=True, example='security-tools-1234',
              description='ID of the GCP project that holds the export bucket.'),
        Field('fast_scan', 'fast_scan', 'bool', description=FAST_SCAN, example='false'),
        Field('use_acquisition_service_account', 'use_acquisition_service_account', 'bool', example='true',
              description='Whether to use the acquisition service account instead of the Compute Engine default '
                          'service account.'),
        Field('subnet', 'subnet', example='projects/security-tools-1234/regions/europe-west2/subnetworks/cado',
              description='Subnet self-link for the worker VMs, e.g. '
                          'projects/<project>/regions/<region>/subnetworks/<name>.')),
        returns_list=True, no_processing=('fast_scan',)),
    'cado-gcp-gcs-acquire': Source('GCP GCS', 'import_gcp_gcs', 'bucket', (
        'Acquires a GCP Cloud Storage bucket, a prefix or chosen objects into a Cado project.'), (
        project_field('project_id'), account_field('account_name', example='gcp-analytics'),
        Field('bucket', 'bucket', required=True, description=BUCKET, example='analytics-prod-4521-audit'),
        Field('gcp_project', 'gcp_project', required=True, description=GCP_PROJECT, example='analytics-prod-4521'),
        # The contract requires a prefix; an empty one acquires the whole bucket.
        Field('prefix', 'prefix', default='', description=OBJECT_PREFIX, example='logs/'),
        Field('file_names', 'file_names', 'list', description=OBJECT_KEYS, example='logs/a.json,logs/b.json')),
        returns_list=True),
    'cado-gcp-gke-acquire': Source('GCP GKE', 'import_gcp_gke', 'container_name', (
        'Acquires a container running on GCP GKE into a Cado project with Cado Host.'), (
        project_field('investigation_id'), account_field('account_name', example='gcp-analytics'),
        Field('gcp_project', 'gcp_project_id', required=True, description=GCP_PROJECT, example='analytics-prod-4521'),
        cluster_field('etl-gke'),
        Field('zone', 'cluster_zone', required=True, description=GCP_ZONE, example='europe-west2-b'),
        *pod_fields('spark-driver-0', 'etl', 'spark')),
        host_options='required'),
    'cado-azure-vm-acquire': Source('Azure VM', 'import_azure_vm', 'vm_name', (
        'Acquires an Azure virtual machine into a Cado project.'), (
        project_field('investigation_id'), account_field('account_name', example='azure-corp'),
        Field('vm_name', 'vm_name', required=True, description='Name of the Azure virtual machine.',
              example='win-jump-01'),
        *azure_fields('rg-jump'), *azure_snapshot_fields(acquire_with_host='true'),
        Field('scan_only', 'scan', 'bool', description='Whether to perform a scan-only import.', example='false')),
        host_options='optional', returns_list=True, no_processing=('scan',)),
    'cado-azure-disk-acquire': Source('Azure Disk', 'import_azure_disk', 'disk_name', (
        'Acquires an Azure managed disk into a Cado project.'), (
        project_field('investigation_id'), account_field('account_name', example='azure-corp'),
        Field('disk_name', 'disk_name', required=True, description='Name of the Azure disk to acquire.',
              example='lin-app-02-data'),
        *azure_fields('rg-app'), *azure_snapshot_fields(acquire_with_host='false'),
        Field('fast_scan', 'fast_scan', 'bool', description=FAST_SCAN, example='false')),
        no_processing=('fast_scan',)),
    'cado-azure-blob-acquire': Source('Azure Blob', 'import_azure_blob', 'blob_name', (
        'Acquires an Azure Storage blob into a Cado project.'), (
        project_field('investigation_id'), account_field('account_name', example='azure-corp'),
        azure_fields('')[0],
        Field('storage_account_name', 'storage_account_name', required=True,
              description='Name of the Azure storage account.', example='acmeinsights'),
        Field('container_name', 'container_name', required=True, description=CONTAINER,
              example='insights-logs-signinlogs'),
        Field('blob_name', 'blob_name', required=True, description='Name of the blob to acquire.',
              example='y=2024/m=06/d=03/h=12/m=00/PT1H.json')),
        returns_list=True),
    'cado-azure-aks-acquire': Source('Azure AKS', 'import_azure_aks', 'container_name', (
        'Acquires a container running on Azure AKS into a Cado project with Cado Host.'), (
        project_field('investigation_id'), account_field('account_name', example='azure-corp'),
        *azure_fields('rg-aks'),
        cluster_field('aks-prod'), *pod_fields('web-5c9d8f7b6-q8w2e', 'default', 'nginx')),
        host_options='required'),
    'cado-xdr-device-acquire': Source('XDR', 'import_xdr_device', 'device_id', (
        'Acquires an endpoint managed by an XDR platform (CrowdStrike, SentinelOne, Defender) into a Cado project '
        'with Cado Host.'), (
        project_field('investigation_id'), account_field('account_name', example='crowdstrike-eu'),
        Field('device_id', 'device_id', required=True, description=DEVICE, example='5f3c2a1b0e9d4c8b7a6f5e4d3c2b1a09')),
        host_options='required', label_arg=Field('provider', 'provider', choices=XDR_PROVIDERS, example='crowdstrike',
                                                 description='XDR platform of the device. Informational: the '
                                                             'account decides the platform; it labels the output.')),
    'cado-darktrace-endpoint-acquire': Source('Darktrace Endpoint', 'import_darktrace_endpoint', 'device_id', (
        'Acquires an endpoint managed by Darktrace (csensor) into a Cado project.'), (
        project_field('investigation_id'),
        Field('device_id', 'device_id', required=True, description=DEVICE,
              example='2f9a1c7e-3b4d-4e5f-8a6b-7c8d9e0f1a2b'),
        Field('appliance_name', 'appliance_name', required=True, example='dt-eu-1',
              description='Name of the Darktrace appliance (csensor) the endpoint reports to.'))),
    'cado-url-acquire': Source('URL', 'import_url', 'url', (
        'Imports evidence from a URL (download) into a Cado project.'), (
        project_field('project_id'),
        Field('url', 'url', required=True, description='URL (http, https or ftp) of the evidence to download.',
              example='https://files.example.com/evidence/web-prod-01-memdump.zip'))),
    'cado-m365-ual-acquire': Source('Microsoft 365 UAL', 'import_m365_ual', 'workload', (
        'Imports Microsoft 365 Unified Audit Logs for a time window into a Cado project.'), (
        project_field('project_id'), account_field('credentials', description=M365_ACCOUNT, example='m365-acme'),
        *LOG_WINDOW_FIELDS,
        Field('workload', 'workload', choices=('exchange', 'sharepoint', 'aad', 'onedrive', 'defender', 'all'),
              description='Microsoft 365 workload to import logs from. Default is all.', example='exchange'),
        Field('user_ids', 'user_ids', 'list', description=USER_IDS, example='jdoe@example.com,asmith@example.com'),
        Field('ip_addresses', 'ip_addresses', 'list', example='203.0.113.7',
              description='Comma-separated IP addresses to import logs for. If empty, all addresses.'))),
    'cado-entra-id-acquire': Source('Microsoft Entra ID', 'import_entra_id', 'user_ids', (
        'Imports Microsoft Entra ID audit and sign-in logs for a time window into a Cado project.'), (
        project_field('investigation_id'), account_field('credentials', description=M365_ACCOUNT, example='m365-acme'),
        *LOG_WINDOW_FIELDS,
        Field('user_ids', 'user_ids', 'list', description=USER_IDS, example='jdoe@example.com'))),
    'cado-google-workspace-acquire': Source('Google Workspace', 'import_google_workspace', 'application_names', (
        'Imports Google Workspace activity logs for a time window into a Cado project.'), (
        project_field('investigation_id'), account_field('account_name', example='gws-acme'), *LOG_WINDOW_FIELDS,
        Field('user_ids', 'user_ids', 'list', description=USER_IDS, example='jdoe@example.com'),
        Field('application_names', 'application_names', 'list', choices=(
            'access_transparency', 'admin', 'calendar', 'chat', 'drive', 'gcp', 'gplus', 'groups',
            'groups_enterprise', 'jamboard', 'login', 'meet', 'mobile', 'rules', 'saml', 'token', 'user_accounts',
            'context_aware_access', 'chrome', 'data_studio', 'keep', 'vault'), example='login,drive',
            description='Comma-separated Google Workspace applications to import logs for. If empty, all '
                        'applications.'))),
    'cado-detection-investigate': Source('Detection', 'investigate_detections', '', (
        'Starts a Cado automated investigation (project, acquisition and processing) from a detection raised by a '
        'supported source.'), (
        Field('detections', 'detections', 'json_list', required=True,
              example='[{"id": 501, "source": "GuardDuty", "finding_id": "7ac7f3e1d2b54c8e9a0f1b2c3d4e5f60"}]',
              description='The detection to investigate, as raised by its source (for example a GuardDuty finding): a '
                          'JSON object or a JSON list of objects.'),
        Field('skip_acquisition', 'skip_acquisition', 'bool', example='false',
              description='Whether to create the investigation without acquiring the resources. Cannot be combined '
                          'with wait_for_processing.')),
        no_processing=('skip_acquisition',)),
    'cado-evidence-process': Source('Evidence processing', 'process_evidence', 'evidence_id', (
        'Processes an evidence item that was acquired with processing skipped (for example with skip_processing). '
        'Its pipeline is followed as an acquisition\'s, and is its own processing pipeline.'), (
        Field('evidence_id', 'evidence_id', 'int', required=True, example='391',
              description='ID of the evidence item to process (see cado-evidence-list).'),),
        processes=True),
    # A script run is one pipeline with an end state, followed as an acquisition's (keyed by its pipeline, so it never
    # overwrites an acquisition's record); its `source` says it was a script run.
    'cado-remote-script-run': Source('Remote script run', 'run_remote_script', 'instance_id', (
        'Runs a script saved in Cado (see cado-script-list) on an SSM-enabled EC2 instance: the instance executes it. '
        'Its pipeline is followed as an acquisition\'s; Cado does not say that a script\'s output is processed, so '
        'leave wait_for_processing unset unless it is.'), (
        project_field('project_id'),
        account_field('cloud_id', example='aws-prod',
                      description="Name (alias) of the AWS account registered in Cado that reaches the instance, as "
                                  "listed by cado-cloud-account-list. Defaults to the instance's Default cloud account."),
        region_field(description='AWS region of the EC2 instance, e.g. eu-west-2.'),
        Field('instance_id', 'instance_id', required=True, example='i-0a1b2c3d4e5f67890',
              description='ID of the SSM-enabled EC2 instance to run the script on, e.g. i-0123456789abcdef0.'),
        Field('script_id', 'script_id', 'int', required=True, example='3',
              description='ID of the saved script to run (see cado-script-list).')),
        execution=True),
}

''' CLASSIFICATION: which SOURCES command acquires a detection's resource, and where each argument comes from '''

# A resource, as read from a detection or described by arguments, is a dict of: provider (aws, gcp, azure,
# crowdstrike, sentinelone, defender, darktrace, url), type (Cado's: ec2, s3, lambda, ecs, eks, gce, gcs, gke, vm,
# disk, blob, aks, device, endpoint, url), id, full_id and, where known, region, zone, cloud_account (AWS account ID,
# GCP project or Azure subscription), resource_group, cluster, task, pod, namespace, container.


class Classification(NamedTuple):
    command: str  # a SOURCES key
    arguments: dict[str, str]  # command argument -> the resource attribute that holds its value
    browse: dict[str, str] = {}  # argument a detection cannot give -> the list command that discovers it


K8S_ARGUMENTS = {'pod_name': 'pod', 'pod_namespace': 'namespace', 'container_name': 'container'}
AZURE_PLACE = {'subscription_id': 'cloud_account', 'resource_group': 'resource_group'}
XDR_DEVICE_ACQUISITION = Classification('cado-xdr-device-acquire', {'device_id': 'id', 'provider': 'provider'})
AZURE_BROWSE = {'subscription_id': 'cado-azure-subscription-list', 'resource_group': 'cado-azure-resource-group-list'}
GCP_PROJECT_BROWSE = 'cado-gcp-project-list'


def kubernetes_browse(prefix: str) -> dict[str, str]:
    """The list commands that name a container's cluster, pod and container (`prefix`: e.g. cado-aws-eks)."""
    return {'cluster_name': f'{prefix}-cluster-list', 'pod_name': f'{prefix}-pod-list',
            'pod_namespace': f'{prefix}-pod-list', 'container_name': f'{prefix}-container-list'}


CLASSIFICATIONS: dict[tuple[str, str], Classification] = {
    ('aws', 'ec2'): Classification('cado-aws-ec2-acquire', {'instance_id': 'id', 'region': 'region'}),
    ('aws', 's3'): Classification('cado-aws-s3-acquire', {'bucket': 'id'}),
    ('aws', 'lambda'): Classification('cado-aws-lambda-acquire', {'function_name': 'id', 'region': 'region'}),
    ('aws', 'ecs'): Classification('cado-aws-ecs-acquire', {'cluster_name': 'cluster', 'region': 'region',
                                                            'task_name': 'task', 'container_name': 'container'},
                                   {'cluster_name': 'cado-aws-ecs-cluster-list', 'task_name': 'cado-aws-ecs-task-list',
                                    'container_name': 'cado-aws-ecs-container-list'}),
    ('aws', 'eks'): Classification('cado-aws-eks-acquire', {'cluster_name': 'cluster', 'region': 'region',
                                                            **K8S_ARGUMENTS}, kubernetes_browse('cado-aws-eks')),
    ('gcp', 'gce'): Classification('cado-gcp-gce-acquire', {'instance_name': 'id', 'instance_project': 'cloud_account',
                                                            'zone': 'zone'},
                                   {'gcs_bucket': 'cado-gcp-gcs-bucket-list', 'instance_project': GCP_PROJECT_BROWSE,
                                    'gcs_project': GCP_PROJECT_BROWSE}),
    ('gcp', 'gcs'): Classification('cado-gcp-gcs-acquire', {'bucket': 'id', 'gcp_project': 'cloud_account'},
                                   {'gcp_project': GCP_PROJECT_BROWSE}),
    ('gcp', 'gke'): Classification('cado-gcp-gke-acquire', {'cluster_name': 'cluster', 'gcp_project': 'cloud_account',
                                                            'zone': 'zone', **K8S_ARGUMENTS},
                                   {'gcp_project': GCP_PROJECT_BROWSE, 'zone': 'cado-gcp-gke-cluster-list',
                                    **kubernetes_browse('cado-gcp-gke')}),
    ('azure', 'vm'): Classification('cado-azure-vm-acquire', {'vm_name': 'id', **AZURE_PLACE}, AZURE_BROWSE),
    ('azure', 'disk'): Classification('cado-azure-disk-acquire', {'disk_name': 'id', **AZURE_PLACE},
                                      {**AZURE_BROWSE, 'resource_group': 'cado-azure-disk-list'}),
    ('azure', 'blob'): Classification('cado-azure-blob-acquire', {'storage_account_name': 'id',
                                                                  'subscription_id': 'cloud_account'},
                                      {'subscription_id': AZURE_BROWSE['subscription_id'],
                                       'storage_account_name': 'cado-azure-storage-account-list',
                                       'container_name': 'cado-azure-storage-container-list',
                                       'blob_name': 'cado-azure-blob-list'}),
    ('azure', 'aks'): Classification('cado-azure-aks-acquire', {'cluster_name': 'cluster', **AZURE_PLACE,
                                                                **K8S_ARGUMENTS},
                                     {**AZURE_BROWSE, **kubernetes_browse('cado-azure-aks')}),
    **{(provider, 'device'): XDR_DEVICE_ACQUISITION for provider in XDR_PROVIDERS},
    ('darktrace', 'endpoint'): Classification('cado-darktrace-endpoint-acquire', {'device_id': 'id'},
                                              {'appliance_name': 'cado-darktrace-appliance-list'}),
    ('url', 'url'): Classification('cado-url-acquire', {'url': 'id'}),
}
BROWSE_FOR_ANY = {'account': 'cado-cloud-account-list'}
RESOURCE_PROVIDERS = ('aws', 'gcp', 'azure', *XDR_PROVIDERS, 'darktrace', 'url')
# The one resource type of a provider that is not a cloud.
PROVIDER_TYPES = {**{provider: 'device' for provider in XDR_PROVIDERS}, 'darktrace': 'endpoint', 'url': 'url'}
CLUSTER_TYPES = ('ecs', 'eks', 'gke', 'aks')
# Resource type names used elsewhere (GuardDuty's Resource.ResourceType) and the Cado type they mean.
RESOURCE_TYPES = {**{type_: type_ for _, type_ in CLASSIFICATIONS}, 'instance': 'ec2', 's3bucket': 's3',
                  'ekscluster': 'eks', 'ecscluster': 'ecs'}
# The provider of a detection source's resources when no identifier names a cloud (Wiz spans clouds: its raw event
# names the platform; Defender for Cloud names Azure resources by their resource IDs).
SOURCE_PROVIDERS = {'guardduty': 'aws', 'crowdstrike': 'crowdstrike', 'defender': 'defender', 'darktrace': 'darktrace'}
# Where each source's native finding (a detection's raw_event, a JSON text) keeps what an acquisition needs. Keys
# are matched without regard to case: GuardDuty's API writes AccountId, its EventBridge events accountId.
RAW_EVENT_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    'guardduty': {
        'region': ('Region',), 'cloud_account': ('AccountId',), 'type': ('Resource.ResourceType',),
        'id': ('Resource.InstanceDetails.InstanceId', 'Resource.S3BucketDetails.Name',
               'Resource.LambdaDetails.FunctionName', 'Resource.EksClusterDetails.Name',
               'Resource.EcsClusterDetails.Name'),
        'cluster': ('Resource.EksClusterDetails.Name', 'Resource.EcsClusterDetails.Name'),
        'task': ('Resource.EcsClusterDetails.TaskDetails.Arn',),
        'pod': ('Resource.KubernetesDetails.KubernetesWorkloadDetails.Name',),
        'namespace': ('Resource.KubernetesDetails.KubernetesWorkloadDetails.Namespace',),
        'container': ('Resource.KubernetesDetails.KubernetesWorkloadDetails.Containers.Name',
                      'Resource.EcsClusterDetails.TaskDetails.Containers.Name'),
    },
    'wiz': {'provider': ('entitySnapshot.cloudPlatform',), 'full_id': ('entitySnapshot.providerId',),
            'region': ('entitySnapshot.region',), 'cloud_account': ('entitySnapshot.subscriptionExternalId',)},
    'defender': {'id': ('machineId',), 'full_id': ('properties.resourceIdentifiers.azureResourceId',)},
    'crowdstrike': {'id': ('device.device_id',)},
}
ARN_RE = re.compile(r'arn:aws[\w-]*:([\w-]+):([\w-]*):(\d*):(\S+)')
EC2_INSTANCE_RE = re.compile(r'i-(?:[0-9a-f]{8}|[0-9a-f]{17})')
GCP_PATH_RE = re.compile(r'(?://[\w.-]+/)?projects/([\w.:-]+)/(zones|locations|regions)/([\w-]+)/(instances|clusters)/'
                         r'([\w.-]+)')
GCP_ZONE_RE = re.compile(r'[a-z]+-[a-z]+\d+-[a-z]')
GCS_RE = re.compile(r'(?:gs://|//storage\.googleapis\.com/(?:projects/[^/]+/buckets/)?)([\w.-]+)/?')
AZURE_ID_RE = re.compile(r'/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/(Microsoft\.\w+/\w+)/([^/]+)',
                         re.IGNORECASE)
AZURE_TYPES = {'microsoft.compute/virtualmachines': 'vm', 'microsoft.compute/disks': 'disk',
               'microsoft.storage/storageaccounts': 'blob', 'microsoft.containerservice/managedclusters': 'aks'}

''' OUTPUT SPECS: context prefix, key and the readable table of each entity '''


class Entity(NamedTuple):
    prefix: str
    key: str
    title: str
    columns: tuple[tuple[str, str], ...]  # (table header, dotted path in the context object)


class Output(NamedTuple):
    path: str  # below the entity's prefix
    type: str  # String | Number | Boolean | Date | Unknown
    description: str


PROJECT = Entity('Cado.Project', 'id', 'Cado projects', (
    ('id', 'id'), ('name', 'details.name'), ('status', 'details.status'), ('malicious_alarms', 'alarms.malicious'),
    ('suspicious_alarms', 'alarms.suspicious'), ('evidences', 'evidences'), ('created', 'created'),
    ('last_acquisition', 'last_acquisition')))
ACQUISITION = Entity('Cado.Acquisition', 'pipeline_id', 'Cado acquisition', (
    ('pipeline_id', 'pipeline_id'), ('source', 'source'), ('resource_id', 'resource_id'),
    ('project_id', 'project_id'), ('status', 'status'), ('processing_pipeline_id', 'processing_pipeline_id'),
    ('processing_status', 'processing_status'), ('alarm_count', 'alarm_count'),
    ('detection_count', 'detection_count'), ('evidence_id', 'evidence_id'), ('created', 'created')))
# The one Cado.Acquisition shape every acquisition command documents (tools/generate_yaml.py writes it in the YAML).
ACQUISITION_OUTPUTS = (
    Output('pipeline_id', 'Number', 'ID of the acquisition pipeline (the first one when the import started several).'),
    Output('pipeline_ids', 'Unknown', 'IDs of every pipeline the import started.'),
    Output('project_id', 'Number', 'ID of the project the resource is acquired into.'),
    Output('source', 'String', 'What was acquired, e.g. AWS EC2.'),
    Output('resource_id', 'String', 'The acquired resource, as named in the command.'),
    Output('status', 'String',
           'Outcome of the acquisition: submitted (Cado accepted the import; nothing read back yet), or, when '
           'polling ends, complete (every pipeline, and with wait_for_processing every processing pipeline, '
           'complete), failed (any failed), cancelled, or timeout (polling gave up while a pipeline still ran).'),
    Output('processing_pipeline_id', 'Number',
           'ID of the processing pipeline that followed the first acquisition pipeline (wait_for_processing).'),
    Output('processing_status', 'String',
           'Outcome of the processing pipelines found (wait_for_processing): complete when every one is, failed,'
           ' cancelled, or in_progress; absent when none started.'),
    Output('failed_pipeline_id', 'Number',
           'When the acquisition did not complete, the pipeline (acquisition or processing) that failed, was '
           'cancelled or was still running at the timeout.'),
    Output('failed_subtask', 'String', 'The subtask of that pipeline that failed, was cancelled or was still running.'),
    Output('reason', 'String', "Why it stopped, in Cado's last progress message for that subtask."),
    Output('pipelines.id', 'Number', 'ID of one acquisition pipeline of the import (once polled).'),
    Output('pipelines.name', 'String', 'What that pipeline acquires (its evidence name, or the pipeline name).'),
    Output('pipelines.status', 'String',
           'State Cado reports for that acquisition pipeline: queued, in_progress, complete, failed or '
           'cancelled.'),
    Output('pipelines.created', 'Date', 'When that acquisition pipeline was created.'),
    Output('pipelines.evidence_id', 'Number', 'ID of the evidence that pipeline produced.'),
    Output('pipelines.processing_pipeline_id', 'Number',
           'ID of the processing pipeline that followed it (wait_for_processing).'),
    Output('pipelines.processing_status', 'String', 'State Cado reports for that processing pipeline.'),
    Output('pipelines.failed_subtask', 'String',
           'The subtask where that pipeline failed, was cancelled or is running.'),
    Output('pipelines.reason', 'String', "Cado's last progress message for that subtask."),
    Output('alarm_count', 'Number',
           'Number of alarms found in the acquired evidence items (wait_for_processing, when processing '
           'completed and Cado named the evidence; absent otherwise).'),
    Output('detection_count', 'Number',
           'Number of detections of every type in the project once processing completed (wait_for_processing).'),
    Output('evidence_id', 'Number', 'ID of the evidence the acquisition produced.'),
    Output('created', 'Date', 'When the acquisition pipeline was created.'),
)
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
CLASSIFICATION = Entity('Cado.Classification', 'resource_id', 'Cado acquisition for the resource', (
    ('resource_id', 'resource_id'), ('provider', 'provider'), ('resource_type', 'resource_type'), ('command', 'command'),
    ('arguments', 'shown_arguments'), ('ready', 'ready'), ('missing', 'missing'), ('browse_command', 'browse_command')))
EXISTING_ACQUISITION = Entity('Cado.Detection.existing_acquisitions', 'pipeline_id',
                              'Acquisitions Cado already made of the resource', (
                                  ('created', 'created'), ('acquired', 'acquired'), ('pipeline_id', 'pipeline_id'),
                                  ('evidence_id', 'evidence_id'), ('reason', 'reason')))
WEBHOOK = Entity('Cado.Webhook', 'id', 'Cado webhooks', (
    ('id', 'id'), ('name', 'name'), ('event_type', 'event_type'), ('payload_type', 'payload_type'), ('url', 'url'),
    ('enabled', 'enabled'), ('times_sent', 'times_sent'), ('last_sent', 'last_sent')))
FILE = Entity('Cado.File', 'path', 'Cado files', (
    ('name', 'name'), ('path', 'path'), ('type', 'type'), ('severity', 'severity'), ('is_deleted', 'is_deleted'),
    ('last_modified', 'last_modified'), ('id', 'id')))
FILE_DETAILS = Entity('Cado.File', 'path', 'Cado file', (
    ('path', 'path'), ('id', 'id'), ('sha256', 'sha256'), ('file_size', 'file_size'), ('downloadable', 'downloadable'),
    ('is_deleted', 'is_deleted'), ('indicators', 'indicators.description'), ('ai_description', 'ai_description')))
DELIVERED_FILE = Entity('Cado.FileDownload', 'sha256', 'Files delivered to the War Room', (
    ('name', 'name'), ('size', 'size'), ('sha256', 'sha256'), ('unzipped', 'unzipped'),
    ('password_protected', 'password_protected')))
ECS_CLUSTER = Entity('Cado.ECSCluster', 'cluster_name', 'AWS ECS clusters', (('cluster_name', 'cluster_name'),))
ECS_TASK = Entity('Cado.ECSTask', 'task_name', 'AWS ECS tasks', (('task_name', 'task_name'), ('importable', 'importable')))
ECS_CONTAINER = Entity('Cado.ECSContainer', 'container_name', 'AWS ECS containers', (
    ('container_name', 'container_name'), ('is_online', 'is_online')))


def kubernetes_entities(service: str, cloud: str, *cluster_columns: str) -> tuple[Entity, Entity, Entity]:
    """The clusters, pods and containers of a managed Kubernetes service (EKS, GKE, AKS)."""
    return (Entity(f'Cado.{service}Cluster', 'cluster_name', f'{cloud} {service} clusters',
                   tuple((column, column) for column in ('cluster_name', *cluster_columns, 'is_private'))),
            Entity(f'Cado.{service}Pod', 'pod_name', f'{cloud} {service} pods', (
                ('pod_name', 'pod_name'), ('pod_namespace', 'pod_namespace'))),
            Entity(f'Cado.{service}Container', 'container_name', f'{cloud} {service} containers', (
                ('container_name', 'container_name'), ('container_image', 'container_image'))))


DARKTRACE_APPLIANCE = Entity('Cado.DarktraceAppliance', 'product_id', 'Darktrace csensor appliances', (
    ('name', 'name'), ('product_id', 'product_id'), ('url', 'url'), ('deployment_id', 'deployment_id'),
    ('tunnel_state', 'tunnel_state'), ('internet_enabled', 'internet_enabled')))
AZURE_SUBSCRIPTION = Entity('Cado.AzureSubscription', 'id', 'Azure subscriptions', (('id', 'id'), ('name', 'name')))
AZURE_RESOURCE_GROUP = Entity('Cado.AzureResourceGroup', 'name', 'Azure resource groups', (('name', 'name'),))
AZURE_STORAGE_ACCOUNT = Entity('Cado.AzureStorageAccount', 'name', 'Azure storage accounts', (('name', 'name'),))
AZURE_STORAGE_CONTAINER = Entity('Cado.AzureStorageContainer', 'name', 'Azure storage containers', (('name', 'name'),))
AZURE_BLOB = Entity('Cado.AzureBlob', 'name', 'Azure storage blobs', (('name', 'name'), ('size', 'size')))
GCP_PROJECT = Entity('Cado.GCPProject', 'gcp_project_id', 'GCP projects', (
    ('gcp_project_id', 'gcp_project_id'), ('gcp_project_name', 'gcp_project_name')))
GCS_OBJECT = Entity('Cado.GCSObject', 'name', 'GCP GCS objects', (
    ('name', 'name'), ('type', 'type'), ('size', 'size'), ('storage_class', 'storage_class'),
    ('last_modified', 'last_modified')))
TIMELINE_EVENT = Entity('Cado.TimelineEvent', 'id', 'Cado timeline events', (
    ('id', 'id'), ('timestamp', 'timestamp'), ('host', 'host'), ('summary', 'short'), ('evidence', 'evidence_name'),
    ('alarm_severity', 'alarm_severity'), ('alarm_descriptions', 'alarm_descriptions'), ('attack', 'attack')))
# One entry per facet field: the values of several facets never overwrite each other in context. The table has a
# row per value.
TIMELINE_FACET = Entity('Cado.TimelineFacet', 'facet_field', 'Cado timeline facet counts', (
    ('value', 'values.value'), ('count', 'values.count')))
VULNERABILITY = Entity('Cado.Vulnerability', 'id', 'Cado vulnerabilities', (
    ('cve', 'cve'), ('severity', 'severity'), ('package', 'pkg_name'), ('installed_version', 'installed_version'),
    ('fixed_version', 'fixed_version'), ('package_in_use', 'package_in_use'), ('evidence', 'evidence_name'),
    ('title', 'title')))
HOST_DEPLOYMENT = Entity('Cado.HostDeployment', 'id', 'Cado Host deployment command', (
    ('project_id', 'project_id'), ('os', 'os'), ('deployment', 'deployment'), ('command', 'command'),
    ('upload_path', 'cloud_storage_info.path')))
HOST_DOWNLOAD = Entity('Cado.HostDownload', 'os', 'Cado Host download link', (('os', 'os'), ('link', 'link')))
CLOUDGREP_MATCH = Entity('Cado.CloudgrepMatch', 'filename', 'Cado cloudgrep matches', (
    ('filename', 'filename'), ('total_matches', 'total_matches'), ('matched_lines', 'matched_lines')))
SCRIPT = Entity('Cado.Script', 'id', 'Cado saved scripts', (
    ('id', 'id'), ('name', 'name'), ('os', 'os'), ('description', 'description'),
    ('input_uri', 'script_input_uri'), ('output_uri', 'script_output_uri'), ('updated', 'updated_datetime')))
IOC_RULE = Entity('Cado.IOCRule', 'key', 'Cado custom IOC rules', (
    ('line', 'line'), ('value', 'value'), ('type', 'type'), ('title', 'title'), ('scope', 'scope'),
    ('project_id', 'project_id')))
IOC_RULE_PUSH = IOC_RULE._replace(columns=(('value', 'value'), ('type', 'type'), ('status', 'status'),
                                           ('title', 'title')))
TIMELINE_NOTE = Entity('Cado.TimelineNote', 'id', 'Cado timeline note', (
    ('id', 'id'), ('event_id', 'event_id'), ('type', 'note.type'), ('text', 'note.text'),
    ('evidence_id', 'evidence_id'), ('created', 'created')))


class Listing(NamedTuple):
    endpoint: str  # ENDPOINTS key and Client method
    entity: Entity
    filters: tuple[Field, ...]
    paging: str  # page | cursor (per_page accepted) | cursor_unsized (the endpoint takes no per_page) | none (one answer)


DETECTION_TYPE = 'Detection type. Default is alert.'
SEVERITY_FILTERS = (
    Field('severity', 'severity', 'list', choices=SEVERITIES, description='Comma-separated severities to include.'),
    Field('impact', 'impact', 'list', choices=SEVERITIES, description='Comma-separated impacts to include.'))
DETECTION_ORDER = ('Sort order; a leading "-" sorts descending. Default is -id (newest first), an order with no ties. '
                   'Orders by source, resource_id or severity have ties that Cado breaks arbitrarily, so pages can skip '
                   f'or repeat detections. Read such an order in one request (limit or page_size at most {MAX_PAGE_SIZE}).')
GROUP_ORDER = ('Sort order; a leading "-" sorts descending. Default is -created_datetime (the time of the group\'s first '
               'detection, newest first), because Cado offers no order by id for groups. Orders with ties (source, '
               'resource_id, severity, and rarely the times) are broken arbitrarily by Cado, so pages can skip or repeat '
               f'groups. Read such an order in one request (limit or page_size at most {MAX_PAGE_SIZE}).')
NEWEST_FIRST = 'Sort order. Default is -id (newest first).'
BROWSED_SUBSCRIPTION = 'ID of the Azure subscription to browse.'
BROWSED_GCP_PROJECT = 'ID of the GCP project to browse.'
BUCKET_PREFIX = 'Only buckets whose name starts with this prefix.'
TIMELINE_PROJECT = "ID of the project whose timeline to read. Defaults to the instance's Default project ID."
TIMELINE_QUERY = Field('search_text', 'search_text',
                       description='Timeline search query, in the syntax of the search box of Cado\'s timeline. If '
                                   'empty, every event.')
TIMELINE_FACET_FIELDS = (
    'evidence_id', 'alarm_severity', 'is_starred', 'has_comment', 'source_hostname', 'destination_hostname',
    'executed_process', 'user', 'filename', 'sourcetype', 'source', 'macb', 'tag', 'event_id', 'type', 'host', 'format',
    'alarm_description', 'alarm_attack', 'auto_investigate_score', 'day')


BROWSED_CLUSTER = Field('cluster_name', 'cluster_name', required=True, description='Name of the cluster to browse.')
ECS_PLACE = (account_field('account_name', required=False, description=account_description('AWS')),
             region_field(description=BROWSED_REGION))
AZURE_BROWSED_SUBSCRIPTION = (account_field('account_name', description=account_description('Azure')),
                              Field('subscription_id', 'subscription_id', required=True, description=BROWSED_SUBSCRIPTION))
BROWSED_STORAGE_ACCOUNT = Field('storage_account_name', 'storage_account_name', required=True,
                                description='Name of the Azure storage account to browse.')


def kubernetes_listings(cloud: str, service: str, place: tuple[Field, ...], cluster_place: tuple[Field, ...] = (),
                        *cluster_columns: str) -> tuple[Listing, Listing, Listing]:
    """The cluster, pod and container listings of a managed Kubernetes service: each level needs the names of the
    levels above it (`cluster_place`: what besides its name locates a cluster, such as a GKE cluster's zone)."""
    cluster, pod, container = kubernetes_entities(service.upper(), cloud, *cluster_columns)
    pod_place = (*place, BROWSED_CLUSTER, *cluster_place)
    return (Listing(f'list_{service}_clusters', cluster, place, 'page'),
            Listing(f'list_{service}_pods', pod, pod_place, 'page'),
            Listing(f'list_{service}_containers', container, (
                *pod_place,
                Field('pod_name', 'pod_name', required=True, description='Name of the pod whose containers to list.'),
                Field('pod_namespace', 'pod_namespace', required=True, description='Namespace of the pod.')), 'page'))


EKS_CLUSTERS, EKS_PODS, EKS_CONTAINERS = kubernetes_listings('AWS', 'eks', (
    account_field('account_name', description=account_description('AWS')),
    region_field('cluster_region', description=BROWSED_REGION)))
GKE_CLUSTERS, GKE_PODS, GKE_CONTAINERS = kubernetes_listings('GCP', 'gke', (
    account_field('account_name', description=account_description('GCP')),
    Field('gcp_project', 'gcp_project_id', required=True, description=BROWSED_GCP_PROJECT)),
    (Field('zone', 'cluster_zone', required=True, description='GCP zone of the cluster, e.g. europe-west2-b.'),), 'zone')
AKS_CLUSTERS, AKS_PODS, AKS_CONTAINERS = kubernetes_listings('Azure', 'aks', (
    account_field('account_name', description=account_description('Azure')),
    Field('subscription_id', 'subscription_id', required=True, description=BROWSED_SUBSCRIPTION),
    Field('resource_group', 'resource_group', required=True, description='Azure resource group of the clusters.')))


EVIDENCE_FIELD = Field('evidence_id', 'evidence_id', 'int', required=True, example='391',
                       description='ID of the evidence item whose file system to read (see cado-evidence-list).')


def descending_too(*names: str) -> tuple[str, ...]:
    """Sort keys, each also with a leading "-" (descending)."""
    return tuple(f'{sign}{name}' for name in names for sign in ('', '-'))


LISTINGS: dict[str, Listing] = {
    'cado-project-list': Listing('list_projects', PROJECT, (
        Field('name', 'name', description='Only projects with this name.'),
        Field('status', 'status', 'list', choices=PROJECT_STATUSES,
              description='Comma-separated project statuses to include.'),
        Field('project_ids', 'project_id', 'int_list', description='Comma-separated project IDs to include.'),
        Field('created_after', 'created_start_timestamp', 'time',
              description='Only projects created at or after this time: ISO 8601 or relative (7 days ago).'),
        Field('created_before', 'created_end_timestamp', 'time',
              description='Only projects created before this time: ISO 8601 or relative (1 day ago).'),
        Field('get_alarm_summary', 'get_alarm_summary', 'bool',
              description='Whether to include the alarm summary of each project.'),
        Field('order_by', 'order_by', choices=descending_too(
            'created', 'name', 'status', 'id', 'malicious', 'suspicious', 'evidences', 'items_identified',
            'description', 'ai_summary', 'last_acquisition'),
            description='Sort order; a leading "-" sorts descending. Default is -created.')), 'page'),
    'cado-cloud-account-list': Listing('list_accounts', CLOUD_ACCOUNT, (
        Field('account_name', 'account_name', description='Only the account with this name.'),
        Field('type', 'type', 'list', choices=ACCOUNT_TYPES, description='Comma-separated account types to include.'),
        Field('account_check_result', 'account_check_result', choices=('success', 'failure', 'cancelled', 'no_checks'),
              description='Only accounts whose latest account check had this result.')), 'page'),
    'cado-aws-ec2-instance-list': Listing('list_ec2_instances', EC2_INSTANCE, (
        account_field('cloud_id', description=account_description('AWS')), region_field(description=BROWSED_REGION),
        Field('instance_ids', 'instance_id', 'list', description='Comma-separated instance IDs to include.'),
        Field('instance_names', 'instance_name', 'list', description='Comma-separated instance names to include.'),
        Field('state', 'state', 'list', choices=('pending', 'running', 'shutting-down', 'terminated', 'stopping',
                                                 'stopped'),
              description='Comma-separated instance states to include.'),
        Field('ip_addresses', 'ip_address', 'list', description='Comma-separated public IP addresses to include.'),
        Field('os', 'os', description='Only instances with this operating system.'),
        Field('tags', 'tags', 'list', description='Comma-separated key:value tags the instances must have.')),
        'cursor_unsized'),
    'cado-aws-s3-bucket-list': Listing('list_s3_buckets', S3_BUCKET, (
        account_field('cloud_id', description=account_description('AWS')),
        Field('prefix', 'prefix', description=BUCKET_PREFIX)), 'cursor'),
    'cado-aws-s3-object-list': Listing('list_s3_objects', S3_OBJECT, (
        account_field('cloud_id', description=account_description('AWS')),
        Field('bucket', 'bucket_name', required=True, description='Name of the bucket to browse.'),
        Field('prefix', 'prefix', description='Only objects under this prefix (must end with "/").'),
        Field('delimiter', 'delimiter', description='Path delimiter in object keys. Default is "/".'),
        Field('exclude_archived', 'exclude_archived', 'bool',
              description='Whether to exclude archived objects. Default is true.')), 'cursor'),
    'cado-aws-lambda-function-list': Listing('list_lambda_functions', LAMBDA_FUNCTION, (
        account_field('cloud_id', description=account_description('AWS')), region_field(description=BROWSED_REGION)),
        'cursor'),
    'cado-gcp-gce-instance-list': Listing('list_gce_instances', GCE_INSTANCE, (
        account_field('account_name', description=account_description('GCP')),
        Field('gcp_project', 'gcp_project', required=True, description=BROWSED_GCP_PROJECT),
        Field('instance_name', 'instance_name', description='Only the instance with this name.'),
        Field('instance_id', 'instance_id', description='Only the instance with this ID.'),
        Field('state', 'state', choices=('PROVISIONING', 'STAGING', 'RUNNING', 'STOPPING', 'SUSPENDING', 'SUSPENDED',
                                         'REPAIRING', 'TERMINATED'),
              description='Only instances in this state.'),
        Field('labels', 'label', 'list', description='Comma-separated key:value labels the instances must have.')),
        'page'),
    'cado-gcp-gcs-bucket-list': Listing('list_gcs_buckets', GCS_BUCKET, (
        account_field('account_name', description=account_description('GCP')),
        Field('gcp_project', 'gcp_project', required=True, description=BROWSED_GCP_PROJECT),
        Field('prefix', 'bucket_prefix', description=BUCKET_PREFIX)), 'page'),
    'cado-azure-vm-list': Listing('list_azure_vms', AZURE_VM, (
        account_field('account_name', description=account_description('Azure')),
        Field('subscription_id', 'subscription_id', required=True, description=BROWSED_SUBSCRIPTION),
        Field('resource_group', 'resource_group', required=True, description='Azure resource group to browse.'),
        Field('vm_name', 'vm_name', description='Only virtual machines with this name.'),
        Field('tags', 'tags', 'list', description='Comma-separated key:value tags the virtual machines must have.')),
        'page'),
    'cado-azure-disk-list': Listing('list_azure_disks', AZURE_DISK, (
        account_field('account_name', description=account_description('Azure')),
        Field('subscription_id', 'subscription_id', required=True, description=BROWSED_SUBSCRIPTION),
        Field('resource_group', 'resource_group', description='Only disks in this resource group.'),
        Field('disk_name', 'disk_name', description='Only disks with this name.'),
        Field('managed_by', 'managed_by', description='Only disks managed by this virtual machine.')), 'page'),
    'cado-pipeline-list': Listing('list_pipelines', PIPELINE, (
        Field('project_id', 'project_id', 'int', description='Only pipelines of this project.'),
        Field('triggering_pipeline_id', 'triggering_pipeline_id', 'int',
              description='Only pipelines started by this pipeline (for example the processing pipeline that follows '
                          'an acquisition).'),
        Field('evidence_id', 'evidence_id', 'int', description='Only pipelines of this evidence.'),
        Field('status', 'pipeline_status', choices=PIPELINE_STATES, description='Only pipelines in this status.'),
        Field('type', 'type', choices=PIPELINE_TYPES, description='Only pipelines of this type.')), 'page'),
    'cado-detection-list': Listing('list_detections', DETECTION, (
        Field('project_id', 'investigation_id', 'int', description='Only detections in this project.'),
        Field('name', 'name', description='Only detections with this name.'),
        Field('resource_ids', 'resource_id', 'list', description='Comma-separated resource IDs the detections concern.'),
        *SEVERITY_FILTERS,
        Field('project_status', 'status', 'list', choices=PROJECT_STATUSES,
              description="Comma-separated statuses of the detections' projects to include."),
        Field('source', 'source', 'list', choices=DETECTION_SOURCES,
              description='Comma-separated detection sources to include.'),
        Field('detection_type', 'detection_type', choices=DETECTION_TYPES, description=DETECTION_TYPE),
        Field('updated_after', 'updated_start_timestamp', 'time',
              description='Only detections updated at or after this time: ISO 8601 or relative (1 day ago).'),
        Field('updated_before', 'updated_end_timestamp', 'time',
              description='Only detections updated before this time: ISO 8601 or relative (1 hour ago).'),
        # The API's default order (severity) ties, so its pages can skip or repeat detections; id never ties.
        Field('order_by', 'order_by', description=DETECTION_ORDER, default='-id', choices=descending_too(
            'id', 'created_datetime', 'updated_datetime', 'source', 'resource_id', 'severity'))), 'page'),
    'cado-detection-group-list': Listing('list_detection_groups', DETECTION_GROUP, (
        Field('project_name', 'investigation', description='Only groups of the project with this name.'),
        Field('name', 'name', description='Only groups with detections of this name.'),
        Field('resource_ids', 'resource_id', 'list', description='Comma-separated resource IDs the groups concern.'),
        *SEVERITY_FILTERS,
        Field('project_status', 'status', 'list', choices=PROJECT_STATUSES,
              description='Comma-separated project statuses to include.'),
        Field('source', 'source', 'list', description='Comma-separated detection sources to include, e.g. GuardDuty.'),
        Field('detection_type', 'detection_type', choices=('alert', 'incident'), description=DETECTION_TYPE),
        # Groups have no id to order by; their first detection time rarely ties, unlike the default severity.
        Field('order_by', 'order_by', description=GROUP_ORDER, default='-created_datetime', choices=descending_too(
            'created_datetime', 'updated_datetime', 'source', 'resource_id', 'severity'))), 'page'),
    'cado-detection-artifact-list': Listing('list_detection_artifacts', DETECTION_ARTIFACT, (
        project_field('investigation_id', description="ID of the project whose detection artifacts to list. Defaults "
                                                      "to the instance's Default project ID."),
        Field('artifact_type', 'artifact_type', required=True, description='Type of artifact to list.', choices=(
            'file', 'hash', 'process', 'user', 'ip_local', 'ip_remote', 'domain')),
        Field('detection_id', 'detection_id', 'int', description='Only artifacts of this detection.'),
        Field('detection_type', 'detection_type', choices=('alert', 'incident'), description=DETECTION_TYPE)),
        'page'),
    'cado-alarm-list': Listing('list_alarms', ALARM, (
        Field('project_id', 'investigation_id', 'int', description='Only alarms in this project.'),
        Field('evidence_id', 'evidence_id', 'int', description='Only alarms in this evidence.'),
        Field('alarm_type', 'alarm_type', choices=('content', 'event'), description='Only alarms of this type.'),
        Field('alarm_name', 'alarm_name', description='Only alarms with this name.'),
        Field('alarm_severity', 'alarm_severity', 'int_list',
              description='Comma-separated numeric alarm severities to include.'),
        Field('resource', 'resource', description='Only alarms on this resource (evidence hostname).'),
        Field('latest_results', 'latest_results', 'bool', description='Whether to only show the latest scan results.'),
        Field('order_by', 'order_by', choices=('id', '-id'), description=NEWEST_FIRST)), 'page'),
    'cado-evidence-list': Listing('list_evidence', EVIDENCE, (
        Field('project_id', 'project_id', 'int', description='Only evidence in this project.'),
        Field('display_name', 'display_name', description='Only evidence with this display name.'),
        Field('hostname', 'hostname', description='Only evidence from this hostname.'),
        Field('os', 'os', 'list', description='Comma-separated operating systems to include.'),
        Field('capture_type', 'capture_type', description='Only full or triage captures (full, triage).'),
        Field('is_compromised', 'is_compromised', 'bool',
              description='Whether to only include evidence with malicious alarms.'),
        Field('evidence_type', 'evidence_type', 'list', description='Comma-separated evidence types to include.'),
        Field('order_by', 'order_by', choices=('id', '-id', 'display_name', '-display_name'),
              description=NEWEST_FIRST)), 'page'),
    'cado-webhook-list': Listing('list_webhooks', WEBHOOK, (), 'page'),
    'cado-file-search': Listing('browse_files', FILE, (
        EVIDENCE_FIELD,
        Field('path', 'path', description='Only files under this path in the evidence\'s file system, e.g. /etc.'),
        Field('name', 'name', description='Only files with this name.'),
        Field('severity', 'severity', 'int', description='Only files whose highest alarm has this numeric severity.')),
        'page'),
    'cado-directory-list': Listing('list_directory', FILE, (
        EVIDENCE_FIELD,
        Field('directory_id', 'directory_id', 'int',
              description='ID of the directory to list (the id of a folder in an earlier listing).'),
        Field('path', 'path', description='Path of the directory to list, e.g. /var/log. Default is the root.')),
        'page'),
    'cado-aws-ecs-cluster-list': Listing('list_ecs_clusters', ECS_CLUSTER, ECS_PLACE, 'cursor'),
    'cado-aws-ecs-task-list': Listing('list_ecs_tasks', ECS_TASK, (*ECS_PLACE, BROWSED_CLUSTER), 'cursor'),
    'cado-aws-ecs-container-list': Listing('list_ecs_containers', ECS_CONTAINER, (
        *ECS_PLACE, BROWSED_CLUSTER,
        Field('task_name', 'task_name', required=True, description='Name of the ECS task whose containers to list.')),
        'none'),
    'cado-aws-eks-cluster-list': EKS_CLUSTERS,
    'cado-aws-eks-pod-list': EKS_PODS,
    'cado-aws-eks-container-list': EKS_CONTAINERS,
    'cado-gcp-gke-cluster-list': GKE_CLUSTERS,
    'cado-gcp-gke-pod-list': GKE_PODS,
    'cado-gcp-gke-container-list': GKE_CONTAINERS,
    'cado-azure-aks-cluster-list': AKS_CLUSTERS,
    'cado-azure-aks-pod-list': AKS_PODS,
    'cado-azure-aks-container-list': AKS_CONTAINERS,
    'cado-darktrace-appliance-list': Listing('list_darktrace_appliances', DARKTRACE_APPLIANCE, (), 'cursor'),
    'cado-azure-subscription-list': Listing('list_azure_subscriptions', AZURE_SUBSCRIPTION, (
        account_field('account_name', description=account_description('Azure')),
        Field('name', 'subscription_name', description='Only subscriptions with this name.')), 'page'),
    'cado-azure-resource-group-list': Listing('list_azure_resource_groups', AZURE_RESOURCE_GROUP, (
        *AZURE_BROWSED_SUBSCRIPTION,
        Field('name', 'resource_group_name', description='Only resource groups with this name.')), 'page'),
    'cado-azure-storage-account-list': Listing('list_azure_storage_accounts', AZURE_STORAGE_ACCOUNT, (
        *AZURE_BROWSED_SUBSCRIPTION,
        Field('name_filter', 'storage_account_name_filter',
              description="Only storage accounts whose name matches this filter (Cado's storage_account_name_filter)."),
    ), 'page'),
    'cado-azure-storage-container-list': Listing('list_azure_storage_containers', AZURE_STORAGE_CONTAINER, (
        *AZURE_BROWSED_SUBSCRIPTION, BROWSED_STORAGE_ACCOUNT,
        Field('name_filter', 'container_name_filter',
              description="Only containers whose name matches this filter (Cado's container_name_filter).")), 'page'),
    'cado-azure-blob-list': Listing('list_azure_blobs', AZURE_BLOB, (
        *AZURE_BROWSED_SUBSCRIPTION, BROWSED_STORAGE_ACCOUNT,
        Field('container_name', 'container_name', required=True,
              description='Name of the storage container whose blobs to list.')), 'page'),
    'cado-gcp-project-list': Listing('list_gcp_projects', GCP_PROJECT, (
        account_field('account_name', required=False, description=account_description('GCP')),
        Field('name', 'gcp_project_name', description='Only the GCP project with this name.'),
        Field('gcp_project', 'gcp_project_id', description='Only the GCP project with this ID.')), 'page'),
    'cado-gcp-gcs-object-list': Listing('list_gcs_objects', GCS_OBJECT, (
        account_field('account_name', description=account_description('GCP')),
        Field('gcp_project', 'gcp_project', required=True, description=BROWSED_GCP_PROJECT),
        Field('bucket', 'bucket_name', required=True, description='Name of the bucket to browse.'),
        Field('prefix', 'prefix', description='Only objects under this prefix (must end with "/").')), 'page'),
    'cado-timeline-search': Listing('search_timeline', TIMELINE_EVENT, (
        project_field('project_id', description=TIMELINE_PROJECT), TIMELINE_QUERY,
        Field('order_by', 'order_by', choices=('timestamp', '-timestamp'),
              description='Sort order by event time; "-timestamp" is newest first. Default is timestamp (oldest '
                          'first).')), 'cursor'),
    'cado-timeline-facet-list': Listing('list_timeline_facets', TIMELINE_FACET, (
        project_field('project_id', description=TIMELINE_PROJECT),
        Field('facet_field', 'facet_field', required=True, choices=TIMELINE_FACET_FIELDS,
              description='The event field whose values are counted, e.g. alarm_severity or source_hostname.'),
        TIMELINE_QUERY), 'cursor'),
    'cado-vulnerability-list': Listing('list_vulnerabilities', VULNERABILITY, (
        Field('project_id', 'investigation_id', 'int', description='Only vulnerabilities found in this project.'),
        Field('evidence_id', 'evidence_id', 'int', description='Only vulnerabilities found in this evidence.'),
        Field('cve', 'cve', description='Only this CVE, e.g. CVE-2024-3094.'),
        Field('resource', 'resource', description='Only vulnerabilities of this resource.'),
        Field('target', 'target', description='Only vulnerabilities of this target (the scanned file or image).'),
        Field('package', 'package', description='Only vulnerabilities of this package.'),
        Field('title', 'title', description='Only vulnerabilities with this title.'),
        Field('severity', 'severity', 'list', choices=(*SEVERITIES, 'unknown'),
              description='Comma-separated severities to include.'),
        Field('os', 'os', 'list', choices=('Linux', 'Windows', 'MacOS'),
              description='Comma-separated operating systems of the assets to include.'),
        Field('package_in_use', 'package_in_use', 'list', choices=('true', 'false', 'undetermined'),
              description='Comma-separated states of use of the vulnerable package to include (Cado knows the package '
                          'is in use when a file of it was read in the last 60 days).'),
        Field('latest_results', 'latest_results', 'bool', description='Whether to only show the latest scan results.'),
        Field('order_by', 'order_by', choices=('severity', '-severity'),
              description='Sort order. Default is -severity (most severe first). Severities tie, so Cado may order '
                          f'equal ones differently from one page to the next: read such a list in one request (limit '
                          f'or page_size at most {MAX_PAGE_SIZE}).')), 'page'),
    'cado-script-list': Listing('list_scripts', SCRIPT, (
        Field('name', 'name', description='Only the scripts with this name.'),
        Field('os', 'operating_system', choices=('linux', 'windows'),
              description='Only the scripts for this operating system.')), 'page'),
}

XDR_DEVICE_FILTERS = (Field('hostname', 'hostname'), Field('os', 'os'))
XDR_LISTINGS: dict[str, Listing] = {
    **{provider: Listing(f'list_{provider}_devices', XDR_DEVICE, (account_field('account_name'), *XDR_DEVICE_FILTERS),
                         'cursor')
       for provider in XDR_PROVIDERS},
    'darktrace': Listing('list_darktrace_devices', XDR_DEVICE, (
        Field('appliance_name', 'selected_appliance', required=True), *XDR_DEVICE_FILTERS), 'cursor'),
}


class Export(NamedTuple):
    endpoint: str  # ENDPOINTS key and Client method
    file_name: str  # formatted with the query parameters sent
    fields: tuple[Field, ...]


EXPORTS: dict[str, Export] = {
    'cado-timeline-export': Export('export_timeline', 'cado_timeline_project_{project_id}.csv', (
        project_field('project_id', description=TIMELINE_PROJECT), TIMELINE_QUERY)),
    'cado-alarm-export': Export('export_alarms', 'cado_alarms_evidence_{evidence_id}.zip', (
        Field('evidence_id', 'evidence_id', 'int', required=True),)),
    'cado-detection-export': Export('export_detections', 'cado_detections.csv', (
        Field('project_id', 'project_id', 'int'), Field('detection_type', 'detection_type', choices=('alert', 'incident')),
        Field('from_date', 'from_date', 'time'), Field('to_date', 'to_date', 'time'))),
}

''' CLIENT '''


class Sink(NamedTuple):
    """Where a file endpoint's body goes, and how many bytes it may hold."""
    file: BinaryIO
    max_bytes: int | None  # None: no limit
    what: str  # what the body is, for the size error: 'the file' | 'the logs' | 'the export'


class CadoApiError(DemistoException):
    """An error the Cado platform (or the way to it) returned, already phrased for an analyst."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status  # the HTTP status Cado answered with, when it answered


class Client(BaseClient):
    """One method per Cado endpoint; each returns the decoded response envelope."""

    def __init__(self, base_url: str, api_key: str, verify: bool, proxy: bool, timeout: int,
                 default_account: str | None = None, default_region: str | None = None,
                 default_project: int | None = None, webhook_credentials: tuple[str, str] = ('', ''),
                 reliability: str = DBotScoreReliability.B):
        # Analysts often paste the API root; every path below already starts with /api/v3.
        base_url = re.sub(r'(/api/v3)?/*$', '', base_url.strip())
        super().__init__(base_url=base_url, verify=verify, proxy=proxy,
                         headers={'Authorization': f'Bearer {api_key}', 'Accept': 'application/json'})
        self.timeout = timeout
        self._secrets = secrets_of(api_key, webhook_credentials[1])
        self.defaults = {'account': default_account, 'region': default_region, 'project': default_project}
        # Generic Webhook's username and password, which the webhook commands put in the URL Cado posts to.
        self.webhook_credentials = webhook_credentials
        self.reliability = reliability  # the DBotScore reliability of the indicators Cado reports
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
              body: Any = None, sink: Sink | None = None, secrets: tuple[str, ...] = ()) -> dict[str, Any]:
        """The decoded envelope; for a file endpoint, the body streamed into `sink` and its size and sha256. Errors
        mask the client's secrets and `secrets` (a request's own, which an error may quote with its URL)."""
        endpoint = ENDPOINTS[name]
        secrets = (*self._secrets, *secrets)
        # Path parameters are encoded whole, so an id can never add a segment, a query or a fragment.
        path = endpoint.path.format(**{key: quote(str(value), safe='') for key, value in (path_args or {}).items()})
        if params:
            # requests would write Python booleans as "True"; the contract's boolean query parameters take "true".
            params = {key: str(value).lower() if isinstance(value, bool) else value for key, value in params.items()}
        status = None
        try:
            # Redirects are not followed: the API key must never be sent on to another origin.
            # A file endpoint answers its file's type (Cado refuses a download that accepts only JSON, HTTP 406).
            headers = {**self._headers, 'Accept': '*/*'} if sink is not None else None
            response = self._http_request(
                endpoint.method, path, params=params, json_data=body, headers=headers, resp_type='response',
                timeout=self.timeout, error_handler=partial(raise_for_response, endpoint, path_args or {}, secrets),
                allow_redirects=False, stream=sink is not None)
            if sink is not None:
                return save_body(endpoint, response, sink, secrets)
            return redact(decode_response(endpoint, response, secrets), secrets)
        except CadoApiError as e:
            failure, status = str(e), e.status
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
        raise CadoApiError(redact(failure, secrets), status)

    # System
    def system_status(self) -> dict:
        return self._call('system_status')

    def whoami(self) -> dict:
        return self._call('whoami')

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

    # Files and evidence
    def browse_files(self, params: dict) -> dict:
        return self._call('browse_files', params=params)

    def list_directory(self, params: dict) -> dict:
        return self._call('list_directory', params=params)

    def get_file(self, params: dict) -> dict:
        return self._call('get_file', params=params)

    def download_file(self, params: dict, sink: Sink) -> dict:
        password = params.get('encryption_password') or ''
        return self._call('download_file', params=params, sink=sink,
                          secrets=tuple(dict.fromkeys(secret for secret in (password, quote_plus(password)) if secret)))

    def get_pipeline_logs(self, pipeline_id: int, sink: Sink) -> dict:
        return self._call('get_pipeline_logs', {'id': pipeline_id}, sink=sink)

    def process_evidence(self, body: dict) -> dict:
        return self._call('process_evidence', body=body)

    def generate_evidence_url(self, evidence_id: int, download_type: str) -> dict:
        return self._call('generate_evidence_url', {'evidence_id': evidence_id, 'download_type': download_type})
    # Browsing for the names that container, appliance and storage acquisitions need
    def list_ecs_clusters(self, params: dict) -> dict:
        return self._call('list_ecs_clusters', params=params)

    def list_ecs_tasks(self, params: dict) -> dict:
        return self._call('list_ecs_tasks', params=params)

    def list_ecs_containers(self, params: dict) -> dict:
        return self._call('list_ecs_containers', params=params)

    def list_eks_clusters(self, params: dict) -> dict:
        return self._call('list_eks_clusters', params=params)

    def list_eks_pods(self, params: dict) -> dict:
        return self._call('list_eks_pods', params=params)

    def list_eks_containers(self, params: dict) -> dict:
        return self._call('list_eks_containers', params=params)

    def list_gke_clusters(self, params: dict) -> dict:
        return self._call('list_gke_clusters', params=params)

    def list_gke_pods(self, params: dict) -> dict:
        return self._call('list_gke_pods', params=params)

    def list_gke_containers(self, params: dict) -> dict:
        return self._call('list_gke_containers', params=params)

    def list_aks_clusters(self, params: dict) -> dict:
        return self._call('list_aks_clusters', params=params)

    def list_aks_pods(self, params: dict) -> dict:
        return self._call('list_aks_pods', params=params)

    def list_aks_containers(self, params: dict) -> dict:
        return self._call('list_aks_containers', params=params)

    def list_darktrace_appliances(self, params: dict) -> dict:
        return self._call('list_darktrace_appliances', params=params)

    def list_azure_subscriptions(self, params: dict) -> dict:
        return self._call('list_azure_subscriptions', params=params)

    def list_azure_resource_groups(self, params: dict) -> dict:
        return self._call('list_azure_resource_groups', params=params)

    def list_azure_storage_accounts(self, params: dict) -> dict:
        return self._call('list_azure_storage_accounts', params=params)

    def list_azure_storage_containers(self, params: dict) -> dict:
        return self._call('list_azure_storage_containers', params=params)

    def list_azure_blobs(self, params: dict) -> dict:
        return self._call('list_azure_blobs', params=params)

    def list_gcp_projects(self, params: dict) -> dict:
        return self._call('list_gcp_projects', params=params)

    def list_gcs_objects(self, params: dict) -> dict:
        return self._call('list_gcs_objects', params=params)

    # Timeline
    def search_timeline(self, params: dict) -> dict:
        return self._call('search_timeline', params=params)

    def list_timeline_facets(self, params: dict) -> dict:
        return self._call('list_timeline_facets', params=params)

    def create_notes(self, body: dict) -> dict:
        return self._call('create_notes', body=body)

    def remove_notes(self, body: dict) -> dict:
        return self._call('remove_notes', body=body)

    # Vulnerabilities
    def list_vulnerabilities(self, params: dict) -> dict:
        return self._call('list_vulnerabilities', params=params)

    # File exports, written to `sink`
    def export_timeline(self, params: dict, sink: Sink) -> dict:
        return self._call('export_timeline', params=params, sink=sink)

    def export_alarms(self, params: dict, sink: Sink) -> dict:
        return self._call('export_alarms', params=params, sink=sink)

    def export_detections(self, params: dict, sink: Sink) -> dict:
        return self._call('export_detections', params=params, sink=sink)

    # Remote response
    def list_scripts(self, params: dict) -> dict:
        return self._call('list_scripts', params=params)

    def run_remote_script(self, body: dict) -> dict:
        return self._call('run_remote_script', body=body)

    def search_cloudgrep(self, body: dict) -> dict:
        return self._call('search_cloudgrep', body=body)

    # Cado Host
    def generate_host_command(self, body: dict) -> dict:
        return self._call('generate_host_command', body=body)

    def get_host_download_link(self, params: dict) -> dict:
        return self._call('get_host_download_link', params=params)

    # Custom IOC rules (a project's own: get_project and update_project)
    def get_intelligence(self) -> dict:
        return self._call('get_intelligence', params={'ioc': True, 'yara': False})

    def update_intelligence(self, body: dict) -> dict:
        return self._call('update_intelligence', body=body)

    # Single notes
    def update_note(self, note_id: int, body: dict) -> dict:
        return self._call('update_note', {'note_id': note_id}, body=body)

    def delete_note(self, note_id: int) -> dict:
        return self._call('delete_note', {'note_id': note_id})

    # Users
    def list_users(self, params: dict) -> dict:
        return self._call('list_users', params=params)


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


def was_retried(response: requests.Response) -> bool:
    """Whether urllib3 resent the request before this answer. Asked of the answer itself, not of the method: an
    older BaseClient remounts its own adapter, without our retries, on every call."""
    return bool(getattr(getattr(response.raw, 'retries', None), 'history', None))


def raise_for_response(endpoint: Endpoint, path_args: dict[str, Any], secrets: tuple[str, ...],
                       response: requests.Response) -> None:
    status = response.status_code
    details = error_details(response, secrets)
    if status == 401:
        message = ('Cado rejected the API key (HTTP 401). Check the API Key in the instance settings: it may be '
                   'mistyped, revoked or expired.')
    elif status == 403:
        message = (f'The API key\'s role may not {endpoint.action} (HTTP 403). This needs a key with one of these '
                   f'roles: {", ".join(endpoint.roles)}. {endpoint.hint}').strip()
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
        retried = ' after retrying' if was_retried(response) else ''
        message = (f'The Cado platform failed to {endpoint.action} (HTTP {status}){retried}. It may be updating or '
                   'overloaded: try again later, and check its status page if it persists.')
    else:
        message = f'Cado answered HTTP {status} when asked to {endpoint.action}.'
    raise CadoApiError(f'{message} {details}'.strip(), status)


def refuse_redirect(endpoint: Endpoint, response: requests.Response) -> None:
    if response.is_redirect:
        raise CadoApiError(f'Cado answered {endpoint.method} {endpoint.path} with a redirect (HTTP '
                           f'{response.status_code}) to {response.headers.get("Location")}. Set the Server URL to the '
                           'address the platform redirects to (the API key is not sent across redirects).')


def decode_response(endpoint: Endpoint, response: requests.Response, secrets: tuple[str, ...]) -> dict[str, Any]:
    refuse_redirect(endpoint, response)
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
                'list': isinstance(data, list) and all(isinstance(item, dict) for item in data),
                'names': isinstance(data, list) and all(isinstance(item, str) for item in data)}.get(endpoint.data, True)
    if not shape_ok:
        expected = {'object': 'a JSON object', 'names': 'a list of names'}.get(endpoint.data, 'a list of JSON objects')
        raise CadoApiError(f'Cado answered {endpoint.method} {endpoint.path} with a "data" that is not {expected}: '
                           f'{excerpt(data, secrets)}. The platform version may not match the integration.')
    return envelope


def exceeds(max_bytes: int | None, size: int) -> bool:
    return max_bytes is not None and size > max_bytes


def too_large(sink: Sink, size: int) -> CadoApiError:
    return CadoApiError(f'{sink.what.capitalize()} from Cado is larger than the max_size_mb limit of '
                        f'{(sink.max_bytes or 0) // MEGABYTE} MB (at least {size:,} bytes), so it was not delivered: '
                        'raise max_size_mb to take it into the War Room.')


def write_chunks(chunks: Iterator[bytes], sink: Sink) -> dict[str, Any]:
    """Writes chunks into the sink, stopping before its size limit is passed: the size and sha256 written."""
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if exceeds(sink.max_bytes, size):
            raise too_large(sink, size)
        digest.update(chunk)
        sink.file.write(chunk)
    return {'size': size, 'sha256': digest.hexdigest()}


def save_body(endpoint: Endpoint, response: requests.Response, sink: Sink, secrets: tuple[str, ...]
              ) -> dict[str, Any]:
    """Streams a file answer into the sink FILE_CHUNK_SIZE at a time, never the whole body in memory. A JSON answer
    (an error envelope on a 200), a web page (a proxy's) or a redirect is reported, never saved as the file; a
    declared Content-Length over the limit stops it before anything is read."""
    with response:
        content_type = response.headers.get('Content-Type', '')
        if response.is_redirect or 'json' in content_type:
            decode_response(endpoint, response, secrets)
            raise CadoApiError(f'Cado answered {endpoint.method} {endpoint.path} with JSON instead of a file. The '
                               'platform version may not match the integration.')
        if content_type.startswith('text/html'):
            page = next(response.iter_content(1024), b'').decode('utf-8', 'replace')  # a proxy's page can be large
            raise CadoApiError(f'Cado answered {endpoint.method} {endpoint.path} with a web page instead of a file: '
                               f'"{excerpt(page, secrets)}". The Server URL probably points to a web page or a proxy '
                               'rather than the Cado API.')
        declared = response.headers.get('Content-Length', '')
        if declared.isdigit() and exceeds(sink.max_bytes, int(declared)):
            raise too_large(sink, int(declared))
        return write_chunks(response.iter_content(FILE_CHUNK_SIZE), sink)


''' HELPERS '''

URL_PASSWORD = re.compile(r'(://[^/:@\s"\']+):[^/@\s"\']+@')
# Fields the contract lets Cado send that hold a credential (a project user's one-time password).
SECRET_FIELDS = frozenset({'temp_password'})


def redact(value: Any, secrets: tuple[str, ...] = ()) -> Any:
    """`value` with the given secrets, every URL password and every SECRET_FIELDS value masked: a Generic Webhook URL
    carries its credentials in its user-info, and an echoing proxy can return the API key."""
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, '****')
        return URL_PASSWORD.sub(r'\1:****@', value)
    if isinstance(value, dict):
        return {key: '****' if key in SECRET_FIELDS and item else redact(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, secrets) for item in value]
    return value


def secrets_of(api_key: str, webhook_password: str) -> tuple[str, ...]:
    """What redact() masks: the API key, and the webhook password as typed and as it stands in a URL."""
    return tuple(dict.fromkeys(secret for secret in (api_key, webhook_password, quote(webhook_password, safe=''))
                               if secret))


def credential_pair(param: Any) -> tuple[str, str]:
    """(username, password) of a credentials (type 9) instance parameter; empty when it is not set."""
    if not isinstance(param, dict):
        return '', ''
    return str(param.get('identifier') or '').strip(), str(param.get('password') or '')


def to_iso(timestamp: Any) -> Any:
    """Cado sends epoch milliseconds; a few fields are documented only as "Unix timestamp", so seconds are accepted.
    A number no calendar can hold is left as it is."""
    if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)):
        return timestamp
    seconds = timestamp / 1000 if abs(timestamp) >= 1e11 else timestamp
    try:
        moment = datetime.fromtimestamp(seconds, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return timestamp
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


def page_plan(limit: int) -> Iterator[tuple[int, int]]:
    """(page, per_page) requests covering the first `limit` items in the fewest requests, with the least surplus.

    Page N of size P starts at item (N-1)*P, so a last page of size Q lines up after n-1 pages of size P only when
    Q divides (n-1)*P. Among those plans the one fetching the fewest items past `limit` wins: none where the numbers
    allow (250 = 100 + 100 + page 5 of 50), otherwise fewer than one per request (233 = 3 pages of 78, 1 surplus).
    """
    before = (limit - 1) // MAX_PAGE_SIZE  # requests before the last one
    first, last = min(((first, last) for first in range(1, MAX_PAGE_SIZE + 1)
                       for last in range(max(1, limit - before * first), MAX_PAGE_SIZE + 1)
                       if before * first % last == 0),
                      key=lambda plan: (before * plan[0] + plan[1], -plan[0]))
    yield from ((page, first) for page in range(1, before + 1))
    yield before * first // last + 1, last


def read_pages(fetch: Callable[[dict[str, Any]], dict], filters: dict[str, Any], plan: Iterator[tuple[int, int]],
               wanted: int) -> tuple[list[dict], list[dict]]:
    items: list[dict] = []
    responses: list[dict] = []
    step = next(plan, None)
    while step:
        page, per_page = step
        response = fetch({**filters, 'page': page, 'per_page': per_page})
        responses.append(response)
        batch = response.get('data') or []
        items.extend(batch)
        total_pages = (response.get('pagination') or {}).get('total_pages')
        if not batch or not (page < total_pages if isinstance(total_pages, int) else len(batch) >= per_page):
            break
        if page == 1 and len(batch) < per_page:
            # A short first page with more to come: Cado caps per_page, and numbers its pages in that size.
            plan = ((number, len(batch)) for number in range(2, -(-wanted // len(batch)) + 1))
        step = next(plan, None)
    return items[:wanted], responses


def resume_token(cursor: str | None, shown: int) -> str:
    """A next_token continuing after the first `shown` items of the page `cursor` reads (None: the first page)."""
    return f'{RESUME_PREFIX}{shown}:{cursor or ""}'


def parse_next_token(args: dict[str, Any]) -> tuple[str | None, int]:
    """Cado's cursor and how many items of its page a previous call already returned."""
    token = parse_field(args, Field('next_token', 'cursor')) or ''
    resumed = re.fullmatch(rf'{RESUME_PREFIX}(\d+):(.*)', token)
    if resumed:
        return resumed.group(2) or None, int(resumed.group(1))
    return token or None, 0


def read_cursor_pages(fetch: Callable[[dict[str, Any]], dict], filters: dict[str, Any], args: dict[str, Any],
                      wanted: int, sized: bool, one_request: bool) -> tuple[list[dict], list[dict], str | None]:
    cursor, skip = parse_next_token(args)
    items: list[dict] = []
    responses: list[dict] = []
    while True:
        room = wanted - len(items)
        params = {**filters, **assign_params(cursor=cursor)}
        if sized:
            params['per_page'] = min(skip + room, MAX_PAGE_SIZE)
        response = fetch(params)
        responses.append(response)
        page = response.get('data') or []
        batch = page[skip:]
        items.extend(batch[:room])
        if len(batch) > room:
            # Cado's cursor points past the whole page; a cursor to the page itself plus the count already shown
            # resumes right after the last item returned, so the rest of the page is neither dropped nor repeated.
            return items, responses, resume_token(cursor, skip + room)
        cursor, skip = (response.get('pagination') or {}).get('next_token') or None, 0
        if one_request or len(items) >= wanted or not page or not cursor:
            return items, responses, cursor


def paginate(fetch: Callable[[dict[str, Any]], dict], filters: dict[str, Any], args: dict[str, Any],
             paging: str) -> tuple[list[dict], list[dict], str | None]:
    """Items up to `limit` (or exactly one requested page), every raw response, and the next_token if any."""
    paging_args = parse_fields(args, PAGE_FIELDS)
    limit = paging_args.get('limit', DEFAULT_LIMIT)
    page_size = paging_args.get('per_page')
    for name, number in (('limit', limit), ('page_size', page_size), ('page', paging_args.get('page'))):
        if number is not None and number < 1:
            raise ValueError(f'Argument "{name}" must be a positive integer.')
    if page_size and page_size > MAX_PAGE_SIZE:
        raise ValueError(f'Argument "page_size" must be at most {MAX_PAGE_SIZE}.')
    if paging == 'page':
        single = 'page' in paging_args or page_size is not None
        wanted = (page_size or DEFAULT_PAGE_SIZE) if single else limit
        plan = iter([(paging_args.get('page', 1), wanted)]) if single else page_plan(limit)
        return *read_pages(fetch, filters, plan, wanted), None
    return read_cursor_pages(fetch, filters, args, page_size or limit, paging == 'cursor', page_size is not None)


def list_results(client: Client, args: dict[str, Any], listing: Listing,
                 transform: Callable[[dict], dict] = lambda item: item) -> CommandResults:
    filters = parse_fields(args, listing.filters, client.defaults)
    items, responses, next_token = paginate(getattr(client, listing.endpoint), filters, args, listing.paging)
    return entity_results(listing.entity, [transform(item) for item in items], raw_of(responses),
                          note=more_results_note(next_token))


def raw_of(responses: list[dict]) -> Any:
    return responses[0] if len(responses) == 1 else responses


def more_results_note(next_token: str | None) -> str:
    return (f'More results are available: run again with next_token={next_token} to continue after the last result '
            'shown.' if next_token else '')


''' PIPELINE STATE '''

ENDED_STATES = ('complete', 'failed', 'cancelled')
SUBTASK_COUNTS = ('total', 'success', 'failure', 'pending', 'running', 'cancelled')


def subtask_counts(pipeline: dict[str, Any]) -> dict[str, int]:
    """The summary's counts, or counts of the subtasks' states when a platform sends no summary."""
    summary = pipeline.get('summary')
    if isinstance(summary, dict):
        return {key: summary.get(key) or 0 for key in SUBTASK_COUNTS}
    states = [str(subtask.get('state')).upper() for subtask in pipeline.get('subtasks') or []
              if isinstance(subtask, dict)]
    return {'total': len(states), **{key: states.count(state) for key, state in (
        ('success', 'SUCCESS'), ('failure', 'FAILURE'), ('pending', 'PENDING'), ('running', 'RUNNING'),
        ('cancelled', 'CANCELLED'))}}


def pipeline_state(pipeline: dict[str, Any]) -> str:
    """The pipeline's state, by these rules:
    1. A `status` Cado knows (queued, in_progress, complete, failed, cancelled) is taken as it is.
    2. Any other `status` (a later platform's) counts as in_progress: polling waits for a known end or times out;
       it never guesses an end from a word it does not know.
    3. Without `status` (platforms before 2.269) the state is derived from `aborted`, `terminated` and the subtask
       counts. The pipeline has ended when it is terminated or aborted, or when it has subtasks and none is pending
       or running. Not ended: in_progress once a subtask has started, else queued (no subtasks yet is queued).
       Ended: failed when a subtask failed; else cancelled when aborted or a subtask was cancelled; else complete
       only when it had subtasks and every one succeeded; else (ended with no subtasks, or before some ran) failed.
    """
    status = pipeline.get('status')
    if status in PIPELINE_STATES:
        return status
    if status not in (None, ''):
        return 'in_progress'
    counts = subtask_counts(pipeline)
    unfinished = counts['pending'] + counts['running']
    ended = bool(pipeline.get('terminated') or pipeline.get('aborted')) or (counts['total'] > 0 and unfinished == 0)
    if not ended:
        return 'in_progress' if counts['total'] > counts['pending'] else 'queued'
    if counts['failure']:
        return 'failed'
    if pipeline.get('aborted') or counts['cancelled']:
        return 'cancelled'
    return 'complete' if counts['total'] and counts['success'] == counts['total'] else 'failed'


def pipeline_context(pipeline: dict[str, Any]) -> dict[str, Any]:
    """The pipeline as the API gave it, plus top-level id, type and (derived when missing) status."""
    details = pipeline.get('pipeline') or {}
    return {'id': details.get('id'), 'type': details.get('type'), **pipeline, 'status': pipeline_state(pipeline)}


def stopping_point(pipeline: dict[str, Any], state: str) -> dict[str, str]:
    """The subtask where a pipeline failed, was cancelled or still runs, and the reason in Cado's last words."""
    wanted = {'failed': ('FAILURE', 'CANCELLED', 'RUNNING', 'PENDING'), 'cancelled': ('CANCELLED', 'FAILURE'),
              }.get(state, ('RUNNING', 'PENDING'))
    subtasks = [subtask for subtask in pipeline.get('subtasks') or [] if isinstance(subtask, dict)]
    for subtask_state in wanted:
        for subtask in subtasks:
            if str(subtask.get('state')).upper() == subtask_state:
                progress = subtask.get('progress_text') or []
                never_ran = state == 'failed' and subtask_state in ('RUNNING', 'PENDING')
                reason = ('the pipeline ended before this subtask finished' if never_ran
                          else str(progress[-1]) if progress else subtask_state.lower().replace('failure', 'failed'))
                return {'failed_subtask': str(subtask.get('name')), 'reason': reason}
    if state == 'failed':
        return {'reason': 'the pipeline ended without a successful subtask'}
    return {'reason': 'cancelled'} if state == 'cancelled' else {}


def logs_hint(pipeline_id: Any) -> str:
    return f'Its logs say why: get them with cado-pipeline-logs-get pipeline_id={pipeline_id}.'


def describe_stop(point: dict[str, str]) -> str:
    subtask = f' at subtask "{point["failed_subtask"]}"' if point.get('failed_subtask') else ''
    return f'{subtask}: {point["reason"]}' if point.get('reason') else subtask


def polling_settings(args: dict[str, Any], first_run: bool) -> tuple[bool, int, int]:
    polling = parse_field(args, Field('polling', 'polling', 'bool', default=False))
    interval = parse_field(args, Field('interval_in_seconds', 'interval_in_seconds', 'int', default=30))
    timeout = parse_field(args, Field('timeout_in_seconds', 'timeout_in_seconds', 'int', default=1800))
    if interval < MIN_POLL_INTERVAL:
        raise ValueError(f'Argument "interval_in_seconds" must be at least {MIN_POLL_INTERVAL}.')
    if timeout < 0:
        raise ValueError('Argument "timeout_in_seconds" must be a positive number of seconds.')
    # Later runs carry the remaining time, which may fall below one interval before the last check.
    if polling and first_run and timeout < interval:
        raise ValueError(f'Argument "timeout_in_seconds" ({timeout}) must be at least "interval_in_seconds" '
                         f'({interval}): polling would time out before its first check.')
    return polling, interval, timeout


def is_given(args: dict[str, Any], name: str) -> bool:
    """Whether a polling-state argument is present: an id of 0 is present, though falsy."""
    return not is_empty(args.get(name))


def poll_again(command: str, args: dict[str, Any], interval: int, timeout: int,
               readable: str | None = None, outputs: CommandResults | None = None) -> CommandResults:
    """Schedules the next poll, carrying the remaining time in timeout_in_seconds (the caller has checked that time
    remains: timeout >= interval)."""
    # The state travels through the server: a URL argument keeps no password there (only the import needed it).
    next_args = redact({**args, 'polling': True, 'hide_polling_output': True, 'polling_followup': True,
                        'timeout_in_seconds': timeout - interval})
    # XSOAR's own timeout is kept above ours so that our timeout, which names the subtask, is what ends the poll.
    scheduled = ScheduledCommand(command=command, next_run_in_seconds=interval, args=next_args,
                                 timeout_in_seconds=timeout + interval)
    if outputs is not None:
        outputs.scheduled_command = scheduled
        return outputs
    hidden = parse_field(args, Field('hide_polling_output', 'hide_polling_output', 'bool', default=False))
    return CommandResults(readable_output=None if hidden else readable, scheduled_command=scheduled)


def with_error_entry(results: CommandResults, message: str) -> list[CommandResults]:
    """The context a playbook branches on, then an error entry so that the task stops in front of an analyst."""
    return [results, CommandResults(readable_output=message, raw_response=message, entry_type=EntryType.ERROR)]


''' CLASSIFICATION: reading a detection's resources and fitting each an acquisition (tables above, by SOURCES) '''


def arn_resource(arn: str, service: str, region: str, account: str, rest: str) -> dict[str, str]:
    """ec2 instance/<id>, s3 <bucket>[/<key>], lambda function:<name>[:<qualifier>], ecs cluster/<name> or
    task/<cluster>/<task> (the resource is the cluster), eks cluster/<name>; any other service: its last segment."""
    parts = re.split(r'[/:]', rest)
    resource = {'provider': 'aws', 'type': service, 'id': parts[-1], 'full_id': arn, 'region': region,
                'cloud_account': account}
    if service == 's3':
        resource['id'] = parts[0]
    elif service == 'lambda' and parts[0] == 'function' and len(parts) > 1:
        resource['id'] = parts[1]
    elif service == 'ecs' and parts[0] == 'task' and len(parts) > 2:
        resource.update(id=parts[1], task=parts[-1])
    return resource


def parse_identifier(text: str) -> dict[str, str]:
    """What one identifier says about its resource: an ARN, an EC2 instance ID, a GCP resource path or gs:// URL, an
    Azure resource ID. Empty for anything else (a host name, a device ID)."""
    text = text.strip()
    if match := ARN_RE.fullmatch(text):
        return arn_resource(text, *match.groups())
    if EC2_INSTANCE_RE.fullmatch(text):
        return {'provider': 'aws', 'type': 'ec2', 'id': text}
    if match := GCP_PATH_RE.fullmatch(text):
        project, scope, location, kind, name = match.groups()
        zoned = scope == 'zones' or bool(GCP_ZONE_RE.fullmatch(location))
        return {'provider': 'gcp', 'type': 'gce' if kind == 'instances' else 'gke', 'id': name, 'full_id': text,
                'cloud_account': project, 'zone': location if zoned else '',
                'region': location.rsplit('-', 1)[0] if zoned else location}
    if match := GCS_RE.fullmatch(text):
        return {'provider': 'gcp', 'type': 'gcs', 'id': match.group(1), 'full_id': text}
    if match := AZURE_ID_RE.match(text):
        subscription, group, kind, name = match.groups()
        return {'provider': 'azure', 'type': AZURE_TYPES.get(kind.lower(), kind.rsplit('/', 1)[-1].lower()),
                'id': name, 'full_id': text, 'cloud_account': subscription, 'resource_group': group}
    return {}


def native_value(event: Any, path: str) -> str:
    """The first scalar at a dotted path of a provider's finding, keys matched without regard to case; lists on the
    way are searched item by item."""
    values = [event]
    for part in path.lower().split('.'):
        items = [item for value in values for item in (value if isinstance(value, list) else [value])]
        values = [value for item in items if isinstance(item, dict)
                  for key, value in item.items() if str(key).lower() == part]
    values = [item for value in values for item in (value if isinstance(value, list) else [value])]
    return next((str(value).strip() for value in values
                 if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip()), '')


def raw_event_hints(source: str, raw_event: Any) -> dict[str, str]:
    """What a detection's raw event (its source's native finding, as JSON text) says about the resource."""
    try:
        event = json.loads(raw_event) if isinstance(raw_event, str) else raw_event
    except ValueError:
        return {}
    hints = {attribute: next((value for value in (native_value(event, path) for path in paths) if value), '')
             for attribute, paths in RAW_EVENT_FIELDS.get(source, {}).items()}
    if hints.get('task'):  # GuardDuty names the ECS task by its ARN
        hints['task'] = hints['task'].rsplit('/', 1)[-1]
    return hints


def resource_of(*layers: dict[str, str]) -> dict[str, str]:
    """One resource from what several places say about it, a later layer winning over an earlier one; provider and
    type normalised, the type of a non-cloud provider and the cluster of a cluster resource filled in."""
    resource = {key: str(value).strip() for layer in layers for key, value in layer.items()
                if value is not None and str(value).strip()}
    provider = resource.get('provider', '').lower()
    type_ = re.sub(r'[^a-z0-9]', '', resource.get('type', '').lower())
    resource.update(provider=provider, type=RESOURCE_TYPES.get(type_, type_) or PROVIDER_TYPES.get(provider, ''))
    if resource['type'] in CLUSTER_TYPES and resource.get('id'):
        resource.setdefault('cluster', resource['id'])
    return resource


def detection_resources(detection: dict[str, Any]) -> list[dict[str, str]]:
    """The detection's resources: one per resource_data item (the full resource ID, else the resource ID, parsed),
    with what the raw event says filling the rest; the raw event's own resource when resource_data is empty."""
    source = str(detection.get('source') or '').lower()
    hints = raw_event_hints(source, detection.get('raw_event'))
    items = [item for item in detection.get('resource_data') or [] if isinstance(item, dict)] or [{}]
    resources = []
    for item in items:
        resource_id = str(item.get('resource_id') or '').strip() or hints.get('id', '')
        full_id = str(item.get('full_resource_id') or '').strip() or hints.get('full_id', '') or resource_id
        parsed = parse_identifier(full_id) or parse_identifier(resource_id)
        resource = resource_of({'provider': SOURCE_PROVIDERS.get(source, '')}, hints,
                               {'id': resource_id, 'full_id': full_id}, parsed)
        if resource.get('id'):
            resources.append(resource)
    return resources


def takes_account(command: str) -> bool:
    return any(field.arg == 'account' for field in SOURCES[command].fields)


def account_providers(resources: list[dict[str, str]], account: str | None, defaults: dict[str, Any]) -> list[str]:
    """The providers whose Cado accounts must be listed to pick the one that acquires each resource: none when the
    account is given or the instance has a default one."""
    if account or defaults.get('account'):
        return []
    return sorted({resource['provider'] for resource in resources
                   if (rule := CLASSIFICATIONS.get((resource['provider'], resource['type'])))
                   and takes_account(rule.command) and resource['provider'] in ACCOUNT_TYPES})


def matching_account(resource: dict[str, str], accounts: list[dict[str, Any]]) -> str:
    """The name of the Cado account of the resource's provider whose public identifier (an AWS role ARN holds the
    account number) or name holds the resource's cloud account; else of the only account of that provider."""
    candidates = [account for account in accounts if account.get('type') == resource['provider']]
    if resource.get('cloud_account'):
        whole = re.compile(rf'(?<![\w-]){re.escape(resource["cloud_account"])}(?![\w-])')
        named = [account for account in candidates
                 if whole.search(f'{account.get("public_identifier") or ""} {account.get("account_name") or ""}')]
        if named:
            return str(named[0].get('account_name') or '')
    return str(candidates[0].get('account_name') or '') if len(candidates) == 1 else ''


def classify(resource: dict[str, str], project_id: Any, account: str | None, accounts: list[dict[str, Any]],
             defaults: dict[str, Any]) -> dict[str, Any]:
    """The acquisition that fits a resource: its command and the arguments read from the resource, whether every
    required one is known (the instance defaults count), which are missing and what can discover them."""
    rule = CLASSIFICATIONS.get((resource.get('provider', ''), resource.get('type', '')))
    entry = {'command': rule.command if rule else '', 'resource_id': resource.get('id'),
             'resource_type': resource.get('type'), 'provider': resource.get('provider'), 'resource': resource}
    if rule is None:
        return {**entry, 'arguments': {}, 'ready': False, 'missing': [], 'browse_command': ''}
    values = {argument: resource.get(attribute) for argument, attribute in rule.arguments.items()}
    values['project_id'] = project_id
    if takes_account(rule.command):
        values['account'] = account or matching_account(resource, accounts)
    arguments = {name: value for name, value in values.items() if not is_empty(value)}
    missing = [field.arg for field in SOURCES[rule.command].fields
               if field.required and field.default is None and field.arg not in arguments
               and not (field.fallback and defaults.get(field.fallback))]
    browse = [rule.browse.get(name) or BROWSE_FOR_ANY.get(name) for name in missing]
    return {**entry, 'arguments': arguments, 'ready': not missing, 'missing': missing,
            'browse_command': next((command for command in browse if command), '')}


def classify_all(client: Client, resources: list[dict[str, str]], project_id: Any, account: str | None
                 ) -> tuple[list[dict[str, Any]], list[dict]]:
    """Each resource classified, and the responses read: the Cado accounts are listed (one request, one page) only
    when one must be picked."""
    providers = account_providers(resources, account, client.defaults)
    responses = [client.list_accounts({'type': providers, 'page': 1, 'per_page': MAX_PAGE_SIZE})] if providers else []
    accounts = (responses[0].get('data') or []) if responses else []
    return [classify(resource, project_id, account, accounts, client.defaults) for resource in resources], responses


def classification_table(entries: list[dict[str, Any]], title: str | None = None) -> str:
    return table(CLASSIFICATION, [{**entry, 'shown_arguments': ' '.join(f'{name}={value}' for name, value in
                                                                        entry['arguments'].items())}
                                  for entry in entries], title)


def first_acquisition(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The acquisition a playbook acts on: the first ready one, else the first Cado can make, else the first."""
    return next((entry for entry in entries if entry['ready']),
                next((entry for entry in entries if entry['command']), entries[0] if entries else {}))


''' COMMANDS: test-module '''


def test_module(client: Client, fetch_settings: dict[str, Any] | None) -> str:
    system = client.system_status().get('data') or {}
    if system.get('setup_complete') is False:
        raise CadoApiError(f'The Cado platform answered, but its initial setup is not complete (status: '
                           f'{system.get("status_message") or system.get("status")}). Finish the setup in Cado, then '
                           'test again.')
    if fetch_settings is not None:
        role = (client.whoami().get('data') or {}).get('rbac_role')
        readers = ENDPOINTS['list_detections'].roles
        # A role the contract does not name (a newer platform's) is judged by the detections request below.
        if role in ALL_ROLES and role not in readers:
            return (f'The API key\'s role, {role}, cannot read detections, which "Fetch incidents" needs. Use a key with '
                    f'one of these roles: {", ".join(readers)}, or clear "Fetch incidents" on this instance.')
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
                       pipelines: list[dict[str, Any]] = (), **details: Any) -> dict[str, Any]:
    """The one Cado.Acquisition shape, whatever the source: the outcome, then one entry per pipeline."""
    resource_field = next((field for field in source.fields if field.arg == source.resource_arg), None)
    resource = parse_field(args, resource_field) if resource_field else None
    qualifier = parse_field(args, source.label_arg) if source.label_arg else None
    first = pipelines[0] if pipelines else {}
    return remove_empty_elements({
        'pipeline_id': pipeline_ids[0],
        'pipeline_ids': pipeline_ids,
        'project_id': parse_field(args, Field('project_id', 'project_id', 'int')),
        'source': f'{source.label} ({qualifier})' if qualifier else source.label,
        'resource_id': redact(', '.join(resource) if isinstance(resource, list) else resource),
        'status': status,
        'processing_pipeline_id': first.get('processing_pipeline_id'),
        'evidence_id': first.get('evidence_id'),
        'created': parse_field(args, Field('acquisition_created', 'acquisition_created', 'int')),
        **details,
        'pipelines': list(pipelines),
    })


def acquire_command(client: Client, args: dict[str, Any], command: str) -> CommandResults | list[CommandResults]:
    source = SOURCES[command]
    followup = is_given(args, 'pipeline_id')
    polling, interval, timeout = polling_settings(args, first_run=not followup)
    wait_for_processing = parse_field(args, Field('wait_for_processing', 'wait_for_processing', 'bool',
                                                  default=False))
    if wait_for_processing and not polling:
        raise ValueError('Argument "wait_for_processing" needs "polling" set to true.')
    if followup:
        return poll_acquisition(client, args, command, interval, timeout, wait_for_processing)
    body = acquisition_body(client, source, args)
    skipping = [field.arg for field in source.fields if field.api in source.no_processing and body.get(field.api)]
    if wait_for_processing and skipping:
        raise ValueError(f'Argument "wait_for_processing" cannot be used with "{skipping[0]}": Cado does not process '
                         'what such an import collects, so there is no processing to wait for.')
    response = getattr(client, source.endpoint)(body)
    pipeline_ids = pipeline_ids_from(source, response)
    project = body.get('project_id') or body.get('investigation_id')
    state_args = {**args, 'project_id': project} if project is not None else dict(args)
    # Nothing has been read back from Cado yet: the import was accepted, which is all "submitted" claims.
    record = acquisition_record(source, state_args, pipeline_ids, 'submitted',
                                [{'id': pipeline_id} for pipeline_id in pipeline_ids])
    results = entity_results(ACQUISITION, record, response, title=f'Cado {record["source"]} acquisition submitted')
    if not polling:
        return results
    next_args = {**state_args, 'pipeline_id': pipeline_ids[0], 'pipeline_ids': ','.join(map(str, pipeline_ids))}
    return poll_again(command, next_args, interval, timeout, outputs=results)


def find_processing_pipeline(client: Client, acquisition_id: int) -> dict[str, Any] | None:
    """The newest processing pipeline that Cado started for this acquisition pipeline. Each item's type and link are
    checked too: a platform that ignores a filter would otherwise hand over an unrelated pipeline."""
    response = client.list_pipelines({'triggering_pipeline_id': acquisition_id, 'type': 'processing',
                                      'order_by': '-created', 'page': 1, 'per_page': 10})
    linked = [pipeline for pipeline in response.get('data') or []
              if pipeline.get('triggering_pipeline_id') == acquisition_id
              and (pipeline.get('pipeline') or {}).get('type') == 'processing']
    return max(linked, key=lambda pipeline: (epoch_millis(pipeline.get('created')) or 0,
                                             (pipeline.get('pipeline') or {}).get('id') or 0), default=None)


def parse_followers(args: dict[str, Any]) -> dict[int, int | None]:
    """Polling state "4281:4290,4282:": acquisition pipelines known complete, each with its processing pipeline once
    found."""
    followers: dict[int, int | None] = {}
    for pair in text_list(args.get('processing_pipeline_ids'), 'processing_pipeline_ids'):
        acquisition_id, _, processing_id = pair.partition(':')
        followers[to_int(acquisition_id, 'processing_pipeline_ids')] = \
            to_int(processing_id, 'processing_pipeline_ids') if processing_id else None
    return followers


def pipeline_entry(pipeline: dict[str, Any], prefix: str = '') -> dict[str, Any]:
    """What one pipeline tells about its part of an acquisition, under `prefix` (processing_) for the processing
    pipeline; where it stopped when it failed or was cancelled."""
    state = pipeline_state(pipeline)
    evidence = pipeline.get('evidence') or {}
    entry = {f'{prefix}pipeline_id' if prefix else 'id': (pipeline.get('pipeline') or {}).get('id'),
             f'{prefix}status': state, 'evidence_id': evidence.get('id'),
             'name': evidence.get('name') or pipeline.get('name'), 'project_id': (pipeline.get('project') or {}).get('id')}
    if not prefix:
        entry['created'] = pipeline.get('created')
    return {**entry, **(stopping_point(pipeline, state) if state != 'complete' else {})}


def read_track(client: Client, acquisition_id: int, followers: dict[int, int | None],
               wait_for_processing: bool) -> dict[str, Any]:
    """The current state of one acquisition pipeline and, once it is complete, of its processing pipeline: one
    request per pipeline. Updates `followers` with what it learns."""
    if acquisition_id in followers:
        entry: dict[str, Any] = {'id': acquisition_id, 'status': 'complete'}
    else:
        entry = {**pipeline_entry(client.get_pipeline(acquisition_id).get('data') or {}), 'id': acquisition_id}
        if entry['status'] != 'complete' or not wait_for_processing:
            return entry
        followers[acquisition_id] = None
    processing_id = followers[acquisition_id]
    processing = (client.get_pipeline(processing_id).get('data') or {} if processing_id is not None
                  else find_processing_pipeline(client, acquisition_id))
    if not processing:
        return {**entry, 'reason': 'waiting for Cado to start processing'}
    entry = {**entry, **remove_empty_elements(pipeline_entry(processing, 'processing_'))}
    followers[acquisition_id] = entry['processing_pipeline_id']
    return entry


def track_outcome(entry: dict[str, Any], wait_for_processing: bool) -> str:
    if entry['status'] != 'complete' or not wait_for_processing:
        return entry['status']
    return entry.get('processing_status') or 'in_progress'


def overall_outcome(outcomes: list[str]) -> str:
    """complete only when every pipeline is; a failure anywhere fails the acquisition; else cancelled."""
    if any(outcome not in ENDED_STATES for outcome in outcomes):
        return 'in_progress'
    if all(outcome == 'complete' for outcome in outcomes):
        return 'complete'
    return 'failed' if 'failed' in outcomes else 'cancelled'


def finding_counts(client: Client, project_id: int | None, evidence_ids: list[int]) -> dict[str, Any]:
    """Alarms in the acquired evidence (one request per evidence item) and detections of every type in its project.
    Without an evidence item named by Cado there is no alarm count: the project's would count other acquisitions."""
    if project_id is None:
        return {}
    counts: dict[str, Any] = {}
    if evidence_ids:
        counts['alarm_count'] = sum(
            (client.get_alarm_summary({'investigation_id': project_id, 'evidence_id': evidence_id}).get('data')
             or {}).get('total') or 0 for evidence_id in evidence_ids)
    detections = client.list_detections({'investigation_id': project_id, 'detection_type': 'all', 'page': 1,
                                         'per_page': 1})
    counts['detection_count'] = (detections.get('pagination') or {}).get('total_records') or 0
    return counts


def pipelines_summary(entries: list[dict[str, Any]]) -> str:
    """Each pipeline's state as Cado reports it, with its processing pipeline and where it stopped or is running."""
    parts = []
    for entry in entries:
        name = f' ({entry["name"]})' if entry.get('name') else ''
        processing = (f', processing pipeline {entry["processing_pipeline_id"]} {entry.get("processing_status")}'
                      if entry.get('processing_pipeline_id') is not None else '')
        parts.append(f'pipeline {entry["id"]}{name} {entry["status"]}{processing}{describe_stop(entry)}')
    return '; '.join(parts)


def poll_acquisition(client: Client, args: dict[str, Any], command: str, interval: int, timeout: int,
                     wait_for_processing: bool, source: Source | None = None) -> CommandResults | list[CommandResults]:
    source = source or SOURCES[command]
    pipeline_ids = parse_field(args, Field('pipeline_ids', 'pipeline_ids', 'int_list')) or \
        [parse_field(args, Field('pipeline_id', 'pipeline_id', 'int'))]
    followers = parse_followers(args)
    entries = [read_track(client, pipeline_id, followers, wait_for_processing and not source.processes)
               for pipeline_id in pipeline_ids]
    if source.processes:  # the pipeline is its own processing pipeline
        entries = [{**entry, 'processing_pipeline_id': entry['id'], 'processing_status': entry['status']}
                   for entry in entries]
    # The project is an argument, except for an investigation started from a detection: then Cado names it.
    projects = [project for project in (entry.pop('project_id', None) for entry in entries) if project is not None]
    if projects and not is_given(args, 'project_id'):
        args = {**args, 'project_id': projects[0]}
    outcomes = [track_outcome(entry, wait_for_processing) for entry in entries]
    state = overall_outcome(outcomes)
    first_pipeline = entries[0]  # entries follow pipeline_ids
    args = {**args, 'processing_pipeline_ids': ','.join(
        f'{acquisition_id}:{"" if processing_id is None else processing_id}'
        for acquisition_id, processing_id in followers.items())}
    if first_pipeline.get('created') is not None and not is_given(args, 'acquisition_created'):
        args['acquisition_created'] = epoch_millis(first_pipeline['created'])
    summary = pipelines_summary(entries)
    if state == 'in_progress' and timeout >= interval:
        return poll_again(command, args, interval, timeout, readable=f'Cado {source.label} acquisition: {summary}.')
    state = 'timeout' if state == 'in_progress' else state
    processing_states = [entry['processing_status'] for entry in entries if entry.get('processing_status')]
    details: dict[str, Any] = {'processing_status': overall_outcome(processing_states) if processing_states else None}
    if state == 'complete' and wait_for_processing:
        evidence_ids = [entry['evidence_id'] for entry in entries if entry.get('evidence_id') is not None]
        details.update(finding_counts(client, parse_field(args, Field('project_id', 'project_id', 'int')),
                                      evidence_ids))
    stopped = next((entry for entry, outcome in zip(entries, outcomes, strict=True)
                    if outcome == state or (state == 'timeout' and outcome not in ENDED_STATES)), None)
    if stopped is not None and state != 'complete':
        details.update(failed_pipeline_id=stopped.get('processing_pipeline_id', stopped['id']),
                       failed_subtask=stopped.get('failed_subtask'), reason=stopped.get('reason'))
    record = acquisition_record(source, args, pipeline_ids, state, entries, **details)
    results = entity_results(ACQUISITION, record, entries, title=f'Cado {record["source"]} acquisition {state}',
                             note=f'Pipelines: {summary}.')
    if state == 'complete':
        return results
    if state == 'timeout':
        message = (f'Timed out waiting for the Cado {source.label} acquisition: {summary}. It keeps running in Cado: '
                   'check it with cado-pipeline-get, or raise timeout_in_seconds.')
    else:
        message = (f'The Cado {source.label} acquisition {state}: {summary}. See the pipelines in Cado under '
                   'Pipelines, or read them with cado-pipeline-get. '
                   f'{logs_hint(details.get("failed_pipeline_id", pipeline_ids[0]))}')
    return with_error_entry(results, message)


''' COMMANDS: browsing what can be acquired '''


def xdr_device_list_command(client: Client, args: dict[str, Any]) -> CommandResults:
    provider = parse_field(args, Field('provider', 'provider', required=True, choices=tuple(XDR_LISTINGS)))
    return list_results(client, args, XDR_LISTINGS[provider], transform=lambda device: {**device,
                                                                                         'provider': provider})


def ecs_container_list_command(client: Client, args: dict[str, Any]) -> CommandResults:
    listing = LISTINGS['cado-aws-ecs-container-list']
    response = client.list_ecs_containers(parse_fields(args, listing.filters, client.defaults))
    return entity_results(listing.entity, response['data'].get('containers') or [], response)


def named(name: str) -> dict[str, str]:
    """A listing's item that Cado answers as a bare name."""
    return {'name': name}


''' COMMANDS: pipelines '''


def pipeline_list_command(client: Client, args: dict[str, Any]) -> CommandResults:
    return list_results(client, args, LISTINGS['cado-pipeline-list'], transform=pipeline_context)


def pipeline_get_command(client: Client, args: dict[str, Any]) -> CommandResults | list[CommandResults]:
    pipeline_id = required_id(args, 'pipeline_id')
    polling, interval, timeout = polling_settings(args, first_run=not is_given(args, 'polling_followup'))
    response = client.get_pipeline(pipeline_id)
    pipeline = pipeline_context(response.get('data') or {})
    state = pipeline['status']
    if not polling or state == 'complete':
        return entity_results(PIPELINE, pipeline, response, title=f'Cado pipeline {pipeline_id}')
    point = stopping_point(pipeline, state)
    if state not in ENDED_STATES:
        if timeout >= interval:
            return poll_again('cado-pipeline-get', {**args, 'polling_followup': True}, interval, timeout,
                              readable=f'Cado pipeline {pipeline_id} is {state}{describe_stop(point)}.')
        # The pipeline's own state stays in last_status: "timeout" is XSOAR giving up, not something Cado said.
        pipeline = {**pipeline, 'status': 'timeout', 'last_status': state}
    pipeline.update(point)
    label = (pipeline.get('pipeline') or {}).get('type') or 'requested'
    message = (f'Timed out waiting for the Cado {label} pipeline {pipeline_id}: it is still {state}'
               f'{describe_stop(point)}. It keeps running in Cado; check it with cado-pipeline-get, or raise '
               'timeout_in_seconds.' if pipeline['status'] == 'timeout' else
               f'The Cado {label} pipeline {pipeline_id} {"failed" if state == "failed" else "was cancelled"}'
               f'{describe_stop(point)}. See it in Cado under Pipelines. {logs_hint(pipeline_id)}')
    return with_error_entry(entity_results(PIPELINE, pipeline, response, title=f'Cado pipeline {pipeline_id}'),
                            message)


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
                          # Not read back from Cado: "submitted" says only that the rerun was accepted.
                          outputs=[{'id': pipeline_id, 'status': 'submitted'} for pipeline_id in rerun_ids],
                          readable_output=f'Cado pipelines rerun: {", ".join(map(str, rerun_ids)) or "none"}.',
                          raw_response=response)


''' COMMANDS: findings '''


def with_project_id(item: dict[str, Any]) -> dict[str, Any]:
    """Detections name their project `investigation_id`; context also calls it project_id, as every argument does."""
    return {**item, **assign_params(project_id=item.get('investigation_id'))}


def vulnerability(finding: dict[str, Any]) -> dict[str, Any]:
    """Cado gives a vulnerability finding no ID; the evidence, package and CVE together name it."""
    return {'id': f'{finding.get("evidence_id")}:{finding.get("pkg_id")}:{finding.get("cve")}', **finding}


def detection_asset_get_command(client: Client, args: dict[str, Any]) -> CommandResults:
    detection_id = required_id(args, 'detection_id')
    response = client.get_detection_asset(detection_id)
    asset = {**(response.get('data') or {}), 'detection_id': detection_id}
    return entity_results(DETECTION_ASSET, asset, response, title=f'Asset behind Cado detection {detection_id}')


def find_detection(client: Client, detection_id: int, resource_id: str) -> tuple[dict | None, list[dict], bool]:
    """The detection among its resource's detections of every type, newest first: at most DETECTION_LOOKUP_PAGES
    pages, and no page after the one whose ids fall below it. Also every response, and whether all were searched."""
    responses: list[dict] = []
    for page in range(1, DETECTION_LOOKUP_PAGES + 1):
        response = client.list_detections({'resource_id': [resource_id], 'detection_type': 'all', 'order_by': '-id',
                                           'page': page, 'per_page': MAX_PAGE_SIZE})
        responses.append(response)
        batch = response.get('data') or []
        found = next((item for item in batch if str(item.get('id')) == str(detection_id)), None)
        if found is not None:
            return found, responses, True
        ids = [item.get('id') for item in batch]
        total_pages = (response.get('pagination') or {}).get('total_pages')
        more = page < total_pages if isinstance(total_pages, int) else len(batch) >= MAX_PAGE_SIZE
        # Only a platform that honoured the order makes the ids falling below the detection mean it is not further on.
        passed = bool(ids) and all(isinstance(i, int) for i in ids) and ids == sorted(ids, reverse=True) \
            and ids[-1] < detection_id
        if not more or passed:
            return None, responses, True
    return None, responses, False


def detection_not_found(detection_id: int, reason: str, raw: Any) -> CommandResults:
    """An answer a playbook branches on (found: false), not an error."""
    return CommandResults(outputs_prefix=DETECTION.prefix, outputs_key_field=DETECTION.key,
                          outputs={'id': detection_id, 'found': False, 'reason': reason},
                          readable_output=f'### Cado detection {detection_id} not found\n{reason}', raw_response=raw)


def now_ms() -> float:
    return datetime.now(UTC).timestamp() * 1000


def reusable_acquisition(existing: list[dict[str, Any]], hours: int | None) -> dict[str, Any] | None:
    """The newest successful acquisition of the asset made within the last `hours` (none when hours is 0 or absent)."""
    if not hours:
        return None
    since = now_ms() - hours * 3_600_000
    recent = [item for item in existing if item.get('acquired') is True
              and isinstance(item.get('created'), (int, float)) and item['created'] >= since]
    return max(recent, key=lambda item: item['created'], default=None)


def detection_outputs(detection: dict[str, Any], entries: list[dict[str, Any]],
                      existing: list[dict[str, Any]] | None, reuse_within_hours: int | None) -> dict[str, Any]:
    """The detection as Cado gives it, its project under both names, the acquisition that fits each resource, and a
    recent acquisition of the asset a playbook can reuse instead of acquiring again."""
    outputs = {**with_iso_times(detection), 'project_id': detection.get('investigation_id'), 'found': True,
               'acquisition': first_acquisition(entries), 'acquisitions': entries}
    if existing is not None:
        outputs['existing_acquisitions'] = with_iso_times(existing)
        reusable = reusable_acquisition(existing, reuse_within_hours)
        if reusable:
            outputs['reusable_acquisition'] = with_iso_times(reusable)
    return outputs


def detection_get_command(client: Client, args: dict[str, Any]) -> CommandResults:
    detection_id = required_id(args, 'detection_id')
    resource_id = parse_field(args, Field('resource_id', 'resource_id'))
    account = parse_field(args, Field('account', 'account'))
    reuse_within_hours = parse_field(args, Field('reuse_within_hours', 'reuse_within_hours', 'int'))
    if reuse_within_hours is not None and reuse_within_hours < 0:
        raise ValueError(f'Invalid value "{reuse_within_hours}" for argument "reuse_within_hours": give 0 or more '
                         'hours.')
    responses: list[dict] = []
    existing = None
    if resource_id is None:
        try:
            responses.append(client.get_detection_asset(detection_id))
        except CadoApiError as e:
            if e.status != 404:
                raise
            return detection_not_found(detection_id, str(e), None)
        asset = responses[0].get('data') or {}
        resource_id = str(asset.get('asset_id') or '').strip()
        existing = [item for item in asset.get('acquisitions') or [] if isinstance(item, dict)]
        if not resource_id:
            return detection_not_found(detection_id, f'Cado names no asset for detection {detection_id}, so its '
                                       'resource is unknown.', responses)
    detection, searched, complete = find_detection(client, detection_id, resource_id)
    responses += searched
    if detection is None:
        scope = ('the detections' if complete else
                 f'the {DETECTION_LOOKUP_PAGES * MAX_PAGE_SIZE} newest detections')
        return detection_not_found(detection_id, f'Detection {detection_id} is not among {scope} of its resource '
                                   f'{resource_id} in Cado.', responses)
    entries, listed = classify_all(client, detection_resources(detection), detection.get('investigation_id'), account)
    responses += listed
    outputs = detection_outputs(detection, entries, existing, reuse_within_hours)
    parts = [table(DETECTION, [outputs], f'Cado detection {detection_id}'),
             classification_table(entries, 'Acquisitions that fit its resources'),
             table(EXISTING_ACQUISITION, outputs['existing_acquisitions']) if existing is not None else '',
             table(EXISTING_ACQUISITION, [outputs['reusable_acquisition']], 'Reusable acquisition')
             if 'reusable_acquisition' in outputs else '']
    return CommandResults(outputs_prefix=DETECTION.prefix, outputs_key_field=DETECTION.key, outputs=outputs,
                          readable_output='\n'.join(part for part in parts if part),
                          raw_response=responses[0] if len(responses) == 1 else responses)


def resource_classify_command(client: Client, args: dict[str, Any]) -> CommandResults:
    resource_id = parse_field(args, Field('resource_id', 'resource_id', required=True))
    resource_type = parse_field(args, Field('resource_type', 'resource_type'))
    if resource_type is not None and re.sub(r'[^a-z0-9]', '', resource_type.lower()) not in RESOURCE_TYPES:
        raise bad_value('resource_type', resource_type[:50], tuple(sorted(set(RESOURCE_TYPES.values()))))
    described = {'provider': parse_field(args, Field('provider', 'provider', choices=RESOURCE_PROVIDERS)),
                 'type': resource_type,
                 **{attribute: parse_field(args, Field(argument, argument)) for argument, attribute in (
                     ('region', 'region'), ('zone', 'zone'), ('resource_account', 'cloud_account'),
                     ('resource_group', 'resource_group'))}}
    resource = resource_of({'id': resource_id, 'full_id': resource_id}, parse_identifier(resource_id), described)
    project_id = parse_field(args, Field('project_id', 'project_id', 'int'))
    [entry], responses = classify_all(client, [resource], project_id, parse_field(args, Field('account', 'account')))
    note = '' if entry['command'] else (f'Cado has no acquisition for a {resource["provider"] or "resource"} resource '
                                        f'of type "{resource["type"] or "unknown"}".')
    return CommandResults(outputs_prefix=CLASSIFICATION.prefix, outputs_key_field=CLASSIFICATION.key, outputs=entry,
                          readable_output='\n'.join(part for part in (classification_table([entry]), note) if part),
                          raw_response=responses[0] if responses else None)


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
    results = entity_results(INDICATOR, indicators, response,
                             title=f'Cado indicators of compromise in project {params["investigation_id"]}')
    score = IOC_SCORES[params.get('filter')]
    return with_xsoar_indicators(results, [
        scored_indicator(ioc.get('type'), ioc.get('indicator'), score, client.reliability,
                         f'Cado project {ioc.get("project_id")}', ioc.get('description')) for ioc in indicators])


def with_xsoar_indicators(results: CommandResults,
                          scored: list[tuple[Common.Indicator | None, EntityRelationship | None]]) -> CommandResults:
    results.indicators = [indicator for indicator, _ in scored if indicator]
    results.relationships = [relationship for _, relationship in scored if relationship]
    return results


# XSOAR's verdict on an indicator, by the `filter` it was listed with. A matched indicator matched Cado's threat
# intelligence or custom IOC rules: bad. An extracted one was only found in the evidence, and an unfiltered answer
# mixes both without saying which is which: unknown, so XSOAR's other sources decide.
IOC_SCORES = {'matched': Common.DBotScore.BAD, 'extracted': Common.DBotScore.NONE, None: Common.DBotScore.NONE}
# Cado's indicator type -> (DBotScore type, XSOAR indicator type, its Common class, the class's value argument).
IOC_TYPES = {
    **dict.fromkeys(('ip', 'ipv4', 'ipv6'), (DBotScoreType.IP, 'IP', Common.IP, 'ip')),
    **dict.fromkeys(('domain', 'hostname', 'fqdn'), (DBotScoreType.DOMAIN, 'Domain', Common.Domain, 'domain')),
    'url': (DBotScoreType.URL, 'URL', Common.URL, 'url'),
    **{name: (DBotScoreType.FILE, 'File', Common.File, name) for name in ('md5', 'sha1', 'sha256', 'sha512')},
}
RELIABILITY_PARAM = 'Source Reliability'
# The options of XSOAR's standard integrationReliability parameter (A++ is for reputation scripts only).
RELIABILITIES = (DBotScoreReliability.A_PLUS, DBotScoreReliability.A, DBotScoreReliability.B, DBotScoreReliability.C,
                 DBotScoreReliability.D, DBotScoreReliability.E, DBotScoreReliability.F)


def scored_indicator(cado_type: Any, value: Any, score: int, reliability: str, related: str, description: Any = None
                     ) -> tuple[Common.Indicator | None, EntityRelationship | None]:
    """The XSOAR indicator of one Cado IOC with its DBotScore, and its relationship to the Cado project or detection
    named `related`; (None, None) for a type XSOAR has no standard indicator for (it stays in Cado's context only)."""
    kind = IOC_TYPES.get(str(cado_type or '').lower())
    if not kind or not value:
        return None, None
    dbot_type, xsoar_type, indicator_class, argument = kind
    why = description if score == Common.DBotScore.BAD else None
    dbot_score = Common.DBotScore(indicator=value, indicator_type=dbot_type, integration_name=BRAND, score=score,
                                  malicious_description=why, reliability=reliability)
    indicator = indicator_class(dbot_score=dbot_score, **{argument: value})
    relationship = EntityRelationship(name=EntityRelationship.Relationships.RELATED_TO, entity_a=value,
                                      entity_a_type=xsoar_type, entity_b=related, entity_b_type='Report',
                                      source_reliability=reliability, brand=BRAND)
    return indicator, relationship


# Detection artifacts that are indicators: a local IP is the organisation's own asset, not one. A detection names its
# artifacts without judging them (a remote IP may be a DNS server), so their score is unknown.
ARTIFACT_IOC_TYPES = {'ip_remote': 'ip', 'domain': 'domain'}
HASH_TYPES_BY_LENGTH = {32: 'md5', 40: 'sha1', 64: 'sha256', 128: 'sha512'}


def artifact_ioc_type(artifact: dict) -> str | None:
    if artifact.get('type') == 'hash':
        return HASH_TYPES_BY_LENGTH.get(len(str(artifact.get('value') or '')))
    return ARTIFACT_IOC_TYPES.get(str(artifact.get('type')))


def detection_artifact_list_command(client: Client, args: dict[str, Any]) -> CommandResults:
    listing = LISTINGS['cado-detection-artifact-list']
    results = list_results(client, args, listing)
    filters = parse_fields(args, listing.filters, client.defaults)
    related = (f'Cado detection {filters["detection_id"]}' if filters.get('detection_id')
               else f'Cado project {filters["investigation_id"]}')
    return with_xsoar_indicators(results, [
        scored_indicator(artifact_ioc_type(artifact), artifact.get('value'), Common.DBotScore.NONE,
                         client.reliability, related) for artifact in results.outputs or []])


''' COMMANDS: files and evidence '''

EVIDENCE_DOWNLOAD_TYPES = ('preservation', 'encase')
FILE_ID_FIELDS = (Field('file_id', 'file_id', 'int'), Field('path', 'path'))


def file_list_command(client: Client, args: dict[str, Any], command: str) -> CommandResults:
    evidence_id = required_id(args, 'evidence_id')
    return list_results(client, args, LISTINGS[command], transform=lambda item: {**item, 'evidence_id': evidence_id})


def file_in_evidence(args: dict[str, Any]) -> dict[str, Any]:
    """The evidence_id and exactly one of file_id or path: the query naming one file."""
    params = {'evidence_id': required_id(args, 'evidence_id'), **parse_fields(args, FILE_ID_FIELDS)}
    if len(params) != 2:
        raise ValueError('Give exactly one of "file_id" or "path" to name the file in the evidence.')
    return params


def file_get_command(client: Client, args: dict[str, Any]) -> CommandResults:
    params = file_in_evidence(args)
    response = client.get_file(params)
    details = {**(response.get('data') or {}), **{'id' if name == 'file_id' else name: value
                                                  for name, value in params.items()}}
    shown = params.get('path', params.get('file_id'))
    return entity_results(FILE_DETAILS, details, response, title=f'Cado file {shown} in evidence {params["evidence_id"]}')


def delivery(args: dict[str, Any], password: bool = False) -> tuple[bool, int]:
    """Whether to unpack Cado's zip, and the most bytes to take in."""
    unzip = parse_field(args, Field('unzip', 'unzip', 'bool', default=False))
    if unzip and password:
        raise ValueError('Arguments "unzip" and "encryption_password" exclude each other: the password protects the '
                         'zip that unzip=true would unpack. Give one of them.')
    return unzip, size_limit(args)


def size_limit(args: dict[str, Any]) -> int:
    """The most bytes a file command takes into the War Room (max_size_mb)."""
    megabytes = parse_field(args, Field('max_size_mb', 'max_size_mb', 'int', default=MAX_DOWNLOAD_MB_DEFAULT))
    if megabytes < 1:
        raise ValueError('Argument "max_size_mb" must be a positive whole number of megabytes.')
    return megabytes * MEGABYTE


def war_room_file(name: str) -> tuple[dict[str, Any], str]:
    """An empty file entry made by fileResult, and the path where fileResult keeps that entry's content."""
    entry = fileResult(name, b'')
    return entry, f'{demisto.investigation()["id"]}_{entry["FileID"]}'


def delivered(entry: dict[str, Any], saved: dict[str, Any], **details: Any) -> dict[str, Any]:
    return {'name': entry['File'], **saved, **details}


def unpack(archive: BinaryIO, max_bytes: int | None, what: str, paths: list[str]) -> list[tuple[dict, dict]]:
    """Every file of the zip as a War Room file entry (their paths added to `paths` as they are made), each copied a
    chunk at a time; refused before any is made when the zip says they hold more than max_bytes in all."""
    try:
        archive_zip = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise CadoApiError(f'{what.capitalize()} from Cado is not a zip file, so it cannot be unpacked: run the command '
                           'again with unzip=false.') from None
    with archive_zip:
        members = [member for member in archive_zip.infolist() if not member.is_dir()]
        if any(member.flag_bits & 0x1 for member in members):
            raise CadoApiError(f'{what.capitalize()} from Cado is a password-protected zip: run the command again '
                               'with unzip=false.')
        unpacked_size = sum(member.file_size for member in members)
        if exceeds(max_bytes, unpacked_size):
            raise too_large(Sink(archive, max_bytes, f'{what} unpacked'), unpacked_size)
        files = []
        for member in members:
            entry, path = war_room_file(os.path.basename(member.filename))
            paths.append(path)
            with archive_zip.open(member) as source, open(path, 'wb') as target:
                saved = write_chunks(iter(partial(source.read, FILE_CHUNK_SIZE), b''), Sink(target, max_bytes, what))
            files.append((entry, saved))
        return files


def deliver(fetch: Callable[[Sink], dict], name: str, what: str, unzip: bool = False, max_bytes: int | None = None
            ) -> list[tuple[dict, dict]]:
    """What Cado streams as War Room file entries: the zip as it is, or (unzip) the files inside it. Nothing is held
    in memory whole; on any failure no partial file is left behind."""
    paths: list[str] = []
    try:
        if unzip:
            with tempfile.TemporaryFile() as archive:
                fetch(Sink(archive, max_bytes, what))
                archive.seek(0)
                return unpack(archive, max_bytes, what, paths)
        entry, path = war_room_file(name)
        paths.append(path)
        with open(path, 'wb') as target:
            return [(entry, fetch(Sink(target, max_bytes, what)))]
    except BaseException:
        for path in paths:
            with contextlib.suppress(OSError):
                os.remove(path)
        raise


def file_download_command(client: Client, args: dict[str, Any]) -> list:
    params = file_in_evidence(args)
    password = parse_field(args, Field('encryption_password', 'encryption_password'))
    unzipped, max_bytes = delivery(args, bool(password))
    source = params.get('path') or f'file-{params.get("file_id")}'
    files = deliver(partial(client.download_file, {**params, **assign_params(encryption_password=password)}),
                    f'{os.path.basename(source.rstrip("/")) or "file"}.zip', 'the file', unzipped, max_bytes)
    how = ('unpacked from the zip Cado made' if unzipped else
           f'the zip as Cado made it, {"protected by the given password" if password else "without a password"}')
    outputs = [delivered(entry, saved, evidence_id=params['evidence_id'], source_path=params.get('path'),
                         source_file_id=params.get('file_id'), unzipped=unzipped, password_protected=bool(password))
               for entry, saved in files]
    results = CommandResults(
        outputs_prefix=DELIVERED_FILE.prefix, outputs_key_field=DELIVERED_FILE.key, outputs=remove_empty_elements(outputs),
        readable_output=table(DELIVERED_FILE, outputs, f'File {source} from Cado evidence {params["evidence_id"]}: '
                                                       f'{how}'))
    return [results, *(entry for entry, _ in files)]


def pipeline_logs_get_command(client: Client, args: dict[str, Any]) -> list:
    pipeline_id = required_id(args, 'pipeline_id')
    files = deliver(partial(client.get_pipeline_logs, pipeline_id), f'cado-pipeline-{pipeline_id}-logs.zip',
                    'the logs', *delivery(args))
    names = ', '.join(f'{entry["File"]} ({saved["size"]:,} bytes)' for entry, saved in files) or 'none'
    return [CommandResults(readable_output=f'Logs of Cado pipeline {pipeline_id} in the War Room: {names}.'),
            *(entry for entry, _ in files)]


def evidence_url_get_command(client: Client, args: dict[str, Any]) -> CommandResults:
    """The link is shown in this entry only: it is a bearer credential, so it goes neither to context nor to the raw
    response (which playbooks and the entry's JSON view would keep) nor to any log."""
    evidence_id = required_id(args, 'evidence_id')
    download_type = parse_field(args, Field('download_type', 'download_type', required=True,
                                            choices=EVIDENCE_DOWNLOAD_TYPES))
    response = client.generate_evidence_url(evidence_id, download_type)
    url = (response.get('data') or {}).get('url')
    if not isinstance(url, str) or not url.strip():
        raise CadoApiError(f'Cado generated no download URL for evidence {evidence_id}.')
    return CommandResults(readable_output=(
        f'### Pre-signed {download_type} download URL of Cado evidence {evidence_id}\n{url.strip()}\n\nAnyone holding '
        'this link can download the evidence until it expires: pass it only to whoever makes the copy. It is shown '
        'in this entry only, not in context.'))


''' COMMANDS: webhooks '''

PASSWORD_IN_URL_NOTE = (f'The "url" argument holds a password, which the War Room shows in this command\'s entry: set '
                        f'the instance parameter "{WEBHOOK_CREDENTIALS_PARAM}" and give the URL without it.')


def with_webhook_credentials(url: str, credentials: tuple[str, str]) -> str:
    """The Generic Webhook URL with the instance's credentials in its user-info: Cado sends no headers, so the URL
    is the only place for them."""
    username, password = credentials
    if not username or not password:
        raise ValueError(f'Instance parameter "{WEBHOOK_CREDENTIALS_PARAM}" needs both the username and the password '
                         'of the Generic Webhook instance that receives Cado\'s webhooks.')
    if username.startswith('_header:'):
        raise ValueError(f'Instance parameter "{WEBHOOK_CREDENTIALS_PARAM}": Cado sends no headers, so a "_header:" '
                         'username cannot reach Generic Webhook. Give Generic Webhook a username and password instead.')
    try:
        parts = urlsplit(url)
        valid = parts.scheme.lower() in ('http', 'https') and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        raise ValueError('Argument "url" must be the http(s) URL of the Generic Webhook instance, e.g. '
                         'https://ext-<tenant>/xsoar/instance/execute/<instance>.')
    if '@' in parts.netloc:
        raise ValueError(f'Argument "url" already holds credentials, and the instance parameter '
                         f'"{WEBHOOK_CREDENTIALS_PARAM}" adds them: give the URL without "<username>:<password>@".')
    userinfo = f'{quote(username, safe="")}:{quote(password, safe="")}'
    return urlunsplit(parts._replace(netloc=f'{userinfo}@{parts.netloc}'))


def webhook_url_and_note(client: Client, url: str, insert_credentials: bool) -> tuple[str, str]:
    """The URL to send and a note for the analyst when a password was typed into it."""
    if insert_credentials:
        return with_webhook_credentials(url, client.webhook_credentials), ''
    return url, PASSWORD_IN_URL_NOTE if URL_PASSWORD.search(url) else ''


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
    # Only the pack's own intake gets Generic Webhook's credentials: a custom payload may go to Slack or Teams.
    url, note = webhook_url_and_note(client, url, for_xsoar and any(client.webhook_credentials))
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
                          title='Cado webhooks created', note=note)


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
    insert_credentials = parse_field(args, Field('insert_credentials', '', 'bool', default=False))
    if insert_credentials and 'url' not in body:
        raise ValueError('Argument "insert_credentials" needs "url": the credentials go into the new URL.')
    note = ''
    if 'url' in body:
        body['url'], note = webhook_url_and_note(client, body['url'], insert_credentials)
    response = client.update_webhook(webhook_id, body)
    data = response.get('data') or {}
    webhook = {**(data.get('webhook') or redact(body)), 'id': data.get('id') or webhook_id}
    return entity_results(WEBHOOK, webhook, response, title=f'Cado webhook {webhook_id} updated', note=note)


def webhook_delete_command(client: Client, args: dict[str, Any]) -> CommandResults:
    webhook_id = required_id(args, 'webhook_id')
    response = client.delete_webhook(webhook_id)
    return CommandResults(readable_output=f'Cado webhook {webhook_id} deleted.', raw_response=response)


def webhook_test_command(client: Client, args: dict[str, Any]) -> CommandResults:
    webhook_id = required_id(args, 'webhook_id')
    response = client.test_webhook(webhook_id)
    message = (response.get('data') or {}).get('message') or 'sent'
    return CommandResults(readable_output=f'Cado webhook {webhook_id} test: {message}', raw_response=response)


''' COMMANDS: timeline '''


def timeline_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its alarms summed up: the highest severity, the descriptions and the ATT&CK techniques of all
    of them."""
    alarms = [alarm for alarm in event.get('alarm_information') or [] if isinstance(alarm, dict)]
    severities = [alarm['severity'] for alarm in alarms if isinstance(alarm.get('severity'), int)]
    return {**event, **assign_params(
        alarm_severity=max(severities, default=None),
        alarm_descriptions=[alarm['description'] for alarm in alarms if alarm.get('description')],
        attack=sorted({str(technique) for alarm in alarms for technique in alarm.get('attack') or []}))}


def timeline_facet_list_command(client: Client, args: dict[str, Any]) -> CommandResults:
    listing = LISTINGS['cado-timeline-facet-list']
    filters = parse_fields(args, listing.filters, client.defaults)
    values, responses, next_token = paginate(client.list_timeline_facets, filters, args, listing.paging)
    facet = {'facet_field': filters['facet_field'], 'project_id': filters['project_id'], 'values': values,
             **assign_params(search_text=filters.get('search_text'), next_token=next_token)}
    title = f'Cado timeline facet counts of {facet["facet_field"]} in project {facet["project_id"]}'
    note = more_results_note(next_token)
    readable = table(TIMELINE_FACET, [{'values': value} for value in values], title)
    return CommandResults(outputs_prefix=TIMELINE_FACET.prefix, outputs_key_field=TIMELINE_FACET.key,
                          outputs=facet, readable_output=f'{readable}\n{note}' if note else readable,
                          raw_response=raw_of(responses))


NOTE_TYPES = ('star', 'comment')
NOTE_TARGET_FIELDS = (
    project_field('investigation_id', description="ID of the project the events belong to. Defaults to the instance's "
                                                  "Default project ID."),
    Field('event_ids', 'include_event_ids', 'list', description='Comma-separated IDs of the timeline events (the id of '
                                                                'cado-timeline-search).'),
    Field('search_text', 'include_timeline_query', description='Timeline search query: every event it finds.'),
    Field('exclude_event_ids', 'exclude_event_ids', 'list',
          description='Comma-separated IDs of events to leave out of what search_text finds.'),
)


def note_request(client: Client, args: dict[str, Any]) -> dict[str, Any]:
    """The body that stars or comments (or removes the star or comment of) the events the arguments name."""
    body = parse_fields(args, NOTE_TARGET_FIELDS, client.defaults)
    note_type = parse_field(args, Field('note_type', 'type', required=True, choices=NOTE_TYPES))
    text = parse_field(args, Field('comment', 'text'))
    if (note_type == 'comment') != bool(text):
        raise ValueError('Argument "comment" is required with note_type=comment, and allowed only with it.')
    # Without either, no event is named: Cado's answer to such a request is not documented.
    if not body.get('include_event_ids') and not body.get('include_timeline_query'):
        raise ValueError('Give "event_ids" or "search_text" (or both): they name the events.')
    return {**body, 'note': assign_params(type=note_type, text=text)}


def timeline_note_add_command(client: Client, args: dict[str, Any]) -> CommandResults:
    body = note_request(client, args)
    response = client.create_notes(body)
    event_ids = (response.get('data') or {}).get('event_ids') or []
    note = body['note']
    marks = {'starred': True} if note['type'] == 'star' else {'comment': note['text']}
    done = 'starred' if note['type'] == 'star' else 'commented'
    return CommandResults(outputs_prefix=TIMELINE_EVENT.prefix, outputs_key_field=TIMELINE_EVENT.key,
                          outputs=[{'id': event_id, **marks} for event_id in event_ids],
                          readable_output=f'Cado timeline events {done} in project {body["investigation_id"]}: '
                                          f'{", ".join(map(str, event_ids)) or "none"}.',
                          raw_response=response)


def timeline_note_remove_command(client: Client, args: dict[str, Any]) -> CommandResults:
    body = note_request(client, args)
    response = client.remove_notes(body)
    what = 'Stars' if body['note']['type'] == 'star' else 'Comments'
    return CommandResults(readable_output=f'{what} removed from the named Cado timeline events in project '
                                          f'{body["investigation_id"]}.', raw_response=response)


def timeline_note_update_command(client: Client, args: dict[str, Any]) -> CommandResults:
    note_id = required_id(args, 'note_id')
    text = parse_field(args, Field('comment', 'text', required=True))
    response = client.update_note(note_id, {'text': text})
    return entity_results(TIMELINE_NOTE, {'id': note_id, **(response.get('data') or {})}, response,
                          title=f'Cado timeline note {note_id} updated')


def timeline_note_delete_command(client: Client, args: dict[str, Any]) -> CommandResults:
    note_id = required_id(args, 'note_id')
    response = client.delete_note(note_id)
    return CommandResults(readable_output=f'Cado timeline note {note_id} deleted.', raw_response=response)


def export_command(client: Client, args: dict[str, Any], command: str) -> dict[str, Any]:
    """A War Room file entry, streamed to its file and refused above max_size_mb as the downloads are."""
    export = EXPORTS[command]
    params = parse_fields(args, export.fields, client.defaults)
    [(entry, _)] = deliver(partial(getattr(client, export.endpoint), params), export.file_name.format(**params),
                           'the export', max_bytes=size_limit(args))
    return entry


''' COMMANDS: remote response '''

CLOUDGREP_FIELDS = (
    Field('bucket', 'bucket_name', required=True),
    Field('account', 'account_name', required=True, fallback='account'),
    project_field('investigation_id'),
    Field('query', 'query', 'list', required=True),
    Field('filename', 'filename'),
    Field('modified_after', 'modified_after', 'time'),
    Field('modified_before', 'modified_before', 'time'),
    Field('prefixes', 'prefixes', 'list'),
)


def cloudgrep_search_command(client: Client, args: dict[str, Any]) -> CommandResults:
    body = parse_fields(args, CLOUDGREP_FIELDS, client.defaults)
    response = client.search_cloudgrep(body)
    matches = response['data'].get('search_results')
    if not isinstance(matches, list):
        raise CadoApiError(f'Cado answered the cloudgrep search without search results: {str(response["data"])[:200]}')
    matches = [{**match, 'bucket': body['bucket_name']} for match in matches if isinstance(match, dict)]
    title = f'Cado cloudgrep matches in bucket {body["bucket_name"]}'
    if not matches:
        return CommandResults(readable_output=f'{title}: no file matches the query.', raw_response=response)
    return entity_results(CLOUDGREP_MATCH, matches, response, title=title)


''' COMMANDS: Cado Host '''

HOST_OS = ('windows', 'macos', 'linux', 'kubernetes', 'openshift')
HOST_OS_FIELD = Field('os', 'os', required=True, choices=HOST_OS)
HOST_COMMAND_FIELDS = (
    project_field('project_id'),
    HOST_OS_FIELD,
    Field('deployment', 'deployment', choices=('auto', 'manual'), default='auto'),
    Field('downloadable', 'downloadable', 'bool', default=False),
)
# skip_ssl_verification is left out on purpose: a command that ignores TLS errors uploads evidence to whoever answers.
HOST_COMMAND_OPTIONS = (
    *(Field(name, name, 'bool') for name in ('as_super', 'light_mode', 'max_mode', 'enable_memory', 'extended_memory',
                                             'verbose', 'no_clean', 'is_non_root', 'skip_scan')),
    Field('additional_files', 'additional_files', 'list'),
    Field('host_groups', 'groups', 'list'),
    *(Field(name, name) for name in ('filename', 'pod_name', 'pod_namespace', 'target_container', 'drive_letter',
                                     'custom_container')),
)
SCRIPT_SUFFIXES = {'windows': 'ps1'}
# What in Cado's answer lets whoever holds it upload into the project.
HOST_COMMAND_SECRETS = ('command', 'presigned_data')


def host_command_get_command(client: Client, args: dict[str, Any]) -> list[Any]:
    """The command, or with downloadable=true the stand-alone script, as a file entry; the command also in this
    entry's table. It carries the collection's upload credentials, so it reaches context (where every later task and
    anyone who reads the incident sees it) only when include_command_in_context=true asks for it, and never the raw
    response."""
    body = {**parse_fields(args, HOST_COMMAND_FIELDS, client.defaults),
            'command_options': parse_fields(args, HOST_COMMAND_OPTIONS)}
    in_context = parse_field(args, Field('include_command_in_context', '', 'bool', default=False))
    response = client.generate_host_command(body)
    data = response['data']
    command = data.get('command')
    if not isinstance(command, str) or not command.strip():
        raise CadoApiError(f'Cado generated no Cado Host command for project {body["project_id"]}.')
    deployment = {'id': f'{body["project_id"]}:{body["os"]}:{body["deployment"]}', 'project_id': body['project_id'],
                  'os': body['os'], 'deployment': body['deployment'], 'created': int(now_ms()),
                  **assign_params(cloud_storage_info=data.get('cloud_storage_info'))}
    name = f'cado_host_{body["os"]}.{SCRIPT_SUFFIXES.get(body["os"], "sh")}'
    title = (f'Cado Host {body["deployment"]} deployment command for {body["os"]} in project {body["project_id"]}: '
             f'file {name}')
    with_command = {**deployment, 'command': command}
    # A stand-alone script is too long for a table cell: the file holds it.
    shown = deployment if body['downloadable'] else with_command
    results = CommandResults(
        outputs_prefix=HOST_DEPLOYMENT.prefix, outputs_key_field=HOST_DEPLOYMENT.key,
        outputs=with_iso_times(with_command if in_context else deployment),
        readable_output=table(HOST_DEPLOYMENT, [with_iso_times(shown)], title),
        raw_response={**response, 'data': {key: value for key, value in data.items()
                                           if key not in HOST_COMMAND_SECRETS}})
    return [fileResult(name, command), results]


HOST_FOLLOW = 'cado-host-acquisition-follow'
HOST_FIELD = Field('host', 'host', description='The machine Cado Host runs on, as the analyst names it (for the record).')
# What a Cado Host upload starts in the project, followed as an acquisition is: acquisition pipelines through their
# processing, or, when Cado starts none, the processing pipelines themselves.
HOST_SOURCES = {kind: Source('Host', 'generate_host_command', 'host', 'Cado Host collection', (HOST_FIELD,),
                             processes=kind == 'processing') for kind in ('acquisition', 'processing')}
HOST_FOLLOW_FIELDS = (
    project_field('project_id', description="ID of the project the Cado Host command uploads into. Defaults to the "
                                            "instance's Default project ID."),
    Field('since', 'since', 'time', required=True,
          description='When the Cado Host command was generated (Cado.HostDeployment.created of cado-host-command-get): '
                      'the pipelines Cado starts in the project from then on are followed. ISO 8601 or relative.'),
    HOST_FIELD,
)
HOST_PIPELINES_READ = 50  # the project's newest pipelines, among which those the upload started are looked for


def host_pipelines(client: Client, project_id: int, since_ms: int) -> tuple[str, list[int]]:
    """The pipelines Cado started in the project since the command was generated: its acquisition pipelines, else its
    processing pipelines (the kind, and their ids)."""
    response = client.list_pipelines({'project_id': project_id, 'order_by': '-created', 'page': 1,
                                      'per_page': HOST_PIPELINES_READ})
    started = [pipeline.get('pipeline') or {} for pipeline in response.get('data') or []
               if (epoch_millis(pipeline.get('created')) or 0) >= since_ms]
    for kind in HOST_SOURCES:
        ids = sorted(details['id'] for details in started if details.get('type') == kind
                     and isinstance(details.get('id'), int) and not isinstance(details.get('id'), bool))
        if ids:
            return kind, ids
    return '', []


def host_acquisition_follow_command(client: Client, args: dict[str, Any]) -> CommandResults | list[CommandResults]:
    """Waits for the pipelines a Cado Host upload starts in the project after the command was generated, then follows
    them as an acquisition (poll_acquisition) to their end and, with wait_for_processing, through processing."""
    polling, interval, timeout = polling_settings(args, first_run=not is_given(args, 'polling_followup'))
    if not polling:
        raise ValueError(f'Argument "polling" must be true: {HOST_FOLLOW} waits for the Cado Host upload. To see the '
                         'project\'s pipelines now, run cado-pipeline-list project_id=<project>.')
    wait_for_processing = parse_field(args, Field('wait_for_processing', 'wait_for_processing', 'bool', default=False))
    settings = parse_fields(args, HOST_FOLLOW_FIELDS, client.defaults)
    if is_given(args, 'pipeline_id'):
        kind = parse_field(args, Field('pipeline_type', 'pipeline_type', choices=tuple(HOST_SOURCES),
                                       default='acquisition'))
        return poll_acquisition(client, args, HOST_FOLLOW, interval, timeout, wait_for_processing, HOST_SOURCES[kind])
    kind, pipeline_ids = host_pipelines(client, settings['project_id'], settings['since'] * 1000)
    if pipeline_ids:
        found = {**args, 'project_id': settings['project_id'], 'pipeline_type': kind, 'pipeline_id': pipeline_ids[0],
                 'pipeline_ids': ','.join(map(str, pipeline_ids))}
        return poll_acquisition(client, found, HOST_FOLLOW, interval, timeout, wait_for_processing, HOST_SOURCES[kind])
    host = f' of {settings["host"]}' if settings.get('host') else ''
    since = to_iso(settings['since'] * 1000)
    waiting = (f'the Cado Host collection{host} has started no pipeline in project {settings["project_id"]} since the '
               f'command was generated ({since})')
    if timeout >= interval:
        return poll_again(HOST_FOLLOW, {**args, 'polling_followup': True}, interval, timeout,
                          readable=f'Waiting: {waiting}.')
    record = remove_empty_elements({'project_id': settings['project_id'], 'source': 'Host',
                                    'resource_id': settings.get('host'), 'status': 'timeout', 'reason': waiting})
    return with_error_entry(
        entity_results(ACQUISITION, record, None, title='Cado Host acquisition timeout'),
        f'Timed out waiting for the Cado Host upload: {waiting}. Check that the command ran on the machine (its output '
        f'says whether the upload succeeded), then run {HOST_FOLLOW} again with the same since, or raise '
        'timeout_in_seconds.')


def host_download_link_get_command(client: Client, args: dict[str, Any]) -> CommandResults:
    os_name = parse_field(args, HOST_OS_FIELD)
    response = client.get_host_download_link({'os': os_name})
    link = response['data'].get('link')
    if not isinstance(link, str) or not link.strip():
        raise CadoApiError(f'Cado gave no Cado Host download link for {os_name}.')
    return entity_results(HOST_DOWNLOAD, {'os': os_name, 'link': link.strip()}, response,
                          title=f'Cado Host download link for {os_name}')


''' COMMANDS: custom IOC rules '''

# Cado's custom IOC rules are one text: one indicator per line, any keyword (a file name, an IP, a domain; a SHA256
# is matched against files too), optionally followed by ";" and a title ("evil.example;C2 domain"), as Cado's
# "Adding detections" and "Intelligence" pages describe it. Cado documents no comment syntax and no other format, so
# every line reads as a rule (a type of "keyword" when it is no IP, domain, URL or hash), and a push never rewrites,
# reorders or drops a line: it appends its own rules after the text it read.
IOC_PUSH_TYPES = ('ip', 'domain', 'url', 'md5', 'sha1', 'sha256')
IOC_TYPE_NAMES = {'ip': 'an IP address', 'domain': 'a domain', 'url': 'a URL', 'md5': 'an MD5 hash',
                  'sha1': 'a SHA1 hash', 'sha256': 'a SHA256 hash', 'keyword': 'no IP, domain, URL or hash'}
HASH_LENGTHS = {32: 'md5', 40: 'sha1', 64: 'sha256'}
HEX_RE = re.compile(r'[0-9a-fA-F]+')
DOMAIN_RE = re.compile(r'(?=.{4,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})',
                       re.IGNORECASE)
# Defanged spellings of threat reports (hxxp://, evil[.]example, 1.2.3[.]4). Cado matches a rule's text literally, so
# a defanged rule never matches: a push writes the live value and says so, and a defanged line of Cado's is a keyword.
DEFANGS = ((re.compile(r'^hxxp', re.IGNORECASE), 'http'), (re.compile(r'^fxp', re.IGNORECASE), 'ftp'),
           (re.compile(r'\[\.\]|\(\.\)|\{\.\}|\[dot\]', re.IGNORECASE), '.'), (re.compile(r'\[:\]'), ':'),
           (re.compile(r'\[://\]'), '://'))
MAX_IOC_WRITES = 3  # writes of one push: the first, and the merges again after another edit raced it


def refanged(value: str) -> str:
    for pattern, live in DEFANGS:
        value = pattern.sub(live, value)
    return value


def is_domain(value: str) -> bool:
    """An ASCII or internationalised (münchen.example) domain name."""
    if value.isascii():
        return bool(DOMAIN_RE.fullmatch(value))
    try:
        ascii_name = value.encode('idna')
        # the codec silently drops some characters (a zero-width space): such a value is not the name it encodes
        return bool(DOMAIN_RE.fullmatch(ascii_name.decode())) and ascii_name.decode('idna').lower() == value.lower()
    except UnicodeError:
        return False


def is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_host(host: str | None) -> bool:
    return bool(host) and (is_ip(host) or is_domain(host))


def is_url(value: str) -> bool:
    """scheme://host[:port][/...], or host[:port]/path as XSOAR extracts URLs without a scheme."""
    if re.search(r'\s', value):
        return False
    try:
        parts = urlsplit(value if '://' in value else f'//{value}')
        valid_port = parts.port is None or parts.port > 0
    except ValueError:  # a malformed IPv6 host or port
        return False
    if '://' not in value and (not parts.path.startswith('/') or re.fullmatch(r'/\d{1,3}', parts.path)):
        return False  # no path, or a CIDR block (10.0.0.0/8)
    return valid_port and is_host(parts.hostname) and ('://' not in value or bool(re.fullmatch(r'[a-z][a-z0-9+.-]*',
                                                                                              parts.scheme, re.I)))


def ioc_type(value: str) -> str:
    if HEX_RE.fullmatch(value) and len(value) in HASH_LENGTHS:
        return HASH_LENGTHS[len(value)]
    if refanged(value) != value:
        return 'keyword'
    if is_ip(value):
        return 'ip'
    if is_url(value):
        return 'url'
    return 'domain' if is_domain(value) else 'keyword'


def ioc_identity(value: str) -> str:
    """What makes two rules the same indicator: hashes and domains ignore case, IPs are compared as addresses."""
    kind = ioc_type(value)
    if kind == 'ip':
        return str(ipaddress.ip_address(value))
    if kind == 'url':  # a URL's scheme and host have no case; its path may
        parts = urlsplit(value if '://' in value else f'//{value}')
        return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()))
    return value.lower() if kind in ('domain', *HASH_LENGTHS.values()) else value


def ioc_rule_values(text: str) -> list[tuple[int, str, str]]:
    """(line number, indicator, title) of every line that names an indicator."""
    rules = []
    for number, line in enumerate(text.splitlines(), start=1):
        value, _, title = line.partition(';')
        if value.strip():
            rules.append((number, value.strip(), title.strip()))
    return rules


def rule_identities(text: str) -> set[str]:
    """The indicators the rules in `text` name, as ioc_identity compares them."""
    return {ioc_identity(value) for _, value, _ in ioc_rule_values(text)}


def rule_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def ioc_scope(project_id: int | None) -> dict[str, Any]:
    return {'scope': 'project', 'project_id': project_id} if project_id else {'scope': 'tenant'}


def ioc_rule(value: str, title: str, project_id: int | None, **extra: Any) -> dict[str, Any]:
    return {'key': f'{project_id or "tenant"}:{ioc_identity(value)}', 'value': value, 'type': ioc_type(value),
            **assign_params(title=title), **ioc_scope(project_id), **extra}


def ioc_text(response: dict[str, Any], where: str) -> str:
    """The rules text of a GET /intelligence (where='tenant') or GET /projects/{id} answer. Anything but the
    contract's shape is an error, never an empty text: writing after reading nothing would drop Cado's rules."""
    data = response.get('data') or {}
    if where == 'tenant':
        holder = data.get('ioc')
    else:  # a project that never had rules of its own may leave `ioc` out of its details
        details = data.get('details')
        holder = details.get('ioc', {'custom_data': {}}) if isinstance(details, dict) else None
    # `custom_data` is required where `ioc` is given (an empty object when there are no rules): without it, the
    # answer cannot tell "no rules" from "rules not sent".
    custom = holder.get('custom_data') if isinstance(holder, dict) else None
    text = (custom.get('user_input') or '') if isinstance(custom, dict) else None
    if not isinstance(text, str):
        path = 'data.ioc' if where == 'tenant' else 'data.details.ioc'
        raise CadoApiError(f'Cado\'s answer holds no custom IOC rules text at {path}.custom_data.user_input: nothing '
                           'was written (writing could drop the rules Cado holds). The platform version may not match '
                           'the integration.')
    return text


class IocStore(NamedTuple):
    """Where a set of custom IOC rules lives: the tenant's (every project) or one project's."""
    read: Callable[[], tuple[str, dict]]  # (rules text, Cado's answer)
    write: Callable[[str], dict]
    where: str  # for messages


def ioc_store(client: Client, project_id: int | None) -> IocStore:
    if project_id:
        def read_project() -> tuple[str, dict]:
            response = client.get_project(project_id)
            return ioc_text(response, 'project'), response
        return IocStore(read_project, lambda text: client.update_project(project_id, {'ioc': text}),
                        f'project {project_id}')

    def read_tenant() -> tuple[str, dict]:
        response = client.get_intelligence()
        return ioc_text(response, 'tenant'), response
    return IocStore(read_tenant, lambda text: client.update_intelligence({'ioc': text}), 'the tenant')


def optional_project(args: dict[str, Any]) -> int | None:
    """A project_id that is never the instance's Default project ID: the two scopes differ too much to guess."""
    return required_id(args, 'project_id') if not is_empty(args.get('project_id')) else None


def ioc_rule_list_command(client: Client, args: dict[str, Any]) -> CommandResults:
    project_id = optional_project(args)
    store = ioc_store(client, project_id)
    text, response = store.read()
    rules = [ioc_rule(value, title, project_id, line=number) for number, value, title in ioc_rule_values(text)]
    return entity_results(IOC_RULE, rules, response, title=f'Cado custom IOC rules of {store.where}')


def pushed_values(args: dict[str, Any]) -> tuple[list[str], str | None, dict[str, str]]:
    """The distinct values to push (refanged), their title, and each refanged value's spelling as given; every value
    checked before any request."""
    values = parse_field(args, Field('values', 'values', 'list', required=True))
    wanted = parse_field(args, Field('type', 'type', choices=IOC_PUSH_TYPES))
    title = parse_field(args, Field('title', 'title'))
    if title and ('\n' in title or '\r' in title):
        raise ValueError('Argument "title" must be a single line: each line of Cado\'s IOC rules is a rule.')
    given = {}
    for value in values:
        if re.search(r'[;\r\n]', value):
            raise ValueError(f'Invalid value "{value[:100]}" in argument "values": a Cado IOC rule is one line, and '
                             '";" starts its title.')
        kind = ioc_type(refanged(value))
        if wanted and kind != wanted:
            raise ValueError(f'Invalid value "{value[:100]}" in argument "values": it is not {IOC_TYPE_NAMES[wanted]} '
                             f'(it reads as {IOC_TYPE_NAMES[kind]}).')
        if kind not in IOC_PUSH_TYPES:
            raise ValueError(f'Invalid value "{value[:100]}" in argument "values": it is no IP address, domain, URL, '
                             f'MD5, SHA1 or SHA256 hash. Allowed types: {", ".join(IOC_PUSH_TYPES)}.')
        given.setdefault(refanged(value), value)
    distinct: dict[str, str] = {}
    for value in given:
        distinct.setdefault(ioc_identity(value), value)
    return list(distinct.values()), title, {value: given[value] for value in distinct.values() if given[value] != value}


def missing_lines(text: str, kept: list[str], ours: dict[str, str]) -> list[str]:
    """Lines to append to `text` so that it holds every line kept from before and each of our indicators."""
    present_lines = set(rule_lines(text))
    present = rule_identities(text)
    # a kept line whose indicator is still there was edited (its title), not dropped: restoring it would duplicate it
    return ([line for line in kept
             if line not in present_lines and ioc_identity(line.partition(';')[0].strip()) not in present]
            + [line for identity, line in ours.items() if identity not in present])


def appended(text: str, lines: list[str]) -> str:
    """`lines` after `text`, with the line breaks it uses (a text saved from a browser's text box may use CRLF)."""
    newline = '\r\n' if '\r\n' in text else '\n'
    return text + (newline if text and not text.endswith('\n') else '') + newline.join(lines)


def write_ioc_rules(store: IocStore, text: str, response: dict, ours: dict[str, str]) -> tuple[dict, int, list[str]]:
    """Write `ours` after the rules in `text`, read back, and merge again while another edit raced ours: Cado has no
    ETag, so a writer that read before us and writes after us can drop our rules (or the ones we read). Returns the
    last answer read, the number of writes, and the lines of others that a racing write dropped and we restored."""
    kept = list(dict.fromkeys(rule_lines(text)))
    writes, restored = 0, []
    while missing := missing_lines(text, kept, ours):
        if writes:
            restored += [line for line in missing if line in kept and line not in restored]
        if writes == MAX_IOC_WRITES:
            raise CadoApiError(f'The custom IOC rules of {store.where} changed under each of {writes} writes (other '
                               f'edits keep racing this one); still missing: {", ".join(missing)[:500]}. Run the '
                               'command again.')
        store.write(appended(text, missing))
        writes += 1
        text, response = store.read()
    return response, writes, restored


def ioc_rule_push_command(client: Client, args: dict[str, Any]) -> CommandResults:
    """Adds indicators to Cado's custom IOC rules: read, merge, write, read back; idempotent."""
    values, title, defanged = pushed_values(args)
    project_id = optional_project(args)
    dry_run = parse_field(args, Field('dry_run', 'dry_run', 'bool', default=False))
    store = ioc_store(client, project_id)
    text, response = store.read()
    present = rule_identities(text)
    identities = {value: ioc_identity(value) for value in values}
    adding = {identity: f'{value};{title}' if title else value for value, identity in identities.items()
              if identity not in present}
    status = 'would be added' if dry_run else 'added'
    rules = [ioc_rule(value, title, project_id, status=status) if identity in adding
             else ioc_rule(value, '', project_id, status='already present') for value, identity in identities.items()]
    summary = f'{len(adding)} {status}, {len(values) - len(adding)} already present'
    if dry_run or not adding:
        note = f'{"Dry run" if dry_run else "Nothing to add"}: {summary}. Nothing was written.'
    else:
        response, writes, restored = write_ioc_rules(store, text, response, adding)
        note = f'{summary}, verified by reading the rules back.'
        if writes > 1:
            note += (f' Another edit raced this one: merged again, {writes} writes in all'
                     + (f'; restored rules it had dropped: {", ".join(restored)[:500]}.' if restored else '.'))
    if defanged:
        note += ' Refanged (a defanged value never matches in Cado): ' + ', '.join(
            f'{spelling} to {value}' for value, spelling in defanged.items())[:500] + '.'
    return entity_results(IOC_RULE_PUSH, rules, response, title=f'Cado custom IOC rules of {store.where}', note=note)


''' FETCH INCIDENTS '''


def detection_incident(detection: dict[str, Any], first_seen: bool) -> dict[str, Any]:
    """An incident whose rawJSON is the detection webhook template filled in (so one mapper serves push and pull),
    plus the full detection. $Event becomes the detection's raw_event: the source's event, as Cado holds it."""
    title = detection.get('name') or ''
    raw_event = detection.get('raw_event')
    values = {'detection_id': str(detection.get('id')), 'Title': title, 'event_type': title,
              'group_id': str(detection.get('investigation_id') or ''),
              'Event': raw_event if isinstance(raw_event, str) else json.dumps(raw_event) if raw_event else ''}
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
        webhook_credentials=credential_pair(params.get('webhook_credentials')),
        reliability=instance_setting(params, Field('integrationReliability', '', choices=RELIABILITIES,
                                                   default=DBotScoreReliability.B), RELIABILITY_PARAM),
    )


''' MIRRORING: an incident and its Cado project kept in step (README: Mirroring) '''

MIRROR_DIRECTIONS = {'None': None, 'Incoming': 'In', 'Outgoing': 'Out', 'Incoming And Outgoing': 'Both'}
MIRROR_PARAMS = {'mirror_direction': 'Incident Mirroring Direction',
                 'close_incident': 'Close the XSOAR incident when the Cado project is Closed or Archived',
                 'close_project': 'Close the Cado project when the XSOAR incident is closed'}
CLOSED_STATUSES = ('Closed', 'Archived')
CLOSE_REASONS = {'Closed': 'Resolved', 'Archived': 'Other'}
# XSOAR phase names (case and hyphens aside) -> Cado status. Other phases are not mirrored.
PHASE_TO_STATUS = {'containment': 'Containment', 'eradication': 'Eradication', 'recovery': 'Recovery',
                   'post incident activity': 'Post incident activity', 'lessons learned': 'Post incident activity'}
OUTGOING_FIELDS = {
    'cado_status': 'Cado status to set on the project: ' + ', '.join(PROJECT_STATUSES) + '.',
    'phase': 'Incident phase; Containment, Eradication, Recovery and Post-Incident Activity set the Cado status of the '
             'same name, other phases are ignored.',
    'owner': 'Incident owner; added to the project\'s users when a Cado user has exactly this username.',
}
# What the state keeps of a project, besides its incident: a hash of the mirrored fields, and the status apart, which
# update-remote-system records when the incident already shows what it sent, so that the next cycle does not report
# it back. last_update (the time of the last status change) is left out: it moves with the status.
FINGERPRINT_FIELDS = ('name', 'description', 'items_identified', 'malicious_alarms', 'suspicious_alarms',
                      'evidence_count', 'last_acquisition', 'ai_summary')
STATE_WRITE_ATTEMPTS = 5
MAX_FOLLOWERS = 20  # other incidents of a project remembered (their ids are named when the project is left open)
# Changes kept for get-remote-data at most (bytes of JSON): a larger burst waits, unacknowledged, for the next cycles,
# so the context stays small and every get-remote-data (which rewrites it) stays cheap.
PENDING_BYTES = 1024 * 1024
# Cycles a change waits for get-remote-data before it is taken as unwanted (XSOAR pulls no incident of that project:
# the incident is closed or deleted) and acknowledged, so that it is not reported for ever.
UNSERVED_CYCLES = 60
# A project its incident has seen Closed or Archived for DORMANT_AFTER cycles (a day at one a minute) is read one cycle
# in DORMANT_EVERY: the registry keeps every project ever mirrored, and months of closed ones would otherwise cost a
# request per 100 every cycle. A reopen or a late change in Cado still arrives, within DORMANT_EVERY cycles.
DORMANT_AFTER = 1440
DORMANT_EVERY = 60
MIRROR_LINK = Entity('Cado.MirrorLink', 'project_id', 'Cado project mirroring', (
    ('project_id', 'project_id'), ('incident_id', 'incident_id'), ('linked', 'linked'), ('mirrored_by', 'mirrored_by'),
    ('mirror_direction', 'mirror_direction'), ('mirror_instance', 'mirror_instance')))


class MirrorSettings(NamedTuple):
    direction: str | None  # 'In' | 'Out' | 'Both', None when mirroring is off
    instance: str
    close_incident: bool
    close_project: bool


def mirror_settings(params: dict[str, Any]) -> MirrorSettings:
    direction = instance_setting(params, Field('mirror_direction', '', choices=tuple(MIRROR_DIRECTIONS), default='None'),
                                 MIRROR_PARAMS['mirror_direction'])
    close_incident, close_project = (instance_setting(params, Field(name, '', 'bool', default=False), MIRROR_PARAMS[name])
                                     for name in ('close_incident', 'close_project'))
    return MirrorSettings(MIRROR_DIRECTIONS[direction], demisto.integrationInstance(), close_incident, close_project)


def new_state() -> dict[str, Any]:
    """projects: project id -> [incident id (None until one claims it), *fingerprint that get-remote-data last served
    (None until served)]; pending: project id -> the change found and not served yet, for get-remote-data to answer
    from (a change is acknowledged only once served, so one that XSOAR never pulled is reported again); cycle: the
    number of the last get-modified-remote-data; closed_since: project id -> the cycle its served status became Closed
    or Archived (the projects that become dormant)."""
    return {'projects': {}, 'pending': {}}


def mirror_state() -> dict[str, Any]:
    return get_integration_context().get('mirror') or new_state()


def update_mirror_state(change: Callable[[dict[str, Any]], Any]) -> Any:
    """Applies `change` to the mirroring state and saves it at the version it was read at: when another execution
    saved in between, XSOAR refuses the write (ValueError) and the change is applied again to what that one saved."""
    for _ in range(STATE_WRITE_ATTEMPTS):
        context, version = get_integration_context_with_version()
        state = json.loads(json.dumps(context.get('mirror') or new_state()))  # a copy: a refused write leaves no trace
        result = change(state)
        try:
            set_integration_context({**context, 'mirror': state}, version=version)
            return result
        except ValueError as e:
            demisto.debug(f'The mirroring state was saved by another execution meanwhile ({e}): reading it again.')
    raise CadoApiError(f'Could not save the mirroring state: other executions saved it {STATE_WRITE_ATTEMPTS} times in a '
                       'row. It is saved again on the next mirroring cycle.')


# The incident of a project the instance knows is mirrored without knowing by which incident: one it fetched (XSOAR
# gives the incident its ID after fetch) or one whose get-remote-data met the project first. Nobody else may claim it.
UNNAMED_MIRROR = '(unnamed)'


def project_entry(state: dict[str, Any], project_id: int) -> list:
    return state['projects'].setdefault(str(project_id), [None, None, None])


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:12]


def status_code(status: Any) -> Any:
    """A status as its index in PROJECT_STATUSES (the state stays small); a status of a newer platform as itself."""
    return PROJECT_STATUSES.index(status) if status in PROJECT_STATUSES else status


def status_of(code: Any) -> Any:
    return PROJECT_STATUSES[code] if isinstance(code, int) and 0 <= code < len(PROJECT_STATUSES) else code


def fingerprint(project: dict[str, Any]) -> list:
    return [digest([project.get(name) for name in FINGERPRINT_FIELDS]), status_code(project.get('status'))]


def transition(previous_code: Any, project: dict[str, Any]) -> dict[str, bool]:
    """Whether the project has just been closed or archived in Cado, or has just left those statuses."""
    was_closed = status_of(previous_code) in CLOSED_STATUSES
    is_closed = project.get('status') in CLOSED_STATUSES
    return {'closed': is_closed and not was_closed, 'reopened': was_closed and not is_closed}


def mirrored_project(client: Client, raw: dict[str, Any]) -> dict[str, Any]:
    """The agreed mirrored object (`cado_project`) from a project as GET /projects or GET /projects/{id} answer it."""
    details = raw.get('details') or {}
    alarms = raw.get('alarms') if isinstance(raw.get('alarms'), dict) else {}
    project = {'id': raw.get('id'), 'name': details.get('name'), 'description': details.get('description'),
               'status': details.get('status'), 'items_identified': details.get('items_identified'),
               'malicious_alarms': alarms.get('malicious'), 'suspicious_alarms': alarms.get('suspicious'),
               'evidence_count': raw.get('evidences'), 'last_acquisition': to_iso(raw.get('last_acquisition')),
               'last_update': to_iso(raw.get('last_update')), 'ai_summary': raw.get('ai_summary'),
               'link': f'{client._base_url}/projects/{raw.get("id")}'}
    return {key: value for key, value in project.items()
            if value is not None or key in ('name', 'description', 'status', 'ai_summary')}


def mirror_id(raw: Any, name: str) -> int:
    """The project id an incident mirrors (its dbotMirrorId, which XSOAR passes as argument `name`)."""
    try:
        project_id = to_int(raw, name)
    except ValueError:
        project_id = 0
    if project_id < 1:
        raise ValueError(f'Argument "{name}", the incident\'s mirror ID "{str(raw)[:50]}", is not a Cado project ID (a '
                         'positive whole number): set the incident\'s dbotMirrorId to its project\'s ID, or clear it to '
                         'stop mirroring.')
    return project_id


def require_args(args: dict[str, Any], *names: str) -> None:
    missing = [name for name in names if name not in args]
    if missing:
        raise ValueError(f'Missing required argument "{missing[0]}": XSOAR sends it with every mirroring call.')


def get_mapping_fields_command(client: Client, args: dict[str, Any], params: dict[str, Any]) -> GetMappingFieldsResponse:
    """The remote fields the outgoing mapper of each Cado incident type can fill."""
    return GetMappingFieldsResponse([SchemeTypeMapping(incident_type, dict(OUTGOING_FIELDS))
                                     for incident_type in (DETECTION_INCIDENT_TYPE, PROCESSING_INCIDENT_TYPE)])


def read_batch(client: Client, project_ids: list[int]) -> tuple[list[dict[str, Any]], bool]:
    """The projects of every page Cado answers for `project_ids` (one page when it honours per_page=100), and whether
    every page was read: a project on a page not read is not deleted."""
    projects: list[dict[str, Any]] = []
    for page in range(1, len(project_ids) + 1):  # a page holds one project at least
        response = client.list_projects({'project_id': project_ids, 'get_alarm_summary': True, 'page': page,
                                         'per_page': MAX_PAGE_SIZE})
        projects += response.get('data') or []
        if page >= ((response.get('pagination') or {}).get('total_pages') or 1):
            return projects, True
    return projects, False


def read_projects(client: Client, project_ids: list[int]) -> tuple[dict[int, dict[str, Any]], set[int]]:
    """The projects Cado answers for `project_ids`, MAX_PAGE_SIZE ids a request, and the ids of batches that failed
    (read again next cycle). A refused key (401/403) fails the cycle: no batch can be read."""
    answered: dict[int, dict[str, Any]] = {}
    unread: set[int] = set()
    failure = None
    for start in range(0, len(project_ids), MAX_PAGE_SIZE):
        batch = project_ids[start:start + MAX_PAGE_SIZE]
        try:
            projects, complete = read_batch(client, batch)
            answered.update({raw['id']: raw for raw in projects if raw.get('id') in batch})
            if not complete:
                unread.update(set(batch) - set(answered))
        except CadoApiError as e:
            if e.status in (401, 403):
                raise
            demisto.error(f'Mirroring could not read Cado projects {batch[0]}..{batch[-1]}; they are read again next '
                          f'cycle. {e}')
            unread.update(batch)
            failure = failure or e
    if failure and not answered:
        raise failure
    return answered, unread


def get_modified_remote_data_command(client: Client, args: dict[str, Any], params: dict[str, Any]
                                     ) -> GetModifiedRemoteDataResponse:
    """The mirrored projects that changed since the last cycle, found by comparing fingerprints (XSOAR's lastUpdate
    is not needed: Cado's last_update moves with the status only, not with alarms or the AI summary)."""
    require_args(args, 'lastUpdate')
    state = mirror_state()
    cycle, closed_since = state.get('cycle', 0) + 1, state.get('closed_since') or {}
    project_ids = sorted(int(key) for key in state['projects'] if key in state['pending'] or not (
        cycle - closed_since.get(key, cycle) >= DORMANT_AFTER and int(key) % DORMANT_EVERY != cycle % DORMANT_EVERY))
    answered, unread = read_projects(client, project_ids)
    projects = {project_id: mirrored_project(client, raw) for project_id, raw in answered.items()}
    gone = [project_id for project_id in project_ids if project_id not in answered and project_id not in unread]

    def record(state: dict[str, Any]) -> list[int]:
        pending = state['pending']
        room = PENDING_BYTES - len(json.dumps(pending))
        for project_id, project in projects.items():
            key, entry = str(project_id), state['projects'].get(str(project_id))
            if entry is None or entry[1:] == fingerprint(project):
                pending.pop(key, None)  # served already, or changed back to what the incident shows
                continue
            change = {'project': project, **transition(entry[2], project), 'age': (pending.get(key) or {}).get('age', 0)}
            room -= len(json.dumps(change)) - len(json.dumps(pending.get(key, {})))
            if key in pending or room >= 0:  # else left unacknowledged: found again next cycle
                pending[key] = change
        for project_id in gone:  # deleted in Cado, or no longer visible to the key's user
            if forget(state, str(project_id)) is not None:
                pending[str(project_id)] = {'deleted': True, 'age': 0}
        for key, change in list(pending.items()):
            change['age'] = change.get('age', 0) + 1
            if change['age'] > UNSERVED_CYCLES:
                demisto.debug(f'Mirroring: the change of Cado project {key} was not pulled in {UNSERVED_CYCLES} cycles '
                              '(no open incident mirrors it): it is dropped.')
                acknowledge(state, key, change)
        state['cycle'], since = cycle, state.get('closed_since') or {}
        state['closed_since'] = {key: since.get(key, cycle) for key, entry in state['projects'].items()
                                 if status_of(entry[2]) in CLOSED_STATUSES}
        return sorted(int(project_id) for project_id in pending)

    return GetModifiedRemoteDataResponse([str(project_id) for project_id in update_mirror_state(record)])


def acknowledge(state: dict[str, Any], key: str, served: dict[str, Any]) -> None:
    """Records a change as served: the fingerprint moves to it, and it leaves `pending` unless a newer change replaced
    it meanwhile (that one then counts its move into or out of Closed/Archived from what was served, not twice)."""
    entry = state['projects'].get(key)
    if entry is not None and 'project' in served:
        entry[1:] = fingerprint(served['project'])
    newer = state['pending'].get(key)
    if newer is not None and dict(newer, age=0) == dict(served, age=0):
        del state['pending'][key]
    elif newer is not None and 'project' in newer and entry is not None:
        newer.update(transition(entry[2], newer['project']))


def forget(state: dict[str, Any], key: str) -> list | None:
    (state.get('followers') or {}).pop(key, None)
    return state['projects'].pop(key, None)


def forget_project(project_id: int) -> None:
    update_mirror_state(partial(forget, key=str(project_id)))


def deleted_message(project_id: int) -> str:
    return (f'Cado project {project_id} no longer exists (deleted in Cado, or the API key\'s user cannot see it): '
            'mirroring of this incident has stopped. To mirror a project that replaces it, run cado-incident-mirror-link '
            'with its ID and set the incident\'s dbotMirrorId to that ID.')


def read_change(client: Client, project_id: int) -> dict[str, Any]:
    """A project read now (when the last cycle did not keep it), recorded as get-modified-remote-data records it."""
    try:
        project = mirrored_project(client, client.get_project(project_id).get('data') or {})
    except CadoApiError as e:
        if e.status != 404:
            raise
        forget_project(project_id)
        return {'deleted': True}

    def record(state: dict[str, Any]) -> dict[str, bool]:
        entry = project_entry(state, project_id)
        entry[0] = entry[0] or UNNAMED_MIRROR  # XSOAR asks get-remote-data only for an incident that mirrors it
        change = transition(entry[2], project)
        entry[1:] = fingerprint(project)
        return change

    return {'project': project, **update_mirror_state(record)}


def note_entry(contents: Any) -> dict[str, Any]:
    text = isinstance(contents, str)
    return {'Type': EntryType.NOTE, 'Contents': contents, 'ContentsFormat': EntryFormat.TEXT if text else EntryFormat.JSON}


def cado_close_notes(project_id: Any, status: Any) -> str:
    return f'Cado project {project_id} was {str(status).lower()} in Cado.'


def incoming_entries(change: dict[str, Any], settings: MirrorSettings) -> list[dict[str, Any]]:
    """A close entry when the project has just been closed or archived (and closing is on). Leaving those statuses
    only says so: reopening an incident that an analyst closed is the analyst's decision."""
    project = change['project']
    status, project_id = project.get('status'), project.get('id')
    entries = []
    if change.get('closed') and settings.close_incident:
        entries.append(note_entry({'dbotIncidentClose': True, 'closeReason': CLOSE_REASONS.get(status, 'Other'),
                                   'closeNotes': cado_close_notes(project_id, status)}))
    if change.get('reopened'):
        entries.append(note_entry(f'Cado project {project_id} is no longer closed or archived (now {status}). This '
                                  'incident was not reopened: reopen it if the investigation continues.'))
    return entries


def get_remote_data_command(client: Client, args: dict[str, Any], params: dict[str, Any]) -> GetRemoteDataResponse:
    """The mirrored project, from what the last get-modified-remote-data cycle kept (no request), else read now."""
    require_args(args, 'id', 'lastUpdate')
    project_id = mirror_id(GetRemoteDataArgs(args).remote_incident_id, 'id')
    change = mirror_state()['pending'].get(str(project_id))
    if change:  # acknowledged before it is answered: a close entry is served once
        update_mirror_state(partial(acknowledge, key=str(project_id), served=change))
    else:
        change = read_change(client, project_id)
    if change.get('deleted'):
        return GetRemoteDataResponse({'id': str(project_id)}, [note_entry(deleted_message(project_id))])
    return GetRemoteDataResponse({'id': str(project_id), 'cado_project': change['project']},
                                 incoming_entries(change, mirror_settings(params)))


def outgoing_status(closing: bool, delta: dict[str, Any]) -> str | None:
    """The Cado status the incident asks for: Closed when it closes, else its Cado status, else its phase's."""
    if closing:
        return 'Closed'
    if delta.get('cado_status'):
        return parse_field(delta, Field('cado_status', 'status', choices=PROJECT_STATUSES))
    return PHASE_TO_STATUS.get(' '.join(str(delta.get('phase') or '').lower().replace('-', ' ').split()))


def close_note(data: dict[str, Any], followers: list[str]) -> str:
    notes = str(data.get('closeNotes') or '').strip()
    note = (f'Closed in Cortex XSOAR. Close reason: {data.get("closeReason") or "not given"}.'
            + (f' Close notes: {notes}' if notes else ''))
    return note if not followers else (
        f'{note}\nThe project stays open: incidents {", ".join(followers)} of this project also asked to follow it. '
        'Close it in Cado when their investigations are done.')


def users_with_owner(client: Client, current: Callable[[], dict[str, Any]], owner: str) -> list[dict[str, str]] | None:
    """The project's users plus the owner (so that the PATCH keeps them whether Cado adds or replaces), or None when
    no Cado user has exactly that username or the owner is already one of them."""
    try:
        users = client.list_users({'username': owner, 'per_page': MAX_PAGE_SIZE}).get('data') or []
    except CadoApiError as e:
        if e.status != 404:  # a platform without the users endpoint: the owner cannot be looked up
            raise
        users = []
    if not any(user.get('username') == owner for user in users):
        demisto.debug(f'Mirroring: no Cado user is named {owner}; the project\'s users are left as they are.')
        return None
    users = [user.get('username') for user in (current().get('details') or {}).get('users') or []
             if isinstance(user, dict) and user.get('username')]
    return None if owner in users else [{'username': name} for name in [*users, owner]]


def as_object(raw: Any) -> dict[str, Any]:
    """XSOAR sends `data` and `delta` as objects; typed in the War Room they are JSON text."""
    if isinstance(raw, str):
        with contextlib.suppress(ValueError):
            raw = json.loads(raw)
    return raw if isinstance(raw, dict) else {}


def outgoing_body(client: Client, project_id: int, update: UpdateRemoteSystemArgs, closing: bool,
                  known_status: Any, followers: list[str]) -> dict[str, Any]:
    """The PATCH that brings the project in line with the incident; empty when it already is. The description is
    read just before it is extended (what the last cycle kept may be a minute old, and Cado's text must not be lost).
    A close leaves the status alone when other incidents follow the project (their investigations may go on)."""
    delta = as_object(update.delta)
    current = functools.cache(lambda: client.get_project(project_id).get('data') or {})
    body: dict[str, Any] = {}
    status = outgoing_status(closing, delta)
    if status and status != known_status and not (closing and followers):
        body['status'] = status
    if closing:
        description = (current().get('details') or {}).get('description') or ''
        note = close_note(as_object(update.data), followers)
        if note not in description:
            body['description'] = f'{description}\n\n{note}' if description else note
    owner = str(delta.get('owner') or '').strip()
    users = users_with_owner(client, current, owner) if owner else None
    return {**body, **({'users': users} if users else {})}


def record_status(state: dict[str, Any], project_id: int, status: str) -> None:
    project_entry(state, project_id)[2] = status_code(status)


def update_remote_system_command(client: Client, args: dict[str, Any], params: dict[str, Any]) -> str:
    """Sends the incident's close, Cado status, phase and owner to its project, records what it sent (no echo) and
    answers the remote id, as XSOAR expects."""
    update = UpdateRemoteSystemArgs(args)
    project_id = mirror_id(update.remote_incident_id, 'remoteId')
    # A close that incoming mirroring made (its close notes are ours) is Cado's own: nothing to send back.
    closed_by_cado = as_object(update.data).get('closeNotes') in {cado_close_notes(project_id, status)
                                                                 for status in CLOSED_STATUSES}
    closing = (mirror_settings(params).close_project and str(update.inc_status) == str(IncidentStatus.DONE)
               and not closed_by_cado)
    if not closing and str(update.incident_changed).lower() != 'true':
        return update.remote_incident_id
    state = mirror_state()
    known_status = status_of((state['projects'].get(str(project_id)) or [None, None, None])[2])
    followers = (state.get('followers') or {}).get(str(project_id)) or []
    try:
        body = outgoing_body(client, project_id, update, closing, known_status, followers)
        if body:
            client.update_project(project_id, body)
    except CadoApiError as e:
        if e.status == 404:
            forget_project(project_id)
            raise CadoApiError(deleted_message(project_id), 404) from None
        if closing:  # XSOAR has closed the incident whatever this answers: say what was left undone
            raise CadoApiError(f'The incident is closed in Cortex XSOAR, but Cado project {project_id} was not closed: '
                               f'close it in Cado. {e}', e.status) from None
        raise
    # The incident already shows a status it set itself (Cado Project Status), and a closed incident must not be closed
    # again by its own close coming back: those are recorded. A status set from the phase, and the close note, are
    # not: the next cycle brings them into Cado Project Status and Cado Project Description.
    if body.get('status') and (closing or body['status'] == as_object(update.delta).get('cado_status')):
        update_mirror_state(partial(record_status, project_id=project_id, status=body['status']))
    return update.remote_incident_id


def incident_mirror_link_command(client: Client, args: dict[str, Any], params: dict[str, Any]) -> CommandResults:
    """Registers an incident (one that Generic Webhook created) as the one that mirrors a project. The first incident
    to claim a project keeps it; a project that a fetched incident mirrors is claimed already."""
    project_id = required_id(args, 'project_id')
    incident_id = parse_field(args, Field('incident_id', 'incident_id', required=True))
    settings = mirror_settings(params)

    def claim(state: dict[str, Any]) -> Any:
        entry = project_entry(state, project_id)
        entry[0] = entry[0] or incident_id
        if entry[0] != incident_id:  # remembered, so that closing the mirroring incident leaves the project open
            followers = state.setdefault('followers', {}).setdefault(str(project_id), [])
            followers[:] = [*(other for other in followers if other != incident_id), incident_id][-MAX_FOLLOWERS:]
        return entry[0]

    if settings.direction:
        owner = update_mirror_state(claim)
    else:
        owner = (mirror_state()['projects'].get(str(project_id)) or [None])[0]
    link = {'project_id': project_id, 'incident_id': incident_id, 'linked': bool(settings.direction) and owner == incident_id,
            'mirrored_by': None if owner == UNNAMED_MIRROR else owner, 'mirror_direction': settings.direction,
            'mirror_instance': settings.instance}
    if link['linked']:
        note = (f'Incident {incident_id} mirrors Cado project {project_id}: set its dbotMirrorId to {project_id}, '
                f'dbotMirrorInstance to {settings.instance} and dbotMirrorDirection to {settings.direction}.')
    elif settings.direction:
        by = ('an incident this instance fetched (or one that mirrored it before)' if owner == UNNAMED_MIRROR
              else f'incident {owner}')
        note = f'Cado project {project_id} is already mirrored by {by}: incident {incident_id} is not linked.'
    else:
        note = 'Mirroring is off on this instance (Incident Mirroring Direction: None): nothing was linked.'
    return entity_results(MIRROR_LINK, link, link, title=f'Cado project {project_id} mirroring', note=note)


def detection_project(incident: dict[str, Any]) -> int | None:
    project_id = (json.loads(incident['rawJSON']).get('cado_detection') or {}).get('investigation_id')
    return project_id if isinstance(project_id, int) and not isinstance(project_id, bool) and project_id > 0 else None


def with_mirroring(incidents: list[dict[str, Any]], settings: MirrorSettings) -> list[dict[str, Any]]:
    """Fetched incidents with XSOAR's mirroring fields; the first incident of a project not yet mirrored also gets
    its mirror id, and the project is registered (one project never mirrors into two incidents)."""
    if not settings.direction or not incidents:
        return incidents
    fields = {'dbotMirrorDirection': settings.direction, 'dbotMirrorInstance': settings.instance}
    if not any(map(detection_project, incidents)):  # nothing to register: the state is not rewritten
        return [{**incident, **fields} for incident in incidents]

    def register(state: dict[str, Any]) -> list[dict[str, Any]]:
        mirrored = []
        for incident in incidents:
            project_id = detection_project(incident)
            claimed = {}
            if project_id and str(project_id) not in state['projects']:
                project_entry(state, project_id)[0] = UNNAMED_MIRROR
                claimed = {'dbotMirrorId': str(project_id)}
            mirrored.append({**incident, **fields, **claimed})
        return mirrored

    return update_mirror_state(register)


def for_the_mirroring_job(error: Exception, message: str) -> str:
    """The error as XSOAR's mirroring job reads it: "API rate limit" when Cado answered 429 (the job starts from this
    incident next time). ("skip update", which stops get-remote-data after a failed get-modified-remote-data, is
    added by XSOAR's return_error itself.)"""
    if isinstance(error, CadoApiError) and error.status == 429:
        return f'API rate limit. {message}'
    return message


''' DISPATCH '''

# Commands that also take the instance parameters (client, args, params); in COMMANDS with the others.
MIRRORING_COMMANDS: dict[str, Callable[[Client, dict[str, Any], dict[str, Any]], Any]] = {
    'get-mapping-fields': get_mapping_fields_command,
    'get-remote-data': get_remote_data_command,
    'get-modified-remote-data': get_modified_remote_data_command,
    'update-remote-system': update_remote_system_command,
    'cado-incident-mirror-link': incident_mirror_link_command,
}

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
        'cado-azure-vm-list', 'cado-azure-disk-list', 'cado-alarm-list',
        'cado-evidence-list')},
    **{command: partial(list_results, listing=LISTINGS[command], transform=with_project_id)
       for command in ('cado-detection-list', 'cado-detection-group-list')},
    'cado-xdr-device-list': xdr_device_list_command,
    'cado-pipeline-get': pipeline_get_command,
    'cado-pipeline-list': pipeline_list_command,
    'cado-pipeline-cancel': pipeline_cancel_command,
    'cado-pipeline-rerun': pipeline_rerun_command,
    'cado-detection-asset-get': detection_asset_get_command,
    'cado-detection-get': detection_get_command,
    'cado-resource-classify': resource_classify_command,
    'cado-alarm-get': alarm_get_command,
    'cado-alarm-summary-get': alarm_summary_get_command,
    'cado-evidence-get': evidence_get_command,
    'cado-indicator-list': indicator_list_command,
    'cado-webhook-create': webhook_create_command,
    'cado-webhook-update': webhook_update_command,
    'cado-webhook-delete': webhook_delete_command,
    'cado-webhook-test': webhook_test_command,
    **{command: partial(file_list_command, command=command) for command in ('cado-file-search', 'cado-directory-list')},
    'cado-file-get': file_get_command,
    'cado-file-download': file_download_command,
    'cado-pipeline-logs-get': pipeline_logs_get_command,
    'cado-evidence-download-url-get': evidence_url_get_command,
    **{command: partial(list_results, listing=LISTINGS[command]) for command in (
        'cado-aws-ecs-cluster-list', 'cado-aws-ecs-task-list', 'cado-aws-eks-cluster-list', 'cado-aws-eks-pod-list',
        'cado-aws-eks-container-list', 'cado-gcp-gke-cluster-list', 'cado-gcp-gke-pod-list',
        'cado-gcp-gke-container-list', 'cado-azure-aks-cluster-list', 'cado-azure-aks-pod-list',
        'cado-azure-aks-container-list', 'cado-darktrace-appliance-list', 'cado-azure-subscription-list',
        'cado-azure-resource-group-list', 'cado-azure-blob-list', 'cado-gcp-project-list', 'cado-gcp-gcs-object-list')},
    'cado-aws-ecs-container-list': ecs_container_list_command,
    **{command: partial(list_results, listing=LISTINGS[command], transform=named)
       for command in ('cado-azure-storage-account-list', 'cado-azure-storage-container-list')},
    'cado-timeline-search': partial(list_results, listing=LISTINGS['cado-timeline-search'], transform=timeline_event),
    'cado-timeline-facet-list': timeline_facet_list_command,
    'cado-timeline-note-add': timeline_note_add_command,
    'cado-timeline-note-remove': timeline_note_remove_command,
    'cado-vulnerability-list': partial(list_results, listing=LISTINGS['cado-vulnerability-list'],
                                       transform=vulnerability),
    **{command: partial(export_command, command=command) for command in EXPORTS},
    'cado-detection-artifact-list': detection_artifact_list_command,
    'cado-script-list': partial(list_results, listing=LISTINGS['cado-script-list']),
    'cado-cloudgrep-search': cloudgrep_search_command,
    'cado-host-command-get': host_command_get_command,
    'cado-host-download-link-get': host_download_link_get_command,
    'cado-ioc-rule-list': ioc_rule_list_command,
    'cado-ioc-rule-push': ioc_rule_push_command,
    'cado-timeline-note-update': timeline_note_update_command,
    'cado-timeline-note-delete': timeline_note_delete_command,
    **MIRRORING_COMMANDS,
    HOST_FOLLOW: host_acquisition_follow_command,
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
            incidents = with_mirroring(incidents, mirror_settings(params))
            demisto.setLastRun(next_run)
            demisto.incidents(incidents)
        elif command in MIRRORING_COMMANDS:  # these also read the instance's mirroring parameters
            return_results(COMMANDS[command](client, demisto.args(), params))
        elif command in COMMANDS:
            return_results(COMMANDS[command](client, demisto.args()))
        else:
            raise NotImplementedError(f'Command {command} is not implemented by the {BRAND} integration.')
    except Exception as e:
        message = redact(str(e), secrets_of(api_key, credential_pair(params.get('webhook_credentials'))[1]))
        if command in MIRRORING_COMMANDS:
            message = for_the_mirroring_job(e, message)
        return_error(f'Failed to execute {command} command.\nError:\n{message}')


if __name__ in ('__main__', '__builtin__', 'builtins'):
    main()
