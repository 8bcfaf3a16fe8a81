"""What the session note and the aftercare sheet show, gathered once for page and PDF."""

from __future__ import annotations

import json

from django.utils.translation import get_language

from needlechart.charting.models import Encounter, Note, PainMap
from needlechart.homecare.selectors import patient_programme
from needlechart.knowledge import bodymap
from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.needling.checks import classify_trigger_point
from needlechart.needling.session import session_state
from needlechart.patients.identifiers import NATIONAL_ID_SYSTEMS


def aftercare_context(encounter: Encounter) -> dict:
    """The advice chosen for this visit and the safety-netting added, in the active language."""
    language = get_language() or "en"
    state = session_state(encounter)
    advice = treatment_catalog().advice
    chosen = state.record.advice_ids if state.record else []
    return {
        "encounter": encounter,
        "patient": encounter.patient,
        "clinic": encounter.clinic,
        "practitioner": encounter.practitioner,
        "muscles": [
            (catalog().muscles[e.muscle_id].name.get(language), e.get_side_display())
            for e in state.entries
            if e.muscle_id in catalog().muscles
        ],
        "advice": [advice[a].text.get(language) for a in chosen if a in advice],
        "safety_nets": [n.text.get(language) for n in state.safety_nets],
        "home_programme": patient_programme(encounter, language),  # None: no programme was prescribed
    }


def session_note_context(encounter: Encounter, note: Note | None) -> dict:
    language = get_language() or "en"
    muscles = catalog().muscles
    state = session_state(encounter)
    pain_map = PainMap.objects.filter(encounter=encounter).first()
    marks = pain_map.marks if pain_map else {}
    regions = catalog().regions
    judgements = json.loads(note.canonical).get("judgements", {}) if note and note.is_signed else {}
    rules = treatment_catalog().rules
    screening = (
        judgements.get("screening")
        if judgements
        else [{"rule": f.rule.id, "severity": f.severity} for f in state.suitability.findings]
        if state.suitability
        else None
    )
    version = treatment_catalog().current_consent(encounter.starts_at.date())
    risk_texts = {r.id: r.text.get(language) for r in version.risks}
    ae_types = treatment_catalog().adverse_event_types
    return {
        **aftercare_context(encounter),
        "note": note,
        "addenda": list(note.addenda.filter(signed_at__isnull=False).select_related("author").order_by("created_at")) if note else [],
        "nin": encounter.patient.identifiers.filter(system__in=NATIONAL_ID_SYSTEMS).values_list("value", flat=True).first(),
        "authorisation": state.authorisation,
        "certification": judgements.get("certification"),
        "screening": [(rules[f["rule"]].message.get(language), f["severity"]) for f in (screening or []) if f["rule"] in rules],
        "screening_done": screening is not None,
        "relative_reasoning": state.record.relative_reasoning if state.record else "",
        "consent": state.consent,
        "consent_risks": [risk_texts.get(r, r) for r in (state.consent.risks_explained if state.consent else [])],
        "pain_views": bodymap.draw(classes=bodymap.pain_classes(marks)),
        "pain_marks": sorted(((regions[r].label(language), m["intensity"]) for r, m in marks.items() if r in regions), key=lambda x: -x[1]),
        "palpation": [
            (
                muscles[p.muscle_id].name.get(language),
                p.get_side_display(),
                classify_trigger_point(
                    taut_band=p.taut_band, tender_spot=p.tender_spot, referred_pain=p.referred_pain, recognised=p.recognised
                ),
            )
            for p in state.palpation
            if p.muscle_id in muscles
        ],
        "entries": [(e, muscles[e.muscle_id].name.get(language)) for e in state.entries if e.muscle_id in muscles],
        "needles_in": state.needles_in,
        "warnings": state.warnings,  # the planning warnings, each labelled where it rests on an unverified fact
        "record": state.record,
        "adverse_events": [
            (e, ae_types[e.event_type].name.get(language) if e.event_type in ae_types else e.event_type)
            for e in encounter.adverse_events.all()
        ],
    }
