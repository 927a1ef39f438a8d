"""Common.DBotScore, Common.IP/Domain/URL/File, DBotScoreReliability and EntityRelationship: the context keys and
relationship entries XSOAR's real classes write."""
import demistomock as demisto
import pytest
from CommonServerPython import (
    CommandResults,
    Common,
    DBotScoreReliability,
    DBotScoreType,
    EntityRelationship,
)

DBOT = 'DBotScore(val.Indicator && val.Indicator == obj.Indicator && val.Vendor == obj.Vendor && val.Type == obj.Type)'
FILE = ('File(val.MD5 && val.MD5 == obj.MD5 || val.SHA1 && val.SHA1 == obj.SHA1 || val.SHA256 && val.SHA256 == '
        'obj.SHA256 || val.SHA512 && val.SHA512 == obj.SHA512 || val.CRC32 && val.CRC32 == obj.CRC32 || val.CTPH && '
        'val.CTPH == obj.CTPH || val.SSDeep && val.SSDeep == obj.SSDeep)')


def score(value, kind, points=Common.DBotScore.NONE, **kwargs):
    return Common.DBotScore(value, kind, 'Cado Security', points, **kwargs)


def test_dbot_score_context_with_reliability():
    context = score('1.2.3.4', DBotScoreType.IP, Common.DBotScore.BAD, reliability=DBotScoreReliability.B).to_context()
    assert context == {DBOT: {'Indicator': '1.2.3.4', 'Type': 'ip', 'Vendor': 'Cado Security', 'Score': 3,
                              'Reliability': 'B - Usually reliable'}}


@pytest.mark.parametrize('calling_context, given, vendor', [
    ({'integration': True, 'context': {'IntegrationBrand': 'CadoSecurity'}}, '', 'CadoSecurity'),
    ({'integration': True, 'context': {'IntegrationBrand': 'CadoSecurity'}}, 'Cado Security', 'CadoSecurity'),
    ({'integration': True, 'context': {}}, 'Cado Security', 'Cado Security'),
    ({'context': {'IntegrationBrand': 'CadoSecurity'}}, 'Cado Security', 'Cado Security'),
])
def test_dbot_score_vendor_is_the_integration_brand_inside_an_integration(monkeypatch, calling_context, given, vendor):
    monkeypatch.setattr(demisto, 'callingContext', calling_context)
    dbot = Common.DBotScore('a.example', DBotScoreType.DOMAIN, given, score=Common.DBotScore.NONE)
    assert dbot.to_context()[DBOT] == {'Indicator': 'a.example', 'Type': 'domain', 'Vendor': vendor, 'Score': 0}


@pytest.mark.parametrize('kwargs, message', [
    ({'indicator_type': 'hash'}, 'indicator_type must be of type DBotScoreType enum'),
    ({'score': 5}, 'indicator `score` must be of type DBotScore enum'),
    ({'reliability': 'B'}, 'reliability must be of type DBotScoreReliability enum'),
])
def test_dbot_score_rejects_what_xsoar_rejects(kwargs, message):
    arguments = {'indicator': 'x', 'indicator_type': DBotScoreType.IP, 'integration_name': 'v', 'score': 0, **kwargs}
    with pytest.raises(TypeError, match=message):
        Common.DBotScore(**arguments)


def test_reliability_values_are_the_parameter_options():
    assert DBotScoreReliability.get_dbot_score_reliability_from_str('C - Fairly reliable') == DBotScoreReliability.C
    assert not DBotScoreReliability.is_valid_type('C')
    with pytest.raises(Exception, match='Please use supported reliability only.'):
        DBotScoreReliability.get_dbot_score_reliability_from_str('C')


