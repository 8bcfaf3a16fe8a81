"""Bad input never gets a 5xx: every URL the project routes, as every kind of user, with hostile
query parameters, and every form each page offers, posted with hostile values.

Nothing here names an endpoint or a form. The URLs come from the URL conf (each path parameter
filled with a real row's id, or slug, of the demo clinic where a model of that name exists, else a
stranger's), the forms from the pages themselves (each <form method="post"> and its fields, as a
browser would send them), and the patients' link pages from the e-mails the practitioner's "send"
and "link" buttons send; so pages and endpoints added later are fuzzed without new code.
Hypothesis draws the values, seeded (``derandomize``) and bounded, so a run is repeatable and a
failure reproduces. The routes, the forms and the links are found by site.py; the demo clinic is
the package's (conftest.py).
"""

from __future__ import annotations

import uuid

import pytest
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from needlechart.web.middleware import NulCharacterMiddleware
from tests.fuzz.site import PATIENT_LINKS, client_as, forms_of, urls_for

PERSONAS = ["anonymous", "frontdesk", "ingrid", "admin"]
QUERY_NAMES = ["q", "date", "page", "before", "start", "end", "csv", "lang", "next", "all", "action", "muscle_id", "side", "view", "id"]

HOSTILE_VALUES = [
    "",
    "\x00",
    "a\x00b",
    "x" * 5000,
    "9" * 5000,
    "-1",
    "0",
    "1e309",
    "NaN",
    "2024-02-30",
    "9999-12-31",
    "0001-01-01",
    "31.12.1899",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "' OR 1=1 --",
    "../../etc/passwd",
    "ℕordmann ß ǅ",
    "line\nbreak\r\nhere",
    '=HYPERLINK("x")',
    str(uuid.UUID(int=1)),
    "true",
]
HOSTILE = st.sampled_from(HOSTILE_VALUES)
VALUE = st.one_of(HOSTILE, st.text(max_size=40), st.integers(min_value=-(10**30), max_value=10**30).map(str))


# --- what a request answered ------------------------------------------------------------------


REQUESTS = [0]  # how many requests the module has made (printed with -s)


def _check(failures: list[str], response, method: str, url: str, data: dict) -> None:
    """Note a 5xx (the values cut short): a test reports every endpoint that failed, not the first."""
    REQUESTS[0] += 1
    if response.status_code >= 500:
        shown = {name: (value[:40] + "..." if len(value) > 40 else value) for name, value in data.items()}
        failures.append(f"{method} {url} {response.status_code} with {shown!r}")


def _no_failures(failures: list[str], persona: str) -> None:
    print(f"\nfuzz: {REQUESTS[0]} requests so far, {len(failures)} answered 5xx as {persona}")
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} requests as {persona} answered 5xx:\n" + "\n".join(unique[:40])


def _alike_merged(forms: list[tuple[str, dict[str, list[str]]]]) -> list[tuple[str, dict[str, list[str]]]]:
    """One form for the forms that post the same fields to the same action (a page's one form per
    row, such as a screening rule's): their options pooled. Posting each of them every hostile value
    would send the same requests again."""
    merged: dict[tuple[str, tuple[str, ...]], dict[str, list[str]]] = {}
    for action, fields in forms:
        pooled = merged.setdefault((action, tuple(sorted(fields))), {name: [] for name in fields})
        for name, options in fields.items():
            pooled[name] += [option for option in options if option not in pooled[name]]
    return [(action, fields) for (action, _names), fields in merged.items()]


# --- the tests ---------------------------------------------------------------------------------

FUZZ = settings(max_examples=4, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck), database=None)


