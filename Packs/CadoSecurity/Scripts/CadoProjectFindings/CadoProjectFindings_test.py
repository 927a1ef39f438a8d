"""CadoProjectFindings reads what the integration's commands really output: each executeCommand call here runs the
integration's command function on a Client against requests_mock serving the contract-checked fixtures."""
import json
from pathlib import Path

import CadoSecurity
import demistomock as demisto
import pytest
from CadoProjectFindings import findings_markdown

FIXTURES = Path(CadoSecurity.__file__).resolve().parent / 'test_data'
BASE = 'https://cado.example.com'
INCIDENT = {'id': '42', 'CustomFields': {'cadoprojectid': '12', 'cadoprojectlink': 'https://acme.cadocloud.com/projects/12'}}


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f'{name}.json').read_text())


@pytest.fixture
def cado(requests_mock):
    requests_mock.get(f'{BASE}/api/v3/projects/12', json=fixture('project_get'))
    requests_mock.get(f'{BASE}/api/v3/alarms', json=fixture('alarm_list'))
    requests_mock.get(f'{BASE}/api/v3/detections', json=fixture('detection_list'))
    return requests_mock


def run_on_instances(mocker, *instances) -> list[tuple[str, dict]]:
    """executeCommand over Cado Security instances: a Client (the integration's command runs) or an error text."""
    calls: list[tuple[str, dict]] = []

    def execute(command, args):
        calls.append((command, dict(args)))
        entries = []
        for instance in instances:
            try:
                if isinstance(instance, str):
                    raise CadoSecurity.CadoApiError(instance)
                entries.append(CadoSecurity.COMMANDS[command](instance, dict(args)).to_context())
            except Exception as e:  # XSOAR turns a failed command into an error entry
                entries.append({'Type': 4, 'Contents': f'Failed to execute {command} command.\nError:\n{e}',
                                'ContentsFormat': 'text'})
        return entries

    mocker.patch.object(demisto, 'executeCommand', side_effect=execute)
    return calls


def client() -> CadoSecurity.Client:
    return CadoSecurity.Client(base_url=BASE, api_key='cado-test-key-5b7c9d1e3f', verify=True, proxy=False, timeout=10)


def test_shows_the_link_the_ai_summary_and_the_latest_alarms_and_detections(mocker, cado):
    calls = run_on_instances(mocker, client())
    markdown = findings_markdown(INCIDENT)
    assert '[Open Cado project 12](https://acme.cadocloud.com/projects/12)' in markdown
    assert 'A cryptocurrency miner (xmrig) was started from /tmp by the www-data user.' in markdown
    assert 'Cryptocurrency miner XMRig' in markdown and 'SSH login from a new country' in markdown
    assert 'CryptoCurrency:EC2/BitcoinTool.B!DNS' in markdown
    assert [command for command, _ in calls] == ['cado-project-get', 'cado-alarm-list', 'cado-detection-list']
    assert calls[1][1] == {'project_id': '12', 'limit': '20', 'order_by': '-id'}
    assert calls[2][1] == {'project_id': '12', 'limit': '20', 'detection_type': 'all', 'order_by': '-updated_datetime'}
    alarms = [request for request in cado.request_history if request.path == '/api/v3/alarms']
    assert alarms[0].qs['investigation_id'] == ['12']


def test_without_a_project_it_says_so_and_asks_cado_nothing(mocker):
    calls = run_on_instances(mocker, client())
    assert 'No Cado project is linked' in findings_markdown({'id': '42', 'CustomFields': {}})
    assert calls == []


def test_without_a_link_it_names_the_project(mocker, cado):
    run_on_instances(mocker, client())
    markdown = findings_markdown({'CustomFields': {'cadoprojectid': 12}})
    assert '**Cado project 12**' in markdown and '](' not in markdown.split('\n')[0]


def test_an_error_takes_the_place_of_its_part_only(mocker, cado):
    cado.get(f'{BASE}/api/v3/alarms', status_code=403, json=fixture('error_forbidden'))
    run_on_instances(mocker, client())
    markdown = findings_markdown(INCIDENT)
    assert 'Could not read them from Cado' in markdown and 'HTTP 403' in markdown
    assert 'A cryptocurrency miner' in markdown and 'CryptoCurrency:EC2/BitcoinTool.B!DNS' in markdown


def test_the_first_instance_that_answers_is_shown(mocker, cado):
    run_on_instances(mocker, 'The API key\'s role may not read a project (HTTP 403).', client())
    markdown = findings_markdown(INCIDENT)
    assert 'Could not' not in markdown and 'A cryptocurrency miner' in markdown


def test_empty_answers_and_a_project_without_summary(mocker, cado):
    project = fixture('project_get')
    project['data']['ai_summary'] = None
    cado.get(f'{BASE}/api/v3/projects/12', json=project)
    cado.get(f'{BASE}/api/v3/alarms', json={**fixture('alarm_list'), 'data': []})
    run_on_instances(mocker, client())
    markdown = findings_markdown(INCIDENT)
    assert 'Cado has not summarised this project yet.' in markdown
    assert '**No entries.**' in markdown


def test_no_instance_at_all(mocker):
    mocker.patch.object(demisto, 'executeCommand', return_value=[])
    assert markdown_parts(findings_markdown(INCIDENT)) == 3 * ['no Cado Security instance answered']


def markdown_parts(markdown: str) -> list[str]:
    return [line.rsplit(': ', 1)[-1] for line in markdown.splitlines() if line.startswith('Could not read')]
