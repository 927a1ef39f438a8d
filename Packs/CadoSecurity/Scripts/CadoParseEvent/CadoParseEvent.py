import demistomock as demisto  # noqa: F401
from CommonServerPython import *  # noqa: F401
from CommonServerUserPython import *  # noqa: F401

import ast
import json
import re
from typing import Any

# Cado webhook event types (one per webhook) and what the pack's templates send for each.
DETECTION_EVENTS = ('detection_created', 'detection_updated', 'detection_group_created', 'detection_group_updated')
PROCESSING_EVENTS = ('high_severity_alarm', 'suspicious_severity_event', 'processing_with_alarms',
                     'processing_finished', 'processing_failed')
KNOWN_EVENTS = DETECTION_EVENTS + PROCESSING_EVENTS

# $Title texts Cado is known or likely to send, checked in order (most specific first).
TITLE_EVENT_HINTS = (
    ('detection group', 'detection_group_created'),
    ('detection', 'detection_created'),
    ('high severity alarm', 'high_severity_alarm'),
    ('suspicious', 'suspicious_severity_event'),
    ('fail', 'processing_failed'),
    ('with alarm', 'processing_with_alarms'),
    ('finish', 'processing_finished'),
    ('complete', 'processing_finished'),
)

# What the event type says about the pipeline and the severity when the event itself does not.
EVENT_PIPELINE_STATE = {'processing_finished': 'complete', 'processing_with_alarms': 'complete',
                        'processing_failed': 'failed'}
EVENT_SEVERITY = {'high_severity_alarm': 'high', 'suspicious_severity_event': 'medium',
                  'processing_with_alarms': 'medium', 'processing_failed': 'low', 'processing_finished': 'low'}

SEVERITY_ALIASES = {'critical': 'critical', 'crit': 'critical', 'high': 'high', 'malicious': 'high',
                    'medium': 'medium', 'moderate': 'medium', 'suspicious': 'medium', 'low': 'low',
                    'info': 'informational', 'informational': 'informational', 'information': 'informational'}
XSOAR_SEVERITY = {'critical': 4, 'high': 3, 'medium': 2, 'low': 1, 'informational': 0.5}
SEVERITY_RANK = {'informational': 0, 'low': 1, 'medium': 2, 'high': 3, 'critical': 4}

# Detection sources and the provider their resources live in when the resource id alone does not say.
SOURCE_PROVIDER = {'guardduty': 'aws', 'aws': 'aws', 'crowdstrike': 'crowdstrike', 'sentinelone': 'sentinelone',
                   'defender': 'defender', 'microsoft defender': 'defender', 'darktrace': 'darktrace'}
XDR_PROVIDERS = ('crowdstrike', 'sentinelone', 'defender')

# Which acquisition command fits a (provider, resource type). Resource types use Cado's own source names.
ACQUISITION_COMMANDS = {
    ('aws', 'ec2'): 'cado-aws-ec2-acquire', ('aws', 's3'): 'cado-aws-s3-acquire',
    ('aws', 'lambda'): 'cado-aws-lambda-acquire', ('aws', 'ecs'): 'cado-aws-ecs-acquire',
    ('aws', 'eks'): 'cado-aws-eks-acquire',
    ('gcp', 'gce'): 'cado-gcp-gce-acquire', ('gcp', 'gcs'): 'cado-gcp-gcs-acquire', ('gcp', 'gke'): 'cado-gcp-gke-acquire',
    ('azure', 'vm'): 'cado-azure-vm-acquire', ('azure', 'disk'): 'cado-azure-disk-acquire',
    ('azure', 'blob'): 'cado-azure-blob-acquire', ('azure', 'aks'): 'cado-azure-aks-acquire',
    ('crowdstrike', 'device'): 'cado-xdr-device-acquire', ('sentinelone', 'device'): 'cado-xdr-device-acquire',
    ('defender', 'device'): 'cado-xdr-device-acquire',
    ('darktrace', 'endpoint'): 'cado-darktrace-endpoint-acquire',
    ('url', 'url'): 'cado-url-acquire',
}

