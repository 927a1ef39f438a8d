import demistomock as demisto  # noqa: F401
from CommonServerPython import *  # noqa: F401
from CommonServerUserPython import *  # noqa: F401

import json
import re
from typing import Any

# Cado webhook event types (one per webhook); the pack's templates send each one as cado_webhook_event.
DETECTION_EVENTS = ('detection_created', 'detection_updated', 'detection_group_created', 'detection_group_updated')
PROCESSING_EVENTS = ('high_severity_alarm', 'suspicious_severity_event', 'processing_with_alarms',
                     'processing_finished', 'processing_failed')
KNOWN_EVENTS = DETECTION_EVENTS + PROCESSING_EVENTS

# What a processing event type says about the pipeline state and the severity when the event itself does not.
EVENT_FACTS = {'high_severity_alarm': ('', 'high'), 'suspicious_severity_event': ('', 'medium'),
               'processing_with_alarms': ('complete', 'medium'), 'processing_finished': ('complete', 'low'),
               'processing_failed': ('failed', 'low')}

SEVERITY_RANK = {'informational': 0, 'low': 1, 'medium': 2, 'high': 3, 'critical': 4}
# Cado alarm severities are numbers: 3 and above is malicious, 2 suspicious.
ALARM_SEVERITIES = {0: 'informational', 1: 'low', 2: 'medium', 3: 'high'}
PIPELINE_STATES = ('queued', 'in_progress', 'complete', 'failed', 'cancelled')
FINAL_STATES = ('complete', 'failed', 'cancelled')

MAX_TEXT = 1_000_000  # longer input is cut before parsing: a webhook body this size is not an event any more
MAX_DEPTH = 12  # nesting searched for identifiers; deeper data is kept in rawJSON but not searched
UNSET = ('', 'none', 'null', 'nil', 'undefined', 'n/a')
MITRE_RE = re.compile(r'\bT\d{4}(?:\.\d{3})?\b')

# $Event has no published structure: when it is not JSON, its identifiers and counts are read from its text. An id
# is a number after its label: `project 12`, `pipeline_id: 345`, `'investigation_id': 12`.
TEXT_ID_RES = {
    **{f'{name}_id': re.compile(rf'{label}[ _-]?(?:id)?["\']?\s*[:=#]?\s*["\']?(\d+)', re.IGNORECASE) for name, label in (
        ('detection', 'detection'), ('project', '(?:project|investigation)'), ('pipeline', 'pipeline'),
        ('evidence', 'evidence'))},
    'malicious': re.compile(r'(\d+)\s+malicious', re.IGNORECASE),
    'suspicious': re.compile(r'(\d+)\s+suspicious', re.IGNORECASE),
    'severity': re.compile(r'\bseverity\b\W{0,3}(\w+)', re.IGNORECASE),
}

# Keys searched (case-insensitively, at any depth) for each piece of the event.
KEYS = {
    'event_type': ('cado_webhook_event', 'event_type'), 'detection_id': ('cado_detection_id', 'detection_id'),
    'group_id': ('cado_group_id', 'group_id'), 'project_id': ('project_id', 'investigation_id'),
    'pipeline_id': ('pipeline_id', 'processing_pipeline_id'), 'evidence_id': ('evidence_id',),
    'severity': ('severity', 'alarm_severity'), 'source': ('source',),
    'status': ('pipeline_status', 'processing_status', 'status'), 'malicious': ('malicious', 'malicious_count'),
    'suspicious': ('suspicious', 'suspicious_count'), 'resources': ('resource_data', 'resources', 'resource'),
    'mitre': ('mitre', 'mitre_techniques'),
}


def _clean(value: Any) -> str:
    """A scalar as trimmed text; unsubstituted template variables ($detection_id) and null-ish words are empty."""
    if value is None or isinstance(value, dict | list):
        return ''
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = ' '.join(str(value).split())
    return '' if text.lower() in UNSET or re.fullmatch(r'\$\{?[A-Za-z_]+\}?', text) else text


def _clean_id(value: Any) -> str:
    text = _clean(value)
    return text if re.fullmatch(r'[\w.:/@-]{1,200}', text) else ''


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value] if value else []


def _count(value: Any) -> int | None:
    try:
        number = int(float(_clean(value)))
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number >= 0 else None


