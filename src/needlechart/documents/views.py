"""The signed session note and the patient's aftercare sheet, as pages and PDFs."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from django.conf import settings
from django.contrib import messages
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_read, audit_record
from needlechart.charting.models import Encounter, Note
from needlechart.charting.selectors import encounter_get_for_user
from needlechart.clinics.http import StaffRequest
from needlechart.core.access import Capability, staff_view
from needlechart.documents.context import aftercare_context, session_note_context
from needlechart.documents.models import AftercareLink
from needlechart.documents.pdf import pdf_response, render_pdf
from needlechart.screening.services import token_hash


@staff_view(Capability.VIEW_CLINICAL)
def session_note_pdf(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    note = Note.objects.filter(encounter=encounter).select_related("signed_by").first()
    audit_read(
        actor=request.user,
        action=AuditAction.DOWNLOAD,
        object_type="note",
        object_id=note.pk if note else encounter.pk,
        patient_id=encounter.patient_id,
    )
    content = render_pdf("documents/session_note.html", session_note_context(encounter, note))
    return pdf_response(content, f"session-note-{encounter.starts_at:%Y-%m-%d}.pdf")


def _aftercare_pdf(encounter: Encounter) -> bytes:
    with translation.override(encounter.patient.preferred_language):
        return render_pdf("documents/aftercare.html", aftercare_context(encounter))


@staff_view(Capability.VIEW_CLINICAL)
def aftercare_page(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    """The aftercare sheet in the patient's language, to show, print or hand over."""
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    audit_read(
        actor=request.user,
        object_type="needling_record",
        object_id=encounter.pk,
        patient_id=encounter.patient_id,
        detail={"page": "aftercare"},
    )
    with translation.override(encounter.patient.preferred_language):
        return render(request, "documents/aftercare_page.html", aftercare_context(encounter))


@staff_view(Capability.VIEW_CLINICAL)
def aftercare_pdf(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    audit_read(
        actor=request.user,
        action=AuditAction.DOWNLOAD,
        object_type="needling_record",
        object_id=encounter.pk,
        patient_id=encounter.patient_id,
    )
    return pdf_response(_aftercare_pdf(encounter), f"aftercare-{encounter.starts_at:%Y-%m-%d}.pdf")


def _link_encounter(token: str) -> Encounter:
    """The encounter behind a patient's aftercare link, or 404 (unknown or expired)."""
    link = (
        AftercareLink.objects.select_related("encounter__patient", "encounter__clinic", "encounter__practitioner")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if link is None or link.expires_at <= timezone.now():
        raise Http404
    audit_record(
        actor=None,
        action=AuditAction.VIEW,
        object_type="needling_record",
        object_id=link.encounter_id,
        patient_id=link.encounter.patient_id,
        clinic_id=link.clinic_id,
        detail={"via": "aftercare link"},
    )
    return link.encounter


@require_GET
def aftercare_public(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's own view of their aftercare, through the link they were sent."""
    with transaction.atomic():
        encounter = _link_encounter(token)
    with translation.override(encounter.patient.preferred_language):
        return render(request, "documents/aftercare_page.html", {**aftercare_context(encounter), "token": token})


@require_GET
def aftercare_public_pdf(request: HttpRequest, token: str) -> HttpResponse:
    with transaction.atomic():
        encounter = _link_encounter(token)
    return pdf_response(_aftercare_pdf(encounter), f"aftercare-{encounter.starts_at:%Y-%m-%d}.pdf")


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def aftercare_send(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    """E-mail the aftercare as a link and a PDF (sent after the transaction commits)."""
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    patient = encounter.patient
    if not patient.email:
        messages.error(request, _("The patient has no e-mail address. Print the aftercare sheet instead."))
        return redirect("encounter_detail", encounter_id=encounter.pk)
    content = _aftercare_pdf(encounter)
    token = secrets.token_urlsafe(32)
    url = request.build_absolute_uri(reverse("aftercare_public", args=[token]))
    with translation.override(patient.preferred_language):
        subject = _("After your treatment")
        body = _(
            "Hello %(name)s,\n\nThe advice from today's treatment is attached, and you can also read it here:\n\n%(url)s\n\n"
            "Contact the clinic if you have questions."
        ) % {"name": patient.given_name, "url": url}
    message = EmailMessage(subject, body, to=[patient.email])
    message.attach(f"aftercare-{encounter.starts_at:%Y-%m-%d}.pdf", content, "application/pdf")
    with transaction.atomic():
        AftercareLink.objects.create(
            clinic_id=encounter.clinic_id,
            encounter=encounter,
            token_hash=token_hash(token),
            created_by=request.user,
            expires_at=timezone.now() + dt.timedelta(days=settings.AFTERCARE_LINK_DAYS),
        )
        audit_record(
            actor=request.user,
            action=AuditAction.EXPORT,
            object_type="needling_record",
            object_id=encounter.pk,
            patient_id=patient.pk,
            detail={"sent": "aftercare e-mail"},
        )
        transaction.on_commit(message.send)
    messages.success(request, _("Aftercare sent to %(email)s.") % {"email": patient.email})
    return redirect("encounter_detail", encounter_id=encounter.pk)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def aftercare_links_end(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    """End every open aftercare link of the visit at once (sent to a wrong address, a lost phone):
    they answer 404 from now on. The PDF already e-mailed stays with whoever has it."""
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    now = timezone.now()
    with transaction.atomic():
        ended = AftercareLink.objects.filter(encounter=encounter, expires_at__gt=now).update(expires_at=now)
        audit_record(
            actor=request.user,
            action=AuditAction.UPDATE,
            object_type="aftercare_link",
            object_id=encounter.pk,
            patient_id=encounter.patient_id,
            detail={"ended": ended},
        )
    if ended:
        messages.success(request, ngettext("%(n)s aftercare link ended.", "%(n)s aftercare links ended.", ended) % {"n": ended})
    else:
        messages.info(request, _("No aftercare link of this visit was open."))
    return redirect("encounter_detail", encounter_id=encounter.pk)
