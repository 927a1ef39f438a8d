"""Custom IOC rules (cado-ioc-rule-list, cado-ioc-rule-push) and single timeline notes (cado-timeline-note-update,
cado-timeline-note-delete).

The push runs against a stateful fake Cado: it keeps the rules text, answers reads with it and replaces it on a write,
and can let another writer race the push. Every request is checked against the contract. The single-request success,
error and declared-outputs cases are in the shared tables of CadoSecurity_test.py and CadoSecurity_outputs_test.py.
"""
import copy

import pytest

from CadoSecurity_test import BASE, fail, integration_yaml, load, succeed, xsoar_runtime
from command_args import VALID_ARGS

SHARED_FIXTURES = (xsoar_runtime, integration_yaml)
INTELLIGENCE = f'{BASE}/api/v3/intelligence'
PROJECT = f'{BASE}/api/v3/projects/12'
FOREIGN = load('intelligence_get')['data']['ioc']['custom_data']['user_input']
PUSH = {'values': '198.51.100.23,evil-update.example', 'title': 'XSOAR incident 4711'}
OURS = ['198.51.100.23;XSOAR incident 4711', 'evil-update.example;XSOAR incident 4711']


def rules_answer(text: str, project: bool = False) -> dict:
    """Cado's answer to a read of the tenant's (or project 12's) rules holding `text`."""
    if project:
        body = copy.deepcopy(load('project_get'))
        body['data']['details']['ioc'] = {'custom_data': {'user_input': text}}
        return body
    body = copy.deepcopy(load('intelligence_get'))
    body['data']['ioc']['custom_data']['user_input'] = text
    return body


class FakeCado:
    """The rules text of the tenant (or of project 12), read and written as Cado's API does. `race`, when set, runs
    on each write before it lands and returns the text another writer leaves right after it."""

    def __init__(self, requests_mock, contract, text: str = FOREIGN, project: bool = False):
        self.text, self.project, self.contract = text, project, contract
        self.writes: list[str] = []
        self.race = None
        if project:
            requests_mock.get(PROJECT, json=self.answer)
            requests_mock.patch(PROJECT, json=self.write)
        else:
            requests_mock.get(INTELLIGENCE, json=self.answer)
            requests_mock.patch(INTELLIGENCE, json=self.write)
        self.requests = requests_mock

    def answer(self, request, context):
        assert not self.contract.request_problems(request)
        return rules_answer(self.text, self.project)

    def write(self, request, context):
        assert not self.contract.request_problems(request)
        assert set(request.json()) == {'ioc'}, 'a write sends the rules and nothing else'
        self.writes.append(request.json()['ioc'])
        self.text = request.json()['ioc']
        if self.race:
            self.text = self.race(self.text)
        return load('project_update' if self.project else 'intelligence_update')

    def methods(self) -> list[str]:
        return [request.method for request in self.requests.request_history]


@pytest.fixture
def cado(requests_mock, contract) -> FakeCado:
    return FakeCado(requests_mock, contract)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# ============================================================================================================
# Reading the rules
# ============================================================================================================

def test_every_line_is_a_rule_in_order_with_its_title_and_type(mocker, cado):
    rules = succeed(mocker, 'cado-ioc-rule-list').outputs
    assert [(rule['line'], rule['value'], rule.get('title'), rule['type']) for rule in rules] == [
        (1, '203.0.113.45', 'Mining pool of INC-2024-0612', 'ip'),
        (2, 'xmrig', None, 'keyword'),
        (3, '# kept for the 2023 audit, ask the SOC lead before removing', None, 'keyword'),
        (5, 'kworkerd', 'Fake kernel worker', 'keyword'),
        (6, 'POOL.MINEXMR.EXAMPLE', 'Mining pool domain', 'domain'),
        (7, '0d6a3a1c5f2e4b7d8c9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e', 'XMRig 6.21 build', 'sha256')]


@pytest.mark.parametrize('value, kind', [
    ('203.0.113.45', 'ip'), ('2001:db8::1', 'ip'), ('evil.example', 'domain'), ('xn--80ak6aa92e.example', 'domain'),
    ('https://evil.example/payload.sh?x=1', 'url'), ('d41d8cd98f00b204e9800998ecf8427e', 'md5'),
    ('DA39A3EE5E6B4B0D3255BFEF95601890AFD80709', 'sha1'), ('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
                                                           'sha256'),
    ('xmrig', 'keyword'), ('/tmp/.X11-unix/kworkerd', 'keyword'), ('d41d8cd98f00b204e9800998ecf8427', 'keyword'),
    ('evil example.com', 'keyword'), ('http://', 'keyword')])
