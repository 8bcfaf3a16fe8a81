"""audit_reads writes its rows' canonical JSON once for the batch (audit.read_batch.ReadBatch): each row's
hash and seal must be exactly what event_digest and seal_of give for it, whatever its detail holds."""

from __future__ import annotations

import uuid

import pytest

from needlechart.audit.context import current_client_ip, current_detail
from needlechart.audit.digests import event_digest, sealed_content
from needlechart.audit.models import AuditAction, AuditEvent
from needlechart.audit.seals import seal_holds, seal_of
from needlechart.audit.services import audit_reads
from needlechart.audit.verify import verify_audit_log

AWKWARD = [
    {"ids": ['a"b', "c\\d", "\u00f8\u00e6\u00e5", "\u2028"], "z": 1, "a": {"y": [1.5, None, True], "b": "\x01\t"}},
    {},
    {"ids": [], "note": "</script>", "n": 2.5},
    {"\u00e5": "key sorted as text", "A": "upper first"},
]


@pytest.fixture
def request_context():
    tokens = current_client_ip.set("203.0.113.9"), current_detail.set({"client": "System \u00e9", "scope": "demographics:read"})
    yield
    current_client_ip.reset(tokens[0])
    current_detail.reset(tokens[1])


@pytest.mark.parametrize("first_patient", [True, False])
def test_each_row_of_a_batch_hashes_and_seals_as_a_single_row_would(request_context, practitioner, patient, first_patient):
    patients = [patient.pk if first_patient else None, None, patient.pk, uuid.UUID(int=7)]
    reads = list(zip(patients, AWKWARD, strict=True))
    events = audit_reads(actor=practitioner, action=AuditAction.SEARCH, object_type="patient", reads=reads)
    stored = {e.seq: e for e in AuditEvent.objects.filter(chain_key=events[0].chain_key)}
    for event, (patient_id, detail) in zip(events, reads, strict=True):
        row = stored[event.seq]
        assert row.detail == {"client": "System \u00e9", "scope": "demographics:read", **detail} == event.detail
        assert (row.patient_id, row.ip, row.actor_id, row.action) == (patient_id, "203.0.113.9", practitioner.pk, "search")
        assert row.hash == event.hash == event_digest(row) == event_digest(event)
        assert row.seal == event.seal == seal_of(sealed_content(row)) and seal_holds(sealed_content(row), row.seal)
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert len({e.seal for e in events}) == len(events)
    assert verify_audit_log().ok


def test_a_batch_of_one_and_an_empty_batch(practitioner, patient):
    (event,) = audit_reads(actor=practitioner, action=AuditAction.SEARCH, object_type="patient", reads=[(patient.pk, AWKWARD[0])])
    assert AuditEvent.objects.get(chain_key=event.chain_key, seq=event.seq).hash == event_digest(event)
    assert audit_reads(actor=practitioner, action=AuditAction.SEARCH, object_type="patient", reads=[]) == []
    assert AuditEvent.objects.filter(chain_key=event.chain_key, action=AuditAction.SEARCH).count() == 1
    assert verify_audit_log().ok
