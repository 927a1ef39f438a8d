"""Remote response and Cado Host: the saved scripts list, and a saved script run on an EC2 instance (a SOURCES entry:
its pipeline is followed as an acquisition's and ends in Cado.Acquisition with its end state); cloudgrep searches of an S3
bucket; Cado Host deployment commands and download links.

The success, error, contract and declared-outputs cases are in the shared tables of CadoSecurity_test.py and
CadoSecurity_outputs_test.py; this module tests what is particular to these commands.
"""
import pytest

from CadoSecurity_files_test import content_of, is_file_entry
from CadoSecurity_test import BASE, fail, integration_yaml, load, query_of, succeed, xsoar_runtime
from command_args import VALID_ARGS

SHARED_FIXTURES = (xsoar_runtime, integration_yaml)
SCRIPTS = f'{BASE}/api/v3/settings/scripts'
RUN_SCRIPT = f'{BASE}/api/v3/remote-actions/run-script'
RUN_ARGS = VALID_ARGS['cado-remote-script-run']
CLOUDGREP = f'{BASE}/api/v3/import/cloudgrep'
GREP_ARGS = VALID_ARGS['cado-cloudgrep-search']
CADO_HOST = f'{BASE}/api/v3/import/cado-host'
HOST_ARGS = VALID_ARGS['cado-host-command-get']
HOST_COMMAND = load('host_command_get')['data']['command']
FOLLOW_UP = {**RUN_ARGS, 'polling': 'true', 'pipeline_id': '4295', 'pipeline_ids': '4295'}

BAD_ARGUMENTS = [
    ('cado-script-list', {'os': 'macos'}, ('os', 'linux', 'windows')),
    ('cado-script-list', {'limit': '0'}, ('limit',)),
    ('cado-script-list', {'page_size': '101'}, ('page_size', '100')),
    ('cado-remote-script-run', {**RUN_ARGS, 'script_id': 'collect-history'}, ('script_id', 'whole number')),
    ('cado-remote-script-run', {key: value for key, value in RUN_ARGS.items() if key != 'script_id'}, ('script_id',)),
    ('cado-remote-script-run', {key: value for key, value in RUN_ARGS.items() if key != 'instance_id'},
     ('instance_id',)),
    ('cado-remote-script-run', {key: value for key, value in RUN_ARGS.items() if key != 'account'},
     ('account', 'Default cloud account')),
    ('cado-remote-script-run', {**RUN_ARGS, 'wait_for_processing': 'true'}, ('wait_for_processing', 'polling')),
    ('cado-cloudgrep-search', {key: value for key, value in GREP_ARGS.items() if key != 'query'}, ('query',)),
    ('cado-cloudgrep-search', {key: value for key, value in GREP_ARGS.items() if key != 'bucket'}, ('bucket',)),
    ('cado-cloudgrep-search', {key: value for key, value in GREP_ARGS.items() if key != 'account'},
     ('account', 'Default cloud account')),
    ('cado-cloudgrep-search', {key: value for key, value in GREP_ARGS.items() if key != 'project_id'},
     ('project_id', 'Default project ID')),
    ('cado-cloudgrep-search', {**GREP_ARGS, 'modified_after': 'last Tuesday-ish'}, ('modified_after', 'ISO 8601')),
    ('cado-cloudgrep-search', {**GREP_ARGS, 'project_id': 'twelve'}, ('project_id', 'whole number')),
    ('cado-host-command-get', {'project_id': '12'}, ('os',)),
    ('cado-host-command-get', {**HOST_ARGS, 'os': 'solaris'}, ('os', 'windows', 'openshift')),
    ('cado-host-command-get', {**HOST_ARGS, 'deployment': 'push'}, ('deployment', 'auto', 'manual')),
    ('cado-host-command-get', {'os': 'linux'}, ('project_id', 'Default project ID')),
    ('cado-host-command-get', {**HOST_ARGS, 'as_super': 'yes please'}, ('as_super', 'true', 'false')),
    ('cado-host-command-get', {**HOST_ARGS, 'downloadable': 'maybe'}, ('downloadable', 'true', 'false')),
    ('cado-host-download-link-get', {}, ('os',)),
    ('cado-host-download-link-get', {'os': 'Linux'}, ('os', 'linux', 'kubernetes')),
]


