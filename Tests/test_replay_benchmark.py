"""The replay benchmark (tools/replay_benchmark.py) on a small feed: its figures hold the bar the pack README
quotes, and the playbook without deduplication, replayed the same way, does not (so the replay exercises
duplicates)."""
import pytest
import replay_benchmark


@pytest.fixture(scope='module')
def small():
    cases = (('xsoar', True, True, 'xsoar'), ('xsiam', False, True, 'xsiam'), ('without', False, False, 'xsoar'))
    return {name: replay_benchmark.replay(3, pre_processing=pre, dedup=dedup, count=40, resource_count=10,
                                          platform=platform) for name, pre, dedup, platform in cases}


@pytest.mark.parametrize('platform', ['xsoar', 'xsiam'])
def test_one_response_per_detection(small, platform):
    figures = small[platform]
    assert figures['duplicate deliveries'] > 10
    assert figures['incidents acted on'] == figures['detections'] == 40
    assert figures['duplicates acted on'] == figures['silent ends'] == figures['errors'] == 0
    assert figures['acquisitions'] == figures['resources'] == 10 and figures['most acquisitions of one resource'] == 1
    assert figures['acquisitions per resource'] == '1.00'


def test_the_pre_process_rule_drops_what_the_playbook_would_close(small):
    assert small['xsoar']['incidents created'] < small['xsiam']['incidents created']
    assert small['xsoar']['dropped by the pre-process rule'] > 0 == small['xsiam']['dropped by the pre-process rule']


def test_without_deduplication_every_delivery_is_acted_on(small):
    assert small['without']['duplicates acted on'] == small['without']['duplicate deliveries']
    assert float(small['without']['Cado commands per detection']) > float(small['xsoar']['Cado commands per detection'])
