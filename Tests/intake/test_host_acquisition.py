"""The "Cado Host Acquisition" sub-playbook, run by playbook_runner on a fake Cado: the analyst path and the EDR path
hand the command over, the collection is followed to success, failure or timeout, an EDR failure reaches an analyst,
and every end is recorded on the incident.

cado-host-command-get runs the integration's own code (on a stub of its Client), so the runs show what really reaches
context: the command only on the EDR path, which asks for it. CadoRunHostCommand runs for real on a fake EDR.
"""
import json
from pathlib import Path

import CadoSecurity
import demistomock as demisto
import pytest
from CadoRunHostCommand import run_host_command
from fake_cado import ApiStub, FakeCado
from playbook_runner import CommandError, Run, dt_key

PLAYBOOK = 'Cado Host Acquisition'
FIXTURE = json.loads((Path(CadoSecurity.__file__).parent / 'test_data' / 'host_command_get.json').read_text())
COMMAND = FIXTURE['data']['command']
SECRET = FIXTURE['data']['presigned_data']
GENERATED = 1733058000000  # when the fake generates the command (epoch ms)
INPUTS = {'Host': 'ws-0142', 'OS': 'linux', 'ProjectID': '12'}
EDR_INPUTS = {**INPUTS, 'Host': 'dev-7f3a', 'EDRCommand': 'cs-falcon-run-script', 'EDRHostArgument': 'host_ids',
              'EDRScriptArgument': 'raw', 'EDRExtraArguments': '{"timeout": "600"}', 'EDRInstance': 'Falcon EU'}
RUN_BY_ANALYST = 'Run the Cado Host command on the host'
RUN_BY_HAND = 'Run the Cado Host command by hand'
REVIEW = 'Review the Cado Host collection that did not complete'


class HostStub(ApiStub):
    """The Client for cado-host-command-get: Cado's answer for project 12, a 404 for any other."""

    def generate_host_command(self, body):
        self.cado.generated.append(body)
        if body['project_id'] not in self.cado.projects:
            raise CadoSecurity.CadoApiError('Cado has no project 99, or the API key\'s user cannot see it (HTTP 404).',
                                            404)
        return FIXTURE


class HostCado(FakeCado):
    """Project 12; the collection ends as `outcomes` say: complete, failed, cancelled or timeout."""

    def __init__(self, outcomes=()):
        super().__init__(outcomes=list(outcomes))
        self.projects[12] = self.project(12, 'XSOAR incident 42')
        self.generated: list[dict] = []
        self.follows: list[dict] = []

    def cado_host_command_get(self, args):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(CadoSecurity, 'now_ms', lambda: GENERATED)
            try:
                _, results = CadoSecurity.host_command_get_command(HostStub(self), args)
            except (ValueError, CadoSecurity.CadoApiError) as e:
                raise CommandError(str(e)) from e
        return results.to_context()['EntryContext']

    def cado_host_acquisition_follow(self, args):
        assert str(args.get('polling')).lower() == 'true', 'the follow polls'
        self.follows.append(args)
        outcome = self.outcomes.pop(0) if self.outcomes else 'complete'
        record = {'project_id': int(args['project_id']), 'source': 'Host', 'resource_id': args.get('host')}
        key = dt_key('Cado.Acquisition', 'pipeline_id')
        if outcome == 'timeout':
            record.update(status='timeout', reason='no pipeline started in project 12 since the command was generated')
            raise CommandError('Timed out waiting for the Cado Host upload', {key: record})
        record.update(pipeline_id=4290, evidence_id=391, status=outcome)
        if outcome != 'complete':
            record.update(failed_pipeline_id=4290, failed_subtask='Extracting events', reason=f'synthetic {outcome}')
            raise CommandError(f'The Cado Host acquisition {outcome}', {key: record})
        if str(args.get('wait_for_processing')).lower() == 'true':
            record.update(processing_pipeline_id=4291, processing_status='complete', alarm_count=3, detection_count=1)
        return {key: record}


class FakeEdr:
    """demisto.executeCommand for CadoRunHostCommand: the EDR answers `answer`, an error when `fails`."""

    def __init__(self, fails: bool = False):
        self.fails = fails
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, command, args):
        self.calls.append((command, args))
        if self.fails:
            return [{'Type': 4, 'ContentsFormat': 'text',
                     'Contents': f'Host dev-7f3a is offline; script not run: {args["raw"]}'}]
        return [{'Type': 1, 'ContentsFormat': 'text', 'Contents': 'Script queued'}]


def run(fake: HostCado, inputs: dict, edr: FakeEdr | None = None, answers: dict | None = None,
        incident: dict | None = None) -> Run:
    findings: list[str] = []

    def host_command(args, incident):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(demisto, 'executeCommand', edr or FakeEdr())
            results = run_host_command(args)
        context = results[0].to_context()['EntryContext']
        if len(results) > 1:
            raise CommandError(results[1]['Contents'], context)
        return context

    def project_findings(args, incident):
        findings.append((incident.get('CustomFields') or {}).get('cadoprojectid'))
        return {}

    runner = Run(incident if incident is not None else {'id': '42', 'CustomFields': {}}, fake,
                 {'CadoRunHostCommand': host_command, 'CadoProjectFindings': project_findings}, answers=answers)
    runner.findings = findings
    runner.context = runner.run(PLAYBOOK, inputs)
    return runner


def fields(runner: Run) -> dict:
    return runner.incident.get('CustomFields') or {}


