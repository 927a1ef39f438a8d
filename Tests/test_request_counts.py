"""Every command, run with its shared valid arguments through `main()` against the counting loopback server of
tools/benchmark.py, makes exactly the number of requests the README's performance table calls the minimum (one for a
single object or a single page), and no more: the benchmark's first table, held in CI."""
import benchmark
import pytest


@pytest.fixture(scope='module')
def rows(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # file entries are written in the working directory
        patch.chdir(tmp_path_factory.mktemp('entries'))
        return benchmark.command_rows(repeats=1)


def test_every_command_of_the_yaml_is_measured(rows):
    measured = {row['command'] for row in rows}
    assert set(benchmark.yml_commands()) <= measured


def test_every_command_makes_exactly_its_minimum_of_requests(rows):
    above = [(row['command'], row['case'], row['requests'], row['minimum'], row['error']) for row in rows
             if row['minimum'] is not None and (row['requests'] != row['minimum'] or row['error'])]
    assert above == []


def test_a_command_above_its_minimum_is_reported(monkeypatch):
    monkeypatch.setitem(benchmark.OWN_MINIMUMS, 'cado-detection-get', (1, 'pretend one request were enough'))
    [row] = [row for row in benchmark.command_rows(repeats=1) if row['command'] == 'cado-detection-get']
    assert (row['requests'], row['minimum']) == (3, 1)
