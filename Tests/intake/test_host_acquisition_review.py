"""Second review of the "Cado Host Acquisition" sub-playbook: the command leaves context as soon as the EDR task has
used it, whichever way that went, and the EDR inputs' worked examples are real commands with their real argument names
(CrowdStrike Falcon's cs-falcon-run-script, Cortex XDR's xdr-script-commands-execute), run here as documented."""
import json
from pathlib import Path

import pytest
import yaml
from test_host_acquisition import COMMAND, EDR_INPUTS, INPUTS, PLAYBOOK, RUN_BY_HAND, SECRET, FakeEdr, HostCado, run

PLAYBOOK_YAML = Path(__file__).resolve().parents[2] / 'Packs' / 'CadoSecurity' / 'Playbooks' / \
    'playbook-Cado_Host_Acquisition.yml'
XDR_INPUTS = {**INPUTS, 'Host': 'a1b2c3d4e5f60718293a4b5c6d7e8f90', 'EDRCommand': 'xdr-script-commands-execute',
              'EDRHostArgument': 'endpoint_ids', 'EDRScriptArgument': 'commands',
              'EDRExtraArguments': '{"is_raw_command": "true", "timeout": "600"}'}


def input_descriptions() -> dict[str, str]:
    return {i['key']: ' '.join(i['description'].split()) for i in yaml.safe_load(PLAYBOOK_YAML.read_text())['inputs']}


@pytest.mark.parametrize('fails', [False, True], ids=['edr-ran-it', 'edr-failed'])
def test_the_command_leaves_context_once_the_edr_task_has_used_it(fails):
    answers = {RUN_BY_HAND: '#none#'} if fails else None
    runner = run(HostCado(['complete']), EDR_INPUTS, FakeEdr(fails=fails), answers=answers)

    assert runner.path[-1] == f'{PLAYBOOK}/Done'
    kept = json.dumps(runner.context)
    assert COMMAND not in kept and SECRET not in kept
    assert runner.context['Cado']['HostDeployment']['project_id'] == 12, 'the rest of the record stays'


@pytest.mark.parametrize('example', [EDR_INPUTS, XDR_INPUTS], ids=['crowdstrike', 'cortex-xdr'])
def test_the_inputs_worked_examples_are_the_wirings_run_here(example):
    descriptions = input_descriptions()
    for name in ('EDRCommand', 'EDRHostArgument', 'EDRScriptArgument', 'EDRExtraArguments'):
        assert example[name] in descriptions[name], f'{name}: {example[name]} is not its worked example'


def test_cortex_xdr_gets_the_command_whole_on_the_endpoint_id():
    edr = FakeEdr()
    runner = run(HostCado(['complete']), XDR_INPUTS, edr)
    assert edr.calls == [('xdr-script-commands-execute', {'is_raw_command': 'true', 'timeout': '600',
                                                          'endpoint_ids': XDR_INPUTS['Host'], 'commands': COMMAND})]
    assert runner.path[-1] == f'{PLAYBOOK}/Done'


def test_a_late_upload_is_followed_not_collected_again():
    """After a timeout, running the playbook again would generate a new command and, through an EDR, collect again: the
    review task gives the follow command for the upload already under way instead, and no empty pipeline reference."""
    runner = run(HostCado(['timeout']), INPUTS, answers={'Run the Cado Host command on the host': '#none#'})
    description = dict(runner.manual)['Review the Cado Host collection that did not complete']
    assert 'ws-0142 ended timeout: no pipeline started in project 12 since the command was generated.' in description
    assert '!cado-host-acquisition-follow project_id=12 since=2024-12-01T13:00:00Z polling=true' in description
    assert '(pipeline :' not in description


def test_a_refused_command_on_the_default_project_says_which_project():
    runner = run(HostCado(), {'Host': 'ws-0142', 'OS': 'linux'})  # no ProjectID: the instance's Default project ID
    description = dict(runner.manual)['Generate the Cado Host command by hand']
    assert "(when empty, the Cado instance's Default project ID)" in description