def test_indicator_types(value, kind):
    import CadoSecurity
    assert CadoSecurity.ioc_type(value) == kind


def test_project_rules_are_read_from_the_project(mocker, requests_mock, contract):
    FakeCado(requests_mock, contract, 'evil.example;C2', project=True)
    result = succeed(mocker, 'cado-ioc-rule-list', {'project_id': '12'})
    assert result.outputs == [{'key': '12:evil.example', 'value': 'evil.example', 'type': 'domain', 'title': 'C2',
                               'scope': 'project', 'project_id': 12, 'line': 1}]
    assert result.readable_output.startswith('### Cado custom IOC rules of project 12')


def test_a_tenant_without_rules_answers_an_empty_custom_data(mocker, requests_mock):
    requests_mock.get(INTELLIGENCE, json={'status': 'success', 'data': {
        'yara': {'custom_data': '', 'default_data': ''}, 'ioc': {'custom_data': {}}}})
    assert succeed(mocker, 'cado-ioc-rule-list', {}).outputs == []


def test_a_project_without_rules_of_its_own_has_none(mocker, requests_mock):
    requests_mock.get(PROJECT, json=load('project_get'))  # no details.ioc at all
    assert succeed(mocker, 'cado-ioc-rule-list', {'project_id': '12'}).outputs == []


@pytest.mark.parametrize('data', [
    {'yara': {'custom_data': '', 'default_data': ''}},
    {'ioc': 'evil.example'},
    {'ioc': {'custom_data': 'evil.example'}},
    {'ioc': {'custom_data': {'user_input': ['evil.example']}}},
    {'ioc': {}},
    {'ioc': {'custom_data': None}},
], ids=['no-ioc', 'ioc-not-an-object', 'custom-data-not-an-object', 'user-input-not-text', 'no-custom-data',
        'custom-data-null'])
def test_an_answer_of_another_shape_is_never_taken_for_no_rules(mocker, requests_mock, data):
    """Taken for an empty text, such an answer would make the push write only its own rules, dropping Cado's."""
    requests_mock.get(INTELLIGENCE, json={'status': 'success', 'data': data})
    patch = requests_mock.patch(INTELLIGENCE, json=load('intelligence_update'))
    message = fail(mocker, 'cado-ioc-rule-push', PUSH)
    assert 'data.ioc.custom_data.user_input' in message and 'nothing was written' in message
    assert not patch.called


# ============================================================================================================
# Pushing: merge, idempotence, dry run
# ============================================================================================================

def test_push_appends_after_every_foreign_rule_and_comment_verbatim(mocker, cado):
    result = succeed(mocker, 'cado-ioc-rule-push', PUSH)

    assert cado.writes == [FOREIGN + '\n' + '\n'.join(OURS)], 'the text read, untouched, then ours'
    assert cado.methods() == ['GET', 'PATCH', 'GET'], 'read, write, read back'
    assert [(rule['value'], rule['status']) for rule in result.outputs] == [
        ('198.51.100.23', 'added'), ('evil-update.example', 'added')]
    assert '2 added, 0 already present, verified by reading the rules back.' in result.readable_output


def test_push_is_idempotent_and_says_so(mocker, cado):
    succeed(mocker, 'cado-ioc-rule-push', PUSH)
    after_first = cado.text
    again = succeed(mocker, 'cado-ioc-rule-push', PUSH)

    assert len(cado.writes) == 1, 'the second run writes nothing'
    assert cado.text == after_first
    assert cado.methods()[3:] == ['GET']
    assert {rule['status'] for rule in again.outputs} == {'already present'}
    assert 'Nothing to add: 0 added, 2 already present. Nothing was written.' in again.readable_output


