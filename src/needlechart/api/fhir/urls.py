"""/fhir/'s URLs (included under fhir/ by api/urls.py): metadata, a type's search, a resource's read,
and an OperationOutcome 404 for any other address under it."""

from __future__ import annotations

from django.urls import path, re_path

from needlechart.api.fhir import views

urlpatterns = [
    path("", views.not_found, name="fhir_root"),
    path("metadata", views.metadata, name="fhir_metadata"),
    re_path(r"^(?P<resource_type>[A-Za-z]{1,64})$", views.search, name="fhir_search"),
    re_path(r"^(?P<resource_type>[A-Za-z]{1,64})/(?P<resource_id>[A-Za-z0-9\-.]{1,64})$", views.read, name="fhir_read"),
    re_path(r"^.*$", views.not_found),
]
