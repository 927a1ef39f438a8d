"""cado-indicator-list's XSOAR indicators: one per IP, domain, URL and file hash Cado reports, with a DBotScore that
follows the `filter` (matched: bad, extracted or none: unknown) at the instance's Source Reliability, and a
relationship to the Cado project."""
import pytest

from CadoSecurity_test import BASE, fail, load, succeed, xsoar_runtime

SHARED_FIXTURES = (xsoar_runtime,)  # imported, CadoSecurity_test.py's autouse fixture serves this module too
URL = f'{BASE}/api/v3/indicators'
DBOT = 'DBotScore(val.Indicator && val.Indicator == obj.Indicator && val.Vendor == obj.Vendor && val.Type == obj.Type)'
IP = 'IP(val.Address && val.Address == obj.Address)'
SHA256 = load('indicator_list')['data']['detected_iocs'][1]['indicator']


def answer(*iocs: tuple[str, str]) -> dict:
    detected = [{'project_id': 12, 'evidence_id': 391, 'type': kind, 'evidence_name': 'web-prod-01',
                 'description': f'{kind} seen', 'indicator': value} for kind, value in iocs]
    return {'status': 'success', 'data': {'detected_iocs': detected, 'indicators': [value for _, value in iocs]}}


def context_of(result) -> dict:
    return result.to_context()['EntryContext']


def file_entry(kind: str, value: str) -> dict:
    return {'Hashes': [{'type': kind, 'value': value}], kind: value}


def entry_of(context: dict, prefix: str) -> list:
    return next(value for key, value in context.items() if key.split('(')[0] == prefix)


def test_every_supported_type_becomes_an_indicator_with_its_dbot_score(mocker, requests_mock):
    requests_mock.get(URL, json=answer(('IPv4', '203.0.113.7'), ('domain', 'pool.minexmr.com'),
                                       ('url', 'http://203.0.113.7/x.sh'), ('md5', 'd41d8cd98f00b204e9800998ecf8427e'),
                                       ('sha256', SHA256), ('yara', 'xmrig_rule')))
    context = context_of(succeed(mocker, 'cado-indicator-list', {'project_id': '12', 'filter': 'extracted'}))
    assert context[IP] == [{'Address': '203.0.113.7'}]
    assert entry_of(context, 'Domain') == [{'Name': 'pool.minexmr.com'}]
    assert entry_of(context, 'URL') == [{'Data': 'http://203.0.113.7/x.sh'}]
    assert entry_of(context, 'File') == [file_entry('MD5', 'd41d8cd98f00b204e9800998ecf8427e'),
                                         file_entry('SHA256', SHA256)]
    assert [(score['Indicator'], score['Type'], score['Score']) for score in context[DBOT]] == [
        ('203.0.113.7', 'ip', 0), ('pool.minexmr.com', 'domain', 0), ('http://203.0.113.7/x.sh', 'url', 0),
        ('d41d8cd98f00b204e9800998ecf8427e', 'file', 0), (SHA256, 'file', 0)]
    assert {(score['Vendor'], score['Reliability']) for score in context[DBOT]} == {
        ('Cado Security', 'B - Usually reliable')}
    assert len(entry_of(context, 'Cado.Indicator')) == 6, 'a type XSOAR has no indicator for stays in Cado.Indicator'


def test_a_matched_indicator_is_bad_with_cados_description(mocker, requests_mock):
    requests_mock.get(URL, json=answer(('ip', '203.0.113.7')))
    context = context_of(succeed(mocker, 'cado-indicator-list', {'project_id': '12', 'filter': 'matched'}))
    assert requests_mock.last_request.qs['filter'] == ['matched']
    assert context[IP] == [{'Address': '203.0.113.7',
                            'Malicious': {'Vendor': 'Cado Security', 'Description': 'ip seen'}}]
    assert context[DBOT][0]['Score'] == 3


def test_without_a_filter_no_verdict_is_claimed(mocker, requests_mock):
    requests_mock.get(URL, json=load('indicator_list'))
    context = context_of(succeed(mocker, 'cado-indicator-list', {'project_id': '12'}))
    assert [score['Score'] for score in context[DBOT]] == [0, 0]
    assert 'Malicious' not in entry_of(context, 'Domain')[0]


