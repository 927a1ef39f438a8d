"""Replay benchmark of the pack's detection response (on demand; not part of CI's verdict).

    .venv/bin/python tools/replay_benchmark.py              # readable table
    .venv/bin/python tools/replay_benchmark.py --markdown   # the same, as the pack README's figures

1,000 synthetic GuardDuty EC2 detections over 300 resources, delivered over simulated time with 30% of all
deliveries being duplicates: webhook retries, `detection_updated` webhooks and fetched updates; a fifth of the
first deliveries come by fetch-incidents instead of the webhook. Each delivery takes the path of the scenario tests
(Tests/intake): Cado's template filled in -> Generic Webhook's rules -> the pack's mapper -> the pack's pre-process
rule (XSOAR; off for XSIAM) -> the fake XSOAR incident store -> Cado Detection Response run by the playbook runner
on the fake Cado, a few simulated seconds after the incident is created, so playbooks and deliveries interleave and
deliveries of one second are pre-processed together (neither sees the other). Cado knows a detection from its
creation on, as its API does.

Figures per platform, and without deduplication (the same playbook with no pre-process rule and no deduplication
step):
- incidents acted on (not closed as duplicates) and duplicates acted on (goal 0): more than one acted-on incident
  for a detection;
- acquisitions per detection and per resource (the issue's goal per resource is 1.00: the same resource under
  several detections is the acquisition reuse's job, not deduplication's);
- silent ends: acted-on incidents whose playbook left no pipeline state and no acquisition;
- Cado commands and HTTP requests per detection. The lookup and the classification run the integration's own code,
  whose requests are counted; for the other commands requests count what the integration sends when every pipeline
  is complete at the first check (its README's benchmark): an acquisition with polling and wait_for_processing 5
  (the import, then one check: the pipeline, the processing pipeline, the alarm summary and the detection count),
  every other command 1. Each further check while a pipeline runs adds one request per pipeline, so these are lower
  bounds.

Every acquisition ends within its playbook's run (the fake Cado answers polling at once), and the fake lists it on
the resource's asset from then on, as Cado's asset endpoint does. Detections of one resource whose playbooks start
while its acquisition still runs are therefore not replayed: the lookup reuses only a successful acquisition, so each
of those would acquire again.
"""
from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from benchmark import table  # tools/benchmark.py
from run_command import setup_import_paths  # tools/run_command.py: the sys.path the tests get

ROOT = Path(__file__).resolve().parent.parent
setup_import_paths()
sys.path.insert(0, str(ROOT / 'Tests' / 'intake'))

import CadoSecurity  # noqa: E402
import intake_webhook as webhook  # noqa: E402
from CadoParseEvent import parse_event_command  # noqa: E402
from fake_cado import RUN_FOR_REAL, FakeCado, detection  # noqa: E402
from fake_xsoar import FakeXsoar  # noqa: E402
from playbook_runner import Run  # noqa: E402

MAIN = 'Cado Detection Response'
DETECTIONS, RESOURCES, DUPLICATE_SHARE = 1_000, 300, 0.30
FETCH_SHARE = 0.2  # of first deliveries
FETCH_INTERVAL, DETECTION_SPACING, PLAYBOOK_LAG, DUPLICATE_SPREAD = 60, 6, 30, 600  # simulated seconds
POLLING_ACQUISITION_REQUESTS = 5


def parse(args, incident):
    return parse_event_command(args, incident).to_context()['EntryContext']


def no_dedup(args, incident):
    """Without deduplication: every incident acts."""
    return {'CadoDedup(val.incident_id && val.incident_id == obj.incident_id)': {'incident_id': incident['id'],
                                                                                 'duplicate': False}}


def born(detections: list[dict[str, Any]], index: int) -> int:
    """Simulated second at which Cado creates a detection."""
    return (detections[index]['created_datetime'] - detections[0]['created_datetime']) // 1000


