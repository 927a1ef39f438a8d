"""Polling: acquisitions and pipelines followed through XSOAR's scheduled commands until their true end state.

Every run goes through main() against requests_mock (helpers and the autouse XSOAR runtime come from
CadoSecurity_test.py); requests are checked against the vendor's contract where they could drift.
"""
import copy
from urllib.parse import urlparse

import pytest

import CadoSecurity
from CadoSecurity_test import (  # noqa: F401  (xsoar_runtime is a pytest fixture)
    BASE, EC2, ISO_T0, SUCCESS_CASES, fail, load, query_of, succeed, table_of, xsoar_runtime)

ACQUIRE = 'cado-aws-ec2-acquire'
PIPELINE_URL = f'{BASE}/api/v3/pipelines/4281'
PROCESSING_URL = f'{BASE}/api/v3/pipelines/4282'
PIPELINES_URL = f'{BASE}/api/v3/pipelines'
POLL_ARGS = {**EC2, 'polling': 'true', 'pipeline_id': '4281', 'pipeline_ids': '4281', 'hide_polling_output': 'true'}
WAIT_ARGS = {**POLL_ARGS, 'wait_for_processing': 'true'}
ERROR_ENTRY = 4  # EntryType.ERROR


def scheduled(result) -> dict:
    entry = result.to_context()
    return {key: entry.get(key) for key in ('PollingCommand', 'NextRun', 'PollingArgs', 'Timeout')}


def truthy(value) -> bool:
    return str(value).lower() == 'true'


def ended(result) -> tuple:
    """An unsuccessful end: the context entry a playbook branches on, then the error entry."""
    assert isinstance(result, list) and len(result) == 2, result
    context, error = result
    assert context.entry_type != ERROR_ENTRY and context.outputs
    assert error.entry_type == ERROR_ENTRY and error.to_context()['Type'] == ERROR_ENTRY
    assert scheduled(context)['PollingCommand'] is None and scheduled(error)['PollingCommand'] is None
    return context, error.readable_output


def pipeline(fixture: str, pipeline_id: int, **changes) -> dict:
    """A pipeline fixture under another id (and evidence), with top-level data fields changed."""
    response = copy.deepcopy(load(fixture))
    data = response['data']
    data['pipeline']['id'] = pipeline_id
    if data.get('evidence'):
        data['evidence'] = {'id': pipeline_id - 3890, 'name': f'disk of pipeline {pipeline_id}'}
    data.update(changes)
    return response


def processing_list(*items: dict) -> dict:
    return {'status': 'success', 'data': list(items),
            'pagination': {'type': 'page', 'total_records': len(items), 'current_page': 1, 'total_pages': 1,
                           'per_page': 10}}


def paths(requests_mock) -> list[str]:
    return [f'{r.method} {urlparse(r.url).path}' for r in requests_mock.request_history]


# ============================================================================================================
# Start: one import, a "submitted" record (nothing read back yet), every pipeline id in the polling state
# ============================================================================================================

def test_polling_first_run_starts_and_schedules(mocker, requests_mock):
    requests_mock.post(f'{BASE}/api/v3/import/aws/ec2', json=load('import_aws_ec2'))
    result = succeed(mocker, ACQUIRE, {**EC2, 'polling': 'true'})
    assert requests_mock.call_count == 1
    assert result.outputs['pipeline_id'] == 4281 and result.outputs['status'] == 'submitted'
    assert table_of(result.readable_output)[0] == 'Cado AWS EC2 acquisition submitted'
    poll = scheduled(result)
    assert poll['PollingCommand'] == ACQUIRE
    assert poll['NextRun'] == '30'
    assert int(poll['Timeout']) >= 1770
    next_args = poll['PollingArgs']
    assert str(next_args['pipeline_id']) == '4281'
    assert truthy(next_args['polling']) and truthy(next_args['hide_polling_output'])
    assert next_args['instance_id'] == EC2['instance_id']


ACQUISITION_CASES = [case for case in SUCCESS_CASES if case.prefix == 'Cado.Acquisition']


