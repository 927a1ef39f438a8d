"""The pack's content items (incident fields and types, layouts, mapper, dashboard, scripts, playbooks): what the
pack claims in pack_metadata.json holds for each of them, beyond what demisto-sdk validate checks."""
import json
import re
import warnings
from pathlib import Path

import pytest
import yaml

with warnings.catch_warnings():  # demisto-sdk's command-line layer warns about its own options when imported
    warnings.simplefilter('ignore', DeprecationWarning)
    from demisto_sdk.commands.content_graph.parsers.dashboard import DashboardParser
    from demisto_sdk.commands.validate.validators.DA_validators.DA100_dashboard_contains_forbidden_fields import \
        FIELDS_TO_EXCLUDE
    from demisto_sdk.commands.validate.validators.DA_validators.DA101_dashboard_contains_necessary_fields import \
        FIELDS_TO_INCLUDE

PACK = Path(__file__).resolve().parent.parent / 'Packs' / 'CadoSecurity'
METADATA = json.loads((PACK / 'pack_metadata.json').read_text())
JSON_ITEMS = sorted(path for folder in ('IncidentFields', 'IncidentTypes', 'Layouts', 'Classifiers', 'Dashboards')
                    for path in (PACK / folder).glob('*.json'))
YAML_ITEMS = sorted(path for folder in ('Scripts/*', 'Playbooks', 'TestPlaybooks', 'Integrations/*')
                    for path in PACK.glob(f'{folder}/*.yml'))
FIELDS = [json.loads(path.read_text()) for path in sorted((PACK / 'IncidentFields').glob('*.json'))]
LAYOUTS = [json.loads(path.read_text()) for path in sorted((PACK / 'Layouts').glob('*.json'))]
TYPES = {json.loads(path.read_text())['id'] for path in (PACK / 'IncidentTypes').glob('*.json')}
DASHBOARDS = [json.loads(path.read_text()) for path in sorted((PACK / 'Dashboards').glob('*.json'))]
# demisto-sdk's BA131: the platform modules each of these content types may declare.
XSIAM_AND_AGENTIX = ('IncidentFields', 'IncidentTypes', 'Classifiers')
# demisto-sdk offers XSOAR dashboards only on XSOAR's marketplaces (XSIAM and the platform have XQL dashboards).
DASHBOARD_MARKETPLACES = set(DashboardParser.supported_marketplaces.fget(None))


def load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.suffix == '.json' else yaml.safe_load(path.read_text())


def rel(path: Path) -> str:
    return str(path.relative_to(PACK))


@pytest.mark.parametrize('path', JSON_ITEMS + YAML_ITEMS, ids=rel)
def test_every_item_is_offered_on_every_marketplace_the_pack_claims(path):
    declared = load(path).get('marketplaces')
    claimed = set(METADATA['marketplaces'])
    if path.parent.name == 'Dashboards':
        claimed &= DASHBOARD_MARKETPLACES
    # No key: the item follows the pack. A key must list every marketplace of the pack its content type exists on.
    assert declared is None or claimed <= set(declared), f'{rel(path)}: {declared}'


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


def test_the_pipeline_state_field_records_the_time_to_evidence():
    [state] = [field for field in FIELDS if field['cliName'] == 'cadopipelinestate']
    script = load(PACK / 'Scripts' / state['script'] / f'{state["script"]}.yml')
    assert 'field-change-triggered' in script['tags'] and state['runScriptAfterIncUpdate'] is True
    [timer] = [field for field in FIELDS if field['cliName'] == 'cadotimetoevidence']
    assert timer['type'] == 'number' and timer['associatedTypes'] == ['Cado Detection']


def widgets(dashboard: dict) -> list[dict]:
    return [item['widget'] for item in dashboard['layout']]


def test_there_is_a_cado_security_dashboard():
    [dashboard] = DASHBOARDS
    assert dashboard['name'] == dashboard['id'] == 'Cado Security'
    assert {widget['name'] for widget in widgets(dashboard)} >= {
        'Cado incidents by Cado severity', 'Cado incidents by detection source', 'Cado acquisitions by state',
        'Mean time from detection to evidence'}


@pytest.mark.parametrize('dashboard', DASHBOARDS, ids=lambda d: d['id'])
def test_dashboard_keeps_demisto_sdks_dashboard_rules(dashboard):
    """DA100 and DA101 run on added files only (validate -g): the same rules, on every run."""
    assert not FIELDS_TO_EXCLUDE & set(dashboard) and FIELDS_TO_INCLUDE <= set(dashboard)
    for widget in widgets(dashboard):
        assert not FIELDS_TO_EXCLUDE & set(widget) and FIELDS_TO_INCLUDE <= set(widget['dateRange'])


@pytest.mark.parametrize('dashboard', DASHBOARDS, ids=lambda d: d['id'])
def test_dashboard_widgets_use_searchable_pack_fields_and_types(dashboard):
    fields = {field['cliName']: field for field in FIELDS}
    for widget in widgets(dashboard):
        params = widget['params']
        used = {re.split(r'[|( /]', key)[1 if '|' in key else 0] for key in params.get('groupBy', []) + params.get('keys', [])}
        used |= set(re.findall(r'\b(cado\w+):', widget['query']))
        for name in used - {'occurred'}:
            assert name in fields and fields[name]['unsearchable'] is False, f'{widget["name"]}: {name}'
        assert set(re.findall(r'type:"([^"]+)"', widget['query'])) <= TYPES
        assert widget['dataType'] == 'incidents'


@pytest.mark.parametrize('dashboard', DASHBOARDS, ids=lambda d: d['id'])
def test_dashboard_widgets_fit_the_grid_without_overlapping(dashboard):
    cells = {}
    for item in dashboard['layout']:
        assert item['x'] + item['w'] <= 12, item['widget']['name']
        for x in range(item['x'], item['x'] + item['w']):
            for y in range(item['y'], item['y'] + item['h']):
                assert (x, y) not in cells, f'{item["widget"]["name"]} overlaps {cells[(x, y)]}'
                cells[(x, y)] = item['widget']['name']
