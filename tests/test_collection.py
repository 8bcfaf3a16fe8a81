"""The suite itself: what scripts/test schedules is what was collected."""

from __future__ import annotations

from tests.conftest import opens_a_database


def test_every_collected_test_has_its_own_node_id(request):
    # pytest-xdist's loadgroup scheduling keys its queue by node id: tests sharing one would be
    # collected, counted and never run (as 19 of the 20 schemathesis operations once were).
    ids = [item.nodeid for item in request.session.items]
    assert ids, "nothing collected"
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_a_test_of_an_xdist_group_names_its_group_in_its_node_id(request):
    # loadgroup sends the tests of one group to one worker by the "@group" end of their node ids.
    grouped = {item.nodeid: item for item in request.session.items if any(item.iter_markers("xdist_group"))}
    assert grouped, "the browser tests and the fuzzer are grouped"
    for nodeid, item in grouped.items():
        name = next(item.iter_markers("xdist_group")).args[0]
        assert nodeid.endswith(f"@{name}"), nodeid


OPEN_A_DATABASE = [
    "tests/browser/",  # the live server's database
    "tests/needling/test_signing_gates.py::PropertySessionTests",  # a Django TestCase
    "tests/api/test_clients.py::test_only_those_who_manage_staff_make_clients",  # asks for fixtures by name
    "tests/fuzz/",  # the package's demo clinic
    "tests/api/test_authorization.py::test_a_token_with_the_scope_gets_through",  # db through its fixtures
]
OPEN_NONE = [
    "tests/knowledge/test_catalog_validation.py::test_shipped_data_loads",  # the clinical data only
    "tests/scheduling/test_slots.py::",  # properties of the slot computation
]


def test_the_postgresql_run_leaves_out_only_tests_that_open_no_database(request):
    # .ci/run runs the suite on PostgreSQL with --database-tests-only (tests/conftest.py's opens_a_database).
    items = {item.nodeid.split("@")[0]: item for item in request.session.items}

    def found(start: str) -> list:
        return [item for nodeid, item in items.items() if nodeid.startswith(start)]

    if request.config.getoption("database_tests_only"):  # this is that run: the ones are kept, the others left out
        assert all(found(start) for start in OPEN_A_DATABASE), [start for start in OPEN_A_DATABASE if not found(start)]
        assert not any(found(start) for start in OPEN_NONE), [start for start in OPEN_NONE if found(start)]
        return
    assert all(found(start) and opens_a_database(found(start)[0]) for start in OPEN_A_DATABASE)
    assert all(found(start) and not opens_a_database(found(start)[0]) for start in OPEN_NONE)
