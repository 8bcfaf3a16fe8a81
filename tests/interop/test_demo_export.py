"""Every resource of the demo clinic validates with fhir.resources, passes needlechart's own checks and
refers only to resources of the same export; nothing of the other clinic is in it."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from needlechart.audit.models import AuditEvent
from needlechart.clinics.models import Clinic
from needlechart.interop.export import RESOURCE_TYPES
from needlechart.web.demo import DEMO_CLINIC_NAME, OTHER_CLINIC_NAME, build_demo
from tests.interop.conftest import exported


def _references(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


@pytest.fixture
def demo(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    build_demo(patient_count=10)
    return Clinic.objects.get(name=DEMO_CLINIC_NAME)


def test_every_resource_of_the_demo_clinic_validates_and_refers_within_the_export(demo):
    resources = list(exported(demo.pk))  # validated by fhir.resources and needlechart's checks as they come
    counts = Counter(r["resourceType"] for r in resources)
    assert set(counts) == set(RESOURCE_TYPES), counts
    assert counts["Patient"] == 10 and counts["Organization"] == 1
    ids = {f"{r['resourceType']}/{r['id']}" for r in resources}
    assert len(ids) == len(resources)  # no resource twice
    dangling = {ref for r in resources for ref in _references(r) if ref not in ids}
    assert dangling == set()
    assert json.loads(json.dumps(resources)) == resources  # JSON-ready as built


def test_the_other_clinic_exports_only_its_own(demo):
    other = Clinic.objects.get(name=OTHER_CLINIC_NAME)
    resources = list(exported(other.pk))
    audit_rows = AuditEvent.objects.filter(clinic_id=other.pk).count()
    assert audit_rows > 0
    assert Counter(r["resourceType"] for r in resources) == Counter(
        {"Organization": 1, "Practitioner": 1, "PractitionerRole": 1, "AuditEvent": audit_rows}
    )
    assert str(demo.pk) not in json.dumps(resources)
