"""A signed note is frozen through every path; corrections are signed addenda."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from needlechart.charting import services
from needlechart.charting.models import Addendum, Note
from needlechart.core.canonical import sha256_hex
from needlechart.core.signed import SignedRecordImmutable


def _reload(note):
    return Note.objects.get(pk=note.pk)


def test_signing_stores_the_canonical_json_and_its_sha256(signed_note, practitioner, patient):
    assert signed_note.is_signed and signed_note.signed_by == practitioner
    content = json.loads(signed_note.canonical)
    assert content["patient"] == str(patient.pk)
    assert content["subjective"] == "Pain 6/10"
    assert content["signed_by"]["username"] == practitioner.username
    assert signed_note.digest == sha256_hex(signed_note.canonical)
    assert services.signed_record_verify(_reload(signed_note))


def test_canonical_form_is_stable_key_order_and_whitespace(signed_note):
    assert signed_note.canonical == json.dumps(json.loads(signed_note.canonical), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_model_save_of_a_signed_note_is_refused(signed_note):
    note = _reload(signed_note)
    note.subjective = "rewritten"
    with pytest.raises(SignedRecordImmutable):
        note.save()
    assert _reload(signed_note).subjective == "Pain 6/10"


def test_model_delete_of_a_signed_note_is_refused(signed_note):
    with pytest.raises(SignedRecordImmutable):
        _reload(signed_note).delete()
    assert Note.objects.filter(pk=signed_note.pk).exists()


def test_queryset_update_and_delete_are_refused(signed_note):
    with pytest.raises(SignedRecordImmutable):
        Note.objects.filter(pk=signed_note.pk).update(plan="changed")
    with pytest.raises(SignedRecordImmutable):
        Note.objects.filter(pk=signed_note.pk).delete()
    note = _reload(signed_note)
    note.plan = "bulk"
    with pytest.raises(SignedRecordImmutable), transaction.atomic():
        Note.objects.bulk_update([note], ["plan"])
    assert _reload(signed_note).plan == "Dry needling next visit"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE charting_note SET plan = 'raw' WHERE id = %s",
        "DELETE FROM charting_note WHERE id = %s",
    ],
)
def test_the_database_trigger_refuses_raw_sql(signed_note, statement):
    note_id = signed_note.pk.hex if connection.vendor == "sqlite" else str(signed_note.pk)
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [note_id])
    assert _reload(signed_note).plan == "Dry needling next visit"


def test_the_trigger_still_lets_drafts_change(draft_note):
    note_id = draft_note.pk.hex if connection.vendor == "sqlite" else str(draft_note.pk)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE charting_note SET plan = 'raw' WHERE id = %s", [note_id])
    assert _reload(draft_note).plan == "raw"


def test_the_admin_offers_no_change_or_delete_for_signed_notes(signed_note, draft_note, django_user_model):
    root = django_user_model.objects.create_superuser("root", "r@example.invalid", "x-very-secret-1")
    request = RequestFactory().get("/admin/")
    request.user = root
    model_admin = admin_site._registry[Note]
    assert not model_admin.has_change_permission(request, _reload(signed_note))
    assert not model_admin.has_delete_permission(request, _reload(signed_note))
    assert model_admin.get_actions(request) == {}


def test_the_note_page_refuses_to_edit_a_signed_note(client_for, signed_note, practitioner):
    client = client_for(practitioner)
    response = client.post(reverse("note_save", args=[signed_note.encounter_id]), {"subjective": "new text"})
    assert response.status_code == 409
    assert b"Add an addendum instead" in response.content
    assert _reload(signed_note).subjective == "Pain 6/10"


def test_signing_through_the_page_freezes_the_note(client_for, encounter, practitioner):
    client = client_for(practitioner)
    response = client.post(reverse("note_save", args=[encounter.pk]), {"subjective": "Neck pain 5/10", "sign": "1"})
    assert response.status_code == 302
    note = Note.objects.get(encounter=encounter)
    assert note.is_signed and services.signed_record_verify(note)
    page = client.get(reverse("encounter_detail", args=[encounter.pk]))
    assert note.digest.encode() in page.content
    assert b"Integrity verified" in page.content


def test_an_empty_note_cannot_be_signed(client_for, encounter, practitioner):
    response = client_for(practitioner).post(reverse("note_save", args=[encounter.pk]), {"sign": "1"})
    assert response.status_code == 400
    assert b"An empty note cannot be signed" in response.content


def test_only_the_author_may_sign_a_draft(draft_note, second_practitioner):
    with pytest.raises(PermissionDenied):
        services.note_sign(actor=second_practitioner, note=draft_note)


def test_addenda_are_signed_in_their_turn_and_shown_with_the_original(client_for, signed_addendum, signed_note, practitioner):
    assert signed_addendum.is_signed and services.signed_record_verify(Addendum.objects.get(pk=signed_addendum.pk))
    assert json.loads(signed_addendum.canonical)["note_digest"] == signed_note.digest
    with pytest.raises(SignedRecordImmutable):
        Addendum.objects.filter(pk=signed_addendum.pk).update(text="changed")
    page = client_for(practitioner).get(reverse("patient_chart", args=[signed_note.patient_id]))
    body = page.content.decode()
    assert body.index("Pain 6/10") < body.index("Left, not right.")
    assert signed_addendum.digest in body and signed_note.digest in body


def test_addenda_need_a_signed_note_a_reason_and_text(draft_note, signed_note, practitioner):
    with pytest.raises(ValidationError):
        services.addendum_create(actor=practitioner, note=draft_note, reason="r", text="t")
    with pytest.raises(ValidationError):
        services.addendum_create(actor=practitioner, note=signed_note, reason=" ", text="t")


def test_the_addendum_form_reports_missing_fields(client_for, signed_note, practitioner):
    response = client_for(practitioner).post(reverse("addendum_create", args=[signed_note.pk]), {"reason": "", "text": ""})
    assert response.status_code == 400
    assert b"This field is required" in response.content


def test_verification_detects_a_tampered_row(signed_note):
    note = _reload(signed_note)
    note.assessment = "tampered in memory"
    assert not services.signed_record_verify(note)
    note = _reload(signed_note)
    note.digest = "0" * 64
    assert not services.signed_record_verify(note)


def test_practitioners_see_their_own_day_first_and_everyone_on_request(client_for, practitioner, second_practitioner, front_desk, episode):
    from django.utils import timezone

    services.encounter_create(actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now(), reason="Mine")
    services.encounter_create(
        actor=front_desk, episode=episode, practitioner=second_practitioner, starts_at=timezone.now(), reason="Theirs"
    )
    own = client_for(practitioner).get(reverse("today")).content.decode()
    assert "Mine" in own and "Theirs" not in own and 'data-testid="all-practitioners"' in own
    everyone = client_for(practitioner).get(reverse("today"), {"all": "1"}).content.decode()
    assert "Mine" in everyone and "Theirs" in everyone
    desk = client_for(front_desk).get(reverse("today")).content.decode()
    assert "Mine" in desk and "Theirs" in desk