def test_each_indicator_is_related_to_its_cado_project(mocker, requests_mock):
    requests_mock.get(URL, json=load('indicator_list'))
    relationships = succeed(mocker, 'cado-indicator-list', {'project_id': '12'},
                            params={'integrationReliability': 'C - Fairly reliable'}).to_context()['Relationships']
    assert [(item['entityA'], item['entityAType'], item['name'], item['entityB'], item['entityBType'])
            for item in relationships] == [('pool.minexmr.com', 'Domain', 'related-to', 'Cado project 12', 'Report'),
                                           (SHA256, 'File', 'related-to', 'Cado project 12', 'Report')]
    assert {(item['reliability'], item['brand']) for item in relationships} == {('C - Fairly reliable', 'Cado Security')}


def test_limit_trims_the_indicators_too(mocker, requests_mock):
    requests_mock.get(URL, json=load('indicator_list'))
    context = context_of(succeed(mocker, 'cado-indicator-list', {'project_id': '12', 'limit': '1'}))
    assert [score['Indicator'] for score in context[DBOT]] == ['pool.minexmr.com']


@pytest.mark.parametrize('reliability', ['B', 'usually reliable', 'A++ - Reputation script'])
def test_a_bad_source_reliability_is_named_before_any_request(mocker, requests_mock, reliability):
    error = fail(mocker, 'cado-indicator-list', {'project_id': '12'}, params={'integrationReliability': reliability})
    assert 'Instance parameter "Source Reliability" is not valid.' in error
    assert 'B - Usually reliable' in error
    assert not requests_mock.called


# ============================================================================================================
# cado-detection-artifact-list
# ============================================================================================================

ARTIFACTS = f'{BASE}/api/v3/detections/artifacts'


def artifacts(*items: tuple[str, str]) -> dict:
    data = [{'id': index, 'type': kind, 'value': value} for index, (kind, value) in enumerate(items, 1)]
    return {'status': 'success', 'data': data,
            'pagination': {'type': 'page', 'total_records': len(data), 'current_page': 1, 'total_pages': 1}}


def test_remote_ips_domains_and_hashes_become_unknown_indicators(mocker, requests_mock):
    requests_mock.get(ARTIFACTS, json=artifacts(
        ('ip_remote', '198.51.100.9'), ('ip_local', '10.0.0.5'), ('domain', 'pool.minexmr.com'),
        ('hash', 'd41d8cd98f00b204e9800998ecf8427e'), ('hash', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'),
        ('hash', SHA256), ('hash', 'not-a-hash'), ('user', 'root')))
    result = succeed(mocker, 'cado-detection-artifact-list', {'project_id': '12', 'artifact_type': 'hash'},
                     params={'integrationReliability': 'A - Completely reliable'})
    context = context_of(result)
    assert context[IP] == [{'Address': '198.51.100.9'}], 'a local IP is the organisation\'s own, not an indicator'
    assert entry_of(context, 'Domain') == [{'Name': 'pool.minexmr.com'}]
    assert entry_of(context, 'File') == [file_entry('MD5', 'd41d8cd98f00b204e9800998ecf8427e'),
                                         file_entry('SHA1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'),
                                         file_entry('SHA256', SHA256)]
    assert {(score['Score'], score['Reliability'], score['Vendor']) for score in context[DBOT]} == {
        (0, 'A - Completely reliable', 'Cado Security')}
    assert len(entry_of(context, 'Cado.DetectionArtifact')) == 8
    assert {item['entityB'] for item in result.to_context()['Relationships']} == {'Cado project 12'}


def test_artifacts_of_a_detection_are_related_to_it(mocker, requests_mock):
    requests_mock.get(ARTIFACTS, json=load('detection_artifact_list'))
    result = succeed(mocker, 'cado-detection-artifact-list',
                     {'project_id': '12', 'artifact_type': 'domain', 'detection_id': '5'})
    assert [(item['entityA'], item['entityAType'], item['entityB']) for item in result.to_context()['Relationships']] \
        == [('pool.minexmr.com', 'Domain', 'Cado detection 5'), ('xmr-eu1.nanopool.org', 'Domain', 'Cado detection 5')]
