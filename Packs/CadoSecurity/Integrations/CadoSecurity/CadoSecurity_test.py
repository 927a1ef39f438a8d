"""Unit tests for the CadoSecurity integration's commands (fetch-incidents: CadoSecurity_fetch_test.py).

Every command runs through main() as XSOAR runs it, against requests_mock serving the fixtures in test_data/
(each one checked against the vendor's contract), and every request it sends is checked against the contract.
Only XSOAR's public API is used, so these tests also pass against XSOAR's real demistomock/CommonServerPython.
"""
import json
import os
import re
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import yaml

import demistomock as demisto
import CadoSecurity
import prism  # tools/prism.py: where the vendor's spec is and the one table of patches to it
from loopback import LoopbackServer, self_signed_certificate  # Tests/support/loopback.py

HERE = Path(__file__).resolve().parent
TEST_DATA = HERE / 'test_data'
YAML_PATH = HERE / 'CadoSecurity.yml'

BASE = 'https://cado.example.com'
API_KEY = 'cado-api-key-7f3e9a2b5c1d4e6f'
PARAMS = {'url': BASE, 'credentials': {'identifier': '', 'password': API_KEY}, 'insecure': False, 'proxy': False,
          'timeout': '30'}
ISO_T0 = '2024-06-03T12:00:00Z'  # the fixtures' reference time, 1717416000000 ms


def load(name: str) -> Any:
    return json.loads((TEST_DATA / f'{name}.json').read_text())


FIXTURE_OPERATIONS = {
    'system_status': ('GET', '/api/v3/system/status', '200'),
    'project_create': ('POST', '/api/v3/projects', '201'),
    'project_list': ('GET', '/api/v3/projects', '200'),
    'project_get': ('GET', '/api/v3/projects/{project_id}', '200'),
    'project_update': ('PATCH', '/api/v3/projects/{project_id}', '200'),
    'project_delete': ('DELETE', '/api/v3/projects', '200'),
    'incident_project_get': ('GET', '/api/v3/incidents/{incident_id}', '200'),
    'import_aws_ec2': ('POST', '/api/v3/import/aws/ec2', '200'),
    'import_aws_s3': ('POST', '/api/v3/import/aws/s3', '200'),
    'import_aws_lambda': ('POST', '/api/v3/import/aws/lambda', '200'),
    'import_aws_ecs': ('POST', '/api/v3/import/aws/ecs', '200'),
    'import_aws_eks': ('POST', '/api/v3/import/aws/eks', '200'),
    'import_gcp_gce': ('POST', '/api/v3/import/gcp/gce', '200'),
    'import_gcp_gcs': ('POST', '/api/v3/import/gcp/gcs', '200'),
    'import_gcp_gke': ('POST', '/api/v3/import/gcp/gke', '200'),
    'import_azure_vm': ('POST', '/api/v3/import/azure/virtual-machine', '200'),
    'import_azure_disk': ('POST', '/api/v3/import/azure/disk', '200'),
    'import_azure_blob': ('POST', '/api/v3/import/azure/storage/blobs', '200'),
    'import_azure_aks': ('POST', '/api/v3/import/azure/aks', '200'),
    'import_xdr': ('POST', '/api/v3/import/xdr', '200'),
    'import_darktrace': ('POST', '/api/v3/import/xdr/csensor', '200'),
    'import_url': ('POST', '/api/v3/import/url', '200'),
    'import_m365_ual': ('POST', '/api/v3/import/microsoft365/ual', '200'),
    'import_entra': ('POST', '/api/v3/import/entra', '200'),
    'import_google_workspace': ('POST', '/api/v3/import/google-workspace', '200'),
    'detection_investigate': ('POST', '/api/v3/detections/import', '200'),
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
    'error_envelope': ('GET', '/api/v3/projects/{project_id}', 'default'),
    'error_unauthorized': ('GET', '/api/v3/projects', 'default'),
    'error_forbidden': ('GET', '/api/v3/webhooks', 'default'),
    'error_validation': ('POST', '/api/v3/import/aws/ec2', 'default'),
    'error_server': ('GET', '/api/v3/pipelines/{id}', 'default'),
}

# Platforms before 2.269 send no pipeline `status`; the 2.324 contract requires it. These fixtures must violate
# the contract in exactly that one way (and be valid otherwise).
LEGACY_MISSING_REQUIRED = {name: {'status'} for name in FIXTURE_OPERATIONS if name.startswith('pipeline_get_legacy')}


# ============================================================================================================
# The contract
# ============================================================================================================

# The spec is the one tools/prism.py finds (fixture cado_spec_path, root conftest.py), with the patches of
# prism.SPEC_PATCHES applied (the two documented defects of the 2.324.0 spec, each with its reason): the same
# document Prism serves to the contract suite.
URL_IMPORT_POINTER = '/paths/~1api~1v3~1import~1url/post/requestBody/content/application~1json/schema/properties/url'


def nullable_as_type_union(node: Any) -> Any:
    """The vendor marks nullable fields with OpenAPI 3.0's `nullable: true`: honour it as a JSON Schema type union
    (Prism does so itself; jsonschema needs it spelled out). Nothing else is changed."""
    if isinstance(node, dict):
        node = {key: nullable_as_type_union(value) for key, value in node.items()}
        if node.pop('nullable', False) is True and isinstance(node.get('type'), str):
            node['type'] = [node['type'], 'null']
        return node
    if isinstance(node, list):
        return [nullable_as_type_union(value) for value in node]
    return node


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


class Contract:
    URI = 'urn:cado-api'

    def __init__(self, spec: dict):
        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        self.document = nullable_as_type_union(spec)
        self.registry = Registry().with_resource(
            self.URI, Resource.from_contents(self.document, default_specification=DRAFT202012))
        self._validator_class = Draft202012Validator
        # Literal paths first, so /alarms/summary is not taken for /alarms/{id}.
        self._templates = sorted(self.document['paths'], key=lambda path: (path.count('{'), path))

    def validator(self, pointer: str):
        return self._validator_class({'$ref': f'{self.URI}#{pointer}'}, registry=self.registry,
                                     format_checker=self._validator_class.FORMAT_CHECKER)

    def response_validator(self, method: str, path: str, status: str):
        pointer = f'/paths/{escape(path)}/{method.lower()}/responses/{status}'
        response = self.document['paths'][path][method.lower()]['responses'][status]
        if '$ref' in response:
            pointer = response['$ref'].lstrip('#')
            response = self.resolve(pointer)
        assert 'application/json' in response['content'], f'{method} {path} {status} has no JSON response'
        return self.validator(f'{pointer}/content/application~1json/schema')

    def resolve(self, pointer: str) -> Any:
        return prism.resolve_pointer(self.document, pointer)

    def operation(self, method: str, path: str) -> tuple[str | None, dict | None, dict[str, str]]:
        """The contract path template, operation and path parameter values matching a concrete request path."""
        for template in self._templates:
            pattern = '^' + re.sub(r'\\\{(\w+)\\\}', r'(?P<\1>[^/]+)', re.escape(template)) + '$'
            match = re.match(pattern, path)
            if match and method.lower() in self.document['paths'][template]:
                return template, self.document['paths'][template][method.lower()], match.groupdict()
        return None, None, {}

    def roles(self, method: str, path: str) -> list[str]:
        return self.operation(method, path)[1]['x-Required Roles']

    def violations(self, request) -> list[str]:
        """Everything in a sent request the contract does not allow: path, method, query names/types/enums,
        required parameters, body field names, types and enums."""
        url = urlparse(request.url)
        template, operation, path_values = self.operation(request.method, url.path)
        if operation is None:
            return [f'{request.method} {url.path} is not an operation of the contract']
        where = f'{request.method} {template}'
        problems = []
        parameters = operation.get('parameters', [])
        for parameter in parameters:
            if parameter['in'] == 'path':
                problems += self._value_problems(f'{where} path {parameter["name"]}', parameter['schema'],
                                                 [path_values[parameter['name']]])
        query = parse_qs(url.query, keep_blank_values=True)
        declared = {parameter['name']: parameter for parameter in parameters if parameter['in'] == 'query'}
        for name, values in query.items():
            if name not in declared:
                problems.append(f'{where}: query parameter "{name}" is not in the contract')
                continue
            schema = declared[name]['schema']
            if schema.get('type') == 'array':
                schema = schema['items']
            elif len(values) > 1:
                problems.append(f'{where}: query parameter "{name}" is not an array but was sent {len(values)} times')
            problems += self._value_problems(f'{where} query {name}', schema, values)
        problems += [f'{where}: required query parameter "{name}" missing'
                     for name, parameter in declared.items() if parameter.get('required') and name not in query]
        body_spec = operation.get('requestBody')
        if request.body:
            if not body_spec:
                return problems + [f'{where}: sends a body the contract does not declare']
            pointer = f'/paths/{escape(template)}/{request.method.lower()}/requestBody/content/application~1json/schema'
            body = json.loads(request.body)
            problems += [f'{where} body {error.json_path}: {error.message}'
                         for error in self.validator(pointer).iter_errors(body)]
            problems += [f'{where}: body field "{name}" is not in the contract'
                         for name in undeclared_fields(body, self.resolve(pointer))]
        elif body_spec and body_spec.get('required'):
            problems.append(f'{where}: the required body is missing')
        return problems

    def _value_problems(self, where: str, schema: dict, values: list[str]) -> list[str]:
        problems = []
        for raw in values:
            kind = schema.get('type')
            value: Any = raw
            if kind == 'integer':
                if not re.fullmatch(r'-?\d+', raw):
                    problems.append(f'{where}: "{raw}" is not an integer')
                    continue
                value = int(raw)
            elif kind == 'number':
                try:
                    value = float(raw)
                except ValueError:
                    problems.append(f'{where}: "{raw}" is not a number')
                    continue
            elif kind == 'boolean':
                if raw not in ('true', 'false'):
                    problems.append(f'{where}: "{raw}" is not a boolean (true/false)')
                    continue
                value = raw == 'true'
            problems += [f'{where}: {error.message}' for error in
                         self._validator_class(schema, format_checker=self._validator_class.FORMAT_CHECKER)
                         .iter_errors(value)]
        return problems


