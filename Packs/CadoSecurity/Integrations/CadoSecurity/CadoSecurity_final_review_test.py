"""Final review of session 3's change (custom IOC rules, Cado Host, mirroring): the defects found, each pinned by a
test that failed before its fix. Mirroring is driven through main() against the stateful fake Cado of
Tests/support/fake_mirroring.py, as CadoSecurity_mirroring_test.py does.
"""
import CadoSecurity_mirroring_test as mirroring_test
from CadoSecurity_mirroring_review_test import mirrored
from fake_mirroring import FakeCado

cado, xsoar, state = mirroring_test.cado, mirroring_test.xsoar, mirroring_test.state  # its fixtures: projects 12-14


def test_a_platform_that_pages_projects_by_fewer_than_100_deletes_no_mirrored_project():
    cado = FakeCado()
    cado.max_per_page = 20  # 100 mirrored projects take five pages
    xsoar = mirrored(cado, range(100, 200))
    assert xsoar.notes == {} and xsoar.errors == []
    assert len(state(xsoar)['projects']) == 100
    cado.set_status(100, 'Eradication')  # on the last page (newest first)
    assert xsoar.cycle() == ['100']
    assert xsoar.incidents['inc-100']['fields']['cadoprojectstatus'] == 'Eradication'


def test_the_owner_is_found_among_more_users_than_a_default_page(xsoar, cado):
    cado.users += [{'id': 10 + n, 'rbac_role': 'Analyst', 'username': f'jdoe{n}', 'login_type': 0,
                    'display_name': f'Z{n}'} for n in range(12)]  # listed before jdoe ('J') by -display_name
    xsoar.change('inc-12', {'owner': 'jdoe'})
    assert 'jdoe' in [user['username'] for user in cado.projects[12]['details']['users']]
