from __future__ import annotations

import pytest

from needlechart.charting import services as charting
from needlechart.homecare import services
from tests.needling.conftest import ready_session, screened  # noqa: F401 - shared fixtures


@pytest.fixture
def prescribed(ready_session, practitioner, draft_note):  # noqa: F811 - the shared fixture
    """A needling visit (upper trapezius right, gluteus medius left) with its programme suggested, note in draft."""
    services.programme_suggest(actor=practitioner, encounter=ready_session)
    return ready_session


@pytest.fixture
def signed_programme(prescribed, practitioner):
    note = charting.note_sign(actor=practitioner, note=prescribed.note)
    prescribed.refresh_from_db()
    return note
