"""Mirroring left running for months (review of issue 11): nothing is lost when XSOAR does not pull a change, a close
is served once, a burst keeps the integration context bounded, a shared project is not closed under its other
incidents, two instances keep apart. Driven through main() against the stateful fake Cado of
Tests/support/fake_mirroring.py, as CadoSecurity_mirroring_test.py does.
"""
import copy
import json
import warnings

import pytest
import yaml

import CadoSecurity
import mirror_benchmark
import CadoSecurity_mirroring_test as mirroring_test
from CadoSecurity_test import YAML_PATH
from fake_mirroring import FakeCado, MirroringXsoar

with warnings.catch_warnings():  # demisto-sdk's command-line layer warns about its own options when imported
    warnings.simplefilter('ignore', DeprecationWarning)
    from demisto_sdk.commands.common.constants import MarketplaceVersions
    from demisto_sdk.commands.prepare_content.integration_script_unifier import IntegrationScriptUnifier

SUMMARY = 'The miner ran from /tmp as www-data. '
cado, xsoar, state = mirroring_test.cado, mirroring_test.xsoar, mirroring_test.state  # its fixtures: projects 12-14


def mirrored(cado, project_ids, closed_from: int | None = None) -> MirroringXsoar:
    """Projects added to Cado and linked to an incident each (inc-<id>), after a first cycle."""
    for project_id in project_ids:
        cado.add(project_id, status='Closed' if closed_from and project_id >= closed_from else 'Containment')
    xsoar = MirroringXsoar(cado)
    assert all(xsoar.link(f'inc-{project_id}', project_id)['linked'] for project_id in project_ids)
    xsoar.cycle()
    return xsoar


# ----------------------------------------------------------------------------------- a change XSOAR did not pull

def test_a_change_whose_pull_never_ran_is_reported_again_and_served(xsoar, cado):
    cado.summarise(12, SUMMARY)
    cado.raise_alarms(13)
    assert xsoar.cycle(skip=('inc-12',)) == ['12', '13']  # XSOAR's get-remote-data of inc-12 failed or never ran
    assert xsoar.incidents['inc-12']['fields']['cadoaisummary'] is None
    requests = xsoar.requests_of(lambda: xsoar.cycle())
    assert requests == [('GET', '/api/v3/projects')]  # still one request a cycle; the pull answers from the state
    assert xsoar.incidents['inc-12']['fields']['cadoaisummary'] == SUMMARY
    assert xsoar.cycle() == []
    assert xsoar.echoes == [] and xsoar.errors == []


def test_a_pull_that_fails_loses_nothing(xsoar, cado, mocker):
    cado.set_status(12, 'Containment')
    xsoar.run('get-modified-remote-data', {'lastUpdate': '0'})
    mocker.patch.object(xsoar.context, 'set', side_effect=ValueError('stale version'))
    outcome = xsoar.run('get-remote-data', {'id': '12', 'lastUpdate': '0'})
    assert 'Could not save the mirroring state' in outcome.errors()[0]
    mocker.stopall()
    assert xsoar.cycle() == ['12']
    assert xsoar.incidents['inc-12']['fields']['cadoprojectstatus'] == 'Containment'


def test_a_close_in_cado_not_pulled_at_once_closes_the_incident_once(xsoar, cado):
    cado.set_status(12, 'Closed')
    xsoar.cycle(skip=('inc-12',))
    xsoar.cycle(skip=('inc-12',))
    assert not xsoar.incidents['inc-12']['closed']
    xsoar.cycle()
    assert xsoar.incidents['inc-12']['close']['closeReason'] == 'Resolved'
    xsoar.incidents['inc-12'].update(closed=False, close=None)  # an analyst reopens it
    cado.raise_alarms(12)
    assert xsoar.cycle() == ['12']
    assert xsoar.incidents['inc-12']['close'] is None


def test_a_newer_change_found_while_the_older_one_is_served_does_not_close_twice(xsoar, cado):
    cado.set_status(12, 'Closed')
    xsoar.run('get-modified-remote-data', {'lastUpdate': '0'})
    served = state(xsoar)['pending']['12']
    cado.raise_alarms(12)
    xsoar.run('get-modified-remote-data', {'lastUpdate': '0'})  # a newer cycle ran before the pull of the first
    assert state(xsoar)['pending']['12']['closed']

    def serve(context):
        CadoSecurity.acknowledge(context['mirror'], '12', served)
        return context

    xsoar.context.text = json.dumps(serve(json.loads(xsoar.context.text)))
    newer = state(xsoar)['pending']['12']
    assert (newer['closed'], newer['project']['malicious_alarms']) == (False, 1)  # the close went out once


def test_a_change_no_incident_pulls_is_dropped_after_a_while(xsoar, cado, mocker):
    mocker.patch.object(CadoSecurity, 'UNSERVED_CYCLES', 3)
    cado.summarise(12, SUMMARY)  # inc-12 was closed: XSOAR no longer pulls it
    assert [xsoar.cycle(skip=('inc-12',)) for _ in range(4)] == [['12'], ['12'], ['12'], []]
    assert state(xsoar)['pending'] == {}
    assert xsoar.cycle() == []


