import demistomock as demisto  # noqa: F401
from CommonServerPython import *  # noqa: F401
from CommonServerUserPython import *  # noqa: F401

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

# Equal to the integration's DETECTION_INCIDENT_TYPE and PROCESSING_INCIDENT_TYPE (a test asserts it).
DETECTION_INCIDENT_TYPE = 'Cado Detection'
PROCESSING_INCIDENT_TYPE = 'Cado Processing Event'
CADO_TYPES = (DETECTION_INCIDENT_TYPE, PROCESSING_INCIDENT_TYPE)
DETECTION_KEY, PROJECT_KEY = 'cadodetectionid', 'cadoprojectid'
# What a later delivery refreshes on the incident that follows its detection. The keys, the project link and the
# pipeline fields stay as that incident's own playbook recorded them.
REFRESHED_FIELDS = ('cadoeventtype', 'cadoseverity', 'cadosource', 'cadomitretechniques', 'cadoresourceids',
                    'cadogroupid', 'cadorawevent')
DUPLICATE_REASON = 'Duplicate'
CLOSED_STATUS = 2
SEARCH_SIZE = 100
DEFAULT_WINDOW_DAYS = 30
XSIAM_PLATFORM = 'x2'  # demistoVersion()['platform'] on XSIAM, whose incidents here are alerts
KEY_VALUE = re.compile(r'^[\w.:-]{1,128}$')  # what goes into the search query: Cado ids, never query syntax
ENTRY_TEXT_LIMIT = 2000


def join_key(incident: dict[str, Any], args: dict[str, Any]) -> tuple[str, str] | None:
    """(field, value) an incident is deduplicated on: its detection, or for a processing event its project.
    Detections in one project are different detections, so a detection is never joined by its project."""
    fields = incident.get('CustomFields') or {}
    candidates = [(DETECTION_KEY, args.get('detection_id') or fields.get(DETECTION_KEY))]
    if incident.get('type') == PROCESSING_INCIDENT_TYPE:
        candidates.append((PROJECT_KEY, args.get('project_id') or fields.get(PROJECT_KEY)))
    for field, value in candidates:
        if value not in (None, '') and KEY_VALUE.match(str(value)):
            return field, str(value)
    return None


def order(incident_id: Any) -> tuple[int, str]:
    """Creation order of incident ids (numeric text): '9' before '10'."""
    text = str(incident_id)
    return len(text), text


def search(field: str, value: str, window_days: int, include_closed: bool) -> list[dict[str, Any]]:
    since = datetime.now(UTC) - timedelta(days=window_days)
    found = execute_command('getIncidents', {'query': f'{field}:"{value}"', 'fromdate': since.isoformat(),
                                             'size': SEARCH_SIZE})
    incidents = (found.get('data') or []) if isinstance(found, dict) else []
    return [i for i in incidents if i.get('type') in CADO_TYPES
            and str((i.get('CustomFields') or {}).get(field)) == value  # the query matches words, not the value
            and DUPLICATE_REASON.lower() not in str(i.get('closeReason') or '').lower()  # or XSIAM's 'Resolved - Duplicate Alert'
            and (include_closed or i.get('status') != CLOSED_STATUS)]


def primary_of(candidates: list[dict[str, Any]], own_id: str | None) -> dict[str, Any] | None:
    """The first incident created for the key. Every delivery picks the same one, whatever order their playbooks
    run in, so two deliveries racing each other never both act."""
    earlier = [c for c in candidates if own_id is None or order(c['id']) < order(own_id)]
    return min(earlier, key=lambda c: order(c['id']), default=None)


def set_fields(fields: dict[str, Any], incident_id: str | None = None) -> None:
    """Cado fields on an incident (the current one without an id). XSIAM's alerts take setAlert, as demisto-sdk's
    XSIAM build turns playbooks' setIncident into setAlert; the other command is tried when the first is refused."""
    args = dict(fields, **({'id': incident_id} if incident_id else {}))
    commands = ['setIncident', 'setAlert']
    if demisto.demistoVersion().get('platform') == XSIAM_PLATFORM:
        commands.reverse()
    done, first_error = execute_command(commands[0], args, fail_on_error=False)
    if not done:
        done, second_error = execute_command(commands[1], args, fail_on_error=False)
        if not done:
            raise DemistoException(f'{commands[0]} failed: {first_error}; {commands[1]} failed: {second_error}')


