"""Writes for outcomes: measurements, follow-up links and answers, alerts, clinic questionnaires. Atomic and audited."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.charting.models import Encounter, Note
from needlechart.clinics.models import User
from needlechart.core.access import Capability, require_capability
from needlechart.homecare.models import Adherence
from needlechart.homecare.selectors import has_programme
from needlechart.needling.models import AdverseEvent, AdverseEventReport
from needlechart.outcomes.follow_up import Impact, SideEffect, follow_up_form
from needlechart.outcomes.instrument_loading import InstrumentDefinitionError, parse_instrument_definition
from needlechart.outcomes.instruments import AnswerError, Instrument, Scored
from needlechart.outcomes.models import Alert, ClinicInstrument, FollowUpLink, FollowUpResponse, Measurement, MeasurementSource
from needlechart.outcomes.registry import instruments_for_clinic
from needlechart.outcomes.selectors import visit_measure_time
from needlechart.screening.services import LinkUnusable, token_hash

FOLLOW_UP_INSTRUMENTS = ("nprs", "psfs", "groc")  # asked in this order
RECORDED_WITH_NEEDLING = ("ppt", "rom")  # per muscle or movement, in the needling models; progress reads them there
SEVERITY_ORDER = {"mild": 0, "significant": 1, "serious": 2}


def _audit(
    actor: User | None,
    action: str,
    object_type: str,
    object_id: Any,
    patient_id: uuid.UUID | None,
    clinic_id: uuid.UUID | None,
    **detail: Any,
) -> None:
    audit_record(
        actor=actor, action=action, object_type=object_type, object_id=object_id, patient_id=patient_id, clinic_id=clinic_id, detail=detail
    )


# --- measurements taken in the clinic -----------------------------------------------------------


@transaction.atomic
def measurement_record(*, actor: User, encounter: Encounter, instrument_id: str, raw_answers: Mapping[str, Any]) -> Measurement:
    """Score and store one instrument's answers taken at a visit (the first visit's are the baseline)."""
    require_capability(actor, Capability.WRITE_CLINICAL)
    instrument = instruments_for_clinic(encounter.clinic_id).get(instrument_id)
    if instrument is None:
        raise ValidationError(_("Unknown outcome measure."))
    if instrument.id in RECORDED_WITH_NEEDLING:
        raise ValidationError(_("Pressure pain thresholds and range of motion are recorded in the Needling section of the visit."))
    scored = instrument.score(raw_answers)
    measurement = Measurement.objects.create(
        clinic_id=encounter.clinic_id,
        patient_id=encounter.patient_id,
        episode_id=encounter.episode_id,
        encounter=encounter,
        instrument=instrument.id,
        score=scored.value,
        answers=scored.answers,
        source=MeasurementSource.CLINIC,
        taken_at=visit_measure_time(encounter, timezone.now()),  # when entered, not the booked start
        recorded_by=actor,
    )
    _audit(
        actor,
        AuditAction.CREATE,
        AuditObject.MEASUREMENT,
        measurement.pk,
        encounter.patient_id,
        encounter.clinic_id,
        instrument=instrument.id,
    )
    return measurement


@transaction.atomic
def measurement_retract(*, actor: User, measurement: Measurement, reason: str) -> Measurement:
    """Take a wrong entry out of progress and analytics; the row itself is kept."""
    require_capability(actor, Capability.WRITE_CLINICAL)
    if measurement.retracted_at:
        raise ValidationError(_("This measurement has already been retracted."))
    if not reason.strip():
        raise ValidationError(_("Give a reason for retracting the measurement."))
    measurement.retracted_at, measurement.retracted_by, measurement.retraction_reason = timezone.now(), actor, reason.strip()[:300]
    measurement.save(update_fields=["retracted_at", "retracted_by", "retraction_reason"])
    _audit(
        actor, AuditAction.UPDATE, AuditObject.MEASUREMENT, measurement.pk, measurement.patient_id, measurement.clinic_id, retracted=True
    )
    return measurement


def psfs_activities(episode_id: uuid.UUID) -> list[str]:
    """The activities the patient named at their first PSFS in this episode (re-rated on follow-up)."""
    first = (
        Measurement.objects.filter(episode_id=episode_id, instrument="psfs", retracted_at__isnull=True)
        .order_by("taken_at")
        .only("answers")
        .first()
    )
    return [activity["name"] for activity in first.answers.get("activities", [])] if first else []


# --- follow-up links ----------------------------------------------------------------------------


def follow_up_url(base_url: str, link: FollowUpLink, secret: str) -> str:
    return base_url.rstrip("/") + reverse("follow_up_public", args=[link.pk, secret])


@transaction.atomic
def follow_up_link_create(*, actor: User | None, encounter: Encounter, base_url: str, send_email: bool = True) -> tuple[FollowUpLink, str]:
    """A new link for a signed session; an earlier unused link for it stops working. Returns the link and its URL."""
    if actor is not None:
        require_capability(actor, Capability.WRITE_CLINICAL)
    if not Note.objects.filter(encounter=encounter, signed_at__isnull=False).exists():
        raise ValidationError(_("Sign the session note before sending the follow-up questions."))
    now = timezone.now()
    FollowUpLink.objects.filter(encounter=encounter, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    secret = secrets.token_urlsafe(32)
    patient = encounter.patient
    link = FollowUpLink.objects.create(
        clinic_id=encounter.clinic_id,
        patient=patient,
        encounter=encounter,
        token_hash=token_hash(secret),
        sent_to=patient.email if send_email else "",
        created_by=actor,
        expires_at=now + dt.timedelta(days=settings.FOLLOW_UP_LINK_DAYS),
    )
    url = follow_up_url(base_url, link, secret)
    _audit(actor, AuditAction.CREATE, AuditObject.FOLLOW_UP_LINK, link.pk, patient.pk, encounter.clinic_id, sent=bool(link.sent_to))
    if link.sent_to:
        transaction.on_commit(lambda: _send_link(encounter, url, link.expires_at))
    return link, url


def _send_link(encounter: Encounter, url: str, expires_at: dt.datetime) -> None:
    patient = encounter.patient
    with translation.override(patient.preferred_language):
        subject = _("How are you after your treatment?")
        body = _(
            "Hello %(name)s,\n\nPlease tell us how you have been since your treatment on %(date)s. "
            "It takes about two minutes and helps your practitioner plan your next steps:\n\n%(url)s\n\n"
            "The link works once and until %(expires)s. If you feel unwell or have shortness of breath or chest pain, "
            "do not wait for the questions: contact a doctor."
        ) % {
            "name": patient.given_name,
            "date": timezone.localtime(encounter.starts_at).strftime("%d.%m.%Y"),
            "url": url,
            "expires": timezone.localtime(expires_at).strftime("%d.%m.%Y"),
        }
    send_mail(subject, body, None, [patient.email])


def follow_up_link_resolve(link_id: uuid.UUID, secret: str, *, for_update: bool = False) -> FollowUpLink:
    """The link, if the secret is its own and it is still open; LinkUnusable (404 or 410) otherwise."""
    links = FollowUpLink.objects.select_related("patient", "encounter__episode", "encounter__practitioner", "clinic")
    link = (links.select_for_update(of=("self",)) if for_update else links).filter(pk=link_id).first()
    if link is None or not hmac.compare_digest(link.token_hash, token_hash(secret)):
        raise LinkUnusable("invalid")
    if link.used_at is not None:
        raise LinkUnusable("used", link)
    if link.expires_at <= timezone.now():
        raise LinkUnusable("expired", link)
    return link


# --- follow-up answers --------------------------------------------------------------------------


@dataclass
class FollowUpAnswers:
    soreness: int
    effects: list[tuple[SideEffect, Impact]]
    scored: dict[str, Scored]
    comment: str
    home_programme: str = ""  # homecare.models.Adherence; empty when the visit had no home programme


def follow_up_instruments(clinic_id: uuid.UUID) -> list[Instrument]:
    instruments = instruments_for_clinic(clinic_id)
    return [instruments[code] for code in FOLLOW_UP_INSTRUMENTS if code in instruments]


def clean_follow_up(
    raw: Mapping[str, Any], *, clinic_id: uuid.UUID, activities: list[str], home_programme: bool = False
) -> FollowUpAnswers:
    """Check every answer; AnswerError maps each field with a problem to a message in the patient's language.

    ``home_programme``: the visit had a home programme, so how often it was done must be answered.
    """
    form, errors = follow_up_form(), {}
    adherence = str(raw.get("home_programme", "")) if home_programme else ""
    if home_programme and adherence not in Adherence.values:
        errors["home_programme"] = _("Tell us how often you did your home programme.")
    soreness = raw.get("soreness", "")
    # ASCII digits only (not "²"), and at most two of them before int() reads them.
    if not (isinstance(soreness, str) and soreness.isascii() and soreness.isdigit() and len(soreness) <= 2 and int(soreness) <= 10):
        errors["soreness"] = _("Choose a number from 0 to 10.")
    effects = []
    for effect_id in raw.get("effects", []):
        effect = form.side_effects.get(effect_id)
        if effect is None:
            errors["effects"] = _("Choose side effects from the list.")
            continue
        impact = form.impacts.get(raw.get(f"impact_{effect_id}", ""))
        if impact is None:
            errors[f"impact_{effect_id}"] = _("Tell us how much this affected you.")
        else:
            effects.append((effect, impact))
    scored = {}
    for instrument in follow_up_instruments(clinic_id):
        answers = instrument_answers(instrument, raw, activities)
        try:
            scored[instrument.id] = instrument.score(answers)
        except AnswerError as error:
            errors |= {f"{instrument.id}.{key}": message for key, message in error.errors.items()}
    if errors:
        raise AnswerError(errors)
    return FollowUpAnswers(int(soreness), effects, scored, str(raw.get("comment", "")).strip()[:2000], adherence)


def instrument_answers(instrument: Instrument, raw: Mapping[str, Any], activities: list[str] | None = None) -> dict[str, Any]:
    """An instrument's answers from form fields named '<instrument>.<item>' (PSFS: '<instrument>.activity_<n>[_name]')."""
    prefix = f"{instrument.id}."
    if instrument.activities is None:
        return {item.id: raw.get(prefix + item.id, "") for item in instrument.items}
    names = activities or [str(raw.get(f"{prefix}activity_{n}_name", "")).strip() for n in range(instrument.activities.max_count)]
    rated = [{"name": name, "score": raw.get(f"{prefix}activity_{n}", "")} for n, name in enumerate(names)]
    return {"activities": [row for row in rated if row["name"] or row["score"] not in ("", None)]}


