"""The clinic admins' pages for API clients: the list, a new client (its token shown once), revoking."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from needlechart.api import selectors, services
from needlechart.api.forms import ApiClientForm
from needlechart.api.scopes import SCOPE_HELP, Scope, may_grant
from needlechart.clinics.http import StaffRequest
from needlechart.core.access import Capability, staff_view


@staff_view(Capability.MANAGE_STAFF)
def client_list(request: StaffRequest) -> HttpResponse:
    clients = list(selectors.api_clients_for_user(user=request.user))
    return render(request, "api/client_list.html", {"clients": clients, "now": timezone.now(), "scope_labels": dict(Scope.choices)})


@staff_view(Capability.MANAGE_STAFF)
@require_http_methods(["GET", "POST"])
def client_create(request: StaffRequest) -> HttpResponse:
    form = ApiClientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            client, secret = services.api_client_create(
                actor=request.user,
                name=data["name"],
                scopes=data["scopes"],
                valid_days=data["valid_days"],
                oauth=data["credentials"] in ("oauth", "code_public", "code_confidential"),
                redirect_uris=data["redirect_uris"],
                public=data["credentials"] == "code_public",
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            # The secret exists only in this answer: it is not stored, and the page is not kept (no-store).
            context = {"client": client, "secret": secret, "scope_labels": dict(Scope.choices)}
            return render(request, "api/client_created.html", context)
    scopes = [(scope, SCOPE_HELP[scope], may_grant(request.user, scope)) for scope in Scope]
    status = 400 if request.method == "POST" else 200
    return render(request, "api/client_form.html", {"form": form, "scopes": scopes}, status=status)


@staff_view(Capability.MANAGE_STAFF)
@require_POST
def client_revoke(request: StaffRequest, client_id: uuid.UUID) -> HttpResponse:
    client = selectors.api_client_get_for_user(user=request.user, client_id=client_id)
    services.api_client_revoke(actor=request.user, client=client)
    messages.success(request, _("The token of %(name)s is revoked: its next call is refused.") % {"name": client.name})
    return redirect("api_client_list")
