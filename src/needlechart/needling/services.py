"""Writes for the needling visit. Each is atomic, audited, and refused once the note is signed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_record
from needlechart.charting.models import Encounter, Note
from needlechart.charting.services import NOTE_FIELDS, note_save_draft
from needlechart.clinics.models import User
from needlechart.core.access import Capability, require_capability
from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.needling import checks
from needlechart.needling.models import (
    AdverseEvent,
    AdverseEventOutcome,
    AdverseEventSeverity,
    Consent,
    ConsentMethod,
    MismatchOutcome,
    NeedlingEntry,
    NeedlingRecord,
    PalpationFinding,
    PressurePainThreshold,
    RangeOfMotion,
)
from needlechart.needling.session import session_state

ENTRY_FIELDS = (
    "gauge_mm",
    "length_mm",
    "needle_count",
    "technique",
    "depth_mm",
    "direction",
    "twitch_responses",
    "dwell_seconds",
    "estim",
    "estim_frequency_hz",
    "estim_pulse_width_us",
    "estim_intensity_ma",
    "estim_minutes",
    "tolerance",
)
_SIGNATURE = re.compile(r"^[ML0-9. ]{0,60000}$")


def _open_for_writing(actor: User, encounter: Encounter) -> None:
    """Needling rows are written by the visit's practitioner, and only until the note is signed: a
    colleague reads the visit but does not add to it."""
    require_capability(actor, Capability.WRITE_CLINICAL)
    if Note.objects.filter(encounter=encounter, signed_at__isnull=False).exists():
        raise ValidationError(_("The note of this visit is signed; its records can no longer change. Add an addendum instead."))
    if actor.pk != encounter.practitioner_id:
        raise PermissionDenied(_("Only the practitioner of this visit records its needling."))


def _audit(actor: User, encounter: Encounter, object_type: str, object_id: Any, action: str = AuditAction.UPDATE, **detail: Any) -> None:
    audit_record(actor=actor, action=action, object_type=object_type, object_id=object_id, patient_id=encounter.patient_id, detail=detail)


def _muscle_side(muscle_id: str, side: str) -> None:
    if muscle_id not in catalog().muscles:
        raise ValidationError(_("Unknown muscle."))
    if side not in ("l", "r"):
        raise ValidationError(_("Choose the left or right side."))


@transaction.atomic
def consent_record(
    *, actor: User, encounter: Encounter, method: str, risks_explained: Sequence[str], signature_svg_path: str = "", witness_name: str = ""
) -> Consent:
    """Record consent as given today; a later consent supersedes, none is ever edited."""
    _open_for_writing(actor, encounter)
    version = treatment_catalog().current_consent(timezone.localdate())
    known = {risk.id for risk in version.risks}
    if method not in ConsentMethod.values:
        raise ValidationError(_("Choose written or verbal consent."))
    if not set(risks_explained) <= known or not risks_explained:
        raise ValidationError(_("Tick the risks that were explained."))
    if method == ConsentMethod.WRITTEN and (not signature_svg_path.strip() or not _SIGNATURE.match(signature_svg_path)):
        raise ValidationError(_("Written consent needs the patient's signature on the screen."))
    if method == ConsentMethod.VERBAL and not witness_name.strip():
        raise ValidationError(_("Verbal consent needs the name of a witness."))
    consent = Consent.objects.create(
        clinic_id=encounter.clinic_id,
        encounter=encounter,
        version=version.version,
        method=method,
        risks_explained=sorted(set(risks_explained)),
        signature_svg_path=signature_svg_path.strip() if method == ConsentMethod.WRITTEN else "",
        witness_name=witness_name.strip() if method == ConsentMethod.VERBAL else "",
        recorded_by=actor,
    )
    _audit(actor, encounter, "consent", consent.pk, AuditAction.CREATE, method=method)
    return consent


@transaction.atomic
def palpation_record(*, actor: User, encounter: Encounter, muscle_id: str, side: str, **findings: bool) -> PalpationFinding:
    _open_for_writing(actor, encounter)
    _muscle_side(muscle_id, side)
    flags = {k: bool(findings.get(k, False)) for k in ("taut_band", "tender_spot", "referred_pain", "recognised", "twitch", "jump_sign")}
    finding, _created = PalpationFinding.objects.update_or_create(
        encounter=encounter, muscle_id=muscle_id, side=side, defaults={"clinic_id": encounter.clinic_id, **flags}
    )
    _audit(actor, encounter, "palpation", finding.pk, muscle=muscle_id, side=side)
    return finding


def _clean_entry(fields: dict[str, Any]) -> dict[str, Any]:
    values = {k: fields[k] for k in ENTRY_FIELDS if k in fields}
    if not values.get("estim"):
        for key in ("estim_frequency_hz", "estim_pulse_width_us", "estim_intensity_ma", "estim_minutes"):
            values[key] = None
    elif any(values.get(k) in (None, "") for k in ("estim_frequency_hz", "estim_pulse_width_us", "estim_intensity_ma", "estim_minutes")):
        raise ValidationError(_("Electrical stimulation needs frequency, pulse width, intensity and duration."))
    return values


@transaction.atomic
def needling_entry_save(
    *, actor: User, encounter: Encounter, muscle_id: str, side: str, entry: NeedlingEntry | None = None, **fields: Any
) -> NeedlingEntry:
    """Add a muscle and side to the session, or change one already there."""
    _open_for_writing(actor, encounter)
    _muscle_side(muscle_id, side)
    values = _clean_entry(fields)
    if entry is None:
        entry = NeedlingEntry(clinic_id=encounter.clinic_id, encounter=encounter, position=encounter.needling_entries.count())
    entry.muscle_id, entry.side = muscle_id, side
    for key, value in values.items():
        setattr(entry, key, value)
    entry.full_clean(exclude=["clinic", "encounter"])
    if entry.depth_mm > entry.length_mm:
        raise ValidationError(_("The depth cannot exceed the needle length."))
    entry.save()
    _audit(actor, encounter, "needling_entry", entry.pk, muscle=muscle_id, side=side, needles=entry.needle_count)
    return entry


@transaction.atomic
def needling_entry_remove(*, actor: User, entry: NeedlingEntry) -> None:
    _open_for_writing(actor, entry.encounter)
    _audit(actor, entry.encounter, "needling_entry", entry.pk, AuditAction.UPDATE, removed=True, muscle=entry.muscle_id)
    entry.delete()


def default_entry(muscle_id: str) -> dict[str, Any]:
    """Sensible defaults for a muscle: the shortest usual needle, a moderate depth, pistoning."""
    muscle = catalog().muscles[muscle_id]
    length = min(muscle.needle_length_mm)
    return {
        "gauge_mm": Decimal("0.25"),
        "length_mm": length,
        "needle_count": 1,
        "technique": "pistoning",
        "depth_mm": max(5, length * 2 // 3),
        "direction": "",
        "twitch_responses": 0,
        "dwell_seconds": 30,
        "estim": False,
        "tolerance": "good",
    }


def _advice_kept(encounter: Encounter, advice_ids: Sequence[str]) -> list[str]:
    """The advice chosen, less what this visit's safety-netting replaces (aftercare.yaml ``replaces``):
    for a patient on blood thinners the firm-pressure advice stands in for the gentle one."""
    replaced = checks.replaced_advice(session_state(encounter).safety_nets)
    return sorted(set(advice_ids) - replaced)


@transaction.atomic
def needling_record_update(*, actor: User, encounter: Encounter, **fields: Any) -> NeedlingRecord:
    """Needle count out, mismatch search and outcome, reasoning, and the advice chosen."""
    _open_for_writing(actor, encounter)
    record, _created = NeedlingRecord.objects.get_or_create(encounter=encounter, defaults={"clinic_id": encounter.clinic_id})
    if "advice_ids" in fields:
        unknown = set(fields["advice_ids"]) - set(treatment_catalog().advice)
        if unknown:
            raise ValidationError(_("Unknown advice."))
        record.advice_ids = _advice_kept(encounter, fields["advice_ids"])
    if "needles_out" in fields:
        out = fields["needles_out"]
        if out is not None and not 0 <= int(out) <= 500:
            raise ValidationError(_("The number of needles out must be between 0 and 500."))
        record.needles_out = out
    if fields.get("mismatch_outcome", "") not in ("", *MismatchOutcome.values):
        raise ValidationError(_("Unknown outcome."))
    for key in ("mismatch_search", "mismatch_outcome", "relative_reasoning"):
        if key in fields:
            setattr(record, key, str(fields[key]).strip()[:5000])
    record.save()
    _audit(
        actor, encounter, "needling_record", encounter.pk, **{k: v for k, v in fields.items() if k in ("needles_out", "mismatch_outcome")}
    )
    return record


@transaction.atomic
def repeat_last_session(*, actor: User, encounter: Encounter) -> int:
    """Pre-fill this visit's needling from the patient's previous signed session.

    Copies the muscles with their needle parameters and the advice given; counts, consent
    and findings are this visit's own and are not copied. Returns the number of entries.
    """
    _open_for_writing(actor, encounter)
    previous = (
        Encounter.objects.filter(
            patient_id=encounter.patient_id, clinic_id=encounter.clinic_id, note__signed_at__isnull=False, starts_at__lt=encounter.starts_at
        )
        .filter(needling_entries__isnull=False)
        .order_by("-starts_at")
        .first()
    )
    if previous is None:
        raise ValidationError(_("There is no earlier signed needling session to repeat."))
    encounter.needling_entries.all().delete()
    entries = list(previous.needling_entries.order_by("position"))
    for position, old in enumerate(entries):
        NeedlingEntry.objects.create(
            clinic_id=encounter.clinic_id,
            encounter=encounter,
            muscle_id=old.muscle_id,
            side=old.side,
            position=position,
            **{k: getattr(old, k) for k in ENTRY_FIELDS},
        )
    record, _created = NeedlingRecord.objects.get_or_create(encounter=encounter, defaults={"clinic_id": encounter.clinic_id})
    old_record = NeedlingRecord.objects.filter(encounter=previous).first()
    record.advice_ids = _advice_kept(encounter, old_record.advice_ids if old_record else [])
    record.repeated_from = previous
    record.save()
    previous_note = Note.objects.filter(encounter=previous).first()
    current = Note.objects.filter(encounter=encounter).first()
    if previous_note and not (current and any(getattr(current, f).strip() for f in NOTE_FIELDS)):
        note_save_draft(actor=actor, encounter=encounter, **{f: getattr(previous_note, f) for f in NOTE_FIELDS})
    _audit(actor, encounter, "needling_record", encounter.pk, repeated_from=str(previous.pk), entries=len(entries))
    return len(entries)


@transaction.atomic
def adverse_event_record(
    *,
    actor: User,
    encounter: Encounter,
    event_type: str,
    severity: str,
    onset: dt.datetime,
    description: str = "",
    action_taken: str = "",
    outcome: str = "ongoing",
) -> AdverseEvent:
    """Record an adverse event during the visit or later (signed notes do not block this)."""
    require_capability(actor, Capability.WRITE_CLINICAL)
    kind = treatment_catalog().adverse_event_types.get(event_type)
    if kind is None:
        raise ValidationError(_("Unknown type of adverse event."))
    if severity not in AdverseEventSeverity.values or outcome not in AdverseEventOutcome.values:
        raise ValidationError(_("Choose a severity and an outcome from the lists."))
    if not kind.allows(severity):
        raise ValidationError(minimum_severity_message(event_type))
    if onset < encounter.starts_at - dt.timedelta(hours=1) or onset > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError(_("The onset must be between the start of the visit and now."))
    event = AdverseEvent.objects.create(
        clinic_id=encounter.clinic_id,
        encounter=encounter,
        patient_id=encounter.patient_id,
        event_type=event_type,
        severity=severity,
        onset=onset,
        description=description.strip()[:5000],
        action_taken=action_taken.strip()[:5000],
        outcome=outcome,
        recorded_by=actor,
    )
    _audit(actor, encounter, "adverse_event", event.pk, AuditAction.CREATE, type=event_type, severity=severity)
    return event


def minimum_severity_message(event_type: str) -> str:
    """Why a severity was refused for a type: its name and the lowest severity it can have."""
    kind = treatment_catalog().adverse_event_types[event_type]
    language = get_language() or "en"
    return _("%(type)s is never graded below %(minimum)s: choose %(minimum)s or a higher severity.") % {
        "type": kind.name.get(language),
        "minimum": str(AdverseEventSeverity(kind.minimum_severity).label).lower(),
    }


@transaction.atomic
def adverse_event_update_outcome(*, actor: User, event: AdverseEvent, outcome: str, action_taken: str = "") -> AdverseEvent:
    require_capability(actor, Capability.WRITE_CLINICAL)
    if outcome not in AdverseEventOutcome.values:
        raise ValidationError(_("Choose an outcome from the list."))
    event.outcome = outcome
    if action_taken.strip():
        event.action_taken = f"{event.action_taken}\n{action_taken.strip()}".strip()[:5000]
    event.save(update_fields=["outcome", "action_taken"])
    _audit(actor, event.encounter, "adverse_event", event.pk, outcome=outcome)
    return event


@transaction.atomic
def range_of_motion_record(
    *, actor: User, encounter: Encounter, joint: str, movement: str, side: str, degrees: int, painful: bool = False
) -> RangeOfMotion:
    _open_for_writing(actor, encounter)
    joint_data = treatment_catalog().joints.get(joint)
    move = next((m for m in joint_data.movements if m.id == movement), None) if joint_data else None
    if move is None:
        raise ValidationError(_("Unknown joint or movement."))
    if move.sided != (side in ("l", "r")) or side not in ("", "l", "r"):
        raise ValidationError(_("Give a side for this movement.") if move.sided else _("This movement has no side."))
    if not 0 <= degrees <= 200:
        raise ValidationError(_("Degrees must be between 0 and 200."))
    rom, _created = RangeOfMotion.objects.update_or_create(
        encounter=encounter,
        joint=joint,
        movement=movement,
        side=side,
        defaults={"clinic_id": encounter.clinic_id, "degrees": degrees, "painful": painful},
    )
    _audit(actor, encounter, "range_of_motion", rom.pk, joint=joint, movement=movement, side=side, degrees=degrees)
    return rom


@transaction.atomic
def pressure_pain_record(
    *, actor: User, encounter: Encounter, muscle_id: str, side: str, trials_kpa: Sequence[float]
) -> PressurePainThreshold:
    """Pressure pain threshold: one to three algometer trials in kPa, averaged."""
    _open_for_writing(actor, encounter)
    _muscle_side(muscle_id, side)
    trials = [round(float(t), 1) for t in trials_kpa if t is not None]
    if not 1 <= len(trials) <= 3 or any(not 0 < t <= 2000 for t in trials):
        raise ValidationError(_("Enter one to three trials between 0 and 2000 kPa."))
    ppt = PressurePainThreshold.objects.create(
        clinic_id=encounter.clinic_id, encounter=encounter, muscle_id=muscle_id, side=side, trials_kpa=trials
    )
    _audit(actor, encounter, "pressure_pain", ppt.pk, muscle=muscle_id, side=side)
    return ppt