@transaction.atomic
def follow_up_submit(*, link_id: uuid.UUID, secret: str, raw: Mapping[str, Any], language: str) -> FollowUpResponse:
    link = follow_up_link_resolve(link_id, secret, for_update=True)
    encounter = link.encounter
    answers = clean_follow_up(
        raw, clinic_id=link.clinic_id, activities=psfs_activities(encounter.episode_id), home_programme=has_programme(encounter.pk)
    )
    now = timezone.now()
    response = FollowUpResponse.objects.create(
        clinic_id=link.clinic_id,
        patient_id=link.patient_id,
        encounter=encounter,
        link=link,
        soreness=answers.soreness,
        side_effects=[{"id": effect.id, "impact": impact.id} for effect, impact in answers.effects],
        comment=answers.comment,
        home_programme_adherence=answers.home_programme,
        language=language,
    )
    link.used_at = now
    link.save(update_fields=["used_at"])
    for instrument_id, scored in answers.scored.items():
        Measurement.objects.create(
            clinic_id=link.clinic_id,
            patient_id=link.patient_id,
            episode_id=encounter.episode_id,
            encounter=encounter,
            instrument=instrument_id,
            score=scored.value,
            answers=scored.answers,
            source=MeasurementSource.FOLLOW_UP,
            follow_up=response,
            taken_at=now,
        )
    for effect, impact in answers.effects:
        _report_adverse_event(encounter, effect, impact)
    _audit(None, AuditAction.CREATE, AuditObject.FOLLOW_UP, response.pk, link.patient_id, link.clinic_id, via="follow-up link")
    _alert_if_needed(response, answers)
    return response


