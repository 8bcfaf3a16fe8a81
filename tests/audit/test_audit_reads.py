"""Several reads recorded at once (a list showing many patients) chain exactly as single reads do."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from needlechart.audit.digests import event_digest
from needlechart.audit.models import GENESIS_HASH, AuditAction, AuditChainHead, AuditEvent
from needlechart.audit.services import audit_read, audit_reads
from needlechart.audit.verify import verify_audit_log
from tests.audit.lanes import first_lane_held


def test_reads_recorded_together_follow_one_another_in_the_chain_and_verify(practitioner, patient):
    first = audit_read(actor=practitioner, object_type="patient", patient_id=patient.pk)
    events = audit_reads(
        actor=practitioner,
        action=AuditAction.SEARCH,
        object_type="patient",
        reads=[(patient.pk, {"ids": [str(patient.pk)]}), (None, {"ids": []}), (patient.pk, {"ids": ["x"]})],
    )
    stored = list(AuditEvent.objects.filter(chain_key=first.chain_key, seq__gt=first.seq).order_by("seq"))
    assert [(e.seq, e.prev_hash, e.hash) for e in stored] == [(e.seq, e.prev_hash, e.hash) for e in events]
    assert [e.seq for e in stored] == [first.seq + 1, first.seq + 2, first.seq + 3]
    assert [e.prev_hash for e in stored] == [first.hash, stored[0].hash, stored[1].hash]
    assert all(e.hash == event_digest(e) for e in stored)
    assert [(e.action, e.patient_id, e.detail["ids"]) for e in stored] == [
        ("search", patient.pk, [str(patient.pk)]),
        ("search", None, []),
        ("search", patient.pk, ["x"]),
    ]
    head = AuditChainHead.objects.get(chain_key=first.chain_key)
    assert (head.seq, head.hash) == (stored[-1].seq, stored[-1].hash)
    assert verify_audit_log().ok


def test_a_single_read_after_reads_recorded_together_continues_the_chain(practitioner, patient):
    events = audit_reads(actor=practitioner, action=AuditAction.SEARCH, object_type="patient", reads=[(patient.pk, {}), (patient.pk, {})])
    after = audit_read(actor=practitioner, object_type="patient", patient_id=patient.pk)
    assert (after.seq, after.prev_hash) == (events[-1].seq + 1, events[-1].hash)
    assert verify_audit_log().ok


@pytest.mark.django_db(transaction=True)
def test_reads_recorded_together_take_a_free_lane_and_interleave_with_single_reads(clinic, practitioner, patient):
    """PostgreSQL: a batch locks one lane for its short transaction; while another connection holds
    the first lane the batch goes to the next one at once, and batches and single reads from several
    threads leave every lane unbroken. SQLite has one lane and one writer at a time."""
    if connection.vendor != "postgresql":
        events = audit_reads(actor=practitioner, action=AuditAction.SEARCH, object_type="patient", reads=[(patient.pk, {})] * 3)
        assert {e.chain_key for e in events} == {str(clinic.pk)} and verify_audit_log().ok
        return
    audit_read(actor=practitioner, object_type="patient", patient_id=patient.pk)  # the first lane exists
    with first_lane_held(str(clinic.pk)):
        batch = audit_reads(actor=practitioner, action=AuditAction.SEARCH, object_type="patient", reads=[(patient.pk, {})] * 3)
    assert [(e.chain_key, e.seq) for e in batch] == [(f"{clinic.pk}/1", 1), (f"{clinic.pk}/1", 2), (f"{clinic.pk}/1", 3)]
    assert batch[0].prev_hash == GENESIS_HASH and all(e.hash == event_digest(e) for e in batch)

    def append(n):
        try:
            for i in range(6):
                if (n + i) % 2:
                    reads = [(patient.pk, {"n": n, "i": i})] * 4
                    audit_reads(actor=practitioner, action=AuditAction.SEARCH, object_type="patient", reads=reads)
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
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in lanes.values())  # each lane unbroken
    assert sum(map(len, lanes.values())) == AuditEvent.objects.filter(clinic_id=clinic.pk).count()
    for key, seqs in lanes.items():
        head = AuditChainHead.objects.get(chain_key=key)
        assert head.seq == seqs[-1]
    assert verify_audit_log().ok
