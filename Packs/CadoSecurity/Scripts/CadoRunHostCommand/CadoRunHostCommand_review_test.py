"""Second review of CadoRunHostCommand: the command stays masked however the EDR echoes it back."""
import json

import demistomock as demisto
import pytest
from CadoRunHostCommand import run_host_command

SECRET = 'ZXhhbXBsZS1wcmVzaWduZWQtZGF0YQ'
WINDOWS = (f'powershell -Command "iwr \'https://cado.example.com/api/v3/cado-host/windows\' -OutFile cado-host.exe; '
           f'.\\cado-host.exe --presigned_data \\"{SECRET}\\""')
ARGS = {'edr_command': 'cs-falcon-run-script', 'host_argument': 'host_ids', 'host': '4f1c9a0d2b7e4e3f9a1b2c3d4e5f6a7b',
        'script_argument': 'raw', 'script': WINDOWS}


@pytest.mark.parametrize('contents', [
    json.dumps({'errors': [{'message': f'runscript -Raw=```{WINDOWS}``` failed: host offline'}]}),  # JSON-escaped
    {'errors': [{'message': f'runscript -Raw=```{WINDOWS}``` failed: host offline'}]},  # an object, not text
    f'host offline; command (cut short): {WINDOWS[:-2]}',  # cut short, so no longer the command as given
], ids=['json-text', 'object', 'truncated'])
def test_the_credentials_never_leave_however_the_edr_echoes_the_command(mocker, contents):
    mocker.patch.object(demisto, 'executeCommand', return_value=[{'Type': 4, 'ContentsFormat': 'text',
                                                                  'Contents': contents}])
    record, error = run_host_command(ARGS)
    shown = json.dumps([record.to_context(), error])
    assert 'host offline' in record.outputs['message'] or 'host offline' in error['Contents']
    assert SECRET not in shown and '<the Cado Host command>' in shown
