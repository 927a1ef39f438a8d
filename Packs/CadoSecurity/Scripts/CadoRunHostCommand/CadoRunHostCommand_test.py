"""CadoRunHostCommand runs the Cado Host command through the EDR command it is given and says clearly whether it ran;
the command (a secret) never reaches its outputs or messages."""
import json

import demistomock as demisto
import pytest
from CadoRunHostCommand import run_host_command

COMMAND = "curl -sSfL 'https://cado.example.com/api/v3/cado-host/linux' -o cado-host && sudo ./cado-host --presigned_data 'ZXhh'"
ARGS = {'edr_command': 'cs-falcon-run-script', 'host_argument': 'host_ids', 'host': 'dev-7f3a',
        'script_argument': 'raw', 'script': COMMAND}


def edr(mocker, *entries):
    return mocker.patch.object(demisto, 'executeCommand', return_value=list(entries))


def answer(text: str, error: bool = False) -> dict:
    return {'Type': 4 if error else 1, 'Contents': text, 'ContentsFormat': 'text'}


def test_runs_the_command_with_the_named_arguments_and_records_success(mocker):
    execute = edr(mocker, answer('Script ran'))
    [result] = run_host_command({**ARGS, 'extra_arguments': '{"timeout": "600"}', 'using': 'Falcon EU'})

    execute.assert_called_once_with('cs-falcon-run-script', {'timeout': '600', 'host_ids': 'dev-7f3a',
                                                                 'raw': COMMAND, 'using': 'Falcon EU'})
    assert result.outputs == {'host': 'dev-7f3a', 'edr_command': 'cs-falcon-run-script', 'status': 'success'}
    assert (result.outputs_prefix, result.outputs_key_field) == ('Cado.HostRun', 'host')
    assert COMMAND not in json.dumps(result.to_context())


def test_an_edr_error_is_recorded_and_raised_with_the_command_masked(mocker):
    edr(mocker, answer(f'Failed to execute: host offline. Script: {COMMAND}', error=True))
    record, error = run_host_command(ARGS)

    assert record.outputs['status'] == 'failed'
    assert 'host offline' in record.outputs['message'] and '<the Cado Host command>' in record.outputs['message']
    assert error['Type'] == 4 and 'cs-falcon-run-script could not run the Cado Host command on dev-7f3a' in \
        error['Contents']
    assert 'presigned_data' not in json.dumps([record.to_context(), error])


def test_one_instance_answering_is_enough(mocker):
    """Without `using`, XSOAR runs the command on every instance: one that ran it is a success."""
    edr(mocker, answer('no such host', error=True), answer('Script ran'))
    [result] = run_host_command(ARGS)
    assert result.outputs['status'] == 'success'


def test_no_answer_at_all_is_a_failure(mocker):
    edr(mocker)
    record, error = run_host_command(ARGS)
    assert record.outputs['status'] == 'failed' and 'returned nothing' in error['Contents']


@pytest.mark.parametrize('args, named', [
    ({key: value for key, value in ARGS.items() if key != 'edr_command'}, 'edr_command'),
    ({**ARGS, 'host': ' '}, 'host'),
    ({key: value for key, value in ARGS.items() if key != 'script'}, 'script'),
    ({**ARGS, 'extra_arguments': 'timeout=600'}, 'extra_arguments'),
    ({**ARGS, 'extra_arguments': '["timeout"]'}, 'extra_arguments'),
    ({**ARGS, 'extra_arguments': '{"raw": "echo hi"}'}, 'raw'),
])
def test_bad_arguments_are_rejected_before_the_edr_is_called(mocker, args, named):
    execute = edr(mocker, answer('Script ran'))
    with pytest.raises(ValueError, match=named):
        run_host_command(args)
    execute.assert_not_called()