def escape(path: str) -> str:
    return path.replace('~', '~0').replace('/', '~1')


def undeclared_fields(value: Any, schema: dict, prefix: str = '') -> list[str]:
    """Object keys the schema does not name (the contract allows extra keys, but the integration must not rely on
    fields Cado does not know)."""
    names = []
    if isinstance(value, dict) and 'properties' in schema:
        for key, item in value.items():
            if key not in schema['properties']:
                names.append(prefix + key)
            else:
                names += undeclared_fields(item, schema['properties'][key], f'{prefix}{key}.')
    elif isinstance(value, list) and isinstance(schema.get('items'), dict):
        for item in value:
            names += undeclared_fields(item, schema['items'], prefix)
    return names


@pytest.fixture(scope='module')
def contract(cado_spec_path) -> Contract:
    spec, applied = prism.load_patched_spec(cado_spec_path)
    assert applied == list(prism.SPEC_PATCHES), 'not every listed spec patch was applied'
    return Contract(spec)


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


def test_contract_checker_catches_violations(contract):
    """The request checker itself: a wrong enum, an unknown query name, a stringly boolean and a stray body field."""
    bad = requests.Request('GET', f'{BASE}/api/v3/pipelines', params={'pipeline_status': 'running', 'state': 'x',
                                                                       'page': 'one'}).prepare()
    assert len(contract.violations(bad)) == 3
    bad_body = requests.Request('PATCH', f'{BASE}/api/v3/pipelines/4281', json={'aborted': False, 'x': 1}).prepare()
    assert len(contract.violations(bad_body)) == 2
    python_bool = requests.Request('GET', f'{BASE}/api/v3/evidences', params={'is_compromised': True}).prepare()
    assert contract.violations(python_bool) == ['GET /api/v3/evidences query is_compromised: "True" is not a boolean '
                                                 '(true/false)']
    assert contract.violations(requests.Request('GET', f'{BASE}/api/v3/alarms/summary',
                                                params={'investigation_id': 12}).prepare()) == []


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
ACQUISITION_COLUMNS = ('Pipeline Id', 'Source', 'Resource Id')
LOG_WINDOW = {'start_time': '2024-06-01T00:00:00Z', 'end_time': '2024-06-03T00:00:00Z'}
LOG_WINDOW_BODY = {'start_time': 1717200000, 'end_time': 1717372800}
DETECTION = load('detection_list')['data'][0]
XSOAR_URL = 'https://ext-acme.crtx.eu.paloaltonetworks.com/xsoar/instance/execute/Cado_Intake'


def acquisition(command: str, args: dict, path: str, fixture: str, body: dict, label: str, resource: str,
                pipeline_ids: tuple[int, ...], project: int | None = 12) -> Case:
    checks: tuple[tuple[str, Any], ...] = (
        ('pipeline_id', pipeline_ids[0]), ('pipeline_ids', list(pipeline_ids)), ('source', label),
        ('resource_id', resource), ('status', 'queued'))
    if project:
        checks += (('project_id', project),)
    return Case(command, args, 'POST', path, fixture, None, body, 'Cado.Acquisition', 'pipeline_id',
                f'Cado {label} acquisition started', ACQUISITION_COLUMNS, checks)


HOST = {'host_options': {}}
AZURE_SUB = '3f2b8c1e-7d4a-4e9b-9c61-2a5d8e0f1b47'

