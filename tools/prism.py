"""Stoplight Prism serving Cado's OpenAPI contract on loopback.

The one place that finds the vendor's spec, applies the listed patches to a copy of it, starts and stops
Prism, records the HTTP exchanges a command makes and reads Prism's verdict on each of them (the project's own
request checker, which also judges each exchange, is tools/contract.py). Used by the contract suite
(Tests/contract/conftest.py), the local command runner (tools/run_command.py) and the integration's unit tests
(find_spec, load_patched_spec; the root conftest.py puts tools/ on sys.path).

Prism (npm package @stoplight/prism-cli, pinned in package.json / package-lock.json) is installed with
`npm ci` at the repository root. The spec is never copied into the repository: it is read from
$CADO_OPENAPI_SPEC or ../shared/cado-api/cado-api.json (relative to the repository root) and the patched
copy is written to a temporary directory.
"""
from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from contract import Contract, resolve_pointer

ROOT = Path(__file__).resolve().parent.parent
SPEC_ENV = 'CADO_OPENAPI_SPEC'
DEFAULT_SPEC = ROOT.parent / 'shared' / 'cado-api' / 'cado-api.json'
PRISM_VERSION = '5.16.0'
PRISM_BIN = ROOT / 'node_modules' / '.bin' / 'prism'
INSTALL_HINT = (f'Stoplight Prism is not installed at {PRISM_BIN}: run `npm ci` in {ROOT} '
                f'(installs @stoplight/prism-cli {PRISM_VERSION} from package-lock.json).')
HEALTH_PATH = '/api/v3/system/status'  # open to every role; Prism answers 401 to it without a token
START_TIMEOUT = 90.0


class ContractHarnessError(Exception):
    """The harness could not be set up (spec patch did not apply, Prism missing or did not start)."""


class PrismNotInstalled(ContractHarnessError):
    pass


# --------------------------------------------------------------------------------------------------------
# The spec and its patch table
# --------------------------------------------------------------------------------------------------------

def find_spec() -> Path | None:
    """The vendor spec: $CADO_OPENAPI_SPEC if set, else ../shared/cado-api/cado-api.json. None when absent."""
    env = os.environ.get(SPEC_ENV)
    path = Path(env).expanduser() if env else DEFAULT_SPEC
    return path.resolve() if path.is_file() else None


def spec_location_hint() -> str:
    env = os.environ.get(SPEC_ENV)
    if env:
        return f'${SPEC_ENV}={env} (not a file)'
    return f'{DEFAULT_SPEC} (set ${SPEC_ENV} to use another copy)'


REMOVE = None  # SpecPatch.replacement for "delete the key"


@dataclass(frozen=True)
class SpecPatch:
    """At JSON pointer `pointer` (RFC 6901), `key` must hold `expected`; it is removed, or set to `replacement`."""
    pointer: str
    key: str
    expected: Any
    reason: str
    replacement: Any = REMOVE

    def describe(self) -> str:
        change = (f'remove {self.key}={self.expected!r}' if self.replacement is REMOVE
                  else f'replace {self.key}={self.expected!r} by {self.replacement!r}')
        return f'{self.pointer}: {change} ({self.reason})'

    def applied_in(self, spec: dict) -> bool:
        target = resolve_pointer(spec, self.pointer)
        if self.replacement is REMOVE:
            return self.key not in target
        return target.get(self.key) == self.replacement


_WEBHOOK_URL = ('webhook `url` holds a full URL (every vendor webhook example is a Slack/Teams incoming-webhook '
                'URL) but is declared `format: hostname`, so Prism answers 422 to any real URL; known defect of '
                'spec 2.324.0, see ../shared/cado-api/README.md')
_URL_PATTERN_AS_PUBLISHED = (
    '^(?!mailto:)(?:(?:http|https|ftp)://)(?:\\\\S+(?::\\\\S*)?@)?(?:(?:(?:[1-9]\\\\d?|1\\\\d\\\\d|2[01]\\\\d|22[0-3])'
    '(?:\\\\.(?:1?\\\\d{1,2}|2[0-4]\\\\d|25[0-5])){2}(?:\\\\.(?:[0-9]\\\\d?|1\\\\d\\\\d|2[0-4]\\\\d|25[0-4]))|'
    '(?:(?:[a-z\\\\u00a1-\\\\uffff0-9]+-?)*[a-z\\\\u00a1-\\\\uffff0-9]+)(?:\\\\.(?:[a-z\\\\u00a1-\\\\uffff0-9]+-?)*'
    '[a-z\\\\u00a1-\\\\uffff0-9]+)*(?:\\\\.(?:[a-z\\\\u00a1-\\\\uffff]{2,})))|localhost)(?::\\\\d{2,5})?'
    '(?:(/|\\\\?|#)[^\\\\s]*)?$')
