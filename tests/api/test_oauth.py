"""OAuth 2 client credentials: a client made for them gets access tokens from /o/token/ with its
own scopes at most, which act as the client does; a revoked or expired client gets none, and the
tokens it has stop working. Neither the secret nor the access tokens are stored as they are."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from needlechart.api import services
from needlechart.api.models import ApiClient
from needlechart.api.scopes import Scope
from needlechart.audit.models import AuditEvent
from tests.api.conftest import READ, READ_WRITE, Api


@pytest.fixture
def oauth_client(clinic_admin):
    client, secret = services.api_client_create(actor=clinic_admin, name="Registry sync", scopes=READ_WRITE, valid_days=30, oauth=True)
    return client, secret


def _token(client_id: str, secret: str, **data):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return Client().post(reverse("oauth_token"), {"grant_type": "client_credentials", **data}, headers={"Authorization": f"Basic {basic}"})


def test_client_credentials_give_an_access_token_with_the_clients_scopes(oauth_client, patient):
    client, secret = oauth_client
    response = _token(client.application.client_id, secret)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert set(body["scope"].split()) == {"demographics:read", "demographics:write"}
    api = Api(body["access_token"])
    assert api.get(f"/api/v1/patients/{patient.pk}").status_code == 200
    event = AuditEvent.objects.filter(action="view", object_type="patient").get()
    assert event.actor_username == "api:Registry sync" and event.detail["api_client"] == str(client.pk)


def test_neither_the_secret_nor_an_access_token_is_stored_as_it_is(oauth_client):
    client, secret = oauth_client
    access = _token(client.application.client_id, secret).json()["access_token"]
    application = Application.objects.get(pk=client.application_id)
    assert application.client_secret != secret and secret not in application.client_secret
    stored = AccessToken.objects.get(application=application)
    assert stored.token == "" and access not in str(AccessToken.objects.filter(pk=stored.pk).values().get())
    assert client.token_prefix is None and client.token_digest == ""


def test_an_access_token_asked_for_fewer_scopes_has_only_those(oauth_client, patient):
    client, secret = oauth_client
    body = _token(client.application.client_id, secret, scope="demographics:write").json()
    assert body["scope"] == "demographics:write"
    response = Api(body["access_token"]).get(f"/api/v1/patients/{patient.pk}")
    assert response.status_code == 403 and 'scope="demographics:read"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("scope", ["clinical:read", "demographics:read export", "everything"])
def test_no_access_token_has_a_scope_the_client_lacks(oauth_client, scope):
    client, secret = oauth_client
    response = _token(client.application.client_id, secret, scope=scope)
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


def test_a_wrong_secret_gets_no_token(oauth_client):
    client, _secret = oauth_client
    response = _token(client.application.client_id, "not-the-secret")
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_a_revoked_client_gets_no_token_and_its_tokens_stop(oauth_client, clinic_admin, patient):
    client, secret = oauth_client
    access = _token(client.application.client_id, secret).json()["access_token"]
    services.api_client_revoke(actor=clinic_admin, client=client)
    assert _token(client.application.client_id, secret).status_code == 401
    assert Api(access).get(f"/api/v1/patients/{patient.pk}").status_code == 401
    assert not AccessToken.objects.filter(application_id=client.application_id).exists()


def test_an_expired_client_gets_no_token_and_its_tokens_stop(oauth_client, patient):
    client, secret = oauth_client
    access = _token(client.application.client_id, secret).json()["access_token"]
    ApiClient.objects.filter(pk=client.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _token(client.application.client_id, secret).status_code == 401
    response = Api(access).get(f"/api/v1/patients/{patient.pk}")
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_an_expired_access_token_is_refused(oauth_client, patient):
    client, secret = oauth_client
    access = _token(client.application.client_id, secret).json()["access_token"]
    AccessToken.objects.filter(application_id=client.application_id).update(expires=timezone.now() - dt.timedelta(seconds=1))
    response = Api(access).get(f"/api/v1/patients/{patient.pk}")
    assert response.status_code == 401 and "/o/token/" in response.json()["detail"]


def test_another_clinics_oauth_client_sees_none_of_this_clinics_records(other_admin, patient):
    client, secret = services.api_client_create(actor=other_admin, name="Theirs", scopes=READ, valid_days=30, oauth=True)
    api = Api(_token(client.application.client_id, secret).json()["access_token"])
    assert api.get(f"/api/v1/patients/{patient.pk}").status_code == 404
    assert api.get("/api/v1/patients").json()["items"] == []


def test_an_application_made_outside_the_api_clients_opens_nothing(patient):
    application = Application.objects.create(
        name="Stray", client_type="confidential", authorization_grant_type="client-credentials", client_secret="stray-secret"
    )
    response = _token(application.client_id, "stray-secret")
    assert response.status_code == 401  # no API client: the validator does not authenticate it


def test_the_page_makes_an_oauth_client_and_shows_its_secret_once(client_for, clinic_admin, patient):
    page = client_for(clinic_admin)
    created = page.post(
        reverse("api_client_create"), {"name": "Billing", "scopes": ["demographics:read"], "valid_days": "30", "credentials": "oauth"}
    )
    assert created.status_code == 200
    client = ApiClient.objects.get(name="Billing")
    secret = created.context["secret"]
    html = created.content.decode()
    assert secret in html and client.application.client_id in html and "/o/token/" in html
    access = _token(client.application.client_id, secret).json()["access_token"]
    assert Api(access).get(f"/api/v1/patients/{patient.pk}").status_code == 200
    listing = page.get(reverse("api_client_list")).content.decode()
    assert client.application.client_id in listing and secret not in listing


def test_the_document_names_the_oauth_flow_beside_the_token(db):
    document = Client().get("/api/v1/openapi.json").json()
    flows = document["components"]["securitySchemes"]["OAuth2"]["flows"]
    credentials = flows["clientCredentials"]
    assert credentials["tokenUrl"] == "http://testserver/o/token/" and set(credentials["scopes"]) == set(Scope)
    for item in document["paths"].values():
        for op in item.values():
            (token,), (oauth,) = (list(r.values()) for r in op["security"])
            assert token == oauth and len(token) == 1
