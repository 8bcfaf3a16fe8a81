"""The backup and restore drill: a clinic's record backed up, restored into a fresh database and proven
there, in processes of their own as an operator runs them, on the database the suite runs on."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from needlechart.audit.services import audit_list_read
from needlechart.clinics import services as clinics
from needlechart.clinics.models import CertificationKind
from needlechart.core import backup_database
from needlechart.core.backup import BackupError, backup_read, file_digest, restore

pytestmark = pytest.mark.django_db(transaction=True)  # the backup reads what is committed

EVIDENCE = b"%PDF-1.7\ncourse certificate"


@dataclass
class Drill:
    backup: Path
    key: Path
    patient_id: str
    evidence: str  # the upload's name under the media directory


@pytest.fixture
def drill(tmp_path, settings, signed_addendum, practitioner, patient) -> Drill:
    """A clinic with a signed note and addendum and an evidence upload, checkpointed, then backed up."""
    settings.MEDIA_ROOT = tmp_path / "media"
    upload = SimpleUploadedFile("certificate.pdf", EVIDENCE, content_type="application/pdf")
    today = timezone.localdate()
    cert = clinics.certification_add(
        actor=practitioner,
        profile=practitioner.practitioner_profile,
        kind=CertificationKind.DRY_NEEDLING,
        course="Dry needling 2",
        issuer="Kurs AS",
        completed_on=today,
        evidence=upload,
    )
    # A list's read: one event, its patient in a subject row, which the restore must carry too.
    audit_list_read(actor=practitioner, object_type="patient", shown={patient.pk: [patient.pk]})
    key, log = tmp_path / "checkpoint.key", tmp_path / "checkpoints.jsonl"
    call_command("audit_checkpoint", log=log, new_key=key, stdout=StringIO())
    call_command("backup", out=tmp_path / "backup", checkpoints=log, stdout=StringIO())
    return Drill(tmp_path / "backup", key, str(patient.pk), cert.evidence.name)


@dataclass
class Target:
    """A fresh, empty database and data directory for a process of its own."""

    env: dict[str, str]
    data_dir: Path
    postgres_url: str | None

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "needlechart.cli", *map(str, args)]
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=180, check=False)

    def tables(self) -> set[str]:
        if self.postgres_url is None:
            path = self.data_dir / "needlechart.sqlite3"
            if not path.exists():
                return set()
            with sqlite3.connect(path) as db:
                return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        with psycopg.connect(self.postgres_url) as db:
            return {name for (name,) in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}

    def sql(self, *statements: str) -> None:
        if self.postgres_url is None:
            with sqlite3.connect(self.data_dir / "needlechart.sqlite3") as db:
                for statement in statements:
                    db.execute(statement)
            return
        with psycopg.connect(self.postgres_url, autocommit=True) as db:
            for statement in statements:
                db.execute(statement)


def _postgres_url(settings_dict: dict, name: str) -> str:
    user = quote(settings_dict["USER"] or "", safe="")
    password = f":{quote(settings_dict['PASSWORD'], safe='')}" if settings_dict.get("PASSWORD") else ""
    return f"postgresql://{user}{password}@{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/{name}"


@pytest.fixture
def fresh(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("NEEDLECHART_")}
    data_dir = tmp_path / "restored"
    env |= {"DJANGO_SETTINGS_MODULE": "needlechart.settings", "NEEDLECHART_DATA_DIR": str(data_dir)}
    # The audit rows' seals verify under the server's key, which the restored server must be given too.
    env["NEEDLECHART_SECRET_KEY"] = django_settings.SECRET_KEY
    if django_settings.AUDIT_SEAL_KEY:
        env["NEEDLECHART_AUDIT_SEAL_KEY"] = django_settings.AUDIT_SEAL_KEY
    if connection.vendor == "sqlite":
        yield Target(env, data_dir, None)
        return
    name = f"needlechart_restore_{uuid.uuid4().hex[:12]}"
    maintenance = _postgres_url(connection.settings_dict, "postgres")
    with psycopg.connect(maintenance, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    url = _postgres_url(connection.settings_dict, name)
    try:
        yield Target(env | {"DATABASE_URL": url}, data_dir, url)
    finally:
        with psycopg.connect(maintenance, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


CHART = """
import json
from django.test import Client
from needlechart.audit.models import AuditEvent, AuditSubject
from needlechart.clinics.models import User
client = Client()
client.force_login(User.objects.get(username="practitioner"))
before = AuditEvent.objects.count()
page = client.get(f"/patients/{PATIENT_ID}/")
text = page.content.decode()
print(json.dumps({"status": page.status_code, "patient": "Nordmann" in text, "note": "Taut band" in text,
                  "audited": AuditEvent.objects.count() - before, "listed": AuditSubject.objects.filter(patient_id=PATIENT_ID).count()}))
