"""Practitioner, PractitionerRole, Organization, EpisodeOfCare, Encounter, Consent, AdverseEvent and AuditEvent."""

from __future__ import annotations

import datetime as dt

from needlechart.audit.models import AuditAction
from needlechart.audit.services import audit_record
from needlechart.clinics import services as clinics
from needlechart.clinics.models import RegistrationNumber
from needlechart.interop.checks import check_resource
from needlechart.interop.export import clinic_resources
from needlechart.interop.resources.organization import organization_resource
from needlechart.patients import services as patients
from needlechart.public.booking import booking_actor


def _one(clinic_id, resource_type, **match) -> dict:
    found = [r for r in clinic_resources(clinic_id, resource_type) if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, found
    assert check_resource(found[0]) == []
    return found[0]


def test_a_practitioner_carries_the_hpr_number_and_the_needling_certificate(clinic):
    user = clinics.staff_create(
        actor=None,
        clinic=clinic,
        username="ingrid",
        password="correct-horse-battery",
        role="practitioner",
        first_name="Ingrid",
        last_name="Solheim",
        discipline="physiotherapist",
        registrations=[(RegistrationNumber.HPR_SYSTEM, "9144889"), ("BC College roster", "PT-1234")],
    )
    certification = clinics.certification_add(
        actor=user,
        profile=user.practitioner_profile,
        kind="ims",
        course="Gunn IMS certification",
        issuer="iSTOP",
        completed_on=dt.date(2024, 3, 1),
        expires_on=dt.date(2027, 3, 1),
        jurisdiction="Norway",
    )
    practitioner = _one(clinic.pk, "Practitioner", id=str(user.pk))
    assert practitioner["identifier"] == [
        {"use": "official", "system": "urn:oid:2.16.578.1.12.4.1.4.4", "value": "9144889"},
        {"use": "official", "type": {"text": "BC College roster"}, "value": "PT-1234"},
    ]
    discipline, certificate = practitioner["qualification"]
    assert discipline["code"]["coding"][0]["code"] == "physiotherapist"
    assert certificate == {
        "identifier": [{"system": "https://needlechart.org/fhir/sid/certification", "value": str(certification.pk)}],
        "code": {
            "coding": [
                {
                    "system": "https://needlechart.org/fhir/CodeSystem/certification-kind",
                    "code": "ims",
                    "display": "Intramuscular stimulation (Gunn IMS)",
                }
            ],
            "text": "Gunn IMS certification",
        },
        "period": {"start": "2024-03-01", "end": "2027-03-01"},
        "issuer": {"display": "iSTOP"},
        "extension": [{"url": "https://needlechart.org/fhir/StructureDefinition/certification-jurisdiction", "valueString": "Norway"}],
    }
    role = _one(clinic.pk, "PractitionerRole", id=str(user.pk))
    assert role["practitioner"] == {"reference": f"Practitioner/{user.pk}"} and role["code"][0]["coding"][0]["code"] == "practitioner"
    assert role["specialty"][0]["coding"][0]["code"] == "physiotherapist"


def test_a_valid_norwegian_organisation_number_goes_under_enhetsregisteret_and_another_as_text(clinic):
    clinic.organisation_number = "974 760 673"  # valid: modulus 11
    assert organization_resource(clinic)["identifier"] == [{"system": "urn:oid:2.16.578.1.12.4.1.4.101", "value": "974760673"}]
    clinic.organisation_number = "BN 123456789"
    assert organization_resource(clinic)["identifier"] == [{"type": {"text": "Organisation number"}, "value": "BN 123456789"}]
    assert check_resource(organization_resource(clinic)) == []


def test_an_episode_and_its_visit(front_desk, episode, encounter):
    patients.episode_close(actor=front_desk, episode=episode, ended_on=episode.started_on + dt.timedelta(days=20))
    resource = _one(episode.clinic_id, "EpisodeOfCare", id=str(episode.pk))
    assert resource["status"] == "finished" and resource["period"]["end"] == (episode.started_on + dt.timedelta(days=20)).isoformat()
    assert resource["type"][0]["coding"][0]["code"] == "neck"
    assert resource["diagnosis"] == [{"condition": {"display": "Neck pain from desk work"}}]
    visit = _one(encounter.clinic_id, "Encounter", id=str(encounter.pk))
    assert visit["status"] == "planned" and visit["episodeOfCare"] == [{"reference": f"EpisodeOfCare/{episode.pk}"}]
    ends = dt.datetime.fromisoformat(visit["period"]["end"]) - dt.datetime.fromisoformat(visit["period"]["start"])
    assert ends == dt.timedelta(minutes=30) and visit["length"]["code"] == "min"
    assert visit["participant"][0]["individual"] == {"reference": f"Practitioner/{encounter.practitioner_id}"}


def test_the_consent_names_its_version_the_witness_and_every_risk_explained(full_visit):
    consent = _one(full_visit.clinic_id, "Consent")
    assert consent["policy"][0]["uri"].startswith("https://needlechart.org/fhir/consent/needling/")
    assert consent["patient"] == consent["performer"][0] == {"reference": f"Patient/{full_visit.patient_id}"}
    extensions = [(e["url"].rsplit("/", 1)[1], e.get("valueCoding", {}).get("code") or e.get("valueString")) for e in consent["extension"]]
    assert extensions[:2] == [("consent-method", "verbal"), ("consent-witness", "Jon Vik")]
    risks = sorted(code for url, code in extensions[2:] if url == "consent-risk-explained")
    assert len(extensions) == 6 and risks == ["bruising_bleeding", "fainting", "pneumothorax", "soreness"]


def test_an_adverse_event_suspects_the_visits_procedures(full_visit):
    event = _one(full_visit.clinic_id, "AdverseEvent")
    procedures = {r["id"] for r in clinic_resources(full_visit.clinic_id, "Procedure")}
    assert len(procedures) == 2 and {s["instance"]["reference"] for s in event["suspectEntity"]} == {f"Procedure/{p}" for p in procedures}
    assert event["event"]["coding"][0]["code"] == "bruising"
    assert (event["seriousness"]["coding"][0]["code"], event["severity"]["coding"][0]["code"]) == ("non-serious", "mild")
    assert event["outcome"]["coding"][0]["code"] == "ongoing"


def test_a_chart_view_is_an_audit_event_with_its_place_in_the_chain(client_for, practitioner, patient):
    client_for(practitioner).get(f"/patients/{patient.pk}/")
    (event,) = [r for r in clinic_resources(patient.clinic_id, "AuditEvent") if r["action"] == "R"]
    assert event["type"]["code"] == "110110" and event["subtype"][0]["code"] == "view"
    assert event["agent"][0]["who"] == {"reference": f"Practitioner/{practitioner.pk}"} and event["agent"][0]["requestor"] is True
    assert event["agent"][0]["network"] == {"address": "127.0.0.1", "type": "2"}
    assert {"what": {"reference": f"Patient/{patient.pk}"}} in event["entity"]
    assert [d["type"] for d in event["entity"][-1]["detail"]] == ["chain", "sequence", "hash"]
    assert check_resource(event) == []


def test_the_online_booking_account_is_no_practitioner_and_its_audit_rows_name_it_only(clinic, practitioner, patient):
    """The account online booking acts as is not exported as a Practitioner (nor served by /fhir/),
    and an access log row it wrote names it without pointing at a Practitioner that is not there."""
    account = booking_actor(clinic.pk)
    audit_record(actor=account, action=AuditAction.CREATE, object_type="appointment", object_id="x", patient_id=patient.pk)
    practitioners = {r["id"] for r in clinic_resources(clinic.pk, "Practitioner")}
    assert str(practitioner.pk) in practitioners and str(account.pk) not in practitioners
    assert str(account.pk) not in {r["practitioner"]["reference"].split("/")[1] for r in clinic_resources(clinic.pk, "PractitionerRole")}
    (event,) = [r for r in clinic_resources(clinic.pk, "AuditEvent") if r["agent"][0].get("name") == account.username]
    assert "who" not in event["agent"][0] and event["action"] == "C"
    assert check_resource(event) == []