@pytest.mark.parametrize('case', BAD_ARGUMENTS, ids=lambda case: f'{case[0]}-{sorted(case[1].items())}')
def test_bad_arguments_are_rejected_before_any_request(mocker, requests_mock, case):
    command, args, named = case
    message = fail(mocker, command, args)
    assert not requests_mock.called
    assert all(phrase in message for phrase in named), message


def test_script_list_filters_by_name_and_operating_system(mocker, requests_mock):
    requests_mock.get(SCRIPTS, json=load('script_list'))
    result = succeed(mocker, 'cado-script-list', {'name': 'Collect bash history', 'os': 'windows', 'limit': '2'})

    assert query_of(requests_mock.last_request) == {
        'name': ['Collect bash history'], 'operating_system': ['windows'], 'page': ['1'], 'per_page': ['2']}
    assert [script['name'] for script in result.outputs] == ['Collect bash history', 'List scheduled tasks']


def test_script_list_follows_pages_up_to_limit(mocker, requests_mock):
    page = load('script_list')
    first = {**page, 'data': page['data'][:1], 'pagination': {**page['pagination'], 'total_pages': 2, 'per_page': 1}}
    second = {**page, 'data': page['data'][1:], 'pagination': {**first['pagination'], 'current_page': 2}}
    requests_mock.get(SCRIPTS, [{'json': first}, {'json': second}])
    result = succeed(mocker, 'cado-script-list', {'limit': '2'})

    assert [script['id'] for script in result.outputs] == [3, 4]
    assert requests_mock.call_count == 2


def test_script_run_sends_the_contracts_body_once(mocker, requests_mock, contract):
    requests_mock.post(RUN_SCRIPT, json=load('run_remote_script'))
    result = succeed(mocker, 'cado-remote-script-run', {**RUN_ARGS, 'polling': 'true'})

    assert requests_mock.call_count == 1
    assert requests_mock.last_request.json() == {'project_id': 12, 'cloud_id': 'aws-prod', 'region': 'eu-west-2',
                                                 'instance_id': 'i-0a1b2c3d4e5f67890', 'script_id': 3}
    assert not contract.request_problems(requests_mock.last_request)
    assert (result.outputs_prefix, result.outputs['pipeline_id'], result.outputs['status']) == \
        ('Cado.Acquisition', 4295, 'submitted')
    assert result.scheduled_command is not None


@pytest.mark.parametrize('fixture, status', [('pipeline_get_complete', 'complete'), ('pipeline_get_failed', 'failed')])
def test_script_run_polling_writes_its_end_state(mocker, requests_mock, fixture, status):
    requests_mock.get(f'{BASE}/api/v3/pipelines/4295', json=load(fixture))
    result = succeed(mocker, 'cado-remote-script-run', FOLLOW_UP)

    record = (result[0] if isinstance(result, list) else result).outputs
    assert (record['pipeline_id'], record['status'], record['source'], record['resource_id']) == \
        (4295, status, 'Remote script run', 'i-0a1b2c3d4e5f67890')
    if status == 'failed':
        assert record['failed_subtask'] == 'Copying snapshot to Cado'
        assert 'cado-pipeline-logs-get' in result[1].readable_output
    assert [request.method for request in requests_mock.request_history] == ['GET'], 'polling never runs it again'


def test_script_run_is_marked_as_executing_code(integration_yaml):
    command = next(command for command in integration_yaml['script']['commands']
                   if command['name'] == 'cado-remote-script-run')
    assert command['execution'] is True and command['polling'] is True


