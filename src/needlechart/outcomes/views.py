"""Outcome measures at a visit, the patient's follow-up page, progress (page, panel, PDF), alerts, clinic questionnaires."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_read, audit_record
from needlechart.charting.models import Encounter, EncounterStatus, Note
from needlechart.charting.selectors import encounter_get_for_user
from needlechart.clinics.http import StaffRequest
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.access import Capability, has_capability, staff_view
from needlechart.core.public_links import link_refused, public_language
from needlechart.documents.pdf import pdf_response, render_pdf
from needlechart.homecare.models import Adherence
from needlechart.homecare.selectors import patient_programme
from needlechart.outcomes import selectors, services
from needlechart.outcomes.adherence import episode_adherence
from needlechart.outcomes.charts import describe, series_svg
from needlechart.outcomes.follow_up import follow_up_form
from needlechart.outcomes.forms import field_values, instrument_fields
from needlechart.outcomes.instruments import AnswerError
from needlechart.outcomes.models import FollowUpLink
from needlechart.outcomes.progress import episode_progress
from needlechart.outcomes.registry import clinic_instrument_rows, instruments_for_clinic
from needlechart.patients.models import Episode
from needlechart.patients.selectors import episode_get_for_user, patient_get_for_user
from needlechart.screening.services import LinkUnusable

# --- at the visit ---------------------------------------------------------------------------------


def measures_context(
    encounter: Encounter, user: User, *, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, open_form: str = ""
) -> dict[str, Any]:
    """The encounter page's outcome panel: what was measured at this visit, forms for the rest, the follow-up link."""
    language = translation.get_language() or "en"
    earlier = Encounter.objects.filter(episode_id=encounter.episode_id, starts_at__lt=encounter.starts_at)
    first_visit = not earlier.exclude(status=EncounterStatus.CANCELLED).exists()
    activities = services.psfs_activities(encounter.episode_id)
    forms = [
        (instrument, instrument_fields(instrument, language=language, values=values, errors=errors, activities=activities))
        for instrument in instruments_for_clinic(encounter.clinic_id).values()
        if instrument.respondent == "patient" and not (first_visit and instrument.responder == "threshold")  # no change to rate yet
    ]
    errors = errors or {}
    offered = {instrument.id for instrument, _fields in forms}
    # answers to a measure without a form here (a clinician's, GROC at the first visit) have no field to show their message
    unshown = [message for key, message in errors.items() if "." in key and key.split(".", 1)[0] not in offered]
    return {
        "measures": {
            "first_visit": first_visit,
            "taken": selectors.encounter_measurements(encounter),
            "forms": forms,
            "open_form": open_form or (forms[0][0].id if forms else ""),
            "panel_error": errors.get("instrument") or errors.get("retract") or (unshown[0] if unshown else ""),
            "follow_up": selectors.latest_follow_up_link(encounter),
            "signed": Note.objects.filter(encounter=encounter, signed_at__isnull=False).exists(),
            "can_write": has_capability(user, Capability.WRITE_CLINICAL),
        }
    }