def test_a_project_deleted_while_its_change_waits_is_reported_as_deleted(xsoar, cado):
    cado.summarise(12, SUMMARY)
    xsoar.cycle(skip=('inc-12',))
    cado.delete(12)
    assert xsoar.cycle() == ['12']
    assert 'no longer exists' in xsoar.notes['inc-12'][0]
    assert xsoar.cycle() == []


# ------------------------------------------------------------------------------------------------- a large burst

def test_a_burst_larger_than_the_bound_waits_for_the_next_cycles_without_more_requests(cado, mocker):
    mocker.patch.object(CadoSecurity, 'PENDING_BYTES', 6000)
    xsoar = mirrored(cado, range(100, 110))
    for project_id in range(100, 110):
        cado.summarise(project_id, SUMMARY * 40)  # 1,480 characters each: 3 fit in 6,000 bytes
    reported, requests, sizes = [], [], []
    for _ in range(5):
        xsoar.context.peak = 0
        requests.append(len(xsoar.requests_of(lambda: reported.append(xsoar.cycle()))))
        sizes.append(xsoar.context.peak)
    assert [len(ids) for ids in reported] == [3, 3, 3, 1, 0]
    assert requests == [1] * 5 and max(sizes) < 6000 + 1000
    assert all(incident['fields']['cadoaisummary'] == SUMMARY * 40 for incident in xsoar.incidents.values())
    assert xsoar.echoes == [] and xsoar.errors == []


def test_the_benchmark_with_skipped_pulls_and_a_bounded_burst_loses_and_echoes_nothing(mocker):
    mocker.patch.object(CadoSecurity, 'PENDING_BYTES', 100 * 1024)
    result = mirror_benchmark.run(projects=200, cycles=5, summary_chars=1000)
    cycles = result['cycles']
    assert all(row['requests'] == 2 for row in cycles)  # one per 100 projects, whatever the backlog
    assert cycles[1]['reported'] < 200 and cycles[1]['behind'] > 0  # the burst is bounded...
    assert sum(row['pulls_skipped'] for row in cycles) > 0
    assert all(row['lost'] == 0 and row['echoed'] == 0 for row in cycles)
    assert cycles[-1]['reported'] == cycles[-1]['behind'] == 0  # ...and fully delivered later
    assert max(row['context_bytes'] for row in cycles) < 100 * 1024 + 200 * 50
    assert result['errors'] == []


# --------------------------------------------------------------------------------------------- XSIAM and platform

def built_for(marketplace) -> dict:
    """The integration's YAML as demisto-sdk's unifier (prepare-content, upload, zip-packs) builds it."""
    data = copy.deepcopy(yaml.safe_load(YAML_PATH.read_text()))
    IntegrationScriptUnifier.update_hidden_parameters_value(data, marketplace)
    IntegrationScriptUnifier.update_hidden_commands_value(data, marketplace)
    IntegrationScriptUnifier.remove_mirroring_commands_and_settings(data, marketplace)
    return data


MIRRORING_SETTINGS = ('mirror_direction', 'close_incident', 'close_project')


@pytest.mark.parametrize('marketplace', [MarketplaceVersions.MarketplaceV2, MarketplaceVersions.PLATFORM])
def test_xsiam_and_the_platform_get_no_mirroring_and_no_mirroring_settings(marketplace):
    data = built_for(marketplace)
    commands = {command['name'] for command in data['script']['commands']}
    assert not commands & {'get-mapping-fields', 'get-remote-data', 'get-modified-remote-data', 'update-remote-system'}
    assert not any(data['script'][flag] for flag in ('ismappable', 'isremotesyncin', 'isremotesyncout'))
    params = {param['name']: param for param in data['configuration']}
    assert all(params[name]['hidden'] is True for name in MIRRORING_SETTINGS)  # left at None: the link says off
    assert 'cado-incident-mirror-link' in commands and MirroringXsoar(
        FakeCado(), {'mirror_direction': params['mirror_direction']['defaultvalue']}).link('7', 12)['linked'] is False


def test_xsoar_keeps_mirroring_and_its_settings():
    data = built_for(MarketplaceVersions.XSOAR)
    assert {'get-remote-data', 'update-remote-system'} <= {command['name'] for command in data['script']['commands']}
    assert all(data['script'][flag] for flag in ('ismappable', 'isremotesyncin', 'isremotesyncout'))
    assert not any(param.get('hidden') for param in data['configuration'] if param['name'] in MIRRORING_SETTINGS)


# ------------------------------------------------------------------------------------ one project, several incidents

def test_closing_the_incident_that_mirrors_a_shared_project_leaves_it_open_naming_the_others(xsoar, cado):
    assert not xsoar.link('inc-77', 12)['linked']  # another detection of the same resource reuses project 12
    assert not xsoar.link('inc-78', 12)['linked']
    xsoar.change('inc-12', close={'closeReason': 'Resolved', 'closeNotes': 'Miner removed.'})
    details = cado.projects[12]['details']
    assert details['status'] == 'Collection & Analysis'
    assert details['description'].endswith('Close notes: Miner removed.\nThe project stays open: incidents inc-77, '
                                           'inc-78 of this project also asked to follow it. Close it in Cado when '
                                           'their investigations are done.')
    assert xsoar.cycle() == ['12']  # the note reaches Cado Project Description; nothing closes
    assert xsoar.incidents['inc-12'].get('close') is None and xsoar.echoes == []


