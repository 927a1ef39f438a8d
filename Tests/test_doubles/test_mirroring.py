"""CommonServerPython's mirroring classes and versioned integration context, as XSOAR's real module behaves (the same
tests run against it with XSOAR_MODULES_DIR)."""
import CommonServerPython as csp
import demistomock as demisto
import pytest
from CommonServerPython import (
    EntryFormat,
    EntryType,
    GetMappingFieldsResponse,
    GetModifiedRemoteDataArgs,
    GetModifiedRemoteDataResponse,
    GetRemoteDataArgs,
    GetRemoteDataResponse,
    SchemeTypeMapping,
    UpdateRemoteSystemArgs,
    get_integration_context_with_version,
    return_results,
)


def test_get_remote_data_args_need_id_and_last_update():
    args = GetRemoteDataArgs({'id': '12', 'lastUpdate': '2026-11-30T10:00:00Z'})
    assert (args.remote_incident_id, args.last_update) == ('12', '2026-11-30T10:00:00Z')
    with pytest.raises(KeyError):
        GetRemoteDataArgs({'id': '12'})
    with pytest.raises(KeyError):
        GetModifiedRemoteDataArgs({})
    assert GetModifiedRemoteDataArgs({'lastUpdate': 'x'}).last_update == 'x'


def test_update_remote_system_args_read_xsoar_names_and_default_to_none():
    args = UpdateRemoteSystemArgs({'data': {'closeNotes': 'done'}, 'entries': [], 'incidentChanged': True,
                                   'remoteId': '12', 'status': 2, 'delta': {'phase': 'Containment'}})
    assert (args.data, args.entries, args.incident_changed, args.remote_incident_id, args.inc_status, args.delta) == (
        {'closeNotes': 'done'}, [], True, '12', 2, {'phase': 'Containment'})
    empty = UpdateRemoteSystemArgs({})
    assert (empty.data, empty.delta, empty.remote_incident_id, empty.inc_status) == (None, None, None, None)


def test_get_remote_data_response_puts_the_object_before_its_entries():
    entry = {'Type': EntryType.NOTE, 'Contents': {'dbotIncidentClose': True}, 'ContentsFormat': EntryFormat.JSON}
    assert GetRemoteDataResponse({'id': '12', 'a': 1}, [entry]).extract_for_local() == [{'id': '12', 'a': 1}, entry]
    assert GetRemoteDataResponse({}, [entry]).extract_for_local() is None
    assert GetRemoteDataResponse({'cado_project': {}}, []).extract_for_local() == [{'cado_project': {}}]


def test_get_modified_remote_data_response_entry():
    assert GetModifiedRemoteDataResponse(['12', '13']).to_entry() == {
        'Contents': ['12', '13'], 'Type': EntryType.NOTE, 'ContentsFormat': EntryFormat.JSON}


def test_mapping_fields_response_maps_each_type_to_its_fields():
    scheme = SchemeTypeMapping(type_name='Cado Detection')
    scheme.add_field('phase', 'the phase')
    scheme.add_field('owner')
    response = GetMappingFieldsResponse([scheme])
    response.add_scheme_type(SchemeTypeMapping('Other', {'x': 'y'}))
    assert response.extract_mapping() == {'Cado Detection': {'phase': 'the phase', 'owner': ''}, 'Other': {'x': 'y'}}
    assert GetMappingFieldsResponse().extract_mapping() == {}


@pytest.mark.parametrize('result, sent', [
    (GetRemoteDataResponse({'id': '12'}, [{'Contents': 'x'}]), [{'id': '12'}, {'Contents': 'x'}]),
    (GetRemoteDataResponse({}, []), None),
    (GetModifiedRemoteDataResponse(['12']), {'Contents': ['12'], 'Type': EntryType.NOTE,
                                             'ContentsFormat': EntryFormat.JSON}),
    (GetMappingFieldsResponse([SchemeTypeMapping('T', {'f': 'd'})]), {'T': {'f': 'd'}}),
    ('12', '12'),
])
def test_return_results_sends_what_xsoar_reads(mocker, result, sent):
    results = mocker.patch.object(demisto, 'results')
    return_results(result)
    results.assert_called_once_with(sent)


def test_integration_context_with_version_before_and_after_6(mocker):
    mocker.patch.object(csp.get_demisto_version, '_version', {'version': '5.5.0', 'buildNumber': '1'})
    mocker.patch.object(demisto, 'getIntegrationContext', return_value={'a': 1})
    assert get_integration_context_with_version() == ({'a': 1}, -1)

    mocker.patch.object(csp.get_demisto_version, '_version', {'version': '6.10.0', 'buildNumber': '1'})
    mocker.patch.object(demisto, 'getIntegrationContextVersioned', return_value={'context': {'a': 2}, 'version': 7})
    assert get_integration_context_with_version() == ({'a': 2}, 7)
    assert get_integration_context_with_version(sync=False) == ({'a': 2}, -1)
    setter = mocker.patch.object(demisto, 'setIntegrationContextVersioned')
    csp.set_integration_context({'a': 3}, version=7)
    setter.assert_called_once_with({'a': 3}, 7, True)