SUCCESS_CASES = [
    # ---------------------------------------------------------------------------------------------- projects
    Case('cado-project-create', {'name': 'INC-2024-0613 Lateral movement', 'description': 'From XSOAR incident 4711'},
         'POST', '/api/v3/projects', 'project_create', None,
         {'case_name': 'INC-2024-0613 Lateral movement', 'description': 'From XSOAR incident 4711'},
         'Cado.Project', 'id', 'Cado project 13 created', ('Id', 'Name'),
         (('id', 13), ('details.name', 'INC-2024-0613 Lateral movement')), status=201),
    Case('cado-project-list', {}, 'GET', '/api/v3/projects', 'project_list', PAGE_1, None, 'Cado.Project', 'id',
         'Cado projects', PROJECT_COLUMNS,
         (('0.id', 12), ('0.created', ISO_T0), ('0.last_acquisition', '2024-06-03T12:05:00Z'),
          ('2.details.status', 'Closed'))),
    Case('cado-project-get', {'project_id': '12'}, 'GET', '/api/v3/projects/12', 'project_get', None, None,
         'Cado.Project', 'id', 'Cado project 12', PROJECT_COLUMNS,
         (('id', 12), ('created', ISO_T0), ('details.users.0.last_login_timestamp', '2024-06-03T11:00:00Z'))),
    Case('cado-project-update', {'project_id': '12', 'name': 'INC-2024-0612 Crypto-miner (contained)',
                                 'status': 'Containment'},
         'PATCH', '/api/v3/projects/12', 'project_update', None,
         {'case_name': 'INC-2024-0612 Crypto-miner (contained)', 'status': 'Containment'}, None, None,
         'Cado project 12 updated'),
    Case('cado-project-delete', {'project_ids': '12,11'}, 'DELETE', '/api/v3/projects', 'project_delete', None,
         {'investigation_ids': [12, 11]}, None, None, 'deleted: 12, 11'),
    Case('cado-incident-project-get', {'incident_id': 'INC-2024-0612'}, 'GET', '/api/v3/incidents/INC-2024-0612',
         'incident_project_get', None, None, 'Cado.Project', 'id', 'Cado project linked to incident INC-2024-0612',
         PROJECT_COLUMNS, (('id', 12), ('created', ISO_T0))),
    # ------------------------------------------------------------------------------------------ acquisitions
    acquisition('cado-aws-ec2-acquire',
                {'project_id': '12', 'account': 'aws-prod', 'region': 'eu-west-2',
                 'instance_id': 'i-0a1b2c3d4e5f67890', 'acquire_with_host': 'true', 'collection_type': 'balanced'},
                '/api/v3/import/aws/ec2', 'import_aws_ec2',
                {'project_id': 12, 'cloud_id': 'aws-prod', 'region': 'eu-west-2', 'instance_id': 'i-0a1b2c3d4e5f67890',
                 'acquire_with_host': True, 'host_options': {'collection_type': 'balanced'}},
                'AWS EC2', 'i-0a1b2c3d4e5f67890', (4281,)),
    acquisition('cado-aws-s3-acquire',
                {'project_id': '12', 'account': 'aws-prod', 'bucket': 'acme-web-assets', 'prefix': 'uploads/'},
                '/api/v3/import/aws/s3', 'import_aws_s3',
                {'project_id': 12, 'cloud_id': 'aws-prod', 'bucket': 'acme-web-assets', 'prefix': 'uploads/'},
                'AWS S3', 'acme-web-assets', (4283,)),
    acquisition('cado-aws-lambda-acquire',
                {'project_id': '12', 'account': 'aws-prod', 'region': 'eu-west-2', 'function_name': 'order-processor'},
                '/api/v3/import/aws/lambda', 'import_aws_lambda',
                {'project_id': 12, 'cloud_id': 'aws-prod', 'region': 'eu-west-2', 'function': 'order-processor'},
                'AWS Lambda', 'order-processor', (4284,)),
    acquisition('cado-aws-ecs-acquire',
                {'project_id': '12', 'account': 'aws-prod', 'region': 'eu-west-2', 'cluster_name': 'prod-ecs',
                 'task_name': '0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c', 'container_name': 'api'},
                '/api/v3/import/aws/ecs', 'import_aws_ecs',
                {'investigation_id': 12, 'account_name': 'aws-prod', 'region': 'eu-west-2', 'cluster_name': 'prod-ecs',
                 'task_name': '0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c', 'container_name': 'api', **HOST},
                'AWS ECS', 'api', (4285,)),
    acquisition('cado-aws-eks-acquire',
                {'project_id': '12', 'account': 'aws-prod', 'region': 'eu-west-2', 'cluster_name': 'prod-eks',
                 'pod_name': 'checkout-7d9f8b6c5-x2k4p', 'pod_namespace': 'shop', 'container_name': 'checkout'},
                '/api/v3/import/aws/eks', 'import_aws_eks',
                {'investigation_id': 12, 'account_name': 'aws-prod', 'cluster_region': 'eu-west-2',
                 'cluster_name': 'prod-eks', 'pod_name': 'checkout-7d9f8b6c5-x2k4p', 'pod_namespace': 'shop',
                 'container_name': 'checkout', **HOST},
                'AWS EKS', 'checkout', (4286,)),
    acquisition('cado-gcp-gce-acquire',
                {'project_id': '12', 'account': 'gcp-analytics', 'instance_name': 'etl-runner-1',
                 'instance_project': 'analytics-prod-4521', 'zone': 'europe-west2-b', 'gcs_bucket': 'cado-evidence-eu',
                 'gcs_project': 'security-tools-1234'},
                '/api/v3/import/gcp/gce', 'import_gcp_gce',
                {'investigation_id': 12, 'account_name': 'gcp-analytics', 'instance_name': 'etl-runner-1',
                 'instance_project': 'analytics-prod-4521', 'zone': 'europe-west2-b', 'gcs_bucket': 'cado-evidence-eu',
                 'gcs_project': 'security-tools-1234'},
                'GCP GCE', 'etl-runner-1', (4287,)),
    acquisition('cado-gcp-gcs-acquire',
                {'project_id': '12', 'account': 'gcp-analytics', 'bucket': 'analytics-prod-4521-audit',
                 'gcp_project': 'analytics-prod-4521'},
                '/api/v3/import/gcp/gcs', 'import_gcp_gcs',
                {'project_id': 12, 'account_name': 'gcp-analytics', 'bucket': 'analytics-prod-4521-audit',
                 'gcp_project': 'analytics-prod-4521', 'prefix': ''},
                'GCP GCS', 'analytics-prod-4521-audit', (4288, 4289)),
    acquisition('cado-gcp-gke-acquire',
                {'project_id': '12', 'account': 'gcp-analytics', 'gcp_project': 'analytics-prod-4521',
                 'cluster_name': 'etl-gke', 'zone': 'europe-west2-b', 'pod_name': 'spark-driver-0',
                 'pod_namespace': 'etl', 'container_name': 'spark'},
                '/api/v3/import/gcp/gke', 'import_gcp_gke',
                {'investigation_id': 12, 'account_name': 'gcp-analytics', 'gcp_project_id': 'analytics-prod-4521',
                 'cluster_name': 'etl-gke', 'cluster_zone': 'europe-west2-b', 'pod_name': 'spark-driver-0',
                 'pod_namespace': 'etl', 'container_name': 'spark', **HOST},
                'GCP GKE', 'spark', (4290,)),
    acquisition('cado-azure-vm-acquire',
                {'project_id': '12', 'account': 'azure-corp', 'vm_name': 'win-jump-01', 'subscription_id': AZURE_SUB,
                 'resource_group': 'rg-jump'},
                '/api/v3/import/azure/virtual-machine', 'import_azure_vm',
                {'investigation_id': 12, 'account_name': 'azure-corp', 'vm_name': 'win-jump-01',
                 'subscription_id': AZURE_SUB, 'resource_group': 'rg-jump', 'acquire_with_host': False},
                'Azure VM', 'win-jump-01', (4291,)),
    acquisition('cado-azure-disk-acquire',
                {'project_id': '12', 'account': 'azure-corp', 'disk_name': 'lin-app-02-data',
                 'subscription_id': AZURE_SUB, 'resource_group': 'rg-app'},
                '/api/v3/import/azure/disk', 'import_azure_disk',
                {'investigation_id': 12, 'account_name': 'azure-corp', 'disk_name': 'lin-app-02-data',
                 'subscription_id': AZURE_SUB, 'resource_group': 'rg-app', 'acquire_with_host': False},
                'Azure Disk', 'lin-app-02-data', (4292,)),
    acquisition('cado-azure-blob-acquire',
                {'project_id': '12', 'account': 'azure-corp', 'subscription_id': AZURE_SUB,
                 'storage_account_name': 'acmeinsights', 'container_name': 'insights-logs-signinlogs',
                 'blob_name': 'y=2024/m=06/d=03/h=12/m=00/PT1H.json'},
                '/api/v3/import/azure/storage/blobs', 'import_azure_blob',
                {'investigation_id': 12, 'account_name': 'azure-corp', 'subscription_id': AZURE_SUB,
                 'storage_account_name': 'acmeinsights', 'container_name': 'insights-logs-signinlogs',
                 'blob_name': 'y=2024/m=06/d=03/h=12/m=00/PT1H.json'},
                'Azure Blob', 'y=2024/m=06/d=03/h=12/m=00/PT1H.json', (4293,)),
    acquisition('cado-azure-aks-acquire',
                {'project_id': '12', 'account': 'azure-corp', 'subscription_id': AZURE_SUB,
                 'resource_group': 'rg-aks', 'cluster_name': 'aks-prod', 'pod_name': 'web-5c9d8f7b6-q8w2e',
                 'pod_namespace': 'default', 'container_name': 'nginx'},
                '/api/v3/import/azure/aks', 'import_azure_aks',
                {'investigation_id': 12, 'account_name': 'azure-corp', 'subscription_id': AZURE_SUB,
                 'resource_group': 'rg-aks', 'cluster_name': 'aks-prod', 'pod_name': 'web-5c9d8f7b6-q8w2e',
                 'pod_namespace': 'default', 'container_name': 'nginx', **HOST},
                'Azure AKS', 'nginx', (4294,)),
    acquisition('cado-xdr-device-acquire',
                {'project_id': '12', 'account': 'crowdstrike-eu', 'provider': 'crowdstrike',
                 'device_id': '5f3c2a1b0e9d4c8b7a6f5e4d3c2b1a09'},
                '/api/v3/import/xdr', 'import_xdr',
                {'investigation_id': 12, 'account_name': 'crowdstrike-eu',
                 'device_id': '5f3c2a1b0e9d4c8b7a6f5e4d3c2b1a09', **HOST},
                'XDR (crowdstrike)', '5f3c2a1b0e9d4c8b7a6f5e4d3c2b1a09', (4295,)),
    acquisition('cado-darktrace-endpoint-acquire',
                {'project_id': '12', 'device_id': '2f9a1c7e-3b4d-4e5f-8a6b-7c8d9e0f1a2b', 'appliance_name': 'dt-eu-1'},
                '/api/v3/import/xdr/csensor', 'import_darktrace',
                {'investigation_id': 12, 'device_id': '2f9a1c7e-3b4d-4e5f-8a6b-7c8d9e0f1a2b',
                 'appliance_name': 'dt-eu-1'},
                'Darktrace Endpoint', '2f9a1c7e-3b4d-4e5f-8a6b-7c8d9e0f1a2b', (4296,)),
    acquisition('cado-url-acquire',
                {'project_id': '12', 'url': 'https://files.example.com/evidence/web-prod-01-memdump.zip'},
                '/api/v3/import/url', 'import_url',
                {'project_id': 12, 'url': 'https://files.example.com/evidence/web-prod-01-memdump.zip'},
                'URL', 'https://files.example.com/evidence/web-prod-01-memdump.zip', (4297,)),
    acquisition('cado-m365-ual-acquire',
                {'project_id': '12', 'account': 'm365-acme', **LOG_WINDOW, 'workload': 'exchange'},
                '/api/v3/import/microsoft365/ual', 'import_m365_ual',
                {'project_id': 12, 'credentials': 'm365-acme', **LOG_WINDOW_BODY, 'workload': 'exchange'},
                'Microsoft 365 UAL', 'exchange', (4298,)),
    acquisition('cado-entra-id-acquire',
                {'project_id': '12', 'account': 'm365-acme', **LOG_WINDOW, 'user_ids': 'jdoe@example.com'},
                '/api/v3/import/entra', 'import_entra',
                {'investigation_id': 12, 'credentials': 'm365-acme', **LOG_WINDOW_BODY,
                 'user_ids': ['jdoe@example.com']},
                'Microsoft Entra ID', 'jdoe@example.com', (4299,)),
    acquisition('cado-google-workspace-acquire',
                {'project_id': '12', 'account': 'gws-acme', **LOG_WINDOW, 'application_names': 'login,drive'},
                '/api/v3/import/google-workspace', 'import_google_workspace',
                {'investigation_id': 12, 'account_name': 'gws-acme', **LOG_WINDOW_BODY,
                 'application_names': ['login', 'drive']},
                'Google Workspace', 'login, drive', (4300,)),
    Case('cado-detection-investigate', {'detections': json.dumps([DETECTION])}, 'POST', '/api/v3/detections/import',
         'detection_investigate', None, {'detections': [DETECTION]}, 'Cado.Acquisition', 'pipeline_id',
         'Cado Detection acquisition started', ('Pipeline Id', 'Source'),
         (('pipeline_id', 4301), ('pipeline_ids', [4301]), ('status', 'queued'), ('source', 'Detection'))),
    # ------------------------------------------------------------------------------------------------ browse
    Case('cado-cloud-account-list', {'type': 'aws,gcp'}, 'GET', '/api/v3/accounts', 'account_list',
         {'type': ['aws', 'gcp'], **PAGE_1}, None, 'Cado.CloudAccount', 'id', 'Cado cloud accounts',
         ('Id', 'Account Name', 'Type'), (('0.account_name', 'aws-prod'), ('3.type', 'crowdstrike'))),
    Case('cado-aws-ec2-instance-list', {'account': 'aws-prod', 'region': 'eu-west-2', 'state': 'running',
                                        'limit': '2'},
         'GET', '/api/v3/import/aws/ec2', 'aws_ec2_instance_list_page1',
         {'cloud_id': ['aws-prod'], 'region': ['eu-west-2'], 'state': ['running']}, None, 'Cado.EC2Instance',
         'instance_id', 'AWS EC2 instances', ('Instance Id', 'Instance Name', 'State'),
         (('0.instance_id', 'i-0a1b2c3d4e5f67890'), ('1.instance_name', 'web-prod-02'))),
    Case('cado-aws-s3-bucket-list', {'account': 'aws-prod', 'limit': '2'}, 'GET', '/api/v3/import/aws/s3/buckets',
         'aws_s3_bucket_list_page1', {'cloud_id': ['aws-prod'], 'per_page': ['2']}, None, 'Cado.S3Bucket', 'name',
         'AWS S3 buckets', ('Name', 'Creation Date'),
         (('0.name', 'acme-cloudtrail-logs'), ('0.creation_date', '2023-04-30T12:00:00Z'))),
    Case('cado-aws-s3-object-list', {'account': 'aws-prod', 'bucket': 'acme-cloudtrail-logs', 'prefix': 'AWSLogs/',
                                     'exclude_archived': 'false'},
         'GET', '/api/v3/import/aws/s3/objects', 'aws_s3_object_list',
         {'cloud_id': ['aws-prod'], 'bucket_name': ['acme-cloudtrail-logs'], 'prefix': ['AWSLogs/'],
          'exclude_archived': ['false'], 'per_page': ['50']}, None, 'Cado.S3Object', 'name', 'AWS S3 objects',
         ('Name', 'Type'), (('0.type', 'FOLDER'), ('1.last_modified', '2024-06-03T12:05:00Z'), ('1.size', 48213))),
    Case('cado-aws-lambda-function-list', {'account': 'aws-prod', 'region': 'eu-west-2'}, 'GET',
         '/api/v3/import/aws/lambda', 'aws_lambda_function_list',
         {'cloud_id': ['aws-prod'], 'region': ['eu-west-2'], 'per_page': ['50']}, None, 'Cado.LambdaFunction', 'name',
         'AWS Lambda functions', ('Name', 'Package Type'),
         (('0.name', 'order-processor'), ('0.last_modified', '2024-05-31T12:00:00Z'))),
    Case('cado-gcp-gce-instance-list', {'account': 'gcp-analytics', 'gcp_project': 'analytics-prod-4521',
                                        'state': 'RUNNING'},
         'GET', '/api/v3/import/gcp/gce', 'gcp_gce_instance_list',
         {'account_name': ['gcp-analytics'], 'gcp_project': ['analytics-prod-4521'], 'state': ['RUNNING'], **PAGE_1},
         None, 'Cado.GCEInstance', 'instance_id', 'GCP GCE instances', ('Instance Id', 'Instance Name', 'State'),
         (('0.instance_id', '4829104738291047382'),)),
    Case('cado-gcp-gcs-bucket-list', {'account': 'gcp-analytics', 'gcp_project': 'analytics-prod-4521'}, 'GET',
         '/api/v3/import/gcp/gcs/buckets', 'gcp_gcs_bucket_list',
         {'account_name': ['gcp-analytics'], 'gcp_project': ['analytics-prod-4521'], **PAGE_1}, None,
         'Cado.GCSBucket', 'name', 'GCP GCS buckets', ('Name', 'Location'),
         (('0.name', 'analytics-prod-4521-audit'),)),
    Case('cado-azure-vm-list', {'account': 'azure-corp', 'subscription_id': AZURE_SUB, 'resource_group': 'rg-jump'},
         'GET', '/api/v3/import/azure/virtual-machine', 'azure_vm_list',
         {'account_name': ['azure-corp'], 'subscription_id': [AZURE_SUB], 'resource_group': ['rg-jump'], **PAGE_1},
         None, 'Cado.AzureVM', 'name', 'Azure virtual machines', ('Name', 'Location'),
         (('0.name', 'win-jump-01'), ('1.disks.1.disk_size', 256))),
    Case('cado-azure-disk-list', {'account': 'azure-corp', 'subscription_id': AZURE_SUB}, 'GET',
         '/api/v3/import/azure/disk', 'azure_disk_list',
         {'account_name': ['azure-corp'], 'subscription_id': [AZURE_SUB], **PAGE_1}, None, 'Cado.AzureDisk',
         'disk_name', 'Azure disks', ('Disk Name', 'Resource Group', 'Location'),
         (('1.disk_name', 'lin-app-02-data'),)),
    Case('cado-xdr-device-list', {'provider': 'crowdstrike', 'account': 'crowdstrike-eu', 'hostname': 'FIN-LT',
                                  'limit': '2'},
         'GET', '/api/v3/import/xdr/crowdstrike', 'xdr_device_list_page1',
         {'account_name': ['crowdstrike-eu'], 'hostname': ['FIN-LT'], 'per_page': ['2']}, None, 'Cado.XDRDevice',
         'device_id', 'XDR devices', ('Device Id', 'Hostname', 'Provider'),
         (('0.hostname', 'FIN-LT-0042'), ('0.provider', 'crowdstrike'))),
    # ------------------------------------------------------------------------------------------------ pipelines
    Case('cado-pipeline-get', {'pipeline_id': '4281'}, 'GET', '/api/v3/pipelines/4281', 'pipeline_get_complete',
         None, None, 'Cado.Pipeline', 'id', 'Cado pipeline 4281', ('Id', 'Type', 'Name', 'Status'),
         (('id', 4281), ('type', 'acquisition'), ('status', 'complete'), ('created', ISO_T0),
          ('subtasks.0.finish_time', '2024-06-03T12:02:00Z'))),
    Case('cado-pipeline-list', {'project_id': '12', 'status': 'in_progress', 'type': 'processing'}, 'GET',
         '/api/v3/pipelines', 'pipeline_list',
         {'project_id': ['12'], 'pipeline_status': ['in_progress'], 'type': ['processing'], **PAGE_1}, None,
         'Cado.Pipeline', 'id', 'Cado pipelines', ('Id', 'Type', 'Name', 'Status'),
         (('0.id', 4282), ('0.status', 'in_progress'), ('0.triggering_pipeline_id', 4281), ('1.created', ISO_T0))),
    Case('cado-pipeline-cancel', {'pipeline_id': '4281'}, 'PATCH', '/api/v3/pipelines/4281', 'pipeline_cancel', None,
         {'aborted': True}, None, None, 'pipeline 4281'),
    Case('cado-pipeline-rerun', {'pipeline_id': '4281'}, 'POST', '/api/v3/pipelines/rerun', 'pipeline_rerun', None,
         {'pipeline_id': 4281}, 'Cado.Pipeline', 'id', 'rerun: 4302', (), (('0.id', 4302),), status=201),
    # ------------------------------------------------------------------------------------------------ findings
    Case('cado-detection-list', {'severity': 'high,critical', 'source': 'GuardDuty',
                                 'updated_after': '2024-06-03T00:00:00Z'},
         'GET', '/api/v3/detections', 'detection_list',
         {'severity': ['high', 'critical'], 'source': ['GuardDuty'], 'updated_start_timestamp': ['1717372800'],
          **PAGE_1}, None, 'Cado.Detection', 'id', 'Cado detections', ('Id', 'Name', 'Severity', 'Source'),
         (('0.id', 501), ('0.updated_datetime', '2024-06-03T13:05:00Z'), ('0.created_datetime', '2024-06-03T11:50:00Z'),
          ('0.raw_event', DETECTION['raw_event']))),
    Case('cado-detection-group-list', {'severity': 'high'}, 'GET', '/api/v3/detections/groups',
         'detection_group_list', {'severity': ['high'], **PAGE_1}, None, 'Cado.DetectionGroup', 'investigation_id',
         'Cado detection groups', ('Investigation Id', 'Investigation', 'Severity'),
         (('0.investigation_id', 12), ('0.detection_count', 3), ('0.updated_datetime', '2024-06-03T13:05:00Z'))),
    Case('cado-detection-artifact-list', {'project_id': '12', 'artifact_type': 'domain'}, 'GET',
         '/api/v3/detections/artifacts', 'detection_artifact_list',
         {'investigation_id': ['12'], 'artifact_type': ['domain'], **PAGE_1}, None, 'Cado.DetectionArtifact', 'id',
         'Cado detection artifacts', ('Id', 'Type', 'Value'), (('0.value', 'pool.minexmr.com'),)),
    Case('cado-detection-asset-get', {'detection_id': '501'}, 'GET', '/api/v3/detections/assets/501',
         'detection_asset_get', None, None, 'Cado.DetectionAsset', 'asset_id', 'Asset behind Cado detection 501',
         ('Detection Id', 'Asset Id'),
         (('asset_id', 'i-0a1b2c3d4e5f67890'), ('first_seen', '2024-06-03T11:50:00Z'), ('acquisitions.0.created', ISO_T0))),
    Case('cado-alarm-list', {'project_id': '12', 'alarm_severity': '4', 'limit': '2'}, 'GET', '/api/v3/alarms',
         'alarm_list', {'investigation_id': ['12'], 'alarm_severity': ['4'], 'page': ['1'], 'per_page': ['2']}, None,
         'Cado.Alarm', 'id', 'Cado alarms', ('Id', 'Severity', 'Type', 'Description'),
         (('0.id', 90211), ('0.first_seen', '2024-06-03T12:10:00Z'), ('1.last_seen', '2024-06-03T11:31:00Z'))),
    Case('cado-alarm-get', {'alarm_id': '90211'}, 'GET', '/api/v3/alarms/90211', 'alarm_get', None, None,
         'Cado.Alarm', 'id', 'Cado alarm 90211', ('Id', 'Severity', 'Type', 'Description'),
         (('id', 90211), ('full_path', '/tmp/.X11-unix/xmrig'), ('first_seen', '2024-06-03T12:10:00Z'))),
    Case('cado-alarm-summary-get', {'project_id': '12'}, 'GET', '/api/v3/alarms/summary', 'alarm_summary',
         {'investigation_id': ['12']}, None, 'Cado.AlarmSummary', 'project_id',
         'Cado alarm summary for project 12: 17 alarms',
         ('Description', 'Severity', 'Total Count'), (('project_id', 12), ('total', 17), ('breakdown.1.total_count', 14))),
    Case('cado-evidence-list', {'project_id': '12', 'is_compromised': 'true'}, 'GET', '/api/v3/evidences',
         'evidence_list', {'project_id': ['12'], 'is_compromised': ['true'], **PAGE_1}, None, 'Cado.Evidence', 'id',
         'Cado evidence', ('Id', 'Display Name'), (('0.id', 391), ('0.last_processed', '2024-06-03T13:05:00Z'))),
    Case('cado-evidence-get', {'evidence_id': '391'}, 'GET', '/api/v3/evidences/391', 'evidence_get', None, None,
         'Cado.Evidence', 'id', 'Cado evidence 391', ('Id', 'Display Name'),
         (('id', 391), ('details.hostname', 'web-prod-01'))),
    Case('cado-indicator-list', {'project_id': '12'}, 'GET', '/api/v3/indicators', 'indicator_list',
         {'investigation_id': ['12']}, None, 'Cado.Indicator', 'indicator',
         'Cado indicators of compromise in project 12', ('Indicator', 'Type', 'Description'),
         (('0.indicator', 'pool.minexmr.com'), ('1.type', 'sha256'))),
    # ------------------------------------------------------------------------------------------------ webhooks
    Case('cado-webhook-list', {}, 'GET', '/api/v3/webhooks', 'webhook_list', PAGE_1, None, 'Cado.Webhook', 'id',
         'Cado webhooks', ('Id', 'Name', 'Event Type'),
         (('0.id', 31), ('0.last_sent', '2024-06-03T13:05:00Z'), ('1.payload_type', 'slack'))),
    Case('cado-webhook-create', {'name': 'XSOAR detection_created', 'url': XSOAR_URL,
                                 'event_types': 'detection_created'},
         'POST', '/api/v3/webhooks', 'webhook_create', None,
         {'name': 'XSOAR detection_created', 'url': XSOAR_URL, 'event_type': 'detection_created',
          'payload_type': 'custom', 'payload': load('webhook_create')['data']['webhook']['payload']},
         'Cado.Webhook', 'id', 'Cado webhooks created', ('Id', 'Name', 'Event Type'),
         (('0.id', 31), ('0.event_type', 'detection_created')), status=201),
    Case('cado-webhook-update', {'webhook_id': '31', 'name': 'XSOAR detection_created (renamed)', 'enabled': 'false'},
         'PATCH', '/api/v3/webhooks/31', 'webhook_update', None,
         {'name': 'XSOAR detection_created (renamed)', 'enabled': False}, 'Cado.Webhook', 'id',
         'Cado webhook 31 updated', ('Id', 'Name', 'Event Type'), (('id', 31), ('enabled', False))),
    Case('cado-webhook-delete', {'webhook_id': '31'}, 'DELETE', '/api/v3/webhooks/31', 'webhook_delete', None, None,
         None, None, 'webhook 31 deleted'),
    Case('cado-webhook-test', {'webhook_id': '31'}, 'POST', '/api/v3/webhooks/test', 'webhook_test', None, {'id': 31},
         None, None, 'Webhook test sent successfully'),
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
    context = result.to_context()
    if case.prefix:
        assert f'{case.prefix}(val.{case.key} && val.{case.key} == obj.{case.key})' in context['EntryContext']


@pytest.mark.parametrize('case', SUCCESS_CASES, ids=CASE_IDS)
def test_command_requests_match_contract(mocker, requests_mock, contract, case):
    serve(requests_mock, case)
    succeed(mocker, case.command, case.args)
    problems = [problem for request in requests_mock.request_history for problem in contract.violations(request)]
    assert not problems, '\n'.join(problems)


def test_every_yaml_command_has_a_success_case(yaml_commands):
    assert set(yaml_commands) - {case.command for case in SUCCESS_CASES} == set()


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
                    'processing_pipeline_id', 'wait_for_processing', 'project_id', 'account', 'region'}


