"""Hostile-input suite: hypothesis drives every command of the YAML through `main()` with generated arguments.

Arguments start from a valid set (command_args.VALID_ARGS) and hypothesis replaces or drops any of them with
hostile values: empty, whitespace, unicode (including digits `isdigit()` accepts but `int()` refuses), huge,
negative, floats, wrong types (int, bool, list, dict, None), and injection-looking strings (`../`, `%2e%2e/`,
`?x=1`, `#`, CR/LF, absolute URLs). test-module and fetch-incidents take no arguments, so their instance
parameters are generated instead. Every request goes to requests_mock's catch-all, which answers like the API.

The only acceptable outcomes:
- a valid request: path under /api/v3/, on a route the command uses with valid arguments, every path parameter
  equal to an integer or to the argument it came from (nothing truncated at `#` or `?`, no dot segment, no extra
  segment), and only query parameters and body fields the contract declares for that operation (tools/contract.py,
  when the spec is present);
- or a clear error naming the argument (or instance parameter), not a Python error text;
never an exception escaping main().
"""
from __future__ import annotations

import json
import re
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests_mock
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from CadoSecurity import SOURCES
from command_args import VALID_ARGS  # Tests/support: the one table of valid arguments
from contract import Contract  # tools/contract.py: the one request checker
from prism import find_spec, load_patched_spec

from .cado_api import match_route, media_type, respond
from .command_cases import OFFLINE, POLLING_ARGS
from .conftest import API_KEY
from .harness import PYTHON_INTERNALS, Outcome, instance_params, load_yml, run_main, yml_commands

BASE_URL = 'https://cado.example.com'
EXAMPLES_PER_COMMAND = 25
COMMANDS = yml_commands()
YML = load_yml()
PARAM_NAMES = {p['name']: p.get('display') or p['name'] for p in YML.get('configuration', [])}
DROP = object()  # an argument removed from the valid set

INJECTIONS = ['../', '../../../../etc/passwd', '..', '.', '%2e%2e/', '%2e%2e%2f', '..%2f..%2fsystem%2fstatus',
              '?x=1', '?injected=1', 'a?injected=1', '&injected=1', '#', 'a#b', '1#2', '12/../13', '12/',
              '/12', '12?', 'a/b', '//evil.example.com/x', 'http://evil.example.com/', '\r\nX-Injected: 1',
              'a\r\nb', '\n', '\t', '%00', '\x00', '%0d%0aX: 1', "1' OR '1'='1", '${jndi:ldap://x}', '{{7*7}}',
              '<script>alert(1)</script>', '| cat /etc/passwd', ';rm -rf /']
NUMBERISH = ['-1', '0', '-0', ' 12 ', '12 ', '1.5', '1e3', '1e309', '9' * 40, '0x10', 'NaN', 'inf', '-inf', '١٢',
             '²', '½', '𝟙𝟚', '12abc', '+5', '٣', '1_000', '99999999999999999999999']
WHITESPACE = ['', ' ', '   ', '\t', '\u00a0', '\u200b', '\u3000']
UNICODE = ['é', 'Ωmega', '💥', '\u202eevil', '漢字', 'a\u0301', '\ud7ff', 'İ', 'ß']
STRUCTURED = ['[', ']', '[]', '{}', '[1, 2]', '["a", "b"]', '{"a": 1}', 'null', 'true', 'false', 'None', 'TRUE',
              ' true', 'yes', 'no', '1', ',', ',,', 'a,,b', ' , ']
HUGE = ['x' * 100_000, '1' * 5000, ','.join(['1'] * 5000), '[' + ','.join(['{}'] * 2000) + ']']


def hostile_values() -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(INJECTIONS + NUMBERISH + WHITESPACE + UNICODE + STRUCTURED + HUGE),
        st.text(max_size=30),
        st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.none(),
        st.lists(st.one_of(st.text(max_size=8), st.integers(-5, 5)), max_size=3),
        st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
        st.just(DROP),
    )


def value_strategy(argument: dict) -> st.SearchStrategy:
    choices = [v for v in (argument.get('predefined') or []) if v]
    plausible = [st.sampled_from(choices)] if choices else []
    if argument.get('defaultValue') not in (None, ''):
        plausible.append(st.just(str(argument['defaultValue'])))
    return st.one_of(*plausible, hostile_values()) if plausible else hostile_values()


