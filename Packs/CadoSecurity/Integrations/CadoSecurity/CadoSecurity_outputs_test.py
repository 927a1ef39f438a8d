"""Declared outputs are real outputs.

Every command runs through main() against the fullest answers Cado's contract allows, and must write every context
path its YAML declares (except the few in NOT_IN_THE_ANSWER, each with its reason), and no top-level key its YAML
leaves out. The README's output tables are the YAML's.

The fullest answer of an operation is built from its success response schema: every property present, arrays with
one element (one per alternative when the items are a oneOf), enums at their first value, formats honoured, nullable
fields non-null. Each is checked against the schema (test_fullest_answers_match_the_contract).
"""
import re
from typing import Any
from urllib.parse import urlparse

import pytest
from requests_mock import ANY

import CadoSecurity
from CadoSecurity_test import (
    BASE, CASE_IDS, HERE, SUCCESS_CASES, XSOAR_INDICATOR_KEYS, integration_yaml, succeed, xsoar_runtime, yaml_commands)

# CadoSecurity_test.py's fixtures: imported, they serve this module's tests too.
SHARED_FIXTURES = (integration_yaml, xsoar_runtime, yaml_commands)
README = HERE / 'README.md'

# Declared paths a command writes only for some inputs or states, so no run below can show them.
CLASSIFIED = ('which arguments and resource parts are filled depends on the resource\'s provider and type: '
              'CadoSecurity_detection_test.py classifies a resource of every provider and type')
# A pattern ending in `.*` excuses every declared path below it that the run does not write.
NOT_IN_THE_ANSWER: dict[str, dict[str, str]] = {
    'cado-alarm-summary-get': {'Cado.AlarmSummary.evidence_id': 'echoes the evidence_id argument, when given'},
    'cado-detection-get': {
        **{f'Cado.Detection.{part}.*': CLASSIFIED for part in (
            'acquisition.arguments', 'acquisitions.arguments', 'acquisition.resource', 'acquisitions.resource')},
        'Cado.Detection.reason': 'only when the detection is not found',
    },
    'cado-resource-classify': {f'Cado.Classification.{part}.*': CLASSIFIED for part in ('arguments', 'resource')},
    'cado-file-search': {'Cado.File.id': 'Cado gives ids in directory listings only (the outputs are shared with '
                                         'cado-directory-list)'},
    'cado-file-get': {'Cado.File.id': 'echoes the file_id argument, when the file is asked for by ID'},
    'cado-gcp-gcs-object-list': {f'Cado.GCSObject.{name}': 'required but not described by the contract (see '
                                 'tools/prism.py SPEC_PATCHES): the fixture carries it' for name in ('type', 'storage_class')},
    'cado-timeline-facet-list': {'Cado.TimelineFacet.search_text': 'echoes the search_text argument, when given'},
    'cado-timeline-note-add': {'Cado.TimelineEvent.comment': 'only with note_type=comment (the run stars)'},
    'cado-indicator-list': {f'{prefix}.*': 'only for an indicator of a type XSOAR has an indicator for (the fullest '
                            'answer\'s type is "text"): CadoSecurity_indicators_test.py returns every type'
                            for prefix in XSOAR_INDICATOR_KEYS},
    'cado-detection-artifact-list': {f'{prefix}.*': 'only for an artifact that is an IP, domain or hash (the fullest '
                                     'answer\'s type is "text"): CadoSecurity_indicators_test.py returns each'
                                     for prefix in ('DBotScore', 'IP', 'Domain', 'File')},
    'cado-ioc-rule-list': {'Cado.IOCRule.project_id': 'only for a project\'s rules (project_id given)',
                           'Cado.IOCRule.title': 'only for a rule with a title (the fullest answer\'s rules text is '
                                                 'one word): the unit case reads titled rules'},
    'cado-ioc-rule-push': {'Cado.IOCRule.project_id': 'only for a project\'s rules (project_id given): '
                                                      'CadoSecurity_intelligence_test.py pushes to a project'},
    'cado-timeline-note-update': {'Cado.TimelineNote.note.text': 'the fullest answer\'s note is the first '
                                                                'alternative of the contract\'s note_data, a star; '
                                                                'the unit case answers a comment'},
}
# Commands that delete, stop or redirect something in Cado: XSOAR marks them potentially harmful.
DISRUPTIVE = {
    'cado-project-delete': 'deletes projects and their evidence',
    'cado-pipeline-cancel': 'stops a pipeline',
    'cado-webhook-update': 'can disable a webhook or send its events elsewhere',
    'cado-webhook-delete': 'deletes a webhook',
    'cado-timeline-note-remove': "removes stars or comments other analysts see in Cado",
    'cado-remote-script-run': 'runs a script on an EC2 instance',
    'cado-ioc-rule-push': "changes what Cado detects, in every project (or in one project)",
    'cado-timeline-note-delete': "deletes a star or comment other analysts see in Cado",
}
STRING_FORMATS = {'uuid': '3f2b8c1e-7d4a-4e9b-9c61-2a5d8e0f1b47'}
SCALARS = {'string': 'text', 'integer': 1, 'number': 1.5, 'boolean': True}


