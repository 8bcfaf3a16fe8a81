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
from needlechart.needling.models import NeedlingEntry, NeedlingRecord
from needlechart.needling.session import SessionState, session_state


def _language() -> str:
    return get_language() or "en"


# The parts of the visit page that needling's forms change, each a fragment template
# (needling/_<part>.html) with an element of the same id: the whole page draws them in the
# clinic's order (pages/encounter.html) and an HTMX answer sends back those an action changed,
# swapped in by id (out of band), so a half-filled form elsewhere on the page is left alone.
PARTS = ("summary", "consent", "assessment", "needles", "count", "aftercare", "problems")
# Consent once one is recorded (a plan may need a risk it does not name); before that only what the
# plan needs of it, so a consent form still being filled in is not drawn again.
RECORDED_CONSENT = "recorded consent"
CONSENT_NEEDS = "consent needs"
_ENTRY_PARTS = ("summary", RECORDED_CONSENT, "needles", "count", "problems")  # needles planned, added or removed


def panel_context(
    encounter: Encounter,
    *,
    editable: bool,
    forms: dict[str, BaseForm] | None = None,
    error: str = "",
    error_part: str = "",
    candidate: checks.Planned | None = None,
    state: SessionState | None = None,
    parts: tuple[str, ...] = PARTS,
) -> dict[str, Any]:
    """What the needling fragments draw. A ``candidate`` (the muscle being chosen) is checked as if
    planned; ``state`` is the visit's session state when the page has read it already; the forms are
    built only when ``editable``. ``error`` is shown in the fragment ``error_part``."""
    language = _language()
    state = state or session_state(encounter)
    if RECORDED_CONSENT in parts:
        parts = tuple(part for part in parts if part != RECORDED_CONSENT) + ("consent" if state.consent else CONSENT_NEEDS,)
    planned = [*state.planned, candidate] if candidate is not None else state.planned
    if candidate is not None:
        state.warnings = checks.safety_warnings(planned, state.suitability)
    muscles = catalog().muscles
    version = treatment_catalog().current_consent(timezone.localdate())
    required = {r.id for r in version.risks if r.always or (r.when_planned and any(checks.matches(r.when_planned, p) for p in planned))}
    explained = set(state.consent.risks_explained) if state.consent else set()
    risks = [(r.id, r.text.get(language)) for r in version.risks]
    record = state.record
    context: dict[str, Any] = {
        "encounter": encounter,
        "state": state,
        "editable": editable,
        "parts": parts,
        "panel_error": error,
        "error_part": error_part or "needles",
        "problems": state.signing_problems(),
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
        "consent_risks": [(rid, text, rid in explained, rid in required) for rid, text in risks],
        # the risks this visit's plan needs explained that the consent on record does not name
        "consent_missing": [text.split(".")[0] for rid, text in risks if state.consent and rid in required and rid not in explained],
        "thorax_planned": any(p.muscle.thorax for p in planned),
        "safety_nets": [n.text.get(language) for n in state.safety_nets],
        "advice_texts": {a.id: a.text.get(language) for a in treatment_catalog().advice.values()},
        "chosen_advice": record.advice_ids if record is not None else _default_advice(),
        "needles_out": record.needles_out if record is not None else None,
        "count_settled": bool(state.entries)
        and record is not None
        and record.needles_out is not None
        and checks.reconciliation_problem(
            needles_in=state.needles_in,
            needles_out=record.needles_out,
            search=record.mismatch_search,
            outcome=record.mismatch_outcome,
        )
        is None,
    }
    if "assessment" in parts:
        context["rom"] = _rom_rows(encounter, language)
        context["ppt"] = [
            (p, muscles[p.muscle_id].name.get(language))
            for p in encounter.pressure_pain_thresholds.order_by("muscle_id", "side")
            if p.muscle_id in muscles
        ]
    if editable:
        context.update(_forms(forms or {}, language, risks, record))
        chosen = context["entry_form"]["muscle_id"].value()
        context["atlas"] = muscles.get(chosen) if isinstance(chosen, str) else None
    return context


