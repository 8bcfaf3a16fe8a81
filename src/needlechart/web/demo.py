"""The demo clinic: a deterministic, realistic data set to try needlechart with.

Everything is derived from one seeded random generator and the date the demo is built,
so two builds on the same day are identical. Names and identity numbers are invented;
the identity numbers are valid synthetic numbers (month + 80), never real people's.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from needlechart.charting import services as charting
from needlechart.charting.models import EncounterStatus, Note
from needlechart.clinics import services as clinics
from needlechart.clinics.models import CertificationKind, Clinic, RegistrationNumber, User
from needlechart.clinics.selectors import needling_authorisation
from needlechart.core.access import Role
from needlechart.knowledge.treatment import treatment_catalog
from needlechart.needling import services as needling
from needlechart.needling.session import session_state
from needlechart.outcomes import services as outcomes
from needlechart.patients import services as patients
from needlechart.patients.identifiers import NORWEGIAN_NIN_SYSTEM, nin_check_digits
from needlechart.screening import services as screening
from needlechart.web.demo_calendar import build_demo_calendar
from needlechart.web.demo_content import CITIES, COMPLAINTS, DEMO_NEEDLING, FAMILY, GIVEN_FEMALE, GIVEN_MALE, NOTE_SNIPPETS, PSFS_ACTIVITIES
from needlechart.web.demo_public import build_demo_public_pages

DEMO_CLINIC_NAME = "Fjordbyen Fysioterapi og IMS"
OTHER_CLINIC_NAME = "Nabolaget Helse"
DEMO_PASSWORD = "needlechart-demo"  # noqa: S105 - printed on purpose; demo only


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    note: str


def synthetic_nin(rng: random.Random, birth_date: dt.date, taken: set[str] | None = None) -> str:
    """A valid synthetic national identity number for the birth date (month + 80), not in ``taken``."""
    while True:
        individual = rng.randint(0, 499) if birth_date.year < 2000 else rng.randint(500, 999)
        first_nine = f"{birth_date.day:02d}{birth_date.month + 80:02d}{birth_date.year % 100:02d}{individual:03d}"
        digits = nin_check_digits(first_nine)
        if digits and first_nine + digits not in (taken or ()):
            if taken is not None:
                taken.add(first_nine + digits)
            return first_nine + digits


def _staff(clinic: Clinic, username: str, role: str, first: str, last: str, **extra) -> User:
    return clinics.staff_create(
        actor=None,
        clinic=clinic,
        username=username,
        password=DEMO_PASSWORD,
        role=role,
        first_name=first,
        last_name=last,
        email=f"{username}@demo.needlechart.invalid",
        **extra,
    )


def _certify(user: User, *, kind: str, course: str, issuer: str, completed: dt.date, expires: dt.date | None, jurisdiction: str) -> None:
    clinics.certification_add(
        actor=user,
        profile=user.practitioner_profile,
        kind=kind,
        course=course,
        issuer=issuer,
        completed_on=completed,
        expires_on=expires,
        jurisdiction=jurisdiction,
    )


def _create_staff(clinic: Clinic, today: dt.date) -> dict[str, User]:
    staff = {
        "admin": _staff(clinic, "admin", Role.CLINIC_ADMIN, "Marit", "Holm"),
        "frontdesk": _staff(clinic, "frontdesk", Role.FRONT_DESK, "Jon", "Vik", preferred_language="nb"),
        "ingrid": _staff(
            clinic,
            "ingrid",
            Role.PRACTITIONER,
            "Ingrid",
            "Solheim",
            discipline="physiotherapist",
            registrations=[(RegistrationNumber.HPR_SYSTEM, "9144889")],
        ),
        "lars": _staff(
            clinic,
            "lars",
            Role.PRACTITIONER,
            "Lars",
            "Brekke",
            discipline="chiropractor",
            registrations=[(RegistrationNumber.HPR_SYSTEM, "8765432")],
        ),
        "erik": _staff(
            clinic,
            "erik",
            Role.PRACTITIONER,
            "Erik",
            "Fossum",
            discipline="physiotherapist",
            registrations=[(RegistrationNumber.HPR_SYSTEM, "7654321")],
        ),
    }
    _certify(
        staff["ingrid"],
        kind=CertificationKind.IMS,
        course="Gunn IMS certification",
        issuer="iSTOP",
        completed=today - dt.timedelta(days=3 * 365),
        expires=today + dt.timedelta(days=2 * 365),
        jurisdiction="Norway",
    )
    _certify(
        staff["lars"],
        kind=CertificationKind.DRY_NEEDLING,
        course="Trigger point dry needling, levels 1-2",
        issuer="Norsk Manuellterapeutforening",
        completed=today - dt.timedelta(days=400),
        expires=None,
        jurisdiction="Norway (100 h)",
    )
    _certify(
        staff["erik"],
        kind=CertificationKind.DRY_NEEDLING,
        course="Dry needling foundation course",
        issuer="Example Academy",
        completed=today - dt.timedelta(days=5 * 365),
        expires=today - dt.timedelta(days=30),
        jurisdiction="Norway",
    )
    return staff


def _note_text(rng: random.Random, field: str) -> str:
    return rng.choice(NOTE_SNIPPETS[field]).format(n=rng.randint(2, 7))


def _create_patient(rng: random.Random, index: int, actor: User, today: dt.date, taken: set[str]):
    female = rng.random() < 0.55
    given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
    family = FAMILY[index % len(FAMILY)] if index < len(FAMILY) else rng.choice(FAMILY)
    birth = today - dt.timedelta(days=rng.randint(18 * 365, 82 * 365))
    postal, city = rng.choice(CITIES)
    data: dict[str, Any] = {
        "given_name": given,
        "family_name": family,
        "birth_date": birth,
        "sex": "female" if female else "male",
        "phone": f"+47 9{rng.randint(1000000, 9999999)}",
        "email": f"{given.lower()}.{index}@example.invalid".replace("ø", "o").replace("å", "a").replace("æ", "ae"),
        "address": f"Storgata {rng.randint(1, 120)}",
        "postal_code": postal,
        "city": city,
        "preferred_language": "nb" if rng.random() < 0.8 else "en",
        "emergency_contact_name": f"{rng.choice(GIVEN_FEMALE + GIVEN_MALE)} {family}",
        "emergency_contact_relation": rng.choice(["Spouse", "Parent", "Sibling"]),
        "emergency_contact_phone": f"+47 4{rng.randint(1000000, 9999999)}",
    }
    patient = patients.patient_create(actor=actor, data=data, identifiers=[(NORWEGIAN_NIN_SYSTEM, synthetic_nin(rng, birth, taken))])
    screening.intake_record_by_staff(actor=actor, patient=patient, raw_answers=demo_intake(rng, birth, data["sex"]))
    return patient


def _needle(rng: random.Random, practitioner: User, encounter, condition: str, *, witness: User) -> None:
    """A documented needling session: one to three muscles, counted in and out, consented."""
    needled = DEMO_NEEDLING[condition][: rng.randint(1, len(DEMO_NEEDLING[condition]))]
    for muscle_id, side in needled:
        fields = {**needling.default_entry(muscle_id), "needle_count": rng.randint(1, 3), "twitch_responses": rng.randint(0, 4)}
        needling.needling_entry_save(actor=practitioner, encounter=encounter, muscle_id=muscle_id, side=side, **fields)
    total = sum(e.needle_count for e in encounter.needling_entries.all())
    advice = [a.id for a in treatment_catalog().advice.values() if a.default]
    state = session_state(encounter)
    reasoning = (
        "Benefits discussed against the risks; superficial muscles, firm pressure afterwards."
        if state.suitability and state.suitability.needs_reasoning
        else ""
    )
    needling.needling_record_update(
        actor=practitioner, encounter=encounter, needles_out=total, advice_ids=advice, relative_reasoning=reasoning
    )
    version = treatment_catalog().current_consent(timezone.localdate())
    needling.consent_record(
        actor=practitioner,
        encounter=encounter,
        method="verbal",
        witness_name=witness.display_name,
        risks_explained=[r.id for r in version.risks],
    )
    if rng.random() < 0.18:  # about the share of sessions with a mild event in the published surveys
        needling.adverse_event_record(
            actor=practitioner,
            encounter=encounter,
            event_type=rng.choice(("bruising", "bleeding", "pain_during")),
            severity="mild",
            onset=min(encounter.starts_at + dt.timedelta(minutes=20), timezone.now()),
            description="Settled with pressure before the patient left.",
            outcome="resolved",
        )


def demo_intake(rng: random.Random, birth_date: dt.date, sex: str) -> dict:
    """Intake answers for a demo patient: most are straightforward, a few carry a finding."""
    answers: dict = {
        "age": str((timezone.localdate() - birth_date).days // 365),
        "sex_at_birth": "female" if sex == "female" else "male",
        "main_complaint": "Pain and stiffness",
        "unwell_today": "no",
        "wants_needling": "yes",
        "needle_fear": "none",
        "fainting_history": "no",
        "able_to_consent": "yes",
    }
    for question in treatment_catalog().questions.values():
        if question.id in answers:
            continue
        if question.type == "multichoice" and question.option_label("none"):
            answers[question.id] = ["none"]
        elif question.type == "choice" and question.required:
            values = [v for v, _label in question.options]
            answers[question.id] = next((v for v in ("no", "none", "never") if v in values), values[0])
        elif question.type == "boolean" and question.required:
            answers[question.id] = "no"
    if sex == "female" and "pregnant" in treatment_catalog().questions:
        answers["pregnant"] = "no"
    variant = rng.random()
    if variant < 0.1:
        answers["medications"] = ["warfarin"]
    elif variant < 0.15:
        answers["needle_fear"] = "moderate"
    return answers


def _measure(rng: random.Random, practitioner: User, encounter, number: int, course: tuple[int, float]) -> None:
    """Pain at every visit, falling at the patient's own pace; function (PSFS) at the first and every third; GROC after the first."""
    baseline, pace = course
    pain = max(0, min(10, round(baseline - pace * number + rng.uniform(-1, 1))))
    outcomes.measurement_record(actor=practitioner, encounter=encounter, instrument_id="nprs", raw_answers={"pain": str(pain)})
    if number % 3 == 0:
        activities = PSFS_ACTIVITIES[encounter.episode.condition]
        scores = [max(0, min(10, round(3 + pace * number + rng.uniform(-1, 1)))) for _ in activities]
        rated = [{"name": name, "score": str(score)} for name, score in zip(activities, scores, strict=True)]
        outcomes.measurement_record(actor=practitioner, encounter=encounter, instrument_id="psfs", raw_answers={"activities": rated})
    if number:
        change = max(-7, min(7, round(pace * number * 1.5 + rng.uniform(-1, 1))))
        outcomes.measurement_record(actor=practitioner, encounter=encounter, instrument_id="groc", raw_answers={"change": str(change)})