def synthetic_detections(rng: random.Random, count: int, resource_count: int) -> list[dict[str, Any]]:
    base = detection('detection_guardduty_ec2.json')
    resources = list(range(resource_count)) + [rng.randrange(resource_count) for _ in range(count - resource_count)]
    rng.shuffle(resources)
    made = []
    for number, resource in enumerate(resources):
        instance = f'i-{resource:017x}'
        created = 1_780_000_000_000 + number * DETECTION_SPACING * 1000
        raw = json.loads(base['raw_event'])
        raw['Resource']['InstanceDetails']['InstanceId'] = instance
        made.append(dict(copy.deepcopy(base), id=100_000 + number, investigation_id=5_000 + resource,
                         investigation=f'GuardDuty resource {resource}', created_datetime=created,
                         updated_datetime=created, description=f'{instance} is performing SSH brute force attacks.',
                         resource_data=[{'resource_id': instance, 'full_resource_id':
                                         f'arn:aws:ec2:eu-west-1:123456789012:instance/{instance}'}],
                         raw_event=json.dumps(raw)))
    return made


def deliveries(rng: random.Random, detections: list[dict[str, Any]]) -> list[tuple[int, str, int]]:
    """(second, kind, detection index), kind: push, fetch, retry, update, fetched_update."""
    planned = []
    for index in range(len(detections)):
        second = born(detections, index)
        if rng.random() < FETCH_SHARE:
            planned.append((second - second % FETCH_INTERVAL + FETCH_INTERVAL, 'fetch', index))
        else:
            planned.append((second + rng.randrange(3), 'push', index))
    extra = round(len(detections) * DUPLICATE_SHARE / (1 - DUPLICATE_SHARE))
    for _ in range(extra):
        second, _, index = planned[rng.randrange(len(detections))]
        kind = rng.choice(('retry', 'update', 'fetched_update'))
        at = second + rng.randrange(DUPLICATE_SPREAD)
        if kind == 'fetched_update':
            at += FETCH_INTERVAL - at % FETCH_INTERVAL
        planned.append((at, kind, index))
    return sorted(planned)


def incoming(kind: str, item: dict[str, Any]) -> dict[str, Any]:
    if kind in ('fetch', 'fetched_update'):
        return webhook.apply_mapper(CadoSecurity.detection_incident(item, kind == 'fetch'))
    event = 'detection_updated' if kind == 'update' else 'detection_created'
    body = webhook.substitute_escaped(CadoSecurity.xsoar_webhook_payload(event), {
        '$detection_id': str(item['id']), '$Title': item['name'], '$event_type': event, '$group_id': ''})
    [incident] = webhook.generic_webhook(json.dumps(body))
    return webhook.apply_mapper(incident)


def replay(seed: int, pre_processing: bool, dedup: bool, count: int = DETECTIONS, resource_count: int = RESOURCES,
           platform: str = 'xsoar') -> dict[str, Any]:
    rng = random.Random(seed)
    detections = synthetic_detections(rng, count, resource_count)
    plan = deliveries(rng, detections)
    xsoar, cado = FakeXsoar(pre_processing=pre_processing, platform=platform), FakeCado([])
    scripts = {'CadoParseEvent': parse, 'CadoDeduplicate': xsoar.dedup_script() if dedup else no_dedup}
    events: dict[int, list] = defaultdict(list)  # second -> [('arrive', kind, index) | ('run', incident)]
    for second, kind, index in plan:
        events[second].append(('arrive', kind, index))
    known, commands, errors, ran = 0, Counter(), [], {}
    while events:
        second = min(events)
        batch = events.pop(second)
        while known < len(detections) and born(detections, known) <= second:  # Cado knows it from its creation on
            item = detections[known]
            cado.detections.append(item)
            cado.projects.setdefault(item['investigation_id'],
                                     cado.project(item['investigation_id'], item['investigation']))
            known += 1
        arrivals = [(kind, index) for what, *rest in batch if what == 'arrive' for kind, index in [rest]]
        for kind, index in arrivals:
            if kind in ('update', 'fetched_update'):
                detections[index]['updated_datetime'] = detections[0]['created_datetime'] + second * 1000
        for created in xsoar.ingest_together([incoming(kind, detections[index]) for kind, index in arrivals]):
            if created:
                events[second + rng.randrange(PLAYBOOK_LAG)].append(('run', created))
        for what, *rest in batch:
            if what != 'run':
                continue
            incident = rest[0]
            runner = Run(incident, cado, scripts)
            try:
                runner.run(MAIN)
            except Exception as e:  # counted and shown: a replay must not stop at the first failure
                errors.append(f'incident {incident["id"]}: {e}')
            ran[incident['id']] = runner
            commands.update(name for name, _ in runner.calls if name.startswith('cado-'))
    return measure(plan, detections, xsoar, cado, commands, errors, ran)


