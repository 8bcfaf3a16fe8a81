"""The patient's copy of their record as one ZIP: ``record.pdf``, ``record.json`` and ``README.txt``.

A patient may ask for their whole record (pasientjournalloven, GDPR art. 15 and 20). The chart's
"Patient's copy" page and the API both call ``disclose_copy`` (FHIR's ``$everything``:
``disclose_bundle``, the Bundle alone): it writes the request to the audit log as a disclosure
(who asked, how, and a note), builds the copy in the patient's language, then writes its
delivery as a second row naming the bytes' SHA-256, so the log says both that a copy was asked
for and what left the clinic. The PDF is drawn from ``interop/patient_copy.html``, the JSON is
``interop.patient_copy.patient_bundle``.

The caller has fetched the patient through a clinic-scoped selector for ``actor``; the access
log's selector refuses an actor who may not disclose records (core.access).
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from dataclasses import dataclass

from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_read
from needlechart.clinics.models import User
from needlechart.core.access import Capability, require_capability
from needlechart.documents.pdf import render_pdf
from needlechart.interop.patient_copy import patient_bundle
from needlechart.interop.patient_copy_record import copy_context
from needlechart.patients.models import Patient

NOTE_LENGTH = 500
ZIP_TYPE = "application/zip"


class Requester(models.TextChoices):
    """Who asked for the copy, as the audit row records it."""

    PATIENT_IN_PERSON = "in_person", _("The patient, in person")
    PATIENT_BY_LETTER = "letter", _("The patient, by letter or e-mail")
    REPRESENTATIVE = "representative", _("A representative of the patient (guardian, lawyer, next of kin with authority)")
    API_CLIENT = "api", _("A system through the API")


@dataclass(frozen=True)
class PatientCopy:
    copy_id: str
    content: bytes
    filename: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def patient_copy_archive(*, actor: User, patient: Patient) -> bytes:
    """The ZIP's bytes: the PDF and README in the patient's language, the FHIR Bundle as JSON."""
    require_capability(actor, Capability.DISCLOSE_RECORDS)
    made_at = timezone.now()
    bundle = json.dumps(patient_bundle(patient.pk), ensure_ascii=False, indent=1).encode()
    with translation.override(patient.preferred_language):
        context = copy_context(user=actor, patient=patient, made_at=made_at)
        readme = render_to_string("interop/patient_copy_readme.txt", context)
        pdf = render_pdf("interop/patient_copy.html", context)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme.strip() + "\n")
        archive.writestr("record.pdf", pdf)
        archive.writestr("record.json", bundle)
    return buffer.getvalue()


def _audit_request(*, actor: User, patient: Patient, requester: Requester, note: str, form: str) -> str:
    require_capability(actor, Capability.DISCLOSE_RECORDS)
    copy_id = str(uuid.uuid4())
    audit_read(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type=AuditObject.PATIENT_COPY,
        object_id=copy_id,
        patient_id=patient.pk,
        detail={"disclosure": "requested", "form": form, "requested_by": str(requester), "note": note.strip()[:NOTE_LENGTH]},
    )
    return copy_id


def _audit_delivery(*, actor: User, patient: Patient, copy_id: str, content: bytes) -> None:
    audit_read(
        actor=actor,
        action=AuditAction.DOWNLOAD,
        object_type=AuditObject.PATIENT_COPY,
        object_id=copy_id,
        patient_id=patient.pk,
        detail={"disclosure": "delivered", "sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content)},
    )


def disclose_copy(*, actor: User, patient: Patient, requester: Requester, note: str = "") -> PatientCopy:
    """Audit the request, build the ZIP, audit its delivery (two rows with the same copy id)."""
    copy_id = _audit_request(actor=actor, patient=patient, requester=requester, note=note, form="zip")
    content = patient_copy_archive(actor=actor, patient=patient)
    _audit_delivery(actor=actor, patient=patient, copy_id=copy_id, content=content)
    return PatientCopy(copy_id, content, f"patient-copy-{timezone.localdate():%Y-%m-%d}.zip")


def disclose_bundle(*, actor: User, patient: Patient) -> bytes:
    """The FHIR Bundle alone as JSON (FHIR's Patient/$everything), audited as ``disclose_copy`` audits the ZIP."""
    copy_id = _audit_request(actor=actor, patient=patient, requester=Requester.API_CLIENT, note="", form="fhir")
    content = json.dumps(patient_bundle(patient.pk), ensure_ascii=False).encode()
    _audit_delivery(actor=actor, patient=patient, copy_id=copy_id, content=content)
    return content
