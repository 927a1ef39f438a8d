"""A stand-in Cado API for the reliability suites and tools/benchmark.py: contract-valid answers by route.

Answers come from the pack's `test_data/` fixtures, which the integration's own tests check against the vendor's
response schemas (`test_fixture_matches_contract`). Routes are the contract's path templates; a request on any
other path gets 404 with the API's error envelope.
"""
from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

from CadoSecurity import ENDPOINTS, SOURCES
from zips import zip_of  # Tests/support/zips.py


ROOT = Path(__file__).resolve().parents[2]
INTEGRATION_DIR = ROOT / 'Packs' / 'CadoSecurity' / 'Integrations' / 'CadoSecurity'
TEST_DATA = INTEGRATION_DIR / 'test_data'
INTEGRATION_YML = INTEGRATION_DIR / 'CadoSecurity.yml'

PROCESSING_PIPELINE_ID = 4282  # the processing pipeline in the fixtures (triggered by acquisition 4281)



def cursor_pages(fixture: str):
    """A cursor-paginated listing: `<fixture>_page1` first, `<fixture>_page2` once the request carries a cursor."""
    return lambda query: f'{fixture}_page2' if query.get('cursor') else f'{fixture}_page1'


# (method, contract path template) -> fixture name; a callable picks one from the request.
ROUTES: dict[tuple[str, str], Any] = {
    ('GET', '/api/v3/system/status'): 'system_status',
    ('GET', '/api/v3/auth/whoami'): 'auth_whoami',
    ('GET', '/api/v3/projects'): 'project_list',
    ('POST', '/api/v3/projects'): 'project_create',
    ('DELETE', '/api/v3/projects'): 'project_delete',
    ('GET', '/api/v3/projects/{project_id}'): 'project_get',
    ('PATCH', '/api/v3/projects/{project_id}'): 'project_update',
    ('GET', '/api/v3/incidents/{incident_id}'): 'incident_project_get',
    ('GET', '/api/v3/users'): 'user_list',
    # An acquisition answers with the fixture named after its endpoint.
    **{(ENDPOINTS[source.endpoint].method, ENDPOINTS[source.endpoint].path): source.endpoint
       for source in SOURCES.values()},
    ('GET', '/api/v3/accounts'): 'account_list',
    ('GET', '/api/v3/import/aws/ec2'): cursor_pages('aws_ec2_instance_list'),
    ('GET', '/api/v3/import/aws/s3/buckets'): cursor_pages('aws_s3_bucket_list'),
    ('GET', '/api/v3/import/aws/s3/objects'): 'aws_s3_object_list',
    ('GET', '/api/v3/import/aws/lambda'): 'aws_lambda_function_list',
    ('GET', '/api/v3/import/gcp/gce'): 'gcp_gce_instance_list',
    ('GET', '/api/v3/import/gcp/gcs/buckets'): 'gcp_gcs_bucket_list',
    ('GET', '/api/v3/import/azure/virtual-machine'): 'azure_vm_list',
    ('GET', '/api/v3/import/azure/disk'): 'azure_disk_list',
    ('GET', '/api/v3/import/xdr/crowdstrike'): cursor_pages('xdr_device_list'),
    ('GET', '/api/v3/import/xdr/sentinelone'): 'xdr_sentinelone_device_list',
    ('GET', '/api/v3/import/xdr/defender'): 'xdr_defender_device_list',
    ('GET', '/api/v3/import/xdr/csensor'): 'xdr_darktrace_device_list',
    ('GET', '/api/v3/pipelines'): lambda q: 'processing_pipeline_list_complete' if q.get('triggering_pipeline_id')
    else 'pipeline_list',
    ('GET', '/api/v3/pipelines/{id}'): lambda q: 'processing_pipeline_get_complete'
    if str(q.get('_path_id')) == str(PROCESSING_PIPELINE_ID) else 'pipeline_get_complete',
    ('PATCH', '/api/v3/pipelines/{id}'): 'pipeline_cancel',
    ('POST', '/api/v3/pipelines/rerun'): 'pipeline_rerun',
    ('GET', '/api/v3/detections'): 'detection_list',
    ('GET', '/api/v3/detections/groups'): 'detection_group_list',
    ('GET', '/api/v3/detections/artifacts'): 'detection_artifact_list',
    ('GET', '/api/v3/detections/assets/{detection_id}'): 'detection_asset_get',
    ('GET', '/api/v3/alarms'): 'alarm_list',
    ('GET', '/api/v3/alarms/summary'): 'alarm_summary',
    ('GET', '/api/v3/alarms/{id}'): 'alarm_get',
    ('GET', '/api/v3/evidences'): 'evidence_list',
    ('GET', '/api/v3/evidences/{evidence_id}'): 'evidence_get',
    ('GET', '/api/v3/indicators'): 'indicator_list',
    ('GET', '/api/v3/webhooks'): 'webhook_list',
    ('POST', '/api/v3/webhooks'): 'webhook_create',
    ('PATCH', '/api/v3/webhooks/{webhook_id}'): 'webhook_update',
    ('DELETE', '/api/v3/webhooks/{webhook_id}'): 'webhook_delete',
    ('POST', '/api/v3/webhooks/test'): 'webhook_test',
    ('GET', '/api/v3/files/browse'): 'file_search',
    ('GET', '/api/v3/files/directory'): 'directory_list',
    ('GET', '/api/v3/files/file'): 'file_get',
    ('GET', '/api/v3/evidences/{evidence_id}/generate-url/{download_type}'): 'evidence_url',
    ('GET', '/api/v3/import/aws/ecs/clusters'): 'aws_ecs_cluster_list',
    ('GET', '/api/v3/import/aws/ecs/tasks'): 'aws_ecs_task_list',
    ('GET', '/api/v3/import/aws/ecs/containers'): 'aws_ecs_container_list',
    ('GET', '/api/v3/import/aws/eks/clusters'): 'aws_eks_cluster_list',
    ('GET', '/api/v3/import/aws/eks/pods'): 'aws_eks_pod_list',
    ('GET', '/api/v3/import/aws/eks/containers'): 'aws_eks_container_list',
    ('GET', '/api/v3/import/gcp/gke/clusters'): 'gcp_gke_cluster_list',
    ('GET', '/api/v3/import/gcp/gke/pods'): 'gcp_gke_pod_list',
    ('GET', '/api/v3/import/gcp/gke/containers'): 'gcp_gke_container_list',
    ('GET', '/api/v3/import/azure/aks/clusters'): 'azure_aks_cluster_list',
    ('GET', '/api/v3/import/azure/aks/pods'): 'azure_aks_pod_list',
    ('GET', '/api/v3/import/azure/aks/containers'): 'azure_aks_container_list',
    ('GET', '/api/v3/import/xdr/csensor/appliances'): 'darktrace_appliance_list',
    ('GET', '/api/v3/import/azure/management/subscriptions'): 'azure_subscription_list',
    ('GET', '/api/v3/import/azure/management/resource-groups'): 'azure_resource_group_list',
    ('GET', '/api/v3/import/azure/storage/accounts'): 'azure_storage_account_list',
    ('GET', '/api/v3/import/azure/storage/containers'): 'azure_storage_container_list',
    ('GET', '/api/v3/import/azure/storage/blobs'): 'azure_blob_list',
    ('GET', '/api/v3/import/gcp/resource-manager/projects'): 'gcp_project_list',
    ('GET', '/api/v3/import/gcp/gcs/objects'): 'gcp_gcs_object_list',
    ('GET', '/api/v3/timeline'): 'timeline_search',
    ('GET', '/api/v3/timeline/facets'): 'timeline_facet_list',
    ('POST', '/api/v3/notes'): 'timeline_note_add',
    ('DELETE', '/api/v3/notes'): 'timeline_note_remove',
    ('GET', '/api/v3/vulnerabilities'): 'vulnerability_list',
    ('GET', '/api/v3/settings/scripts'): 'script_list',
    ('POST', '/api/v3/import/cloudgrep'): 'cloudgrep_search',
    ('POST', '/api/v3/import/cado-host'): 'host_command_get',
    ('GET', '/api/v3/import/cado-host'): 'host_download_link_get',
    ('GET', '/api/v3/intelligence'): 'intelligence_get',
    ('PATCH', '/api/v3/intelligence'): 'intelligence_update',
    ('PATCH', '/api/v3/notes/{note_id}'): 'timeline_note_update',
    ('DELETE', '/api/v3/notes/{note_id}'): 'timeline_note_delete',
}
# File answers: (media type, body).
FILES: dict[tuple[str, str], tuple[str, bytes]] = {
    ('GET', '/api/v3/timeline/export'): ('text/csv', b'id,timestamp,short\nc2f1e0d9b8a7-391-0001,1717416600,File created\n'),
    ('GET', '/api/v3/detections/export'): ('text/csv', b'id,name,severity\n501,CryptoCurrency:EC2/BitcoinTool.B,high\n'),
    ('GET', '/api/v3/alarms/export'): ('application/zip', b'PK\x05\x06' + bytes(18)),  # an empty zip archive
    **{('GET', path): ('application/zip', zip_of({'evidence.txt': b'synthetic file content\n'}))
       for path in ('/api/v3/files/file/download', '/api/v3/pipelines/{id}/logs')},
}
CREATED = {('POST', '/api/v3/projects'), ('POST', '/api/v3/webhooks'), ('POST', '/api/v3/pipelines/rerun'),
           ('POST', '/api/v3/evidences/process'), ('POST', '/api/v3/notes')}


