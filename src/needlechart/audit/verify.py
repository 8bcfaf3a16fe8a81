"""Checking the audit chains end to end."""

from __future__ import annotations

from dataclasses import dataclass

from needlechart.audit.digests import event_digest, sealed_content
from needlechart.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from needlechart.audit.seals import seal_holds


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


def _verify_chain(head: AuditChainHead) -> tuple[int, ChainBreak | None]:
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    seals: set[bytes] = set()
    rows = AuditEvent.objects.filter(chain_key=head.chain_key).order_by("seq").iterator(chunk_size=5000)
    for event in rows:
        count += 1
        if event.seq != expected_seq:
            reason = f"expected sequence {expected_seq}: a row is missing or was inserted"
            return count, ChainBreak(head.chain_key, expected_seq, event.id, reason)
        if event.prev_hash != prev_hash:
            return count, ChainBreak(head.chain_key, event.seq, event.id, "link to the previous row is broken")
        if event_digest(event) != event.hash:
            return count, ChainBreak(head.chain_key, event.seq, event.id, "content does not match its hash (altered)")
        if problem := _seal_problem(event, seals):
            return count, ChainBreak(head.chain_key, event.seq, event.id, problem)
        prev_hash = event.hash
        expected_seq += 1
    if head.seq != expected_seq - 1 or head.hash != prev_hash:
        return count, ChainBreak(
            head.chain_key, expected_seq, None, f"the chain should end at sequence {head.seq}: rows were removed from its end"
        )
    return count, None


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
