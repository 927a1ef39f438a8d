"""Mirroring as XSOAR drives it, against a stateful fake Cado: the mirroring tests and tools/mirror_benchmark.py.

FakeCado keeps projects and users and answers, through requests_mock, the requests mirroring sends, as the contract
describes them: GET /api/v3/projects filtered by repeated project_id (page/per_page, get_alarm_summary), GET and
PATCH /api/v3/projects/{id} (a PATCH's `users` REPLACES the list here, the harsher reading of the contract's "users
to add", so a lost user shows), GET /api/v3/users?username= (a substring search: the integration must pick the exact
match). Lists are paged (per_page defaults to 10, as in the contract; `max_per_page` caps it). `last_update` moves when
the status changes, as "last status update" says. A deleted project answers 404 and is absent from lists; `forbidden`
answers 403 to everything, `read_only` to a PATCH, `rate_limited` 429 to everything, and a list naming a project of
`failing` 500, of `timing_out` a read timeout.

MirroringXsoar runs the integration's main() as XSOAR's mirroring does: a cycle is get-modified-remote-data, then
get-remote-data for each id it returned; the mirrored object goes into incident fields through the incoming mapping
of the agreement (cado_project.<key> -> field) and a close entry closes the incident. An incident change runs
update-remote-system. The integration context is a versioned store that refuses a stale version, as XSOAR 6+ does.
"""
from __future__ import annotations

import contextlib
import json
import re
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
import requests_mock

import run_command  # tools/run_command.py: main() with demisto's functions patched

BASE = 'https://cado.example.com'
API_KEY = 'mirroring-key'
PROJECT_PATH = re.compile(r'/api/v3/projects/(\d+)$')
# The incoming mapper of the agreement: incident field <- cado_project.<key>
INCOMING = {'cadoprojectid': 'id', 'cadoprojectname': 'name', 'cadoprojectdescription': 'description',
            'cadoprojectstatus': 'status', 'cadoitemsidentified': 'items_identified',
            'cadomaliciousalarms': 'malicious_alarms', 'cadosuspiciousalarms': 'suspicious_alarms',
            'cadoevidencecount': 'evidence_count', 'cadolastacquisition': 'last_acquisition',
            'cadoprojectlastupdate': 'last_update', 'cadoaisummary': 'ai_summary', 'cadoprojectlink': 'link'}
# What an incoming update can bring that the incident may not have yet (last_update moves with the status, link never)
COMPARED = [field for field, key in INCOMING.items() if key not in ('last_update', 'link')]
MIRRORING = {'mirror_direction': 'Incoming And Outgoing', 'close_incident': True, 'close_project': True}


def error(context, status: int, message: str) -> dict[str, Any]:
    context.status_code = status
    return {'status': 'error', 'message': message, 'code': status}


