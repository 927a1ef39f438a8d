"""CommandResults entries, ScheduledCommand, polling_function and the return_* functions."""
import CommonServerPython as csp
import demistomock as demisto
import pytest
from CommonServerPython import (
    CommandResults,
    EntryType,
    PollResult,
    ScheduledCommand,
    polling_function,
    return_error,
    return_results,
    return_warning,
)


@pytest.fixture(autouse=True)
def _fresh_version_cache(monkeypatch):
    # get_demisto_version caches demisto.demistoVersion(); start every test from an empty cache.
    monkeypatch.setattr(csp.get_demisto_version, '_version', None)
    monkeypatch.setattr(demisto, 'integrationContext', {})


def entry(**overrides):
    base = {'Type': 1, 'ContentsFormat': 'json', 'Contents': None, 'HumanReadable': None, 'EntryContext': {},
            'IndicatorTimeline': [], 'IgnoreAutoExtract': False, 'Note': False, 'Relationships': []}
    base.update(overrides)
    return base


def test_outputs_with_a_key_field():
    outputs = [{'id': 1, 'name': 'a'}]
    result = CommandResults(outputs_prefix='Cado.Project', outputs_key_field='id', outputs=outputs,
                            readable_output='md')
    assert result.outputs_key_field == 'id'
    assert result.to_context() == entry(Contents=outputs, HumanReadable='md',
                                        EntryContext={'Cado.Project(val.id && val.id == obj.id)': outputs})


def test_outputs_with_several_key_fields():
    result = CommandResults(outputs_prefix='Cado.Alarm', outputs_key_field=['id', 'project_id'], outputs={'id': 1},
                            readable_output='md')
    assert result.outputs_key_field == ['id', 'project_id']
    assert list(result.to_context()['EntryContext']) == [
        'Cado.Alarm(val.id && val.id == obj.id && val.project_id && val.project_id == obj.project_id)']


def test_outputs_without_key_field_or_prefix():
    assert CommandResults(outputs_prefix='Cado.Summary', outputs={'a': 1}, readable_output='x').to_context()[
        'EntryContext'] == {'Cado.Summary': {'a': 1}}
    # Without a prefix a dict output is merged into the entry context as-is.
    assert CommandResults(outputs={'A.B': 1}, readable_output='x').to_context()['EntryContext'] == {'A.B': 1}
    with pytest.raises(ValueError, match='^outputs_prefix is missing$'):
        CommandResults(outputs=[{'a': 1}])
    with pytest.raises(ValueError, match='^outputs_prefix cannot be a period.$'):
        CommandResults(outputs_prefix='.', outputs=[1])
    with pytest.raises(TypeError, match='^outputs_key_field must be of type str or list$'):
        CommandResults(outputs_prefix='A', outputs_key_field=5, outputs=[])


def test_default_readable_output_is_a_results_table():
    result = CommandResults(outputs_prefix='Cado.Project', outputs_key_field='id', outputs=[{'id': 1, 'name': 'a'}])
    assert result.to_context()['HumanReadable'] == '### Results\n|id|name|\n|---|---|\n| 1 | a |\n'
    scalar = CommandResults(outputs_prefix='Cado.Token', outputs='abc')
    assert scalar.to_context()['HumanReadable'] == 'abc'


def test_empty_outputs_set_no_context():
    result = CommandResults(outputs_prefix='Cado.Project', outputs_key_field='id', outputs=[], readable_output='none')
    assert result.to_context() == entry(HumanReadable='none', Contents=[])
    assert CommandResults(readable_output='hello').to_context() == entry(HumanReadable='hello')


@pytest.mark.parametrize('raw, content_format', [({}, 'json'), ([], 'json'), ('', 'text'), (0, 'text')])
def test_an_empty_raw_response_is_kept_as_given(raw, content_format):
    result = CommandResults(outputs_prefix='Cado.Count', outputs={'total': 0}, raw_response=raw)
    assert result.to_context()['Contents'] == raw
    assert result.to_context()['ContentsFormat'] == content_format


def test_no_raw_response_means_the_outputs_are_the_contents():
    result = CommandResults(outputs_prefix='Cado.Count', outputs={'total': 0})
    assert result.to_context()['Contents'] == {'total': 0}


def test_raw_response_and_content_format():
    result = CommandResults(outputs_prefix='X', outputs={'a': 1}, raw_response={'raw': True}, readable_output='r')
    assert result.to_context()['Contents'] == {'raw': True}
    assert result.to_context()['ContentsFormat'] == 'json'
    assert CommandResults(raw_response='text body').to_context()['ContentsFormat'] == 'text'
    assert CommandResults(raw_response=5).to_context()['ContentsFormat'] == 'text'
    assert CommandResults(raw_response='x', content_format='markdown').to_context()['ContentsFormat'] == 'markdown'
    with pytest.raises(TypeError, match='^content_format bad is invalid, see CommonServerPython.EntryFormat$'):
        CommandResults(content_format='bad')


