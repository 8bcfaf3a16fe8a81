"""A patient's copy of their whole record through the API: the ZIP the chart's "Patient's copy" gives.

Thin: the token's scope (clinical:read) was checked by api.auth; the client's acting role must
also be one that may hand patients their records (core.access DISCLOSE_RECORDS), as on the
chart. ``interop.patient_copy_archive.disclose_copy`` audits the request (as made by a system
through the API) and the delivery.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from needlechart.api.auth import REALM, Caller, ClientToken
from needlechart.api.problems import FORBIDDEN, ProblemError, responses
from needlechart.api.scopes import Scope
from needlechart.core.access import Capability, has_capability
from needlechart.interop.patient_copy_archive import ZIP_TYPE, Requester, disclose_copy
from needlechart.patients.selectors import patient_get_for_user

router = Router(tags=["patients"])
CLINICAL = ClientToken(Scope.CLINICAL_READ)

_ZIP = {
    "description": "The copy: record.pdf (in the patient's language), record.json (a FHIR R4 Bundle of type collection) and README.txt.",
    "headers": {
        "ETag": {"description": "The copy's SHA-256, as the audit log records its delivery.", "schema": {"type": "string"}},
        "Content-Disposition": {"description": "attachment, with the file's name.", "schema": {"type": "string"}},
    },
    "content": {ZIP_TYPE: {"schema": {"type": "string", "format": "binary"}}},
}


def may_disclose(caller: Caller) -> None:
    """403 unless the client acts for a role that may hand patients their records (the chart's rule)."""
    if not has_capability(caller.user, Capability.DISCLOSE_RECORDS):
        raise ProblemError(
            FORBIDDEN,
            _("Only a client acting for a role that may hand patients their records (a practitioner's) may take a patient's copy."),
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{caller.scope}"'},
        )


@router.get(
    "/patients/{uuid:patient_id}/copy",
    auth=CLINICAL,
    response=responses({}, 404),
    operation_id="copyPatientRecord",
    summary="The patient's copy of their whole record (ZIP)",
    openapi_extra={"responses": {200: _ZIP}},
)
def copy_patient_record(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Every signed note with its addenda and their digests, the measurements, adverse events, home
    programme and access log as a PDF, and the record as FHIR JSON: what a patient has the right to
    (pasientjournalloven, GDPR art. 15 and 20). The request and the delivery are written to the
    audit log as a disclosure. A copy is made anew on every call (it includes the call itself)."""
    caller: Caller = request.auth  # type: ignore[attr-defined] # set by ClientToken
    may_disclose(caller)
    patient = patient_get_for_user(user=caller.user, patient_id=patient_id)
    copy = disclose_copy(actor=caller.user, patient=patient, requester=Requester.API_CLIENT)
    response = HttpResponse(copy.content, content_type=ZIP_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{copy.filename}"'
    response["ETag"] = f'"{copy.sha256}"'
    response["Cache-Control"] = "no-store"
    return response
