"""/fhir/'s URLs (included under fhir/ by api/urls.py): metadata, a type's search, a resource's read,
the transaction (POST to the base, or to Bundle), the bulk export's kick-off, status and files,
and an OperationOutcome 404 for any other address under it."""

from __future__ import annotations

from django.urls import path, re_path

from needlechart.api.fhir import bulk, everything, views
from needlechart.api.fhir.transaction import posted_or

urlpatterns = [
    path("", posted_or(views.not_found), name="fhir_root"),
    path("metadata", views.metadata, name="fhir_metadata"),
    path("Bundle", posted_or(views.search), {"resource_type": "Bundle"}),
    path("$export", bulk.export_system, name="fhir_export"),
    re_path(r"^Group/(?P<group_id>[A-Za-z0-9\-.]{1,64})/\$export$", bulk.export_group, name="fhir_group_export"),
    path("_export/<uuid:job_id>", bulk.export_status, name="fhir_export_status"),
    re_path(
        r"^_export/(?P<job_id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/(?P<resource_type>[A-Za-z]{1,64})\.ndjson$",
        bulk.export_file,
        name="fhir_export_file",
    ),
    re_path(r"^(?P<resource_type>[A-Za-z]{1,64})$", views.search, name="fhir_search"),
    re_path(r"^(?P<resource_type>[A-Za-z]{1,64})/(?P<resource_id>[A-Za-z0-9\-.]{1,64})$", views.read, name="fhir_read"),
    re_path(r"^Patient/(?P<patient_id>[A-Za-z0-9\-.]{1,64})/\$everything$", everything.patient_everything, name="fhir_patient_everything"),
    re_path(r"^.*$", views.not_found),
]
