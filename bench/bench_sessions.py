"""Needling visits ready to sign, made through the services as the visit page's forms make them:
what bench_sign.py and bench_load.py time the signing of. Import it after ``django.setup()``.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from needlechart.charting import services as charting
from needlechart.charting.models import Encounter
from needlechart.clinics import services as clinics
from needlechart.clinics.models import User
from needlechart.needling import services as needling
from needlechart.patients.models import Episode
from needlechart.screening import services as screening
from needlechart.web.demo import demo_intake


def certify(practitioner: User) -> None:
    """An IMS certification valid today, unless the practitioner has one already."""
    if not practitioner.practitioner_profile.certifications.exists():
        clinics.certification_add(
            actor=practitioner,
            profile=practitioner.practitioner_profile,
            kind="ims",
            course="Benchmark IMS course",
            issuer="Benchmark",
            completed_on=timezone.localdate() - dt.timedelta(days=30),
        )


def ready_visit(practitioner: User, episode: Episode, rng: random.Random) -> Encounter:
    """A visit of the episode now, two muscles needled, the needles counted out, consent recorded:
    everything the signing gates ask for (the patient is screened first when they have no intake)."""
    patient = episode.patient
    if not patient.intake_responses.exists():
        screening.intake_record_by_staff(
            actor=practitioner,
            patient=patient,
            raw_answers=demo_intake(rng, patient.birth_date, patient.sex) | {"medications": ["none"], "needle_fear": "none"},
        )
    encounter = charting.encounter_create(actor=practitioner, episode=episode, practitioner=practitioner, starts_at=timezone.now())
    for muscle_id, side in (("upper_trapezius", "r"), ("gluteus_medius", "l")):
        needling.needling_entry_save(
            actor=practitioner, encounter=encounter, muscle_id=muscle_id, side=side, **needling.default_entry(muscle_id)
        )
    needling.needling_record_update(
        actor=practitioner,
        encounter=encounter,
        needles_out=2,
        advice_ids=["soreness_24_48"],
        relative_reasoning="Benefits and risks discussed.",
    )
    needling.consent_record(
        actor=practitioner,
        encounter=encounter,
        method="verbal",
        witness_name="Witness",
        risks_explained=["soreness", "bruising_bleeding", "fainting", "pneumothorax"],
    )
    return encounter
