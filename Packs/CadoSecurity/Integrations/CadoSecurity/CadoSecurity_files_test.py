"""Files and evidence: downloads and pipeline logs as War Room file entries (streamed to disk, size-limited, as the zip
Cado made or unpacked), the pre-signed evidence URL (shown in its entry only), the failure messages that point to
the pipeline's logs, and evidence processing followed like an acquisition. The JSON commands (file search, directory
listing, file details) are SUCCESS_CASES of CadoSecurity_test.py. Each test runs in its own working directory (root
conftest.py), where fileResult writes.
"""
import hashlib
import io
import json
import tracemalloc
from pathlib import Path
from unittest.mock import PropertyMock
from urllib.parse import urlparse

import pytest
import requests
import urllib3

import CadoSecurity
import demistomock as demisto
from CadoSecurity_outputs_test import context_paths, declared
from CadoSecurity_test import (API_KEY, BASE, execute, fail, integration_yaml, load, query_of, succeed, xsoar_runtime,
                               yaml_commands)
from command_args import VALID_ARGS, args_of
from loopback import Answer, LoopbackServer, Stream  # Tests/support/loopback.py
from zips import zip_of  # Tests/support/zips.py

# CadoSecurity_test.py's fixtures: imported, they serve this module's tests too.
SHARED_FIXTURES = (integration_yaml, xsoar_runtime, yaml_commands)

DOWNLOAD = f'{BASE}/api/v3/files/file/download'
LOGS = f'{BASE}/api/v3/pipelines/4281/logs'
URL_PATH = f'{BASE}/api/v3/evidences/391/generate-url/preservation'
MINER = b'\x7fELF' + b'\x00miner' * 1000
CONFIG = b'{"pool": "stratum+tcp://pool.minexmr.example:4444"}'


def encrypted(archive: bytes) -> bytes:
    """The zip with every entry marked encrypted (the flag bit zipfile reads), as a password-protected one is."""
    data = bytearray(archive)
    for signature, flag_offset in ((b'PK\x03\x04', 6), (b'PK\x01\x02', 8)):
        at = data.find(signature)
        while at >= 0:
            data[at + flag_offset] |= 0x1
            at = data.find(signature, at + 4)
    return bytes(data)


def war_room_files() -> list[Path]:
    return sorted(Path.cwd().glob(f'{demisto.investigation()["id"]}_*'))


def content_of(entry: dict) -> bytes:
    return Path(f'{demisto.investigation()["id"]}_{entry["FileID"]}').read_bytes()


def is_file_entry(entry) -> bool:
    """XSOAR's file entry shape, as fileResult makes it."""
    return (isinstance(entry, dict) and entry['Type'] == 3 and entry['ContentsFormat'] == 'text'
            and entry['Contents'] == '' and set(entry) == {'Contents', 'ContentsFormat', 'Type', 'File', 'FileID'})


# ============================================================================================================
# cado-file-download
# ============================================================================================================

def test_download_delivers_the_password_protected_zip_as_cado_made_it(mocker, requests_mock, contract):
    archive = encrypted(zip_of({'kworkerd': MINER}))
    requests_mock.get(DOWNLOAD, content=archive, headers={'Content-Type': 'application/zip'})
    summary, entry = succeed(mocker, 'cado-file-download', VALID_ARGS['cado-file-download'])

    request = requests_mock.last_request
    assert query_of(request) == {'evidence_id': ['391'], 'path': ['/tmp/.X11-unix/kworkerd'],
                                 'encryption_password': ['infected']}
    assert request.headers['Authorization'] == f'Bearer {API_KEY}'
    assert request.headers['Accept'] == '*/*', 'a request accepting only JSON is refused (HTTP 406)'
    assert not contract.request_problems(request)
    assert is_file_entry(entry) and entry['File'] == 'kworkerd.zip'
    assert content_of(entry) == archive
    assert summary.outputs_prefix == 'Cado.FileDownload' and summary.outputs_key_field == 'sha256'
    assert summary.outputs == [{'name': 'kworkerd.zip', 'size': len(archive),
                                'sha256': hashlib.sha256(archive).hexdigest(), 'evidence_id': 391,
                                'source_path': '/tmp/.X11-unix/kworkerd', 'unzipped': False,
                                'password_protected': True}]
    assert 'the zip as Cado made it, protected by the given password' in summary.readable_output
    assert 'infected' not in json.dumps(summary.to_context())


