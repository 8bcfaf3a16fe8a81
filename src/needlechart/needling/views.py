"""The needling part of the encounter page: consent, palpation, needles, count, aftercare.

Every form posts to its own endpoint and gets the whole needling panel back (HTMX), so the
safety checks and the signing checklist are always current. Without JavaScript the same
endpoints redirect back to the encounter page.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from needlechart.charting.selectors import encounter_get_for_user
from needlechart.core.access import Capability, staff_view
from needlechart.knowledge.catalog import catalog
from needlechart.needling import checks, services
from needlechart.needling.forms import ConsentForm, MuscleSideForm, NeedlingEntryForm, NeedlingRecordForm, PalpationForm
from needlechart.needling.models import NeedlingEntry
from needlechart.needling.session import session_state
from needlechart.treatment.catalog import treatment_catalog


def _language() -> str:
    return get_language() or "en"


def panel_context(encounter, *, editable: bool, forms: dict | None = None, error: str = "") -> dict:
    language = _language()
    state = session_state(encounter)
    muscles = catalog().muscles
    version = treatment_catalog().current_consent(timezone.localdate())
    thorax_planned = any(p.muscle.thorax for p in state.planned)
    risks = [(r.id, r.text.get(language)) for r in version.risks]
    required_risks = {
        r.id for r in version.risks if r.always or (r.when_planned and any(checks.matches(r.when_planned, p) for p in state.planned))
    }
    advice = [(a.id, a.text.get(language)) for a in treatment_catalog().advice.values()]
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
        "consent_form": forms.get("consent") or ConsentForm(risks=risks, initial={"risks": sorted(required_risks)}),
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
    }


def _respond(request: HttpRequest, encounter, *, forms: dict | None = None, error: str = "", status: int = 200) -> HttpResponse:
    if not request.htmx:
        if status != 200:
            return HttpResponse(error or "Invalid input.", status=status, content_type="text/plain; charset=utf-8")
        return redirect("encounter_detail", encounter_id=encounter.pk)
    context = panel_context(encounter, editable=True, forms=forms, error=error)
    return render(request, "needling/_panel.html", context, status=status)


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def palpation_save(request: HttpRequest, encounter_id) -> HttpResponse:
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    form = PalpationForm(request.POST, language=_language())
    if not form.is_valid():
        return _respond(request, encounter, forms={"palpation": form}, error=_form_error(form), status=400)
    try:
        services.palpation_record(actor=request.user, encounter=encounter, **form.cleaned_data)
    except ValidationError as error:
        return _respond(request, encounter, forms={"palpation": form}, error=_errors(error), status=400)
    return _respond(request, encounter)


def _form_error(form) -> str:
    return " ".join(f"{form.fields[k].label if k in form.fields else ''}: {' '.join(v)}".strip(": ") for k, v in form.errors.items())


@staff_view(Capability.WRITE_CLINICAL)
def entry_defaults(request: HttpRequest, encounter_id) -> HttpResponse:
    """The add-needles form pre-filled with the chosen muscle's defaults (HTMX)."""
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    picked = MuscleSideForm(request.GET, language=_language())
    initial = {"side": request.GET.get("side", "r")}
    if picked.is_valid():
        initial.update(muscle_id=picked.cleaned_data["muscle_id"], **services.default_entry(picked.cleaned_data["muscle_id"]))
    return _respond(request, encounter, forms={"entry": NeedlingEntryForm(initial=initial, language=_language())})


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def entry_add(request: HttpRequest, encounter_id) -> HttpResponse:
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    form = NeedlingEntryForm(request.POST, language=_language())
    if not form.is_valid():
        return _respond(request, encounter, forms={"entry": form}, error=_form_error(form), status=400)
    try:
        services.needling_entry_save(actor=request.user, encounter=encounter, **form.cleaned_data)
    except ValidationError as error:
        return _respond(request, encounter, forms={"entry": form}, error=_errors(error), status=400)
    return _respond(request, encounter)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def entry_remove(request: HttpRequest, entry_id) -> HttpResponse:
    entry = get_object_or_404(NeedlingEntry, pk=entry_id, clinic_id=request.user.clinic_id)
    encounter = encounter_get_for_user(user=request.user, encounter_id=entry.encounter_id)
    try:
        services.needling_entry_remove(actor=request.user, entry=entry)
    except ValidationError as error:
        return _respond(request, encounter, error=_errors(error), status=400)
    return _respond(request, encounter)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def repeat_last(request: HttpRequest, encounter_id) -> HttpResponse:
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    try:
        services.repeat_last_session(actor=request.user, encounter=encounter)
    except ValidationError as error:
        return _respond(request, encounter, error=_errors(error), status=400)
    return _respond(request, encounter)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def consent_save(request: HttpRequest, encounter_id) -> HttpResponse:
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    version = treatment_catalog().current_consent(timezone.localdate())
    form = ConsentForm(request.POST, risks=[(r.id, r.text.get(_language())) for r in version.risks])
    if not form.is_valid():
        return _respond(request, encounter, forms={"consent": form}, error=_form_error(form), status=400)
    data = form.cleaned_data
    try:
        services.consent_record(
            actor=request.user,
            encounter=encounter,
            method=data["method"],
            risks_explained=data["risks"],
            signature_svg_path=data["signature"],
            witness_name=data["witness_name"],
        )
    except ValidationError as error:
        return _respond(request, encounter, forms={"consent": form}, error=_errors(error), status=400)
    return _respond(request, encounter)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def record_save(request: HttpRequest, encounter_id) -> HttpResponse:
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    advice = [(a.id, a.text.get(_language())) for a in treatment_catalog().advice.values()]
    form = NeedlingRecordForm(request.POST, advice=advice)
    if not form.is_valid():
        return _respond(request, encounter, forms={"record": form}, error=_form_error(form), status=400)
    data = form.cleaned_data
    try:
        services.needling_record_update(
            actor=request.user,
            encounter=encounter,
            needles_out=data["needles_out"],
            mismatch_search=data["mismatch_search"],
            mismatch_outcome=data["mismatch_outcome"],
            relative_reasoning=data["relative_reasoning"],
            advice_ids=data["advice"],
        )
    except ValidationError as error:
        return _respond(request, encounter, forms={"record": form}, error=_errors(error), status=400)
    return _respond(request, encounter)