def delivery_entry(incident: dict[str, Any], key: tuple[str, str]) -> dict[str, Any]:
    fields = incident.get('CustomFields') or {}
    intake = 'fetched' if '"cado_detection"' in str(incident.get('rawJSON') or '') else 'pushed'
    rows = {'Incident': incident.get('id') or '(dropped before creation)', 'Name': incident.get('name'),
            'Event type': fields.get('cadoeventtype'), 'Intake': intake, 'Occurred': incident.get('occurred'),
            'Joined on': f'{key[0]} = {key[1]}',
            'Event': str(fields.get('cadorawevent') or '')[:ENTRY_TEXT_LIMIT]}
    return {'Type': EntryType.NOTE, 'ContentsFormat': EntryFormat.MARKDOWN,
            'Contents': tableToMarkdown('Another Cado delivery for this incident', remove_empty_elements(rows),
                                        headers=[k for k in rows if rows[k]])}


def join(primary: dict[str, Any], incident: dict[str, Any], key: tuple[str, str]) -> list[str]:
    """Records the delivery on the primary incident: an entry, the refreshed fields, a link. What did not work."""
    execute_command('addEntries', {'id': primary['id'], 'entries': json.dumps([delivery_entry(incident, key)])})
    fields = {name: value for name, value in (incident.get('CustomFields') or {}).items()
              if name in REFRESHED_FIELDS and value not in (None, '', [])}
    if fields:
        set_fields(fields, primary['id'])
    if not incident.get('id'):
        return []
    linked, error = execute_command('linkIncidents', {'incidentId': primary['id'], 'linkedIncidentIDs': incident['id']},
                                    fail_on_error=False)
    return [] if linked else [f'not linked ({error})']


def deduplicate(incident: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """What to do with an incident (a new one before creation when it has no id): join another one or go on."""
    window_days = arg_to_number(args.get('window_days'), 'window_days') or DEFAULT_WINDOW_DAYS
    include_closed = argToBoolean(args.get('include_closed', 'true'))
    own_id = str(incident['id']) if incident.get('id') else None
    key = join_key(incident, args)
    result: dict[str, Any] = {'incident_id': own_id, 'duplicate': False}
    if key is None:
        return result
    if own_id and not (incident.get('CustomFields') or {}).get(key[0]):
        # Written before the search, so a delivery racing this one finds this incident in its own search.
        set_fields({key[0]: key[1]})
    primary = primary_of(search(*key, window_days, include_closed), own_id)
    result.update(key_field=key[0], key=key[1])
    if primary:
        problems = join(primary, incident, key)
        result.update(duplicate=True, primary_incident_id=str(primary['id']), problems=problems)
    return result


def summary(result: dict[str, Any]) -> str:
    if not result['duplicate']:
        about = f' for {result["key_field"]} {result["key"]}' if result.get('key') else ' (no Cado id to match on)'
        return f'No earlier Cado incident{about}: this incident acts on it.'
    problems = f' ({"; ".join(result["problems"])})' if result['problems'] else ''
    return (f'Incident {result["primary_incident_id"]} already follows {result["key_field"]} {result["key"]}: this '
            f'delivery was recorded there (an entry and the refreshed fields){problems}.')


def deduplicate_command(args: dict[str, Any], incident: dict[str, Any]) -> CommandResults:
    result = deduplicate(dict(incident, id=args['incident_id']), args)
    return CommandResults(outputs_prefix='CadoDedup', outputs_key_field='incident_id', outputs=result,
                          readable_output=summary(result))


def preprocess(incoming: dict[str, Any], args: dict[str, Any]) -> bool:
    """As a pre-processing rule's script: True creates the incoming incident, False drops it (it joined another)."""
    try:
        return not deduplicate(incoming, args)['duplicate']
    except Exception as e:  # a failure must not lose the incident
        demisto.error(f'CadoDeduplicate kept the incoming incident: {e}')
        return True


def main():  # pragma: no cover
    args = demisto.args()
    if not args.get('incident_id'):
        demisto.results(preprocess(demisto.incidents()[0], args))
        return
    try:
        return_results(deduplicate_command(args, demisto.incident()))
    except Exception as e:
        return_error(f'Failed to check for an earlier Cado incident: {e}')


if __name__ in ('__main__', '__builtin__', 'builtins'):  # pragma: no cover
    main()
