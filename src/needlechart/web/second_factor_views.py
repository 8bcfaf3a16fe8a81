"""The sign-in's second step and setting up an authenticator app (clinics.second_factor)."""

from __future__ import annotations

import base64
import io
from typing import cast

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp.middleware import is_verified

from needlechart.clinics import passkeys, second_factor
from needlechart.clinics.models import User
from needlechart.web.passkey_views import page_config


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_verify(request: HttpRequest) -> HttpResponse:
    """The code from the authenticator app (or a recovery code), after the password."""
    user = cast(User, request.user)
    if not second_factor.has_second_factor(user):
        return redirect("second_factor_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = second_factor.verify(user=user, token=form.cleaned_data["code"])
        if device is not None:
            django_otp.login(request, device)
            return redirect(_next_url(request))
        form.add_error("code", _("That code is not right, or it has expired. Wait for the next code; each wrong one adds to the wait."))
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "next": _next_url(request), "passkey_config": passkeys.has_passkey(user) and page_config(request)}
    return render(request, "registration/second_factor_verify.html", context, status=status)


def _qr_code(uri: str) -> str:
    """The otpauth URI as an SVG QR code in a data URL (an <img>: no markup of ours)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the code (or type the key), confirm with a code from the
    app, and keep the recovery codes shown once. Also where new recovery codes are made."""
    user = cast(User, request.user)
    if request.method == "POST" and request.POST.get("renew") and is_verified(user):
        renewed = second_factor.recovery_codes_renew(user=user)
        return render(request, "registration/second_factor_codes.html", {"codes": renewed, "next": "/"})
    if second_factor.has_second_factor(user) and not is_verified(user):
        return redirect("second_factor_verify")  # replacing a factor takes the current one first
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = second_factor.confirm_enrolment(user=user, token=form.cleaned_data["code"])
        if codes is not None:
            django_otp.login(request, second_factor.confirmed_device(user))
            return render(request, "registration/second_factor_codes.html", {"codes": codes, "next": _next_url(request)})
        form.add_error("code", _("That code is not right. Check that the app shows needlechart and type the code it shows now."))
    device = second_factor.enrolment_device(user)
    context = {
        "form": form,
        "qr_code": _qr_code(device.config_url),
        "key": base64.b32encode(device.bin_key).decode("ascii"),
        "has_factor": second_factor.has_second_factor(user),
        "required": second_factor.required_for(user),
        "next": _next_url(request),
        "passkey_config": is_verified(user) and page_config(request),
        "passkeys": passkeys.passkeys_of(user),
    }
    return render(request, "registration/second_factor_setup.html", context, status=400 if request.method == "POST" else 200)
