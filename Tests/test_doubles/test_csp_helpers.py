"""CommonServerPython argument, date and string helpers: exact values and error texts."""
import time
from datetime import UTC, datetime, timedelta

import CommonServerPython as csp
import pytest
from CommonServerPython import (
    argToBoolean,
    argToList,
    arg_to_datetime,
    arg_to_number,
    assign_params,
    camelize_string,
    date_to_timestamp,
    dict_safe_get,
    pascalToSpace,
    remove_empty_elements,
    string_to_table_header,
    timestamp_to_datestring,
    underscoreToCamelCase,
    urljoin,
)


def test_star_import_exposes_what_the_real_module_exposes():
    namespace = {}
    exec('from CommonServerPython import *', namespace)
    for name in ('json', 'os', 're', 'sys', 'time', 'traceback', 'requests', 'datetime', 'timedelta', 'timezone',
                 'dateparser', 'demisto', 'urljoin', 'BaseClient', 'CommandResults', 'DemistoException',
                 'Optional', 'Dict', 'List', 'Any', 'Union', 'Set', 'cast', 'OrderedDict', 'ET'):
        assert name in namespace, name
    # Not bound by the real module either: integrations import these themselves.
    for name in ('urllib3', 'Tuple', 'Callable'):
        assert name not in namespace, name
    assert not hasattr(csp, '__all__')
    assert namespace['demisto'].__name__ == 'demistomock'


@pytest.mark.parametrize('arg, expected', [
    (None, []),
    ('', []),
    ([], []),
    ('a, b ,c', ['a', 'b', 'c']),
    ('a', ['a']),
    ('["a", "b"]', ['a', 'b']),
    ('[1, 2]', [1, 2]),
    ('[a,b]', ['[a', 'b]']),  # bracketed but not JSON: split instead
    (['x', 'y'], ['x', 'y']),
    (5, [5]),
])
def test_arg_to_list(arg, expected):
    assert argToList(arg) == expected


def test_arg_to_list_separator_and_transform():
    assert argToList('1;2', separator=';', transform=int) == [1, 2]


@pytest.mark.parametrize('value, expected', [
    (True, True), (False, False), ('true', True), ('TRUE', True), ('Yes', True), ('false', False), ('NO', False),
])
def test_arg_to_boolean(value, expected):
    assert argToBoolean(value) is expected


@pytest.mark.parametrize('arg, expected', [
    ('5', 5), ('1.0', 1), ('1.9', 1), ('-3', -3), (' 7 ', 7), (7, 7), (0, 0), ('0', 0), (None, None), ('', None),
])
def test_arg_to_number(arg, expected):
    assert arg_to_number(arg, 'limit') == expected


def test_arg_to_datetime_epoch_seconds_and_milliseconds():
    expected = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert arg_to_datetime('1700000000') == expected
    assert arg_to_datetime(1700000000) == expected
    assert arg_to_datetime(1700000000000) == expected  # above 2e9: milliseconds
    assert arg_to_datetime('1700000000000') == expected
    assert arg_to_datetime(1700000000.5) == expected + timedelta(milliseconds=500)
    local = arg_to_datetime(1700000000, is_utc=False)
    assert local.tzinfo is None
    assert local == datetime.fromtimestamp(1700000000)


def test_arg_to_datetime_strings():
    assert arg_to_datetime('2024-01-01T00:00:00Z') == datetime(2024, 1, 1, tzinfo=UTC)
    assert arg_to_datetime('2024-01-01T02:00:00+02:00') == datetime(2024, 1, 1, tzinfo=UTC)
    naive = arg_to_datetime('2024-01-01T00:00:00')
    assert naive == datetime(2024, 1, 1) and naive.tzinfo is None
    relative = arg_to_datetime('3 days')
    assert relative.tzinfo is None  # relative dates come back naive, in UTC
    expected = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=3)
    assert abs(relative - expected) < timedelta(minutes=1)
    aware = arg_to_datetime('3 days', settings={'TIMEZONE': 'UTC', 'RETURN_AS_TIMEZONE_AWARE': True})
    assert aware.tzinfo is not None


def test_arg_to_datetime_none():
    assert arg_to_datetime(None) is None