class _ReadNames:
    """The query parameters the views read: each request's query's ``get``, ``[]``, ``getlist`` and
    ``in`` name what they read; anything that walks the whole query (``items``, ``copy``,
    ``urlencode``, iteration, as forms, links and ninja do) counts as reading every name. Only the
    request's own (immutable) query counts, not a copy or a login link's; and not the NUL guard,
    which looks at every value of every request to refuse a NUL with a 400 before any view runs."""

    SINGLE = ("__getitem__", "get", "getlist", "__contains__")
    WHOLE = ("__iter__", "keys", "items", "lists", "values", "dict", "copy", "urlencode")

    def __init__(self, monkeypatch) -> None:
        self.names: set[str] = set()
        for method in self.SINGLE:
            monkeypatch.setattr(QueryDict, method, self._single(getattr(QueryDict, method)))
        for method in self.WHOLE:
            monkeypatch.setattr(QueryDict, method, self._whole(getattr(QueryDict, method)))
        monkeypatch.setattr(NulCharacterMiddleware, "_holds_nul", staticmethod(self._unrecorded(NulCharacterMiddleware._holds_nul)))
        self._paused = False

    def _single(self, method):
        def recorded(query, key, *args, **kwargs):
            if not (query._mutable or self._paused):
                self.names.add(key)
            return method(query, key, *args, **kwargs)

        return recorded

    def _whole(self, method):
        def recorded(query, *args, **kwargs):
            if not (query._mutable or self._paused):
                self.names.update(QUERY_NAMES)
            return method(query, *args, **kwargs)

        return recorded

    def _unrecorded(self, function):
        def unrecorded(*args, **kwargs):
            self._paused = True
            try:
                return function(*args, **kwargs)
            finally:
                self._paused = False

        return unrecorded

    def taken(self) -> set[str]:
        names, self.names = self.names & set(QUERY_NAMES), set()
        return names


PROBES = ["1", "", "\x00", "x" * 5000]  # sent in every parameter, to see what a view reads at all


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_route_with_hostile_query_parameters(demo, db, persona, monkeypatch):
    """Every hostile value in every query parameter a view reads. Which parameters a route reads is
    seen while it is probed (every parameter, plain and as HTMX); a route that reads none is asked
    only the probes, since no value of a parameter it never reads can change its answer; a name a
    view reads only on some branch joins the sweep as soon as any request reads it."""
    client, failures, reads = client_as(persona), [], _ReadNames(monkeypatch)
    read_by: dict[str, set[str]] = {}
    for url in urls_for(persona):
        read = set()
        for probe_value in PROBES:
            query = dict.fromkeys(QUERY_NAMES, probe_value)
            _check(failures, client.get(url, query), "GET", url, query)
            _check(failures, client.get(url, query, HTTP_HX_REQUEST="true"), "GET (HTMX)", url, query)
            read |= reads.taken()
        swept: set[str] = set()
        while read - swept:  # a name read only on some branch is swept once it shows
            names, swept = sorted(read - swept), swept | read
            for hostile in HOSTILE_VALUES:
                query = dict.fromkeys(names, hostile)
                _check(failures, client.get(url, query), "GET", url, query)
                read |= reads.taken()
        if read:
            read_by[url] = read
    assert read_by, "some routes read their query parameters"

    @FUZZ
    @given(st.dictionaries(st.sampled_from(QUERY_NAMES), VALUE, max_size=4))
    def probe(query):  # and mixed: each parameter its own value, HTMX too
        for url in read_by:
            _check(failures, client.get(url, query), "GET", url, query)
            _check(failures, client.get(url, query, HTTP_HX_REQUEST="true"), "GET (HTMX)", url, query)

    probe()
    _no_failures(failures, persona)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_form_with_hostile_values(demo, db, persona):
    client, failures = client_as(persona), []
    forms = _alike_merged([form for url in urls_for(persona) for form in forms_of(client, url)])
    assert persona == "anonymous" or forms, "a signed-in user is offered forms"
    assert len(PATIENT_LINKS) >= 3, f"the intake, aftercare and follow-up links are fuzzed too: {PATIENT_LINKS}"

    for action, fields in forms:  # every hostile value in every field at once
        for hostile in HOSTILE_VALUES:
            values = dict.fromkeys(fields, hostile)
            _check(failures, client.post(action, values), "POST", action, values)

    @FUZZ
    @given(st.data())
    def probe(data):  # and mixed: each field its own value, the page's own options among them
        for action, fields in forms:
            values = {name: data.draw(st.one_of(VALUE, st.sampled_from(options)) if options else VALUE) for name, options in fields.items()}
            _check(failures, client.post(action, values), "POST", action, values)

    probe()
    _no_failures(failures, persona)
