"""No patient data ever reaches a public page: patients with names no page could hold by chance,
with visits, notes and intake answers, are looked for on every public page, in both languages, and
the public pages' queries are shown never to read a patient's table."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from needlechart.charting import services as charting
from needlechart.patients import services as patients
from needlechart.screening import services as screening
from needlechart.screening.models import IntakeLink, IntakeResponse
from tests.public.conftest import ALL_PAGES, PATIENT_NAMES, SLUG, page_url
from tests.screening.test_intake_pages import healthy_answers

# The apps whose tables hold patients' data (the staff directory and rule settings are read, not these).
PATIENT_APPS = ("patients", "charting", "needling", "homecare", "outcomes", "documents", "analytics", "scheduling")


@pytest.fixture
def clinical_records(distinctive_patients, front_desk, practitioner):
    """Each patient with an episode, a visit with a note, and an intake on record."""
    for patient in distinctive_patients:
        episode = patients.episode_create(
            actor=front_desk, patient=patient, complaint="Xylophonist's elbow", condition="neck", started_on=timezone.localdate()
        )
        encounter = charting.encounter_create(actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now())
        charting.note_save_draft(
            actor=practitioner, encounter=encounter, subjective="Quasar pain", objective="", assessment="", plan="Needle the quasar"
        )
        screening.intake_record_by_staff(
            actor=practitioner,
            patient=patient,
            raw_answers={**healthy_answers(), "main_complaint": "Quasar pain in the zygoma"},
        )
    return distinctive_patients


def _every_public_response(client):
    for page, language in ALL_PAGES:
        yield client.get(page_url(page, language))
    yield client.get(f"/c/{SLUG}/", follow=True)
    yield client.get(reverse("sitemap"))
    yield client.get(reverse("robots_txt"))


def test_no_patient_name_or_detail_appears_on_any_public_page(client, public_profile, clinical_records):
    given, family = PATIENT_NAMES[0]
    assert client.get(reverse("patient_list"), {"q": family}).status_code == 302  # the record exists; strangers are sent to sign in
    wanted = [word for names in PATIENT_NAMES for word in names] + ["Xylophonist", "Quasar", "quasar", "4123 987", "patients.invalid"]
    wanted += [dt.date(1971, 3, 9).strftime(form) for form in ("%Y-%m-%d", "%d.%m.%Y")]
    checked = 0
    for response in _every_public_response(client):
        assert response.status_code == 200
        body = response.content.decode()
        leaked = [word for word in wanted if word.lower() in body.lower()]
        assert not leaked, f"{response.request['PATH_INFO']} shows {leaked}"
        checked += 1
    assert checked == len(ALL_PAGES) + 3


def test_the_public_pages_never_read_a_patients_table(client, public_profile, clinical_records):
    tables = [model._meta.db_table for model in apps.get_models() if model._meta.app_label in PATIENT_APPS]
    tables += [IntakeResponse._meta.db_table, IntakeLink._meta.db_table]
    assert "patients_patient" in tables
    with CaptureQueriesContext(connection) as queries:
        for response in _every_public_response(client):
            assert response.status_code == 200
    read = [query["sql"] for query in queries if any(f'"{table}"' in query["sql"] for table in tables)]
    assert not read, read[:3]
    assert queries, "the pages did read the clinic's own rows"
