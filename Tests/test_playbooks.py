"""Structure of the pack's playbooks and test playbook, checked against the pack's own YAML.

Every task runs a command of the integration, a script of the pack, a built-in or a sub-playbook of the pack (or
something a pack named in pack_metadata.json `dependencies` provides), with arguments that command declares and its
required ones given; every `${...}`, condition and complex value refers to a playbook input, an incident field, or a
context path declared as an output of a task that runs before it; every task is reachable from the start and reaches
the end; commands that poll are called in polling mode; every Cado task runs on the instance the CadoInstance input
names (`using`) and handles its errors, with an error path of its own where the failure decides the outcome, and
lookups run quiet; no failure ends at a title task: every error path records the state on the incident and reaches a
task an analyst completes. Each check returns the problems it finds, named by playbook and task, and the last tests
break the playbooks on purpose to show that each check notices.
"""
import copy
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / 'Packs' / 'CadoSecurity'
REFERENCE = re.compile(r'\$\{([^}]+)\}')
MIRROR_ATTRIBUTES = {'dbotMirrorId', 'dbotMirrorInstance', 'dbotMirrorDirection'}
OPERATORS = {'isEqualString', 'isNotEmpty', 'isEmpty', 'isTrue', 'isExists', 'inList'}
# Attributes of the incident object itself (not custom fields) that playbooks may read.
INCIDENT_ATTRIBUTES = {'id', 'name', 'type', 'severity', 'owner', 'details', 'occurred', 'created', 'modified',
                       'status', 'labels', 'rawJSON', 'sourceBrand', 'sourceInstance', 'playbookId', *MIRROR_ATTRIBUTES}
# Arguments of the XSOAR built-ins the playbooks use; setIncident also takes every incident field's cliName, and the
# mirroring attributes (as the ServiceNow and Jira "mirror ticket" playbooks set them on an incident).
SET_INCIDENT_ARGS = {'id', 'name', 'owner', 'type', 'severity', 'details', 'occurred', 'addLabels', 'labels',
                     'customFields', 'phase', 'sla', 'slaField', 'role', *MIRROR_ATTRIBUTES}
CLOSE_ARGS = {'id', 'closeReason', 'closeNotes'}
# Scripts of dependency packs a playbook may use, per pack; the pack must be in pack_metadata.json dependencies.
DEPENDENCY_SCRIPTS: dict[str, dict[str, set[str]]] = {
    'CommonScripts': {'DeleteContext': {'key', 'all', 'subplaybook', 'keysToKeep', 'index'}}}
# Scripts only the test playbook uses, from XSOAR's Common Scripts pack, which every test environment has.
TEST_SCRIPTS = {'PrintErrorEntry': {'message'}}


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


PLAYBOOK_PATHS = sorted(PACK.glob('Playbooks/*.yml')) + sorted(PACK.glob('TestPlaybooks/*.yml'))
PLAYBOOKS = {doc['id']: doc for doc in map(load, PLAYBOOK_PATHS)}
TEST_PLAYBOOKS = {load(path)['id'] for path in PACK.glob('TestPlaybooks/*.yml')}
INTEGRATION = load(PACK / 'Integrations' / 'CadoSecurity' / 'CadoSecurity.yml')
COMMANDS = {c['name']: c for c in INTEGRATION['script']['commands']}
SCRIPTS = {s['name']: s for s in map(load, sorted(PACK.glob('Scripts/*/*.yml')))}
FIELDS = {f['cliName']: f for f in map(lambda p: json.loads(p.read_text()), sorted(PACK.glob('IncidentFields/*.json')))}
METADATA = json.loads((PACK / 'pack_metadata.json').read_text())


def builtins() -> dict[str, set[str]]:
    return {'setIncident': SET_INCIDENT_ARGS | set(FIELDS), 'closeInvestigation': CLOSE_ARGS}


def dependency_scripts() -> dict[str, set[str]]:
    return {name: args for pack, scripts in DEPENDENCY_SCRIPTS.items() if pack in (METADATA.get('dependencies') or {})
            for name, args in scripts.items()}


