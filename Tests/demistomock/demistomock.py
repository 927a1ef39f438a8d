"""Test double of XSOAR's `demistomock`: the module-level API an integration sees as `demisto`.

Written for this project from XSOAR's public documentation and the observable behaviour of XSOAR's own
mock (content repository `Tests/demistomock/demistomock.py`). Defaults match that mock on purpose, so a
test that passes here passes against it too:
- `args()`/`params()`/`command()` read nothing unless a test patches them (`{}`, `{}`, `''`);
- `getLastRun()` returns a fixed sample and `setLastRun()` stores nothing (patch both in tests);
- `demistoVersion()` reports 5.5.0, so version-dependent helpers take their pre-6.0 branch;
- `error()` prints to stdout, the other log functions go to the `logging` root logger.
"""
import json
import logging
import os
import uuid

integrationContext = {}  # type: dict
is_debug = False  # type: bool
callingContext = {}  # type: dict
ARGS_COMMAND_PATH = os.path.join(os.path.dirname(__file__), '.args_command.json')

# One sample incident, in the shape `demisto.incidents()` returns inside a script.
exampleIncidents = [
    {
        'Type': 1,
        'ContentsFormat': 'json',
        'Brand': 'Builtin',
        'Category': 'Builtin',
        'ModuleName': 'InnerServicesModule',
        'Contents': {
            'total': 1,
            'data': [
                {
                    'id': '1',
                    'investigationId': '1',
                    'name': '1',
                    'type': 'Unclassified',
                    'rawType': 'Unclassified',
                    'severity': 0,
                    'status': 1,
                    'owner': 'analyst',
                    'sourceBrand': 'Manual',
                    'labels': [{'type': 'Instance', 'value': 'test'}, {'type': 'Brand', 'value': 'Manual'}],
                    'CustomFields': {},
                    'rawJSON': '',
                    'created': '2019-02-20T15:47:23.962164+02:00',
                    'occurred': '2019-02-20T15:47:23.962163+02:00',
                    'modified': '2019-02-20T15:47:27.158969+02:00',
                    'details': '',
                    'playbookId': 'playbook0',
                }
            ],
        },
        'HumanReadable': None,
        'EntryContext': None,
    }
]
exampleContext = [
    {
        'Type': 0,
        'ContentsFormat': 'json',
        'Brand': 'Builtin',
        'Category': 'Builtin',
        'ModuleName': 'InnerServicesModule',
        'Contents': {'context': {}, 'id': '1', 'importantKeys': None, 'version': 30},
        'HumanReadable': None,
        'EntryContext': None,
    }
]
exampleUsers = [
    {
        'Type': 1,
        'ContentsFormat': 'json',
        'Brand': 'Builtin',
        'Category': 'Builtin',
        'ModuleName': 'InnerServicesModule',
        'Contents': [{'id': 'admin', 'username': 'admin', 'name': 'Admin', 'email': 'admin@example.com',
                      'roles': {'demisto': ['Administrator']}}],
        'HumanReadable': None,
        'EntryContext': None,
    }
]
exampleDemistoUrls = {
    'evidenceBoard': 'https://test-address:8443/#/EvidenceBoard/1',
    'investigation': 'https://test-address:8443/#/Details/1',
    'relatedIncidents': 'https://test-address:8443/#/Cluster/1',
    'server': 'https://test-address:8443',
    'warRoom': 'https://test-address:8443/#/WarRoom/1',
    'workPlan': 'https://test-address:8443/#/WorkPlan/1',
}
exampleAutoFocusApiKey = '1234'
contentSecrets = {}  # type: dict


def _args_file():
    """The optional `.args_command.json` beside this file (XSOAR's local-run convention), or None."""
    if not os.path.exists(ARGS_COMMAND_PATH):
        return None
    with open(ARGS_COMMAND_PATH) as handle:
        try:
            return json.load(handle)
        except json.JSONDecodeError:
            return {}


def initialize():
    """Server-side initialisation hook; nothing to do in tests."""


def params():
    """Integration parameters: `$DEMISTO_PARAMS` as JSON when set, else {}."""
    raw = os.getenv('DEMISTO_PARAMS')
    if raw:
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return {}
    return {}


def args():
    """Command arguments: {} unless the local args file exists."""
    data = _args_file()
    if data is None:
        return {}
    data = dict(data)
    data.pop('cmd', None)
    return data


