"""Logins: lockout after failed attempts, two-factor codes, security headers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from schoolplan import two_factor
from tests.browser.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def _current_code(device):
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:06d}"


def test_login_with_right_password(client, teacher):
    response = _login(client, teacher.username, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("schoolplan:pupil_list")


def test_repeated_failures_lock_account(client, teacher, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, teacher.username, "forkert-kodeord")

    locked = _login(client, teacher.username, PASSWORD)

    assert locked.status_code == 429
    assert "Login er spærret" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_also_blocks_address(client, teacher, coordinator, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, f"ukendt{attempt}", "forkert-kodeord")

    response = _login(client, coordinator.username, PASSWORD)

    assert response.status_code == 429


def test_content_security_policy_forbids_inline_script(client_for, teacher):
    response = client_for(teacher).get(reverse("schoolplan:pupil_list"))

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline' ;" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy


def test_pages_have_no_inline_script(client_for, coordinator, pupil):
    client = client_for(coordinator)

    for url in (
        reverse("schoolplan:pupil_list"),
        reverse("schoolplan:plan", args=[pupil.pk]),
        reverse("schoolplan:front_page_edit", args=[pupil.pk]),
        reverse("account"),
    ):
        content = client.get(url).content.decode()
        assert "<script>" not in content
        assert "onclick=" not in content
        for tag in content.split("<script")[1:]:
            assert 'src="' in tag.split(">")[0], url


def test_totp_setup_then_login_requires_code(client, teacher):
    client.force_login(teacher)
    client.get(reverse("totp_setup"))
    device = TOTPDevice.objects.get(user=teacher)

    wrong = client.post(reverse("totp_setup"), {"code": "000000"})
    too_soon = client.post(reverse("totp_setup"), {"code": _current_code(device)})
    device.refresh_from_db()
    device.throttle_reset()
    right = client.post(reverse("totp_setup"), {"code": _current_code(device)})
    device.refresh_from_db()

    assert str(two_factor.INVALID_CODE) in wrong.content.decode()
    assert str(two_factor.CODE_THROTTLED) in too_soon.content.decode()
    assert right.status_code == 302
    assert device.confirmed

    client.logout()
    _login(client, teacher.username, PASSWORD)
    blocked = client.get(reverse("schoolplan:pupil_list"))
    assert blocked.status_code == 302
    assert blocked["Location"].startswith(reverse("totp_verify"))

    device.refresh_from_db()
    device.last_t = -1
    device.save()
    client.post(reverse("totp_verify"), {"code": _current_code(device)})
    assert client.get(reverse("schoolplan:pupil_list")).status_code == 200


def test_school_can_require_totp_for_leadership(client, school, leader, teacher):
    school.require_two_factor_for_leadership = True
    school.save()

    client.force_login(leader)
    leader_response = client.get(reverse("schoolplan:pupil_list"))
    disable = client.post(reverse("totp_disable"))
    client.force_login(teacher)
    teacher_response = client.get(reverse("schoolplan:pupil_list"))

    assert leader_response.status_code == 302
    assert leader_response["Location"].startswith(reverse("totp_setup"))
    assert disable.status_code in (302, 403)
    assert teacher_response.status_code == 200


def test_verify_page_rejects_foreign_next(client, teacher):
    device = TOTPDevice.objects.create(user=teacher, confirmed=True, name="app")
    client.force_login(teacher)

    response = client.post(
        reverse("totp_verify") + "?next=//evil.example/",
        {"code": _current_code(device)},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("schoolplan:pupil_list")


def test_session_ends_with_browser_and_working_day(settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_AGE <= 10 * 60 * 60


@pytest.mark.parametrize("password", ["kort", "1234567890123", "password12345"])
def test_weak_passwords_rejected(password, teacher):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password(password, teacher)


def test_check_deploy_reports_nothing():
    environment = {
        **{
            key: value
            for key, value in os.environ.items()
            if key
            not in ("DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
        },
        "SECRET_KEY": "a-long-random-production-key-" + "x7Qp2" * 10,
        "ALLOWED_HOSTS": "skoleplan.example.dk",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
