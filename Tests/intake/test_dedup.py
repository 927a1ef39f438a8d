"""One response per Cado detection, end to end: Cado's webhook body (or fetch-incidents' incident) -> Generic
Webhook's rules -> the pack's mapper -> the pack's pre-process rule (XSOAR 6 and 8; off on XSIAM) -> the incident
-> Cado Detection Response run by the playbook runner on a fake Cado, with the fake XSOAR incident store behind
the scripts' built-in commands.

"Acted on" means the incident's playbook did not close it as a duplicate. Whatever the intake, the platform and the
order in which the playbooks run, a detection is acted on once and its resource acquired once; every later delivery
is recorded on the incident that acts (an entry, the refreshed fields)."""
import json

import CadoSecurity
import intake_webhook as webhook
import pytest
from CadoParseEvent import parse_event_command
from fake_cado import FakeCado, detection
from fake_xsoar import FakeXsoar
from playbook_runner import CommandError, Run

MAIN = 'Cado Detection Response'
PLATFORMS = {'xsoar (pre-process rule)': {'pre_processing': True},
             'xsiam (no pre-process rules, alerts)': {'pre_processing': False, 'platform': 'xsiam'}}


def parse(args, incident):
    return parse_event_command(args, incident).to_context()['EntryContext']


def cado() -> FakeCado:
    return FakeCado([detection('detection_guardduty_ec2.json')], alarms={17: (1, 0)})


def pushed(event='detection_created', detection_id='1001', title='UnauthorizedAccess:EC2/SSHBruteForce') -> dict:
    body = webhook.substitute_escaped(CadoSecurity.xsoar_webhook_payload(event), {
        '$detection_id': detection_id, '$Title': title, '$event_type': event, '$group_id': ''})
    [incident] = webhook.generic_webhook(json.dumps(body))
    return webhook.apply_mapper(incident)


def fetched(first_seen=True, **changes) -> dict:
    return webhook.apply_mapper(CadoSecurity.detection_incident(
        dict(detection('detection_guardduty_ec2.json'), **changes), first_seen))


def processing_event(event_text: str, event='processing_finished') -> dict:
    body = webhook.substitute_escaped(CadoSecurity.xsoar_webhook_payload(event),
                                      {'$Title': 'PROCESSING FINISHED', '$Event': event_text})
    [incident] = webhook.generic_webhook(json.dumps(body))
    return webhook.apply_mapper(incident)


def respond(xsoar: FakeXsoar, fake: FakeCado, incident: dict | None) -> Run | None:
    """The incident type's default playbook, as XSOAR starts it on a created incident."""
    if incident is None:
        return None
    runner = Run(incident, fake, {'CadoParseEvent': parse, 'CadoDeduplicate': xsoar.dedup_script()})
    runner.run(MAIN)
    assert runner.path[-1] == f'{MAIN}/Done'
    return runner


def acted_on(xsoar: FakeXsoar) -> list[dict]:
    return [i for i in xsoar.incidents.values() if (i.get('closed') or {}).get('closeReason') != 'Duplicate']


def assert_one_response(xsoar: FakeXsoar, fake: FakeCado, deliveries: int) -> dict:
    [primary] = acted_on(xsoar)
    assert [command for command, _ in fake.acquired] == ['cado-aws-ec2-acquire']
    assert len(xsoar.entries[primary['id']]) == deliveries - 1, 'every later delivery is an entry on it'
    duplicates = [i for i in xsoar.incidents.values() if i is not primary]
    assert all(i['closed']['closeReason'] == 'Duplicate' and primary['id'] in i['closed']['closeNotes']
               and i['CustomFields']['cadoresponsestate'] == 'duplicate' for i in duplicates)
    assert xsoar.links.get(primary['id'], set()) == {i['id'] for i in duplicates}
    assert len(duplicates) + len(xsoar.dropped) == deliveries - 1
    return primary


@pytest.mark.parametrize('platform', PLATFORMS.values(), ids=PLATFORMS.keys())
def test_five_deliveries_and_three_updates_one_after_the_other(platform):
    xsoar, fake = FakeXsoar(**platform), cado()
    for event in ['detection_created'] * 5 + ['detection_updated'] * 3:
        respond(xsoar, fake, xsoar.ingest(pushed(event)))
    primary = assert_one_response(xsoar, fake, 8)
    assert primary['CustomFields']['cadoeventtype'] == 'detection_updated'  # the latest delivery's fields
    assert primary['CustomFields']['cadopipelinestate'] == 'complete'
    assert len(xsoar.incidents) == (1 if platform['pre_processing'] else 8)


