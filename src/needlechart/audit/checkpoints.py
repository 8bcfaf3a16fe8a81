"""Checkpoints: the audit log and the signed record anchored outside the database.

The hash chains prove that no row was changed, removed or inserted since the chain's head, but
someone who can write to the database can rewrite a chain from its start and its head with it,
or remove a whole chain. A checkpoint is what such a person cannot rewrite: an entry, appended
to a log the operator keeps elsewhere (another machine, write-once storage, a printout), that
holds every chain's and lane's head (sequence number and hash) and the digest of every note and
addendum signed since the previous checkpoint, signed with an Ed25519 key kept outside the
database (a key file or the environment, ``NEEDLECHART_CHECKPOINT_KEY``). Each entry also holds
the hash of the entry before it, so entries cannot be dropped from the middle of the log.

``verify_checkpoints`` then proves, against the database as it is now: every entry's signature
and link; every checkpointed head still in its chain, at its place, with its hash (the chain's
own verification proves everything before it); no chain or lane known to a checkpoint gone; every
checkpointed signed digest unchanged.

What it cannot prove: rows appended after the last checkpoint are as trustworthy as the
database they sit in, until the next checkpoint (run it from cron, and at every verification).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.utils import timezone

from needlechart.audit.models import AuditChainHead, AuditEvent
from needlechart.core.canonical import canonical_json

FORM = "needlechart.audit-checkpoint/1"
KEY_ENVIRONMENT = "NEEDLECHART_CHECKPOINT_KEY"


class CheckpointError(Exception):
    """A checkpoint log or key that cannot be used (missing, malformed): said in words."""


# --- the key -------------------------------------------------------------------------------


def new_key_file(path: Path) -> Ed25519PrivateKey:
    """A new signing key, written to ``path`` (readable by its owner only); never overwrites one."""
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes_raw()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CheckpointError(f"{path} exists: a key is never overwritten") from None
    with os.fdopen(descriptor, "w") as file:
        file.write(base64.b64encode(raw).decode("ascii") + "\n")
    return key


def load_key(path: Path | None) -> Ed25519PrivateKey:
    """The signing key from ``path``, else from ``NEEDLECHART_CHECKPOINT_KEY`` (base64 of its 32 bytes)."""
    if path is not None:
        try:
            text = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"cannot read the key file {path}: {exc}") from None
    else:
        text = os.environ.get(KEY_ENVIRONMENT, "").strip()
        if not text:
            raise CheckpointError(f"no signing key: give --key FILE or set {KEY_ENVIRONMENT}")
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PrivateKey.from_private_bytes(raw)
    except ValueError:
        raise CheckpointError("the signing key is not the base64 of a 32-byte Ed25519 key") from None


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode("ascii")


def parse_public_key(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip(), validate=True))
    except ValueError:
        raise CheckpointError("the public key is not the base64 of a 32-byte Ed25519 public key") from None


# --- writing -------------------------------------------------------------------------------


def _entry_hash(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


# Signed records come from the apps that sign them (charting: notes and addenda), which sit above
# audit: each registers a source from its AppConfig.ready().


@dataclass(frozen=True)
class SignedRecordSource:
    """One app's signed records for checkpoints: ``signed_since(time or None)`` gives [kind, id,
    digest] of those signed after that time (all of them for None); ``digests()`` every signed
    record's digest now, by (kind, id)."""

    signed_since: Callable[[dt.datetime | None], list[list[str]]]
    digests: Callable[[], dict[tuple[str, str], str]]


_SOURCES: dict[str, SignedRecordSource] = {}


def register_signed_records(name: str, source: SignedRecordSource) -> None:
    _SOURCES[name] = source


def _signed_records(since: dt.datetime | None) -> list[list[str]]:
    return [row for source in _SOURCES.values() for row in source.signed_since(since)]


def build_entry(previous_line: str | None, key: Ed25519PrivateKey, *, at: dt.datetime | None = None) -> str:
    """The next checkpoint as one line of JSON, signed; ``previous_line`` is the log's last line."""
    previous = _parse(previous_line, 0) if previous_line else None
    since = dt.datetime.fromisoformat(previous["at"]) if previous else None
    at = at or timezone.now()
    heads = {head.chain_key: {"seq": head.seq, "hash": head.hash} for head in AuditChainHead.objects.order_by("chain_key")}
    entry: dict[str, Any] = {
        "type": FORM,
        "at": at.isoformat(),
        "previous": _entry_hash(previous_line) if previous_line else None,
        "key": public_key_text(key),
        "chains": heads,
        "signed_records": _signed_records(since),
    }
    entry["signature"] = base64.b64encode(key.sign(canonical_json(entry).encode("utf-8"))).decode("ascii")
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def last_line(path: Path) -> str | None:
    """The log's last line, read from its end (the log grows by an entry per run)."""
    if not path.exists():
        return None
    with path.open("rb") as file:
        file.seek(0, os.SEEK_END)
        end = file.tell()
        chunk, position = b"", end
        while position > 0:
            step = min(65536, position)
            position -= step
            file.seek(position)
            chunk = file.read(step) + chunk
            lines = chunk.rstrip(b"\n").split(b"\n")
            if len(lines) > 1 or position == 0:
                return lines[-1].decode("utf-8") if lines[-1] else None
    return None