def test_flags_tags_and_entry_type():
    context = CommandResults(readable_output='x', ignore_auto_extract=True, mark_as_note=True, tags=['t'],
                             entry_type=EntryType.WARNING).to_context()
    assert (context['IgnoreAutoExtract'], context['Note'], context['Tags'], context['Type']) == (True, True, ['t'], 11)


def test_replace_existing():
    result = CommandResults(outputs_prefix='Cado.NextToken.token', outputs='abc', readable_output='x',
                            replace_existing=True)
    assert result.to_context()['EntryContext'] == {'Cado.NextToken(true)': {'token': 'abc'}}
    with pytest.raises(csp.DemistoException, match='must be a nested path'):
        CommandResults(outputs_prefix='Token', outputs='abc', replace_existing=True).to_context()


def test_scheduled_command_results():
    command = ScheduledCommand('cado-pipeline-get', 30, args={'pipeline_id': '1'}, timeout_in_seconds=600)
    assert command.to_results() == {'PollingCommand': 'cado-pipeline-get', 'NextRun': '30',
                                    'PollingArgs': {'pipeline_id': '1'}, 'Timeout': '600', 'PollingItemsRemaining': 0}
    context = CommandResults(readable_output='wait', scheduled_command=command).to_context()
    assert context == entry(HumanReadable='wait', PollingCommand='cado-pipeline-get', NextRun='30',
                            PollingArgs={'pipeline_id': '1'}, Timeout='600', PollingItemsRemaining=0)


def test_scheduled_command_raises_short_intervals_to_ten_seconds(mocker):
    info = mocker.patch.object(demisto, 'info')
    command = ScheduledCommand('cmd', 5)
    assert command.to_results() == {'PollingCommand': 'cmd', 'NextRun': '10', 'PollingItemsRemaining': 0}
    info.assert_called_once_with('ScheduledCommandConfiguration provided value for next_run_in_seconds: 5 is too '
                                 'low - minimum interval is 10 seconds. next_run_in_seconds was set to 10 seconds.')
    assert ScheduledCommand.supports_polling() is True
    assert ScheduledCommand.raise_error_if_not_supported() is True
    assert ScheduledCommand('cmd', 10, items_remaining=3).to_results()['PollingItemsRemaining'] == 3


def _poller(states, **decorator_kwargs):
    calls = []

    @polling_function('cado-pipeline-get', **decorator_kwargs)
    def command(args, client=None):
        calls.append((dict(args), client))
        return states.pop(0)

    return command, calls


def test_polling_function_without_polling_returns_the_response():
    command, calls = _poller([PollResult('final', continue_to_poll=True)])
    assert command({'pipeline_id': '1'}, client='c') == 'final'
    assert calls == [({'pipeline_id': '1'}, 'c')]
    command, _ = _poller([PollResult('final', continue_to_poll=True)])
    assert command({'polling': 'false'}) == 'final'


def test_polling_function_done():
    command, _ = _poller([PollResult('done', continue_to_poll=False)])
    assert command({'polling': 'true'}) == 'done'
    command, _ = _poller([PollResult('done', continue_to_poll=lambda: False)])
    assert command({'polling': True}) == 'done'


def test_polling_function_schedules_the_next_run():
    args = {'polling': 'true', 'pipeline_id': '1'}
    command, _ = _poller([PollResult('ignored', continue_to_poll=True)])
    result = command(args)
    assert isinstance(result, CommandResults)
    assert result.readable_output == 'Fetching Results:'
    assert result.scheduled_command.to_results() == {
        'PollingCommand': 'cado-pipeline-get', 'NextRun': '30', 'Timeout': '600', 'PollingItemsRemaining': 0,
        'PollingArgs': {'polling': 'true', 'pipeline_id': '1', 'hide_polling_output': True}}
    assert args['hide_polling_output'] is True  # the input args dict itself is reused for the next run


def test_polling_function_next_run_args_partial_result_and_settings():
    partial = CommandResults(readable_output='still running')
    command, _ = _poller([PollResult(None, continue_to_poll=lambda: True, args_for_next_run={'pipeline_id': '2'},
                                     partial_result=partial)],
                         interval=60, timeout=1800, poll_message='Waiting', requires_polling_arg=False)
    result = command({'hide_polling_output': True})
    assert result is partial
    assert result.readable_output == 'still running'
    assert result.scheduled_command.to_results() == {
        'PollingCommand': 'cado-pipeline-get', 'NextRun': '60', 'Timeout': '1800', 'PollingItemsRemaining': 0,
        'PollingArgs': {'pipeline_id': '2', 'hide_polling_output': True}}


def test_polling_function_hides_output_and_reads_a_custom_polling_arg():
    command, _ = _poller([PollResult(None, continue_to_poll=True)], polling_arg_name='wait', poll_message='Waiting')
    assert command({'wait': 'yes', 'hide_polling_output': True}).readable_output is None
    command, _ = _poller([PollResult(None, continue_to_poll=True)], polling_arg_name='wait', poll_message='Waiting')
    assert command({'wait': 'yes'}).readable_output == 'Waiting'
    command, _ = _poller([])
    with pytest.raises(ValueError, match='^Argument does not contain a valid boolean-like value$'):
        command({'polling': 'maybe'})