_WEBHOOKS = '/paths/~1api~1v3~1webhooks'
_WEBHOOK_ID = '/paths/~1api~1v3~1webhooks~1{webhook_id}'
_JSON = 'content/application~1json/schema'

# Every deviation from the vendor's document, with its reason. Nothing else is changed; every other
# violation Prism reports is a failure.
SPEC_PATCHES: tuple[SpecPatch, ...] = (
    SpecPatch(f'{_WEBHOOKS}/post/requestBody/{_JSON}/properties/url', 'format', 'hostname',
              f'request body of POST /api/v3/webhooks: {_WEBHOOK_URL}'),
    SpecPatch(f'{_WEBHOOK_ID}/patch/requestBody/{_JSON}/properties/url', 'format', 'hostname',
              f'request body of PATCH /api/v3/webhooks/{{webhook_id}}: {_WEBHOOK_URL}'),
    SpecPatch(f'{_WEBHOOKS}/get/responses/200/{_JSON}/properties/data/items/properties/url', 'format', 'hostname',
              f'200 response of GET /api/v3/webhooks: {_WEBHOOK_URL}'),
    SpecPatch(f'{_WEBHOOKS}/post/responses/201/{_JSON}/properties/data/properties/webhook/properties/url',
              'format', 'hostname', f'201 response of POST /api/v3/webhooks: {_WEBHOOK_URL}'),
    SpecPatch(f'{_WEBHOOK_ID}/patch/responses/200/{_JSON}/properties/data/properties/webhook/properties/url',
              'format', 'hostname', f'200 response of PATCH /api/v3/webhooks/{{webhook_id}}: {_WEBHOOK_URL}'),
    SpecPatch('/paths/~1api~1v3~1import~1url/post/requestBody/' + _JSON + '/properties/url', 'pattern',
              _URL_PATTERN_AS_PUBLISHED,
              'request body of POST /api/v3/import/url: the published URL pattern is escaped twice (the regex holds '
              '`\\\\S`, `\\\\d`, `\\\\.`, which demand literal backslashes) and so rejects every URL whose host has a '
              'dot, e.g. https://example.com/disk.e01; only http://localhost/... passes. Replaced by the same pattern '
              'escaped once, so that URLs are still checked',
              replacement=_URL_PATTERN_AS_PUBLISHED.replace('\\\\', '\\')),
    SpecPatch('/paths/~1api~1v3~1import~1gcp~1gcs~1objects/get/responses/200/' + _JSON + '/properties/data/items',
              'required', ['name', 'type', 'last_modified', 'size', 'storage_class'],
              '200 response of GET /api/v3/import/gcp/gcs/objects: a GCS object requires `type` and `storage_class` '
              'but the schema describes neither, so Prism\'s answers (built from the described properties) violate '
              'the contract Prism serves. Only the described ones stay required',
              replacement=['name', 'last_modified', 'size']),
    SpecPatch('/components/schemas/note_schema', 'required', ['alarms', 'items', 'display_name', 'log'],
              'the note that PATCH /api/v3/notes/{note_id} answers (note_schema) requires `alarms`, `items`, '
              '`display_name` and `log`: the required list of evidence_schema, copied, naming none of the note\'s '
              'described properties, so a real note and Prism\'s answers (built from the described properties) '
              'violate the contract Prism serves. No property stays required'),
)


def apply_patches(spec: dict, patches: tuple[SpecPatch, ...] = SPEC_PATCHES) -> list[SpecPatch]:
    """Apply every patch in place; each must find exactly what it expects, else ContractHarnessError.

    Returns the applied patches (all of them), so callers can assert that the table was applied whole.
    """
    applied = []
    for patch in patches:
        try:
            target = resolve_pointer(spec, patch.pointer)
        except (KeyError, IndexError, ValueError) as exc:
            raise ContractHarnessError(f'spec patch did not apply (path not found: {exc}): {patch.describe()}') from exc
        if not isinstance(target, dict) or target.get(patch.key, object()) != patch.expected:
            found = target.get(patch.key, '<absent>') if isinstance(target, dict) else type(target).__name__
            raise ContractHarnessError(f'spec patch did not apply (found {found!r}): {patch.describe()}')
        if patch.replacement is REMOVE:
            del target[patch.key]
        else:
            target[patch.key] = patch.replacement
        applied.append(patch)
    return applied


