"""A fake Cado behind the integration's commands for the playbook runs: state, and each command's entry context in the
integration's output shape (prefixes and keys from CadoSecurity.yml). Synthetic data only."""
import functools
import itertools
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import CadoSecurity
import fake_mirroring  # Tests/support: the integration's main() on a versioned integration context
from playbook_runner import CommandError, dt_key

DETECTIONS_DIR = Path(__file__).resolve().parents[2] / 'Packs/CadoSecurity/Scripts/CadoParseEvent/test_data'
ACQUIRE_RESOURCE_ARG = {
    'cado-aws-ec2-acquire': 'instance_id', 'cado-aws-s3-acquire': 'bucket', 'cado-aws-lambda-acquire': 'function_name',
    'cado-gcp-gce-acquire': 'instance_name', 'cado-gcp-gcs-acquire': 'bucket', 'cado-azure-vm-acquire': 'vm_name',
    'cado-azure-disk-acquire': 'disk_name', 'cado-xdr-device-acquire': 'device_id',
    'cado-darktrace-endpoint-acquire': 'device_id', 'cado-url-acquire': 'url',
    'cado-aws-ecs-acquire': 'container_name', 'cado-aws-eks-acquire': 'container_name',
    'cado-gcp-gke-acquire': 'container_name', 'cado-azure-blob-acquire': 'blob_name',
    'cado-azure-aks-acquire': 'container_name',
}


# Commands the fake runs through the integration's own code on ApiStub, whose requests it counts (api_requests).
RUN_FOR_REAL = ('cado-detection-get', 'cado-resource-classify')


def detection(name: str) -> dict:
    data = json.loads((DETECTIONS_DIR / name).read_text())
    data.pop('_comment', None)
    return data


def request(method):
    """A Client method that is one HTTP request."""
    @functools.wraps(method)
    def counted(self, *args):
        self.cado.api_requests += 1
        return method(self, *args)
    return counted


class ApiStub:
    """The integration's Client for the commands the fake runs for real (the exact detection lookup and the
    classification): each method answers from the fake's state in the API's envelope."""
    defaults = {'account': None, 'region': None, 'project': None}

    def __init__(self, cado: 'FakeCado'):
        self.cado = cado

    @request
    def list_accounts(self, params):
        return {'data': [account for account in self.cado.accounts if account['type'] in params['type']]}

    @request
    def get_detection_asset(self, detection_id):
        found = [d for d in self.cado.detections if d['id'] == detection_id and d.get('resource_data')]
        if not found:
            raise CadoSecurity.CadoApiError(f'Cado has no asset for detection {detection_id} (HTTP 404).', 404)
        asset_id = found[0]['resource_data'][0]['resource_id']
        acquisitions = self.cado.existing.get(detection_id, []) + self.cado.made[asset_id]
        return {'data': {'asset_id': asset_id, 'first_seen': 0, 'last_seen': 0, 'acquisition_type': 'full',
                         'acquisitions': acquisitions}}

    @request
    def list_detections(self, params):
        found = [d for d in self.cado.detections
                 if any(r.get('resource_id') in params['resource_id'] for r in d.get('resource_data') or [])]
        return {'data': sorted(found, key=lambda d: -d['id']), 'pagination': {'total_pages': 1}}