def test_yaml_arguments_are_read_by_the_code(yaml_commands):
    """An argument the YAML offers but the code never reads would be silently ignored."""
    source = Path(CadoSecurity.__file__).read_text()
    unread = [f'{name}.{argument["name"]}' for name, command in yaml_commands.items()
              for argument in command.get('arguments', [])
              if f"'{argument['name']}'" not in source and argument['name'] not in COMMON_ARGUMENTS]
    assert not unread


@pytest.mark.parametrize('case', SUCCESS_CASES, ids=CASE_IDS)
def test_outputs_are_declared_in_yaml(mocker, requests_mock, yaml_commands, case):
    """The context paths the command writes are the ones its YAML documents."""
    if not case.prefix:
        return
    declared = {output['contextPath'] for output in yaml_commands[case.command].get('outputs', [])}
    assert f'{case.prefix}.{case.key}' in declared
    assert all(path.startswith(f'{case.prefix}.') for path in declared), declared
    serve(requests_mock, case)
    result = succeed(mocker, case.command, case.args)
    items = result.outputs if isinstance(result.outputs, list) else [result.outputs]
    top_level = {f'{case.prefix}.{key}' for item in items for key in item}
    documented_roots = {path.split('.')[2] for path in declared}
    assert {path.split('.')[2] for path in top_level} - documented_roots == set()


