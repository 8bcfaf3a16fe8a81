from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from needlechart.analytics import views as analytics_views
from needlechart.charting import pain_map_views
from needlechart.charting import views as charting_views
from needlechart.clinics import account_views
from needlechart.clinics import views as clinic_views
from needlechart.documents import views as document_views
from needlechart.homecare import views as homecare_views
from needlechart.knowledge import views as knowledge_views
from needlechart.needling import views as needling_views
from needlechart.outcomes import views as outcome_views
from needlechart.pages import audit_reports
from needlechart.pages import chart as chart_pages
from needlechart.pages import patient_copy as patient_copy_pages
from needlechart.pages import today as day_list_pages
from needlechart.pages import visit as visit_pages
from needlechart.patients import views as patient_views
from needlechart.screening import views as screening_views
from needlechart.web import passkey_views, second_factor_views
from needlechart.web import views as shell_views

urlpatterns = [
    # The API first (its clients' pages, /api/v1/, OAuth 2 and /fhir/: api/urls.py): its clients call
    # many times a minute, and every pattern before the matching one is tried on every call.
    path("", include("needlechart.api.urls")),
    path("", day_list_pages.today, name="today"),
    path("accounts/login/", shell_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/verify/", second_factor_views.second_factor_verify, name="second_factor_verify"),
    path("accounts/second-factor/", second_factor_views.second_factor_setup, name="second_factor_setup"),
    path("accounts/passkeys/", include((passkey_views.urlpatterns, "otp_webauthn"))),
    path("accounts/sessions/", clinic_views.my_sessions, name="my_sessions"),
    path("accounts/password/", account_views.password_change, name="password_change"),
    path("staff/<int:staff_id>/sessions/end/", clinic_views.staff_sessions_end, name="staff_sessions_end"),
    path("staff/second-factor/", clinic_views.second_factor_policy, name="second_factor_policy"),
    path("staff/<int:staff_id>/second-factor/remove/", clinic_views.second_factor_remove, name="second_factor_remove"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("healthz", shell_views.healthz, name="healthz"),
    path("patients/", patient_views.patient_list, name="patient_list"),
    path("patients/new/", patient_views.patient_create, name="patient_create"),
    path("patients/<uuid:patient_id>/", chart_pages.patient_chart, name="patient_chart"),
    path("patients/<uuid:patient_id>/edit/", patient_views.patient_edit, name="patient_edit"),
    path("patients/<uuid:patient_id>/episodes/new/", patient_views.episode_create, name="episode_create"),
    path("patients/<uuid:patient_id>/access-report/", audit_reports.patient_access_report, name="patient_access_report"),
    path("patients/<uuid:patient_id>/copy/", patient_copy_pages.patient_copy, name="patient_copy"),
    path("patients/<uuid:patient_id>/intake/", screening_views.intake_staff, name="intake_staff"),
    path("patients/<uuid:patient_id>/intake/link/", screening_views.intake_link_create, name="intake_link_create"),
    path("patients/<uuid:patient_id>/screening/", screening_views.screening_detail, name="screening_detail"),
    path("intake/<str:token>/", screening_views.intake_public, name="intake_public"),
    path("aftercare/<str:token>/", document_views.aftercare_public, name="aftercare_public"),
    path("aftercare/<str:token>/pdf/", document_views.aftercare_public_pdf, name="aftercare_public_pdf"),
    path("screening/rules/", screening_views.rule_settings, name="rule_settings"),
    path("episodes/<uuid:episode_id>/close/", patient_views.episode_close, name="episode_close"),
    path("episodes/<uuid:episode_id>/visits/", chart_pages.episode_visits, name="episode_visits"),
    path("episodes/<uuid:episode_id>/encounters/new/", charting_views.encounter_create, name="encounter_create"),
    path("encounters/<uuid:encounter_id>/", visit_pages.encounter_detail, name="encounter_detail"),
    path("encounters/<uuid:encounter_id>/status/", charting_views.encounter_status, name="encounter_status"),
    path("encounters/<uuid:encounter_id>/note/", visit_pages.note_save, name="note_save"),
    path("encounters/<uuid:encounter_id>/pain-map/", pain_map_views.pain_map_update, name="pain_map_update"),
    path("encounters/<uuid:encounter_id>/needling/palpation/", needling_views.palpation_save, name="palpation_save"),
    path("encounters/<uuid:encounter_id>/needling/entries/", needling_views.entry_add, name="needling_entry_add"),
    path("encounters/<uuid:encounter_id>/needling/defaults/", needling_views.entry_defaults, name="needling_entry_defaults"),
    path("encounters/<uuid:encounter_id>/needling/repeat/", needling_views.repeat_last, name="needling_repeat_last"),
    path("encounters/<uuid:encounter_id>/needling/consent/", needling_views.consent_save, name="needling_consent"),
    path("encounters/<uuid:encounter_id>/needling/record/", needling_views.record_save, name="needling_record"),
    path("encounters/<uuid:encounter_id>/needling/rom/", needling_views.rom_save, name="needling_rom"),
    path("encounters/<uuid:encounter_id>/needling/ppt/", needling_views.ppt_save, name="needling_ppt"),
    path("encounters/<uuid:encounter_id>/adverse-events/", needling_views.adverse_event_save, name="adverse_event_save"),
    path("encounters/<uuid:encounter_id>/home-programme/suggest/", homecare_views.programme_suggest, name="homecare_suggest"),
    path("encounters/<uuid:encounter_id>/home-programme/items/", homecare_views.programme_add, name="homecare_add"),
    path("encounters/<uuid:encounter_id>/home-programme/note/", homecare_views.programme_note, name="homecare_note"),
    path("home-programme/items/<uuid:row_id>/", homecare_views.programme_item_update, name="homecare_item_update"),
    path("home-programme/items/<uuid:row_id>/remove/", homecare_views.programme_item_remove, name="homecare_item_remove"),
    path("needling/entries/<uuid:entry_id>/remove/", needling_views.entry_remove, name="needling_entry_remove"),
    path("encounters/<uuid:encounter_id>/note.pdf", document_views.session_note_pdf, name="session_note_pdf"),
    path("encounters/<uuid:encounter_id>/aftercare/", document_views.aftercare_page, name="aftercare_page"),
    path("encounters/<uuid:encounter_id>/aftercare.pdf", document_views.aftercare_pdf, name="aftercare_pdf"),
    path("encounters/<uuid:encounter_id>/aftercare/send/", document_views.aftercare_send, name="aftercare_send"),
    path("encounters/<uuid:encounter_id>/aftercare/links/end/", document_views.aftercare_links_end, name="aftercare_links_end"),
    path("encounters/<uuid:encounter_id>/measures/", outcome_views.measurement_save, name="measurement_save"),
    path("measurements/<uuid:measurement_id>/retract/", outcome_views.measurement_retract, name="measurement_retract"),
    path("encounters/<uuid:encounter_id>/follow-up/", outcome_views.follow_up_send, name="follow_up_send"),
    path("follow-up/<uuid:link_id>/<str:secret>/", outcome_views.follow_up_public, name="follow_up_public"),
    path("episodes/<uuid:episode_id>/progress/", outcome_views.episode_progress_page, name="episode_progress"),
    path("episodes/<uuid:episode_id>/progress.pdf", outcome_views.episode_progress_pdf, name="episode_progress_pdf"),
    path("episodes/<uuid:episode_id>/progress/send/", outcome_views.episode_progress_send, name="episode_progress_send"),
    path("patients/<uuid:patient_id>/progress/", outcome_views.progress_panel, name="progress_panel"),
    path("alerts/", outcome_views.alert_list, name="alert_list"),
    path("alerts/<uuid:alert_id>/acknowledge/", outcome_views.alert_acknowledge, name="alert_acknowledge"),
    path("questionnaires/", outcome_views.clinic_instruments, name="clinic_instruments"),
    path("questionnaires/<uuid:row_id>/active/", outcome_views.clinic_instrument_toggle, name="clinic_instrument_toggle"),
    path("analytics/", analytics_views.dashboard, name="analytics"),
    path("analytics/export.csv", analytics_views.export_csv, name="analytics_csv"),
    path("atlas/", knowledge_views.atlas, name="atlas"),
    path("atlas/<slug:muscle_id>/", knowledge_views.muscle_detail, name="muscle_detail"),
    path("bodymap/<slug:view>.svg", knowledge_views.bodymap_outline, name="bodymap_outline"),
    path("notes/<uuid:note_id>/addenda/", visit_pages.addendum_create, name="addendum_create"),
    path("addenda/<uuid:addendum_id>/sign/", visit_pages.addendum_sign, name="addendum_sign"),
    path("staff/", clinic_views.staff_list, name="staff_list"),
    path("staff/new/", clinic_views.staff_create, name="staff_create"),
    path("staff/<int:staff_id>/", clinic_views.staff_detail, name="staff_detail"),
    path("staff/approvals/", account_views.approvals, name="staff_approvals"),
    path("staff/<int:staff_id>/approve/", account_views.staff_approve, name="staff_approve"),
    path("staff/<int:staff_id>/role/", account_views.staff_role, name="staff_role"),
    path("staff/<int:staff_id>/active/", account_views.staff_active, name="staff_active"),
    path("staff/<int:staff_id>/password/", account_views.staff_password, name="staff_password"),
    path("staff/<int:staff_id>/certifications/new/", clinic_views.certification_add, name="certification_add"),
    path("certifications/<uuid:certification_id>/evidence/", clinic_views.certification_evidence, name="certification_evidence"),
    path("audit/", audit_reports.audit_report, name="audit_report"),
    path("calendar/", include("needlechart.scheduling.urls")),
    path("", include("needlechart.public.urls")),  # a clinic's public pages (/c/...), robots.txt, sitemap.xml
    path("admin/", admin.site.urls),
]

handler400 = "needlechart.web.views.bad_request"
handler403 = "needlechart.web.views.permission_denied"
handler404 = "needlechart.web.views.page_not_found"
handler500 = "needlechart.web.views.server_error"