def test_download_unzipped_delivers_each_file_inside(mocker, requests_mock, contract):
    requests_mock.get(DOWNLOAD, content=zip_of({'kworkerd': MINER, 'conf/config.json': CONFIG}))
    summary, *entries = succeed(mocker, 'cado-file-download', {'evidence_id': '391', 'file_id': '88131',
                                                               'unzip': 'true'})

    assert query_of(requests_mock.last_request) == {'evidence_id': ['391'], 'file_id': ['88131']}
    assert not contract.request_problems(requests_mock.last_request)
    assert all(is_file_entry(entry) for entry in entries)
    assert [(entry['File'], content_of(entry)) for entry in entries] == [('kworkerd', MINER), ('config.json', CONFIG)]
    assert len(war_room_files()) == 2, 'the zip itself is not left behind as an entry'
    assert [(item['name'], item['sha256'], item['unzipped'], item['password_protected'], item['source_file_id'])
            for item in summary.outputs] == [('kworkerd', hashlib.sha256(MINER).hexdigest(), True, False, 88131),
                                             ('config.json', hashlib.sha256(CONFIG).hexdigest(), True, False, 88131)]
    assert 'unpacked from the zip Cado made' in summary.readable_output


def test_download_without_a_password_says_so(mocker, requests_mock):
    requests_mock.get(DOWNLOAD, content=zip_of({'kworkerd': MINER}))
    summary, _ = succeed(mocker, 'cado-file-download', {'evidence_id': '391', 'path': '/tmp/.X11-unix/kworkerd'})
    assert summary.outputs[0]['password_protected'] is False
    assert 'the zip as Cado made it, without a password' in summary.readable_output


@pytest.mark.parametrize('args, named', [
    ({'evidence_id': '391'}, '"file_id" or "path"'),
    ({'evidence_id': '391', 'file_id': '1', 'path': '/tmp/x'}, '"file_id" or "path"'),
    ({'path': '/tmp/x'}, 'evidence_id'),
    ({'evidence_id': '391', 'path': '/tmp/x', 'unzip': 'true', 'encryption_password': 'infected'},
     '"unzip" and "encryption_password"'),
    ({'evidence_id': '391', 'path': '/tmp/x', 'unzip': 'maybe'}, 'unzip'),
    ({'evidence_id': '391', 'path': '/tmp/x', 'max_size_mb': '0'}, 'max_size_mb'),
    ({'evidence_id': '391', 'path': '/tmp/x', 'max_size_mb': 'lots'}, 'max_size_mb'),
])
def test_download_rejects_bad_arguments_before_any_request(mocker, requests_mock, args, named):
    error = fail(mocker, 'cado-file-download', args)
    assert named in error
    assert not requests_mock.called
    assert war_room_files() == []


def test_download_over_the_declared_size_is_refused_before_reading(mocker, requests_mock):
    requests_mock.get(DOWNLOAD, content=b'x' * 10, headers={'Content-Length': str(3 * 1024 * 1024)})
    error = fail(mocker, 'cado-file-download', {**VALID_ARGS['cado-file-download'], 'max_size_mb': '2'})
    assert 'larger than the max_size_mb limit of 2 MB (at least 3,145,728 bytes)' in error
    assert 'raise max_size_mb' in error
    assert war_room_files() == [], 'no partial file is left'


def test_download_over_the_size_without_a_length_stops_at_the_limit(mocker, requests_mock):
    """A chunked answer announces no length: the stream stops once it passes the limit, before writing past it."""
    reads = []

    class Large(io.RawIOBase):
        """16 MiB, read whole only by code that does not stream."""
        def readinto(self, buffer):
            size = min(len(buffer), 16 * 1024 * 1024 - sum(reads))
            reads.append(size)
            buffer[:size] = b'x' * size
            return size

    requests_mock.get(DOWNLOAD, body=Large())
    error = fail(mocker, 'cado-file-download', {**VALID_ARGS['cado-file-download'], 'max_size_mb': '1'})
    assert 'larger than the max_size_mb limit of 1 MB' in error
    assert sum(reads) <= 2 * CadoSecurity.FILE_CHUNK_SIZE + 2 * 1024 * 1024, 'reading stopped near the limit'
    assert war_room_files() == []


