"""FHIR import (interop.importing and ``needlechart import-fhir``): round trip, dry run, duplicates,
all or nothing, bad input and wrong check digits."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command

from needlechart.audit.models import AuditEvent
from needlechart.clinics.models import RegistrationNumber
from needlechart.core.access import Role
from needlechart.interop.importing import InvalidImport, import_bundle
from needlechart.interop.resources.care import episode_of_care_resource
from needlechart.interop.resources.observation import measurement_observation
from needlechart.interop.resources.patient import patient_resource
from needlechart.interop.resources.staff import practitioner_resource
from needlechart.outcomes.models import Measurement, MeasurementSource
from needlechart.patients import services as patients
from needlechart.patients.identifiers import NORWEGIAN_D_NUMBER_SYSTEM, NORWEGIAN_NIN_SYSTEM
from needlechart.patients.models import Episode, Patient
from tests.conftest import make_staff

HPR = RegistrationNumber.HPR_SYSTEM
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def bundle(*resources, kind="transaction"):
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [{"fullUrl": f"urn:uuid:{r.pop('_uuid')}" if "_uuid" in r else None, "resource": r} for r in resources],
    }


def clean(data):
    for entry in data["entry"]:
        if entry["fullUrl"] is None:
            del entry["fullUrl"]
    return data


def new_patient(uid="11111111-1111-4111-8111-111111111111", nin="17058512311", **extra):
    resource = {
        "_uuid": uid,
        "resourceType": "Patient",
        "identifier": [{"system": NORWEGIAN_NIN_SYSTEM, "value": nin}],
        "name": [{"family": "Hansen", "given": ["Ola", "Per"]}],
        "gender": "male",
        "birthDate": "1985-05-17",
        "telecom": [{"system": "phone", "value": "+47 91111111"}],
    }
    resource.update(extra)
    return resource


def new_episode(patient_ref, uid="22222222-2222-4222-8222-222222222222"):
    return {
        "_uuid": uid,
        "resourceType": "EpisodeOfCare",
        "status": "active",
        "type": [{"coding": [{"system": "https://needlechart.org/fhir/CodeSystem/condition-category", "code": "neck"}]}],
        "diagnosis": [{"condition": {"display": "Stiff neck"}}],
        "patient": {"reference": patient_ref},
        "period": {"start": "2026-01-05"},
    }


def nprs(patient_ref, value=6, unit="{score}", code="72514-3"):
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey"}]}],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": patient_ref},
        "effectiveDateTime": "2026-01-06T10:00:00+00:00",
        "valueQuantity": {"value": value, "system": UCUM, "code": unit},
    }


PATIENT_URL = "urn:uuid:11111111-1111-4111-8111-111111111111"


def small_bundle():
    return clean(bundle(new_patient(), new_episode(PATIENT_URL), nprs(PATIENT_URL)))


def counts():
    return Patient.objects.count(), Episode.objects.count(), Measurement.objects.count(), AuditEvent.objects.count()


@pytest.fixture
def importer(clinic):
    return make_staff(clinic, "importer", Role.PRACTITIONER, discipline="physiotherapist")


def test_a_bundle_is_imported_with_its_references_resolved_and_audited(clinic, importer):
    report = import_bundle(clinic, importer, json.dumps(small_bundle()), dry_run=False, source="small.json")
    assert report.ok and report.written, report.lines()
    assert [e.outcome for e in report.entries] == ["created"] * 3
    patient = Patient.objects.get(clinic=clinic)
    assert (patient.given_name, patient.family_name, patient.sex, patient.phone) == ("Ola Per", "Hansen", "male", "+47 91111111")
    episode = Episode.objects.get(patient=patient)
    assert (episode.condition, episode.complaint, episode.created_by) == ("neck", "Stiff neck", importer)
    measurement = Measurement.objects.get(patient=patient)
    assert (measurement.instrument, measurement.score, measurement.episode) == ("nprs", 6, episode)
    rows = AuditEvent.objects.filter(clinic_id=clinic.pk)
    summary = rows.get(object_type="fhir_import")
    assert summary.actor_username == "importer"
    assert summary.detail["source"] == "small.json" and summary.detail["created"] == 3 and summary.detail["written"] is True
    assert rows.filter(object_type="patient", action="create", patient_id=patient.pk).exists()
    assert rows.filter(object_type="measurement", action="create", patient_id=patient.pk).exists()


def test_round_trip_into_another_clinic_keeps_demographics_identifiers_and_observations(clinic, other_clinic, practitioner):
    RegistrationNumber.objects.create(profile=practitioner.practitioner_profile, system=HPR, value="9144889")
    source = patients.patient_create(
        actor=practitioner,
        data={
            "given_name": "Kari Anne",
            "family_name": "Nordmann",
            "birth_date": dt.date(1985, 5, 17),
            "sex": "female",
            "phone": "+47 90000000",
            "email": "kari@example.org",
            "address": "Storgata 1",
            "postal_code": "0155",
            "city": "Oslo",
            "preferred_language": "en",
            "emergency_contact_name": "Ola Nordmann",
            "emergency_contact_relation": "husband",
            "emergency_contact_phone": "+47 95555555",
        },
        identifiers=[(NORWEGIAN_NIN_SYSTEM, "17058512311"), ("Passport", "NO123")],
    )
    episode = patients.episode_create(
        actor=practitioner, patient=source, complaint="Neck pain", condition="neck", started_on=dt.date(2026, 1, 5), referrer="Dr GP"
    )
    taken = dt.datetime(2026, 1, 6, 9, 30, tzinfo=dt.UTC)
    common = {"clinic_id": clinic.pk, "patient": source, "episode": episode, "source": MeasurementSource.CLINIC}
    measured = [
        Measurement.objects.create(**common, instrument="nprs", score=7, answers={}, taken_at=taken, recorded_by=practitioner),
        Measurement.objects.create(**common, instrument="vas", score=55, answers={}, taken_at=taken + dt.timedelta(days=7)),
        Measurement.objects.create(
            **common,
            instrument="psfs",
            score=4,
            answers={"activities": [{"name": "Driving", "score": 3}, {"name": "Reading", "score": 5}]},
            taken_at=taken,
            recorded_by=practitioner,
        ),
    ]
    practitioner.practitioner_profile.refresh_from_db()
    exported = [
        practitioner_resource(practitioner),
        patient_resource(source),
        episode_of_care_resource(episode),
        *(measurement_observation(m) for m in measured),
    ]
    payload = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in exported]}
    # The practitioner has moved to the other clinic: their HPR number is now a staff member's there.
    moved = make_staff(other_clinic, "moved", Role.PRACTITIONER, discipline="physiotherapist")
    RegistrationNumber.objects.filter(value="9144889").update(profile=moved.practitioner_profile)

    report = import_bundle(other_clinic, moved, payload, dry_run=False, source="export")
    assert report.ok, report.lines()
    assert [e.outcome for e in report.entries] == ["matched", "created", "created", "created", "created", "created"]

    imported = Patient.objects.get(clinic=other_clinic)
    again = patient_resource(imported)
    original = patient_resource(source)
    for key in ("identifier", "name", "telecom", "gender", "birthDate", "address", "contact", "communication"):
        assert again[key] == original[key], key
    new_episode_row = Episode.objects.get(patient=imported)
    assert episode_of_care_resource(new_episode_row)["period"] == {"start": "2026-01-05"}
    assert (new_episode_row.complaint, new_episode_row.condition, new_episode_row.referrer) == ("Neck pain", "neck", "Dr GP")
    by_instrument = {m.instrument: m for m in Measurement.objects.filter(patient=imported)}
    assert set(by_instrument) == {"nprs", "vas", "psfs"}
    for original_row in measured:
        copy = measurement_observation(by_instrument[original_row.instrument])
        first = measurement_observation(original_row)
        for key in ("status", "code", "category", "effectiveDateTime", "valueQuantity", "component"):
            assert copy.get(key) == first.get(key), (original_row.instrument, key)
    assert by_instrument["nprs"].recorded_by == moved  # the performer, linked by HPR number
    assert by_instrument["vas"].recorded_by is None  # taken by the patient

    # Importing the same export again creates nothing: everything is matched.
    second = import_bundle(other_clinic, moved, payload, dry_run=False, source="export")
    assert second.ok and second.counts() == {"created": 0, "matched": 6, "rejected": 0}
    assert Patient.objects.filter(clinic=other_clinic).count() == 1
    assert Measurement.objects.filter(patient=imported).count() == 3


def test_a_dry_run_reports_and_writes_nothing(clinic, importer):
    before = counts()
    report = import_bundle(clinic, importer, small_bundle(), dry_run=True, source="small.json")
    assert report.ok and not report.written
    assert [e.outcome for e in report.entries] == ["created"] * 3
    assert report.lines()[-1].endswith("(dry run: nothing written).")
    assert counts() == before


def test_an_existing_patient_is_matched_by_identifier_not_duplicated(clinic, patient, importer):
    data = clean(bundle(new_patient(nin="17058512311"), nprs(PATIENT_URL)))
    data["entry"].insert(1, {"fullUrl": "urn:uuid:e", "resource": {**new_episode(PATIENT_URL)}})
    data["entry"][1]["resource"].pop("_uuid")
    report = import_bundle(clinic, importer, data, dry_run=False)
    assert report.ok, report.lines()
    assert report.entries[0].outcome == "matched" and report.entries[0].target == f"Patient/{patient.pk}"
    assert "matched" in report.lines()[0] and "existing" in report.lines()[0]
    assert Patient.objects.filter(clinic=clinic).count() == 1
    patient.refresh_from_db()
    assert patient.given_name == "Kari"  # a match is used, not changed
    assert Measurement.objects.get().patient == patient


def test_one_bad_entry_rejects_the_whole_bundle_and_names_the_entry(clinic, importer):
    data = clean(bundle(new_patient(), new_episode(PATIENT_URL), nprs(PATIENT_URL), nprs(PATIENT_URL, unit="mm")))
    before = counts()
    report = import_bundle(clinic, importer, data, dry_run=False, source="bad.json")
    assert not report.ok and not report.written
    assert [e.outcome for e in report.rejected] == ["rejected"]
    bad = report.rejected[0]
    assert bad.label == "entry 4" and "{score}" in bad.reasons[0] and "'mm'" in bad.reasons[0]
    assert any(line.startswith("rejected") and "entry 4" in line for line in report.lines())
    after = counts()
    assert after[:3] == before[:3]  # no patient, episode or measurement
    summary = AuditEvent.objects.get(object_type="fhir_import")
    assert summary.detail["written"] is False and summary.detail["rejected"] == 1
    assert after[3] == before[3] + 1


def test_references_to_missing_or_rejected_records_and_unknown_types_are_rejected(clinic, importer):
    data = clean(
        bundle(
            new_patient(nin="17058512312"),  # wrong check digit
            nprs(PATIENT_URL),  # refers to the rejected patient
            nprs("Patient/3f2504e0-4f89-41d3-9a0c-0305e82c3301"),  # neither in the bundle nor the clinic
            {"resourceType": "Procedure", "status": "completed", "subject": {"reference": PATIENT_URL}},
            nprs(PATIENT_URL, code="9999-9"),
            {"resourceType": "Practitioner", "identifier": [{"system": HPR, "value": "1234567"}], "active": True},
        )
    )
    report = import_bundle(clinic, importer, data, dry_run=True)
    reasons = [" ".join(e.reasons) for e in report.entries]
    assert [e.outcome for e in report.entries] == ["rejected"] * 6
    assert "check digits" in reasons[0]
    assert "entry 1" in reasons[1] and "rejected" in reasons[1]
    assert "neither in this import nor a record of this clinic" in reasons[2]
    assert "'Procedure' is not imported" in reasons[3]
    assert "9999-9" in reasons[4]
    assert "never creates staff accounts" in reasons[5]


def test_a_d_number_is_filed_under_its_own_system(clinic, importer):
    resource = new_patient(nin="57058512305", identifier=[{"system": NORWEGIAN_D_NUMBER_SYSTEM, "value": "57058512305"}])
    report = import_bundle(clinic, importer, clean(bundle(resource)), dry_run=False)
    assert report.ok, report.lines()
    assert Patient.objects.get().identifiers.get().system == NORWEGIAN_D_NUMBER_SYSTEM


def test_not_a_bundle_is_invalid_input(clinic, importer):
    with pytest.raises(InvalidImport, match="not JSON"):
        import_bundle(clinic, importer, "{not json", dry_run=True)
    with pytest.raises(InvalidImport, match="searchset"):
        import_bundle(clinic, importer, {"resourceType": "Bundle", "type": "searchset"}, dry_run=True)
    with pytest.raises(InvalidImport, match="not a FHIR Bundle"):
        import_bundle(clinic, importer, {"resourceType": "Patient"}, dry_run=True)


# --- the command --------------------------------------------------------------------------------


def run(capsys, *args):
    """The command's exit code, output and error; Django's command runner prints a CommandError as its message alone
    (no traceback) and exits with its return code."""
    with pytest.raises(CommandError) as failed:
        call_command("import_fhir", *args)
    out, err = capsys.readouterr()
    return failed.value.returncode, out, str(failed.value)


def run_ok(capsys, *args):
    call_command("import_fhir", *args)
    return capsys.readouterr().out


def test_the_command_imports_a_directory_of_ndjson(tmp_path, capsys, clinic, importer):
    patient = new_patient()
    patient.pop("_uuid")
    patient["id"] = "p1"
    episode = new_episode("Patient/p1")
    episode.pop("_uuid")
    (tmp_path / "Patient.ndjson").write_text(json.dumps(patient) + "\n\n")
    (tmp_path / "EpisodeOfCare.ndjson").write_text(json.dumps(episode) + "\n")
    (tmp_path / "Observation.ndjson").write_text(json.dumps(nprs("Patient/p1")) + "\n")
    out = run_ok(capsys, str(tmp_path), "--clinic", str(clinic.pk), "--user", "importer", "--dry-run")
    assert "dry run: nothing written" in out and "3 created" in out
    assert Patient.objects.count() == 0
    out = run_ok(capsys, str(tmp_path), "--clinic", str(clinic.pk), "--user", "importer")
    assert "3 created, 0 matched, 0 rejected (written)" in out
    assert Measurement.objects.get().patient == Patient.objects.get()


def test_the_command_names_a_malformed_ndjson_line_and_exits_1(tmp_path, capsys, clinic, importer):
    path = tmp_path / "Patient.ndjson"
    good = new_patient()
    good.pop("_uuid")
    path.write_text(json.dumps(good) + "\n{broken\n")
    code, out, err = run(capsys, str(path), "--clinic", str(clinic.pk), "--user", "importer")
    assert code == 1
    assert "Patient.ndjson line 2" in out and "not JSON" in out
    assert "1 of 2 entries rejected" in err
    assert Patient.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not JSON"), ('{"resourceType": "Patient"}', "not a FHIR Bundle"), (b"\xff\xfe", "not UTF-8")],
)
def test_the_command_exits_2_on_a_file_that_is_no_import(tmp_path, capsys, clinic, importer, content, message):
    path = tmp_path / "bundle.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, _out, err = run(capsys, str(path), "--clinic", str(clinic.pk), "--user", "importer")
    assert code == 2 and message in err


def test_the_command_exits_2_on_an_unknown_clinic_user_or_path(tmp_path, capsys, clinic, other_practitioner, importer):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(small_bundle()))
    code, _out, err = run(capsys, str(path), "--clinic", "not-a-uuid", "--user", "importer")
    assert code == 2 and "no clinic" in err
    code, _out, err = run(capsys, str(path), "--clinic", str(clinic.pk), "--user", other_practitioner.username)
    assert code == 2 and "no active staff member" in err
    code, _out, err = run(capsys, str(path), "--clinic", str(clinic.pk))
    assert code == 2 and "--user" in err
    code, _out, err = run(capsys, str(tmp_path / "missing.json"), "--clinic", str(clinic.pk), "--user", "importer")
    assert code == 2 and "no such file" in err
    assert Patient.objects.count() == 0 and not AuditEvent.objects.filter(object_type="fhir_import").exists()


def test_observations_need_a_clinical_role(clinic, front_desk):
    report = import_bundle(clinic, front_desk, small_bundle(), dry_run=True)
    assert [e.outcome for e in report.entries] == ["created", "created", "rejected"]
    assert "may not record clinical measurements" in report.entries[2].reasons[0]


def test_an_observation_entered_in_error_is_imported_retracted_and_the_report_serialises(clinic, importer):
    wrong = nprs(PATIENT_URL, value=9)
    wrong["status"] = "entered-in-error"
    wrong["note"] = [{"text": "Typed in the wrong patient"}]
    data = clean(bundle(new_patient(), new_episode(PATIENT_URL), wrong))
    report = import_bundle(clinic, importer, data, dry_run=False, source="retracted.json")
    assert report.ok, report.lines()
    measurement = Measurement.objects.get()
    assert measurement.retracted_at is not None and measurement.retraction_reason == "Typed in the wrong patient"
    assert measurement_observation(measurement)["status"] == "entered-in-error"
    shown = json.loads(json.dumps(report.as_dict()))
    assert shown["written"] is True and shown["counts"] == {"created": 3, "matched": 0, "rejected": 0}
    assert shown["entries"][2]["target"] == f"Observation/{measurement.pk}"
