"""Every view as anonymous, wrong role, other clinic's staff, and permitted.

Anonymous users are sent to the login page; a role without the capability gets 403; an
object of another clinic answers 404 exactly like a missing one; the permitted role gets
through (200, or a redirect after a successful POST).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from needlechart.charting import services as charting
from needlechart.clinics import services as clinics
from needlechart.needling import services as needling
from needlechart.outcomes import services as outcomes
from needlechart.outcomes.models import Alert
from tests.conftest import every_case

ALL_STAFF = ("practitioner", "front_desk", "clinic_admin")
CLINIC_QUESTIONNAIRE = """\
id: sleep_quality
name: {en: Sleep quality, nb: Søvnkvalitet}
abbreviation: SQ
description: {en: How well the patient slept., nb: Hvor godt pasienten sov.}
unit: {en: points (0-10), nb: poeng (0-10)}
better: higher
score_min: 0
score_max: 10
scoring: single
items:
  - id: sleep
    text: {en: "How well did you sleep last week?", nb: "Hvor godt sov du forrige uke?"}
    min: 0
    max: 10
    step: 1
    anchors: {0: {en: Not at all, nb: Ikke i det hele tatt}, 10: {en: Very well, nb: Svært godt}}
respondent: patient
licence: clinic
licence_note: {en: Licensed to Test Clinic until 2030., nb: Lisensiert til Test Clinic til 2030.}
sources:
  definition: "Example A. A sleep quality question: development. J Example Sleep 2019;1:1-9."
