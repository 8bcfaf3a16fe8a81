"""Reading a needling visit as a whole: what was planned and done, what warns, what still
stands between the practitioner and signing, and the canonical form signed with the note."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from needlechart.charting.models import Encounter
from needlechart.charting.signing import joined_row
from needlechart.clinics.selectors import NeedlingAuthorisation, needling_authorisation
from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.treatment import Advice, SafetyNet, treatment_catalog
from needlechart.needling import checks
from needlechart.needling.models import Consent, NeedlingEntry, NeedlingRecord, PalpationFinding
from needlechart.screening.models import IntakeResponse
from needlechart.screening.rules import Suitability, evaluate
from needlechart.screening.selectors import rule_adjustments

ANTICOAGULANT_RULE = "anticoagulants"


@dataclass
class SessionState:
    encounter: Encounter
    entries: list[NeedlingEntry]
    record: NeedlingRecord | None
    consent: Consent | None
    palpation: list[PalpationFinding]
    suitability: Suitability | None
    authorisation: NeedlingAuthorisation
    planned: list[checks.Planned] = field(default_factory=list)
    warnings: list[checks.SafetyWarning] = field(default_factory=list)
    safety_nets: list[SafetyNet] = field(default_factory=list)

    @property
    def needles_in(self) -> int:
        return sum(e.needle_count for e in self.entries)

    @property
    def has_needling(self) -> bool:
        return bool(self.entries)

    @property
    def aftercare_advice(self) -> list[Advice]:
        """The advice chosen for the patient, less what this visit's safety-netting replaces."""
        return checks.aftercare_advice(self.record.advice_ids if self.record else [], self.safety_nets)

    def signing_problems(self) -> list[str]:
        """Every reason the visit cannot be signed yet, in words the practitioner can act on."""
        if not self.entries:
            return []
        problems = []
        if not self.authorisation.certified:
            problems.append(
                _("Only a practitioner with a needling certification valid today can sign a needling session: %(reason)s")
                % {"reason": self.authorisation.reason}
            )
        if self.suitability is None:
            problems.append(_("The patient has no intake and screening yet."))
        problems += [w.message for w in self.warnings if w.level == "block"]
        if self.suitability and self.suitability.needs_reasoning and not (self.record and self.record.relative_reasoning.strip()):
            problems.append(_("The patient has relative contraindications: write your reasoning for needling before signing."))
        record = self.record
        count = checks.reconciliation_problem(
            needles_in=self.needles_in,
            needles_out=record.needles_out if record else None,
            search=record.mismatch_search if record else "",
            outcome=record.mismatch_outcome if record else "",
        )
        if count:
            problems.append(count)
        consent = checks.consent_problem(self.consent, self.planned, treatment_catalog().current_consent(timezone.localdate()))
        if consent:
            problems.append(consent)
        contradicted = checks.replaced_advice(self.safety_nets) & set(record.advice_ids if record else [])
        if contradicted:
            problems.append(
                _("Some aftercare advice chosen contradicts the safety-netting added for this visit: save the aftercare again.")
            )
        return problems


def session_state(encounter: Encounter) -> SessionState:
    """The visit's needling as stored. Its record and the practitioner's profile are taken from
    ``encounter`` when the read of it joined them (signing: ``needling.signing.SIGNING.joined``)."""
    intake = IntakeResponse.objects.filter(patient_id=encounter.patient_id).order_by("-submitted_at").first()
    return session_state_from(
        encounter,
        entries=list(encounter.needling_entries.order_by("position")),
        record=joined_row(encounter, "needling_record", NeedlingRecord.objects.filter(encounter=encounter).first),
        consent=encounter.consents.order_by("-recorded_at").first(),
        palpation=list(encounter.palpation_findings.all()),
        suitability=evaluate(
            intake.answers,
            adjustments=rule_adjustments(encounter.clinic_id),
            answered_on=timezone.localdate(intake.submitted_at),
            on=timezone.localdate(encounter.starts_at),
        )
        if intake
        else None,
        authorisation=needling_authorisation(practitioner=encounter.practitioner, on=timezone.localdate(encounter.starts_at)),
    )


def session_state_from(
    encounter: Encounter,
    *,
    entries: list[NeedlingEntry],
    record: NeedlingRecord | None,
    consent: Consent | None,
    palpation: list[PalpationFinding],
    suitability: Suitability | None,
    authorisation: NeedlingAuthorisation,
) -> SessionState:
    """The state of a visit from rows already in hand: read by ``session_state``, or made by ``needlechart synthetic``."""
    muscles = catalog().muscles
    state = SessionState(
        encounter=encounter,
        entries=entries,
        record=record,
        consent=consent,
        palpation=palpation,
        suitability=suitability,
        authorisation=authorisation,
    )
    state.planned = [
        checks.Planned(muscles[e.muscle_id], e.side, e.depth_mm, e.length_mm, e.estim) for e in entries if e.muscle_id in muscles
    ]
    state.warnings = checks.safety_warnings(state.planned, suitability)
    anticoagulants = bool(suitability and any(f.rule.id == ANTICOAGULANT_RULE for f in suitability.findings))
    state.safety_nets = checks.safety_nets_for(state.planned, estim=any(e.estim for e in entries), anticoagulants=anticoagulants)
    return state


