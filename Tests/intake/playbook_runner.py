"""A small interpreter of the pack's playbooks, to run them on an incident with a fake Cado behind the integration.

It follows XSOAR's documented semantics for what the pack's playbooks use: `${path}` values (whole value, or
interpolated into text), complex root/accessor values, empty arguments dropped before a call, conditions (AND of
ORs) with isEqualString/isNotEmpty/isEmpty/isTrue/isExists/inList, `#none#`/`#default#`/`#error#` branches,
continueonerror, sub-playbooks with a separate context whose declared outputs are copied back, entry contexts merged
by their `(val.k && val.k == obj.k)` key (a plain key that already exists becomes a list), and the built-ins
setIncident and closeInvestigation. Scripts run for real (CadoParseEvent); integration commands go to a fake that
checks every call against the integration's YAML (declared and required arguments, polling).

Integration instances: a command runs on the instance its `using` argument names, and on every instance of the
integration when `using` is empty ("leave empty to use all integration instances"); a command or script that fails
writes its entry context and then an error entry (CommandError carries both). Manual tasks (a regular task that runs
nothing, a condition without conditions) wait for an analyst: the run records the task with its description rendered (task
descriptions take context values) and stops there unless `answers` completes it (task name -> branch label, `#none#`
for a regular task).
"""
import functools
import re
from pathlib import Path
from collections.abc import Callable
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / 'Packs' / 'CadoSecurity'
INTEGRATION_YML = PACK / 'Integrations' / 'CadoSecurity' / 'CadoSecurity.yml'
MIRROR_ATTRIBUTES = ('dbotMirrorId', 'dbotMirrorInstance', 'dbotMirrorDirection')  # the incident's own, not fields
REFERENCE = re.compile(r'\$\{([^}]+)\}')
DT_KEY = re.compile(r'^(?P<path>[\w.]+)\(val\.(?P<key>\w+) && val\.(?P<key2>\w+) == obj\.(?P<key3>\w+)\)$')
EMPTY = (None, '', [], {})


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@functools.cache
def playbooks() -> dict[str, dict]:
    docs = [load_yaml(p) for p in sorted(PACK.glob('Playbooks/*.yml')) + sorted(PACK.glob('TestPlaybooks/*.yml'))]
    return {doc['id']: doc for doc in docs}


@functools.cache
def integration_commands() -> dict[str, dict]:
    """The integration's commands, as its YAML declares them."""
    return {c['name']: c for c in load_yaml(INTEGRATION_YML)['script']['commands']}


def get_path(data: Any, path: str) -> Any:
    """Value at a dotted path; lists are walked and flattened; None when missing."""
    values, listed = [data], False
    for part in path.split('.'):
        found = []
        for value in values:
            listed = listed or isinstance(value, list)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and part in item:
                    found.append(item[part])
        values = found
    if not values:
        return None
    if listed:
        return [v for value in values for v in (value if isinstance(value, list) else [value])]
    return values[0]


def merge_entry_context(context: dict, entry_context: dict) -> None:
    for raw_key, value in (entry_context or {}).items():
        match = DT_KEY.match(raw_key)
        path = match['path'] if match else raw_key
        parts = path.split('.')
        parent = context
        for part in parts[:-1]:
            parent = parent.setdefault(part, {})
        leaf, new_items = parts[-1], value if isinstance(value, list) else [value]
        existing = parent.get(leaf)
        if match:
            key = match['key']
            items = existing if isinstance(existing, list) else ([] if existing is None else [existing])
            for item in new_items:
                same = [i for i, old in enumerate(items) if isinstance(old, dict) and old.get(key) == item.get(key)]
                if same:
                    items[same[0]] = {**items[same[0]], **item}
                else:
                    items.append(item)
            parent[leaf] = items if len(items) != 1 else items[0]
        elif existing is None:
            parent[leaf] = value
        else:  # XSOAR appends to a key that exists when the entry gives no key to merge on
            parent[leaf] = (existing if isinstance(existing, list) else [existing]) + new_items


def delete_path(context: dict, path: str) -> None:
    """Removes the value at a dotted path, from every item of a list on the way."""
    *parents, leaf = path.split('.')
    holders = [context]
    for part in parents:
        values = [holder.get(part) for holder in holders if isinstance(holder, dict)]
        holders = [item for value in values for item in (value if isinstance(value, list) else [value])]
    for holder in holders:
        if isinstance(holder, dict):
            holder.pop(leaf, None)


def dt_key(path: str, key: str = 'id') -> str:
    """An entry-context key whose items merge on `key`, as the integration's outputs_key_field writes them."""
    return f'{path}(val.{key} && val.{key} == obj.{key})'


class CommandError(Exception):
    """An error entry; `context` is what the command wrote to context before it (XSOAR keeps it)."""

    def __init__(self, message: str, context: dict | None = None):
        super().__init__(message)
        self.context = context or {}


