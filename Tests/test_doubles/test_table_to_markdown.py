"""tableToMarkdown: XSOAR's exact markdown, cell rendering and header rules."""
import pytest
from CommonServerPython import JsonTransformer, string_to_table_header, tableToMarkdown, tblToMd


def test_list_of_dicts_sorted_headers():
    rows = [{'name': 'b', 'id': 2}, {'name': 'a', 'id': 1}]
    assert tableToMarkdown('Projects', rows) == \
        '### Projects\n|id|name|\n|---|---|\n| 2 | b |\n| 1 | a |\n'


def test_explicit_headers_keep_their_order_and_missing_keys_are_empty():
    rows = [{'name': 'a', 'id': 1}]
    assert tableToMarkdown('T', rows, headers=['name', 'id', 'status']) == \
        '### T\n|name|id|status|\n|---|---|---|\n| a | 1 |  |\n'
    assert tableToMarkdown('T', rows, headers='name') == '### T\n|name|\n|---|\n| a |\n'


def test_sort_headers_false_keeps_key_order():
    assert tableToMarkdown('T', {'z': 1, 'a': 2}, sort_headers=False) == '### T\n|z|a|\n|---|---|\n| 1 | 2 |\n'


@pytest.mark.parametrize('empty', [[], {}, None, ''])
def test_empty_input(empty):
    assert tableToMarkdown('Alarms', empty) == '### Alarms\n**No entries.**\n'


def test_no_name_and_metadata():
    assert tableToMarkdown('', [{'a': 1}]) == '|a|\n|---|\n| 1 |\n'
    assert tableToMarkdown(None, [], metadata='Page 1') == 'Page 1\n**No entries.**\n'
    assert tableToMarkdown('T', [{'a': 1}], metadata='Page 1') == '### T\nPage 1\n|a|\n|---|\n| 1 |\n'


def test_single_dict_and_single_key_dict():
    assert tableToMarkdown('T', {'a': 1, 'b': 'x'}) == '### T\n|a|b|\n|---|---|\n| 1 | x |\n'
    # A dict with one key becomes a one-column table of that key's values.
    assert tableToMarkdown('T', {'ids': ['a', 'b']}) == '### T\n|ids|\n|---|\n| a |\n| b |\n'


def test_list_of_scalars_needs_headers():
    assert tableToMarkdown('T', ['a', 'b'], headers=['Value']) == '### T\n|Value|\n|---|\n| a |\n| b |\n'
    with pytest.raises(Exception) as error:
        tableToMarkdown('T', ['a', 'b'])
    assert str(error.value) == "Missing headers param for tableToMarkdown. Example: headers=['Some Header']"


def test_cell_rendering():
    row = {'list': ['a', 'b'], 'dict': {'k': 'v', 'n': 2}, 'bool': True, 'none': None, 'zero': 0, 'float': 1.5,
           'empty': '', 'nested': [{'x': 1}]}
    headers = ['list', 'dict', 'bool', 'none', 'zero', 'float', 'empty', 'nested']
    assert tableToMarkdown('T', [row], headers=headers) == (
        '### T\n|list|dict|bool|none|zero|float|empty|nested|\n|---|---|---|---|---|---|---|---|\n'
        "| a,<br>b | k: v<br>n: 2 | true |  | 0 | 1.5 |  | {'x': 1} |\n")


def test_escaping_pipes_backticks_and_newlines():
    row = {'a|b': 'x|y', 'text': 'line1\nline2\r\nline3', 'code': '`cmd`', 'md': '*bold* _u_'}
    assert tableToMarkdown('T', [row], headers=['a|b', 'text', 'code', 'md']) == (
        '### T\n|a\\|b|text|code|md|\n|---|---|---|---|\n'
        '| x\\|y | line1<br>line2<br>line3 | \\`cmd\\` | *bold* _u_ |\n')


def test_remove_null_drops_empty_columns():
    rows = [{'a': 1, 'b': None, 'c': '', 'd': [], 'e': {}}, {'a': 2, 'b': None}]
    assert tableToMarkdown('T', rows, removeNull=True) == '### T\n|a|\n|---|\n| 1 |\n| 2 |\n'
    assert tableToMarkdown('T', [{'a': None}], removeNull=True) == '### T\n**No entries.**\n'


def test_header_transform():
    rows = [{'pipeline_id': 1, 'created_at': 'x'}]
    assert tableToMarkdown('T', rows, headerTransform=string_to_table_header) == \
        '### T\n|Created At|Pipeline Id|\n|---|---|\n| x | 1 |\n'


def test_url_keys_and_date_fields():
    rows = [{'link': 'https://x.io/a', 'other': 'https://x.io/b'}]
    assert tableToMarkdown('T', rows, url_keys=['link']) == \
        '### T\n|link|other|\n|---|---|\n| [https://x.io/a](https://x.io/a) | https://x.io/b |\n'
    from datetime import datetime
    expected = datetime.fromtimestamp(1700000000).strftime('%Y-%m-%d %H:%M:%S')
    assert tableToMarkdown('T', [{'t': 1700000000000}], date_fields=['t']) == \
        f'### T\n|t|\n|---|\n| {expected} |\n'


def test_auto_json_transform_renders_nested_values_as_a_tree():
    rows = [{'n': {'k': 'v', 'l': ['a', 'b']}}]
    assert tableToMarkdown('T', rows, is_auto_json_transform=True) == \
        '### T\n|n|\n|---|\n| ***k***: v<br>**l**:<br>\t***values***: a, b |\n'
    mapping = {'n': JsonTransformer(keys=['k'])}
    assert tableToMarkdown('T', rows, json_transform_mapping=mapping) == '### T\n|n|\n|---|\n| ***k***: v |\n'


def test_alias():
    assert tblToMd is tableToMarkdown
