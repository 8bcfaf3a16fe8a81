"""A patient's clinical record, read only: visits, notes with their addenda, needling (with the
thresholds and ranges of motion measured at the visit), outcome measurements and adverse events.

Under the clinical:read scope. Thin, as the patients' router: the apps' selectors scope every read
to the client's clinic and check the acting role may read clinical records, so another clinic's
record is a 404 as a missing one. A draft note or addendum is shown only to a token acting as its
author (OAuth 2 authorization code: api.authorize); a client acting for itself sees signed ones.
A read writes one audit row; a list one for the call naming the patient (api.read_audit), even when empty.
"""

from __future__ import annotations

import uuid
from typing import Annotated, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from ninja.responses import Status

from needlechart.api.auth import Caller, ClientToken
from needlechart.api.problems import responses
from needlechart.api.read_audit import audit_shown
from needlechart.api.scopes import Scope
from needlechart.api.v1.clinical_schemas import (
    AdverseEventOut,
    AdverseEventPage,
    EncounterOut,
    EncounterPage,
    MeasurementOut,
    MeasurementPage,
    NeedlingVisitOut,
    NeedlingVisitPage,
    NoteOut,
    NotePage,
    adverse_event_out,
    encounter_out,
    measurement_out,
    needling_visit_out,
    note_out,
)
from needlechart.api.v1.conditional import read_answer
from needlechart.api.v1.paging import Cursor, Limit, page
from needlechart.api.v1.schemas import Moment
from needlechart.audit.models import AuditObject
from needlechart.audit.services import audit_read
from needlechart.charting import selectors as charting
from needlechart.needling import selectors as needling
from needlechart.outcomes import selectors as outcomes
from needlechart.patients.models import Patient
from needlechart.patients.selectors import patient_get_for_user

router = Router(tags=["clinical"])
READ = ClientToken(Scope.CLINICAL_READ)
Row = TypeVar("Row", bound=Model)


def _caller(request: HttpRequest) -> Caller:
    return request.auth  # type: ignore[attr-defined] # set by ClientToken


def _list_responses(answer: type[Schema]) -> dict[int, object]:
    """A list's: its page, 304 to If-None-Match, a cursor it did not give (400), no such patient."""
    return responses({200: answer, 304: None}, 400, 404, 422)


def _read_responses(answer: type[Schema]) -> dict[int, object]:
    return responses({200: answer, 304: None}, 404)


def _patient(caller: Caller, patient_id: uuid.UUID) -> Patient:
    return patient_get_for_user(user=caller.user, patient_id=patient_id)


def _one(rows: QuerySet[Row], pk: uuid.UUID) -> Row:
    row = rows.filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


def _audit_list(caller: Caller, object_type: str, patient: Patient, rows: list[Row]) -> None:
    audit_shown(actor=caller.user, object_type=object_type, shown=[(patient.pk, row.pk) for row in rows], of_patient=patient.pk)