def template_regex(template: str) -> re.Pattern:
    """A contract path template as a regex: each `{param}` is one non-empty path segment."""
    parts = re.split(r'(\{[^}]+\})', template)
    return re.compile('^' + ''.join('([^/]+)' if p.startswith('{') else re.escape(p) for p in parts) + '$')


# Literal routes win over templated ones (/alarms/summary before /alarms/{id}).
_COMPILED = sorted(((method, template, template_regex(template)) for method, template in (*ROUTES, *FILES)),
                   key=lambda route: route[1].count('{'))


def match_route(method: str, path: str) -> tuple[str, list[str]] | None:
    """(template, path parameter values) of the route serving `method path`, or None."""
    for route_method, template, regex in _COMPILED:
        found = regex.match(path)
        if route_method == method.upper() and found:
            return template, list(found.groups())
    return None


@functools.cache
def _fixture_text(name: str) -> str:
    return (TEST_DATA / f'{name}.json').read_text()


def fixture(name: str) -> Any:
    return json.loads(_fixture_text(name))


def error_envelope(message: str, code: str) -> dict[str, Any]:
    return {'status': 'error', 'message': message, 'code': code}


def respond(method: str, path: str, query: dict[str, Any] | None = None) -> tuple[int, Any]:
    """(HTTP status, JSON body or the bytes of a file) the stand-in API gives to `method path?query`."""
    found = match_route(method, path)
    if found is None:
        return 404, error_envelope(f'No route {method} {path}', 'NOT_FOUND_404')
    template, values = found
    if (method.upper(), template) in FILES:
        return 200, FILES[(method.upper(), template)][1]
    chosen = ROUTES[(method.upper(), template)]
    if callable(chosen):
        query = {**(query or {}), '_path_id': values[0] if values else None}
        chosen = chosen({k: (v[0] if isinstance(v, list) and v else v) for k, v in query.items()})
    status = 201 if (method.upper(), template) in CREATED else 200
    return status, consistent_pagination(copy.deepcopy(fixture(chosen)), query or {})


def media_type(method: str, path: str) -> str:
    """The Content-Type of the stand-in's answer to `method path`."""
    found = match_route(method, path)
    return FILES[(method.upper(), found[0])][0] if found and (method.upper(), found[0]) in FILES else 'application/json'


def consistent_pagination(body: Any, query: dict[str, Any]) -> Any:
    """Page-paginated fixtures describe the fixture's own paging; restate it for the page actually asked for, so
    that the stand-in says "this is everything" (page 1) or answers an empty page beyond it, as the API would."""
    pagination = body.get('pagination') if isinstance(body, dict) else None
    if not isinstance(pagination, dict) or pagination.get('type') != 'page' or not isinstance(body.get('data'), list):
        return body

    def number(name: str, default: int) -> int:
        value = query.get(name)
        value = value[0] if isinstance(value, list) and value else value
        try:
            return max(1, int(value))
        except (TypeError, ValueError):
            return default

    page, per_page = number('page', 1), number('per_page', 10)
    items = body['data'][:per_page]
    body['data'] = items if page == 1 else []
    pagination.update(total_records=len(items), current_page=page, total_pages=1, per_page=per_page)
    return body