@pytest.mark.parametrize('case', ACQUISITION_CASES, ids=[case.command for case in ACQUISITION_CASES])
def test_every_acquisition_polls_every_pipeline_it_started(mocker, requests_mock, request, case):
    """First run: one import, then a scheduled run of the same command carrying every pipeline id. Next run: each
    pipeline is read once (nothing more), and when all are complete the one Cado.Acquisition shape comes back."""
    requests_mock.register_uri(case.method, f'{BASE}{case.path}', json=load(case.fixture), status_code=case.status)
    first = succeed(mocker, case.command, {**case.args, 'polling': 'true'})
    poll = scheduled(first)
    ids = dict(case.checks)['pipeline_ids']
    assert poll['PollingCommand'] == case.command
    assert str(poll['PollingArgs']['pipeline_id']) == str(ids[0])
    assert [int(item) for item in str(poll['PollingArgs']['pipeline_ids']).split(',')] == ids

    for pipeline_id in ids:
        requests_mock.get(f'{BASE}/api/v3/pipelines/{pipeline_id}', json=pipeline('pipeline_get_complete', pipeline_id))
    done = succeed(mocker, case.command, poll['PollingArgs'])
    assert paths(requests_mock)[1:] == [f'GET /api/v3/pipelines/{pipeline_id}' for pipeline_id in ids]
    assert scheduled(done)['PollingCommand'] is None
    assert done.outputs_prefix == 'Cado.Acquisition' and done.outputs_key_field == 'pipeline_id'
    assert {key: done.outputs.get(key) for key in ('pipeline_id', 'pipeline_ids', 'status', 'created')} \
        == {'pipeline_id': ids[0], 'pipeline_ids': ids, 'status': 'complete', 'created': ISO_T0}
    assert [(item['id'], item['status']) for item in done.outputs['pipelines']] == [(i, 'complete') for i in ids]
    assert done.outputs['source'] == dict(case.checks)['source']
    checker = request.getfixturevalue('contract')
    assert not [problem for r in requests_mock.request_history for problem in checker.request_problems(r)]


# ============================================================================================================
# Several pipelines: complete only when all are; a partial failure fails and says which
# ============================================================================================================

GCS = next(case for case in ACQUISITION_CASES if case.command == 'cado-gcp-gcs-acquire')
GCS_POLL = {**GCS.args, 'polling': 'true', 'pipeline_id': 4288, 'pipeline_ids': '4288,4289',
            'hide_polling_output': 'true'}


