"""Running a FHIR Bulk Data export job (api.models.ExportJob): NDJSON per resource type, then expiry.

``run_job`` claims a queued job (one runner per job, however many run at once), checks that its
client may still export (not revoked or expired, the acting role's capabilities for every type:
api.fhir.sources), and writes the clinic's resources with interop.export_files into the job's
directory. A Group export or one with ``_since`` reads only the rows that match (their patient is
in the Group, their creation or change time is at or after ``_since``: interop.export_reads says
which time each table keeps; a type whose rows keep none is written whole), narrowed in the
database's queries, so it reads and builds only what it writes. Progress is saved after each chunk;
a job cancelled meanwhile stops at its next chunk and its files are deleted. A job whose runner
died (``running`` with no progress saved for ``STALE_AFTER``) is taken up again and the export resumes.

Files live for ``FILES_LIVE`` after the job is done; ``purge_expired`` deletes them (and those
of cancelled and failed jobs); the job's row stays for ``ROWS_KEPT`` more, so that its status URL
says the files are gone (410) rather than that there never was such a job (404).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from needlechart.api.auth import acting_user
from needlechart.api.fhir.groups import group_patients
from needlechart.api.fhir.sources import TYPES
from needlechart.api.models import ExportJob, ExportStatus
from needlechart.interop.export_files import Progress, export_to_directory, prepare_directory
from needlechart.interop.export_reads import ExportScope

logger = logging.getLogger(__name__)
FILES_LIVE = dt.timedelta(hours=24)
STALE_AFTER = dt.timedelta(minutes=10)
ROWS_KEPT = dt.timedelta(days=7)  # an expired job's row answers 410 this long, then 404
WORK = "work"  # interop.export_files' directory inside the job's


def _due(now: dt.datetime) -> Q:
    """Jobs to run: queued, or running with no sign of life for STALE_AFTER; not expired."""
    stale = Q(status=ExportStatus.RUNNING, beat_at__lt=now - STALE_AFTER)
    return (Q(status=ExportStatus.QUEUED) | stale) & Q(expires_at__gt=now)


class Cancelled(Exception):
    """The job was cancelled while it ran."""


def job_directory(job_id: uuid.UUID) -> Path:
    return Path(settings.MEDIA_ROOT) / "fhir-exports" / str(job_id)


def file_path(job: ExportJob, resource_type: str) -> Path | None:
    """The job's file of that type, when the job has one and it is still on disk."""
    entry = job.files.get(resource_type)
    path = job_directory(job.pk) / entry["file"] if entry else None
    return path if path is not None and path.is_file() else None


@dataclass
class _Saver:
    """Saves the job's progress after each chunk the export writes, and stops it once cancelled."""

    job: ExportJob
    done: int = 0

    def __call__(self, progress: Progress) -> None:
        if ExportJob.objects.filter(pk=self.job.pk, status=ExportStatus.CANCELLED).exists():
            raise Cancelled
        finished = self.done + (1 if progress.done else 0)
        self.done = finished
        text = f"{finished}/{len(self.job.types)} types; {progress.resource_type}: {progress.count}"
        ExportJob.objects.filter(pk=self.job.pk).update(progress=text[:200], beat_at=timezone.now())


def _claim(job_id: uuid.UUID) -> ExportJob | None:
    now = timezone.now()
    claimed = ExportJob.objects.filter(_due(now), pk=job_id).update(
        status=ExportStatus.RUNNING, beat_at=now, transaction_time=Coalesce(F("transaction_time"), Value(now))
    )
    return ExportJob.objects.select_related("client").get(pk=job_id) if claimed else None


def _write(job: ExportJob) -> dict[str, Any]:
    client = job.client
    if not client.is_usable(timezone.now()):
        raise PermissionError("the client's token was revoked or expired")
    user = acting_user(client)
    kinds = [TYPES[name] for name in job.types]
    for kind in kinds:
        for source in kind.sources:
            source.rows(user)  # the access layer's check of the acting role (PermissionDenied)
    patients = group_patients(user, job.group) if job.group else None
    if job.group and patients is None:
        raise LookupError(f"the group {job.group} no longer exists")
    scope = ExportScope(patients=patients, since=job.since)
    work = job_directory(job.pk) / WORK
    manifest = prepare_directory(work, job.clinic_id, list(job.types))
    processes = os.cpu_count() or 1  # the types side by side, a process each (interop.export_files)
    written = export_to_directory(work, job.clinic_id, manifest, progress=_Saver(job), scope=scope, processes=processes)["files"]
    return {name: {"file": f"{WORK}/{name}.ndjson", "count": written[name]["count"]} for name in job.types}


def run_job(job_id: uuid.UUID) -> ExportJob | None:
    """Run the job if it is queued (or its runner died); the job as it ended, or None if another runner has it."""
    job = _claim(job_id)
    if job is None:
        return None
    try:
        files = _write(job)
    except Cancelled:
        shutil.rmtree(job_directory(job.pk), ignore_errors=True)
        return ExportJob.objects.get(pk=job.pk)
    except Exception as error:  # the job fails with its reason; the runner goes on with the next
        logger.exception("FHIR export %s failed", job.pk)
        shutil.rmtree(job_directory(job.pk), ignore_errors=True)
        reason = str(error) if isinstance(error, (PermissionError, LookupError)) else "an unexpected error, which has been logged"
        ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.FAILED, error=reason, finished_at=timezone.now()
        )
        return ExportJob.objects.get(pk=job.pk)
    now = timezone.now()
    updated = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE, files=files, progress="", finished_at=now, expires_at=now + FILES_LIVE
    )
    if not updated:  # cancelled after its last chunk
        shutil.rmtree(job_directory(job.pk), ignore_errors=True)
    return ExportJob.objects.get(pk=job.pk)


def run_due() -> list[ExportJob]:
    """Run every job that is due (queued, or whose runner died), oldest first."""
    due = ExportJob.objects.filter(_due(timezone.now())).order_by("created_at").values_list("pk", flat=True)
    ended = [run_job(job_id) for job_id in list(due)]
    return [job for job in ended if job is not None]


def purge_expired() -> int:
    """Delete the files of expired, cancelled and failed jobs, and the rows of jobs expired for ROWS_KEPT;
    how many jobs' files were deleted."""
    now = timezone.now()
    ExportJob.objects.filter(expires_at__lte=now - ROWS_KEPT).delete()
    ended = Q(status__in=[ExportStatus.CANCELLED, ExportStatus.FAILED]) | Q(expires_at__lte=now)
    purged = 0
    for job_id in list(ExportJob.objects.filter(ended).values_list("pk", flat=True)):
        directory = job_directory(job_id)
        if directory.exists():
            shutil.rmtree(directory, ignore_errors=True)
            purged += 1
    ExportJob.objects.filter(ended).exclude(files={}).update(files={})
    return purged
