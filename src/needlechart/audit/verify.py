"""Checking the audit chains end to end, and the patients each event names (AuditSubject) against
what its sealed detail says it showed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from needlechart.audit.digests import event_digest, sealed_content
from needlechart.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, AuditSubject
from needlechart.audit.seals import seal_holds
from needlechart.audit.services import SHOWN

CHUNK = 5000


@dataclass(frozen=True)
class ChainBreak:
    chain_key: str
    seq: int
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        row = f"row id {self.event_id}" if self.event_id is not None else "end of chain"
        return f"chain {self.chain_key}: sequence {self.seq} ({row}): {self.reason}"


@dataclass(frozen=True)
class VerifyResult:
    chains: int
    events: int
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _seal_problem(event: AuditEvent, seals: set[bytes]) -> str | None:
    """Why the row's seal does not hold, if it does not. ``seals`` holds the chain's seals so far."""
    if not event.seal:
        # Rows from before seals come first in a chain; one after a sealed row was written around the server.
        return "the row carries no seal: it was not written by the server" if seals else None
    if not seal_holds(sealed_content(event), event.seal):
        return "its seal does not hold: the row was written or altered without the server's key"
    short = bytes.fromhex(event.seal)[:16]
    if short in seals:
        return "it repeats an earlier row's sealed content: a copied row"
    seals.add(short)
    return None


def named_patients(detail: Any) -> set[str]:
    """The patients a list's event names in its detail (``shown``, audit_list_read), as text."""
    shown = detail.get(SHOWN) if isinstance(detail, dict) else None
    if not isinstance(shown, list):
        return set()
    return {str(entry[0]) for entry in shown if isinstance(entry, list) and entry}


def _subject_problem(event: AuditEvent, subjects: list[tuple[uuid.UUID, uuid.UUID | None]]) -> str | None:
    """Why the event's AuditSubject rows are not exactly the patients its sealed detail names, if they are not."""
    named, found = named_patients(event.detail), [str(patient_id) for patient_id, _ in subjects]
    if missing := sorted(named - set(found)):
        return f"its detail names patient {missing[0]}, who has no subject row: a subject row was removed or re-pointed"
    if extra := sorted(set(found) - named):
        return f"a subject row names patient {extra[0]}, whom its detail does not name: a subject row was added or altered"
    if any(clinic_id != event.clinic_id for _, clinic_id in subjects):
        return "a subject row is of another clinic than the event: it was altered"
    return None


def _chunks(rows: Iterable[AuditEvent]) -> Iterator[list[AuditEvent]]:
    chunk: list[AuditEvent] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _subjects(chain_key: str, events: list[AuditEvent]) -> dict[int, list[tuple[uuid.UUID, uuid.UUID | None]]]:
    """The subject rows of a chunk of the chain's events (their ids' range, joined to the chain), by event."""
    ids = [event.id for event in events]
    rows = AuditSubject.objects.filter(event_id__gte=min(ids), event_id__lte=max(ids), event__chain_key=chain_key)
    by_event: dict[int, list[tuple[uuid.UUID, uuid.UUID | None]]] = {}
    for event_id, patient_id, clinic_id in rows.values_list("event_id", "patient_id", "clinic_id"):
        by_event.setdefault(event_id, []).append((patient_id, clinic_id))
    return by_event


def _verify_chain(head: AuditChainHead) -> tuple[int, ChainBreak | None]:
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    seals: set[bytes] = set()
    rows = AuditEvent.objects.filter(chain_key=head.chain_key).order_by("seq").iterator(chunk_size=CHUNK)
    for chunk in _chunks(rows):
        subjects = _subjects(head.chain_key, chunk)
        for event in chunk:
            count += 1
            if problem := _event_problem(head, event, expected_seq, prev_hash, seals, subjects.get(event.id, [])):
                return count, problem
            prev_hash = event.hash
            expected_seq += 1
    if head.seq != expected_seq - 1 or head.hash != prev_hash:
        return count, ChainBreak(
            head.chain_key, expected_seq, None, f"the chain should end at sequence {head.seq}: rows were removed from its end"
        )
    return count, None


def _event_problem(
    head: AuditChainHead,
    event: AuditEvent,
    expected_seq: int,
    prev_hash: str,
    seals: set[bytes],
    subjects: list[tuple[uuid.UUID, uuid.UUID | None]],
) -> ChainBreak | None:
    """Why one event does not hold in its place of the chain, if it does not: its number, link,
    hash, seal, and then its subject rows (the detail they are checked against is sealed)."""
    if event.seq != expected_seq:
        reason = f"expected sequence {expected_seq}: a row is missing or was inserted"
        return ChainBreak(head.chain_key, expected_seq, event.id, reason)
    if event.prev_hash != prev_hash:
        return ChainBreak(head.chain_key, event.seq, event.id, "link to the previous row is broken")
    if event_digest(event) != event.hash:
        return ChainBreak(head.chain_key, event.seq, event.id, "content does not match its hash (altered)")
    if problem := _seal_problem(event, seals) or _subject_problem(event, subjects):
        return ChainBreak(head.chain_key, event.seq, event.id, problem)
    return None


def verify_audit_log() -> VerifyResult:
    """Verify every chain; report the first row that does not hold."""
    heads = list(AuditChainHead.objects.order_by("chain_key"))
    known = {h.chain_key for h in heads}
    orphan = AuditEvent.objects.exclude(chain_key__in=known).order_by("id").first()
    total = 0
    for head in heads:
        count, problem = _verify_chain(head)
        total += count
        if problem:
            return VerifyResult(len(heads), total, problem)
    if orphan is not None:
        return VerifyResult(len(heads), total, ChainBreak(orphan.chain_key, orphan.seq, orphan.id, "row belongs to no known chain"))
    return VerifyResult(len(heads), total, None)
