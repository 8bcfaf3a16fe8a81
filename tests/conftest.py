"""Shared personas and records. Each role is a named persona, as the conventions ask."""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from _pytest.nodeid import NodeId
from django.utils import timezone

from needlechart.charting import services as charting
from needlechart.clinics import services as clinics
from needlechart.clinics.models import CertificationKind
from needlechart.core.access import Role
from needlechart.patients import services as patients
from needlechart.patients.identifiers import NORWEGIAN_NIN_SYSTEM

PASSWORD = "correct-horse-battery"
# A test that asks for one of these (itself or through its fixtures) opens a database.
DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "live_server", "django_db_setup", "django_db_reset_sequences", "django_db_serialized_rollback"}
)


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="Run only the tests that open a database (.ci/run's PostgreSQL run: the others have no database to differ on).",
    )


def opens_a_database(item: pytest.Item) -> bool:
    """Whether a test may open a database: it asks for a database fixture or the django_db mark, is
    a Django TestCase, or takes ``request`` (with which it may ask for any fixture by name)."""
    from django.test import TransactionTestCase

    info = getattr(item, "_fixtureinfo", None)
    if info is None or DATABASE_FIXTURES & set(info.names_closure) or "request" in info.argnames:
        return True
    cls = getattr(item, "cls", None)
    return item.get_closest_marker("django_db") is not None or (cls is not None and issubclass(cls, TransactionTestCase))


def every_case(cases: Iterable[Any], check: Callable[[Any], None]) -> None:
    """``check`` each case, then fail naming every case that failed and why. For an authorization
    matrix's refusals: a refused request changes nothing, so its cases can share one set of
    records, built once rather than once a case."""
    failed = {}
    for case in cases:
        try:
            check(case)
        except AssertionError as error:
            failed[str(getattr(case, "name", case))] = str(error)[:400]
    assert not failed, f"{len(failed)} cases failed: {failed}"


def pytest_configure(config):
    from django.conf import settings

    # Browser tests run on a live server whose database is wiped between tests.
    settings.ALLOW_FLUSH_OF_IMMUTABLE_RECORDS = True


@pytest.hookimpl(trylast=True)  # after the conftests that add xdist_group marks (tests/browser)
def pytest_collection_modifyitems(config, items):
    """Every test its own node id, and the group pytest-xdist's loadgroup scheduling (scripts/test)
    reads from it. schemathesis names each operation's test (``test_x[GET /path]``), but with
    pytest 9.2 their node ids are all the bare function's, and loadgroup keys its queue by node id:
    all but one operation were collected and never run. And loadgroup learns a test's
    ``xdist_group`` from a ``@group`` suffix it writes to ``_nodeid``, which pytest 9.2 no longer
    reads: every group was scattered over the workers. The id is pytest's private ``_id``;
    tests/test_collection.py fails if either stops working. With ``--database-tests-only``, the
    tests that open no database are left out."""
    if config.getoption("database_tests_only"):
        left_out = [item for item in items if not opens_a_database(item)]
        items[:] = [item for item in items if opens_a_database(item)]
        config.hook.pytest_deselected(items=left_out)
    counts = collections.Counter(item.nodeid for item in items)
    for item in items:
        if counts[item.nodeid] > 1:
            item._id = item.parent.id.child(item.name)
        groups = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")})
        if groups and "@" not in item.nodeid:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


@pytest.fixture(autouse=True)
def _english_by_default():
    # A request in Norwegian leaves its language active in the thread; start every test in English.
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is the production hasher (tested on its own); tests need not pay for it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clinic(db):
    return clinics.clinic_create(actor=None, name="Test Clinic")


@pytest.fixture
def other_clinic(db):
    return clinics.clinic_create(actor=None, name="Other Clinic")


def make_staff(clinic, username, role, **extra):
    return clinics.staff_create(
        actor=None, clinic=clinic, username=username, password=PASSWORD, role=role, first_name=username.title(), last_name="Tester", **extra
    )


