"""The rows of audit_reads (a list showing many patients), built and hashed from canonical JSON
written once for the batch."""

from __future__ import annotations

import hmac
import uuid
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.base import ModelState
from django.utils import timezone

from needlechart.audit.digests import joined, json_segments, sealed_content
from needlechart.audit.models import AuditEvent
from needlechart.audit.seals import base_chain, current_key
from needlechart.core.canonical import canonical_json, sha256_hex

# Several reads at once (audit_reads: a list showing fifty patients) share every value of their rows
# but the time, the patient and the detail. Their canonical JSON, which the seal and the hash are
# taken over, is therefore written once for the batch around those values: canonical_json of a flat
# dict is its keys in sorted order, each with its value's canonical_json, so joining the pieces gives
# the same bytes as canonical_json of each row's whole content (tests/audit/test_audit_reads_json.py
# compares them, and the verifier recomputes every hash and seal with event_digest and seal_of).
_BATCH_VARIES = ("at", "detail", "patient")  # the row's own values; the chained ones are the lane's
_DIGEST_SLOTS = ("at", "chain", "detail", "patient", "prev", "seal", "seq")


class ReadBatch:
    """The rows of audit_reads: each an AuditEvent as _new_event makes it (the same values, sealed),
    with the canonical JSON of its time, detail and patient kept for its hash (``digest``)."""

    def __init__(self, first: AuditEvent) -> None:
        content = sealed_content(first)
        fixed = {key: canonical_json(value) for key, value in content.items() if key not in _BATCH_VARIES}
        self.chain_key = first.chain_key
        sealed_keys = [key for key in content if key not in ("seq", "prev")]  # seals._sealed_text's: the clinic's chain, no place in it
        self._seal_segments = json_segments(sealed_keys, fixed | {"chain": canonical_json(base_chain(first.chain_key))}, _BATCH_VARIES)
        self._digest_segments = json_segments([*content, "seal"], fixed, _DIGEST_SLOTS)
        self._template = {name: value for name, value in first.__dict__.items() if name != "_state"}
        self._key = current_key()  # seal_of's key
        self._lane, self._lane_json = "", ""  # the lane the rows are placed on, and its JSON
        # Each row's at, detail, patient and seal as JSON, the first's too.
        self.values = [
            (
                f'"{first.at.isoformat()}"',
                canonical_json(first.detail),
                f'"{first.patient_id}"' if first.patient_id else "null",
                f'"{first.seal}"',
            )
        ]

    def add(self, patient_id: uuid.UUID | None, detail: dict[str, Any]) -> AuditEvent:
        event = AuditEvent.__new__(AuditEvent)
        event.__dict__ |= self._template  # plain fields only (no relations): what Model.__init__ sets
        event._state = ModelState()
        event.at, event.patient_id, event.detail = timezone.now(), patient_id, detail
        at, patient = f'"{event.at.isoformat()}"', _patient_json(patient_id)
        detail_json = canonical_json(detail)
        event.seal = hmac.new(self._key, joined(self._seal_segments, (at, detail_json, patient)).encode("utf-8"), "sha256").hexdigest()
        self.values.append((at, detail_json, patient, f'"{event.seal}"'))
        return event

    def digest(self, i: int, chain_key: str, prev_hash: str, seq: int) -> str:
        """event_digest of the batch's ``i``th row, placed on ``chain_key`` after ``prev_hash`` as ``seq``."""
        at, detail, patient, seal = self.values[i]
        if chain_key != self._lane:
            self._lane, self._lane_json = chain_key, canonical_json(chain_key)
        text = joined(self._digest_segments, (at, self._lane_json, detail, patient, f'"{prev_hash}"', seal, str(seq)))
        return sha256_hex(text)

    def detail_param(self, i: int, connection: BaseDatabaseWrapper) -> Any:
        """The ``i``th row's detail as the database takes it: its canonical JSON, written once."""
        text = self.values[i][1]
        if connection.vendor == "postgresql":
            from psycopg.types.json import Jsonb  # noqa: PLC0415 - psycopg is there only with PostgreSQL

            return Jsonb(text, dumps=_as_is)
        return text


def _patient_json(patient_id: uuid.UUID | None) -> str:
    """canonical_json of _digest_content's "patient": a uuid's text is plain ASCII."""
    return f'"{patient_id}"' if patient_id else "null"


def _as_is(text: str) -> str:
    return text