def args_strategy(command: str) -> st.SearchStrategy:
    base = VALID_ARGS.get(command, {})
    optional = {a['name']: value_strategy(a) for a in COMMANDS[command]}
    # Sometimes the instance defaults are hostile too (they stand in for omitted project/account/region).
    param_overrides = st.fixed_dictionaries({}, optional={name: hostile_values() for name in (
        'default_project', 'default_account', 'default_region')})

    def merge(changes: dict, param_changes: dict) -> tuple[dict, dict, set[str]]:
        args = dict(base)
        for name, value in changes.items():
            if value is DROP:
                args.pop(name, None)
            else:
                args[name] = value
        params = {k: v for k, v in param_changes.items() if v is not DROP}
        return args, params, set(changes) | set(param_changes)

    return st.builds(merge, st.fixed_dictionaries({}, optional=optional), param_overrides)


def params_strategy() -> st.SearchStrategy:
    """Instance parameters for test-module and fetch-incidents (their only input)."""
    names = ('first_fetch', 'max_fetch', 'severity', 'source', 'fetch_updated_detections', 'timeout', 'isFetch',
             'default_project', 'default_account', 'default_region')
    plausible = {'severity': st.sampled_from(['critical', 'high,low', ['medium'], []]),
                 'source': st.sampled_from(['GuardDuty', 'Wiz,Darktrace', ['CrowdStrike']]),
                 'first_fetch': st.sampled_from(['3 days', '2024-01-01T00:00:00Z', '1 hour']),
                 'max_fetch': st.sampled_from(['1', '50', '200']),
                 'isFetch': st.booleans()}
    optional = {name: st.one_of(plausible[name], hostile_values()) if name in plausible else hostile_values()
                for name in names}

    def merge(changes: dict) -> tuple[dict, dict, set[str]]:
        params = {k: v for k, v in changes.items() if v is not DROP}
        return {}, params, set(changes)

    return st.builds(merge, st.fixed_dictionaries({}, optional=optional))


# ---------------------------------------------------------------------------------------------- the oracle


def mocked_api(mocker: requests_mock.Mocker) -> None:
    ioc_rules: dict[str, str] = {}  # the custom IOC rules text written, by path: read back as a real Cado would

    def answer(request, context):
        path = urlsplit(request.url).path
        status, body = respond(request.method, path, parse_qs(urlsplit(request.url).query))
        if request.method == 'PATCH' and isinstance(request.json(), dict) and 'ioc' in request.json():
            ioc_rules[path] = request.json()['ioc']
        elif request.method == 'GET' and path in ioc_rules and status == 200:
            holder = body['data'] if path.endswith('/intelligence') else body['data']['details']
            holder['ioc'] = {'custom_data': {'user_input': ioc_rules[path]}}
        context.status_code = status
        context.headers['Content-Type'] = media_type(request.method, path)
        return body if isinstance(body, bytes) else json.dumps(body).encode()

    mocker.register_uri(requests_mock.ANY, requests_mock.ANY, content=answer)


@cache
def allowed_routes(command: str) -> frozenset:
    """The (method, template) pairs `command` requests with valid arguments (and in its polling and provider
    variants): a hostile argument may change what is asked, never where it is asked."""
    variants = [VALID_ARGS.get(command, {})]
    if command in POLLING_ARGS or command in SOURCES:
        variants.append({**VALID_ARGS[command], 'polling': 'true', 'wait_for_processing': 'true',
                         'interval_in_seconds': '10', 'pipeline_id': '4281', 'pipeline_ids': '4281'})
        variants.append({**VALID_ARGS[command], 'polling': 'true', 'interval_in_seconds': '10',
                         'pipeline_id': '4281', 'processing_pipeline_id': '4282'})
    if command == 'cado-pipeline-get':
        variants.append(POLLING_ARGS[command])
    if command == 'cado-xdr-device-list':
        variants += [{'provider': p, 'account': 'a', 'appliance_name': 'x'} for p in
                     ('crowdstrike', 'sentinelone', 'defender', 'darktrace')]
    if command in ('cado-ioc-rule-list', 'cado-ioc-rule-push'):  # a project's rules, and a push that writes
        writes = {'dry_run': 'false'} if command == 'cado-ioc-rule-push' else {}
        variants += [{**VALID_ARGS[command], 'project_id': '12', **writes}, {**VALID_ARGS[command], **writes}]
    routes = set()
    for args in variants:
        params = instance_params(BASE_URL, API_KEY, isFetch=True, first_fetch='2024-01-01T00:00:00Z')
        with requests_mock.Mocker() as m:
            mocked_api(m)
            run_main(command, args, params)
            for request in m.request_history:
                found = match_route(request.method, urlsplit(request.url).path)
                if found:
                    routes.add((request.method, found[0]))
    return frozenset(routes)


