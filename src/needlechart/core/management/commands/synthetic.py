"""Generate a large synthetic clinic for benchmarks: ``needlechart synthetic --patients N --encounters M``.

Rows are bulk-inserted in chunks of patients, one transaction per chunk. Every value comes
from one generator seeded by ``--seed`` (ids included) plus the day of the run, so two runs
on the same day with the same arguments give the same data. Names are invented and the
identity numbers are valid synthetic numbers (month + 80), never real people's.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_record
from needlechart.charting.models import Encounter, EncounterStatus, Note
from needlechart.charting.signing import note_content
from needlechart.clinics import services as clinics
from needlechart.clinics.models import Clinic, Role, User
from needlechart.core.canonical import canonical_json, sha256_hex
from needlechart.demo import CITIES, COMPLAINTS, FAMILY, GIVEN_FEMALE, GIVEN_MALE, NOTE_SNIPPETS, synthetic_nin
from needlechart.patients.identifiers import NORWEGIAN_NIN_SYSTEM
from needlechart.patients.models import Episode, Patient, PatientIdentifier, search_key

MAX_PATIENTS = 1_000_000
MAX_ENCOUNTERS = 10_000_000
MAX_ENCOUNTERS_PER_PATIENT = 100  # on average
PRACTITIONERS = 10
HISTORY_DAYS = 3 * 365
BOOKED_AHEAD_DAYS = 28
CHUNK_PATIENTS = 2_000
BATCH_SIZE = 1_000
_RANDOM_BITS = ((1 << 12) - 1) << 64 | ((1 << 62) - 1)
TABLES = [Patient, PatientIdentifier, Episode, Encounter, Note]


class Rows:
    """Builds unsaved model instances positionally: Django's fast path, several times quicker
    than keyword arguments. Unknown names are refused; omitted fields get their defaults."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.fields = [(f.attname, None if f.primary_key else f.get_default()) for f in model._meta.concrete_fields]
        self.names = {name for name, _ in self.fields}

    def __call__(self, **values: Any) -> Any:
        if unknown := values.keys() - self.names:
            raise TypeError(f"{self.model.__name__} has no fields {sorted(unknown)}")
        return self.model(*[values.get(name, default) for name, default in self.fields])


NEW_PATIENT, NEW_IDENTIFIER, NEW_EPISODE, NEW_ENCOUNTER, NEW_NOTE = (Rows(model) for model in TABLES)


