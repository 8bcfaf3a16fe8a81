"""The visit page, in the order a clinic works: suitability, consent, assessment (pain map,
palpation and tests, outcome measures), the needling plan and the needles, the count, aftercare,
adverse events and the note (charting, screening, needling, outcomes), under a summary that stays
in view; and the posts that answer with it when refused (the note, addenda).

The visit's rows are read once per page: the needling state that the panels draw is the one the
signed note is verified against (pages.visit_reads.visit_reading)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_read
from needlechart.charting import selectors, services
from needlechart.charting.forms import AddendumForm, NoteForm
from needlechart.charting.models import Encounter, Note
from needlechart.charting.pain_map_views import pain_map_context
from needlechart.clinics.http import StaffRequest
from needlechart.core.access import Capability, has_capability, staff_view
from needlechart.core.signed import SignedRecordImmutable
from needlechart.homecare.views import programme_context
from needlechart.needling.panel import adverse_events_context, panel_context
from needlechart.outcomes.views import measures_context
from needlechart.pages.visit_reads import note_verified, visit_reading


@staff_view(Capability.VIEW_CLINICAL)
def encounter_detail(request: StaffRequest, encounter_id) -> HttpResponse:
    encounter = selectors.encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    note = selectors.note_for_encounter(user=request.user, encounter=encounter)
    audit_read(
        actor=request.user, action=AuditAction.VIEW, object_type="encounter", object_id=encounter.pk, patient_id=encounter.patient_id
    )
    return render(request, "pages/encounter.html", _encounter_context(request, encounter, note))


def _encounter_context(
    request: StaffRequest,
    encounter: Encounter,
    note: Note | None,
    *,
    note_form: NoteForm | None = None,
    addendum_form: AddendumForm | None = None,
) -> dict[str, Any]:
    editable = note is None or (not note.is_signed and note.author_id == request.user.pk)
    can_write = has_capability(request.user, Capability.WRITE_CLINICAL)
    signed = note is not None and note.is_signed
    reading = visit_reading(user=request.user, encounter=encounter)
    context = {
        **panel_context(encounter, editable=can_write and not signed, state=reading.needling),
        **adverse_events_context(encounter),
        **measures_context(encounter, request.user),
        "homecare": programme_context(
            encounter,
            request.user,
            state=reading.states.get("home_programme"),
            note=note,
            needled=[e.muscle_id for e in reading.needling.entries],
        ),
        "pain": {"encounter": encounter, **pain_map_context(reading.pain_map, editable=can_write and not signed)},
        "screening": reading.screening,
        "encounter": encounter,
        "patient": encounter.patient,
        "note": note,
        "note_editable": editable and can_write,
        "verified": note is not None and signed and note_verified(note, reading),
    }
    if signed:
        context["addendum_form"] = addendum_form or AddendumForm()
    else:
        initial = {f: getattr(note, f) for f in services.NOTE_FIELDS} if note else {}
        context["note_form"] = note_form or NoteForm(initial=initial)
    return context


def _refuse(
    request: StaffRequest,
    encounter: Encounter,
    note: Note | None,
    error: Exception,
    *,
    note_form: NoteForm | None = None,
    addendum_form: AddendumForm | None = None,
    status: int = 400,
) -> HttpResponse:
    """The visit page again, with the error as a message and the forms as sent."""
    messages_list = error.messages if isinstance(error, ValidationError) else [str(error)]
    for message in messages_list:
        messages.error(request, message)
    context = _encounter_context(request, encounter, note, note_form=note_form, addendum_form=addendum_form)
    return render(request, "pages/encounter.html", context, status=status)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def note_save(request: StaffRequest, encounter_id) -> HttpResponse:
    encounter = selectors.encounter_for_writing(user=request.user, encounter_id=encounter_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _refuse_note(request, encounter, ValidationError(_("Please correct the note.")), form, status=400)
    try:
        if request.POST.get("sign"):  # saved and signed in one transaction
            try:
                services.note_save_and_sign(actor=request.user, encounter=encounter, **form.cleaned_data)
            except ValidationError as refused:  # a gate or an empty note: what was typed is kept as the draft
                services.note_save_draft(actor=request.user, encounter=encounter, **form.cleaned_data)
                messages.info(request, _("Draft saved. The note is not signed."))
                return _refuse_note(request, encounter, refused, form, status=400)
            messages.success(request, _("Note signed."))
        else:
            services.note_save_draft(actor=request.user, encounter=encounter, **form.cleaned_data)
            messages.success(request, _("Draft saved."))
    except (ValidationError, SignedRecordImmutable, PermissionDenied) as error:
        status = 403 if isinstance(error, PermissionDenied) else 409 if isinstance(error, SignedRecordImmutable) else 400
        return _refuse_note(request, encounter, error, form, status=status)
    except IntegrityError:  # the visit's first note, saved by two requests at once (a double click): the other's stands
        clash = ValidationError(_("This visit's note was saved from another window at the same moment. Nothing was written here."))
        return _refuse_note(request, encounter, clash, form, status=409)
    return redirect("encounter_detail", encounter_id=encounter.pk)


def _refuse_note(request: StaffRequest, encounter: Encounter, error: Exception, form: NoteForm, *, status: int) -> HttpResponse:
    """The visit page again for a refused note form: the visit read as a page reads it, its note as stored."""
    encounter = selectors.encounter_get_for_user(user=request.user, encounter_id=encounter.pk)
    note = selectors.note_for_encounter(user=request.user, encounter=encounter)
    return _refuse(request, encounter, note, error, note_form=form, status=status)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def addendum_create(request: StaffRequest, note_id) -> HttpResponse:
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
def addendum_sign(request: StaffRequest, addendum_id) -> HttpResponse:
    addendum = selectors.addendum_get_for_user(user=request.user, addendum_id=addendum_id)
    encounter = selectors.encounter_get_for_user(user=request.user, encounter_id=addendum.note.encounter_id)
    try:
        services.addendum_sign(actor=request.user, addendum=addendum)
    except (SignedRecordImmutable, PermissionDenied) as error:
        status = 403 if isinstance(error, PermissionDenied) else 409
        return _refuse(request, encounter, selectors.note_for_encounter(user=request.user, encounter=encounter), error, status=status)
    messages.success(request, _("Addendum signed."))
    return redirect("encounter_detail", encounter_id=encounter.pk)