def _report_adverse_event(encounter: Encounter, effect: SideEffect, impact: Impact) -> None:
    """Create the adverse event, or raise the severity of the one staff already recorded for the same thing."""
    language = encounter.practitioner.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        note = _("Reported by the patient on the follow-up questions: %(effect)s. %(impact)s") % {
            "effect": effect.text.get(language),
            "impact": impact.text.get(language),
        }
    event = AdverseEvent.objects.filter(encounter=encounter, event_type=effect.adverse_event).order_by("recorded_at").first()
    if event is None:
        event = AdverseEvent.objects.create(
            clinic_id=encounter.clinic_id,
            encounter=encounter,
            patient_id=encounter.patient_id,
            event_type=effect.adverse_event,
            severity=impact.severity,
            onset=encounter.starts_at + dt.timedelta(minutes=encounter.duration_minutes),
            description=note,
            recorded_by=None,
            reported_via=AdverseEventReport.FOLLOW_UP,
        )
        action = AuditAction.CREATE
    else:
        if SEVERITY_ORDER[impact.severity] > SEVERITY_ORDER[event.severity]:
            event.severity = impact.severity
        event.description = f"{event.description}\n{note}".strip()[:5000]
        event.save(update_fields=["severity", "description"])
        action = AuditAction.UPDATE
    _audit(None, action, AuditObject.ADVERSE_EVENT, event.pk, encounter.patient_id, encounter.clinic_id, type=effect.adverse_event)