NOT_BOOLEAN_LIKE = 'Argument does not contain a valid boolean-like value'
NOT_STRING_OR_BOOLEAN = 'Argument is neither a string nor a boolean'
ARGUMENT_ERRORS = [  # (helper, args, kwargs, the ValueError's exact text)
    (argToBoolean, ('maybe',), {}, NOT_BOOLEAN_LIKE),
    (argToBoolean, ('',), {}, NOT_BOOLEAN_LIKE),
    (argToBoolean, (1,), {}, NOT_STRING_OR_BOOLEAN),
    (argToBoolean, (None,), {}, NOT_STRING_OR_BOOLEAN),
    (arg_to_number, ('abc', 'limit'), {}, 'Invalid number: "limit"="abc"'),
    (arg_to_number, ('abc',), {}, '"abc" is not a valid number'),
    (arg_to_number, (2.5, 'limit'), {}, 'Invalid number: "limit"="2.5"'),  # only ints and numeric strings
    (arg_to_number, (None, 'limit'), {'required': True}, 'Missing "limit"'),
    (arg_to_number, ('',), {'required': True}, 'Missing required argument'),
    (arg_to_datetime, (None, 'start'), {'required': True}, 'Missing "start"'),
    (arg_to_datetime, (None,), {'required': True}, 'Missing required argument'),
    (arg_to_datetime, ('not a date at all', 'start'), {}, 'Invalid date: "start"="not a date at all"'),
    (arg_to_datetime, ('not a date at all',), {}, '"not a date at all" is not a valid date'),
    (arg_to_datetime, (['2024-01-01'], 'start'), {}, "Invalid date: \"start\"=\"['2024-01-01']\""),
]


@pytest.mark.parametrize('helper, args, kwargs, message', ARGUMENT_ERRORS,
                         ids=[f'{helper.__name__}{args}{kwargs or ""}' for helper, args, kwargs, _ in ARGUMENT_ERRORS])
def test_argument_helper_errors(helper, args, kwargs, message):
    with pytest.raises(ValueError) as error:
        helper(*args, **kwargs)
    assert str(error.value) == message


def test_assign_params():
    assert assign_params(a='1', b=True, c=None, d='', e=0, f=[], g=False, h={}, i=()) == \
        {'a': '1', 'b': True, 'e': 0, 'g': False}
    assert assign_params(keys_to_ignore=['rnd'], ID='1', rnd=15) == {'ID': '1'}
    assert assign_params(values_to_ignore=(15,), a=15, b=None) == {'b': None}


def test_remove_empty_elements():
    data = {'a': None, 'b': {}, 'c': [], 'd': {'e': None}, 'f': '', 'g': 0, 'h': [None, 1, {}], 'i': False}
    assert remove_empty_elements(data) == {'f': '', 'g': 0, 'h': [1], 'i': False}
    assert remove_empty_elements([None, {'a': None}, 'x']) == ['x']
    assert remove_empty_elements('x') == 'x'


def test_dict_safe_get():
    data = {'a': [{'b': 1}], 'c': None}
    assert dict_safe_get(data, ['a', 0, 'b']) == 1
    assert dict_safe_get(data, ['a', 5, 'b'], 'default') == 'default'
    assert dict_safe_get(data, ['c', 'd']) is None
    assert dict_safe_get(data, ['a'], return_type=list) == [{'b': 1}]
    assert dict_safe_get(data, ['a'], default_return_value={}, return_type=dict, raise_return_type=False) == {}
    with pytest.raises(TypeError, match='^Safe get Error:\nDetails: Return Type Error Excepted return type'):
        dict_safe_get(data, ['a'], return_type=dict)


def test_timestamp_to_datestring():
    assert timestamp_to_datestring(1700000000000) == '2023-11-14T22:13:20.000Z'
    assert timestamp_to_datestring('1700000000123', '%Y-%m-%dT%H:%M:%SZ') == '2023-11-14T22:13:20Z'
    assert timestamp_to_datestring(1700000000000, '%Y-%m-%d %H:%M', is_utc=True) == '2023-11-14 22:13'
    local = datetime.fromtimestamp(1700000000).strftime('%Y-%m-%d %H:%M')
    assert timestamp_to_datestring(1700000000000, '%Y-%m-%d %H:%M') == local


def test_date_to_timestamp_reads_local_time(monkeypatch):
    monkeypatch.setenv('TZ', 'UTC')
    time.tzset()
    try:
        assert date_to_timestamp('2023-11-14T22:13:20') == 1700000000000
        assert date_to_timestamp(datetime(2023, 11, 14, 22, 13, 20)) == 1700000000000
        assert date_to_timestamp('2023-11-14', '%Y-%m-%d') == 1699920000000
    finally:
        monkeypatch.undo()
        time.tzset()


def test_string_transforms():
    assert string_to_table_header('pipeline_id') == 'Pipeline Id'
    assert string_to_table_header('detection count') == 'Detection Count'
    with pytest.raises(Exception, match='^The key is not a string: 5$'):
        string_to_table_header(5)
    assert pascalToSpace('ThreatScore') == 'Threat Score'
    assert pascalToSpace('thisIsIPAddressName') == 'This Is IP Address Name'
    assert underscoreToCamelCase('demisto_content') == 'DemistoContent'
    assert underscoreToCamelCase('demisto_content', upper_camel=False) == 'demistoContent'
    assert camelize_string('pipeline_id') == 'PipelineId'
    assert camelize_string('pipeline_id', upper_camel=False) == 'pipelineId'
    assert camelize_string('') == ''
    assert csp.camelize({'start date': 1}) == {'StartDate': 1}
    assert csp.string_to_context_key('one_two') == 'OneTwo'


