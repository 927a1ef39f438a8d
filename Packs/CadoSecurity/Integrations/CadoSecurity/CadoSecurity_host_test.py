"""Cado Host: the deployment command is a secret (it carries the collection's upload credentials). It is delivered as
a file entry and shown in the command's War Room entry, written to context only when include_command_in_context=true
asks for it, and never to the raw response or the logs.

cado-host-command-get returns a file entry besides its results, so its success, error, contract and declared-outputs
cases are here rather than in the shared tables of CadoSecurity_test.py.
"""
import json

import demistomock as demisto
import pytest

from CadoSecurity_files_test import content_of, is_file_entry
from CadoSecurity_outputs_test import context_paths, fullest_cado
from CadoSecurity_test import (BASE, ERRORS, body_of, fail, integration_yaml, load, succeed, table_of, xsoar_runtime,
                               yaml_commands)
from command_args import VALID_ARGS

SHARED_FIXTURES = (xsoar_runtime, integration_yaml, yaml_commands, fullest_cado)
CADO_HOST = f'{BASE}/api/v3/import/cado-host'
HOST_ARGS = VALID_ARGS['cado-host-command-get']
ANSWER = load('host_command_get')
COMMAND = ANSWER['data']['command']
SECRETS = (COMMAND, ANSWER['data']['presigned_data'])


def generate(mocker, requests_mock, **args):
    requests_mock.post(CADO_HOST, json=ANSWER)
    return succeed(mocker, 'cado-host-command-get', {**HOST_ARGS, **args})


def everything_but_the_file(entry, results) -> str:
    """What context, the raw response and the entry's JSON hold, as text."""
    return json.dumps([results.to_context()['EntryContext'], results.raw_response, results.outputs])


def test_command_is_a_file_entry_and_in_the_war_room_entry_not_in_context(mocker, requests_mock):
    entry, results = generate(mocker, requests_mock)

    assert body_of(requests_mock.last_request) == {
        'project_id': 12, 'os': 'linux', 'deployment': 'auto', 'downloadable': False,
        'command_options': {'as_super': True, 'light_mode': True}}
    assert is_file_entry(entry) and entry['File'] == 'cado_host_linux.sh'
    assert content_of(entry) == COMMAND.encode()
    title, columns = table_of(results.readable_output)
    assert title == 'Cado Host auto deployment command for linux in project 12: file cado_host_linux.sh'
    assert columns[:4] == ['Project Id', 'Os', 'Deployment', 'Command']
    assert COMMAND in results.readable_output
    assert (results.outputs_prefix, results.outputs_key_field) == ('Cado.HostDeployment', 'id')
    assert results.outputs['id'] == '12:linux:auto' and results.outputs['cloud_storage_info']['path'] == 'cado-host/12/'
    assert 'command' not in results.outputs
    stored = everything_but_the_file(entry, results)
    assert not [secret for secret in SECRETS if secret in stored], 'the command and its credentials stay out'


def test_include_command_in_context_writes_it_for_a_playbook(mocker, requests_mock):
    entry, results = generate(mocker, requests_mock, include_command_in_context='true')
    assert results.outputs['command'] == COMMAND
    assert content_of(entry) == COMMAND.encode()
    assert 'presigned_data' not in json.dumps(results.raw_response), 'the raw response never holds it'


def test_downloadable_script_is_in_the_file_only(mocker, requests_mock):
    entry, results = generate(mocker, requests_mock, os='windows', downloadable='true')
    assert body_of(requests_mock.last_request)['downloadable'] is True
    assert entry['File'] == 'cado_host_windows.ps1' and content_of(entry) == COMMAND.encode()
    assert COMMAND not in results.readable_output and 'command' not in results.outputs


def test_created_says_when_the_command_was_generated(mocker, requests_mock):
    mocker.patch('CadoSecurity.now_ms', return_value=1717416000000.0)
    _, results = generate(mocker, requests_mock)
    assert results.outputs['created'] == '2024-06-03T12:00:00Z'


def test_the_command_is_never_logged(mocker, requests_mock):
    logged = [mocker.patch.object(demisto, name) for name in ('debug', 'info', 'error', 'log')]
    generate(mocker, requests_mock, include_command_in_context='true')
    calls = json.dumps([str(call) for log in logged for call in log.call_args_list])
    assert not [secret for secret in SECRETS if secret in calls]


@pytest.mark.parametrize('value', ['maybe', 'sure'])
def test_bad_include_command_in_context_is_rejected_before_any_request(mocker, requests_mock, value):
    error = fail(mocker, 'cado-host-command-get', {**HOST_ARGS, 'include_command_in_context': value})
    assert 'include_command_in_context' in error and 'true' in error
    assert not requests_mock.called


@pytest.mark.parametrize('error', sorted(ERRORS))
def test_every_error_is_reported_with_one_attempt(mocker, requests_mock, error):
    response, phrases = ERRORS[error]
    requests_mock.post(CADO_HOST, **response)
    message = fail(mocker, 'cado-host-command-get', HOST_ARGS)
    assert all(phrase in message for phrase in phrases), message
    assert requests_mock.call_count == 1