@router.get(
    "/patients/{uuid:patient_id}/encounters",
    auth=READ,
    response=_list_responses(EncounterPage),
    operation_id="listEncounters",
    summary="List a patient's visits",
)
def list_encounters(
    request: HttpRequest,
    response: HttpResponse,
    patient_id: uuid.UUID,
    updated_since: Annotated[
        Moment | None,
        Query(description="Only visits booked or changed (a status, the signature) at or after this time (ISO 8601 with its offset)."),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Status[EncounterPage | None]:
    """In the order of their booked start, cancelled ones too."""
    caller = _caller(request)
    patient = _patient(caller, patient_id)
    encounters = charting.encounters_for_user(user=caller.user).filter(patient=patient)
    if updated_since is not None:
        encounters = encounters.filter(updated_at__gte=updated_since)
    rows, next_cursor = page(encounters, order="starts_at", cursor=cursor, limit=limit)
    _audit_list(caller, AuditObject.ENCOUNTER, patient, rows)
    return read_answer(request, response, EncounterPage(items=[encounter_out(e) for e in rows], next_cursor=next_cursor))


@router.get(
    "/encounters/{uuid:encounter_id}",
    auth=READ,
    response=_read_responses(EncounterOut),
    operation_id="readEncounter",
    summary="Read a visit",
)
def read_encounter(request: HttpRequest, response: HttpResponse, encounter_id: uuid.UUID) -> Status[EncounterOut | None]:
    caller = _caller(request)
    encounter = _one(charting.encounters_for_user(user=caller.user), encounter_id)
    audit_read(actor=caller.user, object_type=AuditObject.ENCOUNTER, object_id=encounter.pk, patient_id=encounter.patient_id)
    return read_answer(request, response, encounter_out(encounter))


@router.get(
    "/patients/{uuid:patient_id}/notes",
    auth=READ,
    response=_list_responses(NotePage),
    operation_id="listNotes",
    summary="List a patient's notes with their addenda",
)
def list_notes(
    request: HttpRequest,
    response: HttpResponse,
    patient_id: uuid.UUID,
    updated_since: Annotated[
        Moment | None,
        Query(description="Only notes saved, signed or given a signed addendum at or after this time (ISO 8601 with its offset)."),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Status[NotePage | None]:
    """Signed notes, and the drafts of the staff member the token acts for, in the order they were
    started."""
    caller = _caller(request)
    patient = _patient(caller, patient_id)
    notes = charting.readable_notes(user=caller.user).filter(patient=patient)
    if updated_since is not None:
        notes = charting.notes_changed_since(notes, updated_since)
    rows, next_cursor = page(notes, order="created_at", cursor=cursor, limit=limit)
    _audit_list(caller, AuditObject.NOTE, patient, rows)
    return read_answer(request, response, NotePage(items=[note_out(n) for n in rows], next_cursor=next_cursor))


@router.get(
    "/notes/{uuid:note_id}",
    auth=READ,
    response=_read_responses(NoteOut),
    operation_id="readNote",
    summary="Read a note with its addenda",
)
def read_note(request: HttpRequest, response: HttpResponse, note_id: uuid.UUID) -> Status[NoteOut | None]:
    """Another staff member's draft is not found, as a missing note."""
    caller = _caller(request)
    note = _one(charting.readable_notes(user=caller.user), note_id)
    audit_read(actor=caller.user, object_type=AuditObject.NOTE, object_id=note.pk, patient_id=note.patient_id)
    return read_answer(request, response, note_out(note))


@router.get(
    "/patients/{uuid:patient_id}/needling",
    auth=READ,
    response=_list_responses(NeedlingVisitPage),
    operation_id="listNeedling",
    summary="List a patient's needling, visit by visit",
)
def list_needling(
    request: HttpRequest, response: HttpResponse, patient_id: uuid.UUID, cursor: Cursor = None, limit: Limit = 50
) -> Status[NeedlingVisitPage | None]:
    """The visits with needles placed, a pressure pain threshold or a range of motion recorded, in
    the order of their booked start."""
    caller = _caller(request)
    patient = _patient(caller, patient_id)
    visits = needling.needling_visits(user=caller.user).filter(patient=patient)
    rows, next_cursor = page(visits, order="starts_at", cursor=cursor, limit=limit)
    _audit_list(caller, AuditObject.NEEDLING_RECORD, patient, rows)
    return read_answer(request, response, NeedlingVisitPage(items=[needling_visit_out(v) for v in rows], next_cursor=next_cursor))


@router.get(
    "/encounters/{uuid:encounter_id}/needling",
    auth=READ,
    response=_read_responses(NeedlingVisitOut),
    operation_id="readNeedling",
    summary="Read the needling of a visit",
)
def read_needling(request: HttpRequest, response: HttpResponse, encounter_id: uuid.UUID) -> Status[NeedlingVisitOut | None]:
    """A visit with nothing of needling recorded is not found."""
    caller = _caller(request)
    visit = _one(needling.needling_visits(user=caller.user), encounter_id)
    audit_read(actor=caller.user, object_type=AuditObject.NEEDLING_RECORD, object_id=visit.pk, patient_id=visit.patient_id)
    return read_answer(request, response, needling_visit_out(visit))


@router.get(
    "/patients/{uuid:patient_id}/measurements",
    auth=READ,
    response=_list_responses(MeasurementPage),
    operation_id="listMeasurements",
    summary="List a patient's outcome measurements with their answers",
)
def list_measurements(
    request: HttpRequest, response: HttpResponse, patient_id: uuid.UUID, cursor: Cursor = None, limit: Limit = 50
) -> Status[MeasurementPage | None]:
    """NPRS, VAS, PSFS, GROC and the clinic's own questionnaires, in the order they were taken;
    retracted ones too (retracted_at). Pressure pain thresholds and ranges of motion are part of a
    visit's needling (listNeedling)."""
    caller = _caller(request)
    patient = _patient(caller, patient_id)
    rows, next_cursor = page(
        outcomes.measurements_for_user(user=caller.user).filter(patient=patient), order="taken_at", cursor=cursor, limit=limit
    )
    _audit_list(caller, AuditObject.MEASUREMENT, patient, rows)
    return read_answer(request, response, MeasurementPage(items=[measurement_out(m) for m in rows], next_cursor=next_cursor))


@router.get(
    "/measurements/{uuid:measurement_id}",
    auth=READ,
    response=_read_responses(MeasurementOut),
    operation_id="readMeasurement",
    summary="Read an outcome measurement",
)
def read_measurement(request: HttpRequest, response: HttpResponse, measurement_id: uuid.UUID) -> Status[MeasurementOut | None]:
    caller = _caller(request)
    measurement = _one(outcomes.measurements_for_user(user=caller.user), measurement_id)
    audit_read(actor=caller.user, object_type=AuditObject.MEASUREMENT, object_id=measurement.pk, patient_id=measurement.patient_id)
    return read_answer(request, response, measurement_out(measurement))


@router.get(
    "/patients/{uuid:patient_id}/adverse-events",
    auth=READ,
    response=_list_responses(AdverseEventPage),
    operation_id="listAdverseEvents",
    summary="List a patient's adverse events",
)
def list_adverse_events(
    request: HttpRequest, response: HttpResponse, patient_id: uuid.UUID, cursor: Cursor = None, limit: Limit = 50
) -> Status[AdverseEventPage | None]:
    """In the order of their onset."""
    caller = _caller(request)
    patient = _patient(caller, patient_id)
    rows, next_cursor = page(
        needling.adverse_events_for_user(user=caller.user).filter(patient=patient), order="onset", cursor=cursor, limit=limit
    )
    _audit_list(caller, AuditObject.ADVERSE_EVENT, patient, rows)
    return read_answer(request, response, AdverseEventPage(items=[adverse_event_out(e) for e in rows], next_cursor=next_cursor))


@router.get(
    "/adverse-events/{uuid:event_id}",
    auth=READ,
    response=_read_responses(AdverseEventOut),
    operation_id="readAdverseEvent",
    summary="Read an adverse event",
)
def read_adverse_event(request: HttpRequest, response: HttpResponse, event_id: uuid.UUID) -> Status[AdverseEventOut | None]:
    caller = _caller(request)
    event = _one(needling.adverse_events_for_user(user=caller.user), event_id)
    audit_read(actor=caller.user, object_type=AuditObject.ADVERSE_EVENT, object_id=event.pk, patient_id=event.patient_id)
    return read_answer(request, response, adverse_event_out(event))
