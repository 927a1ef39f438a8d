"""Writes the table-driven parts of CadoSecurity.yml from the integration's tables, in place.

    .venv/bin/python tools/generate_yaml.py           # or: make yaml
    .venv/bin/python tools/generate_yaml.py --check   # exit 1, saying what differs, when the YAML is stale
    .venv/bin/python tools/generate_yaml.py --examples dist/command_examples   # or: make command-examples

Written from CadoSecurity.py: every acquisition command of SOURCES whole (description, arguments, the one
Cado.Acquisition output list, polling), and the arguments of every list command of LISTINGS. A source new to
SOURCES gets its command after the command of the source before it. Everything else (other commands, the list
commands' outputs, the configuration, key order, quoting and line folding) is read and written back untouched:
ruamel.yaml, set up as demisto-sdk format writes, round-trips the file byte for byte.
`Tests/test_generated_yaml.py` fails when the committed YAML is not what this writes.

`--examples` writes instead one example per command (the command_examples file `demisto-sdk generate-docs -e`
reads) from the shared argument table, Tests/support/command_args.py; the integration README shows the same lines.
"""
from __future__ import annotations

import argparse
import difflib
import io
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from run_command import INTEGRATION_YML, setup_import_paths

setup_import_paths()
import CadoSecurity  # noqa: E402
import command_args  # noqa: E402
from CadoSecurity import Field, Listing, Source  # noqa: E402

BOOLEAN_CHOICES = ('true', 'false')


def yaml_io() -> YAML:
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 120
    yaml.preserve_quotes = True
    return yaml


def argument(field: Field, hidden: bool = False) -> dict[str, Any]:
    """A field as a YAML argument, keys in the order the file uses."""
    choices = BOOLEAN_CHOICES if field.kind == 'bool' else field.choices
    default = field.default
    entry: dict[str, Any] = {'name': field.arg, 'description': field.description}
    if choices:
        entry.update(auto='PREDEFINED', predefined=list(choices))
    # An instance default or a default value stands in for an absent argument: XSOAR must not demand it.
    if field.required and not field.fallback and default is None:
        entry['required'] = True
    if field.kind in ('list', 'int_list'):
        entry['isArray'] = True
    if default not in (None, ''):
        entry['defaultValue'] = str(default).lower() if isinstance(default, bool) else str(default)
    if hidden:
        entry['hidden'] = True
    return entry


def source_arguments(source: Source) -> list[dict[str, Any]]:
    fields = [*source.fields, *([source.label_arg] if source.label_arg else []),
              *(CadoSecurity.HOST_OPTION_FIELDS if source.host_options else ()), *CadoSecurity.ACQUISITION_POLLING_FIELDS]
    return [argument(field) for field in fields] + [argument(field, hidden=True)
                                                    for field in CadoSecurity.POLLING_STATE_FIELDS]


def acquisition_command(name: str, source: Source) -> dict[str, Any]:
    prefix = CadoSecurity.ACQUISITION.prefix
    return {
        'name': name,
        'description': f'{source.description} {CadoSecurity.POLLING_DESCRIPTION}',
        'arguments': source_arguments(source),
        'outputs': [{'contextPath': f'{prefix}.{output.path}', 'description': output.description, 'type': output.type}
                    for output in CadoSecurity.ACQUISITION_OUTPUTS
                    if output.path != 'resource_id' or source.resource_arg],  # no resource argument: none written
        'polling': True,
        **({'execution': True} if source.execution else {}),
    }


def listing_arguments(listing: Listing) -> list[dict[str, Any]]:
    return [argument(field) for field in (*listing.filters, *CadoSecurity.PAGING_FIELDS[listing.paging])]


def place(commands: list, name: str, command: dict[str, Any], previous: str | None) -> None:
    """Replaces the command called `name`; a new one goes after `previous` (or before the first acquisition)."""
    names = [existing['name'] for existing in commands]
    if name in names:
        commands[names.index(name)] = command
    elif previous:
        commands.insert(names.index(previous) + 1, command)
    else:
        commands.insert(next((i for i, known in enumerate(names) if known in CadoSecurity.SOURCES), len(names)), command)


def generate(text: str) -> str:
    """The integration YAML `text` with its table-driven parts written from the tables."""
    yaml = yaml_io()
    document = yaml.load(text)
    commands = document['script']['commands']
    previous = None
    for name, source in CadoSecurity.SOURCES.items():
        place(commands, name, acquisition_command(name, source), previous)
        previous = name
    for command in commands:
        if command['name'] in CadoSecurity.LISTINGS:
            command['arguments'] = listing_arguments(CadoSecurity.LISTINGS[command['name']])
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--check', action='store_true', help='only report whether the YAML is up to date')
    parser.add_argument('--path', type=Path, default=INTEGRATION_YML, help='the integration YAML')
    parser.add_argument('--examples', type=Path, metavar='FILE', help='write the command examples to FILE instead')
    opts = parser.parse_args(argv)
    current = opts.path.read_text(encoding='utf-8')
    if opts.examples:
        names = [command['name'] for command in yaml_io().load(current)['script']['commands']]
        opts.examples.write_text(''.join(f'{command_args.example_line(name)}\n' for name in names), encoding='utf-8')
        print(f'{len(names)} command examples written to {opts.examples}.')
        return 0
    generated = generate(current)
    if generated == current:
        print(f'{opts.path.name} is up to date with the tables.')
        return 0
    if opts.check:
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), generated.splitlines(True),
                                                   'committed', 'generated'))
        print(f'{opts.path.name} differs from the tables: run `make yaml`.', file=sys.stderr)
        return 1
    opts.path.write_text(generated, encoding='utf-8')
    print(f'{opts.path.name} written from the tables.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
