"""Bad input never gets a 5xx: every URL the project routes, as every kind of user, with hostile
query parameters, and every form each page offers, posted with hostile values.

Nothing here names an endpoint or a form. The URLs come from the URL conf (each path parameter
filled with a real row's id, or slug, of the demo clinic where a model of that name exists, else a
stranger's), the forms from the pages themselves (each <form method="post"> and its fields, as a
browser would send them), and the patients' link pages from the e-mails the practitioner's "send"
and "link" buttons send; so pages and endpoints added later are fuzzed without new code.
Hypothesis draws the values, seeded (``derandomize``) and bounded, so a run is repeatable and a
failure reproduces.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from needlechart.charting.models import Encounter
from needlechart.clinics.models import User
from needlechart.web.demo import DEMO_CLINIC_NAME, build_demo
from needlechart.web.middleware import NulCharacterMiddleware

PERSONAS = ["anonymous", "frontdesk", "ingrid", "admin"]
pytestmark = pytest.mark.xdist_group("fuzz")  # one demo clinic per run, built once
QUERY_NAMES = ["q", "date", "page", "before", "start", "end", "csv", "lang", "next", "all", "action", "muscle_id", "side", "view", "id"]
# Where a route cannot work outside a real request (admin, static) or is the fuzzer's own way out.
SKIPPED_PREFIXES = ("admin/", "static/", "accounts/logout/", "i18n/")
SKIPPED_ACTIONS = ("/accounts/logout/", "/i18n/setlang/")  # a fuzzed form must not sign the fuzzer out

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


# --- the routes --------------------------------------------------------------------------------


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _model_id(name: str) -> str | None:
    """A real row's id for a path parameter ``<name>_id`` (``encounter_id``: an Encounter's), of
    the demo clinic where the model belongs to a clinic."""
    wanted = name.removesuffix("_id").replace("_", "")
    for model in apps.get_models():
        if model._meta.model_name == wanted or model._meta.model_name.endswith(wanted):
            rows = model._base_manager.order_by("pk")
            if any(field.name == "clinic" for field in model._meta.fields):
                rows = rows.filter(clinic__name=DEMO_CLINIC_NAME)
            row = rows.values_list("pk", flat=True).first()
            if row is not None:
                return str(row)
    return None


def _model_slug(name: str) -> str | None:
    """A real row's slug for a path parameter ``<owner>_slug`` (``clinic_slug``: the slug of a row
    that belongs to the demo clinic), from a model with a ``slug`` field and an ``<owner>`` field."""
    owner = name.removesuffix("_slug")
    for model in apps.get_models():
        fields = {field.name for field in model._meta.fields}
        if "slug" in fields and owner in fields:
            rows = model._base_manager.order_by("pk")
            if "clinic" in fields:
                rows = rows.filter(clinic__name=DEMO_CLINIC_NAME)
            slug = rows.values_list("slug", flat=True).first()
            if slug is not None:
                return str(slug)
    return None


def _fill(route: str, chosen: dict[str, str] | None = None) -> str:
    """The route with each <converter:name> replaced by a value of its kind (``chosen``: by name)."""
    out, rest = "", route
    while "<" in rest:
        before, _, tail = rest.partition("<")
        spec, _, rest = tail.partition(">")
        converter, _, name = spec.rpartition(":")
        if chosen and name in chosen:
            value = chosen[name]
        elif converter == "int":
            value = str(User.objects.filter(clinic__isnull=False).order_by("pk").values_list("pk", flat=True).first() or 1)
        elif converter == "uuid":
            value = _model_id(name) or str(uuid.uuid4())
        elif converter == "slug":
            value = {"muscle_id": "upper_trapezius", "view": "front"}.get(name) or _model_slug(name) or "x"
        else:
            value = "no-such-secret"
        out += before + value
    return "/" + (out + rest).lstrip("^").rstrip("$")


REQUESTS = [0]  # how many requests the module has made (printed with -s)
_LINK_IN_MAIL = re.compile(r"https?://testserver(/[^\s\"'<>]+)")  # the absolute links needlechart hands patients
PATIENT_LINKS: list[str] = []


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo clinic, and the links its patients are sent (every form of the practitioner's pages
    whose action sends something to a patient, posted as offered: the links are read from the
    e-mails and from the pages that show a link to hand over)."""
    with django_db_blocker.unblock():
        build_demo(patient_count=6)
        practitioner = _client("ingrid")
        mail.outbox = []
        texts: list[str] = []
        signed = Encounter.objects.filter(clinic__name=DEMO_CLINIC_NAME, note__signed_at__isnull=False, patient__email__gt="")
        encounter_ids = [str(pk) for pk in signed.order_by("-starts_at").values_list("pk", flat=True)[:3]]
        pages = {_fill(route, {"encounter_id": pk}) for route in _routes() for pk in encounter_ids}  # a page once, a visit's for each
        for page in sorted(pages):
            for action, fields in _forms(practitioner, page):
                if re.search(r"(send|link|follow-up)/$", action):
                    shown = practitioner.post(action, {name: options[0] for name, options in fields.items() if options})
                    texts.append(shown.content.decode("utf-8", "replace"))
        texts += [message.body for message in mail.outbox]
        PATIENT_LINKS[:] = sorted({m.group(1).rstrip(".,\"'<") for text in texts for m in _LINK_IN_MAIL.finditer(text)})
        yield
        call_command("flush", interactive=False, verbosity=0)


def _routes() -> list[str]:
    return sorted({route for route, _ in _patterns(get_resolver()) if not route.startswith(SKIPPED_PREFIXES)})


def _urls(persona: str) -> list[str]:
    """Every route filled in; the patients' link pages only for the one who opens them, a patient."""
    return [_fill(route) for route in _routes()] + (PATIENT_LINKS if persona == "anonymous" else [])


def _client(persona: str) -> Client:
    client = Client(raise_request_exception=False)
    if persona != "anonymous":
        client.force_login(User.objects.get(username=persona))
    return client


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


# --- the forms a page offers ---------------------------------------------------------------------


class _Forms(HTMLParser):
    """Each POST form of a page: its action and its fields (name -> the values a browser could send)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, list[str]]]] = []
        self._fields: dict[str, list[str]] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._fields = {}
            self.forms.append((a.get("action", "") or a.get("hx-post", ""), self._fields))
        elif self._fields is not None and tag in ("input", "textarea", "select", "button") and a.get("name"):
            self._fields.setdefault(a["name"], [])
            if a.get("value"):
                self._fields[a["name"]].append(a["value"])
            self._select = a["name"] if tag == "select" else None
        elif self._fields is not None and tag == "option" and self._select and a.get("value"):
            self._fields[self._select].append(a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None


def _forms(client: Client, url: str) -> list[tuple[str, dict[str, list[str]]]]:
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return []
    parser = _Forms()
    parser.feed(response.content.decode("utf-8", "replace"))
    forms = [(urlsplit(action).path or urlsplit(url).path, fields) for action, fields in parser.forms if fields]
    return [(action, fields) for action, fields in forms if action not in SKIPPED_ACTIONS]


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
    client, failures, reads = _client(persona), [], _ReadNames(monkeypatch)
    read_by: dict[str, set[str]] = {}
    for url in _urls(persona):
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
    client, failures = _client(persona), []
    forms = _alike_merged([form for url in _urls(persona) for form in _forms(client, url)])
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
