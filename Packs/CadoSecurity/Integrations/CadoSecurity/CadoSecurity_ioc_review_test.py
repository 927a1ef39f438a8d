"""Second review of the custom IOC rules: type detection (IPv6, internationalised domains, URLs with ports or without a
scheme, uppercase hashes, defanged values), lines of Cado's that no parser expects, values from context, messages.

Defanged values (hxxp://, evil[.]example, 1.2.3[.]4) are refanged by a push, which says so: Cado matches a rule's text
literally, so a defanged rule would never match anything. A defanged line already in Cado's rules is a keyword."""
import pytest

from CadoSecurity_intelligence_test import FOREIGN, FakeCado, lines
from CadoSecurity_test import fail, integration_yaml, succeed, xsoar_runtime

SHARED_FIXTURES = (xsoar_runtime, integration_yaml)


@pytest.fixture
def cado(requests_mock, contract) -> FakeCado:
    return FakeCado(requests_mock, contract)


@pytest.mark.parametrize('value, kind', [
    ('2001:db8::1', 'ip'), ('::ffff:198.51.100.7', 'ip'), ('münchen.example', 'domain'), ('MÜNCHEN.EXAMPLE', 'domain'),
    ('http://evil.example:8443/x', 'url'), ('http://[2001:db8::1]:8443/a', 'url'), ('evil.example/stage2.sh', 'url'),
    ('198.51.100.7:8080/x', 'url'), ('D41D8CD98F00B204E9800998ECF8427E', 'md5'),
    # not what they look like: a CIDR block, a bad port, a malformed IPv6 URL, a zero-width space, defanged spellings
    ('10.0.0.0/8', 'keyword'), ('http://evil.example:99999/', 'keyword'), ('http://[2001:db8::1/x', 'keyword'),
    ('evil.example\u200b', 'keyword'), ('hxxp://evil[.]example/x', 'keyword'), ('hxxps://evil.example', 'keyword'),
    ('1.2.3[.]4', 'keyword'), ('evil(.)example', 'keyword'), ('javascript://x', 'keyword')])
def test_indicator_types_of_the_review(value, kind):
    import CadoSecurity
    assert CadoSecurity.ioc_type(value) == kind


def test_a_line_of_cados_that_no_parser_expects_is_listed_as_a_keyword(mocker, requests_mock, contract):
    """A malformed URL someone wrote in Cado made urlsplit raise: listing, and every push, failed on it."""
    FakeCado(requests_mock, contract, text='hxxp://evil[.]example/x;from a report\nhttp://[2001:db8::1/x')
    rules = succeed(mocker, 'cado-ioc-rule-list').outputs
    assert [(rule['value'], rule['type']) for rule in rules] == [
        ('hxxp://evil[.]example/x', 'keyword'), ('http://[2001:db8::1/x', 'keyword')]
    succeed(mocker, 'cado-ioc-rule-push', {'values': 'evil.example'})


def test_defanged_values_are_pushed_refanged_and_the_entry_says_so(mocker, cado):
    result = succeed(mocker, 'cado-ioc-rule-push', {'values': ['hxxps://evil[.]example:8443/x', '198.51.100[.]23',
                                                               'evil[.]example', 'evil.example']})
    assert [(rule['value'], rule['type'], rule['status']) for rule in result.outputs] == [
        ('https://evil.example:8443/x', 'url', 'added'), ('198.51.100.23', 'ip', 'added'),
        ('evil.example', 'domain', 'added')]
    assert lines(cado.text)[-3:] == ['https://evil.example:8443/x', '198.51.100.23', 'evil.example']
    assert ('Refanged (a defanged value never matches in Cado): hxxps://evil[.]example:8443/x to '
            'https://evil.example:8443/x, 198.51.100[.]23 to 198.51.100.23, evil[.]example to evil.example.'
            ) in result.readable_output


def test_internationalised_domains_and_scheme_less_urls_are_pushed_as_given(mocker, cado):
    result = succeed(mocker, 'cado-ioc-rule-push', {'values': 'münchen.example,evil.example/stage2.sh'})
    assert [rule['type'] for rule in result.outputs] == ['domain', 'url']
    assert lines(cado.text)[-2:] == ['münchen.example', 'evil.example/stage2.sh']


