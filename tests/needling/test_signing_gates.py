"""Each signing gate refuses with a clear message; a complete session signs and is frozen."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from needlechart.charting import services as charting
from needlechart.clinics.models import Certification
from needlechart.needling import services
from needlechart.needling.models import NeedlingEntry
from needlechart.screening import services as screening
from tests.screening.test_intake_pages import healthy_answers


def _sign(practitioner, encounter):
    note = charting.note_save_draft(actor=practitioner, encounter=encounter, subjective="Neck and hip pain")
    return charting.note_sign(actor=practitioner, note=note)


def _refusal(practitioner, encounter) -> str:
    with pytest.raises(ValidationError) as error:
        _sign(practitioner, encounter)
    return " ".join(error.value.messages)


def test_a_complete_session_signs_with_everything_in_the_canonical_form(practitioner, ready_session):
    note = _sign(practitioner, ready_session)
    content = json.loads(note.canonical)
    assert [e["muscle"] for e in content["needling"]["needling"]] == ["upper_trapezius", "gluteus_medius"]
    assert content["needling"]["needle_count"] == {"in": 3, "out": 3, "search": "", "outcome": ""}
    assert content["needling"]["consent"]["method"] == "verbal"
    assert content["judgements"]["certified"] is True and "pneumothorax_signs" in content["judgements"]["safety_netting"]
    assert charting.signed_record_verify(charting.Note.objects.get(pk=note.pk))


def test_an_absolute_contraindication_refuses_signing(practitioner, patient, ready_session):
    screening.intake_record_by_staff(
        actor=practitioner, patient=patient, raw_answers={**healthy_answers(), "needle_fear": "severe", "able_to_consent": "yes"}
    )
    assert "needle" in _refusal(practitioner, ready_session).lower()


def test_a_relative_contraindication_needs_written_reasoning(practitioner, patient, ready_session):
    screening.intake_record_by_staff(
        actor=practitioner, patient=patient, raw_answers={**healthy_answers(), "medications": ["warfarin"], "able_to_consent": "yes"}
    )
    assert "write your reasoning" in _refusal(practitioner, ready_session)
    services.needling_record_update(
        actor=practitioner, encounter=ready_session, relative_reasoning="INR stable at 2.3; superficial muscles only, firm pressure after."
    )
    assert _sign(practitioner, ready_session).is_signed


def test_a_needle_mismatch_refuses_until_the_search_is_documented(practitioner, ready_session):
    services.needling_record_update(actor=practitioner, encounter=ready_session, needles_out=2)
    assert "3 needles went in but 2 came out" in _refusal(practitioner, ready_session)
    services.needling_record_update(
        actor=practitioner, encounter=ready_session, mismatch_search="Searched couch, floor, gown and skin.", mismatch_outcome="found"
    )
    assert _sign(practitioner, ready_session).is_signed


@pytest.mark.parametrize("expires", [-1, None], ids=["expired", "missing"])
def test_an_expired_or_missing_certification_refuses_signing(practitioner, ready_session, expires):
    if expires is None:
        Certification.objects.filter(profile__user=practitioner).delete()
        fragment = "No needling certification"
    else:
        Certification.objects.filter(profile__user=practitioner).update(
            completed_on=timezone.localdate() - dt.timedelta(days=400), expires_on=timezone.localdate() + dt.timedelta(days=expires)
        )
        fragment = "expired"
    message = _refusal(practitioner, ready_session)
    assert "needling certification valid today" in message and fragment in message


def test_consent_must_name_pneumothorax_when_thorax_muscles_are_planned(practitioner, ready_session):
    services.consent_record(
        actor=practitioner,
        encounter=ready_session,
        method="verbal",
        witness_name="Jon Vik",
        risks_explained=["soreness", "bruising_bleeding", "fainting"],
    )
    assert "pneumothorax" in _refusal(practitioner, ready_session)


def test_a_missing_intake_refuses_signing(practitioner, encounter, patient):
    services.needling_entry_save(
        actor=practitioner, encounter=encounter, muscle_id="gluteus_medius", side="l", **services.default_entry("gluteus_medius")
    )
    assert "no intake" in _refusal(practitioner, encounter)


def test_notes_without_needling_sign_as_before(signed_note):
    assert signed_note.is_signed


def test_after_signing_the_session_is_frozen_in_the_app_and_the_database(practitioner, ready_session):
    _sign(practitioner, ready_session)
    with pytest.raises(ValidationError, match="signed"):
        services.needling_entry_save(
            actor=practitioner, encounter=ready_session, muscle_id="deltoid", side="r", **services.default_entry("deltoid")
        )
    with pytest.raises(ValidationError, match="signed"):
        services.needling_record_update(actor=practitioner, encounter=ready_session, needles_out=1)
    entry = NeedlingEntry.objects.filter(encounter=ready_session).first()
    entry_id = entry.pk.hex if connection.vendor == "sqlite" else str(entry.pk)
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE needling_needlingentry SET needle_count = 9 WHERE id = %s", [entry_id])


def test_repeat_last_session_copies_the_needling_but_not_the_count_or_consent(practitioner, front_desk, ready_session, episode):
    _sign(practitioner, ready_session)
    follow_up = charting.encounter_create(
        actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now() + dt.timedelta(days=7)
    )
    assert services.repeat_last_session(actor=practitioner, encounter=follow_up) == 2
    copied = list(follow_up.needling_entries.order_by("position").values_list("muscle_id", "side", "needle_count"))
    assert copied == [("upper_trapezius", "r", 1), ("gluteus_medius", "l", 2)]
    assert follow_up.needling_record.needles_out is None and not follow_up.consents.exists()


def test_repeat_without_an_earlier_session_says_so(practitioner, encounter):
    with pytest.raises(ValidationError, match="no earlier signed needling session"):
        services.repeat_last_session(actor=practitioner, encounter=encounter)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"muscle_id": "not_a_muscle"}, "Unknown muscle"),
        ({"side": "x"}, "left or right"),
        ({"estim": True}, "frequency, pulse width"),
        ({"depth_mm": 60, "length_mm": 30}, "cannot exceed"),
        ({"needle_count": 0}, "greater than or equal to 1"),
    ],
)
def test_bad_needling_entries_are_refused(practitioner, encounter, changes, message):
    fields = {**services.default_entry("gluteus_medius"), "muscle_id": "gluteus_medius", "side": "r", **changes}
    with pytest.raises(ValidationError, match=message):
        services.needling_entry_save(actor=practitioner, encounter=encounter, **fields)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "written", "signature_svg_path": ""}, "signature"),
        ({"method": "written", "signature_svg_path": "<script>"}, "signature"),
        ({"method": "verbal", "witness_name": " "}, "witness"),
        ({"method": "telepathy"}, "written or verbal"),
        ({"method": "verbal", "witness_name": "A", "risks_explained": ["made_up"]}, "risks"),
    ],
)
def test_bad_consent_is_refused(practitioner, encounter, kwargs, message):
    args = {"risks_explained": ["soreness"], "witness_name": "", "signature_svg_path": "", **kwargs}
    with pytest.raises(ValidationError, match=message):
        services.consent_record(actor=practitioner, encounter=encounter, **args)


def test_the_encounter_page_shows_warnings_and_the_signing_checklist(client_for, practitioner, encounter, screened):
    client = client_for(practitioner)
    url = reverse("needling_entry_add", args=[encounter.pk])
    data = {
        "muscle_id": "upper_trapezius",
        "side": "r",
        "gauge_mm": "0.25",
        "length_mm": "30",
        "needle_count": "2",
        "technique": "pistoning",
        "depth_mm": "15",
        "direction": "",
        "twitch_responses": "1",
        "dwell_seconds": "20",
        "tolerance": "good",
    }
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "pneumothorax" in body and 'data-testid="signing-problems"' in body
    bad = client.post(url, {**data, "needle_count": "many"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and 'data-testid="panel-error"' in bad.content.decode()
    page = client.get(reverse("encounter_detail", args=[encounter.pk])).content.decode()
    assert 'data-testid="needling-panel"' in page and 'data-testid="suitability"' in page


class PropertySessionTests(TestCase):
    """Property-based: whatever counts are entered, signing succeeds exactly when they reconcile."""

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(counts=st.lists(st.integers(1, 6), min_size=1, max_size=4), out_delta=st.integers(-3, 3))
    def test_signing_depends_on_the_needle_count(self, counts, out_delta):
        from needlechart.charting import services as ch
        from needlechart.clinics import services as cl
        from needlechart.patients import services as pt
        from tests.conftest import make_staff

        clinic = cl.clinic_create(actor=None, name="Property clinic")
        practitioner = make_staff(clinic, f"p{len(counts)}{out_delta + 3}", "practitioner", discipline="physiotherapist")
        today = timezone.localdate()
        cl.certification_add(
            actor=practitioner,
            profile=practitioner.practitioner_profile,
            kind="ims",
            course="c",
            issuer="i",
            completed_on=today - dt.timedelta(days=1),
        )
        patient = pt.patient_create(actor=practitioner, data={"given_name": "P", "family_name": "Q", "birth_date": dt.date(1980, 1, 1)})
        screening.intake_record_by_staff(actor=practitioner, patient=patient, raw_answers={**healthy_answers(), "able_to_consent": "yes"})
        episode = pt.episode_create(actor=practitioner, patient=patient, complaint="c", condition="other", started_on=today)
        encounter = ch.encounter_create(actor=practitioner, episode=episode, practitioner=practitioner, starts_at=timezone.now())
        for count in counts:
            services.needling_entry_save(
                actor=practitioner,
                encounter=encounter,
                muscle_id="gluteus_medius",
                side="l",
                **{**services.default_entry("gluteus_medius"), "needle_count": count},
            )
        out = max(0, sum(counts) + out_delta)
        services.needling_record_update(actor=practitioner, encounter=encounter, needles_out=out)
        services.consent_record(
            actor=practitioner,
            encounter=encounter,
            method="verbal",
            witness_name="W",
            risks_explained=["soreness", "bruising_bleeding", "fainting"],
        )
        note = ch.note_save_draft(actor=practitioner, encounter=encounter, subjective="s")
        if out == sum(counts):
            self.assertTrue(ch.note_sign(actor=practitioner, note=note).is_signed)
        else:
            with self.assertRaises(ValidationError):
                ch.note_sign(actor=practitioner, note=note)


def test_adverse_events_are_recorded_even_after_signing(client_for, practitioner, ready_session):
    _sign(practitioner, ready_session)
    client = client_for(practitioner)
    data = {
        "event_type": "syncope",
        "severity": "significant",
        "onset": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "description": "Felt faint after needling",
        "action_taken": "Lay down, legs raised",
        "outcome": "resolved",
    }
    response = client.post(reverse("adverse_event_save", args=[ready_session.pk]), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Felt faint" in response.content.decode()
    bad = client.post(
        reverse("adverse_event_save", args=[ready_session.pk]), {**data, "event_type": "alien_abduction"}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 400
    future = client.post(
        reverse("adverse_event_save", args=[ready_session.pk]), {**data, "onset": "2099-01-01T10:00"}, HTTP_HX_REQUEST="true"
    )
    assert future.status_code == 400 and "onset" in future.content.decode().lower()


def test_range_of_motion_shows_the_normal_value_and_rejects_wrong_sides(practitioner, encounter, client_for):
    services.range_of_motion_record(
        actor=practitioner, encounter=encounter, joint="cervical_spine", movement="rotation", side="l", degrees=45
    )
    with pytest.raises(ValidationError, match="side"):
        services.range_of_motion_record(
            actor=practitioner, encounter=encounter, joint="cervical_spine", movement="rotation", side="", degrees=45
        )
    with pytest.raises(ValidationError, match="Unknown joint"):
        services.range_of_motion_record(actor=practitioner, encounter=encounter, joint="tail", movement="wag", side="", degrees=45)
    body = client_for(practitioner).get(reverse("encounter_detail", args=[encounter.pk])).content.decode()
    assert "45°" in body and "(75%)" in body


def test_pressure_pain_threshold_is_the_mean_of_the_trials(practitioner, encounter):
    ppt = services.pressure_pain_record(
        actor=practitioner, encounter=encounter, muscle_id="upper_trapezius", side="r", trials_kpa=[250, 270, 260]
    )
    assert ppt.mean_kpa == 260.0
    with pytest.raises(ValidationError):
        services.pressure_pain_record(actor=practitioner, encounter=encounter, muscle_id="upper_trapezius", side="r", trials_kpa=[0, 5000])


def test_choosing_a_muscle_previews_its_warnings_before_it_is_added(client_for, practitioner, encounter, screened):
    response = client_for(practitioner).get(
        reverse("needling_entry_defaults", args=[encounter.pk]), {"muscle_id": "rhomboids", "side": "l"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200 and "pneumothorax" in body and 'value="rhomboids" selected' in body
    assert not encounter.needling_entries.exists()


def test_significant_adverse_events_are_highlighted_on_the_chart(client_for, practitioner, ready_session):
    services.adverse_event_record(
        actor=practitioner, encounter=ready_session, event_type="pneumothorax", severity="serious", onset=timezone.now()
    )
    body = client_for(practitioner).get(reverse("patient_chart", args=[ready_session.patient_id])).content.decode()
    assert 'data-testid="serious-events"' in body and "Pneumothorax" in body


def test_a_needle_count_that_is_not_a_number_is_refused_where_it_is_counted(client_for, practitioner, ready_session):
    # The visit page has one count field (the count's own form); the note's form carries none.
    response = client_for(practitioner).post(
        reverse("needling_record", args=[ready_session.pk]), {"part": "count", "needles_out": "lots"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400 and b"Needles counted out: Enter a whole number." in response.content
    ready_session.needling_record.refresh_from_db()
    assert ready_session.needling_record.needles_out == 3