def test_a_project_followed_by_no_other_incident_is_closed_and_a_deleted_one_forgets_its_followers(xsoar, cado):
    xsoar.link('inc-77', 13)
    xsoar.change('inc-12', close={'closeReason': 'Resolved'})
    assert cado.projects[12]['details']['status'] == 'Closed'
    cado.delete(13)
    xsoar.cycle()
    assert '13' not in state(xsoar).get('followers', {})


# ------------------------------------------------------------------------------- a key that may not change projects

def test_a_close_an_analyst_key_may_not_send_says_the_project_is_still_open(xsoar, cado):
    cado.read_only = True  # an Analyst's key: GET answered, PATCH refused
    outcome = xsoar.change('inc-12', close={'closeReason': 'Resolved'})
    (error,) = outcome.errors()
    assert 'The incident is closed in Cortex XSOAR, but Cado project 12 was not closed: close it in Cado.' in error
    assert 'HTTP 403' in error and 'Lead Analyst' in error
    assert cado.projects[12]['details']['status'] == 'Collection & Analysis'
    assert xsoar.cycle() == []  # nothing recorded as sent: no echo, and the next close tries again


# ---------------------------------------------------------------------------------------------- two instances

def test_two_instances_keep_their_own_registries_and_only_a_mirroring_one_links(cado):
    tenant = MirroringXsoar(cado, instance='Cado_prod')
    webhooks = MirroringXsoar(cado, {'mirror_direction': 'None'}, instance='Cado_webhooks')
    assert webhooks.link('4711', 12) == {'project_id': 12, 'incident_id': '4711', 'linked': False,
                                         'mirrored_by': None, 'mirror_direction': None,
                                         'mirror_instance': 'Cado_webhooks'}
    link = tenant.link('4711', 12)
    assert (link['linked'], link['mirror_instance']) == (True, 'Cado_prod')
    assert webhooks.context.version == 0 and webhooks.run('get-modified-remote-data', {'lastUpdate': '0'}).entries[
        0]['Contents'] == []  # the second instance reads nothing: it mirrors nothing
    assert tenant.cycle() == ['12']


# ----------------------------------------------------------------------------- a close that came from Cado itself

@pytest.mark.parametrize('status', ['Closed', 'Archived'])
def test_the_close_incoming_mirroring_made_is_not_sent_back_to_cado(xsoar, cado, status):
    cado.set_status(12, status)
    xsoar.cycle()
    close = xsoar.incidents['inc-12']['close']
    description = cado.projects[12]['details']['description']
    requests = xsoar.requests_of(lambda: xsoar.change('inc-12', close={key: close[key] for key in ('closeReason',
                                                                                                     'closeNotes')}))
    assert requests == [] and cado.projects[12]['details']['description'] == description
    assert cado.projects[12]['details']['status'] == status  # an Archived project is not turned into Closed


def test_a_deleted_project_says_how_to_mirror_the_one_that_replaces_it(xsoar, cado):
    cado.delete(12)
    cado.add(15)  # re-created in Cado with a new id
    xsoar.cycle()
    assert 'run cado-incident-mirror-link with its ID and set the incident\'s dbotMirrorId' in xsoar.notes['inc-12'][0]
    assert xsoar.link('inc-12', 15)['linked']  # the incident may mirror the new project
    assert xsoar.cycle() == ['15']


# ----------------------------------------------------------------------------------------- months of closed projects

def test_projects_closed_for_long_are_read_one_cycle_in_n_and_still_bring_a_reopen(cado, mocker):
    mocker.patch.multiple(CadoSecurity, DORMANT_AFTER=2, DORMANT_EVERY=3)
    xsoar = mirrored(cado, range(100, 400), closed_from=150)  # cycle 1: every project read once, 250 of them closed
    requests = [len(xsoar.requests_of(xsoar.cycle)) for _ in range(4)]
    assert requests == [3, 3, 2, 2]  # 300 read while recently closed, then the 50 open and a third of the closed
    cado.set_status(151, 'Recovery')  # reopened in Cado after months
    assert [xsoar.cycle() for _ in range(3)].count(['151']) == 1
    assert 'no longer closed or archived (now Recovery)' in xsoar.notes['inc-151'][0]
    assert xsoar.errors == [] and xsoar.echoes == []


def test_a_batch_that_times_out_mid_cycle_is_read_again_and_the_others_are_served(cado):
    xsoar = mirrored(cado, range(100, 250))
    for project_id in (120, 220):
        cado.summarise(project_id, SUMMARY)
    cado.timing_out = {130}  # in the first batch of 100
    assert xsoar.cycle() == ['220'] and xsoar.errors == []
    cado.timing_out = set()
    assert xsoar.cycle() == ['120']
    assert xsoar.incidents['inc-120']['fields']['cadoaisummary'] == SUMMARY
