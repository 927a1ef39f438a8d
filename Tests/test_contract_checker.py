"""The request and response checker (tools/contract.py) every suite relies on: each kind of violation is caught."""
import requests

BASE = 'https://cado.example.com'


def problems(contract, method: str, path: str, **kwargs) -> list[str]:
    return contract.request_problems(requests.Request(method, f'{BASE}{path}', **kwargs).prepare())


def test_query_problems_are_named(contract):
    """A wrong enum, an unknown query name, a non-integer and a Python boolean."""
    found = problems(contract, 'GET', '/api/v3/pipelines', params={'pipeline_status': 'running', 'state': 'x',
                                                                    'page': 'one'})
    assert len(found) == 3, found
    assert problems(contract, 'GET', '/api/v3/evidences', params={'is_compromised': True}) == [
        'GET /api/v3/evidences query is_compromised: "True" is not a boolean (true/false)']
    assert problems(contract, 'GET', '/api/v3/alarms/summary', params={'investigation_id': 12}) == []


def test_body_problems_are_named(contract):
    """A value the enum refuses and a stray field; a field inside a referenced schema (host_options) is judged too."""
    assert len(problems(contract, 'PATCH', '/api/v3/pipelines/4281', json={'aborted': False, 'x': 1})) == 2
    body = {'project_id': 1, 'region': 'eu-west-2', 'instance_id': 'i-1', 'host_options': {'colour': 'red'}}
    assert problems(contract, 'POST', '/api/v3/import/aws/ec2', json=body) == [
        'POST /api/v3/import/aws/ec2: body field "host_options.colour" is not in the contract']


def test_routes_and_required_parts(contract):
    assert problems(contract, 'PUT', '/api/v3/system/status') == ['PUT /api/v3/system/status is not an operation '
                                                                 'of the contract']
    assert problems(contract, 'POST', '/api/v3/import/url') == ['POST /api/v3/import/url: the required body is missing']
    assert problems(contract, 'GET', '/api/v3/projects/twelve') == [
        'GET /api/v3/projects/{project_id} path project_id: "twelve" is not an integer']


def test_response_errors_name_the_path(contract):
    assert contract.response_errors({'status': 'success', 'data': {}}, 'GET', '/api/v3/system/status', '200')
    assert contract.response_errors({'status': 'error', 'message': 'm', 'code': 'c'}, 'GET', '/api/v3/projects',
                                    'default') == []
