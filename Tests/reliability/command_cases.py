"""Which commands write, and the polling steps, for the reliability suites and tools/benchmark.py.

The valid arguments of every command are the shared table's (Tests/support/command_args.py), which
`test_shared_arguments_are_valid_for_every_command` (the integration's unit tests) keeps in step with the YAML.
WRITES lists the commands whose first request changes something in Cado (never to be retried).
"""
from __future__ import annotations

from command_args import VALID_ARGS

# Commands whose request changes state in Cado: they must never be sent twice by the integration.
WRITES = {name for name in VALID_ARGS if name.endswith(('-acquire', '-create', '-update', '-delete', '-cancel',
                                                         '-rerun', '-investigate', '-process', '-add',
                                                         '-remove', '-run'))} | {'cado-webhook-test'}
# POSTs that do not name a change but make one (a search imported into a project, a deployment command with fresh
# upload credentials): never sent twice either.
WRITES |= {'cado-cloudgrep-search', 'cado-host-command-get'}
# Commands that send nothing here: the mirroring link and mapping fields never do; get-modified-remote-data reads
# only the projects its integration context lists, and these suites start from an empty one. update-remote-system
# reads (the user, the project) before its PATCH, so it fails on those reads: a read here.
OFFLINE = {'cado-incident-mirror-link', 'get-mapping-fields', 'get-modified-remote-data'}
READS = set(VALID_ARGS) - WRITES - OFFLINE - {'fetch-incidents'}

# Polling variants: one step of each polling command, as XSOAR's scheduler would run it.
POLLING_ARGS: dict[str, dict[str, str]] = {
    'cado-pipeline-get': {'pipeline_id': '4281', 'polling': 'true', 'interval_in_seconds': '10'},
    'cado-aws-ec2-acquire': {**VALID_ARGS['cado-aws-ec2-acquire'], 'polling': 'true', 'wait_for_processing': 'true',
                             'interval_in_seconds': '10', 'pipeline_id': '4281', 'pipeline_ids': '4281'},
}
