"""The tamper matrix: what someone who can write to the database can do to the audit log and the
signed record, and what reveals it: the rows' keyed seals (a row written or rewritten around the
server) and the checkpoints signed outside the database (rows, chains and signed records removed
or re-signed). Each case is one that `verify-audit --checkpoints` must report."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from needlechart.audit.checkpoints import append_checkpoint, new_key_file, parse_public_key, public_key_text, verify_checkpoints
from needlechart.audit.digests import event_digest
from needlechart.audit.models import AuditChainHead, AuditEvent
from needlechart.audit.verify import verify_audit_log
from needlechart.charting.models import Note
from needlechart.core.canonical import canonical_json, sha256_hex
from needlechart.core.db_triggers import immutability_lifted


@pytest.fixture
def key(tmp_path):
    return new_key_file(tmp_path / "checkpoint.key")


@pytest.fixture
def log(tmp_path, signed_note, key):
    """A checkpoint taken after a signed visit."""
    path = tmp_path / "checkpoints.jsonl"
    append_checkpoint(path, key)
    return path


def _chain(note) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(chain_key=str(note.clinic_id)).order_by("seq"))


def _sql(statement: str, params: list) -> None:
    with immutability_lifted(connection), connection.cursor() as cursor:
        cursor.execute(statement, params)


def _rechain_from(events: list[AuditEvent], start: int) -> None:
    """Recompute every hash from ``events[start]`` on and move the head: the chain is consistent again."""
    previous = events[start - 1].hash if start else "0" * 64
    for event in events[start:]:
        event.prev_hash = previous
        event.hash = event_digest(event)
        _sql(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s, action = %s WHERE id = %s",
            [event.prev_hash, event.hash, event.action, event.id],
        )
        previous = event.hash
    last = events[-1]
    _sql("UPDATE audit_auditchainhead SET seq = %s, hash = %s WHERE chain_key = %s", [last.seq, last.hash, last.chain_key])


def _problems(log, key) -> list[str]:
    """What `verify-audit --checkpoints` reports: the chains' first break, then the checkpoints' findings."""
    chains = verify_audit_log()
    found = [] if chains.ok else [str(chains.first_break)]
    return found + verify_checkpoints(log, parse_public_key(public_key_text(key))).problems


def _append_forged(last: AuditEvent, *, seal: str, **changes) -> None:
    """Append a row after ``last`` as the database alone can: every hash recomputed, the head moved."""
    forged = AuditEvent(**{f.attname: getattr(last, f.attname) for f in AuditEvent._meta.concrete_fields if not f.primary_key})
    for name, value in changes.items():
        setattr(forged, name, value)
    forged.seq, forged.prev_hash, forged.seal = last.seq + 1, last.hash, seal
    forged.hash = event_digest(forged)
    with immutability_lifted(connection):
        forged.save()
    _sql("UPDATE audit_auditchainhead SET seq = %s, hash = %s WHERE chain_key = %s", [forged.seq, forged.hash, forged.chain_key])


def test_an_intact_record_passes_and_later_activity_is_fine(log, key, practitioner, patient, client_for):
    client_for(practitioner).get(f"/patients/{patient.pk}/")
    assert _problems(log, key) == []
    entry = append_checkpoint(log, key)
    assert entry["signed_records"] == []  # nothing signed since the first
    assert _problems(log, key) == []


def test_truncating_a_chain_and_moving_its_head_back_is_revealed(log, key, signed_note):
    events = _chain(signed_note)
    keep = events[:-2]
    _sql("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [events[-1].id, events[-2].id])
    _sql("UPDATE audit_auditchainhead SET seq = %s, hash = %s WHERE chain_key = %s", [keep[-1].seq, keep[-1].hash, keep[-1].chain_key])
    assert any("now ends at" in p for p in _problems(log, key))


def test_rewriting_a_row_and_recomputing_the_chain_is_revealed(log, key, signed_note):
    events = _chain(signed_note)
    events[1].action = "download"
    _rechain_from(events, 1)
    problems = _problems(log, key)
    assert f"sequence {events[1].seq}" in problems[0] and "seal does not hold" in problems[0]
    assert any("is not the one checkpointed" in p for p in problems)


def test_a_forged_append_after_the_last_checkpoint_is_revealed(log, key, signed_note, practitioner):
    last = _chain(signed_note)[-1]
    _append_forged(last, seal="", action="download", object_type="note", actor_id=practitioner.pk)  # unsealed, as before seals
    assert "carries no seal" in _problems(log, key)[0]


def test_a_forged_append_with_a_made_up_seal_is_revealed(log, key, signed_note):
    last = _chain(signed_note)[-1]
    _append_forged(last, seal="ab" * 32, action="download")
    assert "seal does not hold" in _problems(log, key)[0]


def test_a_genuine_row_copied_to_the_end_of_its_chain_is_revealed(log, key, signed_note):
    last = _chain(signed_note)[-1]
    _append_forged(last, seal=last.seal)  # the same content and seal, a later place
    assert "repeats an earlier row" in _problems(log, key)[0]


def test_removing_a_whole_chain_with_its_head_is_revealed(log, key, signed_note):
    chain_key = str(signed_note.clinic_id)
    _sql("DELETE FROM audit_auditevent WHERE chain_key = %s", [chain_key])
    _sql("DELETE FROM audit_auditchainhead WHERE chain_key = %s", [chain_key])
    assert any(f"chain {chain_key}" in p and "gone" in p for p in _problems(log, key))


def test_re_signing_a_note_with_a_recomputed_digest_is_revealed(log, key, signed_note):
    stored = json.loads(signed_note.canonical) | {"plan": "rewritten"}
    canonical = canonical_json(stored)
    note_id = signed_note.pk.hex if connection.vendor == "sqlite" else str(signed_note.pk)
    _sql(
        "UPDATE charting_note SET plan = %s, canonical = %s, digest = %s WHERE id = %s",
        ["rewritten", canonical, sha256_hex(canonical), note_id],
    )
    assert Note.objects.get(pk=signed_note.pk).digest_matches()  # consistent in itself
    assert any(f"note {signed_note.pk}" in p and "digest differs" in p for p in _problems(log, key))


def test_an_altered_or_removed_checkpoint_or_another_key_is_revealed(log, key, tmp_path, signed_note):
    append_checkpoint(log, key)
    append_checkpoint(log, key)
    lines = log.read_text().splitlines()
    altered = json.loads(lines[0]) | {"chains": {}}
    log.write_text("\n".join([json.dumps(altered), *lines[1:]]) + "\n")
    assert any("checkpoint 1: its signature does not hold" in p for p in _problems(log, key))
    log.write_text("\n".join([lines[0], lines[2]]) + "\n")
    assert any("checkpoint 2: it does not follow" in p for p in _problems(log, key))
    log.write_text("\n".join(lines) + "\n")
    other = new_key_file(tmp_path / "other.key")
    assert any("signature does not hold" in p for p in _problems(log, other))


def test_the_commands_write_and_prove_checkpoints(tmp_path, signed_note, capsys):
    key_file, log = tmp_path / "k", tmp_path / "log.jsonl"
    call_command("audit_checkpoint", "--log", str(log), "--new-key", str(key_file))
    assert "its public key" in capsys.readouterr().out
    call_command("verify_audit", "--checkpoints", str(log), "--key", str(key_file))
    out = capsys.readouterr().out
    assert "Checkpoints hold: 1 checkpoints" in out and "New checkpoint" in out
    assert len(log.read_text().splitlines()) == 2
    head = AuditChainHead.objects.get(chain_key=str(signed_note.clinic_id))
    _sql("DELETE FROM audit_auditchainhead WHERE chain_key = %s", [head.chain_key])
    _sql("DELETE FROM audit_auditevent WHERE chain_key = %s", [head.chain_key])
    with pytest.raises(CommandError, match="Checkpoint verification FAILED"):
        call_command("verify_audit", "--checkpoints", str(log), "--key", str(key_file))


@pytest.mark.parametrize("content", ["", "not base64!", "c2hvcnQ="])
def test_a_bad_key_is_a_message(tmp_path, db, content):
    bad = tmp_path / "bad.key"
    bad.write_text(content)
    with pytest.raises(CommandError, match="key"):
        call_command("audit_checkpoint", "--log", str(tmp_path / "log"), "--key", str(bad))


def test_a_key_is_never_overwritten(tmp_path, db):
    path = tmp_path / "k"
    new_key_file(path)
    with pytest.raises(CommandError, match="never overwritten"):
        call_command("audit_checkpoint", "--log", str(tmp_path / "log"), "--new-key", str(path))