def _visits(rng, practitioner, episode, start: dt.datetime, count: int, now: dt.datetime, frontdesk: User, addenda_left: list[int]):
    course = (rng.randint(5, 8), rng.choice((0.2, 0.6, 0.9, 1.2)))  # baseline pain, points gained per visit
    for number in range(count):
        when = start + dt.timedelta(days=7 * number + rng.randint(0, 2))
        encounter = charting.encounter_create(
            actor=frontdesk,
            episode=episode,
            practitioner=practitioner,
            starts_at=when,
            reason="First visit" if number == 0 else "Follow-up",
        )
        if when > now:
            continue
        if needling_authorisation(practitioner=practitioner, on=when.date()).certified:
            _needle(rng, practitioner, encounter, episode.condition, witness=frontdesk)
        _measure(rng, practitioner, encounter, number, course)
        fields = {name: _note_text(rng, name) for name in NOTE_SNIPPETS}
        note = charting.note_save_draft(actor=practitioner, encounter=encounter, **fields)
        if when.date() >= now.date() - dt.timedelta(days=2) and rng.random() < 0.5:
            continue  # a recent note still in draft
        note = charting.note_sign(actor=practitioner, note=note)
        if addenda_left[0] > 0 and rng.random() < 0.08:
            addenda_left[0] -= 1
            addendum = charting.addendum_create(
                actor=practitioner,
                note=note,
                reason="Correction after review",
                text="The twitch response was in the left, not the right, upper trapezius.",
            )
            charting.addendum_sign(actor=practitioner, addendum=addendum)
        charting.encounter_set_status(actor=frontdesk, encounter=encounter, status=EncounterStatus.FINISHED)


