"""Signing through the note form: one transaction, a pinned number of statements, nothing written
when refused, and the same rows as signing in two steps."""

from __future__ import annotations

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from needlechart.analytics import summaries
from needlechart.analytics.models import EpisodeOutcome, SessionFact
from needlechart.audit.models import AuditAction, AuditEvent
from needlechart.charting import services as charting
from needlechart.charting.models import Encounter, Note
from needlechart.charting.signing import signing_relations, signing_states
from needlechart.needling import services
from needlechart.needling.models import NeedlingRecord
from needlechart.needling.session import session_state

SOAP = {"subjective": "Neck 5/10", "objective": "", "assessment": "", "plan": ""}

# The statements of the sign POST (session, user, the visit, then one transaction: the note and the
# visit locked with the single rows signing reads, the contributors' lists, the note written once,
# the audit rows, the visit finished, the session's and the episode's reporting rows). Was 38 on
# PostgreSQL (two transactions, each contributor's rows read one by one, the draft written then
# signed). Raise these only for a reason, in the same commit as the statement it adds.
NEW_NOTE = {"postgresql": 24, "sqlite": 28}
DRAFTED = {"postgresql": 24, "sqlite": 28}


def _statements(client, encounter) -> tuple[int, list[str], int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("note_save", args=[encounter.pk]), {**SOAP, "sign": "1"})
    return response.status_code, [q["sql"] for q in queries.captured_queries], len(queries.captured_queries)


def test_signing_a_visit_through_the_note_form_sends_a_pinned_number_of_statements(client_for, practitioner, ready_session):
    client = client_for(practitioner)
    client.get(reverse("encounter_detail", args=[ready_session.pk]))  # the session and the user cached as after any page
    status, sql, count = _statements(client, ready_session)
    assert status == 302 and Note.objects.get(encounter=ready_session).is_signed
    assert count == NEW_NOTE[connection.vendor], "\n".join(sql)


def test_signing_a_saved_draft_through_the_note_form_sends_a_pinned_number_of_statements(client_for, practitioner, ready_session):
    client = client_for(practitioner)
    assert client.post(reverse("note_save", args=[ready_session.pk]), {**SOAP, "subjective": "first"}).status_code == 302
    status, sql, count = _statements(client, ready_session)
    note = Note.objects.get(encounter=ready_session)
    assert status == 302 and note.is_signed and note.subjective == "Neck 5/10"
    assert count == DRAFTED[connection.vendor], "\n".join(sql)


def test_a_refused_signature_through_the_note_form_signs_nothing_and_keeps_the_draft(client_for, practitioner, encounter, screened):
    services.needling_entry_save(
        actor=practitioner, encounter=encounter, muscle_id="gluteus_medius", side="l", **services.default_entry("gluteus_medius")
    )
    response = client_for(practitioner).post(reverse("note_save", args=[encounter.pk]), {**SOAP, "sign": "1"})
    assert response.status_code == 400 and b"Count the needles out before signing" in response.content
    note = Note.objects.get(encounter=encounter)  # what was typed, as the draft
    assert not note.is_signed and note.subjective == SOAP["subjective"]
    assert list(AuditEvent.objects.filter(object_type="note").values_list("action", flat=True)) == ["create"]  # no signature
    assert Encounter.objects.get(pk=encounter.pk).status == encounter.status
    assert not SessionFact.objects.filter(encounter_id=encounter.pk).exists()


def _note_rows(note: Note) -> list[tuple[str, dict]]:
    events = AuditEvent.objects.filter(object_type="note", object_id=str(note.pk)).order_by("seq")
    return [(event.action, event.detail) for event in events]


def _reporting_rows(encounter) -> tuple[dict, dict]:
    fact = SessionFact.objects.filter(encounter_id=encounter.pk).values().get()
    outcome = EpisodeOutcome.objects.filter(episode_id=encounter.episode_id).values().get()
    return fact, outcome


def test_the_form_signs_as_the_two_steps_did(client_for, practitioner, ready_session):
    """The draft's audit row, then the signature's; the canonical form the note's own; the
    reporting rows those that recomputing them from the records gives."""
    response = client_for(practitioner).post(reverse("note_save", args=[ready_session.pk]), {**SOAP, "sign": "1"})
    assert response.status_code == 302
    note = Note.objects.get(encounter=ready_session)
    assert charting.signed_record_verify(note)
    assert _note_rows(note) == [(AuditAction.CREATE, {}), (AuditAction.SIGN, {"digest": note.digest})]
    content = json.loads(note.canonical)
    assert content["subjective"] == "Neck 5/10" and content["judgements"]["certified"] is True
    assert [e["muscle"] for e in content["needling"]["needling"]] == ["upper_trapezius", "gluteus_medius"]
    assert content["needling"]["needle_count"] == {"in": 3, "out": 3, "search": "", "outcome": ""}
    assert note.signed_by_id == practitioner.pk and note.author_id == practitioner.pk
    signed = _reporting_rows(ready_session)
    summaries.rebuild(practitioner.clinic_id)
    assert _reporting_rows(ready_session) == signed


def test_a_draft_signed_through_the_form_records_its_update_then_its_signature(client_for, practitioner, ready_session):
    client = client_for(practitioner)
    client.post(reverse("note_save", args=[ready_session.pk]), {**SOAP, "subjective": "first"})
    client.post(reverse("note_save", args=[ready_session.pk]), {**SOAP, "sign": "1"})
    note = Note.objects.get(encounter=ready_session)
    assert _note_rows(note) == [(AuditAction.CREATE, {}), (AuditAction.UPDATE, {}), (AuditAction.SIGN, {"digest": note.digest})]
    assert charting.signed_record_verify(note)


def test_signing_takes_the_rows_its_locking_read_joined_and_nothing_else_takes_a_cached_one(ready_session):
    """signing_states(joined=True) uses the single rows the read of that encounter joined; any other
    read of the visit reads them anew, even when the encounter's relation cache holds an old copy."""
    stale = ready_session.needling_record  # the cache now holds this copy
    NeedlingRecord.objects.filter(pk=stale.pk).update(needles_out=1)
    assert session_state(ready_session).record.needles_out == 1
    assert signing_states(ready_session)["needling"].record.needles_out == 1
    joined = Encounter.objects.select_related(*signing_relations()).get(pk=ready_session.pk)
    states = signing_states(joined, joined=True)
    assert states["needling"].record is joined.needling_record and states["home_programme"].programme is None


def test_a_first_note_saved_twice_at_once_is_a_409_that_writes_nothing(client_for, practitioner, ready_session, monkeypatch):
    """Two sign requests for a visit without a note (a double click): on PostgreSQL both may find no
    note and both insert one; the second insert breaks the one-note-a-visit key. Simulated here by
    the other request's draft being there already when this one looked and found none."""
    other = charting.note_save_draft(actor=practitioner, encounter=ready_session, subjective="From the other window")
    monkeypatch.setattr(charting, "_notes_locked_for_signing", lambda: Note.objects.none())
    response = client_for(practitioner).post(reverse("note_save", args=[ready_session.pk]), {**SOAP, "sign": "1"})
    assert response.status_code == 409 and b"saved from another window at the same moment" in response.content
    stored = Note.objects.get(encounter=ready_session)
    assert stored.pk == other.pk and stored.subjective == "From the other window" and not stored.is_signed
    assert not AuditEvent.objects.filter(object_type="note", action=AuditAction.SIGN).exists()
