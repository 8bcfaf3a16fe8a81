"""A large synthetic needling clinic for benchmarks: ``needlechart synthetic --patients N --encounters M``.

A new clinic, its admin and ten IMS-certified practitioners; patients with a synthetic national identity number (month + 80,
never a real person's) and an intake, one or two episodes of care, visits over the last three years (a few booked ahead, an
ordinary day list today), pain maps at first visits and reassessments. Every visit that took place is a needling session: one
to three muscles needled, the needles counted in and out, consent, an NPRS (and a PSFS at the first visit) along a course of its
own per episode, now and then an adverse event; most notes are signed, with the needling in their signed form. The dashboard's
reporting rows (analytics.SessionFact, EpisodeOutcome) are computed as ``analytics.summaries`` does. Chunks of patients are
bulk-inserted, one transaction each, by ``--jobs`` worker processes (one generates while another inserts; ``--jobs 1`` works in
this process). The same ``--seed`` on the same day gives the same rows, but for the clinic's own id and timestamps. Ids rise (a
counter, then random bits, as UUIDv7): inserts append.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import random
import time
from collections.abc import Iterator
from typing import Any, cast
from unittest import mock

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_record
from needlechart.charting.models import Encounter, Note
from needlechart.charting.services import signed_record_verify
from needlechart.clinics import services as clinics
from needlechart.clinics.models import Clinic, User
from needlechart.core.access import Role
from needlechart.web.demo import FAMILY, GIVEN_FEMALE, GIVEN_MALE
from needlechart_bench.synthetic_clinic import (
    CHUNK,
    GIVEN_TIMES,
    MAX_ENCOUNTERS,
    MAX_PATIENTS,
    MAX_PER_PATIENT,
    NOT_RECORDED,
    TABLES,
    USERNAMES,
    Chunk,
    Plan,
    certify,
    make_plan,
)


def insert_rows(model: type[models.Model], rows: list[models.Model]) -> None:
    """What bulk_create does for these rows (defaults, auto_now_add, database values of each field) in one executemany:
    the ORM's per-value SQL assembly took half the time of a build. Auto-increment ids and generated columns are left to
    the database."""
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: it is asked for every value
    fields = [field for field in model._meta.concrete_fields if not (isinstance(field, models.AutoField) or field.generated)]
    columns = ", ".join(db.ops.quote_name(cast(str, field.column)) for field in fields)
    sql = f"INSERT INTO {db.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    with db.cursor() as cursor:
        cursor.executemany(sql, [[field.get_db_prep_save(field.pre_save(row, True), db) for field in fields] for row in rows])


@contextlib.contextmanager
def given_times() -> Iterator[None]:
    """Insert the times the generator set (GIVEN_TIMES) instead of the time of the insert."""
    with contextlib.ExitStack() as stack:
        for model, name in GIVEN_TIMES:
            stack.enter_context(mock.patch.object(model._meta.get_field(name), "auto_now_add", False))
        yield


_PLAN: Plan | None = None  # set before the workers fork; they inherit it


def insert_chunk(number: int) -> dict[str, int]:
    """Generate and insert one chunk (in a worker process, or in this one with --jobs 1)."""
    assert _PLAN is not None
    with mock.patch.multiple(Encounter, **NOT_RECORDED):
        chunk = Chunk(_PLAN, number).build(range(number * CHUNK, min((number + 1) * CHUNK, len(_PLAN.visits))))
    with connection.cursor() as cursor:  # loader-only settings of this connection
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size=-524288")
            cursor.execute("PRAGMA busy_timeout=600000")  # while the other worker inserts
        elif connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit TO OFF")
    with transaction.atomic(), given_times():
        for kind, model in TABLES.items():
            insert_rows(model, chunk.rows[kind])
    if (sample := next((n for n in chunk.rows["notes"] if n.signed_at), None)) and not signed_record_verify(Note.objects.get(pk=sample.pk)):
        raise RuntimeError(f"Signed note {sample.pk} does not verify: the generator no longer matches charting.signing.")
    return {**{kind: len(rows) for kind, rows in chunk.rows.items()}, "signed": chunk.signed}


class Command(BaseCommand):
    help = "Generate a large synthetic needling clinic (patients, visits, needling, outcomes, signed notes) for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=100_000)
        parser.add_argument("--encounters", type=int, default=1_000_000)
        parser.add_argument("--clinic", default="Synthetic clinic", help="Name of the new clinic.")
        parser.add_argument("--password", default="synthetic-password", help="For every user.")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--jobs", type=int, default=2, choices=range(1, 9), help="Worker processes (default 2; 1: this process).")

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
                if role == Role.PRACTITIONER:
                    certify(user, timezone.localdate())
                staff.append(user)
        _PLAN = plan = make_plan(rng, seed, new_clinic, staff, patients, encounters)
        self.stdout.write(f"Planned {patients:,} patients in {time.monotonic() - started:.1f} s; inserting with {jobs} worker(s)...")
        totals = dict.fromkeys((*TABLES, "signed"), 0)
        numbers = range((patients + CHUNK - 1) // CHUNK)
        with contextlib.ExitStack() as stack:
            chunks: Iterator[dict[str, int]] = map(insert_chunk, numbers)
            if jobs > 1:
                connections.close_all()  # forked workers must not share this process's connection
                chunks = stack.enter_context(multiprocessing.get_context("fork").Pool(jobs)).imap(insert_chunk, numbers)
            for done, counts in enumerate(chunks, start=1):
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