@pytest.mark.parametrize('url, suffix, expected', [
    ('https://a.com', '/', 'https://a.com/'),
    ('https://a.com/', '/', 'https://a.com/'),
    ('https://a.com', 'api', 'https://a.com/api'),
    ('https://a.com', '/api', 'https://a.com/api'),
    ('https://a.com/', '/api', 'https://a.com/api'),
    ('https://a.com/v1', '', 'https://a.com/v1/'),
])
def test_urljoin(url, suffix, expected):
    assert urljoin(url, suffix) == expected


def test_enums():
    assert (csp.IncidentSeverity.UNKNOWN, csp.IncidentSeverity.INFO, csp.IncidentSeverity.LOW,
            csp.IncidentSeverity.MEDIUM, csp.IncidentSeverity.HIGH, csp.IncidentSeverity.CRITICAL) == (0, 0.5, 1, 2, 3, 4)
    assert (csp.EntryType.NOTE, csp.EntryType.ERROR, csp.EntryType.WARNING, csp.EntryType.FILE) == (1, 4, 11, 3)
    assert (csp.EntryFormat.JSON, csp.EntryFormat.TEXT, csp.EntryFormat.MARKDOWN) == ('json', 'text', 'markdown')
    assert (csp.IncidentStatus.PENDING, csp.IncidentStatus.ACTIVE, csp.IncidentStatus.DONE,
            csp.IncidentStatus.ARCHIVE) == (0, 1, 2, 3)
    assert csp.entryTypes['error'] == 4 and csp.formats['text'] == 'text'


def test_demisto_exception():
    cause = ValueError('x')
    error = csp.DemistoException('boom', cause, res='response')
    assert (error.message, error.exception, error.res, str(error)) == ('boom', cause, 'response', 'boom')
    assert csp.DemistoException('plain').exception is None


def test_arg_to_list_keeps_empty_items():
    assert argToList('a,,b') == ['a', '', 'b']


def test_file_result(tmp_path, monkeypatch, mocker):
    monkeypatch.chdir(tmp_path)
    mocker.patch.object(csp.demisto, 'uniqueFile', return_value='abc')
    assert csp.fileResult('../report.json', '{"a": 1}') == {
        'Contents': '', 'ContentsFormat': 'text', 'Type': 3, 'File': 'report.json', 'FileID': 'abc'}
    assert (tmp_path / '1_abc').read_bytes() == b'{"a": 1}'
    assert csp.fileResult('x.bin', b'\x00', file_type=csp.EntryType.ENTRY_INFO_FILE)['Type'] == 9


def test_execute_command_and_errors(mocker):
    error_entry = {'Type': 4, 'Contents': 'failed'}
    note_entry = {'Type': 1, 'Contents': {'a': 1}}
    assert csp.is_error([note_entry, error_entry]) is True
    assert csp.is_error(note_entry) is False
    assert csp.is_error(None) is False
    assert csp.get_error([error_entry, error_entry]) == 'failed\nfailed'
    with pytest.raises(ValueError, match='^execute_command_result has no error entry'):
        csp.get_error(note_entry)
    mocker.patch.object(csp.demisto, 'executeCommand', return_value=[note_entry])
    assert csp.execute_command('cmd', {}) == {'a': 1}
    assert csp.execute_command('cmd', {}, extract_contents=False) == [note_entry]
    mocker.patch.object(csp.demisto, 'executeCommand', return_value=[error_entry])
    with pytest.raises(csp.DemistoException) as error:
        csp.execute_command('cmd', {})
    assert str(error.value) == 'Failed to execute cmd. Error details:\nfailed'
    assert csp.execute_command('cmd', {}, fail_on_error=False) == (False, 'failed')


def test_retry_decorator(mocker):
    sleep = mocker.patch.object(csp.time, 'sleep')
    attempts = []

    @csp.retry(times=3, delay=2, exceptions=KeyError)
    def flaky():
        attempts.append(1)
        if len(attempts) < 3:
            raise KeyError('x')
        return 'ok'

    assert flaky() == 'ok'
    assert len(attempts) == 3 and sleep.call_count == 2

    @csp.retry(times=2, delay=0, exceptions=KeyError)
    def broken():
        raise KeyError('always')

    with pytest.raises(KeyError):
        broken()


def test_indicators_timeline():
    timeline = csp.IndicatorsTimeline(indicators=['1.1.1.1'], message='seen')
    assert timeline.indicators_timeline == [{'Value': '1.1.1.1', 'Category': 'Integration Update', 'Message': 'seen'}]
    entry = csp.CommandResults(readable_output='x', indicators_timeline=timeline).to_context()
    assert entry['IndicatorTimeline'] == timeline.indicators_timeline
