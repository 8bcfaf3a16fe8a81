"""Sign-in pages, error pages and the health check."""

from __future__ import annotations

import math

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from needlechart.api.problems import is_api_request, shell_problem
from needlechart.clinics import throttle
from needlechart.core.access import AwaitingApproval, Refusal
from needlechart.core.forms import form_field


class LoginForm(AuthenticationForm):
    """Django's sign-in form, with the username's length checked before anything is looked up.

    Django sets the field's ``max_length`` after the field is built, so it is shown to the browser
    but not validated: a longer name went on to django-axes, whose record of the failed attempt
    could not hold it (a 500 on PostgreSQL)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = form_field(self, "username", forms.CharField)
        field.validators.append(MaxLengthValidator(field.max_length or 150))

    def get_invalid_login_error(self) -> forms.ValidationError:
        until = getattr(self.request, throttle.REFUSED_UNTIL, None)
        if until is None:
            return super().get_invalid_login_error()
        minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
        message = ngettext(
            "Too many failed sign-ins for this account from elsewhere. Try again in %(n)s minute; from a computer it has "
            "signed in from before, it can sign in now.",
            "Too many failed sign-ins for this account from elsewhere. Try again in %(n)s minutes; from a computer it has "
            "signed in from before, it can sign in now.",
            minutes,
        )
        return forms.ValidationError(message % {"n": minutes}, code="throttled")


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if getattr(self.request, throttle.REFUSED_UNTIL, None) is not None:
            response.status_code = 429
        return response

    def form_valid(self, form):
        response = super().form_valid(form)
        # Staff work in their own language from the first page after signing in.
        language = form.get_user().preferred_language
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        return response


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if is_api_request(request):  # an address under /api/ the API's own views did not answer
        return shell_problem(status, message, request)
    return render(request, "error.html", {"status": status, "title": title, "message": message}, status=status)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    return _error(request, 400, _("Bad request"), _("The request could not be understood. Please go back and try again."))


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if isinstance(exception, AwaitingApproval):
        return _error(request, 403, _("Waiting for approval"), exception.message)
    if isinstance(exception, Refusal):
        return _error(request, 403, _("Not allowed"), exception.message)
    return _error(
        request,
        403,
        _("Not available for your role"),
        _("Your role in this clinic does not give access to this page. Ask a clinic admin if you need it."),
    )


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return _error(request, 404, _("Not found"), _("There is nothing here, or it belongs to another clinic."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, _("Something went wrong"), _("The error has been logged. Nothing you saved was lost; please try again."))
