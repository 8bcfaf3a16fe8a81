"""The API's URLs, included by the web shell: the clinic admins' API client pages."""

from __future__ import annotations

from django.urls import path

from needlechart.api import views

urlpatterns = [
    path("staff/api-clients/", views.client_list, name="api_client_list"),
    path("staff/api-clients/new/", views.client_create, name="api_client_create"),
    path("staff/api-clients/<uuid:client_id>/revoke/", views.client_revoke, name="api_client_revoke"),
]