def _measures_panel(request: StaffRequest, encounter: Encounter, status: int = 200, **kwargs: Any) -> HttpResponse:
    context = {"encounter": encounter, "patient": encounter.patient, **measures_context(encounter, request.user, **kwargs)}
    return render(request, "outcomes/_measures.html", context, status=status)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def measurement_save(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    code = request.POST.get("instrument", "")
    instrument = instruments_for_clinic(encounter.clinic_id).get(code)
    if instrument is None:
        return _measures_panel(request, encounter, 400, errors={"instrument": _("Unknown outcome measure.")})
    raw = services.instrument_answers(instrument, request.POST, services.psfs_activities(encounter.episode_id))
    try:
        services.measurement_record(actor=request.user, encounter=encounter, instrument_id=code, raw_answers=raw)
    except AnswerError as error:
        errors = {f"{code}.{key}": message for key, message in error.errors.items()}
        return _measures_panel(request, encounter, 400, values=field_values(request.POST), errors=errors, open_form=code)
    except ValidationError as error:
        return _measures_panel(request, encounter, 400, errors={"instrument": error.messages[0]})
    if not request.htmx:
        return redirect("encounter_detail", encounter_id=encounter.pk)
    return _measures_panel(request, encounter)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def measurement_retract(request: StaffRequest, measurement_id: uuid.UUID) -> HttpResponse:
    measurement = selectors.measurement_get_for_user(user=request.user, measurement_id=measurement_id)
    if measurement.encounter_id is None:  # of no visit: no visit panel to answer with (encounter_get_for_user would 404 too)
        raise Http404
    encounter = encounter_get_for_user(user=request.user, encounter_id=measurement.encounter_id)
    try:
        services.measurement_retract(actor=request.user, measurement=measurement, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        return _measures_panel(request, encounter, 400, errors={"retract": error.messages[0]})
    if not request.htmx:
        return redirect("encounter_detail", encounter_id=encounter.pk)
    return _measures_panel(request, encounter)


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def follow_up_send(request: StaffRequest, encounter_id: uuid.UUID) -> HttpResponse:
    """Send the follow-up link by e-mail, or show it once to hand over when the patient has no address."""
    encounter = encounter_get_for_user(user=request.user, encounter_id=encounter_id)
    patient = encounter.patient
    try:
        link, url = services.follow_up_link_create(
            actor=request.user, encounter=encounter, base_url=request.build_absolute_uri("/"), send_email=bool(patient.email)
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("encounter_detail", encounter_id=encounter.pk)
    if link.sent_to:
        messages.success(request, _("Follow-up questions sent to %(email)s.") % {"email": link.sent_to})
        return redirect("encounter_detail", encounter_id=encounter.pk)
    return render(request, "outcomes/link_created.html", {"encounter": encounter, "patient": patient, "link": link, "link_url": url})


# --- the patient's follow-up page -----------------------------------------------------------------


def _follow_up_page(
    request: HttpRequest,
    link: FollowUpLink,
    language: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    form = follow_up_form()
    activities = services.psfs_activities(link.encounter.episode_id)
    values = values or {}
    context = {
        "link": link,
        "language": language,
        "values": values,
        "errors": errors or {},
        "soreness_options": [str(n) for n in range(11)],
        "side_effects": [
            (effect, effect.text.get(language), effect.id in values.get("effects", [])) for effect in form.side_effects.values()
        ],
        "impacts": [(impact.id, impact.text.get(language)) for impact in form.impacts.values()],
        "instruments": [
            (i, instrument_fields(i, language=language, values=values, errors=errors, activities=activities))
            for i in services.follow_up_instruments(link.clinic_id)
        ],
        "urgent_advice": form.urgent_advice.get(language),
        "home_programme": _programme_question(link, language),
    }
    return render(request, "outcomes/public_follow_up.html", context, status=status)


def _programme_question(link: FollowUpLink, language: str) -> dict[str, Any] | None:
    """How often the home programme was done: asked only when the visit had one (None otherwise)."""
    programme = patient_programme(link.encounter, language)
    if programme is None:
        return None
    return {"titles": [s.title for s in programme.items], "choices": Adherence.choices}


@require_http_methods(["GET", "POST"])
def follow_up_public(request: HttpRequest, link_id: uuid.UUID, secret: str) -> HttpResponse:
    """The patient's follow-up questions after a session, through the link they were sent; no login."""
    try:
        link = services.follow_up_link_resolve(link_id, secret)
    except LinkUnusable as error:
        return link_refused(request, error)
    language = public_language(request, link)
    with translation.override(language):
        if request.method == "GET":
            with transaction.atomic():
                audit_record(
                    actor=None,
                    action=AuditAction.VIEW,
                    object_type=AuditObject.FOLLOW_UP_LINK,
                    object_id=link.pk,
                    patient_id=link.patient_id,
                    clinic_id=link.clinic_id,
                    detail={"via": "follow-up link"},
                )
            return _follow_up_page(request, link, language)
        values = field_values(request.POST)
        try:
            response = services.follow_up_submit(link_id=link.pk, secret=secret, raw=values, language=language)
        except LinkUnusable as error:
            return link_refused(request, error)
        except AnswerError as error:
            return _follow_up_page(request, link, language, values=values, errors=error.errors, status=400)
        urgent = any(follow_up_form().side_effects[e["id"]].urgent for e in response.side_effects)
        context = {"done": True, "urgent_advice": follow_up_form().urgent_advice.get(language) if urgent else ""}
        return render(request, "outcomes/public_thanks.html", context)


# --- progress ---------------------------------------------------------------------------------------


def progress_context(episode: Episode) -> dict[str, Any]:
    series = episode_progress(episode)
    charts = [(s, series_svg(s, f"chart-{n}"), describe(s)) for n, s in enumerate(series)]
    return {
        "episode": episode,
        "patient": episode.patient,
        "charts": charts,
        "adherence": episode_adherence(episode),
        "today": timezone.localdate(),
    }


def _audit_progress(request: StaffRequest, episode: Episode, action: str = AuditAction.VIEW, **detail: Any) -> None:
    audit_read(
        actor=request.user,
        action=action,
        object_type=AuditObject.PROGRESS,
        object_id=episode.pk,
        patient_id=episode.patient_id,
        detail=detail or None,
    )


@staff_view(Capability.VIEW_CLINICAL)
@require_GET
def episode_progress_page(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    episode = episode_get_for_user(user=request.user, episode_id=episode_id)
    _audit_progress(request, episode)
    return render(request, "outcomes/progress.html", progress_context(episode))


@staff_view(Capability.VIEW_CLINICAL)
@require_GET
def progress_panel(request: StaffRequest, patient_id: uuid.UUID) -> HttpResponse:
    """The chart's progress panel (loaded after the chart): the pain measure of each open episode."""
    patient = patient_get_for_user(user=request.user, patient_id=patient_id)
    panels, adherence = [], {}
    for episode in patient.episodes.filter(ended_on__isnull=True).order_by("-started_on")[:3]:
        adherence[episode.pk] = episode_adherence(episode)
        series = [s for s in episode_progress(episode) if s.instrument.respondent == "patient"][:2]
        panels.append((episode, [(s, series_svg(s, f"panel-{episode.pk.hex[:8]}-{n}"), describe(s)) for n, s in enumerate(series)]))
    audit_read(actor=request.user, object_type=AuditObject.PROGRESS, object_id=patient.pk, patient_id=patient.pk, detail={"panel": True})
    return render(request, "outcomes/_progress_panel.html", {"patient": patient, "panels": panels, "adherence": adherence})


def _progress_pdf(episode: Episode) -> bytes:
    return render_pdf("outcomes/progress_report.html", progress_context(episode))


@staff_view(Capability.VIEW_CLINICAL)
@require_GET
def episode_progress_pdf(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    episode = episode_get_for_user(user=request.user, episode_id=episode_id)
    _audit_progress(request, episode, AuditAction.DOWNLOAD)
    return pdf_response(_progress_pdf(episode), f"progress-{timezone.localdate():%Y-%m-%d}.pdf")


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def episode_progress_send(request: StaffRequest, episode_id: uuid.UUID) -> HttpResponse:
    """E-mail the progress report as a PDF, e.g. to the referring physician."""
    episode = episode_get_for_user(user=request.user, episode_id=episode_id)
    address = request.POST.get("email", "").strip()
    try:
        validate_email(address)
    except ValidationError:
        context = {**progress_context(episode), "send_error": _("Enter a valid e-mail address."), "send_to": address}
        return render(request, "outcomes/progress.html", context, status=400)
    content = _progress_pdf(episode)
    name = " ".join(episode.patient.full_name.split())  # one line: a header cannot hold a line break
    subject = _("Progress report: %(name)s") % {"name": name}
    body = request.POST.get("message", "").strip()[:5000] or _("Please find the progress report attached.")
    message = EmailMessage(subject, body, to=[address])
    message.attach(f"progress-{timezone.localdate():%Y-%m-%d}.pdf", content, "application/pdf")
    try:
        message.message()  # the headers are checked now, before the audit log says the report was sent
    except BadHeaderError:
        context = {**progress_context(episode), "send_error": _("This report cannot be e-mailed to that address."), "send_to": address}
        return render(request, "outcomes/progress.html", context, status=400)
    with transaction.atomic():
        _audit_progress(request, episode, AuditAction.EXPORT, sent_to=address)
        transaction.on_commit(message.send)
    messages.success(request, _("Progress report sent to %(email)s.") % {"email": address})
    return redirect("episode_progress", episode_id=episode.pk)


# --- alerts ---------------------------------------------------------------------------------------


@staff_view(Capability.VIEW_CLINICAL)
@require_GET
def alert_list(request: StaffRequest) -> HttpResponse:
    everyone = request.GET.get("all") == "1"
    alerts = list(selectors.open_alerts(user=request.user, everyone=everyone)[:200])
    form = follow_up_form()
    language = translation.get_language() or "en"
    rows = [
        (alert, [(form.side_effects[e["id"]].text.get(language), form.impacts[e["impact"]].severity) for e in alert.summary["effects"]])
        for alert in alerts
    ]
    audit_read(actor=request.user, object_type=AuditObject.ALERT, detail={"count": len(alerts), "all": everyone})
    return render(request, "outcomes/alerts.html", {"rows": rows, "everyone": everyone})


@staff_view(Capability.WRITE_CLINICAL)
@require_POST
def alert_acknowledge(request: StaffRequest, alert_id: uuid.UUID) -> HttpResponse:
    alert = selectors.alert_get_for_user(user=request.user, alert_id=alert_id)
    services.alert_acknowledge(actor=request.user, alert=alert)
    return redirect("alert_list")


# --- a clinic's own questionnaires ----------------------------------------------------------------

MAX_DEFINITION_BYTES = 200_000


@staff_view(Capability.MANAGE_STAFF)
@require_http_methods(["GET", "POST"])
def clinic_instruments(request: StaffRequest) -> HttpResponse:
    error, status = "", 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is not None and (upload.size is None or upload.size > MAX_DEFINITION_BYTES):  # None: of unknown size
            error = _("The file is too large: a definition is at most 200 KB.")
        else:
            raw = upload.read() if upload is not None else request.POST.get("definition", "").encode()
            try:
                row = services.clinic_instrument_add(actor=request.user, definition=raw.decode("utf-8"))
            except UnicodeDecodeError:
                error = _("The file is not UTF-8 text.")
            except ValidationError as exc:
                error = exc.messages[0]
            else:
                messages.success(request, _("Questionnaire %(id)s is ready to use.") % {"id": row.instrument_id})
                return redirect("clinic_instruments")
        status = 400
    rows = clinic_instrument_rows(clinic_id_of(request.user))
    return render(request, "outcomes/clinic_instruments.html", {"rows": rows, "error": error}, status=status)


@staff_view(Capability.MANAGE_STAFF)
@require_POST
def clinic_instrument_toggle(request: StaffRequest, row_id: uuid.UUID) -> HttpResponse:
    row = selectors.clinic_instrument_get_for_user(user=request.user, row_id=row_id)
    services.clinic_instrument_set_active(actor=request.user, row=row, active=request.POST.get("active") == "1")
    return redirect("clinic_instruments")
