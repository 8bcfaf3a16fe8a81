"""Search keys: every name folds to lower-case ASCII, whatever letters it is typed with."""

from __future__ import annotations

import pytest
from django.urls import reverse

from needlechart.core.text import search_key


@pytest.mark.parametrize(
    ("typed", "key"),
    [("ℌansen", "hansen"), ("ℕordmann", "nordmann"), ("𝐀se", "ase"), ("Ⅸ", "ix"), ("ﬃ", "ffi"), ("ǈ", "lj"), ("ØDEGÅRD", "odegard")],
)
def test_letters_that_fold_to_upper_case_ascii_still_give_a_lower_case_key(typed, key):
    assert search_key(typed) == key


def test_a_search_typed_with_compatibility_letters_finds_the_patient(client_for, front_desk, patient):
    response = client_for(front_desk).get(reverse("patient_list"), {"q": "ℕordmann"})
    assert response.status_code == 200
    assert reverse("patient_chart", args=[patient.pk]) in response.content.decode()
