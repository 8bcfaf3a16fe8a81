"""FHIR Bulk Data ``$export`` (api.fhir.bulk, api.fhir.bulk_jobs, ``needlechart run-exports``): kick-off,
progress, the manifest, the files and who may fetch them, _type, _since, Groups, cancelling, expiry,
the audit rows and the authorization matrix."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from needlechart.api import services
from needlechart.api.fhir.bulk_jobs import job_directory, run_due
from needlechart.api.models import ExportJob, ExportStatus
from needlechart.api.scopes import Scope
from needlechart.audit.models import AuditEvent
from needlechart.core.access import Role
from needlechart.interop.export import clinic_resources
from needlechart.patients import services as patients
from tests.interop.test_fhir_rest import (  # noqa: F401 - the FHIR tests' client and fixtures
    FHIR_JSON,
    Fhir,
    _fresh_rate_counts,
    admins_may_read_clinical,
    make_token,
)

ASYNC = "respond-async"


@pytest.fixture(autouse=True)
def _export_files_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def exporter(make_token) -> str:  # noqa: F811 - the imported fixture, as a parameter
    return make_token([Scope.EXPORT])


def kick_off(token: str | None, path: str = "/fhir/$export", params: dict | None = None, prefer: str | None = ASYNC):
    return Fhir(token, prefer=prefer).get(path, params)


def started(token: str, path: str = "/fhir/$export", params: dict | None = None) -> str:
    response = kick_off(token, path, params)
    assert response.status_code == 202, response.content
    return response["Content-Location"]


def finished(token: str, status_url: str) -> dict:
    run_due()
    response = Fhir(token).get(status_url)
    assert response.status_code == 200, response.content
    return response.json()


def lines(token: str, url: str) -> list[dict]:
    response = Fhir(token).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+ndjson"
    return [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]


def test_a_system_export_runs_as_a_job_and_serves_a_manifest_and_ndjson_files(full_visit, clinic, exporter):
    status_url = started(exporter)
    waiting = Fhir(exporter).get(status_url)
    assert waiting.status_code == 202 and waiting["X-Progress"] and waiting["Retry-After"]
    manifest = finished(exporter, status_url)
    assert manifest["requiresAccessToken"] is True and manifest["request"].endswith("/fhir/$export")
    assert dt.datetime.fromisoformat(manifest["transactionTime"]) <= timezone.now()
    outputs = {o["type"]: o for o in manifest["output"]}
    assert {"Patient", "Encounter", "Observation", "Procedure", "DocumentReference"} <= set(outputs)
    assert "AuditEvent" in outputs  # the acting role is a clinic admin's, who may view the log (see the next test)
    for resource_type, output in outputs.items():
        exported = lines(exporter, output["url"])
        assert len(exported) == output["count"] > 0
        if resource_type != "AuditEvent":  # the log has grown since
            assert exported == list(clinic_resources(clinic.pk, resource_type)), resource_type


def test_the_access_log_is_exported_only_to_a_role_that_may_view_it(full_visit, make_token):  # noqa: F811
    practitioner_made = make_token([Scope.EXPORT], acting_role=Role.PRACTITIONER)
    assert kick_off(practitioner_made, params={"_type": "AuditEvent"}).status_code == 403
    manifest = finished(practitioner_made, started(practitioner_made))
    assert "AuditEvent" not in {o["type"] for o in manifest["output"]}


def test_type_limits_the_files(full_visit, exporter):
    manifest = finished(exporter, started(exporter, params={"_type": "Patient,Observation"}))
    assert [o["type"] for o in manifest["output"]] == ["Patient", "Observation"]
    assert kick_off(exporter, params={"_type": "Patient,Medication"}).status_code == 400


def test_since_keeps_what_changed_since(patient, front_desk, clinic, exporter):
    cut = timezone.now()
    later = patients.patient_create(
        actor=front_desk, data={"given_name": "Kari", "family_name": "Later", "birth_date": dt.date(1990, 1, 1)}
    )
    manifest = finished(exporter, started(exporter, params={"_type": "Patient", "_since": cut.isoformat()}))
    assert [r["id"] for r in lines(exporter, manifest["output"][0]["url"])] == [str(later.pk)]
    for bad in ("yesterday", "2026-01-01T10:00:00", (timezone.now() + dt.timedelta(days=1)).isoformat()):
        response = kick_off(exporter, params={"_since": bad})
        assert response.status_code == 400 and response.json()["resourceType"] == "OperationOutcome", bad


def test_a_group_export_holds_only_the_groups_patients(full_visit, patient, practitioner, second_practitioner, clinic, exporter):
    other = patients.patient_create(
        actor=practitioner, data={"given_name": "Nils", "family_name": "Other", "birth_date": dt.date(1970, 3, 3)}
    )
    manifest = finished(exporter, started(exporter, f"/fhir/Group/practitioner-{practitioner.pk}/$export"))
    outputs = {o["type"]: o for o in manifest["output"]}
    assert [r["id"] for r in lines(exporter, outputs["Patient"]["url"])] == [str(full_visit.patient_id)]
    assert {r["subject"]["reference"] for r in lines(exporter, outputs["Observation"]["url"])} == {f"Patient/{full_visit.patient_id}"}
    assert not {"Practitioner", "Organization"} & set(outputs)
    everyone = finished(exporter, started(exporter, "/fhir/Group/clinic/$export", {"_type": "Patient"}))
    assert str(other.pk) in {r["id"] for r in lines(exporter, everyone["output"][0]["url"])}
    nobody = finished(exporter, started(exporter, f"/fhir/Group/practitioner-{second_practitioner.pk}/$export"))
    assert nobody["output"] == []
    for group in ("practitioner-999999", "ward-1"):
        assert kick_off(exporter, f"/fhir/Group/{group}/$export").status_code == 404, group
    assert kick_off(exporter, "/fhir/Group/clinic/$export", {"_type": "Practitioner"}).status_code == 400


def test_a_group_export_holds_the_lists_that_showed_its_patients_naming_them_only(full_visit, practitioner, exporter):
    from needlechart.audit.services import audit_list_read

    other = patients.patient_create(
        actor=practitioner, data={"given_name": "Nils", "family_name": "Other", "birth_date": dt.date(1970, 3, 3)}
    )
    both = audit_list_read(actor=practitioner, object_type="patient", shown={full_visit.patient_id: [], other.pk: []})
    only_other = audit_list_read(actor=practitioner, object_type="patient", shown={other.pk: []})
    ids = dict(AuditEvent.objects.filter(chain_key=both.chain_key, seq__in=[both.seq, only_other.seq]).values_list("seq", "pk"))
    manifest = finished(exporter, started(exporter, f"/fhir/Group/practitioner-{practitioner.pk}/$export", {"_type": "AuditEvent"}))
    exported = {r["id"]: r for r in lines(exporter, manifest["output"][0]["url"])}
    assert str(ids[only_other.seq]) not in exported
    named = [e["what"]["reference"] for e in exported[str(ids[both.seq])]["entity"] if "reference" in e["what"]]
    assert named == [f"Patient/{full_visit.patient_id}"]  # never the other patient the list showed
    assert str(other.pk) not in json.dumps(list(exported.values()))


def test_bad_kick_offs_are_400_operation_outcomes(patient, exporter):
    for prefer, params in ((None, {}), (ASYNC, {"patient": "Patient/1"}), (ASYNC, {"_outputFormat": "text/csv"})):
        response = kick_off(exporter, params=params, prefer=prefer)
        assert response.status_code == 400 and response.json()["resourceType"] == "OperationOutcome", params
    assert kick_off(exporter, params={"_outputFormat": "application/fhir+ndjson"}).status_code == 202


def test_a_client_may_have_three_unfinished_exports(patient, exporter):
    assert [kick_off(exporter).status_code for _n in range(4)] == [202, 202, 202, 429]


def test_files_and_status_are_the_asking_clients_only(full_visit, exporter, make_token, other_admin):  # noqa: F811
    status_url = started(exporter)
    url = finished(exporter, status_url)["output"][0]["url"]
    same_clinic = make_token([Scope.EXPORT])
    stranger = make_token([Scope.EXPORT], admin=other_admin)
    for token in (same_clinic, stranger):
        assert Fhir(token).get(status_url).status_code == 404
        assert Fhir(token).get(url).status_code == 404
        assert Fhir(token).client.delete(status_url, headers=Fhir(token).headers).status_code == 404
    assert Fhir(None).get(url).status_code == 401
    assert Fhir(make_token([Scope.CLINICAL_READ])).get(url).status_code == 403
    assert Fhir(exporter).get(url).status_code == 200


def test_the_authorization_matrix_of_the_kick_off(full_visit, make_token, clinic_admin, other_admin):  # noqa: F811
    assert kick_off(None).status_code == 401
    revoked = make_token([Scope.EXPORT])
    services.api_client_revoke(actor=clinic_admin, client=services.ApiClient.objects.get(name="FHIR 1"))
    assert kick_off(revoked).status_code == 401
    refused = kick_off(make_token([Scope.CLINICAL_READ, Scope.DEMOGRAPHICS_READ]))
    assert refused.status_code == 403 and 'scope="export"' in refused["WWW-Authenticate"]
    front_desk_acting = make_token([Scope.EXPORT], acting_role=Role.FRONT_DESK)
    response = kick_off(front_desk_acting)
    assert response.status_code == 403 and response.json()["issue"][0]["code"] == "forbidden"
    stranger = make_token([Scope.EXPORT], admin=other_admin)
    assert kick_off(stranger, f"/fhir/Group/practitioner-{full_visit.practitioner_id}/$export").status_code == 404
    theirs = finished(stranger, started(stranger, params={"_type": "Patient"}))
    assert theirs["output"] == []  # the other clinic has no patients: none of ours
    assert ExportJob.objects.filter(status=ExportStatus.QUEUED).count() == 0


def test_a_job_whose_client_was_revoked_meanwhile_fails(patient, exporter, clinic_admin):
    status_url = started(exporter)
    services.api_client_revoke(actor=clinic_admin, client=services.ApiClient.objects.get(name="FHIR 1"))
    run_due()
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.FAILED and "revoked" in job.error and not job_directory(job.pk).exists()
    assert Fhir(exporter).get(status_url).status_code == 401


def test_delete_cancels_and_deletes_the_files(full_visit, exporter):
    status_url = started(exporter)
    manifest = finished(exporter, status_url)
    job = ExportJob.objects.get()
    assert job_directory(job.pk).exists()
    cancel = Fhir(exporter).client.delete(status_url, headers=Fhir(exporter).headers)
    assert cancel.status_code == 202 and not job_directory(job.pk).exists()
    assert Fhir(exporter).get(status_url).status_code == 404
    assert Fhir(exporter).get(manifest["output"][0]["url"]).status_code == 404
    queued = started(exporter)
    assert Fhir(exporter).client.delete(queued, headers=Fhir(exporter).headers).status_code == 202
    run_due()
    assert ExportJob.objects.get(pk=queued.rsplit("/", 1)[1]).status == ExportStatus.CANCELLED


def test_expired_exports_answer_410_and_the_command_deletes_their_files(full_visit, exporter):
    status_url = started(exporter)
    out = StringIO()
    call_command("run_exports", "--once", stdout=out)
    assert "Exports done 1" in out.getvalue()
    url = Fhir(exporter).get(status_url).json()["output"][0]["url"]
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert Fhir(exporter).get(status_url).status_code == 410
    assert Fhir(exporter).get(url).status_code == 410
    out = StringIO()
    call_command("run_exports", "--once", stdout=out)
    assert "expired files deleted 1" in out.getvalue() and not job_directory(job.pk).exists()
    assert ExportJob.objects.get().files == {}
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(days=8))
    call_command("run_exports", "--once", stdout=StringIO())
    assert Fhir(exporter).get(status_url).status_code == 404


def test_the_kick_off_and_each_download_are_audited(full_visit, clinic, exporter):
    before = AuditEvent.objects.count()
    status_url = started(exporter, params={"_type": "Patient,Encounter"})
    job = ExportJob.objects.get()
    kick = AuditEvent.objects.order_by("pk")[before]
    assert (kick.action, kick.object_type, kick.object_id) == ("export", "fhir_export", str(job.pk))
    assert kick.detail["types"] == ["Patient", "Encounter"] and kick.detail["scope"] == "export"
    manifest = finished(exporter, status_url)
    for output in manifest["output"]:
        lines(exporter, output["url"])
    downloads = AuditEvent.objects.filter(action="download", object_type="fhir_export", object_id=str(job.pk))
    assert sorted(row.detail["fhir"] for row in downloads) == ["$export Encounter", "$export Patient"]


def test_the_capability_statement_names_the_export_and_the_group(db):
    rest = Fhir().get("/fhir/metadata").json()["rest"][0]
    assert rest["operation"][0]["name"] == "export"
    group = next(r for r in rest["resource"] if r["type"] == "Group")
    assert group["operation"][0]["definition"].endswith("/group-export") and "practitioner-" in group["documentation"]
    assert rest["interaction"][0]["code"] == "transaction"


class _Counting:
    """Counts the calls of a builder of interop.export (what an export read and built)."""

    def __init__(self, monkeypatch, name: str) -> None:
        import needlechart.interop.export as export

        self.calls = 0
        build = getattr(export, name)

        def counted(*args, **kwargs):
            self.calls += 1
            return build(*args, **kwargs)

        monkeypatch.setattr(export, name, counted)


def test_a_since_export_reads_and_builds_only_the_rows_changed_since(full_visit, front_desk, exporter, monkeypatch):
    cut = timezone.now()
    later = patients.patient_create(
        actor=front_desk, data={"given_name": "Kari", "family_name": "Later", "birth_date": dt.date(1990, 1, 1)}
    )
    built_patients = _Counting(monkeypatch, "patient_resource")
    built_procedures = _Counting(monkeypatch, "procedure_resource")
    manifest = finished(exporter, started(exporter, params={"_type": "Patient,Procedure", "_since": cut.isoformat()}))
    outputs = {o["type"]: o for o in manifest["output"]}
    assert [r["id"] for r in lines(exporter, outputs["Patient"]["url"])] == [str(later.pk)]
    assert "Procedure" not in outputs  # the visit was made before the cut
    assert (built_patients.calls, built_procedures.calls) == (1, 0)  # the older rows were never read


def test_a_group_export_reads_and_builds_only_the_groups_patients(full_visit, practitioner, exporter, monkeypatch):
    for n in range(3):
        patients.patient_create(actor=practitioner, data={"given_name": f"N{n}", "family_name": "Else", "birth_date": dt.date(1970, 3, 3)})
    built = _Counting(monkeypatch, "patient_resource")
    manifest = finished(exporter, started(exporter, f"/fhir/Group/practitioner-{practitioner.pk}/$export", {"_type": "Patient"}))
    assert [r["id"] for r in lines(exporter, manifest["output"][0]["url"])] == [str(full_visit.patient_id)]
    assert built.calls == 1


def test_since_holds_a_measurement_retracted_since_and_a_note_amended_since(full_visit, practitioner, exporter):
    from needlechart.charting import services as charting
    from needlechart.charting.models import Note
    from needlechart.outcomes.models import Measurement
    from needlechart.outcomes.services import measurement_retract

    cut = timezone.now()
    measurement = Measurement.objects.filter(encounter=full_visit).order_by("pk").first()
    measurement_retract(actor=practitioner, measurement=measurement, reason="Wrong patient's form.")
    note = Note.objects.get(encounter=full_visit)  # signed by the fixture
    addendum = charting.addendum_create(actor=practitioner, note=note, reason="Late entry", text="The bruise had faded.")
    charting.addendum_sign(actor=practitioner, addendum=addendum)
    types = "Observation,QuestionnaireResponse,DocumentReference,Provenance"
    outputs = {o["type"]: o for o in finished(exporter, started(exporter, params={"_type": types, "_since": cut.isoformat()}))["output"]}
    observations = lines(exporter, outputs["Observation"]["url"])
    assert [(r["id"], r["status"]) for r in observations] == [(str(measurement.pk), "entered-in-error")]
    assert [r["id"] for r in lines(exporter, outputs["QuestionnaireResponse"]["url"])] == [str(measurement.pk)]
    documents = {r["id"]: r for r in lines(exporter, outputs["DocumentReference"]["url"])}
    assert set(documents) == {str(note.pk), str(addendum.pk)} and documents[str(note.pk)]["docStatus"] == "amended"
    provenance = lines(exporter, outputs["Provenance"]["url"])  # the addendum's signature only: the note's was before the cut
    assert len(provenance) == 1 and provenance[0]["target"] == [{"reference": f"DocumentReference/{addendum.pk}"}]


def test_since_holds_an_episode_closed_and_a_visit_whose_status_changed_since(full_visit, front_desk, exporter):
    """Episodes and encounters keep the time of their last change: a change after the cut brings them
    (and the visit's procedures) into a _since export, though they were made before it."""
    from needlechart.charting import services as charting
    from needlechart.charting.models import EncounterStatus

    episode = full_visit.episode
    other = charting.encounter_create(actor=front_desk, episode=episode, practitioner=full_visit.practitioner, starts_at=timezone.now())
    practitioner, now = full_visit.practitioner, timezone.now()
    charting.encounter_create(actor=front_desk, episode=episode, practitioner=practitioner, starts_at=now)  # not changed after the cut
    cut = timezone.now()
    charting.encounter_set_status(actor=front_desk, encounter=other, status=EncounterStatus.CANCELLED)
    patients.episode_close(actor=front_desk, episode=episode, ended_on=timezone.localdate())
    types = "EpisodeOfCare,Encounter,Procedure"
    outputs = {o["type"]: o for o in finished(exporter, started(exporter, params={"_type": types, "_since": cut.isoformat()}))["output"]}
    assert [(r["id"], r["status"]) for r in lines(exporter, outputs["EpisodeOfCare"]["url"])] == [(str(episode.pk), "finished")]
    assert [(r["id"], r["status"]) for r in lines(exporter, outputs["Encounter"]["url"])] == [(str(other.pk), "cancelled")]
    assert "Procedure" not in outputs  # the signed visit did not change after the cut
