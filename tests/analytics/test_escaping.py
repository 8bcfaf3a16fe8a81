"""Labels on the clinic dashboard are shown as text, never as markup: staff names, the published
figures' texts and sources, what was typed into the filters, and the words of the months chart."""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import formats
from django.utils.html import escape

from needlechart.analytics import charts
from needlechart.clinics.models import User
from needlechart.content.records import Text
from needlechart.outcomes.benchmarks import published_benchmarks
from tests.analytics.test_dashboard import PERIOD, data  # noqa: F401 - the dashboard's data set

# (payload, how it must appear on the page: escaped by the templates)
PAYLOADS = [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('"><svg onload=alert(1)>', "&#34;&gt;&lt;svg onload=alert(1)&gt;"),
    ("{{7*7}}", "{{7*7}}"),
    ("javascript:alert(1)", "javascript:alert(1)"),
]
SVG_ELEMENTS = {"svg", "title", "desc", "rect", "text", "polyline"}


def assert_shown_as_text(body: str, payload: str, escaped: str) -> None:
    if any(c in payload for c in '<>"'):
        assert payload not in body
    assert "<script>alert" not in body and "<svg onload" not in body
    assert 'href="javascript:' not in body and 'src="javascript:' not in body
    assert escaped in body
    if payload == "{{7*7}}":
        assert ">49<" not in body  # shown as typed, not evaluated (the counts of ``escaped`` say where)


@pytest.fixture
def hostile_benchmarks(monkeypatch):
    """The published figures with the payload in every text the dashboard shows of them (as a bad data file would)."""

    def set_to(payload: str) -> None:
        text = Text(payload, payload)
        real = published_benchmarks()
        studies = tuple(dataclasses.replace(s, population=text, note=text, source=payload) for s in real.adverse_events)
        figures = tuple(
            dataclasses.replace(m, comparison=text, time_point=text, note=text, source=payload, conditions=(payload,), outcome=payload)
            for m in real.meta_analyses
        )
        graded = dataclasses.replace(figures[0], measure="grade", grade=payload)
        monkeypatch.setattr(
            "needlechart.analytics.views.published_benchmarks",
            lambda: dataclasses.replace(real, adverse_events=studies, meta_analyses=(*figures, graded)),
        )

    return set_to


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_dashboard_shows_labels_as_text(client_for, clinic_admin, data, hostile_benchmarks, payload, escaped):  # noqa: F811
    User.objects.filter(pk__in=[p.pk for p in data.practitioners.values()]).update(first_name=payload)
    hostile_benchmarks(payload)
    page = client_for(clinic_admin).get(reverse("analytics"), PERIOD)
    body = page.content.decode()
    assert page.status_code == 200 and '<svg class="months-chart"' in body
    assert body.count(f">{escaped} Tester</option>") == 2  # the practitioners to filter by
    assert f"Grade {escaped} recommendation" in body  # a figure's effect
    assert f'<span class="small muted">{escaped}</span></th>' in body  # the conditions a review covers
    assert f'<td>{escaped} <span class="small muted">(' in body and f"<td>{escaped}, {escaped}</td>" in body  # comparison, outcome, time
    assert f'<li>{escaped}: {escaped} {escaped} <span class="muted">{escaped}</span></li>' in body  # a survey: source, population, note
    assert_shown_as_text(body, payload, escaped)


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_what_was_typed_into_the_filters_is_shown_as_text(client_for, practitioner, payload, escaped):
    page = client_for(practitioner).get(reverse("analytics"), {"start": payload, "end": payload, "condition": payload})
    body = page.content.decode()
    assert page.status_code == 400 and 'data-testid="analytics-error"' in body
    assert f'name="start" value="{escaped}"' in body and f'name="end" value="{escaped}"' in body
    assert_shown_as_text(body, payload, escaped)


@pytest.mark.parametrize(("payload", "_escaped"), PAYLOADS)
def test_the_months_chart_escapes_its_words(monkeypatch, payload, _escaped):
    """The chart's month names and words come from the locale files: were one hostile, it stays text in the SVG."""
    monkeypatch.setattr(charts, "formats", types.SimpleNamespace(number_format=formats.number_format, date_format=lambda *a: payload))
    monkeypatch.setattr(charts, "_", lambda text: text if "%" in text else payload)
    months = [(dt.date(2025, m, 1), m * 3, m) for m in range(1, 4)]
    svg = str(charts.months_svg(months))
    if any(c in payload for c in '<>"'):
        assert payload not in svg
    root = ET.fromstring(svg)  # noqa: S314 - the chart just built here: well-formed, and nothing but its own elements
    assert {element.tag.rpartition("}")[2] for element in root.iter()} <= SVG_ELEMENTS
    svg_ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{svg_ns}title").text == payload
    assert [t.text for t in root.iter(f"{svg_ns}title")][1:] == [f"{payload}: {m * 3} / {m}" for m in range(1, 4)]
    assert svg.count(escape(payload)) == 1 + 3 + 3  # the title, each bar's month and each axis label
