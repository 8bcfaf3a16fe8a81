"""The API's URLs, included by the web shell: the clinic admins' API client pages and /api/v1/."""

from __future__ import annotations

from django.urls import path

from needlechart.api import views
from needlechart.api.v1.urls import api

urlpatterns = [
    path("staff/api-clients/", views.client_list, name="api_client_list"),
    path("staff/api-clients/new/", views.client_create, name="api_client_create"),
    path("staff/api-clients/<uuid:client_id>/revoke/", views.client_revoke, name="api_client_revoke"),
    path("api/v1/", api.urls),
]