def load_patched_spec(spec_path: Path) -> tuple[dict, list[SpecPatch]]:
    """The spec at spec_path with every patch of SPEC_PATCHES applied; returns (patched spec, applied patches).

    What every check against the contract reads: Prism (via write_patched_spec) and the integration's unit tests.
    """
    spec = json.loads(Path(spec_path).read_text(encoding='utf-8'))
    original = copy.deepcopy(spec)
    applied = apply_patches(spec)
    for patch in applied:  # check the result, not only the bookkeeping
        if not patch.applied_in(spec) or patch.applied_in(original):
            raise ContractHarnessError(f'spec patch not reflected in the patched copy: {patch.describe()}')
    return spec, applied


def write_patched_spec(spec_path: Path, out_dir: Path) -> tuple[Path, dict, list[SpecPatch]]:
    """Write the patched copy of the spec into out_dir; returns (path, patched spec, applied patches)."""
    spec, applied = load_patched_spec(spec_path)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f'patched-{Path(spec_path).name}'
    out.write_text(json.dumps(spec), encoding='utf-8')
    return out, spec, applied


# --------------------------------------------------------------------------------------------------------
# Prism process
# --------------------------------------------------------------------------------------------------------

def prism_executable() -> Path:
    if not PRISM_BIN.exists():
        raise PrismNotInstalled(INSTALL_HINT)
    return PRISM_BIN


