"""Patients and their episodes of care: list (changed since), search, read, register, change.

Thin: the schema checks the input, the caller's scope was checked by its token (api.auth), the
patients' selectors and services do the rest as they do for the pages, with the client's
acting user. A read writes one audit row; a list or search one for the call, naming each patient it answered (api.read_audit).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Header, Query, Router
from ninja.responses import Status

from needlechart.api import selectors as api_selectors
from needlechart.api.auth import Caller, ClientToken
from needlechart.api.problems import VALIDATION, ProblemError, field_error, responses
from needlechart.api.read_audit import audit_shown
from needlechart.api.scopes import Scope
from needlechart.api.v1.conditional import etag_of, read_answer, read_json_answer, require_version
from needlechart.api.v1.paging import Cursor, Limit, page
from needlechart.api.v1.schemas import (
    PATIENT_COLUMNS,
    EpisodeOut,
    EpisodePage,
    Line100,
    Moment,
    Name,
    PatientChange,
    PatientCreate,
    PatientOut,
    PatientPage,
    PatientSearchResult,
    RecordDate,
    episode_out,
    identifiers_in,
    patient_out,
    patient_rows_json,
)
from needlechart.audit.models import AuditObject
from needlechart.audit.services import audit_read
from needlechart.patients import selectors, services
from needlechart.patients.selectors import SEARCH_LIMIT, SearchQuery

router = Router(tags=["patients"])
READ = ClientToken(Scope.DEMOGRAPHICS_READ)
WRITE = ClientToken(Scope.DEMOGRAPHICS_WRITE)


def _caller(request: HttpRequest) -> Caller:
    return request.auth  # type: ignore[attr-defined] # set by ClientToken


@router.get(
    "/patients",
    auth=READ,
    response=responses({200: PatientPage, 304: None}, 400, 422),
    operation_id="listPatients",
    summary="List patients, oldest change first",
)
def list_patients(
    request: HttpRequest,
    response: HttpResponse,
    updated_since: Annotated[
        Moment | None, Query(description="Only patients changed at or after this time (ISO 8601 with its offset).")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Status[PatientPage | None]:
    """The clinic's patients in the order they were last changed, a page at a time: a system that
    keeps a copy asks for those changed since its last run. Rows changed at the same moment come in
    id order; a patient changed while pages are read comes again on a later page."""
    caller = _caller(request)
    patients = selectors.patients_for_user(user=caller.user).prefetch_related("identifiers")
    if updated_since is not None:
        patients = patients.filter(updated_at__gte=updated_since)
    rows, next_cursor = page(patients, order="updated_at", cursor=cursor, limit=limit)
    answer = PatientPage(items=[patient_out(p) for p in rows], next_cursor=next_cursor)
    audit_shown(actor=caller.user, object_type=AuditObject.PATIENT, shown=[(p.pk, p.pk) for p in rows])
    return read_answer(request, response, answer)


@router.get(
    "/patients/search",
    auth=READ,
    response=responses({200: PatientSearchResult, 304: None}, 422),
    operation_id="searchPatients",
    summary="Find patients by name, date of birth or identifier",
)
def search_patients(
    request: HttpRequest,
    response: HttpResponse,
    name: Annotated[Name | None, Query(description="The start of family or given names, word by word.")] = None,
    birth_date: Annotated[RecordDate | None, Query(description="The date of birth.")] = None,
    identifier: Annotated[Line100 | None, Query(description="An identifier's exact value, e.g. a fødselsnummer.")] = None,
) -> HttpResponse:
    """The patients matching one of name, birth_date or identifier (give exactly one), as the search
    box finds them: at most 50, in name order."""
    given = [key for key, value in (("name", name), ("birth_date", birth_date), ("identifier", identifier)) if value]
    if len(given) != 1:
        errors = [
            field_error(["query", key], _("Give exactly one of name, birth_date and identifier."), "one_of") for key in given or ["name"]
        ]
        raise ProblemError(VALIDATION, _("Give exactly one of name, birth_date and identifier."), errors=errors)
    caller = _caller(request)
    query = SearchQuery(text=str(name or identifier or birth_date))
    if name:
        query.name_keys = selectors.name_keys(name)
    query.birth_date, query.identifier = birth_date, identifier or None
    rows, identifiers = api_selectors.found_patients(user=caller.user, query=query, columns=PATIENT_COLUMNS)
    complete = len(rows) < SEARCH_LIMIT
    audit_shown(actor=caller.user, object_type=AuditObject.PATIENT, shown=[(row["id"], row["id"]) for row in rows])
    # The items are PatientOut's JSON built from the rows (schemas.patient_rows_json), not fifty models made and dumped.
    return read_json_answer(request, response, {"items": patient_rows_json(rows, identifiers), "complete": complete})


@router.get(
    "/patients/{uuid:patient_id}",
    auth=READ,
    response=responses({200: PatientOut, 304: None}, 404),
    operation_id="readPatient",
    url_name="patient",
    summary="Read a patient",
)
def read_patient(request: HttpRequest, response: HttpResponse, patient_id: uuid.UUID) -> Status[PatientOut | None]:
    caller = _caller(request)
    patient = selectors.patient_get_for_user(user=caller.user, patient_id=patient_id)
    audit_read(actor=caller.user, object_type=AuditObject.PATIENT, object_id=patient.pk, patient_id=patient.pk)
    return read_answer(request, response, patient_out(patient))


@router.post(
    "/patients",
    auth=WRITE,
    response=responses({201: PatientOut}, 400, 409, 413, 415, 422),
    operation_id="createPatient",
    summary="Register a patient",
)
def create_patient(request: HttpRequest, response: HttpResponse, payload: PatientCreate) -> Status[PatientOut]:
    """A national identity number is checked (its check digits, and the date of birth it gives)."""
    caller = _caller(request)
    patient = services.patient_create(actor=caller.user, data=payload.demographics(), identifiers=identifiers_in(payload.identifiers or []))
    answer = patient_out(patient)
    response["Location"] = reverse("api-v1:patient", kwargs={"patient_id": patient.pk})
    response["ETag"] = etag_of(answer)
    return Status(201, answer)


@router.patch(
    "/patients/{uuid:patient_id}",
    auth=WRITE,
    response=responses({200: PatientOut}, 400, 404, 409, 412, 413, 415, 422, 428),
    operation_id="changePatient",
    summary="Change a patient's demographics",
)
def change_patient(
    request: HttpRequest,
    response: HttpResponse,
    patient_id: uuid.UUID,
    payload: PatientChange,
    if_match: Annotated[str | None, Header(alias="If-Match", description="The ETag of the patient as last read.")] = None,
) -> Status[PatientOut]:
    """Set the fields given (a JSON merge patch; identifiers, when given, replace all of them).
    If-Match must carry the ETag of the patient as last read: 412 if it changed since, 428 without it."""
    caller = _caller(request)
    with transaction.atomic():
        patient = selectors.patients_for_user(user=caller.user).select_for_update().filter(pk=patient_id).first()
        if patient is None:
            raise Http404
        require_version(if_match, patient_out(patient))
        identifiers = identifiers_in(payload.identifiers) if payload.identifiers is not None else None
        patient = services.patient_update(actor=caller.user, patient=patient, data=payload.demographics(), identifiers=identifiers)
    answer = patient_out(patient)
    response["ETag"] = etag_of(answer)
    return Status(200, answer)


@router.get(
    "/patients/{uuid:patient_id}/episodes",
    auth=READ,
    response=responses({200: EpisodePage, 304: None}, 400, 404, 422),
    operation_id="listEpisodes",
    summary="List a patient's episodes of care",
)
def list_episodes(
    request: HttpRequest,
    response: HttpResponse,
    patient_id: uuid.UUID,
    updated_since: Annotated[
        Moment | None, Query(description="Only episodes started, changed or closed at or after this time (ISO 8601 with its offset).")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Status[EpisodePage | None]:
    """In the order they started."""
    caller = _caller(request)
    patient = selectors.patient_get_for_user(user=caller.user, patient_id=patient_id)
    episodes = patient.episodes.filter(clinic_id=patient.clinic_id)
    if updated_since is not None:
        episodes = episodes.filter(updated_at__gte=updated_since)
    rows, next_cursor = page(episodes, order="started_on", cursor=cursor, limit=limit)
    answer = EpisodePage(items=[episode_out(e) for e in rows], next_cursor=next_cursor)
    audit_read(actor=caller.user, object_type=AuditObject.EPISODE, patient_id=patient.pk, detail={"episodes": [str(e.pk) for e in rows]})
    return read_answer(request, response, answer)


@router.get(
    "/episodes/{uuid:episode_id}",
    auth=READ,
    response=responses({200: EpisodeOut, 304: None}, 404),
    operation_id="readEpisode",
    summary="Read an episode of care",
)
def read_episode(request: HttpRequest, response: HttpResponse, episode_id: uuid.UUID) -> Status[EpisodeOut | None]:
    caller = _caller(request)
    episode = selectors.episode_get_for_user(user=caller.user, episode_id=episode_id)
    audit_read(actor=caller.user, object_type=AuditObject.EPISODE, object_id=episode.pk, patient_id=episode.patient_id)
    return read_answer(request, response, episode_out(episode))