def stored(runner: Run) -> str:
    """Everything the run kept: the context and the incident."""
    return json.dumps([runner.context, runner.incident])


def test_analyst_path_hands_the_command_over_without_context_and_follows_it_to_processed():
    fake = HostCado(['complete'])
    runner = run(fake, INPUTS, answers={RUN_BY_ANALYST: '#none#'})

    assert runner.path[-1] == f'{PLAYBOOK}/Done'
    assert fake.generated == [{'project_id': 12, 'os': 'linux', 'deployment': 'auto', 'downloadable': False,
                               'command_options': {'as_super': True}}]
    [(name, description)] = runner.manual
    assert name == RUN_BY_ANALYST and 'ws-0142 (linux)' in description and 'Cado project 12' in description
    assert COMMAND not in stored(runner) and SECRET not in stored(runner), 'the command stays out of context'
    [follow] = fake.follows
    assert (follow['project_id'], follow['since'], follow['host']) == (12, '2024-12-01T13:00:00Z', 'ws-0142')
    assert (follow['wait_for_processing'], follow['interval_in_seconds'], follow['timeout_in_seconds']) == \
        ('true', '60', '7200')
    assert fields(runner) == {'cadoresponsestate': 'processed', 'cadoprojectid': 12, 'cadopipelineid': 4290,
                              'cadopipelinestate': 'complete'}
    assert runner.findings == [12], 'the findings are shown once the project is recorded'
    assert runner.context['Cado']['Acquisition']['alarm_count'] == 3


def test_analyst_path_waits_for_the_analyst_before_following():
    fake = HostCado()
    runner = run(fake, INPUTS)
    assert runner.waiting == RUN_BY_ANALYST
    assert fields(runner) == {'cadoresponsestate': 'awaiting_host_upload', 'cadoprojectid': 12}
    assert fake.follows == []


def test_project_defaults_to_the_incidents_cado_project():
    fake = HostCado(['complete'])
    run(fake, {'Host': 'ws-0142', 'OS': 'windows'}, answers={RUN_BY_ANALYST: '#none#'},
        incident={'id': '42', 'CustomFields': {'cadoprojectid': 12}})
    assert fake.generated[0]['project_id'] == 12 and fake.generated[0]['os'] == 'windows'


def test_edr_path_runs_the_command_through_the_edr_and_follows_it():
    fake, edr = HostCado(['complete']), FakeEdr()
    runner = run(fake, EDR_INPUTS, edr)

    assert runner.path[-1] == f'{PLAYBOOK}/Done' and runner.manual == [], 'no analyst needed'
    assert edr.calls == [('cs-falcon-run-script', {'timeout': '600', 'host_ids': 'dev-7f3a', 'raw': COMMAND,
                                                       'using': 'Falcon EU'})]
    assert runner.context['Cado']['HostRun'] == {'host': 'dev-7f3a', 'edr_command': 'cs-falcon-run-script',
                                                 'status': 'success'}
    assert fake.follows[0]['host'] == 'dev-7f3a'
    assert fields(runner)['cadoresponsestate'] == 'processed'


def test_edr_failure_is_recorded_and_reaches_an_analyst_who_can_run_it_by_hand():
    fake = HostCado(['complete'])
    waiting = run(fake, EDR_INPUTS, FakeEdr(fails=True))

    assert waiting.waiting == RUN_BY_HAND
    assert fields(waiting) == {'cadoresponsestate': 'host_edr_failed', 'cadoprojectid': 12}
    [(_, description)] = waiting.manual
    assert 'Host dev-7f3a is offline' in description and '<the Cado Host command>' in description
    assert SECRET not in description
    assert waiting.context['Cado']['HostRun']['status'] == 'failed' and fake.follows == []

    resumed = run(HostCado(['complete']), EDR_INPUTS, FakeEdr(fails=True), answers={RUN_BY_HAND: '#none#'})
    assert resumed.path[-1] == f'{PLAYBOOK}/Done' and fields(resumed)['cadoresponsestate'] == 'processed'


@pytest.mark.parametrize('outcome', ['failed', 'cancelled', 'timeout'])
def test_a_collection_that_does_not_complete_is_recorded_and_reviewed(outcome):
    runner = run(HostCado([outcome]), INPUTS, answers={RUN_BY_ANALYST: '#none#'})

    assert runner.waiting == REVIEW
    assert fields(runner)['cadoresponsestate'] == 'acquisition_failed'
    assert fields(runner)['cadopipelinestate'] == outcome and fields(runner)['cadoprojectid'] == 12
    description = dict(runner.manual)[REVIEW]
    assert f'ws-0142 ended {outcome}' in description
    assert runner.findings == []


def test_without_processing_the_collection_is_recorded_as_acquired():
    runner = run(HostCado(['complete']), {**INPUTS, 'WaitForProcessing': 'false'}, answers={RUN_BY_ANALYST: '#none#'})
    assert fields(runner)['cadoresponsestate'] == 'acquired' and runner.path[-1] == f'{PLAYBOOK}/Done'


def test_a_command_cado_refuses_is_recorded_and_reaches_an_analyst():
    runner = run(HostCado(), {**INPUTS, 'ProjectID': '99'})
    assert runner.waiting == 'Generate the Cado Host command by hand'
    assert fields(runner) == {'cadoresponsestate': 'host_command_failed'}
    assert 'project 99' in dict(runner.manual)['Generate the Cado Host command by hand']
