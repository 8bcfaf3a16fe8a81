"""What staff typed about a patient is shown as text on the patient pages, never as markup.

Each payload goes into the patient's names and phone (and the search text), and every page that
shows them is fetched as someone allowed to see it: the search (page and HTMX results), the
registration form sent back with errors, the edit form and the new episode's form.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from needlechart.patients.models import Patient

# (payload, how it must appear on the page)
PAYLOADS = [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('"><svg onload=alert(1)>', "&lt;svg onload=alert(1)&gt;"),
    ("{{7*7}}", "{{7*7}}"),
    ("javascript:alert(1)", "javascript:alert(1)"),
]
NIN = "17058512311"  # the patient fixture's identity number: finds the patient whatever the names


def assert_shown_as_text(body: str, payload: str, escaped: str, *, at_least: int) -> None:
    if any(c in payload for c in '<>"'):
        assert payload not in body
    assert "<script>alert" not in body and "<svg onload" not in body
    assert 'href="javascript:' not in body and 'src="javascript:' not in body
    assert body.count(escaped) >= at_least, (escaped, body.count(escaped))
    if payload == "{{7*7}}":
        assert ">49<" not in body and " 49 " not in body and ", 49" not in body  # shown as typed, not evaluated


def _get(client, name, *args, **params):
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200, response.content.decode()[:500]
    return response.content.decode()


def _search_page(client, patient):
    return _get(client, "patient_list", q=NIN)


def _search_results(client, patient):
    response = client.get(reverse("patient_list"), {"q": NIN}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results")
    assert response.status_code == 200 and "<html" not in response.content.decode()
    return response.content.decode()


def _edit_form(client, patient):
    return _get(client, "patient_edit", patient.pk)


def _episode_form(client, patient):
    return _get(client, "episode_create", patient.pk)


def _registration_sent_back(client, patient):
    """A registration without a date of birth comes back with what was typed."""
    data = {"given_name": patient.given_name, "family_name": patient.family_name, "phone": patient.phone, "sex": "unknown"}
    response = client.post(reverse("patient_create"), data)
    assert response.status_code == 400
    return response.content.decode()


# (page, how many times each payload is shown on it at least)
PAGES = [
    pytest.param(_search_page, 3, id="search-page"),  # family name, given name, phone
    pytest.param(_search_results, 3, id="search-results"),
    pytest.param(_edit_form, 4, id="edit-form"),  # the heading's name (2) and the form's fields
    pytest.param(_episode_form, 2, id="episode-form"),
    pytest.param(_registration_sent_back, 3, id="registration-with-errors"),
]


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
@pytest.mark.parametrize(("page", "at_least"), PAGES)
def test_patient_pages_show_typed_text_as_text(client_for, front_desk, patient, page, at_least, payload, escaped):
    Patient.objects.filter(pk=patient.pk).update(given_name=payload, family_name=payload, phone=payload)
    patient.refresh_from_db()
    body = page(client_for(front_desk), patient)
    assert_shown_as_text(body, payload, escaped, at_least=at_least)


@pytest.mark.parametrize(("payload", "escaped"), PAYLOADS)
def test_the_search_text_is_shown_back_as_text(client_for, front_desk, patient, payload, escaped):
    body = _get(client_for(front_desk), "patient_list", q=payload)
    assert_shown_as_text(body, payload, escaped, at_least=1)  # in the search box
    if payload.startswith('"'):
        assert 'value="&#34;&gt;' in body or 'value="&quot;&gt;' in body  # the quote cannot end the attribute
