"""Cado's OpenAPI contract as a checker: does a request match it, is a document a valid answer of an operation.

The one implementation of both checks. The integration's unit tests check every request sent to requests_mock and
every test_data fixture with it; the contract suite and tools/run_command.py check every exchange with Prism with
it, on top of Prism's own verdict (tools/prism.py); the reliability suites check the requests hostile arguments
produce. It reads the spec as tools/prism.py patches it (`prism.load_patched_spec`), so it judges the same document
Prism serves.
"""
from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The node at a JSON pointer (RFC 6901)."""
    node = document
    for raw in pointer.lstrip('/').split('/') if pointer else []:
        token = raw.replace('~1', '/').replace('~0', '~')
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            raise KeyError(f'{pointer}: no {token!r}')
    return node


def escape(token: str) -> str:
    """A JSON pointer token for a key such as a path template."""
    return token.replace('~', '~0').replace('/', '~1')


def nullable_as_type_union(node: Any) -> Any:
    """The vendor marks nullable fields with OpenAPI 3.0's `nullable: true`: honour it as a JSON Schema type union
    (Prism does so itself; jsonschema needs it spelled out). Nothing else is changed."""
    if isinstance(node, dict):
        node = {key: nullable_as_type_union(value) for key, value in node.items()}
        if node.pop('nullable', False) is True and isinstance(node.get('type'), str):
            node['type'] = [node['type'], 'null']
        return node
    if isinstance(node, list):
        return [nullable_as_type_union(value) for value in node]
    return node


class Contract:
    """The patched spec, with its operations, request checks and response validators."""

    URI = 'urn:cado-api'

    def __init__(self, spec: dict):
        self.document = nullable_as_type_union(spec)
        self.registry = Registry().with_resource(
            self.URI, Resource.from_contents(self.document, default_specification=DRAFT202012))
        # Literal paths first, so /alarms/summary is not taken for /alarms/{id}.
        self._templates = sorted(self.document['paths'], key=lambda path: (path.count('{'), path))

    def resolve(self, pointer: str) -> Any:
        return resolve_pointer(self.document, pointer)

    def deref(self, node: Any) -> Any:
        while isinstance(node, dict) and '$ref' in node:
            node = self.resolve(node['$ref'].lstrip('#'))
        return node

    def validator(self, pointer: str) -> Draft202012Validator:
        return Draft202012Validator({'$ref': f'{self.URI}#{pointer}'}, registry=self.registry,
                                    format_checker=Draft202012Validator.FORMAT_CHECKER)

    # ------------------------------------------------------------------------------------------------ operations

    def operation(self, method: str, path: str) -> tuple[str | None, dict | None, dict[str, str]]:
        """The contract path template, operation and path parameter values matching a concrete request path."""
        for template in self._templates:
            pattern = '^' + re.sub(r'\\\{(\w+)\\\}', r'(?P<\1>[^/]+)', re.escape(template)) + '$'
            match = re.match(pattern, path)
            if match and method.lower() in self.document['paths'][template]:
                return template, self.document['paths'][template][method.lower()], match.groupdict()
        return None, None, {}

    def roles(self, method: str, path: str) -> list[str]:
        return self.operation(method, path)[1]['x-Required Roles']

    def parameters(self, template: str, operation: dict) -> list[dict]:
        shared = self.document['paths'][template].get('parameters', [])
        return [self.deref(parameter) for parameter in shared + operation.get('parameters', [])]

    # ------------------------------------------------------------------------------------------------ requests

    def request_problems(self, request, names_only: bool = False) -> list[str]:
        """The problems of a sent request (a requests or requests_mock request: method, url, body)."""
        url = urlsplit(request.url)
        body = request.body
        if isinstance(body, bytes):
            body = body.decode('utf-8', errors='replace')
        return self.problems(request.method, url.path, parse_qs(url.query, keep_blank_values=True),
                             json_body(body) if body else None, names_only)

    def exchange_problems(self, exchange) -> list[str]:
        """The problems of an exchange tools/prism.py recorded (method, path, query pairs, parsed body)."""
        query: dict[str, list[str]] = {}
        for name, value in exchange.query:
            query.setdefault(name, []).append(value)
        return self.problems(exchange.method, exchange.path, query, exchange.body)

    def problems(self, method: str, path: str, query: dict[str, list[str]], body: Any,
                 names_only: bool = False) -> list[str]:
        """Everything in a request the contract does not allow: path, method, query names/types/enums, required
        parameters, body field names, types and enums. `body` is the decoded JSON body, None when there is none.
        With `names_only`, only where the request goes and the names it uses are judged, not the values."""
        template, operation, path_values = self.operation(method, path)
        if operation is None:
            return [f'{method} {path} is not an operation of the contract']
        where = f'{method} {template}'
        parameters = self.parameters(template, operation)
        declared = {parameter['name']: parameter for parameter in parameters if parameter['in'] == 'query'}
        problems = [f'{where}: query parameter "{name}" is not in the contract' for name in query if name not in declared]
        pointer = f'/paths/{escape(template)}/{method.lower()}/requestBody/content/application~1json/schema'
        body_spec = self.deref(operation.get('requestBody'))
        if body is not None and not body_spec:
            problems.append(f'{where}: sends a body the contract does not declare')
        elif isinstance(body, str):
            problems.append(f'{where}: the body is not JSON: {body[:200]}')
        elif body is not None:
            problems += [f'{where}: body field "{name}" is not in the contract'
                         for name in self.undeclared_fields(body, self.resolve(pointer))]
        if names_only:
            return problems
        for parameter in parameters:
            if parameter['in'] == 'path':
                problems += value_problems(f'{where} path {parameter["name"]}', parameter['schema'],
                                           [path_values[parameter['name']]])
        for name, values in query.items():
            if name not in declared:
                continue
            schema = self.deref(declared[name]['schema'])
            if schema.get('type') == 'array':
                schema = self.deref(schema['items'])
            elif len(values) > 1:
                problems.append(f'{where}: query parameter "{name}" is not an array but was sent {len(values)} times')
            problems += value_problems(f'{where} query {name}', schema, values)
        problems += [f'{where}: required query parameter "{name}" missing'
                     for name, parameter in declared.items() if parameter.get('required') and name not in query]
        if body is None and body_spec and body_spec.get('required'):
            problems.append(f'{where}: the required body is missing')
        elif body_spec and body is not None and not isinstance(body, str):
            problems += [f'{where} body {error.json_path}: {error.message}'
                         for error in self.validator(pointer).iter_errors(body)]
        return problems

    def undeclared_fields(self, value: Any, schema: Any, prefix: str = '') -> list[str]:
        """Object keys the schema does not name (the contract allows extra keys, but the integration must not rely on
        fields Cado does not know). Schemas that compose others or allow additional properties are not judged."""
        schema = self.deref(schema)
        if not isinstance(schema, dict) or any(key in schema for key in ('oneOf', 'anyOf', 'allOf', 'not', 'if')):
            return []
        names = []
        if isinstance(value, dict) and 'properties' in schema and schema.get('additionalProperties') in (None, False):
            for key, item in value.items():
                if key not in schema['properties']:
                    names.append(prefix + key)
                else:
                    names += self.undeclared_fields(item, schema['properties'][key], f'{prefix}{key}.')
        elif isinstance(value, list) and 'items' in schema:
            for item in value:
                names += self.undeclared_fields(item, schema['items'], prefix)
        return names

    # ------------------------------------------------------------------------------------------------ responses

    def response_validator(self, method: str, template: str, status: str) -> Draft202012Validator:
        """The validator of the JSON answered by `method template` with `status` ('200', 'default', ...)."""
        pointer = f'/paths/{escape(template)}/{method.lower()}/responses/{status}'
        response = self.resolve(pointer)
        if '$ref' in response:
            pointer = response['$ref'].lstrip('#')
            response = self.resolve(pointer)
        if 'application/json' not in response.get('content', {}):
            raise KeyError(f'{method} {template} {status} has no JSON response')
        return self.validator(f'{pointer}/content/application~1json/schema')

    def response_errors(self, document: Any, method: str, template: str, status: str) -> list[str]:
        errors = sorted(self.response_validator(method, template, status).iter_errors(document),
                        key=lambda error: error.json_path)
        return [f'{error.json_path}: {error.message}' for error in errors]


def json_body(text: str) -> Any:
    """The decoded body, or the text itself when it is not JSON (reported as such)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def value_problems(where: str, schema: dict, values: list[str]) -> list[str]:
    """What is wrong with query or path values (always text on the wire) for a parameter's schema."""
    problems = []
    for raw in values:
        kind = schema.get('type')
        value: Any = raw
        if kind == 'integer':
            if not re.fullmatch(r'-?\d+', raw):
                problems.append(f'{where}: "{raw}" is not an integer')
                continue
            value = int(raw)
        elif kind == 'number':
            try:
                value = float(raw)
            except ValueError:
                problems.append(f'{where}: "{raw}" is not a number')
                continue
        elif kind == 'boolean':
            if raw not in ('true', 'false'):
                problems.append(f'{where}: "{raw}" is not a boolean (true/false)')
                continue
            value = raw == 'true'
        problems += [f'{where}: {error.message}' for error in
                     Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(value)]
    return problems