# Free-form resource type names (GuardDuty, Wiz, users) and Cado's resource type they mean.
RESOURCE_TYPE_ALIASES = {
    'instance': 'ec2', 'ec2': 'ec2', 'ec2instance': 'ec2', 'awsec2instance': 'ec2', 'virtualmachine': 'vm',
    's3': 's3', 's3bucket': 's3', 'bucket': 's3', 'awss3bucket': 's3', 'lambda': 'lambda', 'function': 'lambda',
    'lambdafunction': 'lambda', 'awslambdafunction': 'lambda', 'ecs': 'ecs', 'ecscluster': 'ecs', 'container': 'ecs',
    'eks': 'eks', 'ekscluster': 'eks', 'gce': 'gce', 'computeinstance': 'gce', 'gcs': 'gcs', 'storagebucket': 'gcs',
    'gke': 'gke', 'vm': 'vm', 'azurevm': 'vm', 'disk': 'disk', 'blob': 'blob', 'storageaccount': 'blob', 'aks': 'aks',
    'device': 'device', 'host': 'device', 'endpoint': 'endpoint', 'url': 'url',
}
PROVIDER_ALIASES = {'aws': 'aws', 'amazon': 'aws', 'gcp': 'gcp', 'google': 'gcp', 'googlecloud': 'gcp', 'azure': 'azure',
                    'microsoft': 'azure', 'crowdstrike': 'crowdstrike', 'sentinelone': 'sentinelone',
                    'defender': 'defender', 'darktrace': 'darktrace', 'url': 'url'}

AWS_ARN_TYPES = {'ec2': 'ec2', 's3': 's3', 'lambda': 'lambda', 'ecs': 'ecs', 'eks': 'eks'}
AZURE_PROVIDER_TYPES = {'microsoft.compute/virtualmachines': 'vm', 'microsoft.compute/disks': 'disk',
                        'microsoft.storage/storageaccounts': 'blob', 'microsoft.containerservice/managedclusters': 'aks'}

MAX_TEXT = 1_000_000  # longer input is cut before parsing: a webhook body this size is not an event any more
MAX_DEPTH = 12  # nesting searched for identifiers; deeper data is kept in rawJSON but not searched
UNSET = ('', 'none', 'null', 'nil', 'undefined', 'n/a')

ARN_RE = re.compile(r'arn:aws[\w-]*:([\w-]+):([\w-]*):(\d*):([\w./:+=@,-]+)')
INSTANCE_ID_RE = re.compile(r'\bi-(?:[0-9a-f]{17}|[0-9a-f]{8})\b')
GCP_RE = re.compile(r'(?://([\w.-]+)\.googleapis\.com/)?projects/([\w.:-]+)/(zones|locations|regions)/([\w-]+)/'
                    r'(instances|clusters)/([\w.-]+)')
GCS_RE = re.compile(r'(?://storage\.googleapis\.com/(?:projects/[^/\s]+/buckets/)?|gs://)([a-z0-9][\w.-]{1,220})')
AZURE_RE = re.compile(r'/subscriptions/([\w-]+)/resourceGroups/([\w.()-]+)/providers/(Microsoft\.\w+/\w+)/([\w.-]+)',
                      re.IGNORECASE)
MITRE_RE = re.compile(r'\bT\d{4}(?:\.\d{3})?\b')


def _labelled_number(label: str) -> re.Pattern:
    """A number after a label in free text: `detection 12`, `detection_id: 12`, `"pipeline_id": "12"`."""
    return re.compile(rf'{label}[ _-]?(?:id)?["\']?\s*[:=#]?\s*["\']?(\d+)', re.IGNORECASE)


TEXT_ID_RES = {
    'detection_id': _labelled_number('detection'),
    'group_id': _labelled_number('group'),
    'project_id': _labelled_number('(?:project|investigation)'),
    'pipeline_id': _labelled_number('pipeline'),
    'evidence_id': _labelled_number('evidence'),
    'malicious': re.compile(r'(\d+)\s+malicious', re.IGNORECASE),
    'suspicious': re.compile(r'(\d+)\s+suspicious', re.IGNORECASE),
    'severity': re.compile(r'\bseverity\b\W{0,3}(\w+)|\b(\w+)[ _-]severity\b', re.IGNORECASE),
}
# Leading fields of the pack's own template, recovered from a body that is not valid JSON any more.
TEMPLATE_FIELD_RE = re.compile(r'"(name|type|cado_webhook_event|cado_event_type|cado_detection_id|cado_group_id|'
                               r'cado_title|source_brand)"\s*:\s*"((?:[^"\\]|\\.)*)"')
TEMPLATE_EVENT_RE = re.compile(r'"cado_event"\s*:\s*"(.*)"\s*}?\s*$', re.DOTALL)

