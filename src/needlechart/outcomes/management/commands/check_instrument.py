"""``needlechart check-instrument FILE``: check a clinic's instrument definition before uploading it."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from needlechart.outcomes.instrument_loading import MAX_DEFINITION_BYTES, InstrumentDefinitionError, parse_instrument_definition
from needlechart.outcomes.instruments import Instrument, Item, plain


class Command(BaseCommand):
    help = "Check a clinic's instrument definition (YAML, format in docs/outcomes-data.md) and print what needlechart will use."
    requires_system_checks = []  # reads one file; needs neither the database nor the URL configuration

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="the definition file")

    def handle(self, *args, file: Path, **options) -> None:
        try:
            if file.stat().st_size > MAX_DEFINITION_BYTES:
                raise CommandError(f"{file}: is larger than {MAX_DEFINITION_BYTES // 1024} KB; a definition is a few KB of YAML")
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: is not UTF-8 text") from None
        except OSError as exc:
            raise CommandError(f"{file}: cannot be read ({exc.strerror})") from None
        try:
            instrument = parse_instrument_definition(text, name=file.name)
        except InstrumentDefinitionError as exc:
            raise CommandError(f"invalid: {exc}") from None
        self.stdout.write(self.style.SUCCESS(f"{file.name}: valid"))
        self.stdout.write("\n".join(summary(instrument)))


def summary(instrument: Instrument) -> list[str]:
    scales = [instrument.activities.scale] if instrument.activities else list(instrument.items)
    counted = (
        f"{instrument.activities.min_count}-{instrument.activities.max_count} activities named by the patient"
        if instrument.activities
        else f"{len(instrument.items)} item(s)"
    )
    multiplier = f" x {plain(instrument.multiplier)}" if instrument.multiplier != 1 else ""
    lines = [
        f"{instrument.id}: {instrument.name.en} ({instrument.abbreviation}) / {instrument.name.nb}",
        f"  answered by the {instrument.respondent}; in the follow-up questionnaire: {'yes' if instrument.follow_up else 'no'}",
        f"  score: {instrument.scoring} of {counted}{multiplier}, {plain(instrument.score_min)} to {plain(instrument.score_max)}"
        f" {instrument.unit.en}, {instrument.better} is better, {instrument.decimals} decimal(s)",
        *(f"  {item.id}: {item.text.en} [{_scale(item)}]" for item in scales),
    ]
    if instrument.mcid:
        parts = [f"{plain(instrument.mcid.points)} points" if instrument.mcid.points is not None else ""]
        parts.append(f"{plain(instrument.mcid.percent)}% of baseline" if instrument.mcid.percent is not None else "")
        by_condition = ", ".join(f"{condition} {plain(points)}" for condition, (points, _source) in instrument.mcid.by_condition.items())
        lines.append(f"  MCID: {' or '.join(p for p in parts if p)}{f' ({by_condition})' if by_condition else ''}")
    if instrument.responder == "threshold":
        lines.append(f"  responder: score of at least {plain(instrument.responder_threshold or 0)}")
    elif instrument.responder == "improvement":
        lines.append("  responder: improvement of at least the MCID")
    if instrument.licence_note:
        lines.append(f"  licence: {instrument.licence_note.en}")
    lines.extend(f"  source: {source}" for source in instrument.sources)
    return lines


def _scale(item: Item) -> str:
    if item.choices:
        return "choices " + ", ".join(f"{plain(choice.value)} = {choice.label.en}" for choice in item.choices)
    return f"{plain(item.min)} to {plain(item.max)} in steps of {plain(item.step)}"
