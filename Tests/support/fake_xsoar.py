"""A fake XSOAR incident store for the pack's deduplication: incidents with ids in creation order, the built-ins a
script reaches through `demisto.executeCommand` (getIncidents, setIncident, addEntries, linkIncidents), and the
pack's pre-process rules applied to an incoming incident, as XSOAR documents them: after mapping, before the incident
exists; a rule whose incoming-incident filters match runs its script, whose False drops the incident.

`getIncidents` answers like XSOAR's: one entry whose Contents is {total, data}, data None when nothing matches. Its
query is read only as `field:"value"` terms (what CadoDeduplicate sends); anything else is refused so that a script
sending another query fails here instead of silently matching everything. A closed incident is one the playbook
runner's closeInvestigation marked (`closed` holds its arguments).

platform='xsiam' stands for XSIAM: demistoVersion() says platform x2 while a script runs, incidents are alerts whose
fields setAlert sets, and setIncident is refused for them (an assumption: XSIAM's own behaviour for a script's
setIncident on an alert is not documented; demisto-sdk's XSIAM build turns playbooks' setIncident into setAlert)."""
import contextlib
import itertools
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import CadoDeduplicate
import demistomock as demisto

PACK = Path(__file__).resolve().parents[2] / 'Packs' / 'CadoSecurity'
TERM = re.compile(r'(\w+):"([^"]*)"')
ACTIVE, CLOSED = 1, 2


def error_entry(message: str) -> list[dict[str, Any]]:
    return [{'Type': 4, 'ContentsFormat': 'text', 'Contents': message}]


def pre_process_rules() -> list[dict[str, Any]]:
    rules = [json.loads(p.read_text()) for p in sorted(PACK.glob('PreProcessRules/*.json'))]
    return sorted((r for r in rules if r['enabled']), key=lambda r: r['index'])


def rule_matches(rule: dict[str, Any], incident: dict[str, Any]) -> bool:
    """newEventFilters: AND of ORs of isEqualString on incident fields."""
    def holds(clause):
        assert clause['operator'] == 'isEqualString' and clause['left']['isContext'], 'filter not interpreted'
        value = incident.get(clause['left']['value']['simple'])
        return str(value) == str(clause['right']['value']['simple'])
    return all(any(holds(c) for c in ors) for ors in rule['newEventFilters'])