class FakeCado:
    def __init__(self) -> None:
        self.projects: dict[int, dict[str, Any]] = {}
        # None: a platform without the users endpoint (404)
        self.users: list[dict[str, Any]] | None = [
            {'id': 1, 'rbac_role': 'Lead Analyst', 'username': 'jdoe', 'login_type': 0, 'display_name': 'J'},
            {'id': 2, 'rbac_role': 'Analyst', 'username': 'jdoe.contractor', 'login_type': 0, 'display_name': 'C'}]
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self.queries: list[dict[str, list[str]]] = []  # and its query
        self.forbidden = False
        self.read_only = False  # an Analyst's key: reads answered, a PATCH answers 403
        self.rate_limited = False  # every request answered 429
        self.failing: set[int] = set()  # a list request naming one of these projects answers 500
        self.timing_out: set[int] = set()  # and one naming one of these times out
        self.max_per_page: int | None = None  # a platform that answers fewer per page than asked
        self.clock = 1_764_500_000_000

    # the platform's own changes ---------------------------------------------------------------------------------
    def add(self, project_id: int, status: str = 'Collection & Analysis', summary: str | None = None) -> None:
        self.projects[project_id] = {
            'id': project_id, 'created': self.clock, 'alarms': {'malicious': 0, 'suspicious': 0}, 'evidences': 0,
            'details': {'name': f'Project {project_id}', 'description': f'Opened for case {project_id}',
                        'items_identified': 0, 'status': status, 'users': [self.user('analyst')]},
            'ai_summary': summary, 'last_update': self.clock, 'scan_rule_count': 0, 'manually_created': True}

    @staticmethod
    def user(name: str) -> dict[str, Any]:
        return {'id': 9, 'rbac_role': 'Analyst', 'username': name, 'login_type': 0, 'display_name': name}

    def set_status(self, project_id: int, status: str) -> None:
        self.clock += 1000
        self.projects[project_id]['details']['status'] = status
        self.projects[project_id]['last_update'] = self.clock

    def raise_alarms(self, project_id: int, malicious: int = 1) -> None:
        self.projects[project_id]['alarms']['malicious'] += malicious

    def summarise(self, project_id: int, summary: str) -> None:
        self.projects[project_id]['ai_summary'] = summary

    def delete(self, project_id: int) -> None:
        del self.projects[project_id]

    # the API ------------------------------------------------------------------------------------------------------
    def listed(self, project: dict[str, Any], alarms: bool) -> dict[str, Any]:
        details = {key: value for key, value in project['details'].items() if key != 'users'}
        listed = {key: value for key, value in project.items() if key not in ('details', 'manually_created')}
        return {**listed, 'details': details} if alarms else {
            **{key: value for key, value in listed.items() if key != 'alarms'}, 'details': details}

    def answer(self, request, context) -> Any:
        path = urlparse(request.url).path
        self.requests.append((request.method, path))
        self.queries.append(parse_qs(urlparse(request.url).query))
        if self.forbidden or (self.read_only and request.method == 'PATCH'):
            return error(context, 403, 'Forbidden')
        if self.rate_limited:
            return error(context, 429, 'Too many requests')
        query = parse_qs(urlparse(request.url).query)
        if request.method == 'GET' and path == '/api/v3/projects':
            wanted = {int(value) for value in query.get('project_id', [])}
            if wanted & self.failing:
                return error(context, 500, 'Internal error')
            if wanted & self.timing_out:
                raise requests.exceptions.ReadTimeout('Read timed out. (read timeout=60)')
            per_page, page = self.page_of(query)
            found = sorted((p for i, p in self.projects.items() if i in wanted), key=lambda p: -p['id'])
            pages = max(1, -(-len(found) // per_page))
            data = [self.listed(p, query.get('get_alarm_summary') == ['true'])
                    for p in found[(page - 1) * per_page:page * per_page]]
            return {'status': 'success', 'data': data, 'pagination': {
                'type': 'page', 'total_records': len(found), 'current_page': page, 'total_pages': pages,
                'per_page': per_page}}
        if request.method == 'GET' and path == '/api/v3/users' and self.users is None:
            return error(context, 404, 'Not found')
        if request.method == 'GET' and path == '/api/v3/users':
            name = query.get('username', [''])[0]
            found = sorted((user for user in self.users if name in user['username']),
                           key=lambda user: user['display_name'], reverse=True)  # the contract's -display_name
            per_page, page = self.page_of(query)
            return {'status': 'success', 'data': found[(page - 1) * per_page:page * per_page], 'pagination': {
                'type': 'page', 'total_records': len(found), 'current_page': page,
                'total_pages': max(1, -(-len(found) // per_page)), 'per_page': per_page}}
        match = PROJECT_PATH.match(path)
        project = self.projects.get(int(match.group(1))) if match else None
        if project is None:
            return error(context, 404, 'Not found')
        if request.method == 'GET':
            return {'status': 'success', 'data': project}
        body = request.json()
        if 'status' in body and body['status'] != project['details']['status']:
            self.set_status(project['id'], body['status'])
        if 'description' in body:
            project['details']['description'] = body['description']
        if 'users' in body:
            project['details']['users'] = [self.user(user['username']) for user in body['users']]
        return {'status': 'success', 'data': {'project_id': project['id']}}

    def page_of(self, query: dict[str, list[str]]) -> tuple[int, int]:
        """(per_page, page) of a list request: the contract's default of 10, capped at max_per_page."""
        per_page = int(query.get('per_page', ['10'])[0])
        return min(per_page, self.max_per_page or per_page), int(query.get('page', ['1'])[0])

    @contextlib.contextmanager
    def serving(self):
        with requests_mock.Mocker() as mocker:
            mocker.register_uri(requests_mock.ANY, re.compile(f'^{re.escape(BASE)}/'), json=self.answer)
            yield


class VersionedContext:
    """XSOAR 6+'s integration context: read with its version, written only at the version it was read at."""

    def __init__(self) -> None:
        self.text, self.version, self.refused = '{}', 0, 0
        self.peak = 0  # the largest size written since the caller last reset it

    def get(self, refresh: bool = False) -> dict[str, Any]:
        return {'context': json.loads(self.text), 'version': self.version}

    def set(self, context: dict[str, Any], version: int = -1, sync: bool = False) -> None:
        if version not in (-1, self.version):
            self.refused += 1
            raise ValueError(f'Version {version} is stale (now {self.version})')
        self.text, self.version = json.dumps(context), self.version + 1
        self.peak = max(self.peak, self.size)

    @property
    def size(self) -> int:
        return len(self.text.encode())


class MirroringXsoar:
    def __init__(self, cado: FakeCado, params: dict[str, Any] | None = None,
                 instance: str = 'Cado_Security_instance_1') -> None:
        self.cado = cado
        self.instance = instance  # each instance has its own integration context
        self.context = VersionedContext()
        self.params = {'url': BASE, 'credentials': {'identifier': '', 'password': API_KEY}, **MIRRORING,
                       **(params or {})}
        self.incidents: dict[str, dict[str, Any]] = {}  # incident id -> {mirror_id, fields, closed, close, notes}
        self.notes: dict[str, list[str]] = defaultdict(list)
        self.errors: list[str] = []
        self.echoes: list[str] = []  # remote ids reported changed whose update brought the incident nothing new

    def run(self, command: str, args: dict[str, Any]) -> run_command.Outcome:
        import demistomock as demisto
        with contextlib.ExitStack() as stack:
            patch = run_command.patcher(stack)
            patch(demisto, 'getIntegrationContextVersioned', side_effect=self.context.get)
            patch(demisto, 'setIntegrationContextVersioned', side_effect=self.context.set)
            patch(demisto, 'integrationInstance', return_value=self.instance, create=True)
            stack.enter_context(self.cado.serving())
            outcome = run_command.execute(command, args, self.params, patch)
        self.errors += outcome.errors()
        return outcome

    def link(self, incident_id: str, project_id: int) -> dict[str, Any]:
        outcome = self.run('cado-incident-mirror-link', {'project_id': str(project_id), 'incident_id': incident_id})
        link = outcome.entries[0]['EntryContext']
        link = next(iter(link.values()))
        if link['linked']:
            self.incidents[incident_id] = {'mirror_id': str(project_id), 'fields': {}, 'closed': False}
        return link

    def cycle(self, skip: tuple[str, ...] = ()) -> list[str]:
        """One mirroring cycle; the remote ids get-modified-remote-data returned. XSOAR runs no get-remote-data for
        the incidents in `skip` (a failed or timed-out pull, a server restart mid-cycle)."""
        outcome = self.run('get-modified-remote-data', {'lastUpdate': '2026-12-01T00:00:00Z'})
        modified = outcome.entries[0]['Contents'] if outcome.entries and not outcome.errors() else []
        for remote_id in modified:
            for incident_id, incident in self.incidents.items():
                if incident['mirror_id'] == remote_id and incident_id not in skip:
                    self.pull(incident_id, incident)
        return modified

    def pull(self, incident_id: str, incident: dict[str, Any]) -> None:
        outcome = self.run('get-remote-data', {'id': incident['mirror_id'], 'lastUpdate': '2026-12-01T00:00:00Z'})
        if outcome.errors() or not outcome.entries or outcome.entries[0] is None:
            return
        mirrored, *entries = outcome.entries[0]
        project = mirrored.get('cado_project') or {}
        before = {field: incident['fields'].get(field) for field in COMPARED}
        incident['fields'].update({field: project[key] for field, key in INCOMING.items() if key in project})
        if project and not entries and before == {field: incident['fields'].get(field) for field in COMPARED}:
            self.echoes.append(incident['mirror_id'])
        for entry in entries:
            contents = entry['Contents']
            if isinstance(contents, dict) and contents.get('dbotIncidentClose'):
                incident.update(closed=True, close=contents)
            else:
                self.notes[incident_id].append(str(contents))

    def change(self, incident_id: str, delta: dict[str, Any] | None = None, close: dict[str, str] | None = None
               ) -> run_command.Outcome:
        """An analyst's change in XSOAR (a delta of mapped fields, or closing with a reason and notes)."""
        incident = self.incidents[incident_id]
        if close is not None:
            incident['closed'] = True
        if delta and 'cado_status' in delta:  # the analyst's edit of Cado Project Status is what makes that delta
            incident['fields']['cadoprojectstatus'] = delta['cado_status']
        return self.run('update-remote-system', {
            'remoteId': incident['mirror_id'], 'status': 2 if incident['closed'] else 1, 'incidentChanged': True,
            'delta': delta or {}, 'data': {**incident['fields'], **(close or {})}, 'entries': []})

    def requests_of(self, action) -> list[tuple[str, str]]:
        before = len(self.cado.requests)
        action()
        return self.cado.requests[before:]
