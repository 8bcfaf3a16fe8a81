"""The signed note as a DocumentReference (its digests as attachment hashes) and each signature as a Provenance."""

from __future__ import annotations

import base64
import hashlib

from needlechart.charting.models import Note
from needlechart.interop.checks import check_resource
from needlechart.interop.export import clinic_resources
from needlechart.interop.note_pdf import signed_note_pdf
from needlechart.interop.resources.document import note_document


def _sha256_base64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _by_id(clinic_id, resource_type) -> dict:
    return {r["id"]: r for r in clinic_resources(clinic_id, resource_type)}


def test_a_signed_note_carries_the_sha256_of_its_canonical_json_as_base64_of_the_raw_digest(signed_note):
    document = _by_id(signed_note.clinic_id, "DocumentReference")[str(signed_note.pk)]
    (content,) = document["content"]
    assert content["attachment"]["hash"] == _sha256_base64(signed_note.canonical.encode("utf-8"))
    assert len(base64.b64decode(content["attachment"]["hash"])) == 32
    assert document["docStatus"] == "final" and document["authenticator"] == {"reference": f"Practitioner/{signed_note.signed_by_id}"}
    assert check_resource(document) == []


def test_the_rendered_pdf_is_a_second_content_with_its_own_hash(signed_note):
    note = Note.objects.select_related("encounter__patient").get(pk=signed_note.pk)
    pdf, content = signed_note_pdf(note)
    assert pdf.startswith(b"%PDF-")
    assert content["attachment"]["hash"] == _sha256_base64(pdf) and content["attachment"]["size"] == len(pdf)
    assert content["attachment"]["url"] == f"/encounters/{note.encounter_id}/note.pdf"
    document = note_document(note, amended=False, pdf=content)
    assert [c["attachment"]["contentType"] for c in document["content"]] == ["application/json", "application/pdf"]
    assert check_resource(document) == []


def test_an_addendum_appends_to_its_note_and_both_signatures_are_provenance(signed_addendum):
    note_id, addendum_id = str(signed_addendum.note_id), str(signed_addendum.pk)
    documents = _by_id(signed_addendum.clinic_id, "DocumentReference")
    assert documents[note_id]["docStatus"] == "amended"
    assert documents[addendum_id]["relatesTo"] == [{"code": "appends", "target": {"reference": f"DocumentReference/{note_id}"}}]
    assert documents[addendum_id]["description"] == "Side corrected"
    provenance = _by_id(signed_addendum.clinic_id, "Provenance")
    assert provenance[note_id]["activity"]["coding"][0]["code"] == "CREATE"
    assert provenance[addendum_id]["activity"]["coding"][0]["code"] == "APPEND"
    assert provenance[addendum_id]["reason"] == [{"text": "Side corrected"}]
    (signature,) = provenance[addendum_id]["signature"]
    assert signature["data"] == _sha256_base64(signed_addendum.canonical.encode("utf-8"))
    assert provenance[addendum_id]["target"] == [{"reference": f"DocumentReference/{addendum_id}"}]
    for resource in (*documents.values(), *provenance.values()):
        assert check_resource(resource) == []


def test_a_draft_note_is_no_document(draft_note):
    assert _by_id(draft_note.clinic_id, "DocumentReference") == {} and _by_id(draft_note.clinic_id, "Provenance") == {}