def _forms(forms: dict[str, BaseForm], language: str, risks: list[tuple[str, str]], record: NeedlingRecord | None) -> dict[str, Any]:
    """The fragments' forms: as sent back with their errors (``forms``), or new. Consent is never
    pre-filled: every consent is recorded as given at this visit, its method, witness and the risks
    explained chosen by the practitioner there and then."""
    advice = _advice_choices()
    initial = {
        "needles_out": record.needles_out if record else None,
        "mismatch_search": record.mismatch_search if record else "",
        "mismatch_outcome": record.mismatch_outcome if record else "",
        "relative_reasoning": record.relative_reasoning if record else "",
        "advice": record.advice_ids if record is not None else _default_advice(),
    }

    def record_form(part: str) -> BaseForm:
        return forms.get(part) or forms.get("record") or NeedlingRecordForm(advice=advice, initial=initial)

    return {
        "palpation_form": forms.get("palpation") or PalpationForm(language=language),
        "entry_form": forms.get("entry") or NeedlingEntryForm(language=language, initial={"muscle_id": ""}),
        "consent_form": forms.get("consent") or ConsentForm(risks=risks),
        "count_form": record_form("count"),
        "aftercare_form": record_form("aftercare"),
        "reasoning_form": record_form("reasoning"),
        "rom_form": forms.get("rom") or RangeOfMotionForm(movements=_movement_choices(language)),
        "ppt_form": forms.get("ppt") or PressurePainForm(language=language),
    }


def _default_advice() -> list[str]:
    """The aftercare advice a visit starts with (the catalogue's defaults)."""
    return [a.id for a in treatment_catalog().advice.values() if a.default]


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
    picked = MuscleSideForm(request.GET, language=_language())
    initial: dict[str, Any] = {"side": request.GET.get("side", "r")}
    candidate = None
    if picked.is_valid():
        muscle_id, side = picked.cleaned_data["muscle_id"], picked.cleaned_data["side"]
        initial.update(muscle_id=muscle_id, side=side, **services.default_entry(muscle_id))
        candidate = checks.Planned(catalog().muscles[muscle_id], side, length_mm=initial["length_mm"])
    form = NeedlingEntryForm(initial=initial, language=_language())
    return _respond(request, encounter, forms={"entry": form}, candidate=candidate, parts=_ENTRY_PARTS)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def entry_remove(request: StaffRequest, entry_id: uuid.UUID) -> HttpResponse:
    entry = get_object_or_404(NeedlingEntry, pk=entry_id, clinic_id=clinic_id_of(request.user))
    encounter = encounter_get_for_user(user=request.user, encounter_id=entry.encounter_id)
    try:
        services.needling_entry_remove(actor=request.user, entry=entry)
    except ValidationError as error:
        return _respond(request, encounter, error=_errors(error), status=400, parts=_ENTRY_PARTS)
    return _respond(request, encounter, parts=_ENTRY_PARTS)


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
    events = [(e, types.get(e.event_type, e.event_type)) for e in encounter.adverse_events.all()]
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
        ("assessment",),
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
        _ENTRY_PARTS,
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
    return _submit(request, encounter_id, "consent", lambda data: ConsentForm(data, risks=_consent_risks()), save, parts)


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

    movements = _movement_choices(_language())
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

    return _submit(request, encounter_id, "ppt", lambda data: PressurePainForm(data, language=_language()), save, ("assessment",))


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
            values["advice_ids"] = _default_advice()  # a new record starts with the advice the page shows ticked
        services.needling_record_update(actor=request.user, encounter=encounter, **values)

    form_key = part or "record"
    return _submit(request, encounter_id, form_key, lambda data: NeedlingRecordForm(data, advice=_advice_choices()), save, parts)
