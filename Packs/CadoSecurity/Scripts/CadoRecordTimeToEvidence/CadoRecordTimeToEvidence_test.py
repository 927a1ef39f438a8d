from datetime import UTC, datetime

import demistomock as demisto
import pytest
from CadoRecordTimeToEvidence import main, seconds_to_evidence

NOW = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)


def detection(**changes) -> dict:
    return {'type': 'Cado Detection', 'occurred': '2024-06-03T11:30:15.123456789Z', 'CustomFields': {}, **changes}


def test_first_completion_records_the_seconds_since_the_detection():
    assert seconds_to_evidence(detection(), 'complete', NOW) == 1784


@pytest.mark.parametrize('incident, state', [
    (detection(), 'in_progress'),
    (detection(), 'failed'),
    (detection(CustomFields={'cadotimetoevidence': 60}), 'complete'),  # recorded once: a re-run keeps it
    (detection(type='Cado Processing Event'), 'complete'),
    (detection(occurred='0001-01-01T00:00:00Z'), 'complete'),
    (detection(occurred=None), 'complete'),
    (detection(occurred='not a time'), 'complete'),
    (detection(occurred='2024-06-03T12:05:00Z'), 'complete'),  # a clock ahead of XSOAR's
])
def test_nothing_is_recorded(incident, state):
    assert seconds_to_evidence(incident, state, NOW) is None


def test_a_naive_time_is_utc():
    assert seconds_to_evidence(detection(occurred='2024-06-03 11:59:00'), 'complete', NOW) == 60


def test_main_sets_the_field(mocker):
    mocker.patch.object(demisto, 'incident', return_value=detection(occurred='2020-01-01T00:00:00Z'))
    mocker.patch.object(demisto, 'args', return_value={'old': 'in_progress', 'new': 'complete', 'cliName': 'cadopipelinestate'})
    execute = mocker.patch.object(demisto, 'executeCommand', return_value=[])
    main()
    [(command, args)] = [call.args for call in execute.call_args_list]
    assert command == 'setIncident' and args['cadotimetoevidence'] > 0


def test_main_leaves_other_changes_alone(mocker):
    mocker.patch.object(demisto, 'incident', return_value=detection())
    mocker.patch.object(demisto, 'args', return_value={'old': '', 'new': 'submitted'})
    execute = mocker.patch.object(demisto, 'executeCommand', return_value=[])
    main()
    execute.assert_not_called()