@transaction.atomic
def build_demo(*, patient_count: int = 48, seed: int = 2026) -> list[DemoLogin]:
    """Create the demo clinic (and a second clinic to show isolation) unless it exists."""
    if Clinic.objects.filter(name=DEMO_CLINIC_NAME).exists():
        return demo_logins()
    rng = random.Random(seed)
    taken_numbers: set[str] = set()
    today = timezone.localdate()
    now = timezone.now()
    tz = timezone.get_current_timezone()
    clinic = clinics.clinic_create(
        actor=None,
        name=DEMO_CLINIC_NAME,
        organisation_number="999 888 777",
        address="Kaigata 4, 5003 Bergen",
        phone="+47 55 00 00 00",
        email="kontakt@fjordbyen.demo.needlechart.invalid",
    )
    staff = _create_staff(clinic, today)
    build_demo_public_pages(clinic=clinic, admin=staff["admin"])
    other = clinics.clinic_create(actor=None, name=OTHER_CLINIC_NAME, address="Torget 1, 0150 Oslo")
    _staff(other, "other", Role.PRACTITIONER, "Siri", "Nabo", discipline="physiotherapist")
    practitioners = [staff["ingrid"], staff["lars"], staff["erik"]]
    addenda_left = [6]
    for index in range(patient_count):
        patient = _create_patient(rng, index, staff["frontdesk"], today, taken_numbers)
        condition = list(COMPLAINTS)[index % len(COMPLAINTS)]
        practitioner = practitioners[index % 2] if index % 9 else staff["erik"]
        weeks_ago = rng.randint(1, 20)
        started = today - dt.timedelta(weeks=weeks_ago)
        episode = patients.episode_create(
            actor=staff["frontdesk"],
            patient=patient,
            complaint=rng.choice(COMPLAINTS[condition]),
            condition=condition,
            started_on=started,
            referrer=rng.choice(["", "GP", "Self-referred"]),
        )
        first = dt.datetime.combine(started, dt.time(8 + rng.randint(0, 8), rng.choice([0, 30])), tzinfo=tz)
        visits = min(weeks_ago + 1, rng.randint(2, 8))
        _visits(rng, practitioner, episode, first, visits, now, staff["frontdesk"], addenda_left)
        if index % 6 == 0:  # today's list
            slot = dt.datetime.combine(today, dt.time(8 + (index // 6) % 9, 15), tzinfo=tz)
            charting.encounter_create(
                actor=staff["frontdesk"], episode=episode, practitioner=practitioners[(index // 6) % 2], starts_at=slot, reason="Follow-up"
            )
    _follow_ups(clinic)
    build_demo_calendar(clinic=clinic, staff=staff, rng=rng)
    return demo_logins()


DEMO_FOLLOW_UPS = [  # (soreness, side effects with their impact) as patients answered them
    ("3", {}),
    ("8", {}),
    ("4", {"bruising": "mild"}),
    ("6", {"aggravation": "significant", "drowsiness": "mild"}),
    ("2", {}),
]


def _follow_ups(clinic: Clinic) -> None:
    """Patients answer the follow-up questions after some of the most recent signed sessions."""
    recent = Note.objects.filter(clinic=clinic, signed_at__isnull=False, encounter__needling_entries__isnull=False).distinct()
    latest_per_episode: dict = {}  # one answer per episode: the latest session's
    for note in recent.select_related("encounter__patient").order_by("-encounter__starts_at")[:100]:
        latest_per_episode.setdefault(note.encounter.episode_id, note.encounter)
    encounters = list(latest_per_episode.values())[: len(DEMO_FOLLOW_UPS)]
    for encounter, (soreness, effects) in zip(encounters, DEMO_FOLLOW_UPS, strict=False):
        link, url = outcomes.follow_up_link_create(actor=None, encounter=encounter, base_url="http://demo.invalid", send_email=False)
        raw = {"soreness": soreness, "effects": list(effects), "nprs.pain": "3", "groc.change": "4", "comment": ""}
        raw |= {f"impact_{effect}": impact for effect, impact in effects.items()}
        raw |= {f"psfs.activity_{n}": "6" for n in range(len(outcomes.psfs_activities(encounter.episode_id)))}
        outcomes.follow_up_submit(
            link_id=link.pk, secret=url.rstrip("/").rsplit("/", 1)[1], raw=raw, language=encounter.patient.preferred_language
        )


def demo_logins() -> list[DemoLogin]:
    return [
        DemoLogin("admin", "Clinic admin", "staff, certifications, audit reports"),
        DemoLogin("frontdesk", "Front desk", "day list, patients, booking (no clinical notes)"),
        DemoLogin("ingrid", "Practitioner", "physiotherapist, valid IMS certification"),
        DemoLogin("lars", "Practitioner", "chiropractor, valid dry-needling certification"),
        DemoLogin("erik", "Practitioner", "physiotherapist, certification expired 30 days ago"),
        DemoLogin("other", "Practitioner", f"of the second clinic ({OTHER_CLINIC_NAME}): sees none of the demo clinic"),
    ]
