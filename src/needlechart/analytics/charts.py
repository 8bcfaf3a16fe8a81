"""Sessions and patients per month as an SVG bar chart (presentation attributes only, for the strict CSP),
built with format_html so that every text in it is escaped."""

from __future__ import annotations

import datetime as dt

from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 200, 48, 30, 12
SESSIONS, PATIENTS, MUTED = "#1f6f78", "#b5651d", "#7b8794"


def months_svg(months: list[tuple[dt.date, int, int]]) -> SafeString:
    """Built with format_html only: the month names and the words are escaped, the rest are numbers."""
    if not months:
        return SafeString()
    peak = max(row[1] for row in months) or 1
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(months)
    parts = []
    for tick in (0, peak / 2, peak):
        y = TOP + plot_h - tick / peak * plot_h
        label = formats.number_format(round(tick), force_grouping=True)
        parts.append(
            format_html('<text x="{}" y="{}" text-anchor="end" font-size="10" fill="{}">{}</text>', LEFT - 6, f"{y + 3:.1f}", MUTED, label)
        )
    points = []
    every = max(1, len(months) // 12)
    for n, (month, sessions, patients) in enumerate(months):
        x = LEFT + n * slot
        height = sessions / peak * plot_h
        label = formats.date_format(month, "YEAR_MONTH_FORMAT")
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} / {}</title></rect>',
                f"{x + slot * 0.15:.1f}",
                f"{TOP + plot_h - height:.1f}",
                f"{slot * 0.7:.1f}",
                f"{height:.1f}",
                SESSIONS,
                label,
                sessions,
                patients,
            )
        )
        points.append(f"{x + slot / 2:.1f},{TOP + plot_h - patients / peak * plot_h:.1f}")
        if n % every == 0:
            short = formats.date_format(month, "m.y")
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" font-size="9" fill="{}">{}</text>',
                    f"{x + slot / 2:.1f}",
                    HEIGHT - 12,
                    MUTED,
                    short,
                )
            )
    parts.append(format_html('<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>', " ".join(points), PATIENTS))
    total = sum(row[1] for row in months)
    return format_html(
        '<svg class="months-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="months-t months-d" xmlns="http://www.w3.org/2000/svg">'
        '<title id="months-t">{}</title><desc id="months-d">{}</desc>{}</svg>',
        WIDTH,
        HEIGHT,
        _("Sessions (bars) and patients (line) per month"),
        _("%(sessions)s sessions over %(months)s months.") % {"sessions": total, "months": len(months)},
        format_html_join("", "{}", ((part,) for part in parts)),
    )
