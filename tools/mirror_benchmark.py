"""Mirroring at scale: requests per cycle, integration context size, lost and echoed updates.

    .venv/bin/python tools/mirror_benchmark.py                 # 500 mirrored incidents, 4,000-character AI summaries
    .venv/bin/python tools/mirror_benchmark.py --projects 1000 --cycles 8

500 incidents (the bar) are linked to 500 Cado projects of a stateful fake Cado (Tests/support/fake_mirroring.py) and
mirrored both ways for several cycles, driven as XSOAR drives them. Cycle 1 reads every project for the first time.
Cycle 2 is a burst: every project gets a new, long AI summary in Cado. The later cycles mix changes on both sides: in
Cado, alarm counts rise, summaries change, projects are closed and archived; in XSOAR, phases, Cado statuses and
closes are sent out (each an update-remote-system, counted apart). In every cycle from the third, XSOAR's
get-remote-data of one incident in 17 does not run (failed or timed out). Quiet cycles follow until nothing is
reported. Per cycle: the requests get-modified-remote-data and get-remote-data send (the bar: at most 5 for 500
projects); the largest integration context written in it; behind (an incident whose mirrored fields differ from its
project's after the cycle, last_update aside, while the integration still holds the change to report again: a
skipped pull, or a burst larger than the context bound); lost (the same difference with the change acknowledged:
never to be reported again); echoed (a project reported changed that only XSOAR changed).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from run_command import setup_import_paths  # tools/run_command.py: the sys.path the tests get

ROOT = Path(__file__).resolve().parent.parent
setup_import_paths()

import CadoSecurity  # noqa: E402
from fake_mirroring import BASE, COMPARED, FakeCado, MirroringXsoar  # noqa: E402  (Tests/support)

QUIET_CYCLES = 6  # at most, after the mixed ones: until nothing is reported


def summary(project_id: int, cycle: int, chars: int) -> str:
    text = f'Cycle {cycle}: Cado AI summary of project {project_id}. '
    return (text * (chars // len(text) + 1))[:chars]


def expected_fields(cado: FakeCado, project_id: int) -> dict[str, Any]:
    project = cado.projects[project_id]
    details, alarms = project['details'], project['alarms']
    return {'cadoprojectid': project_id, 'cadoprojectname': details['name'],
            'cadoprojectdescription': details['description'], 'cadoprojectstatus': details['status'],
            'cadoitemsidentified': details['items_identified'], 'cadomaliciousalarms': alarms['malicious'],
            'cadosuspiciousalarms': alarms['suspicious'], 'cadoevidencecount': project['evidences'],
            'cadolastacquisition': None, 'cadoaisummary': project['ai_summary']}


def acknowledged(xsoar: MirroringXsoar, project_id: int) -> bool:
    """Whether the integration holds the project as served: a difference is then never reported again."""
    mirror = json.loads(xsoar.context.text).get('mirror') or {}
    entry = (mirror.get('projects') or {}).get(str(project_id))
    raw = xsoar.cado.listed(xsoar.cado.projects[project_id], alarms=True)
    project = CadoSecurity.mirrored_project(argparse.Namespace(_base_url=BASE), raw)
    return str(project_id) not in mirror.get('pending', {}) and (entry is None or
                                                                 entry[1:] == CadoSecurity.fingerprint(project))


def out_of_step(xsoar: MirroringXsoar) -> list[tuple[str, int]]:
    differing = []
    for incident_id, incident in xsoar.incidents.items():
        project_id = int(incident['mirror_id'])
        if project_id in xsoar.cado.projects:
            expected = expected_fields(xsoar.cado, project_id)
            if any(incident['fields'].get(field) != expected[field] for field in COMPARED):
                differing.append((incident_id, project_id))
    return differing


def lost_updates(xsoar: MirroringXsoar) -> list[str]:
    return [incident_id for incident_id, project_id in out_of_step(xsoar) if acknowledged(xsoar, project_id)]


def behind(xsoar: MirroringXsoar) -> list[str]:
    return [incident_id for incident_id, project_id in out_of_step(xsoar) if not acknowledged(xsoar, project_id)]


def cado_changes(cado: FakeCado, cycle: int, project_ids: list[int], chars: int) -> set[int]:
    """What Cado's analysts and pipelines change before a cycle; the ids changed."""
    if cycle == 2:
        for project_id in project_ids:
            cado.summarise(project_id, summary(project_id, cycle, chars))
        return set(project_ids)
    changed = set()
    for index, project_id in enumerate(project_ids):
        if index % 7 == cycle % 7:
            cado.raise_alarms(project_id)
            changed.add(project_id)
        if index % 11 == cycle % 11:
            cado.summarise(project_id, summary(project_id, cycle, chars))
            changed.add(project_id)
        if index % 50 == cycle and cycle < 50:
            cado.set_status(project_id, 'Closed' if cycle % 2 else 'Archived')
            changed.add(project_id)
    return changed


