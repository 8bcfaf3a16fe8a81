"""The rows of a synthetic needling clinic, built in memory for ``needlechart synthetic``.

``make_plan`` draws the patients and the dates of their visits; ``Chunk`` builds a run of
patients with everything the app would have recorded for them (intake, episodes, visits,
needling, consent, measures, adverse events, pain maps, notes signed as charting.signing signs
them, the dashboard's reporting rows), as model instances the command inserts in bulk.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from needlechart.analytics import summaries
from needlechart.analytics.models import EpisodeOutcome, SessionFact
from needlechart.charting import signing
from needlechart.charting.models import Encounter, EncounterStatus, Note, PainMap, PainQuality
from needlechart.clinics import services as clinics
from needlechart.clinics.models import CertificationKind, Clinic, User
from needlechart.clinics.selectors import NeedlingAuthorisation, needling_authorisation
from needlechart.core.canonical import canonical_json, sha256_hex
from needlechart.core.text import search_key
from needlechart.homecare.selectors import ProgrammeState
from needlechart.homecare.signing import SIGNING as HOME_PROGRAMME
from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.needling.checks import replaced_advice
from needlechart.needling.models import (
    AdverseEvent,
    AdverseEventOutcome,
    Consent,
    ConsentMethod,
    NeedlingEntry,
    NeedlingRecord,
    Side,
)
from needlechart.needling.services import default_entry
from needlechart.needling.session import SessionState, session_state_from
from needlechart.needling.signing import SIGNING
from needlechart.outcomes.instrument_loading import shipped_instruments
from needlechart.outcomes.models import Measurement, MeasurementSource
from needlechart.patients.identifiers import NORWEGIAN_NIN_SYSTEM
from needlechart.patients.models import Episode, Patient, PatientIdentifier
from needlechart.screening.models import IntakeResponse, IntakeSource
from needlechart.screening.rules import Suitability, clean_answers, evaluate
from needlechart.screening.selectors import rule_adjustments
from needlechart.web.demo import CITIES, COMPLAINTS, FAMILY, GIVEN_FEMALE, GIVEN_MALE, NOTE_SNIPPETS, demo_intake, synthetic_nin
from needlechart.web.demo_content import DEMO_NEEDLING, PSFS_ACTIVITIES

MAX_PATIENTS, MAX_ENCOUNTERS = 1_000_000, 10_000_000
MAX_PER_PATIENT = 100  # encounters per patient, on average
USERNAMES = ["synth-admin", *(f"synth-p{n:02d}" for n in range(1, 11))]
HISTORY_DAYS, BOOKED_AHEAD_DAYS = 3 * 365, 28
CHUNK = 2_000  # patients per transaction
TABLES = {"patients": Patient, "identifiers": PatientIdentifier, "intakes": IntakeResponse, "episodes": Episode, "encounters": Encounter}
TABLES |= {"pain_maps": PainMap, "needling_entries": NeedlingEntry, "needling_records": NeedlingRecord, "consents": Consent}
TABLES |= {"notes": Note}  # after the visit's pain map and needling rows: database triggers refuse them once the note is signed
TABLES |= {"measurements": Measurement, "adverse_events": AdverseEvent, "session_facts": SessionFact, "episode_outcomes": EpisodeOutcome}


class NoRows:
    """What the signed form of a note reads of the rows the generator never makes (range of motion, pressure pain
    thresholds), answered without a query: an empty queryset still compiles its SQL, two a note."""

    def exists(self) -> bool:
        return False

    def order_by(self, *fields: str) -> list[Any]:
        return []


# The signed form of a note is built from the rows in memory (charting.signing with needling's SessionState from session_state_from) and
# NoRows; insert_chunk() verifies one note of every chunk the real way, in case charting.signing changes.
NOT_RECORDED: dict[str, Any] = dict.fromkeys(("range_of_motion", "pressure_pain_thresholds"), property(lambda encounter: NoRows()))
PAIN_MAP = Encounter._meta.get_field("pain_map")  # the reverse one-to-one, to cache "none" on encounters without one
# Times the generator sets rather than the insert: a consent is part of the signed form, and none of these happened today.
GIVEN_TIMES = [(Consent, "recorded_at"), (IntakeResponse, "submitted_at"), (AdverseEvent, "recorded_at")]
MILD_EVENT_RATE, SIGNIFICANT_EVENT_RATE, SERIOUS_EVENT_RATE = 0.17, 0.001, 0.00002  # per session, about the published rates
SIGNIFICANT_EVENTS, SERIOUS_EVENTS = ("aggravation", "syncope", "pain_after"), ("pneumothorax", "infection", "nerve_injury")
TECHNIQUES = ("pistoning", "pistoning", "gunn_ims")
GAUGES = (Decimal("0.25"), Decimal("0.25"), Decimal("0.30"))
REASONING = "Benefits discussed against the risks; superficial muscles, firm pressure afterwards."
Slot = tuple[User, dt.datetime]  # a practitioner and a time


@dataclass
class Plan:
    """What is decided once, up front, and shared by every chunk."""

    seed: int
    clinic_id: uuid.UUID
    admin: User
    practitioners: list[User]
    now: dt.datetime
    today: dt.date
    visits: list[int]  # per patient, besides today's list
    births: list[dt.date]
    nins: list[str]
    regions: list[str]  # of the body map, for pain maps
    today_slots: dict[int, Slot]  # patient index -> a visit today
    authorisations: dict[int, NeedlingAuthorisation]  # practitioner id -> certified on every day of the history
    adjustments: dict[str, str | None]  # the clinic's to the screening rules
    consent_version: int
    consent_risks: list[str]
    advice: list[str]  # the aftercare given by default
    mild_events: tuple[list[str], list[float]]  # types, and their published rates as weights


def certify(practitioner: User, today: dt.date) -> None:
    """An IMS certification from before the history began, never expiring."""
    clinics.certification_add(
        actor=practitioner,
        profile=practitioner.practitioner_profile,
        kind=CertificationKind.IMS,
        course="Gunn IMS (synthetic)",
        issuer="Synthetic Institute",
        completed_on=today - dt.timedelta(days=HISTORY_DAYS + 365),
    )


def make_plan(rng: random.Random, seed: int, clinic: Clinic, staff: list[User], patients: int, encounters: int) -> Plan:
    now, today, tz = timezone.now(), timezone.localdate(), timezone.get_current_timezone()
    pool = rng.sample(range(patients), min(patients, 160))
    today_slots: dict[int, Slot] = {}
    for practitioner in staff[1:]:  # 8 to 14 visits each today, on the half hour from 08:00
        for slot in sorted(rng.sample(range(16), rng.randint(8, 14))):
            if len(today_slots) < min(encounters - patients, len(pool)):
                when = dt.datetime.combine(today, dt.time(8 + slot // 2, 30 * (slot % 2)), tzinfo=tz).astimezone(dt.UTC)
                today_slots[pool[len(today_slots)]] = (practitioner, when)
    weights = [rng.expovariate(1.0) for _ in range(patients)]  # a few patients come very often
    visits = [1] * patients
    for index in rng.choices(range(patients), weights, k=encounters - patients - len(today_slots)):
        visits[index] += 1
    births = [today - dt.timedelta(days=int(rng.triangular(365, 95 * 365, 45 * 365))) for _ in range(patients)]
    nins: dict[str, None] = {}  # unique, in patient order
    for birth in births:
        while (nin := synthetic_nin(rng, birth)) in nins:
            pass
        nins[nin] = None
    treatment = treatment_catalog()
    consent = treatment.current_consent(today)
    mild = {t.id: t.brady_rate_percent for t in treatment.adverse_event_types.values() if t.brady_rate_percent}
    return Plan(
        seed,
        clinic.pk,
        staff[0],
        staff[1:],
        now,
        today,
        visits,
        births,
        list(nins),
        sorted(catalog().regions),
        today_slots,
        authorisations={p.pk: needling_authorisation(practitioner=p, on=today) for p in staff[1:]},
        adjustments=rule_adjustments(clinic.pk),
        consent_version=consent.version,
        consent_risks=[risk.id for risk in consent.risks],
        advice=[advice.id for advice in treatment.advice.values() if advice.default],
        mild_events=(list(mild), list(mild.values())),
    )


class Chunk:
    """The rows of one chunk of patients, from the chunk's own seeded generator."""

    def __init__(self, plan: Plan, number: int) -> None:
        self.plan, self.rng, self.signed = plan, random.Random(f"{plan.seed}:{number}"), 0
        self.tz, midnight = timezone.get_current_timezone(), dt.datetime.combine(plan.today, dt.time(), tzinfo=dt.UTC)
        self.id_clock = int(midnight.timestamp() * 1000) + number * 10**9  # ids rise by chunk
        self.rows: dict[str, list[Any]] = {kind: [] for kind in TABLES}

    def uuid(self) -> uuid.UUID:
        self.id_clock += 1
        return uuid.UUID(int=(self.id_clock << 80) | self.rng.getrandbits(80), version=4)  # the clock stays in the top 48 bits

    def visit_times(self, count: int, end_by: dt.date) -> list[dt.datetime]:
        """About weekly visits within the last three years, the last one by ``end_by``."""
        rng = self.rng
        interval = max(1, min(7, HISTORY_DAYS // count))
        earliest = self.plan.today - dt.timedelta(days=HISTORY_DAYS)
        start = earliest + dt.timedelta(days=rng.randint(0, max(0, (end_by - earliest).days - interval * (count - 1) - 2)))
        times = []
        for number in range(count):
            day = start + dt.timedelta(days=interval * number + rng.randint(0, 2))
            while day.weekday() >= 5 or day == self.plan.today:  # weekdays; today's list is planned apart
                day -= dt.timedelta(days=1)
            clock = dt.time(8 + rng.randrange(8), rng.choice((0, 15, 30, 45)))
            times.append(dt.datetime.combine(day, clock, tzinfo=self.tz).astimezone(dt.UTC))  # in UTC, as read back for note_content()
        return sorted(times)

    def patient(self, index: int) -> Patient:
        rng = self.rng
        female = rng.random() < 0.55
        names = GIVEN_FEMALE if female else GIVEN_MALE
        (given, second), family = rng.sample(names, 2), rng.choice(FAMILY)
        if rng.random() < 0.25:  # "Kari Marte", "Per-Erik"
            given += rng.choice((" ", "-")) + second
        if rng.random() < 0.2:  # "Berg Hansen", "Lie-Olsen"
            family = rng.choice(FAMILY) + rng.choice((" ", "-")) + family
        postal, city = rng.choice(CITIES)
        return Patient(
            id=self.uuid(),
            clinic_id=self.plan.clinic_id,
            given_name=given,
            family_name=family,
            given_key=search_key(given),  # what Patient.save() would set
            family_key=search_key(family),
            birth_date=self.plan.births[index],
            sex="female" if female else "male",
            phone=f"+47 9{rng.randint(1000000, 9999999)}",
            email=f"{search_key(given)}.{search_key(family)}.{index}@example.invalid",
            address=f"{rng.choice(FAMILY)}veien {rng.randint(1, 150)}",
            postal_code=postal,
            city=city,
            preferred_language="nb" if rng.random() < 0.8 else "en",
            emergency_contact_name=f"{rng.choice(GIVEN_FEMALE + GIVEN_MALE)} {family}",
            emergency_contact_relation=rng.choice(("Spouse", "Parent", "Sibling", "Child")),
            emergency_contact_phone=f"+47 4{rng.randint(1000000, 9999999)}",
        )

    def intake(self, patient: Patient, owner: dict[str, Any], before: dt.datetime) -> Suitability:
        """Screening with the patient, entered by staff before the first visit; what the rules make of it."""
        answers = clean_answers(demo_intake(self.rng, patient.birth_date, patient.sex), staff=True)
        intake = IntakeResponse(id=self.uuid(), **owner, answers=answers, source=IntakeSource.STAFF, entered_by=self.plan.admin)
        intake.submitted_at = before - dt.timedelta(minutes=30)
        self.rows["intakes"].append(intake)
        return evaluate(answers, adjustments=self.plan.adjustments)

    def needling(self, encounter: Encounter, condition: str, side: str, suitability: Suitability) -> SessionState:
        """One to three muscles needled, counted in and out, with consent; the visit's state as signing would read it."""
        rng, plan = self.rng, self.plan
        muscles = [muscle for muscle, _ in DEMO_NEEDLING[condition]]
        entries = []
        for position, muscle in enumerate(rng.sample(muscles, rng.randint(1, len(muscles)))):
            needle = default_entry(muscle) | {"gauge_mm": rng.choice(GAUGES), "technique": rng.choice(TECHNIQUES)}
            needle |= {"needle_count": rng.randint(1, 3), "twitch_responses": rng.randint(0, 4)}
            entries.append(
                NeedlingEntry(
                    id=self.uuid(), clinic_id=plan.clinic_id, encounter=encounter, muscle_id=muscle, side=side, position=position, **needle
                )
            )
        record = NeedlingRecord(
            clinic_id=plan.clinic_id,
            encounter=encounter,
            needles_out=sum(entry.needle_count for entry in entries),
            advice_ids=plan.advice,
            relative_reasoning=REASONING if suitability.needs_reasoning else "",
        )
        witness = plan.practitioners[(plan.practitioners.index(encounter.practitioner) + 1) % len(plan.practitioners)]
        consent = Consent(
            id=self.uuid(),
            clinic_id=plan.clinic_id,
            encounter=encounter,
            version=plan.consent_version,
            method=ConsentMethod.VERBAL,
            risks_explained=plan.consent_risks,
            witness_name=witness.display_name,
            recorded_by=encounter.practitioner,
        )
        consent.recorded_at = min(encounter.starts_at + dt.timedelta(minutes=5), plan.now)
        self.rows["needling_entries"] += entries
        self.rows["needling_records"].append(record)
        self.rows["consents"].append(consent)
        authorisation = plan.authorisations[encounter.practitioner_id]
        state = session_state_from(
            encounter, entries=entries, record=record, consent=consent, palpation=[], suitability=suitability, authorisation=authorisation
        )
        # As saving the aftercare does: advice the visit's safety-netting stands in for is not given.
        replaced = replaced_advice(state.safety_nets)
        record.advice_ids = [advice for advice in record.advice_ids if advice not in replaced]
        return state

    def adverse_events(self, encounter: Encounter) -> set[str]:
        """Now and then something unwanted: mild in about one session in six, rarely worse. Returns the severities."""
        rng, plan = self.rng, self.plan
        events = []
        if rng.random() < MILD_EVENT_RATE:
            events.append(("mild", rng.choices(*plan.mild_events)[0], AdverseEventOutcome.RESOLVED))
        if rng.random() < SIGNIFICANT_EVENT_RATE:
            events.append(("significant", rng.choice(SIGNIFICANT_EVENTS), AdverseEventOutcome.RESOLVED))
        if rng.random() < SERIOUS_EVENT_RATE:
            outcome = rng.choice((AdverseEventOutcome.RESOLVED, AdverseEventOutcome.RESOLVED_WITH_SEQUELAE))
            events.append(("serious", rng.choice(SERIOUS_EVENTS), outcome))
        for severity, event_type, outcome in events:
            onset = min(encounter.starts_at + dt.timedelta(minutes=rng.randint(5, 45)), plan.now)
            event = AdverseEvent(
                id=self.uuid(),
                clinic_id=plan.clinic_id,
                encounter=encounter,
                patient_id=encounter.patient_id,
                event_type=event_type,
                severity=severity,
                onset=onset,
                description="Noticed during the session; the patient was informed.",
                outcome=outcome,
                recorded_by=encounter.practitioner,
            )
            event.recorded_at = min(onset + dt.timedelta(minutes=10), plan.now)
            self.rows["adverse_events"].append(event)
        return {severity for severity, _, _ in events}

    def measure(self, encounter: Encounter, owner: dict[str, Any], instrument: str, answers: dict[str, Any]) -> Measurement:
        scored = shipped_instruments()[instrument].score(answers)
        measurement = Measurement(
            id=self.uuid(),
            **owner,
            episode_id=encounter.episode_id,
            encounter=encounter,
            instrument=instrument,
            score=scored.value,
            answers=scored.answers,
            source=MeasurementSource.CLINIC,
            taken_at=encounter.starts_at,
            recorded_by=encounter.practitioner,
        )
        self.rows["measurements"].append(measurement)
        return measurement

    def note(self, encounter: Encounter, owner: dict[str, Any], state: SessionState, *, sign: bool) -> Note:
        rng, practitioner = self.rng, encounter.practitioner
        texts = {name: rng.choice(options).format(n=rng.randint(2, 7)) for name, options in NOTE_SNIPPETS.items()}
        note = Note(id=self.uuid(), **owner, encounter=encounter, author=practitioner, **texts)
        if sign:  # as charting.services.note_sign would, without the per-row UPDATE
            minutes = encounter.duration_minutes + rng.randint(5, 240)
            note.signed_at, note.signed_by = min(encounter.starts_at + dt.timedelta(minutes=minutes), self.plan.now), practitioner
            states = {SIGNING.key: state, HOME_PROGRAMME.key: ProgrammeState(encounter, None)}  # no home programme prescribed
            note.canonical = canonical_json(signing.note_content_at_signing(note, states))  # what note_sign stores
            note.digest = sha256_hex(note.canonical)
            self.signed += 1
        return note

    def pain_map(self, encounter: Encounter, owner: dict[str, Any]) -> PainMap:
        rng = self.rng
        regions = rng.sample(self.plan.regions, rng.randint(1, 3))
        marks = {region: {"intensity": rng.randint(2, 8), "quality": rng.choice(PainQuality.values)} for region in regions}
        return PainMap(id=self.uuid(), **owner, encounter=encounter, marks=marks, updated_by=encounter.practitioner)

    def episode(self, owner: dict[str, Any], times: list[dt.datetime], slot: Slot | None, suitability: Suitability) -> None:
        rng, plan = self.rng, self.plan
        condition, last = rng.choice(list(COMPLAINTS)), times[-1].date()
        episode = Episode(id=self.uuid(), **owner, condition=condition, complaint=rng.choice(COMPLAINTS[condition]), created_by=plan.admin)
        episode.started_on, episode.ended_on = times[0].date(), None if last > plan.today - dt.timedelta(days=60) else last
        episode.referrer = rng.choice(("", "", "GP", "Self-referred", "Employer"))
        self.rows["episodes"].append(episode)
        primary = slot[0] if slot else rng.choice(plan.practitioners)
        side = rng.choice(Side.values)  # the painful side, needled
        # Pain falls from a baseline of 4-9 by a share of it that this episode gains, at its own pace per session.
        baseline, gain, pace = rng.randint(4, 9), rng.betavariate(2, 2), rng.uniform(0.15, 0.6)
        sessions: list[tuple[dt.date, uuid.UUID, int]] = []
        scores: list[tuple[dt.datetime, uuid.UUID, float]] = []
        for number, when in enumerate(times):
            colleague = rng.random() < 0.1 and not slot  # now and then a colleague sees the patient
            practitioner = rng.choice(plan.practitioners) if colleague else primary
            reason = "First visit" if number == 0 else "Reassessment" if rng.random() < 0.15 else "Follow-up"
            encounter = Encounter(id=self.uuid(), **owner, episode_id=episode.pk, practitioner=practitioner, starts_at=when, reason=reason)
            self.rows["encounters"].append(encounter)
            if when > plan.now:
                continue  # planned
            if rng.random() < 0.04:
                encounter.status = EncounterStatus.CANCELLED
                continue
            sign = when.date() < plan.today - dt.timedelta(days=2) or rng.random() < 0.6  # recent notes: some still drafts
            encounter.status = EncounterStatus.FINISHED if sign else EncounterStatus.ARRIVED
            if reason == "Follow-up":  # pain is mapped at first visits and reassessments
                PAIN_MAP.set_cached_value(encounter, None)  # so that note_content() does not look for one
            else:
                self.rows["pain_maps"].append(self.pain_map(encounter, owner))
            state = self.needling(encounter, condition, side, suitability)
            severities = self.adverse_events(encounter)
            pain = baseline - baseline * gain * (1 - math.exp(-pace * len(scores))) + (rng.gauss(0, 0.7) if scores else 0)
            nprs = self.measure(encounter, owner, "nprs", {"pain": max(0, min(10, round(pain)))})
            scores.append((nprs.taken_at, nprs.pk, nprs.score))
            if number == 0:
                activities = [{"name": name, "score": rng.randint(2, 5)} for name in PSFS_ACTIVITIES[condition]]
                self.measure(encounter, owner, "psfs", {"activities": activities})
            self.rows["notes"].append(self.note(encounter, owner, state, sign=sign))
            if sign:
                fact = summaries.session_fact(encounter, condition, severities)
                self.rows["session_facts"].append(fact)
                sessions.append((fact.day, encounter.pk, practitioner.pk))
        if sessions or scores:
            self.rows["episode_outcomes"].append(summaries.episode_outcome(episode, sessions, scores))

    def build(self, indexes: range) -> Chunk:
        plan, rng = self.plan, self.rng
        ahead, before_today = plan.today + dt.timedelta(days=BOOKED_AHEAD_DAYS), plan.today - dt.timedelta(days=7)
        for index in indexes:
            patient = self.patient(index)
            owner = {"clinic_id": plan.clinic_id, "patient_id": patient.pk}
            self.rows["patients"].append(patient)
            self.rows["identifiers"].append(PatientIdentifier(**owner, system=NORWEGIAN_NIN_SYSTEM, value=plan.nins[index]))
            count, slot = plan.visits[index], plan.today_slots.get(index)
            earlier = rng.randint(1, count - 1) if count >= 4 and rng.random() < 0.35 else 0
            courses: list[tuple[list[dt.datetime], Slot | None]] = []
            if earlier:  # two episodes; today's visit, if any, belongs to the later one
                courses.append((self.visit_times(earlier, ahead), None))
            times = self.visit_times(count - earlier, before_today if slot else ahead)
            courses.append((times + [slot[1]] if slot else times, slot))
            first_visit = min(visits[0] for visits, _ in courses)
            suitability = self.intake(patient, owner, min(first_visit, plan.now))
            for visits, visit_slot in courses:
                self.episode(owner, visits, visit_slot, suitability)
        return self