# ============================================================================================================
# The fullest answer the contract allows
# ============================================================================================================

def resolved(contract, schema: dict) -> dict:
    while '$ref' in schema:
        schema = contract.resolve(schema['$ref'].lstrip('#'))
    return schema


def fullest(contract, schema: dict) -> Any:
    schema = resolved(contract, schema)
    if 'oneOf' in schema:
        return alternatives(contract, schema)[0]
    if 'enum' in schema:
        return schema['enum'][0]
    kind = schema.get('type')
    if isinstance(kind, list):  # a nullable field: never null here
        kind = next(name for name in kind if name != 'null')
    if kind == 'object' or 'properties' in schema:
        return {name: fullest(contract, item) for name, item in schema.get('properties', {}).items()}
    if kind == 'array':
        return alternatives(contract, schema.get('items', {}))
    if kind == 'string':
        return STRING_FORMATS.get(schema.get('format'), 'text')
    return SCALARS.get(kind, 'text')


def alternatives(contract, schema: dict) -> list:
    """One value per alternative of a oneOf (with the keywords they share), else the one value."""
    schema = resolved(contract, schema)
    if 'oneOf' not in schema:
        return [fullest(contract, schema)]
    shared = {key: value for key, value in schema.items() if key != 'oneOf'}
    return [fullest(contract, {**shared, **resolved(contract, alternative)}) for alternative in schema['oneOf']]


def fullest_answer(contract, method: str, path: str) -> tuple[str, str, dict]:
    """(contract path template, success status, fullest body) of the operation serving `method path`."""
    template, operation, _ = contract.operation(method, path)
    assert operation, f'{method} {path} is not an operation of the contract'
    status = next(code for code in operation['responses'] if code.startswith('2'))
    schema = resolved(contract, operation['responses'][status])['content']['application/json']['schema']
    return template, status, fullest(contract, schema)


@pytest.mark.parametrize('name', sorted(name for name, endpoint in CadoSecurity.ENDPOINTS.items()
                                         if endpoint.data != 'file'))  # a file has no JSON schema
def test_fullest_answers_match_the_contract(contract, name):
    endpoint = CadoSecurity.ENDPOINTS[name]
    template, status, body = fullest_answer(contract, endpoint.method, endpoint.path)
    errors = [f'{error.json_path}: {error.message}'
              for error in contract.response_validator(endpoint.method, template, status).iter_errors(body)]
    assert not errors


def test_fullest_answer_has_every_alternative_of_a_list(contract):
    """S3 listings mix files and folders (a oneOf): both shapes are served, so both shapes' outputs are checked."""
    _, _, body = fullest_answer(contract, 'GET', '/api/v3/import/aws/s3/objects')
    assert [item['type'] for item in body['data']] == ['FILE', 'FOLDER']


# ============================================================================================================
# Every command against the fullest answers
# ============================================================================================================

@pytest.fixture
def fullest_cado(requests_mock, contract):
    def answer(request, context):
        _, status, body = fullest_answer(contract, request.method, urlparse(request.url).path)
        context.status_code = int(status)
        return body

    requests_mock.register_uri(ANY, ANY, json=answer)


def collect(value: Any, path: str, paths: set[str]) -> None:
    if value is None:
        return
    paths.add(path)
    if isinstance(value, list):  # XSOAR context paths see through lists
        for item in value:
            collect(item, path, paths)
    elif isinstance(value, dict):
        for key, item in value.items():
            collect(item, f'{path}.{key}', paths)


def context_paths(result) -> set[str]:
    """Every dotted path the command writes to context (an entry key `Prefix(val.id && ...)` counts as `Prefix`)."""
    paths: set[str] = set()
    for key, value in (result.to_context().get('EntryContext') or {}).items():
        collect(value, key.split('(')[0], paths)
    return paths


def declared(yaml_commands, command: str) -> set[str]:
    return {output['contextPath'] for output in yaml_commands[command].get('outputs') or []}


def failed_pipeline(contract, pipeline_id: int) -> dict:
    _, _, body = fullest_answer(contract, 'GET', f'/api/v3/pipelines/{pipeline_id}')
    body['data']['status'] = 'failed'
    for subtask in body['data']['subtasks']:
        subtask['state'] = 'FAILURE'
    return body


