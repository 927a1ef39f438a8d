"""The exports (timeline, alarms, detections) take max_size_mb as the downloads and the pipeline logs do: the one
streaming path refuses an answer over the limit, whether it declares its length or not, and leaves no file behind.
"""
from pathlib import Path

import pytest

import CadoSecurity
from CadoSecurity_test import BASE, fail, integration_yaml, succeed, xsoar_runtime, yaml_commands

SHARED_FIXTURES = (xsoar_runtime, integration_yaml, yaml_commands)
EXPORTS = [
    ('cado-timeline-export', {'project_id': '12'}, '/api/v3/timeline/export', 'text/csv'),
    ('cado-alarm-export', {'evidence_id': '391'}, '/api/v3/alarms/export', 'application/zip'),
    ('cado-detection-export', {'project_id': '12'}, '/api/v3/detections/export', 'text/csv'),
]
IDS = [case[0] for case in EXPORTS]
MB = CadoSecurity.MEGABYTE


def war_room_files() -> list[Path]:
    return list(Path.cwd().iterdir())


def test_every_export_is_covered():
    assert set(IDS) == set(CadoSecurity.EXPORTS)


@pytest.mark.parametrize('command, args, path, media_type', EXPORTS, ids=IDS)
def test_export_over_max_size_mb_is_refused_and_leaves_nothing(mocker, requests_mock, command, args, path, media_type):
    requests_mock.get(f'{BASE}{path}', content=b'x' * (MB + 1), headers={'Content-Type': media_type})
    error = fail(mocker, command, {**args, 'max_size_mb': '1'})
    assert 'The export from Cado is larger than the max_size_mb limit of 1 MB' in error
    assert 'raise max_size_mb' in error
    assert war_room_files() == []


@pytest.mark.parametrize('command, args, path, media_type', EXPORTS, ids=IDS)
def test_export_declaring_more_than_the_default_limit_is_refused_before_reading(mocker, requests_mock, command, args,
                                                                                path, media_type):
    declared = (CadoSecurity.MAX_DOWNLOAD_MB_DEFAULT + 1) * MB
    requests_mock.get(f'{BASE}{path}', content=b'x' * 10,
                      headers={'Content-Type': media_type, 'Content-Length': str(declared)})
    error = fail(mocker, command, args)
    assert f'limit of {CadoSecurity.MAX_DOWNLOAD_MB_DEFAULT} MB (at least {declared:,} bytes)' in error
    assert war_room_files() == []


@pytest.mark.parametrize('command, args, path, media_type', EXPORTS, ids=IDS)
def test_export_within_max_size_mb_is_delivered_whole(mocker, requests_mock, command, args, path, media_type):
    body = b'y' * MB
    requests_mock.get(f'{BASE}{path}', content=body, headers={'Content-Type': media_type})
    entry = succeed(mocker, command, {**args, 'max_size_mb': '1'})
    assert entry['Type'] == 3
    assert [file.read_bytes() for file in war_room_files()] == [body]
    assert 'max_size_mb' not in requests_mock.last_request.qs, 'the limit is ours, not a Cado parameter'


@pytest.mark.parametrize('value', ['0', '-5', 'lots'])
@pytest.mark.parametrize('command, args, path, media_type', EXPORTS, ids=IDS)
def test_bad_max_size_mb_is_rejected_before_any_request(mocker, requests_mock, command, args, path, media_type, value):
    error = fail(mocker, command, {**args, 'max_size_mb': value})
    assert 'max_size_mb' in error
    assert not requests_mock.called


def test_exports_declare_max_size_mb_with_the_default(yaml_commands):
    for command in IDS:
        [argument] = [arg for arg in yaml_commands[command]['arguments'] if arg['name'] == 'max_size_mb']
        assert argument['defaultValue'] == str(CadoSecurity.MAX_DOWNLOAD_MB_DEFAULT)