def test_return_results(mocker):
    results = mocker.patch.object(demisto, 'results')
    return_results(None)
    return_results('text')
    return_results({'Type': 1, 'Contents': 'x'})
    command_results = CommandResults(readable_output='one')
    return_results(command_results)
    return_results([CommandResults(readable_output='two'), {'Type': 1}, 'three'])
    assert [call.args[0] for call in results.call_args_list] == [
        None, 'text', {'Type': 1, 'Contents': 'x'}, entry(HumanReadable='one'), entry(HumanReadable='two'),
        [{'Type': 1}, 'three']]


def test_return_error_writes_an_error_entry_and_exits(mocker):
    results = mocker.patch.object(demisto, 'results')
    mocker.patch.object(demisto, 'command', return_value='cado-project-list')
    with pytest.raises(SystemExit) as exit_info:
        return_error('Failed to execute cado-project-list command.\nError:\nboom', error='trace')
    assert exit_info.value.code == 0
    results.assert_called_once_with({'Type': 4, 'ContentsFormat': 'text',
                                     'Contents': 'Failed to execute cado-project-list command.\nError:\nboom',
                                     'EntryContext': None})


def test_return_error_outputs_and_truncation(mocker):
    results = mocker.patch.object(demisto, 'results')
    with pytest.raises(SystemExit):
        return_error('x' * 60000, outputs={'A': 1})
    contents = results.call_args.args[0]['Contents']
    assert len(contents) == 50000 + len('...This error body was truncated...')
    assert results.call_args.args[0]['EntryContext'] == {'A': 1}


@pytest.mark.parametrize('command', ['fetch-incidents', 'long-running-execution', 'fetch-indicators',
                                     'fetch-credentials'])
def test_return_error_raises_for_server_run_commands(mocker, command):
    results = mocker.patch.object(demisto, 'results')
    mocker.patch.object(demisto, 'command', return_value=command)
    with pytest.raises(Exception) as error:
        return_error('fetch failed')
    assert type(error.value) is Exception and str(error.value) == 'fetch failed'
    results.assert_not_called()


def test_return_warning(mocker):
    results = mocker.patch.object(demisto, 'results')
    return_warning('careful')
    results.assert_called_once_with({'Type': 11, 'ContentsFormat': 'text', 'IgnoreAutoExtract': False,
                                     'Contents': 'careful', 'EntryContext': None})
    with pytest.raises(SystemExit):
        return_warning('stop', exit=True)


def test_version_checks(mocker):
    assert csp.is_demisto_version_ge('5.0.0') is True
    assert csp.is_demisto_version_ge('5.5.0', '12345') is True
    assert csp.is_demisto_version_ge('5.5.0', '12346') is False
    assert csp.is_demisto_version_ge('6.0.0') is False
    assert csp.get_demisto_version_as_str() == '5.5.0-12345'
    csp.get_demisto_version._version = None
    mocker.patch.object(demisto, 'demistoVersion', return_value={'version': '6.10.0', 'buildNumber': '1'})
    assert csp.is_demisto_version_ge('6.9.0') is True  # compared part by part, not as text
    assert csp.is_demisto_version_ge('6.2.0') is True
    assert csp.is_demisto_version_ge('8.0.0') is False


def test_integration_context_uses_the_unversioned_api_on_the_mock_version():
    csp.set_integration_context({'token': 'abc'})
    assert demisto.getIntegrationContext() == {'token': 'abc'}
    assert csp.get_integration_context() == {'token': 'abc'}


def test_integration_context_uses_the_versioned_api_from_6_0(mocker):
    mocker.patch.object(demisto, 'demistoVersion', return_value={'version': '6.10.0', 'buildNumber': '1'})
    getter = mocker.patch.object(demisto, 'getIntegrationContextVersioned',
                                 return_value={'context': {'a': 1}, 'version': 4})
    setter = mocker.patch.object(demisto, 'setIntegrationContextVersioned')
    assert csp.get_integration_context() == {'a': 1}
    assert csp.get_integration_context(with_version=True) == {'context': {'a': 1}, 'version': 4}
    getter.assert_called_with(True)
    csp.set_integration_context({'b': 2})
    setter.assert_called_once_with({'b': 2}, -1, True)


def test_schedule_metadata(mocker):
    assert csp.is_scheduled_command_retry() is False
    mocker.patch.object(demisto, 'callingContext', {'context': {'ParentEntry': {
        'polling': True, 'pollingCommand': 'cado-pipeline-get', 'pollingArgs': {'a': 1}, 'timesRan': '2'}}})
    assert csp.is_scheduled_command_retry() is True
    assert csp.get_schedule_metadata(demisto.callingContext['context']) == {
        'is_polling': True, 'polling_command': 'cado-pipeline-get', 'polling_args': {'a': 1}, 'times_ran': 3}