@pytest.mark.parametrize('platform', PLATFORMS.values(), ids=PLATFORMS.keys())
def test_five_deliveries_and_three_updates_in_a_burst_whose_playbooks_run_last_first(platform):
    """All eight arrive before any playbook runs, and the playbooks run newest first: still one response."""
    xsoar, fake = FakeXsoar(**platform), cado()
    created = [xsoar.ingest(pushed(event)) for event in ['detection_created'] * 5 + ['detection_updated'] * 3]
    for incident in reversed(created):
        respond(xsoar, fake, incident)
    assert_one_response(xsoar, fake, 8)


@pytest.mark.parametrize('fetch_first', [True, False], ids=['fetched-first', 'pushed-first'])
@pytest.mark.parametrize('platform', PLATFORMS.values(), ids=PLATFORMS.keys())
def test_pushed_and_fetched_at_once(platform, fetch_first):
    """The same detection arrives by webhook and by fetch-incidents at the same moment: neither is pre-processed
    against the other; their playbooks agree on the first created."""
    xsoar, fake = FakeXsoar(**platform), cado()
    arrivals = [fetched(), pushed()] if fetch_first else [pushed(), fetched()]
    both = xsoar.ingest_together(arrivals)
    assert all(both), 'created together'
    for incident in reversed(both):
        respond(xsoar, fake, incident)
    primary = assert_one_response(xsoar, fake, 2)
    assert primary is both[0]


@pytest.mark.parametrize('platform', PLATFORMS.values(), ids=PLATFORMS.keys())
def test_pushed_then_fetched_update_refreshes_the_incident(platform):
    xsoar, fake = FakeXsoar(**platform), cado()
    respond(xsoar, fake, xsoar.ingest(pushed()))
    respond(xsoar, fake, xsoar.ingest(fetched(first_seen=False, severity='critical')))
    primary = assert_one_response(xsoar, fake, 2)
    assert primary['CustomFields']['cadoseverity'] == 'critical'
    assert 'fetched' in xsoar.entries[primary['id']][0]['Contents']


def test_processing_event_about_a_followed_project_joins_its_incident():
    """Cado's processing events for the acquisition XSOAR made (project 17) reach the detection's incident."""
    xsoar, fake = FakeXsoar(), cado()
    respond(xsoar, fake, xsoar.ingest(pushed()))
    event = json.dumps({'project_id': 17, 'pipeline_id': 501, 'status': 'complete',
                        'alarms': {'malicious': 1, 'suspicious': 0}})
    runner = respond(xsoar, fake, xsoar.ingest(processing_event(event)))
    primary = assert_one_response(xsoar, fake, 2)
    assert primary['type'] == 'Cado Detection' and f'{MAIN}/Close as a duplicate' in runner.path
    assert primary['CustomFields']['cadoeventtype'] == 'processing_finished'
    assert primary['CustomFields']['cadorawevent'] == event
    assert 'cadoprojectid = 17' in xsoar.entries[primary['id']][0]['Contents']
    assert not [name for name, _ in runner.calls if name.startswith('cado-')], 'the duplicate calls no Cado command'


def test_processing_events_about_an_unfollowed_project_open_one_response():
    xsoar, fake = FakeXsoar(), FakeCado()
    for status in ('in_progress', 'complete'):
        event = json.dumps({'project_id': 12, 'pipeline_id': 345, 'status': status})
        respond(xsoar, fake, xsoar.ingest(processing_event(event)))
    [primary] = acted_on(xsoar)
    assert primary['type'] == 'Cado Processing Event' and len(xsoar.entries[primary['id']]) == 1


def test_different_detections_on_one_resource_are_different_responses():
    """Deduplication is per detection; the second detection of the resource reuses the first one's acquisition,
    which Cado lists on the resource's asset."""
    xsoar, fake = FakeXsoar(), cado()
    fake.detections.append(dict(detection('detection_guardduty_ec2.json'), id=2002))
    respond(xsoar, fake, xsoar.ingest(pushed()))
    respond(xsoar, fake, xsoar.ingest(pushed(detection_id='2002')))
    first, second = acted_on(xsoar)
    assert [command for command, _ in fake.acquired] == ['cado-aws-ec2-acquire']
    assert (first['CustomFields']['cadoresponsestate'], second['CustomFields']['cadoresponsestate']) == (
        'processed', 'reused')
    assert second['CustomFields']['cadomaliciousalarms'] == 1, 'the reused acquisition\'s findings are collected'


def test_a_failed_check_does_not_stop_the_response():
    """When CadoDeduplicate fails (its error entry says why), the incident is responded to rather than lost."""
    def failing(args, incident):
        raise CommandError('getIncidents failed')
    xsoar, fake = FakeXsoar(), cado()
    incident = xsoar.ingest(pushed())
    runner = Run(incident, fake, {'CadoParseEvent': parse, 'CadoDeduplicate': failing})
    runner.run(MAIN)
    assert runner.path[-1] == f'{MAIN}/Done' and 'closed' not in incident
    assert [command for command, _ in fake.acquired] == ['cado-aws-ec2-acquire']
    assert incident['CustomFields']['cadoresponsestate'] == 'processed'
