"""A list's read is ONE sealed, chained event for the call (audit_list_read), naming every patient it
showed in its detail and, in AuditSubject rows, for each patient's access log; the subject rows are
append-only as events are, and verify-audit holds them to the sealed detail."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from needlechart.audit.digests import event_digest
from needlechart.audit.models import GENESIS_HASH, AuditAction, AuditChainHead, AuditEvent, AuditSubject
from needlechart.audit.selectors import patient_access_log_disclosed, patient_access_report, shown_of
from needlechart.audit.services import audit_list_read, audit_read, patient_record_read
from needlechart.audit.verify import verify_audit_log
from needlechart.core.db_triggers import immutability_lifted
from needlechart.patients import services as patients
from tests.audit.lanes import first_lane_held

REFUSED = (DatabaseError, IntegrityError)


@pytest.fixture
def second_patient(front_desk):
    return patients.patient_create(
        actor=front_desk,
        data={"given_name": "Ola", "family_name": "Hansen", "birth_date": dt.date(1990, 1, 2), "phone": "+47 91111111"},
        identifiers=[],
    )


def _db_uuid(value: uuid.UUID) -> object:
    return value.hex if connection.vendor == "sqlite" else value


def _list_read(actor, shown, **detail):
    return audit_list_read(actor=actor, object_type="patient", shown=shown, detail=detail or None)


def test_a_list_is_one_chained_sealed_event_naming_each_patient_and_what_was_shown_of_them(practitioner, patient, second_patient):
    before = audit_read(actor=practitioner, object_type="patient", patient_id=patient.pk)
    first, second = sorted([patient.pk, second_patient.pk], key=str)
    event = _list_read(practitioner, {second: ["b", "a"], first: [first]}, name="kari")
    stored = AuditEvent.objects.get(chain_key=event.chain_key, seq=event.seq)
    assert (stored.seq, stored.prev_hash, stored.hash) == (before.seq + 1, before.hash, event_digest(stored))
    assert stored.patient_id is None and stored.action == AuditAction.SEARCH and stored.clinic_id == practitioner.clinic_id
    # Patients in their ids' order, each one's records sorted: the same list however it came.
    assert stored.detail == {"name": "kari", "shown": [[str(first), [str(first)]], [str(second), ["a", "b"]]]}
    subjects = AuditSubject.objects.filter(event_id=stored.pk).order_by("patient_id")
    assert sorted((s.patient_id, s.clinic_id) for s in subjects) == sorted(
        [(patient.pk, practitioner.clinic_id), (second_patient.pk, practitioner.clinic_id)]
    )
    head = AuditChainHead.objects.get(chain_key=stored.chain_key)
    assert (head.seq, head.hash) == (stored.seq, stored.hash)
    assert verify_audit_log().ok


def test_a_list_that_showed_no_patient_writes_an_event_and_no_subject(practitioner):
    event = _list_read(practitioner, {}, ids=["staff-1"])
    stored = AuditEvent.objects.get(chain_key=event.chain_key, seq=event.seq)
    assert stored.detail == {"ids": ["staff-1"], "shown": []} and not AuditSubject.objects.filter(event_id=stored.pk).exists()
    assert verify_audit_log().ok


def test_each_patients_access_log_finds_the_lists_that_showed_them_and_only_those(
    practitioner, clinic_admin, patient, second_patient, other_practitioner
):
    shown_both = _list_read(practitioner, {patient.pk: [patient.pk], second_patient.pk: [second_patient.pk]})
    opened = audit_read(actor=practitioner, object_type="patient", patient_id=second_patient.pk)
    shown_one = _list_read(practitioner, {patient.pk: ["visit-1"]})
    # Another clinic's list naming the same id does not enter this clinic's log.
    _list_read(other_practitioner, {patient.pk: [patient.pk]})

    def seqs(rows):
        return [(e.chain_key, e.seq) for e in rows]

    report = seqs(patient_access_report(user=clinic_admin, patient_id=patient.pk))
    assert report[:2] == [(shown_one.chain_key, shown_one.seq), (shown_both.chain_key, shown_both.seq)]
    assert all(key == str(practitioner.clinic_id) for key, _ in report)
    assert (opened.chain_key, opened.seq) not in report
    second = seqs(patient_access_report(user=clinic_admin, patient_id=second_patient.pk))
    assert second[:2] == [(opened.chain_key, opened.seq), (shown_both.chain_key, shown_both.seq)]
    assert (shown_one.chain_key, shown_one.seq) not in second
    disclosed = seqs(patient_access_log_disclosed(user=practitioner, patient_id=patient.pk))
    assert disclosed == list(reversed(report))


def test_what_a_list_showed_of_one_patient_names_that_patient_only(practitioner, patient, second_patient):
    event = _list_read(practitioner, {patient.pk: ["v1", "v2"], second_patient.pk: ["v3"]})
    assert shown_of(event, patient.pk) == ["v1", "v2"]
    assert shown_of(event, second_patient.pk) == ["v3"]
    assert shown_of(event, uuid.uuid4()) == []
    single = audit_read(actor=practitioner, object_type="patient", patient_id=patient.pk, detail={"ids": ["x"]})
    assert shown_of(single, patient.pk) == []


def test_the_read_signal_goes_once_a_list_naming_each_patient(practitioner, patient, second_patient):
    heard = []

    def listen(sender, actor, event, patient_ids, **kwargs):
        heard.append((actor.pk, event.seq, sorted(patient_ids, key=str)))

    patient_record_read.connect(listen, dispatch_uid="test_list_reads")
    try:
        event = _list_read(practitioner, {patient.pk: [], second_patient.pk: []})
        _list_read(practitioner, {})
    finally:
        patient_record_read.disconnect(dispatch_uid="test_list_reads")
    assert heard == [(practitioner.pk, event.seq, sorted([patient.pk, second_patient.pk], key=str))]  # none for the empty list


# --- append-only, as the events are --------------------------------------------------------


def test_the_orm_refuses_to_change_or_delete_subject_rows(practitioner, patient):
    _list_read(practitioner, {patient.pk: []})
    subject = AuditSubject.objects.get()
    with pytest.raises(PermissionError):
        subject.save()
    with pytest.raises(PermissionError):
        subject.delete()
    with pytest.raises(PermissionError):
        AuditSubject.objects.filter(pk=subject.pk).update(patient_id=uuid.uuid4())
    with pytest.raises(PermissionError):
        AuditSubject.objects.all().delete()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditsubject SET patient_id = clinic_id",
        "DELETE FROM audit_auditsubject",
    ],
)
def test_the_database_refuses_raw_changes_to_subject_rows(practitioner, patient, statement):
    _list_read(practitioner, {patient.pk: []})
    with pytest.raises(REFUSED), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditSubject.objects.filter(patient_id=patient.pk).count() == 1


def test_a_subject_row_cannot_be_replaced(practitioner, patient, second_patient):
    """SQLite's INSERT OR REPLACE deletes the row it clashes with without its DELETE trigger;
    PostgreSQL's ON CONFLICT DO UPDATE is an update. Both are refused."""
    _list_read(practitioner, {patient.pk: []})
    subject = AuditSubject.objects.get()
    columns = "id, event_id, clinic_id, patient_id"
    copy = f"INSERT INTO audit_auditsubject ({columns}) SELECT id, event_id, clinic_id, %s FROM audit_auditsubject WHERE id = %s"  # noqa: S608
    if connection.vendor == "sqlite":
        statement = copy.replace("INSERT INTO", "INSERT OR REPLACE INTO", 1)
    else:
        statement = f"{copy} ON CONFLICT (id) DO UPDATE SET patient_id = EXCLUDED.patient_id"
    with pytest.raises(REFUSED), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [_db_uuid(second_patient.pk), subject.pk])
    assert AuditSubject.objects.get().patient_id == patient.pk