def written_paths(mocker, requests_mock, contract, case) -> set[str]:
    """What the command writes; for a command that polls, over its whole life: an acquisition submitted, followed
    through processing to complete, then ended by a failed pipeline; a pipeline read, failed, then timed out."""
    if case.command == 'cado-pipeline-get':
        plain = succeed(mocker, case.command, case.args)
        pipeline_url = f'{BASE}/api/v3/pipelines/{case.args["pipeline_id"]}'
        requests_mock.get(pipeline_url, json=failed_pipeline(contract, case.args['pipeline_id']))
        failed = succeed(mocker, case.command, {**case.args, 'polling': 'true'})
        running = failed_pipeline(contract, case.args['pipeline_id'])
        running['data']['status'] = 'in_progress'
        requests_mock.get(pipeline_url, json=running)
        timed_out = succeed(mocker, case.command, {**case.args, 'polling': 'true', 'polling_followup': 'true',
                                                   'timeout_in_seconds': '0'})
        return context_paths(plain) | context_paths(failed[0]) | context_paths(timed_out[0])
    if case.command == 'cado-detection-get':  # the fullest answer's detection has the id 1 and a 1970 acquisition
        return context_paths(succeed(mocker, case.command, {'detection_id': '1', 'reuse_within_hours': '1000000'}))
    if case.prefix != 'Cado.Acquisition':
        return context_paths(succeed(mocker, case.command, case.args))
    first = succeed(mocker, case.command, {**case.args, 'polling': 'true', 'wait_for_processing': 'true'})
    follow_up = first.to_context()['PollingArgs']
    complete = succeed(mocker, case.command, follow_up)
    requests_mock.get(f'{BASE}/api/v3/pipelines/{follow_up["pipeline_id"]}',
                      json=failed_pipeline(contract, follow_up['pipeline_id']))
    failed = succeed(mocker, case.command, {**follow_up, 'wait_for_processing': 'false'})
    assert isinstance(failed, list), 'a failed acquisition ends with its record and an error entry'
    assert complete.outputs['status'] == 'complete' and failed[0].outputs['status'] == 'failed'
    return context_paths(first) | context_paths(complete) | context_paths(failed[0])


@pytest.mark.parametrize('case', SUCCESS_CASES, ids=CASE_IDS)
def test_every_declared_output_is_written(mocker, requests_mock, contract, fullest_cado, yaml_commands, case):
    written = written_paths(mocker, requests_mock, contract, case)
    paths = declared(yaml_commands, case.command)
    excuses = NOT_IN_THE_ANSWER.get(case.command, {})
    exact = {pattern for pattern in excuses if not pattern.endswith('.*')}
    below = tuple(pattern[:-1] for pattern in excuses if pattern.endswith('.*'))
    assert sorted(path for path in paths - written - exact if not path.startswith(below or ('\0',))) == []
    assert sorted(exact - paths) == [], 'excused but not declared: drop it'
    assert all(any(path.startswith(prefix) for path in paths) for prefix in below), 'a pattern that excuses nothing'
    assert sorted(exact & written) == [], 'excused but written: drop the excuse'


@pytest.mark.parametrize('case', SUCCESS_CASES, ids=CASE_IDS)
def test_every_written_output_is_declared(mocker, fullest_cado, yaml_commands, case):
    """At the top level: below it are the API's own nested records, which the YAML documents only down to the fields
    a playbook uses (a project user's login type, for one, is written but not declared)."""
    paths = declared(yaml_commands, case.command)
    written = context_paths(succeed(mocker, case.command, case.args))
    if not case.prefix:
        assert not paths and not written, 'a message-only command writes and declares no context'
        return
    assert f'{case.prefix}.{case.key}' in paths, 'the key field is declared'
    own_or_indicator = (f'{case.prefix}.', *(f'{key}.' for key in XSOAR_INDICATOR_KEYS))
    assert all(path.startswith(own_or_indicator) for path in paths), paths
    roots = {'.'.join(path.split('.')[:3]) for path in paths}
    assert sorted({path for path in written if path.count('.') == 2} - roots) == []


# ============================================================================================================
# The README and the YAML say the same; harmful commands are marked
# ============================================================================================================

def readme_outputs() -> dict[str, list[tuple[str, str, str]]]:
    """Each command section's context output rows: (path, type, description)."""
    sections = re.split(r'^### ((?:cado|get|update)-[\w-]+)$', README.read_text(), flags=re.M)
    roots = '|'.join(('Cado', *XSOAR_INDICATOR_KEYS))
    return {name: re.findall(rf'^\| ((?:{roots})\.\S+) \| (\w+) \| (.*) \|$', body, flags=re.M)
            for name, body in zip(sections[1::2], sections[2::2], strict=True)}


def test_readme_lists_each_commands_declared_outputs(yaml_commands):
    documented = readme_outputs()
    assert set(documented) == set(yaml_commands)
    for name, command in yaml_commands.items():
        rows = [(output['contextPath'], output['type'], output['description']) for output in command.get('outputs') or []]
        assert documented[name] == rows, name


def test_commands_that_delete_stop_or_redirect_are_marked_potentially_harmful(yaml_commands):
    marked = {name for name, command in yaml_commands.items() if command.get('execution') is True}
    assert marked == set(DISRUPTIVE)
    by_name = {name for name in yaml_commands if re.search(r'-(delete|cancel|stop|abort|remove|terminate)$', name)}
    assert by_name <= marked, 'a new command that deletes or stops something belongs in DISRUPTIVE'
