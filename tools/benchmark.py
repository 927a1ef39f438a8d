"""Performance figures of the CadoSecurity integration, measured in one run (on demand; not part of CI's verdict).

    .venv/bin/python tools/benchmark.py              # readable tables
    .venv/bin/python tools/benchmark.py --markdown   # the same, as the integration README's performance section
    .venv/bin/python tools/benchmark.py --sizes 1000,10000 --quick

1. HTTP requests and wall time per command: every command of the YAML through `main()` (with the project's XSOAR
   test doubles) against a counting HTTP server on loopback that answers like the Cado API with the pack's
   contract-checked fixtures. Goal: single-object and single-page commands make exactly one request.
2. fetch-incidents over successive runs (each run starting from the last run the previous one saved) until every
   detection of a 1,000 / 10,000 / 100,000-detection feed is delivered. The feed is served by a separate process
   on loopback, paginated like the API (page/per_page, ordered by updated_datetime, filter updated_start_timestamp
   in seconds). Wall time in a first pass; peak memory of each run (tracemalloc, in this process only) in a second
   pass. Bar: peak memory at 100,000 within 2x of that at 1,000 (bounded by page and max-fetch sizes).
3. Cold start: a fresh interpreter importing the integration and running one command, relative to a fresh
   interpreter importing the CommonServerPython test double alone (median of several runs).
4. A 100 MiB evidence file through cado-file-download from a real HTTP server on loopback (Tests/support/loopback.py,
   which writes it a chunk at a time), in a fresh interpreter: wall time, the peak of Python memory (tracemalloc, in
   a second run) and how far the process's peak resident memory rose. Bar: under 50 MiB.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from run_command import setup_import_paths  # tools/run_command.py: the sys.path the tests get

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'Tests'))
setup_import_paths()

from reliability.cado_api import fixture, media_type, respond  # noqa: E402
from command_args import VALID_ARGS  # noqa: E402  (Tests/support: the one table of valid arguments)
from reliability.command_cases import POLLING_ARGS  # noqa: E402
from reliability.detection_feed import DetectionFeed  # noqa: E402
from reliability.fault_server import FaultServer, RecordedRequest, Reply  # noqa: E402
from reliability.harness import instance_params, run_main, yml_commands  # noqa: E402

API_KEY = 'benchmark-key'
FETCH_MAX = 200  # the integration's cap on max_fetch
DEFAULT_SIZES = (1_000, 10_000, 100_000)
CURSOR_LISTS = {'cado-aws-ec2-instance-list', 'cado-aws-s3-bucket-list', 'cado-aws-s3-object-list',
                'cado-aws-lambda-function-list', 'cado-xdr-device-list'}
# Cursor lists whose stand-in first page (test_data fixtures) holds fewer than limit (50) items and names a next
# page: reaching limit takes that second request. The others answer everything in one page.
TWO_PAGE_CURSOR_LISTS = {'cado-aws-ec2-instance-list', 'cado-aws-s3-bucket-list', 'cado-xdr-device-list'}


def api(request: RecordedRequest | None) -> Reply:
    if request is None:
        return Reply(200, {'status': 'success', 'data': {}})
    status, body = respond(request.method, request.path, request.query)
    return Reply(status, body, media_type(request.method, request.path))


# ------------------------------------------------------------------------------------------------ 1. requests


def benchmark_args(command: str) -> dict[str, str]:
    """The shared valid arguments with the default limit (the notes below count pages for it) and one webhook."""
    args = {name: value for name, value in VALID_ARGS.get(command, {}).items() if name != 'limit'}
    if command == 'cado-webhook-create':
        args['event_types'] = args['event_types'].split(',')[0]
    return args


# Commands whose valid arguments need other than one request, with what each request is for.
OWN_MINIMUMS: dict[str, tuple[int, str]] = {
    'cado-host-acquisition-follow': (5, 'upload arrived: pipeline list, its pipeline, its processing, alarm summary, '
                                        'detections'),
    'cado-detection-get': (3, 'the detection\'s asset, its resource\'s detections, the read that classifies it'),
    'update-remote-system': (3, 'close, phase and owner: the description it extends, the owner\'s Cado user, the PATCH'),
    'get-modified-remote-data': (0, 'no project mirrored yet (tools/mirror_benchmark.py measures cycles)'),
    'get-mapping-fields': (0, 'the outgoing fields, known without asking Cado'),
    'cado-incident-mirror-link': (0, 'the registry is the integration context'),
}


def command_rows(repeats: int) -> list[dict[str, Any]]:
    """One row per command (valid arguments), plus single-page variants of cursor lists and polling steps."""
    cases: list[tuple[str, str, dict, int | None, dict]] = []
    for command in sorted(yml_commands()):
        args = benchmark_args(command)
        params: dict = {}
        minimum: int | None = 1
        note = 'valid arguments'
        if command == 'fetch-incidents':
            params, note = {'isFetch': True, 'max_fetch': '50'}, 'one page of detections'
        elif command == 'test-module':
            note = 'system status'
        elif command in TWO_PAGE_CURSOR_LISTS:
            minimum, note = 2, 'limit 50: first page names a next one'
        elif command in CURSOR_LISTS:
            note = 'limit 50: one page holds everything'
        elif command in OWN_MINIMUMS:
            minimum, note = OWN_MINIMUMS[command]
        cases.append((command, note, args, minimum, params))
        if command in CURSOR_LISTS:
            cases.append((command, 'single page (page_size=10)', {**args, 'page_size': '10'}, 1, {}))
        if command == 'test-module':
            cases.append((command, 'with fetch enabled: + the key\'s role and one detections page', args, 3,
                          {'isFetch': True, 'first_fetch': '3 days'}))
    for command, args in POLLING_ARGS.items():
        if command == 'cado-pipeline-get':
            cases.append((command, 'polling step: pipeline complete', args, 1, {}))
        else:
            cases.append((command, 'polling step: acquisition + processing complete, counts', args, None, {}))

    rows = []
    with FaultServer(api) as server:
        run_main('test-module', {}, instance_params(server.url, API_KEY))  # warm-up: lazy imports, first connection
        for command, note, args, minimum, extra in cases:
            times, requests, errors = [], 0, []
            for _ in range(repeats):
                server.reset()
                params = instance_params(server.url, API_KEY, **{'first_fetch': '2024-01-01T00:00:00Z', **extra})
                started = time.perf_counter()
                outcome = run_main(command, args, params, {} if command == 'fetch-incidents' else None)
                times.append(time.perf_counter() - started)
                requests = len(server.requests)
                errors = outcome.errors or ([repr(outcome.uncaught)] if outcome.uncaught else [])
            rows.append({'command': command, 'case': note, 'requests': requests, 'minimum': minimum,
                         'ms': statistics.median(times) * 1000, 'error': errors[0].splitlines()[-1] if errors else ''})
    return rows


# ------------------------------------------------------------------------------------------------ 2. fetch


def serve_feed(total: int) -> None:
    """Child process: serve a `total`-detection feed on loopback, print the URL, run until stdin closes."""
    feed = DetectionFeed(total)

    def feed_api(request: RecordedRequest | None) -> Reply:
        if request is not None and request.path == '/api/v3/detections':
            return Reply(200, feed.page(request.query))
        return api(request)

    with FaultServer(feed_api) as server:
        print(server.url, flush=True)
        sys.stdin.read()


@contextlib.contextmanager
def feed_server(total: int):
    child = subprocess.Popen([sys.executable, __file__, '--serve-feed', str(total)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        url = child.stdout.readline().strip()
        if not url.startswith('http'):
            raise RuntimeError('feed server did not start')
        yield url
    finally:
        child.stdin.close()
        child.wait(10)


def fetch_pass(url: str, total: int, measure_memory: bool) -> dict[str, Any]:
    params = instance_params(url, API_KEY, isFetch=True, first_fetch='2024-01-01T00:00:00Z', max_fetch=str(FETCH_MAX))
    last_run: dict = {}
    delivered: set[int] = set()
    duplicates = runs = 0
    peak_run = 0
    retained = 0  # memory still allocated after a run that was not before it, summed over the runs
    errors: list[str] = []
    state_sizes = []
    if measure_memory:
        tracemalloc.start()
    started = time.perf_counter()
    while runs < total // FETCH_MAX * 3 + 10:
        if measure_memory:
            before, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
        outcome = run_main('fetch-incidents', {}, params, last_run)
        # The state replaced inside the window, as XSOAR would: the previous run's is freed here, not outside.
        last_run = outcome.last_run_calls[-1] if outcome.last_run_calls else last_run
        if measure_memory:
            current, peak = tracemalloc.get_traced_memory()
            peak_run = max(peak_run, peak - before)
            retained += current - before  # this benchmark's own bookkeeping happens outside these windows
        runs += 1
        if outcome.errors or outcome.uncaught:
            errors.append((outcome.errors or [repr(outcome.uncaught)])[0])
            break
        ids = [json.loads(incident['rawJSON'])['cado_detection']['id'] for incident in outcome.incidents or []]
        duplicates += len(ids) - len(set(ids) - delivered)
        delivered.update(ids)
        if outcome.last_run_calls:
            state_sizes.append(len(json.dumps(last_run)))
        if not ids:
            break
    elapsed = time.perf_counter() - started
    if measure_memory:
        tracemalloc.stop()
    return {'total': total, 'runs': runs, 'delivered': len(delivered), 'duplicates': duplicates, 'seconds': elapsed,
            'peak_run_bytes': peak_run, 'retained_growth_bytes': retained,
            'max_state_bytes': max(state_sizes or [0]), 'errors': errors}


def fetch_rows(sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    rows = []
    for total in sizes:
        with feed_server(total) as url:
            timing = fetch_pass(url, total, measure_memory=False)
            memory = fetch_pass(url, total, measure_memory=True)
        rows.append({**timing, 'peak_run_bytes': memory['peak_run_bytes'],
                     'retained_growth_bytes': memory['retained_growth_bytes'],
                     'errors': timing['errors'] + memory['errors']})
    return rows


# ------------------------------------------------------------------------------------------------ 3. cold start

COLD_CSP = """
import sys, time
sys.path[:0] = {paths!r}
started = time.perf_counter()
import CommonServerPython
print(time.perf_counter() - started)
"""
COLD_COMMAND = """
import sys, time
sys.path[:0] = {paths!r}
started = time.perf_counter()
import demistomock as demisto
import CadoSecurity
entries = []
demisto.params = lambda: {{'url': {url!r}, 'credentials': {{'identifier': '', 'password': {key!r}}}}}
demisto.args = lambda: {{'project_id': '12'}}
demisto.command = lambda: 'cado-project-get'
demisto.results = entries.append
CadoSecurity.main()
assert entries and entries[0].get('Type') != 4, entries
print(time.perf_counter() - started)
"""


def cold_start(repeats: int) -> dict[str, float]:
    paths = [p for p in sys.path if p.startswith((str(ROOT / 'Tests') + os.sep, str(ROOT / 'Packs') + os.sep))]
    results: dict[str, list[float]] = {'csp': [], 'command': [], 'csp_process': [], 'command_process': []}
    with FaultServer(api) as server:
        for _ in range(repeats):
            for name, code in (('csp', COLD_CSP.format(paths=paths)),
                               ('command', COLD_COMMAND.format(paths=paths, url=server.url, key=API_KEY))):
                started = time.perf_counter()
                out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True,
                                     env={**os.environ, 'PYTHONDONTWRITEBYTECODE': '1'})
                results[f'{name}_process'].append(time.perf_counter() - started)
                results[name].append(float(out.stdout.strip().splitlines()[-1]))
    return {name: statistics.median(values) for name, values in results.items()}


# ------------------------------------------------------------------------------------------------ 4. download

DOWNLOAD_MB = 100
DOWNLOAD_BAR_MB = 50


def resident_bytes(field: str) -> int:
    """VmRSS (resident now) or VmHWM (the peak since the last reset) of this process, from Linux's /proc."""
    status = Path('/proc/self/status').read_text()
    return int(re.search(rf'^{field}:\s+(\d+) kB', status, re.M).group(1)) * 1024


