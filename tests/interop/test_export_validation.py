"""The export's validation (interop.export_validation.StreamValidator) accepts and refuses exactly what
fhir.resources' models do, however many of a resource's parts it has seen validated before."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from needlechart.clinics.models import Clinic
from needlechart.interop.export import RESOURCE_TYPES, clinic_resources
from needlechart.interop.export_validation import StreamValidator
from needlechart.interop.validation import InvalidResource, validate_resource
from needlechart.web.demo import DEMO_CLINIC_NAME, build_demo

pytestmark = pytest.mark.xdist_group("export-validation")  # one worker, in order: the demo clinic built once


@pytest.fixture(scope="module")
def exported_demo(django_db_setup, django_db_blocker) -> list[dict[str, Any]]:
    """The demo clinic's resources, built once for the module in a transaction rolled back after:
    the tests check the resources, not the database."""
    mail = override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    with django_db_blocker.unblock(), mail, transaction.atomic():
        build_demo(patient_count=6)
        clinic = Clinic.objects.get(name=DEMO_CLINIC_NAME)
        resources = [r for t in RESOURCE_TYPES for r in clinic_resources(clinic.pk, t, validate=False)]
        transaction.set_rollback(True)
    return resources


@pytest.fixture
def demo_resources(db, exported_demo) -> list[dict[str, Any]]:
    return copy.deepcopy(exported_demo)  # each test its own


def _dicts(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, dict[str, Any]]]:
    """Every JSON object inside ``value`` with its path (the resource itself left out)."""
    if isinstance(value, dict):
        if path:
            yield path, value
        for key, item in value.items():
            yield from _dicts(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _dicts(item, (*path, index))


def _at(resource: dict[str, Any], path: tuple) -> Any:
    for step in path:
        resource = resource[step]
    return resource


def _sample(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two resources of each type (the later of each seen whole before it is broken)."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        by_type.setdefault(resource["resourceType"], []).append(resource)
    return [r for kept in by_type.values() for r in kept[1:3]]


def _refused_by_both(validator: StreamValidator, resource: dict[str, Any]) -> bool:
    with pytest.raises(InvalidResource):
        validate_resource(resource)
    with pytest.raises(InvalidResource):
        validator.check(resource)
    return True


def test_every_demo_resource_is_accepted_as_fhir_resources_accepts_it_and_returned_unchanged(demo_resources):
    validator = StreamValidator()
    for resource in demo_resources + demo_resources:  # the second time round every part has been seen
        before = json.dumps(resource)
        validate_resource(resource)
        assert validator.check(resource) is resource
        assert json.dumps(resource) == before


def test_an_unknown_key_in_any_part_is_refused_after_the_whole_resource_was_seen(demo_resources):
    validator = StreamValidator()
    for resource in demo_resources:
        validator.check(resource)
    tried = 0
    for resource in _sample(demo_resources):
        for path, _part in _dicts(resource):
            broken = copy.deepcopy(resource)
            _at(broken, path)["notAnElement"] = "x"
            tried += _refused_by_both(validator, broken)
    assert tried > 200


def test_a_second_choice_value_or_a_null_in_a_list_is_refused_after_the_parts_were_seen(demo_resources):
    validator = StreamValidator()
    for resource in demo_resources:
        validator.check(resource)
    choices = lists = 0
    for resource in _sample(demo_resources):
        for path, part in _dicts(resource):
            values = [key for key in part if key.startswith("value") and key != "value"]
            if values and "valueBoolean" not in part:
                broken = copy.deepcopy(resource)
                _at(broken, path)["valueBoolean"] = True  # two value[x]: the choice check of fhir_core
                choices += _refused_by_both(validator, broken)
            if isinstance(part.get("coding"), list):
                broken = copy.deepcopy(resource)
                _at(broken, path)["coding"].append(None)  # a null in a list of complex elements
                lists += _refused_by_both(validator, broken)
    assert choices > 10 and lists > 10


def test_a_required_part_seen_before_is_still_required(demo_resources):
    validator = StreamValidator()
    procedures = [r for r in demo_resources if r["resourceType"] == "Procedure"]
    assert len(procedures) >= 2
    for resource in procedures:
        validator.check(resource)
    broken = copy.deepcopy(procedures[1])
    del broken["subject"]
    _refused_by_both(validator, broken)
    extension = next(part for _path, part in _dicts(broken) if "url" in part and ("extension" in part or "valueCoding" in part))
    del extension["url"]  # Extension.url is required
    _refused_by_both(validator, broken)


def test_a_part_seen_as_one_type_is_checked_again_where_another_type_belongs(demo_resources):
    validator = StreamValidator()
    for resource in demo_resources:
        validator.check(resource)
    procedure = copy.deepcopy(next(r for r in demo_resources if r["resourceType"] == "Procedure"))
    coding = procedure["code"]["coding"][0]  # seen, as a Coding
    procedure["subject"] = coding  # a Reference has no system or code
    _refused_by_both(validator, procedure)


def test_a_bad_primitive_in_a_part_otherwise_seen_is_refused(demo_resources):
    validator = StreamValidator()
    for resource in demo_resources:
        validator.check(resource)
    tried = 0
    for resource in _sample(demo_resources):
        for path, part in _dicts(resource):
            for key, value in part.items():
                if key in ("system", "url") and isinstance(value, str):
                    broken = copy.deepcopy(resource)
                    _at(broken, path)[key] = 12  # a uri must be a string
                    tried += _refused_by_both(validator, broken)
    assert tried > 30


def test_what_it_remembers_is_bounded(demo_resources):
    validator = StreamValidator(limit=50)
    for resource in demo_resources:
        validator.check(resource)
        assert len(validator._seen) + len(validator._older) <= 2 * 50 + 200  # two generations; one resource's new parts over
