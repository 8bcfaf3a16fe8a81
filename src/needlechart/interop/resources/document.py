"""DocumentReference and Provenance: the signed note (and each signed addendum) and its signature.

A signed note is a DocumentReference whose first content is its canonical JSON, the very bytes
whose SHA-256 digest was stored at signing (``core.signed``): ``attachment.hash`` is that digest,
base64 of the raw 32 bytes. Given the rendered session-note PDF, a second content carries the PDF
with its own SHA-256. (FHIR R4 defines ``Attachment.hash`` as SHA-1; issue 15 asks for SHA-256,
which needlechart's signatures use throughout: a reader checking it as SHA-1 will not match.)
A signed addendum is a DocumentReference of its own that ``appends`` to the note's.

Each signature is a Provenance: who signed, when, and the digest of what they signed as the
signature's data. It is a digest, not a cryptographic signature: the record's integrity rests on
the digest, the database triggers and the audit checkpoints (docs/architecture.md).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from needlechart.charting.models import Addendum, Note
from needlechart.interop.elements import concept, instant, ref
from needlechart.interop.terminology import terminology
from needlechart.interop.validation import finished


def digest_base64(hex_digest: str) -> str:
    """A SHA-256 digest stored as hex, as FHIR's base64Binary of the raw digest."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


def _canonical_content(record: Note | Addendum, title: str) -> dict[str, Any]:
    assert record.signed_at is not None  # only signed records are documents
    return {
        "attachment": {
            "contentType": "application/json",
            "hash": digest_base64(record.digest),
            "title": title,
            "creation": instant(record.signed_at),
        }
    }


def pdf_content(pdf: bytes, *, url: str, title: str, language: str) -> dict[str, Any]:
    """The rendered PDF of a note as a DocumentReference content: size and SHA-256 of its bytes."""
    return {
        "attachment": {
            "contentType": "application/pdf",
            "language": language,
            "url": url,
            "size": len(pdf),
            "hash": base64.b64encode(hashlib.sha256(pdf).digest()).decode("ascii"),
            "title": title,
        }
    }


def note_document(note: Note, *, amended: bool, pdf: dict[str, Any] | None = None, validate: bool = True) -> dict[str, Any]:
    """A signed note; ``amended``: it has signed addenda; ``pdf``: a ``pdf_content`` when the PDF was rendered."""
    assert note.signed_at is not None and note.signed_by_id is not None
    contents = [_canonical_content(note, "Signed session note (canonical JSON)")]
    if pdf is not None:
        contents.append(pdf)
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": str(note.pk),
        "status": "current",
        "docStatus": "amended" if amended else "final",
        "type": concept("loinc", "11506-3"),
        "subject": ref("Patient", note.patient_id),
        "date": instant(note.signed_at),
        "author": [ref("Practitioner", note.author_id)],
        "authenticator": ref("Practitioner", note.signed_by_id),
        "custodian": ref("Organization", note.clinic_id),
        "content": contents,
        "context": {"encounter": [ref("Encounter", note.encounter_id)]},
    }
    return finished(resource, validate)


def addendum_document(addendum: Addendum, *, patient_id: object, validate: bool = True) -> dict[str, Any]:
    """A signed addendum: appends to its note's DocumentReference; its reason as the description."""
    assert addendum.signed_at is not None and addendum.signed_by_id is not None
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": str(addendum.pk),
        "status": "current",
        "docStatus": "final",
        "type": concept("loinc", "11506-3"),
        "subject": ref("Patient", patient_id),
        "date": instant(addendum.signed_at),
        "author": [ref("Practitioner", addendum.author_id)],
        "authenticator": ref("Practitioner", addendum.signed_by_id),
        "custodian": ref("Organization", addendum.clinic_id),
        "relatesTo": [{"code": "appends", "target": ref("DocumentReference", addendum.note_id)}],
        "description": addendum.reason,
        "content": [_canonical_content(addendum, "Signed addendum (canonical JSON)")],
    }
    return finished(resource, validate)


def signature_provenance(record: Note | Addendum, *, validate: bool = True) -> dict[str, Any]:
    """The signature of a note (activity CREATE) or an addendum (APPEND, with its reason)."""
    assert record.signed_at is not None and record.signed_by_id is not None
    is_addendum = isinstance(record, Addendum)
    signer = ref("Practitioner", record.signed_by_id)
    resource: dict[str, Any] = {
        "resourceType": "Provenance",
        "id": str(record.pk),
        "target": [ref("DocumentReference", record.pk)],
        "recorded": instant(record.signed_at),
        "activity": concept("data-operation", "APPEND" if is_addendum else "CREATE"),
        "agent": [
            {"type": concept("provenance-participant-type", "author"), "who": signer, "onBehalfOf": ref("Organization", record.clinic_id)}
        ],
        "signature": [
            {
                "type": [terminology().coding("signature-type", "1.2.840.10065.1.12.1.1")],
                "when": instant(record.signed_at),
                "who": signer,
                "targetFormat": "application/json",
                "data": digest_base64(record.digest),
            }
        ],
    }
    if isinstance(record, Addendum):
        resource["reason"] = [{"text": record.reason}]
    return finished(resource, validate)
