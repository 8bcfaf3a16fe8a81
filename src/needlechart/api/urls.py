"""The API's URLs, included by the web shell: the clinic admins' API client pages, /api/v1/, and
the OAuth 2 endpoints (django-oauth-toolkit's: the token, and the authorization page of api.authorize)
and FHIR R4 under /fhir/."""

from __future__ import annotations

from django.urls import include, path
from oauth2_provider.views import TokenView

from needlechart.api import views
from needlechart.api.authorize import ClinicAuthorizationView
from needlechart.api.v1.urls import api

urlpatterns = [
    path("staff/api-clients/", views.client_list, name="api_client_list"),
    path("staff/api-clients/new/", views.client_create, name="api_client_create"),
    path("staff/api-clients/<uuid:client_id>/revoke/", views.client_revoke, name="api_client_revoke"),
    path("api/v1/", api.urls),
    path("o/authorize/", ClinicAuthorizationView.as_view(), name="oauth_authorize"),
    path("o/token/", TokenView.as_view(), name="oauth_token"),
    path("fhir/", include("needlechart.api.fhir.urls")),  # FHIR R4 read and search (api/fhir)
]