def reset_resident_peak() -> None:
    Path('/proc/self/clear_refs').write_text('5')  # Linux: VmHWM starts again from VmRSS


def download_child() -> None:
    """Child process: a DOWNLOAD_MB file through cado-file-download from a loopback server; prints the figures."""
    from loopback import Answer, LoopbackServer, Stream  # Tests/support/loopback.py

    size = DOWNLOAD_MB * 1024 * 1024
    args = {'evidence_id': '391', 'path': '/evidence/disk-extract.bin'}
    with tempfile.TemporaryDirectory() as directory, contextlib.chdir(directory), \
            LoopbackServer([Answer(200, fixture('file_get')), Answer(200, Stream(size))]) as server:
        params = instance_params(server.url, API_KEY)
        run_main('cado-file-get', {'evidence_id': '391', 'path': '/'}, params)  # warm-up: lazy imports, connection
        gc.collect()
        resident_before = resident_bytes('VmRSS')
        reset_resident_peak()
        started = time.perf_counter()
        outcome = run_main('cado-file-download', args, params)
        seconds = time.perf_counter() - started
        rss_peak = resident_bytes('VmHWM')
        rss_rise = rss_peak - resident_before
        written = sum(path.stat().st_size for path in Path(directory).iterdir())
        tracemalloc.start()
        traced = run_main('cado-file-download', args, params)
        python_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    errors = outcome.errors + traced.errors + [repr(run.uncaught) for run in (outcome, traced) if run.uncaught]
    print(json.dumps({'size': size, 'written': written, 'seconds': seconds, 'rss_rise': rss_rise, 'rss_peak': rss_peak,
                      'python_peak': python_peak, 'errors': errors}))


