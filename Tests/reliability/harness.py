"""Runs one integration command through `main()` with the XSOAR doubles and records everything it emitted.

Only XSOAR's public API is patched (demisto.params/args/command/results/incidents/getLastRun/setLastRun and the
log functions), so the suites also hold against XSOAR's real modules. Nothing is mocked below `requests`: the
requests go to a real socket (fault suite) or to requests_mock (hostile-input suite).
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import yaml

from .cado_api import INTEGRATION_YML

ERROR_ENTRY_TYPE = 4
# Texts of Python's own exceptions: an error entry showing one is not a message an analyst can act on.
PYTHON_INTERNALS = re.compile(
    r"object has no attribute|NoneType|not subscriptable|unhashable|KeyError|IndexError|TypeError|AttributeError|"
    r"invalid literal|could not convert|Traceback|object is not iterable|unsupported operand|list index out of range|"
    r"is out of range|value out of range|timestamp out of range|cannot convert|OverflowError|too large to convert|"
    r"codec can't|surrogates not allowed|"
    r"unexpected keyword|positional argument|not supported between instances|must be real number|"
    r"can only concatenate|object is not callable|expected str instance")
XSOAR_VERSION = {'version': '8.4.0', 'buildNumber': '100000'}
SERVER_HANDLED = ('fetch-incidents',)  # return_error raises instead of writing an entry


@functools.lru_cache(maxsize=1)
def _yml_cached(mtime: float) -> dict:
    return yaml.safe_load(INTEGRATION_YML.read_text(encoding='utf-8'))


def load_yml() -> dict:
    """The integration YAML, parsed once per file version (shared: do not modify it)."""
    return _yml_cached(INTEGRATION_YML.stat().st_mtime)


def yml_commands(yml: dict | None = None) -> dict[str, list[dict]]:
    """Every command main() answers, with its YAML arguments: test-module, fetch-incidents and script.commands."""
    yml = yml or load_yml()
    script = yml.get('script', {})
    commands = {'test-module': []}
    if script.get('isfetch'):
        commands['fetch-incidents'] = []
    for command in script.get('commands', []):
        commands[command['name']] = list(command.get('arguments') or [])
    return commands


def instance_params(url: str, api_key: str, **overrides: Any) -> dict[str, Any]:
    """Instance parameters as XSOAR passes them (YAML defaults, credentials param holding the key)."""
    params: dict[str, Any] = {}
    for param in load_yml().get('configuration', []):
        name, kind = param['name'], param.get('type')
        if kind == 9 and param.get('required'):  # optional credentials (Generic Webhook's) are left unset
            params[name] = {'identifier': '', 'password': api_key, 'passwordChanged': False,
                            'credentials': {'identifier': '', 'password': api_key}}
        elif 'defaultvalue' in param:
            value = param['defaultvalue']
            params[name] = str(value).lower() in ('true', 'yes') if kind == 8 else value
        elif kind == 8:
            params[name] = False
    params.update({'url': url, 'insecure': False, 'proxy': False})
    params.update(overrides)
    return params


class _Capture(logging.Handler):
    def __init__(self, sink: list[str]):
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.sink.append(record.getMessage())
        except Exception:  # noqa: BLE001 - a bad log call must not hide what the integration did
            self.sink.append(repr(record.msg))


@dataclass
class Outcome:
    command: str
    entries: list = field(default_factory=list)  # everything passed to demisto.results
    incidents: list | None = None
    last_run_calls: list = field(default_factory=list)  # every demisto.setLastRun argument
    logs: list[str] = field(default_factory=list)  # demisto.debug/info/log/error and the logging root
    return_error_calls: list[str] = field(default_factory=list)
    exit_code: int | None = None
    exception: BaseException | None = None  # raised out of main()

    @property
    def errors(self) -> list[str]:
        found = [str(e.get('Contents')) for e in self.entries if isinstance(e, dict) and e.get('Type') == ERROR_ENTRY_TYPE]
        if self.command in SERVER_HANDLED and self.exception is not None and self.return_error_calls:
            found.append(str(self.exception))
        return found

    @property
    def uncaught(self) -> BaseException | None:
        """An exception that left main() without going through return_error."""
        if self.exception is None:
            return None
        if self.command in SERVER_HANDLED and self.return_error_calls:
            return None
        return self.exception

    @property
    def ok_entries(self) -> list[dict]:
        return [e for e in self.entries if isinstance(e, dict) and e.get('Type') != ERROR_ENTRY_TYPE]

    @property
    def context(self) -> dict:
        merged: dict = {}
        for entry in self.ok_entries:
            merged.update(entry.get('EntryContext') or {})
        return merged

    def emitted(self) -> dict[str, str]:
        """Everything the pack handed to XSOAR, by channel (for the secret scan)."""
        channels = {'war-room entries (readable output, context, raw response)': json.dumps(self.entries, default=repr),
                    'incidents': json.dumps(self.incidents, default=repr),
                    'last run': json.dumps(self.last_run_calls, default=repr),
                    'logs (demisto.debug/info/error/log, logging)': '\n'.join(self.logs),
                    'return_error message': '\n'.join(self.return_error_calls)}
        if self.exception is not None:
            parts = [repr(self.exception), str(self.exception)]
            cause = self.exception.__cause__ or self.exception.__context__
            while cause is not None:
                parts += [repr(cause), str(cause)]
                cause = cause.__cause__ or cause.__context__
            channels['exception raised from main()'] = '\n'.join(parts)
        return channels

    def emitted_text(self) -> str:
        return '\n'.join(self.emitted().values())


def run_main(command: str, args: dict[str, Any] | None = None, params: dict[str, Any] | None = None,
             last_run: dict[str, Any] | None = None, capture_debug_logs: bool = False) -> Outcome:
    """`main()` for one command. The patches are mocker-style `patch.object`s, undone when the run ends, so that
    many runs inside one test (hypothesis examples, successive fetches) do not stack them."""
    with contextlib.ExitStack() as stack:
        return _run_main(stack.enter_context, command, args, params, last_run, capture_debug_logs)


def _run_main(enter, command, args, params, last_run, capture_debug_logs) -> Outcome:
    import demistomock as demisto

    import CadoSecurity

    outcome = Outcome(command)

    def record_incidents(incidents=None):
        outcome.incidents = list(incidents or [])

    def log_to(level):
        def write(msg, *a):
            try:
                text = str(msg) % a if a else str(msg)
            except TypeError:
                text = ' '.join(map(str, (msg, *a)))
            outcome.logs.append(f'{level}: {text}')
        return write

    real_return_error = CadoSecurity.return_error

    def spy_return_error(message, *a, **kw):
        outcome.return_error_calls.append(str(message))
        return real_return_error(message, *a, **kw)

    def patch(target, name, replacement):
        enter(mock.patch.object(target, name, new=replacement))

    args, params = dict(args or {}), dict(params or {})
    last_run_copy = json.loads(json.dumps(last_run or {}))
    patch(demisto, 'command', lambda: command)
    patch(demisto, 'args', lambda: args)
    patch(demisto, 'params', lambda: params)
    patch(demisto, 'results', outcome.entries.append)
    patch(demisto, 'incidents', record_incidents)
    patch(demisto, 'getLastRun', lambda: last_run_copy)
    patch(demisto, 'setLastRun', outcome.last_run_calls.append)
    patch(demisto, 'demistoVersion', lambda: dict(XSOAR_VERSION))
    # File entries numbered in the order a run makes them, so that the entries of two runs compare equal.
    file_ids = itertools.count(1)
    patch(demisto, 'uniqueFile', lambda: f'file-{next(file_ids)}')
    for name in ('debug', 'info', 'log', 'error'):
        patch(demisto, name, log_to(name))
    patch(CadoSecurity, 'return_error', spy_return_error)

    handler = _Capture(outcome.logs)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    if capture_debug_logs:
        root.setLevel(logging.DEBUG)
    try:
        CadoSecurity.main()
    except SystemExit as exc:
        outcome.exit_code = exc.code if isinstance(exc.code, int) else 0
    except Exception as exc:  # noqa: BLE001 - recorded; the suites decide
        outcome.exception = exc
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    return outcome
