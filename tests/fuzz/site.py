"""What the fuzzer (tests/fuzz/test_every_endpoint.py) and the package's other tests share: the
routes of the URL conf, each filled in with the demo clinic's rows, a client for each persona, the
POST forms a page offers, and the links the demo's patients are sent."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.apps import apps
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from needlechart.charting.models import Encounter
from needlechart.clinics.models import User
from needlechart.web.demo import DEMO_CLINIC_NAME

# Where a route cannot work outside a real request (admin, static) or is the fuzzer's own way out.
SKIPPED_PREFIXES = ("admin/", "static/", "accounts/logout/", "i18n/")
SKIPPED_ACTIONS = ("/accounts/logout/", "/i18n/setlang/")  # a fuzzed form must not sign the fuzzer out


# --- the routes --------------------------------------------------------------------------------


def patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from patterns(entry, route)
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


def fill(route: str, chosen: dict[str, str] | None = None) -> str:
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


def routes() -> list[str]:
    return sorted({route for route, _ in patterns(get_resolver()) if not route.startswith(SKIPPED_PREFIXES)})


def urls_for(persona: str) -> list[str]:
    """Every route filled in; the patients' link pages only for the one who opens them, a patient."""
    return [fill(route) for route in routes()] + (PATIENT_LINKS if persona == "anonymous" else [])


def client_as(persona: str) -> Client:
    client = Client(raise_request_exception=False)
    if persona != "anonymous":
        client.force_login(User.objects.get(username=persona))
    return client


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


def forms_of(client: Client, url: str) -> list[tuple[str, dict[str, list[str]]]]:
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return []
    parser = _Forms()
    parser.feed(response.content.decode("utf-8", "replace"))
    forms = [(urlsplit(action).path or urlsplit(url).path, fields) for action, fields in parser.forms if fields]
    return [(action, fields) for action, fields in forms if action not in SKIPPED_ACTIONS]


# --- the links the demo's patients are sent ---------------------------------------------------

_LINK_IN_MAIL = re.compile(r"https?://testserver(/[^\s\"'<>]+)")  # the absolute links needlechart hands patients
PATIENT_LINKS: list[str] = []


def collect_patient_links() -> None:
    """The links the demo clinic's patients are sent, into PATIENT_LINKS: every form of the
    practitioner's pages whose action sends something to a patient, posted as offered; the links
    are read from the e-mails and from the pages that show a link to hand over."""
    practitioner = client_as("ingrid")
    mail.outbox = []
    texts: list[str] = []
    signed = Encounter.objects.filter(clinic__name=DEMO_CLINIC_NAME, note__signed_at__isnull=False, patient__email__gt="")
    encounter_ids = [str(pk) for pk in signed.order_by("-starts_at").values_list("pk", flat=True)[:3]]
    pages = {fill(route, {"encounter_id": pk}) for route in routes() for pk in encounter_ids}  # a page once, a visit's for each
    for page in sorted(pages):
        for action, fields in forms_of(practitioner, page):
            if re.search(r"(send|link|follow-up)/$", action):
                shown = practitioner.post(action, {name: options[0] for name, options in fields.items() if options})
                texts.append(shown.content.decode("utf-8", "replace"))
    texts += [message.body for message in mail.outbox]
    PATIENT_LINKS[:] = sorted({m.group(1).rstrip(".,\"'<") for text in texts for m in _LINK_IN_MAIL.finditer(text)})
