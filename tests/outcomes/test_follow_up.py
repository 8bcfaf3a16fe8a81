"""Follow-up questions after a session: the link (refused safely when it must be), the answers, adverse events and alerts."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from needlechart.audit.models import AuditEvent
from needlechart.charting import services as charting
from needlechart.needling import services as needling
from needlechart.needling.models import AdverseEvent
from needlechart.outcomes import services as outcomes
from needlechart.outcomes.follow_up import follow_up_form
from needlechart.outcomes.models import Alert, FollowUpLink, FollowUpResponse, Measurement
from needlechart.screening.services import token_hash
from tests.outcomes.conftest import PSFS_ACTIVITIES, answers, link_for, second_patient, sign

ALERT_AT = follow_up_form().alert_soreness_at


def _counts() -> dict[str, int]:
    return {
        "measurements": Measurement.objects.count(),
        "responses": FollowUpResponse.objects.count(),
        "adverse_events": AdverseEvent.objects.count(),
        "alerts": Alert.objects.count(),
    }


def _secret(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


def _effects(**impacts: str) -> dict:
    """Side effects ticked with their impact: _effects(bruising="mild")."""
    return {"effects": list(impacts), **{f"impact_{effect}": impact for effect, impact in impacts.items()}}


# --- sending the link ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "subject", "greeting"),
    [("nb", "Hvordan har du det etter behandlingen?", "Hei Kari"), ("en", "How are you after your treatment?", "Hello Kari")],
)
def test_the_link_is_emailed_in_the_patients_language_with_a_url_that_works(
    client, client_for, practitioner, patient, session, django_capture_on_commit_callbacks, language, subject, greeting
):
    patient.email, patient.preferred_language = "kari@example.invalid", language
    patient.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(practitioner).post(reverse("follow_up_send", args=[session.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("encounter_detail", args=[session.pk])
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["kari@example.invalid"] and message.subject == subject and greeting in message.body
    urls = re.findall(r"http://testserver(/follow-up/\S+/)", message.body)
    assert len(urls) == 1
    link = FollowUpLink.objects.get(encounter=session)
    assert link.sent_to == "kari@example.invalid" and link.created_by == practitioner
    secret = _secret(urls[0])
    assert link.token_hash == token_hash(secret) and secret not in link.token_hash  # only the hash is kept
    assert link.expires_at > timezone.now() + dt.timedelta(days=13)

    client.logout()
    page = client.get(urls[0])
    assert page.status_code == 200 and f'lang="{language}"'.encode() in page.content
    assert "Kari" in page.content.decode()


def test_without_an_email_address_nothing_is_sent_and_the_url_is_shown_only_once(client_for, practitioner, patient, session, client):
    assert not patient.email
    staff = client_for(practitioner)
    response = staff.post(reverse("follow_up_send", args=[session.pk]))
    assert response.status_code == 200 and not mail.outbox
    url = response.context["link_url"]
    assert url.startswith("http://testserver/follow-up/") and url.encode() in response.content
    link = FollowUpLink.objects.get(encounter=session)
    assert link.sent_to == "" and link.token_hash == token_hash(_secret(url))
    visit_page = staff.get(reverse("encounter_detail", args=[session.pk])).content.decode()
    assert "Link handed over" in visit_page and _secret(url) not in visit_page  # never shown again
    client.logout()
    assert client.get(url.removeprefix("http://testserver")).status_code == 200


def test_a_link_for_an_unsigned_session_cannot_be_created(client_for, practitioner, encounter, draft_note):
    with pytest.raises(ValidationError) as error:
        outcomes.follow_up_link_create(actor=practitioner, encounter=encounter, base_url="http://testserver")
    assert "Sign the session note" in error.value.messages[0]
    response = client_for(practitioner).post(reverse("follow_up_send", args=[encounter.pk]), follow=True)
    assert response.status_code == 200
    assert "Sign the session note before sending the follow-up questions." in response.content.decode()
    assert not FollowUpLink.objects.exists() and not mail.outbox


def test_a_new_link_expires_the_earlier_unused_one(client, session):
    first, first_path = link_for(session)
    second, second_path = link_for(session)
    first.refresh_from_db()
    assert first.expires_at <= timezone.now() and first.used_at is None
    expired = client.get(first_path)
    assert expired.status_code == 410 and "utløpt" in expired.content.decode()  # the patient reads Norwegian
    assert client.get(second_path).status_code == 200


def test_a_new_link_leaves_an_answered_one_as_it_was(client, session):
    first, first_path = link_for(session)
    assert client.post(first_path, answers()).status_code == 200
    first.refresh_from_db()
    expires_at = first.expires_at
    link_for(session)
    first.refresh_from_db()
    assert first.expires_at == expires_at and first.used_at is not None


# --- refused links ------------------------------------------------------------------------------


def test_an_expired_link_is_refused_with_410_and_nothing_is_written(client, follow_up):
    link, path = follow_up
    FollowUpLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    before = _counts()
    page = client.get(path)
    assert page.status_code == 410 and "Lenken er utløpt" in page.content.decode()
    posted = client.post(path, answers(**_effects(breathing="serious"), soreness="9"))
    assert posted.status_code == 410
    assert _counts() == before
    link.refresh_from_db()
    assert link.used_at is None


def test_a_used_link_is_refused_with_410_and_a_second_post_writes_nothing(client, follow_up, practitioner):
    link, path = follow_up
    before = _counts()
    assert client.post(path, answers(soreness="8")).status_code == 200
    after_first = _counts()
    assert after_first == {**before, "measurements": before["measurements"] + 3, "responses": 1, "alerts": 1}
    again = client.post(path, answers(**_effects(bruising="mild")))
    assert again.status_code == 410 and "allerede besvart" in again.content.decode()
    assert client.get(path).status_code == 410
    assert client.get(path + "?lang=en").content.decode().count("already been answered") == 1
    assert _counts() == after_first


def test_two_submits_that_both_passed_the_first_check_write_once(client, follow_up, monkeypatch):
    """Two tabs open on the link: both pages were served while it was open. The second submit is
    re-checked under the row lock inside the writing transaction and refused with 410."""
    link, path = follow_up
    stale = outcomes.follow_up_link_resolve(link.pk, _secret(path))  # what the second tab's request saw
    resolve = outcomes.follow_up_link_resolve

    def resolve_as_before_the_first_submit(link_id, secret, *, for_update=False):
        return resolve(link_id, secret, for_update=True) if for_update else stale

    before = _counts()
    assert client.post(path, answers(**_effects(bruising="mild"))).status_code == 200
    monkeypatch.setattr(outcomes, "follow_up_link_resolve", resolve_as_before_the_first_submit)
    second = client.post(path, answers(**_effects(bruising="serious"), soreness="10"))
    assert second.status_code == 410
    assert _counts() == {
        "measurements": before["measurements"] + 3,
        "responses": 1,
        "adverse_events": before["adverse_events"] + 1,
        "alerts": before["alerts"] + 1,
    }
    assert AdverseEvent.objects.get().severity == "mild"
    with pytest.raises(outcomes.LinkUnusable) as refused:
        outcomes.follow_up_submit(link_id=link.pk, secret=_secret(path), raw=answers(), language="en")
    assert refused.value.status == 410


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_secret_or_an_unknown_link_is_refused_with_404(client, follow_up, method):
    link, path = follow_up
    secret = _secret(path)
    tampered = path.replace(secret, secret[:-2] + ("AA" if not secret.endswith("AA") else "BB"))
    unknown = reverse("follow_up_public", args=[uuid.uuid4(), secret])
    before = _counts()
    for url in (tampered, unknown):
        response = getattr(client, method)(url, answers(soreness="9") if method == "post" else None)
        assert response.status_code == 404, url
        assert "This link is not valid" in client.get(url + "?lang=en").content.decode()
    assert client.get(f"/follow-up/not-a-uuid/{secret}/").status_code == 404
    assert _counts() == before
    link.refresh_from_db()
    assert link.used_at is None
    assert client.get(path).status_code == 200  # the real link still works


def test_another_patients_secret_does_not_open_this_patients_link(client, follow_up, front_desk, practitioner):
    link_a, path_a = follow_up
    _patient_b, _episode_b, encounter_b = second_patient(front_desk, practitioner)
    sign(practitioner, encounter_b)
    link_b, path_b = link_for(encounter_b)
    crossed = reverse("follow_up_public", args=[link_a.pk, _secret(path_b)])
    before = _counts()
    assert client.get(crossed).status_code == 404
    assert client.post(crossed, answers()).status_code == 404
    assert _counts() == before
    assert FollowUpLink.objects.filter(used_at__isnull=False).count() == 0


def test_fields_naming_another_patient_are_ignored(client, follow_up, patient, episode, front_desk, practitioner):
    link, path = follow_up
    patient_b, episode_b, encounter_b = second_patient(front_desk, practitioner)
    forged = {
        "patient": str(patient_b.pk),
        "patient_id": str(patient_b.pk),
        "episode": str(episode_b.pk),
        "episode_id": str(episode_b.pk),
        "encounter": str(encounter_b.pk),
        "encounter_id": str(encounter_b.pk),
        "clinic_id": str(uuid.uuid4()),
    }
    response = client.post(path, answers(**forged, **_effects(headache="significant")))
    assert response.status_code == 200
    written = Measurement.objects.filter(source="follow_up")
    assert written.count() == 3
    assert set(written.values_list("patient_id", "episode_id", "encounter_id")) == {(patient.pk, episode.pk, link.encounter_id)}
    assert FollowUpResponse.objects.get().patient_id == patient.pk
    assert AdverseEvent.objects.get().patient_id == patient.pk and Alert.objects.get().patient_id == patient.pk
    for model in (Measurement, FollowUpResponse, AdverseEvent):
        assert not model.objects.filter(patient=patient_b).exists(), model
    assert not Alert.objects.filter(patient=patient_b).exists()


# --- answers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"soreness": ""}, "soreness", "Choose a number from 0 to 10."),
        ({"soreness": "11"}, "soreness", "Choose a number from 0 to 10."),
        ({"soreness": "-1"}, "soreness", "Choose a number from 0 to 10."),
        ({"soreness": "abc"}, "soreness", "Choose a number from 0 to 10."),
        ({"soreness": "²"}, "soreness", "Choose a number from 0 to 10."),  # str.isdigit() says yes, int() says no
        ({"nprs.pain": ""}, "nprs.pain", "This question needs an answer."),
        ({"nprs.pain": "12"}, "nprs.pain", "Enter a number from 0 to 10."),
        ({"groc.change": "3.5"}, "groc.change", "Enter a number in steps of 1."),
        ({"psfs.activity_2": ""}, "psfs.activities", "Activity 3: This question needs an answer."),
        ({"effects": ["bruising"]}, "impact_bruising", "Tell us how much this affected you."),
        ({"effects": ["bruising"], "impact_bruising": "terrible"}, "impact_bruising", "Tell us how much this affected you."),
        ({"effects": ["plague"]}, "effects", "Choose side effects from the list."),
    ],
)
def test_answers_with_problems_are_shown_again_with_a_message_and_nothing_is_written(client, follow_up, changes, field, message):
    link, path = follow_up
    before = _counts()
    response = client.post(path, {**answers(), **changes, "lang": "en"})
    assert response.status_code == 400
    assert response.context["errors"][field] == message
    assert message in response.content.decode()
    assert "Some answers are missing or need a change." in response.content.decode()
    assert _counts() == before
    link.refresh_from_db()
    assert link.used_at is None
    assert client.get(path).status_code == 200  # still usable


def test_an_empty_post_is_refused_in_the_patients_language(client, follow_up):
    _link, path = follow_up
    response = client.post(path, {})
    assert response.status_code == 400 and 'lang="nb"' in response.content.decode()
    assert {"soreness", "nprs.pain", "groc.change", "psfs.activities"} <= set(response.context["errors"])
    assert not FollowUpResponse.objects.exists()


def test_valid_answers_write_the_scores_and_use_up_the_link(client, follow_up, patient, episode):
    link, path = follow_up
    response = client.post(path, answers(comment="Better on the whole."))
    assert response.status_code == 200
    assert "Takk. Svarene dine er sendt til behandleren din." in response.content.decode()
    assert b'data-testid="urgent-advice"' not in response.content
    reply = FollowUpResponse.objects.get()
    assert (reply.patient_id, reply.encounter_id, reply.link_id) == (patient.pk, link.encounter_id, link.pk)
    assert reply.soreness == 3 and reply.side_effects == [] and reply.comment == "Better on the whole." and reply.language == "nb"
    link.refresh_from_db()
    assert link.used_at is not None
    written = {m.instrument: m for m in Measurement.objects.filter(source="follow_up")}
    assert sorted(written) == ["groc", "nprs", "psfs"]
    assert written["nprs"].score == 4 and written["nprs"].answers == {"pain": 4}
    assert written["groc"].score == 3 and written["groc"].answers == {"change": 3}
    assert written["psfs"].score == 6.0
    for m in written.values():
        assert (m.patient_id, m.episode_id, m.encounter_id, m.follow_up_id) == (patient.pk, episode.pk, link.encounter_id, reply.pk)
        assert m.recorded_by_id is None and m.source == "follow_up" and m.taken_at >= link.created_at
    assert not AdverseEvent.objects.exists() and not Alert.objects.exists()  # soreness 3, nothing else


def test_psfs_rerates_the_activities_named_at_baseline(client, follow_up):
    _link, path = follow_up
    page = client.get(path + "?lang=en").content.decode()
    for name in PSFS_ACTIVITIES:
        assert name in page
    assert 'name="psfs.activity_0_name"' not in page  # the names are fixed, not asked again
    response = client.post(path, answers(**{"psfs.activity_0": "10", "psfs.activity_0_name": "Something else entirely"}))
    assert response.status_code == 200
    rated = Measurement.objects.get(instrument="psfs", source="follow_up").answers["activities"]
    assert rated == [
        {"name": PSFS_ACTIVITIES[0], "score": 10},
        {"name": PSFS_ACTIVITIES[1], "score": 5},
        {"name": PSFS_ACTIVITIES[2], "score": 7},
    ]
    assert Measurement.objects.get(instrument="psfs", source="follow_up").score == round((10 + 5 + 7) / 3, 1)


def test_side_effects_become_adverse_events_reported_by_the_patient(client, follow_up, session):
    _link, path = follow_up
    response = client.post(path, answers(**_effects(bruising="mild", headache="significant", infection="serious")))
    assert response.status_code == 200
    events = {e.event_type: e for e in AdverseEvent.objects.all()}
    assert {t: e.severity for t, e in events.items()} == {"bruising": "mild", "headache": "significant", "infection": "serious"}
    for event in events.values():
        assert event.reported_via == "follow_up" and event.recorded_by is None
        assert event.encounter_id == session.pk and event.patient_id == session.patient_id
        assert "Reported by the patient on the follow-up questions" in event.description  # in the practitioner's language
    assert "A bruise where a needle went in" in events["bruising"].description
    assert FollowUpResponse.objects.get().side_effects == [
        {"id": "bruising", "impact": "mild"},
        {"id": "headache", "impact": "significant"},
        {"id": "infection", "impact": "serious"},
    ]


def test_fainting_is_recorded_as_syncope(client, follow_up):
    _link, path = follow_up
    assert client.post(path, answers(**_effects(fainting="mild"))).status_code == 200
    assert AdverseEvent.objects.get().event_type == "syncope"


@pytest.mark.parametrize(
    ("staff_severity", "patient_impact", "expected"),
    [
        ("mild", "significant", "significant"),
        ("mild", "serious", "serious"),
        ("significant", "mild", "significant"),
        ("serious", "mild", "serious"),
    ],
)
def test_a_patient_report_updates_the_event_staff_recorded_and_never_lowers_it(
    client, follow_up, practitioner, session, staff_severity, patient_impact, expected
):
    _link, path = follow_up
    staff_event = needling.adverse_event_record(
        actor=practitioner,
        encounter=session,
        event_type="bruising",
        severity=staff_severity,
        onset=session.starts_at,
        description="Small bruise over the trapezius before leaving.",
    )
    assert client.post(path, answers(**_effects(bruising=patient_impact))).status_code == 200
    event = AdverseEvent.objects.get()  # updated, not a second one
    assert event.pk == staff_event.pk and event.severity == expected
    assert event.description.startswith("Small bruise over the trapezius before leaving.\n")
    assert "Reported by the patient on the follow-up questions: A bruise where a needle went in." in event.description
    assert event.recorded_by == practitioner and event.reported_via == "staff"  # who recorded it first stays on record
    assert AuditEvent.objects.filter(object_type="adverse_event", object_id=str(event.pk), action="update", actor_id=None).exists()


def test_an_event_of_another_type_or_another_session_is_not_touched(client, follow_up, practitioner, session):
    _link, path = follow_up
    other_type = needling.adverse_event_record(
        actor=practitioner, encounter=session, event_type="headache", severity="mild", onset=session.starts_at, description="Mild headache."
    )
    assert client.post(path, answers(**_effects(bruising="serious"))).status_code == 200
    other_type.refresh_from_db()
    assert other_type.severity == "mild" and other_type.description == "Mild headache."
    assert AdverseEvent.objects.filter(event_type="bruising", reported_via="follow_up", severity="serious").count() == 1


@pytest.mark.parametrize(
    ("soreness", "effects", "urgent"),
    [
        (ALERT_AT - 1, {}, None),  # mild soreness alone: no alert
        (0, {}, None),
        (ALERT_AT, {}, False),
        (10, {}, False),
        (2, {"bruising": "mild"}, False),
        (2, {"bruising": "significant"}, True),
        (2, {"nausea": "mild", "infection": "serious"}, True),
        (0, {"breathing": "mild"}, True),  # an urgent side effect is urgent whatever its impact
    ],
)
def test_alerts_go_to_the_sessions_practitioner_when_needed(
    client, follow_up, practitioner, second_practitioner, session, django_capture_on_commit_callbacks, soreness, effects, urgent
):
    practitioner.email = "practitioner@example.invalid"
    practitioner.save()
    second_practitioner.email = "colleague@example.invalid"
    second_practitioner.save()
    _link, path = follow_up
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, answers(soreness=str(soreness), comment="Kari's private comment", **_effects(**effects)))
    assert response.status_code == 200
    if urgent is None:
        assert not Alert.objects.exists() and not mail.outbox
        return
    alert = Alert.objects.get()
    assert alert.practitioner_id == session.practitioner_id == practitioner.pk
    assert alert.urgent is urgent and alert.acknowledged_at is None
    assert alert.patient_id == session.patient_id and alert.encounter_id == session.pk
    assert alert.summary == {"soreness": soreness, "effects": [{"id": e, "impact": i} for e, i in effects.items()]}
    assert AuditEvent.objects.filter(object_type="alert", object_id=str(alert.pk), action="create").exists()
    assert [m.to for m in mail.outbox] == [["practitioner@example.invalid"]]
    message = mail.outbox[0]
    assert message.subject.startswith("Urgent") is urgent
    text = message.subject + message.body
    for health_detail in ("Kari", "Nordmann", "private comment", "bruise", "Shortness of breath", "Infection", str(soreness) + "/10"):
        assert health_detail.lower() not in text.lower(), health_detail
    assert "Sign in to needlechart" in message.body


def test_the_alert_email_is_in_the_practitioners_language(client, follow_up, practitioner, django_capture_on_commit_callbacks):
    practitioner.email, practitioner.preferred_language = "practitioner@example.invalid", "nb"
    practitioner.save()
    _link, path = follow_up
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path, answers(**_effects(breathing="mild")))
    assert mail.outbox[0].subject == "Haster: en pasients oppfølgingssvar trenger deg nå"


def test_no_alert_email_without_an_address_but_the_alert_is_kept(client, follow_up, django_capture_on_commit_callbacks):
    _link, path = follow_up
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path, answers(soreness="9"))
    assert Alert.objects.count() == 1 and not mail.outbox


@pytest.mark.parametrize("language", ["en", "nb"])
def test_the_urgent_advice_is_shown_at_once_for_breathing_problems(client, follow_up, language):
    _link, path = follow_up
    response = client.post(path, answers(lang=language, **_effects(breathing="mild")))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="urgent-advice"' in page
    assert follow_up_form().urgent_advice.get(language) in page
    assert ("113" in page) and ("116 117" in page)
    assert AdverseEvent.objects.get().event_type == "pneumothorax"


def test_no_urgent_advice_after_a_non_urgent_side_effect(client, follow_up):
    _link, path = follow_up
    response = client.post(path, answers(**_effects(bruising="serious")))
    assert response.status_code == 200 and b'data-testid="urgent-advice"' not in response.content


def test_the_public_page_and_the_answers_are_audited(client, follow_up, patient, session):
    link, path = follow_up
    assert AuditEvent.objects.filter(object_type="follow_up_link", object_id=str(link.pk), action="create").exists()
    assert client.get(path).status_code == 200
    viewed = AuditEvent.objects.get(object_type="follow_up_link", action="view")
    assert viewed.object_id == str(link.pk) and viewed.patient_id == patient.pk and viewed.actor_id is None
    assert viewed.clinic_id == session.clinic_id and viewed.detail == {"via": "follow-up link"}
    assert client.post(path, answers(**_effects(bruising="mild"))).status_code == 200
    reply = FollowUpResponse.objects.get()
    submitted = AuditEvent.objects.get(object_type="follow_up")
    assert (submitted.action, submitted.object_id, submitted.patient_id, submitted.actor_id) == ("create", str(reply.pk), patient.pk, None)
    assert AuditEvent.objects.filter(object_type="adverse_event", action="create", actor_id=None, patient_id=patient.pk).count() == 1
    assert AuditEvent.objects.filter(object_type="alert", action="create", patient_id=patient.pk).count() == 1


def test_a_refused_link_writes_no_audit_event_for_the_patient(client, follow_up, patient):
    link, path = follow_up
    FollowUpLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    before = AuditEvent.objects.count()
    assert client.get(path).status_code == 410
    assert client.post(path, answers()).status_code == 410
    assert AuditEvent.objects.count() == before


def test_the_patient_can_switch_the_page_to_english(client, follow_up):
    _link, path = follow_up
    page = client.get(path + "?lang=en").content.decode()
    assert 'lang="en"' in page and "How are you after your treatment?" in page
    assert 'lang="nb"' in client.get(path + "?lang=de").content.decode()  # an unknown language falls back to the default


# --- alerts inbox -------------------------------------------------------------------------------


def test_the_practitioner_sees_and_acknowledges_their_alert(client, client_for, follow_up, practitioner, second_practitioner):
    _link, path = follow_up
    client.post(path, answers(soreness="8", comment="Very sore shoulder", **_effects(headache="significant")))
    alert = Alert.objects.get()
    staff = client_for(practitioner)
    inbox = staff.get(reverse("alert_list")).content.decode()
    assert "Kari Nordmann" in inbox and "Urgent" in inbox and "Headache" in inbox and "8/10" in inbox
    assert "Very sore shoulder" in inbox
    colleague = client_for(second_practitioner)
    assert "Kari Nordmann" not in colleague.get(reverse("alert_list")).content.decode()
    assert "Kari Nordmann" in colleague.get(reverse("alert_list") + "?all=1").content.decode()
    staff = client_for(practitioner)
    response = staff.post(reverse("alert_acknowledge", args=[alert.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("alert_list")
    alert.refresh_from_db()
    assert alert.acknowledged_by == practitioner and alert.acknowledged_at is not None
    assert 'data-testid="no-alerts"' in staff.get(reverse("alert_list")).content.decode()
    assert AuditEvent.objects.filter(object_type="alert", action="update", actor_id=practitioner.pk).count() == 1
    staff.post(reverse("alert_acknowledge", args=[alert.pk]))  # twice is harmless
    assert AuditEvent.objects.filter(object_type="alert", action="update", actor_id=practitioner.pk).count() == 1


def test_the_follow_up_status_shows_on_the_visit(client, client_for, follow_up, practitioner, session):
    _link, path = follow_up
    assert "not answered yet" in client_for(practitioner).get(reverse("encounter_detail", args=[session.pk])).content.decode()
    client.logout()
    client.post(path, answers())
    page = client_for(practitioner).get(reverse("encounter_detail", args=[session.pk])).content.decode()
    assert "Answered by the patient" in page


def test_links_are_per_session(client, follow_up, practitioner, front_desk, episode, session):
    """Answers go to the session the link was made for, even when the episode has a later visit."""
    later = charting.encounter_create(
        actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now() + dt.timedelta(days=7)
    )
    _link, path = follow_up
    client.post(path, answers())
    assert set(Measurement.objects.filter(source="follow_up").values_list("encounter_id", flat=True)) == {session.pk}
    assert not Measurement.objects.filter(encounter=later).exists()