"""


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: Any  # callable(objects) -> str
    permitted: tuple[str, ...]
    data: Any = None  # callable(objects) -> dict
    other_clinic_persona: str = "other_practitioner"
    object_scoped: bool = True


@pytest.fixture
def objects(practitioner, front_desk, clinic_admin, patient, episode, encounter, signed_note, other_practitioner, other_admin):
    draft_addendum = charting.addendum_create(actor=practitioner, note=signed_note, reason="r", text="t")
    cert = clinics.certification_add(
        actor=practitioner,
        profile=practitioner.practitioner_profile,
        kind="ims",
        course="c",
        issuer="i",
        completed_on=timezone.localdate(),
        evidence=SimpleUploadedFile("e.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
    )
    open_encounter = charting.encounter_create(actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now())
    entry = needling.needling_entry_save(
        actor=practitioner, encounter=open_encounter, muscle_id="gluteus_medius", side="r", **needling.default_entry("gluteus_medius")
    )
    measurement = outcomes.measurement_record(actor=practitioner, encounter=encounter, instrument_id="nprs", raw_answers={"pain": "6"})
    link, url = outcomes.follow_up_link_create(actor=practitioner, encounter=encounter, base_url="http://testserver", send_email=False)
    activities = {f"psfs.activity_{n}_name": f"Activity {n}" for n in range(3)} | {f"psfs.activity_{n}": "5" for n in range(3)}
    answers = {"soreness": "8", "nprs.pain": "4", "groc.change": "2", **activities}
    outcomes.follow_up_submit(link_id=link.pk, secret=url.rstrip("/").rsplit("/", 1)[1], raw=answers, language="en")
    return {
        "measurement": measurement,
        "alert": Alert.objects.get(),
        "clinic_instrument": outcomes.clinic_instrument_add(actor=clinic_admin, definition=CLINIC_QUESTIONNAIRE),
        "open_encounter": open_encounter,
        "entry": entry,
        "practitioner": practitioner,
        "front_desk": front_desk,
        "clinic_admin": clinic_admin,
        "patient": patient,
        "episode": episode,
        "encounter": encounter,
        "note": signed_note,
        "addendum": draft_addendum,
        "cert": cert,
        "other_practitioner": other_practitioner,
        "other_admin": other_admin,
    }


CASES = [
    Case("today", "get", lambda o: reverse("today"), ALL_STAFF, object_scoped=False),
    Case("patient_list", "get", lambda o: reverse("patient_list") + "?q=nord", ALL_STAFF, object_scoped=False),
    Case("patient_create", "get", lambda o: reverse("patient_create"), ALL_STAFF, object_scoped=False),
    Case("patient_chart", "get", lambda o: reverse("patient_chart", args=[o["patient"].pk]), ALL_STAFF),
    Case("patient_edit", "get", lambda o: reverse("patient_edit", args=[o["patient"].pk]), ALL_STAFF),
    Case(
        "episode_create",
        "post",
        lambda o: reverse("episode_create", args=[o["patient"].pk]),
        ALL_STAFF,
        data=lambda o: {"complaint": "Back", "condition": "low_back", "started_on": "2026-01-02"},
    ),
    Case(
        "episode_close",
        "post",
        lambda o: reverse("episode_close", args=[o["episode"].pk]),
        ALL_STAFF,
        data=lambda o: {"ended_on": timezone.localdate().isoformat()},
    ),
    Case("episode_visits", "get", lambda o: reverse("episode_visits", args=[o["episode"].pk]), ALL_STAFF),
    Case("encounter_create", "get", lambda o: reverse("encounter_create", args=[o["episode"].pk]), ALL_STAFF),
    Case(
        "encounter_status",
        "post",
        lambda o: reverse("encounter_status", args=[o["encounter"].pk]),
        ALL_STAFF,
        data=lambda o: {"status": "arrived"},
    ),
    Case("encounter_detail", "get", lambda o: reverse("encounter_detail", args=[o["encounter"].pk]), ("practitioner",)),
    Case(
        "note_save",
        "post",
        lambda o: reverse("note_save", args=[o["open_encounter"].pk]),
        ("practitioner",),
        data=lambda o: {"subjective": "x"},
    ),
    Case(
        "pain_map_update",
        "post",
        lambda o: reverse("pain_map_update", args=[o["open_encounter"].pk]),
        ("practitioner",),
        data=lambda o: {"region": "temple_r", "intensity": "4", "quality": "aching"},
    ),
    Case("intake_staff", "get", lambda o: reverse("intake_staff", args=[o["patient"].pk]), ALL_STAFF),
    Case("intake_link_create", "post", lambda o: reverse("intake_link_create", args=[o["patient"].pk]), ALL_STAFF),
    Case("screening_detail", "get", lambda o: reverse("screening_detail", args=[o["patient"].pk]), ("practitioner",)),
    Case("rule_settings", "get", lambda o: reverse("rule_settings"), ("clinic_admin",), object_scoped=False),
    Case(
        "palpation_save",
        "post",
        lambda o: reverse("palpation_save", args=[o["open_encounter"].pk]),
        ("practitioner",),
        data=lambda o: {"muscle_id": "gluteus_medius", "side": "r", "taut_band": "on", "tender_spot": "on"},
    ),
    Case(
        "needling_entry_add",
        "post",
        lambda o: reverse("needling_entry_add", args=[o["open_encounter"].pk]),
        ("practitioner",),
        data=lambda o: {
            "muscle_id": "gluteus_medius",
            "side": "l",
            "gauge_mm": "0.25",
            "length_mm": "50",
            "needle_count": "1",
            "technique": "pistoning",
            "depth_mm": "30",
            "twitch_responses": "0",
            "dwell_seconds": "30",
            "tolerance": "good",
        },
    ),
    Case(
        "needling_entry_defaults",
        "get",
        lambda o: reverse("needling_entry_defaults", args=[o["open_encounter"].pk]) + "?muscle_id=deltoid&side=r",
        ("practitioner",),
    ),
    Case("needling_entry_remove", "post", lambda o: reverse("needling_entry_remove", args=[o["entry"].pk]), ("practitioner",)),
    Case("needling_repeat_last", "post", lambda o: reverse("needling_repeat_last", args=[o["open_encounter"].pk]), ("practitioner",)),
    Case(
        "needling_consent",
        "post",
        lambda o: reverse("needling_consent", args=[o["open_encounter"].pk]),
        ("practitioner",),
        data=lambda o: {"method": "verbal", "witness_name": "W", "risks": ["soreness"]},
    ),
    Case(
        "needling_record",
        "post",
        lambda o: reverse("needling_record", args=[o["open_encounter"].pk]),
        ("practitioner",),
        data=lambda o: {"needles_out": "1", "advice": ["soreness_24_48"]},
    ),
    Case(
        "needling_rom",
        "post",
        lambda o: reverse("needling_rom", args=[o["open_encounter"].pk]),
        ("practitioner",),
        data=lambda o: {"movement": "cervical_spine:rotation", "side": "l", "degrees": "50"},
    ),
    Case(
        "needling_ppt",
        "post",
        lambda o: reverse("needling_ppt", args=[o["open_encounter"].pk]),
        ("practitioner",),
        data=lambda o: {"muscle_id": "upper_trapezius", "side": "r", "trial_1": "250"},
    ),
    Case(
        "adverse_event_save",
        "post",
        lambda o: reverse("adverse_event_save", args=[o["encounter"].pk]),
        ("practitioner",),
        data=lambda o: {
            "event_type": "bruising",
            "severity": "mild",
            "onset": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "outcome": "resolved",
        },
    ),
    Case("session_note_pdf", "get", lambda o: reverse("session_note_pdf", args=[o["encounter"].pk]), ("practitioner",)),
    Case("aftercare_page", "get", lambda o: reverse("aftercare_page", args=[o["encounter"].pk]), ("practitioner",)),
    Case("aftercare_pdf", "get", lambda o: reverse("aftercare_pdf", args=[o["encounter"].pk]), ("practitioner",)),
    Case("aftercare_send", "post", lambda o: reverse("aftercare_send", args=[o["encounter"].pk]), ("practitioner",)),
    Case("atlas", "get", lambda o: reverse("atlas"), ALL_STAFF, object_scoped=False),
    Case("muscle_detail", "get", lambda o: reverse("muscle_detail", args=["upper_trapezius"]), ALL_STAFF, object_scoped=False),
    Case(
        "addendum_create",
        "post",
        lambda o: reverse("addendum_create", args=[o["note"].pk]),
        ("practitioner",),
        data=lambda o: {"reason": "Typo", "text": "Fixed"},
    ),
    Case("addendum_sign", "post", lambda o: reverse("addendum_sign", args=[o["addendum"].pk]), ("practitioner",)),
    Case(
        "patient_access_report",
        "get",
        lambda o: reverse("patient_access_report", args=[o["patient"].pk]),
        ("clinic_admin",),
        other_clinic_persona="other_admin",
    ),
    Case("patient_copy", "get", lambda o: reverse("patient_copy", args=[o["patient"].pk]), ("practitioner",)),
    Case(
        "patient_copy_download",
        "post",
        lambda o: reverse("patient_copy", args=[o["patient"].pk]),
        ("practitioner",),
        data=lambda o: {"requester": "in_person"},
    ),
    Case("audit_report", "get", lambda o: reverse("audit_report"), ("clinic_admin",), object_scoped=False),
    Case(
        "measurement_save",
        "post",
        lambda o: reverse("measurement_save", args=[o["encounter"].pk]),
        ("practitioner",),
        data=lambda o: {"instrument": "nprs", "nprs.pain": "5"},
    ),
    Case(
        "measurement_retract",
        "post",
        lambda o: reverse("measurement_retract", args=[o["measurement"].pk]),
        ("practitioner",),
        data=lambda o: {"reason": "Entered for the wrong patient"},
    ),
    Case("follow_up_send", "post", lambda o: reverse("follow_up_send", args=[o["encounter"].pk]), ("practitioner",)),
    Case("episode_progress", "get", lambda o: reverse("episode_progress", args=[o["episode"].pk]), ("practitioner",)),
    Case("episode_progress_pdf", "get", lambda o: reverse("episode_progress_pdf", args=[o["episode"].pk]), ("practitioner",)),
    Case(
        "episode_progress_send",
        "post",
        lambda o: reverse("episode_progress_send", args=[o["episode"].pk]),
        ("practitioner",),
        data=lambda o: {"email": "gp@example.invalid"},
    ),
    Case("progress_panel", "get", lambda o: reverse("progress_panel", args=[o["patient"].pk]), ("practitioner",)),
    Case("alert_list", "get", lambda o: reverse("alert_list"), ("practitioner",), object_scoped=False),
    Case("alert_acknowledge", "post", lambda o: reverse("alert_acknowledge", args=[o["alert"].pk]), ("practitioner",)),
    Case("clinic_instruments", "get", lambda o: reverse("clinic_instruments"), ("clinic_admin",), object_scoped=False),
    Case(
        "clinic_instrument_toggle",
        "post",
        lambda o: reverse("clinic_instrument_toggle", args=[o["clinic_instrument"].pk]),
        ("clinic_admin",),
        data=lambda o: {"active": "0"},
        other_clinic_persona="other_admin",
    ),
    Case("analytics", "get", lambda o: reverse("analytics"), ("practitioner", "clinic_admin"), object_scoped=False),
    Case("analytics_csv", "get", lambda o: reverse("analytics_csv"), ("practitioner", "clinic_admin"), object_scoped=False),
    Case("staff_list", "get", lambda o: reverse("staff_list"), ("clinic_admin",), object_scoped=False),
    Case("staff_create", "get", lambda o: reverse("staff_create"), ("clinic_admin",), object_scoped=False),
    Case(
        "staff_detail",
        "get",
        lambda o: reverse("staff_detail", args=[o["practitioner"].pk]),
        ("clinic_admin", "practitioner"),
        other_clinic_persona="other_admin",
    ),
    Case(
        "certification_add",
        "get",
        lambda o: reverse("certification_add", args=[o["practitioner"].pk]),
        ("clinic_admin", "practitioner"),
        other_clinic_persona="other_admin",
    ),
    Case(
        "certification_evidence",
        "get",
        lambda o: reverse("certification_evidence", args=[o["cert"].pk]),
        ("clinic_admin", "practitioner"),
        other_clinic_persona="other_admin",
    ),
]
IDS = [c.name for c in CASES]


def _call(client, case: Case, objects):
    url = case.url(objects)
    data = case.data(objects) if case.data else {}
    return client.get(url) if case.method == "get" else client.post(url, data)


# The refusals change nothing, so each test checks every case on one set of records
# (tests.conftest.every_case names each case that fails); the permitted requests, which change
# records, are a test each.


def test_anonymous_users_are_sent_to_sign_in(client, objects):
    def check(case: Case) -> None:
        response = _call(client, case, objects)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    every_case(CASES, check)


def test_roles_without_the_capability_are_refused_with_403(client, objects):
    def check(case: Case) -> None:
        for role in (role for role in ALL_STAFF if role not in case.permitted):
            client.force_login(objects[role])
            response = _call(client, case, objects)
            assert response.status_code == 403, role
            assert b"Not available for your role" in response.content

    every_case(CASES, check)


def test_other_clinics_staff_get_404_for_this_clinics_objects(client, objects):
    def check(case: Case) -> None:
        client.force_login(objects[case.other_clinic_persona])
        assert _call(client, case, objects).status_code == 404

    every_case([case for case in CASES if case.object_scoped], check)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_permitted_roles_get_through(client, objects, case):
    for role in case.permitted:
        client.force_login(objects[role])
        response = _call(client, case, objects)
        assert response.status_code in (200, 302), (role, response.status_code)
        if response.status_code == 302:
            assert not response["Location"].startswith(reverse("login"))


def test_a_practitioner_cannot_open_a_colleagues_profile(client, objects, second_practitioner):
    client.force_login(second_practitioner)
    response = client.get(reverse("staff_detail", args=[objects["practitioner"].pk]))
    assert response.status_code == 403


def test_other_clinics_lists_never_show_this_clinics_patients_or_visits(client, objects):
    client.force_login(objects["other_practitioner"])
    chart_url = reverse("patient_chart", args=[objects["patient"].pk]).encode()
    search = client.get(reverse("patient_list") + "?q=Nordmann").content
    assert b"No patients match" in search and chart_url not in search
    assert b"Nordmann" not in client.get(reverse("today")).content
    client.force_login(objects["other_admin"])
    assert b"Nordmann" not in client.get(reverse("audit_report")).content


def test_front_desk_sees_demographics_but_no_clinical_notes(client, objects):
    client.force_login(objects["front_desk"])
    response = client.get(reverse("patient_chart", args=[objects["patient"].pk]))
    assert response.status_code == 200
    assert b"Nordmann" in response.content
    assert b"Taut band upper trapezius" not in response.content
    client.force_login(objects["practitioner"])
    assert b"Taut band upper trapezius" in client.get(reverse("patient_chart", args=[objects["patient"].pk])).content


def test_django_admin_is_for_superusers_only(client, objects, django_user_model):
    client.force_login(objects["clinic_admin"])
    assert client.get("/admin/").status_code == 302
    root = django_user_model.objects.create_superuser("root", "root@example.invalid", "x-very-secret-1")
    client.force_login(root)
    assert client.get("/admin/").status_code == 200


def test_unknown_ids_answer_404_like_forbidden_ones(client, objects):
    client.force_login(objects["practitioner"])
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.get(reverse("patient_chart", args=[missing])).status_code == 404
    assert client.get(reverse("encounter_detail", args=[missing])).status_code == 404
