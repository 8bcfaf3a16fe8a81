"""What the needling parts of the visit page draw: their context (the session state, the safety
checks, the forms) for the whole page (pages.visit) and for the parts an HTMX answer sends back
(needling.views)."""

from __future__ import annotations

from typing import Any

from django.forms import BaseForm
from django.utils import timezone
from django.utils.translation import get_language

from needlechart.charting.models import Encounter
from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.needling import checks
from needlechart.needling.forms import (
    AdverseEventForm,
    ConsentForm,
    NeedlingEntryForm,
    NeedlingRecordForm,
    PalpationForm,
    PressurePainForm,
    RangeOfMotionForm,
)
from needlechart.needling.models import NeedlingRecord
from needlechart.needling.session import SessionState, session_state


def page_language() -> str:
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
ENTRY_PARTS = ("summary", RECORDED_CONSENT, "needles", "count", "problems")  # needles planned, added or removed


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
    language = page_language()
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
        "chosen_advice": record.advice_ids if record is not None else default_advice(),
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
    advice = advice_choices()
    initial = {
        "needles_out": record.needles_out if record else None,
        "mismatch_search": record.mismatch_search if record else "",
        "mismatch_outcome": record.mismatch_outcome if record else "",
        "relative_reasoning": record.relative_reasoning if record else "",
        "advice": record.advice_ids if record is not None else default_advice(),
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
        "rom_form": forms.get("rom") or RangeOfMotionForm(movements=movement_choices(language)),
        "ppt_form": forms.get("ppt") or PressurePainForm(language=language),
    }


def default_advice() -> list[str]:
    """The aftercare advice a visit starts with (the catalogue's defaults)."""
    return [a.id for a in treatment_catalog().advice.values() if a.default]


def movement_choices(language: str) -> list[tuple[str, list[tuple[str, str]]]]:
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


def adverse_events_context(encounter: Encounter, *, form: AdverseEventForm | None = None, error: str = "") -> dict[str, Any]:
    language = page_language()
    types = {t.id: t.name.get(language) for t in treatment_catalog().adverse_event_types.values()}
    events = [(e, types.get(e.event_type, e.event_type)) for e in encounter.adverse_events.all()]
    initial = {"onset": timezone.localtime().replace(second=0, microsecond=0), "severity": "mild", "outcome": "resolved"}
    return {
        "encounter": encounter,
        "adverse_events": events,
        "ae_error": error,
        "ae_form": form or AdverseEventForm(types=list(types.items()), initial=initial),
    }


def consent_risks() -> list[tuple[str, str]]:
    return [(r.id, r.text.get(page_language())) for r in treatment_catalog().current_consent(timezone.localdate()).risks]


def advice_choices() -> list[tuple[str, str]]:
    return [(a.id, a.text.get(page_language())) for a in treatment_catalog().advice.values()]
