"""The pack's content items (incident fields and types, layouts, mapper, dashboard, scripts, playbooks): what the
pack claims in pack_metadata.json holds for each of them, beyond what demisto-sdk validate checks."""
import json
import re
from pathlib import Path

import pytest
import yaml

PACK = Path(__file__).resolve().parent.parent / 'Packs' / 'CadoSecurity'
METADATA = json.loads((PACK / 'pack_metadata.json').read_text())
JSON_ITEMS = sorted(path for folder in ('IncidentFields', 'IncidentTypes', 'Layouts', 'Classifiers', 'Dashboards')
                    for path in (PACK / folder).glob('*.json'))
YAML_ITEMS = sorted(path for folder in ('Scripts/*', 'Playbooks', 'TestPlaybooks', 'Integrations/*')
                    for path in PACK.glob(f'{folder}/*.yml'))
FIELDS = [json.loads(path.read_text()) for path in sorted((PACK / 'IncidentFields').glob('*.json'))]
LAYOUTS = [json.loads(path.read_text()) for path in sorted((PACK / 'Layouts').glob('*.json'))]
# demisto-sdk's BA131: the platform modules each of these content types may declare.
XSIAM_AND_AGENTIX = ('IncidentFields', 'IncidentTypes', 'Classifiers')


def load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.suffix == '.json' else yaml.safe_load(path.read_text())


def rel(path: Path) -> str:
    return str(path.relative_to(PACK))


@pytest.mark.parametrize('path', JSON_ITEMS + YAML_ITEMS, ids=rel)
def test_every_item_is_offered_on_every_marketplace_the_pack_claims(path):
    declared = load(path).get('marketplaces')
    # No key: the item follows the pack. A key must list every marketplace of the pack.
    assert declared is None or set(METADATA['marketplaces']) <= set(declared), f'{rel(path)}: {declared}'


@pytest.mark.parametrize('path', [p for p in JSON_ITEMS if p.parent.name in XSIAM_AND_AGENTIX], ids=rel)
def test_platform_modules_are_the_ones_the_content_type_allows(path):
    assert load(path).get('supportedModules') == ['agentix', 'xsiam']


@pytest.mark.parametrize('field', FIELDS, ids=lambda f: f['name'])
def test_field_names_prefix_cli_name_and_id_agree(field):
    assert any(field['name'].startswith(f'{prefix} ') for prefix in METADATA['itemPrefix']), field['name']
    # XSOAR derives the CLI name from the name: lower case, letters and digits only.
    assert field['cliName'] == re.sub(r'[^a-z0-9]', '', field['name'].lower())
    assert field['id'] == f'incident_{field["cliName"]}'


def test_item_prefix_is_what_the_fields_use():
    assert METADATA['itemPrefix'] == ['Cado']


def layout_sections(layout: dict) -> list[dict]:
    return [section for tab in layout['detailsV2']['tabs'] for section in tab.get('sections') or []]


@pytest.mark.parametrize('layout', LAYOUTS, ids=lambda layout: layout['id'])
def test_layouts_show_the_project_link_and_the_findings(layout):
    sections = layout_sections(layout)
    fields = {item['fieldId'] for section in sections for item in section.get('items') or []}
    assert 'cadoprojectlink' in fields
    [findings] = [s for s in sections if s.get('type') == 'dynamic' and s.get('queryType') == 'script']
    script = load(PACK / 'Scripts' / findings['query'] / f'{findings["query"]}.yml')
    assert 'dynamic-section' in script['tags'] and not script.get('args')
    assert {'cado-project-get', 'cado-alarm-list', 'cado-detection-list'} <= {
        command.split('|||')[-1] for command in script['dependson']['must']}


@pytest.mark.parametrize('layout', LAYOUTS, ids=lambda layout: layout['id'])
def test_layout_sections_do_not_overlap(layout):
    cells = {}
    for section in layout_sections(layout):
        for x in range(section['x'], section['x'] + section['w']):
            for y in range(section['y'], section['y'] + section['h']):
                assert (x, y) not in cells, f'{section["name"]} overlaps {cells[(x, y)]}'
                cells[(x, y)] = section['name']
