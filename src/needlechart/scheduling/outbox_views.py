"""The front desk's outbox page: the patients' messages that could not be sent, with "Send again"."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from needlechart.audit.models import AuditObject
from needlechart.audit.services import audit_read
from needlechart.clinics.http import StaffRequest
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, staff_view
from needlechart.scheduling import outbox, selectors
from needlechart.scheduling.access import CalendarAction, require
from needlechart.scheduling.outbox_models import OutgoingMessage
from needlechart.scheduling.views import bad_request


@staff_view(Capability.VIEW_DAY_LIST)
def outbox_failed(request: StaffRequest) -> HttpResponse:
    require(request.user, CalendarAction.MANAGE)
    failed = outbox.failed_for_user(user=request.user)
    audit_read(
        actor=request.user,
        object_type=AuditObject.APPOINTMENT,
        detail={"page": "outbox", "failed": len(failed), "patients": sorted({str(m.patient.pk) for m in failed})},
    )
    with timezone.override(selectors.clinic_zone(clinic_id_of(request.user))):
        return render(request, "scheduling/outbox.html", {"failed": failed})


@staff_view(Capability.VIEW_DAY_LIST)
@require_POST
def outbox_resend(request: StaffRequest, message_id: uuid.UUID) -> HttpResponse:
    require(request.user, CalendarAction.MANAGE)
    try:
        outbox.message_resend(actor=request.user, message_id=message_id)
    except OutgoingMessage.DoesNotExist:
        return bad_request(request, _("Message not found"), _("This message is not among the failed ones: it may have been sent already."))
    messages.success(request, _("The message will be sent again in a moment."))
    return redirect("outbox_failed")
