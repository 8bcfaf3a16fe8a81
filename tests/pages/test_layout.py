"""The top bar of every staff page (web/_topbar.html in base.html): the menu by role, the language switch, who is signed in."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.conftest import make_staff

MENU = {
    "today": "Today",
    "calendar": "Calendar",
    "patient_list": "Patients",
    "online_patients": "New online patients",
    "atlas": "Muscle atlas",
    "alert_list": "Alerts",
    "analytics": "Analytics",
    "staff_list": "Staff",
    "api_client_list": "API clients",
    "public_admin": "Public pages",
    "online_booking_settings": "Online booking",
    "clinic_instruments": "Questionnaires",
    "rule_settings": "Screening rules",
    "audit_report": "Audit log",
}
ROLE_MENU = {
    "front_desk": {"today", "calendar", "patient_list", "online_patients"},
    "practitioner": {"today", "calendar", "patient_list", "online_patients", "atlas", "alert_list", "analytics"},
    "clinic_admin": {
        "today",
        "calendar",
        "patient_list",
        "online_patients",
        "analytics",
        "staff_list",
        "api_client_list",
        "public_admin",
        "online_booking_settings",
        "clinic_instruments",
        "rule_settings",
        "audit_report",
    },
}


def _menu_links(html: str) -> dict[str, str]:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S)
    assert nav, html[:2000]
    return dict(re.findall(r'<a href="([^"]+)"([^>]*)>', nav.group(1)))


@pytest.mark.parametrize("role", sorted(ROLE_MENU))
def test_the_menu_lists_what_the_role_may_open_and_marks_the_current_section(client_for, clinic, role):
    user = make_staff(clinic, f"menu-{role}", role)
    user.first_name, user.last_name = "Åse", "<Lie>"
    user.save(update_fields=["first_name", "last_name"])
    html = client_for(user).get(reverse("patient_list")).content.decode()
    links = _menu_links(html)
    assert set(links) == {reverse(name) for name in ROLE_MENU[role]}
    assert links[reverse("patient_list")].strip() == 'aria-current="page"'
    assert all("aria-current" not in attrs for href, attrs in links.items() if href != reverse("patient_list"))
    # who is signed in, escaped, with the role, and a way out that carries a CSRF token
    assert f'<a href="{reverse("staff_detail", args=[user.pk])}">Åse &lt;Lie&gt;</a> · ' in html
    logout = reverse("logout")
    assert re.search(rf'<form action="{logout}" method="post"><input type="hidden" name="csrfmiddlewaretoken" value="\w+">', html)


def test_the_language_switch_returns_to_the_page_and_shows_the_active_language(client_for, practitioner, patient):
    client = client_for(practitioner)
    path = reverse("patient_list") + "?q=nord&x=<y>"
    html = client.get(path).content.decode()
    assert f'<input name="next" type="hidden" value="{reverse("patient_list")}?q=nord&amp;x=%3Cy%3E">' in html
    assert 'value="en" lang="en" aria-pressed="true" class="active"' in html and 'value="nb" lang="nb" aria-pressed="false"' in html
    client.post(reverse("set_language"), {"language": "nb", "next": reverse("patient_list")})
    html = client.get(reverse("patient_list")).content.decode()
    assert 'value="nb" lang="nb" aria-pressed="true" class="active"' in html
    assert ">Pasienter</a>" in html and ">Logg ut</button>" in html


def test_signed_out_pages_show_the_language_switch_but_no_menu(client):
    html = client.get(reverse("login")).content.decode()
    assert 'class="lang-switch"' in html and "<nav" not in html and 'class="who"' not in html


def test_the_forms_of_a_page_share_one_masked_csrf_token_per_response_which_is_accepted(practitioner, patient, episode):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(practitioner)
    chart_url = reverse("patient_chart", args=[patient.pk])
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="(\w+)"', client.get(chart_url).content.decode())
    assert len(tokens) >= 3 and len(set(tokens)) == 1  # language switch, sign out, intake link, closing the episode
    assert set(re.findall(r'name="csrfmiddlewaretoken" value="(\w+)"', client.get(chart_url).content.decode())) != set(tokens)
    response = client.post(reverse("set_language"), {"language": "nb", "next": chart_url, "csrfmiddlewaretoken": tokens[0]})
    assert response.status_code == 302
    assert client.post(reverse("set_language"), {"language": "en", "next": chart_url, "csrfmiddlewaretoken": "x" * 64}).status_code == 403
