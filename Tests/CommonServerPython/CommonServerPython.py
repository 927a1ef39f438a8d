"""Test double of XSOAR's CommonServerPython: the subset of its API this project's packs use.

Written for this project from XSOAR's public documentation and the observable behaviour of the real module
(content repository `Packs/Base/Scripts/CommonServerPython/CommonServerPython.py`); it is not a copy. Names,
signatures, defaults, error texts, entry and context-key formats follow the real module, because the packs'
tests also run against it. Like the real module it defines no `__all__`: `from CommonServerPython import *`
exposes the helpers below and the modules it imports (json, os, re, sys, time, traceback, requests,
datetime, timedelta, timezone, dateparser, demisto, ...). It binds only the typing names the real one binds
(Optional, Dict, List, Any, Union, Set, cast) and not `urllib3`: code that needs others imports them itself.
"""
import base64
import json
import logging
import os
import re
import ssl
import sys
import time
import traceback
import urllib
import urllib.parse
import xml.etree.ElementTree as ET
from collections import OrderedDict  # noqa: F401  (re-exported like the real one)
from datetime import datetime, timedelta, timezone
from functools import wraps

import dateparser
import demistomock as demisto
import requests
from requests.adapters import HTTPAdapter
from typing import Any, Dict, List, Optional, Set, Union, cast  # noqa: F401, UP035  (re-exported like the real one)
from urllib3 import disable_warnings
from urllib3.util import Retry

disable_warnings()

IS_PY3 = sys.version_info[0] == 3
PY_VER_MINOR = sys.version_info[1]
STRING_TYPES = (str, bytes)
STRING_OBJ_TYPES = (str,)
MAX_ERROR_MESSAGE_LENGTH = 50000
ZERO = timedelta(0)
HOUR = timedelta(hours=1)

# --------------------------------------------------------------------------------------------- enums

# Deprecated dict forms, still used by older code.
entryTypes = {'note': 1, 'downloadAgent': 2, 'file': 3, 'error': 4, 'pinned': 5, 'userManagement': 6,
              'image': 7, 'playgroundError': 8, 'entryInfoFile': 9, 'warning': 11, 'map': 15, 'debug': 16,
              'widget': 17}
formats = {'html': 'html', 'table': 'table', 'json': 'json', 'text': 'text', 'dbotResponse': 'dbotCommandResponse',
           'markdown': 'markdown'}


class EntryType:
    NOTE = 1
    DOWNLOAD_AGENT = 2
    FILE = 3
    ERROR = 4
    PINNED = 5
    USER_MANAGEMENT = 6
    IMAGE = 7
    PLAYGROUND_ERROR = 8
    ENTRY_INFO_FILE = 9
    VIDEO_FILE = 10
    WARNING = 11
    STATIC_VIDEO_FILE = 12
    MAP_ENTRY_TYPE = 15
    WIDGET = 17
    EXECUTION_METRICS = 19


class EntryFormat:
    HTML = 'html'
    TABLE = 'table'
    JSON = 'json'
    TEXT = 'text'
    DBOT_RESPONSE = 'dbotCommandResponse'
    MARKDOWN = 'markdown'

    @classmethod
    def is_valid_type(cls, _type):
        return _type in (cls.HTML, cls.TABLE, cls.JSON, cls.TEXT, cls.MARKDOWN, cls.DBOT_RESPONSE)


class IncidentStatus:
    PENDING = 0
    ACTIVE = 1
    DONE = 2
    ARCHIVE = 3


class IncidentSeverity:
    UNKNOWN = 0
    INFO = 0.5
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


class ErrorTypes:
    SUCCESS = 'Successful'
    QUOTA_ERROR = 'QuotaError'
    GENERAL_ERROR = 'GeneralError'
    AUTH_ERROR = 'AuthError'
    SERVICE_ERROR = 'ServiceError'
    CONNECTION_ERROR = 'ConnectionError'
    PROXY_ERROR = 'ProxyError'
    SSL_ERROR = 'SSLError'
    TIMEOUT_ERROR = 'TimeoutError'
    RETRY_ERROR = 'RetryError'


class DemistoException(Exception):
    def __init__(self, message, exception=None, res=None, error_type=None, *args):
        self.res = res
        self.message = message
        self.exception = exception
        self.error_type = error_type
        super().__init__(message, exception, error_type, *args)

    def __str__(self):
        return str(self.message)


# ------------------------------------------------------------------------------- environment, proxy

def is_debug_mode():
    return hasattr(demisto, 'is_debug') and demisto.is_debug


def add_http_prefix_if_missing(address=''):
    if not address:
        return ''
    if address.startswith(('http://', 'https://', 'socks5://', 'socks5h://', 'socks4://', 'socks4a://')):
        return address
    return 'http://' + address


_PROXY_ENV_VARS = ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy')


def skip_proxy():
    """Removes the proxy environment variables so that requests go direct."""
    for key in _PROXY_ENV_VARS:
        os.environ.pop(key, None)


def ensure_proxy_has_http_prefix():
    for key in _PROXY_ENV_VARS:
        if os.getenv(key):
            os.environ[key] = add_http_prefix_if_missing(os.environ[key])


def skip_cert_verification():
    """Removes the CA-bundle variables, which would otherwise override a session's verify=False."""
    for key in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'):
        os.environ.pop(key, None)


def handle_proxy(proxy_param_name='proxy', checkbox_default_value=False, handle_insecure=True,
                 insecure_param_name=None):
    """Proxies dict from the environment when the proxy checkbox is set; otherwise clears the proxy variables."""
    proxies = {}  # type: dict
    if demisto.params().get(proxy_param_name, checkbox_default_value):
        ensure_proxy_has_http_prefix()
        proxies = {
            'http': os.environ.get('HTTP_PROXY') or os.environ.get('http_proxy', ''),
            'https': os.environ.get('HTTPS_PROXY') or os.environ.get('https_proxy', ''),
        }
    else:
        skip_proxy()
    if handle_insecure:
        names = ('insecure', 'unsecure') if insecure_param_name is None else (insecure_param_name,)
        for name in names:
            if demisto.params().get(name, False):
                skip_cert_verification()
    return proxies


def urljoin(url, suffix=''):
    """Joins with exactly one slash: ('https://a', 'b') and ('https://a/', '/b') both give 'https://a/b'."""
    if url[-1:] != '/':
        url = url + '/'
    if suffix.startswith('/'):
        suffix = suffix[1:]
    return url + suffix


# ---------------------------------------------------------------------------------------- logging

def stringEscape(st):
    return st.replace('\r', '\\r').replace('\n', '\\n').replace('\t', '\\t')


def stringUnEscape(st):
    return st.replace('\\r', '\r').replace('\\n', '\n').replace('\\t', '\t')


def b64_encode(text):
    if not text:
        return ''
    data = text if isinstance(text, bytes) else text.encode('utf-8', 'ignore')
    return base64.b64encode(data).decode('utf-8')


class IntegrationLogger:
    """Buffers log lines (masking registered secrets) and flushes them to demisto.info on print_log."""

    def __init__(self, debug_logging=False):
        self.messages = []  # type: list
        self.replace_strs = []  # type: list
        self.buffering = True
        self.debug_logging = debug_logging

    def encode(self, message):
        text = str(message)
        for secret in self.replace_strs:
            text = text.replace(secret, '<XX_REPLACED>')
        return text

    def __call__(self, message):
        text = self.encode(message)
        if self.buffering:
            self.messages.append(text)
            if self.debug_logging:
                demisto.debug(text)
        else:
            demisto.info(text)
        return text

    def add_replace_strs(self, *args):
        for value in args:
            if value:
                value = self.encode(value)
                self.replace_strs.extend([value, stringEscape(value), stringUnEscape(value),
                                          json.dumps(value).strip('"'), urllib.parse.quote_plus(value)])

    def set_buffering(self, state):
        self.buffering = state

    def print_log(self, verbose=False):
        if self.messages:
            text = 'Full Integration Log:\n' + '\n'.join(self.messages)
            if verbose:
                demisto.log(text)
            if not self.debug_logging:
                demisto.info(text)
            self.messages = []


LOG = IntegrationLogger(debug_logging=is_debug_mode())


def add_sensitive_log_strs(sensitive_str):
    LOG.add_replace_strs(sensitive_str)


# ------------------------------------------------------------------------------- argument helpers

def encode_string_results(text):
    if not isinstance(text, STRING_OBJ_TYPES):
        return text
    try:
        return str(text)
    except UnicodeEncodeError:
        return text.encode('utf8', 'replace')