# Keys searched (case-insensitively, at any depth) for each piece of the event.
KEYS = {
    'event_type': ('cado_webhook_event', 'webhook_event', 'event_type', 'eventtype', 'event'),
    'detection_id': ('cado_detection_id', 'detection_id', 'detectionid'),
    'group_id': ('cado_group_id', 'group_id', 'detection_group_id', 'groupid'),
    'project_id': ('project_id', 'investigation_id', 'projectid', 'investigationid', 'case_id'),
    'pipeline_id': ('pipeline_id', 'pipelineid', 'processing_pipeline_id', 'triggering_pipeline_id'),
    'evidence_id': ('evidence_id', 'evidenceid'),
    'severity': ('severity', 'alarm_severity', 'level'),
    'source': ('source', 'detection_source', 'provider_name'),
    'status': ('pipeline_status', 'processing_status', 'status', 'state'),
    'malicious': ('malicious', 'malicious_count', 'malicious_alarms'),
    'suspicious': ('suspicious', 'suspicious_count', 'suspicious_alarms'),
    'region': ('region', 'awsregion', 'aws_region', 'cluster_region', 'location'),
    'zone': ('zone', 'availability_zone', 'availabilityzone', 'cluster_zone'),
    'account': ('cloud_account_id', 'account_id', 'accountid', 'account', 'cloud_id', 'subscription_id',
                'recipientaccountid', 'account_name'),
}
PIPELINE_STATES = ('queued', 'in_progress', 'complete', 'failed', 'cancelled')
FINAL_STATES = ('complete', 'failed', 'cancelled')


def _clean(value: Any) -> str:
    """A scalar as trimmed text; unsubstituted template variables ($detection_id) and null-ish words are empty."""
    if value is None or isinstance(value, (dict, list)):
        return ''
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = ' '.join(str(value).split())
    if text.lower() in UNSET or re.fullmatch(r'\$\{?[A-Za-z_]+\}?', text):
        return ''
    return text


def _clean_id(value: Any) -> str:
    text = _clean(value)
    return text if re.fullmatch(r'[\w.:/@-]{1,200}', text) else ''


def _as_list(value: Any) -> list:
    """A value found under a key that holds one item or a list of them; nothing found is an empty list."""
    return value if isinstance(value, list) else [value] if value else []


def _count(value: Any) -> int | None:
    try:
        number = int(float(_clean(value)))
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number >= 0 else None


def decode(value: Any, depth: int = 0) -> tuple[Any, str]:
    """Turn an event in any form into Python data. Returns (data, form) with form json|python|text|object|empty."""
    if isinstance(value, (bytes, bytearray)):
        value = value.decode('utf-8', errors='replace')
    if isinstance(value, (dict, list)):
        return value, 'object'
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, 'empty'
    if not isinstance(value, str):
        return value, 'object'
    text = value.strip()[:MAX_TEXT]
    if depth < 3 and text[:1] in '{["':
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            data = None
        else:
            if isinstance(data, str):  # JSON-encoded JSON (a body stored as a string twice)
                return decode(data, depth + 1)
            return data, 'json'
        if text[:1] in '{[':
            try:  # the event rendered with Python's str() of a dict
                data = ast.literal_eval(text)
            except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
                data = None
            if isinstance(data, (dict, list)):
                return data, 'python'
    return text, 'text'


def unwrap(data: Any) -> Any:
    """Strip the wrappers an event can arrive in: an XSOAR incident, Generic Webhook's rawJson/raw_json."""
    for _ in range(4):
        if not isinstance(data, dict):
            return data
        lowered = {str(k).lower(): k for k in data}
        inner_key = next((lowered[k] for k in ('rawjson', 'raw_json') if k in lowered), None)
        if inner_key is None:
            return data
        inner, _form = decode(data[inner_key])
        if not isinstance(inner, dict):
            return data
        data = inner
    return data


