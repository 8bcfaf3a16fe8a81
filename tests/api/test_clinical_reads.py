"""The clinical reads of /api/v1/ (clinical:read): a patient's visits, notes with addenda, needling
with thresholds and ranges of motion, outcome measurements and adverse events, as recorded; drafts
for their author only; paging, ETags and updated_since; each list audited once per patient shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from needlechart.api.models import ApiClient
from needlechart.audit.models import AuditEvent, AuditSubject
from needlechart.charting import services as charting
from needlechart.charting.models import EncounterStatus, Note
from needlechart.clinics.models import Role
from needlechart.patients import services as patients
from tests.api.conftest import CLINICAL, READ, Api
from tests.api.test_oauth_code import _tokens_for, code_client  # noqa: F401 - the shared fixture
from tests.interop.conftest import full_visit  # noqa: F401 - shared fixtures
from tests.needling.conftest import ready_session, screened  # noqa: F401
from tests.outcomes.conftest import visit

V1 = "/api/v1"


@pytest.fixture
def clinical(admins_may_read_clinical, token_for) -> Api:
    return Api(token_for(CLINICAL))


@pytest.fixture
def amended(full_visit, practitioner):  # noqa: F811 - the shared fixture, as a parameter
    """The full visit's signed note with a signed addendum."""
    note = Note.objects.get(encounter=full_visit)
    addendum = charting.addendum_create(actor=practitioner, note=note, reason="Side corrected", text="Left, not right.")
    charting.addendum_sign(actor=practitioner, addendum=addendum)
    return note


def _rows_since(before: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("pk")[before:])


def _subjects(row: AuditEvent) -> list:
    return sorted(AuditSubject.objects.filter(event=row).values_list("patient_id", flat=True), key=str)


def test_a_patients_record_reads_as_recorded_and_each_item_as_its_own_read(clinical, amended, full_visit, patient, practitioner):  # noqa: F811
    base = f"{V1}/patients/{patient.pk}"
    encounters = clinical.get(f"{base}/encounters").json()["items"]
    assert [(e["id"], e["practitioner_id"], e["status"]) for e in encounters] == [(str(full_visit.pk), practitioner.pk, "finished")]

    [note] = clinical.get(f"{base}/notes").json()["items"]
    assert (note["status"], note["subjective"], note["digest"]) == ("signed", "Neck pain 6/10", amended.digest)
    assert [(a["status"], a["reason"], a["text"]) for a in note["addenda"]] == [("signed", "Side corrected", "Left, not right.")]

    [needled] = clinical.get(f"{base}/needling").json()["items"]
    assert [(e["muscle_id"], e["side"], e["needle_count"]) for e in needled["entries"]] == [
        ("upper_trapezius", "r", 1),
        ("gluteus_medius", "l", 2),
    ]
    assert needled["needles_out"] == 3 and needled["advice_ids"] == ["soreness_24_48"]
    assert [(p["muscle_id"], p["trials_kpa"], p["mean_kpa"]) for p in needled["pressure_pain_thresholds"]] == [
        ("upper_trapezius", [210.0, 230.5, 250.0], 230.2)
    ]
    assert [(r["joint"], r["movement"], r["side"], r["degrees"]) for r in needled["ranges_of_motion"]] == [
        ("cervical_spine", "rotation", "l", 55)
    ]

    measured = {m["instrument"]: m for m in clinical.get(f"{base}/measurements").json()["items"]}
    assert set(measured) == {"nprs", "psfs"} and measured["nprs"]["score"] == 6 and measured["nprs"]["encounter_id"] == str(full_visit.pk)
    assert [a["name"] for a in measured["psfs"]["answers"]["activities"]][0] == "Climbing stairs"

    [event] = clinical.get(f"{base}/adverse-events").json()["items"]
    assert (event["event_type"], event["severity"], event["outcome"]) == ("bruising", "mild", "ongoing")

    for path, item in (
        (f"/encounters/{full_visit.pk}", encounters[0]),
        (f"/notes/{note['id']}", note),
        (f"/encounters/{full_visit.pk}/needling", needled),
        (f"/measurements/{measured['psfs']['id']}", measured["psfs"]),
        (f"/adverse-events/{event['id']}", event),
    ):
        assert clinical.get(V1 + path).json() == item, path


