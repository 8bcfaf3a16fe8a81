"""``/o/authorize/``: a staff member lets an authorization code client act as them (OAuth 2 with PKCE).

django-oauth-toolkit's AuthorizationView, with needlechart's rules on top. The staff member signs
in first (and gives their second factor if the clinic asks for it: web.middleware.SecondFactorMiddleware
stands before every page but the sign-in ones). The client must be an authorization code client
of the signed-in staff member's own clinic; another clinic's staff member gets a 403 page. The
scopes are those asked for that the client has and that the member's role may do
(api.oauth.granted_scopes), computed again when the form is sent (its hidden fields may be
changed). Consent is asked every time (no "approval_prompt=auto", no skipping). Every decision,
granted or denied, is an audit row of the client's clinic naming the member and the client.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.scopes import get_scopes_backend
from oauth2_provider.views import AuthorizationView

from needlechart.api.models import ApiClient
from needlechart.api.oauth import granted_scopes
from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.core.access import is_clinic_staff


def _client_of(client_id: str) -> ApiClient | None:
    return ApiClient.objects.select_related("application").filter(application__client_id=client_id).first()


def _audit(request: HttpRequest, client: ApiClient, outcome: str, *, scopes: list[str], reason: str = "") -> None:
    audit_record(
        actor=request.user,
        # A granted authorization makes a grant; a refused one is recorded as the client's page viewed.
        action=AuditAction.CREATE if outcome == "granted" else AuditAction.VIEW,
        object_type=AuditObject.API_CLIENT,
        object_id=client.pk,
        clinic_id=client.clinic_id,
        detail={
            "oauth_authorization": outcome,
            "api_client": str(client.pk),
            "api_client_name": client.name,
            "scopes": scopes,
            **({"reason": reason} if reason else {}),
        },
    )


class ClinicAuthorizationView(AuthorizationView):
    """The consent page (api/jinja2/oauth2_provider/authorize.html) and its answer."""

    def _refusal(self, client: ApiClient | None, scopes: list[str]) -> HttpResponse | None:
        """The 403 page when this staff member cannot authorize this client at all, audited."""
        request, user = self.request, self.request.user
        if client is None or not client.is_authorization_code:
            return render(request, "api/authorize_refused.html", {"reason": _("This system cannot ask for sign-in.")}, status=403)
        if not is_clinic_staff(user) or user.clinic_id != client.clinic_id:
            if is_clinic_staff(user):
                _audit(request, client, "denied", scopes=scopes, reason="other_clinic")
            reason = _("%(name)s belongs to another clinic. Only its own clinic's staff can let it act for them.") % {"name": client.name}
            return render(request, "api/authorize_refused.html", {"reason": reason}, status=403)
        if not granted_scopes(scopes, client, user):
            _audit(request, client, "denied", scopes=scopes, reason="no_scope_for_role")
            reason = _("Your role may not do what %(name)s asks for, so it cannot act for you.") % {"name": client.name}
            return render(request, "api/authorize_refused.html", {"reason": reason}, status=403)
        return None

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        # The toolkit's error page context has the error's redirect address as "url", which would
        # hide the templates' url() function: the page of an invalid request does not link to it.
        return super().render_to_response({key: value for key, value in context.items() if key != "url"}, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        client = _client_of(credentials["client_id"])
        refusal = self._refusal(client, list(scopes))
        if refusal is not None:
            return refusal
        assert client is not None
        granted = granted_scopes(list(scopes), client, self.request.user)
        all_scopes = get_scopes_backend().get_all_scopes()
        self.oauth2_data = {
            "scope": granted,
            "client_id": credentials["client_id"],
            "redirect_uri": credentials["redirect_uri"],
            "response_type": credentials["response_type"],
            "state": credentials["state"],
            "code_challenge": credentials.get("code_challenge"),
            "code_challenge_method": credentials.get("code_challenge_method"),
        }
        context = {
            "form": self.get_form(self.get_form_class()),
            "application": client.application,
            "client": client,
            "scopes": granted,
            "scopes_descriptions": [all_scopes[scope] for scope in granted],
            "scope_items": [(scope, all_scopes[scope]) for scope in granted],
            "left_out": sorted(set(scopes) - set(granted)),
        }
        return self.render_to_response(self.get_context_data(**context))

    def form_valid(self, form: Any) -> HttpResponse:
        client = _client_of(form.cleaned_data.get("client_id") or "")
        requested = (form.cleaned_data.get("scope") or "").split()
        refusal = self._refusal(client, requested)
        if refusal is not None:
            return refusal
        assert client is not None
        granted = granted_scopes(requested, client, self.request.user)
        form.cleaned_data["scope"] = " ".join(granted)
        allow = bool(form.cleaned_data.get("allow"))
        with transaction.atomic():
            response = super().form_valid(form)
            location = response.get("Location", "") if response.status_code in (301, 302, 303, 307, 308) else ""
            if allow and "code" in parse_qs(urlsplit(location).query):
                _audit(self.request, client, "granted", scopes=granted)
            else:
                _audit(self.request, client, "denied", scopes=granted, reason="declined" if not allow else "invalid_request")
        return response