def test_the_database_refuses_to_empty_the_subject_table(practitioner, patient):
    """PostgreSQL's TRUNCATE (no row trigger fires for it: a statement trigger refuses it); SQLite has none, its DELETE is refused."""
    _list_read(practitioner, {patient.pk: []})
    statement = "TRUNCATE audit_auditsubject" if connection.vendor == "postgresql" else "DELETE FROM audit_auditsubject WHERE id > 0"
    with pytest.raises(REFUSED), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditSubject.objects.count() == 1


def test_an_event_with_subject_rows_cannot_be_deleted_even_without_its_guard(practitioner, patient):
    """on_delete=PROTECT: the event a subject row names stays (its own guard aside)."""
    event = _list_read(practitioner, {patient.pk: []})
    lifted = immutability_lifted(connection, {"audit_auditevent": "always"})
    with lifted, pytest.raises(REFUSED), transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # Django's foreign keys are checked at the commit: now instead
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("DELETE FROM audit_auditevent WHERE chain_key = %s AND seq = %s", [event.chain_key, event.seq])
        if connection.vendor == "sqlite":  # SQLite checks deferred foreign keys at the commit: ask now
            cursor.execute("PRAGMA foreign_key_check")
            if cursor.fetchall():
                raise IntegrityError("foreign key")
    assert AuditEvent.objects.filter(chain_key=event.chain_key, seq=event.seq).exists()