def find(data: Any, keys: tuple[str, ...], scalar: bool = True, depth: int = 0) -> Any:
    """First value under any of keys (case-insensitive), nearest level first; scalar=False also returns lists/dicts."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(data, dict):
        lowered = {str(k).lower(): v for k, v in data.items()}
        for key in keys:
            value = lowered.get(key)
            if isinstance(value, (dict, list)):
                if not scalar and value:
                    return value
            elif _clean(value):
                return value
        children = [v for k, v in data.items() if str(k).lower() != 'headers']
    elif isinstance(data, list):
        children = data
    else:
        return None
    for child in children:
        if isinstance(child, (dict, list)):
            found = find(child, keys, scalar, depth + 1)
            if found is not None:
                return found
    return None


def strings(data: Any, depth: int = 0) -> list[str]:
    """Every string (and number) in data, for identifier patterns that can sit under any key."""
    if depth > MAX_DEPTH:
        return []
    if isinstance(data, dict):
        return [s for k, v in data.items() if str(k).lower() != 'headers' for s in strings(v, depth + 1)]
    if isinstance(data, list):
        return [s for v in data for s in strings(v, depth + 1)]
    if isinstance(data, str):
        nested, form = decode(data) if data.strip()[:1] in '{[' else (None, 'text')
        return strings(nested, depth + 1) if form in ('json', 'python') else [data]
    return [] if data is None else [str(data)]


def normalise_severity(value: Any) -> str:
    text = _clean(value).lower()
    if text in SEVERITY_ALIASES:
        return SEVERITY_ALIASES[text]
    number = _count(text)
    if number is not None:  # Cado alarm severities are numbers; 3+ is malicious, 2 suspicious
        return {0: 'informational', 1: 'low', 2: 'medium', 3: 'high'}.get(number, 'critical')
    return next((sev for word, sev in SEVERITY_ALIASES.items() if len(word) > 3 and word in text), '')


def normalise_event_type(value: Any, title: str = '') -> str:
    text = _clean(value).lower().replace(' ', '_').replace('-', '_')
    if text in KNOWN_EVENTS:
        return text
    haystack = f'{text} {title}'.lower().replace('_', ' ')
    return next((event for hint, event in TITLE_EVENT_HINTS if hint in haystack), '')


def _provider(value: Any) -> str:
    text = re.sub(r'[^a-z0-9]', '', _clean(value).lower())
    return next((p for alias, p in PROVIDER_ALIASES.items() if text.startswith(alias)), '')


def _resource_type(value: Any) -> str:
    text = re.sub(r'[^a-z0-9]', '', _clean(value).lower())
    return RESOURCE_TYPE_ALIASES.get(text, '')


def default_type(provider: str) -> str:
    """The only resource type Cado acquires from a provider that is not a cloud."""
    return 'device' if provider in XDR_PROVIDERS else {'darktrace': 'endpoint', 'url': 'url'}.get(provider, '')


def resource(provider: str = '', type_: str = '', id_: str = '', region: str = '', zone: str = '',
             account: str = '', full_id: str = '', resource_group: str = '') -> dict[str, str]:
    return {'provider': provider, 'type': type_, 'id': id_, 'region': region, 'zone': zone, 'account': account,
            'resource_group': resource_group, 'full_id': full_id or id_}


def resources_from_text(text: str) -> list[dict[str, str]]:
    """Resources named by cloud identifiers inside text: AWS ARNs and instance ids, GCP and Azure resource paths."""
    found = []
    for service, region, account, rest in ARN_RE.findall(text):
        type_ = AWS_ARN_TYPES.get(service, service)
        name = rest.split('/', 1)[-1] if '/' in rest else rest.split(':')[-1]
        if service == 'lambda':
            name = rest.split(':')[1] if rest.startswith('function:') else name
        if service == 'ecs' and rest.startswith('task/'):
            name = rest.split('/')[-1]
        full = f'arn:aws:{service}:{region}:{account}:{rest}'
        found.append(resource('aws', type_, name, region=region, account=account, full_id=full))
    for instance_id in INSTANCE_ID_RE.findall(text):
        found.append(resource('aws', 'ec2', instance_id))
    for _api, project, scope, location, kind, name in GCP_RE.findall(text):
        type_ = 'gce' if kind == 'instances' else 'gke'
        zone, region = (location, location.rsplit('-', 1)[0]) if scope == 'zones' else ('', location)
        if re.fullmatch(r'[a-z]+-[a-z]+\d-[a-z]', location):
            zone, region = location, location.rsplit('-', 1)[0]
        full = f'projects/{project}/{scope}/{location}/{kind}/{name}'
        found.append(resource('gcp', type_, name, region=region, zone=zone, account=project, full_id=full))
    for bucket in GCS_RE.findall(text):
        found.append(resource('gcp', 'gcs', bucket, full_id=f'gs://{bucket}'))
    for subscription, group, kind, name in AZURE_RE.findall(text):
        type_ = AZURE_PROVIDER_TYPES.get(kind.lower(), kind.split('/')[-1].lower())
        full = f'/subscriptions/{subscription}/resourceGroups/{group}/providers/{kind}/{name}'
        found.append(resource('azure', type_, name, account=subscription, full_id=full, resource_group=group))
    return found


def resource_from_dict(item: dict, source_provider: str) -> list[dict[str, str]]:
    """A resource described by keys: Cado's resource_data ({resource_id, full_resource_id}) or a generic object."""
    full_id = _clean(item.get('full_resource_id') or item.get('arn') or item.get('resource_arn'))
    plain_id = _clean_id(item.get('resource_id') or item.get('id') or item.get('instance_id')
                         or item.get('device_id') or item.get('resource_name') or item.get('name'))
    parsed = resources_from_text(f'{full_id} {plain_id}')
    region, zone, account = (_clean(find(item, KEYS[key])) for key in ('region', 'zone', 'account'))
    if parsed:  # a full identifier says most; the object's own keys fill the rest
        first = parsed[0]
        for key, value in (('region', region), ('zone', zone), ('account', account)):
            first[key] = first[key] or value
        return [first]
    if not plain_id and not full_id:
        return []
    lowered = {str(k).lower(): v for k, v in item.items()}
    provider = _provider(lowered.get('provider') or lowered.get('cloud_provider') or lowered.get('cloud')) \
        or source_provider
    type_ = _resource_type(lowered.get('type') or lowered.get('resource_type') or lowered.get('resourcetype'))
    return [resource(provider, type_ or default_type(provider), plain_id or full_id, region=region, zone=zone,
                     account=account, full_id=full_id or plain_id)]