def _alert_if_needed(response: FollowUpResponse, answers: FollowUpAnswers) -> None:
    if not answers.effects and answers.soreness < follow_up_form().alert_soreness_at:
        return
    encounter = response.encounter
    urgent = any(effect.urgent or impact.severity != "mild" for effect, impact in answers.effects)
    alert = Alert.objects.create(
        clinic_id=response.clinic_id,
        practitioner_id=encounter.practitioner_id,
        patient_id=response.patient_id,
        encounter=encounter,
        follow_up=response,
        urgent=urgent,
        summary={"soreness": answers.soreness, "effects": response.side_effects},
    )
    _audit(None, AuditAction.CREATE, AuditObject.ALERT, alert.pk, response.patient_id, response.clinic_id, urgent=urgent)
    practitioner = encounter.practitioner
    if practitioner.email:
        transaction.on_commit(lambda: _send_alert(practitioner, urgent))


def _send_alert(practitioner: User, urgent: bool) -> None:
    """No health details by e-mail: only that something is waiting in needlechart."""
    with translation.override(practitioner.preferred_language or settings.LANGUAGE_CODE):
        subject = (
            _("Urgent: a patient's follow-up answers need you now") if urgent else _("A patient's follow-up answers need your attention")
        )
        body = _(
            "A patient reported side effects or strong soreness after a needling session. Sign in to needlechart to read their answers."
        )
    send_mail(subject, body, None, [practitioner.email])


@transaction.atomic
def alert_acknowledge(*, actor: User, alert: Alert) -> Alert:
    require_capability(actor, Capability.WRITE_CLINICAL)
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = timezone.now(), actor
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        _audit(actor, AuditAction.UPDATE, AuditObject.ALERT, alert.pk, alert.patient_id, alert.clinic_id, acknowledged=True)
    return alert


# --- a clinic's own questionnaires --------------------------------------------------------------


@transaction.atomic
def clinic_instrument_add(*, actor: User, definition: str) -> ClinicInstrument:
    """Validate a definition file and make the questionnaire available to this clinic's staff."""
    require_capability(actor, Capability.MANAGE_STAFF)
    clinic_id = actor.clinic_id
    if clinic_id is None:  # not reached: clinic staff always have one
        raise PermissionDenied
    try:
        instrument = parse_instrument_definition(definition, name="definition")
    except InstrumentDefinitionError as error:
        raise ValidationError(str(error)) from error
    row, created = ClinicInstrument.objects.update_or_create(
        clinic_id=clinic_id,
        instrument_id=instrument.id,
        defaults={"definition": definition, "active": True, "added_by": actor},
    )
    _audit(actor, AuditAction.CREATE if created else AuditAction.UPDATE, AuditObject.CLINIC_INSTRUMENT, row.pk, None, actor.clinic_id)
    return row


@transaction.atomic
def clinic_instrument_set_active(*, actor: User, row: ClinicInstrument, active: bool) -> ClinicInstrument:
    require_capability(actor, Capability.MANAGE_STAFF)
    row.active = active
    row.save(update_fields=["active"])
    _audit(actor, AuditAction.UPDATE, AuditObject.CLINIC_INSTRUMENT, row.pk, None, actor.clinic_id, active=active)
    return row
