"""What an audit row's hash and seal are taken over: its content as canonical JSON (the verifier
recomputes both from the stored row), and that JSON cut into pieces around the values the database
or a batch fills in."""

from __future__ import annotations

from typing import Any

from needlechart.audit.models import AuditEvent
from needlechart.core.canonical import canonical_json, sha256_hex


def _digest_content(event: AuditEvent, *, with_seal: bool = True) -> dict[str, Any]:
    content = {
        "chain": event.chain_key,
        "seq": event.seq,
        "at": event.at.isoformat(),
        "clinic": str(event.clinic_id) if event.clinic_id else None,
        "actor": event.actor_id,
        "username": event.actor_username,
        "role": event.actor_role,
        "patient": str(event.patient_id) if event.patient_id else None,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "ip": event.ip,
        "detail": event.detail,
        "prev": event.prev_hash,
    }
    if with_seal and event.seal:  # rows from before seals hash as they always did
        content["seal"] = event.seal
    return content


def sealed_content(event: AuditEvent) -> dict[str, Any]:
    """What the row's seal covers (seals.py takes the lane, sequence and link off it)."""
    return _digest_content(event, with_seal=False)


def event_digest(event: AuditEvent) -> str:
    """The hash of one row: its own content plus the previous row's hash."""
    return sha256_hex(canonical_json(_digest_content(event)))


def json_segments(keys: list[str], fixed: dict[str, str], slots: tuple[str, ...]) -> tuple[str, ...]:
    """The canonical JSON of a flat object with ``keys`` (``fixed``: the JSON of each value but the
    slots'), cut at the values of ``slots`` (in sorted order): the literal text before each slot's
    value, and the text after the last. ``joined`` puts the slots' JSON back in."""
    segments, text = [], "{"
    for i, key in enumerate(sorted(keys)):
        text += f"{',' if i else ''}{canonical_json(key)}:"
        if key in slots:
            segments.append(text)
            text = ""
        else:
            text += fixed[key]
    return (*segments, text + "}")


def joined(segments: tuple[str, ...], values: tuple[str, ...]) -> str:
    return "".join([piece for pair in zip(segments, values, strict=False) for piece in pair]) + segments[-1]


_CHAINED = ("chain", "prev", "seq")  # the digest's keys whose values the database fills in on PostgreSQL, in sorted order
# Written where those values go, to cut the JSON written once into pieces.
_STAND_IN = {key: f"\x00{key}\x00" for key in _CHAINED}


def digest_pieces(event: AuditEvent) -> list[str]:
    """The canonical JSON that event_digest() hashes, in four pieces around the values of
    "chain", "prev" and "seq", for the database to join with the lane it takes and that lane's
    hash and next number. Chain keys and hashes are plain ASCII, so quotes make their JSON."""
    content = _digest_content(event)
    text = canonical_json(content | _STAND_IN)  # once: it is written on every page view
    marks = [f"{canonical_json(key)}:{canonical_json(_STAND_IN[key])}" for key in _CHAINED]
    if all(text.count(mark) == 1 for mark in marks):  # canonical_json sorts the keys: the marks come in _CHAINED's order
        pieces = []
        for key, mark in zip(_CHAINED, marks, strict=True):
            before, text = text.split(mark, 1)
            pieces.append(f"{before}{canonical_json(key)}:")
        return [*pieces, text]
    fixed = {key: canonical_json(value) for key, value in content.items() if key not in _CHAINED}  # a detail holds a stand-in
    return list(json_segments(list(content), fixed, _CHAINED))
