"""Time and memory of the patient's copy (interop.patient_copy_archive.disclose_copy) for a long record.

    .venv/bin/python bench/bench_patient_copy.py [--visits 200] [--audit-rows 3000] [--database-url postgres://...]

Builds, in a fresh SQLite database in a temporary directory (or the PostgreSQL database given,
which must be empty and is migrated), one patient with ``--visits`` signed needling visits
(two muscles needled, consent, a SOAP note, an NPRS score), an addendum on every tenth note and
``--audit-rows`` extra reads in the access log, all through the services. Then makes the copy
once, as the chart's page does, and prints the wall and CPU time, the database queries, the ZIP's and
the PDF's size and pages, and the process's peak resident memory before and after the copy.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _build(visits: int, audit_rows: int):
    from django.utils import timezone

    from bench_sessions import certify, ready_visit
    from needlechart.audit.services import audit_read
    from needlechart.charting import services as charting
    from needlechart.clinics import services as clinics
    from needlechart.core.access import Role
    from needlechart.outcomes import services as outcomes
    from needlechart.patients import services as patients

    rng = random.Random(20261203)
    clinic = clinics.clinic_create(actor=None, name="Bench Clinic")
    practitioner = clinics.staff_create(
        actor=None,
        clinic=clinic,
        username="bench",
        password="bench-password-1",  # noqa: S106 - a throwaway database
        role=Role.PRACTITIONER,
        discipline="physiotherapist",
    )
    certify(practitioner)
    patient = patients.patient_create(
        actor=practitioner, data={"given_name": "Kari", "family_name": "Nordmann", "birth_date": timezone.localdate().replace(year=1980)}
    )
    episodes = [
        patients.episode_create(
            actor=practitioner, patient=patient, complaint=f"Neck pain {n}", condition="neck", started_on=timezone.localdate()
        )
        for n in range(4)
    ]
    for number in range(visits):
        encounter = ready_visit(practitioner, episodes[number % len(episodes)], rng)
        outcomes.measurement_record(
            actor=practitioner, encounter=encounter, instrument_id="nprs", raw_answers={"pain": str(rng.randint(0, 10))}
        )
        text = "Pain on turning the head, worse after desk work. " * 4
        note = charting.note_save_draft(
            actor=practitioner, encounter=encounter, subjective=text, objective=text, assessment=text, plan=text
        )
        note = charting.note_sign(actor=practitioner, note=note)
        if number % 10 == 0:
            addendum = charting.addendum_create(actor=practitioner, note=note, reason="Side corrected", text="Left, not right.")
            charting.addendum_sign(actor=practitioner, addendum=addendum)
    for _n in range(audit_rows):
        audit_read(actor=practitioner, object_type="patient", object_id=patient.pk, patient_id=patient.pk, detail={"page": "chart"})
    return practitioner, patient


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=200)
    parser.add_argument("--audit-rows", type=int, default=3000)
    parser.add_argument("--database-url", help="an empty PostgreSQL database instead of a fresh SQLite one")
    args = parser.parse_args()
    if not 1 <= args.visits <= 2000 or not 0 <= args.audit_rows <= 100_000:
        parser.error("--visits must be 1 to 2000 and --audit-rows 0 to 100000")
    data_dir = tempfile.mkdtemp(prefix="needlechart-bench-copy-")
    os.environ["NEEDLECHART_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "needlechart.settings"
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "needlechart.cli", "migrate", "-v", "0"], check=True)

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from pypdf import PdfReader

    from needlechart.interop.patient_copy_archive import Requester, disclose_copy

    started = time.perf_counter()
    practitioner, patient = _build(args.visits, args.audit_rows)
    print(f"built {args.visits} signed visits and {args.audit_rows} extra audit rows in {time.perf_counter() - started:.0f} s")
    before = _peak_mb()
    started, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        copy = disclose_copy(actor=practitioner, patient=patient, requester=Requester.PATIENT_IN_PERSON)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    with zipfile.ZipFile(io.BytesIO(copy.content)) as archive:
        pdf, bundle = archive.read("record.pdf"), archive.read("record.json")
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(f"database: {connection.vendor}")
    print(f"copy made in {seconds:.1f} s ({cpu:.1f} s of this process's CPU: the rest is a busy machine) with {len(queries)} queries")
    print(
        f"zip {len(copy.content) / 1e6:.2f} MB: record.pdf {len(pdf) / 1e6:.2f} MB, {pages} pages; record.json {len(bundle) / 1e6:.2f} MB"
    )
    print(f"peak resident memory: {before:.0f} MB before the copy, {_peak_mb():.0f} MB after")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
