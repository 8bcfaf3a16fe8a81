"""The clinic's staff, with practitioners' registrations and needling certifications (read only).

Under the demographics:read scope: it is the clinic's directory (who works here, in what role,
with which HPR number and certification), what a booking system needs to offer practitioners and
a FHIR Practitioner shows; no contact details, user names or certificate files.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.responses import Status

from needlechart.api.auth import Caller, ClientToken
from needlechart.api.problems import responses
from needlechart.api.scopes import Scope
from needlechart.api.v1.conditional import read_answer
from needlechart.api.v1.paging import Cursor, Limit, page
from needlechart.api.v1.schemas import StaffOut, StaffPage, staff_out
from needlechart.audit.models import AuditObject
from needlechart.audit.services import audit_read
from needlechart.clinics import selectors
from needlechart.clinics.models import User

router = Router(tags=["staff"])
READ = ClientToken(Scope.DEMOGRAPHICS_READ)
_PROFILE = ("practitioner_profile__registrations", "practitioner_profile__certifications")


def _caller(request: HttpRequest) -> Caller:
    return request.auth  # type: ignore[attr-defined] # set by ClientToken


def _with_profiles(staff: QuerySet[User]) -> QuerySet[User]:
    return staff.select_related("practitioner_profile").prefetch_related(*_PROFILE)


@router.get(
    "/staff",
    auth=READ,
    response=responses({200: StaffPage, 304: None}, 400, 422),
    operation_id="listStaff",
    summary="List the clinic's active staff",
)
def list_staff(
    request: HttpRequest,
    response: HttpResponse,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Status[StaffPage | None]:
    caller = _caller(request)
    rows, next_cursor = page(_with_profiles(selectors.staff_for_clinic(user=caller.user)), order="id", cursor=cursor, limit=limit)
    answer = StaffPage(items=[staff_out(member) for member in rows], next_cursor=next_cursor)
    audit_read(actor=caller.user, object_type=AuditObject.STAFF, detail={"staff": [member.pk for member in rows]})
    return read_answer(request, response, answer)


@router.get(
    "/staff/{int:staff_id}",
    auth=READ,
    response=responses({200: StaffOut, 304: None}, 404),
    operation_id="readStaff",
    summary="Read a staff member",
)
def read_staff(request: HttpRequest, response: HttpResponse, staff_id: int) -> Status[StaffOut | None]:
    """A former staff member too (active: false)."""
    caller = _caller(request)
    member = selectors.staff_get_for_user(user=caller.user, staff_id=staff_id)
    audit_read(actor=caller.user, object_type=AuditObject.STAFF, object_id=member.pk)
    return read_answer(request, response, staff_out(member))