XSOAR_CHANGES = ({'phase': 'Containment'}, {'cado_status': 'Eradication'}, {'phase': 'Recovery'})


def xsoar_changes(xsoar: MirroringXsoar, cycle: int, project_ids: list[int], skip: set[int]) -> int:
    """What analysts change in XSOAR after a cycle (not on projects Cado changed meanwhile); the number sent."""
    sent = 0
    for index, project_id in enumerate(project_ids):
        incident_id = f'inc-{project_id}'
        if project_id in skip or xsoar.incidents[incident_id]['closed'] or index % 13 != cycle % 13:
            continue
        if index % 3 == 0:
            xsoar.change(incident_id, close={'closeReason': 'Resolved', 'closeNotes': f'Closed in cycle {cycle}'})
        else:
            xsoar.change(incident_id, XSOAR_CHANGES[index % len(XSOAR_CHANGES)])
        sent += 1
    return sent


def run(projects: int = 500, cycles: int = 6, summary_chars: int = 4000) -> dict[str, Any]:
    cado = FakeCado()
    project_ids = list(range(1001, 1001 + projects))
    for project_id in project_ids:
        cado.add(project_id, summary=summary(project_id, 0, summary_chars))
    xsoar = MirroringXsoar(cado)
    for project_id in project_ids:
        xsoar.link(f'inc-{project_id}', project_id)
    rows = []

    def measured_cycle(cycle: int, changed: set[int]) -> dict[str, Any]:
        skip = tuple(f'inc-{project_id}' for index, project_id in enumerate(project_ids)
                     if cycle > 2 and index % 17 == cycle % 17)
        before, echoes, xsoar.context.peak = len(cado.requests), len(xsoar.echoes), 0
        modified = xsoar.cycle(skip=skip)
        return {'cycle': cycle, 'cado_changes': len(changed), 'reported': len(modified),
                'pulls_skipped': len(skip), 'requests': len(cado.requests) - before,
                'context_bytes': xsoar.context.peak, 'behind': len(behind(xsoar)), 'lost': len(lost_updates(xsoar)),
                'echoed': len(xsoar.echoes) - echoes, 'xsoar_changes': 0, 'outgoing_requests': 0}

    for cycle in range(1, cycles + 1):
        changed = cado_changes(cado, cycle, project_ids, summary_chars) if cycle > 1 else set(project_ids)
        rows.append(measured_cycle(cycle, changed))
        before = len(cado.requests)
        rows[-1]['xsoar_changes'] = xsoar_changes(xsoar, cycle, project_ids, changed)
        rows[-1]['outgoing_requests'] = len(cado.requests) - before
    for cycle in range(cycles + 1, cycles + 1 + QUIET_CYCLES):  # quiet: nothing changes on either side
        rows.append(measured_cycle(cycle, set()))
        if not rows[-1]['reported']:
            break
    return {'projects': projects, 'summary_chars': summary_chars, 'cycles': rows, 'errors': xsoar.errors,
            'refused_writes': xsoar.context.refused}


def markdown(result: dict[str, Any]) -> str:
    lines = [f'{result["projects"]} mirrored incidents, AI summaries of {result["summary_chars"]:,} characters. '
             'Requests: what get-modified-remote-data and get-remote-data sent in the cycle; context: the largest '
             'integration context written in it; outgoing: the update-remote-system requests after it.', '',
             '| cycle | changed in Cado | reported | pulls skipped | requests | context | behind | lost | echoed | '
             'changed in XSOAR | outgoing requests |', '|---|---|---|---|---|---|---|---|---|---|---|']
    for row in result['cycles']:
        lines.append(f'| {row["cycle"]} | {row["cado_changes"]} | {row["reported"]} | {row["pulls_skipped"]} | '
                     f'{row["requests"]} | {row["context_bytes"] / 1024:,.1f} KiB | {row["behind"]} | {row["lost"]} | '
                     f'{row["echoed"]} | {row["xsoar_changes"]} | {row["outgoing_requests"]} |')
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--projects', type=int, default=500)
    parser.add_argument('--cycles', type=int, default=6)
    parser.add_argument('--summary-chars', type=int, default=4000)
    parser.add_argument('--json', action='store_true')
    options = parser.parse_args()
    result = run(options.projects, options.cycles, options.summary_chars)
    print(json.dumps(result, indent=2) if options.json else markdown(result))
    if result['errors']:
        print('errors:', *result['errors'][:5], sep='\n', file=sys.stderr)


if __name__ == '__main__':
    main()