# --- verify-audit: the subject rows are exactly the patients the sealed detail names ----------


def _tamper(statement: str, params: list) -> None:
    """Someone with raw database access, who removed the subject rows' guard first."""
    with immutability_lifted(connection, {"audit_auditsubject": "always"}), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def listed(practitioner, patient, second_patient):
    """Two lists, the first naming both patients, the second the first patient; then a plain read."""
    first = _list_read(practitioner, {patient.pk: [patient.pk], second_patient.pk: [second_patient.pk]})
    second = _list_read(practitioner, {patient.pk: ["visit"]})
    audit_read(actor=practitioner, object_type="patient", patient_id=patient.pk)
    assert verify_audit_log().ok
    ids = {e.seq: e.pk for e in AuditEvent.objects.filter(chain_key=first.chain_key, seq__in=[first.seq, second.seq])}
    return ids[first.seq], ids[second.seq]


def test_a_removed_subject_row_is_detected_at_its_event(listed, second_patient):
    first, _ = listed
    _tamper("DELETE FROM audit_auditsubject WHERE event_id = %s AND patient_id = %s", [first, _db_uuid(second_patient.pk)])
    result = verify_audit_log()
    assert not result.ok and result.first_break.event_id == first and "no subject row" in result.first_break.reason


def test_an_added_subject_row_is_detected_at_its_event(listed, clinic, front_desk):
    _, second = listed
    hidden = uuid.uuid4()
    _tamper(
        "INSERT INTO audit_auditsubject (event_id, clinic_id, patient_id) VALUES (%s, %s, %s)",
        [second, _db_uuid(clinic.pk), _db_uuid(hidden)],
    )
    result = verify_audit_log()
    assert not result.ok and result.first_break.event_id == second and str(hidden) in result.first_break.reason


def test_an_added_subject_row_on_a_single_patients_event_is_detected(listed, clinic, patient, second_patient):
    """Pinning a patient onto an event that names none in a list (a plain read of another patient)."""
    plain = AuditEvent.objects.filter(clinic_id=clinic.pk, patient_id=patient.pk).order_by("-seq").first()
    _tamper(
        "INSERT INTO audit_auditsubject (event_id, clinic_id, patient_id) VALUES (%s, %s, %s)",
        [plain.pk, _db_uuid(clinic.pk), _db_uuid(second_patient.pk)],
    )
    result = verify_audit_log()
    assert not result.ok and result.first_break.event_id == plain.pk


def test_an_altered_subject_row_is_detected(listed, second_patient):
    first, _ = listed
    _tamper(
        "UPDATE audit_auditsubject SET patient_id = %s WHERE event_id = %s AND patient_id = %s",
        [_db_uuid(uuid.uuid4()), first, _db_uuid(second_patient.pk)],
    )
    result = verify_audit_log()
    assert not result.ok and result.first_break.event_id == first


def test_a_subject_row_moved_to_another_clinic_is_detected(listed, other_clinic, second_patient):
    first, _ = listed
    _tamper(
        "UPDATE audit_auditsubject SET clinic_id = %s WHERE event_id = %s AND patient_id = %s",
        [_db_uuid(other_clinic.pk), first, _db_uuid(second_patient.pk)],
    )
    result = verify_audit_log()
    assert not result.ok and result.first_break.event_id == first and "another clinic" in result.first_break.reason


