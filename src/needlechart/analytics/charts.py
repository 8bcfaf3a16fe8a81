"""Sessions and patients per month as an SVG bar chart (presentation attributes only, for the strict CSP)."""

from __future__ import annotations

import datetime as dt

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 200, 48, 30, 12
SESSIONS, PATIENTS, MUTED = "#1f6f78", "#b5651d", "#7b8794"


def months_svg(months: list[tuple[dt.date, int, int]]) -> SafeString:
    if not months:
        return mark_safe("")
    peak = max(row[1] for row in months) or 1
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(months)
    parts = []
    for tick in (0, peak / 2, peak):
        y = TOP + plot_h - tick / peak * plot_h
        label = formats.number_format(round(tick), force_grouping=True)
        parts.append(f'<text x="{LEFT - 6}" y="{y + 3:.1f}" text-anchor="end" font-size="10" fill="{MUTED}">{label}</text>')
    points = []
    every = max(1, len(months) // 12)
    for n, (month, sessions, patients) in enumerate(months):
        x = LEFT + n * slot
        height = sessions / peak * plot_h
        label = formats.date_format(month, "YEAR_MONTH_FORMAT")
        bar = f'x="{x + slot * 0.15:.1f}" y="{TOP + plot_h - height:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}"'
        parts.append(f'<rect {bar} fill="{SESSIONS}"><title>{escape(label)}: {sessions} / {patients}</title></rect>')
        points.append(f"{x + slot / 2:.1f},{TOP + plot_h - patients / peak * plot_h:.1f}")
        if n % every == 0:
            short = formats.date_format(month, "m.y")
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - 12}" text-anchor="middle" font-size="9" fill="{MUTED}">{short}</text>')
    parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{PATIENTS}" stroke-width="2"/>')
    title = escape(_("Sessions (bars) and patients (line) per month"))
    total = sum(row[1] for row in months)
    desc = escape(_("%(sessions)s sessions over %(months)s months.") % {"sessions": total, "months": len(months)})
    return mark_safe(  # noqa: S308 - texts escaped, the rest numbers
        f'<svg class="months-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="months-t months-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="months-t">{title}</title><desc id="months-d">{desc}</desc>{"".join(parts)}</svg>'
    )
