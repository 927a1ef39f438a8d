"""Structural checks of every integration and script YAML in the repository: what demisto-sdk validate misses.

Each failure message names the file, the command or argument, and the problem.
"""
import importlib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_TYPES = {'String', 'Number', 'Boolean', 'Date', 'Unknown'}
PARAM_TYPES = {0, 1, 4, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}  # demisto-sdk's ParameterType
MAX_CONTEXT_DEPTH = 5
# Commands XSOAR calls itself; main() handles them around the dispatch table.
PLATFORM_COMMANDS = {'test-module', 'fetch-incidents'}

INTEGRATION_YMLS = sorted(ROOT.glob('Packs/*/Integrations/*/*.yml'))
SCRIPT_YMLS = sorted(ROOT.glob('Packs/*/Scripts/*/*.yml'))


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def commands_of(integration: dict) -> list[dict]:
    return integration.get('script', {}).get('commands') or []


def blank(text) -> bool:
    return not isinstance(text, str) or not text.strip()


def duplicates(names: list[str]) -> list[str]:
    return sorted({name for name in names if names.count(name) > 1})


def argument_problems(owner: str, arguments: list[dict]) -> list[str]:
    problems = [f'{owner}: argument "{arg.get("name")}" has an empty description'
                for arg in arguments if blank(arg.get('description'))]
    problems += [f'{owner}: argument "{arg.get("name")}" has predefined values but "auto" is not PREDEFINED'
                 for arg in arguments if arg.get('predefined') and arg.get('auto') != 'PREDEFINED']
    problems += [f'{owner}: argument "{name}" is declared more than once'
                 for name in duplicates([arg.get('name') for arg in arguments])]
    return problems


def output_problems(owner: str, outputs: list[dict]) -> list[str]:
    problems = []
    for output in outputs:
        path = output.get('contextPath')
        if blank(path):
            problems.append(f'{owner}: an output has no contextPath ({output})')
            continue
        if blank(output.get('description')):
            problems.append(f'{owner}: output "{path}" has an empty description')
        if output.get('type') not in OUTPUT_TYPES:
            problems.append(f'{owner}: output "{path}" has type {output.get("type")!r}; allowed: {sorted(OUTPUT_TYPES)}')
        if path.count('.') + 1 > MAX_CONTEXT_DEPTH:
            problems.append(f'{owner}: output "{path}" is deeper than {MAX_CONTEXT_DEPTH} levels')
    problems += [f'{owner}: output "{path}" is declared more than once'
                 for path in duplicates([output.get('contextPath') for output in outputs])]
    return problems


def integration_problems(path: Path) -> list[str]:
    integration = load(path)
    name = path.name
    problems = []
    for param in integration.get('configuration') or []:
        if param.get('type') not in PARAM_TYPES:
            problems.append(f'{name}: parameter "{param.get("name")}" has unknown type {param.get("type")!r}')
        if blank(param.get('display')) and not param.get('hidden') and param.get('type') != 9:
            problems.append(f'{name}: parameter "{param.get("name")}" has no display text')
    problems += [f'{name}: parameter "{param}" is declared more than once'
                 for param in duplicates([p.get('name') for p in integration.get('configuration') or []])]
    commands = commands_of(integration)
    problems += [f'{name}: command "{command}" is declared more than once'
                 for command in duplicates([c.get('name') for c in commands])]
    for command in commands:
        owner = f'{name}: command "{command.get("name")}"'
        if blank(command.get('description')):
            problems.append(f'{owner} has an empty description')
        problems += argument_problems(owner, command.get('arguments') or [])
        problems += output_problems(owner, command.get('outputs') or [])
    for key in ('dockerimage', 'type', 'subtype'):
        if blank(integration.get('script', {}).get(key)):
            problems.append(f'{name}: script.{key} is missing')
    if blank(integration.get('display')):
        problems.append(f'{name}: display is missing')
    return problems


def script_problems(path: Path) -> list[str]:
    script = load(path)
    owner = f'{path.name}: script "{script.get("name")}"'
    problems = [f'{owner} has an empty comment (description)'] if blank(script.get('comment')) else []
    problems += argument_problems(owner, script.get('args') or [])
    problems += output_problems(owner, script.get('outputs') or [])
    if blank(script.get('dockerimage')):
        problems.append(f'{owner}: dockerimage is missing')
    return problems


def test_the_pack_has_an_integration():
    assert INTEGRATION_YMLS, 'no integration YAML found under Packs/*/Integrations'


@pytest.mark.parametrize('path', INTEGRATION_YMLS, ids=lambda p: p.name)
def test_integration_yaml_is_well_formed(path):
    problems = integration_problems(path)
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('path', SCRIPT_YMLS, ids=lambda p: p.name)
def test_script_yaml_is_well_formed(path):
    problems = script_problems(path)
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('path', INTEGRATION_YMLS, ids=lambda p: p.name)
def test_every_yaml_command_is_dispatched_and_every_dispatched_command_is_declared(path):
    module = importlib.import_module(path.stem)
    declared = {command['name'] for command in commands_of(load(path))}
    dispatched = set(module.COMMANDS)
    undispatched = sorted(declared - dispatched - PLATFORM_COMMANDS)
    assert not undispatched, f'{path.name}: commands declared in the YAML but missing from COMMANDS: {undispatched}'
    assert not dispatched - declared, \
        f'{path.name}: commands dispatched by main() but not declared in the YAML: {sorted(dispatched - declared)}'
    main_source = Path(module.__file__).read_text()
    for command in PLATFORM_COMMANDS:
        if command in declared or command == 'test-module':
            assert f"'{command}'" in main_source, f'{path.name}: main() does not handle {command}'


def test_checks_catch_deliberate_breakage(tmp_path):
    """The checks above must name each kind of breakage the issue lists."""
    broken = {
        'display': 'X', 'configuration': [{'name': 'url', 'type': 99, 'display': 'URL'}],
        'script': {'dockerimage': 'demisto/python3:3.11', 'type': 'python', 'subtype': 'python3', 'commands': [
            {'name': 'cado-x-get', 'description': '',
             'arguments': [{'name': 'id', 'description': 'd'}, {'name': 'id', 'description': 'd'}],
             'outputs': [{'contextPath': 'Cado.X.id', 'description': 'd', 'type': 'Strin'},
                         {'contextPath': 'A.B.C.D.E.F', 'description': 'd', 'type': 'String'},
                         {'description': 'no path', 'type': 'String'}]},
            {'name': 'cado-x-get', 'description': 'again'}]}}
    tmp = tmp_path / 'broken_integration.yml'
    tmp.write_text(yaml.safe_dump(broken))
    problems = '\n'.join(integration_problems(tmp))
    for expected in ('command "cado-x-get" has an empty description', 'argument "id" is declared more than once',
                     "type 'Strin'", 'deeper than 5 levels', 'has no contextPath', 'unknown type 99',
                     'command "cado-x-get" is declared more than once'):
        assert expected in problems