# --- what each task runs ------------------------------------------------------------------------------------------

def runs(task: dict) -> tuple[str, str]:
    """(kind, name): kind is command, builtin, script or playbook; ('', '') for start, title and condition tasks."""
    inner = task['task']
    if task['type'] == 'playbook':
        return 'playbook', inner.get('playbookName') or inner.get('playbookId')
    if inner.get('scriptName'):
        return 'script', inner['scriptName']
    if inner.get('script'):
        brand, _, command = inner['script'].partition('|||')
        return ('builtin' if brand == 'Builtin' else 'command'), command
    return '', ''


def declared_arguments(kind: str, name: str, test_playbook: bool = False) -> tuple[set[str], set[str]] | None:
    """(declared, required) arguments of what a task runs, or None when it does not exist."""
    def names(items: list | None, key: str = 'name') -> tuple[set[str], set[str]]:
        return {i[key] for i in items or []}, {i[key] for i in items or [] if i.get('required')}

    if kind == 'command' and name in COMMANDS:
        declared, required = names(COMMANDS[name].get('arguments'))
        return declared | {'using'}, required  # `using` (the instance to run on) is XSOAR's own argument
    if kind == 'builtin' and name in builtins():
        return builtins()[name], set()
    if kind == 'script' and name in SCRIPTS:
        return names(SCRIPTS[name].get('args'))
    if kind == 'script' and name in dependency_scripts():
        return dependency_scripts()[name], set()
    if kind == 'script' and name in TEST_SCRIPTS and test_playbook:
        return TEST_SCRIPTS[name], set()
    if kind == 'playbook' and name in PLAYBOOKS:
        return names(PLAYBOOKS[name].get('inputs'), 'key')
    return None


def produced(kind: str, name: str) -> set[str]:
    """Context paths a task writes; an object of unknown shape (an output of type Unknown) ends with '.*'."""
    declared = {'command': COMMANDS, 'script': SCRIPTS, 'playbook': PLAYBOOKS}.get(kind, {}).get(name, {})
    outputs = declared.get('outputs') or []
    return {o['contextPath'] for o in outputs} | {
        o['contextPath'] + '.*' for o in outputs if kind == 'command' and str(o.get('type')).lower() == 'unknown'}


def is_produced(path: str, paths: set[str]) -> bool:
    return any(p == path or p.startswith(path + '.') or (p.endswith('.*') and path.startswith(p[:-1]))
               for p in paths)


# --- the graph ------------------------------------------------------------------------------------------------------

def edges(playbook: dict) -> dict[str, list[str]]:
    return {tid: [n for targets in (task.get('nexttasks') or {}).values() for n in targets]
            for tid, task in playbook['tasks'].items()}