def collect_resources(layers: list[Any], source_provider: str) -> list[dict[str, str]]:
    """Resources from structured resource lists first, else identifiers found anywhere in the event."""
    found: list[dict[str, str]] = []
    for layer in layers:
        for item in _as_list(find(layer, ('resource_data', 'resources', 'resource'), scalar=False)):
            if isinstance(item, dict):
                found += resource_from_dict(item, source_provider)
            elif _clean_id(item):
                found += resources_from_text(_clean(item)) or [resource(source_provider, '', _clean_id(item))]
    if not found:
        found = [res for text in strings(layers) for res in resources_from_text(text)]
    region, zone, account = (first_of(layers, KEYS[key]) for key in ('region', 'zone', 'account'))
    for res in found:  # event-level region/account (GuardDuty's Region, AccountId) fill what the id did not say
        if res['provider'] in ('aws', 'azure', 'gcp'):
            res['region'] = res['region'] or region
            res['account'] = res['account'] or account
        if res['provider'] == 'gcp':
            res['zone'] = res['zone'] or zone
        res['type'] = res['type'] or default_type(res['provider'])
    return dedupe_resources(found)


def dedupe_resources(items: list[dict[str, str]]) -> list[dict[str, str]]:
    merged: dict[tuple[str, str], dict[str, str]] = {}
    for item in items:
        key = (item['provider'], item['id'])
        if key in merged:
            for field, value in item.items():
                merged[key][field] = merged[key][field] or value
        else:
            merged[key] = dict(item)
    return list(merged.values())


def first_of(layers: list[Any], keys: tuple[str, ...], cleaner=_clean) -> str:
    """The first non-empty value under keys, layer by layer."""
    for layer in layers:
        value = cleaner(find(layer, keys))
        if value:
            return value
    return ''


def cado_account_for(res: dict[str, str], accounts: Any) -> str:
    """The Cado cloud account (name) that covers the resource: same provider, and the resource's account id
    inside its public identifier (an AWS role ARN holds the account number); else the only account of that type."""
    candidates = [a for a in (accounts if isinstance(accounts, list) else [accounts]) if isinstance(a, dict)
                  and _provider(a.get('type')) == res.get('provider')]
    account = res.get('account', '')
    if account:
        whole = re.compile(rf'(?<![\w-]){re.escape(account)}(?![\w-])')
        for candidate in candidates:
            if whole.search(f"{_clean(candidate.get('public_identifier'))} {_clean(candidate.get('account_name'))}"):
                return _clean(candidate.get('account_name')) or _clean(candidate.get('id'))
    if len(candidates) == 1:
        return _clean(candidates[0].get('account_name')) or _clean(candidates[0].get('id'))
    return ''


def acquisition_hint(resources: list[dict[str, str]], accounts: Any = None) -> tuple[str, dict[str, str]]:
    """The acquisition command for the first resource Cado can acquire, and that resource."""
    for res in resources:
        command = ACQUISITION_COMMANDS.get((res['provider'], res['type']))
        if command:
            return command, dict(res, cado_account=cado_account_for(res, accounts))
    return '', {}


def mitre_of(layers: list[Any]) -> tuple[list[str], list[str]]:
    names: list[str] = []
    for layer in layers:
        items = _as_list(find(layer, ('mitre', 'mitre_attack', 'mitre_techniques', 'techniques'), scalar=False))
        names += [_clean(item) for item in items if _clean(item)]
    names = list(dict.fromkeys(names))
    return list(dict.fromkeys(t for name in names for t in MITRE_RE.findall(name))), names


def _unescape(text: str) -> str:
    try:
        return json.loads(f'"{text}"')
    except ValueError:
        return text


def parse_text(text: str) -> dict[str, Any]:
    """Identifiers from plain text, and the leading template fields of a body whose $Event broke the JSON."""
    fields: dict[str, Any] = {key: _unescape(value) for key, value in TEMPLATE_FIELD_RE.findall(text)}
    event_text = TEMPLATE_EVENT_RE.search(text)
    fields['cado_event'] = event_text.group(1) if event_text else text
    searchable = fields['cado_event']
    for key, pattern in TEXT_ID_RES.items():
        match = pattern.search(searchable)
        if match and key not in fields:
            fields[key] = next(group for group in match.groups() if group)
    return fields


def _merge_lists(*lists: list[str]) -> list[str]:
    return list(dict.fromkeys(item for items in lists for item in items if item))


def is_detection(data: Any) -> bool:
    return isinstance(data, dict) and ('finding_id' in data or 'resource_data' in data
                                       or ('investigation_id' in data and 'severity' in data))


