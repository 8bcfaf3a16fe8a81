# ruff: noqa: F811 - the booking fixtures are imported from test_booking
"""'Book with a certified practitioner' at the end of the about-IMS page and the directory: the
pages stay cacheable and hold no form (the section comes after them, by htmx, from a private
address); the section lists only practitioners whose needling certification is valid today, each
with their next free times as buttons that hold the time (the clinic's only online type), or a
link per type when the clinic has several; it shows no patient data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from needlechart.core.access import Role
from needlechart.public import booking
from needlechart.public.booking_models import SlotHold
from needlechart.scheduling import configuration
from needlechart.scheduling import services as scheduling
from needlechart.scheduling.models import AppointmentType, CalendarSettings
from tests.conftest import certify, make_staff
from tests.public.conftest import PATIENT_NAMES, SLUG, page_url
from tests.public.markup import read
from tests.public.test_booking import _details_url, _empty_cache, open_week, profile, types  # noqa: F401

HTMX = {"HX-Request": "true"}
SLOT = re.compile(r'<button type="submit" name="slot" value="(\d+)@([^"]+)"')


def _section_url(lang="en"):
    return reverse("booking_certified", kwargs={"clinic_slug": SLUG, "lang": lang})


@pytest.fixture
def only_needling(types):
    """The clinic's only type open online: the follow-up needling."""
    AppointmentType.objects.filter(pk=types["assessment"].pk).update(bookable_online=False)
    return types["needling"]


@pytest.fixture
def colleagues(clinic, clinic_admin):
    """A practitioner whose certification lapsed and one with none, both working every day."""
    lapsed = make_staff(clinic, "lapsed", Role.PRACTITIONER, discipline="chiropractor")
    certify(lapsed, completed_days_ago=900, expires_in_days=-1)
    uncertified = make_staff(clinic, "uncertified", Role.PRACTITIONER, discipline="osteopath")
    for person in (lapsed, uncertified):
        for day in range(7):
            configuration.working_hours_add(
                actor=clinic_admin, practitioner=person, weekday=day, start_time=dt.time(8), end_time=dt.time(16)
            )
    return {"lapsed": lapsed, "uncertified": uncertified}


@pytest.mark.parametrize("page", ["ims", "practitioners"])
@pytest.mark.parametrize("language", ["en", "nb"])
def test_the_pages_end_with_the_section_loaded_after_them_and_stay_cacheable(client, profile, only_needling, open_week, page, language):
    response = client.get(page_url(page, language))
    body = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "public, max-age=300" and not response.cookies
    main = body.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    section = main.split('<section class="book-certified"', 1)[1]
    assert main.rstrip().endswith("</section>") and "<section" not in section  # the last thing on the page
    assert f'hx-get="{_section_url(language)}" hx-trigger="load"' in section
    assert f'<a class="book" href="{_section_url(language)}">' in section  # the way there without scripts
    assert ("Bestill hos en sertifisert behandler" if language == "nb" else "Book with a certified practitioner") in section
    assert 'name="slot"' not in body and "csrfmiddlewaretoken" not in body  # no form, no token on a cached page
    assert read(response).resources == ["/static/public/public.css", "/static/vendor/htmx-2.0.11.min.js"]


def test_the_other_pages_load_no_script(client, profile, only_needling):
    for page in ("home", "session", "suitability"):
        assert "htmx" not in client.get(page_url(page, "en")).content.decode(), page