@pytest.mark.parametrize('indicator, path, own', [
    (Common.IP('1.2.3.4', score('1.2.3.4', DBotScoreType.IP)), 'IP(val.Address && val.Address == obj.Address)',
     {'Address': '1.2.3.4'}),
    (Common.Domain('a.example', score('a.example', DBotScoreType.DOMAIN)), 'Domain(val.Name && val.Name == obj.Name)',
     {'Name': 'a.example'}),
    (Common.URL('http://a.example/x', score('http://a.example/x', DBotScoreType.URL)),
     'URL(val.Data && val.Data == obj.Data)', {'Data': 'http://a.example/x'}),
    (Common.File(score('ab' * 32, DBotScoreType.FILE), sha256='ab' * 32), FILE,
     {'Hashes': [{'type': 'SHA256', 'value': 'ab' * 32}], 'SHA256': 'ab' * 32}),
])
def test_indicator_context_keys(indicator, path, own):
    context = indicator.to_context()
    assert context == {path: own, DBOT: indicator.dbot_score.to_context()[DBOT]}


def test_a_bad_indicator_carries_a_malicious_block():
    dbot = score('d41d8cd98f00b204e9800998ecf8427e', DBotScoreType.FILE, Common.DBotScore.BAD,
                 malicious_description='matched')
    context = Common.File(dbot, md5='d41d8cd98f00b204e9800998ecf8427e').to_context()
    assert context[FILE] == {'Hashes': [{'type': 'MD5', 'value': 'd41d8cd98f00b204e9800998ecf8427e'}],
                             'MD5': 'd41d8cd98f00b204e9800998ecf8427e',
                             'Malicious': {'Vendor': 'Cado Security', 'Description': 'matched'}}


def test_an_indicator_needs_a_dbot_score():
    with pytest.raises(ValueError, match='dbot_score must be of type DBotScore'):
        Common.IP('1.2.3.4', None)


def test_command_results_lists_every_indicator_under_its_key():
    first, second = (Common.IP(ip, score(ip, DBotScoreType.IP)) for ip in ('1.1.1.1', '2.2.2.2'))
    context = CommandResults(indicators=[first, second]).to_context()['EntryContext']
    assert context['IP(val.Address && val.Address == obj.Address)'] == [{'Address': '1.1.1.1'}, {'Address': '2.2.2.2'}]
    assert [item['Indicator'] for item in context[DBOT]] == ['1.1.1.1', '2.2.2.2']


def test_relationship_entry_and_context():
    relationship = EntityRelationship(name=EntityRelationship.Relationships.RELATED_TO, entity_a='1.2.3.4',
                                      entity_a_type='IP', entity_b='Cado project 12', entity_b_type='Report',
                                      source_reliability=DBotScoreReliability.B, brand='Cado Security')
    assert CommandResults(relationships=[relationship]).to_context()['Relationships'] == [{
        'name': 'related-to', 'reverseName': 'related-to', 'type': 'IndicatorToIndicator',
        'entityA': '1.2.3.4', 'entityAFamily': 'Indicator', 'entityAType': 'IP',
        'entityB': 'Cado project 12', 'entityBFamily': 'Indicator', 'entityBType': 'Report', 'fields': {},
        'reliability': 'B - Usually reliable', 'brand': 'Cado Security'}]
    assert relationship.to_context() == {'Relationship': 'related-to', 'EntityA': '1.2.3.4', 'EntityAType': 'IP',
                                         'EntityB': 'Cado project 12', 'EntityBType': 'Report'}


def test_relationship_reverse_names_and_rejections():
    indicator_of = EntityRelationship('indicator-of', 'a.example', 'Domain', 'r', 'Report')
    assert indicator_of.to_entry()['reverseName'] == 'indicated-by'
    assert EntityRelationship('related-to', 'a.example', 'Domain', '', 'Report').to_entry() == {}
    assert EntityRelationship('related-to', 'a.example', 'Domain', '', 'Report').to_context() == {}
    unknown = EntityRelationship('knows', 'a', 'Domain', 'b', 'Report').to_entry()
    assert (unknown['name'], unknown['reverseName']) == ('knows', 'related-to')
    with pytest.raises(ValueError, match='Invalid relationship type: Friendship'):
        EntityRelationship('related-to', 'a', 'Domain', 'b', 'Report', relationship_type='Friendship')
    with pytest.raises(ValueError, match='Invalid source reliability value'):
        EntityRelationship('related-to', 'a', 'Domain', 'b', 'Report', source_reliability='B')
