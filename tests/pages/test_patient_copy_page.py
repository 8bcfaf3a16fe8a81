"""The chart's "Patient's copy": the button for who may disclose records, the confirmation page,
the ZIP of this patient alone, and the request and the delivery audited as separate rows."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from needlechart.audit.models import AuditAction, AuditEvent, AuditObject
from needlechart.charting import services as charting
from needlechart.clinics.models import Approval
from needlechart.patients import services as patients
from tests.outcomes.conftest import sign


@pytest.fixture
def neighbour(front_desk, practitioner):
    """A second patient of the clinic, with a signed note of their own."""
    other = patients.patient_create(
        actor=front_desk, data={"given_name": "Ragnhild", "family_name": "Andersdatter", "birth_date": dt.date(1970, 2, 3)}
    )
    episode = patients.episode_create(
        actor=front_desk, patient=other, complaint="Low back", condition="low_back", started_on=timezone.localdate()
    )
    encounter = charting.encounter_create(actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now())
    return other, sign(practitioner, encounter, "The neighbour's own words")


def _copy_rows(patient_id) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=AuditObject.PATIENT_COPY, patient_id=patient_id).order_by("seq"))


def test_the_chart_offers_the_copy_only_to_roles_that_may_disclose_records(client, patient, practitioner, front_desk, clinic_admin):
    link = f'href="{reverse("patient_copy", args=[patient.pk])}"'
    for user, shown in ((practitioner, True), (front_desk, False), (clinic_admin, False)):
        client.force_login(user)
        page = client.get(reverse("patient_chart", args=[patient.pk])).content.decode()
        assert (link in page) is shown, user.role
        assert client.get(reverse("patient_copy", args=[patient.pk])).status_code == (200 if shown else 403), user.role


def test_the_download_is_this_patients_copy_with_the_request_and_the_delivery_audited(
    client, practitioner, patient, signed_note, neighbour
):
    other, other_note = neighbour
    client.force_login(practitioner)
    url = reverse("patient_copy", args=[patient.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="requester"' in page.content.decode() and "Patient's copy" in page.content.decode()
    response = client.post(url, {"requester": "letter", "note": "Letter of 2 December"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="patient-copy-')
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(files["record.pdf"])).pages)
    assert "Nordmann" in text and "Taut band upper trapezius" in text
    for part in (text, files["record.json"].decode(), files["README.txt"].decode()):
        assert "Andersdatter" not in part and "neighbour's own words" not in part and str(other.pk) not in part
    requested, delivered = _copy_rows(patient.pk)
    assert (requested.action, delivered.action) == (AuditAction.EXPORT, AuditAction.DOWNLOAD)
    assert requested.object_id == delivered.object_id and requested.actor_id == delivered.actor_id == practitioner.pk
    assert requested.detail["requested_by"] == "letter" and requested.detail["note"] == "Letter of 2 December"
    assert delivered.detail["bytes"] == len(response.content)
    assert AuditEvent.objects.filter(patient_id=patient.pk, object_type="patient", detail__page="patient_copy").count() == 1
    assert _copy_rows(other.pk) == []


@pytest.mark.parametrize(
    "data",
    [{}, {"requester": "api"}, {"requester": "someone"}, {"requester": "in_person", "note": "x" * 501}],
    ids=["nobody", "api", "unknown", "long-note"],
)
def test_a_request_with_a_wrong_answer_is_shown_again_and_writes_nothing(client, practitioner, patient, data):
    client.force_login(practitioner)
    before = AuditEvent.objects.count()
    response = client.post(reverse("patient_copy", args=[patient.pk]), data)
    assert response.status_code == 400 and 'class="field-error"' in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_refused_roles_and_other_methods_get_no_copy(client, patient, front_desk, clinic_admin, practitioner):
    url = reverse("patient_copy", args=[patient.pk])
    for user in (front_desk, clinic_admin):
        client.force_login(user)
        assert client.post(url, {"requester": "in_person"}).status_code == 403
    type(practitioner).objects.filter(pk=practitioner.pk).update(approval=Approval.PENDING)
    client.force_login(practitioner)
    assert client.post(url, {"requester": "in_person"}).status_code == 403
    assert _copy_rows(patient.pk) == []
    type(practitioner).objects.filter(pk=practitioner.pk).update(approval=Approval.APPROVED)
    assert client.put(url).status_code == 405


def test_the_copy_page_is_norwegian_for_a_norwegian_session(client, practitioner, patient, settings):
    client.force_login(practitioner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nb"
    try:
        page = client.get(reverse("patient_copy", args=[patient.pk])).content.decode()
    finally:
        translation.deactivate()  # the locale middleware leaves nb active in this thread
    assert "Pasientens kopi" in page and "Hvem som ba om kopien" in page
