"""The needling part of the encounter page: consent, palpation, needles, count, aftercare.

Every form posts to its own endpoint and gets the whole needling panel back (HTMX), so the
safety checks and the signing checklist are always current. Without JavaScript the same
endpoints redirect back to the encounter page.
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
from django.utils import timezone
from django.utils.translation import get_language, gettext, ngettext
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
from needlechart.needling.models import Consent, ConsentMethod, NeedlingEntry
from needlechart.needling.session import session_state


def _language() -> str:
    return get_language() or "en"


def panel_context(
    encounter: Encounter,
    *,
    editable: bool,
    forms: dict[str, BaseForm] | None = None,
    error: str = "",
    candidate: checks.Planned | None = None,
) -> dict[str, Any]:
    """The needling panel; a ``candidate`` (the muscle being chosen) is checked as if planned."""
    language = _language()
    state = session_state(encounter)
    if candidate is not None:
        state.warnings = checks.safety_warnings([*state.planned, candidate], state.suitability)
    muscles = catalog().muscles
    version = treatment_catalog().current_consent(timezone.localdate())
    thorax_planned = any(p.muscle.thorax for p in state.planned)
    risks = [(r.id, r.text.get(language)) for r in version.risks]
    required_risks = {
        r.id for r in version.risks if r.always or (r.when_planned and any(checks.matches(r.when_planned, p) for p in state.planned))
    }
    advice = _advice_choices()
    record = state.record
    chosen_advice = record.advice_ids if record and record.advice_ids else [a.id for a in treatment_catalog().advice.values() if a.default]
    forms = forms or {}
    return {
        "encounter": encounter,
        "state": state,
        "editable": editable,
        "panel_error": error,
        "entries": [(e, muscles[e.muscle_id].name.get(language)) for e in state.entries if e.muscle_id in muscles],
        "palpation": [
            (
                p,
                muscles[p.muscle_id].name.get(language),
                checks.classify_trigger_point(
                    taut_band=p.taut_band, tender_spot=p.tender_spot, referred_pain=p.referred_pain, recognised=p.recognised
                ),
            )
            for p in state.palpation
            if p.muscle_id in muscles
        ],
        "consent_version": version,
        "required_risks": required_risks,
        "thorax_planned": thorax_planned,
        "consent_risks": [(rid, text, rid in (state.consent.risks_explained if state.consent else [])) for rid, text in risks],
        "safety_nets": [n.text.get(language) for n in state.safety_nets],
        "problems": state.signing_problems(),
        "palpation_form": forms.get("palpation") or PalpationForm(language=language),
        "entry_form": forms.get("entry") or NeedlingEntryForm(language=language),
        "consent_form": forms.get("consent") or ConsentForm(risks=risks, initial=_consent_initial(encounter, required_risks)),
        "record_form": forms.get("record")
        or NeedlingRecordForm(
            advice=advice,
            initial={
                "needles_out": record.needles_out if record else None,
                "mismatch_search": record.mismatch_search if record else "",
                "mismatch_outcome": record.mismatch_outcome if record else "",
                "relative_reasoning": record.relative_reasoning if record else "",
                "advice": chosen_advice,
            },
        ),
        "advice_texts": {a.id: a.text.get(language) for a in treatment_catalog().advice.values()},
        "rom": _rom_rows(encounter, language),
        "ppt": [
            (p, muscles[p.muscle_id].name.get(language))
            for p in encounter.pressure_pain_thresholds.order_by("muscle_id", "side")
            if p.muscle_id in muscles
        ],
        "rom_form": forms.get("rom") or RangeOfMotionForm(movements=_movement_choices(language)),
        "ppt_form": forms.get("ppt") or PressurePainForm(language=language),
    }


def _consent_initial(encounter: Encounter, required_risks: set[str]) -> dict[str, Any]:
    """Start from the patient's previous consent (method, witness), with this visit's required risks."""
    last = Consent.objects.filter(encounter__patient_id=encounter.patient_id, method=ConsentMethod.VERBAL).order_by("-recorded_at").first()
    initial: dict[str, Any] = {"risks": sorted(required_risks | set(last.risks_explained if last else []))}
    if last:
        initial.update(method=last.method, witness_name=last.witness_name)
    return initial


def _movement_choices(language: str) -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (joint.name.get(language), [(f"{joint.id}:{m.id}", f"{m.name.get(language)} ({m.normal_degrees}°)") for m in joint.movements])
        for joint in treatment_catalog().joints.values()
    ]


def _rom_rows(encounter: Encounter, language: str) -> list[dict[str, Any]]:
    joints = treatment_catalog().joints
    rows = []
    for rom in encounter.range_of_motion.order_by("joint", "movement", "side"):
        joint = joints.get(rom.joint)
        if joint is None:
            continue
        movement = next((m for m in joint.movements if m.id == rom.movement), None)
        if movement is None:
            continue
        percent = round(100 * rom.degrees / movement.normal_degrees)
        rows.append(
            {
                "rom": rom,
                "joint": joint.name.get(language),
                "movement": movement.name.get(language),
                "normal": movement.normal_degrees,
                "percent": percent,
            }
        )
    return rows


def _respond(
    request: StaffRequest,
    encounter: Encounter,
    *,
    forms: dict[str, BaseForm] | None = None,
    error: str = "",
    status: int = 200,
    candidate: checks.Planned | None = None,
) -> HttpResponse:
    if not request.htmx:
        if status != 200:
            return HttpResponse(error or gettext("Please correct the input."), status=status, content_type="text/plain; charset=utf-8")
        return redirect("encounter_detail", encounter_id=encounter.pk)
    context = panel_context(encounter, editable=True, forms=forms, error=error, candidate=candidate)
    return render(request, "needling/_panel.html", context, status=status)


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
    picked = MuscleSideForm(request.GET, language=_language())
    initial: dict[str, Any] = {"side": request.GET.get("side", "r")}
    candidate = None
    if picked.is_valid():
        muscle_id, side = picked.cleaned_data["muscle_id"], picked.cleaned_data["side"]
        initial.update(muscle_id=muscle_id, side=side, **services.default_entry(muscle_id))
        candidate = checks.Planned(catalog().muscles[muscle_id], side, length_mm=initial["length_mm"])
    return _respond(request, encounter, forms={"entry": NeedlingEntryForm(initial=initial, language=_language())}, candidate=candidate)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def entry_remove(request: StaffRequest, entry_id: uuid.UUID) -> HttpResponse:
    entry = get_object_or_404(NeedlingEntry, pk=entry_id, clinic_id=clinic_id_of(request.user))
    encounter = encounter_get_for_user(user=request.user, encounter_id=entry.encounter_id)
    try:
        services.needling_entry_remove(actor=request.user, entry=entry)
    except ValidationError as error:
        return _respond(request, encounter, error=_errors(error), status=400)
    return _respond(request, encounter)


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


def adverse_events_context(encounter: Encounter, *, form: AdverseEventForm | None = None, error: str = "") -> dict[str, Any]:
    language = _language()
    types = {t.id: t.name.get(language) for t in treatment_catalog().adverse_event_types.values()}
    events = [(e, types.get(e.event_type, e.event_type)) for e in encounter.adverse_events.select_related("recorded_by")]
    initial = {"onset": timezone.localtime().replace(second=0, microsecond=0), "severity": "mild", "outcome": "resolved"}
    return {
        "encounter": encounter,
        "adverse_events": events,
        "ae_error": error,
        "ae_form": form or AdverseEventForm(types=list(types.items()), initial=initial),
    }


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def adverse_event_save(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    types = [(t.id, t.name.get(_language())) for t in treatment_catalog().adverse_event_types.values()]
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
) -> HttpResponse:
    """The shape of every panel form: validate, call the service, answer with the panel.

    ``make_form(data)`` builds the bound form; ``save(encounter, cleaned_data)`` calls the
    service. Invalid input and refusals come back as 400 with the form and the reason.
    """
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    form = make_form(request.POST)
    if not form.is_valid():
        return _respond(request, encounter, forms={form_key: form}, error=_form_error(form), status=400)
    try:
        save(encounter, form.cleaned_data)
    except ValidationError as error:
        return _respond(request, encounter, forms={form_key: form}, error=_errors(error), status=400)
    return _respond(request, encounter)


def _consent_risks() -> list[tuple[str, str]]:
    return [(r.id, r.text.get(_language())) for r in treatment_catalog().current_consent(timezone.localdate()).risks]


def _advice_choices() -> list[tuple[str, str]]:
    return [(a.id, a.text.get(_language())) for a in treatment_catalog().advice.values()]


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def palpation_save(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    return _submit(
        request,
        encounter_id,
        "palpation",
        lambda data: PalpationForm(data, language=_language()),
        lambda encounter, data: services.palpation_record(actor=request.user, encounter=encounter, **data),
    )


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def entry_add(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    return _submit(
        request,
        encounter_id,
        "entry",
        lambda data: NeedlingEntryForm(data, language=_language()),
        lambda encounter, data: services.needling_entry_save(actor=request.user, encounter=encounter, **data),
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

    return _submit(request, encounter_id, "consent", lambda data: ConsentForm(data, risks=_consent_risks()), save)


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

    return _submit(request, encounter_id, "rom", lambda data: RangeOfMotionForm(data, movements=_movement_choices(_language())), save)


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

    return _submit(request, encounter_id, "ppt", lambda data: PressurePainForm(data, language=_language()), save)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def record_save(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    def save(encounter: Encounter, data: dict[str, Any]) -> None:
        services.needling_record_update(
            actor=request.user,
            encounter=encounter,
            needles_out=data["needles_out"],
            mismatch_search=data["mismatch_search"],
            mismatch_outcome=data["mismatch_outcome"],
            relative_reasoning=data["relative_reasoning"],
            advice_ids=data["advice"],
        )

    return _submit(request, encounter_id, "record", lambda data: NeedlingRecordForm(data, advice=_advice_choices()), save)