def _merge_lists(*lists: list[str]) -> list[str]:
    return list(dict.fromkeys(item for items in lists for item in items if item))


def decode(value: Any) -> Any:
    """An event as Python data: objects as they are, JSON text parsed, any other text kept as text."""
    text = value.strip()[:MAX_TEXT] if isinstance(value, str) else None
    try:
        return value if text is None else json.loads(text) if text[:1] in ('{', '[') else text
    except (ValueError, RecursionError):
        return text


def find(data: Any, keys: tuple[str, ...], scalar: bool = True, depth: int = 0) -> Any:
    """First value under any of keys (case-insensitive), nearest level first; scalar=False also returns lists/dicts.
    Generic Webhook's request headers are never read."""
    if depth > MAX_DEPTH or not isinstance(data, dict | list):
        return None
    if isinstance(data, dict):
        lowered = {str(k).lower(): v for k, v in data.items()}
        for value in (lowered.get(key) for key in keys):
            if (value and not scalar) if isinstance(value, dict | list) else _clean(value):
                return value
        data = [v for k, v in data.items() if str(k).lower() != 'headers']
    return next((found for child in data for found in [find(child, keys, scalar, depth + 1)] if found is not None), None)


def first_of(layers: list[Any], keys: tuple[str, ...], cleaner=_clean) -> str:
    """The first non-empty value under keys, layer by layer."""
    return next((value for value in (cleaner(find(layer, keys)) for layer in layers) if value), '')


def normalise_severity(value: Any) -> str:
    text, number = _clean(value).lower(), _count(value)
    return text if text in SEVERITY_RANK else '' if number is None else ALARM_SEVERITIES.get(number, 'critical')


def parse_text(text: str) -> dict[str, str]:
    """The labelled identifiers and counts in free text."""
    matches = {key: pattern.search(text) for key, pattern in TEXT_ID_RES.items()}
    return {key: match.group(1) for key, match in matches.items() if match}


def parse_one(value: Any) -> dict[str, Any]:
    """One event: the pack's webhook body or fetched rawJSON ($Event in cado_event), an API detection, or a text."""
    data = decode(value)
    event_text = data if isinstance(data, str) else ''
    data = parse_text(data) if isinstance(data, str) else data if isinstance(data, dict) else {}
    event_text = data['cado_event'] if isinstance(data.get('cado_event'), str) else event_text
    inner = decode(data.get('cado_event'))
    inner = parse_text(inner) if isinstance(inner, str) else inner if isinstance(inner, dict) else {}
    is_detection = 'finding_id' in data or 'resource_data' in data or {'investigation_id', 'severity'} <= set(data)
    detection = data['cado_detection'] if isinstance(data.get('cado_detection'), dict) else (
        data if is_detection else {})
    layers = [data, detection, inner]
    title = _clean(data.get('cado_title')) or _clean(detection.get('name')) or first_of(layers, ('title',))
    event_type = next((name for name in (_clean(data.get('cado_webhook_event')).lower(), 'detection_created' if detection
                                         else first_of(layers, KEYS['event_type']).lower()) if name in KNOWN_EVENTS), '')
    status = first_of(layers, KEYS['status']).lower().replace(' ', '_')
    mitre = _merge_lists([_clean(item) for layer in layers for item in _as_list(find(layer, KEYS['mitre'], False))])
    return {
        'event_type': event_type,
        'category': 'detection' if detection or event_type in DETECTION_EVENTS else (
            'processing' if event_type in PROCESSING_EVENTS else 'unknown'),
        'detection_id': first_of(layers, KEYS['detection_id'], _clean_id) or _clean_id(detection.get('id')),
        'group_id': first_of(layers, KEYS['group_id'], _clean_id),
        'project_id': first_of(layers, KEYS['project_id'], _clean_id),
        'pipeline_id': first_of(layers, KEYS['pipeline_id'], _clean_id),
        'evidence_id': first_of(layers, KEYS['evidence_id'], _clean_id),
        'pipeline_state': status if status in PIPELINE_STATES else EVENT_FACTS.get(event_type, ('', ''))[0],
        'severity': normalise_severity(first_of(layers, KEYS['severity'])) or EVENT_FACTS.get(event_type, ('', ''))[1],
        'source': first_of(layers, KEYS['source']),
        'title': title,
        'description': _clean(detection.get('description')) or title,
        'mitre': mitre,
        'mitre_techniques': _merge_lists(MITRE_RE.findall(' '.join(mitre))),
        'alarms_malicious': _count(first_of(layers, KEYS['malicious'])),
        'alarms_suspicious': _count(first_of(layers, KEYS['suspicious'])),
        'resource_ids': _merge_lists([_clean_id(item.get('resource_id') if isinstance(item, dict) else item)
                                      for layer in layers for item in _as_list(find(layer, KEYS['resources'], False))]),
        'raw_event': event_text[:MAX_TEXT],
    }


