"""The benchmark's ceiling: the cheapest useful authenticated page (see bench/bench_chart.py).

Routed only when NEEDLECHART_BENCH=1 (needlechart_bench.urls). It goes through the same
middleware, session, authentication and clinic scoping as every real page, then does one
indexed query, so the gap between it and a real page is what that page itself costs.
"""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse

from needlechart.clinics.models import User
from needlechart.core.access import Capability, staff_view
from needlechart.patients.selectors import patients_for_user


@staff_view(Capability.VIEW_DEMOGRAPHICS)
def ceiling(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = request.user
    if not isinstance(user, User):
        raise Http404
    family_name = patients_for_user(user=user).filter(pk=patient_id).values_list("family_name", flat=True).first()
    if family_name is None:
        raise Http404
    return HttpResponse(f"ok {len(family_name)}", content_type="text/plain")
