import demistomock as demisto  # noqa: F401
from CommonServerPython import *  # noqa: F401
from CommonServerUserPython import *  # noqa: F401

import json
import re
from typing import Any

OUTPUT_PREFIX = 'Cado.HostRun'
HIDDEN = '<the Cado Host command>'  # what an EDR's message shows instead of the command it echoes
MASKED_TOKEN_LENGTH = 12  # a token of the command this long may be a credential: never shown, even alone


def required(args: dict[str, Any], name: str) -> str:
    value = str(args.get(name) or '').strip()
    if not value:
        raise ValueError(f'Missing required argument "{name}".')
    return value


def extra_arguments(args: dict[str, Any], taken: tuple[str, ...]) -> dict[str, Any]:
    """extra_arguments: a JSON object of the EDR command's other arguments, which must not name the host or script."""
    raw = args.get('extra_arguments')
    if raw in (None, ''):
        return {}
    try:
        extra = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        extra = None
    if not isinstance(extra, dict):
        raise ValueError('Argument "extra_arguments" must be a JSON object of the EDR command\'s other arguments, e.g. '
                         '{"timeout": "600"}.')
    clashing = sorted(set(extra) & set(taken))
    if clashing:
        raise ValueError(f'Argument "extra_arguments" names {", ".join(clashing)}, which host_argument and '
                         'script_argument already set.')
    return extra


def failure_of(entries: list[Any], script: str) -> str:
    """Why the EDR command failed, in its own words with the command masked; '' when an instance ran it (without
    `using`, XSOAR runs it on every instance of the EDR, and the ones that do not know the host answer errors)."""
    entries = [entry for entry in entries if isinstance(entry, dict)]
    if not entries:
        return 'it returned nothing (is an instance of the EDR integration enabled?)'
    if not all(is_error(entry) for entry in entries):
        return ''
    return masked('; '.join(' '.join(str(entry.get('Contents')).split()) for entry in entries), script)


def masked(text: str, script: str) -> str:
    """`text` without the script: as given, on one line, JSON-escaped (an EDR that echoes its request), and each of
    its long tokens (the upload credentials) wherever they appear, however the rest was quoted or cut."""
    tokens = [token for token in re.split(r'[\s\'"`]+', script) if len(token) >= MASKED_TOKEN_LENGTH]
    for secret in sorted({script, ' '.join(script.split()), json.dumps(script)[1:-1], *tokens}, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    return text


def run_host_command(args: dict[str, Any]) -> list[Any]:
    """Runs the Cado Host command on the host through the EDR command the content engineer named; the record says
    whether it ran, and a failure adds an error entry, so that a playbook task takes its error path."""
    edr_command, host = required(args, 'edr_command'), required(args, 'host')
    host_argument, script_argument = required(args, 'host_argument'), required(args, 'script_argument')
    script = required(args, 'script')
    command_args = {**extra_arguments(args, (host_argument, script_argument, 'using')),
                    host_argument: host, script_argument: script, **assign_params(using=args.get('using'))}
    failure = failure_of(demisto.executeCommand(edr_command, command_args) or [], script)
    record = {'host': host, 'edr_command': edr_command, 'status': 'failed' if failure else 'success',
              **assign_params(message=failure)}
    title = f'Cado Host command {"not run" if failure else "run"} on {host} through {edr_command}'
    results = CommandResults(outputs_prefix=OUTPUT_PREFIX, outputs_key_field='host', outputs=record,
                             readable_output=tableToMarkdown(title, record, removeNull=True))
    if not failure:
        return [results]
    return [results, {'Type': EntryType.ERROR, 'ContentsFormat': EntryFormat.TEXT,
                      'Contents': f'{edr_command} could not run the Cado Host command on {host}: {failure}'}]


def main():  # pragma: no cover
    try:
        return_results(run_host_command(demisto.args()))
    except Exception as e:
        return_error(f'Could not run the Cado Host command: {e}')


if __name__ in ('__main__', '__builtin__', 'builtins'):  # pragma: no cover
    main()
