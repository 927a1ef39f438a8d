import demistomock as demisto  # noqa: F401
from CommonServerPython import *  # noqa: F401
from CommonServerUserPython import *  # noqa: F401

from datetime import UTC, datetime
from typing import Any

DETECTION_TYPE = 'Cado Detection'
FIELD = 'cadotimetoevidence'


def seconds_to_evidence(incident: dict[str, Any], new_state: Any, now: datetime) -> int | None:
    """Seconds from the incident's occurred time to now, the first time a Cado detection's pipeline is complete."""
    recorded = (incident.get('CustomFields') or {}).get(FIELD)
    if new_state != 'complete' or incident.get('type') != DETECTION_TYPE or recorded not in (None, ''):
        return None
    try:
        occurred = arg_to_datetime(incident.get('occurred'))
    except ValueError:
        return None
    # XSOAR writes an unset time as year 1 (Go's zero time).
    if occurred is None or occurred.year < 2000:
        return None
    seconds = int((now - (occurred if occurred.tzinfo else occurred.replace(tzinfo=UTC))).total_seconds())
    return seconds if seconds >= 0 else None


def main():  # pragma: no cover
    try:
        seconds = seconds_to_evidence(demisto.incident(), demisto.args().get('new'), datetime.now(UTC))
        if seconds is not None:
            demisto.executeCommand('setIncident', {FIELD: seconds})
    except Exception as e:
        return_error(f'Could not record the Cado time to evidence: {e}')


if __name__ in ('__main__', '__builtin__', 'builtins'):  # pragma: no cover
    main()
