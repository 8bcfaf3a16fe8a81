"""FHIR ``GET /fhir/Patient/<id>/$everything``: the patient's whole record as one Bundle.

The Bundle of the patient's copy (``interop.patient_copy.patient_bundle``, type collection, every
resource validated), authenticated, rate-limited and scoped as the other FHIR reads (clinical:read),
for a client whose acting role may hand patients their records, as the v1 copy is. The request
and the delivery are audited as a disclosure (``disclose_bundle``). Another clinic's patient is a
404, as a missing one. No parameters (``start``, ``end``, ``_since``, ``_type``) are supported:
the whole record is answered, and a parameter given is refused with 400 rather than ignored.
"""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from needlechart.api.auth import ClientToken
from needlechart.api.fhir.handling import fhir_view
from needlechart.api.fhir.outcome import MEDIA_TYPE, FhirError
from needlechart.api.scopes import Scope
from needlechart.api.v1.copies import may_disclose
from needlechart.interop.patient_copy_archive import disclose_bundle
from needlechart.patients.selectors import patients_for_user


@fhir_view("GET", "HEAD")
def patient_everything(request: HttpRequest, patient_id: str) -> HttpResponse:
    caller = ClientToken(Scope.CLINICAL_READ)(request)
    may_disclose(caller)
    if request.GET:
        names = ", ".join(sorted(request.GET))[:200]
        raise FhirError(400, _("$everything takes no parameters here; it answers the whole record (given: %(names)s).") % {"names": names})
    try:
        key = uuid.UUID(patient_id)
    except ValueError as exc:  # an id this server never gives
        raise Http404 from exc
    patient = patients_for_user(user=caller.user).filter(pk=key).first()
    if patient is None:
        raise Http404
    return HttpResponse(disclose_bundle(actor=caller.user, patient=patient), content_type=f"{MEDIA_TYPE}; charset=utf-8")