def _objects(value: Any) -> list[dict]:
    """Command outputs passed as an argument (a dict, a list, or their JSON text) as a list of dicts."""
    data = decode(value)
    return [item for item in (data if isinstance(data, list) else [data]) if isinstance(item, dict)]


def with_detections(event: dict[str, Any], detections: list[dict]) -> dict[str, Any]:
    """What the detections of the same ID (else project; never unrelated ones) add: the event's values win."""
    key = 'detection_id' if event['detection_id'] else 'project_id'
    for detection in (parse_one(item) for item in detections):
        if not event[key] or detection[key] != event[key]:
            continue
        for name, found in detection.items():
            if isinstance(found, list):
                event[name] = _merge_lists(event[name], found)
            elif event[name] in ('', None):
                event[name] = found
        event['severity'] = max(event['severity'], detection['severity'], key=lambda s: SEVERITY_RANK.get(s, -1))
    return event


def select_project(projects: list[dict], event: dict[str, Any]) -> dict:
    """The incident's Cado project among command outputs: by id, else linked to the incident, else by name."""
    by_id = [p for p in projects if event['project_id'] and _clean_id(p.get('id')) == event['project_id']]
    linked = [p for p in projects if event['incident_id'] and _clean(p.get('incident_id')) == event['incident_id']]
    named = [p for p in projects if event['project_name'] and isinstance(p.get('details'), dict)
             and _clean(p['details'].get('name')) == _clean(event['project_name'])]
    return next(iter(by_id or ([] if event['project_id'] else linked or named)), {})


def apply_results(event: dict[str, Any], args: dict[str, Any], detections: list[dict]) -> dict[str, Any]:
    """Fold in what the playbook's commands returned: the project, the acquisition, the pipeline."""
    acquisitions = [a for a in _objects(args.get('acquisitions'))
                    if not event['project_id'] or _clean_id(a.get('project_id')) in ('', event['project_id'])]
    acquisition = acquisitions[-1] if acquisitions else {}
    if acquisition:
        event['project_id'] = event['project_id'] or _clean_id(acquisition.get('project_id'))
        event.update({key: _clean_id(acquisition.get(key)) or event[key]
                      for key in ('pipeline_id', 'processing_pipeline_id', 'evidence_id')})
        # `status` is the acquisition's outcome (a failure anywhere, a timeout); once complete, processing decides.
        state = _clean(acquisition.get('status')).lower()
        if state in ('', 'complete') and _clean(acquisition.get('processing_status')):
            state = _clean(acquisition.get('processing_status')).lower()
        event['pipeline_state'] = state or event['pipeline_state']
    pipeline = next((p for p in _objects(args.get('pipelines'))
                     if event['pipeline_id'] and _clean_id(p.get('id')) == event['pipeline_id']), {})
    event['pipeline_state'] = _clean(pipeline.get('status')).lower() or event['pipeline_state']
    if isinstance(pipeline.get('project'), dict):
        event['project_id'] = event['project_id'] or _clean_id(pipeline['project'].get('id'))
    project = select_project(_objects(args.get('projects')), event)
    event['project_id'] = event['project_id'] or _clean_id(project.get('id'))
    alarms = project.get('alarms') if isinstance(project.get('alarms'), dict) else {}
    event.update({f'alarms_{key}': _count(alarms.get(key)) for key in ('malicious', 'suspicious')
                  if _count(alarms.get(key)) is not None})
    counted = _count(acquisition.get('detection_count'))
    if counted is None and event['project_id'] and detections:  # the project's detections the playbook listed
        counted = len({_clean_id(d.get('id')) for d in detections
                       if _clean_id(d.get('investigation_id')) == event['project_id']} - {''})
    event['detection_count'] = counted
    return event


