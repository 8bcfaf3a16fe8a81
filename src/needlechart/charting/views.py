"""Day list, encounters, notes and addenda."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_read
from needlechart.charting import selectors, services
from needlechart.charting.forms import AddendumForm, EncounterForm, NoteForm, SignWithCountForm
from needlechart.charting.models import EncounterStatus, PainMap
from needlechart.charting.pain_map_views import pain_map_context
from needlechart.clinics.selectors import practitioners_for_clinic
from needlechart.core.access import Capability, has_capability, staff_view
from needlechart.core.signed import SignedRecordImmutable
from needlechart.needling.services import needling_record_update
from needlechart.needling.views import adverse_events_context, panel_context
from needlechart.outcomes.selectors import open_alerts
from needlechart.outcomes.views import measures_context
from needlechart.patients.selectors import episode_get_for_user
from needlechart.screening.selectors import screening_for_patient


def _parse_day(text: str | None) -> dt.date:
    if text:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    return timezone.localdate()


@staff_view(Capability.VIEW_DAY_LIST)
def today(request: HttpRequest) -> HttpResponse:
    day = _parse_day(request.GET.get("date"))
    # Practitioners start with their own list; everyone can see the whole clinic's day.
    only_own = request.user.is_practitioner and request.GET.get("all") != "1"
    groups = selectors.day_list(user=request.user, day=day, only_own=only_own)
    context = {
        "only_own": only_own,
        "day": day,
        "is_today": day == timezone.localdate(),
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "groups": groups,
        "count": sum(len(v) for v in groups.values()),
        "open_alerts": open_alerts(user=request.user).count() if request.user.is_practitioner else 0,
    }
    return render(request, "charting/today.html", context)


@staff_view(Capability.BOOK_ENCOUNTERS)
@require_http_methods(["GET", "POST"])
def encounter_create(request: HttpRequest, episode_id) -> HttpResponse:
    episode = episode_get_for_user(user=request.user, episode_id=episode_id)
    practitioners = practitioners_for_clinic(user=request.user)
    initial = {
        "practitioner": request.user.pk if request.user.is_practitioner else None,
        "starts_at": timezone.localtime().replace(second=0, microsecond=0),
    }
    form = EncounterForm(request.POST or None, practitioners=practitioners, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            encounter = services.encounter_create(actor=request.user, episode=episode, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Visit booked."))
            if has_capability(request.user, Capability.VIEW_CLINICAL):
                return redirect("encounter_detail", encounter_id=encounter.pk)
            return redirect("patient_chart", patient_id=episode.patient_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "charting/encounter_form.html", {"form": form, "episode": episode, "patient": episode.patient}, status=status)


@staff_view(Capability.VIEW_DAY_LIST)
@require_POST
def encounter_status(request: HttpRequest, encounter_id) -> HttpResponse:
    encounter = selectors.encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    status = request.POST.get("status", "")
    if status not in EncounterStatus.values:
        return HttpResponse(_("Unknown status."), status=400)
    services.encounter_set_status(actor=request.user, encounter=encounter, status=status)
    if request.POST.get("next_page") == "chart":
        return redirect("patient_chart", patient_id=encounter.patient_id)
    return redirect(f"{reverse('today')}?date={timezone.localdate(encounter.starts_at).isoformat()}")


@staff_view(Capability.VIEW_CLINICAL)
def encounter_detail(request: HttpRequest, encounter_id) -> HttpResponse:
    encounter = selectors.encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    note = selectors.note_for_encounter(user=request.user, encounter=encounter)
    audit_read(
        actor=request.user, action=AuditAction.VIEW, object_type="encounter", object_id=encounter.pk, patient_id=encounter.patient_id
    )
    return render(request, "charting/encounter.html", _encounter_context(request, encounter, note))


def _encounter_context(request, encounter, note, *, note_form=None, addendum_form=None) -> dict:
    editable = note is None or (not note.is_signed and note.author_id == request.user.pk)
    initial = {f: getattr(note, f) for f in services.NOTE_FIELDS} if note else {}
    pain_map = PainMap.objects.filter(encounter=encounter).first()
    can_write = has_capability(request.user, Capability.WRITE_CLINICAL)
    signed = bool(note and note.is_signed)
    return {
        **pain_map_context(pain_map, editable=can_write and not signed),
        **panel_context(encounter, editable=can_write and not signed),
        **adverse_events_context(encounter),
        **measures_context(encounter, request.user),
        "screening": screening_for_patient(user=request.user, patient=encounter.patient),
        "encounter": encounter,
        "patient": encounter.patient,
        "note": note,
        "note_editable": editable and has_capability(request.user, Capability.WRITE_CLINICAL),
        "note_form": note_form or NoteForm(initial=initial),
        "addendum_form": addendum_form or AddendumForm(),
        "verified": note is not None and note.is_signed and services.signed_record_verify(note),
    }


def _refuse(request, encounter, note, error: Exception, *, note_form=None, addendum_form=None, status=400) -> HttpResponse:
    messages_list = error.messages if isinstance(error, ValidationError) else [str(error)]
    for message in messages_list:
        messages.error(request, message)
    context = _encounter_context(request, encounter, note, note_form=note_form, addendum_form=addendum_form)
    return render(request, "charting/encounter.html", context, status=status)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def note_save(request: HttpRequest, encounter_id) -> HttpResponse:
    encounter = selectors.encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    form = NoteForm(request.POST)
    note = selectors.note_for_encounter(user=request.user, encounter=encounter)
    if not form.is_valid():
        return _refuse(request, encounter, note, ValidationError(_("Please correct the note.")), note_form=form)
    count = SignWithCountForm(request.POST)
    if not count.is_valid():
        return _refuse(
            request, encounter, note, ValidationError(_("Needles counted out must be a whole number from 0 to 500.")), note_form=form
        )
    if count.cleaned_data["needles_out"] is not None:
        try:
            needling_record_update(actor=request.user, encounter=encounter, needles_out=count.cleaned_data["needles_out"])
        except ValidationError as error:
            return _refuse(request, encounter, note, error, note_form=form)
    try:
        note = services.note_save_draft(actor=request.user, encounter=encounter, **form.cleaned_data)
        if request.POST.get("sign"):
            services.note_sign(actor=request.user, note=note)
            messages.success(request, _("Note signed."))
        else:
            messages.success(request, _("Draft saved."))
    except (ValidationError, SignedRecordImmutable, PermissionDenied) as error:
        status = 403 if isinstance(error, PermissionDenied) else 409 if isinstance(error, SignedRecordImmutable) else 400
        note = selectors.note_for_encounter(user=request.user, encounter=encounter)
        return _refuse(request, encounter, note, error, note_form=form, status=status)
    return redirect("encounter_detail", encounter_id=encounter.pk)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def addendum_create(request: HttpRequest, note_id) -> HttpResponse:
    note = selectors.note_get_for_user(user=request.user, note_id=note_id)
    form = AddendumForm(request.POST)
    encounter = selectors.encounter_get_for_user(user=request.user, encounter_id=note.encounter_id)
    if form.is_valid():
        try:
            addendum = services.addendum_create(actor=request.user, note=note, **form.cleaned_data)
            if request.POST.get("sign"):
                services.addendum_sign(actor=request.user, addendum=addendum)
                messages.success(request, _("Addendum signed."))
            else:
                messages.success(request, _("Addendum saved as a draft."))
            return redirect("encounter_detail", encounter_id=encounter.pk)
        except ValidationError as error:
            return _refuse(
                request, encounter, selectors.note_for_encounter(user=request.user, encounter=encounter), error, addendum_form=form
            )
    full_note = selectors.note_for_encounter(user=request.user, encounter=encounter)
    return _refuse(request, encounter, full_note, ValidationError(_("Please correct the addendum.")), addendum_form=form)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def addendum_sign(request: HttpRequest, addendum_id) -> HttpResponse:
    addendum = selectors.addendum_get_for_user(user=request.user, addendum_id=addendum_id)
    encounter = selectors.encounter_get_for_user(user=request.user, encounter_id=addendum.note.encounter_id)
    try:
        services.addendum_sign(actor=request.user, addendum=addendum)
    except (SignedRecordImmutable, PermissionDenied) as error:
        status = 403 if isinstance(error, PermissionDenied) else 409
        return _refuse(request, encounter, selectors.note_for_encounter(user=request.user, encounter=encounter), error, status=status)
    messages.success(request, _("Addendum signed."))
    return redirect("encounter_detail", encounter_id=encounter.pk)