def parse_examples() -> list[tuple[str, dict[str, str]]]:
    examples = []
    for line in (HERE / 'command_examples').read_text().splitlines():
        if line.strip():
            command, _, rest = line.strip().partition(' ')
            arguments = {name: value.strip('"`') for name, value in
                         re.findall(r'(\w+)=("[^"]*"|`[^`]*`|\S+)', rest)}
            examples.append((command.lstrip('!'), arguments))
    return examples


def test_command_examples_cover_every_command_with_valid_arguments(yaml_commands):
    examples = parse_examples()
    assert sorted(command for command, _ in examples) == sorted(yaml_commands), 'one example per command'
    for command, arguments in examples:
        declared = {argument['name']: argument for argument in yaml_commands[command].get('arguments', [])}
        assert set(arguments) <= set(declared), f'{command}: unknown {set(arguments) - set(declared)}'
        required = {name for name, argument in declared.items() if argument.get('required')}
        assert required <= set(arguments), f'{command}: missing {required - set(arguments)}'
        for name, value in arguments.items():
            if declared[name].get('predefined') and not declared[name].get('isArray'):
                assert value in declared[name]['predefined'], f'{command}: {name}={value}'


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


def test_test_module_checks_the_detection_feed_when_fetching(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/system/status', json=load('system_status'))
    requests_mock.get(f'{BASE}/api/v3/detections', json=load('detection_list'))
    assert succeed(mocker, 'test-module', params={'isFetch': True}) == 'ok'
    assert query_of(requests_mock.last_request)['order_by'] == ['updated_datetime']
    assert query_of(requests_mock.last_request)['detection_type'] == ['all']  # what the fetch will ask for
    assert succeed(mocker, 'test-module', params={'isFetch': True, 'detection_type': 'incident'}) == 'ok'
    assert query_of(requests_mock.last_request)['detection_type'] == ['incident']


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

def paged_projects(total: int):
    """A page-paginated GET /api/v3/projects over `total` projects, honouring page and per_page."""
    pool = [{**load('project_list')['data'][0], 'id': number} for number in range(1, total + 1)]

    def answer(request, context):
        query = query_of(request)
        page, per_page = int(query['page'][0]), int(query['per_page'][0])
        return {'status': 'success', 'data': pool[(page - 1) * per_page: page * per_page],
                'pagination': {'type': 'page', 'total_records': total, 'current_page': page,
                               'total_pages': -(-total // per_page), 'per_page': per_page}}
    return answer


@pytest.mark.parametrize('args, total, requested, returned', [
    ({'page': '2', 'page_size': '3'}, 10, [('2', '3')], 3),
    ({'page': '4', 'page_size': '3'}, 10, [('4', '3')], 1),
    ({'page_size': '5'}, 10, [('1', '5')], 5),
    ({'page': '3'}, 200, [('3', '50')], 50),
    ({'limit': '5'}, 10, [('1', '5')], 5),
    ({}, 7, [('1', '50')], 7),
    ({'limit': '150'}, 250, [('1', '100'), ('2', '100')], 150),
    ({'limit': '200'}, 130, [('1', '100'), ('2', '100')], 130),
    ({'limit': '100'}, 0, [('1', '100')], 0),
], ids=['page-mode', 'page-mode-last', 'page-size-only', 'page-only', 'limit-one-page', 'default-limit',
        'limit-stops-mid-page', 'limit-beyond-total', 'empty'])
def test_page_pagination(mocker, requests_mock, args, total, requested, returned):
    requests_mock.get(f'{BASE}/api/v3/projects', json=paged_projects(total))
    result = succeed(mocker, 'cado-project-list', args)
    assert [(query_of(r)['page'][0], query_of(r)['per_page'][0]) for r in requests_mock.request_history] == requested
    assert len(result.outputs) == returned
    if not returned:
        assert 'No entries' in result.readable_output


def cursor_pages(first: str, second: str, token: str):
    def answer(request, context):
        return load(second) if query_of(request).get('cursor') == [token] else load(first)
    return answer


EC2_TOKEN = load('aws_ec2_instance_list_page1')['pagination']['next_token']
XDR_TOKEN = load('xdr_device_list_page1')['pagination']['next_token']
S3_TOKEN = load('aws_s3_bucket_list_page1')['pagination']['next_token']


@pytest.mark.parametrize('command, args, path, pages, token, cursors, returned, note', [
    ('cado-aws-ec2-instance-list', {'account': 'aws-prod', 'region': 'eu-west-2'}, '/api/v3/import/aws/ec2',
     ('aws_ec2_instance_list_page1', 'aws_ec2_instance_list_page2'), EC2_TOKEN, [None, EC2_TOKEN], 3, False),
    ('cado-aws-ec2-instance-list', {'account': 'aws-prod', 'region': 'eu-west-2', 'limit': '2'},
     '/api/v3/import/aws/ec2', ('aws_ec2_instance_list_page1', 'aws_ec2_instance_list_page2'), EC2_TOKEN, [None], 2,
     True),
    ('cado-aws-ec2-instance-list', {'account': 'aws-prod', 'region': 'eu-west-2', 'limit': '1'},
     '/api/v3/import/aws/ec2', ('aws_ec2_instance_list_page1', 'aws_ec2_instance_list_page2'), EC2_TOKEN, [None], 1,
     False),
    ('cado-aws-ec2-instance-list', {'account': 'aws-prod', 'region': 'eu-west-2', 'next_token': EC2_TOKEN},
     '/api/v3/import/aws/ec2', ('aws_ec2_instance_list_page1', 'aws_ec2_instance_list_page2'), EC2_TOKEN,
     [EC2_TOKEN], 1, False),
    ('cado-xdr-device-list', {'provider': 'crowdstrike', 'account': 'crowdstrike-eu'},
     '/api/v3/import/xdr/crowdstrike', ('xdr_device_list_page1', 'xdr_device_list_page2'), XDR_TOKEN,
     [None, XDR_TOKEN], 3, False),
    ('cado-xdr-device-list', {'provider': 'crowdstrike', 'account': 'crowdstrike-eu', 'page_size': '2'},
     '/api/v3/import/xdr/crowdstrike', ('xdr_device_list_page1', 'xdr_device_list_page2'), XDR_TOKEN, [None], 2,
     True),
    ('cado-aws-s3-bucket-list', {'account': 'aws-prod', 'limit': '3'}, '/api/v3/import/aws/s3/buckets',
     ('aws_s3_bucket_list_page1', 'aws_s3_bucket_list_page2'), S3_TOKEN, [None, S3_TOKEN], 3, False),
], ids=['follows-cursor', 'stops-at-limit', 'trimmed-page-offers-no-cursor-that-would-skip-items',
        'resumes-from-next-token', 'xdr-follows-cursor', 'xdr-page-mode',
        's3-follows-cursor'])
def test_cursor_pagination(mocker, requests_mock, command, args, path, pages, token, cursors, returned, note):
    requests_mock.get(f'{BASE}{path}', json=cursor_pages(*pages, token))
    result = succeed(mocker, command, args)
    assert [query_of(r).get('cursor', [None])[0] for r in requests_mock.request_history] == cursors
    assert len(result.outputs) == returned
    assert (token in result.readable_output) is note, 'an unfinished listing tells how to continue'


def test_cursor_pagination_sends_page_size_where_the_contract_has_it(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/import/aws/s3/buckets', json=cursor_pages(
        'aws_s3_bucket_list_page1', 'aws_s3_bucket_list_page2', S3_TOKEN))
    succeed(mocker, 'cado-aws-s3-bucket-list', {'account': 'aws-prod', 'limit': '250'})
    assert [query_of(r)['per_page'] for r in requests_mock.request_history] == [['100'], ['100']]


# ============================================================================================================
# Polling: the acquisition and pipeline state machine
# ============================================================================================================

ACQUIRE = 'cado-aws-ec2-acquire'
PIPELINE_URL = f'{BASE}/api/v3/pipelines/4281'
PROCESSING_URL = f'{BASE}/api/v3/pipelines/4282'
POLL_ARGS = {**EC2, 'polling': 'true', 'pipeline_id': '4281', 'pipeline_ids': '4281', 'hide_polling_output': 'true'}


def scheduled(result) -> dict:
    entry = result.to_context()
    return {key: entry.get(key) for key in ('PollingCommand', 'NextRun', 'PollingArgs', 'Timeout')}


def test_polling_first_run_starts_and_schedules(mocker, requests_mock):
    requests_mock.post(f'{BASE}/api/v3/import/aws/ec2', json=load('import_aws_ec2'))
    result = succeed(mocker, ACQUIRE, {**EC2, 'polling': 'true'})
    assert requests_mock.call_count == 1
    assert result.outputs['pipeline_id'] == 4281 and result.outputs['status'] == 'queued'
    poll = scheduled(result)
    assert poll['PollingCommand'] == ACQUIRE
    assert poll['NextRun'] == '30'
    assert int(poll['Timeout']) >= 1770
    next_args = poll['PollingArgs']
    assert str(next_args['pipeline_id']) == '4281'
    assert truthy(next_args['polling']) and truthy(next_args['hide_polling_output'])
    assert next_args['instance_id'] == EC2['instance_id']


def truthy(value) -> bool:
    return str(value).lower() == 'true'


ACQUISITION_CASES = [case for case in SUCCESS_CASES if case.prefix == 'Cado.Acquisition']


@pytest.mark.parametrize('case', ACQUISITION_CASES, ids=[case.command for case in ACQUISITION_CASES])
def test_every_acquisition_polls_its_own_pipeline(mocker, requests_mock, request, case):
    """First run: one import, then a scheduled run of the same command carrying every pipeline id. Next run: only
    the pipeline is read, and on completion the one Cado.Acquisition shape comes back."""
    serve(requests_mock, case)
    first = succeed(mocker, case.command, {**case.args, 'polling': 'true'})
    poll = scheduled(first)
    ids = dict(case.checks)['pipeline_ids']
    assert poll['PollingCommand'] == case.command
    assert str(poll['PollingArgs']['pipeline_id']) == str(ids[0])
    assert [int(item) for item in str(poll['PollingArgs']['pipeline_ids']).split(',')] == ids

    pipeline = load('pipeline_get_complete')
    pipeline['data']['pipeline']['id'] = ids[0]
    requests_mock.get(f'{BASE}/api/v3/pipelines/{ids[0]}', json=pipeline)
    done = succeed(mocker, case.command, poll['PollingArgs'])
    assert [r.method for r in requests_mock.request_history] == [case.method, 'GET'], 'the import is sent once'
    assert scheduled(done)['PollingCommand'] is None
    assert done.outputs_prefix == 'Cado.Acquisition' and done.outputs_key_field == 'pipeline_id'
    assert {key: done.outputs.get(key) for key in ('pipeline_id', 'pipeline_ids', 'status', 'evidence_id', 'created')} \
        == {'pipeline_id': ids[0], 'pipeline_ids': ids, 'status': 'complete', 'evidence_id': 391, 'created': ISO_T0}
    assert done.outputs['source'] == dict(case.checks)['source']
    contract = request.getfixturevalue('contract')
    assert not [problem for r in requests_mock.request_history for problem in contract.violations(r)]


@pytest.mark.parametrize('fixture, state', [
    ('pipeline_get_queued', 'queued'), ('pipeline_get_running', 'in_progress'),
    ('pipeline_get_legacy_running', 'in_progress')])
def test_polling_still_running_reschedules_without_reimporting(mocker, requests_mock, fixture, state):
    requests_mock.get(PIPELINE_URL, json=load(fixture))
    result = succeed(mocker, ACQUIRE, {**POLL_ARGS, 'interval_in_seconds': '60', 'timeout_in_seconds': '600'})
    assert [request.method for request in requests_mock.request_history] == ['GET'], 'no second import'
    poll = scheduled(result)
    assert poll['PollingCommand'] == ACQUIRE and poll['NextRun'] == '60'
    assert int(poll['PollingArgs']['timeout_in_seconds']) == 540, 'the remaining time shrinks by one interval'
    assert not result.readable_output, 'hide_polling_output hides the intermediate entries'


def test_polling_shows_progress_when_not_hidden(mocker, requests_mock):
    requests_mock.get(PIPELINE_URL, json=load('pipeline_get_running'))
    result = succeed(mocker, 'cado-pipeline-get', {'pipeline_id': '4281', 'polling': 'true'})
    assert 'in_progress' in result.readable_output
    poll = scheduled(result)
    assert poll['PollingCommand'] == 'cado-pipeline-get' and poll['NextRun'] == '30'
    assert str(poll['PollingArgs']['pipeline_id']) == '4281'


def test_pipeline_get_polling_ends_with_the_pipeline(mocker, requests_mock):
    requests_mock.get(PIPELINE_URL, json=load('pipeline_get_legacy_complete'))
    result = succeed(mocker, 'cado-pipeline-get', {'pipeline_id': '4281', 'polling': 'true',
                                                   'hide_polling_output': 'true'})
    assert scheduled(result)['PollingCommand'] is None
    assert result.outputs_prefix == 'Cado.Pipeline' and result.outputs['status'] == 'complete'
    assert requests_mock.call_count == 1


@pytest.mark.parametrize('fixture', ['pipeline_get_complete', 'pipeline_get_legacy_complete'])
def test_polling_complete(mocker, requests_mock, fixture):
    requests_mock.get(PIPELINE_URL, json=load(fixture))
    result = succeed(mocker, ACQUIRE, POLL_ARGS)
    assert scheduled(result)['PollingCommand'] is None
    assert result.outputs_prefix == 'Cado.Acquisition' and result.outputs_key_field == 'pipeline_id'
    assert {key: result.outputs.get(key) for key in ('pipeline_id', 'status', 'evidence_id', 'created', 'project_id')} \
        == {'pipeline_id': 4281, 'status': 'complete', 'evidence_id': 391, 'created': ISO_T0, 'project_id': 12}
    assert table_of(result.readable_output)[0] == 'Cado AWS EC2 acquisition complete'


def _failed_after_cancelled_sibling():
    response = load('pipeline_get_failed')
    subtasks = response['data']['subtasks']
    subtasks[1], subtasks[2] = subtasks[2], subtasks[1]
    return response


@pytest.mark.parametrize('response, phrases', [
    (load('pipeline_get_failed'), ('failed', 'Copying snapshot to Cado', 'AccessDenied: kms:CreateGrant')),
    (load('pipeline_get_legacy_failed'), ('failed', 'Copying snapshot to Cado', 'AccessDenied')),
    (load('pipeline_get_cancelled'), ('cancelled', 'Copying snapshot to Cado')),
    (load('pipeline_get_legacy_cancelled'), ('cancelled', 'Copying snapshot to Cado')),
    (_failed_after_cancelled_sibling(), ('failed', 'Copying snapshot to Cado', 'AccessDenied')),
], ids=['failed', 'legacy-failed', 'cancelled', 'legacy-cancelled', 'failed-subtask-listed-after-a-cancelled-one'])
def test_polling_unsuccessful_run_names_the_subtask(mocker, requests_mock, response, phrases):
    requests_mock.get(PIPELINE_URL, json=response)
    for command, args in ((ACQUIRE, POLL_ARGS), ('cado-pipeline-get', {'pipeline_id': '4281', 'polling': 'true'})):
        message = fail(mocker, command, args)
        for phrase in phrases:
            assert phrase in message
        assert '4281' in message


@pytest.mark.parametrize('command, args', [
    (ACQUIRE, {**POLL_ARGS, 'timeout_in_seconds': '10'}),
    ('cado-pipeline-get', {'pipeline_id': '4281', 'polling': 'true', 'timeout_in_seconds': '0'}),
])
def test_polling_timeout_names_the_running_subtask(mocker, requests_mock, command, args):
    requests_mock.get(PIPELINE_URL, json=load('pipeline_get_running'))
    message = fail(mocker, command, args)
    assert 'Timed out' in message and '4281' in message
    assert 'Copying snapshot to Cado' in message


@pytest.mark.parametrize('fixture, status', [
    ('pipeline_get_legacy_running', 'in_progress'), ('pipeline_get_legacy_complete', 'complete'),
    ('pipeline_get_legacy_failed', 'failed'), ('pipeline_get_legacy_cancelled', 'cancelled'),
    ('pipeline_get_queued', 'queued'), ('pipeline_get_cancelled', 'cancelled')])
def test_pipeline_get_derives_state_of_old_platforms(mocker, requests_mock, fixture, status):
    requests_mock.get(PIPELINE_URL, json=load(fixture))
    result = succeed(mocker, 'cado-pipeline-get', {'pipeline_id': '4281'})
    assert result.outputs['status'] == status
    assert scheduled(result)['PollingCommand'] is None, 'no polling unless asked'


def test_pipeline_list_derives_state_of_old_platforms(mocker, requests_mock):
    legacy = load('pipeline_list')
    for item in legacy['data']:
        item.pop('status')
    requests_mock.get(f'{BASE}/api/v3/pipelines', json=legacy)
    result = succeed(mocker, 'cado-pipeline-list', {})
    assert [item['status'] for item in result.outputs] == ['in_progress', 'complete']


WAIT_ARGS = {**POLL_ARGS, 'wait_for_processing': 'true'}


def test_wait_for_processing_waits_for_the_processing_pipeline_to_appear(mocker, requests_mock):
    requests_mock.get(PIPELINE_URL, json=load('pipeline_get_complete'))
    requests_mock.get(f'{BASE}/api/v3/pipelines', json=load('processing_pipeline_list_empty'))
    result = succeed(mocker, ACQUIRE, WAIT_ARGS)
    assert query_of(requests_mock.last_request)['triggering_pipeline_id'] == ['4281']
    poll = scheduled(result)
    assert poll['PollingCommand'] == ACQUIRE
    assert not poll['PollingArgs'].get('processing_pipeline_id')


def test_wait_for_processing_follows_the_processing_pipeline(mocker, requests_mock):
    requests_mock.get(PIPELINE_URL, json=load('pipeline_get_complete'))
    requests_mock.get(f'{BASE}/api/v3/pipelines', json=load('processing_pipeline_list_running'))
    result = succeed(mocker, ACQUIRE, WAIT_ARGS)
    poll = scheduled(result)
    assert poll['PollingCommand'] == ACQUIRE
    assert str(poll['PollingArgs']['processing_pipeline_id']) == '4282'
    assert requests_mock.call_count == 2


def test_wait_for_processing_finishes_with_finding_counts(mocker, requests_mock):
    requests_mock.get(PROCESSING_URL, json=load('processing_pipeline_get_complete'))
    requests_mock.get(f'{BASE}/api/v3/alarms/summary', json=load('alarm_summary'))
    requests_mock.get(f'{BASE}/api/v3/detections', json=load('detection_list'))
    result = succeed(mocker, ACQUIRE, {**WAIT_ARGS, 'processing_pipeline_id': '4282',
                                       'acquisition_created': '1717416000000'})
    assert [urlparse(r.url).path for r in requests_mock.request_history] == [
        '/api/v3/pipelines/4282', '/api/v3/alarms/summary', '/api/v3/detections']
    assert query_of(requests_mock.request_history[1]) == {'investigation_id': ['12'], 'evidence_id': ['391']}
    assert query_of(requests_mock.request_history[2]) == {'investigation_id': ['12'], 'page': ['1'], 'per_page': ['1']}
    assert scheduled(result)['PollingCommand'] is None
    outputs = result.outputs
    assert {key: outputs.get(key) for key in ('pipeline_id', 'status', 'processing_pipeline_id', 'processing_status',
                                              'alarm_count', 'detection_count', 'evidence_id', 'project_id')} == {
        'pipeline_id': 4281, 'status': 'complete', 'processing_pipeline_id': 4282, 'processing_status': 'complete',
        'alarm_count': 17, 'detection_count': 2, 'evidence_id': 391, 'project_id': 12}
    title, columns = table_of(result.readable_output)
    assert 'processing complete' in title and 'Alarm Count' in columns and 'Detection Count' in columns


def test_wait_for_processing_failure_names_the_processing_subtask(mocker, requests_mock):
    requests_mock.get(PROCESSING_URL, json=load('processing_pipeline_get_failed'))
    message = fail(mocker, ACQUIRE, {**WAIT_ARGS, 'processing_pipeline_id': '4282'})
    assert 'processing' in message and '4282' in message
    assert 'Extracting events' in message and 'Unsupported filesystem: ZFS' in message


def test_wait_for_processing_still_processing_reschedules(mocker, requests_mock):
    requests_mock.get(PROCESSING_URL, json=load('processing_pipeline_get_running'))
    result = succeed(mocker, ACQUIRE, {**WAIT_ARGS, 'processing_pipeline_id': '4282'})
    assert requests_mock.call_count == 1
    assert str(scheduled(result)['PollingArgs']['processing_pipeline_id']) == '4282'


def test_without_polling_an_acquisition_returns_at_once(mocker, requests_mock):
    requests_mock.post(f'{BASE}/api/v3/import/aws/ec2', json=load('import_aws_ec2'))
    result = succeed(mocker, ACQUIRE, EC2)
    assert scheduled(result)['PollingCommand'] is None


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
    assert detection == {'name': 'Cado detection $detection_id: $Title', 'type': 'Cado Detection',
                         'cado_webhook_event': 'detection_created', 'cado_event_type': '$event_type',
                         'cado_detection_id': '$detection_id', 'cado_group_id': '$group_id', 'cado_title': '$Title',
                         'source_brand': 'Cado Security'}
    assert list(processing)[0] == 'cado_event' and processing['cado_event'] == '$Event'
    assert processing['type'] == 'Cado Processing Event' and processing['cado_webhook_event'] == 'processing_failed'
    assert '$Event' not in json.dumps(detection)
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
