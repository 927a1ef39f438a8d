"""The browse commands for the names that container, appliance and storage acquisitions need (ECS, EKS, GKE and AKS
clusters, tasks, pods and containers; Darktrace appliances; Azure subscriptions, resource groups and storage; GCP
projects and GCS objects), beyond the success, contract and outputs cases every command gets in
CadoSecurity_test.py, CadoSecurity_outputs_test.py and the contract suite.
"""
import pytest

import CadoSecurity
from CadoSecurity_test import (
    BASE, BROWSE_CASES, BROWSE_FIXTURES, cursor_pool, fail, load, query_of, read_to_the_end, succeed,
    xsoar_runtime)
from command_args import args_of

SHARED_FIXTURES = (xsoar_runtime,)  # imported, CadoSecurity_test.py's autouse fixture serves this module too
BROWSE_COMMANDS = [command for command, *_ in BROWSE_CASES]


def path_of(command: str) -> str:
    return f'{BASE}{CadoSecurity.ENDPOINTS[CadoSecurity.LISTINGS[command].endpoint].path}'


def required_fields(command: str) -> list[CadoSecurity.Field]:
    return [field for field in CadoSecurity.LISTINGS[command].filters if field.required and field.default is None]


def test_every_browse_command_has_a_success_case():
    assert set(BROWSE_FIXTURES) == set(BROWSE_COMMANDS)
    assert set(BROWSE_COMMANDS) <= set(CadoSecurity.COMMANDS)


# ============================================================================================================
# Bad arguments: rejected before any request, naming the argument
# ============================================================================================================

MISSING_ARGUMENTS = [(command, field.arg) for command in BROWSE_COMMANDS for field in required_fields(command)]


@pytest.mark.parametrize('command, missing', MISSING_ARGUMENTS, ids=[f'{c}-{a}' for c, a in MISSING_ARGUMENTS])
def test_a_missing_required_argument_is_named_before_any_request(mocker, requests_mock, command, missing):
    args = {name: value for name, value in args_of(command).items() if name != missing}
    message = fail(mocker, command, args)
    assert f'Missing required argument "{missing}"' in message
    if missing in ('account', 'region'):
        assert 'instance' in message, 'an argument with an instance default says so'
    assert requests_mock.call_count == 0


PAGED_COMMANDS = [command for command in BROWSE_COMMANDS if CadoSecurity.LISTINGS[command].paging != 'none']


@pytest.mark.parametrize('command', PAGED_COMMANDS)
@pytest.mark.parametrize('args, named', [({'page_size': '101'}, 'at most 100'), ({'limit': '0'}, '"limit"'),
                                         ({'limit': 'many'}, '"limit"')], ids=['page-size', 'limit-zero', 'limit-text'])
def test_bad_paging_is_rejected_before_any_request(mocker, requests_mock, command, args, named):
    assert named in fail(mocker, command, args_of(command, **args))
    assert requests_mock.call_count == 0


def test_the_ecs_container_list_takes_no_paging_arguments():
    assert CadoSecurity.PAGING_FIELDS[CadoSecurity.LISTINGS['cado-aws-ecs-container-list'].paging] == ()


# ============================================================================================================
# Instance defaults, answers of unexpected shapes
# ============================================================================================================

@pytest.mark.parametrize('command, args, sent', [
    ('cado-aws-ecs-cluster-list', {}, {'account_name': ['aws-default'], 'region': ['us-east-1']}),
    ('cado-aws-ecs-container-list', {'cluster_name': 'c', 'task_name': 't'},
     {'account_name': ['aws-default'], 'region': ['us-east-1']}),
    ('cado-aws-eks-pod-list', {'cluster_name': 'c'}, {'account_name': ['aws-default'], 'cluster_region': ['us-east-1']}),
    ('cado-azure-subscription-list', {}, {'account_name': ['aws-default']}),
    ('cado-gcp-project-list', {}, {'account_name': ['aws-default']}),
])
def test_instance_defaults_fill_the_account_and_region(mocker, requests_mock, command, args, sent):
    requests_mock.get(path_of(command), json=load(BROWSE_FIXTURES[command]))
    succeed(mocker, command, args, {'default_account': 'aws-default', 'default_region': 'us-east-1'})
    query = query_of(requests_mock.last_request)
    assert {name: query.get(name) for name in sent} == sent


