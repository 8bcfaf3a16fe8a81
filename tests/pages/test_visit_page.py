"""The visit page (pages.visit, pages/encounter.html and needling's fragments): the clinic's order,
the summary kept in view, consent recorded fresh, the certification told when the visit opens, one
needle count, the parts an HTMX answer sends, and the page's reads."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from needlechart.charting import services as charting
from needlechart.charting.models import Note
from needlechart.charting.services import signed_record_verify
from needlechart.core.db_triggers import immutability_lifted
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.needling import services as needling
from needlechart.needling.models import NeedlingEntry, NeedlingRecord
from needlechart.pages.visit_reads import note_verified, visit_reading
from needlechart.screening import services as screening
from tests.screening.test_intake_pages import healthy_answers

HTMX = {"HTTP_HX_REQUEST": "true"}
RISKS = ["soreness", "bruising_bleeding", "fainting", "pneumothorax"]


@pytest.fixture
def screened(patient, practitioner):
    return screening.intake_record_by_staff(
        actor=practitioner, patient=patient, raw_answers={**healthy_answers(), "able_to_consent": "yes"}
    )


def _page(client, encounter) -> str:
    response = client.get(reverse("encounter_detail", args=[encounter.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _add(practitioner, encounter, muscle="upper_trapezius", side="r", **changes):
    return needling.needling_entry_save(
        actor=practitioner, encounter=encounter, muscle_id=muscle, side=side, **{**needling.default_entry(muscle), **changes}
    )


def _consent(practitioner, encounter, risks=RISKS, witness="Jon Vik"):
    return needling.consent_record(actor=practitioner, encounter=encounter, method="verbal", witness_name=witness, risks_explained=risks)


def _consent_form(body: str) -> str:
    return re.search(r'<form[^>]*data-testid="consent-form".*?</form>', body, re.S).group(0)


def _later_visit(encounter, front_desk, practitioner, days=7):
    return charting.encounter_create(
        actor=front_desk,
        episode=encounter.episode,
        practitioner=practitioner,
        starts_at=encounter.starts_at + dt.timedelta(days=days),
    )


# --- the order of the page and its summary -----------------------------------------------------


def test_the_steps_come_in_the_clinics_order_with_consent_before_the_needles(client_for, practitioner, encounter, screened):
    body = _page(client_for(practitioner), encounter)
    marks = [
        'id="visit-summary"',
        'data-testid="suitability"',
        'id="visit-consent"',
        'id="pain-map"',
        'id="visit-assessment"',
        'id="needling-panel"',
        'id="visit-count"',
        'id="visit-aftercare"',
        'id="adverse-events"',
        'id="visit-problems"',
        'id="visit-note"',
    ]
    places = [body.index(mark) for mark in marks]
    assert places == sorted(places), [mark for mark, _ in sorted(zip(marks, places, strict=True), key=lambda item: item[1])]
    # every step has its heading, in the summary's list of steps too
    assert '<h2 id="consent-title">Consent</h2>' in body and '<h2 id="needling-title">Needling</h2>' in body
    assert '<nav class="visit-steps" aria-label="Steps of the visit">' in body


def test_the_summary_keeps_warnings_needles_and_suitability_in_view(client_for, practitioner, encounter, screened):
    _add(practitioner, encounter, needle_count=2)
    needling.needling_record_update(actor=practitioner, encounter=encounter, needles_out=1)
    body = _page(client_for(practitioner), encounter)
    summary = body[body.index('id="visit-summary"') : body.index("</aside>")]
    assert 'aria-live="polite" data-testid="summary-warnings"' in summary
    assert "pneumothorax" in summary  # upper trapezius lies over the thorax
    assert "2 in" in summary and "1 out" in summary and 'class="danger"' in summary  # a count that does not match
    assert 'data-testid="summary-suitability"' in summary and 'data-testid="summary-consent"' in summary
    assert "Keyboard shortcuts" in summary and "<kbd>?</kbd>" in summary  # the shortcuts are discoverable


def test_a_signed_visit_shows_its_summary_without_forms_or_shortcuts(client_for, practitioner, signed_note):
    body = _page(client_for(practitioner), signed_note.encounter)
    assert 'id="visit-summary"' in body and 'id="shortcut-help"' not in body
    assert 'data-testid="consent-form"' not in body and 'name="needles_out"' not in body
    assert "Integrity verified" in body


# --- (a) consent is recorded fresh --------------------------------------------------------------


def test_consent_is_never_prefilled_from_the_patients_previous_consent(client_for, practitioner, front_desk, encounter, screened):
    _consent(practitioner, encounter, witness="Jon Vik")
    follow_up = _later_visit(encounter, front_desk, practitioner)
    _add(practitioner, follow_up)  # a thorax muscle planned: pneumothorax is needed, and marked, but not ticked
    form = _consent_form(_page(client_for(practitioner), follow_up))
    assert " checked" not in form  # no method, no risk ticked
    assert 'id="consent-witness" name="witness_name" maxlength="200" autocomplete="off" value=""' in form
    assert "Jon Vik" not in form
    assert 'autocomplete="off"' in form.split(">", 1)[0]  # nor by the browser's memory of the form
    assert form.count('<span class="badge warn">needed</span>') == 4  # the three always, and pneumothorax


def test_consent_again_at_the_same_visit_starts_empty_too(client_for, practitioner, encounter, screened):
    _consent(practitioner, encounter, witness="Jon Vik")
    body = _page(client_for(practitioner), encounter)
    assert "Record consent again" in body and " checked" not in _consent_form(body)
    assert "Jon Vik" in body.split('data-testid="consent-form"')[0]  # the consent on record is shown, above


def test_a_witnessed_consent_needs_the_witness_and_the_risks_given_now(client_for, practitioner, front_desk, encounter, screened):
    _consent(practitioner, encounter)
    follow_up = _later_visit(encounter, front_desk, practitioner)
    client = client_for(practitioner)
    response = client.post(reverse("needling_consent", args=[follow_up.pk]), {"method": "verbal"}, **HTMX)
    assert response.status_code == 400 and not follow_up.consents.exists()
    response = client.post(reverse("needling_consent", args=[follow_up.pk]), {"method": "verbal", "risks": RISKS}, **HTMX)
    assert response.status_code == 400 and "witness" in response.content.decode() and not follow_up.consents.exists()


def test_consent_closes_when_done_and_opens_again_when_the_plan_needs_a_risk_it_does_not_name(
    client_for, practitioner, encounter, screened
):
    client = client_for(practitioner)
    _consent(practitioner, encounter, risks=["soreness", "bruising_bleeding", "fainting"])
    body = _page(client, encounter)
    assert '<details class="card step" id="visit-consent" data-shortcut="c" data-testid="consent">' in body  # closed
    _add(practitioner, encounter)  # upper trapezius: over the thorax
    body = _page(client, encounter)
    assert '<details class="card step" id="visit-consent" data-shortcut="c" data-testid="consent" open>' in body
    assert 'data-testid="consent-missing"' in body and "Collapsed lung (pneumothorax)" in body


def test_planning_a_thorax_muscle_tells_before_the_needle_that_the_consent_lacks_its_risk(client_for, practitioner, encounter, screened):
    _consent(practitioner, encounter, risks=["soreness", "bruising_bleeding", "fainting"])
    response = client_for(practitioner).get(
        reverse("needling_entry_defaults", args=[encounter.pk]), {"muscle_id": "upper_trapezius", "side": "r"}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200 and not encounter.needling_entries.exists()
    assert "The consent does not name every risk of the muscles planned: Collapsed lung (pneumothorax)." in body
    assert "does not name every risk" in body.split('id="summary-facts"')[1]  # in the summary, too


# --- (b) the certification is told when the visit opens -----------------------------------------


def test_a_practitioner_without_certification_is_told_when_the_visit_opens(client_for, second_practitioner, front_desk, episode, screened):
    visit = charting.encounter_create(
        actor=front_desk, episode=episode, practitioner=second_practitioner, starts_at=timezone.now().replace(microsecond=0)
    )
    body = _page(client_for(second_practitioner), visit)
    assert not NeedlingEntry.objects.filter(encounter=visit).exists()  # before any needle
    alert = re.search(r'<p class="summary-alert" role="alert" data-testid="certification-warning">(.*?)</p>', body).group(1)
    assert alert == "Needling at this visit cannot be signed: No needling certification is on record."
    assert 'data-testid="needling-certification"' in body  # and beside the needling plan


def test_a_certified_practitioner_sees_no_certification_warning(client_for, practitioner, encounter, screened):
    body = _page(client_for(practitioner), encounter)
    assert "certification-warning" not in body and "needling-certification" not in body


# --- (c) one needle count -----------------------------------------------------------------------


def test_the_visit_page_has_one_needle_count_field(client_for, practitioner, encounter, screened):
    _add(practitioner, encounter)
    body = _page(client_for(practitioner), encounter)
    assert body.count('name="needles_out"') == 1
    assert body.count(">Needles counted out</label>") == 1
    note_form = re.search(r'<form[^>]*id="note-form".*?</form>', body, re.S).group(0)
    assert "needles" not in note_form


def test_the_note_no_longer_takes_a_count_and_signing_reads_the_count_saved(client_for, practitioner, encounter, screened):
    _add(practitioner, encounter)
    _consent(practitioner, encounter)
    client = client_for(practitioner)
    response = client.post(reverse("note_save", args=[encounter.pk]), {"subjective": "Neck 5/10", "needles_out": "1", "sign": "1"})
    assert response.status_code == 400 and b"Count the needles out before signing" in response.content
    assert not NeedlingRecord.objects.filter(encounter=encounter, needles_out__isnull=False).exists()
    saved = client.post(reverse("needling_record", args=[encounter.pk]), {"part": "count", "needles_out": "1"}, **HTMX)
    assert saved.status_code == 200
    response = client.post(reverse("note_save", args=[encounter.pk]), {"subjective": "Neck 5/10", "sign": "1"})
    assert response.status_code == 302 and Note.objects.get(encounter=encounter).is_signed


def test_a_refused_signature_keeps_what_was_typed_as_the_draft(client_for, practitioner, encounter, screened):
    """A gate that refuses the signature (the needles not counted out) writes no signature, but the
    note's text is saved as the draft, so nothing typed is lost if the practitioner leaves the page."""
    _add(practitioner, encounter)
    _consent(practitioner, encounter)
    client = client_for(practitioner)
    response = client.post(reverse("note_save", args=[encounter.pk]), {"subjective": "Neck 6/10 after the session", "sign": "1"})
    assert response.status_code == 400 and b"Count the needles out before signing" in response.content
    assert b"Draft saved. The note is not signed." in response.content
    note = Note.objects.get(encounter=encounter)
    assert note.subjective == "Neck 6/10 after the session" and not note.is_signed


