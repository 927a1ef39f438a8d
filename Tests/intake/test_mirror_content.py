"""Mirroring, the content side: the incident fields of the mirroring agreement, the incoming mapper that reads the
mirrored Cado project (`cado_project`, what get-remote-data returns), the outgoing mapper whose keys
update-remote-system reads from the delta, and the layouts that show the mirrored fields."""
import json
import re
from pathlib import Path

import intake_webhook as webhook
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / 'Packs' / 'CadoSecurity'
TYPES = ('Cado Detection', 'Cado Processing Event')
FIELDS = {f['cliName']: f for f in (json.loads(p.read_text()) for p in sorted((PACK / 'IncidentFields').glob('*.json')))}
INCOMING = json.loads((PACK / 'Classifiers' / 'classifier-mapper-incoming-Cado_Security.json').read_text())
OUTGOING = json.loads((PACK / 'Classifiers' / 'classifier-mapper-outgoing-Cado_Security.json').read_text())
LAYOUTS = [json.loads(p.read_text()) for p in sorted((PACK / 'Layouts').glob('*.json'))]
MIRRORED = json.loads((ROOT / 'Tests' / 'intake' / 'mirror' / 'project_17.json').read_text())
# The agreement: mirrored object key -> (field cliName, field type); the first four fields existed before mirroring.
MIRRORED_FIELDS = {
    'id': ('cadoprojectid', 'shortText'), 'link': ('cadoprojectlink', 'url'),
    'malicious_alarms': ('cadomaliciousalarms', 'number'), 'suspicious_alarms': ('cadosuspiciousalarms', 'number'),
    'name': ('cadoprojectname', 'shortText'), 'status': ('cadoprojectstatus', 'singleSelect'),
    'description': ('cadoprojectdescription', 'longText'), 'items_identified': ('cadoitemsidentified', 'number'),
    'evidence_count': ('cadoevidencecount', 'number'), 'last_acquisition': ('cadolastacquisition', 'date'),
    'last_update': ('cadoprojectlastupdate', 'date'), 'ai_summary': ('cadoaisummary', 'markdown'),
}
# update-remote-system reads these keys from UpdateRemoteSystemArgs.delta; the values are incident fields.
OUTGOING_KEYS = {'cado_status': 'cadoprojectstatus', 'phase': 'phase', 'owner': 'owner'}


@pytest.mark.parametrize('key', sorted(MIRRORED_FIELDS))
def test_the_agreed_fields_exist_for_both_cado_types(key):
    cli_name, field_type = MIRRORED_FIELDS[key]
    field = FIELDS[cli_name]
    assert field['type'] == field_type
    assert set(TYPES) <= set(field['associatedTypes'])


def test_project_status_offers_cados_statuses_in_cados_order(cado_spec_path):
    spec = json.loads(cado_spec_path.read_text())
    operation = spec['paths']['/api/v3/projects/{project_id}']['patch']
    schema = operation['requestBody']['content']['application/json']['schema']
    while '$ref' in schema:
        schema = spec['components']['schemas'][schema['$ref'].rsplit('/', 1)[-1]]
    status = schema['properties']['status']
    enum = status.get('enum') or next(option['enum'] for option in status['anyOf'] if 'enum' in option)
    assert FIELDS['cadoprojectstatus']['selectValues'] == enum


@pytest.mark.parametrize('incident_type', TYPES)
def test_incoming_mapper_maps_every_key_of_the_mirrored_project(incident_type):
    mapped = webhook.apply_mapper({'type': incident_type, 'rawJSON': json.dumps(MIRRORED)})['CustomFields']
    expected = {cli_name: MIRRORED['cado_project'][key] for key, (cli_name, _) in MIRRORED_FIELDS.items()}
    assert mapped == expected


def test_the_project_id_of_a_detection_comes_from_the_detection_else_from_the_mirrored_project():
    def project_id(raw: dict):
        return webhook.apply_mapper({'type': 'Cado Detection', 'rawJSON': json.dumps(raw)})['CustomFields'].get(
            'cadoprojectid')

    assert project_id({'cado_detection': {'investigation_id': 17}}) == 17
    assert project_id({'cado_project': {'id': 18}}) == 18
    assert project_id({'cado_detection': {'investigation_id': 17}, 'cado_project': {'id': 18}}) == 17
    rule = INCOMING['mapping']['Cado Detection']['internalMapping']['Cado Project ID']['complex']
    assert rule['root'] == 'cado_detection.investigation_id'


def test_outgoing_mapper_sends_the_agreed_keys_for_both_types():
    assert OUTGOING['type'] == 'mapping-outgoing' and OUTGOING['name'] == OUTGOING['id'] == \
        'Cado Security - Outgoing Mapper'
    assert set(OUTGOING['mapping']) == set(TYPES)
    for rules in OUTGOING['mapping'].values():
        assert {key: rule['simple'] for key, rule in rules['internalMapping'].items()} == OUTGOING_KEYS


def test_outgoing_mapper_sends_no_field_that_cado_owns():
    """A field incoming mirroring writes (name, counts, AI summary) sent back would be an echo; the status is the one
    field both sides set."""
    sent = {rule['simple'] for rules in OUTGOING['mapping'].values() for rule in rules['internalMapping'].values()}
    cado_owned = {cli for key, (cli, _) in MIRRORED_FIELDS.items() if key != 'status'}
    assert not sent & cado_owned


def layout_sections(layout: dict) -> dict[str, list[str]]:
    return {section['name']: [item['fieldId'] for item in section.get('items') or []]
            for tab in layout['detailsV2']['tabs'] for section in tab.get('sections') or []}


@pytest.mark.parametrize('layout', LAYOUTS, ids=lambda layout: layout['id'])
def test_layouts_show_the_mirrored_project(layout):
    sections = layout_sections(layout)
    shown = set(sections['Cado Project']) | set(sections['Cado Project Summary'])
    assert {cli for cli, _ in MIRRORED_FIELDS.values()} - shown <= {
        'cadoprojectid', 'cadoprojectlink', 'cadomaliciousalarms', 'cadosuspiciousalarms'}  # in their own sections
    assert {cli for cli, _ in MIRRORED_FIELDS.values()} <= {f for fields in sections.values() for f in fields}


def test_pack_readme_lists_every_field_and_says_which_mappers_go_on_the_instance():
    readme = (PACK / 'README.md').read_text()
    cells = [line.split('|') for line in readme.splitlines() if line.startswith('| Cado ')]
    rows = {cell[2].strip(' `'): cell[3].strip() for cell in cells if re.fullmatch(r' `cado\w+` ', cell[2])}
    assert rows == {cli: field['type'] for cli, field in FIELDS.items()}
    assert f'| Incident fields | {len(FIELDS)} fields, all named `Cado ...` |' in readme
    integration = (PACK / 'Integrations' / 'CadoSecurity' / 'README.md').read_text()
    for text in (' '.join(readme.split()), ' '.join(integration.split())):  # as Markdown renders, lines joined
        assert '**Mapper (incoming)** *Cado Security - Incoming Mapper*' in text
        assert '**Mapper (outgoing)** *Cado Security - Outgoing Mapper*' in text
