"""OAuth 2 authorization code with PKCE: a staff member of the client's clinic signs in at
/o/authorize/, consents, and the client's tokens act as that member (their role, their name in the
audit log), with the scopes asked for that the client has and the member's role may do. PKCE is
required and S256 only; redirect URIs are exact; another clinic's member is refused; a deactivated
member's tokens stop; refresh tokens rotate; every decision is audited."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from needlechart.api import services
from needlechart.api.models import ApiClient
from needlechart.api.scopes import Scope
from needlechart.audit.models import AuditEvent
from needlechart.clinics.models import SecondFactorPolicy
from tests.api.conftest import Api

REDIRECT = "https://booking.example.com/callback"
LOCAL = "http://127.0.0.1:8765/callback"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@pytest.fixture
def code_client(clinic_admin):
    """A public client with demographics:read and clinical:read (the second as if given by an admin whose role reads records)."""
    client, secret = services.api_client_create(
        actor=clinic_admin,
        name="Booking app",
        scopes=[Scope.DEMOGRAPHICS_READ],
        valid_days=30,
        oauth=True,
        redirect_uris=[REDIRECT, LOCAL],
        public=True,
    )
    assert secret == ""
    ApiClient.objects.filter(pk=client.pk).update(scope="clinical:read demographics:read")
    client.refresh_from_db()
    return client


def _authorize(browser: Client, client: ApiClient, challenge: str | None, **extra: str):
    params = {
        "response_type": "code",
        "client_id": client.application.client_id,
        "redirect_uri": REDIRECT,
        "scope": "demographics:read clinical:read",
        "state": "st-1",
        **({"code_challenge": challenge, "code_challenge_method": "S256"} if challenge else {}),
        **extra,
    }
    return browser.get(reverse("oauth_authorize"), {k: v for k, v in params.items() if v is not None})


def _hidden_fields(page) -> dict[str, str]:
    found = re.findall(r'<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?', page.content.decode())
    return {name: html.unescape(value) for name, value in found}


def _consent(browser: Client, page, *, allow: bool = True):
    assert page.status_code == 200, page.content
    data = _hidden_fields(page)
    assert "csrfmiddlewaretoken" in data and data["code_challenge_method"] == "S256"
    if allow:
        data["allow"] = "Authorize"
    return browser.post(reverse("oauth_authorize"), data)


def _code_of(response) -> str:
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def _exchange(client: ApiClient, code: str, verifier: str | None, redirect_uri: str = REDIRECT):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "client_id": client.application.client_id}
    if verifier is not None:
        data["code_verifier"] = verifier
    return Client().post(reverse("oauth_token"), data)


def _tokens_for(client_for, user, client: ApiClient) -> dict:
    browser = client_for(user)
    verifier, challenge = _pkce()
    code = _code_of(_consent(browser, _authorize(browser, client, challenge)))
    response = _exchange(client, code, verifier)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_full_flow_gives_a_token_acting_as_the_staff_member(client_for, practitioner, code_client, patient):
    browser = client_for(practitioner)
    verifier, challenge = _pkce()
    page = _authorize(browser, code_client, challenge)
    text = page.content.decode()
    assert "Booking app" in text and "Read clinical records" in text and '<html lang="en">' in text
    code = _code_of(_consent(browser, page))
    assert Grant.objects.get(application=code_client.application).user == practitioner
    response = _exchange(code_client, code, verifier)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body["scope"].split()) == {"demographics:read", "clinical:read"} and body["refresh_token"]
    assert AccessToken.objects.get(application=code_client.application).user == practitioner
    api = Api(body["access_token"])
    listed = api.get("/api/v1/patients")
    assert listed.status_code == 200 and [item["id"] for item in listed.json()["items"]] == [str(patient.pk)]
    assert api.get(f"/api/v1/patients/{patient.pk}").status_code == 200
    event = AuditEvent.objects.filter(action="view", object_type="patient").get()
    assert event.actor_id == practitioner.pk and event.actor_username == "practitioner" and event.actor_role == "practitioner"
    assert event.detail["api_client"] == str(code_client.pk) and event.detail["api_client_name"] == "Booking app"
    # The code works once.
    assert _exchange(code_client, code, verifier).status_code == 400


def test_the_consent_page_is_in_norwegian_for_a_norwegian_browser(client_for, practitioner, code_client):
    browser = client_for(practitioner)
    page = browser.get(
        reverse("oauth_authorize"),
        {
            "response_type": "code",
            "client_id": code_client.application.client_id,
            "redirect_uri": REDIRECT,
            "scope": "demographics:read",
            "code_challenge": _pkce()[1],
            "code_challenge_method": "S256",
        },
        headers={"Accept-Language": "nb"},
    )
    text = page.content.decode()
    assert page.status_code == 200 and '<html lang="nb">' in text and "Tillat" in text and "Allow" not in text


def test_a_wrong_verifier_is_refused(client_for, practitioner, code_client):
    browser = client_for(practitioner)
    _verifier, challenge = _pkce()
    code = _code_of(_consent(browser, _authorize(browser, code_client, challenge)))
    response = _exchange(code_client, code, _pkce()[0])
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()


def test_a_token_request_without_the_verifier_is_refused(client_for, practitioner, code_client):
    browser = client_for(practitioner)
    _verifier, challenge = _pkce()
    code = _code_of(_consent(browser, _authorize(browser, code_client, challenge)))
    response = _exchange(code_client, code, None)
    assert response.status_code == 400 and not AccessToken.objects.exists()


def test_an_authorization_without_pkce_is_refused(client_for, practitioner, code_client):
    response = _authorize(client_for(practitioner), code_client, None)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["error"] == ["invalid_request"] and "challenge" in query["error_description"][0].lower()
    assert not Grant.objects.exists()


@pytest.mark.parametrize("method", ["plain", None])
def test_the_plain_method_is_refused(client_for, practitioner, code_client, method):
    _verifier, challenge = _pkce()
    browser = client_for(practitioner)
    params = {
        "response_type": "code",
        "client_id": code_client.application.client_id,
        "redirect_uri": REDIRECT,
        "scope": "demographics:read",
        "code_challenge": challenge,
        **({"code_challenge_method": method} if method else {}),
    }
    response = browser.get(reverse("oauth_authorize"), params)
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["invalid_request"]
    assert not Grant.objects.exists()


def test_plain_slipped_into_the_consent_form_gets_no_code(client_for, practitioner, code_client):
    browser = client_for(practitioner)
    _verifier, challenge = _pkce()
    page = _authorize(browser, code_client, challenge)
    data = _hidden_fields(page) | {"allow": "Authorize", "code_challenge_method": "plain"}
    response = browser.post(reverse("oauth_authorize"), data)
    assert "code" not in parse_qs(urlsplit(response.get("Location", "")).query)
    assert not Grant.objects.exists()


@pytest.mark.parametrize(
    "uri", ["https://evil.example.com/callback", "https://booking.example.com/callback/other", "http://booking.example.com/callback"]
)
def test_a_redirect_uri_not_registered_is_refused_without_redirecting(client_for, practitioner, code_client, uri):
    response = _authorize(client_for(practitioner), code_client, _pkce()[1], redirect_uri=uri)
    assert response.status_code == 400 and "Location" not in response
    assert "not valid" in response.content.decode()
    assert not Grant.objects.exists()


def test_the_token_request_must_name_the_same_redirect_uri(client_for, practitioner, code_client):
    browser = client_for(practitioner)
    verifier, challenge = _pkce()
    code = _code_of(_consent(browser, _authorize(browser, code_client, challenge)))
    response = _exchange(code_client, code, verifier, redirect_uri=LOCAL)
    assert response.status_code == 400 and not AccessToken.objects.exists()


def test_another_clinics_staff_member_is_refused_and_audited(client_for, other_practitioner, code_client):
    response = _authorize(client_for(other_practitioner), code_client, _pkce()[1])
    assert response.status_code == 403 and "another clinic" in response.content.decode()
    assert not Grant.objects.exists()
    event = AuditEvent.objects.filter(object_type="api_client", detail__oauth_authorization="denied").get()
    assert event.actor_id == other_practitioner.pk and event.clinic_id == code_client.clinic_id and event.detail["reason"] == "other_clinic"
    # The form sent anyway is refused as well.
    form = {"client_id": code_client.application.client_id, "redirect_uri": REDIRECT, "scope": "demographics:read", "response_type": "code"}
    assert client_for(other_practitioner).post(reverse("oauth_authorize"), form | {"allow": "Authorize"}).status_code == 403
    assert not Grant.objects.exists()


def test_a_front_desk_member_cannot_give_clinical_read(client_for, front_desk, code_client, patient):
    browser = client_for(front_desk)
    page = _authorize(browser, code_client, _pkce()[1])
    assert _hidden_fields(page)["scope"] == "demographics:read"
    # Adding the scope back into the form does not give it.
    verifier, challenge = _pkce()
    page = _authorize(browser, code_client, challenge)
    data = _hidden_fields(page) | {"allow": "Authorize", "scope": "demographics:read clinical:read"}
    code = _code_of(browser.post(reverse("oauth_authorize"), data))
    body = _exchange(code_client, code, verifier).json()
    assert body["scope"] == "demographics:read"
    api = Api(body["access_token"])
    assert api.get(f"/api/v1/patients/{patient.pk}").status_code == 200
    assert api.get("/fhir/Encounter").status_code == 403


def test_a_front_desk_member_asked_only_for_clinical_read_is_refused(client_for, front_desk, code_client):
    response = _authorize(client_for(front_desk), code_client, _pkce()[1], scope="clinical:read")
    assert response.status_code == 403
    assert AuditEvent.objects.get(detail__oauth_authorization="denied").detail["reason"] == "no_scope_for_role"


def test_a_deactivated_members_token_is_refused(client_for, practitioner, code_client, patient):
    body = _tokens_for(client_for, practitioner, code_client)
    api = Api(body["access_token"])
    assert api.get(f"/api/v1/patients/{patient.pk}").status_code == 200
    practitioner.is_active = False
    practitioner.save(update_fields=["is_active"])
    response = api.get(f"/api/v1/patients/{patient.pk}")
    assert response.status_code == 401 and "staff member" in response.json()["detail"]


def test_a_revoked_clients_tokens_and_refresh_tokens_stop(client_for, practitioner, clinic_admin, code_client, patient):
    body = _tokens_for(client_for, practitioner, code_client)
    services.api_client_revoke(actor=clinic_admin, client=code_client)
    assert Api(body["access_token"]).get(f"/api/v1/patients/{patient.pk}").status_code == 401
    refreshed = Client().post(
        reverse("oauth_token"),
        {"grant_type": "refresh_token", "refresh_token": body["refresh_token"], "client_id": code_client.application.client_id},
    )
    assert refreshed.status_code in (400, 401) and not RefreshToken.objects.filter(application=code_client.application).exists()


def test_a_refresh_token_rotates_and_works_once(client_for, practitioner, code_client, patient):
    body = _tokens_for(client_for, practitioner, code_client)

    def refresh(token: str):
        data = {"grant_type": "refresh_token", "refresh_token": token, "client_id": code_client.application.client_id}
        return Client().post(reverse("oauth_token"), data)

    renewed = refresh(body["refresh_token"])
    assert renewed.status_code == 200, renewed.content
    new = renewed.json()
    assert new["refresh_token"] != body["refresh_token"] and new["access_token"] != body["access_token"]
    assert Api(new["access_token"]).get(f"/api/v1/patients/{patient.pk}").status_code == 200
    assert refresh(body["refresh_token"]).status_code == 400  # the old one is spent
    assert AccessToken.objects.filter(application=code_client.application, user=practitioner).count() <= 1


def test_refusing_is_audited_and_gives_no_code(client_for, practitioner, code_client):
    browser = client_for(practitioner)
    response = _consent(browser, _authorize(browser, code_client, _pkce()[1]), allow=False)
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["access_denied"]
    event = AuditEvent.objects.get(detail__oauth_authorization="denied")
    assert event.actor_id == practitioner.pk and event.detail["reason"] == "declined"
    assert not Grant.objects.exists()


def test_granting_is_audited_with_the_member_the_client_and_the_scopes(client_for, practitioner, code_client):
    _tokens_for(client_for, practitioner, code_client)
    event = AuditEvent.objects.get(detail__oauth_authorization="granted")
    assert event.action == "create" and event.object_id == str(code_client.pk) and event.actor_id == practitioner.pk
    assert event.detail["scopes"] == ["clinical:read", "demographics:read"] and event.detail["api_client_name"] == "Booking app"


def test_signing_in_comes_back_to_the_authorization(client, practitioner, code_client):
    response = _authorize(client, code_client, _pkce()[1])
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "code_challenge" in parse_qs(urlsplit(response["Location"]).query)["next"][0]


def test_the_clinics_second_factor_applies_and_keeps_the_request(client_for, practitioner, code_client):
    practitioner.clinic.second_factor = SecondFactorPolicy.ALL
    practitioner.clinic.save(update_fields=["second_factor"])
    response = _authorize(client_for(practitioner), code_client, _pkce()[1])
    assert response.status_code == 302 and response["Location"].startswith(reverse("second_factor_setup"))
    back = parse_qs(urlsplit(response["Location"]).query)["next"][0]
    assert back.startswith(reverse("oauth_authorize")) and "code_challenge_method=S256" in back and "client_id=" in back
    assert not Grant.objects.exists()


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://booking.example.com/cb", "must use https://"),
        ("https://booking.example.com/cb#frag", "fragment"),
        ("https://*.example.com/cb", "exact"),
        ("ftp://example.com/cb", "not a web address"),
        ("booking.example.com/cb", "not a web address"),
    ],
)
def test_the_page_refuses_a_bad_redirect_uri_with_a_clear_error(client_for, clinic_admin, uri, message):
    data = {"name": "App", "scopes": ["demographics:read"], "valid_days": "30", "credentials": "code_public", "redirect_uris": uri}
    response = client_for(clinic_admin).post(reverse("api_client_create"), data)
    assert response.status_code == 400 and message in html.unescape(response.content.decode())
    assert not ApiClient.objects.exists()


def test_the_page_needs_a_redirect_uri_for_a_code_client(client_for, clinic_admin):
    data = {"name": "App", "scopes": ["demographics:read"], "valid_days": "30", "credentials": "code_confidential", "redirect_uris": ""}
    response = client_for(clinic_admin).post(reverse("api_client_create"), data)
    assert response.status_code == 400 and "at least one redirect URI" in response.content.decode()


def test_the_page_makes_a_confidential_code_client(client_for, clinic_admin, practitioner, patient):
    data = {
        "name": "Server app",
        "scopes": ["demographics:read"],
        "valid_days": "30",
        "credentials": "code_confidential",
        "redirect_uris": f"{REDIRECT}\n  {LOCAL}  \n",
    }
    created = client_for(clinic_admin).post(reverse("api_client_create"), data)
    assert created.status_code == 200
    client = ApiClient.objects.get(name="Server app")
    assert client.is_authorization_code and client.redirect_uris == [REDIRECT, LOCAL] and client.application.client_type == "confidential"
    secret = created.context["secret"]
    assert secret and secret in created.content.decode() and "/o/authorize/" in created.content.decode()
    browser = Client()
    browser.force_login(practitioner)
    verifier, challenge = _pkce()
    code = _code_of(_consent(browser, _authorize(browser, client, challenge, scope="demographics:read")))
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    basic = base64.b64encode(f"{client.application.client_id}:{secret}".encode()).decode()
    without_secret = Client().post(reverse("oauth_token"), form | {"client_id": client.application.client_id})
    assert without_secret.status_code == 401
    response = Client().post(reverse("oauth_token"), form, headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200, response.content
    assert Api(response.json()["access_token"]).get(f"/api/v1/patients/{patient.pk}").status_code == 200


def test_http_is_accepted_for_localhost_only(clinic_admin):
    services.api_client_create(
        actor=clinic_admin, name="Dev", scopes=["demographics:read"], valid_days=1, oauth=True, redirect_uris=["http://localhost:3000/cb"]
    )
    with pytest.raises(ValidationError):
        services.api_client_create(
            actor=clinic_admin, name="Dev 2", scopes=["demographics:read"], valid_days=1, oauth=True, redirect_uris=["http://10.0.0.1/cb"]
        )


def test_the_document_names_the_authorization_code_flow(db):
    document = Client().get("/api/v1/openapi.json").json()
    flow = document["components"]["securitySchemes"]["OAuth2"]["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == "http://testserver/o/authorize/" and flow["tokenUrl"] == "http://testserver/o/token/"
    assert flow["refreshUrl"] == "http://testserver/o/token/" and set(flow["scopes"]) == set(Scope)
