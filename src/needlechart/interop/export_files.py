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

import functools
import hashlib
import json
import multiprocessing as mp
import os
import queue
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connections, transaction
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
    record: Callable[[str, dict[str, Any]], None] | None = None,
) -> None:
    """Write one type's file. ``record(type, state)`` is told its state after each fsync of the part
    file (and once it is final), to put in the manifest; by default it writes the manifest here."""
    if record is None:
        record = functools.partial(_record, out, manifest)
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
            record(resource_type, {"status": "partial", "count": count, "bytes": size, "last_id": last})
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
    record(resource_type, {"status": "done", "count": count, "bytes": size, "sha256": _sha256(final)})
    progress(Progress(resource_type, count, time.perf_counter() - started, done=True))


def _record(out: Path, manifest: dict[str, Any], resource_type: str, state: dict[str, Any]) -> None:
    """A type's state in the manifest, written (fsync'ed, renamed) before anything more is written."""
    manifest["files"][resource_type] = state
    _fsync_write(out / MANIFEST, json.dumps(manifest, indent=2))


# The types by the CPU their rows cost in a clinic of the synthetic set's shape (the access log's rows
# outnumber the visits' needling entries; a Consent's risks cost more than a visit), most first:
# a worker takes the costliest left, so that the last to finish is a short one.
_LARGEST_FIRST = (
    "AuditEvent",
    "Procedure",
    "Consent",
    "Observation",
    "Provenance",
    "DocumentReference",
    "Encounter",
    "QuestionnaireResponse",
    "AdverseEvent",
    "Patient",
    "EpisodeOfCare",
)


def _parallel_ok(processes: int, pending: list[str]) -> bool:
    """Whether the types can be written in processes of their own: each opens its own connection, so
    not inside a transaction (whose rows only its connection sees) nor on an in-memory database."""
    connection = transaction.get_connection()
    in_memory = connection.vendor == "sqlite" and connection.is_in_memory_db()
    return processes > 1 and len(pending) > 1 and not connection.in_atomic_block and not in_memory and "fork" in mp.get_all_start_methods()


def _worker(tasks: Any, messages: Any, out: Path, manifest: dict[str, Any], options: dict[str, Any]) -> None:
    """A forked process: write the types it takes from ``tasks`` (until None), telling the parent
    each state to record and each progress; an error is sent as its text."""
    connections.close_all()  # the parent's were closed before the fork; this process opens its own
    try:
        while (resource_type := tasks.get()) is not None:
            _write_type(
                out,
                manifest,
                options["clinic_id"],
                resource_type,
                validate=options["validate"],
                chunk_size=options["chunk_size"],
                flush_every=options["flush_every"],
                progress=lambda p: messages.put(("progress", p)),
                scope=options["scope"],
                record=lambda t, state: messages.put(("state", (t, state))),
            )
        messages.put(("finished", None))
    except BaseException:
        messages.put(("error", traceback.format_exc()))
        raise
    finally:
        connections.close_all()


def _write_in_processes(out: Path, manifest: dict[str, Any], pending: list[str], processes: int, options: dict[str, Any]) -> None:
    """The pending types written by ``processes`` forked processes at once, the largest first. Only
    this process writes the manifest: a worker sends a type's state after its part file is fsync'ed,
    so the manifest never claims more than the disk holds, as in one process."""
    _fsync_write(out / MANIFEST, json.dumps(manifest, indent=2))  # a rerun continues this export, whichever process stopped first
    context = mp.get_context("fork")
    tasks, messages = context.Queue(), context.Queue()
    for resource_type in sorted(pending, key=lambda t: _LARGEST_FIRST.index(t) if t in _LARGEST_FIRST else len(_LARGEST_FIRST)):
        tasks.put(resource_type)
    count = min(processes, len(pending))
    for _ in range(count):
        tasks.put(None)
    connections.close_all()  # a forked child must not share this process's database connections
    workers = [context.Process(target=_worker, args=(tasks, messages, out, manifest, options), daemon=True) for _ in range(count)]
    for worker in workers:
        worker.start()
    running, failure, stopped = count, None, True
    try:
        while running:
            try:
                kind, value = messages.get(timeout=5)
            except queue.Empty:
                if not any(w.is_alive() for w in workers):
                    failure = failure or "an export process ended without a word"
                    break
                continue
            if kind == "state":
                _record(out, manifest, *value)
            elif kind == "progress":
                options["progress"](value)  # may stop the export (a cancelled job): the workers are ended below
            else:
                running -= 1
                if kind == "error":
                    failure = failure or value
                    break
        stopped = failure is not None
    finally:
        for worker in workers:
            if stopped:
                worker.terminate()
            worker.join(timeout=30)
            if worker.is_alive():  # pragma: no cover - a worker stuck past its end
                worker.kill()
    if failure:
        raise RuntimeError(f"The export failed in one of its processes:\n{failure}")


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
    processes: int = 1,
) -> dict[str, Any]:
    """Write (or finish) the export the manifest describes; returns the final manifest. ``scope``: only
    those rows (some patients, what changed since), read so in the database; a rerun must pass the same.
    ``processes``: write up to that many types at once, each in a forked process with its own
    connection (validation is most of an export's CPU, and one process uses one core); in one
    process inside a transaction or on an in-memory database, where other connections see nothing."""
    started = time.perf_counter()
    pending = [t for t in manifest["types"] if (manifest["files"].get(t) or {}).get("status") != "done"]
    if _parallel_ok(processes, pending):
        options = {"clinic_id": clinic_id, "validate": validate, "chunk_size": chunk_size, "flush_every": flush_every}
        _write_in_processes(out, manifest, pending, processes, options | {"scope": scope, "progress": progress})
        pending = []
    for resource_type in pending:
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
    files = manifest["files"]  # in the manifest's order of types, however the processes finished
    manifest["files"] = {
        t: {"file": f"{t}.ndjson", "count": s["count"], "bytes": s["bytes"], "sha256": s["sha256"], "status": "done"}
        for t, s in sorted(files.items(), key=lambda item: manifest["types"].index(item[0]) if item[0] in manifest["types"] else len(files))
    }
    _fsync_write(out / MANIFEST, json.dumps(manifest, indent=2))
    return manifest
