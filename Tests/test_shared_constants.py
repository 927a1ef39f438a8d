"""Facts the integration and the CadoParseEvent script both hold: XSOAR runs each as one file and they cannot import
each other, so each keeps its own copy and this test keeps the copies equal."""
import json

import pytest

import CadoParseEvent as script
import CadoSecurity as integration


@pytest.mark.parametrize('name', ['DETECTION_EVENTS', 'PROCESSING_EVENTS', 'PIPELINE_STATES', 'XDR_PROVIDERS'])
def test_copies_are_equal(name):
    assert getattr(script, name) == getattr(integration, name)


def test_the_script_knows_only_event_types_cado_sends():
    assert set(script.KNOWN_EVENTS) <= set(integration.WEBHOOK_EVENT_TYPES)
    assert set(script.EVENT_PIPELINE_STATE) <= set(script.PROCESSING_EVENTS)
    assert set(script.EVENT_PIPELINE_STATE.values()) | set(script.FINAL_STATES) <= set(integration.PIPELINE_STATES)


def test_the_script_names_only_acquisition_commands_the_integration_has():
    assert set(script.ACQUISITION_COMMANDS.values()) <= set(integration.SOURCES)
    xdr = {provider for (provider, kind), command in script.ACQUISITION_COMMANDS.items()
           if command == 'cado-xdr-device-acquire'}
    assert xdr == set(integration.XDR_PROVIDERS)


def test_severities_map_to_the_same_incident_severity():
    assert {severity: script.XSOAR_SEVERITY[severity] for severity in integration.SEVERITIES} == \
        integration.SEVERITY_TO_INCIDENT


@pytest.mark.parametrize('event_type', sorted(integration.XSOAR_WEBHOOK_PAYLOADS))
def test_the_script_recovers_every_field_of_the_integration_templates(event_type):
    """A body that is not valid JSON any more is read field by field: the script must know every template field."""
    template = integration.XSOAR_WEBHOOK_PAYLOADS[event_type]
    found = {match.group(1) for match in script.TEMPLATE_FIELD_RE.finditer(json.dumps(template))}
    assert found == set(template) - {'cado_event'}
    if 'cado_event' in template:
        assert script.TEMPLATE_EVENT_RE.search(json.dumps(template))
