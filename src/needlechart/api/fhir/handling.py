"""How every FHIR view of /fhir/ answers: the methods it takes, and each error as an OperationOutcome.

``fhir_view("GET", "HEAD")`` wraps a view: another method is a 405 naming those allowed; a
``FhirError``, the API's ``ProblemError`` (401, 403, 429 with their headers), a 404, a refusal by
the access layer (403: the client acts for a role that may not do this), a request Django will
not read (too many parameters, a body over its limit) and any other failure (500, logged) are
OperationOutcomes, never an HTML page. Views that take a body are exempt from CSRF: they are called
with a bearer token, never with a browser's cookie.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from needlechart.api.fhir.outcome import FhirError, outcome_response, problem_outcome
from needlechart.api.problems import ProblemError
from needlechart.core.access import Refusal

logger = logging.getLogger(__name__)
View = Callable[..., HttpResponseBase]


def missing() -> HttpResponse:
    return outcome_response(404, _("There is no such resource in this clinic."))


def refused(error: PermissionDenied) -> HttpResponse:
    if isinstance(error, Refusal) and error.message:
        return outcome_response(403, error.message)
    return outcome_response(
        403, _("This client acts for a role that may not do this. A clinic admin can give it to another role's client.")
    )


def fhir_view(*methods: str) -> Callable[[View], View]:
    allowed = ", ".join(methods)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method not in methods:
                message = _("This address of the FHIR API takes only %(methods)s.") % {"methods": allowed}
                return outcome_response(405, message, headers={"Allow": allowed})
            try:
                return view(request, *args, **kwargs)
            except FhirError as error:
                return error.response()
            except ProblemError as error:
                return problem_outcome(error)
            except Http404:
                return missing()
            except PermissionDenied as error:
                return refused(error)
            except RequestDataTooBig:
                return outcome_response(413, _("The request's body is larger than this server takes."))
            except SuspiciousOperation:  # too many query parameters (DATA_UPLOAD_MAX_NUMBER_FIELDS), a bad host
                return outcome_response(400, _("The request could not be understood."))
            except Exception:
                logger.exception("FHIR call failed: %s %s", request.method, request.path)
                return outcome_response(500, _("The error has been logged. Nothing was changed by this call."))

        return csrf_exempt(wrapped) if set(methods) - {"GET", "HEAD"} else wrapped

    return decorator
