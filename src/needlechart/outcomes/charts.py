"""Progress charts as plain SVG strings: the same markup on the chart page, the progress page and in the PDF.

Colours are presentation attributes (no inline style), so the strict Content-Security-Policy and
WeasyPrint both accept them. Every chart has a title and a text description for screen readers;
the page shows the numbers in a table as well.
"""

from __future__ import annotations

from django.utils import formats, timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from needlechart.outcomes.progress import Series

WIDTH, HEIGHT = 520, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 14, 34
FIXED_SCALE_UP_TO = 100  # NPRS, VAS, PSFS, GROC, percentage questionnaires
MUTED, LINE, PATIENT, BAND, RESPONDER = "#7b8794", "#2f6f8f", "#b5651d", "#e3f1e8", "#2e7d4f"


def _number(value: float) -> str:
    return formats.number_format(round(value, 1), decimal_pos=0 if float(value).is_integer() else 1)


def _y_range(series: Series) -> tuple[float, float]:
    """A questionnaire's own scale; for open-ended measures (kPa, degrees) the values' range with a margin."""
    instrument = series.instrument
    if instrument.score_max - instrument.score_min <= FIXED_SCALE_UP_TO:
        return float(instrument.score_min), float(instrument.score_max)
    values = [p.value for p in series.points] + ([series.responder_line] if series.responder_line is not None else [])
    low, high = (min(values), max(values)) if values else (instrument.score_min, instrument.score_max)
    pad = max((high - low) * 0.15, 1.0)
    return max(0.0, low - pad), high + pad


def series_svg(series: Series, chart_id: str) -> SafeString:
    """One measure over time: the values (patient-reported ones marked), the MCID band and the responder line."""
    low, high = _y_range(series)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    times = [p.when.timestamp() for p in series.points]
    start, end = (min(times), max(times)) if times else (0.0, 1.0)

    def x(t: float) -> float:
        return LEFT + (plot_w / 2 if end == start else (t - start) / (end - start) * plot_w)

    def y(v: float) -> float:
        return TOP + plot_h - (min(max(v, low), high) - low) / ((high - low) or 1) * plot_h

    parts = [f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#ffffff" stroke="{MUTED}" stroke-width="0.5"/>']
    line = series.responder_line
    if line is not None and series.baseline is not None:
        # threshold rules shade the responding zone; improvement rules the not-yet-meaningful change from the baseline
        beyond = high if series.instrument.better == "higher" else low
        edge = beyond if series.instrument.responder == "threshold" else series.baseline
        top, bottom = sorted((y(line), y(edge)))
        parts.append(f'<rect x="{LEFT}" y="{top:.1f}" width="{plot_w}" height="{bottom - top:.1f}" fill="{BAND}"/>')
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(line):.1f}" y2="{y(line):.1f}" stroke="{RESPONDER}" stroke-width="1.5" '
            f'stroke-dasharray="5 3"/><text x="{LEFT + plot_w - 4}" y="{y(line) - 4:.1f}" text-anchor="end" font-size="10" '
            f'fill="{RESPONDER}">{escape(_("response"))} {_number(line)}</text>'
        )
    for tick in (low, (low + high) / 2, high):
        parts.append(f'<text x="{LEFT - 6}" y="{y(tick) + 3:.1f}" text-anchor="end" font-size="10" fill="{MUTED}">{_number(tick)}</text>')
    if series.points:
        first, last = series.points[0].when, series.points[-1].when
        for when, anchor in ((first, "start"), (last, "end")) if first != last else ((first, "middle"),):
            label = formats.date_format(timezone.localtime(when), "SHORT_DATE_FORMAT")
            parts.append(
                f'<text x="{x(when.timestamp()):.1f}" y="{HEIGHT - 12}" text-anchor="{anchor}" font-size="10" fill="{MUTED}">{label}</text>'
            )
        coords = " ".join(f"{x(p.when.timestamp()):.1f},{y(p.value):.1f}" for p in series.points)
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{LINE}" stroke-width="2"/>')
        for p in series.points:
            colour = PATIENT if p.by_patient else LINE
            when = formats.date_format(timezone.localtime(p.when), "SHORT_DATE_FORMAT")
            parts.append(
                f'<circle cx="{x(p.when.timestamp()):.1f}" cy="{y(p.value):.1f}" r="4" fill="{colour}">'
                f"<title>{when}: {_number(p.value)}</title></circle>"
            )
    title = escape(series.label)
    description = escape(describe(series))
    return mark_safe(  # noqa: S308 - every text above is escaped or a number
        f'<svg class="progress-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{title}</title><desc id="{chart_id}-d">{description}</desc>{"".join(parts)}</svg>'
    )


def describe(series: Series) -> str:
    """The chart in one sentence, for screen readers and for the table caption."""
    if not series.points:
        return _("No measurements yet.")
    unit = series.instrument.unit.get(translation.get_language() or "en")
    text = _("%(count)s measurements; first %(baseline)s, latest %(latest)s %(unit)s.") % {
        "count": len(series.points),
        "baseline": _number(series.baseline or 0),
        "latest": _number(series.latest or 0),
        "unit": unit,
    }
    status = {True: _("Meaningful improvement reached."), False: _("Meaningful improvement not reached yet."), None: ""}[series.responder]
    return f"{text} {status}".strip()
