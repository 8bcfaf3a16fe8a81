"""Security behaviour: headers, password hashing, lockout, idle time-out, bad CLI input."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from needlechart.web.demo import build_demo
from needlechart.web.management.commands import demo as demo_command
from tests.conftest import PASSWORD


def test_responses_carry_a_strict_content_security_policy_and_security_headers(client_for, practitioner):
    response = client_for(practitioner).get(reverse("today"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store, private"


def test_pages_have_no_inline_scripts_or_styles(client_for, practitioner, patient):
    body = client_for(practitioner).get(reverse("patient_chart", args=[patient.pk])).content.decode()
    assert "<script>" not in body and "style=" not in body and "onclick" not in body


def test_passwords_are_hashed_with_argon2_in_production_settings(settings):
    from needlechart import settings as project_settings

    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    hashed = make_password("s3cret-words")
    assert hashed.startswith("argon2$") and check_password("s3cret-words", hashed)


def test_repeated_failed_logins_lock_the_account(client, practitioner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": practitioner.username, "password": "wrong"})
    response = client.post(reverse("login"), {"username": practitioner.username, "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_a_correct_login_reaches_the_day_list(client, practitioner):
    response = client.post(reverse("login"), {"username": practitioner.username, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("today")
    assert b"Sign out" in response.content


def test_an_idle_session_is_signed_out(client_for, practitioner, settings):
    client = client_for(practitioner)
    assert client.get(reverse("today")).status_code == 200
    session = client.session
    session["last_seen"] = time.time() - settings.IDLE_TIMEOUT_MINUTES * 60 - 5
    session.save()
    response = client.get(reverse("patient_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(reverse("today")).status_code == 302
    htmx = client_for(practitioner)
    session = htmx.session
    session["last_seen"] = time.time() - settings.IDLE_TIMEOUT_MINUTES * 60 - 5
    session.save()
    response = htmx.get(reverse("patient_list"), HTTP_HX_REQUEST="true")
    assert response.status_code == 401 and response["HX-Redirect"] == reverse("login")


def test_an_active_session_stays_signed_in(client_for, practitioner, settings):
    client = client_for(practitioner)
    client.get(reverse("today"))
    session = client.session
    session["last_seen"] = time.time() - settings.IDLE_TIMEOUT_MINUTES * 60 + 30
    session.save()
    assert client.get(reverse("today")).status_code == 200


def test_logout_requires_post(client_for, practitioner):
    client = client_for(practitioner)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("today")).status_code == 302


def test_the_language_switch_translates_the_page(client_for, practitioner):
    client = client_for(practitioner)
    response = client.post(reverse("set_language"), {"language": "nb", "next": reverse("today")})
    assert response.status_code == 302
    assert b'lang="nb"' in client.get(reverse("today")).content


@pytest.mark.parametrize(
    "args, message",
    [
        (["--port", "0"], "--port must be between"),
        (["--workers", "0"], "--workers must be between"),
    ],
)
def test_the_demo_command_refuses_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("demo", *args)


def test_the_cli_entry_point_reports_unknown_commands_without_a_traceback():
    result = subprocess.run([sys.executable, "-m", "needlechart.cli", "no-such-command"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Unknown command" in result.stderr and "Traceback" not in result.stderr


def test_malformed_requests_never_500(client_for, practitioner):
    client = client_for(practitioner)
    assert client.get("/patients/not-a-uuid/").status_code == 404
    assert client.get(reverse("today"), {"date": "2026-13-45"}).status_code == 400  # a clear message, not another day
    assert client.post(reverse("encounter_status", args=["00000000-0000-4000-8000-000000000000"]), {"status": "x"}).status_code == 404
    assert client.get(reverse("patient_list"), {"q": "x" * 5000}).status_code == 200


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01", "2026-13-45", "tomorrow"])
def test_the_day_list_answers_an_impossible_day_with_a_message(client_for, front_desk, day):
    response = client_for(front_desk).get(reverse("today"), {"date": day})
    assert response.status_code == 400
    assert b"YYYY-MM-DD" in response.content


@pytest.mark.parametrize(("start", "end"), [("9999-12-31", "9999-12-31"), ("0001-01-01", "0001-01-02"), ("1899-12-31", "1900-01-02")])
def test_the_audit_report_answers_extreme_dates_with_a_message(client_for, clinic_admin, start, end):
    for extra in ({}, {"csv": "1"}):
        response = client_for(clinic_admin).get(reverse("audit_report"), {"start": start, "end": end, **extra})
        assert response.status_code == 400
        assert "1900" in response.content.decode() or "2200" in response.content.decode()


def test_the_day_list_still_shows_a_day_far_ahead(client_for, front_desk):
    assert client_for(front_desk).get(reverse("today"), {"date": "2199-12-31"}).status_code == 200
    assert client_for(front_desk).get(reverse("today"), {"date": "1900-01-01"}).status_code == 200


@pytest.mark.parametrize("username", ["a" * 151, "a" * 300, "a" * 5000])
def test_an_impossible_username_is_refused_by_the_form_not_the_database(client, practitioner, username):
    response = client.post(reverse("login"), {"username": username, "password": "wrong"})
    assert response.status_code == 200  # the sign-in form again, with its message
    assert "_auth_user_id" not in client.session
    assert b"errorlist" in response.content or b"errors" in response.content


@pytest.mark.parametrize(
    "definition",
    [
        "a: &a [lol]\n" + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)),
        "id: x\nvalid_from: 2024-02-30\n",
        "id: x\nmax: " + "9" * 5000 + "\n",
        "id: x\nscore_max: " + "9" * 400 + "\n",
    ],
)
def test_a_questionnaire_definition_that_cannot_be_read_gets_a_short_answer(client_for, clinic_admin, definition):
    response = client_for(clinic_admin).post(reverse("clinic_instruments"), {"definition": definition})
    assert response.status_code == 400
    assert len(response.content) < 100_000


@pytest.mark.parametrize("where", ["query", "form"])
def test_a_nul_character_is_refused_with_a_message_before_any_view(client_for, practitioner, patient, where):
    client = client_for(practitioner)
    url = reverse("patient_list")
    response = (
        client.get(url, {"q": "Nord\x00mann"})
        if where == "query"
        else client.post(reverse("patient_edit", args=[patient.pk]), {"given_name": "K\x00"})
    )
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    patient.refresh_from_db()
    assert patient.given_name == "Kari"


def test_the_demo_prints_its_address_and_logins_first(db, capsys, settings, monkeypatch, django_capture_on_commit_callbacks):
    """Building the demo sends e-mails (follow-up alerts) when its transaction commits; they must
    not bury the address and the logins. (Six patients, not the command's 48: the same messages.)"""

    def built_and_committed():
        with django_capture_on_commit_callbacks(execute=True):  # the test's transaction never commits
            return build_demo(patient_count=6)

    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    monkeypatch.setattr(demo_command, "build_demo", built_and_committed)
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    assert out.lstrip().startswith("needlechart demo clinic is ready at http://127.0.0.1:8000/")
    assert "Subject:" not in out and "ingrid" in out
    assert mail.outbox, "building the demo sent e-mails, kept off the screen"
