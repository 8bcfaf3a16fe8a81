"""The suite itself: what scripts/test schedules is what was collected."""

from __future__ import annotations


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
