"""Signing in with a second factor: setting up an authenticator app, the code after the password,
recovery codes, who must use one, and an admin's help with a lost phone."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from needlechart.audit.models import AuditAction, AuditEvent
from needlechart.clinics import second_factor
from needlechart.clinics.models import SecondFactorPolicy
from tests.conftest import PASSWORD


def _code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The app's code now (a code is accepted once: the one after the enrolment's is ``steps_ahead=1``,
    which the device's tolerance of one step admits)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def _enrol(user) -> tuple[TOTPDevice, list[str]]:
    device = second_factor.enrolment_device(user)
    codes = second_factor.confirm_enrolment(user=user, token=_code(device))
    assert codes is not None
    device.refresh_from_db()
    return device, codes


def _sign_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _events(user, event: str):
    return AuditEvent.objects.filter(detail__second_factor=event, object_id=str(user.pk))


def test_without_a_second_factor_and_no_rule_every_page_opens(client, practitioner, patient):
    _sign_in(client, practitioner)
    assert client.get(reverse("patient_chart", args=[patient.pk])).status_code == 200


def test_setting_up_an_authenticator_shows_a_key_and_qr_code_then_recovery_codes_once(client, practitioner):
    _sign_in(client, practitioner)
    page = client.get(reverse("second_factor_setup"))
    assert page.status_code == 200
    assert b'data-testid="second-factor-qr"' in page.content and b"data:image/svg+xml;base64," in page.content
    device = TOTPDevice.objects.get(user=practitioner, confirmed=False)
    wrong = client.post(reverse("second_factor_setup"), {"code": "000000" if _code(device) != "000000" else "111111"})
    assert wrong.status_code == 400 and not second_factor.has_second_factor(practitioner)
    time.sleep(1.1)  # a wrong code makes the next try wait
    done = client.post(reverse("second_factor_setup"), {"code": _code(device)})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in done.content.decode() for code in codes)
    assert second_factor.has_second_factor(practitioner)
    assert _events(practitioner, "authenticator set up").filter(action=AuditAction.CREATE).exists()


def test_after_the_password_the_code_is_asked_for_before_any_page(client, practitioner, patient):
    device, _codes = _enrol(practitioner)
    _sign_in(client, practitioner)
    chart = reverse("patient_chart", args=[patient.pk])
    blocked = client.get(chart)
    assert blocked.status_code == 302 and blocked["Location"].startswith(reverse("second_factor_verify"))
    htmx = client.get(chart, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 401 and htmx["HX-Redirect"] == reverse("second_factor_verify")
    wrong = client.post(reverse("second_factor_verify"), {"code": "12", "next": chart})
    assert wrong.status_code == 400
    assert _events(practitioner, "code refused").filter(action=AuditAction.LOGIN_FAILED).exists()
    time.sleep(1.1)  # django-otp makes the next try wait after a wrong code
    right = client.post(reverse("second_factor_verify"), {"code": _code(device, steps_ahead=1), "next": chart})
    assert right.status_code == 302 and right["Location"] == chart
    assert client.get(chart).status_code == 200


def test_each_wrong_code_makes_the_next_try_wait(client, practitioner):
    device, _codes = _enrol(practitioner)
    _sign_in(client, practitioner)
    client.post(reverse("second_factor_verify"), {"code": "999999" if _code(device) != "999999" else "888888"})
    refused = client.post(reverse("second_factor_verify"), {"code": _code(device, steps_ahead=1)})  # right, but too soon
    assert refused.status_code == 400
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1


def test_a_recovery_code_signs_in_once(client, practitioner, patient):
    _device, codes = _enrol(practitioner)
    _sign_in(client, practitioner)
    assert client.post(reverse("second_factor_verify"), {"code": codes[0]}).status_code == 302
    assert _events(practitioner, "recovery code").exists()
    client.post(reverse("logout"))
    _sign_in(client, practitioner)
    assert client.post(reverse("second_factor_verify"), {"code": codes[0]}).status_code == 400  # used up
    time.sleep(1.1)
    assert client.post(reverse("second_factor_verify"), {"code": codes[1]}).status_code == 302


@pytest.mark.parametrize(
    ("policy", "practitioner_asked", "front_desk_asked"),
    [(SecondFactorPolicy.OPTIONAL, False, False), (SecondFactorPolicy.CLINICAL, True, False), (SecondFactorPolicy.ALL, True, True)],
)
def test_the_clinic_decides_who_must_set_one_up(
    client, clinic_admin, practitioner, front_desk, policy, practitioner_asked, front_desk_asked
):
    _sign_in(client, clinic_admin)
    assert client.post(reverse("second_factor_policy"), {"second_factor": policy}).status_code == 302
    client.post(reverse("logout"))
    for user, asked in ((practitioner, practitioner_asked), (front_desk, front_desk_asked)):
        _sign_in(client, user)
        response = client.get(reverse("today"))
        assert (response.status_code == 302 and response["Location"].startswith(reverse("second_factor_setup"))) is asked
        client.post(reverse("logout"))


def test_the_deployment_can_require_it_of_everyone(client, front_desk, settings):
    settings.REQUIRE_SECOND_FACTOR = True
    _sign_in(client, front_desk)
    response = client.get(reverse("today"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("second_factor_setup"))
    assert client.get(reverse("second_factor_setup")).status_code == 200  # the way out stays open


def test_a_policy_change_is_audited_and_a_bad_one_refused(client, clinic_admin, practitioner):
    _sign_in(client, clinic_admin)
    assert client.post(reverse("second_factor_policy"), {"second_factor": "everyone-please"}).status_code == 400
    client.post(reverse("second_factor_policy"), {"second_factor": SecondFactorPolicy.ALL})
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, detail__second_factor=["optional", "all"]).exists()
    client.post(reverse("logout"))
    _sign_in(client, practitioner)
    assert client.post(reverse("second_factor_policy"), {"second_factor": SecondFactorPolicy.OPTIONAL}).status_code in (302, 403)
    practitioner.clinic.refresh_from_db()
    assert practitioner.clinic.second_factor == SecondFactorPolicy.ALL


def test_an_admin_removes_a_colleagues_lost_factor_but_not_their_own(client, clinic_admin, practitioner, other_admin):
    _enrol(practitioner)
    _, _ = _enrol(clinic_admin)
    with pytest.raises(PermissionDenied):
        second_factor.reset(actor=clinic_admin, staff=clinic_admin)
    with pytest.raises(PermissionDenied):
        second_factor.reset(actor=other_admin, staff=practitioner)
    with pytest.raises(PermissionDenied):
        second_factor.reset(actor=practitioner, staff=clinic_admin)
    second_factor.reset(actor=clinic_admin, staff=practitioner)
    assert not second_factor.has_second_factor(practitioner)
    assert _events(practitioner, "removed by an admin").exists()
    other = client
    _sign_in(other, other_admin)
    assert other.post(reverse("second_factor_remove", args=[practitioner.pk])).status_code == 404  # another clinic's staff


def test_the_next_address_after_the_code_stays_on_this_site(client, practitioner):
    device, _ = _enrol(practitioner)
    _sign_in(client, practitioner)
    response = client.post(reverse("second_factor_verify"), {"code": _code(device, steps_ahead=1), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