def certify(user, *, completed_days_ago, expires_in_days=None, kind=CertificationKind.DRY_NEEDLING, course="Course", issuer="Issuer"):
    """Record a needling certification for ``user``, completed ``completed_days_ago`` days ago and
    expiring in ``expires_in_days`` days (negative: lapsed; None: it does not expire)."""
    today = timezone.localdate()
    return clinics.certification_add(
        actor=user,
        profile=user.practitioner_profile,
        kind=kind,
        course=course,
        issuer=issuer,
        completed_on=today - dt.timedelta(days=completed_days_ago),
        expires_on=None if expires_in_days is None else today + dt.timedelta(days=expires_in_days),
    )


@pytest.fixture
def practitioner(clinic):
    user = make_staff(clinic, "practitioner", Role.PRACTITIONER, discipline="physiotherapist")
    certify(user, completed_days_ago=100, expires_in_days=100, kind=CertificationKind.IMS, course="IMS course", issuer="iSTOP")
    return user


@pytest.fixture
def second_practitioner(clinic):
    return make_staff(clinic, "colleague", Role.PRACTITIONER, discipline="chiropractor")


@pytest.fixture
def front_desk(clinic):
    return make_staff(clinic, "frontdesk", Role.FRONT_DESK)


@pytest.fixture
def clinic_admin(clinic):
    return make_staff(clinic, "clinicadmin", Role.CLINIC_ADMIN)


@pytest.fixture
def other_practitioner(other_clinic):
    return make_staff(other_clinic, "outsider", Role.PRACTITIONER, discipline="physiotherapist")


@pytest.fixture
def other_admin(other_clinic):
    return make_staff(other_clinic, "otheradmin", Role.CLINIC_ADMIN)


@pytest.fixture
def patient(front_desk):
    return patients.patient_create(
        actor=front_desk,
        data={"given_name": "Kari", "family_name": "Nordmann", "birth_date": dt.date(1985, 5, 17), "phone": "+47 90000000"},
        identifiers=[(NORWEGIAN_NIN_SYSTEM, "17058512311")],
    )


@pytest.fixture
def episode(patient, front_desk):
    return patients.episode_create(
        actor=front_desk,
        patient=patient,
        complaint="Neck pain from desk work",
        condition="neck",
        started_on=timezone.localdate() - dt.timedelta(days=30),
    )


@pytest.fixture
def encounter(episode, front_desk, practitioner):
    return charting.encounter_create(
        actor=front_desk, episode=episode, practitioner=practitioner, starts_at=timezone.now().replace(microsecond=0)
    )


@pytest.fixture
def draft_note(encounter, practitioner):
    return charting.note_save_draft(
        actor=practitioner,
        encounter=encounter,
        subjective="Pain 6/10",
        objective="Taut band upper trapezius",
        assessment="Myofascial pain",
        plan="Dry needling next visit",
    )


@pytest.fixture
def signed_note(draft_note, practitioner):
    return charting.note_sign(actor=practitioner, note=draft_note)


@pytest.fixture
def signed_addendum(signed_note, practitioner):
    addendum = charting.addendum_create(actor=practitioner, note=signed_note, reason="Side corrected", text="Left, not right.")
    return charting.addendum_sign(actor=practitioner, addendum=addendum)


@pytest.fixture
def client_for(client):
    """Log the test client in as a persona: ``client_for(user)``."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def _jinja2_context_for_the_test_client(monkeypatch):
    """Django's test client reads ``response.context`` from the template_rendered signal, which only
    Django's own template engine sends; send it for the Jinja2 pages as well."""
    from django.template.backends.jinja2 import Template
    from django.test.signals import template_rendered

    render = Template.render

    def render_and_tell(self, context=None, request=None):
        template_rendered.send(sender=self, template=self, context={} if context is None else context)
        return render(self, context, request)

    monkeypatch.setattr(Template, "render", render_and_tell)
