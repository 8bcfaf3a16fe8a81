"""The audit log records every view and change, and the verifier detects tampering."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from needlechart.audit.digests import digest_pieces, event_digest
from needlechart.audit.models import GENESIS_HASH, AuditAction, AuditChainHead, AuditEvent
from needlechart.audit.services import audit_read, audit_record, lane_keys
from needlechart.audit.verify import verify_audit_log
from needlechart.core.canonical import sha256_hex
from needlechart.core.db_triggers import drop_sql
from needlechart.patients import services as patient_services
from tests.audit.lanes import first_lane_held


def _without_append_only_triggers():
    """Simulate someone with raw database access who removed the guard first."""
    with connection.cursor() as cursor:
        for sql in drop_sql(connection.vendor, "audit_auditevent"):
            cursor.execute(sql)


def _events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("chain_key", "seq"))


def test_viewing_a_chart_is_recorded_with_who_role_clinic_patient_and_address(client_for, practitioner, patient):
    client = client_for(practitioner)
    client.get(reverse("patient_chart", args=[patient.pk]), REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.filter(action=AuditAction.VIEW, patient_id=patient.pk).latest("seq")
    assert (event.actor_id, event.actor_role, event.clinic_id, event.ip) == (
        practitioner.pk,
        "practitioner",
        practitioner.clinic_id,
        "10.1.2.3",
    )
    assert event.object_type == "patient" and event.object_id == str(patient.pk)


def test_changes_write_their_audit_row_in_the_same_transaction(front_desk, patient):
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        patient_services.patient_update(actor=front_desk, patient=patient, data={"phone": "+47 1"})
        assert AuditEvent.objects.count() == before + 1
        raise RuntimeError("roll back")
    assert AuditEvent.objects.count() == before
    patient.refresh_from_db()
    assert patient.phone == "+47 90000000"


def test_the_orm_refuses_to_change_or_delete_audit_rows(patient):
    event = AuditEvent.objects.first()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="view")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_the_database_refuses_raw_changes_to_audit_rows(patient):
    from django.db import DatabaseError

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'view'")


def test_an_untouched_log_verifies(signed_note):
    result = verify_audit_log()
    assert result.ok and result.events == AuditEvent.objects.count() and result.chains == AuditChainHead.objects.count()


@pytest.mark.parametrize(
    "column, value",
    [
        ("action", "'view'"),
        ("actor_username", "'someone-else'"),
        ("ip", "'1.1.1.1'"),
        ("object_id", "'x'"),
        ("detail", "'{\"forged\": 1}'"),
        ("at", "'2020-01-01 00:00:00'"),
    ],
)
def test_altering_any_column_of_any_row_is_detected_at_that_row(signed_note, column, value):
    _without_append_only_triggers()
    target = _events(chain_key=str(signed_note.clinic_id))[3]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE audit_auditevent SET {column} = {value} WHERE id = %s", [target.id])  # noqa: S608
    result = verify_audit_log()
    assert not result.ok
    assert result.first_break.event_id == target.id


def test_deleting_a_row_in_the_middle_is_detected(signed_note):
    _without_append_only_triggers()
    events = _events(chain_key=str(signed_note.clinic_id))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[2].id])
    result = verify_audit_log()
    assert not result.ok and result.first_break.seq == events[2].seq and "missing" in result.first_break.reason


def test_deleting_the_newest_rows_is_detected(signed_note):
    _without_append_only_triggers()
    last = _events(chain_key=str(signed_note.clinic_id))[-1]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [last.id])
    result = verify_audit_log()
    assert not result.ok and "removed from its end" in result.first_break.reason


def test_a_rewritten_row_with_a_recomputed_hash_fails_its_seal(signed_note):
    _without_append_only_triggers()
    events = _events(chain_key=str(signed_note.clinic_id))
    forged = events[1]
    forged.action = "download"
    forged_hash = event_digest(forged)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = %s, hash = %s WHERE id = %s", ["download", forged_hash, forged.id])
    result = verify_audit_log()
    assert not result.ok and result.first_break.event_id == forged.id
    assert "seal does not hold" in result.first_break.reason


def test_the_cli_reports_success_and_failure(signed_note, capsys):
    call_command("verify_audit")
    assert "Audit log intact" in capsys.readouterr().out
    _without_append_only_triggers()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'view' WHERE seq = 2")
    with pytest.raises(CommandError, match="FAILED"):
        call_command("verify_audit")


def test_each_clinic_has_its_own_chain(signed_note, other_practitioner):
    clinic_chain = _events(chain_key=str(signed_note.clinic_id))
    assert [e.seq for e in clinic_chain] == list(range(1, len(clinic_chain) + 1))
    assert all(e.prev_hash == p.hash for p, e in zip(clinic_chain, clinic_chain[1:], strict=False))
    assert AuditEvent.objects.filter(chain_key=str(other_practitioner.clinic_id)).exists()


def test_sign_in_and_failed_sign_in_are_recorded(client, practitioner):
    client.post(reverse("login"), {"username": practitioner.username, "password": "wrong"})
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, detail__username=practitioner.username).exists()
    from tests.conftest import PASSWORD

    client.post(reverse("login"), {"username": practitioner.username, "password": PASSWORD})
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, actor_id=practitioner.pk).exists()


def test_the_patient_access_report_lists_who_opened_the_record(client_for, practitioner, clinic_admin, patient):
    client_for(practitioner).get(reverse("patient_chart", args=[patient.pk]))
    client = client_for(clinic_admin)
    page = client.get(reverse("patient_access_report", args=[patient.pk]))
    assert page.status_code == 200
    assert practitioner.username.encode() in page.content
    csv_body = b"".join(client.get(reverse("patient_access_report", args=[patient.pk]) + "?csv=1").streaming_content).decode()
    assert f"{practitioner.username},practitioner,view,patient" in csv_body


def test_the_audit_report_filters_by_period_and_action(client_for, clinic_admin, practitioner, patient):
    client = client_for(clinic_admin)
    today = timezone.localdate()
    page = client.get(reverse("audit_report"), {"start": today.isoformat(), "end": today.isoformat(), "action": "create"})
    assert page.status_code == 200 and b"frontdesk" in page.content
    assert b"patient record" in page.content  # object types are shown by their names
    old = client.get(reverse("audit_report"), {"start": "2001-01-01", "end": "2001-01-31"})
    assert b"No events." in old.content


@pytest.mark.parametrize(
    "params",
    [
        {"start": "not-a-date", "end": "2026-01-01"},
        {"start": "2026-02-01", "end": "2026-01-01"},
        {"start": "2020-01-01", "end": "2026-01-01"},
    ],
)
def test_bad_audit_report_periods_get_400_with_a_message(client_for, clinic_admin, params):
    response = client_for(clinic_admin).get(reverse("audit_report"), params)
    assert response.status_code == 400
    assert b'class="errors"' in response.content or b"field-error" in response.content


def test_records_outside_a_request_are_marked_as_cli(clinic):
    event = audit_record(actor=None, action=AuditAction.EXPORT, clinic_id=clinic.pk, detail={"at": dt.date(2026, 1, 1).isoformat()})
    assert event.ip == "cli" and event.seq >= 2


@pytest.mark.parametrize("detail", [{"seq": -1, "prev": '"x"'}, {"prev": "\x00prev\x00", "chain": {"seq": "\x00seq\x00"}}])
def test_the_digest_pieces_are_the_canonical_json_around_the_chained_fields(detail):
    # in memory: PostgreSQL stores no NUL characters in JSON, so the second detail is never appended there
    event = AuditEvent(chain_key=f"{uuid.uuid4()}/3", seq=12, at=timezone.now(), action=AuditAction.EXPORT, detail=detail)
    event.prev_hash = "a" * 64
    before_chain, before_prev, before_seq, after_seq = digest_pieces(event)
    joined = f'{before_chain}"{event.chain_key}"{before_prev}"{event.prev_hash}"{before_seq}{event.seq}{after_seq}'
    assert event_digest(event) == sha256_hex(joined)


@pytest.mark.django_db(transaction=True)
def test_appends_from_many_threads_make_unbroken_chains(clinic):
    before = AuditEvent.objects.filter(clinic_id=clinic.pk).count()

    def append(n):
        try:
            for i in range(10):
                audit_read(actor=None, object_type="patient", clinic_id=clinic.pk, detail={"thread": n, "i": i})
        finally:
            connection.close()

    if connection.vendor == "sqlite":  # the in-memory test database is one per thread: interleave the writers in this one
        for i in range(10):
            for n in range(4):
                audit_read(actor=None, object_type="patient", clinic_id=clinic.pk, detail={"thread": n, "i": i})
    else:
        threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    lanes = {}
    for key, seq in AuditEvent.objects.filter(clinic_id=clinic.pk).order_by("seq").values_list("chain_key", "seq"):
        lanes.setdefault(key, []).append(seq)
    assert set(lanes) <= set(lane_keys(str(clinic.pk))) and str(clinic.pk) in lanes
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in lanes.values())  # each lane unbroken
    assert sum(map(len, lanes.values())) == 40 + before
    assert verify_audit_log().ok


@pytest.mark.django_db(transaction=True)
def test_an_append_takes_a_free_lane_instead_of_waiting_for_a_busy_one(clinic):
    """While another connection's transaction holds the clinic's first lane, PostgreSQL appends to
    the next lane at once; SQLite has one writer at a time and one lane. Alone, a writer always
    appends to the first lane."""
    first = audit_read(actor=None, object_type="patient", clinic_id=clinic.pk)
    assert first.chain_key == str(clinic.pk)
    if connection.vendor == "sqlite":
        assert audit_read(actor=None, object_type="patient", clinic_id=clinic.pk).chain_key == str(clinic.pk)
        assert AuditChainHead.objects.filter(chain_key__startswith=str(clinic.pk)).count() == 1
        return
    with first_lane_held(str(clinic.pk)):
        second = audit_read(actor=None, object_type="patient", clinic_id=clinic.pk)
    assert (second.chain_key, second.seq, second.prev_hash) == (f"{clinic.pk}/1", 1, GENESIS_HASH)
    assert event_digest(second) == second.hash == AuditChainHead.objects.get(chain_key=f"{clinic.pk}/1").hash
    third = audit_read(actor=None, object_type="patient", clinic_id=clinic.pk)  # alone again: the first lane
    assert (third.chain_key, third.seq, third.prev_hash) == (str(clinic.pk), first.seq + 1, first.hash)
    assert verify_audit_log().ok


def test_a_chains_first_event_creates_its_head(db):
    chain = uuid.uuid4()
    first, second = (audit_read(actor=None, object_type="patient", clinic_id=chain) for _ in range(2))
    assert (first.seq, first.prev_hash, second.seq, second.prev_hash) == (1, GENESIS_HASH, 2, first.hash)
    assert AuditChainHead.objects.get(chain_key=str(chain)).hash == second.hash == event_digest(second)


def test_seals_still_verify_after_the_secret_key_is_rotated_and_fail_without_the_old_key(signed_note, settings):
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key-for-the-server", [old]
    assert verify_audit_log().ok
    settings.SECRET_KEY_FALLBACKS = []
    result = verify_audit_log()
    assert not result.ok and "seal does not hold" in result.first_break.reason


def test_a_seal_key_of_its_own_seals_new_rows_and_the_old_key_verifies_the_old_ones(signed_note, settings, practitioner):
    settings.AUDIT_SEAL_KEY, settings.AUDIT_SEAL_KEY_FALLBACKS = "a-seal-key-kept-apart", [settings.SECRET_KEY]
    audit_read(actor=practitioner, object_type="patient", patient_id=signed_note.encounter.patient_id)
    assert verify_audit_log().ok
    settings.AUDIT_SEAL_KEY_FALLBACKS = []  # the rows sealed before it no longer verify
    assert not verify_audit_log().ok