"""


def test_a_backup_restored_into_a_fresh_database_proves_its_audit_log_and_records_and_opens_the_chart(drill, fresh, tmp_path):
    log = tmp_path / "restored-checkpoints.jsonl"
    restored = fresh.run("restore", drill.backup, "--checkpoints-to", log)
    assert restored.returncode == 0, restored.stderr
    assert "Restored the" in restored.stdout and "1 media files" in restored.stdout
    assert (fresh.data_dir / "media" / drill.evidence).read_bytes() == EVIDENCE
    assert log.read_bytes() == (drill.backup / "checkpoints.jsonl").read_bytes()

    audit = fresh.run("verify-audit", "--checkpoints", log, "--key", drill.key)
    assert audit.returncode == 0, audit.stderr
    assert "Audit log intact" in audit.stdout and "Checkpoints hold: 1 checkpoints" in audit.stdout
    records = fresh.run("verify-records")
    assert records.returncode == 0, records.stderr
    assert "1 notes and 1 addenda verified" in records.stdout

    chart = fresh.run("shell", "-c", CHART.replace("PATIENT_ID", repr(drill.patient_id)))
    assert chart.returncode == 0, chart.stderr
    assert json.loads(chart.stdout.strip().splitlines()[-1]) == {"status": 200, "patient": True, "note": True, "audited": 1, "listed": 1}


def test_a_tampered_backup_is_refused_naming_the_file_and_nothing_is_written(drill, fresh, tmp_path):
    database = drill.backup / json.loads((drill.backup / "manifest.json").read_text())["database"]["file"]
    data = bytearray(database.read_bytes())
    data[len(data) // 2] ^= 0x01
    database.write_bytes(bytes(data))
    log = tmp_path / "restored-checkpoints.jsonl"
    refused = fresh.run("restore", drill.backup, "--checkpoints-to", log)
    assert refused.returncode == 1
    assert f"{database.name} does not match its SHA-256" in refused.stderr and "Traceback" not in refused.stderr
    assert fresh.tables() == set()
    assert not (fresh.data_dir / "media").exists() and not log.exists()


def test_restoring_over_a_database_that_holds_data_needs_force(drill, fresh):
    fresh.data_dir.mkdir()
    fresh.sql("CREATE TABLE kept (note text)", "INSERT INTO kept VALUES ('a clinic''s own data')")
    refused = fresh.run("restore", drill.backup)
    assert refused.returncode == 1
    assert "the database holds data (kept)" in refused.stderr and "--force" in refused.stderr
    assert fresh.tables() == {"kept"}

    forced = fresh.run("restore", drill.backup, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "charting_note" in fresh.tables()


def test_the_manifest_names_the_vendor_the_migrations_and_every_file(drill):
    manifest = json.loads((drill.backup / "manifest.json").read_text())
    assert manifest["format"] == "needlechart.backup/1"
    assert manifest["database"]["vendor"] == connection.vendor
    applied = MigrationRecorder(connection).migration_qs.filter(app="charting").order_by("id").last()
    assert manifest["migrations"]["charting"] == applied.name
    names = {manifest["database"]["file"], f"media/{drill.evidence}", "checkpoints.jsonl"}
    assert set(manifest["files"]) == names
    assert all(manifest["files"][name] == file_digest(drill.backup / name) for name in names)
    assert backup_read(drill.backup) == manifest


@pytest.mark.parametrize("damage", ["media", "checkpoints", "missing", "unsafe name"])
def test_a_damaged_backup_is_refused_before_anything_is_read_from_it(drill, damage):
    manifest_path = drill.backup / "manifest.json"
    if damage == "media":
        (drill.backup / "media" / drill.evidence).write_bytes(EVIDENCE + b"%")
        expected = f"media/{drill.evidence} does not match its SHA-256"
    elif damage == "checkpoints":
        (drill.backup / "checkpoints.jsonl").write_text("")
        expected = "checkpoints.jsonl does not match its SHA-256"
    elif damage == "missing":
        (drill.backup / "checkpoints.jsonl").unlink()
        expected = "checkpoints.jsonl is missing from the backup"
    else:
        manifest = json.loads(manifest_path.read_text())
        manifest["files"]["media/../../escaped"] = manifest["files"].pop(f"media/{drill.evidence}")
        manifest_path.write_text(json.dumps(manifest))
        expected = "lists a file a backup never holds: 'media/../../escaped'"
    with pytest.raises(BackupError) as refused:
        backup_read(drill.backup)
    assert expected in str(refused.value)


def test_a_backup_made_by_a_newer_needlechart_is_refused(drill, tmp_path):
    manifest_path = drill.backup / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["migrations"]["charting"] = "9999_from_the_future"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="made by a newer needlechart.*charting.9999_from_the_future"):
        restore(drill.backup, connection=connection, media_root=tmp_path / "elsewhere", checkpoints_to=None, force=False)


def test_the_commands_refuse_wrong_arguments_with_exit_code_2(tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "file").write_text("taken")
    with pytest.raises(CommandError, match="not an empty directory") as used:
        call_command("backup", out=tmp_path / "used")
    with pytest.raises(CommandError, match="holds no manifest.json: it is not a needlechart backup") as not_a_backup:
        call_command("restore", tmp_path / "used")
    assert used.value.returncode == not_a_backup.value.returncode == 2


def test_the_database_password_reaches_the_postgresql_tools_in_the_environment_only(monkeypatch):
    settings_dict = {"NAME": "clinic", "USER": "needlechart", "PASSWORD": "s3cret", "HOST": "db.internal", "PORT": "5433", "OPTIONS": {}}
    arguments, environment = backup_database._libpq(settings_dict)
    assert environment["PGPASSWORD"] == "s3cret"
    assert not any("s3cret" in argument for argument in arguments)
    assert arguments == ["--no-password", "--dbname", "clinic", "--host", "db.internal", "--port", "5433", "--username", "needlechart"]
    monkeypatch.setenv("PATH", "")
    with pytest.raises(backup_database.DatabaseToolError, match="pg_dump not found: install PostgreSQL's client tools"):
        backup_database.postgres_tools("pg_dump")
