"""Progress charts as SVG, built with format_html (every text escaped): the same markup on the chart page, the progress page and in the PDF.

Colours are presentation attributes (no inline style), so the strict Content-Security-Policy and
WeasyPrint both accept them. Every chart has a title and a text description for screen readers;
the page shows the numbers in a table as well.
"""

from __future__ import annotations

from django.utils import formats, timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
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
    """One measure over time: the values (patient-reported ones marked), the MCID band and the responder line.

    Built with format_html only: every value put into the markup (the label, dates, words) is escaped."""
    low, high = _y_range(series)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    times = [p.when.timestamp() for p in series.points]
    start, end = (min(times), max(times)) if times else (0.0, 1.0)

    def x(t: float) -> str:
        return f"{LEFT + (plot_w / 2 if end == start else (t - start) / (end - start) * plot_w):.1f}"

    def y_of(v: float) -> float:
        return TOP + plot_h - (min(max(v, low), high) - low) / ((high - low) or 1) * plot_h

    def y(v: float) -> str:
        return f"{y_of(v):.1f}"

    parts = [
        format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="#ffffff" stroke="{}" stroke-width="0.5"/>', LEFT, TOP, plot_w, plot_h, MUTED
        )
    ]
    line = series.responder_line
    if line is not None and series.baseline is not None:
        # threshold rules shade the responding zone; improvement rules the not-yet-meaningful change from the baseline
        beyond = high if series.instrument.better == "higher" else low
        edge = beyond if series.instrument.responder == "threshold" else series.baseline
        top, bottom = sorted((y_of(line), y_of(edge)))
        parts.append(
            format_html('<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>', LEFT, f"{top:.1f}", plot_w, f"{bottom - top:.1f}", BAND)
        )
        parts.append(
            format_html(
                '<line x1="{left}" x2="{right}" y1="{y}" y2="{y}" stroke="{colour}" stroke-width="1.5" stroke-dasharray="5 3"/>'
                '<text x="{text_x}" y="{text_y}" text-anchor="end" font-size="10" fill="{colour}">{word} {value}</text>',
                left=LEFT,
                right=LEFT + plot_w,
                y=y(line),
                colour=RESPONDER,
                text_x=LEFT + plot_w - 4,
                text_y=f"{y_of(line) - 4:.1f}",
                word=_("response"),
                value=_number(line),
            )
        )
    for tick in (low, (low + high) / 2, high):
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="10" fill="{}">{}</text>',
                LEFT - 6,
                f"{y_of(tick) + 3:.1f}",
                MUTED,
                _number(tick),
            )
        )
    if series.points:
        first, last = series.points[0].when, series.points[-1].when
        for when, anchor in ((first, "start"), (last, "end")) if first != last else ((first, "middle"),):
            label = formats.date_format(timezone.localtime(when), "SHORT_DATE_FORMAT")
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="{}" font-size="10" fill="{}">{}</text>',
                    x(when.timestamp()),
                    HEIGHT - 12,
                    anchor,
                    MUTED,
                    label,
                )
            )
        coords = " ".join(f"{x(p.when.timestamp())},{y(p.value)}" for p in series.points)
        parts.append(format_html('<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>', coords, LINE))
        for p in series.points:
            day = formats.date_format(timezone.localtime(p.when), "SHORT_DATE_FORMAT")
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="4" fill="{}"><title>{}: {}</title></circle>',
                    x(p.when.timestamp()),
                    y(p.value),
                    PATIENT if p.by_patient else LINE,
                    day,
                    _number(p.value),
                )
            )
    return format_html(
        '<svg class="progress-chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="{id}-t {id}-d" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{title}</title><desc id="{id}-d">{description}</desc>{parts}</svg>',
        w=WIDTH,
        h=HEIGHT,
        id=chart_id,
        title=series.label,
        description=describe(series),
        parts=format_html_join("", "{}", ((part,) for part in parts)),
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
