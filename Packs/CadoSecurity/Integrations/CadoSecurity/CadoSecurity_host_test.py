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
