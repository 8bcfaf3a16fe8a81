"""core.links.object_url gives what reverse() gives."""

from __future__ import annotations

import uuid

from django.urls import reverse, set_script_prefix

from needlechart.core.links import object_url


def test_object_urls_read_as_reverse_also_under_a_script_prefix():
    pk = uuid.uuid4()
    for prefix in ("/", "/clinic/"):
        set_script_prefix(prefix)
        try:
            assert object_url("patient_chart", pk) == reverse("patient_chart", args=[pk])
            assert object_url("muscle_detail", "upper_trapezius") == reverse("muscle_detail", args=["upper_trapezius"])
            assert object_url("staff_detail", 42) == reverse("staff_detail", args=[42]) == f"{prefix}staff/42/"
        finally:
            set_script_prefix("/")