class FakeXsoar:
    def __init__(self, scripts: dict[str, Any] | None = None, pre_processing: bool = True, links: bool = True,
                 platform: str = 'xsoar'):
        self.incidents: dict[str, dict[str, Any]] = {}
        self.entries: dict[str, list[dict]] = defaultdict(list)
        self.links: dict[str, set[str]] = defaultdict(set)
        self.dropped: list[dict[str, Any]] = []
        # name -> callable(incoming incident) -> bool: the scripts pre-process rules may run
        self.scripts = scripts or {'CadoDeduplicate': lambda incoming: CadoDeduplicate.preprocess(incoming, {})}
        self.pre_processing = pre_processing  # False: XSIAM, or a platform where the rule is not enabled
        self.supports_links = links
        self.platform = platform
        self.ids = itertools.count(1)

    # intake ---------------------------------------------------------------------------------------------------
    def ingest(self, incident: dict[str, Any]) -> dict[str, Any] | None:
        """The incident XSOAR creates from a mapped incoming one, or None when a pre-process rule dropped it."""
        return self.ingest_together([incident])[0]

    def ingest_together(self, incidents: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
        """Incoming incidents that arrive at once: each is pre-processed before any of them exists."""
        incoming = [dict(i, CustomFields=dict(i.get('CustomFields') or {})) for i in incidents]
        kept = [self.pre_process(i) for i in incoming]
        return [self.create(i) if keep else None for i, keep in zip(incoming, kept, strict=True)]

    def pre_process(self, incoming: dict[str, Any]) -> bool:
        for rule in pre_process_rules() if self.pre_processing else []:
            if rule_matches(rule, incoming):
                assert rule['action'] == 'script', f'action {rule["action"]} not interpreted'
                with self.serving(None):
                    keep = self.scripts[rule['scriptName']](incoming)
                if not keep:
                    self.dropped.append(incoming)
                return keep  # XSOAR applies one rule per incident
        return True

    def create(self, incoming: dict[str, Any]) -> dict[str, Any]:
        created = dict(incoming, id=str(next(self.ids)), status=ACTIVE)
        self.incidents[created['id']] = created
        return created

    def status(self, incident: dict[str, Any]) -> int:
        return CLOSED if incident.get('closed') else ACTIVE

    def open_incidents(self) -> list[dict[str, Any]]:
        return [i for i in self.incidents.values() if not i.get('closed')]

    def dedup_script(self):
        """CadoDeduplicate as the playbook runner calls scripts: (args, incident) -> entry context."""
        def run(args: dict[str, Any], incident: dict[str, Any]) -> dict[str, Any]:
            self.incidents.setdefault(str(incident['id']), incident)
            with self.serving(str(incident['id'])):
                return CadoDeduplicate.deduplicate_command(args, incident).to_context()['EntryContext']
        return run

    # built-ins ------------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def serving(self, current_id: str | None):
        """demisto.executeCommand answered by this store while a script runs (for `current_id`'s incident)."""
        original = demisto.executeCommand, demisto.demistoVersion
        demisto.executeCommand = lambda command, args: self.execute(command, args, current_id)
        demisto.demistoVersion = lambda: {'version': '8.9.0', 'platform': 'x2' if self.platform == 'xsiam' else 'xsoar'}
        try:
            yield self
        finally:
            demisto.executeCommand, demisto.demistoVersion = original

    def execute(self, command: str, args: dict[str, Any], current_id: str | None) -> list[dict[str, Any]]:
        handler = getattr(self, f'builtin_{command}', None)
        if handler is None:
            raise AssertionError(f'the fake XSOAR does not implement {command}')
        return handler(args, current_id)

    def builtin_getIncidents(self, args, current_id):
        terms = TERM.findall(args.get('query', ''))
        if not terms or TERM.sub('', args['query']).strip(' AND'):
            return error_entry(f'query not interpreted by the fake: {args.get("query")!r}')
        found = [dict(i, status=self.status(i), closeReason=(i.get('closed') or {}).get('closeReason', ''))
                 for i in self.incidents.values()
                 if all(str((i.get('CustomFields') or {}).get(f, i.get(f))) == v for f, v in terms)]
        found = found[:int(args.get('size', 100))]
        return [{'Type': 1, 'ContentsFormat': 'json', 'Contents': {'total': len(found), 'data': found or None}}]

    def builtin_setIncident(self, args, current_id):
        if self.platform == 'xsiam':
            return error_entry('setIncident does not update alerts')
        return self.set_fields(args, current_id)

    def builtin_setAlert(self, args, current_id):
        if self.platform != 'xsiam':
            return error_entry('Unsupported Command: setAlert')
        return self.set_fields(args, current_id)

    def set_fields(self, args, current_id):
        target = self.incidents[str(args.get('id') or current_id)]
        for key, value in args.items():
            if key != 'id':
                target.setdefault('CustomFields', {})[key] = value
        return [{'Type': 1, 'ContentsFormat': 'text', 'Contents': 'done'}]

    def builtin_addEntries(self, args, current_id):
        if str(args['id']) not in self.incidents:
            return error_entry(f'incident {args["id"]} not found')
        self.entries[str(args['id'])].extend(json.loads(args['entries']))
        return [{'Type': 1, 'ContentsFormat': 'text', 'Contents': 'done'}]

    def builtin_linkIncidents(self, args, current_id):
        if not self.supports_links:
            return error_entry('linkIncidents is not supported')
        self.links[str(args['incidentId'])].update(str(args['linkedIncidentIDs']).split(','))
        return [{'Type': 1, 'ContentsFormat': 'text', 'Contents': 'done'}]