def download_figures() -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, '--download-child'], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------------ report


def fmt_bytes(value: float) -> str:
    return f'{value / 1024 / 1024:.2f} MiB' if value >= 1024 * 1024 else f'{value / 1024:.0f} KiB'


def table(headers: list[str], rows: list[list[Any]], markdown: bool) -> str:
    cells = [[str(c) for c in row] for row in rows]
    if markdown:
        lines = ['| ' + ' | '.join(headers) + ' |', '|' + '|'.join('---' for _ in headers) + '|']
        lines += ['| ' + ' | '.join(c.replace('|', '\\|') for c in row) + ' |' for row in cells]
        return '\n'.join(lines)
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = ['  '.join(h.ljust(w) for h, w in zip(headers, widths, strict=True)),
             '  '.join('-' * w for w in widths)]
    lines += ['  '.join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return '\n'.join(lines)


def report(commands, fetches, cold, download, markdown: bool, elapsed: float) -> str:
    out = []
    heading = (lambda text, level=3: f'{"#" * level} {text}') if markdown else (lambda text, level=3: f'\n== {text}')
    if markdown:
        out.append('## Performance')
        out.append(f'Measured by `tools/benchmark.py` in one run ({elapsed:.0f} s, Python '
                   f'{sys.version.split()[0]}, loopback HTTP; the figures that matter are the ratios).')
    ok = sum(1 for r in commands if r['minimum'] is not None and r['requests'] == r['minimum'] and not r['error'])
    counted = sum(1 for r in commands if r['minimum'] is not None)
    out.append(heading('HTTP requests per command'))
    out.append(f'{ok} of {counted} command runs make exactly the minimum number of requests the API allows.')
    out.append(table(['command', 'case', 'requests', 'minimum', 'wall time (ms)', 'result'],
                     [[r['command'], r['case'], r['requests'], r['minimum'] if r['minimum'] is not None else '-',
                       f'{r["ms"]:.1f}', r['error'] or ('ok' if r['minimum'] in (None, r['requests']) else 'ABOVE MINIMUM')]
                      for r in commands], markdown))
    if fetches:
        base = fetches[0]
        out.append(heading('fetch-incidents over successive runs'))
        out.append(f'max_fetch {FETCH_MAX} (the cap), pages of 100; every run starts from the last run saved by the '
                   'previous one, until a run returns nothing. Peak memory: the largest tracemalloc peak of a single '
                   'run above what was allocated before it. Held across runs: what the runs left allocated, summed '
                   '(the last run\'s incidents included). Largest last run: the biggest state saved with setLastRun.')
        out.append(table(
            ['detections', 'runs', 'delivered', 'duplicates', 'time (s)', 'ms / 1,000 detections', 'time ratio',
             'peak memory per run', 'memory ratio', 'held across runs', 'largest last run'],
            [[f'{r["total"]:,}', r['runs'], f'{r["delivered"]:,}', r['duplicates'], f'{r["seconds"]:.2f}',
              f'{r["seconds"] / r["total"] * 1e6:.0f}', f'{r["seconds"] / base["seconds"]:.1f}x '
              f'(for {r["total"] / base["total"]:.0f}x)', fmt_bytes(r['peak_run_bytes']),
              f'{r["peak_run_bytes"] / max(base["peak_run_bytes"], 1):.2f}x', fmt_bytes(r['retained_growth_bytes']),
              f'{r["max_state_bytes"]} B'] for r in fetches], markdown))
        worst = max(r['peak_run_bytes'] for r in fetches) / max(base['peak_run_bytes'], 1)
        complete = all(r['delivered'] == r['total'] and not r['duplicates'] and not r['errors'] for r in fetches)
        out.append(f'Bar (memory at the largest size within 2x of the smallest): '
                   f'{"met" if worst <= 2 else "NOT MET"} ({worst:.2f}x). Every detection delivered exactly once: '
                   f'{"yes" if complete else "NO: " + "; ".join(str(r["errors"][:1]) for r in fetches)}.')
    out.append(heading('Cold start'))
    out.append(table(['measure', 'import CommonServerPython double', 'import CadoSecurity + cado-project-get', 'ratio'],
                     [['in-process (import to result)', f'{cold["csp"] * 1000:.0f} ms', f'{cold["command"] * 1000:.0f} ms',
                       f'{cold["command"] / cold["csp"]:.2f}x'],
                      ['whole fresh interpreter', f'{cold["csp_process"] * 1000:.0f} ms',
                       f'{cold["command_process"] * 1000:.0f} ms', f'{cold["command_process"] / cold["csp_process"]:.2f}x']],
                     markdown))
    out.append(heading(f'A {DOWNLOAD_MB} MiB file download'))
    met = max(download['rss_rise'], download['python_peak']) < DOWNLOAD_BAR_MB * 1024 * 1024 and not download['errors']
    errors = f'; errors: {"; ".join(download["errors"])}' if download['errors'] else ''
    out.append(f'cado-file-download of a {DOWNLOAD_MB} MiB file from a real HTTP server on loopback, streamed to the War '
               'Room file in 1 MB chunks, in a fresh interpreter after one warm-up command. Resident memory: the peak '
               'during the download above what was resident before it, and that peak (interpreter and modules '
               'included), from Linux\'s /proc. Bar (the download '
               f'holds under {DOWNLOAD_BAR_MB} MiB): {"met" if met else "NOT MET"}{errors}.')
    out.append(table(['file', 'written to disk', 'time (s)', 'MB/s', 'peak resident memory rise', 'process peak',
                      'peak Python memory (tracemalloc)'],
                     [[fmt_bytes(download['size']), fmt_bytes(download['written']), f'{download["seconds"]:.2f}',
                       f'{download["size"] / 1024 / 1024 / download["seconds"]:.0f}', fmt_bytes(download['rss_rise']),
                       fmt_bytes(download['rss_peak']), fmt_bytes(download['python_peak'])]], markdown))
    return '\n\n'.join(out) if markdown else '\n'.join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--markdown', action='store_true', help='print a Markdown section for the README')
    parser.add_argument('--sizes', default=','.join(map(str, DEFAULT_SIZES)),
                        help='fetch feed sizes, comma-separated (default 1000,10000,100000)')
    parser.add_argument('--quick', action='store_true', help='one repetition per command and cold start')
    parser.add_argument('--serve-feed', type=int, help=argparse.SUPPRESS)
    parser.add_argument('--download-child', action='store_true', help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.serve_feed:
        serve_feed(opts.serve_feed)
        return 0
    if opts.download_child:
        download_child()
        return 0
    for key in ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'):
        os.environ.pop(key, None)
    started = time.perf_counter()
    # File entries (downloads, logs, exports) are written to the working directory, as in XSOAR.
    with tempfile.TemporaryDirectory() as directory, contextlib.chdir(directory):
        commands = command_rows(1 if opts.quick else 3)
    fetches = fetch_rows(tuple(int(s) for s in opts.sizes.split(',') if s))
    cold = cold_start(1 if opts.quick else 5)
    download = download_figures()
    print(report(commands, fetches, cold, download, opts.markdown, time.perf_counter() - started))
    return 0


if __name__ == '__main__':
    sys.exit(main())
