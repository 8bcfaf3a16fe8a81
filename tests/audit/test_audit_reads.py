"""Several reads recorded at once (a list showing many patients) chain exactly as single reads do."""

from __future__ import annotations

from needlechart.audit.models import AuditAction, AuditChainHead, AuditEvent
from needlechart.audit.services import audit_read, audit_reads, event_digest
from needlechart.audit.verify import verify_audit_log


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
