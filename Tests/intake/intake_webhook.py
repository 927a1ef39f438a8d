"""Generic Webhook's documented body-to-incident rules, Cado's template substitution (two models) and the pack's
incoming mapper, as plain functions for the intake tests.

Generic Webhook (XSOAR's own integration): a JSON body becomes one incident (a JSON list: one each); the incident's
`name`, `type` and `occurred` come from those top-level keys; its rawJSON is the body's `rawJson`/`raw_json` object,
else the whole body; request headers are added under rawJSON.headers. A body that is not JSON is refused (HTTP 422
from its FastAPI model) and no incident is created.
"""
import json
import re
from pathlib import Path
from typing import Any

from playbook_runner import PACK, get_path

SAMPLES = Path(__file__).resolve().parent / 'samples'
MIRRORED = Path(__file__).resolve().parent / 'mirror'
DEFAULT_NAME = 'Generic webhook triggered incident'


class WebhookRejected(Exception):
    """Generic Webhook answers 422: the body is not JSON, so no incident is created."""


def _replace(text: str, values: dict[str, str], escape: bool) -> str:
    """One pass over the template: a substituted value is never substituted again."""
    if not values:
        return text
    pattern = re.compile('|'.join(re.escape(v) for v in sorted(values, key=len, reverse=True)))
    return pattern.sub(lambda m: json.dumps(values[m.group(0)])[1:-1] if escape else values[m.group(0)], text)


def substitute_escaped(template: dict[str, str], values: dict[str, str]) -> dict[str, Any]:
    """ASSUMPTION under test: Cado JSON-escapes what it substitutes (the body stays valid whatever $Event holds)."""
    return json.loads(_replace(json.dumps(template), values, escape=True))


def substitute_raw(template: dict[str, str], values: dict[str, str]) -> str:
    """The other possibility: plain text replacement; quotes, backslashes or newlines in a value break the JSON."""
    return _replace(json.dumps(template), values, escape=False)


def generic_webhook(body: Any, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The incidents Generic Webhook creates from a request body (text or already-parsed JSON)."""
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except ValueError as e:
            raise WebhookRejected(f'422: body is not JSON ({e})') from e
    incidents = []
    for item in body if isinstance(body, list) else [body]:
        if not isinstance(item, dict):
            raise WebhookRejected('422: each incident must be a JSON object')
        raw = item.get('rawJson') or item.get('raw_json')
        raw = dict(raw) if isinstance(raw, dict) else dict(item)
        raw['headers'] = dict(headers or {'content-type': 'application/json'})
        incidents.append({'name': item.get('name') or DEFAULT_NAME, 'type': item.get('type'),
                          'occurred': item.get('occurred'), 'rawJSON': json.dumps(raw)})
    return incidents


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())


def incident_fields() -> dict[str, dict[str, Any]]:
    """The pack's incident fields by display name."""
    return {f['name']: f for f in map(load_json, sorted((PACK / 'IncidentFields').glob('*.json')))}


def mapper() -> dict[str, Any]:
    return load_json(PACK / 'Classifiers' / 'classifier-mapper-incoming-Cado_Security.json')


def mapped_value(raw: dict[str, Any], rule: dict[str, Any]) -> Any:
    """A mapping rule's value from the raw JSON: a simple path (dots go into objects, lists are walked, as XSOAR's
    mapper does), or a complex root/accessor whose transformers may only be SetIfEmpty (a fallback path)."""
    if rule.get('simple'):
        return get_path(raw, rule['simple'])
    complex_ = rule['complex']
    value = get_path(raw, '.'.join(filter(None, (complex_['root'], complex_.get('accessor')))))
    assert not complex_.get('filters'), 'mapper filters are not interpreted'
    for transformer in complex_.get('transformers') or []:
        assert transformer['operator'] == 'SetIfEmpty', f'transformer {transformer["operator"]} is not interpreted'
        default = transformer['args']['defaultValue']
        if value in (None, '', [], {}):
            value = get_path(raw, default['value']['simple']) if default.get('isContext') else default['value']['simple']
    return value


def apply_mapper(incident: dict[str, Any]) -> dict[str, Any]:
    """The incident after the pack's incoming mapper: custom fields (by cliName) and system fields filled."""
    fields = incident_fields()
    raw = json.loads(incident['rawJSON'])
    rules = mapper()
    mapping = rules['mapping'].get(incident.get('type') or rules['defaultIncidentType'], {})
    mapped = dict(incident, CustomFields={})
    for name, rule in mapping.get('internalMapping', {}).items():
        value = mapped_value(raw, rule)
        if value in (None, '', []):
            continue
        if name in fields:
            mapped['CustomFields'][fields[name]['cliName']] = value
        else:
            mapped[name] = value
    return mapped


def apply_mirrored(incident: dict[str, Any], mirrored_object: dict[str, Any]) -> dict[str, Any]:
    """Incoming mirroring: XSOAR runs the instance's incoming mapper on get-remote-data's mirrored object and updates
    the incident's fields with what it maps (a field the object does not carry is left as it is)."""
    update = apply_mapper({'type': incident['type'], 'rawJSON': json.dumps(mirrored_object)})
    incident.setdefault('CustomFields', {}).update(update['CustomFields'])
    return incident


def samples() -> list[Path]:
    return sorted(SAMPLES.glob('*.json'))