def test_multi_pipeline_import_with_one_failed_pipeline_ends_failed_and_names_it(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/pipelines/4288', json=pipeline('pipeline_get_complete', 4288))
    requests_mock.get(f'{BASE}/api/v3/pipelines/4289', json=pipeline('pipeline_get_failed', 4289))
    context, error = ended(succeed(mocker, 'cado-gcp-gcs-acquire', GCS_POLL))
    record = context.outputs
    assert (record['status'], record['failed_pipeline_id']) == ('failed', 4289)
    assert record['failed_subtask'] == 'Copying snapshot to Cado'
    assert record['reason'].startswith('AccessDenied: kms:CreateGrant')
    assert [(item['id'], item['status'], item.get('name')) for item in record['pipelines']] == [
        (4288, 'complete', 'disk of pipeline 4288'), (4289, 'failed', 'disk of pipeline 4289')]
    assert table_of(context.readable_output)[0] == 'Cado GCP GCS acquisition failed'
    for phrase in ('pipeline 4288 (disk of pipeline 4288) complete', 'pipeline 4289 (disk of pipeline 4289) failed',
                   'Copying snapshot to Cado', 'AccessDenied'):
        assert phrase in error
    assert 'alarm_count' not in record, 'no finding counts for a failed acquisition'


def test_multi_pipeline_import_waits_for_every_pipeline(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/pipelines/4288', json=pipeline('pipeline_get_failed', 4288))
    requests_mock.get(f'{BASE}/api/v3/pipelines/4289', json=pipeline('pipeline_get_running', 4289))
    result = succeed(mocker, 'cado-gcp-gcs-acquire', {**GCS_POLL, 'timeout_in_seconds': '600'})
    assert paths(requests_mock) == ['GET /api/v3/pipelines/4288', 'GET /api/v3/pipelines/4289']
    poll = scheduled(result)
    assert poll['PollingCommand'] == 'cado-gcp-gcs-acquire' and int(poll['PollingArgs']['timeout_in_seconds']) == 570
    assert not result.readable_output


def test_multi_pipeline_import_ends_cancelled_when_the_rest_completed(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/pipelines/4288', json=pipeline('pipeline_get_cancelled', 4288))
    requests_mock.get(f'{BASE}/api/v3/pipelines/4289', json=pipeline('pipeline_get_complete', 4289))
    context, error = ended(succeed(mocker, 'cado-gcp-gcs-acquire', GCS_POLL))
    assert (context.outputs['status'], context.outputs['failed_pipeline_id']) == ('cancelled', 4288)
    assert 'pipeline 4288' in error and 'cancelled' in error


# ============================================================================================================
# Still running, complete, failed, cancelled, timed out: each writes what a playbook branches on
# ============================================================================================================

@pytest.mark.parametrize('fixture, state', [
    ('pipeline_get_queued', 'queued'), ('pipeline_get_running', 'in_progress'),
    ('pipeline_get_legacy_running', 'in_progress')])
def test_polling_still_running_reschedules_without_reimporting(mocker, requests_mock, fixture, state):
    requests_mock.get(PIPELINE_URL, json=load(fixture))
    result = succeed(mocker, ACQUIRE, {**POLL_ARGS, 'interval_in_seconds': '60', 'timeout_in_seconds': '600'})
    assert paths(requests_mock) == ['GET /api/v3/pipelines/4281'], 'no second import'
    poll = scheduled(result)
    assert poll['PollingCommand'] == ACQUIRE and poll['NextRun'] == '60'
    assert int(poll['PollingArgs']['timeout_in_seconds']) == 540, 'the remaining time shrinks by one interval'
    assert not result.readable_output, 'hide_polling_output hides the intermediate entries'


def test_polling_shows_progress_when_not_hidden(mocker, requests_mock):
    requests_mock.get(PIPELINE_URL, json=load('pipeline_get_running'))
    result = succeed(mocker, ACQUIRE, {**POLL_ARGS, 'hide_polling_output': 'false'})
    assert 'pipeline 4281' in result.readable_output and 'in_progress' in result.readable_output
    result = succeed(mocker, 'cado-pipeline-get', {'pipeline_id': '4281', 'polling': 'true'})
    assert 'in_progress' in result.readable_output
    poll = scheduled(result)
    assert poll['PollingCommand'] == 'cado-pipeline-get' and poll['NextRun'] == '30'
    assert str(poll['PollingArgs']['pipeline_id']) == '4281' and truthy(poll['PollingArgs']['polling_followup'])


@pytest.mark.parametrize('fixture', ['pipeline_get_complete', 'pipeline_get_legacy_complete'])
def test_polling_complete(mocker, requests_mock, fixture):
    requests_mock.get(PIPELINE_URL, json=load(fixture))
    result = succeed(mocker, ACQUIRE, POLL_ARGS)
    assert scheduled(result)['PollingCommand'] is None
    assert result.outputs_prefix == 'Cado.Acquisition' and result.outputs_key_field == 'pipeline_id'
    assert {key: result.outputs.get(key) for key in ('pipeline_id', 'status', 'evidence_id', 'created', 'project_id')} \
        == {'pipeline_id': 4281, 'status': 'complete', 'evidence_id': 391, 'created': ISO_T0, 'project_id': 12}
    assert table_of(result.readable_output)[0] == 'Cado AWS EC2 acquisition complete'


def test_pipeline_get_polling_ends_with_the_pipeline(mocker, requests_mock):
    requests_mock.get(PIPELINE_URL, json=load('pipeline_get_legacy_complete'))
    result = succeed(mocker, 'cado-pipeline-get', {'pipeline_id': '4281', 'polling': 'true',
                                                   'hide_polling_output': 'true'})
    assert scheduled(result)['PollingCommand'] is None
    assert result.outputs_prefix == 'Cado.Pipeline' and result.outputs['status'] == 'complete'
    assert requests_mock.call_count == 1


def _failed_after_cancelled_sibling():
    response = load('pipeline_get_failed')
    subtasks = response['data']['subtasks']
    subtasks[1], subtasks[2] = subtasks[2], subtasks[1]
    return response


@pytest.mark.parametrize('response, status, subtask, reason', [
    (load('pipeline_get_failed'), 'failed', 'Copying snapshot to Cado', 'AccessDenied: kms:CreateGrant'),
    (load('pipeline_get_legacy_failed'), 'failed', 'Copying snapshot to Cado', 'AccessDenied'),
    (load('pipeline_get_cancelled'), 'cancelled', 'Copying snapshot to Cado', ''),
    (load('pipeline_get_legacy_cancelled'), 'cancelled', 'Copying snapshot to Cado', ''),
    (_failed_after_cancelled_sibling(), 'failed', 'Copying snapshot to Cado', 'AccessDenied'),
], ids=['failed', 'legacy-failed', 'cancelled', 'legacy-cancelled', 'failed-subtask-listed-after-a-cancelled-one'])
def test_unsuccessful_end_writes_context_and_an_error_entry(mocker, requests_mock, response, status, subtask, reason):
    requests_mock.get(PIPELINE_URL, json=response)
    context, error = ended(succeed(mocker, ACQUIRE, POLL_ARGS))
    record = context.outputs
    assert (record['status'], record['failed_pipeline_id'], record['failed_subtask']) == (status, 4281, subtask)
    assert record['reason'].startswith(reason)
    assert record['pipelines'][0]['status'] == status
    for phrase in (status, subtask, reason, '4281'):
        assert phrase in error
    context, error = ended(succeed(mocker, 'cado-pipeline-get', {'pipeline_id': '4281', 'polling': 'true'}))
    assert context.outputs_prefix == 'Cado.Pipeline'
    assert (context.outputs['status'], context.outputs['failed_subtask']) == (status, subtask)
    assert context.outputs['reason'].startswith(reason)
    for phrase in (subtask, reason, '4281'):
        assert phrase in error


def test_timeout_writes_context_and_names_the_running_subtask(mocker, requests_mock):
    requests_mock.get(PIPELINE_URL, json=load('pipeline_get_running'))
    context, error = ended(succeed(mocker, ACQUIRE, {**POLL_ARGS, 'timeout_in_seconds': '10'}))
    assert {key: context.outputs.get(key) for key in ('status', 'failed_pipeline_id', 'failed_subtask')} == {
        'status': 'timeout', 'failed_pipeline_id': 4281, 'failed_subtask': 'Copying snapshot to Cado'}
    assert context.outputs['pipelines'][0]['status'] == 'in_progress', 'Cado\'s own state is kept per pipeline'
    assert 'keeps running in Cado' in error and 'Copying snapshot to Cado' in error

    context, error = ended(succeed(mocker, 'cado-pipeline-get', {'pipeline_id': '4281', 'polling': 'true',
                                                                 'polling_followup': 'true',
                                                                 'timeout_in_seconds': '0'}))
    assert {key: context.outputs.get(key) for key in ('status', 'last_status', 'failed_subtask')} == {
        'status': 'timeout', 'last_status': 'in_progress', 'failed_subtask': 'Copying snapshot to Cado'}
    assert 'Timed out' in error and '4281' in error


def test_pipeline_get_polling_checks_the_timeout_against_the_interval_on_its_first_run(mocker, requests_mock):
    requests_mock.get(PIPELINE_URL, json=load('pipeline_get_running'))
    message = fail(mocker, 'cado-pipeline-get', {'pipeline_id': '4281', 'polling': 'true',
                                                 'interval_in_seconds': '60', 'timeout_in_seconds': '30'})
    assert 'timeout_in_seconds' in message and 'interval_in_seconds' in message
    assert requests_mock.call_count == 0
    # Later runs carry the remaining time, which may be below one interval: that is the last check, not an error.
    result = succeed(mocker, 'cado-pipeline-get', {'pipeline_id': '4281', 'polling': 'true', 'polling_followup': True,
                                                   'interval_in_seconds': '60', 'timeout_in_seconds': '30'})
    assert ended(result)[0].outputs['status'] == 'timeout'


# ============================================================================================================
# Processing: identified exactly, one per acquisition pipeline, never awaited when it cannot come
# ============================================================================================================

def test_wait_for_processing_asks_for_the_processing_pipeline_of_this_acquisition(mocker, requests_mock, request):
    requests_mock.get(PIPELINE_URL, json=load('pipeline_get_complete'))
    requests_mock.get(PIPELINES_URL, json=load('processing_pipeline_list_empty'))
    result = succeed(mocker, ACQUIRE, WAIT_ARGS)
    query = query_of(requests_mock.last_request)
    assert (query['triggering_pipeline_id'], query['type']) == (['4281'], ['processing'])
    assert query['order_by'] == ['-created'], 'the newest processing pipeline first (a rerun makes another)'
    assert not request.getfixturevalue('contract').request_problems(requests_mock.last_request)
    poll = scheduled(result)
    assert poll['PollingCommand'] == ACQUIRE
    assert poll['PollingArgs']['processing_pipeline_ids'] == '4281:', 'acquisition complete, processing not seen'


def test_waiting_for_processing_to_appear_does_not_reread_the_acquisition(mocker, requests_mock):
    requests_mock.get(PIPELINES_URL, json=load('processing_pipeline_list_empty'))
    succeed(mocker, ACQUIRE, {**WAIT_ARGS, 'processing_pipeline_ids': '4281:'})
    assert paths(requests_mock) == ['GET /api/v3/pipelines'], 'one request per pipeline per interval'


@pytest.mark.parametrize('change', [
    {'triggering_pipeline_id': 9999}, {'pipeline': {'id': 4282, 'type': 'acquisition'}}],
    ids=['linked-to-another-acquisition', 'not-a-processing-pipeline'])
def test_a_pipeline_that_is_not_this_acquisitions_processing_is_not_taken(mocker, requests_mock, change):
    unrelated = {**load('processing_pipeline_list_running')['data'][0], **change}
    requests_mock.get(PIPELINES_URL, json=processing_list(unrelated))
    result = succeed(mocker, ACQUIRE, {**WAIT_ARGS, 'processing_pipeline_ids': '4281:'})
    assert scheduled(result)['PollingArgs']['processing_pipeline_ids'] == '4281:'


def test_wait_for_processing_follows_the_processing_pipeline(mocker, requests_mock):
    requests_mock.get(PIPELINE_URL, json=load('pipeline_get_complete'))
    requests_mock.get(PIPELINES_URL, json=load('processing_pipeline_list_running'))
    result = succeed(mocker, ACQUIRE, WAIT_ARGS)
    poll = scheduled(result)
    assert poll['PollingCommand'] == ACQUIRE
    assert poll['PollingArgs']['processing_pipeline_ids'] == '4281:4282'
    assert requests_mock.call_count == 2
    requests_mock.get(PROCESSING_URL, json=load('processing_pipeline_get_running'))
    result = succeed(mocker, ACQUIRE, poll['PollingArgs'])
    assert paths(requests_mock)[2:] == ['GET /api/v3/pipelines/4282'], 'then only the processing pipeline is read'
    assert scheduled(result)['PollingCommand'] == ACQUIRE


def test_wait_for_processing_still_processing_reschedules(mocker, requests_mock):
    requests_mock.get(PROCESSING_URL, json=load('processing_pipeline_get_running'))
    result = succeed(mocker, ACQUIRE, {**WAIT_ARGS, 'processing_pipeline_ids': '4281:4282'})
    assert paths(requests_mock) == ['GET /api/v3/pipelines/4282']
    assert scheduled(result)['PollingArgs']['processing_pipeline_ids'] == '4281:4282'


def test_each_acquisition_pipeline_is_followed_by_its_own_processing_pipeline(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/pipelines/4290', json=pipeline('processing_pipeline_get_complete', 4290))
    requests_mock.get(f'{BASE}/api/v3/pipelines/4289', json=pipeline('pipeline_get_complete', 4289))
    second = {**load('processing_pipeline_list_running')['data'][0], 'triggering_pipeline_id': 4289,
              'pipeline': {'id': 4291, 'type': 'processing'}}
    requests_mock.get(PIPELINES_URL, json=processing_list(second))
    args = {**GCS_POLL, 'wait_for_processing': 'true', 'processing_pipeline_ids': '4288:4290'}
    result = succeed(mocker, 'cado-gcp-gcs-acquire', args)
    assert paths(requests_mock) == ['GET /api/v3/pipelines/4290', 'GET /api/v3/pipelines/4289',
                                    'GET /api/v3/pipelines']
    assert query_of(requests_mock.last_request)['triggering_pipeline_id'] == ['4289']
    assert scheduled(result)['PollingArgs']['processing_pipeline_ids'] == '4288:4290,4289:4291'


def test_wait_for_processing_finishes_with_counts_scoped_to_the_acquired_evidence(mocker, requests_mock):
    requests_mock.get(PROCESSING_URL, json=load('processing_pipeline_get_complete'))
    requests_mock.get(f'{BASE}/api/v3/alarms/summary', json=load('alarm_summary'))
    requests_mock.get(f'{BASE}/api/v3/detections', json=load('detection_list'))
    result = succeed(mocker, ACQUIRE, {**WAIT_ARGS, 'processing_pipeline_ids': '4281:4282',
                                       'acquisition_created': '1717416000000'})
    assert paths(requests_mock) == ['GET /api/v3/pipelines/4282', 'GET /api/v3/alarms/summary',
                                    'GET /api/v3/detections']
    assert query_of(requests_mock.request_history[1]) == {'investigation_id': ['12'], 'evidence_id': ['391']}
    assert query_of(requests_mock.request_history[2]) == {'investigation_id': ['12'], 'detection_type': ['all'],
                                                          'page': ['1'], 'per_page': ['1']}
    assert scheduled(result)['PollingCommand'] is None
    outputs = result.outputs
    assert {key: outputs.get(key) for key in ('pipeline_id', 'status', 'processing_pipeline_id', 'processing_status',
                                              'alarm_count', 'detection_count', 'evidence_id', 'project_id')} == {
        'pipeline_id': 4281, 'status': 'complete', 'processing_pipeline_id': 4282, 'processing_status': 'complete',
        'alarm_count': 17, 'detection_count': 2, 'evidence_id': 391, 'project_id': 12}
    title, columns = table_of(result.readable_output)
    assert title == 'Cado AWS EC2 acquisition complete' and 'Alarm Count' in columns and 'Detection Count' in columns


def test_no_alarm_count_when_cado_names_no_evidence(mocker, requests_mock):
    processing = load('processing_pipeline_get_complete')
    del processing['data']['evidence']
    requests_mock.get(PROCESSING_URL, json=processing)
    requests_mock.get(f'{BASE}/api/v3/detections', json=load('detection_list'))
    result = succeed(mocker, ACQUIRE, {**WAIT_ARGS, 'processing_pipeline_ids': '4281:4282'})
    assert 'GET /api/v3/alarms/summary' not in paths(requests_mock), 'the whole project is not what was acquired'
    assert 'alarm_count' not in result.outputs and result.outputs['detection_count'] == 2


def test_a_failed_acquisition_claims_no_processing_state(mocker, requests_mock):
    requests_mock.get(PIPELINE_URL, json=load('pipeline_get_failed'))
    context, _ = ended(succeed(mocker, ACQUIRE, WAIT_ARGS))
    assert context.outputs['status'] == 'failed' and 'processing_status' not in context.outputs
    assert paths(requests_mock) == ['GET /api/v3/pipelines/4281'], 'no processing is looked for after a failure'


def test_wait_for_processing_failure_names_the_processing_pipeline_and_subtask(mocker, requests_mock):
    requests_mock.get(PROCESSING_URL, json=load('processing_pipeline_get_failed'))
    context, error = ended(succeed(mocker, ACQUIRE, {**WAIT_ARGS, 'processing_pipeline_ids': '4281:4282'}))
    assert {key: context.outputs.get(key) for key in ('status', 'processing_status', 'failed_pipeline_id',
                                                      'failed_subtask')} == {
        'status': 'failed', 'processing_status': 'failed', 'failed_pipeline_id': 4282,
        'failed_subtask': 'Extracting events'}
    assert context.outputs['pipelines'][0]['status'] == 'complete', 'the acquisition itself succeeded'
    assert 'processing pipeline 4282 failed' in error and 'Unsupported filesystem: ZFS' in error


@pytest.mark.parametrize('command, args, named', [
    (ACQUIRE, {**EC2, 'skip_processing': 'true'}, 'skip_processing'),
    (ACQUIRE, {**EC2, 'fast_scan': 'true'}, 'fast_scan'),
    ('cado-gcp-gce-acquire', {**dict(next(c for c in ACQUISITION_CASES if c.command == 'cado-gcp-gce-acquire').args),
                              'fast_scan': 'true'}, 'fast_scan'),
    ('cado-azure-vm-acquire', {**dict(next(c for c in ACQUISITION_CASES if c.command == 'cado-azure-vm-acquire').args),
                               'scan_only': 'true'}, 'scan_only'),
    ('cado-azure-disk-acquire', {**dict(next(c for c in ACQUISITION_CASES
                                             if c.command == 'cado-azure-disk-acquire').args),
                                 'fast_scan': 'true'}, 'fast_scan'),
    ('cado-detection-investigate', {**dict(next(c for c in SUCCESS_CASES
                                                if c.command == 'cado-detection-investigate').args),
                                    'skip_acquisition': 'true'}, 'skip_acquisition'),
], ids=['ec2-skip_processing', 'ec2-fast_scan', 'gce-fast_scan', 'azure-vm-scan_only', 'azure-disk-fast_scan',
        'detection-skip_acquisition'])
def test_imports_that_are_never_processed_cannot_wait_for_processing(mocker, requests_mock, command, args, named):
    message = fail(mocker, command, {**args, 'polling': 'true', 'wait_for_processing': 'true'})
    assert f'"{named}"' in message and '"wait_for_processing"' in message
    assert requests_mock.call_count == 0


# ============================================================================================================
# Polling state: ids are tested for presence (0 is an id), every rule of the derived state
# ============================================================================================================

def test_a_pipeline_id_of_zero_is_polled_not_imported_again(mocker, requests_mock):
    requests_mock.get(f'{BASE}/api/v3/pipelines/0', json=pipeline('pipeline_get_running', 0))
    requests_mock.get(PIPELINES_URL, json=load('processing_pipeline_list_empty'))
    result = succeed(mocker, ACQUIRE, {**POLL_ARGS, 'pipeline_id': 0, 'pipeline_ids': None})
    assert paths(requests_mock) == ['GET /api/v3/pipelines/0']
    assert scheduled(result)['PollingCommand'] == ACQUIRE
    requests_mock.reset_mock()
    requests_mock.get(f'{BASE}/api/v3/pipelines/0', json=load('processing_pipeline_get_running'))
    succeed(mocker, ACQUIRE, {**WAIT_ARGS, 'processing_pipeline_ids': '4281:0'})
    assert paths(requests_mock) == ['GET /api/v3/pipelines/0'], 'a processing pipeline id of 0 is followed'


def test_rerun_says_submitted_not_a_state_cado_did_not_report(mocker, requests_mock):
    requests_mock.post(f'{BASE}/api/v3/pipelines/rerun', json=load('pipeline_rerun'), status_code=201)
    result = succeed(mocker, 'cado-pipeline-rerun', {'pipeline_id': '4281'})
    assert [item['status'] for item in result.outputs] == ['submitted']


def legacy(summary: dict | None = None, subtasks: list | None = None, **flags) -> dict:
    counts = {'total': 0, 'success': 0, 'failure': 0, 'pending': 0, 'running': 0, 'cancelled': 0, **(summary or {})}
    pipeline = {'terminated': False, 'aborted': False, **flags, 'subtasks': subtasks or []}
    return pipeline if summary is None and subtasks is not None else {**pipeline, 'summary': counts}


@pytest.mark.parametrize('pipeline, state', [
    ({'status': 'complete', 'terminated': False}, 'complete'),
    ({'status': 'paused', 'summary': {'total': 2, 'success': 2}, 'terminated': True}, 'in_progress'),
    ({'status': 'succeeded'}, 'in_progress'),
    (legacy(), 'queued'),
    (legacy({'total': 2, 'pending': 2}), 'queued'),
    (legacy({'total': 2, 'success': 1, 'pending': 1}), 'in_progress'),
    (legacy({'total': 2, 'running': 1, 'pending': 1}), 'in_progress'),
    (legacy(terminated=True), 'failed'),
    (legacy({'total': 3, 'success': 1, 'pending': 2}, terminated=True), 'failed'),
    (legacy({'total': 2, 'success': 2}), 'complete'),
    (legacy({'total': 2, 'success': 2}, terminated=True), 'complete'),
    (legacy({'total': 2, 'success': 1, 'failure': 1}, terminated=True), 'failed'),
    (legacy({'total': 2, 'success': 1, 'failure': 1}), 'failed'),
    (legacy({'total': 2, 'success': 1, 'pending': 1}, aborted=True), 'cancelled'),
    (legacy(aborted=True), 'cancelled'),
    (legacy({'total': 2, 'failure': 1, 'cancelled': 1}, aborted=True), 'failed'),
    (legacy({'total': 2, 'success': 1, 'cancelled': 1}, terminated=True), 'cancelled'),
    (legacy(subtasks=[{'name': 'a', 'state': 'SUCCESS'}, {'name': 'b', 'state': 'RUNNING'}]), 'in_progress'),
    (legacy(subtasks=[{'name': 'a', 'state': 'SUCCESS'}, {'name': 'b', 'state': 'SUCCESS'}]), 'complete'),
], ids=['known-status', 'unknown-status-not-derived', 'unknown-status-without-summary', 'no-subtasks-yet',
        'all-pending', 'one-done-one-pending', 'running', 'terminated-without-subtasks',
        'terminated-before-subtasks-ran', 'all-succeeded', 'terminated-all-succeeded', 'terminated-with-a-failure',
        'every-subtask-ended-with-a-failure', 'aborted', 'aborted-before-starting', 'aborted-after-a-failure',
        'terminated-with-a-cancelled-subtask', 'no-summary-running-subtask', 'no-summary-all-succeeded'])
def test_pipeline_state_rules(pipeline, state):
    assert CadoSecurity.pipeline_state(pipeline) == state


def test_a_pipeline_terminated_before_its_subtasks_ran_is_not_reported_complete(mocker, requests_mock):
    response = load('pipeline_get_legacy_running')
    response['data']['terminated'] = True
    requests_mock.get(PIPELINE_URL, json=response)
    context, error = ended(succeed(mocker, ACQUIRE, POLL_ARGS))
    assert context.outputs['status'] == 'failed'
    assert 'ended before this subtask finished' in context.outputs['reason']


@pytest.mark.parametrize('fixture, status', [
    ('pipeline_get_legacy_running', 'in_progress'), ('pipeline_get_legacy_complete', 'complete'),
    ('pipeline_get_legacy_failed', 'failed'), ('pipeline_get_legacy_cancelled', 'cancelled'),
    ('pipeline_get_queued', 'queued'), ('pipeline_get_cancelled', 'cancelled')])
def test_pipeline_get_derives_state_of_old_platforms(mocker, requests_mock, fixture, status):
    requests_mock.get(PIPELINE_URL, json=load(fixture))
    result = succeed(mocker, 'cado-pipeline-get', {'pipeline_id': '4281'})
    assert result.outputs['status'] == status
    assert scheduled(result)['PollingCommand'] is None, 'no polling unless asked'


def test_pipeline_list_derives_state_of_old_platforms(mocker, requests_mock):
    old = load('pipeline_list')
    for item in old['data']:
        item.pop('status')
    requests_mock.get(PIPELINES_URL, json=old)
    result = succeed(mocker, 'cado-pipeline-list', {})
    assert [item['status'] for item in result.outputs] == ['in_progress', 'complete']


def test_without_polling_an_acquisition_returns_at_once(mocker, requests_mock):
    requests_mock.post(f'{BASE}/api/v3/import/aws/ec2', json=load('import_aws_ec2'))
    result = succeed(mocker, ACQUIRE, EC2)
    assert scheduled(result)['PollingCommand'] is None


def test_a_creation_time_no_calendar_holds_is_kept_as_sent(mocker, requests_mock):
    """Found by the hostile-input suite: the polling state's acquisition_created is only a number."""
    requests_mock.get(PIPELINE_URL, json=load('pipeline_get_complete'))
    result = succeed(mocker, ACQUIRE, {**POLL_ARGS, 'acquisition_created': '2463245977600000'})
    assert result.outputs['status'] == 'complete' and result.outputs['created'] == 2463245977600000