def test_a_subject_row_re_pointed_to_another_event_is_detected(listed, second_patient):
    """Moving the second patient's appearance from the first list to the second: the first list now
    misses it (and the second would name a patient its detail does not)."""
    first, second = listed
    _tamper(
        "UPDATE audit_auditsubject SET event_id = %s WHERE event_id = %s AND patient_id = %s",
        [second, first, _db_uuid(second_patient.pk)],
    )
    result = verify_audit_log()
    assert not result.ok and result.first_break.event_id == first


def test_old_per_patient_rows_and_plain_reads_stay_valid(practitioner, patient):
    """Rows written before lists had one event (a search row per patient, its detail's ids) verify as they did."""
    audit_read(
        actor=practitioner, action=AuditAction.SEARCH, object_type="patient", patient_id=patient.pk, detail={"ids": [str(patient.pk)]}
    )
    assert verify_audit_log().ok


# --- lanes (PostgreSQL) ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_list_reads_take_a_free_lane_and_interleave_with_single_reads(clinic, practitioner, patient):
    """PostgreSQL: a list's event and its subject rows are written in one short transaction; while
    another connection holds the first lane the event goes to the next one at once, and lists and
    single reads from several threads leave every lane unbroken and every subject row in place.
    SQLite has one lane and one writer at a time."""
    if connection.vendor != "postgresql":
        event = _list_read(practitioner, {patient.pk: []})
        assert event.chain_key == str(clinic.pk) and verify_audit_log().ok
        return
    audit_read(actor=practitioner, object_type="patient", patient_id=patient.pk)  # the first lane exists
    with first_lane_held(str(clinic.pk)):
        event = _list_read(practitioner, {patient.pk: []})
    assert (event.chain_key, event.seq, event.prev_hash) == (f"{clinic.pk}/1", 1, GENESIS_HASH)
    assert AuditSubject.objects.filter(event__chain_key=event.chain_key, event__seq=1, patient_id=patient.pk).exists()
    others = [uuid.uuid4() for _ in range(3)]

    def append(n):
        try:
            for i in range(6):
                if (n + i) % 2:
                    _list_read(practitioner, {patient.pk: [n], others[i % 3]: [i]}, n=n, i=i)
                else:
                    audit_read(actor=practitioner, object_type="patient", patient_id=patient.pk, detail={"n": n, "i": i})
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lanes: dict[str, list[int]] = {}
    for key, seq in AuditEvent.objects.filter(clinic_id=clinic.pk).order_by("seq").values_list("chain_key", "seq"):
        lanes.setdefault(key, []).append(seq)
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in lanes.values())
    assert AuditSubject.objects.filter(clinic_id=clinic.pk, patient_id=patient.pk).count() == 1 + 12
    assert verify_audit_log().ok


# --- the web patient search ------------------------------------------------------------------


def test_the_web_patient_search_names_each_patient_it_showed_and_their_access_reports_list_it(
    client_for, practitioner, clinic_admin, patient, second_patient
):
    from django.urls import reverse

    client = client_for(practitioner)
    before = AuditEvent.objects.count()
    page = client.get(reverse("patient_list"), {"q": "nordmann"})
    assert page.status_code == 200 and "Nordmann" in page.content.decode()
    [event] = AuditEvent.objects.order_by("pk")[before:]
    assert (event.action, event.object_type, event.patient_id) == ("search", "patient", None)
    assert event.detail == {"results": 1, "shown": [[str(patient.pk), [str(patient.pk)]]]}
    assert list(AuditSubject.objects.filter(event=event).values_list("patient_id", flat=True)) == [patient.pk]
    assert event.pk in {e.pk for e in patient_access_report(user=clinic_admin, patient_id=patient.pk)}
    assert event.pk not in {e.pk for e in patient_access_report(user=clinic_admin, patient_id=second_patient.pk)}
    report = client_for(clinic_admin).get(reverse("patient_access_report", args=[patient.pk]) + "?csv=1")
    lines = b"".join(report.streaming_content).decode().splitlines()
    searched = [line for line in lines if ",search,patient," in line]
    assert searched and all(line.split(",")[6] == str(patient.pk) for line in searched)  # the report's patient, not an empty cell


