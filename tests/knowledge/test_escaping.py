"""Text is shown as text on the atlas pages and in the body map, never as markup.

The catalogue is the project's own validated data, but its texts pass through the same escaping
as anything typed: each payload is put into a muscle's texts (and the atlas's search box), and
the body map's builder is given region labels and titles holding it.
"""

from __future__ import annotations

import dataclasses

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import translation
from markupsafe import Markup

from needlechart.content.records import Text
from needlechart.knowledge import bodymap, selectors
from needlechart.knowledge.atlas_records import Region
from needlechart.knowledge.catalog import catalog
from needlechart.knowledge.templating import localised
from tests.escaping import PAYLOADS, assert_shown_as_text


@pytest.fixture
def typed_muscle(monkeypatch):
    """The upper trapezius, its texts (name, Latin name, nerve, position, guidance) set to the payload."""

    def fill(payload: str):
        muscle = catalog().muscles["upper_trapezius"]
        text = Text(payload, payload)
        guidance = tuple(dataclasses.replace(g, text=text) for g in muscle.depth_guidance)
        typed = dataclasses.replace(muscle, name=text, latin=payload, nerves=(text,), position=text, depth_guidance=guidance)
        monkeypatch.setattr(selectors, "muscle_get", lambda muscle_id: typed)
        monkeypatch.setattr(selectors, "muscle_search", lambda text: [typed])
        return typed

    return fill


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_muscle_page_shows_catalogue_texts_as_text(client_for, practitioner, typed_muscle, payload, escaped):
    typed_muscle(payload)
    response = client_for(practitioner).get(reverse("muscle_detail", args=["upper_trapezius"]))
    assert response.status_code == 200
    # the title and heading, the Latin name, the nerve, the position and the guidance
    assert_shown_as_text(response.content.decode(), payload, escaped, at_least=6)


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_atlas_shows_the_search_text_and_the_results_as_text(client_for, practitioner, typed_muscle, payload, escaped):
    typed_muscle(payload)
    client = client_for(practitioner)
    page = client.get(reverse("atlas"), {"q": payload}).content.decode()
    assert_shown_as_text(page, payload, escaped, at_least=3)  # the search box, the name and the Latin name
    partial = client.get(reverse("atlas"), {"q": payload}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="atlas-results")
    assert_shown_as_text(partial.content.decode(), payload, escaped, at_least=2)


def test_localised_gives_text_not_markup():
    text = Text("<b>&</b>", "<i>&</i>")
    with translation.override("nb"):
        assert localised(text) == "<i>&</i>" and not isinstance(localised(text), Markup)
    with translation.override("en"):
        assert localised(text) == "<b>&</b>"


# Markup that a label or title must never become: an element, an attribute ended early, a raw "&"
LABEL = "<script>alert(1)</script> \"quoted\" 'single' & co"
LABEL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &#34;quoted&#34; &#39;single&#39; &amp; co"


@pytest.fixture
def fresh_drawings():
    """Regions are drawn once per view, language (and mark): draw them afresh around the test."""
    caches = (bodymap._plain_regions, bodymap._marked_region)
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


@pytest.mark.parametrize("over_outline", [False, True])
@pytest.mark.parametrize("interactive", [False, True])
def test_the_body_map_escapes_region_labels_and_titles(monkeypatch, fresh_drawings, interactive, over_outline):
    monkeypatch.setattr(Region, "label", lambda region, language: LABEL)
    views = bodymap.draw(classes={"temple_r": "level-3"}, titles={"temple_r": LABEL}, interactive=interactive, over_outline=over_outline)
    html = bodymap.figures(views, interactive=interactive)
    assert isinstance(html, Markup) and all(isinstance(view.markup, Markup) for view in views)
    assert "<script>" not in html and '"quoted"' not in html and "'single'" not in html and " & co" not in html
    marked = f"<title>{LABEL_ESCAPED}: {LABEL_ESCAPED}</title>"
    assert html.count(marked) == 1  # the marked region: its label and its title
    if interactive:
        assert f'aria-label="{LABEL_ESCAPED}: {LABEL_ESCAPED}"' in html
    if not over_outline:  # the plain regions are drawn too, each with its label
        assert (
            html.count(f"<title>{LABEL_ESCAPED}</title>")
            == sum(bool(r.shapes["front"]) + bool(r.shapes["back"]) for r in catalog().regions.values()) - 1
        )


def test_the_body_map_escapes_its_outline_address_and_what_it_is_given():
    view = bodymap.DrawnView("front", Markup('<g class="region"></g>'), outline='/bodymap/front.svg?v=1&x="><script>')
    html = bodymap.figures([view])
    assert '<g class="region"></g>' in html  # the regions draw() built, as they are
    assert 'href="/bodymap/front.svg?v=1&amp;x=&#34;&gt;&lt;script&gt;"' in html and "<script>" not in html


def test_the_body_map_joins_only_markup():
    assert bodymap._joined([Markup("<g>"), Markup("</g>")]) == Markup("<g></g>")
    with pytest.raises(TypeError):
        bodymap._joined([Markup("<g>"), "<script>alert(1)</script>"])


def test_the_body_map_and_localised_are_the_templates_global_and_filter():
    env = engines["jinja2"].env
    assert env.globals["bodymap"] is bodymap.figures and env.filters["localised"] is localised
