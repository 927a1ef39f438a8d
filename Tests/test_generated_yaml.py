"""The integration YAML against the tables of CadoSecurity.py: what tools/generate_yaml.py writes is what is
committed, and what it does not write (the list commands' outputs, cado-xdr-device-list) is compared field by field."""
import difflib

import pytest
import yaml

import CadoSecurity
import generate_yaml  # tools/generate_yaml.py
from CadoSecurity import XDR_LISTINGS, Source, project_field

TEXT = generate_yaml.INTEGRATION_YML.read_text(encoding='utf-8')
COMMANDS = {command['name']: command for command in yaml.safe_load(TEXT)['script']['commands']}


def test_committed_yaml_is_generated_from_the_tables():
    generated = generate_yaml.generate(TEXT)
    diff = ''.join(difflib.unified_diff(TEXT.splitlines(True), generated.splitlines(True), 'committed', 'generated'))
    assert not diff, f'CadoSecurity.yml is not what the tables give: run `make yaml`.\n{diff[:4000]}'


def test_a_new_source_gets_its_whole_command_after_the_source_before_it(monkeypatch):
    name = 'cado-test-only-acquire'
    new = Source('Test only', 'import_test_only', 'url', 'Imports nothing.', (project_field('project_id'),))
    sources = list(CadoSecurity.SOURCES.items())
    monkeypatch.setattr(CadoSecurity, 'SOURCES', dict([*sources[:3], (name, new), *sources[3:]]))
    commands = yaml.safe_load(generate_yaml.generate(TEXT))['script']['commands']
    names = [command['name'] for command in commands]
    at = [*COMMANDS].index(sources[2][0]) + 1
    assert names == [*COMMANDS][:at] + [name] + [*COMMANDS][at:]
    command = commands[at]
    assert command['description'].startswith('Imports nothing. With polling=true')
    assert [argument['name'] for argument in command['arguments'] if not argument.get('hidden')] == [
        'project_id', 'polling', 'interval_in_seconds', 'timeout_in_seconds', 'wait_for_processing']
    assert command['outputs'] == COMMANDS['cado-url-acquire']['outputs']
    assert command['polling'] is True


@pytest.mark.parametrize(('field', 'expected'), [
    (CadoSecurity.Field('a', 'a', 'bool', required=True, default=False, description='d'),
     {'name': 'a', 'description': 'd', 'auto': 'PREDEFINED', 'predefined': ['true', 'false'], 'defaultValue': 'false'}),
    (CadoSecurity.Field('b', 'b', 'list', required=True, choices=('x', 'y'), description='d'),
     {'name': 'b', 'description': 'd', 'auto': 'PREDEFINED', 'predefined': ['x', 'y'], 'required': True,
      'isArray': True}),
    (project_field('project_id'), {'name': 'project_id', 'description': CadoSecurity.ACQUISITION_PROJECT}),
    (CadoSecurity.Field('c', 'c', 'int', default=30, description='d'), {'name': 'c', 'description': 'd',
                                                                        'defaultValue': '30'}),
])
def test_argument_flags_follow_the_field(field, expected):
    """Required only when nothing stands in for the argument; booleans and choices are predefined."""
    assert generate_yaml.argument(field) == expected


# ---------------------------------------------------------------------------------------- not generated: compared


def list_commands() -> list[tuple[str, CadoSecurity.Entity]]:
    return [(name, listing.entity) for name, listing in CadoSecurity.LISTINGS.items()] + \
        [('cado-xdr-device-list', CadoSecurity.XDR_DEVICE)]


@pytest.mark.parametrize(('command', 'entity'), list_commands(), ids=[name for name, _ in list_commands()])
def test_list_outputs_document_the_key_and_every_table_column(command, entity):
    declared = {output['contextPath'] for output in COMMANDS[command]['outputs']}
    shown = {f'{entity.prefix}.{entity.key}'} | {f'{entity.prefix}.{path}' for _, path in entity.columns}
    assert shown <= declared, f'{command} shows undocumented paths {sorted(shown - declared)}'


def test_timestamp_outputs_are_dates_and_only_they():
    """The integration turns TIMESTAMP_FIELDS into ISO 8601 text: exactly those outputs are of type Date."""
    wrong = [f'{name}: {output["contextPath"]} ({output["type"]})' for name, command in COMMANDS.items()
             for output in command.get('outputs', [])
             if (output['contextPath'].rsplit('.', 1)[-1] in CadoSecurity.TIMESTAMP_FIELDS) != (output['type'] == 'Date')]
    assert not wrong


def test_xdr_device_list_arguments_are_the_providers_filters():
    arguments = {argument['name']: argument for argument in COMMANDS['cado-xdr-device-list']['arguments']}
    assert arguments['provider']['predefined'] == list(XDR_LISTINGS)
    assert arguments['provider'].get('required') is True
    filters = {field.arg: field for listing in XDR_LISTINGS.values() for field in listing.filters}
    paging = {field.arg: field for field in CadoSecurity.CURSOR_FIELDS}
    assert set(arguments) == {'provider', *filters, *paging}
    for name, field in {**filters, **paging}.items():
        expected = generate_yaml.argument(field)
        # A filter one provider requires is optional for the command as a whole.
        assert {key: arguments[name].get(key) for key in ('auto', 'predefined', 'isArray', 'defaultValue')} == \
            {key: expected.get(key) for key in ('auto', 'predefined', 'isArray', 'defaultValue')}, name
        assert 'required' not in arguments[name], name


def test_polling_arguments_default_as_the_polling_code_does():
    polling, interval, timeout, wait = CadoSecurity.ACQUISITION_POLLING_FIELDS
    assert CadoSecurity.polling_settings({}, first_run=True) == (polling.default, interval.default, timeout.default)
    assert CadoSecurity.parse_field({}, wait) is False