def test_cloudgrep_sends_times_as_unix_seconds(mocker, requests_mock, contract):
    requests_mock.post(CLOUDGREP, json=load('cloudgrep_search'))
    succeed(mocker, 'cado-cloudgrep-search', {**GREP_ARGS, 'filename': 'CloudTrail',
                                              'modified_after': '2024-06-03T12:00:00Z',
                                              'modified_before': '2024-06-03T13:00:00Z'})
    body = requests_mock.last_request.json()
    assert (body['modified_after'], body['modified_before'], body['filename']) == (1717416000, 1717419600, 'CloudTrail')
    assert not contract.request_problems(requests_mock.last_request)


def test_cloudgrep_without_matches_says_so(mocker, requests_mock):
    requests_mock.post(CLOUDGREP, json={'status': 'success', 'data': {'search_results': []}})
    result = succeed(mocker, 'cado-cloudgrep-search', GREP_ARGS)
    assert result.outputs is None
    assert 'Cado cloudgrep matches in bucket acme-cloudtrail-logs: no file matches the query.' in \
        result.readable_output


def test_cloudgrep_answer_without_results_is_reported(mocker, requests_mock):
    requests_mock.post(CLOUDGREP, json={'status': 'success', 'data': {'total_files': 3}})
    assert 'without search results' in fail(mocker, 'cado-cloudgrep-search', GREP_ARGS)


def test_host_command_sends_every_option_under_command_options(mocker, requests_mock, contract):
    requests_mock.post(CADO_HOST, json=load('host_command_get'))
    succeed(mocker, 'cado-host-command-get', {
        'os': 'kubernetes', 'project_id': '12', 'deployment': 'manual', 'max_mode': 'true', 'verbose': 'false',
        'additional_files': '/etc/passwd,/var/log/auth.log', 'host_groups': 'program_execution,processes',
        'pod_name': 'web-7d9f', 'pod_namespace': 'prod', 'target_container': 'nginx'})
    body = requests_mock.last_request.json()
    assert body == {'project_id': 12, 'os': 'kubernetes', 'deployment': 'manual', 'downloadable': False,
                    'command_options': {'max_mode': True, 'verbose': False,
                                        'additional_files': ['/etc/passwd', '/var/log/auth.log'],
                                        'groups': ['program_execution', 'processes'], 'pod_name': 'web-7d9f',
                                        'pod_namespace': 'prod', 'target_container': 'nginx'}}
    assert not contract.request_problems(requests_mock.last_request)


@pytest.mark.parametrize('os_name, file_name', [('linux', 'cado_host_linux.sh'), ('windows', 'cado_host_windows.ps1')])
def test_downloadable_host_command_is_a_file_entry(mocker, requests_mock, os_name, file_name):
    requests_mock.post(CADO_HOST, json=load('host_command_get'))
    entry, result = succeed(mocker, 'cado-host-command-get', {**HOST_ARGS, 'os': os_name, 'downloadable': 'true'})

    assert requests_mock.last_request.json()['downloadable'] is True
    assert is_file_entry(entry) and entry['File'] == file_name
    assert content_of(entry) == HOST_COMMAND.encode()
    assert result.outputs['id'] == f'12:{os_name}:auto' and 'command' not in result.outputs, 'the file holds it'
    assert file_name in result.readable_output


@pytest.mark.parametrize('command, args, answer, phrase', [
    ('cado-host-command-get', HOST_ARGS, {'project_id': 12, 'command': ' '}, 'no Cado Host command for project 12'),
    ('cado-host-download-link-get', {'os': 'linux'}, {'link': ''}, 'no Cado Host download link for linux'),
])
def test_host_answer_without_what_was_asked_is_reported(mocker, requests_mock, command, args, answer, phrase):
    requests_mock.register_uri('POST' if command == 'cado-host-command-get' else 'GET', CADO_HOST,
                               json={'status': 'success', 'data': answer})
    assert phrase in fail(mocker, command, args)