class Waiting(Exception):
    """The run reached a manual task nobody has completed: XSOAR waits there."""


class Run:
    """One playbook run on one incident."""

    def __init__(self, incident: dict, commands: Callable[[str, dict], dict] | dict[str, Callable[[str, dict], dict]],
                 scripts: dict[str, Callable], max_steps: int = 500, answers: dict[str, str] | None = None):
        self.incident = incident
        self.instances = commands if isinstance(commands, dict) else {'Cado Security_instance_1': commands}
        self.scripts = scripts
        self.answers = answers or {}
        self.manual: list[tuple[str, str]] = []  # every manual task reached: (name, rendered description)
        self.waiting: str | None = None  # the manual task the run stopped at
        self.playbooks = playbooks()
        self.declared = integration_commands()
        self.calls: list[tuple[str, dict]] = []  # every command and script call, in order, with its arguments
        self.instance_calls: list[tuple[str, str]] = []  # (instance, command) for every integration command run
        self.path: list[str] = []  # every task run, as "<playbook>/<task name>"
        self.max_steps = max_steps

    # values -----------------------------------------------------------------------------------------------------
    def lookup(self, path: str, context: dict, inputs: dict) -> Any:
        root, _, rest = path.partition('.')
        if root == 'inputs':
            return inputs.get(rest)
        if root == 'incident':
            value = self.incident.get(rest)
            return value if value not in EMPTY else (self.incident.get('CustomFields') or {}).get(rest)
        return get_path(context, path)

    def value(self, spec: Any, context: dict, inputs: dict) -> Any:
        if not isinstance(spec, dict) or not spec:
            return None
        if 'complex' in spec:
            complex_ = spec['complex']
            assert not complex_.get('transformers') and not complex_.get('filters'), 'logic belongs in the script'
            path = '.'.join(filter(None, (complex_['root'], complex_.get('accessor'))))
            return self.lookup(path, context, inputs)
        text = spec.get('simple')
        if not isinstance(text, str):
            return text
        whole = REFERENCE.fullmatch(text)
        if whole:
            return self.lookup(whole.group(1), context, inputs)

        def render(match):
            found = self.lookup(match.group(1), context, inputs)
            return '' if found in EMPTY else ','.join(map(str, found)) if isinstance(found, list) else str(found)
        return REFERENCE.sub(render, text)

    def arguments(self, task: dict, context: dict, inputs: dict) -> dict:
        args = {k: self.value(v, context, inputs) for k, v in (task.get('scriptarguments') or {}).items()}
        return {k: v for k, v in args.items() if v not in EMPTY}  # XSOAR does not send empty arguments

    def operand(self, side: dict | None, context: dict, inputs: dict) -> Any:
        if not side:
            return None
        raw = (side.get('value') or {}).get('simple')
        return self.lookup(raw, context, inputs) if side.get('iscontext') else raw

    def condition(self, clause: dict, context: dict, inputs: dict) -> bool:
        left = self.operand(clause['left'], context, inputs)
        right = self.operand(clause.get('right'), context, inputs)
        values = left if isinstance(left, list) else [left]
        operator = clause['operator']
        if operator == 'isEqualString':
            return any(str(v).lower() == str(right).lower() for v in values if v is not None)
        if operator == 'inList':  # the left value is one of the right side's comma-separated items
            items = right if isinstance(right, list) else str(right or '').split(',')
            wanted = {str(i).strip().lower() for i in items if str(i).strip()}
            return any(str(v).strip().lower() in wanted for v in values if v is not None)
        if operator == 'isNotEmpty':
            return left not in EMPTY
        if operator == 'isEmpty':
            return left in EMPTY
        if operator == 'isTrue':
            return any(v is True or str(v).lower() == 'true' for v in values)
        if operator == 'isExists':
            return left is not None
        raise AssertionError(f'operator {operator} is not interpreted')

    # tasks ------------------------------------------------------------------------------------------------------
    def run(self, playbook_id: str, inputs: dict | None = None, context: dict | None = None) -> dict:
        context = {} if context is None else context
        try:
            return self.run_playbook(playbook_id, inputs, context)
        except Waiting:
            return context

    def run_playbook(self, playbook_id: str, inputs: dict | None, context: dict) -> dict:
        doc = self.playbooks[playbook_id]
        given = inputs or {}
        resolved = {}
        for item in doc.get('inputs') or []:
            key = item['key']
            resolved[key] = given[key] if given.get(key) not in EMPTY else self.value(item.get('value'), context, {})
        task_id, steps = doc['starttaskid'], 0
        while task_id is not None:
            steps += 1
            assert steps <= self.max_steps, f'{playbook_id}: more than {self.max_steps} steps (a loop?)'
            task = doc['tasks'][task_id]
            self.path.append(f"{playbook_id}/{task['task']['name']}")
            task_id = self.step(doc, task, context, resolved)
        return context

    def step(self, doc: dict, task: dict, context: dict, inputs: dict) -> str | None:
        nexttasks = task.get('nexttasks') or {}

        def follow(branch: str) -> str | None:
            targets = nexttasks.get(branch) or []
            assert len(targets) <= 1, f"{doc['id']}: parallel branches are not interpreted"
            return targets[0] if targets else None

        kind, inner = task['type'], task['task']
        if kind in ('start', 'title'):
            return follow('#none#')
        if self.is_manual(task):
            self.manual.append((inner['name'], self.render(inner.get('description') or '', context, inputs)))
            if inner['name'] not in self.answers:
                self.waiting = inner['name']
                raise Waiting(inner['name'])
            return follow(self.answers[inner['name']])
        if kind == 'condition':
            for branch in task.get('conditions') or []:
                if all(any(self.condition(c, context, inputs) for c in ors) for ors in branch['condition']):
                    return follow(branch['label'])
            if '#default#' not in nexttasks:
                raise AssertionError(f"{doc['id']}: no branch of \"{inner['name']}\" matched")
            return follow('#default#')
        args = self.arguments(task, context, inputs)
        if kind == 'playbook':
            child_doc = self.playbooks[inner['playbookName']]
            child = self.run_playbook(inner['playbookName'], args, {} if task.get('separatecontext') else context)
            if task.get('separatecontext'):
                roots = sorted({o['contextPath'] for o in child_doc.get('outputs') or []}, key=len)
                for path in [r for r in roots if not any(r.startswith(p + '.') for p in roots)]:
                    value = get_path(child, path)
                    if value not in EMPTY:
                        key = dt_key(path, self.key_of(path)) if path.startswith('Cado.') else path
                        merge_entry_context(context, {key: value})
            return follow('#none#')
        try:
            if inner.get('scriptName'):
                self.calls.append((inner['scriptName'], args))
                self.script(inner['scriptName'], args, context)
            else:
                brand, _, command = inner['script'].partition('|||')
                self.calls.append((command, args))
                if brand == 'Builtin':
                    self.builtin(command, args)
                else:
                    self.check_call(command, args)
                    self.integration(command, args, context)
        except CommandError:
            if task.get('continueonerrortype') == 'errorPath':
                return follow('#error#')
            if task.get('continueonerror'):
                return follow('#none#')
            raise
        return follow('#none#')

    def script(self, name: str, args: dict, context: dict) -> None:
        """A script that fails writes its entry context, then its error entry (CommandError carries both)."""
        if name == 'DeleteContext':  # XSOAR's own (Common Scripts pack): removes a key, a dotted path included
            delete_path(context, args['key'])
            return
        try:
            merge_entry_context(context, self.scripts[name](args, self.incident))
        except CommandError as e:
            merge_entry_context(context, e.context)
            raise

    @staticmethod
    def is_manual(task: dict) -> bool:
        inner = task['task']
        if task['type'] == 'regular':
            return not inner.get('script') and not inner.get('scriptName')
        return task['type'] == 'condition' and not task.get('conditions')

    def render(self, text: str, context: dict, inputs: dict) -> str:
        return self.value({'simple': text}, context, inputs) if text else ''

    def integration(self, command: str, args: dict, context: dict) -> None:
        """Run on the instance `using` names, else on every instance; the first error is raised after all ran."""
        using = args.pop('using', None)
        if using is not None and using not in self.instances:
            raise CommandError(f'{command}: no integration instance named {using}')
        failure = None
        for name, instance in self.instances.items():
            if using in (None, name):
                self.instance_calls.append((name, command))
                try:
                    merge_entry_context(context, instance(command, dict(args)))
                except CommandError as e:
                    merge_entry_context(context, e.context)
                    failure = failure or e
        if failure:
            raise failure

    @staticmethod
    def key_of(path: str) -> str:
        return {'Cado.Acquisition': 'pipeline_id'}.get(path, 'id')

    def check_call(self, command: str, args: dict) -> None:
        declared = self.declared[command]
        names = {a['name'] for a in declared.get('arguments') or []} | {'using'}  # `using` is XSOAR's own
        assert set(args) <= names, f'{command}: undeclared arguments {sorted(set(args) - names)}'
        missing = [a['name'] for a in declared.get('arguments') or [] if a.get('required') and a['name'] not in args]
        if missing:
            raise CommandError(f'{command}: missing required arguments {missing}')

    def builtin(self, command: str, args: dict) -> None:
        if command == 'setIncident':
            for key, value in args.items():
                if key in ('name', 'severity', 'details', 'owner', *MIRROR_ATTRIBUTES):
                    self.incident[key] = value
                else:
                    self.incident.setdefault('CustomFields', {})[key] = value
        elif command == 'closeInvestigation':
            self.incident['closed'] = args
        else:
            raise AssertionError(f'built-in {command} is not interpreted')