def test_request_matches_the_contract(mocker, requests_mock, contract):
    generate(mocker, requests_mock, include_command_in_context='true')
    assert not contract.request_problems(requests_mock.last_request)


def test_declared_outputs_are_the_written_ones(mocker, fullest_cado, yaml_commands):
    """Against the fullest answer the contract allows, with the command asked for in context."""
    _, results = succeed(mocker, 'cado-host-command-get', {**HOST_ARGS, 'include_command_in_context': 'true'})
    declared = {output['contextPath'] for output in yaml_commands['cado-host-command-get']['outputs']}
    written = context_paths(results)
    assert sorted(declared - written) == []
    roots = {'.'.join(path.split('.')[:3]) for path in declared}
    assert sorted({path for path in written if path.count('.') == 2} - roots) == []


# ============================================================================================================
# cado-host-acquisition-follow: wait for the pipelines the upload starts, then follow them as an acquisition
# ============================================================================================================

FOLLOW = 'cado-host-acquisition-follow'
FOLLOW_ARGS = VALID_ARGS[FOLLOW]  # since 2024-06-03T12:00:00Z, when pipeline_list's pipelines were created
PIPELINES = f'{BASE}/api/v3/pipelines'
LATER = '2024-06-03T12:00:01Z'  # after every pipeline of pipeline_list


def serve_pipelines(requests_mock, project_pipelines: dict, processing: dict | None = None) -> None:
    """GET /pipelines: the project's pipelines, or (triggering_pipeline_id) the processing pipelines of one."""
    def answer(request, context):
        return processing if 'triggering_pipeline_id' in request.qs else project_pipelines
    requests_mock.get(PIPELINES, json=answer)


def only(data: list[dict]) -> dict:
    return {'status': 'success', 'data': data,
            'pagination': {'type': 'page', 'total_records': len(data), 'current_page': 1, 'total_pages': 1,
                           'per_page': 50}}


def outcome(result) -> tuple[dict, str]:
    """The Cado.Acquisition record, and the error entry's text when the command ended with one."""
    if isinstance(result, list):
        return result[0].outputs, result[1].readable_output
    return result.outputs, ''


@pytest.mark.parametrize('args, named', [
    ({**FOLLOW_ARGS, 'polling': 'false'}, ('polling', 'cado-pipeline-list')),
    ({key: value for key, value in FOLLOW_ARGS.items() if key != 'polling'}, ('polling',)),
    ({key: value for key, value in FOLLOW_ARGS.items() if key != 'since'}, ('since',)),
    ({**FOLLOW_ARGS, 'since': 'after lunch-ish'}, ('since', 'ISO 8601')),
    ({key: value for key, value in FOLLOW_ARGS.items() if key != 'project_id'}, ('project_id', 'Default project ID')),
    ({**FOLLOW_ARGS, 'interval_in_seconds': '5'}, ('interval_in_seconds', '10')),
    ({**FOLLOW_ARGS, 'wait_for_processing': 'perhaps'}, ('wait_for_processing',)),
])
def test_follow_rejects_bad_arguments_before_any_request(mocker, requests_mock, args, named):
    error = fail(mocker, FOLLOW, args)
    assert all(phrase in error for phrase in named), error
    assert not requests_mock.called


def test_follow_waits_without_blocking_while_no_pipeline_started(mocker, requests_mock):
    serve_pipelines(requests_mock, load('pipeline_list'))
    result = succeed(mocker, FOLLOW, {**FOLLOW_ARGS, 'since': LATER})

    assert [request.qs for request in requests_mock.request_history] == [
        {'project_id': ['12'], 'order_by': ['-created'], 'page': ['1'], 'per_page': ['50']}]
    assert 'started no pipeline in project 12 since the command was generated (2024-06-03T12:00:01Z)' in \
        result.readable_output
    scheduled = result.to_context()['PollingArgs']
    assert scheduled['polling_followup'] is True and 'pipeline_id' not in scheduled
    assert result.outputs is None, 'nothing to record yet'


def test_follow_takes_the_new_acquisition_pipelines_and_polls_them(mocker, requests_mock):
    serve_pipelines(requests_mock, load('pipeline_list'))
    requests_mock.get(f'{PIPELINES}/4281', json=load('pipeline_get_running'))
    result = succeed(mocker, FOLLOW, FOLLOW_ARGS)

    scheduled = result.to_context()['PollingArgs']
    assert (scheduled['pipeline_id'], scheduled['pipeline_ids'], scheduled['pipeline_type']) == \
        (4281, '4281', 'acquisition'), 'the acquisition pipeline, not the processing one it started'
    assert scheduled['since'] == FOLLOW_ARGS['since'] and scheduled['host'] == 'web-01'