def test_unzipped_size_is_checked_before_any_file_is_made(mocker, requests_mock):
    """A small zip of a large file (a zip bomb) is refused by what its directory declares."""
    requests_mock.get(DOWNLOAD, content=zip_of({'a': b'\x00' * (2 * 1024 * 1024), 'b': b'\x00' * 1024}))
    error = fail(mocker, 'cado-file-download', {'evidence_id': '391', 'path': '/a', 'unzip': 'true', 'max_size_mb': '2'})
    assert 'The file unpacked from Cado is larger than the max_size_mb limit of 2 MB' in error
    assert war_room_files() == []


@pytest.mark.parametrize('body, says', [
    (b'<html>not a zip</html>', 'is not a zip file, so it cannot be unpacked: run the command again with unzip=false'),
    (encrypted(zip_of({'kworkerd': MINER})), 'is a password-protected zip: run the command again with unzip=false'),
])
def test_unzip_of_what_cannot_be_unpacked_is_a_clear_error(mocker, requests_mock, body, says):
    requests_mock.get(DOWNLOAD, content=body)
    error = fail(mocker, 'cado-file-download', {'evidence_id': '391', 'path': '/a', 'unzip': 'true'})
    assert says in error
    assert war_room_files() == []


def test_download_is_streamed_in_chunks_and_never_read_whole(mocker, requests_mock):
    archive = zip_of({'kworkerd': MINER * 300})
    requests_mock.get(DOWNLOAD, body=io.BytesIO(archive))
    mocker.patch.object(requests.Response, 'content', new_callable=PropertyMock,
                        side_effect=AssertionError('the body must not be read whole'))
    chunk_sizes = []
    iter_content = requests.Response.iter_content

    def spy(response, chunk_size=1, decode_unicode=False):
        chunk_sizes.append(chunk_size)
        return iter_content(response, chunk_size, decode_unicode)

    mocker.patch.object(requests.Response, 'iter_content', spy)
    _, entry = succeed(mocker, 'cado-file-download', VALID_ARGS['cado-file-download'])
    assert chunk_sizes == [CadoSecurity.FILE_CHUNK_SIZE]
    assert content_of(entry) == archive


def test_download_through_a_real_server_holds_a_fraction_of_the_file_in_memory(mocker):
    """Real sockets (no requests_mock): an 8 MiB file, and a Python memory peak far below it. tools/benchmark.py
    measures a 100 MB download the same way."""
    size = 8 * 1024 * 1024
    with LoopbackServer([Answer(200, Stream(size))]) as server:
        tracemalloc.start()
        try:
            _, entry = succeed(mocker, 'cado-file-download', VALID_ARGS['cado-file-download'], {'url': server.url})
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert server.requests[0].path.startswith('/api/v3/files/file/download?evidence_id=391&')
    written = Path(f'{demisto.investigation()["id"]}_{entry["FileID"]}')
    assert written.stat().st_size == size
    assert peak < size / 2, f'peak {peak:,} bytes'


def test_connection_lost_mid_download_leaves_no_partial_file(mocker, requests_mock):
    class Broken(io.RawIOBase):
        sent = False

        def readinto(self, buffer):
            if self.sent:
                raise urllib3.exceptions.ProtocolError('Connection broken: IncompleteRead')
            self.sent = True
            buffer[:4] = b'PK\x03\x04'
            return 4

    requests_mock.get(DOWNLOAD, body=Broken())
    error = fail(mocker, 'cado-file-download', VALID_ARGS['cado-file-download'])
    assert 'Could not reach the Cado platform' in error and 'download a file from evidence' in error
    assert war_room_files() == []


def test_the_zip_password_never_reaches_an_error(mocker, requests_mock):
    """requests quotes the URL, query string included, when the connection fails."""
    password = 'Zip Pa55/7q&x'
    requests_mock.get(DOWNLOAD, exc=requests.exceptions.ConnectionError(
        f'Max retries exceeded with url: /api/v3/files/file/download?encryption_password=Zip+Pa55%2F7q%26x '
        f'({password})'))
    error = fail(mocker, 'cado-file-download', {**VALID_ARGS['cado-file-download'], 'encryption_password': password})
    assert 'Could not reach the Cado platform' in error
    assert password not in error and 'Zip+Pa55%2F7q%26x' not in error