def parse_one(value: Any) -> dict[str, Any]:
    """Parse a single event (any form) into the CadoEvent shape, without the acquisition hint."""
    data, form = decode(value)
    data = unwrap(data)
    if isinstance(data, list):  # several detections (a group): merge them
        return merge_events([parse_one(item) for item in data if item not in (None, '', [], {})], form)
    event_text = ''
    if isinstance(data, str):
        event_text = data
        data = parse_text(data)
    elif not isinstance(data, dict):
        data = {'value': data} if data is not None else {}

    # $Event inside the template (text that may be JSON), the detection object fetch adds, its raw_event.
    if isinstance(data.get('cado_event'), str):
        event_text = data['cado_event']
    inner, _inner_form = decode(data.get('cado_event'))
    inner = parse_text(inner) if isinstance(inner, str) else unwrap(inner) if isinstance(inner, dict) else {}
    detection = data.get('cado_detection') if isinstance(data.get('cado_detection'), dict) else (
        data if is_detection(data) else {})
    raw_event, _raw_form = decode(detection.get('raw_event'))
    layers = [data, detection, inner, raw_event if isinstance(raw_event, dict) else {}]

    name = _clean(detection.get('name'))
    title = _clean(data.get('cado_title')) or name or first_of(layers, ('title',))
    source = first_of(layers, KEYS['source'])
    event_type = normalise_event_type(data.get('cado_webhook_event'))
    if not event_type:
        event_type = 'detection_created' if detection else normalise_event_type(
            first_of(layers, KEYS['event_type']), title)
    status = first_of(layers, KEYS['status']).lower().replace(' ', '_')
    techniques, mitre = mitre_of(layers)
    resources = collect_resources(layers, SOURCE_PROVIDER.get(source.lower(), ''))
    return {
        'event_type': event_type,
        'category': 'detection' if detection or event_type in DETECTION_EVENTS else (
            'processing' if event_type in PROCESSING_EVENTS else 'unknown'),
        'cado_event_type': _clean(data.get('cado_event_type')) or _clean(detection.get('event_type')),
        'detection_id': _clean_id(data.get('cado_detection_id')) or _clean_id(detection.get('id')) or first_of(
            layers, KEYS['detection_id'], _clean_id),
        'group_id': _clean_id(data.get('cado_group_id')) or first_of(layers, KEYS['group_id'], _clean_id),
        'project_id': first_of(layers, KEYS['project_id'], _clean_id),
        'pipeline_id': first_of(layers, KEYS['pipeline_id'], _clean_id),
        'evidence_id': first_of(layers, KEYS['evidence_id'], _clean_id),
        'pipeline_state': status if status in PIPELINE_STATES else EVENT_PIPELINE_STATE.get(event_type, ''),
        'severity': normalise_severity(first_of(layers, KEYS['severity'])) or EVENT_SEVERITY.get(event_type, ''),
        'source': source,
        'title': title,
        'name': name or title,
        'description': _clean(detection.get('description')) or title,
        'mitre': mitre,
        'mitre_techniques': techniques,
        'alarms_malicious': _count(first_of(layers, KEYS['malicious'])),
        'alarms_suspicious': _count(first_of(layers, KEYS['suspicious'])),
        'resources': resources,
        'detection_url': _clean(detection.get('detection_url')),
        'form': form,
        'raw_event': event_text[:MAX_TEXT],
    }


def merge_events(events: list[dict[str, Any]], form: str = 'object') -> dict[str, Any]:
    """Combine several parsed events: the first one's scalars win, lists are unioned, severity is the highest."""
    if not events:
        return dict(parse_one(None), form=form)
    merged = dict(events[0])
    for event in events[1:]:
        for key, value in event.items():
            if not isinstance(value, list) and merged.get(key) in ('', None):
                merged[key] = value
    merged['resources'] = dedupe_resources([r for e in events for r in e['resources']])
    merged['mitre'] = _merge_lists(*(e['mitre'] for e in events))
    merged['mitre_techniques'] = _merge_lists(*(e['mitre_techniques'] for e in events))
    merged['severity'] = max((e['severity'] for e in events), key=lambda s: SEVERITY_RANK.get(s, -1))
    for key in ('alarms_malicious', 'alarms_suspicious'):
        counts = [e[key] for e in events if e[key] is not None]
        merged[key] = max(counts) if counts else None
    merged['form'] = form
    return merged