def test_follow_ends_complete_through_processing_with_counts(mocker, requests_mock):
    serve_pipelines(requests_mock, load('pipeline_list'), load('processing_pipeline_list_complete'))
    requests_mock.get(f'{PIPELINES}/4281', json=load('pipeline_get_complete'))
    requests_mock.get(f'{BASE}/api/v3/alarms/summary', json=load('alarm_summary'))
    requests_mock.get(f'{BASE}/api/v3/detections', json=load('detection_list'))
    record, error = outcome(succeed(mocker, FOLLOW, FOLLOW_ARGS))

    assert not error
    assert (record['status'], record['processing_status'], record['source'], record['resource_id']) == \
        ('complete', 'complete', 'Host', 'web-01')
    assert (record['pipeline_id'], record['processing_pipeline_id'], record['evidence_id'], record['project_id']) == \
        (4281, 4282, 391, 12)
    assert record['alarm_count'] == 17 and 'detection_count' in record


def test_follow_failure_is_recorded_with_an_error_entry(mocker, requests_mock):
    requests_mock.get(f'{PIPELINES}/4281', json=load('pipeline_get_failed'))
    record, error = outcome(succeed(mocker, FOLLOW, {**FOLLOW_ARGS, 'pipeline_id': '4281', 'pipeline_ids': '4281',
                                                     'pipeline_type': 'acquisition', 'polling_followup': 'true'}))
    assert (record['status'], record['failed_pipeline_id'], record['resource_id']) == ('failed', 4281, 'web-01')
    assert 'The Cado Host acquisition failed' in error and 'cado-pipeline-logs-get pipeline_id=4281' in error


def test_follow_takes_processing_pipelines_when_cado_starts_no_acquisition(mocker, requests_mock):
    processing_only = only([item for item in load('pipeline_list')['data']
                            if item['pipeline']['type'] == 'processing'])
    serve_pipelines(requests_mock, processing_only)
    requests_mock.get(f'{PIPELINES}/4282', json=load('processing_pipeline_get_complete'))
    requests_mock.get(f'{BASE}/api/v3/alarms/summary', json=load('alarm_summary'))
    requests_mock.get(f'{BASE}/api/v3/detections', json=load('detection_list'))
    record, error = outcome(succeed(mocker, FOLLOW, FOLLOW_ARGS))
    assert not error
    assert (record['pipeline_id'], record['processing_pipeline_id'], record['processing_status']) == \
        (4282, 4282, 'complete')


def test_follow_times_out_saying_no_pipeline_started(mocker, requests_mock):
    serve_pipelines(requests_mock, only([]))
    record, error = outcome(succeed(mocker, FOLLOW, {**FOLLOW_ARGS, 'polling_followup': 'true',
                                                     'timeout_in_seconds': '0'}))
    assert (record['status'], record['project_id'], record['resource_id'], record['source']) == \
        ('timeout', 12, 'web-01', 'Host')
    assert 'started no pipeline in project 12' in record['reason']
    assert error.startswith('Timed out waiting for the Cado Host upload') and 'same since' in error


def test_follow_times_out_naming_the_step_still_running(mocker, requests_mock):
    requests_mock.get(f'{PIPELINES}/4281', json=load('pipeline_get_running'))
    record, error = outcome(succeed(mocker, FOLLOW, {**FOLLOW_ARGS, 'pipeline_id': '4281', 'pipeline_ids': '4281',
                                                     'polling_followup': 'true', 'timeout_in_seconds': '0'}))
    assert record['status'] == 'timeout' and record['failed_pipeline_id'] == 4281
    assert error.startswith('Timed out waiting for the Cado Host acquisition')


def test_follow_documents_the_acquisition_outputs(yaml_commands):
    assert yaml_commands[FOLLOW]['outputs'] == yaml_commands['cado-aws-ec2-acquire']['outputs']
    assert yaml_commands[FOLLOW]['polling'] is True
    hidden = {argument['name'] for argument in yaml_commands[FOLLOW]['arguments'] if argument.get('hidden')}
    assert {'pipeline_id', 'pipeline_ids', 'processing_pipeline_ids', 'pipeline_type', 'polling_followup'} <= hidden


@pytest.mark.parametrize('error', sorted(ERRORS))
def test_follow_reports_every_error(mocker, requests_mock, error):
    response, phrases = ERRORS[error]
    requests_mock.get(PIPELINES, **response)
    message = fail(mocker, FOLLOW, FOLLOW_ARGS)
    assert all(phrase in message for phrase in phrases), message


def test_follow_requests_match_the_contract(mocker, requests_mock, contract):
    serve_pipelines(requests_mock, load('pipeline_list'), load('processing_pipeline_list_complete'))
    requests_mock.get(f'{PIPELINES}/4281', json=load('pipeline_get_complete'))
    requests_mock.get(f'{BASE}/api/v3/alarms/summary', json=load('alarm_summary'))
    requests_mock.get(f'{BASE}/api/v3/detections', json=load('detection_list'))
    succeed(mocker, FOLLOW, FOLLOW_ARGS)
    problems = [problem for request in requests_mock.request_history for problem in contract.request_problems(request)]
    assert not problems, problems