class FakeCado:
    def __init__(self, detections: list[dict] | None = None, alarms: dict[int, tuple[int, int]] | None = None,
                 accounts: list[dict] | None = None, outcomes: list[str] | None = None,
                 existing: dict[int, list[dict]] | None = None):
        self.detections = detections or []
        self.outcomes = list(outcomes or [])  # how the next acquisitions end: complete, failed, cancelled, timeout
        self.existing = existing or {}  # detection id -> acquisitions Cado already made of its asset
        self.made: dict[str, list[dict]] = defaultdict(list)  # asset (resource) id -> the acquisitions made here
        self.alarms = alarms or {}  # project id -> (malicious, suspicious) once processing is done
        self.accounts = accounts if accounts is not None else [
            {'id': 1, 'account_name': 'aws-prod', 'type': 'aws',
             'public_identifier': 'arn:aws:iam::123456789012:role/CadoRole'},
            {'id': 2, 'account_name': 'azure-prod', 'type': 'azure'}, {'id': 4, 'account_name': 'gcp-prod', 'type': 'gcp'},
            {'id': 3, 'account_name': 'falcon', 'type': 'crowdstrike'}]
        self.projects: dict[int, dict] = {}
        for item in self.detections:  # detections live in their investigation
            self.projects.setdefault(item['investigation_id'], self.project(item['investigation_id'],
                                                                            item['investigation']))
        self.incident_links: dict[str, int] = {}  # Cado incident id -> the project Cado linked to it
        self.acquired: list[tuple[str, dict]] = []
        self.lookups: list[dict] = []  # every cado-detection-get
        self.api_requests = 0  # HTTP requests of the commands in RUN_FOR_REAL
        self.created: list[str] = []
        self.ids = itertools.count(500)
        # The instance's mirroring: direction In/Out/Both or None (off), and whether the next links fail. The link is
        # the integration's own command, on one integration context that every incident of the scenario shares.
        self.mirror_direction: str | None = 'Both'
        self.mirroring = fake_mirroring.MirroringXsoar(fake_mirroring.FakeCado(), instance='Cado Security_instance_1')
        self.link_fails = False

    def project(self, project_id: int, name: str) -> dict:
        malicious, suspicious = self.alarms.get(project_id, (0, 0))
        return {'id': project_id, 'details': {'name': name, 'status': 'Collection & Analysis'},
                'alarms': {'malicious': 0, 'suspicious': 0}, 'evidences': 0, '_alarms': (malicious, suspicious)}

    @staticmethod
    def public(project: dict) -> dict:
        return {k: v for k, v in project.items() if not k.startswith('_')}

    def __call__(self, command: str, args: dict[str, Any]) -> dict:
        handler = getattr(self, command.replace('-', '_'), None)
        if handler is None and command in ACQUIRE_RESOURCE_ARG:
            return self.acquire(command, args)
        if handler is None:
            raise AssertionError(f'the fake Cado does not implement {command}')
        return handler(args)

    def cado_detection_get(self, args):
        self.lookups.append(args)
        return self.run_for_real(CadoSecurity.detection_get_command, args)

    def cado_resource_classify(self, args):
        return self.run_for_real(CadoSecurity.resource_classify_command, args)

    def run_for_real(self, command, args):
        try:
            return command(ApiStub(self), args).to_context()['EntryContext']
        except (ValueError, CadoSecurity.CadoApiError) as e:
            raise CommandError(str(e)) from e

    def cado_incident_project_get(self, args):
        project_id = self.incident_links.get(args['incident_id'])
        if project_id is None:
            raise CommandError('Error in API call [404] - Not Found: project linked to incident')
        return {dt_key('Cado.Project'): dict(self.public(self.projects[project_id]), incident_id=args['incident_id'])}

    def cado_project_list(self, args):
        found = [self.public(p) for p in self.projects.values() if args.get('name', '') in p['details']['name']]
        return {dt_key('Cado.Project'): found} if found else {}

    def cado_project_create(self, args):
        if any(p['details']['name'] == args['name'] for p in self.projects.values()):
            raise CommandError('Error in API call [400] - a project with this name already exists')
        project_id = next(self.ids)
        self.projects[project_id] = self.project(project_id, args['name'])
        self.created.append(args['name'])
        return {dt_key('Cado.Project'): {'id': project_id, 'details': {'name': args['name']}}}

    def cado_project_get(self, args):
        project = self.projects.get(int(args['project_id']))
        if project is None:
            raise CommandError('Error in API call [404] - Not Found: project')
        return {dt_key('Cado.Project'): self.public(project)}

    def cado_project_delete(self, args):
        for project_id in str(args['project_ids']).split(','):
            self.projects.pop(int(project_id))
        return {}

    def cado_pipeline_list(self, args):
        return {}

    def acquire(self, command, args):
        assert str(args.get('polling')).lower() == 'true', f'{command} must poll'
        project = self.projects.get(int(args['project_id']))
        if project is None:
            raise CommandError('Error in API call [404] - Not Found: project')
        self.acquired.append((command, args))
        pipeline_id = next(self.ids)
        record = {'pipeline_id': pipeline_id, 'pipeline_ids': [pipeline_id], 'project_id': project['id'],
                  'resource_id': args[ACQUIRE_RESOURCE_ARG[command]]}
        outcome = self.outcomes.pop(0) if self.outcomes else 'complete'
        # Cado lists every acquisition of an asset on its detections' asset, whichever detection it was made for.
        self.made[record['resource_id']].append({'created': time.time() * 1000, 'acquired': outcome == 'complete',
                                                 'evidence_id': 77, 'pipeline_id': pipeline_id})
        if outcome != 'complete':  # the integration writes the acquisition's end, then an error entry
            record.update(status=outcome, failed_pipeline_id=pipeline_id, failed_subtask='Copying snapshot to Cado',
                          reason=f'synthetic {outcome}')
            raise CommandError(f'The Cado acquisition ended {outcome}: pipeline {pipeline_id}',
                               {dt_key('Cado.Acquisition', 'pipeline_id'): record})
        malicious, suspicious = project['_alarms']
        project['alarms'] = {'malicious': malicious, 'suspicious': suspicious}
        record.update(status='complete', evidence_id=77)
        if str(args.get('wait_for_processing')).lower() == 'true':
            record.update(processing_pipeline_id=pipeline_id + 1000, processing_status='complete',
                          alarm_count=malicious + suspicious,
                          detection_count=sum(d['investigation_id'] == project['id'] for d in self.detections))
        return {dt_key('Cado.Acquisition', 'pipeline_id'): record}

    def cado_pipeline_get(self, args):
        assert str(args.get('polling')).lower() == 'true', 'cado-pipeline-get must poll in playbooks'
        outcome = self.outcomes.pop(0) if self.outcomes else 'complete'
        record = {'id': int(args['pipeline_id']), 'status': outcome}
        if outcome != 'complete':
            raise CommandError(f'The Cado pipeline ended {outcome}', {dt_key('Cado.Pipeline'): record})
        return {dt_key('Cado.Pipeline'): record}

    def cado_detection_list(self, args):
        found = [d for d in self.detections if 'project_id' not in args or d['investigation_id'] == int(args['project_id'])]
        found.sort(key=lambda d: d['updated_datetime'], reverse=True)
        return {dt_key('Cado.Detection'): found[:int(args.get('limit', 50))]} if found else {}

    def cado_alarm_list(self, args):
        project = self.projects.get(int(args['project_id']))
        count = sum(project['alarms'].values()) if project else 0
        return {dt_key('Cado.Alarm'): [{'id': n, 'severity': 3} for n in range(count)]} if count else {}

    @property
    def mirror_links(self) -> dict[int, str]:
        """The project -> incident links the integration registered in the instance's integration context."""
        projects = (json.loads(self.mirroring.context.text).get('mirror') or {}).get('projects') or {}
        return {int(project_id): entry[0] for project_id, entry in projects.items() if entry[0]}

    def cado_incident_mirror_link(self, args):
        """The integration's cado-incident-mirror-link through main(), with the instance's mirroring direction."""
        if self.link_fails:
            raise CommandError('Error in cado-incident-mirror-link: the integration context could not be written')
        direction = {value: name for name, value in CadoSecurity.MIRROR_DIRECTIONS.items()}[self.mirror_direction]
        self.mirroring.params['mirror_direction'] = direction
        outcome = self.mirroring.run('cado-incident-mirror-link', {key: str(value) for key, value in args.items()})
        if outcome.errors():
            raise CommandError(outcome.errors()[0])
        return outcome.entries[0]['EntryContext']
