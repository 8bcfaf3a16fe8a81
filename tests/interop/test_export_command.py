"""``needlechart export-fhir``: every type written, counts as in the database, resumable without
duplicates or gaps, refusals with exit code 2, one audit row naming the operator."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from needlechart.audit.models import AuditEvent
from needlechart.clinics.models import Clinic
from needlechart.interop import export_files
from needlechart.interop.export import RESOURCE_TYPES, clinic_resources
from needlechart.patients.models import Patient
from needlechart.web.demo import DEMO_CLINIC_NAME, OTHER_CLINIC_NAME, build_demo

pytestmark = pytest.mark.xdist_group("export-command")  # one worker: the demo clinic built once


@pytest.fixture(scope="module")
def committed_demo(django_db_setup, django_db_blocker):
    """The demo clinic, built once for the module and committed; each test runs in a transaction
    rolled back after it (its exports' audit rows with it), and the module's end empties the database."""
    with django_db_blocker.unblock(), override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        build_demo(patient_count=4)
        clinic_id = Clinic.objects.get(name=DEMO_CLINIC_NAME).pk
    yield clinic_id
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def demo(db, committed_demo, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return Clinic.objects.get(pk=committed_demo)


def _run(*args: str) -> None:
    call_command("export_fhir", *args)


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_type_is_written_with_the_database_counts_and_a_manifest(demo, tmp_path):
    out = tmp_path / "export"
    before = AuditEvent.objects.filter(clinic_id=demo.pk, action="export").count()
    _run("--clinic", str(demo.pk), "--out", str(out))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["clinic"] == str(demo.pk)
    assert set(manifest["files"]) == set(RESOURCE_TYPES)
    for resource_type in RESOURCE_TYPES:
        path = out / f"{resource_type}.ndjson"
        lines = _lines(path)
        assert lines, resource_type
        assert {r["resourceType"] for r in lines} == {resource_type}
        entry = manifest["files"][resource_type]
        assert entry["count"] == len(lines) == len({r["id"] for r in lines})
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert not (out / f"{resource_type}.ndjson.part").exists()
    assert manifest["files"]["Patient"]["count"] == Patient.objects.filter(clinic=demo).count() == 4
    # the audit export row (written after the AuditEvent file was read) names the clinic and the system
    rows = AuditEvent.objects.filter(clinic_id=demo.pk, action="export")
    assert rows.count() == before + 1
    row = rows.order_by("-seq").first()
    assert row.object_type == "clinic" and row.object_id == str(demo.pk)
    assert row.detail["operator"] == "system" and row.actor_id is None


def test_the_operator_is_named_and_types_can_be_chosen(demo, tmp_path):
    user = demo.staff.filter(is_active=True).first()
    out = tmp_path / "some"
    _run("--clinic", str(demo.pk), "--out", str(out), "--types", "Patient", "Encounter", "--no-validate", "--user", user.username)
    assert sorted(p.name for p in out.iterdir()) == ["Encounter.ndjson", "Patient.ndjson", "manifest.json"]
    row = AuditEvent.objects.filter(clinic_id=demo.pk, action="export").order_by("-seq").first()
    assert row.actor_id == user.pk and row.detail["operator"] == user.username


def test_a_rerun_after_an_interruption_gives_the_same_files_as_one_run(demo, tmp_path, monkeypatch):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    _run("--clinic", str(demo.pk), "--out", str(whole), "--flush-every", "3")

    real = clinic_resources
    calls = Counter()

    def failing(clinic_id, resource_type, **kwargs):
        for n, resource in enumerate(real(clinic_id, resource_type, **kwargs), start=1):
            if resource_type == "Encounter" and n == 8 and not calls["failed"]:
                calls["failed"] += 1
                raise KeyboardInterrupt  # killed mid-type, after two flushed chunks and part of a third
            yield resource

    monkeypatch.setattr(export_files, "clinic_resources", failing)
    with pytest.raises(KeyboardInterrupt):
        _run("--clinic", str(demo.pk), "--out", str(broken), "--flush-every", "3")
    manifest = json.loads((broken / "manifest.json").read_text())
    assert manifest["files"]["Patient"]["status"] == "done"
    assert manifest["files"]["Encounter"] == {**manifest["files"]["Encounter"], "status": "partial", "count": 6}
    assert (broken / "Encounter.ndjson.part").exists() and not (broken / "Encounter.ndjson").exists()
    # more written than the manifest claims, as when a kill comes between a write and its fsync
    with open(broken / "Encounter.ndjson.part", "ab") as part:
        part.write(b'{"resourceType":"Encounter","id":"half')

    _run("--clinic", str(demo.pk), "--out", str(broken), "--flush-every", "3")
    for resource_type in RESOURCE_TYPES:
        name = f"{resource_type}.ndjson"
        if resource_type == "AuditEvent":  # the log grew by the two broken runs' own export rows, at its end
            grown = (broken / name).read_bytes()
            assert grown.startswith((whole / name).read_bytes()) and grown.count(b"\n") == (whole / name).read_bytes().count(b"\n") + 2
        else:  # the same resources, each whole; in the order the database read them (PostgreSQL may plan a rerun's read anew)
            assert sorted((broken / name).read_bytes().splitlines()) == sorted((whole / name).read_bytes().splitlines()), resource_type
    first, second = (json.loads((d / "manifest.json").read_text()) for d in (whole, broken))
    assert {t: e["count"] for t, e in first["files"].items() if t != "AuditEvent"} == {
        t: e["count"] for t, e in second["files"].items() if t != "AuditEvent"
    }
    for resource_type, entry in second["files"].items():  # each digest is its file's
        assert entry["sha256"] == hashlib.sha256((broken / f"{resource_type}.ndjson").read_bytes()).hexdigest()


def test_a_changed_order_on_resume_rewrites_the_type_from_its_start(demo, tmp_path):
    out = tmp_path / "out"
    _run("--clinic", str(demo.pk), "--out", str(out), "--types", "Patient", "--flush-every", "2")
    manifest = json.loads((out / "manifest.json").read_text())
    expected = (out / "Patient.ndjson").read_bytes()
    lines = expected.splitlines(keepends=True)
    (out / "Patient.ndjson").rename(out / "Patient.ndjson.part")
    kept = b"".join(lines[-2:])  # two whole lines that are not where a rerun of this order would start
    (out / "Patient.ndjson.part").write_bytes(kept)
    manifest.update(complete=False)
    manifest["files"]["Patient"] = {"status": "partial", "count": 2, "bytes": len(kept), "last_id": "not-this-one"}
    (out / "manifest.json").write_text(json.dumps(manifest))
    _run("--clinic", str(demo.pk), "--out", str(out), "--types", "Patient", "--flush-every", "2")
    # one run's resources, each once: the part is written again from its start, not added to (the
    # rerun may read in another order: PostgreSQL can plan it anew once the new rows are analysed)
    rewritten = (out / "Patient.ndjson").read_bytes().splitlines(keepends=True)
    assert sorted(rewritten) == sorted(lines) and len(set(rewritten)) == len(rewritten)
    assert json.loads((out / "manifest.json").read_text())["files"]["Patient"]["count"] == len(lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--clinic", "not-a-uuid"], "Unknown clinic"),
        (["--clinic", str(uuid.UUID(int=1))], "Unknown clinic"),
        (["--clinic", "DEMO", "--types", "Patient", "Banana"], "Unknown resource type Banana"),
        (["--clinic", "DEMO", "--user", "nobody"], "No active staff member"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(demo, tmp_path, args, message):
    full = [str(demo.pk) if arg == "DEMO" else arg for arg in args] + ["--out", str(tmp_path / "x")]
    with pytest.raises(CommandError, match=message) as refused:
        _run(*full)
    assert refused.value.returncode == 2
    assert not (tmp_path / "x" / "manifest.json").exists()


def test_a_directory_that_cannot_be_written_or_holds_another_export_is_refused(demo, tmp_path):
    other = Clinic.objects.get(name=OTHER_CLINIC_NAME)
    out = tmp_path / "theirs"
    _run("--clinic", str(other.pk), "--out", str(out), "--types", "Organization")
    with pytest.raises(CommandError, match="another clinic") as refused:
        _run("--clinic", str(demo.pk), "--out", str(out), "--types", "Organization")
    assert refused.value.returncode == 2
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "notes.txt").write_text("mine")
    with pytest.raises(CommandError, match="not a needlechart export") as refused:
        _run("--clinic", str(demo.pk), "--out", str(stray))
    assert refused.value.returncode == 2
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        import os

        if os.access(locked, os.W_OK):  # root writes anywhere: a file in the way instead
            target = tmp_path / "afile"
            target.write_text("")
            match = "not a directory"
        else:
            target, match = locked, "not writable"
        with pytest.raises(CommandError, match=match) as refused:
            _run("--clinic", str(demo.pk), "--out", str(target))
        assert refused.value.returncode == 2
    finally:
        locked.chmod(0o700)
