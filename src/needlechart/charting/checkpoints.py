"""Notes and addenda in the audit checkpoints (audit.checkpoints): what was signed, and its digest."""

from __future__ import annotations

import datetime as dt

from needlechart.audit.checkpoints import SignedRecordSource
from needlechart.charting.models import Addendum, Note

_KINDS = (("note", Note), ("addendum", Addendum))


def signed_since(since: dt.datetime | None) -> list[list[str]]:
    rows: list[list[str]] = []
    for kind, model in _KINDS:
        signed = model.objects.filter(signed_at__isnull=False)
        if since is not None:
            signed = signed.filter(signed_at__gt=since)
        rows += [
            [kind, str(pk), digest]
            for pk, digest in signed.order_by("signed_at", "pk").values_list("pk", "digest").iterator(chunk_size=5000)
        ]
    return rows


def digests() -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for kind, model in _KINDS:
        rows = model.objects.filter(signed_at__isnull=False).values_list("pk", "digest").iterator(chunk_size=5000)
        found |= {(kind, str(pk)): digest for pk, digest in rows}
    return found


SIGNED_RECORDS = SignedRecordSource(signed_since=signed_since, digests=digests)
