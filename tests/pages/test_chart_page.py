"""The chart page (pages.chart, pages/chart.html) by role, in Norwegian, with its messages, and the
document around it, which is the one around every page (base.html)."""

from __future__ import annotations

import datetime as dt
import re

from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from needlechart.charting import services as charting
from needlechart.charting.pain_maps import pain_map_mark
from needlechart.knowledge.catalog import catalog
from needlechart.needling.models import AdverseEvent
from needlechart.patients import services as patients
from needlechart.patients.identifiers import NORWEGIAN_NIN_SYSTEM
from needlechart.screening import services as screening
from tests.screening.test_rules_engine import minimal_valid_answers

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="(\w+)"')


def _chart(client, patient):
    return client.get(reverse("patient_chart", args=[patient.pk])).content.decode()


def test_clinicians_see_suitability_pain_map_progress_and_the_episodes(client_for, practitioner, episode, front_desk):
    visit = charting.encounter_create(
        actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now().replace(microsecond=0)
    )
    pain_map_mark(actor=practitioner, encounter=visit, region="temple_r", intensity=6)
    html = _chart(client_for(practitioner), episode.patient)
    assert "<title>Kari Nordmann · needlechart</title>" in html
    assert 'data-testid="suitability"' in html
    when = timezone.localtime(visit.starts_at)
    assert f"Pain map from the visit on {when:%d/%m/%Y %H:%M}." in html  # English short date day first, 24-hour time, one full stop
    progress = reverse("progress_panel", args=[episode.patient_id])
    assert f'<div hx-get="{progress}" hx-trigger="load" hx-swap="outerHTML" data-testid="progress-placeholder">' in html
    assert "<h2>Episodes of care</h2>" in html and "Neck pain from desk work" in html
    assert f'href="{reverse("episode_create", args=[episode.patient_id])}">Start a new episode of care</a>' in html
    assert 'data-testid="serious-events"' not in html  # none recorded
    assert f'href="{reverse("encounter_detail", args=[visit.pk])}">Open</a>' in html  # clinicians open the visit


def test_front_desk_sees_no_clinical_part_of_the_chart(client_for, front_desk, practitioner, episode):
    visit = charting.encounter_create(actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now())
    pain_map_mark(actor=practitioner, encounter=visit, region="temple_r", intensity=6)
    html = _chart(client_for(front_desk), episode.patient)
    for clinical in ('data-testid="suitability"', 'data-testid="chart-pain-map"', 'data-testid="progress-placeholder"'):
        assert clinical not in html
    assert reverse("encounter_detail", args=[visit.pk]) not in html
    assert "Neck pain from desk work" in html and "Start a new episode of care" in html
    assert f'href="{reverse("patient_edit", args=[episode.patient_id])}">Edit details</a>' in html
    assert reverse("patient_access_report", args=[episode.patient_id]) not in html


def test_clinic_admins_see_the_access_report_but_no_clinical_part(client_for, clinic_admin, episode):
    html = _chart(client_for(clinic_admin), episode.patient)
    assert f'href="{reverse("patient_access_report", args=[episode.patient_id])}">Access report</a>' in html
    assert 'data-testid="suitability"' not in html and 'data-testid="progress-placeholder"' not in html


def test_the_title_and_the_serious_events_are_escaped_and_link_to_their_visit(client_for, practitioner, front_desk, encounter):
    patients.patient_update(
        actor=front_desk,
        patient=encounter.patient,
        data={"given_name": "<b>Kari</b>", "family_name": "Nordmann", "birth_date": dt.date(1985, 5, 17)},
        identifiers=[(NORWEGIAN_NIN_SYSTEM, "17058512311")],
    )
    onset = dt.datetime(2026, 3, 5, 0, 30, tzinfo=timezone.get_current_timezone())  # the 4th in UTC: shown in local time
    AdverseEvent.objects.create(
        clinic_id=encounter.clinic_id,
        patient_id=encounter.patient_id,
        encounter=encounter,
        recorded_by=practitioner,
        event_type="<made-up>",
        severity="serious",
        onset=onset,
    )
    html = _chart(client_for(practitioner), encounter.patient)
    assert "<title>&lt;b&gt;Kari&lt;/b&gt; Nordmann · needlechart</title>" in html and "<b>Kari</b>" not in html
    events = html.split('data-testid="serious-events"')[1].split("</section>")[0]
    link = reverse("encounter_detail", args=[encounter.pk])
    expected = f'<li><span class="badge danger">Serious</span> &lt;made-up&gt;, {onset:%d/%m/%Y} · Ongoing · <a href="{link}">Open</a></li>'
    assert expected in events


def test_the_chart_speaks_norwegian_with_dates_day_first(client_for, practitioner, episode, front_desk):
    visit = charting.encounter_create(
        actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now().replace(microsecond=0)
    )
    client = client_for(practitioner)
    client.post(reverse("set_language"), {"language": "nb", "next": "/"})
    html = _chart(client, episode.patient)
    assert '<html lang="nb">' in html and "<h2>Behandlingsforløp</h2>" in html and "Start nytt behandlingsforløp" in html
    assert "Laster fremgang …" in html
    assert "Født 17. mai 1985" in html  # the header's birth date, the month named in Norwegian
    when = timezone.localtime(visit.starts_at)
    assert f">{when:%d.%m.%Y %H:%M}</time>" in html  # the visit's time, day first
    assert f'<time datetime="{when.isoformat()}">' in html


def test_a_message_is_shown_once_above_the_chart(client_for, front_desk):
    client = client_for(front_desk)
    form = {"given_name": "Ola", "family_name": "Hansen", "birth_date": "1990-02-03", "preferred_language": "nb", "sex": "unknown"}
    response = client.post(reverse("patient_create"), form, follow=True)
    html = response.content.decode()
    assert response.redirect_chain and '<ul class="messages" role="status"><li class="msg-success">Patient registered.</li></ul>' in html
    assert 'class="messages"' not in client.get(response.redirect_chain[-1][0]).content.decode()