@pytest.mark.parametrize('status, says', [
    (404, 'Cado could not find the evidence or file named in the request (HTTP 404)'),
    (403, 'may not download a file from evidence (HTTP 403). This needs a key with one of these roles: '
          'Administrator, Lead Analyst, Analyst.'),
])
def test_download_refused_by_cado(mocker, requests_mock, status, says):
    requests_mock.get(DOWNLOAD, status_code=status, json=load('error_envelope'))
    error = fail(mocker, 'cado-file-download', VALID_ARGS['cado-file-download'])
    assert says in error
    assert war_room_files() == []


def test_download_declares_what_it_writes(mocker, requests_mock, yaml_commands):
    requests_mock.get(DOWNLOAD, content=zip_of({'kworkerd': MINER}))
    by_path, _ = succeed(mocker, 'cado-file-download', VALID_ARGS['cado-file-download'])
    by_id, _ = succeed(mocker, 'cado-file-download', {'evidence_id': '391', 'file_id': '7', 'unzip': 'true'})
    written = context_paths(by_path) | context_paths(by_id)
    assert written - {'Cado.FileDownload'} == declared(yaml_commands, 'cado-file-download')


# ============================================================================================================
# cado-pipeline-logs-get, and the failure messages that point to it
# ============================================================================================================

def test_pipeline_logs_as_a_file_entry(mocker, requests_mock, contract):
    logs = zip_of({'acquisition.log': b'ERROR snapshot quota exceeded\n'})
    requests_mock.get(LOGS, content=logs)
    summary, entry = succeed(mocker, 'cado-pipeline-logs-get', VALID_ARGS['cado-pipeline-logs-get'])
    assert not contract.request_problems(requests_mock.last_request)
    assert is_file_entry(entry) and entry['File'] == 'cado-pipeline-4281-logs.zip'
    assert content_of(entry) == logs
    assert summary.outputs is None
    assert summary.readable_output == (f'Logs of Cado pipeline 4281 in the War Room: cado-pipeline-4281-logs.zip '
                                       f'({len(logs):,} bytes).')


def test_pipeline_logs_unzipped(mocker, requests_mock):
    requests_mock.get(LOGS, content=zip_of({'logs/acquisition.log': b'ERROR quota\n', 'logs/processing.log': b''}))
    _, *entries = succeed(mocker, 'cado-pipeline-logs-get', {'pipeline_id': '4281', 'unzip': 'true'})
    assert [(entry['File'], content_of(entry)) for entry in entries] == [('acquisition.log', b'ERROR quota\n'),
                                                                          ('processing.log', b'')]


def test_pipeline_logs_of_an_unknown_pipeline(mocker, requests_mock):
    requests_mock.get(LOGS, status_code=404, json=load('error_envelope'))
    assert 'Cado has no pipeline 4281' in fail(mocker, 'cado-pipeline-logs-get', {'pipeline_id': '4281'})
    assert war_room_files() == []


def test_pipeline_logs_reject_a_bad_id_before_any_request(mocker, requests_mock):
    assert '"pipeline_id"' in fail(mocker, 'cado-pipeline-logs-get', {'pipeline_id': '0'})
    assert not requests_mock.called