def free_port(host: str = '127.0.0.1') -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class PrismServer:
    """`prism mock` (static examples, no -d) on loopback serving `spec_path`; logs go to `log_path`."""

    def __init__(self, spec_path: Path, log_path: Path, host: str = '127.0.0.1', port: int | None = None):
        self.spec_path = Path(spec_path)
        self.log_path = Path(log_path)
        self.host = host
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f'http://{self.host}:{self.port}'

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(encoding='utf-8', errors='replace')[-chars:]
        except OSError:
            return '<no log>'

    def start(self, timeout: float = START_TIMEOUT) -> PrismServer:
        binary = prism_executable()
        self.port = self.port or free_port(self.host)
        env = dict(os.environ, SCARF_ANALYTICS='false', FORCE_COLOR='0', NO_COLOR='1')
        with open(self.log_path, 'wb') as log:
            self.process = subprocess.Popen(
                [str(binary), 'mock', '-p', str(self.port), '-h', self.host, str(self.spec_path)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=str(ROOT),
                start_new_session=True,  # Ctrl-C in a terminal reaches us, not Prism; we stop it ourselves
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise ContractHarnessError(
                    f'Prism exited with code {self.process.returncode} before answering on {self.url}:\n'
                    f'{self.log_tail()}')
            if self._answers():
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise ContractHarnessError(f'Prism did not answer on {self.url} within {timeout:.0f}s:\n'
                                           f'{self.log_tail()}')
            time.sleep(0.2)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + HEALTH_PATH, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # 401 without a token: Prism is up and routing
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> PrismServer:
        return self.start() if self.process is None else self

    def __exit__(self, *exc_info) -> None:
        self.stop()


@dataclass
class ContractMock:
    """A running Prism on the patched contract, with the spec it serves and the checker reading it."""
    server: PrismServer
    spec: dict
    contract: Contract
    spec_path: Path
    patched_spec_path: Path
    applied_patches: list[SpecPatch]

    @property
    def url(self) -> str:
        return self.server.url


@contextmanager
def contract_mock(work_dir: Path, spec_path: Path | None = None) -> Iterator[ContractMock]:
    """Patch the spec into work_dir, start Prism on a free loopback port, yield, stop it."""
    spec_path = spec_path or find_spec()
    if spec_path is None:
        raise ContractHarnessError(f'Cado OpenAPI spec not found: {spec_location_hint()}')
    prism_executable()  # fail with the install hint before doing anything else
    patched, spec, applied = write_patched_spec(spec_path, Path(work_dir))
    server = PrismServer(patched, Path(work_dir) / 'prism.log')
    try:
        server.start()
    except ContractHarnessError as exc:
        if 'EADDRINUSE' not in str(exc):
            raise
        server = PrismServer(patched, Path(work_dir) / 'prism-retry.log').start()  # port raced away: once more
    try:
        yield ContractMock(server, spec, Contract(spec), Path(spec_path), patched, applied)
    finally:
        server.stop()


# --------------------------------------------------------------------------------------------------------
# Recording exchanges and judging them
# --------------------------------------------------------------------------------------------------------

@dataclass
class Exchange:
    method: str
    url: str
    path: str
    query: list[tuple[str, str]]
    body: Any  # parsed JSON body, raw text, or None
    headers: dict
    status: int | None = None
    response_headers: dict = field(default_factory=dict)
    response_text: str = ''
    error: str | None = None  # transport exception, if any

    def describe(self) -> str:
        query = '&'.join(f'{k}={v}' for k, v in self.query)
        text = f'{self.method} {self.path}{"?" + query if query else ""}'
        if self.body is not None:
            text += f' body={json.dumps(self.body) if not isinstance(self.body, str) else self.body[:500]}'
        return text


class ExchangeRecorder:
    """Wraps requests.Session.send (every requests call goes through it) and records each exchange."""

    def __init__(self, base_url: str | None = None):
        self.base_url = base_url.rstrip('/') if base_url else None
        self.exchanges: list[Exchange] = []
        self._original = None

    def __enter__(self) -> ExchangeRecorder:
        import requests

        original = self._original = requests.Session.send
        recorder = self

        def send(session, request, **kwargs):
            if recorder.base_url and not request.url.startswith(recorder.base_url):
                return original(session, request, **kwargs)
            exchange = recorder._exchange_for(request)
            recorder.exchanges.append(exchange)
            try:
                response = original(session, request, **kwargs)
            except Exception as exc:
                exchange.error = f'{type(exc).__name__}: {exc}'
                raise
            exchange.status = response.status_code
            exchange.response_headers = dict(response.headers)
            if not kwargs.get('stream'):
                exchange.response_text = response.text[:4000]
            return response

        requests.Session.send = send
        return self

    def __exit__(self, *exc_info) -> None:
        import requests

        requests.Session.send = self._original

    def clear(self) -> list[Exchange]:
        taken, self.exchanges = self.exchanges, []
        return taken

    @staticmethod
    def _exchange_for(request) -> Exchange:
        parts = urlsplit(request.url)
        body: Any = request.body
        if isinstance(body, bytes):
            body = body.decode('utf-8', errors='replace')
        if isinstance(body, str):
            try:
                body = json.loads(body)
            except ValueError:
                pass
        return Exchange(method=request.method.upper(), url=request.url, path=unquote(parts.path),
                        query=parse_qsl(parts.query, keep_blank_values=True), body=body,
                        headers=dict(request.headers))


def prism_violations(exchange: Exchange) -> list[str]:
    """Prism's verdict on one exchange: error-level `sl-violations`, 422, 404/405 route errors."""
    if exchange.error:
        return [f'no response ({exchange.error})']
    problems = []
    headers = {k.lower(): v for k, v in exchange.response_headers.items()}
    raw = headers.get('sl-violations')
    if raw:
        try:
            violations = json.loads(raw)
        except ValueError:
            violations = [{'severity': 'Error', 'message': f'unparsable sl-violations header: {raw}'}]
        for v in violations:
            if str(v.get('severity', '')).lower() == 'error':
                where = '.'.join(str(p) for p in v.get('location', []))
                problems.append(f'[{where}] {v.get("code", "")}: {v.get("message", "")}'.strip())
    if exchange.status == 422 and not problems:
        problems.append(f'422 from Prism (request validation): {exchange.response_text[:500]}')
    content_type = headers.get('content-type', '')
    if 'problem+json' in content_type and 'stoplight.io/prism/errors' in exchange.response_text:
        try:
            problem = json.loads(exchange.response_text)
            problems.append(f'{exchange.status} {problem.get("title")}: {problem.get("detail")}')
        except ValueError:
            problems.append(f'{exchange.status} Prism error: {exchange.response_text[:500]}')
    return problems


def contract_problems(contract: Contract, exchange: Exchange) -> list[str]:
    """Everything wrong with one exchange against the contract: Prism's verdict, then the project's own checker
    (tools/contract.py), which also judges what Prism lets through (unknown query names and body properties)."""
    return prism_violations(exchange) + contract.exchange_problems(exchange)