def parse_event(args: dict[str, Any], incident: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole CadoEvent: the event (default: the incident's rawJSON) with its detections, the ids a previous run
    recorded and the command results folded in, and the facts the playbooks branch on."""
    incident = incident or {}
    event = parse_one(args.get('event') or incident.get('rawJSON'))
    for key in ('project_id', 'detection_id', 'pipeline_id'):  # explicit ids decide which detections are related
        event[key] = _clean_id(args.get(key)) or event[key]
    detections = _objects(args.get('detection'))
    event = with_detections(event, detections)
    incident_id = _clean_id(args.get('incident_id')) or _clean_id(incident.get('id'))
    prefix = _clean(args.get('project_name_prefix')) or 'XSOAR incident'
    event.update({'incident_id': incident_id, 'processing_pipeline_id': '',
                  'project_name': _clean(args.get('project_name'))[:80] or (
                      f'{prefix} {incident_id}'[:80] if incident_id else ''),
                  'pipeline_state': _clean(args.get('pipeline_state')).lower() or event['pipeline_state']})
    event = apply_results(event, args, detections)
    cado_url = _clean(args.get('cado_url')).rstrip('/')
    known_counts = event['alarms_malicious'] is not None and event['alarms_suspicious'] is not None
    event.update({
        'project_link': f"{cado_url}/projects/{event['project_id']}" if cado_url and event['project_id'] else '',
        'pipeline_running': bool(event['pipeline_id']) and event['pipeline_state'] not in FINAL_STATES,
        'nothing_found': event['pipeline_state'] == 'complete' and known_counts
        and not event['alarms_malicious'] and not event['alarms_suspicious'],
        'incident_name': incident_name(event),
        'key': f'incident-{incident_id}' if incident_id else (
            f"detection-{event['detection_id']}" if event['detection_id'] else f"pipeline-{event['pipeline_id']}"),
    })
    return event


def incident_name(event: dict[str, Any]) -> str:
    """A name that says what happened even when Cado left $Title or the ids empty."""
    if event['category'] == 'detection':
        subject = (f"Cado detection {event['detection_id']}" if event['detection_id'] else
                   f"Cado detection group {event['group_id']}" if event['group_id'] else '')
        name = f"{subject or 'Cado detection'}: {event['title']}" if event['title'] else (
            subject or 'Cado detection (no detection ID or title received)')
    else:
        what = event['title'] or (event['event_type'] or 'event').replace('_', ' ')
        ids = ', '.join(f'{label} {event[key]}' for label, key in (('project', 'project_id'),
                                                                   ('pipeline', 'pipeline_id')) if event[key])
        name = f'Cado: {what}' + (f' ({ids})' if ids else '')
    return name[:200]


SUMMARY = ('event_type', 'title', 'detection_id', 'group_id', 'severity', 'source', 'resource_ids', 'mitre_techniques',
           'project_id', 'project_link', 'pipeline_id', 'pipeline_state', 'processing_pipeline_id', 'evidence_id',
           'alarms_malicious', 'alarms_suspicious', 'detection_count', 'nothing_found')


def summary_markdown(event: dict[str, Any]) -> str:
    """The war-room summary: the event, then the Cado project, pipeline and findings, as far as they are known
    (whether Cado found nothing is always shown)."""
    row = {key: event[key] for key in SUMMARY if event.get(key) not in (None, '', [])}
    return tableToMarkdown('Cado event', row, headers=list(row), removeNull=True, headerTransform=string_to_table_header)


def parse_event_command(args: dict[str, Any], incident: dict[str, Any] | None = None) -> CommandResults:
    event = parse_event(args, incident)
    return CommandResults(outputs_prefix='CadoEvent', outputs_key_field='key', outputs=event,
                          readable_output=summary_markdown(event), raw_response=event)


def main():  # pragma: no cover
    try:
        return_results(parse_event_command(demisto.args(), demisto.incident()))
    except Exception as e:
        return_error(f'Failed to parse the Cado event: {e}')


if __name__ in ('__main__', '__builtin__', 'builtins'):  # pragma: no cover
    main()
