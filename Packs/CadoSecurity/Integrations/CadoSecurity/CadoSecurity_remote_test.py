"""Remote response and Cado Host: the saved scripts list.

The success, error, contract and declared-outputs cases are in the shared tables of CadoSecurity_test.py and
CadoSecurity_outputs_test.py; this module tests what is particular to these commands.
"""
import pytest

from CadoSecurity_test import BASE, fail, load, query_of, succeed, xsoar_runtime

SHARED_FIXTURES = (xsoar_runtime,)
SCRIPTS = f'{BASE}/api/v3/settings/scripts'

BAD_ARGUMENTS = [
    ('cado-script-list', {'os': 'macos'}, ('os', 'linux', 'windows')),
    ('cado-script-list', {'limit': '0'}, ('limit',)),
    ('cado-script-list', {'page_size': '101'}, ('page_size', '100')),
]


@pytest.mark.parametrize('command, args, named', BAD_ARGUMENTS,
                         ids=[f'{command}-{"-".join(f"{k}={v}" for k, v in args.items())}'
                              for command, args, _ in BAD_ARGUMENTS])
def test_bad_arguments_are_rejected_before_any_request(mocker, requests_mock, command, args, named):
    message = fail(mocker, command, args)
    assert requests_mock.call_count == 0
    for phrase in named:
        assert phrase in message


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