def test_the_document_around_the_chart_is_the_one_around_every_page(client_for, practitioner, episode):
    client = client_for(practitioner)
    chart, listing = _chart(client, episode.patient), client.get(reverse("patient_list")).content.decode()

    def head(html):  # from the end of the title to the top bar
        return html.split("</title>")[1].split('<header class="topbar">')[0]

    assert chart.startswith("<!doctype html>") and listing.startswith("<!doctype html>")
    assert chart.split("<title>")[0] == listing.split("<title>")[0] and head(chart) == head(listing)
    assert chart.count('<form action="/i18n/setlang/" method="post" class="lang-switch">') == 1
    assert chart.rstrip().endswith("</main>\n</body>\n</html>") and listing.rstrip().endswith("</main>\n</body>\n</html>")


def test_the_charts_forms_carry_one_token_per_response_that_django_accepts(practitioner, episode):
    client = Client(enforce_csrf_checks=True)
    client.force_login(practitioner)
    first = client.get(reverse("patient_chart", args=[episode.patient_id]))
    assert "csrftoken" in first.cookies  # no cookie yet: one is made and set
    html = client.get(reverse("patient_chart", args=[episode.patient_id])).content.decode()
    tokens = TOKEN.findall(html)
    assert len(tokens) >= 4 and len(set(tokens)) == 1  # language switch, sign out, intake link, closing the episode
    assert _unmask_cipher_token(tokens[0]) == client.cookies["csrftoken"].value
    with translation.override("en"):
        response = client.post(reverse("set_language"), {"language": "nb", "next": "/", "csrfmiddlewaretoken": tokens[0]})
    assert response.status_code == 302


def test_the_front_desk_sends_and_resends_the_intake_link_from_the_chart_and_sees_no_answers(
    client_for, front_desk, patient, mailoutbox, django_capture_on_commit_callbacks
):
    patient.email = "kari@example.org"
    patient.save(update_fields=["email"])
    client = client_for(front_desk)
    html = _chart(client, patient)
    card = html[html.index('data-testid="intake-status"') :]
    assert "no intake yet" in card and ">Send intake link</button>" in card
    assert f'href="{reverse("intake_staff", args=[patient.pk])}">Fill in with patient</a>' in card

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("intake_link_create", args=[patient.pk]))
    assert response.status_code == 200 and mailoutbox[0].to == ["kari@example.org"]
    html = _chart(client, patient)
    assert ">Send the link again</button>" in html and "waits for the patient until" in html

    answers = minimal_valid_answers() | {"main_complaint": "Stiff neck"}
    screening.intake_record_by_staff(actor=front_desk, patient=patient, raw_answers=answers)
    html = _chart(client, patient)
    assert "Last answered" in html and "Stiff neck" not in html and 'data-testid="suitability"' not in html


def test_the_charts_suggestions_write_their_score_and_regions_in_the_readers_language(client_for, practitioner, front_desk, episode):
    visit = charting.encounter_create(
        actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now().replace(microsecond=0)
    )
    pain_map_mark(actor=practitioner, encounter=visit, region="temple_r", intensity=6)
    client = client_for(practitioner)
    english = _chart(client, episode.patient).split('data-testid="suggestions"')[1]
    meters = re.findall(r'<meter min="0" max="1" value="(0\.\d{3}|1\.000)" title="Match">(\d\.\d\d)</meter>', english)
    assert meters and all(abs(float(value) - float(shown)) <= 0.005 for value, shown in meters)
    assert f"Explains: {catalog().regions['temple_r'].label('en')}" in english  # the region explained, as text
    client.post(reverse("set_language"), {"language": "nb", "next": "/"})
    norwegian = _chart(client, episode.patient).split('data-testid="suggestions"')[1]
    shown = re.findall(r'<meter min="0" max="1" value="(?:0\.\d{3}|1\.000)" title="[^"]+">(\d,\d\d)</meter>', norwegian)
    assert [text.replace(",", ".") for text in shown] == [text for _value, text in meters]  # the same scores, decimal comma
    assert f"{catalog().regions['temple_r'].label('nb')}" in norwegian


def test_the_charts_marked_regions_write_their_quality_in_the_readers_language(client_for, practitioner, front_desk, episode):
    """The qualities' labels are kept per language (pain_map_views._language_words): a reader switching
    language gets the other language's, in the marks and in the body map's titles."""
    visit = charting.encounter_create(
        actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now().replace(microsecond=0)
    )
    pain_map_mark(actor=practitioner, encounter=visit, region="temple_r", intensity=6, quality="burning")
    client = client_for(practitioner)
    label = {language: catalog().regions["temple_r"].label(language) for language in ("en", "nb")}
    english = _chart(client, episode.patient).split('data-testid="pain-marks"')[1].split("</ul>")[0]
    assert f"{label['en']}: 6/10, burning</li>" in english
    client.post(reverse("set_language"), {"language": "nb", "next": "/"})
    norwegian_page = _chart(client, episode.patient)
    with translation.override("nb"):
        burning = str(translation.gettext("Burning"))
    assert burning != "Burning"
    norwegian = norwegian_page.split('data-testid="pain-marks"')[1].split("</ul>")[0]
    assert f"{label['nb']}: 6/10, {burning.lower()}</li>" in norwegian
    assert f"6/10 {burning}" in norwegian_page and "6/10 Burning" not in norwegian_page  # the body map's titles
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert f"{label['en']}: 6/10, burning</li>" in _chart(client, episode.patient)