def test_values_already_there_in_another_case_or_spelling_are_not_added_twice(mocker, cado):
    result = succeed(mocker, 'cado-ioc-rule-push', {
        'values': 'pool.minexmr.example,0D6A3A1C5F2E4B7D8C9E0F1A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E,'
                  '203.0.113.45,2001:DB8:0:0::1,2001:db8::1'})
    assert [rule['status'] for rule in result.outputs] == ['already present'] * 3 + ['added']
    assert cado.writes == [FOREIGN + '\n2001:DB8:0:0::1'], 'one rule per indicator, written as given'


def test_dry_run_shows_the_change_and_writes_nothing(mocker, cado):
    result = succeed(mocker, 'cado-ioc-rule-push', {**PUSH, 'values': '198.51.100.23,203.0.113.45', 'dry_run': 'true'})

    assert cado.methods() == ['GET']
    assert cado.text == FOREIGN
    assert [(rule['value'], rule['status']) for rule in result.outputs] == [
        ('198.51.100.23', 'would be added'), ('203.0.113.45', 'already present')]
    assert 'Dry run: 1 would be added, 1 already present. Nothing was written.' in result.readable_output


def test_push_into_an_empty_rules_text(mocker, requests_mock, contract):
    cado = FakeCado(requests_mock, contract, text='')
    succeed(mocker, 'cado-ioc-rule-push', {'values': 'evil.example'})
    assert cado.writes == ['evil.example']


def test_push_after_a_text_ending_in_a_line_break_adds_no_blank_line(mocker, requests_mock, contract):
    cado = FakeCado(requests_mock, contract, text='xmrig\n')
    succeed(mocker, 'cado-ioc-rule-push', {'values': 'evil.example'})
    assert cado.writes == ['xmrig\nevil.example']


def test_push_to_a_project_writes_the_projects_rules(mocker, requests_mock, contract):
    cado = FakeCado(requests_mock, contract, 'xmrig', project=True)
    tenant = requests_mock.patch(INTELLIGENCE, json=load('intelligence_update'))
    result = succeed(mocker, 'cado-ioc-rule-push', {**PUSH, 'project_id': '12'})

    assert cado.writes == ['xmrig\n' + '\n'.join(OURS)]
    assert not tenant.called, 'the tenant rules are left alone'
    assert result.outputs[0] == {'key': '12:198.51.100.23', 'value': '198.51.100.23', 'type': 'ip',
                                 'title': 'XSOAR incident 4711', 'scope': 'project', 'project_id': 12,
                                 'status': 'added'}


def test_the_instance_default_project_never_changes_the_scope(mocker, cado):
    succeed(mocker, 'cado-ioc-rule-push', PUSH, {'default_project': '12'})
    assert len(cado.writes) == 1, 'the tenant rules were written, not project 12\'s'


