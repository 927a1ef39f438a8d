import demistomock as demisto  # noqa: F401
from CommonServerPython import *  # noqa: F401
from CommonServerUserPython import *  # noqa: F401

from typing import Any

ROWS = 20  # per table: the layout gives an overview, Cado holds the full lists
ALARM_COLUMNS = ['severity', 'description', 'resource', 'evidence_name', 'full_path', 'first_seen']
DETECTION_COLUMNS = ['id', 'name', 'severity', 'source', 'updated_datetime']


def context_value(entry: dict[str, Any], prefix: str) -> Any:
    """The outputs an entry holds under `prefix`, whatever key-field suffix XSOAR added to it."""
    for key, value in (entry.get('EntryContext') or {}).items():
        if key.split('(')[0] == prefix:
            return value
    return []


def cado_outputs(command: str, args: dict[str, Any], prefix: str) -> tuple[Any, str]:
    """The outputs of the first Cado instance that answered (a command runs on every enabled instance), or the
    error when none did."""
    entries = [entry for entry in demisto.executeCommand(command, args) or [] if isinstance(entry, dict)]
    for entry in entries:
        if not is_error(entry):
            return context_value(entry, prefix), ''
    errors = [' '.join(str(entry.get('Contents')).split()) for entry in entries]
    return None, errors[-1] if errors else 'no Cado Security instance answered'


def findings_table(title: str, command: str, args: dict[str, Any], prefix: str, columns: list[str]) -> str:
    items, error = cado_outputs(command, args, prefix)
    if error:
        return f'### {title}\nCould not read them from Cado: {error}'
    return tableToMarkdown(title, items if isinstance(items, list) else [items], headers=columns,
                           headerTransform=string_to_table_header, removeNull=True)


def ai_summary(project_id: str) -> str:
    project, error = cado_outputs('cado-project-get', {'project_id': project_id}, 'Cado.Project')
    if error:
        return f'### Cado AI summary\nCould not read the project from Cado: {error}'
    summary = (project[0] if isinstance(project, list) and project else project or {}).get('ai_summary')
    return f'### Cado AI summary\n{summary or "Cado has not summarised this project yet."}'


def findings_markdown(incident: dict[str, Any]) -> str:
    fields = incident.get('CustomFields') or {}
    project_id = str(fields.get('cadoprojectid') or '').strip()
    if not project_id:
        return 'No Cado project is linked to this incident yet: the playbook records it when it acquires evidence.'
    link = str(fields.get('cadoprojectlink') or '').strip()
    heading = f'[Open Cado project {project_id}]({link})' if link else f'Cado project {project_id}'
    window = {'project_id': project_id, 'limit': str(ROWS)}
    return '\n\n'.join((
        f'**{heading}**',
        ai_summary(project_id),
        findings_table(f'Cado alarms (latest {ROWS})', 'cado-alarm-list', {**window, 'order_by': '-id'},
                       'Cado.Alarm', ALARM_COLUMNS),
        findings_table(f'Cado detections (latest {ROWS})', 'cado-detection-list',
                       {**window, 'detection_type': 'all', 'order_by': '-updated_datetime'},
                       'Cado.Detection', DETECTION_COLUMNS),
    ))


def main():  # pragma: no cover
    try:
        return_results(CommandResults(readable_output=findings_markdown(demisto.incident())))
    except Exception as e:
        return_error(f'Could not show the Cado findings: {e}')


if __name__ in ('__main__', '__builtin__', 'builtins'):  # pragma: no cover
    main()
