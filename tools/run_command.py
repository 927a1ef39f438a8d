"""Run any CadoSecurity command locally, without XSOAR, and print its war-room output and context.

    .venv/bin/python tools/run_command.py cado-project-list limit=5
    .venv/bin/python tools/run_command.py cado-pipeline-get pipeline_id=1 polling=true --follow
    .venv/bin/python tools/run_command.py fetch-incidents --last-run '{}'
    CADO_URL=https://cado.example.com CADO_API_KEY=... .venv/bin/python tools/run_command.py test-module

The command runs through the integration's `main()` with the project's XSOAR test doubles (Tests/demistomock,
Tests/CommonServerPython), exactly as the contract suite runs it. Without CADO_URL it starts a local Stoplight
Prism serving Cado's OpenAPI contract (tools/prism.py; install it once with `npm ci`) and stops it afterwards;
Prism answers with the contract's examples and reports any request that does not match the contract, which
this tool prints. With CADO_URL set it talks to that Cado platform with the key in CADO_API_KEY.

Instance parameters start from the YAML defaults; override any with `--param name=value`.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import prism  # noqa: E402  (tools/prism.py: the one place that starts Prism and patches the spec)

INTEGRATION_DIR = ROOT / 'Packs' / 'CadoSecurity' / 'Integrations' / 'CadoSecurity'
INTEGRATION_YML = INTEGRATION_DIR / 'CadoSecurity.yml'
INTEGRATION_MODULE = 'CadoSecurity'
PRISM_API_KEY = 'local-prism-key'  # Prism only checks that a bearer token is present
XSOAR_VERSION = {'version': '8.4.0', 'buildNumber': '100000'}  # a current server: scheduled commands available
ERROR_ENTRY_TYPE = 4  # entryTypes['error']


def setup_import_paths() -> None:
    """The same sys.path the tests get: the root conftest.py puts the XSOAR doubles and pack folders on it."""
    spec = importlib.util.spec_from_file_location('_cado_root_conftest', ROOT / 'conftest.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


# --------------------------------------------------------------------------------------------------------
# The integration's YAML: command names and instance parameters
# --------------------------------------------------------------------------------------------------------

def load_integration_yml(path: Path | None = None) -> dict:
    return yaml.safe_load((path or INTEGRATION_YML).read_text(encoding='utf-8'))


def yml_command_names(yml: dict) -> set[str]:
    """Every command the integration answers: test-module, fetch-incidents (when isfetch) and script.commands."""
    script = yml.get('script', {})
    names = {'test-module'} | {c['name'] for c in script.get('commands', [])}
    if script.get('isfetch'):
        names.add('fetch-incidents')
    return names


def _as_bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in ('true', 'yes', '1')


def instance_params(yml: dict, url: str, api_key: str, overrides: dict | None = None) -> dict:
    """Instance parameters as XSOAR passes them: YAML defaults, the URL, the key in the required credentials param
    (optional credentials, such as Generic Webhook's, are left unset)."""
    params: dict[str, Any] = {}
    for param in yml.get('configuration', []):
        name, kind = param['name'], param.get('type')
        if kind == 9 and param.get('required'):
            params[name] = {'identifier': '', 'password': api_key,
                            'credentials': {'identifier': '', 'password': api_key}, 'passwordChanged': False}
        elif kind == 4:
            params[name] = api_key
        elif 'defaultvalue' in param:
            params[name] = _as_bool(param['defaultvalue']) if kind == 8 else param['defaultvalue']
        elif kind == 8:
            params[name] = False
    url_param = 'url' if any(p['name'] == 'url' for p in yml.get('configuration', [])) else next(
        (p['name'] for p in yml.get('configuration', []) if 'url' in p['name'].lower()), 'url')
    params[url_param] = url
    for name, value in (overrides or {}).items():
        kind = next((p.get('type') for p in yml.get('configuration', []) if p['name'] == name), None)
        params[name] = _as_bool(value) if kind == 8 else value
    return params


# --------------------------------------------------------------------------------------------------------
# Running one command through main() with the doubles
# --------------------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    """What one main() run wrote: war-room entries, fetched incidents, last run, and how it ended."""
    entries: list = field(default_factory=list)
    incidents: list | None = None
    last_run: dict | None = None
    exit_code: int | None = None  # set when main() called sys.exit (return_error does)
    exception: BaseException | None = None

    def errors(self) -> list[str]:
        found = [str(e.get('Contents')) for e in self.entries
                 if isinstance(e, dict) and e.get('Type') == ERROR_ENTRY_TYPE]
        if self.exception is not None:
            found.append(f'unhandled {type(self.exception).__name__}: {self.exception}')
        if self.exit_code not in (None, 0) and not found:
            found.append(f'main() exited with code {self.exit_code}')
        return found

    def scheduled(self) -> dict | None:
        """The scheduled-command part of the last entry that has one (XSOAR's polling), else None."""
        for entry in reversed(self.entries):
            if isinstance(entry, dict) and entry.get('PollingCommand'):
                return entry
        return None


def execute(command: str, args: dict, params: dict, patch_object: Callable, last_run: dict | None = None) -> Outcome:
    """Run `command` through the integration's main() with demisto's functions patched by `patch_object`.

    `patch_object` is `mocker.patch.object` in tests, or `patcher(stack)` below for the runner.
    """
    import CommonServerPython
    import demistomock as demisto

    integration = __import__(INTEGRATION_MODULE)
    outcome = Outcome()

    def record_incidents(incidents=None):
        outcome.incidents = list(incidents or [])

    def record_last_run(value):
        outcome.last_run = value

    patch_object(demisto, 'command', return_value=command)
    patch_object(demisto, 'args', return_value=dict(args))
    patch_object(demisto, 'params', return_value=params)
    patch_object(demisto, 'results', side_effect=outcome.entries.append)
    patch_object(demisto, 'incidents', side_effect=record_incidents)
    patch_object(demisto, 'getLastRun', return_value=dict(last_run or {}))
    patch_object(demisto, 'setLastRun', side_effect=record_last_run)
    patch_object(demisto, 'demistoVersion', return_value=dict(XSOAR_VERSION))
    # CommonServerPython caches the server version on get_demisto_version; pin it for this run only, so that
    # nothing of this run leaks into tests that expect the doubles' default version.
    patch_object(CommonServerPython.get_demisto_version, '_version', dict(XSOAR_VERSION), create=True)
    try:
        integration.main()
    except SystemExit as exc:
        outcome.exit_code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:  # noqa: BLE001 - reported, not hidden
        outcome.exception = exc
    return outcome


def follow_up_args(scheduled: dict) -> dict:
    """The arguments XSOAR passes to the next run of a scheduled (polling) command. Ids are passed as they are: the
    integration tells a present id of 0 (Prism's static examples give every integer as 0) from an absent one."""
    return dict(scheduled.get('PollingArgs') or {})


def patcher(stack: contextlib.ExitStack) -> Callable:
    def patch_object(target, attribute, *args, **kwargs):
        return stack.enter_context(mock.patch.object(target, attribute, *args, **kwargs))
    return patch_object


# --------------------------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------------------------

def print_outcome(outcome: Outcome, out=sys.stdout) -> None:
    for entry in outcome.entries:
        if not isinstance(entry, dict):
            print(entry, file=out)
            continue
        if entry.get('Type') == ERROR_ENTRY_TYPE:
            print(f'ERROR: {entry.get("Contents")}', file=out)
            continue
        readable = entry.get('HumanReadable')
        if readable is None:
            contents = entry.get('Contents')
            readable = contents if isinstance(contents, str) else json.dumps(contents, indent=2, default=str)
        print('## War room\n' + str(readable), file=out)
        if entry.get('EntryContext'):
            print('\n## Context\n' + json.dumps(entry['EntryContext'], indent=2, default=str), file=out)
        if entry.get('PollingCommand'):
            print(f'\n## Scheduled\n{entry["PollingCommand"]} in {entry.get("NextRun")}s '
                  f'(timeout {entry.get("Timeout")}s) with {json.dumps(entry.get("PollingArgs"))}', file=out)
    if outcome.incidents is not None:
        print(f'## Incidents ({len(outcome.incidents)})\n' + json.dumps(outcome.incidents, indent=2, default=str),
              file=out)
    if outcome.last_run is not None:
        print('\n## Last run\n' + json.dumps(outcome.last_run, indent=2, default=str), file=out)
    if outcome.exception is not None:
        print(f'UNHANDLED EXCEPTION: {type(outcome.exception).__name__}: {outcome.exception}', file=out)


def _pairs(items: list[str], what: str) -> dict:
    pairs = {}
    for item in items:
        name, sep, value = item.partition('=')
        if not sep or not name:
            raise SystemExit(f'{what} must look like name=value, got {item!r}')
        pairs[name] = value
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        epilog='Environment: CADO_URL, CADO_API_KEY (unset CADO_URL: local Prism on the vendor contract), '
               'CADO_OPENAPI_SPEC (the contract, default ../shared/cado-api/cado-api.json).')
    parser.add_argument('command', help='integration command, e.g. cado-project-list, test-module, fetch-incidents')
    parser.add_argument('args', nargs='*', metavar='name=value', help='command arguments')
    parser.add_argument('--param', action='append', default=[], metavar='name=value',
                        help='instance parameter override (repeatable)')
    parser.add_argument('--last-run', default='{}', help='fetch-incidents last run, as JSON (default {})')
    parser.add_argument('--follow', action='store_true',
                        help='follow scheduled (polling) runs until done, waiting NextRun seconds between them '
                             '(no wait against the local Prism)')
    parser.add_argument('--max-runs', type=int, default=20, help='with --follow: stop after this many runs')
    opts = parser.parse_args(argv)

    sys.stdout.reconfigure(line_buffering=True)  # keep stdout and stderr lines in order
    setup_import_paths()
    yml = load_integration_yml()
    known = yml_command_names(yml)
    if opts.command not in known:
        parser.error(f'unknown command {opts.command!r}; the integration has: {", ".join(sorted(known))}')
    args = _pairs(opts.args, 'arguments')
    overrides = _pairs(opts.param, '--param')
    last_run = json.loads(opts.last_run)

    with contextlib.ExitStack() as stack:
        url, key = os.environ.get('CADO_URL'), os.environ.get('CADO_API_KEY')
        local = not url
        mock: prism.ContractMock | None = None
        if local:
            work_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix='cado-prism-'))
            try:
                mock = stack.enter_context(prism.contract_mock(Path(work_dir)))
            except prism.ContractHarnessError as exc:
                print(f'Cannot start the local Cado mock: {exc}', file=sys.stderr)
                return 2
            url, key = mock.url, key or PRISM_API_KEY
            print(f'(local Prism {prism.PRISM_VERSION} on {url}, serving {mock.spec_path} '
                  f'with {len(mock.applied_patches)} listed patches)', file=sys.stderr)
        elif not key:
            print('CADO_URL is set but CADO_API_KEY is not.', file=sys.stderr)
            return 2
        params = instance_params(yml, url, key, overrides)
        recorder = stack.enter_context(prism.ExchangeRecorder(url if local else None))

        command, run_args, code = opts.command, args, 0
        for run in range(1, opts.max_runs + 1):
            with contextlib.ExitStack() as patches:
                outcome = execute(command, run_args, params, patcher(patches), last_run=last_run)
            print_outcome(outcome)
            sent = recorder.clear()
            problems = [(e, p) for e in sent for p in prism.contract_problems(mock.contract, e)] if mock else []
            for exchange, problem in problems:
                print(f'CONTRACT VIOLATION: {exchange.describe()} -> {exchange.status}: {problem}', file=sys.stderr)
            code = 1 if outcome.errors() or problems else 0
            scheduled = outcome.scheduled()
            if not (opts.follow and scheduled and code == 0):
                break
            command, run_args = scheduled['PollingCommand'], follow_up_args(scheduled)
            print(f'\n(--follow: run {run + 1}: {command} {json.dumps(run_args)})', file=sys.stderr)
            if not local:
                time.sleep(float(scheduled.get('NextRun') or 10))
        return code


if __name__ == '__main__':
    sys.exit(main())