def test_a_url_in_another_case_of_scheme_or_host_is_already_present(mocker, requests_mock, contract):
    cado = FakeCado(requests_mock, contract, text='https://evil.example/Stage2.sh')
    result = succeed(mocker, 'cado-ioc-rule-push', {'values': 'HTTPS://EVIL.example/Stage2.sh,https://evil.example/stage2.sh'})
    assert [rule['status'] for rule in result.outputs] == ['already present', 'added'], 'a path keeps its case'
    assert cado.text == 'https://evil.example/Stage2.sh\nhttps://evil.example/stage2.sh'


def test_a_json_list_string_from_context_is_pushed(mocker, cado):
    result = succeed(mocker, 'cado-ioc-rule-push', {'values': '["198.51.100.23", "evil-update.example"]'})
    assert [rule['value'] for rule in result.outputs] == ['198.51.100.23', 'evil-update.example']


@pytest.mark.parametrize('args, expected', [
    ({'values': '198.51.100.23', 'type': 'domain'},
     'Invalid value "198.51.100.23" in argument "values": it is not a domain (it reads as an IP address).'),
    ({'values': 'evil.example', 'type': 'ip'},
     'Invalid value "evil.example" in argument "values": it is not an IP address (it reads as a domain).'),
    ({'values': 'xmrig', 'type': 'md5'},
     'Invalid value "xmrig" in argument "values": it is not an MD5 hash (it reads as no IP, domain, URL or hash).'),
    ({'values': '10.0.0.0/8'}, 'Invalid value "10.0.0.0/8" in argument "values": it is no IP address, domain, URL, '
                               'MD5, SHA1 or SHA256 hash. Allowed types: ip, domain, url, md5, sha1, sha256.'),
    ({'values': [{'Indicator': '198.51.100.23'}]}, 'Argument "values" must be a single text value.'),
])
def test_refused_values_name_the_argument_in_plain_words(mocker, cado, args, expected):
    assert fail(mocker, 'cado-ioc-rule-push', args).endswith(f'Error:\n{expected}')
    assert cado.methods() == [], 'refused before any request'
    assert cado.text == FOREIGN


def test_a_title_edited_in_cado_during_a_push_is_not_restored_as_a_second_rule(mocker, cado):
    """An analyst retitles kworkerd while the push runs, and another write drops our rules: the merge again restores
    ours, not the old kworkerd line next to the retitled one."""
    retitled = FOREIGN.replace('kworkerd;Fake kernel worker', 'kworkerd;Miner process (confirmed)')
    cado.race = lambda _ours: (cado.__setattr__('race', None), retitled)[1]
    result = succeed(mocker, 'cado-ioc-rule-push', {'values': 'evil-update.example'})

    assert [line for line in lines(cado.text) if line.startswith('kworkerd')] == ['kworkerd;Miner process (confirmed)']
    assert lines(cado.text)[-1] == 'evil-update.example'
    assert 'merged again, 2 writes in all.' in result.readable_output


def test_a_line_of_cados_with_only_a_title_survives_a_race_without_endless_writes(mocker, requests_mock, contract):
    cado = FakeCado(requests_mock, contract, text=';orphan title\nxmrig')
    cado.race = lambda _ours: (cado.__setattr__('race', None), ';orphan title\nxmrig')[1]
    succeed(mocker, 'cado-ioc-rule-push', {'values': 'evil.example'})
    assert cado.text == ';orphan title\nxmrig\nevil.example' and len(cado.writes) == 2


def test_a_listed_rule_and_the_same_indicator_pushed_share_one_context_key(mocker, cado):
    listed = {rule['value']: rule['key'] for rule in succeed(mocker, 'cado-ioc-rule-list').outputs}
    pushed = succeed(mocker, 'cado-ioc-rule-push', {'values': 'pool.minexmr.example'}).outputs[0]
    assert pushed['status'] == 'already present'
    assert pushed['key'] == listed['POOL.MINEXMR.EXAMPLE'] == 'tenant:pool.minexmr.example'


def test_rules_with_windows_line_breaks_keep_them(mocker, requests_mock, contract):
    cado = FakeCado(requests_mock, contract, text='xmrig\r\nkworkerd;Fake kernel worker')
    succeed(mocker, 'cado-ioc-rule-push', {'values': 'evil.example,198.51.100.23'})
    assert cado.writes == ['xmrig\r\nkworkerd;Fake kernel worker\r\nevil.example\r\n198.51.100.23']
