"""Form fields for an instrument, ready for a template: shared by the clinic panel and the patient's follow-up page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from needlechart.outcomes.instruments import Instrument, Item

MAX_BUTTONS = 15  # a scale of up to this many whole numbers is a row of buttons (NPRS 11, GROC 15); longer ones a number box


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    value: Any
    error: str | None
    options: tuple[tuple[str, str], ...]  # (value, label) for buttons or labelled choices; empty: a number box
    low: str  # the scale's anchors, shown at its ends
    high: str
    min: float
    max: float
    step: float
    labelled: bool  # options carry their own statements (NDI-style) rather than bare numbers
    activity_name: str | None = None  # PSFS: the activity being rated (fixed), or None
    name_field: str | None = None  # PSFS: the input where the patient names a new activity
    name_value: str = ""


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _field(item: Item, name: str, label: str, language: str, values: dict, errors: dict, key: str, **extra: Any) -> Field:
    anchors = sorted(item.anchors.items())
    low = anchors[0][1].get(language) if anchors else ""
    high = anchors[-1][1].get(language) if len(anchors) > 1 else ""
    if item.choices:
        options = tuple((_number(c.value), c.label.get(language)) for c in item.choices)
        labelled = True
    else:
        count = int(round((item.max - item.min) / item.step)) + 1
        whole = float(item.step).is_integer() and float(item.min).is_integer()
        options = tuple((_number(item.min + n * item.step),) * 2 for n in range(count)) if whole and count <= MAX_BUTTONS else ()
        labelled = False
    return Field(name, label, values.get(name, ""), errors.get(key), options, low, high, item.min, item.max, item.step, labelled, **extra)


def instrument_fields(
    instrument: Instrument, *, language: str, values: dict | None = None, errors: dict | None = None, activities: list[str] | None = None
) -> list[Field]:
    """The fields named '<instrument>.<item>' (PSFS '<instrument>.activity_<n>' with '_name'), with any earlier values and errors."""
    values, errors, prefix = values or {}, errors or {}, f"{instrument.id}."
    if instrument.activities is None:
        return [
            _field(item, prefix + item.id, item.text.get(language), language, values, errors, f"{prefix}{item.id}")
            for item in instrument.items
        ]
    spec = instrument.activities
    names: list[str | None] = list(activities) if activities else [None] * spec.min_count
    fields = []
    for n, fixed in enumerate(names):
        name = f"{prefix}activity_{n}"
        fields.append(
            _field(
                spec.scale,
                name,
                fixed or "",
                language,
                values,
                errors if n == 0 else {},  # one message for the list, on its first row
                f"{prefix}activities",
                activity_name=fixed,
                name_field=None if fixed else f"{name}_name",
                name_value=values.get(f"{name}_name") or "",
            )
        )
    return fields


def field_values(raw) -> dict[str, Any]:
    """A POST as a plain dict (the side-effect checkboxes as a list), for re-showing a form with errors."""
    values = {key: raw.get(key) for key in raw}
    values["effects"] = raw.getlist("effects") if hasattr(raw, "getlist") else raw.get("effects", [])
    return values