def test_a_playbook_list_of_indicators_is_pushed(mocker, cado):
    """What `values=${DBotScore(val.Score == 3).Indicator}` hands over: a list, possibly with repeats."""
    indicators = ['198.51.100.23', 'https://evil-update.example/stage2.sh', 'evil-update.example',
                  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '198.51.100.23']
    result = succeed(mocker, 'cado-ioc-rule-push', {'values': indicators, 'title': 'XSOAR incident 4711'})
    assert [(rule['value'], rule['type']) for rule in result.outputs] == [
        ('198.51.100.23', 'ip'), ('https://evil-update.example/stage2.sh', 'url'), ('evil-update.example', 'domain'),
        ('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'sha256')]
    assert lines(cado.text)[-4:] == [f'{rule["value"]};XSOAR incident 4711' for rule in result.outputs]


# ============================================================================================================
# Concurrent edits: no ETag, so read back, verify, and merge again
# ============================================================================================================

def test_a_racing_write_that_drops_ours_and_a_rule_read_before_loses_nothing(mocker, cado):
    """Another writer (another push, an analyst in Cado) read the rules before ours landed and writes right after it,
    from its stale copy: its own rule added, ours gone, and a rule present when we read gone too (it read before
    that one was added). Our read-back sees it; we merge again onto its text: nothing of anyone's is lost.
    (Should the other write land first and ours overwrite it, the other writer, if it is a push, is the one whose
    read-back lacks its rules: it merges again in the same way.)"""
    stale = FOREIGN.replace('kworkerd;Fake kernel worker\n', '')
    cado.race = lambda _ours: (cado.__setattr__('race', None), stale + '\nanother.example;Analyst B')[1]
    result = succeed(mocker, 'cado-ioc-rule-push', PUSH)

    final = lines(cado.text)
    assert set(lines(FOREIGN)) | {'another.example;Analyst B', *OURS} == set(final), 'nobody\'s rule is lost'
    assert len(final) == len(set(final)), 'no rule twice'
    assert final[:len(lines(stale)) + 1] == lines(stale + '\nanother.example;Analyst B'), 'merged after the racer'
    assert cado.methods() == ['GET', 'PATCH', 'GET', 'PATCH', 'GET']
    assert ('Another edit raced this one: merged again, 2 writes in all; restored rules it had dropped: '
            'kworkerd;Fake kernel worker.') in result.readable_output


def test_rules_that_keep_being_overwritten_end_in_an_error_after_bounded_writes(mocker, cado):
    cado.race = lambda _ours: FOREIGN
    message = fail(mocker, 'cado-ioc-rule-push', PUSH)

    assert len(cado.writes) == 3
    assert 'changed under each of 3 writes' in message and '198.51.100.23;XSOAR incident 4711' in message
    assert 'Run the command again' in message


def test_someone_else_adding_our_rules_meanwhile_needs_no_second_write(mocker, cado):
    cado.race = lambda ours: (cado.__setattr__('race', None), ours)[1]
    succeed(mocker, 'cado-ioc-rule-push', PUSH)
    assert len(cado.writes) == 1


# ============================================================================================================
# Errors
# ============================================================================================================

@pytest.mark.parametrize('step', ['read', 'write', 'read back'])
def test_a_refusal_at_any_step_names_the_roles_and_what_was_written(mocker, requests_mock, contract, step):
    cado = FakeCado(requests_mock, contract)
    forbidden = {'status_code': 403, 'json': load('error_forbidden')}
    if step == 'read':
        requests_mock.get(INTELLIGENCE, **forbidden)
    elif step == 'write':
        requests_mock.patch(INTELLIGENCE, **forbidden)
    else:
        requests_mock.get(INTELLIGENCE, [{'json': rules_answer(cado.text)}, forbidden])
        requests_mock.patch(INTELLIGENCE, json=load('intelligence_update'))
    message = fail(mocker, 'cado-ioc-rule-push', PUSH)
    assert 'HTTP 403' in message and 'Administrator, Lead Analyst' in message
    assert ('write the custom IOC rules' if step == 'write' else 'read the custom IOC rules') in message


def test_a_project_push_refused_names_the_roles(mocker, requests_mock, contract):
    FakeCado(requests_mock, contract, 'xmrig', project=True)
    requests_mock.patch(PROJECT, status_code=403, json=load('error_forbidden'))
    message = fail(mocker, 'cado-ioc-rule-push', {**PUSH, 'project_id': '12'})
    assert 'HTTP 403' in message and 'Administrator, Lead Analyst' in message and 'update a project' in message


def test_push_and_note_delete_are_marked_as_changing_cado(integration_yaml):
    commands = {command['name']: command for command in integration_yaml['script']['commands']}
    assert commands['cado-ioc-rule-push']['execution'] is True
    assert commands['cado-timeline-note-delete']['execution'] is True
    assert not commands['cado-ioc-rule-list'].get('execution')
    assert commands['cado-ioc-rule-push']['arguments'][0]['isArray'] is True, 'a playbook hands a list over'


# ============================================================================================================
# Single notes
# ============================================================================================================

def test_note_update_sends_only_the_text(mocker, requests_mock, contract):
    requests_mock.patch(f'{BASE}/api/v3/notes/57', json=load('timeline_note_update'))
    result = succeed(mocker, 'cado-timeline-note-update', VALID_ARGS['cado-timeline-note-update'])
    assert requests_mock.last_request.json() == {'text': 'Miner dropped here: confirmed by XSOAR incident 4711'}
    assert not contract.request_problems(requests_mock.last_request)
    assert result.outputs['note'] == {'type': 'comment', 'text': 'Miner dropped here: confirmed by XSOAR incident 4711'}


def test_note_delete_of_an_unknown_note_names_it(mocker, requests_mock):
    requests_mock.delete(f'{BASE}/api/v3/notes/58', status_code=404, json=load('error_envelope'))
    message = fail(mocker, 'cado-timeline-note-delete', {'note_id': '58'})
    assert 'Cado has no note 58' in message