def test_a_gcp_project_list_needs_no_account(mocker, requests_mock):
    """Cado's GCP project listing takes the account as an option: without one (and no instance default), none is
    sent rather than an error raised."""
    requests_mock.get(path_of('cado-gcp-project-list'), json=load('gcp_project_list'))
    succeed(mocker, 'cado-gcp-project-list', {})
    assert 'account_name' not in query_of(requests_mock.last_request)


@pytest.mark.parametrize('command, data, says', [
    ('cado-azure-storage-account-list', [{'name': 'acmeinsights'}], 'not a list of names'),
    ('cado-azure-storage-container-list', 'insights', 'not a list of names'),
    ('cado-azure-blob-list', ['y=2024/PT1H.json'], 'not a list of JSON objects'),
    ('cado-aws-ecs-container-list', [{'container_name': 'api'}], 'not a JSON object'),
])
def test_an_answer_of_another_shape_is_reported_not_misread(mocker, requests_mock, command, data, says):
    requests_mock.get(path_of(command), json={'status': 'success', 'data': data})
    message = fail(mocker, command, args_of(command))
    assert says in message and 'platform version' in message


def test_bare_names_become_records_with_a_name(mocker, requests_mock):
    requests_mock.get(path_of('cado-azure-storage-container-list'), json=load('azure_storage_container_list'))
    result = succeed(mocker, 'cado-azure-storage-container-list', args_of('cado-azure-storage-container-list'))
    assert result.outputs == [{'name': 'insights-logs-signinlogs'}, {'name': 'insights-logs-auditlogs'}]
    assert '| insights-logs-auditlogs |' in result.readable_output
    assert result.to_context()['EntryContext'] == {'Cado.AzureStorageContainer(val.name && val.name == obj.name)':
                                                   result.outputs}


@pytest.mark.parametrize('data', [{'containers': []}, {}], ids=['no-containers', 'no-containers-key'])
def test_an_ecs_task_without_containers_says_so(mocker, requests_mock, data):
    requests_mock.get(path_of('cado-aws-ecs-container-list'), json={'status': 'success', 'data': data})
    result = succeed(mocker, 'cado-aws-ecs-container-list', args_of('cado-aws-ecs-container-list'))
    assert result.outputs == []
    assert 'No entries' in result.readable_output


# ============================================================================================================
# Paging
# ============================================================================================================

@pytest.mark.parametrize('command, key', [('cado-aws-ecs-cluster-list', 'cluster_name'),
                                          ('cado-aws-ecs-task-list', 'task_name'),
                                          ('cado-darktrace-appliance-list', 'name')])
def test_cursor_lists_continue_where_the_last_call_stopped(mocker, requests_mock, command, key):
    """limit 4 over 10 items in Cado pages of 3: every item once, in order, over calls that each say how to go on."""
    template = load(BROWSE_FIXTURES[command])['data'][0]
    requests_mock.get(path_of(command), json=cursor_pool(template, key, 10, server_page=3))
    calls = read_to_the_end(mocker, command, args_of(command, limit='4'), key)
    assert [item for call in calls for item in call] == [str(number) for number in range(1, 11)]
    assert [len(call) for call in calls] == [4, 4, 2]


@pytest.mark.parametrize('command', ['cado-aws-eks-pod-list', 'cado-gcp-gke-container-list',
                                     'cado-azure-aks-cluster-list', 'cado-azure-blob-list', 'cado-gcp-gcs-object-list'])