def apply_overrides(event: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """Explicit arguments (a sub-playbook's inputs) describe the resource to acquire; they win over the event."""
    provider = _provider(args.get('provider'))
    type_ = _resource_type(args.get('resource_type'))
    ids = [_clean(rid) for rid in argToList(args.get('resource_id')) if _clean(rid)]
    if provider or type_ or ids:
        base = event['resources'][0] if event['resources'] else resource()
        if provider and base['provider'] != provider:  # a resource of another provider says nothing about this one
            base = resource()
        explicit = []
        for rid in ids or [base['id']]:
            parsed = resources_from_text(rid)
            res = dict(parsed[0]) if parsed else dict(base, id=rid, full_id=rid)
            res['provider'] = provider or res['provider']
            res['type'] = type_ or res['type'] or default_type(res['provider'])
            explicit.append(res)
        event['resources'] = dedupe_resources(explicit + event['resources'])
    for key in ('region', 'zone', 'account', 'resource_group'):
        if _clean(args.get(key)) and event['resources']:
            event['resources'][0][key] = _clean(args.get(key))
    return event


def incident_fields_event(incident: dict[str, Any]) -> dict[str, Any]:
    """The event rebuilt from the mapped incident fields, for an incident that carries no rawJSON."""
    fields = incident.get('CustomFields') or {}
    return {'cado_webhook_event': fields.get('cadoeventtype'), 'cado_detection_id': fields.get('cadodetectionid'),
            'cado_group_id': fields.get('cadogroupid'), 'project_id': fields.get('cadoprojectid'),
            'pipeline_id': fields.get('cadopipelineid'), 'cado_title': incident.get('name'),
            'severity': fields.get('cadoseverity'), 'source': fields.get('cadosource'),
            'resource_data': [{'resource_id': rid} for rid in argToList(fields.get('cadoresourceids'))],
            'cado_event': fields.get('cadorawevent')}


def _objects(value: Any) -> list[dict]:
    """Command outputs passed as an argument (a dict, a list, or their JSON text) as a list of dicts."""
    data, _form = decode(value)
    data = data if isinstance(data, list) else [data]
    return [item for item in data if isinstance(item, dict)]


def relevant_detections(detections: list[dict], event: dict[str, Any]) -> list[dict]:
    """Detections about this event only: the same detection id, else the same project; never unrelated ones."""
    if event['detection_id']:
        return [d for d in detections if _clean_id(d.get('id')) == event['detection_id']]
    if event['project_id']:
        return [d for d in detections if _clean_id(d.get('investigation_id')) == event['project_id']]
    return detections


def select_project(projects: list[dict], event: dict[str, Any]) -> dict:
    """The incident's Cado project among command outputs: by id, else linked to the incident, else by name."""
    by_id = [p for p in projects if event['project_id'] and _clean_id(p.get('id')) == event['project_id']]
    linked = [p for p in projects if event['incident_id'] and _clean(p.get('incident_id')) == event['incident_id']]
    named = [p for p in projects if event['project_name'] and _clean(
        (p.get('details') or {}).get('name') if isinstance(p.get('details'), dict) else p.get('name'))
        == _clean(event['project_name'])]
    return next(iter(by_id or ([] if event['project_id'] else linked or named)), {})


def apply_results(event: dict[str, Any], args: dict[str, Any], detections: list[dict]) -> dict[str, Any]:
    """Fold in what the playbook's commands returned: the project, the acquisition, the pipeline."""
    acquisitions = _objects(args.get('acquisitions'))
    if event['project_id']:
        acquisitions = [a for a in acquisitions if _clean_id(a.get('project_id')) in ('', event['project_id'])]
    acquisition = acquisitions[-1] if acquisitions else {}
    if acquisition:
        event['project_id'] = event['project_id'] or _clean_id(acquisition.get('project_id'))
        event['pipeline_id'] = _clean_id(acquisition.get('pipeline_id')) or event['pipeline_id']
        event['processing_pipeline_id'] = _clean_id(acquisition.get('processing_pipeline_id'))
        event['evidence_id'] = _clean_id(acquisition.get('evidence_id')) or event['evidence_id']
        # `status` is the acquisition's outcome (a failure anywhere, a timeout); once complete, processing decides.
        state = _clean(acquisition.get('status')).lower()
        if state in ('', 'complete') and _clean(acquisition.get('processing_status')):
            state = _clean(acquisition.get('processing_status')).lower()
        event['pipeline_state'] = state or event['pipeline_state']
    pipeline = next((p for p in _objects(args.get('pipelines'))
                     if event['pipeline_id'] and _clean_id(p.get('id')) == event['pipeline_id']), {})
    if pipeline and _clean(pipeline.get('status')):
        event['pipeline_state'] = _clean(pipeline.get('status')).lower()
    if pipeline and isinstance(pipeline.get('project'), dict):
        event['project_id'] = event['project_id'] or _clean_id(pipeline['project'].get('id'))
    project = select_project(_objects(args.get('projects')), event)
    if project:
        event['project_id'] = event['project_id'] or _clean_id(project.get('id'))
        alarms = project.get('alarms') if isinstance(project.get('alarms'), dict) else {}
        for key in ('malicious', 'suspicious'):
            if _count(alarms.get(key)) is not None:
                event[f'alarms_{key}'] = _count(alarms.get(key))
    counted = _count(acquisition.get('detection_count'))
    if counted is None and event['project_id'] and detections:  # the project's detections the playbook listed
        counted = len({_clean_id(d.get('id')) for d in detections
                       if _clean_id(d.get('investigation_id')) == event['project_id']} - {''})
    event['detection_count'] = counted
    return event


def parse_event(args: dict[str, Any], incident: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole CadoEvent: event and related detections merged, overrides and command results applied, the
    acquisition hint and the facts the playbooks branch on added."""
    incident = incident or {}
    value = args.get('event')
    explicit = any(_clean(args.get(k)) for k in ('provider', 'resource_type', 'resource_id'))
    if value in (None, '', [], {}) and not explicit:  # a sub-playbook describing a resource needs no incident
        value = incident.get('rawJSON') or incident_fields_event(incident)
    primary = parse_one(value)
    for key in ('project_id', 'detection_id', 'pipeline_id'):  # explicit ids decide which detections are related
        primary[key] = _clean_id(args.get(key)) or primary[key]
    detections = [unwrap(d) for d in _objects(args.get('detection'))]
    related = relevant_detections(detections, primary)
    event = merge_events([primary] + [parse_one(d) for d in related], primary['form'])
    event['category'] = primary['category'] if primary['category'] != 'unknown' else event['category']
    event = apply_overrides(event, args)
    incident_id = _clean_id(args.get('incident_id')) or _clean_id(incident.get('id'))
    prefix = _clean(args.get('project_name_prefix')) or 'XSOAR incident'
    event.update({'incident_id': incident_id, 'processing_pipeline_id': '',
                  'project_name': _clean(args.get('project_name'))[:80] or (
                      f'{prefix} {incident_id}'[:80] if incident_id else '')})
    state = _clean(args.get('pipeline_state')).lower()
    event['pipeline_state'] = state or event['pipeline_state']
    event = apply_results(event, args, detections)
    command, target = acquisition_hint(event['resources'], args.get('cloud_accounts'))
    if target and _clean(args.get('cado_account')):
        target['cado_account'] = _clean(args.get('cado_account'))
    cado_url = _clean(args.get('cado_url')).rstrip('/')
    known_counts = event['alarms_malicious'] is not None and event['alarms_suspicious'] is not None
    event.update({
        'acquisition_command': command,
        'acquisition_target': target,
        'resource_ids': _merge_lists([r['id'] for r in event['resources']]),
        'providers': _merge_lists([r['provider'] for r in event['resources']]),
        'resource_types': _merge_lists([r['type'] for r in event['resources']]),
        'cloud_provider': event['resources'][0]['provider'] if event['resources'] else '',
        'resource_type': event['resources'][0]['type'] if event['resources'] else '',
        'xsoar_severity': XSOAR_SEVERITY.get(event['severity'], 0),
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
                   f"Cado detection group {event['group_id']}" if event['group_id'] else 'Cado detection')
        name = f"{subject}: {event['title']}" if event['title'] else (
            subject if subject != 'Cado detection' else 'Cado detection (no detection ID or title received)')
    else:
        what = event['title'] or (event['event_type'] or 'event').replace('_', ' ')
        ids = ', '.join(f'{label} {event[key]}' for label, key in (('project', 'project_id'),
                                                                   ('pipeline', 'pipeline_id')) if event[key])
        name = f'Cado: {what}' + (f' ({ids})' if ids else '')
    return name[:200]


def summary_markdown(event: dict[str, Any]) -> str:
    """The war-room summary: the event, the resources, then the Cado project, pipeline and findings."""
    def table(title: str, keys: tuple[str, ...]) -> str:
        row = {k: event[k] for k in keys if event.get(k) not in (None, '', [])}
        return tableToMarkdown(title, row, headers=list(row), removeNull=True,
                               headerTransform=string_to_table_header) if row else ''

    parts = [table('Cado event', ('event_type', 'title', 'detection_id', 'group_id', 'severity', 'source',
                                  'mitre_techniques')),
             tableToMarkdown('Resources', event['resources'], headers=['provider', 'type', 'id', 'region', 'zone',
                                                                       'account'],
                             removeNull=True, headerTransform=string_to_table_header) if event['resources'] else '',
             table('Cado project and pipeline', ('project_id', 'project_link', 'acquisition_command', 'pipeline_id',
                                                 'pipeline_state', 'processing_pipeline_id', 'evidence_id')),
             table('Findings', ('alarms_malicious', 'alarms_suspicious', 'detection_count', 'nothing_found'))]
    return '\n'.join(part for part in parts if part) or 'No Cado event data found.'


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