class Generator:
    """Builds the rows of one chunk of patients at a time."""

    def __init__(self, *, rng: random.Random, clinic: Clinic, practitioners: list[User], admin: User) -> None:
        self.rng = rng
        self.clinic = clinic
        self.practitioners = practitioners
        self.admin = admin
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.tz = timezone.get_current_timezone()
        self.used_nins: set[str] = set()
        self.id_clock = int(dt.datetime.combine(self.today, dt.time(), tzinfo=self.tz).timestamp() * 1000)
        self.counts = dict.fromkeys(("patients", "identifiers", "episodes", "encounters", "notes", "signed"), 0)

    def uuid(self) -> uuid.UUID:
        """A UUIDv7-style id: a rising "millisecond" counter, then random bits.

        Rising ids append to the primary-key and foreign-key indexes instead of scattering
        writes over them, which makes bulk loading several times faster.
        """
        self.id_clock += 1
        return uuid.UUID(int=(self.id_clock << 80) | (7 << 76) | (2 << 62) | (self.rng.getrandbits(74) & _RANDOM_BITS))

    def plan(self, patients: int, encounters: int) -> tuple[list[int], dict[int, tuple[User, dt.datetime]]]:
        """Encounters per patient (skewed: a few patients come very often) and today's list."""
        rng = self.rng
        today_slots: dict[int, tuple[User, dt.datetime]] = {}
        pool = rng.sample(range(patients), min(patients, PRACTITIONERS * 16))
        candidates = iter(pool)
        for practitioner in self.practitioners:  # 8-14 visits per practitioner today
            for slot in sorted(rng.sample(range(16), rng.randint(8, 14))):
                if len(today_slots) < min(encounters - patients, len(pool)):
                    when = dt.datetime.combine(self.today, dt.time(8 + slot // 2, 30 * (slot % 2)), tzinfo=self.tz)
                    today_slots[next(candidates)] = (practitioner, when)
        weights = [rng.expovariate(1.0) for _ in range(patients)]
        counts = [1] * patients
        for index in rng.choices(range(patients), weights=weights, k=encounters - patients - len(today_slots)):
            counts[index] += 1
        return counts, today_slots

    def workday(self, day: dt.date) -> dt.date:
        while day.weekday() >= 5 or day == self.today:  # today's list is built separately
            day -= dt.timedelta(days=1)
        return day

    def visit_times(self, count: int, end_by: dt.date) -> list[dt.datetime]:
        """``count`` visits about weekly, placed within the last three years and ending by ``end_by``."""
        rng = self.rng
        interval = max(1, min(7, HISTORY_DAYS // count))
        earliest = self.today - dt.timedelta(days=HISTORY_DAYS)
        room = (end_by - earliest).days - interval * (count - 1)
        start = earliest + dt.timedelta(days=rng.randint(0, max(0, room)))
        times = []
        for number in range(count):
            day = self.workday(start + dt.timedelta(days=interval * number + rng.randint(0, 2)))
            clock = dt.time(8 + rng.randrange(8), rng.choice((0, 15, 30, 45)))
            times.append(dt.datetime.combine(day, clock, tzinfo=self.tz))
        return sorted(times)

    def patient(self, index: int) -> Patient:
        rng = self.rng
        female = rng.random() < 0.55
        names = GIVEN_FEMALE if female else GIVEN_MALE
        given, family = rng.choice(names), rng.choice(FAMILY)
        if rng.random() < 0.25:  # double given names: "Kari Marte", "Per-Erik"
            given += rng.choice((" ", "-")) + rng.choice(names)
        if rng.random() < 0.2:  # double family names: "Berg Hansen", "Lie-Olsen"
            family = rng.choice(FAMILY) + rng.choice((" ", "-")) + family
        birth = self.today - dt.timedelta(days=int(rng.triangular(365, 95 * 365, 45 * 365)))
        postal, city = rng.choice(CITIES)
        return NEW_PATIENT(
            id=self.uuid(), clinic_id=self.clinic.pk, given_name=given, family_name=family, birth_date=birth,
            sex="female" if female else "male", phone=f"+47 9{rng.randint(1000000, 9999999)}",
            email=f"{search_key(given)}.{search_key(family)}.{index}@example.invalid",
            address=f"{rng.choice(FAMILY)}veien {rng.randint(1, 150)}", postal_code=postal, city=city,
            preferred_language="nb" if rng.random() < 0.8 else "en",
            emergency_contact_name=f"{rng.choice(GIVEN_FEMALE + GIVEN_MALE)} {family}",
            emergency_contact_relation=rng.choice(("Spouse", "Parent", "Sibling", "Child")),
            emergency_contact_phone=f"+47 4{rng.randint(1000000, 9999999)}",
            family_key=search_key(family), given_key=search_key(given),
        )

    def identifier(self, patient: Patient) -> PatientIdentifier:
        nin = synthetic_nin(self.rng, patient.birth_date)
        while nin in self.used_nins:
            nin = synthetic_nin(self.rng, patient.birth_date)
        self.used_nins.add(nin)
        return NEW_IDENTIFIER(clinic_id=self.clinic.pk, patient_id=patient.pk, system=NORWEGIAN_NIN_SYSTEM, value=nin)

    def note(self, encounter: Encounter, *, sign: bool) -> Note:
        rng = self.rng
        texts = {name: rng.choice(options).format(n=rng.randint(2, 7)) for name, options in NOTE_SNIPPETS.items()}
        author = encounter.practitioner
        note = NEW_NOTE(id=self.uuid(), clinic_id=self.clinic.pk, patient_id=encounter.patient_id, **texts)
        note.encounter, note.author = encounter, author  # cached: note_content() reads them
        if sign:
            signed = encounter.starts_at + dt.timedelta(minutes=encounter.duration_minutes + rng.randint(5, 240))
            note.signed_at, note.signed_by = min(signed, self.now), author
            note.canonical = canonical_json(note_content(note))
            note.digest = sha256_hex(note.canonical)
            self.counts["signed"] += 1
        return note

    def episode_rows(self, patient: Patient, times: list[dt.datetime], today_slot: tuple[User, dt.datetime] | None,
                     rows: dict[str, list[Any]]) -> None:
        rng = self.rng
        condition = rng.choice(list(COMPLAINTS))
        primary = today_slot[0] if today_slot else rng.choice(self.practitioners)
        last = times[-1].date()
        open_ = last > self.today - dt.timedelta(days=60)
        episode = NEW_EPISODE(
            id=self.uuid(), clinic_id=self.clinic.pk, patient_id=patient.pk, complaint=rng.choice(COMPLAINTS[condition]), condition=condition,
            started_on=times[0].date(), ended_on=None if open_ else last, referrer=rng.choice(("", "", "GP", "Self-referred", "Employer")),
            created_by_id=self.admin.pk,
        )
        rows["episodes"].append(episode)
        for number, when in enumerate(times):
            practitioner = primary if rng.random() < 0.9 else rng.choice(self.practitioners)
            if today_slot and when == today_slot[1]:
                practitioner = today_slot[0]
            encounter = NEW_ENCOUNTER(
                id=self.uuid(), clinic_id=self.clinic.pk, patient_id=patient.pk, episode_id=episode.pk,
                starts_at=when, reason="First visit" if number == 0 else rng.choice(("Follow-up", "Follow-up", "Reassessment")),
            )
            encounter.practitioner = practitioner  # cached for the note's canonical form
            rows["encounters"].append(encounter)
            if when > self.now:
                continue  # planned
            if rng.random() < 0.04:
                encounter.status = EncounterStatus.CANCELLED
                continue
            recent = when.date() >= self.today - dt.timedelta(days=2)
            sign = not recent or rng.random() < 0.6  # some recent notes are still drafts
            encounter.status = EncounterStatus.FINISHED if sign else EncounterStatus.ARRIVED
            rows["notes"].append(self.note(encounter, sign=sign))

    def chunk(self, first: int, counts: list[int], today_slots: dict[int, tuple[User, dt.datetime]]) -> dict[str, list[Any]]:
        rng = self.rng
        rows: dict[str, list[Any]] = {"patients": [], "identifiers": [], "episodes": [], "encounters": [], "notes": []}
        for index, count in enumerate(counts, start=first):
            patient = self.patient(index)
            rows["patients"].append(patient)
            rows["identifiers"].append(self.identifier(patient))
            slot = today_slots.get(index)
            episodes = 2 if count >= 4 and rng.random() < 0.35 else 1
            split = rng.randint(1, count - 1) if episodes == 2 else count
            end_by = self.today + dt.timedelta(days=BOOKED_AHEAD_DAYS)
            first_times = self.visit_times(split, self.today - dt.timedelta(days=7) if slot and episodes == 1 else end_by)
            self.episode_rows(patient, first_times + ([slot[1]] if slot and episodes == 1 else []), slot if episodes == 1 else None, rows)
            if episodes == 2:
                later = self.visit_times(count - split, self.today - dt.timedelta(days=7) if slot else end_by)
                self.episode_rows(patient, later + ([slot[1]] if slot else []), slot, rows)
        for key in ("patients", "identifiers", "episodes", "encounters"):
            self.counts[key] += len(rows[key])
        self.counts["notes"] += len(rows["notes"])
        return rows


class Command(BaseCommand):
    help = "Generate a large synthetic clinic (patients, episodes, encounters, signed notes) for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=100_000)
        parser.add_argument("--encounters", type=int, default=1_000_000)
        parser.add_argument("--clinic", default="Synthetic clinic", help="Name of the new clinic.")
        parser.add_argument("--password", default="synthetic-password", help="Password of every synthetic user.")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, patients: int, encounters: int, clinic: str, password: str, seed: int, **options: Any) -> None:
        if not 1 <= patients <= MAX_PATIENTS:
            raise CommandError(f"--patients must be between 1 and {MAX_PATIENTS:,}.")
        if not patients <= encounters <= min(MAX_ENCOUNTERS, patients * MAX_ENCOUNTERS_PER_PATIENT):
            raise CommandError(
                f"--encounters must be at least --patients ({patients:,}) and at most "
                f"{min(MAX_ENCOUNTERS, patients * MAX_ENCOUNTERS_PER_PATIENT):,} ({MAX_ENCOUNTERS_PER_PATIENT} per patient, {MAX_ENCOUNTERS:,} in all)."
            )
        clinic_name = clinic.strip()
        if not 1 <= len(clinic_name) <= 200:
            raise CommandError("--clinic must be 1 to 200 characters.")
        if len(password) < 10:
            raise CommandError("--password must be at least 10 characters.")
        call_command("migrate", verbosity=0, interactive=False)
        if Clinic.objects.filter(name=clinic_name).exists():
            raise CommandError(f'A clinic named "{clinic_name}" already exists; choose another --clinic or an empty database.')
        usernames = ["synth-admin", *(f"synth-p{n:02d}" for n in range(1, PRACTITIONERS + 1))]
        if taken := list(User.objects.filter(username__in=usernames).values_list("username", flat=True)):
            raise CommandError(f"Usernames already taken: {', '.join(sorted(taken))}; use an empty database.")
        started = time.monotonic()
        rng = random.Random(seed)
        generator = self._setup(rng, clinic_name, password)
        counts, today_slots = generator.plan(patients, encounters)
        self._tune_connection()
        for first in range(0, patients, CHUNK_PATIENTS):
            rows = generator.chunk(first, counts[first:first + CHUNK_PATIENTS], today_slots)
            with transaction.atomic():
                for model, key in zip(TABLES, rows, strict=True):
                    model.objects.bulk_create(rows[key], batch_size=BATCH_SIZE)
            done = first + len(rows["patients"])
            if done == patients or done % (CHUNK_PATIENTS * 5) == 0:
                c = generator.counts
                self.stdout.write(f"  {done:>9,} patients  {c['encounters']:>10,} encounters  {c['notes']:>10,} notes  {time.monotonic() - started:7.1f} s")
        with transaction.atomic():
            audit_record(actor=None, action=AuditAction.CREATE, object_type="synthetic_data_set", object_id=generator.clinic.pk,
                         clinic_id=generator.clinic.pk, detail={**generator.counts, "seed": seed, "today": len(today_slots)})
        self._analyze()
        elapsed = time.monotonic() - started
        c = generator.counts
        self.stdout.write(self.style.SUCCESS(
            f'Synthetic clinic "{clinic_name}": {c["patients"]:,} patients, {c["episodes"]:,} episodes, {c["encounters"]:,} encounters '
            f"({len(today_slots)} today), {c['notes']:,} notes ({c['signed']:,} signed) in {elapsed:.1f} s."
        ))
        self.stdout.write(f"Logins: {', '.join(usernames)} (password given by --password)")

    def _setup(self, rng: random.Random, clinic_name: str, password: str) -> Generator:
        with transaction.atomic():
            clinic = clinics.clinic_create(actor=None, name=clinic_name, address="Syntetisk gate 1, 0150 Oslo")
            staff = [
                clinics.staff_create(
                    actor=None, clinic=clinic, username=username, password=password,
                    role=Role.CLINIC_ADMIN if username == "synth-admin" else Role.PRACTITIONER,
                    first_name=rng.choice(GIVEN_FEMALE + GIVEN_MALE), last_name=rng.choice(FAMILY),
                    email=f"{username}@synthetic.needlechart.invalid",
                    discipline=rng.choice(("physiotherapist", "chiropractor", "manual_therapist")),
                )
                for username in ["synth-admin", *(f"synth-p{n:02d}" for n in range(1, PRACTITIONERS + 1))]
            ]
        return Generator(rng=rng, clinic=clinic, practitioners=staff[1:], admin=staff[0])

    def _tune_connection(self) -> None:
        """Loader-only settings of this connection: a large page cache, asynchronous commits."""
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA cache_size=-1048576")
            elif connection.vendor == "postgresql":
                cursor.execute("SET synchronous_commit TO OFF")

    def _analyze(self) -> None:
        """Refresh planner statistics, so the new tables are queried through the right indexes."""
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA analysis_limit=2000")
                cursor.execute("ANALYZE")
            elif connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {', '.join(model._meta.db_table for model in TABLES)}")