# --- the FHIR AuditEvent of a list's event ---------------------------------------------------


def test_a_lists_fhir_audit_event_names_each_patient_shown_and_for_one_patient_that_patient_only(
    practitioner, clinic, patient, second_patient
):
    from django.test.utils import CaptureQueriesContext

    from needlechart.audit.selectors import with_subjects
    from needlechart.interop.resources.audit_event import audit_event_resource
    from needlechart.interop.selectors import clinic_audit_events

    event = _list_read(practitioner, {patient.pk: [patient.pk], second_patient.pk: [second_patient.pk]})
    row = with_subjects(AuditEvent.objects.filter(chain_key=event.chain_key, seq=event.seq)).get()
    resource = audit_event_resource(row)  # validated by fhir.resources
    patients_named = [e["what"]["reference"] for e in resource["entity"] if e["what"].get("reference", "").startswith("Patient/")]
    assert patients_named == [f"Patient/{p}" for p in sorted([patient.pk, second_patient.pk], key=str)]
    assert resource["type"]["code"] == "110112" and resource["action"] == "E"
    # Read for one patient's view of the log (a group's export, a search by patient): that patient only.
    mine_row = with_subjects(AuditEvent.objects.filter(chain_key=event.chain_key, seq=event.seq), [patient.pk]).get()
    mine = audit_event_resource(mine_row)
    assert [e["what"].get("reference") for e in mine["entity"] if "reference" in e["what"]] == [f"Patient/{patient.pk}"]
    assert str(second_patient.pk) not in str(mine)
    plain = audit_read(actor=practitioner, object_type="patient", patient_id=patient.pk)
    plain_row = with_subjects(AuditEvent.objects.filter(chain_key=plain.chain_key, seq=plain.seq)).get()
    assert [e["what"].get("reference") for e in audit_event_resource(plain_row)["entity"] if "reference" in e["what"]] == [
        f"Patient/{patient.pk}"
    ]
    # The clinic's export reads the subject rows with the events: one query more, not one a row.
    with CaptureQueriesContext(connection) as queries:
        exported = [audit_event_resource(r, validate=False) for r in clinic_audit_events(clinic.pk)]
    assert len(queries) == 2
    by_id = {r["id"]: r for r in exported}
    assert [e["what"].get("reference") for e in by_id[str(row.pk)]["entity"] if "reference" in e["what"]] == patients_named


# --- the detail's canonical JSON written once (digests.with_detail) --------------------------

AWKWARD = [
    {"ids": ['a"b', "c\\d", "\u00f8\u00e6\u00e5", "\u2028"], "z": 1, "a": {"y": [1.5, None, True], "b": "\x01\t"}},
    {},
    {"note": "</script>", "n": 2.5, "detail": "a key named as the digest's"},
    {"\u00e5": "key sorted as text", "A": "upper first", "stand_in": "\\u0000detail\\u0000"},  # jsonb holds no NUL
]


@pytest.mark.parametrize("extra", AWKWARD)
def test_a_row_written_from_its_details_json_hashes_seals_and_stores_as_the_verifier_recomputes(practitioner, patient, extra):
    from needlechart.audit.context import current_client_ip, current_detail
    from needlechart.audit.digests import sealed_content
    from needlechart.audit.seals import seal_holds, seal_of

    tokens = current_client_ip.set("203.0.113.9"), current_detail.set({"client": "System \u00e9", "scope": "demographics:read"})
    try:
        listed = _list_read(practitioner, {patient.pk: ["r\u00e9cord", 'q"uote']}, **extra)
        single = audit_read(actor=practitioner, object_type="patient", patient_id=patient.pk, detail=extra)
    finally:
        current_client_ip.reset(tokens[0])
        current_detail.reset(tokens[1])
    for event in (listed, single):
        row = AuditEvent.objects.get(chain_key=event.chain_key, seq=event.seq)
        assert row.detail == event.detail and row.detail["client"] == "System \u00e9"
        assert row.hash == event.hash == event_digest(row)  # recomputed from the stored row, its detail written anew
        assert row.seal == event.seal == seal_of(sealed_content(row)) and seal_holds(sealed_content(row), row.seal)
    assert verify_audit_log().ok
