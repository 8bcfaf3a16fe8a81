"""Fixtures the screening tests share."""

from tests.screening.test_intake_pages import link_url  # noqa: F401 - the intake link fixture
