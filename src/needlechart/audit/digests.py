"""What an audit row's hash and seal are taken over: its content as canonical JSON (the verifier
recomputes both from the stored row), and that JSON cut into pieces around the values the database
fills in."""

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


def event_digest(event: AuditEvent, detail_json: str | None = None) -> str:
    """The hash of one row: its own content plus the previous row's hash. ``detail_json``: the
    canonical JSON of the row's detail, when it was written already (``with_detail``)."""
    return sha256_hex(with_detail(_digest_content(event), detail_json))


_DETAIL_STAND_IN = "\x00detail\x00"
_DETAIL_MARK = f'"detail":{canonical_json(_DETAIL_STAND_IN)}'


def with_detail(content: dict[str, Any], detail_json: str | None) -> str:
    """canonical_json(content), its "detail" given as its canonical JSON written once (a list's
    detail names up to fifty patients; its seal, its hash and the stored row each need it). The
    rest is written around a stand-in that no other value can hold twice over: canonical_json of a
    flat object is its keys in sorted order, each with its value's canonical_json, so the text is
    byte for byte what canonical_json(content) gives (the verifier recomputes it so)."""
    if detail_json is None or "detail" not in content:
        return canonical_json(content)
    text = canonical_json(content | {"detail": _DETAIL_STAND_IN})
    if text.count(_DETAIL_MARK) != 1:  # another value holds the stand-in: write it all
        return canonical_json(content)
    return text.replace(_DETAIL_MARK, f'"detail":{detail_json}', 1)


def json_segments(keys: list[str], fixed: dict[str, str], slots: tuple[str, ...]) -> tuple[str, ...]:
    """The canonical JSON of a flat object with ``keys`` (``fixed``: the JSON of each value but the
    slots'), cut at the values of ``slots`` (in sorted order): the literal text before each slot's
    value, and the text after the last."""
    segments, text = [], "{"
    for i, key in enumerate(sorted(keys)):
        text += f"{',' if i else ''}{canonical_json(key)}:"
        if key in slots:
            segments.append(text)
            text = ""
        else:
            text += fixed[key]
    return (*segments, text + "}")


_CHAINED = ("chain", "prev", "seq")  # the digest's keys whose values the database fills in on PostgreSQL, in sorted order
# Written where those values go, to cut the JSON written once into pieces.
_STAND_IN = {key: f"\x00{key}\x00" for key in _CHAINED}


def digest_pieces(event: AuditEvent, detail_json: str | None = None) -> list[str]:
    """The canonical JSON that event_digest() hashes, in four pieces around the values of
    "chain", "prev" and "seq", for the database to join with the lane it takes and that lane's
    hash and next number. Chain keys and hashes are plain ASCII, so quotes make their JSON."""
    content = _digest_content(event)
    text = with_detail(content | _STAND_IN, detail_json)  # once: it is written on every page view
    marks = [f"{canonical_json(key)}:{canonical_json(_STAND_IN[key])}" for key in _CHAINED]
    if all(text.count(mark) == 1 for mark in marks):  # canonical_json sorts the keys: the marks come in _CHAINED's order
        pieces = []
        for key, mark in zip(_CHAINED, marks, strict=True):
            before, text = text.split(mark, 1)
            pieces.append(f"{before}{canonical_json(key)}:")
        return [*pieces, text]
    fixed = {key: canonical_json(value) for key, value in content.items() if key not in _CHAINED}  # a detail holds a stand-in
    return list(json_segments(list(content), fixed, _CHAINED))
