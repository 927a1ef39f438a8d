"""demistomock defaults: what an unpatched call returns, as in XSOAR's own mock."""
import json
import logging
import uuid

import demistomock as demisto
import pytest


@pytest.fixture(autouse=True)
def _clean_state(monkeypatch):
    monkeypatch.delenv('DEMISTO_PARAMS', raising=False)
    monkeypatch.setattr(demisto, 'integrationContext', {})
    monkeypatch.setattr(demisto, 'ARGS_COMMAND_PATH', '/nonexistent/.args_command.json')


def test_args_params_command_defaults():
    assert demisto.args() == {}
    assert demisto.params() == {}
    assert demisto.command() == ''
    assert demisto.getArg('x') is None
    assert demisto.getParam('x') is None


def test_params_from_environment(monkeypatch):
    monkeypatch.setenv('DEMISTO_PARAMS', json.dumps({'url': 'https://x'}))
    assert demisto.params() == {'url': 'https://x'}
    assert demisto.getParam('url') == 'https://x'
    monkeypatch.setenv('DEMISTO_PARAMS', 'not json')
    assert demisto.params() == {}


def test_args_and_command_from_local_file(tmp_path, monkeypatch):
    path = tmp_path / '.args_command.json'
    path.write_text(json.dumps({'cmd': 'cado-project-list', 'limit': '5'}))
    monkeypatch.setattr(demisto, 'ARGS_COMMAND_PATH', str(path))
    assert demisto.command() == 'cado-project-list'
    assert demisto.args() == {'limit': '5'}


def test_last_run_is_a_fixed_sample_and_not_stored():
    assert demisto.getLastRun() == {'lastRun': '2018-10-24T14:13:20+00:00'}
    assert demisto.setLastRun({'time': 1}) is None
    assert demisto.getLastRun() == {'lastRun': '2018-10-24T14:13:20+00:00'}


def test_integration_context_is_stored_in_module_state():
    assert demisto.getIntegrationContext() == {}
    demisto.setIntegrationContext({'token': 'abc'})
    assert demisto.getIntegrationContext() == {'token': 'abc'}
    demisto.setIntegrationContextVersioned({'v': 1}, version=3, sync=True)
    assert demisto.getIntegrationContextVersioned() == {'v': 1}
    assert demisto.integrationContext == {'v': 1}


def test_server_information():
    assert demisto.demistoVersion() == {'version': '5.5.0', 'buildNumber': '12345'}
    assert demisto.integrationInstance() == ''
    assert demisto.getLicenseID() == ''
    assert demisto.investigation() == {'id': '1'}
    assert demisto.callingContext == {}
    assert demisto.is_debug is False
    assert demisto.demistoUrls()['server'] == 'https://test-address:8443'


def test_incidents_and_incident():
    incidents = demisto.incidents()
    assert isinstance(incidents, list)
    assert incidents[0]['id'] == '1'
    assert demisto.incident() == incidents[0]
    assert demisto.createIncidents([{'name': 'x'}]) == []


def test_incidents_with_a_list_reports_them_as_a_json_entry(mocker):
    results = mocker.patch.object(demisto, 'results')
    demisto.incidents([{'name': 'a'}])
    results.assert_called_once_with({'Type': 1, 'Contents': json.dumps([{'name': 'a'}]), 'ContentsFormat': 'json'})


def test_execute_command():
    assert demisto.executeCommand('some-command', {}) == ''
    entries = demisto.executeCommand('getIncidents', {})
    assert entries[0]['Contents']['data'][0]['id'] == '1'
    assert demisto.executeCommand('getContext', {})[0]['Type'] == 0


def test_get_gets_dt_context():
    obj = {'a': {'b': {'c': 0}}, 'x': [1]}
    assert demisto.get(obj, 'a.b.c') == 0
    assert demisto.get(obj, 'a.z', 'default') == 'default'
    assert demisto.get(None, 'a') is None
    assert demisto.gets(obj, 'x') == '[1]'
    assert demisto.gets(obj, 'missing') == 'None'
    assert demisto.dt(obj, 'a') == ''
    assert demisto.context() == {}
    assert demisto.setContext('A.B', 1) == {'status': True}


def test_unique_file_is_a_uuid():
    first, second = demisto.uniqueFile(), demisto.uniqueFile()
    assert first != second
    assert str(uuid.UUID(first)) == first


def test_error_prints_to_stdout(capsys):
    demisto.error('bad thing', 'detail')
    assert capsys.readouterr().out == 'bad thing detail\n'


def test_info_debug_log_and_results_go_to_logging(caplog):
    caplog.set_level(logging.INFO)
    demisto.info('info %s', 'one')
    demisto.debug('debug message')
    demisto.log('log message')
    demisto.results({'Type': 1, 'Contents': 'x'})
    messages = [record.getMessage() for record in caplog.records]
    assert messages[:3] == ['info one', 'debug message', 'log message']
    assert messages[3].startswith('demisto results: {')
    assert '"Contents": "x"' in messages[3]
