"""Mirroring, the link for incidents the integration did not fetch: the response playbook links a Generic Webhook
incident to its Cado project (Cado Link Project for Mirroring: cado-incident-mirror-link, then setIncident with the
mirroring attributes), on the fake Cado, whose link is the integration's own command run through main() on one
integration context that every incident of a scenario shares (so the playbook and the integration are tested together).
"""
import json

import intake_webhook as webhook
from fake_cado import FakeCado, detection
from playbook_runner import INTEGRATION_YML, Run, load_yaml, playbooks
from test_intake import MAIN, SUB, cado, detection_incident, intake, other_incident, run, scripts

LINK = 'cado-incident-mirror-link'
MIRROR_ATTRIBUTES = ('dbotMirrorId', 'dbotMirrorInstance', 'dbotMirrorDirection')


def links(runner: Run) -> list[dict]:
    """The link's arguments as XSOAR sends them (text)."""
    return [{key: str(value) for key, value in args.items()} for name, args in runner.calls if name == LINK]


def mirroring(incident: dict) -> dict:
    return {key: incident.get(key) for key in MIRROR_ATTRIBUTES}


def test_the_first_incident_links_its_project_and_mirrors_it():
    fake, incident = cado(), detection_incident()
    runner = run(incident, fake)
    assert links(runner) == [{'project_id': '17', 'incident_id': '42'}]  # once: the incident mirrors from then on
    assert mirroring(incident) == {'dbotMirrorId': 17, 'dbotMirrorInstance': 'Cado Security_instance_1',
                                   'dbotMirrorDirection': 'Both'}
    assert incident['CustomFields']['cadomirrorstate'] == 'linked' and fake.mirror_links == {17: '42'}
    assert runner.path[-1] == f'{MAIN}/Done' and incident['CustomFields']['cadoresponsestate'] == 'processed'
    # linked before the acquisition, which may wait an hour for Cado
    assert [name for name, _ in runner.calls].index('cado-aws-ec2-acquire') > [name for name, _ in runner.calls].index(LINK)


def test_a_second_incident_of_the_same_project_does_not_mirror_it():
    """One project never mirrors into two incidents: another detection of project 17 is answered by the first."""
    fake = FakeCado([detection('detection_guardduty_ec2.json'),
                     dict(detection('detection_guardduty_ec2.json'), id=1010)], alarms={17: (2, 1)})
    first, second = detection_incident('1001', incident_id='42'), detection_incident('1010', incident_id='43')
    run(first, fake)
    runner = run(second, fake)
    assert links(runner) == [{'project_id': '17', 'incident_id': '43'}]
    assert mirroring(second) == dict.fromkeys(MIRROR_ATTRIBUTES)
    assert second['CustomFields']['cadomirrorstate'] == 'mirrored_elsewhere'
    assert fake.mirror_links == {17: '42'} and first['dbotMirrorId'] == 17
    assert runner.path[-1] == f'{MAIN}/Done' and second['CustomFields']['cadoresponsestate'] == 'reused'


def test_the_second_incident_is_remembered_by_the_integration_so_that_a_close_leaves_the_project_open():
    fake = FakeCado([detection('detection_guardduty_ec2.json'),
                     dict(detection('detection_guardduty_ec2.json'), id=1010)], alarms={17: (2, 1)})
    run(detection_incident('1001', incident_id='42'), fake)
    run(detection_incident('1010', incident_id='43'), fake)
    run(detection_incident('1010', incident_id='43'), fake)  # its playbook run again: remembered once
    mirror = json.loads(fake.mirroring.context.text)['mirror']
    assert mirror['projects']['17'][0] == '42' and mirror['followers'] == {'17': ['43']}


def test_a_failed_link_is_recorded_and_the_response_goes_on():
    fake, incident = cado(), detection_incident()
    fake.link_fails = True
    runner = run(incident, fake)
    assert len(links(runner)) == 2  # tried again after the project was picked for the acquisition
    assert mirroring(incident) == dict.fromkeys(MIRROR_ATTRIBUTES)
    assert incident['CustomFields']['cadomirrorstate'] == 'link_failed'
    assert [command for command, _ in fake.acquired] == ['cado-aws-ec2-acquire']
    assert incident['CustomFields']['cadoresponsestate'] == 'processed'
    assert runner.path[-1] == f'{MAIN}/Done' and runner.manual == []  # nobody has to act for it
    fake.link_fails = False
    rerun = run(incident, fake)  # running the playbook again links it, and acquires nothing again
    assert incident['CustomFields']['cadomirrorstate'] == 'linked' and incident['dbotMirrorId'] == 17
    assert len(links(rerun)) == 1 and len(fake.acquired) == 1


def test_mirroring_off_sets_nothing():
    fake, incident = cado(), detection_incident()
    fake.mirror_direction = None
    runner = run(incident, fake)
    assert links(runner) and fake.mirror_links == {}
    assert mirroring(incident) == dict.fromkeys(MIRROR_ATTRIBUTES)
    assert incident['CustomFields']['cadomirrorstate'] == 'off'
    assert runner.path[-1] == f'{MAIN}/Done'