def test_failed_pipeline_message_points_to_its_logs(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/pipelines/4281', json=load('pipeline_get_failed'))
    result = succeed(mocker, 'cado-pipeline-get', {'pipeline_id': '4281', 'polling': 'true'})
    assert result[-1].entry_type == 4
    assert result[-1].readable_output.endswith(
        'Its logs say why: get them with cado-pipeline-logs-get pipeline_id=4281.')


def test_failed_acquisition_message_points_to_the_failed_pipelines_logs(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/pipelines/4281', json=load('pipeline_get_failed'))
    result = succeed(mocker, 'cado-aws-ec2-acquire', args_of('cado-aws-ec2-acquire', polling='true',
                                                               pipeline_id='4281', pipeline_ids='4281'))
    assert result[-1].entry_type == 4
    assert result[-1].readable_output.endswith(
        'Its logs say why: get them with cado-pipeline-logs-get pipeline_id=4281.')


# ============================================================================================================
# cado-evidence-download-url-get
# ============================================================================================================

def test_evidence_url_is_shown_in_its_entry_only(mocker, requests_mock, contract):
    url = load('evidence_url')['data']['url']
    requests_mock.get(URL_PATH, json=load('evidence_url'))
    logged = [mocker.patch.object(demisto, level) for level in ('debug', 'info', 'error')]
    result = succeed(mocker, 'cado-evidence-download-url-get', VALID_ARGS['cado-evidence-download-url-get'])

    assert urlparse(requests_mock.last_request.url).path == '/api/v3/evidences/391/generate-url/preservation'
    assert not contract.request_problems(requests_mock.last_request)
    assert url in result.readable_output
    assert result.readable_output.startswith('### Pre-signed preservation download URL of Cado evidence 391\n')
    entry = result.to_context()
    assert url not in json.dumps({key: value for key, value in entry.items() if key != 'HumanReadable'})
    assert result.outputs is None and result.raw_response is None
    assert not any(url in str(call) for log in logged for call in log.call_args_list)


@pytest.mark.parametrize('args, named', [
    ({'evidence_id': '391', 'download_type': 'raw'}, 'Allowed values: preservation, encase'),
    ({'evidence_id': '391'}, 'download_type'),
    ({'evidence_id': 'x', 'download_type': 'encase'}, 'evidence_id'),
])
def test_evidence_url_rejects_bad_arguments_before_any_request(mocker, requests_mock, args, named):
    assert named in fail(mocker, 'cado-evidence-download-url-get', args)
    assert not requests_mock.called


def test_evidence_url_missing_from_the_answer(mocker, requests_mock):
    requests_mock.get(URL_PATH, json={'status': 'success', 'data': {'url': ''}})
    assert 'Cado generated no download URL for evidence 391' in fail(
        mocker, 'cado-evidence-download-url-get', VALID_ARGS['cado-evidence-download-url-get'])


def test_evidence_url_refused(mocker, requests_mock):
    requests_mock.get(URL_PATH, status_code=403, json=load('error_forbidden'))
    outcome = execute(mocker, 'cado-evidence-download-url-get', VALID_ARGS['cado-evidence-download-url-get'])
    assert 'may not generate a download URL for evidence (HTTP 403)' in outcome.error


# ============================================================================================================
# cado-evidence-process: a source whose pipeline is its own processing pipeline
# ============================================================================================================

def test_evidence_processing_is_followed_to_its_counts_without_looking_for_another_pipeline(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/pipelines/4290', json=load('pipeline_get_complete'))
    requests_mock.get(f'{BASE}/api/v3/alarms/summary', json=load('alarm_summary'))
    requests_mock.get(f'{BASE}/api/v3/detections', json=load('detection_list'))
    listed = requests_mock.get(f'{BASE}/api/v3/pipelines', json=load('processing_pipeline_list_empty'))
    result = succeed(mocker, 'cado-evidence-process', {'evidence_id': '391', 'polling': 'true',
                                                        'wait_for_processing': 'true', 'pipeline_id': '4290',
                                                        'pipeline_ids': '4290'})
    assert not listed.called, 'the processing pipeline is the one started: no other is looked for'
    assert result.scheduled_command is None
    record = result.outputs
    assert (record['status'], record['processing_pipeline_id'], record['processing_status']) == \
        ('complete', 4290, 'complete')
    assert record['source'] == 'Evidence processing' and record['resource_id'] == 391
    assert {'alarm_count', 'detection_count'} <= set(record)


def test_evidence_processing_is_submitted_once(mocker, requests_mock, contract):
    requests_mock.post(f'{BASE}/api/v3/evidences/process', json=load('process_evidence'), status_code=201)
    result = succeed(mocker, 'cado-evidence-process', {'evidence_id': '391', 'polling': 'true'})
    assert requests_mock.call_count == 1 and requests_mock.last_request.json() == {'evidence_id': 391}
    assert not contract.request_problems(requests_mock.last_request)
    assert result.outputs['pipeline_id'] == 4290 and result.outputs['status'] == 'submitted'
    assert result.scheduled_command is not None