def argToList(arg, separator=',', transform=None):
    """A list from a list, a JSON array string, a separated string, or a single value; [] for empty input."""
    if not arg:
        return []
    result = []  # type: Any
    if isinstance(arg, list):
        result = arg
    elif isinstance(arg, STRING_TYPES):
        split = True
        if arg[0] == '[' and arg[-1] == ']':
            try:
                result = json.loads(arg)
                split = False
            except Exception:
                demisto.debug(f'Failed to load {arg} as JSON, trying to split')
        if split:
            result = [s.strip() for s in arg.split(separator)]
    else:
        result = [arg]
    if transform:
        return [transform(s) for s in result]
    return result


def remove_duplicates_from_list_arg(args, field):
    return list(set(argToList(args.get(field))))


def argToBoolean(value):
    """True for True/'true'/'yes', False for False/'false'/'no' (any case); ValueError otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, STRING_OBJ_TYPES):
        if value.lower() in ('true', 'yes'):
            return True
        if value.lower() in ('false', 'no'):
            return False
        raise ValueError('Argument does not contain a valid boolean-like value')
    raise ValueError('Argument is neither a string nor a boolean')


def _invalid(kind, arg, arg_name):
    if arg_name:
        return ValueError(f'Invalid {kind}: "{arg_name}"="{arg}"')
    return ValueError(f'"{arg}" is not a valid {kind}')


def _missing(arg_name):
    return ValueError(f'Missing "{arg_name}"' if arg_name else 'Missing required argument')


def arg_to_number(arg, arg_name=None, required=False):
    """int from an int or numeric string ('1.9' -> 1); None for None/'' unless required. Floats are rejected."""
    if arg is None or arg == '':
        if required is True:
            raise _missing(arg_name)
        return None
    arg = encode_string_results(arg)
    if isinstance(arg, str):
        if arg.isdigit():
            return int(arg)
        try:
            return int(float(arg))
        except Exception:
            raise _invalid('number', arg, arg_name) from None
    if isinstance(arg, int):
        return arg
    raise _invalid('number', arg, arg_name)


def arg_to_datetime(arg, arg_name=None, is_utc=True, required=False, settings=None):
    """datetime from epoch seconds/milliseconds (number or digit string) or any string dateparser reads.

    Epoch input gives an aware UTC datetime (naive local when is_utc is False); values above 2e9 are read
    as milliseconds. Strings are parsed with settings={'TIMEZONE': 'UTC'} unless settings is given, so a
    relative '3 days' gives a naive datetime and an ISO string with an offset gives an aware one.
    """
    if arg is None:
        if required is True:
            raise _missing(arg_name)
        return None
    if isinstance(arg, str) and arg.isdigit() or isinstance(arg, (int, float)):
        seconds = float(arg)
        if seconds > 2000000000.0:
            seconds = seconds / 1000.0
        if is_utc:
            return datetime.fromtimestamp(seconds, tz=timezone.utc)  # noqa: UP017
        return datetime.fromtimestamp(seconds)
    if isinstance(arg, str):
        date = dateparser.parse(arg, settings=settings if settings else {'TIMEZONE': 'UTC'})
        if date is None:
            raise _invalid('date', arg, arg_name)
        return date
    raise _invalid('date', arg, arg_name)


def assign_params(keys_to_ignore=None, values_to_ignore=None, **kwargs):
    """kwargs without empty values (None, '', [], {}, ()); 0 and False are kept."""
    if values_to_ignore is None:
        values_to_ignore = (None, '', [], {}, ())
    if keys_to_ignore is None:
        keys_to_ignore = tuple()
    return {key: value for key, value in kwargs.items()
            if value not in values_to_ignore and key not in keys_to_ignore}


def remove_empty_elements(d):
    """Recursively drops None, {} and [] from dicts and lists ('' and 0 stay)."""
    def empty(x):
        return x is None or x == {} or x == []

    if not isinstance(d, (dict, list)):
        return d
    if isinstance(d, list):
        return [v for v in (remove_empty_elements(v) for v in d) if not empty(v)]
    return {k: v for k, v in ((k, remove_empty_elements(v)) for k, v in d.items()) if not empty(v)}


def remove_nulls_from_dictionary(data):
    for key in list(data.keys()):
        if data[key] in ('', None, [], {}, ()):
            del data[key]


def dict_safe_get(dict_object, keys, default_return_value=None, return_type=None, raise_return_type=True):
    value = dict_object
    for key in keys:
        try:
            value = value[key]
        except (KeyError, TypeError, IndexError, AttributeError):
            value = default_return_value
            break
    if return_type and not isinstance(value, return_type):
        if raise_return_type:
            raise TypeError(f'Safe get Error:\nDetails: Return Type Error Excepted return type {return_type},'
                            f' but actual type from nested dict/list is {type(value)} with value {value}.\n'
                            f'Query: {keys}\nQueried object: {dict_object}')
        value = default_return_value
    return value


def batch(iterable, batch_size=1):
    current, rest = iterable[:batch_size], iterable[batch_size:]
    while current:
        yield current
        current, rest = rest[:batch_size], rest[batch_size:]


# ----------------------------------------------------------------------------- string transforms

pascalRegex = re.compile('([A-Z]?[a-z]+)')


def underscoreToCamelCase(s, upper_camel=True):
    if not isinstance(s, STRING_OBJ_TYPES):
        return s
    parts = s.split('_')
    tail = ''.join(x.title() for x in parts[1:])
    return (parts[0].title() if upper_camel else parts[0].lower()) + tail


def camelize_string(src_str, delim='_', upper_camel=True):
    if not src_str:
        return ''
    parts = src_str.split(delim)
    tail = ''.join(x.title() for x in parts[1:])
    return (parts[0].title() if upper_camel else parts[0].lower()) + tail


def camelize(src, delim=' ', upper_camel=True):
    def camelize_str(key):
        if callable(getattr(key, 'decode', None)):
            key = key.decode('utf-8')
        return camelize_string(key, delim, upper_camel)

    if isinstance(src, list):
        return [camelize(item, delim, upper_camel=upper_camel) for item in src]
    return {camelize_str(key): value for key, value in src.items()}


def camel_case_to_underscore(s):
    s1 = re.sub('(.)([A-Z][a-z]+)', r'\1_\2', s)
    return re.sub('([a-z0-9])([A-Z])', r'\1_\2', s1).lower()


def pascalToSpace(s):
    """'ThreatScore' -> 'Threat Score', 'thisIsIPAddressName' -> 'This Is IP Address Name'."""
    if not isinstance(s, STRING_OBJ_TYPES):
        return s
    s = re.sub(pascalRegex, lambda match: f' {match.group(1).title()} ', s)
    return ' '.join(s.split())


def string_to_table_header(string):
    """'one_two' -> 'One Two'."""
    if isinstance(string, STRING_OBJ_TYPES):
        return ' '.join(word.capitalize() for word in string.replace('_', ' ').split())
    raise Exception(f'The key is not a string: {string}')


def string_to_context_key(string):
    """'one_two' -> 'OneTwo'."""
    if isinstance(string, STRING_OBJ_TYPES):
        return ''.join(word.capitalize() for word in string.split('_'))
    raise Exception(f'The key is not a string: {string}')


# ----------------------------------------------------------------------------------------- dates

def timestamp_to_datestring(timestamp, date_format='%Y-%m-%dT%H:%M:%S.000Z', is_utc=False):
    """Epoch milliseconds to a string; UTC when is_utc or when the format ends with 'Z', else local time."""
    seconds = int(timestamp) / 1000.0
    if is_utc or date_format.endswith('Z'):
        return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(tzinfo=None).strftime(date_format)  # noqa: UP017
    return datetime.fromtimestamp(seconds).strftime(date_format)


def date_to_timestamp(date_str_or_dt, date_format='%Y-%m-%dT%H:%M:%S'):
    """Epoch milliseconds of a string in date_format, or of a datetime, read as local time."""
    if isinstance(date_str_or_dt, STRING_OBJ_TYPES):
        return int(time.mktime(time.strptime(date_str_or_dt, date_format)) * 1000)
    return int(time.mktime(date_str_or_dt.timetuple()) * 1000)


# -------------------------------------------------------------------------------------- markdown

def flattenCell(data, is_pretty=True):
    """Cell text: strings as-is, list items joined by ',\\n', anything else as JSON."""
    if isinstance(data, STRING_TYPES):
        return data
    if isinstance(data, list):
        items = [d.decode('utf-8') if isinstance(d, bytes) else str(d) for d in data]
        return ',\n'.join(items)
    return json.dumps(data, indent=4 if is_pretty else None, ensure_ascii=False, default=str)


class JsonTransformer:
    """How a nested value becomes cell text: flattened (the default) or as an indented key/value tree."""

    def __init__(self, flatten=False, keys=None, is_nested=False, func=None):
        self.keys = set(keys or [])
        self.is_nested = is_nested
        self.func = func
        self.flatten = flatten

    def json_to_str(self, json_input, is_pretty=True):
        if self.func:
            return self.func(json_input)
        if isinstance(json_input, STRING_TYPES):
            return json_input
        if self.flatten:
            if not isinstance(json_input, dict):
                return flattenCell(json_input, is_pretty)
            return '\n'.join(f'{k}: {flattenCell(v, is_pretty)}' for k, v in json_input.items())
        lines = []
        prev_path = []  # type: list
        for path, key, val in self.json_to_path_generator(json_input):
            path_text = ''
            tabs = '\t' * len(path)
            if path != prev_path:
                common = len(os.path.commonprefix((prev_path, path)))
                parts = []
                for i, step in enumerate(path[common:]):
                    is_index = isinstance(step, int)
                    parts.append('{}**{}**{}'.format('\t' * (common + i), '-' if is_index else step,
                                                     '' if is_index else ':\n'))
                path_text = ''.join(parts)
                prev_path = path
                if path and isinstance(path[-1], int):
                    tabs = '\t'
            lines.append(f'{path_text}{tabs}***{key}***: {flattenCell(val, is_pretty)}')
        return '\n'.join(lines)

    def json_to_path_generator(self, json_input, path=None):
        path = path or []
        in_path = not self.keys or any(p for p in path if p in self.keys)
        if isinstance(json_input, dict):
            for k, v in json_input.items():
                if in_path or k in self.keys:
                    if not isinstance(v, (dict, list)):
                        yield path, k, v
                    else:
                        yield from self.json_to_path_generator(v, path + [k])
                elif self.is_nested:
                    yield from self.json_to_path_generator(v, path + [k])
        if isinstance(json_input, list):
            if not json_input or not isinstance(json_input[0], (list, dict)):
                yield path, 'values', ', '.join(json_input)
            else:
                for i, item in enumerate(json_input):
                    yield from self.json_to_path_generator(item, path + [i])


def formatCell(data, is_pretty=True, json_transform=None):
    if json_transform is None:
        json_transform = JsonTransformer(flatten=True)
    return json_transform.json_to_str(data, is_pretty)


MARKDOWN_CHARS = r"\`*_{}[]()#+-!|"


def stringEscapeMD(st, minimal_escaping=False, escape_multiline=False):
    """Escapes markdown: with minimal_escaping only '|' and '`'; escape_multiline turns line breaks into <br>."""
    if escape_multiline:
        st = st.replace('\r\n', '<br>').replace('\r', '<br>').replace('\n', '<br>')
    if minimal_escaping:
        for c in ('|', '`'):
            st = st.replace(c, '\\' + c)
        return st
    return ''.join('\\' + str(c) if c in MARKDOWN_CHARS else str(c) for c in st)


def create_clickable_url(url, text=None):
    if not url:
        return None
    if isinstance(url, list):
        if isinstance(text, list):
            assert len(url) == len(text), 'The URL list and the text list must be the same length.'
            return [f'[{t}]({u})' for t, u in zip(text, url, strict=False)]
        return [f'[{u}]({u})' for u in url]
    return f'[{text or url}]({url})'


def url_to_clickable_markdown(data, url_keys):
    if isinstance(data, list):
        return [url_to_clickable_markdown(item, url_keys) for item in data]
    if isinstance(data, dict):
        return {key: create_clickable_url(value) if key in url_keys else url_to_clickable_markdown(value, url_keys)
                for key, value in data.items()}
    return data


def tableToMarkdown(name, t, headers=None, headerTransform=None, removeNull=False, metadata=None, url_keys=None,
                    date_fields=None, json_transform_mapping=None, is_auto_json_transform=False, sort_headers=True):
    """Markdown table of a dict or list of dicts, in XSOAR's format:

    '### name\\n|h1|h2|\\n|---|---|\\n| v1 | v2 |\\n'. Without headers the columns are the first row's keys
    (sorted unless sort_headers=False); a dict with a single key becomes a one-column table of its value;
    a list of scalars needs headers. Cells: lists joined with ',<br>', dicts as 'key: value' lines, numbers
    and booleans as JSON ('true'), None as ''; '|' and '`' escaped, line breaks as <br>. Empty input gives
    '**No entries.**\\n'.
    """
    if url_keys:
        t = url_to_clickable_markdown(t, url_keys)
    result = ''
    if name:
        result = '### ' + name + '\n'
    if metadata:
        result += metadata + '\n'
    if not t or len(t) == 0:
        return result + '**No entries.**\n'
    if not headers and isinstance(t, dict) and len(t.keys()) == 1:
        headers = list(t.keys())
        t = list(t.values())[0]
    if not isinstance(t, list):
        t = [t]
    if headers and isinstance(headers, STRING_TYPES):
        headers = [headers]
    if not isinstance(t[0], dict):
        if headers and len(headers) > 0:
            t = [{headers[0]: item} for item in t]
        else:
            raise Exception("Missing headers param for tableToMarkdown. Example: headers=['Some Header']")
    if not headers:
        headers = list(t[0].keys())
        if sort_headers:
            headers.sort()
    if removeNull:
        headers = [h for h in headers if not all(row.get(h) in ('', None, [], {}) for row in t)]
    if not json_transform_mapping:
        json_transform_mapping = {h: JsonTransformer(flatten=not is_auto_json_transform) for h in headers}
    if not (t and len(headers) > 0):
        return result + '**No entries.**\n'
    if headerTransform is None:
        def headerTransform(s):
            return stringEscapeMD(s, True, True)
    result += '|' + '|'.join(headerTransform(h) for h in headers) + '|\n'
    result += '|' + '|'.join(['---'] * len(headers)) + '|\n'
    for row in t:
        row = row.copy()
        for field in date_fields or []:
            try:
                row[field] = datetime.fromtimestamp(int(row[field]) / 1000).strftime('%Y-%m-%d %H:%M:%S')
            except Exception:
                pass
        cells = [stringEscapeMD(formatCell(row.get(h, ''), False, json_transform_mapping.get(h))
                                if row.get(h) is not None else '', True, True) for h in headers]
        result += '| ' + ' | '.join(cells) + ' |\n'
    return result


tblToMd = tableToMarkdown


# ------------------------------------------------------------------------------ version, context

class GetDemistoVersion:
    """demisto.demistoVersion(), read once and cached (reset `get_demisto_version._version` in tests)."""

    def __init__(self):
        self._version = None

    def __call__(self):
        if self._version is None:
            if hasattr(demisto, 'demistoVersion'):
                self._version = demisto.demistoVersion()
            else:
                raise AttributeError('demistoVersion attribute not found.')
        return self._version


get_demisto_version = GetDemistoVersion()


def get_demisto_version_as_str():
    try:
        version = get_demisto_version()
        return '{}-{}'.format(version.get('version', 'Unknown'), version.get('buildNumber', 'Unknown'))
    except AttributeError:
        return 'Unknown'


def is_demisto_version_ge(version, build_number=''):
    """Whether the server version is >= version (each dotted part compared numerically-as-padded-text)."""
    def padded(v):
        return tuple(part.zfill(8) for part in v.split('.'))

    server_version = {}  # type: dict
    try:
        server_version = get_demisto_version()
        server, wanted = padded(server_version.get('version')), padded(version)
        if server > wanted:
            return True
        if server == wanted:
            if build_number:
                return int(server_version.get('buildNumber')) >= int(build_number)
            return True
        return False
    except AttributeError:
        if version >= '5.0.0':
            return False
        raise
    except ValueError:
        demisto.log(f'is_demisto_version_ge: ValueError. \n input: server version: {version} build number: {build_number}\n'
                    f'server version: {server_version}')
        return True


MIN_VERSION_FOR_VERSIONED_CONTEXT = '6.0.0'


def is_versioned_context_available():
    return is_demisto_version_ge(MIN_VERSION_FOR_VERSIONED_CONTEXT)


def get_integration_context(sync=True, with_version=False):
    if is_versioned_context_available():
        versioned = demisto.getIntegrationContextVersioned(sync)
        return versioned if with_version else versioned.get('context', {})
    return demisto.getIntegrationContext()


def set_integration_context(context, sync=True, version=-1):
    demisto.debug('Setting integration context')
    if is_versioned_context_available():
        return demisto.setIntegrationContextVersioned(context, version, sync)
    return demisto.setIntegrationContext(context)


def get_integration_context_with_version(sync=True):
    """(context, version): version is -1 before XSOAR 6.0 and when not synced from the DB."""
    latest = get_integration_context(sync, with_version=True)
    version = -1
    if is_versioned_context_available():
        context = latest.get('context', {})
        if sync:
            version = latest.get('version', 0)
    else:
        context = latest
    return context, version


def get_schedule_metadata(context):
    """Polling metadata of the entry that scheduled this run (empty when not a scheduled run)."""
    parent = context.get('ParentEntry', {})
    if not parent:
        return {}
    return assign_params(
        is_polling=True if parent.get('polling') else False,
        polling_command=parent.get('pollingCommand'),
        polling_args=parent.get('pollingArgs'),
        times_ran=int(parent.get('timesRan', 0)) + 1,
        start_date=parent.get('startDate'),
        end_date=parent.get('endingDate'),
    )


def is_scheduled_command_retry():
    metadata = get_schedule_metadata(context=demisto.callingContext.get('context', {}))
    return True if metadata.get('is_polling', False) else False


def get_integration_name():
    return demisto.callingContext.get('context', {}).get('IntegrationBrand', '')


def get_integration_instance_name():
    return demisto.callingContext.get('context', {}).get('IntegrationInstance', '')


def get_script_name():
    return demisto.callingContext.get('context', {}).get('ScriptName', '')


# ------------------------------------------------------------------------------- command results

class ScheduledCommand:
    """Asks the server to run `command` again after next_run_in_seconds (raised to at least 10)."""

    VERSION_MISMATCH_ERROR = 'This command is not supported by this XSOAR server version. Please update your server ' \
                             'version to 6.2.0 or later.'

    def __init__(self, command, next_run_in_seconds, args=None, timeout_in_seconds=None, items_remaining=0):
        self.raise_error_if_not_supported()
        self._command = command
        if next_run_in_seconds < 10:
            demisto.info('ScheduledCommandConfiguration provided value for next_run_in_seconds: '
                         f'{next_run_in_seconds} is too low - minimum interval is 10 seconds. '
                         'next_run_in_seconds was set to 10 seconds.')
            next_run_in_seconds = 10
        self._next_run = str(next_run_in_seconds)
        self._args = args
        self._timeout = str(timeout_in_seconds) if timeout_in_seconds else None
        self._items_remaining = items_remaining

    @staticmethod
    def raise_error_if_not_supported():
        # Current XSOAR releases no longer gate scheduled commands on the server version.
        return True

    @staticmethod
    def supports_polling():
        return True

    def to_results(self):
        return assign_params(PollingCommand=self._command, NextRun=self._next_run, PollingArgs=self._args,
                             Timeout=self._timeout, PollingItemsRemaining=self._items_remaining)


class DBotScoreType:
    """Indicator types a DBotScore can be given (the subset of XSOAR's this project uses, same values)."""
    IP = 'ip'
    FILE = 'file'
    DOMAIN = 'domain'
    URL = 'url'
    CVE = 'cve'
    ACCOUNT = 'account'
    CRYPTOCURRENCY = 'cryptocurrency'
    EMAIL = 'email'

    @classmethod
    def is_valid_type(cls, _type):
        return _type in (cls.IP, cls.FILE, cls.DOMAIN, cls.URL, cls.CVE, cls.ACCOUNT, cls.CRYPTOCURRENCY, cls.EMAIL)


class DBotScoreReliability:
    """Source reliability levels; the values are the options of the standard `integrationReliability` parameter."""
    A_PLUS_PLUS = 'A++ - Reputation script'
    A_PLUS = 'A+ - 3rd party enrichment'
    A = 'A - Completely reliable'
    B = 'B - Usually reliable'
    C = 'C - Fairly reliable'
    D = 'D - Not usually reliable'
    E = 'E - Unreliable'
    F = 'F - Reliability cannot be judged'

    @staticmethod
    def is_valid_type(_type):
        return _type in (DBotScoreReliability.A_PLUS_PLUS, DBotScoreReliability.A_PLUS, DBotScoreReliability.A,
                         DBotScoreReliability.B, DBotScoreReliability.C, DBotScoreReliability.D,
                         DBotScoreReliability.E, DBotScoreReliability.F)

    @staticmethod
    def get_dbot_score_reliability_from_str(reliability_str):
        if DBotScoreReliability.is_valid_type(reliability_str):
            return reliability_str
        raise Exception('Please use supported reliability only.')


class Common:
    class Indicator:
        def to_context(self):
            raise NotImplementedError

    class DBotScore:
        NONE = 0
        GOOD = 1
        SUSPICIOUS = 2
        BAD = 3

        CONTEXT_PATH = 'DBotScore(val.Indicator && val.Indicator == obj.Indicator && val.Vendor == obj.Vendor ' \
                       '&& val.Type == obj.Type)'

        def __init__(self, indicator, indicator_type, integration_name='', score=None, malicious_description=None,
                     reliability=None, message=None):
            if not DBotScoreType.is_valid_type(indicator_type):
                raise TypeError('indicator_type must be of type DBotScoreType enum')
            if not Common.DBotScore.is_valid_score(score):
                raise TypeError('indicator `score` must be of type DBotScore enum')
            if reliability and not DBotScoreReliability.is_valid_type(reliability):
                raise TypeError('reliability must be of type DBotScoreReliability enum')
            self.indicator = indicator
            self.indicator_type = indicator_type
            # Inside an integration XSOAR's brand wins over the name given; elsewhere the name given is kept.
            if demisto.callingContext.get('integration'):
                self.integration_name = get_integration_name() or integration_name
            else:
                self.integration_name = integration_name
            self.score = score
            self.malicious_description = malicious_description
            self.reliability = reliability
            self.message = message

        @staticmethod
        def is_valid_score(score):
            return score in (Common.DBotScore.NONE, Common.DBotScore.GOOD, Common.DBotScore.SUSPICIOUS,
                             Common.DBotScore.BAD)

        def to_context(self):
            dbot_context = {'Indicator': self.indicator, 'Type': self.indicator_type,
                            'Vendor': self.integration_name, 'Score': self.score}
            if self.reliability:
                dbot_context['Reliability'] = self.reliability
            if self.message:
                dbot_context['Message'] = self.message
            return {Common.DBotScore.CONTEXT_PATH: dbot_context}

    class _Scored(Indicator):
        """What every indicator below shares: its own context (the fields given), a Malicious block when bad, then
        its DBotScore."""
        CONTEXT_PATH = ''

        def __init__(self, dbot_score, **fields):
            if not isinstance(dbot_score, Common.DBotScore):
                raise ValueError('dbot_score must be of type DBotScore')
            self.dbot_score = dbot_score
            self._fields = fields

        def to_context(self):
            context = {key: value for key, value in self._fields.items() if value}
            if self.dbot_score.score == Common.DBotScore.BAD:
                context['Malicious'] = {'Vendor': self.dbot_score.integration_name,
                                        'Description': self.dbot_score.malicious_description}
            return {self.CONTEXT_PATH: context, **self.dbot_score.to_context()}

    class IP(_Scored):
        CONTEXT_PATH = 'IP(val.Address && val.Address == obj.Address)'

        def __init__(self, ip, dbot_score):
            super().__init__(dbot_score, Address=ip)

    class Domain(_Scored):
        CONTEXT_PATH = 'Domain(val.Name && val.Name == obj.Name)'

        def __init__(self, domain, dbot_score):
            super().__init__(dbot_score, Name=domain)

    class URL(_Scored):
        CONTEXT_PATH = 'URL(val.Data && val.Data == obj.Data)'

        def __init__(self, url, dbot_score):
            super().__init__(dbot_score, Data=url)

    class File(_Scored):
        CONTEXT_PATH = 'File(val.MD5 && val.MD5 == obj.MD5 || val.SHA1 && val.SHA1 == obj.SHA1 || ' \
                       'val.SHA256 && val.SHA256 == obj.SHA256 || val.SHA512 && val.SHA512 == obj.SHA512 || ' \
                       'val.CRC32 && val.CRC32 == obj.CRC32 || val.CTPH && val.CTPH == obj.CTPH || ' \
                       'val.SSDeep && val.SSDeep == obj.SSDeep)'

        HASH_TYPES = ('MD5', 'SHA1', 'SHA256', 'SHA512', 'SSDeep')

        def __init__(self, dbot_score, name=None, md5=None, sha1=None, sha256=None, sha512=None, ssdeep=None):
            super().__init__(dbot_score, Name=name, MD5=md5, SHA1=sha1, SHA256=sha256, SHA512=sha512, SSDeep=ssdeep)

        def to_context(self):
            # XSOAR's File also lists every hash under Hashes (always present, empty without hashes), first key.
            context = super().to_context()
            own = context[self.CONTEXT_PATH]
            hashes = [{'type': kind, 'value': own[kind]} for kind in self.HASH_TYPES if own.get(kind)]
            context[self.CONTEXT_PATH] = {'Hashes': hashes, **own}
            return context


class EntityRelationship:
    """A relationship between two entities, created by XSOAR from an entry's `Relationships`."""

    class RelationshipsTypes:
        RELATIONSHIP_TYPE = 'IndicatorToIndicator'

        @staticmethod
        def is_valid_type(_type):
            return _type == EntityRelationship.RelationshipsTypes.RELATIONSHIP_TYPE

    class RelationshipsFamily:
        INDICATOR = 'Indicator'

        @staticmethod
        def is_valid_type(_type):
            return _type == EntityRelationship.RelationshipsFamily.INDICATOR

    class Relationships:
        # The subset of XSOAR's names this project uses, each with its reverse.
        RELATED_TO = 'related-to'
        INDICATOR_OF = 'indicator-of'
        INDICATED_BY = 'indicated-by'
        RELATIONSHIPS_NAMES = {RELATED_TO: RELATED_TO, INDICATOR_OF: INDICATED_BY, INDICATED_BY: INDICATOR_OF}

        @staticmethod
        def is_valid(_type):
            return _type in EntityRelationship.Relationships.RELATIONSHIPS_NAMES

        @staticmethod
        def get_reverse(name):
            # XSOAR logs an unknown name and falls back to related-to.
            return EntityRelationship.Relationships.RELATIONSHIPS_NAMES.get(
                name, EntityRelationship.Relationships.RELATED_TO)

    def __init__(self, name, entity_a, entity_a_type, entity_b, entity_b_type, reverse_name='',
                 relationship_type='IndicatorToIndicator', entity_a_family='Indicator', entity_b_family='Indicator',
                 source_reliability='', fields=None, brand=''):
        # Unknown relationship names are only logged by XSOAR (demisto.debug), not refused.
        if not EntityRelationship.RelationshipsTypes.is_valid_type(relationship_type):
            raise ValueError('Invalid relationship type: ' + relationship_type)
        if not EntityRelationship.RelationshipsFamily.is_valid_type(entity_a_family):
            raise ValueError('Invalid entity A Family type: ' + entity_a_family)
        if not EntityRelationship.RelationshipsFamily.is_valid_type(entity_b_family):
            raise ValueError('Invalid entity B Family type: ' + entity_b_family)
        if source_reliability and not DBotScoreReliability.is_valid_type(source_reliability):
            raise ValueError('Invalid source reliability value', source_reliability)
        self._name = name
        self._reverse_name = reverse_name or EntityRelationship.Relationships.get_reverse(name)
        self._relationship_type = relationship_type
        self._entity_a, self._entity_a_type, self._entity_a_family = entity_a, entity_a_type, entity_a_family
        self._entity_b, self._entity_b_type, self._entity_b_family = entity_b, entity_b_type, entity_b_family
        self._source_reliability = source_reliability or ''
        self._fields = fields or {}
        self._brand = brand or ''

    def to_indicator(self):
        if not self._entity_b:
            return {}
        return {'name': self._name, 'reverseName': self._reverse_name, 'type': self._relationship_type,
                'entityA': self._entity_a, 'entityAFamily': self._entity_a_family,
                'entityAType': self._entity_a_type, 'entityB': self._entity_b,
                'entityBFamily': self._entity_b_family, 'entityBType': self._entity_b_type, 'fields': self._fields}

    def to_entry(self):
        entry = self.to_indicator()
        if entry and self._source_reliability:
            entry['reliability'] = self._source_reliability
        if entry and self._brand:
            entry['brand'] = self._brand
        return entry

    def to_context(self):
        if not self._entity_b:
            return {}
        return {'Relationship': self._name, 'EntityA': self._entity_a, 'EntityAType': self._entity_a_type,
                'EntityB': self._entity_b, 'EntityBType': self._entity_b_type}


class IndicatorsTimeline:
    def __init__(self, indicators=None, category=None, message=None):
        try:
            demisto.params()
            default_category = 'Integration Update'
        except AttributeError:
            default_category = 'Automation Update'
        timeline = {}  # type: dict
        timelines = []
        for indicator in indicators or []:
            # The same dict is reused for every indicator, as in XSOAR's implementation.
            timeline['Value'] = indicator
            timeline['Category'] = category or default_category
            if message:
                timeline['Message'] = message
            timelines.append(timeline)
        self.indicators_timeline = timelines


class CommandResults:
    """A war-room entry with context outputs; to_context() gives the entry dict XSOAR stores."""

    def __init__(self, outputs_prefix=None, outputs_key_field=None, outputs=None, indicators=None,
                 readable_output=None, raw_response=None, indicators_timeline=None, indicator=None,
                 ignore_auto_extract=False, mark_as_note=False, tags=None, scheduled_command=None,
                 relationships=None, entry_type=None, content_format=None, execution_metrics=None,
                 replace_existing=False):
        if raw_response is None:
            raw_response = outputs
        if outputs is not None:
            if not isinstance(outputs, dict) and not outputs_prefix:
                raise ValueError('outputs_prefix is missing')
            if outputs_prefix == '.':
                raise ValueError('outputs_prefix cannot be a period.')
        if indicators and indicator:
            raise ValueError('indicators is DEPRECATED, use only indicator')
        if entry_type is None:
            entry_type = EntryType.NOTE
        self.indicators = indicators
        self.indicator = indicator
        self.entry_type = entry_type
        self.outputs_prefix = outputs_prefix
        self.outputs_key_field = outputs_key_field  # kept as given (str or list); tests compare it directly
        if not outputs_key_field:
            self._outputs_key_field = None  # type: Optional[List[str]]
        elif isinstance(outputs_key_field, STRING_TYPES):
            self._outputs_key_field = [outputs_key_field]
        elif isinstance(outputs_key_field, list):
            self._outputs_key_field = outputs_key_field
        else:
            raise TypeError('outputs_key_field must be of type str or list')
        self.outputs = outputs
        self.raw_response = raw_response
        self.readable_output = readable_output
        self.indicators_timeline = indicators_timeline
        self.ignore_auto_extract = ignore_auto_extract
        self.mark_as_note = mark_as_note
        self.tags = tags
        self.scheduled_command = scheduled_command
        self.relationships = relationships
        self.execution_metrics = execution_metrics
        self.replace_existing = replace_existing
        if content_format is not None and not EntryFormat.is_valid_type(content_format):
            raise TypeError(f'content_format {content_format} is invalid, see CommonServerPython.EntryFormat')
        self.content_format = content_format

    def to_context(self):
        outputs = {}  # type: dict
        human_readable = self.readable_output if self.readable_output else None
        raw_response = self.raw_response  # kept as given, even empty; None became the outputs in __init__
        indicators = [self.indicator] if self.indicator else self.indicators
        for indicator in indicators or []:
            for key, value in indicator.to_context().items():
                outputs.setdefault(key, []).append(value)
        indicators_timeline = self.indicators_timeline.indicators_timeline if self.indicators_timeline else []
        if self.outputs is not None and self.outputs != []:
            if not self.readable_output:
                # No readable output given: a default table of the outputs titled "Results".
                if isinstance(self.outputs, (dict, list)):
                    human_readable = tableToMarkdown('Results', self.outputs)
                else:
                    human_readable = self.outputs
            if self.outputs_prefix and self.replace_existing:
                path, _, key = self.outputs_prefix.rpartition('.')
                if not path:
                    raise DemistoException('outputs_prefix must be a nested path to replace an existing key.')
                outputs[path + '(true)'] = {key: self.outputs}
            elif self.outputs_prefix and self._outputs_key_field:
                condition = ' && '.join(f'val.{field} && val.{field} == obj.{field}'
                                        for field in self._outputs_key_field)
                outputs[f'{self.outputs_prefix}({condition})'] = self.outputs
            elif self.outputs_prefix:
                outputs[str(self.outputs_prefix)] = self.outputs
            else:
                outputs.update(self.outputs)
        relationships = [r.to_entry() for r in self.relationships or [] if r.to_entry()]
        content_format = self.content_format
        if content_format is None:
            content_format = EntryFormat.TEXT if isinstance(raw_response, STRING_TYPES + (int,)) else EntryFormat.JSON
        exec_metrics = None
        if self.execution_metrics:
            exec_metrics = self.execution_metrics
            self.entry_type = EntryType.EXECUTION_METRICS
            raw_response = 'Metrics reported successfully.'
            content_format = EntryFormat.TEXT
        entry = {
            'Type': self.entry_type,
            'ContentsFormat': content_format,
            'Contents': raw_response,
            'HumanReadable': human_readable,
            'EntryContext': outputs,
            'IndicatorTimeline': indicators_timeline,
            'IgnoreAutoExtract': bool(self.ignore_auto_extract),
            'Note': bool(self.mark_as_note),
            'Relationships': relationships,
        }
        if self.tags:
            entry['Tags'] = self.tags
        if self.scheduled_command:
            entry.update(self.scheduled_command.to_results())
        if exec_metrics:
            entry['APIExecutionMetrics'] = exec_metrics
        return entry


class ExecutionMetrics:
    """API-call counters by outcome; `.metrics` is a CommandResults to append to the command's results."""

    _FIELDS = (('success', ErrorTypes.SUCCESS), ('quota_error', ErrorTypes.QUOTA_ERROR),
               ('general_error', ErrorTypes.GENERAL_ERROR), ('auth_error', ErrorTypes.AUTH_ERROR),
               ('service_error', ErrorTypes.SERVICE_ERROR), ('connection_error', ErrorTypes.CONNECTION_ERROR),
               ('proxy_error', ErrorTypes.PROXY_ERROR), ('ssl_error', ErrorTypes.SSL_ERROR),
               ('timeout_error', ErrorTypes.TIMEOUT_ERROR), ('retry_error', ErrorTypes.RETRY_ERROR))

    def __init__(self, success=0, quota_error=0, general_error=0, auth_error=0, service_error=0,
                 connection_error=0, proxy_error=0, ssl_error=0, timeout_error=0, retry_error=0):
        self._metrics = []  # type: list
        self.metrics = None  # type: Optional[CommandResults]
        values = locals()
        for field, _ in self._FIELDS:
            setattr(self, field, values[field])

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        metric_type = dict(self._FIELDS).get(name)
        if metric_type and value > 0:
            for metric in self._metrics:
                if metric['Type'] == metric_type:
                    metric['APICallsCount'] = value
                    break
            else:
                self._metrics.append({'Type': metric_type, 'APICallsCount': value})
            object.__setattr__(self, 'metrics', CommandResults(execution_metrics=self._metrics))

    @staticmethod
    def is_supported():
        return is_demisto_version_ge('6.8.0')

    def get_metric_list(self):
        return self._metrics


def append_metrics(execution_metrics, results):
    if execution_metrics.metrics is not None and execution_metrics.is_supported():
        results.append(execution_metrics.metrics)
    return results


class PollResult:
    """What a @polling_function command returns: the final response, or whether to poll again and with what."""

    def __init__(self, response, continue_to_poll=False, args_for_next_run=None, partial_result=None):
        self.response = response
        self.continue_to_poll = continue_to_poll
        self.args_for_next_run = args_for_next_run
        self.partial_result = partial_result


def polling_function(name, interval=30, timeout=600, poll_message='Fetching Results:', polling_arg_name='polling',
                     requires_polling_arg=True):
    """Decorator for a command `func(args, *a, **kw) -> PollResult` that reschedules itself.

    Polling applies when the command's `polling_arg_name` argument is true (or always, with
    requires_polling_arg=False); otherwise the result's `response` is returned. While polling: when
    `continue_to_poll` (a bool, or a callable returning one) is false, `response` is returned; otherwise the
    command returns `partial_result` (or a CommandResults whose readable output is poll_message, None when
    args has hide_polling_output) carrying a ScheduledCommand(name, interval, args_for_next_run or args,
    timeout). The next-run args always get hide_polling_output=True. interval and timeout come from the
    decorator, not from the command's arguments.
    """
    def dec(func):
        def inner(args, *arguments, **kwargs):
            if not requires_polling_arg or argToBoolean(args.get(polling_arg_name, False)):
                ScheduledCommand.raise_error_if_not_supported()
                poll_result = func(args, *arguments, **kwargs)
                should_poll = poll_result.continue_to_poll if isinstance(poll_result.continue_to_poll, bool) \
                    else poll_result.continue_to_poll()
                if not should_poll:
                    return poll_result.response
                readable_output = poll_message if not args.get('hide_polling_output') else None
                poll_args = poll_result.args_for_next_run or args
                poll_args['hide_polling_output'] = True
                poll_response = poll_result.partial_result or CommandResults(readable_output=readable_output)
                poll_response.scheduled_command = ScheduledCommand(command=name, next_run_in_seconds=interval,
                                                                   args=poll_args, timeout_in_seconds=timeout)
                return poll_response
            return func(args, *arguments, **kwargs).response

        return inner

    return dec


def fileResult(filename, data, file_type=None):
    """Writes data to '<investigation id>_<unique id>' in the working directory and returns the file entry."""
    if file_type is None:
        file_type = entryTypes['file']
    temp = demisto.uniqueFile()
    if isinstance(data, str):
        data = data.encode('utf-8')
    with open(demisto.investigation()['id'] + '_' + temp, 'wb') as handle:
        handle.write(data)
    if isinstance(filename, str):
        filename = filename.replace('../', '')
    return {'Contents': '', 'ContentsFormat': formats['text'], 'Type': file_type, 'File': filename, 'FileID': temp}


def is_error(execute_command_result):
    if execute_command_result is None:
        return False
    if isinstance(execute_command_result, list):
        for entry in execute_command_result:
            if type(entry) is dict and entry['Type'] == entryTypes['error']:
                return True
    return type(execute_command_result) is dict and execute_command_result['Type'] == entryTypes['error']


isError = is_error


def get_error(execute_command_result):
    if not is_error(execute_command_result):
        raise ValueError('execute_command_result has no error entry. before using get_error use is_error')
    if isinstance(execute_command_result, dict):
        return execute_command_result['Contents']
    return '\n'.join(entry['Contents'] for entry in execute_command_result
                     if type(entry) is dict and entry['Type'] == entryTypes['error'])


def execute_command(command, args, extract_contents=True, fail_on_error=True):
    """demisto.executeCommand with error checking (scripts)."""
    if not hasattr(demisto, 'executeCommand'):
        raise DemistoException('Cannot run demisto.executeCommand() from integrations.')
    res = demisto.executeCommand(command, args)
    if is_error(res):
        message = get_error(res)
        if fail_on_error:
            raise DemistoException(f'Failed to execute {command}. Error details:\n{message}')
        return False, message
    if not extract_contents:
        return res if fail_on_error else (True, res)
    contents = [entry.get('Contents', {}) for entry in res if entry['Type'] != entryTypes['debug']]
    contents = contents[0] if len(contents) == 1 else contents
    return contents if fail_on_error else (True, contents)


def is_integration_command_execution():
    try:
        return demisto.callingContext['context']['ExecutedCommands'][0]['moduleBrand'] != 'Scripts'
    except (KeyError, IndexError, TypeError):
        try:
            return demisto.callingContext['context']['ScriptName'] == ''
        except (KeyError, IndexError, TypeError):
            return True


EXECUTION_METRICS_SCRIPT_SKIP_MSG = "returning results with Type=EntryType.EXECUTION_METRICS isn't fully " \
                                    "supported for scripts. dropping result."


def return_results(results):
    """Sends results to the war room through demisto.results.

    None is passed through; a list is split into its plain entries (dicts, strings: sent together in one
    demisto.results call, after the others) and its result objects (each returned on its own); a
    CommandResults is sent as to_context(); anything with to_entry() as that; anything else as-is.
    """
    is_integration = is_integration_command_execution()
    if results is None:
        demisto.results(None)
        return
    if results and isinstance(results, list):
        plain = []
        for result in results:
            if isinstance(result, dict):
                if is_integration or result.get('Type') != EntryType.EXECUTION_METRICS:
                    plain.append(result)
                else:
                    demisto.debug(EXECUTION_METRICS_SCRIPT_SKIP_MSG)
            elif isinstance(result, str):
                plain.append(result)
            else:
                return_results(result)
        if plain:
            demisto.results(plain)
    elif isinstance(results, CommandResults):
        entry = results.to_context()
        if is_integration or entry.get('Type') != EntryType.EXECUTION_METRICS:
            demisto.results(entry)
        else:
            demisto.debug(EXECUTION_METRICS_SCRIPT_SKIP_MSG)
    elif hasattr(results, 'to_display'):
        demisto.results(results.to_display())
    elif hasattr(results, 'extract_mapping'):
        demisto.results(results.extract_mapping())
    elif hasattr(results, 'extract_for_local'):
        demisto.results(results.extract_for_local())
    elif hasattr(results, 'to_entry'):
        entry = results.to_entry()
        if is_integration or entry.get('Type') != EntryType.EXECUTION_METRICS:
            demisto.results(entry)
        else:
            demisto.debug(EXECUTION_METRICS_SCRIPT_SKIP_MSG)
    elif not is_integration and isinstance(results, dict) and results.get('Type') == EntryType.EXECUTION_METRICS:
        demisto.debug(EXECUTION_METRICS_SCRIPT_SKIP_MSG)
    else:
        demisto.results(results)


def return_outputs(readable_output, outputs=None, raw_response=None, timeline=None, ignore_auto_extract=False):
    """Deprecated: use return_results(CommandResults(...))."""
    timeline_list = [timeline] if isinstance(timeline, dict) else timeline
    for item in timeline_list or []:
        item.setdefault('Category', 'Integration Update')
    entry = {
        'Type': entryTypes['note'],
        'HumanReadable': readable_output,
        'ContentsFormat': formats['text'] if isinstance(raw_response, STRING_TYPES) else formats['json'],
        'Contents': raw_response,
        'EntryContext': outputs,
        'IgnoreAutoExtract': ignore_auto_extract,
        'IndicatorTimeline': timeline_list,
    }
    if readable_output and not outputs and not raw_response:
        entry['Contents'] = readable_output
        entry['ContentsFormat'] = formats['text']
    elif outputs and raw_response is None:
        entry['Contents'] = outputs
    demisto.results(entry)


def return_error(message, error='', outputs=None):
    """Writes an error entry and exits with sys.exit(0).

    For the server-run commands (fetch-incidents, fetch-credentials, long-running-execution,
    fetch-indicators) it raises Exception(message) instead, so the server records the failure.
    """
    is_command = hasattr(demisto, 'command')
    try:
        is_server_handled = is_command and demisto.command() in (
            'fetch-incidents', 'fetch-credentials', 'long-running-execution', 'fetch-indicators')
    except Exception:
        is_server_handled = False
    message = LOG(message)
    if error:
        LOG(str(error))
    if any(sys.exc_info()):
        trace = traceback.format_exc()
        LOG(f'\n{trace}')
        if is_debug_mode():
            message = f'{message}\n\n{trace}'
    LOG.print_log()
    if not isinstance(message, str):
        message = message.encode('utf8') if hasattr(message, 'encode') else str(message)
    if is_command and demisto.command() == 'get-modified-remote-data':
        if (error and not isinstance(error, NotImplementedError)) or sys.exc_info()[0] is not NotImplementedError:
            message = 'skip update. error: ' + message
    if is_server_handled:
        raise Exception(message)
    if len(message) > MAX_ERROR_MESSAGE_LENGTH:
        half = MAX_ERROR_MESSAGE_LENGTH // 2
        message = message[:half] + '...This error body was truncated...' + message[-half:]
    demisto.results({
        'Type': entryTypes['error'],
        'ContentsFormat': formats['text'],
        'Contents': message,
        'EntryContext': outputs,
    })
    sys.exit(0)


def return_warning(message, exit=False, warning='', outputs=None, ignore_auto_extract=False):
    LOG(message)
    if warning:
        LOG(warning)
    LOG.print_log()
    demisto.results({
        'Type': entryTypes['warning'],
        'ContentsFormat': formats['text'],
        'IgnoreAutoExtract': ignore_auto_extract,
        'Contents': str(message),
        'EntryContext': outputs,
    })
    if exit:
        sys.exit(0)


# ------------------------------------------------------------------------------------ HTTP client

# Ciphers XSOAR re-enables for verify=False sessions (Python 3.10 dropped several from the defaults).
CIPHERS_STRING = '@SECLEVEL=1:ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:ECDH+AESGCM:DH+AESGCM:' \
                 'ECDH+AES:DH+AES:RSA+ANESGCM:RSA+AES:!aNULL:!eNULL:!MD5:!DSS'


class SSLAdapter(HTTPAdapter):
    """HTTPS adapter with a wider cipher list; with verify=False it also skips the hostname check."""

    def __init__(self, verify=True, **kwargs):
        from urllib3.util.ssl_ import create_urllib3_context
        self.context = create_urllib3_context(ciphers=CIPHERS_STRING)
        if not verify:
            self.context.check_hostname = False
            if ssl.OPENSSL_VERSION_INFO >= (3, 0, 0, 0):
                self.context.options |= 0x4  # OP_LEGACY_SERVER_CONNECT
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs['ssl_context'] = self.context
        return super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, *args, **kwargs):
        kwargs['ssl_context'] = self.context
        return super().proxy_manager_for(*args, **kwargs)


