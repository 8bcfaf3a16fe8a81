"""The public pages join the fuzzer (test_every_endpoint.py) as real pages, not as 404s:
its URL filling gives them the demo clinic's published address."""

from __future__ import annotations

from tests.fuzz.site import client_as, fill, routes


def test_the_fuzzer_opens_every_public_page_of_the_demo_clinic(demo, db):
    client = client_as("anonymous")
    public = [route for route in routes() if route.startswith("c/")]
    answers = {route: client.get(fill(route)).status_code for route in public}
    booking = [route for route in public if "/book" in route]
    pages = [route for route in public if "photo" not in route and route != "c/<slug:clinic_slug>/" and route not in booking]
    assert len(pages) == 14 and all(answers[route] == 200 for route in pages), answers
    # Online booking: its first page and the certified practitioners' times open; a hold is a POST;
    # a made-up hold or manage secret is not found.
    assert {route: answers[route] for route in booking} == {
        f"c/<slug:clinic_slug>/{lang}/{suffix}": status
        for lang in ("en", "nb")
        for suffix, status in (
            ("book/", 200),
            ("book/certified/", 200),  # the pages' "Book with a certified practitioner" (its own page when not asked by htmx)
            ("book/hold/", 405),
            ("book/h/<str:secret>/", 404),
            ("book/h/<str:secret>/code/", 404),
            ("booking/<str:secret>/", 404),
            ("booking/<str:secret>/move/", 404),
        )
    }
    assert answers["c/<slug:clinic_slug>/"] == 302  # to the clinic's main language
    assert fill("c/<slug:clinic_slug>/nb/behandlere/") == "/c/fjordbyen/nb/behandlere/"