def test_a_draft_is_shown_only_to_a_token_acting_as_its_author(
    clinical,
    signed_note,
    episode,
    front_desk,
    practitioner,
    second_practitioner,
    client_for,
    code_client,  # noqa: F811
):
    later = visit(front_desk, episode, practitioner, days_ago=-1)
    draft = charting.note_save_draft(actor=practitioner, encounter=later, subjective="Still writing")
    pending = charting.addendum_create(actor=practitioner, note=signed_note, reason="More", text="Not signed yet.")
    notes = f"{V1}/patients/{signed_note.patient_id}/notes"

    listed = clinical.get(notes).json()["items"]
    assert [(n["id"], n["addenda"]) for n in listed] == [(str(signed_note.pk), [])]
    assert clinical.get(f"{V1}/notes/{draft.pk}").status_code == 404

    author = Api(_tokens_for(client_for, practitioner, code_client)["access_token"])
    mine = author.get(notes).json()["items"]
    assert [(n["id"], n["status"]) for n in mine] == [(str(signed_note.pk), "signed"), (str(draft.pk), "draft")]
    assert [(a["id"], a["status"]) for a in mine[0]["addenda"]] == [(str(pending.pk), "draft")]
    assert author.get(f"{V1}/notes/{draft.pk}").json()["subjective"] == "Still writing"

    colleague = Api(_tokens_for(client_for, second_practitioner, code_client)["access_token"])
    assert colleague.get(f"{V1}/notes/{draft.pk}").status_code == 404
    assert [n["addenda"] for n in colleague.get(notes).json()["items"]] == [[]]


def test_each_list_writes_one_audit_row_naming_the_patient_whatever_it_shows(clinical, full_visit, patient):  # noqa: F811
    client = ApiClient.objects.get()
    for path, kind in (("encounters", "encounter"), ("notes", "note"), ("needling", "needling_record"), ("measurements", "measurement")):
        before = AuditEvent.objects.count()
        shown = [item.get("id") or item["encounter_id"] for item in clinical.get(f"{V1}/patients/{patient.pk}/{path}").json()["items"]]
        [row] = _rows_since(before)
        assert (row.action, row.object_type, row.patient_id, row.detail["shown"]) == (
            "search",
            kind,
            None,
            [[str(patient.pk), sorted(shown)]],
        )
        assert shown and _subjects(row) == [patient.pk]
        assert row.detail["api_client"] == str(client.pk) and row.detail["scope"] == "clinical:read"
    other = patients.patient_create(
        actor=full_visit.practitioner, data={"given_name": "Ola", "family_name": "Berg", "birth_date": dt.date(1970, 1, 1)}
    )
    before = AuditEvent.objects.count()
    assert clinical.get(f"{V1}/patients/{other.pk}/adverse-events").json()["items"] == []
    [row] = _rows_since(before)
    assert (row.patient_id, row.detail["shown"], _subjects(row)) == (None, [[str(other.pk), []]], [other.pk])
    before = AuditEvent.objects.count()
    clinical.get(f"{V1}/adverse-events/{full_visit.adverse_events.get().pk}")
    [row] = _rows_since(before)
    assert (row.action, row.object_type, row.patient_id) == ("view", "adverse_event", patient.pk)


def test_the_patients_list_and_search_write_one_row_naming_every_patient_shown(token_for, patient, front_desk):
    api = Api(token_for(READ))
    second = patients.patient_create(
        actor=front_desk, data={"given_name": "Per", "family_name": "Nordmann", "birth_date": dt.date(1990, 1, 1)}
    )
    both = sorted([patient.pk, second.pk], key=str)
    for path, params in (("/patients", {}), ("/patients/search", {"name": "nordmann"})):
        before = AuditEvent.objects.count()
        assert len(api.get(V1 + path, params).json()["items"]) == 2
        [row] = _rows_since(before)
        assert (row.action, row.patient_id, row.detail["shown"]) == ("search", None, [[str(p), [str(p)]] for p in both])
        assert _subjects(row) == both
    before = AuditEvent.objects.count()
    assert api.get(f"{V1}/patients/search", {"name": "nobody"}).json()["items"] == []
    [row] = _rows_since(before)
    assert row.patient_id is None and row.detail["shown"] == [] and _subjects(row) == []


