"""Contract suite fixtures: one Stoplight Prism for the session, serving a patched copy of Cado's OpenAPI spec.

All spec-finding, patching and Prism start/stop code lives in tools/prism.py (shared with tools/run_command.py).
- The spec is $CADO_OPENAPI_SPEC or ../shared/cado-api/cado-api.json (fixture `cado_spec_path`, root conftest.py);
  the suite skips only when it is absent.
- Every patch in prism.SPEC_PATCHES (JSON pointer, key removed, reason) must apply, or the suite errors.
- Prism missing is a failure (run `npm ci`), never a skip.
"""
import pytest

import prism  # tools/prism.py (the root conftest.py puts tools/ on sys.path)


@pytest.fixture(scope='session')
def prism_mock(cado_spec_path, tmp_path_factory):
    """A running Prism (static examples) on a free loopback port; stopped at the end of the session."""
    try:
        prism.prism_executable()
    except prism.PrismNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    work_dir = tmp_path_factory.mktemp('prism')
    with prism.contract_mock(work_dir, cado_spec_path) as mock:
        assert mock.applied_patches == list(prism.SPEC_PATCHES), 'not every listed spec patch was applied'
        for patch in mock.applied_patches:
            assert patch.applied_in(mock.spec), patch.describe()
        yield mock


@pytest.fixture
def exchanges(prism_mock):
    """Records every HTTP exchange with Prism made during one test (requests.Session.send wrapped)."""
    with prism.ExchangeRecorder(prism_mock.url) as recorder:
        yield recorder


@pytest.fixture(autouse=True)
def _file_entries_in_a_temporary_folder(monkeypatch, tmp_path):
    """File entries (fileResult) are written to the working directory, as in XSOAR: not into the repository."""
    monkeypatch.chdir(tmp_path)