def test_the_section_lists_only_practitioners_valid_today_with_their_next_times(
    client, profile, only_needling, open_week, practitioner, colleagues
):
    response = client.get(_section_url(), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"] and response["X-Robots-Tag"] == "noindex"
    assert "<html" not in body and "Practitioner Tester" in body  # the section alone, for htmx to swap in
    assert "Lapsed Tester" not in body and "Uncertified Tester" not in body
    until = practitioner.practitioner_profile.certifications.get().expires_on
    assert f"Certified for IMS until {until.day} {until:%b %Y}" in body
    offered = SLOT.findall(body)
    expected, _window = booking.free_times(profile, only_needling, [practitioner.pk])
    assert [(int(pid), dt.datetime.fromisoformat(at)) for pid, at in offered] == [(s.practitioner_id, s.start) for s in expected[:4]]
    form = body.split("<form", 1)[1].split("</form>", 1)[0]
    assert f'action="{reverse("booking_hold", kwargs={"clinic_slug": SLUG, "lang": "en"})}"' in form
    assert f'name="type" value="{only_needling.pk}"' in form and f'name="practitioner" value="{practitioner.pk}"' in form
    assert "csrfmiddlewaretoken" in form and "Staff only review" not in body
    assert f"?type={only_needling.pk}&amp;practitioner={practitioner.pk}" in body  # more times with them


def test_a_time_in_the_section_holds_it_and_opens_the_details_form(client, profile, only_needling, open_week, practitioner):
    body = client.get(_section_url(), headers=HTMX).content.decode()
    pid, at = SLOT.findall(body)[0]
    held = client.post(
        reverse("booking_hold", kwargs={"clinic_slug": SLUG, "lang": "en"}),
        {"type": str(only_needling.pk), "practitioner": pid, "slot": f"{pid}@{at}"},
    )
    details = client.get(_details_url(held))
    assert details.status_code == 200 and 'id="id_given_name"' in details.content.decode()
    assert "Practitioner Tester" in details.content.decode()


def test_with_several_online_types_each_type_is_a_link_to_its_free_times(client, profile, types, open_week, practitioner, colleagues):
    body = client.get(_section_url(), headers=HTMX).content.decode()
    assert 'name="slot"' not in body and body.count('data-testid="booking-type"') == 2
    for kind in (types["needling"], types["assessment"]):
        assert f"?type={kind.pk}&amp;practitioner={practitioner.pk}" in body
    assert "Staff only review" not in body and "Lapsed Tester" not in body


def test_without_scripts_the_sections_address_is_a_page_of_its_own(client, profile, only_needling, open_week, practitioner):
    response = client.get(_section_url("nb"))
    html = read(response)
    body = response.content.decode()
    assert response.status_code == 200 and '<html lang="nb">' in body and '<meta name="robots" content="noindex">' in body
    assert [text for level, text in html.headings if level == 1] == ["Bestill hos en sertifisert behandler"]
    assert (2, "Practitioner Tester") in html.headings and len(SLOT.findall(body)) == 4
    assert "no-store" in response["Cache-Control"]


def test_a_clinic_with_no_type_open_online_says_so(client, profile, practitioner):
    body = client.get(_section_url(), headers=HTMX).content.decode()
    assert "does not take bookings online yet" in body and 'name="slot"' not in body


def test_no_certified_practitioner_says_so(client, profile, only_needling, practitioner, colleagues):
    practitioner.practitioner_profile.certifications.all().delete()
    body = client.get(_section_url(), headers=HTMX).content.decode()
    assert "No practitioner with a valid needling certification" in body and 'name="slot"' not in body


def test_the_next_times_are_looked_for_week_after_week(profile, only_needling, clinic_admin, practitioner):
    """Three times a week (one hour on one weekday): the fourth is the next week's first."""
    CalendarSettings.objects.update_or_create(clinic_id=profile.clinic_id, defaults={"minimum_notice_minutes": 0, "horizon_days": 60})
    day = timezone.localdate() + dt.timedelta(days=1)
    configuration.working_hours_add(
        actor=clinic_admin, practitioner=practitioner, weekday=day.weekday(), start_time=dt.time(9), end_time=dt.time(10)
    )
    found = booking.next_free_times(profile, only_needling, [practitioner.pk])[practitioner.pk]
    starts = [timezone.localtime(s.start) for s in found]
    assert len(starts) == 4 and starts == sorted(starts)
    assert {s.date() for s in starts[:3]} == {day} and starts[3].date() == day + dt.timedelta(days=7)
    assert booking.next_free_times(profile, only_needling, [practitioner.pk], weeks=1)[practitioner.pk] == found[:3]


def test_the_section_shows_no_patient_data(client, profile, only_needling, open_week, practitioner, distinctive_patients, front_desk):
    free, _window = booking.free_times(profile, only_needling, [practitioner.pk])
    first = [free[0], next(s for s in free if s.start >= free[0].blocked_until)]  # two times apart
    for patient, slot in zip(distinctive_patients, first, strict=True):
        scheduling.appointment_book(
            actor=front_desk, patient=patient, practitioner=practitioner, appointment_type=only_needling, starts_at=slot.start
        )
    wanted = [word.lower() for names in PATIENT_NAMES for word in names] + ["patients.invalid", "4123 987"]
    for response in (client.get(_section_url(), headers=HTMX), client.get(_section_url("nb"))):
        body = response.content.decode().lower()
        assert response.status_code == 200 and 'name="slot"' in body
        assert not [word for word in wanted if word in body]
    booked = {slot.start for slot in first}
    offered = {dt.datetime.fromisoformat(at) for _pid, at in SLOT.findall(client.get(_section_url(), headers=HTMX).content.decode())}
    assert offered and not offered & booked  # the booked times are not offered


@pytest.mark.parametrize("who", ["lapsed", "uncertified"])
def test_a_needling_session_cannot_be_held_with_a_practitioner_not_certified_today(client, profile, types, colleagues, who):
    """Anywhere, not only in the section: a hand-made hold of a needling time with a practitioner whose
    certification lapsed (or who has none) is refused and holds nothing; an assessment with them is not."""
    person = colleagues[who]
    slots, _window = booking.free_times(profile, types["needling"], [person.pk], first_day=timezone.localdate() + dt.timedelta(days=3))
    slot = f"{person.pk}@{slots[0].start.isoformat()}"
    hold_url = reverse("booking_hold", kwargs={"clinic_slug": SLUG, "lang": "en"})
    refused = client.post(hold_url, {"type": str(types["needling"].pk), "practitioner": "any", "slot": slot})
    assert refused.status_code == 400 and "needling certification is valid" in refused.content.decode()
    assert not SlotHold.objects.exists()
    held = client.post(hold_url, {"type": str(types["assessment"].pk), "practitioner": "any", "slot": slot})
    assert held.status_code == 302


def test_free_needling_times_are_only_those_of_certified_practitioners(client, profile, types, open_week, practitioner, colleagues):
    start = reverse("booking_start", kwargs={"clinic_slug": SLUG, "lang": "en"})
    anyone = client.get(start, {"type": str(types["needling"].pk)}).content.decode()
    offered = {int(pid) for pid, _at in SLOT.findall(anyone)}
    assert offered == {practitioner.pk}
    chosen = client.get(start, {"type": str(types["needling"].pk), "practitioner": str(colleagues["lapsed"].pk)})
    assert chosen.status_code == 400 and "needling certification is valid" in chosen.content.decode()
    assessment = client.get(start, {"type": str(types["assessment"].pk)}).content.decode()
    assert {int(pid) for pid, _at in SLOT.findall(assessment)} == {practitioner.pk, colleagues["lapsed"].pk, colleagues["uncertified"].pk}
