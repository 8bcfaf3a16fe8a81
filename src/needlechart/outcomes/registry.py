"""The instruments a clinic can use: the shipped free ones plus the questionnaires it added itself."""

from __future__ import annotations

from needlechart.outcomes.instrument_loading import parse_instrument_definition, shipped_instruments
from needlechart.outcomes.instruments import Instrument
from needlechart.outcomes.models import ClinicInstrument

_parsed: dict[tuple[str, str], Instrument] = {}  # (row id, definition digest) -> parsed; definitions are validated on upload


def parse_row(row: ClinicInstrument) -> Instrument:
    key = (str(row.pk), str(hash(row.definition)))
    if key not in _parsed:
        _parsed[key] = parse_instrument_definition(row.definition, name=row.instrument_id)
    return _parsed[key]


def instruments_for_clinic(clinic_id) -> dict[str, Instrument]:
    instruments = dict(shipped_instruments())
    for row in ClinicInstrument.objects.filter(clinic_id=clinic_id, active=True).order_by("instrument_id"):
        instruments[row.instrument_id] = parse_row(row)
    return instruments


def instrument_for_clinic(clinic_id, instrument_id: str) -> Instrument | None:
    if instrument_id in shipped_instruments():
        return shipped_instruments()[instrument_id]
    row = ClinicInstrument.objects.filter(clinic_id=clinic_id, instrument_id=instrument_id).first()
    return parse_row(row) if row else None


def clinic_instrument_rows(clinic_id) -> list[tuple[ClinicInstrument, Instrument]]:
    """Every questionnaire the clinic has added, active or not, with its parsed definition."""
    return [
        (row, parse_row(row))
        for row in ClinicInstrument.objects.filter(clinic_id=clinic_id).select_related("added_by").order_by("instrument_id")
    ]
