"""The intake pages with the second edition's questions (issue 13): shown in English and Bokmål,
asked only when they apply, required when shown, and the day-only intoxication question kept to
its day."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from needlechart.screening import services
from needlechart.screening.models import IntakeResponse
from tests.screening.test_intake_pages import healthy_answers

NEW_QUESTIONS = (
    "recent_surgery",
    "surgery_details",
    "surgery_when",
    "surgery_areas",
    "lymph_nodes_treated",
    "lymphoedema_areas",
    "implant_areas",
    "skin_infection_areas",
    "skin_condition_areas",
    "wound_areas",
    "varicose_vein_areas",
)


def _question(html: str, question_id: str) -> str:
    """The markup of one question: from its data-question attribute to the next question's."""
    start = html.index(f'data-question="{question_id}"')
    end = html.find('data-question="', start + 1)
    return html[start : end if end != -1 else len(html)]


def test_the_patients_page_asks_the_new_questions_in_bokmal(client, link_url):
    html = client.get(link_url).content.decode()
    for question_id in NEW_QUESTIONS:
        assert f'data-question="{question_id}"' in html, question_id
    assert "Har du blitt operert i løpet av de siste 6 månedene?" in html
    assert "Har du fått fjernet lymfeknuter, eller fått strålebehandling, i en armhule eller en lyske?" in html
    assert "Hvor er huden rød, varm, hoven eller infisert?" in html
    assert "Korsryggen, venstre side" in html  # a body area
    assert 'data-question="intoxicated"' not in html  # a staff question


def test_the_patients_page_asks_the_new_questions_in_english(client, link_url):
    html = client.get(link_url + "?lang=en").content.decode()
    assert "Have you had an operation in the last 6 months?" in html
    assert "Have you had lymph nodes removed, or radiotherapy, in an armpit or a groin?" in html
    assert "Where on the body was the operation?" in html and "Left lower leg, ankle or foot" in html


def test_follow_up_questions_appear_only_when_their_answer_is_given(client, link_url):
    html = client.get(link_url + "?lang=en").content.decode()
    surgery = _question(html, "surgery_areas")
    assert "data-show-if" in surgery and "recent_surgery" in surgery
    wounds = _question(html, "wound_areas")
    assert "data-show-if" in wounds and "skin_at_site" in wounds
    assert "data-show-if" not in _question(html, "recent_surgery")


def test_an_operation_needs_what_when_and_where(client, link_url, patient):
    well = {k: v for k, v in healthy_answers().items() if not k.startswith("surgery_")}
    response = client.post(link_url + "?lang=en", {**well, "recent_surgery": "yes"})
    body = response.content.decode()
    assert response.status_code == 400
    for question_id in ("surgery_details", "surgery_when", "surgery_areas"):
        assert "This question needs an answer" in _question(body, question_id), question_id
    assert not IntakeResponse.objects.filter(patient=patient).exists()
    done = client.post(
        link_url,
        {
            **healthy_answers(),
            "recent_surgery": "yes",
            "surgery_details": "Gallbladder",
            "surgery_when": "within_6_weeks",
            "surgery_areas": ["abdomen"],
        },
    )
    assert done.status_code == 200
    assert IntakeResponse.objects.get(patient=patient).answers["surgery_areas"] == ["abdomen"]


def test_an_unknown_body_area_is_refused(client, link_url):
    response = client.post(link_url + "?lang=en", {**healthy_answers(), "skin_at_site": ["wound"], "wound_areas": ["tail"]})
    assert response.status_code == 400 and "Choose from the options given" in _question(response.content.decode(), "wound_areas")


def test_staff_see_the_intoxication_question(client_for, front_desk, patient):
    html = client_for(front_desk).get(reverse("intake_staff", args=[patient.pk])).content.decode()
    assert 'data-question="intoxicated"' in html
    assert "The patient appears to be under the influence of alcohol or drugs today" in html


def test_intoxication_blocks_today_and_is_neither_offered_again_nor_carried_over_later(
    client, client_for, front_desk, practitioner, patient, link_url
):
    answers = {**healthy_answers(), "able_to_consent": "yes", "intoxicated": "yes"}
    response = services.intake_record_by_staff(actor=practitioner, patient=patient, raw_answers=answers)
    chart = client_for(practitioner).get(reverse("patient_chart", args=[patient.pk])).content.decode()
    assert "status-blocked" in chart and "under the influence" in chart
    IntakeResponse.objects.filter(pk=response.pk).update(submitted_at=response.submitted_at - dt.timedelta(days=1))
    chart = client_for(practitioner).get(reverse("patient_chart", args=[patient.pk])).content.decode()
    assert "status-blocked" not in chart and "under the influence" not in chart
    staff_form = client_for(practitioner).get(reverse("intake_staff", args=[patient.pk])).content.decode()
    assert 'value="yes" checked' not in _question(staff_form, "intoxicated")
    assert 'value="yes" checked' in _question(staff_form, "able_to_consent")  # other staff answers are offered again
    assert client.post(link_url, healthy_answers()).status_code == 200  # the patient answers through the link
    latest = IntakeResponse.objects.filter(patient=patient).order_by("-submitted_at").first()
    assert latest is not None and latest.source == "patient_link"
    assert latest.answers["able_to_consent"] is True and "intoxicated" not in latest.answers
