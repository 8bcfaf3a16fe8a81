"""The manage link of an online booking: it opens its own booking only, in its own clinic only,
cannot be guessed (a long random secret, kept only as a hash, and a near miss finds nothing), and
expires at the end of its appointment's day in the clinic's zone (a 410 page saying so).
The online booking routes are all in the public pages' matrix: open to anyone, each a 404 for a
clinic that does not exist or a language that is not offered."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from needlechart.public import booking, booking_manage, booking_views
from needlechart.public import services as public
from needlechart.public.booking_models import OnlineBooking
from needlechart.public.models import PublicProfile
from needlechart.scheduling import configuration
from needlechart.scheduling.models import Appointment, AppointmentStatus, CalendarSettings
from needlechart.scheduling.selectors import clinic_zone
from tests.public.conftest import SLUG, profile_values
from tests.public.test_booking_concurrency import FORM, _hold_post

OTHER_SLUG = "other-clinic"
MANAGE = re.compile(rf"/c/{SLUG}/en/booking/([A-Za-z0-9_-]+)/")


@pytest.fixture(autouse=True)
def _no_floods_counted():
    """Each test books afresh: the per-phone flood count of the tests before does not carry over."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def two_times(public_profile, clinic_admin, practitioner, other_admin):
    """Two free times tomorrow with the practitioner, apart (neither's end is the other's start),
    cancellable online until they begin, and another clinic with published pages."""
    kind = configuration.appointment_type_save(
        actor=clinic_admin, data={"name_en": "Follow-up", "name_nb": "Oppfølging", "duration_minutes": 30, "bookable_online": True}
    )
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    configuration.working_hours_add(
        actor=clinic_admin, practitioner=practitioner, weekday=tomorrow.weekday(), start_time=dt.time(10), end_time=dt.time(12)
    )
    CalendarSettings.objects.update_or_create(clinic_id=public_profile.clinic_id, defaults={"minimum_notice_minutes": 0})
    public.profile_save(actor=other_admin, values=profile_values(slug=OTHER_SLUG), opening_hours=[], photo_alts={})
    PublicProfile.objects.filter(pk=public_profile.pk).update(cancellation_limit_hours=0)
    profile = PublicProfile.objects.select_related("clinic").get(pk=public_profile.pk)
    slots, _window = booking.free_times(profile, kind, [practitioner.pk], first_day=tomorrow)
    return kind, [slots[0], next(s for s in slots if s.start > slots[0].blocked_until)]


def _book(client, kind, slot, **changes) -> str:
    """Book ``slot`` as a patient; the manage link's secret from the confirmation page."""
    details = _hold_post(client, kind, slot)["Location"]
    page = client.post(details, FORM | changes).content.decode()
    return MANAGE.search(page).group(1)


def _manage(secret: str, slug: str = SLUG) -> str:
    return reverse("booking_manage", kwargs={"clinic_slug": slug, "lang": "en", "secret": secret})


def test_a_manage_link_opens_its_own_booking_only(client, two_times):
    kind, (first, second) = two_times
    mine = _book(client, kind, first)
    theirs = _book(client.__class__(), kind, second, given_name="Ola", email="ola@patients.invalid", phone="+47 913 00 000")
    assert mine != theirs
    page = client.get(_manage(mine)).content.decode()
    assert f"{timezone.localtime(first.start):%H:%M}" in page and f"{timezone.localtime(second.start):%H:%M}" not in page
    assert client.post(_manage(mine), {"action": "cancel"}).status_code == 302
    statuses = dict(Appointment.objects.values_list("starts_at", "status"))
    assert statuses == {first.start: AppointmentStatus.CANCELLED, second.start: AppointmentStatus.BOOKED}


def test_a_manage_link_works_in_its_own_clinic_only(client, two_times):
    kind, (first, _second) = two_times
    secret = _book(client, kind, first)
    assert client.get(_manage(secret)).status_code == 200
    assert client.get(_manage(secret, OTHER_SLUG)).status_code == 404
    assert client.post(_manage(secret, OTHER_SLUG), {"action": "cancel"}).status_code == 404
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED


def test_a_manage_link_cannot_be_guessed(client, two_times):
    kind, (first, _second) = two_times
    secret = _book(client, kind, first)
    assert len(secret) >= 43  # 32 random bytes: 256 bits
    stored = OnlineBooking.objects.get()
    assert stored.manage_secret_hash == booking.secret_hash(secret)
    assert secret not in str(list(OnlineBooking.objects.values()))  # only its hash is kept
    near_misses = [secret[:-1] + ("A" if secret[-1] != "A" else "B"), secret[:-1], secret + "A", secret.upper(), stored.manage_secret_hash]
    for guess in near_misses:
        response = client.get(_manage(guess))
        assert response.status_code == 404 and "We found no booking at this address" in response.content.decode(), guess
    assert client.post(_manage(near_misses[0]), {"action": "cancel"}).status_code == 404
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED


def test_a_manage_link_expires_at_the_end_of_its_appointments_day(client, two_times):
    kind, (first, _second) = two_times
    secret = _book(client, kind, first)
    online = OnlineBooking.objects.select_related("appointment").get()
    zone = clinic_zone(online.clinic_id)
    ends = booking_manage.link_expires_at(online)
    assert ends == dt.datetime.combine(first.start.astimezone(zone).date() + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    assert not booking_manage.link_expired(online, now=ends - dt.timedelta(seconds=1))
    assert booking_manage.link_expired(online, now=ends)

    # The day is over (the appointment was two days ago): the link opens nothing and changes nothing.
    past = timezone.now() - dt.timedelta(days=2)
    Appointment.objects.filter(pk=online.appointment_id).update(starts_at=past, ends_at=past + dt.timedelta(minutes=30))
    move = reverse("booking_move", kwargs={"clinic_slug": SLUG, "lang": "en", "secret": secret})
    for response in (client.get(_manage(secret)), client.post(_manage(secret), {"action": "cancel"}), client.get(move)):
        assert response.status_code == 410
        assert "has now expired" in response.content.decode() and "Check the link" not in response.content.decode()
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED


@pytest.mark.parametrize("suffix", [suffix for suffix, _view, _name in booking_views.ROUTES])
def test_every_booking_route_is_a_404_for_a_clinic_or_language_not_offered(client, two_times, suffix):
    path = re.sub(r"<str:\w+>", "x", suffix)
    for slug, lang in (("no-such-clinic", "en"), (SLUG, "de")):
        url = f"/c/{slug}/{lang}/{path}"
        response = client.get(url)
        if response.status_code == 405:  # a POST-only route
            response = client.post(url, {})
        assert response.status_code == 404, url
