"""The demo clinic of the package's tests (the fuzzer, the audited pages, the public pages), built
and committed once for the package, with the links its patients are sent, and flushed after. The
package is one xdist group, so one worker runs its tests one after another."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from needlechart.web.demo import build_demo
from tests.fuzz.site import collect_patient_links


def pytest_collection_modifyitems(items):  # before the root conftest's, which reads the groups
    for item in items:
        if "tests/fuzz/" in str(item.fspath):
            item.add_marker(pytest.mark.xdist_group("fuzz"))


@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        build_demo(patient_count=6)
        collect_patient_links()
        yield
        call_command("flush", interactive=False, verbosity=0)
