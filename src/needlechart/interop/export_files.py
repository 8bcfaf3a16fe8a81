"""A clinic's FHIR export written to a directory: one NDJSON file per resource type, resumable.

``export_to_directory`` writes ``<Type>.ndjson`` (FHIR Bulk Data file naming) for each type asked
for, streaming ``interop.export.clinic_resources``. A type is written to ``<Type>.ndjson.part``
in chunks; after each chunk the part file is flushed and fsync'ed and then ``manifest.json`` is
replaced (written beside it, fsync'ed, renamed) with the part's byte length, its resource count
and the last resource's id. A killed export therefore leaves a manifest that never claims more
than the disk holds. A rerun truncates the part file to the recorded length, reads the type again
and skips the resources already written, after checking that the last one skipped has the
recorded id (the stream's order is the database's; if it moved, the type is written again from
its start rather than risk a duplicate or a gap). A finished type's part is renamed to its final
name and its SHA-256 recorded; the final manifest names every file with its count and digest.

Refusals (``ExportRefused``, exit code 2 in the command): an unknown clinic or type, a directory
that cannot be written, one that holds another clinic's export (or files that are no export).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from needlechart.interop.export import RESOURCE_TYPES, clinic_resources
from needlechart.interop.export_reads import ExportScope

MANIFEST = "manifest.json"
FLUSH_EVERY = 1000
FORMAT = "needlechart-fhir-export/1"


class ExportRefused(Exception):
    """The export cannot start: the message says why."""


@dataclass
class Progress:
    """What a progress display is told after each chunk and at the end of each type."""

    resource_type: str
    count: int
    seconds: float
    done: bool


def _fsync_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(out: Path) -> dict[str, Any] | None:
    path = out / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ExportRefused(f"{path} cannot be read as an export manifest; use another directory.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ExportRefused(f"{path} is not a needlechart FHIR export manifest; use another directory.")
    return manifest


def check_types(types: Iterable[str] | None) -> list[str]:
    if not types:
        return list(RESOURCE_TYPES)
    unknown = [t for t in types if t not in RESOURCE_TYPES]
    if unknown:
        raise ExportRefused(f"Unknown resource type {', '.join(unknown)}; known types: {', '.join(RESOURCE_TYPES)}.")
    return [t for t in RESOURCE_TYPES if t in set(types)]  # the export's own order, each once


def prepare_directory(out: Path, clinic_id: uuid.UUID, types: list[str]) -> dict[str, Any]:
    """The manifest to continue (a new one for a new export); refuses a directory it must not write."""
    if out.exists() and not out.is_dir():
        raise ExportRefused(f"{out} is not a directory.")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportRefused(f"{out} cannot be created ({error.strerror or error}).") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ExportRefused(f"{out} is not writable.")
    manifest = read_manifest(out)
    if manifest is None:
        if any(out.iterdir()):
            raise ExportRefused(f"{out} holds files that are not a needlechart export; use a new or empty directory.")
        return {"format": FORMAT, "clinic": str(clinic_id), "types": types, "started_at": timezone.now().isoformat(), "files": {}}
    if manifest.get("clinic") != str(clinic_id):
        raise ExportRefused(f"{out} holds the export of another clinic ({manifest.get('clinic')}); use another directory.")
    if manifest.get("types") != types:
        raise ExportRefused(
            f"{out} holds an export of the types {', '.join(manifest.get('types') or [])}; rerun with those or use another directory."
        )
    return manifest


def _write_type(
    out: Path,
    manifest: dict[str, Any],
    clinic_id: uuid.UUID,
    resource_type: str,
    *,
    validate: bool,
    chunk_size: int,
    flush_every: int,
    progress: Callable[[Progress], None],
    scope: ExportScope | None,
) -> None:
    final = out / f"{resource_type}.ndjson"
    part = out / f"{resource_type}.ndjson.part"
    state = manifest["files"].get(resource_type) or {"status": "partial", "count": 0, "bytes": 0, "last_id": None}
    skip, last_id = state["count"], state["last_id"]
    if not part.exists() or part.stat().st_size < state["bytes"]:
        skip, last_id, state = 0, None, {"status": "partial", "count": 0, "bytes": 0, "last_id": None}
    mode = "r+b" if part.exists() else "wb"
    started = time.perf_counter()
    with open(part, mode) as sink:
        sink.truncate(state["bytes"])
        sink.seek(state["bytes"])
        resources = clinic_resources(clinic_id, resource_type, chunk_size=chunk_size, validate=validate, scope=scope)
        if skip:
            seen = None
            for seen_count, resource in enumerate(resources, start=1):
                seen = resource.get("id")
                if seen_count == skip:
                    break
            if seen != last_id:  # the database gave another order: write the type again from its start
                sink.truncate(0)
                sink.seek(0)
                state = {"status": "partial", "count": 0, "bytes": 0, "last_id": None}
                resources = clinic_resources(clinic_id, resource_type, chunk_size=chunk_size, validate=validate, scope=scope)
        count, size, last = state["count"], state["bytes"], state["last_id"]
        lines: list[bytes] = []

        def flush() -> None:
            nonlocal size
            if lines:
                data = b"".join(lines)
                sink.write(data)
                size += len(data)
                lines.clear()
            sink.flush()
            os.fsync(sink.fileno())
            manifest["files"][resource_type] = {"status": "partial", "count": count, "bytes": size, "last_id": last}
            _fsync_write(out / MANIFEST, json.dumps(manifest, indent=2))
            progress(Progress(resource_type, count, time.perf_counter() - started, done=False))

        for resource in resources:
            lines.append(json.dumps(resource, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n")
            count += 1
            last = resource.get("id")
            if len(lines) >= flush_every:
                flush()
        flush()
    os.replace(part, final)
    _fsync_dir(out)
    manifest["files"][resource_type] = {"status": "done", "count": count, "bytes": size, "sha256": _sha256(final)}
    _fsync_write(out / MANIFEST, json.dumps(manifest, indent=2))
    progress(Progress(resource_type, count, time.perf_counter() - started, done=True))


def export_to_directory(
    out: Path,
    clinic_id: uuid.UUID,
    manifest: dict[str, Any],
    *,
    validate: bool = True,
    chunk_size: int = 2000,
    flush_every: int = FLUSH_EVERY,
    progress: Callable[[Progress], None] = lambda p: None,
    scope: ExportScope | None = None,
) -> dict[str, Any]:
    """Write (or finish) the export the manifest describes; returns the final manifest. ``scope``: only
    those rows (some patients, what changed since), read so in the database; a rerun must pass the same."""
    started = time.perf_counter()
    for resource_type in manifest["types"]:
        if (manifest["files"].get(resource_type) or {}).get("status") == "done":
            continue
        _write_type(
            out,
            manifest,
            clinic_id,
            resource_type,
            validate=validate,
            chunk_size=chunk_size,
            flush_every=flush_every,
            progress=progress,
            scope=scope,
        )
    manifest["finished_at"] = timezone.now().isoformat()
    manifest["seconds"] = round(manifest.get("seconds", 0) + time.perf_counter() - started, 3)
    manifest["complete"] = True
    manifest["files"] = {
        t: {"file": f"{t}.ndjson", "count": s["count"], "bytes": s["bytes"], "sha256": s["sha256"], "status": "done"}
        for t, s in manifest["files"].items()
    }
    _fsync_write(out / MANIFEST, json.dumps(manifest, indent=2))
    return manifest