def test_page_lists_follow_pages_up_to_the_limit(mocker, requests_mock, command):
    """limit 150 over 130 items: page 1 of 100, then page 3 of 50 (items 101-150), which holds the last 30."""
    item = load(BROWSE_FIXTURES[command])['data'][0]
    total = 130

    def answer(request, context):
        query = query_of(request)
        page, per_page = int(query['page'][0]), int(query['per_page'][0])
        count = max(0, min(per_page, total - (page - 1) * per_page))
        return {'status': 'success', 'data': [item] * count,
                'pagination': {'type': 'page', 'total_records': total, 'current_page': page,
                               'total_pages': -(-total // per_page), 'per_page': per_page}}

    requests_mock.get(path_of(command), json=answer)
    result = succeed(mocker, command, args_of(command, limit='150'))
    assert [(query_of(r)['page'][0], query_of(r)['per_page'][0]) for r in requests_mock.request_history] == [
        ('1', '100'), ('3', '50')]
    assert len(result.outputs) == total


# ============================================================================================================
# Classification: the browse command that discovers what a detection does not say
# ============================================================================================================

AZURE_SUB = args_of('cado-azure-resource-group-list')['subscription_id']


@pytest.mark.parametrize('resource, missing, browse', [
    ({'provider': 'aws', 'type': 'ecs', 'id': 'prod-ecs', 'cluster': 'prod-ecs', 'region': 'eu-west-2'},
     ['task_name', 'container_name'], 'cado-aws-ecs-task-list'),
    ({'provider': 'aws', 'type': 'ecs', 'id': 't-1', 'task': 't-1', 'region': 'eu-west-2'},
     ['cluster_name', 'container_name'], 'cado-aws-ecs-cluster-list'),
    ({'provider': 'aws', 'type': 'eks', 'id': 'prod-eks', 'cluster': 'prod-eks', 'region': 'us-east-1'},
     ['pod_name', 'pod_namespace', 'container_name'], 'cado-aws-eks-pod-list'),
    ({'provider': 'aws', 'type': 'eks', 'id': 'prod-eks', 'cluster': 'prod-eks', 'region': 'us-east-1', 'pod': 'p',
      'namespace': 'n'}, ['container_name'], 'cado-aws-eks-container-list'),
    ({'provider': 'gcp', 'type': 'gke', 'id': 'etl-gke', 'cluster': 'etl-gke', 'cloud_account': 'analytics-prod-4521'},
     ['zone', 'pod_name', 'pod_namespace', 'container_name'], 'cado-gcp-gke-cluster-list'),
    ({'provider': 'azure', 'type': 'aks', 'id': 'aks-prod', 'cluster': 'aks-prod', 'cloud_account': AZURE_SUB},
     ['resource_group', 'pod_name', 'pod_namespace', 'container_name'], 'cado-azure-resource-group-list'),
    ({'provider': 'azure', 'type': 'vm', 'id': 'win-jump-01', 'resource_group': 'rg-jump'},
     ['subscription_id'], 'cado-azure-subscription-list'),
    ({'provider': 'azure', 'type': 'disk', 'id': 'd-1', 'cloud_account': AZURE_SUB},
     ['resource_group'], 'cado-azure-disk-list'),
    ({'provider': 'gcp', 'type': 'gcs', 'id': 'analytics-prod-4521-audit'}, ['gcp_project'], 'cado-gcp-project-list'),
], ids=['ecs-task', 'ecs-cluster', 'eks-pod', 'eks-container', 'gke-zone', 'aks-resource-group', 'vm-subscription',
        'disk-resource-group', 'gcs-project'])
def test_a_missing_name_points_to_the_command_that_lists_it(resource, missing, browse):
    entry = CadoSecurity.classify(resource, 12, 'prod', [], {})
    assert (entry['missing'], entry['ready'], entry['browse_command']) == (missing, False, browse)