def append_checkpoint(path: Path, key: Ed25519PrivateKey) -> dict[str, Any]:
    """Append the next checkpoint to the log at ``path``; the entry written."""
    line = build_entry(last_line(path), key)
    with path.open("a", encoding="utf-8") as file:
        file.write(line + "\n")
        file.flush()
        os.fsync(file.fileno())
    return json.loads(line)


# --- verifying -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointResult:
    entries: int
    heads: int
    records: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def _parse(line: str, number: int) -> dict[str, Any]:
    try:
        entry = json.loads(line)
    except json.JSONDecodeError:
        raise CheckpointError(f"checkpoint {number}: not a line of JSON") from None
    if not isinstance(entry, dict) or entry.get("type") != FORM:
        raise CheckpointError(f"checkpoint {number}: not a needlechart checkpoint")
    return entry


def _entries(path: Path) -> Iterator[tuple[int, str, dict[str, Any]]]:
    try:
        file = path.open(encoding="utf-8")
    except OSError as exc:
        raise CheckpointError(f"cannot read the checkpoint log {path}: {exc}") from None
    with file:
        for number, line in enumerate((raw.rstrip("\n") for raw in file), start=1):
            if line:
                yield number, line, _parse(line, number)


def _signature_holds(entry: dict[str, Any], public: Ed25519PublicKey) -> bool:
    unsigned = {key: value for key, value in entry.items() if key != "signature"}
    try:
        public.verify(base64.b64decode(str(entry.get("signature", "")), validate=True), canonical_json(unsigned).encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_checkpoints(path: Path, public_key: Ed25519PublicKey) -> CheckpointResult:
    """Every entry of the log at ``path`` against ``public_key`` and the database as it is now."""
    problems: list[str] = []
    previous_line: str | None = None
    latest_heads: dict[str, dict[str, Any]] = {}
    records: dict[tuple[str, str], str] = {}
    entries = 0
    for number, line, entry in _entries(path):
        entries += 1
        if not _signature_holds(entry, public_key):
            problems.append(f"checkpoint {number}: its signature does not hold (altered, or signed with another key)")
        expected_previous = _entry_hash(previous_line) if previous_line is not None else None
        if entry.get("previous") != expected_previous:
            problems.append(f"checkpoint {number}: it does not follow the entry before it (an entry was removed or changed)")
        for chain_key, head in dict(entry.get("chains") or {}).items():
            latest_heads[chain_key] = head
        for kind, record_id, digest in entry.get("signed_records") or []:
            records[(kind, record_id)] = digest
        previous_line = line
    if entries == 0:
        problems.append("the checkpoint log holds no checkpoint")
    current = {head.chain_key: head for head in AuditChainHead.objects.all()}
    for chain_key, head in sorted(latest_heads.items()):
        if chain_key not in current:
            problems.append(f"chain {chain_key}: checkpointed at sequence {head['seq']}, and now gone")
            continue
        if current[chain_key].seq < head["seq"]:
            problems.append(f"chain {chain_key}: checkpointed at sequence {head['seq']}, now ends at {current[chain_key].seq}")
        found = AuditEvent.objects.filter(chain_key=chain_key, seq=head["seq"]).values_list("hash", flat=True).first()
        if head["seq"] > 0 and found != head["hash"]:
            problems.append(f"chain {chain_key}: the row at checkpointed sequence {head['seq']} is not the one checkpointed")
    stored = {key: digest for source in _SOURCES.values() for key, digest in source.digests().items()}
    for (kind, record_id), digest in sorted(records.items()):
        if stored.get((kind, record_id)) != digest:
            now = "gone or unsigned" if (kind, record_id) not in stored else "its digest differs"
            problems.append(f"{kind} {record_id}: checkpointed as signed, {now}")
    return CheckpointResult(entries, len(latest_heads), len(records), problems)