# --- the record's parts: count, aftercare, reasoning ---------------------------------------------


def test_a_count_saved_first_records_the_advice_the_page_shows_ticked(client_for, practitioner, encounter, screened):
    _add(practitioner, encounter)
    client = client_for(practitioner)
    defaults = sorted(a.id for a in treatment_catalog().advice.values() if a.default)
    body = _page(client, encounter)
    aftercare = re.search(r'<form[^>]*id="aftercare-form".*?</form>', body, re.S).group(0)
    assert sorted(re.findall(r'value="(\w+)" id="advice-\w+" checked', aftercare)) == defaults
    client.post(reverse("needling_record", args=[encounter.pk]), {"part": "count", "needles_out": "1"}, **HTMX)
    record = NeedlingRecord.objects.get(encounter=encounter)
    assert record.needles_out == 1 and record.advice_ids == defaults


def test_the_aftercare_part_changes_the_advice_only(client_for, practitioner, encounter, screened):
    _add(practitioner, encounter)
    needling.needling_record_update(actor=practitioner, encounter=encounter, needles_out=1, advice_ids=["soreness_24_48"])
    client = client_for(practitioner)
    response = client.post(reverse("needling_record", args=[encounter.pk]), {"part": "aftercare", "advice": []}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and 'id="visit-aftercare"' in body and 'id="visit-count"' not in body
    record = NeedlingRecord.objects.get(encounter=encounter)
    assert record.needles_out == 1 and record.advice_ids == []
    page = _page(client, encounter)  # none ticked is what is stored, and what the page shows
    assert not re.search(r'id="advice-\w+" checked', page)


def test_an_unknown_part_of_the_record_is_refused(client_for, practitioner, encounter):
    response = client_for(practitioner).post(reverse("needling_record", args=[encounter.pk]), {"part": "count'--"}, **HTMX)
    assert response.status_code == 400 and b"Unknown part of the visit." in response.content


def test_a_mismatched_count_asks_for_the_search_and_its_outcome(client_for, practitioner, encounter, screened):
    _add(practitioner, encounter, needle_count=3)
    client = client_for(practitioner)
    body = client.post(reverse("needling_record", args=[encounter.pk]), {"part": "count", "needles_out": "2"}, **HTMX).content.decode()
    assert 'data-testid="mismatch"' in body and 'name="mismatch_search"' in body
    assert '<details class="card step" id="visit-count" data-shortcut="o" data-testid="count" open' in body
    body = client.post(reverse("needling_record", args=[encounter.pk]), {"part": "count", "needles_out": "3"}, **HTMX).content.decode()
    assert 'data-testid="mismatch"' not in body
    settled = '<details class="card step" id="visit-count" data-shortcut="o" data-testid="count" hx-swap-oob="true">'
    assert settled in body  # settled: closed


# --- what an HTMX answer sends -----------------------------------------------------------------


def _swapped(body: str) -> list[str]:
    return re.findall(r'id="([\w-]+)"[^>]*hx-swap-oob="(?:true|innerHTML)"', body)


def test_each_needling_form_answers_with_the_parts_it_changed(client_for, practitioner, encounter, screened):
    client = client_for(practitioner)
    palpation = client.post(reverse("palpation_save", args=[encounter.pk]), {"muscle_id": "upper_trapezius", "side": "r"}, **HTMX)
    assert _swapped(palpation.content.decode()) == ["visit-assessment"]
    data = {k: str(v) for k, v in needling.default_entry("upper_trapezius").items()} | {"muscle_id": "upper_trapezius", "side": "r"}
    added = client.post(reverse("needling_entry_add", args=[encounter.pk]), data, **HTMX).content.decode()
    # no consent yet: the consent form, perhaps half filled in, is left alone; only what the plan needs of it changes
    needs = ["consent-thorax", *(f"consent-needed-{r.id}" for r in treatment_catalog().current_consent(timezone.localdate()).risks)]
    assert _swapped(added) == ["summary-facts", "summary-warnings", *needs, "needling-panel", "visit-count", "visit-problems"]
    assert '<span id="consent-needed-pneumothorax" hx-swap-oob="true"><span class="badge warn">needed</span></span>' in added
    given = {"method": "verbal", "witness_name": "Jon", "risks": RISKS}
    consent = client.post(reverse("needling_consent", args=[encounter.pk]), given, **HTMX)
    assert _swapped(consent.content.decode()) == ["summary-facts", "summary-warnings", "visit-consent", "needling-panel", "visit-problems"]
    again = client.post(reverse("needling_entry_add", args=[encounter.pk]), data | {"side": "l"}, **HTMX).content.decode()
    assert "visit-consent" in _swapped(again)  # a consent on record is drawn again: the plan may need a risk it lacks
    assert "<html" not in again and 'hx-swap-oob="innerHTML"' in again  # the live region stays; its items change


def test_a_refused_form_shows_its_error_in_its_own_part(client_for, practitioner, encounter):
    response = client_for(practitioner).post(reverse("needling_consent", args=[encounter.pk]), {"method": "verbal"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 400
    consent = body[body.index('id="visit-consent"') :]
    assert 'data-testid="panel-error"' in consent and body.count('data-testid="panel-error"') == 1


def test_choosing_a_muscle_fills_in_its_atlas_defaults(client_for, practitioner, encounter):
    body = (
        client_for(practitioner)
        .get(reverse("needling_entry_defaults", args=[encounter.pk]), {"muscle_id": "semispinalis_capitis", "side": "r"}, **HTMX)
        .content.decode()
    )
    assert 'name="length_mm" value="30"' in body and 'name="depth_mm" value="20"' in body  # shortest usual needle, 2/3 of it
    assert 'data-testid="atlas-note"' in body and "usual needles: 30, 40 mm" in body
    fresh = _page(client_for(practitioner), encounter)
    assert '<option value="">Choose a muscle</option>' in fresh and 'data-testid="atlas-note"' not in fresh


# --- the page's reads ----------------------------------------------------------------------------


@pytest.fixture
def signed_session(practitioner, encounter, screened):
    _add(practitioner, encounter)
    _consent(practitioner, encounter)
    needling.needling_record_update(actor=practitioner, encounter=encounter, needles_out=1, advice_ids=["soreness_24_48"])
    note = charting.note_save_draft(actor=practitioner, encounter=encounter, subjective="Neck 5/10")
    return charting.note_sign(actor=practitioner, note=note)


def test_the_page_verifies_the_note_as_charting_does_from_the_rows_it_read(practitioner, signed_session):
    encounter = signed_session.encounter
    note = Note.objects.get(pk=signed_session.pk)
    assert note_verified(note, visit_reading(user=practitioner, encounter=encounter)) is True
    assert signed_record_verify(Note.objects.get(pk=signed_session.pk)) is True
    with immutability_lifted(connection):
        NeedlingEntry.objects.filter(encounter=encounter).update(depth_mm=24)  # altered behind the guards
    note = Note.objects.get(pk=signed_session.pk)
    assert note_verified(note, visit_reading(user=practitioner, encounter=encounter)) is False
    assert signed_record_verify(Note.objects.get(pk=signed_session.pk)) is False


def test_an_altered_signed_visit_says_so_on_its_page(client_for, practitioner, signed_session):
    with immutability_lifted(connection):
        NeedlingRecord.objects.filter(encounter=signed_session.encounter).update(needles_out=0)
    body = _page(client_for(practitioner), signed_session.encounter)
    assert "Integrity check failed" in body


def test_a_signed_visit_is_read_once(client_for, practitioner, signed_session, django_assert_max_num_queries):
    client = client_for(practitioner)
    _page(client, signed_session.encounter)  # the session and the caches warm
    # 48 when the note's verification read the needling rows, the screening, the practitioner's
    # certification and the pain map again, and the consent form looked up the previous consent.
    with django_assert_max_num_queries(33):
        _page(client, signed_session.encounter)