def command():
    """The command being run: '' unless the local args file names one."""
    data = _args_file()
    if not data:
        return ''
    return data.get('cmd', '')


def getParam(param):
    return params().get(param)


def getArg(arg):
    return args().get(arg)


def log(msg):
    logging.getLogger().info(msg)


def info(msg, *args):
    logging.getLogger().info(msg, *args)


def debug(msg, *args):
    logging.getLogger().info(msg, *args)


def error(msg, *args):
    # Printed, not logged, so that an unexpected error shows up in pytest output.
    print(msg, *args)


def get(obj, field, defaultParam=None):
    """Value at a dot-separated path in nested dicts, or defaultParam."""
    for part in field.split('.'):
        if obj and part in obj:
            obj = obj[part]
        else:
            return defaultParam
    return obj


def gets(obj, field):
    return str(get(obj, field))


def dt(obj=None, trnsfrm=None):
    return ''


def context():
    return {}


def setContext(contextPath, value):
    return {'status': True}


def uniqueFile():
    return str(uuid.uuid4())


def getFilePath(id):
    return {'id': id, 'path': 'test/test.txt', 'name': 'test.txt'}


def investigation():
    return {'id': '1'}


def incidents(incidents=None):
    """Without an argument: the current incidents (scripts). With a list: report fetched incidents."""
    if incidents is None:
        return exampleIncidents[0]['Contents']['data']
    return results({'Type': 1, 'Contents': json.dumps(incidents), 'ContentsFormat': 'json'})


def incident():
    return incidents()[0]


def createIncidents(incidents, lastRun=None, userID=None):
    return []


def results(results):
    """Writes entries to the war room; here they are only logged."""
    if isinstance(results, dict) and results.get('contents'):
        results = results.get('contents')
    log(f'demisto results: {json.dumps(results, indent=4, sort_keys=True)}')


def credentials(credentials):
    log(f'credentials: {credentials}')


def executeCommand(command, args):
    """Runs a command from a script: sample entries for a few built-ins, '' for anything else."""
    known = {'getIncidents': exampleIncidents, 'getContext': exampleContext, 'getUsers': exampleUsers}
    return known.get(command) or ''


def getLastRun():
    return {'lastRun': '2018-10-24T14:13:20+00:00'}


def setLastRun(obj):
    return None


def getLastMirrorRun():
    return {}


def setLastMirrorRun(obj):
    return None


def getIntegrationContext():
    return integrationContext


def setIntegrationContext(context):
    global integrationContext
    integrationContext = context


def getIntegrationContextVersioned(refresh=False):
    return integrationContext


def setIntegrationContextVersioned(context, version=-1, sync=False):
    global integrationContext
    integrationContext = context


def demistoUrls():
    return exampleDemistoUrls


def demistoVersion():
    return {'version': '5.5.0', 'buildNumber': '12345'}


def integrationInstance():
    return ''


def getLicenseID():
    return ''


def getIndexHash():
    return ''


def getLicenseCustomField(key):
    return get(contentSecrets, key)


def getAutoFocusApiKey():
    return exampleAutoFocusApiKey


def getAllSupportedCommands():
    return {}


def getModules():
    return {}


def get_incidents():
    return {}


def parentEntry():
    return {}


def addEntry(id, entry, username=None, email=None, footer=None):
    return ''


def mirrorInvestigation(id, mirrorType, autoClose=False):
    return ''


def updateModuleHealth(data, is_error=False):
    return ''


def directMessage(message, username=None, email=None, anyoneCanOpenIncidents=None):
    return ''


def findUser(username=None, email=None):
    return {}


def handleEntitlementForUser(incidentID, guid, email, content, taskID=''):
    return {}


def createIndicators(indicators_batch, noUpdate=False):
    return ''


def searchIndicators(fromDate='', query='', size=100, page=0, toDate='', value='', searchAfter=None,
                     populateFields=None, **kwargs):
    return {}


def searchRelationships(args):
    return {'data': []}


def mapObject(obj, mapper, mapper_type):
    return obj


def internalHttpRequest(method, uri, body=None):
    return {'statusCode': 404, 'status': '404 Not Found', 'body': 'This is a mock. Your request was not found.',
            'headers': {'Content-Type': ['text/plain; charset=utf-8']}}


def isTimeSensitive():
    return False
