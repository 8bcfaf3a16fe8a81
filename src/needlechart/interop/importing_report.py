"""What an import reports: one ``EntryResult`` an entry (created, matched or rejected with its reasons), the ``ImportReport``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CREATED, MATCHED, REJECTED = "created", "matched", "rejected"


@dataclass
class EntryResult:
    label: str
    resource_type: str
    outcome: str = CREATED
    reasons: list[str] = field(default_factory=list)
    target: str = ""  # Type/id of the record created or matched

    def reject(self, reason: str) -> None:
        self.outcome = REJECTED
        self.reasons.append(reason)

    def as_dict(self) -> dict[str, Any]:
        return {
            "entry": self.label,
            "resourceType": self.resource_type,
            "outcome": self.outcome,
            "target": self.target,
            "reasons": self.reasons,
        }

    def line(self) -> str:
        text = f"{self.outcome:<9}{self.resource_type or '?'} {self.label}"
        if self.target:
            text += f" -> {self.target}" if self.outcome == CREATED else f" -> existing {self.target}"
        if self.reasons:
            text += ": " + "; ".join(self.reasons)
        return text


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    entries: list[EntryResult] = field(default_factory=list)
    written: bool = False

    @property
    def rejected(self) -> list[EntryResult]:
        return [e for e in self.entries if e.outcome == REJECTED]

    @property
    def ok(self) -> bool:
        return not self.rejected

    def counts(self) -> dict[str, int]:
        return {outcome: sum(1 for e in self.entries if e.outcome == outcome) for outcome in (CREATED, MATCHED, REJECTED)}

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dryRun": self.dry_run,
            "written": self.written,
            "counts": self.counts(),
            "entries": [e.as_dict() for e in self.entries],
        }

    def lines(self) -> list[str]:
        counts = self.counts()
        summary = f"{counts[CREATED]} created, {counts[MATCHED]} matched, {counts[REJECTED]} rejected"
        if self.dry_run:
            tail = "dry run: nothing written"
        elif self.written:
            tail = "written"
        else:
            tail = "nothing written: every entry must be accepted for an import to be written"
        return [e.line() for e in self.entries] + [f"{self.source}: {summary} ({tail})."]
