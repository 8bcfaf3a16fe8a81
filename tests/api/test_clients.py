"""API clients: a clinic admin makes them with scopes their own role holds, sees the token once,
and revokes them; only a digest of the token is stored; every change is audited."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from needlechart.api import services
from needlechart.api.models import ApiClient
from needlechart.api.scopes import SCOPE_CAPABILITIES, Scope, grantable_scopes
from needlechart.audit.models import AuditEvent
from needlechart.core import access
from needlechart.core.access import Capability, Role
from tests.api.conftest import READ, Api


def test_a_new_clients_token_is_stored_only_as_its_digest(clinic_admin):
    client, token = services.api_client_create(actor=clinic_admin, name="Booking", scopes=READ, valid_days=30)
    assert token.startswith(f"nct_{client.token_prefix}_") and len(token) == 4 + 12 + 1 + 43
    assert client.token_digest == hashlib.sha256(token.encode()).hexdigest()
    stored = ApiClient.objects.filter(pk=client.pk).values().get()
    assert not any(token in str(value) or token.split("_", 2)[2] in str(value) for value in stored.values())
    assert client.acting_role == Role.CLINIC_ADMIN and client.clinic_id == clinic_admin.clinic_id
    assert abs(client.expires_at - (timezone.now() + dt.timedelta(days=30))) < dt.timedelta(minutes=1)
    event = AuditEvent.objects.get(object_type="api_client")
    assert (event.action, event.actor_id, event.object_id) == ("create", clinic_admin.pk, str(client.pk))
    assert token not in str(event.detail) and event.detail["credentials"] == client.shown_token


def test_two_tokens_never_share_a_prefix_or_a_secret(clinic_admin):
    tokens = [services.api_client_create(actor=clinic_admin, name=f"S{n}", scopes=READ, valid_days=1)[1] for n in range(20)]
    assert len({t.split("_")[1] for t in tokens}) == 20 and len(set(tokens)) == 20


def test_a_clinic_admin_cannot_give_a_scope_their_role_does_not_hold(clinic_admin):
    assert grantable_scopes(clinic_admin) == [Scope.DEMOGRAPHICS_READ, Scope.DEMOGRAPHICS_WRITE, Scope.APPOINTMENTS_WRITE]
    for scope in (Scope.CLINICAL_READ, Scope.EXPORT):
        with pytest.raises(PermissionDenied):
            services.api_client_create(actor=clinic_admin, name=f"Clinical {scope}", scopes=[Scope.DEMOGRAPHICS_READ, scope], valid_days=30)
    assert not ApiClient.objects.exists()


def test_what_a_role_can_give_follows_the_roles_capabilities(clinic_admin, monkeypatch):
    widened = dict(access.ROLE_CAPABILITIES) | {Role.CLINIC_ADMIN: access.ROLE_CAPABILITIES[Role.CLINIC_ADMIN] | {Capability.VIEW_CLINICAL}}
    monkeypatch.setattr(access, "ROLE_CAPABILITIES", widened)
    assert Scope.CLINICAL_READ in grantable_scopes(clinic_admin)
    client, _token = services.api_client_create(actor=clinic_admin, name="Registry", scopes=[Scope.CLINICAL_READ], valid_days=30)
    assert client.scopes == {Scope.CLINICAL_READ}


def test_every_scope_needs_capabilities_some_role_has():
    every = set().union(*access.ROLE_CAPABILITIES.values())
    assert set(SCOPE_CAPABILITIES) == set(Scope) and all(needed <= every for needed in SCOPE_CAPABILITIES.values())


@pytest.mark.parametrize("persona", ["practitioner", "front_desk"])
def test_only_those_who_manage_staff_make_clients(request, persona):
    with pytest.raises(PermissionDenied):
        services.api_client_create(actor=request.getfixturevalue(persona), name="Mine", scopes=READ, valid_days=30)


@pytest.mark.parametrize(
    ("name", "scopes", "days"),
    [
        ("Booking", READ, 0),
        ("Booking", READ, 366),
        ("Booking", [], 30),
        ("Booking", ["everything"], 30),
        ("", READ, 30),
        ("Two\nlines", READ, 30),
    ],
)
def test_a_client_needs_a_name_a_known_scope_and_a_bounded_expiry(clinic_admin, name, scopes, days):
    with pytest.raises(ValidationError):
        services.api_client_create(actor=clinic_admin, name=name, scopes=scopes, valid_days=days)


def test_a_clinic_has_one_client_of_a_name(clinic_admin, other_admin):
    services.api_client_create(actor=clinic_admin, name="Booking", scopes=READ, valid_days=30)
    with pytest.raises(ValidationError):
        services.api_client_create(actor=clinic_admin, name="Booking", scopes=READ, valid_days=30)
    services.api_client_create(actor=other_admin, name="Booking", scopes=READ, valid_days=30)


def test_revoking_is_audited_once_and_stops_the_token(clinic_admin, patient, other_admin):
    client, token = services.api_client_create(actor=clinic_admin, name="Booking", scopes=READ, valid_days=30)
    assert Api(token).get(f"/api/v1/patients/{patient.pk}").status_code == 200
    with pytest.raises(PermissionDenied):
        services.api_client_revoke(actor=other_admin, client=client)
    services.api_client_revoke(actor=clinic_admin, client=client)
    services.api_client_revoke(actor=clinic_admin, client=client)
    assert AuditEvent.objects.filter(object_type="api_client", action="update").count() == 1
    assert Api(token).get(f"/api/v1/patients/{patient.pk}").status_code == 401


# --- the pages -----------------------------------------------------------------------------------


def test_an_admin_makes_a_client_on_the_page_and_sees_the_token_once(client_for, clinic_admin, patient):
    page = client_for(clinic_admin)
    form = page.get(reverse("api_client_create"))
    assert form.status_code == 200
    html = form.content.decode()
    assert 'value="clinical:read" disabled' in html and 'value="demographics:read">' in html
    created = page.post(reverse("api_client_create"), {"name": "Booking system", "scopes": ["demographics:read"], "valid_days": "90"})
    assert created.status_code == 200
    token = created.context["secret"]
    assert token in created.content.decode() and created["Cache-Control"] == "no-store, private"
    assert Api(token).get(f"/api/v1/patients/{patient.pk}").status_code == 200
    listing = page.get(reverse("api_client_list")).content.decode()
    assert "Booking system" in listing and token not in listing and token[:16] in listing
    assert 'href="/staff/api-clients/"' in page.get(reverse("staff_list")).content.decode()  # the main menu's link


def test_the_page_refuses_a_scope_the_admin_cannot_give(client_for, clinic_admin):
    response = client_for(clinic_admin).post(
        reverse("api_client_create"), {"name": "Registry", "scopes": ["clinical:read"], "valid_days": "90"}
    )
    assert response.status_code == 400 and not ApiClient.objects.exists()


@pytest.mark.parametrize("days", ["0", "366", "many"])
def test_the_page_refuses_an_expiry_out_of_bounds(client_for, clinic_admin, days):
    response = client_for(clinic_admin).post(
        reverse("api_client_create"), {"name": "B", "scopes": ["demographics:read"], "valid_days": days}
    )
    assert response.status_code == 400 and not ApiClient.objects.exists()


def test_the_page_says_when_the_name_is_taken(client_for, clinic_admin):
    services.api_client_create(actor=clinic_admin, name="Booking", scopes=READ, valid_days=30)
    response = client_for(clinic_admin).post(
        reverse("api_client_create"), {"name": "Booking", "scopes": ["demographics:read"], "valid_days": "9"}
    )
    assert response.status_code == 400 and "already has a client of this name" in response.content.decode()


def test_an_admin_revokes_a_client_on_the_page(client_for, clinic_admin):
    client, _token = services.api_client_create(actor=clinic_admin, name="Booking", scopes=READ, valid_days=30)
    page = client_for(clinic_admin)
    assert page.post(reverse("api_client_revoke", args=[client.pk])).status_code == 302
    assert ApiClient.objects.get().revoked_by == clinic_admin
    assert "Revoked" in page.get(reverse("api_client_list")).content.decode()


@pytest.mark.parametrize("persona", ["practitioner", "front_desk"])
def test_other_roles_are_refused_the_pages(request, client_for, clinic_admin, persona):
    client, _token = services.api_client_create(actor=clinic_admin, name="Booking", scopes=READ, valid_days=30)
    page = client_for(request.getfixturevalue(persona))
    assert page.get(reverse("api_client_list")).status_code == 403
    assert page.get(reverse("api_client_create")).status_code == 403
    assert page.post(reverse("api_client_revoke", args=[client.pk])).status_code == 403
    assert ApiClient.objects.get().revoked_at is None


def test_another_clinics_admin_cannot_see_or_revoke_the_client(client_for, clinic_admin, other_admin):
    client, _token = services.api_client_create(actor=clinic_admin, name="Booking", scopes=READ, valid_days=30)
    page = client_for(other_admin)
    assert "Booking" not in page.get(reverse("api_client_list")).content.decode()
    assert page.post(reverse("api_client_revoke", args=[client.pk])).status_code == 404
    assert ApiClient.objects.get().revoked_at is None


def test_anonymous_visitors_are_sent_to_sign_in(client, clinic_admin):
    assert client.get(reverse("api_client_list")).status_code == 302
    assert client.post(reverse("api_client_create")).status_code == 302


def test_the_pages_are_in_norwegian_for_a_norwegian_admin(client_for, clinic_admin):
    services.api_client_create(actor=clinic_admin, name="Booking", scopes=READ, valid_days=30)
    page = client_for(clinic_admin)
    page.post(reverse("set_language"), {"language": "nb", "next": "/"})
    html = page.get(reverse("api_client_list")).content.decode()
    assert "API-klienter" in html and "Lese demografi" in html
