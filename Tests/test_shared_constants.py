"""Facts the integration and the CadoParseEvent script both hold: XSOAR runs each as one file and they cannot import
each other, so each keeps its own copy and this test keeps the copies equal."""
import pytest

import CadoParseEvent as script
import CadoSecurity as integration


@pytest.mark.parametrize('name', ['DETECTION_EVENTS', 'PROCESSING_EVENTS', 'PIPELINE_STATES'])
def test_copies_are_equal(name):
    assert getattr(script, name) == getattr(integration, name)


def test_the_script_knows_only_event_types_and_states_cado_sends():
    assert set(script.KNOWN_EVENTS) <= set(integration.WEBHOOK_EVENT_TYPES)
    assert set(script.EVENT_FACTS) <= set(script.PROCESSING_EVENTS)
    assert set(script.FINAL_STATES) == set(integration.ENDED_STATES)


def test_the_script_ranks_every_severity_cado_sends():
    assert set(integration.SEVERITIES) <= set(script.SEVERITY_RANK)
    ranked = sorted(integration.SEVERITIES, key=script.SEVERITY_RANK.get)
    assert ranked == sorted(integration.SEVERITIES, key=lambda severity: integration.SEVERITY_TO_INCIDENT[severity])