class BaseClient:
    """HTTP client for integrations: one requests.Session, XSOAR's error texts, optional urllib3 retries."""

    REQUESTS_TIMEOUT = 60

    def __init__(self, base_url, verify=True, proxy=False, ok_codes=tuple(), headers=None, auth=None,
                 timeout=REQUESTS_TIMEOUT):
        self._base_url = base_url
        self._verify = verify
        self._ok_codes = ok_codes
        self._headers = headers
        self._auth = auth
        self._session = requests.Session()
        if not verify:
            self._session.mount('https://', SSLAdapter(verify=verify))
        if proxy:
            ensure_proxy_has_http_prefix()
        else:
            skip_proxy()
        if not verify:
            skip_cert_verification()
        # Server-side overrides: REQUESTS_TIMEOUT.<integration or script name>, then REQUESTS_TIMEOUT.
        entity_timeout = os.getenv('REQUESTS_TIMEOUT.' + (get_integration_name() or get_script_name()), '')
        system_timeout = os.getenv('REQUESTS_TIMEOUT', '')
        self.timeout = float(entity_timeout or system_timeout or timeout)
        self.execution_metrics = ExecutionMetrics()

    def __del__(self):
        self._return_execution_metrics_results()
        try:
            self._session.close()
        except AttributeError:
            pass
        except Exception:
            demisto.debug(f'failed to close BaseClient session with the following error:\n{traceback.format_exc()}')

    def _implement_retry(self, retries=0, status_list_to_retry=None, backoff_factor=5, raise_on_redirect=False,
                         raise_on_status=False):
        """Mounts a urllib3 Retry on the session's https:// adapter (XSOAR does not mount it for http://).

        Retried: connection/read errors and, for GET/POST/PUT/PATCH/DELETE, statuses in status_list_to_retry.
        """
        retry = Retry(total=retries, read=retries, connect=retries, backoff_factor=backoff_factor, status=retries,
                      status_forcelist=status_list_to_retry, raise_on_status=raise_on_status,
                      raise_on_redirect=raise_on_redirect,
                      allowed_methods=frozenset(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']))
        if self._verify:
            adapter = HTTPAdapter(max_retries=retry)
        else:
            adapter = SSLAdapter(max_retries=retry, verify=self._verify)
        self._session.mount('https://', adapter)

    def _http_request(self, method, url_suffix='', full_url=None, headers=None, auth=None, json_data=None,
                      params=None, data=None, files=None, timeout=None, resp_type='json', ok_codes=None,
                      return_empty_response=False, retries=0, status_list_to_retry=None, backoff_factor=5,
                      raise_on_redirect=False, raise_on_status=False, error_handler=None, empty_valid_codes=None,
                      params_parser=None, with_metrics=False, **kwargs):
        """Sends a request and returns the body decoded per resp_type ('json', 'text', 'content', 'xml',
        'response'). A status outside ok_codes (default: the client's, else response.ok) goes to
        error_handler(res), else raises DemistoException('Error in API call [<code>] - <reason>\\n<body>').
        Connection failures raise DemistoException with XSOAR's texts; a read timeout propagates as
        requests.exceptions.ReadTimeout.
        """
        try:
            address = full_url if full_url else urljoin(self._base_url, url_suffix)
            headers = headers if headers else self._headers
            auth = auth if auth else self._auth
            if retries:
                self._implement_retry(retries, status_list_to_retry, backoff_factor, raise_on_redirect,
                                      raise_on_status)
            if not timeout:
                timeout = self.timeout
            if params_parser:
                params = urllib.parse.urlencode(params, quote_via=params_parser)
            res = self._session.request(method, address, verify=self._verify, params=params, data=data,
                                        json=json_data, files=files, headers=headers, auth=auth, timeout=timeout,
                                        **kwargs)
            if not self._is_status_code_valid(res, ok_codes):
                self._handle_error(error_handler, res, with_metrics)
            return self._handle_success(res, resp_type, empty_valid_codes, return_empty_response, with_metrics)
        except requests.exceptions.ConnectTimeout as exception:
            if with_metrics:
                self.execution_metrics.timeout_error += 1
            raise DemistoException('Connection Timeout Error - potential reasons might be that the Server URL '
                                   'parameter is incorrect or that the Server is not accessible from your host.',
                                   exception) from exception
        except requests.exceptions.SSLError as exception:
            if with_metrics:
                self.execution_metrics.ssl_error += 1
            if not self._verify:
                raise
            raise DemistoException("SSL Certificate Verification Failed - try selecting 'Trust any certificate' "
                                   "checkbox in the integration configuration.", exception) from exception
        except requests.exceptions.ProxyError as exception:
            if with_metrics:
                self.execution_metrics.proxy_error += 1
            raise DemistoException("Proxy Error - if the 'Use system proxy' checkbox in the integration "
                                   "configuration is selected, try clearing the checkbox.", exception) from exception
        except requests.exceptions.ConnectionError as exception:
            if with_metrics:
                self.execution_metrics.connection_error += 1
            class_text = str(exception.__class__)
            err_type = '<' + class_text[class_text.find("'") + 1: class_text.rfind("'")] + '>'
            err_msg = 'Verify that the server URL parameter is correct and that you have access to the server ' \
                      f'from your host.\nError Type: {err_type}'
            if exception.errno and exception.strerror:
                err_msg += f'\nError Number: [{exception.errno}]\nMessage: {exception.strerror}\n'
            else:
                err_msg += f'\n{str(exception)}'
            raise DemistoException(err_msg, exception) from exception
        except requests.exceptions.RetryError as exception:
            if with_metrics:
                self.execution_metrics.retry_error += 1
            try:
                reason = f'Reason: {exception.args[0].reason.args[0]}'
            except Exception:
                reason = ''
            raise DemistoException(f'Max Retries Error- Request attempts with {retries} retries failed. \n{reason}',
                                   exception) from exception

    def _handle_error(self, error_handler, res, should_update_metrics):
        try:
            if error_handler:
                error_handler(res)
            else:
                self.client_error_handler(res)
        except Exception:
            if should_update_metrics:
                self._update_metrics(res, success=False)
            raise

    def _handle_success(self, res, resp_type, empty_valid_codes, return_empty_response, should_update_metrics):
        if should_update_metrics:
            self._update_metrics(res, success=True)
        if not empty_valid_codes:
            empty_valid_codes = [204]
        if res.status_code in empty_valid_codes and return_empty_response:
            return res
        return self.cast_response(res, resp_type)

    def cast_response(self, res, resp_type, raise_on_error=True):
        resp_type = resp_type.lower()
        try:
            if resp_type == 'json':
                return res.json()
            if resp_type == 'text':
                return res.text
            if resp_type == 'content':
                return res.content
            if resp_type == 'xml':
                ET.fromstring(res.text)  # validates only; the response object is returned
            return res
        except ValueError as exception:
            if raise_on_error:
                raise DemistoException(f'Failed to parse {resp_type} object from response: {res.content}',
                                       exception, res) from exception

    def _update_metrics(self, res, success):
        if success:
            if not self.is_polling_in_progress(res):
                self.execution_metrics.success += 1
            return
        error_type = self.determine_error_type(res)
        field = {ErrorTypes.QUOTA_ERROR: 'quota_error', ErrorTypes.AUTH_ERROR: 'auth_error',
                 ErrorTypes.SERVICE_ERROR: 'service_error', ErrorTypes.GENERAL_ERROR: 'general_error'}.get(error_type)
        if field:
            setattr(self.execution_metrics, field, getattr(self.execution_metrics, field) + 1)

    def determine_error_type(self, response):
        return {401: ErrorTypes.AUTH_ERROR, 429: ErrorTypes.QUOTA_ERROR,
                500: ErrorTypes.SERVICE_ERROR}.get(response.status_code, ErrorTypes.GENERAL_ERROR)

    def is_polling_in_progress(self, response):
        return False

    def _is_status_code_valid(self, response, ok_codes=None):
        status_codes = ok_codes if ok_codes else self._ok_codes
        if status_codes:
            return response.status_code in status_codes
        return response.ok

    def client_error_handler(self, res):
        """Raises 'Error in API call [<code>] - <reason>' + '\\n' + the body (JSON bodies re-serialised)."""
        err_msg = f'Error in API call [{res.status_code}] - {res.reason}'
        try:
            err_msg += f'\n{json.dumps(res.json())}'
            raise DemistoException(err_msg, res=res)
        except ValueError:
            err_msg += f'\n{res.text}'
            raise DemistoException(err_msg, res=res) from None

    def _return_execution_metrics_results(self):
        try:
            if self.execution_metrics.metrics:
                return_results(cast(CommandResults, self.execution_metrics.metrics))
        except AttributeError:
            pass


def retry(times=3, delay=1, exceptions=Exception):
    """Decorator: call again (after `delay` seconds) up to `times` in all while `exceptions` are raised."""
    def _retry(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            for attempt in range(1, times + 1):
                try:
                    return func(*args, **kwargs)
                except exceptions as error:
                    demisto.debug(f'Error when executing func {func.__name__}, error: {error}, time {attempt}')
                    if attempt == times:
                        raise
                    time.sleep(delay)

        return wrapper

    return _retry


logging.raiseExceptions = False


# ------------------------------------------------------------------------------ mirroring

class GetRemoteDataArgs:
    """get-remote-data's arguments: the remote id and XSOAR's last update of the incident (both required)."""

    def __init__(self, args):
        self.remote_incident_id = args['id']
        self.last_update = args['lastUpdate']


class GetModifiedRemoteDataArgs:
    def __init__(self, args):
        self.last_update = args['lastUpdate']


class UpdateRemoteSystemArgs:
    def __init__(self, args):
        self.data = args.get('data')
        self.entries = args.get('entries')
        self.incident_changed = args.get('incidentChanged')
        self.remote_incident_id = args.get('remoteId')
        self.inc_status = args.get('status')
        self.delta = args.get('delta')


class GetRemoteDataResponse:
    def __init__(self, mirrored_object, entries):
        self.mirrored_object = mirrored_object
        self.entries = entries

    def extract_for_local(self):
        """[mirrored object, *entries]; None when there is no mirrored object."""
        if self.mirrored_object:
            return [self.mirrored_object] + self.entries


class GetModifiedRemoteDataResponse:
    def __init__(self, modified_incident_ids):
        self.modified_incident_ids = modified_incident_ids

    def to_entry(self):
        demisto.info(f'Modified incidents: {self.modified_incident_ids}')
        return {'Contents': self.modified_incident_ids, 'Type': EntryType.NOTE, 'ContentsFormat': EntryFormat.JSON}


class SchemeTypeMapping:
    def __init__(self, type_name='', fields=None):
        self.type_name = type_name
        self.fields = fields if fields else {}

    def add_field(self, name, description=''):
        self.fields.update({name: description})

    def extract_mapping(self):
        return {self.type_name: self.fields}


class GetMappingFieldsResponse:
    def __init__(self, scheme_types_mapping=None):
        self.scheme_types_mappings = scheme_types_mapping if scheme_types_mapping else []

    def add_scheme_type(self, scheme_type_mapping):
        self.scheme_types_mappings.append(scheme_type_mapping)

    def extract_mapping(self):
        """One dict: each incident type's name -> its fields (a later type of the same name replaces an earlier)."""
        all_mappings = {}
        for scheme_types_mapping in self.scheme_types_mappings:
            all_mappings.update(scheme_types_mapping.extract_mapping())
        return all_mappings
