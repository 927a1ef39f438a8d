"""Puts XSOAR's run-time modules and every pack integration/script folder on sys.path, as XSOAR's content
repository does. The modules are the project's test doubles under Tests/, or XSOAR's real ones when
XSOAR_MODULES_DIR names a folder holding demistomock.py, CommonServerPython.py and CommonServerUserPython.py.
Also puts the project's shared test code on it, in either case: tools/ (prism: the vendor spec and its patch
table) and Tests/support/ (loopback: a self-signed certificate and a loopback HTTP(S) server); and provides the
fixtures every check against the vendor's contract starts from: `cado_spec_path`, and `contract`, the one request and
response checker (tools/contract.py) on the patched spec."""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
if os.environ.get('XSOAR_MODULES_DIR'):
    _PATHS = [Path(os.environ['XSOAR_MODULES_DIR']).resolve()]
else:
    _PATHS = [ROOT / 'Tests' / name for name in ('demistomock', 'CommonServerPython', 'CommonServerUserPython')]
_PATHS += sorted(ROOT.glob('Packs/*/Integrations/*')) + sorted(ROOT.glob('Packs/*/Scripts/*'))
_PATHS += [ROOT / 'tools', ROOT / 'Tests' / 'support']
for path in reversed(_PATHS):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@pytest.fixture(scope='session')
def cado_spec_path() -> Path:
    """The vendor's OpenAPI spec, found by tools/prism.py; a test that needs it skips, saying where, when it is absent."""
    import prism

    spec = prism.find_spec()
    if spec is None:
        pytest.skip(f'Cado OpenAPI spec absent: {prism.spec_location_hint()}')
    return spec


@pytest.fixture(scope='session')
def contract(cado_spec_path):
    """The checker of requests and responses against the spec as Prism serves it (every listed patch applied)."""
    import prism
    from contract import Contract

    spec, applied = prism.load_patched_spec(cado_spec_path)
    assert applied == list(prism.SPEC_PATCHES), 'not every listed spec patch was applied'
    return Contract(spec)


@pytest.fixture(autouse=True)
def _own_working_directory(tmp_path, monkeypatch):
    """fileResult writes a War Room file entry's content in the working directory, as XSOAR does: each test has its
    own, so that no run leaves files in the repository."""
    monkeypatch.chdir(tmp_path)
