"""``interop.patient_copy_archive``: the patient's copy as one ZIP (record.pdf, record.json, README.txt),
in the patient's language, with the request and the delivery audited, and nothing of another patient."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader

from needlechart.audit.models import AuditAction, AuditEvent, AuditObject
from needlechart.charting import services as charting
from needlechart.charting.models import Note
from needlechart.core.db_triggers import IMMUTABLE_TABLES, immutability_lifted
from needlechart.interop.patient_copy_archive import Requester, disclose_copy, patient_copy_archive
from needlechart.needling.models import NeedlingEntry
from needlechart.patients import services as patients
from needlechart.patients.models import Patient
from tests.interop.conftest import full_visit  # noqa: F401 - the shared fixture
from tests.outcomes.conftest import sign


def _opened(content: bytes) -> tuple[dict[str, bytes], str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(files["record.pdf"])).pages)
    return files, " ".join(text.split())


def _set_language(patient: Patient, language: str) -> Patient:
    Patient.objects.filter(pk=patient.pk).update(preferred_language=language)
    patient.refresh_from_db()
    return patient


@pytest.fixture
def stranger(front_desk, practitioner):
    """Another patient of the same clinic with a signed note of their own."""
    other = patients.patient_create(
        actor=front_desk, data={"given_name": "Ragnhild", "family_name": "Andersdatter", "birth_date": dt.date(1970, 2, 3)}
    )
    episode = patients.episode_create(
        actor=front_desk, patient=other, complaint="Back pain on stairs", condition="low_back", started_on=timezone.localdate()
    )
    encounter = charting.encounter_create(actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now())
    return other, sign(practitioner, encounter, "Stranger's own words")


def test_the_copy_holds_the_whole_record_as_pdf_and_fhir_and_nothing_of_another_patient(full_visit, practitioner, stranger):  # noqa: F811
    patient = _set_language(full_visit.patient, "en")
    other, other_note = stranger
    note = Note.objects.get(encounter=full_visit)
    addendum = charting.addendum_sign(
        actor=practitioner, addendum=charting.addendum_create(actor=practitioner, note=note, reason="Side corrected", text="Left side.")
    )
    files, text = _opened(disclose_copy(actor=practitioner, patient=patient, requester=Requester.PATIENT_IN_PERSON).content)
    assert sorted(files) == ["README.txt", "record.json", "record.pdf"]
    bundle = json.loads(files["record.json"])
    Bundle.model_validate(bundle)
    assert any(e["resource"]["resourceType"] == "Patient" and e["resource"]["id"] == str(patient.pk) for e in bundle["entry"])
    for part in (files["record.json"].decode(), text, files["README.txt"].decode()):
        assert str(other.pk) not in part and "Andersdatter" not in part and "Stranger's own words" not in part
        assert other_note.digest not in part.replace(" ", "")
    assert "Copy of the patient's record" in text and "Kari Nordmann" in text and "17058512311" in text
    digests = text.replace(" ", "")
    assert note.digest in digests and addendum.digest in digests
    assert text.count("Verified: unchanged since it was signed.") == 2 and "Left side." in text
    assert "NPRS" in text and "Small bruise over the trapezius." in text and "Bruising" in text
    assert "Who has opened the record" in text and "patient's copy of the record" in text  # the request row itself
    readme = files["README.txt"].decode()
    assert "record.pdf" in readme and "record.json" in readme and "FHIR" in readme and "&#39;" not in readme


def test_the_copy_is_in_the_patients_language(full_visit, practitioner):  # noqa: F811
    patient = _set_language(full_visit.patient, "nb")
    files, text = _opened(patient_copy_archive(actor=practitioner, patient=patient))
    assert "Kopi av pasientens journal" in text and "Copy of the patient's record" not in text
    assert "Verifisert: uendret siden den ble signert." in text
    assert "Kopi av pasientens journal" in files["README.txt"].decode()
    assert json.loads(files["record.json"])["type"] == "collection"


def test_a_record_changed_after_signing_is_shown_as_not_verified(full_visit, practitioner):  # noqa: F811
    patient = _set_language(full_visit.patient, "en")
    table = "needling_needlingentry"
    with immutability_lifted(connection, {table: IMMUTABLE_TABLES[table]}):  # someone with raw database access
        NeedlingEntry.objects.filter(encounter=full_visit, muscle_id="upper_trapezius").update(depth_mm=99)
    _files, text = _opened(patient_copy_archive(actor=practitioner, patient=patient))
    assert "Not verified: the record no longer matches what was signed." in text
    assert "Verified: unchanged" not in text


def test_the_request_and_the_delivery_are_two_audit_rows_of_one_copy(signed_note, practitioner, patient):
    copy = disclose_copy(actor=practitioner, patient=patient, requester=Requester.REPRESENTATIVE, note="  Letter from her lawyer  ")
    rows = list(AuditEvent.objects.filter(object_type=AuditObject.PATIENT_COPY).order_by("seq"))
    assert [(r.action, r.patient_id, r.object_id) for r in rows] == [
        (AuditAction.EXPORT, patient.pk, copy.copy_id),
        (AuditAction.DOWNLOAD, patient.pk, copy.copy_id),
    ]
    assert rows[0].detail == {"disclosure": "requested", "form": "zip", "requested_by": "representative", "note": "Letter from her lawyer"}
    assert rows[1].detail == {"disclosure": "delivered", "sha256": hashlib.sha256(copy.content).hexdigest(), "bytes": len(copy.content)}
    assert copy.filename.endswith(".zip")


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_roles_that_may_not_disclose_records_get_no_copy_and_no_audit_row(request, patient, role):
    with pytest.raises(PermissionDenied):
        disclose_copy(actor=request.getfixturevalue(role), patient=patient, requester=Requester.PATIENT_IN_PERSON)
    with pytest.raises(PermissionDenied):
        patient_copy_archive(actor=request.getfixturevalue(role), patient=patient)
    assert not AuditEvent.objects.filter(object_type=AuditObject.PATIENT_COPY).exists()