def reachable(graph: dict[str, list[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, []))
    return seen


def ancestors(graph: dict[str, list[str]], target: str) -> set[str]:
    return {node for node in graph if node != target and target in reachable(graph, node)}


# --- the references -------------------------------------------------------------------------------------------------

def references(task: dict) -> list[str]:
    """Every path a task reads: ${...} in argument values, context sides of conditions, complex roots."""
    found = []

    def from_value(value):
        if not isinstance(value, dict):
            return
        if 'complex' in value:
            complex_ = value['complex']
            found.append('.'.join(filter(None, (complex_.get('root'), complex_.get('accessor')))))
        elif isinstance(value.get('simple'), str):
            found.extend(REFERENCE.findall(value['simple']))

    for value in (task.get('scriptarguments') or {}).values():
        from_value(value)
    for branch in task.get('conditions') or []:
        for ors in branch['condition']:
            for clause in ors:
                for side in (clause.get('left'), clause.get('right')):
                    if side and side.get('iscontext'):
                        found.append(side['value']['simple'])
                    elif side:
                        from_value(side['value'])
    return found


def reference_problem(path: str, playbook: dict, earlier: set[str]) -> str | None:
    root, _, rest = path.partition('.')
    if root == 'inputs':
        return None if rest in {i['key'] for i in playbook.get('inputs') or []} else f'unknown input "{rest}"'
    if root == 'incident':
        return None if rest in INCIDENT_ATTRIBUTES | set(FIELDS) else f'unknown incident field "{rest}"'
    return None if is_produced(path, earlier) else f'"{path}" is not an output of any task that runs before it'


# --- the checks -----------------------------------------------------------------------------------------------------

def task_label(playbook: dict, tid: str) -> str:
    return f'{playbook["id"]} task {tid} "{playbook["tasks"][tid]["task"]["name"]}"'


def task_problems(playbook: dict) -> list[str]:
    problems = []
    graph = edges(playbook)
    for tid, task in playbook['tasks'].items():
        where = task_label(playbook, tid)
        kind, name = runs(task)
        if not kind:
            if task.get('scriptarguments'):
                problems.append(f'{where}: has arguments but runs nothing')
            continue
        declared = declared_arguments(kind, name, playbook['id'] in TEST_PLAYBOOKS)
        if declared is None:
            problems.append(f'{where}: {kind} "{name}" is not in the pack, a built-in or a declared dependency')
            continue
        names, required = declared
        given = set(task.get('scriptarguments') or {})
        problems += [f'{where}: {name} has no argument "{a}"' for a in sorted(given - names)]
        problems += [f'{where}: {name} needs argument "{a}"' for a in sorted(required - given)]
        if kind == 'playbook' and not task.get('separatecontext'):
            problems.append(f'{where}: sub-playbook runs without a separate context')
    for tid, task in playbook['tasks'].items():
        earlier = {p for a in ancestors(graph, tid) for p in produced(*runs(playbook['tasks'][a]))}
        for path in references(task):
            problem = reference_problem(path, playbook, earlier)
            if problem:
                problems.append(f'{task_label(playbook, tid)}: {problem}')
        for branch in task.get('conditions') or []:
            for clause in (c for ors in branch['condition'] for c in ors):
                if clause['operator'] not in OPERATORS:
                    problems.append(f'{playbook["id"]} task {tid}: operator {clause["operator"]} is not one of '
                                    f'{sorted(OPERATORS)}')
    everything = {p for task in playbook['tasks'].values() for p in produced(*runs(task))}
    problems += [f'{playbook["id"]}: output "{o["contextPath"]}" is written by no task'
                 for o in playbook.get('outputs') or [] if not is_produced(o['contextPath'], everything)]
    return problems


def graph_problems(playbook: dict) -> list[str]:
    graph, name = edges(playbook), playbook['id']
    problems = [f'{name} task {tid}: next task {n} does not exist'
                for tid, targets in graph.items() for n in targets if n not in graph]
    if problems:
        return problems
    problems += [f'{name} task {tid} is not reachable from the start'
                 for tid in sorted(set(graph) - reachable(graph, playbook['starttaskid']))]
    ends = [tid for tid, targets in graph.items() if not targets]
    if len(ends) != 1:
        return problems + [f'{name}: {len(ends)} end tasks ({ends}); every path must reach the one end']
    problems += [f'{name} task {tid} does not reach the end task {ends[0]}'
                 for tid in graph if ends[0] not in reachable(graph, tid)]
    problems += [f'{name} task {tid} is on a loop' for tid in graph
                 if any(tid in reachable(graph, n) for n in graph[tid])]
    return problems


def polling_problems(playbook: dict) -> list[str]:
    problems = []
    for tid, task in playbook['tasks'].items():
        kind, name = runs(task)
        if kind != 'command' or not COMMANDS.get(name, {}).get('polling'):
            continue
        args = task.get('scriptarguments') or {}
        where = task_label(playbook, tid)
        if (args.get('polling') or {}).get('simple') != 'true':
            problems.append(f'{where}: {name} polls; call it with polling=true')
        problems += [f'{where}: {name} should be given "{a}" (a playbook input)'
                     for a in ('interval_in_seconds', 'timeout_in_seconds') if a not in args]
        declared = {a['name'] for a in COMMANDS[name].get('arguments') or []}
        if 'wait_for_processing' in declared and 'wait_for_processing' not in args:
            problems.append(f'{where}: {name} should say whether to wait for processing')
    return problems


# Commands whose failure decides how the response ends: each needs an error path of its own.
OUTCOME_COMMANDS = {name for name, c in COMMANDS.items() if c.get('polling')} | {
    'cado-detection-get', 'cado-resource-classify', 'cado-project-create'}
# Lookups whose War Room entry nobody needs (their outputs go to context): run quiet.
QUIET_COMMANDS = {'cado-detection-get', 'cado-resource-classify', 'cado-project-list'}
USING = '${inputs.CadoInstance}'


def is_manual(task: dict) -> bool:
    """A task an analyst completes: a regular task that runs nothing, a condition without conditions."""
    if task['type'] == 'regular':
        return not runs(task)[0]
    return task['type'] == 'condition' and not task.get('conditions')


def error_handling_problems(playbook: dict) -> list[str]:
    """Every Cado task runs on the chosen instance and handles its errors; the ones that decide the outcome have an
    error path; lookups are quiet."""
    problems = []
    for tid, task in playbook['tasks'].items():
        kind, name = runs(task)
        if kind != 'command' or name not in COMMANDS:
            continue
        where = task_label(playbook, tid)
        if ((task.get('scriptarguments') or {}).get('using') or {}).get('simple') != USING:
            problems.append(f'{where}: {name} runs on every Cado instance; give it using={USING}')
        if not task.get('continueonerror'):
            problems.append(f'{where}: {name} has no error handling (continueonerror)')
        if name in OUTCOME_COMMANDS and (task.get('continueonerrortype') != 'errorPath'
                                         or not (task.get('nexttasks') or {}).get('#error#')):
            problems.append(f'{where}: {name} has no error path')
        quiet = task.get('quietmode') == 1 or (playbook.get('quiet') and task.get('quietmode') in (0, None))
        if name in QUIET_COMMANDS and not quiet:
            problems.append(f'{where}: {name} is not quiet')
    return problems


def avoids(graph: dict[str, list[str]], start: str, end: str, through: set[str]) -> bool:
    """Whether some path from start reaches end without passing a task in `through`."""
    pruned = {node: [] if node in through else targets for node, targets in graph.items()}
    return start not in through and end in reachable(pruned, start)


def honest_end_problems(playbook: dict) -> list[str]:
    """A failure ends in front of an analyst: no title task leads to the end, and every error path records the state
    on the incident (setIncident) and reaches a manual task before the end."""
    graph, tasks = edges(playbook), playbook['tasks']
    ends = [tid for tid, targets in graph.items() if not targets]
    if len(ends) != 1 or playbook['id'] in TEST_PLAYBOOKS:  # a test playbook fails instead of waiting for a person
        return []
    end = ends[0]
    problems = [f'{task_label(playbook, tid)} is a title task before the end: say it in a task an analyst sees'
                for tid, task in tasks.items() if task['type'] == 'title' and tid != end and end in graph[tid]]
    manual = {tid for tid, task in tasks.items() if is_manual(task)}
    recording = {tid for tid, task in tasks.items() if runs(task) == ('builtin', 'setIncident')}
    for tid, task in tasks.items():
        for target in (task.get('nexttasks') or {}).get('#error#') or []:
            if avoids(graph, target, end, manual):
                problems.append(f'{playbook["id"]}: the error path of task {tid} reaches the end without a task for '
                                'an analyst')
            if avoids(graph, target, end, recording):
                problems.append(f'{playbook["id"]}: the error path of task {tid} reaches the end without recording '
                                'the state on the incident')
    return problems


CHECKS = {
    'tasks-run-what-exists-with-declared-arguments-and-known-references': task_problems,
    'every-task-is-reachable-and-reaches-the-end': graph_problems,
    'polling-commands-run-in-polling-mode': polling_problems,
    'cado-tasks-use-the-instance-input-and-handle-errors': error_handling_problems,
    'failures-end-recorded-and-in-front-of-an-analyst': honest_end_problems,
}


@pytest.mark.parametrize('check', CHECKS.values(), ids=CHECKS.keys())
@pytest.mark.parametrize('playbook_id', sorted(PLAYBOOKS))
def test_playbook_passes_check(playbook_id, check):
    problems = check(PLAYBOOKS[playbook_id])
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('playbook_id', sorted(PLAYBOOKS))
def test_inputs_are_described_and_used(playbook_id):
    playbook = PLAYBOOKS[playbook_id]
    used = {path.partition('.')[2] for task in playbook['tasks'].values() for path in references(task)
            if path.startswith('inputs.')}
    for item in playbook.get('inputs') or []:
        assert item.get('description', '').strip(), f'{playbook_id}: input {item["key"]} has no description'
        assert item['key'] in used, f'{playbook_id}: input {item["key"]} is never used'


def test_the_pack_playbooks_are_there_and_tested():
    assert {'Cado Detection Response', 'Cado Acquire and Investigate', 'Cado Security - Test'} <= set(PLAYBOOKS)
    test = PLAYBOOKS['Cado Security - Test']
    assert test['id'] == test['name'] == 'Cado Security - Test'
    assert 'Cado Security - Test' in INTEGRATION.get('tests', [])
    assert 'Cado Security - Test' in SCRIPTS['CadoParseEvent'].get('tests', [])
    for playbook_id in ('Cado Detection Response', 'Cado Acquire and Investigate'):
        assert PLAYBOOKS[playbook_id].get('tests') == ['Cado Security - Test']
        assert (PACK / 'Playbooks' / f'playbook-{playbook_id.replace(" ", "_")}_README.md').exists()
    for path in PLAYBOOK_PATHS:
        assert load(path).get('fromversion') == '6.10.0', path.name


def test_incident_types_run_the_response_playbook():
    for path in sorted(PACK.glob('IncidentTypes/*.json')):
        incident_type = json.loads(path.read_text())
        assert incident_type['playbookId'] in PLAYBOOKS, path.name


def test_set_incident_writes_pack_fields_of_the_cado_types():
    for playbook in PLAYBOOKS.values():
        for task in playbook['tasks'].values():
            if runs(task) == ('builtin', 'setIncident'):
                for arg in set(task.get('scriptarguments') or {}) & set(FIELDS):
                    assert {'Cado Detection', 'Cado Processing Event'} <= set(FIELDS[arg]['associatedTypes'])


def test_the_checks_catch_deliberate_breakage():
    """Each check must name the breakage it exists for."""
    broken = copy.deepcopy(PLAYBOOKS['Cado Detection Response'])
    tasks = broken['tasks']
    tasks['23']['task']['script'] = '|||cado-detection-lsit'
    tasks['21']['scriptarguments']['project'] = {'simple': '1'}
    tasks['22']['scriptarguments']['limit'] = {'simple': '${inputs.AlarmLimt}'}
    tasks['21']['scriptarguments']['project_id'] = {'simple': '${Cado.Nothing.id}'}
    tasks['31']['scriptarguments']['cadonosuchfield'] = {'simple': 'x'}
    tasks['30']['scriptarguments']['detection'] = {'simple': '${incident.nosuchfield}'}
    tasks['10']['scriptarguments'].pop('polling')
    tasks['9']['separatecontext'] = False
    tasks['3']['conditions'][0]['condition'][0][0]['operator'] = 'isEqualNumberish'
    problems = '\n'.join(task_problems(broken) + polling_problems(broken))
    for expected in ('command "cado-detection-lsit" is not in the pack', 'cado-project-get has no argument "project"',
                     'unknown input "AlarmLimt"', '"Cado.Nothing.id" is not an output of any task that runs before',
                     'setIncident has no argument "cadonosuchfield"', 'unknown incident field "nosuchfield"',
                     'cado-pipeline-get polls; call it with polling=true', 'without a separate context',
                     'operator isEqualNumberish'):
        assert expected in problems, expected
    # A reference to an output written only later is caught too.
    early = copy.deepcopy(PLAYBOOKS['Cado Detection Response'])
    early['tasks']['1']['scriptarguments']['project_id'] = {'simple': '${Cado.Acquisition.project_id}'}
    assert any('Cado.Acquisition.project_id' in p for p in task_problems(early))
    orphan = copy.deepcopy(PLAYBOOKS['Cado Acquire and Investigate'])
    orphan['tasks']['12']['nexttasks']['#error#'] = ['80']  # task 89 can no longer be reached
    problems = '\n'.join(graph_problems(orphan))
    orphan['tasks']['99']['nexttasks'] = {'#none#': ['0']}  # a loop, and no end
    problems += '\n'.join(graph_problems(orphan))
    assert 'task 89 is not reachable' in problems and '0 end tasks' in problems
    missing = copy.deepcopy(PLAYBOOKS['Cado Acquire and Investigate'])
    missing['tasks']['21']['scriptarguments'].pop('instance_id')
    assert any('needs argument "instance_id"' in p for p in task_problems(missing))


def test_a_duplicate_is_caught_before_any_lookup_or_acquisition():
    """Every Cado command and sub-playbook of the response runs after CadoDeduplicate; its failure does not stop the
    response; a duplicate spends nothing, records `duplicate` and is closed as a duplicate."""
    playbook = PLAYBOOKS['Cado Detection Response']
    tasks, graph = playbook['tasks'], edges(playbook)
    [check] = [tid for tid, task in tasks.items() if runs(task) == ('script', 'CadoDeduplicate')]
    spending = {tid for tid, task in tasks.items() if runs(task)[0] in ('command', 'playbook')}
    assert spending and not [tid for tid in spending if avoids(graph, playbook['starttaskid'], tid, {check})]
    assert tasks[check].get('continueonerror') is True
    [decision] = graph[check]
    [duplicate_path] = tasks[decision]['nexttasks']['yes']
    after = reachable(graph, duplicate_path)
    assert not after & spending
    set_state = [tasks[tid]['scriptarguments'] for tid in after if runs(tasks[tid]) == ('builtin', 'setIncident')]
    closes = [tasks[tid]['scriptarguments'] for tid in after if runs(tasks[tid]) == ('builtin', 'closeInvestigation')]
    assert [args['cadoresponsestate']['simple'] for args in set_state] == ['duplicate']
    assert [args['closeReason']['simple'] for args in closes] == ['Duplicate']


def test_the_response_checks_catch_deliberate_breakage():
    broken = copy.deepcopy(PLAYBOOKS['Cado Acquire and Investigate'])
    tasks = broken['tasks']
    tasks['43']['scriptarguments'].pop('using')  # runs on every instance
    tasks['44'].pop('continueonerror')  # an error stops the playbook with no path
    tasks['21'].pop('continueonerrortype')  # the acquisition's failure has no path of its own
    tasks['21']['nexttasks'].pop('#error#')
    tasks['8']['quietmode'] = 2  # the lookup posts to the War Room
    tasks['51'].update(type='title')  # the failure ends at a title: no analyst sees it
    tasks['51']['task']['type'] = 'title'
    tasks['80']['task']['script'] = 'Builtin|||closeInvestigation'  # the failure records no state
    tasks['80']['scriptarguments'] = {}
    problems = '\n'.join(error_handling_problems(broken) + honest_end_problems(broken))
    for expected in ('task 43 "Get the project": cado-project-get runs on every Cado instance',
                     'task 44 "List the alarms of the evidence": cado-alarm-list has no error handling',
                     'task 21 "Acquire the AWS EC2": cado-aws-ec2-acquire has no error path',
                     'task 8 "Find the project by name": cado-project-list is not quiet',
                     'task 51 "Review the acquisition that did not complete" is a title task before the end',
                     'error path of task 22 reaches the end without a task for an analyst',
                     'error path of task 1 reaches the end without recording the state on the incident'):
        assert expected in problems, f'{expected}\n---\n{problems}'