def test_visits_page_in_order_with_etags_and_their_own_cursors(clinical, encounter, episode, front_desk, practitioner):
    later = visit(front_desk, episode, practitioner, days_ago=-2)
    path = f"{V1}/patients/{encounter.patient_id}/encounters"
    first = clinical.get(path, {"limit": 1})
    assert [e["id"] for e in first.json()["items"]] == [str(encounter.pk)]
    rest = clinical.get(path, {"limit": 1, "cursor": first.json()["next_cursor"]}).json()
    assert [e["id"] for e in rest["items"]] == [str(later.pk)] and rest["next_cursor"] is None
    assert clinical.get(path, {"limit": 1}, headers={"If-None-Match": first["ETag"]}).status_code == 304
    wrong = clinical.get(f"{V1}/patients/{encounter.patient_id}/measurements", {"cursor": first.json()["next_cursor"]})
    assert wrong.status_code == 400 and wrong["Content-Type"] == "application/problem+json"


def test_a_page_read_again_a_minute_later_has_the_same_cursor_and_etag(clinical, encounter, episode, front_desk, practitioner, monkeypatch):
    """The cursor holds no time, so a page that has not changed keeps its ETag (and 304s) however
    much later it is asked for again."""
    import time

    from django.core import signing

    visit(front_desk, episode, practitioner, days_ago=-2)
    path = f"{V1}/patients/{encounter.patient_id}/encounters"
    first = clinical.get(path, {"limit": 1})
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now + 60)
    again = clinical.get(path, {"limit": 1})
    assert again.json()["next_cursor"] == first.json()["next_cursor"] and again["ETag"] == first["ETag"]
    assert clinical.get(path, {"limit": 1}, headers={"If-None-Match": first["ETag"]}).status_code == 304


def test_notes_changed_since_include_those_given_a_signed_addendum(clinical, signed_note, practitioner):
    path = f"{V1}/patients/{signed_note.patient_id}/notes"
    assert clinical.get(path, {"updated_since": signed_note.updated_at.isoformat()}).json()["items"][0]["id"] == str(signed_note.pk)
    mark = timezone.now()
    assert clinical.get(path, {"updated_since": mark.isoformat()}).json()["items"] == []
    addendum = charting.addendum_create(actor=practitioner, note=signed_note, reason="Later", text="Seen again.")
    assert clinical.get(path, {"updated_since": mark.isoformat()}).json()["items"] == []  # a draft addendum is no change
    charting.addendum_sign(actor=practitioner, addendum=addendum)
    assert [n["id"] for n in clinical.get(path, {"updated_since": mark.isoformat()}).json()["items"]] == [str(signed_note.pk)]
    assert clinical.get(path, {"updated_since": "2026-01-01T10:00"}).status_code == 422  # no offset


def test_visits_changed_since_include_a_status_change_and_carry_their_change_time(clinical, encounter, episode, front_desk, practitioner):
    other = visit(front_desk, episode, practitioner, days_ago=-2)
    path = f"{V1}/patients/{encounter.patient_id}/encounters"
    mark = timezone.now()
    assert clinical.get(path, {"updated_since": mark.isoformat()}).json()["items"] == []
    charting.encounter_set_status(actor=front_desk, encounter=other, status=EncounterStatus.ARRIVED)
    changed = clinical.get(path, {"updated_since": mark.isoformat()}).json()["items"]
    assert [(e["id"], e["status"]) for e in changed] == [(str(other.pk), "arrived")]
    assert dt.datetime.fromisoformat(changed[0]["updated_at"]) >= mark
    assert clinical.get(path, {"updated_since": "2026-01-01T10:00"}).status_code == 422  # no offset


def test_a_client_whose_role_may_not_read_clinical_records_is_refused(clinical, encounter):
    ApiClient.objects.update(acting_role=Role.FRONT_DESK)
    response = clinical.get(f"{V1}/encounters/{encounter.pk}")
    assert response.status_code == 403 and response["Content-Type"] == "application/problem+json"


def test_a_page_of_needling_costs_a_fixed_number_of_queries(clinical, full_visit, patient, django_assert_max_num_queries):  # noqa: F811
    with django_assert_max_num_queries(14):
        assert len(clinical.get(f"{V1}/patients/{patient.pk}/needling").json()["items"]) == 1
