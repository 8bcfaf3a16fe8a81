"""The needling parts of the visit page: the summary, consent, palpation and tests, the needling
plan and needles, the count, aftercare and what still stands before signing.

Every form posts to its own endpoint and gets back (HTMX) the parts of the page it changed,
each swapped in by its id, so the safety checks, the summary and the signing checklist are
always current. Without JavaScript the same endpoints redirect back to the visit page.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from needlechart.charting.models import Encounter
from needlechart.charting.selectors import encounter_get_for_user
from needlechart.clinics.http import StaffRequest
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, staff_view
from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.needling import checks, services
from needlechart.needling.forms import (
    AdverseEventForm,
    ConsentForm,
    MuscleSideForm,
    NeedlingEntryForm,
    NeedlingRecordForm,
    PalpationForm,
    PressurePainForm,
    RangeOfMotionForm,
)
from needlechart.needling.models import NeedlingEntry, NeedlingRecord
from needlechart.needling.panel import (
    ENTRY_PARTS,
    PARTS,
    adverse_events_context,
    advice_choices,
    consent_risks,
    default_advice,
    movement_choices,
    page_language,
    panel_context,
)


def _respond(
    request: StaffRequest,
    encounter: Encounter,
    *,
    forms: dict[str, BaseForm] | None = None,
    error: str = "",
    status: int = 200,
    candidate: checks.Planned | None = None,
    parts: tuple[str, ...] = PARTS,
) -> HttpResponse:
    """The parts of the page ``parts`` (HTMX), with the refused form of ``forms`` and its error shown
    in its own part; without HTMX, back to the visit page (or the error as text)."""
    if not request.htmx:
        if status != 200:
            return HttpResponse(error or gettext("Please correct the input."), status=status, content_type="text/plain; charset=utf-8")
        return redirect("encounter_detail", encounter_id=encounter.pk)
    error_part = _FORM_PARTS.get(next(iter(forms), ""), "needles") if forms else "needles"
    if error and error_part not in parts:
        parts = (*parts, error_part)
    context = panel_context(encounter, editable=True, forms=forms, error=error, error_part=error_part, candidate=candidate, parts=parts)
    return render(request, "needling/_panel.html", context, status=status)


# The part of the page each form is drawn in.
_FORM_PARTS = {
    "palpation": "assessment",
    "rom": "assessment",
    "ppt": "assessment",
    "entry": "needles",
    "reasoning": "needles",
    "consent": "consent",
    "count": "count",
    "record": "count",
    "aftercare": "aftercare",
}


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _form_error(form: BaseForm) -> str:
    return " ".join(
        f"{form.fields[k].label if k in form.fields else ''}: {' '.join(map(str, v))}".strip(": ") for k, v in form.errors.items()
    )


@staff_view(Capability.WRITE_CLINICAL)
def entry_defaults(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    """The add-needles form pre-filled with the chosen muscle's defaults (HTMX)."""
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    picked = MuscleSideForm(request.GET, language=page_language())
    initial: dict[str, Any] = {"side": request.GET.get("side", "r")}
    candidate = None
    if picked.is_valid():
        muscle_id, side = picked.cleaned_data["muscle_id"], picked.cleaned_data["side"]
        initial.update(muscle_id=muscle_id, side=side, **services.default_entry(muscle_id))
        candidate = checks.Planned(catalog().muscles[muscle_id], side, length_mm=initial["length_mm"])
    form = NeedlingEntryForm(initial=initial, language=page_language())
    return _respond(request, encounter, forms={"entry": form}, candidate=candidate, parts=ENTRY_PARTS)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def entry_remove(request: StaffRequest, entry_id: uuid.UUID) -> HttpResponse:
    entry = get_object_or_404(NeedlingEntry, pk=entry_id, clinic_id=clinic_id_of(request.user))
    encounter = encounter_get_for_user(user=request.user, encounter_id=entry.encounter_id)
    try:
        services.needling_entry_remove(actor=request.user, entry=entry)
    except ValidationError as error:
        return _respond(request, encounter, error=_errors(error), status=400, parts=ENTRY_PARTS)
    return _respond(request, encounter, parts=ENTRY_PARTS)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def repeat_last(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    try:
        count = services.repeat_last_session(actor=request.user, encounter=encounter)
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect("encounter_detail", encounter_id=encounter.pk)
    messages.success(
        request,
        ngettext("%(n)s muscle repeated from the last session.", "%(n)s muscles repeated from the last session.", count) % {"n": count},
    )
    return redirect("encounter_detail", encounter_id=encounter.pk)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def adverse_event_save(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    types = [(t.id, t.name.get(page_language())) for t in treatment_catalog().adverse_event_types.values()]
    form = AdverseEventForm(request.POST, types=types)
    status, error = 200, ""
    shown: AdverseEventForm | None = form
    if form.is_valid():
        try:
            services.adverse_event_record(actor=request.user, encounter=encounter, **form.cleaned_data)
            shown = None  # recorded: the panel offers a fresh form
        except ValidationError as exc:
            status, error = 400, _errors(exc)
    else:
        status, error = 400, _form_error(form)
    if not request.htmx:
        return (
            redirect("encounter_detail", encounter_id=encounter.pk)
            if status == 200
            else HttpResponse(error, status=status, content_type="text/plain; charset=utf-8")
        )
    return render(request, "needling/_adverse_events.html", adverse_events_context(encounter, form=shown, error=error), status=status)


def _submit(
    request: StaffRequest,
    encounter_id: uuid.UUID,
    form_key: str,
    make_form: Callable[[QueryDict], BaseForm],
    save: Callable[[Encounter, dict[str, Any]], object],
    parts: tuple[str, ...],
) -> HttpResponse:
    """The shape of every needling form: validate, call the service, answer with the parts it changed.

    ``make_form(data)`` builds the bound form; ``save(encounter, cleaned_data)`` calls the
    service. Invalid input and refusals come back as 400 with the form and the reason.
    """
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    form = make_form(request.POST)
    if not form.is_valid():
        return _respond(request, encounter, forms={form_key: form}, error=_form_error(form), status=400, parts=parts)
    try:
        save(encounter, form.cleaned_data)
    except ValidationError as error:
        return _respond(request, encounter, forms={form_key: form}, error=_errors(error), status=400, parts=parts)
    return _respond(request, encounter, parts=parts)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def palpation_save(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    return _submit(
        request,
        encounter_id,
        "palpation",
        lambda data: PalpationForm(data, language=page_language()),
        lambda encounter, data: services.palpation_record(actor=request.user, encounter=encounter, **data),
        ("assessment",),
    )


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def entry_add(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    return _submit(
        request,
        encounter_id,
        "entry",
        lambda data: NeedlingEntryForm(data, language=page_language()),
        lambda encounter, data: services.needling_entry_save(actor=request.user, encounter=encounter, **data),
        ENTRY_PARTS,
    )


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def consent_save(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    def save(encounter: Encounter, data: dict[str, Any]) -> None:
        services.consent_record(
            actor=request.user,
            encounter=encounter,
            method=data["method"],
            risks_explained=data["risks"],
            signature_svg_path=data["signature"],
            witness_name=data["witness_name"],
        )

    parts = ("summary", "consent", "needles", "problems")
    return _submit(request, encounter_id, "consent", lambda data: ConsentForm(data, risks=consent_risks()), save, parts)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def rom_save(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    def save(encounter: Encounter, data: dict[str, Any]) -> None:
        joint, movement = data["movement"].split(":", 1)
        services.range_of_motion_record(
            actor=request.user,
            encounter=encounter,
            joint=joint,
            movement=movement,
            side=data["side"],
            degrees=data["degrees"],
            painful=data["painful"],
        )

    movements = movement_choices(page_language())
    return _submit(request, encounter_id, "rom", lambda data: RangeOfMotionForm(data, movements=movements), save, ("assessment",))


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def ppt_save(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    def save(encounter: Encounter, data: dict[str, Any]) -> None:
        services.pressure_pain_record(
            actor=request.user,
            encounter=encounter,
            muscle_id=data["muscle_id"],
            side=data["side"],
            trials_kpa=[data["trial_1"], data["trial_2"], data["trial_3"]],
        )

    return _submit(request, encounter_id, "ppt", lambda data: PressurePainForm(data, language=page_language()), save, ("assessment",))


# The record's fields each form of the page sends (``part``), and the parts of the page they change;
# a post without ``part`` (no form of the page) sends them all.
_RECORD_PARTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "count": (("needles_out", "mismatch_search", "mismatch_outcome"), ("summary", "count", "problems")),
    "aftercare": (("advice",), ("aftercare",)),
    "reasoning": (("relative_reasoning",), ("summary", "needles", "problems")),
    "": (
        ("needles_out", "mismatch_search", "mismatch_outcome", "relative_reasoning", "advice"),
        ("summary", "needles", "count", "aftercare", "problems"),
    ),
}
_SERVICE_FIELDS = {"advice": "advice_ids"}


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def record_save(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    """The needle count, the aftercare advice or the reasoning for relative contraindications."""
    part = request.POST.get("part", "")
    if part not in _RECORD_PARTS:
        return HttpResponse(gettext("Unknown part of the visit."), status=400, content_type="text/plain; charset=utf-8")
    fields, parts = _RECORD_PARTS[part]

    def save(encounter: Encounter, data: dict[str, Any]) -> None:
        values = {_SERVICE_FIELDS.get(name, name): data[name] for name in fields}
        if "advice_ids" not in values and not NeedlingRecord.objects.filter(encounter=encounter).exists():
            values["advice_ids"] = default_advice()  # a new record starts with the advice the page shows ticked
        services.needling_record_update(actor=request.user, encounter=encounter, **values)

    form_key = part or "record"
    return _submit(request, encounter_id, form_key, lambda data: NeedlingRecordForm(data, advice=advice_choices()), save, parts)