def _decimal(value) -> str | None:
    return None if value is None else str(value)


def session_facts(state: SessionState) -> dict[str, Any]:
    """What was recorded for the visit's needling, from its rows (empty when nothing was).

    Verification recomputes this part and compares it with the signed form.
    """
    encounter = state.encounter
    if not (
        state.entries
        or state.consent
        or state.palpation
        or state.record
        or encounter.range_of_motion.exists()
        or encounter.pressure_pain_thresholds.exists()
    ):
        return {}
    record = state.record
    consent = state.consent
    return {
        "relative_reasoning": record.relative_reasoning if record else "",
        "consent": {
            "version": consent.version,
            "method": consent.method,
            "risks_explained": consent.risks_explained,
            "witness": consent.witness_name,
            "signature": consent.signature_svg_path,
            "recorded_at": consent.recorded_at.isoformat(),
        }
        if consent
        else None,
        "palpation": sorted(
            (
                {
                    "muscle": p.muscle_id,
                    "side": p.side,
                    "taut_band": p.taut_band,
                    "tender_spot": p.tender_spot,
                    "referred_pain": p.referred_pain,
                    "recognised": p.recognised,
                    "twitch": p.twitch,
                    "jump_sign": p.jump_sign,
                }
                for p in state.palpation
            ),
            key=lambda p: (p["muscle"], p["side"]),
        ),
        "needling": [
            {
                "muscle": e.muscle_id,
                "side": e.side,
                "gauge_mm": _decimal(e.gauge_mm),
                "length_mm": e.length_mm,
                "needles": e.needle_count,
                "technique": e.technique,
                "depth_mm": e.depth_mm,
                "direction": e.direction,
                "twitch_responses": e.twitch_responses,
                "dwell_seconds": e.dwell_seconds,
                "estim": e.estim,
                "estim_frequency_hz": e.estim_frequency_hz,
                "estim_pulse_width_us": e.estim_pulse_width_us,
                "estim_intensity_ma": _decimal(e.estim_intensity_ma),
                "estim_minutes": e.estim_minutes,
                "tolerance": e.tolerance,
            }
            for e in state.entries
        ],
        "needle_count": {
            "in": state.needles_in,
            "out": record.needles_out if record else None,
            "search": record.mismatch_search if record else "",
            "outcome": record.mismatch_outcome if record else "",
        },
        "advice": record.advice_ids if record else [],
        "range_of_motion": [
            {"joint": r.joint, "movement": r.movement, "side": r.side, "degrees": r.degrees, "painful": r.painful}
            for r in state.encounter.range_of_motion.order_by("joint", "movement", "side")
        ],
        "pressure_pain_thresholds": [
            {"muscle": p.muscle_id, "side": p.side, "trials_kpa": p.trials_kpa}
            for p in state.encounter.pressure_pain_thresholds.order_by("muscle_id", "side", "id")
        ],
    }


def session_judgements(state: SessionState) -> dict[str, Any]:
    """What the system concluded at signing (screening, certification, warnings, safety-netting).

    Frozen into the signed form as the record of what was known then; not recomputed by
    verification, because rules and data files may rightly change later.
    """
    if not state.entries:
        return {}
    certification = state.authorisation.certification
    return {
        "certified": state.authorisation.certified,
        "certification": {
            "id": str(certification.pk),
            "course": certification.course,
            "issuer": certification.issuer,
            "expires_on": certification.expires_on.isoformat() if certification.expires_on else None,
        }
        if certification
        else None,
        "screening": [{"rule": f.rule.id, "severity": f.severity} for f in state.suitability.findings] if state.suitability else None,
        "warnings": [{"level": w.level, "muscle": w.muscle_id, "side": w.side} for w in state.warnings],
        "safety_netting": [n.id for n in state.safety_nets],
        "trigger_points": [
            {
                "muscle": p.muscle_id,
                "side": p.side,
                "classification": checks.classify_trigger_point(
                    taut_band=p.taut_band, tender_spot=p.tender_spot, referred_pain=p.referred_pain, recognised=p.recognised
                ),
            }
            for p in sorted(state.palpation, key=lambda p: (p.muscle_id, p.side))
        ],
    }
