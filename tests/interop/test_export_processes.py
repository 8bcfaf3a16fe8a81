"""``needlechart export-fhir --processes``: the writers it forks (each with its own connection, so
on a committed database) give the files of one process, and a failing one leaves the export resumable."""

from __future__ import annotations

import json

import pytest

from needlechart.clinics.models import Clinic
from needlechart.interop import export_files
from needlechart.interop.export import RESOURCE_TYPES
from needlechart.web.demo import DEMO_CLINIC_NAME, build_demo
from tests.interop.test_export_command import _lines, _run


@pytest.fixture
def committed_demo(transactional_db, settings):
    """The demo clinic committed, so that processes of their own (their own connections) see it."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    build_demo(patient_count=4)
    return Clinic.objects.get(name=DEMO_CLINIC_NAME)


def test_types_written_in_processes_are_the_files_of_one_process(committed_demo, tmp_path):
    """--processes 2 forks writers on PostgreSQL (each with its own connection; the manifest written
    by the command's process only); SQLite's test database is in memory, where it writes in one."""
    types = [t for t in RESOURCE_TYPES if t != "AuditEvent"]  # each run adds its own audit row
    for processes in ("1", "2"):
        _run("--clinic", str(committed_demo.pk), "--out", str(tmp_path / processes), "--processes", processes, "--types", *types)
    one, two = (json.loads((tmp_path / p / "manifest.json").read_text()) for p in ("1", "2"))
    assert list(two["files"]) == list(one["files"]) == types and two["complete"]
    for resource_type in types:
        assert (tmp_path / "2" / f"{resource_type}.ndjson").read_bytes() == (tmp_path / "1" / f"{resource_type}.ndjson").read_bytes()
        assert {k: two["files"][resource_type][k] for k in ("count", "bytes", "sha256")} == {
            k: one["files"][resource_type][k] for k in ("count", "bytes", "sha256")
        }
    assert not list((tmp_path / "2").glob("*.part"))


def test_a_failing_type_fails_the_export_and_keeps_what_was_written_resumable(committed_demo, tmp_path, monkeypatch):
    real = export_files.clinic_resources

    def failing(clinic_id, resource_type, **kwargs):
        if resource_type == "Encounter":
            raise ValueError("boom in Encounter")
        return real(clinic_id, resource_type, **kwargs)

    monkeypatch.setattr(export_files, "clinic_resources", failing)
    out = tmp_path / "export"
    with pytest.raises(Exception, match="boom in Encounter"):
        _run("--clinic", str(committed_demo.pk), "--out", str(out), "--processes", "2", "--types", "Patient", "Encounter", "Consent")
    assert not json.loads((out / "manifest.json").read_text()).get("complete")
    monkeypatch.setattr(export_files, "clinic_resources", real)
    _run("--clinic", str(committed_demo.pk), "--out", str(out), "--processes", "2", "--types", "Patient", "Encounter", "Consent")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and [manifest["files"][t]["count"] for t in ("Patient", "Encounter", "Consent")] == [
        len(_lines(out / f"{t}.ndjson")) for t in ("Patient", "Encounter", "Consent")
    ]