def test_a_processing_event_links_the_project_it_names():
    sample = webhook.load_json(webhook.SAMPLES / 'processing_finished.json')
    incident = intake(sample['body'])
    fake = cado()
    fake.mirror_direction = 'In'
    runner = run(incident, fake)
    assert links(runner) == [{'project_id': '12', 'incident_id': '42'}]
    assert mirroring(incident) == {'dbotMirrorId': 12, 'dbotMirrorInstance': 'Cado Security_instance_1',
                                   'dbotMirrorDirection': 'In'}


def test_an_incident_that_already_mirrors_is_not_linked_again():
    """A fetched incident carries its mirroring attributes from the start (the integration registered it)."""
    fake, incident = cado(), detection_incident()
    incident.update(dbotMirrorId='17', dbotMirrorInstance='Cado Security_instance_1', dbotMirrorDirection='Both')
    runner = run(incident, fake)
    assert links(runner) == [] and 'cadomirrorstate' not in incident['CustomFields']
    assert runner.path[-1] == f'{MAIN}/Done'


def test_the_link_runs_on_the_chosen_instance_only():
    analyst, admin = cado(), cado()
    incident = detection_incident()
    runner = Run(incident, {'cado-analyst': analyst, 'cado-admin': admin}, scripts())
    runner.run(MAIN, {'CadoInstance': 'cado-analyst'})
    assert (('cado-analyst', LINK) in runner.instance_calls) and admin.mirror_links == {}
    assert analyst.mirror_links == {17: '42'}


def test_the_sub_playbook_links_a_project_it_creates_only_when_asked():
    """Another integration's incident mirrors its own record: the sub-playbook links only with MirrorProject."""
    inputs = {'Provider': 'aws', 'ResourceID': 'i-0fedcba9876543210', 'Region': 'us-east-1'}
    fake, foreign = FakeCado(), other_incident()
    runner = run(foreign, fake, SUB, inputs)
    assert links(runner) == [] and mirroring(foreign) == dict.fromkeys(MIRROR_ATTRIBUTES)
    asked = other_incident('901')
    runner = run(asked, fake, SUB, dict(inputs, MirrorProject='true'))
    assert fake.created == ['XSOAR incident 900', 'XSOAR incident 901']
    [created] = [project_id for project_id, project in fake.projects.items()
                 if project['details']['name'] == 'XSOAR incident 901']
    assert links(runner) == [{'project_id': str(created), 'incident_id': '901'}] and asked['dbotMirrorId'] == created
    assert asked['CustomFields']['cadomirrorstate'] == 'linked'


def test_the_link_command_is_declared_as_the_agreement_says():
    [link] = [c for c in load_yaml(INTEGRATION_YML)['script']['commands'] if c['name'] == LINK]
    assert {(a['name'], bool(a.get('required'))) for a in link['arguments']} == {('project_id', True),
                                                                               ('incident_id', True)}
    assert {o['contextPath'].rpartition('.')[2] for o in link['outputs']} == {
        'project_id', 'incident_id', 'linked', 'mirrored_by', 'mirror_direction', 'mirror_instance'}


def pack_tasks():
    for doc in playbooks().values():
        for tid, task in doc['tasks'].items():
            yield doc, tid, task


def successors(doc: dict, tid: str) -> set[str]:
    seen, todo = set(), [tid]
    while todo:
        for targets in (doc['tasks'][todo.pop()].get('nexttasks') or {}).values():
            todo += [t for t in targets if t not in seen]
            seen |= set(targets)
    return seen


def test_the_link_is_quiet_and_its_failure_never_stops_the_response():
    """The link runs quiet on the chosen instance; an error continues on the regular path (no error path that would
    wait for an analyst), and nothing after it waits for one."""
    found = [(doc, tid, task) for doc, tid, task in pack_tasks() if task['task'].get('script', '').endswith(f'|||{LINK}')]
    assert found
    for doc, tid, task in found:
        assert task['quietmode'] == 1 and task['continueonerror'] is True and 'continueonerrortype' not in task
        assert task['scriptarguments']['using']['simple'] == '${inputs.CadoInstance}'
        assert task['scriptarguments']['incident_id']['simple'] == '${incident.id}'
        assert set(task['nexttasks']) == {'#none#'}
        assert not [t for t in successors(doc, tid) if Run.is_manual(doc['tasks'][t])]


def test_the_mirroring_attributes_are_set_only_on_the_linked_branch():
    setters = [(doc, tid) for doc, tid, task in pack_tasks()
               if set(task.get('scriptarguments') or {}) & set(MIRROR_ATTRIBUTES)]
    assert setters
    for doc, tid in setters:
        task = doc['tasks'][tid]
        assert task['task']['script'] == 'Builtin|||setIncident'
        assert {key: value['simple'] for key, value in task['scriptarguments'].items() if key in MIRROR_ATTRIBUTES} == {
            'dbotMirrorId': '${Cado.MirrorLink.project_id}', 'dbotMirrorInstance': '${Cado.MirrorLink.mirror_instance}',
            'dbotMirrorDirection': '${Cado.MirrorLink.mirror_direction}'}
        [(condition, label)] = [(other, label) for other in doc['tasks'].values()
                                for label, targets in (other.get('nexttasks') or {}).items() if tid in targets]
        [branch] = [b for b in condition['conditions'] if b['label'] == label]
        assert branch['condition'] == [[{'operator': 'isTrue', 'left': {'value': {'simple': 'Cado.MirrorLink.linked'},
                                                                           'iscontext': True}}]]
