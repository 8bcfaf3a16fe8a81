"""A large synthetic clinic for benchmarks: ``needlechart synthetic --patients N --encounters M``.

A new clinic, its admin and ten practitioners; patients with a synthetic national identity number (month + 80, never a real
person's), one or two episodes of care, visits over the last three years (a few booked ahead, an ordinary day list today), pain
maps at first visits and reassessments, and a signed note for most past visits. Chunks of patients are bulk-inserted, one
transaction each, by ``--jobs`` worker processes (one generates while another inserts). The same ``--seed`` on the same day gives
the same rows, but for the clinic's own id and timestamps. Ids rise (a counter, then random bits, as UUIDv7): inserts append.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any
from unittest import mock

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections, transaction
from django.utils import timezone

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_record
from needlechart.charting import signing
from needlechart.charting.models import Encounter, EncounterStatus, Note, PainMap, PainQuality
from needlechart.charting.services import signed_record_verify
from needlechart.clinics import services as clinics
from needlechart.clinics.models import Clinic, Role, User
from needlechart.core.canonical import canonical_json, sha256_hex
from needlechart.demo import CITIES, COMPLAINTS, FAMILY, GIVEN_FEMALE, GIVEN_MALE, NOTE_SNIPPETS, synthetic_nin
from needlechart.knowledge.catalog import catalog
from needlechart.patients.identifiers import NORWEGIAN_NIN_SYSTEM
from needlechart.patients.models import Episode, Patient, PatientIdentifier, search_key

MAX_PATIENTS, MAX_ENCOUNTERS = 1_000_000, 10_000_000
MAX_PER_PATIENT = 100  # encounters per patient, on average
USERNAMES = ["synth-admin", *(f"synth-p{n:02d}" for n in range(1, 11))]
HISTORY_DAYS, BOOKED_AHEAD_DAYS = 3 * 365, 28
CHUNK = 2_000  # patients per transaction
TABLES = {"patients": Patient, "identifiers": PatientIdentifier, "episodes": Episode, "encounters": Encounter}
TABLES |= {"pain_maps": PainMap, "notes": Note}  # pain maps first: a database trigger refuses them once the note is signed
# Synthetic visits have no needling rows, so the needling part of their signed form is empty: say so rather than read it (ten
# queries a note). insert_chunk() verifies one note of every chunk the real way, in case charting.signing changes.
NO_NEEDLING: dict[str, Any] = dict.fromkeys(("session_state", "session_facts", "session_judgements"), lambda *args: {})
PAIN_MAP = Encounter._meta.get_field("pain_map")  # the reverse one-to-one, to cache "none" on encounters without one
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
    return Plan(seed, clinic.pk, staff[0], staff[1:], now, today, visits, births, list(nins), sorted(catalog().regions), today_slots)


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

    def note(self, encounter: Encounter, owner: dict[str, Any], *, sign: bool) -> Note:
        rng, practitioner = self.rng, encounter.practitioner
        texts = {name: rng.choice(options).format(n=rng.randint(2, 7)) for name, options in NOTE_SNIPPETS.items()}
        note = Note(id=self.uuid(), **owner, encounter=encounter, author=practitioner, **texts)
        if sign:  # as charting.services.note_sign would, without the per-row UPDATE
            minutes = encounter.duration_minutes + rng.randint(5, 240)
            note.signed_at, note.signed_by = min(encounter.starts_at + dt.timedelta(minutes=minutes), self.plan.now), practitioner
            note.canonical = canonical_json(signing.note_content_at_signing(note))  # what charting.services.note_sign stores
            note.digest = sha256_hex(note.canonical)
            self.signed += 1
        return note

    def pain_map(self, encounter: Encounter, owner: dict[str, Any]) -> PainMap:
        rng = self.rng
        regions = rng.sample(self.plan.regions, rng.randint(1, 3))
        marks = {region: {"intensity": rng.randint(2, 8), "quality": rng.choice(PainQuality.values)} for region in regions}
        return PainMap(id=self.uuid(), **owner, encounter=encounter, marks=marks, updated_by=encounter.practitioner)

    def episode(self, owner: dict[str, Any], times: list[dt.datetime], slot: Slot | None) -> None:
        rng, plan = self.rng, self.plan
        condition, last = rng.choice(list(COMPLAINTS)), times[-1].date()
        episode = Episode(id=self.uuid(), **owner, condition=condition, complaint=rng.choice(COMPLAINTS[condition]), created_by=plan.admin)
        episode.started_on, episode.ended_on = times[0].date(), None if last > plan.today - dt.timedelta(days=60) else last
        episode.referrer = rng.choice(("", "", "GP", "Self-referred", "Employer"))
        self.rows["episodes"].append(episode)
        primary = slot[0] if slot else rng.choice(plan.practitioners)
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
            self.rows["notes"].append(self.note(encounter, owner, sign=sign))

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
            if earlier:  # two episodes; today's visit, if any, belongs to the later one
                self.episode(owner, self.visit_times(earlier, ahead), None)
            times = self.visit_times(count - earlier, before_today if slot else ahead)
            self.episode(owner, times + [slot[1]] if slot else times, slot)
        return self


_PLAN: Plan | None = None  # set before the workers fork; they inherit it


def insert_chunk(number: int) -> dict[str, int]:
    """Generate and insert one chunk, in a worker process."""
    assert _PLAN is not None
    with mock.patch.multiple(signing, **NO_NEEDLING):
        chunk = Chunk(_PLAN, number).build(range(number * CHUNK, min((number + 1) * CHUNK, len(_PLAN.visits))))
    with connection.cursor() as cursor:  # loader-only settings of this connection
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size=-524288")
            cursor.execute("PRAGMA busy_timeout=600000")  # while the other worker inserts
        elif connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit TO OFF")
    with transaction.atomic():
        for kind, model in TABLES.items():
            model._default_manager.bulk_create(chunk.rows[kind], batch_size=1_000)
    if (sample := next((n for n in chunk.rows["notes"] if n.signed_at), None)) and not signed_record_verify(Note.objects.get(pk=sample.pk)):
        raise RuntimeError(f"Signed note {sample.pk} does not verify: the generator no longer matches charting.signing.")
    return {**{kind: len(rows) for kind, rows in chunk.rows.items()}, "signed": chunk.signed}


class Command(BaseCommand):
    help = "Generate a large synthetic clinic (patients, visits, signed notes) for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=100_000)
        parser.add_argument("--encounters", type=int, default=1_000_000)
        parser.add_argument("--clinic", default="Synthetic clinic", help="Name of the new clinic.")
        parser.add_argument("--password", default="synthetic-password", help="For every user.")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--jobs", type=int, default=2, choices=range(1, 9), help="Worker processes (default 2).")

    def handle(self, *args: Any, patients: int, encounters: int, clinic: str, password: str, seed: int, jobs: int, **options: Any) -> None:
        global _PLAN
        name = self.validate(patients, encounters, clinic, password)
        started, rng = time.monotonic(), random.Random(seed)
        with transaction.atomic():
            new_clinic = clinics.clinic_create(actor=None, name=name, address="Syntesegata 1, Oslo")
            staff = []
            for username in USERNAMES:
                role = Role.CLINIC_ADMIN if username == "synth-admin" else Role.PRACTITIONER
                first, last = rng.choice(GIVEN_FEMALE + GIVEN_MALE), rng.choice(FAMILY)
                user = clinics.staff_create(
                    actor=None, clinic=new_clinic, username=username, password=password, role=role, first_name=first, last_name=last
                )
                staff.append(user)
        _PLAN = plan = make_plan(rng, seed, new_clinic, staff, patients, encounters)
        self.stdout.write(f"Planned {patients:,} patients in {time.monotonic() - started:.1f} s; inserting with {jobs} worker(s)...")
        totals = dict.fromkeys((*TABLES, "signed"), 0)
        numbers = range((patients + CHUNK - 1) // CHUNK)
        connections.close_all()  # forked workers must not share this process's connection
        with multiprocessing.get_context("fork").Pool(jobs) as workers:
            for done, counts in enumerate(workers.imap(insert_chunk, numbers), start=1):
                totals = {kind: totals[kind] + counts[kind] for kind in totals}
                if done % 5 == 0 or done == len(numbers):
                    progress = "  ".join(f"{totals[kind]:>10,} {kind}" for kind in ("patients", "encounters", "notes"))
                    self.stdout.write(f"  {progress}  {time.monotonic() - started:7.1f} s")
        totals["today"] = len(plan.today_slots)
        detail = {**totals, "seed": seed}
        audit_record(actor=None, action=AuditAction.CREATE, object_type="synthetic_data_set", clinic_id=new_clinic.pk, detail=detail)
        with connection.cursor() as cursor:  # fresh planner statistics for the new rows
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA analysis_limit=2000")
                cursor.execute("ANALYZE")
            elif connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {', '.join(model._meta.db_table for model in TABLES.values())}")
        summary = ", ".join(f"{count:,} {kind}" for kind, count in totals.items())
        self.stdout.write(self.style.SUCCESS(f'Clinic "{name}": {summary}; {time.monotonic() - started:.1f} s in all.'))
        self.stdout.write(f"Users: {', '.join(USERNAMES)} (password from --password)")

    def validate(self, patients: int, encounters: int, clinic: str, password: str) -> str:
        if not 1 <= patients <= MAX_PATIENTS:
            raise CommandError(f"--patients must be between 1 and {MAX_PATIENTS:,}.")
        most = min(MAX_ENCOUNTERS, patients * MAX_PER_PATIENT)
        if not patients <= encounters <= most:
            raise CommandError(f"--encounters must be between --patients ({patients:,}) and {most:,} ({MAX_PER_PATIENT} per patient).")
        name = clinic.strip()
        if not 1 <= len(name) <= 200:
            raise CommandError("--clinic must be 1 to 200 characters.")
        if len(password) < 10:
            raise CommandError("--password must be at least 10 characters.")
        call_command("migrate", verbosity=0, interactive=False)
        if Clinic.objects.filter(name=name).exists():
            raise CommandError(f'A clinic named "{name}" already exists. Choose another --clinic (or an empty database).')
        if taken := sorted(User.objects.filter(username__in=USERNAMES).values_list("username", flat=True)):
            raise CommandError(f"Usernames already taken: {', '.join(taken)}. Use an empty database.")
        return name