def measure(plan, detections, xsoar, cado, commands, errors, ran) -> dict[str, Any]:
    acted = [i for i in xsoar.incidents.values() if (i.get('closed') or {}).get('closeReason') != 'Duplicate']
    per_detection = Counter(str((i.get('CustomFields') or {}).get('cadodetectionid')) for i in acted)
    acquired_resources = Counter(args['instance_id'] for _, args in cado.acquired)
    silent = [i['id'] for i in acted
              if not (i.get('CustomFields') or {}).get('cadopipelinestate')
              and not any(name.endswith('-acquire') for name, _ in ran[i['id']].calls)]
    requests = cado.api_requests + sum(count * (POLLING_ACQUISITION_REQUESTS if name.endswith('-acquire') else 1)
                                       for name, count in commands.items() if name not in RUN_FOR_REAL)
    kinds = Counter(kind for _, kind, _ in plan)
    return {
        'deliveries': len(plan), 'duplicate deliveries': len(plan) - len(detections),
        'pushed / fetched': f'{kinds["push"] + kinds["retry"] + kinds["update"]} / {kinds["fetch"] + kinds["fetched_update"]}',
        'detections': len(detections), 'resources': len({i['resource_data'][0]['resource_id'] for i in detections}),
        'incidents created': len(xsoar.incidents), 'dropped by the pre-process rule': len(xsoar.dropped),
        'incidents acted on': len(acted),
        'duplicates acted on': sum(n - 1 for n in per_detection.values()),
        'acquisitions': len(cado.acquired),
        'acquisitions per detection': f'{len(cado.acquired) / len(detections):.2f}',
        'acquisitions per resource': f'{len(cado.acquired) / max(len(acquired_resources), 1):.2f}',
        'most acquisitions of one resource': max(acquired_resources.values(), default=0),
        'silent ends': len(silent), 'errors': len(errors),
        'Cado commands per detection': f'{sum(commands.values()) / len(detections):.2f}',
        'HTTP requests per detection (at least)': f'{requests / len(detections):.2f}',
    }


def figures_table(results: dict[str, dict[str, Any]], markdown: bool) -> str:
    names = list(results)
    rows = [[metric] + [results[name][metric] for name in names] for metric in results[names[0]]]
    return table(['figure'] + names, rows, markdown)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seed', type=int, default=9)
    parser.add_argument('--markdown', action='store_true')
    parser.add_argument('--detections', type=int, default=DETECTIONS)
    parser.add_argument('--resources', type=int, default=RESOURCES)
    options = parser.parse_args(argv)
    sizes = {'count': options.detections, 'resource_count': options.resources}
    started = time.monotonic()
    results = {
        'XSOAR 6/8 (pre-process rule + playbook)': replay(options.seed, pre_processing=True, dedup=True, **sizes),
        'XSIAM (playbook only)': replay(options.seed, pre_processing=False, dedup=True, platform='xsiam', **sizes),
        'without deduplication': replay(options.seed, pre_processing=False, dedup=False, **sizes),
    }
    print(figures_table(results, options.markdown))
    print(f'\nseed {options.seed}, {time.monotonic() - started:.0f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