def string_values(value: Any) -> set[str]:
    if isinstance(value, (list, tuple)):
        return set().union(*(string_values(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return set()
    text = str(value)
    return {text, text.strip()} | {part.strip() for part in text.split(',')}


def request_violations(command: str, history, args: dict, params: dict) -> list[str]:
    problems = []
    routes = allowed_routes(command)
    contract = _contract()
    given_values = set().union(*(string_values(v) for v in list(args.values()) + list(params.values()))) \
        if (args or params) else set()
    for request in history:
        url = urlsplit(request.url)
        where = f'{request.method} {request.url[:200]}'
        if not url.path.startswith('/api/v3/'):
            problems.append(f'outside /api/v3/: {where}')
            continue
        # A dot segment on the wire (a percent-encoded `/` inside one parameter is the correct escaping).
        if any(unquote(segment) in ('.', '..') for segment in url.path.split('/')):
            problems.append(f'dot segment in path: {where}')
        if url.fragment:
            problems.append(f'fragment in URL: {where}')
        found = match_route(request.method, url.path)
        if found is None:
            problems.append(f'not a route of the API: {where}')
            continue
        template, values = found
        if (request.method, template) not in routes:
            problems.append(f'{command} reached {request.method} {template}, which it never uses: {where}')
        for value in values:
            decoded = unquote(value)
            if not re.fullmatch(r'\d+', decoded) and decoded not in given_values:
                problems.append(f'path parameter "{decoded}" is neither a number nor an argument as given: {where}')
        if contract is not None:
            # Names only: values the integration passes through unchecked are Cado's to refuse (a URL is one).
            problems += [f'{problem}: {where}' for problem in contract.request_problems(request, names_only=True)]
    return problems


@cache
def _contract() -> Contract | None:
    """The request checker when the vendor's spec is present; without it only routes and paths are judged."""
    spec_path = find_spec()
    return Contract(load_patched_spec(spec_path)[0]) if spec_path else None


def names_for(command: str) -> list[re.Pattern]:
    """How an error may name its input: an argument name as a word (`"limit"`, `limit must...`), or an instance
    parameter by name or display name."""
    names = {a['name'] for a in COMMANDS[command]} | set(PARAM_NAMES)
    patterns = [re.compile(rf'(?<![\w-]){re.escape(name)}(?![\w-])', re.IGNORECASE) for name in names]
    for display in PARAM_NAMES.values():
        patterns.append(re.compile(re.escape(display.split(' (')[0]), re.IGNORECASE))
    return patterns


def error_problems(command: str, outcome: Outcome, touched: set[str]) -> list[str]:
    problems = []
    if outcome.uncaught is not None:
        problems.append(f'uncaught {type(outcome.uncaught).__name__}: {str(outcome.uncaught)[:300]}')
    for message in outcome.errors:
        short = message[:400]
        if PYTHON_INTERNALS.search(message):
            problems.append(f'error is a Python internal, not a message: {short}')
        elif not any(pattern.search(message.split('Error:', 1)[-1]) for pattern in names_for(command)):
            problems.append(f'error names no argument or parameter: {short}')
    return problems


def check(command: str, generated: tuple[dict, dict, set[str]]) -> None:
    args, param_changes, touched = generated
    params = instance_params(BASE_URL, API_KEY, **{'isFetch': True, 'first_fetch': '2024-01-01T00:00:00Z',
                                                   **param_changes})
    with requests_mock.Mocker() as m:
        mocked_api(m)
        outcome = run_main(command, args, params, {} if command == 'fetch-incidents' else None)
        history = list(m.request_history)
    problems = error_problems(command, outcome, touched) + request_violations(command, history, args, param_changes)
    assert not problems, (f'{command} with args {_short(args)} and params {_short(param_changes)}:\n  '
                          + '\n  '.join(problems))


def _short(value: Any) -> str:
    text = json.dumps(value, default=repr, ensure_ascii=False)
    return text if len(text) < 400 else text[:400] + f'... ({len(text)} chars)'


# ---------------------------------------------------------------------------------------------- tests


def test_every_yaml_command_has_valid_args():
    assert set(COMMANDS) == set(VALID_ARGS), 'command_args.VALID_ARGS must list exactly the YAML commands'


@pytest.mark.parametrize('command', sorted(COMMANDS))
def test_valid_arguments_make_valid_requests(command):
    """The baseline the property tests perturb: valid arguments succeed and stay on the contract."""
    check(command, (VALID_ARGS.get(command, {}), {}, set()))
    assert bool(allowed_routes(command)) != (command in OFFLINE), f'{command}: requests made or missing'


# Deterministic and bounded for CI: derandomized, no example database, no shrinking (a failing example is reported
# as generated; derandomize makes it the same on every run).
HOSTILE_SETTINGS = settings(max_examples=EXAMPLES_PER_COMMAND, deadline=None, derandomize=True, database=None,
                            phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
                            print_blob=True)


@pytest.mark.parametrize('command', sorted(COMMANDS))
def test_hostile_arguments(command):
    strategy = params_strategy() if command in ('test-module', 'fetch-incidents') else args_strategy(command)

    @HOSTILE_SETTINGS
    @given(generated=strategy)
    def run(generated):
        check(command, generated)

    run()


# Hand-picked cases hypothesis may not reach in 25 examples: every id-like argument of every command gets each
# injection, one at a time, on top of the valid arguments.
ID_LIKE = re.compile(r'(^|_)(id|ids|name|names|bucket|prefix|url|project|account|region|zone|group|token)$')
INJECTION_CASES = sorted({(command, argument['name']) for command, arguments in COMMANDS.items()
                          for argument in arguments if ID_LIKE.search(argument['name'])})
INJECTED = ['..', '.', '%2e%2e', '../../../../x', '%2e%2e/%2e%2e/%2e%2e/x', '../', '../projects/12', 'a?injected=1',
            'a#b', 'a\r\nb', '12/../13', '//evil.example.com/x']


def failures_of(command: str, argument: str, values: list[Any]) -> list[str]:
    failures = []
    for value in values:
        try:
            check(command, ({**VALID_ARGS.get(command, {}), argument: value}, {}, {argument}))
        except AssertionError as error:
            failures.append(str(error).split('\n', 1)[-1].split('\nassert ')[0])
    return failures


@pytest.mark.parametrize('command,argument', INJECTION_CASES, ids=[f'{c}:{a}' for c, a in INJECTION_CASES])
def test_injection_in_ids_and_paths(command, argument):
    failures = failures_of(command, argument, INJECTED)
    assert not failures, f'{command} {argument}:\n' + '\n'.join(failures)


NUMERIC = re.compile(r'(_id|_ids|^page|^page_size|^limit|_in_seconds|_port|^alarm_severity)$')
# The polling arguments are shared by every acquisition (one code path): they are tried on the first only.
POLLING_ONLY = {'interval_in_seconds', 'timeout_in_seconds', 'pipeline_id', 'pipeline_ids', 'processing_pipeline_id'}
FIRST_ACQUISITION = min(c for c in COMMANDS if c.endswith('-acquire'))


def numeric_arguments(command: str) -> list[str]:
    names = [a['name'] for a in COMMANDS[command] if NUMERIC.search(a['name'])]
    if command in SOURCES:
        names = [n for n in names if n not in POLLING_ONLY or command == FIRST_ACQUISITION]
    return names


NUMERIC_COMMANDS = sorted(c for c in COMMANDS if numeric_arguments(c))


@pytest.mark.parametrize('command', NUMERIC_COMMANDS)
def test_numeric_arguments_with_odd_digits(command):
    """`'²'.isdigit()` is true but `int('²')` fails (XSOAR's arg_to_number trusts isdigit); fullwidth digits are
    real digits; a float overflows. Each must be a number or an error naming the argument."""
    failures = []
    for argument in numeric_arguments(command):
        failures += failures_of(command, argument, ['²', '１２', '1e309'])
    assert not failures, f'{command}:\n' + '\n'.join(failures)
