"""Reasons given by the parents: recorded with how and when, and the figures follow."""

from datetime import date, timedelta

from django.urls import reverse

from absence import figures
from absence.models import Registration, Status
from schoolplan import roles
from schoolplan.models import AccessLogEntry
from tests.absence.conftest import SCHOOL_DAY
from tests.absence.helpers import register
from tests.factories import make_staff


def reason_url(registration, next_url=""):
    url = reverse("absence:reason_record", args=[registration.pk])
    return url + (f"?next={next_url}" if next_url else "")


def reason_data(registration, status=Status.ILLNESS, given_on=SCHOOL_DAY):
    return {
        "status": status,
        "channel": "text",
        "given_on": given_on.isoformat(),
        "note": "Feber",
        "loaded_version": str(registration.version),
    }


def test_reason_moves_absence_to_its_group(client_for, teacher, pupil, school_year):
    registration = register(pupil, SCHOOL_DAY, Status.AWAITING, by=teacher)
    given_on = SCHOOL_DAY + timedelta(days=1)

    response = client_for(teacher).post(
        reason_url(registration), reason_data(registration, given_on=given_on)
    )

    registration.refresh_from_db()
    assert response.status_code == 302
    assert registration.status == Status.ILLNESS
    assert registration.reason_channel == "text"
    assert registration.reason_given_on == given_on
    assert registration.note == "Feber"
    assert [
        record.status for record in registration.history.order_by("history_date")
    ] == [
        Status.AWAITING,
        Status.ILLNESS,
    ]
    assert registration.history.latest().history_user == teacher


def test_late_reason_takes_absence_out_of_unlawful(rules, teacher, pupil, school_year):
    registration = register(pupil, SCHOOL_DAY, Status.AWAITING, by=teacher)
    today = SCHOOL_DAY + timedelta(days=rules.reason_deadline_days + 5)

    def day_figures():
        return figures.pupil_figures(
            rules, pupil.pk, start=SCHOOL_DAY, end=SCHOOL_DAY, today=today
        ).period

    before = day_figures()
    registration.status = Status.PERMITTED
    registration.save()
    after = day_figures()

    assert before.unlawful == 1
    assert after.unlawful == 0
    assert after.permitted == 1


def test_reason_cannot_predate_absence(client_for, teacher, pupil, school_year):
    registration = register(pupil, SCHOOL_DAY, Status.AWAITING, by=teacher)

    response = client_for(teacher).post(
        reason_url(registration),
        reason_data(registration, given_on=SCHOOL_DAY - timedelta(days=1)),
    )

    registration.refresh_from_db()
    assert response.status_code == 200
    assert registration.status == Status.AWAITING


def test_stale_reason_form_shows_current_value(client_for, teacher, pupil, school_year):
    registration = register(pupil, SCHOOL_DAY, Status.AWAITING, by=teacher)
    data = reason_data(registration)
    Registration.objects.filter(pk=registration.pk).update(
        status=Status.UNLAWFUL, version=2
    )

    response = client_for(teacher).post(reason_url(registration), data)

    registration.refresh_from_db()
    assert response.status_code == 200
    assert registration.status == Status.UNLAWFUL
    assert 'name="loaded_version" value="2"' in response.content.decode()


def test_reason_redirects_only_to_this_site(client_for, teacher, pupil, school_year):
    registration = register(pupil, SCHOOL_DAY, Status.AWAITING, by=teacher)

    response = client_for(teacher).post(
        reason_url(registration, "https://example.com/"), reason_data(registration)
    )

    assert response.url == reverse("absence:awaiting")


def test_awaiting_list_marks_passed_deadline(client_for, teacher, pupil, school_year):
    register(pupil, date(2026, 1, 6), Status.AWAITING, by=teacher)

    page = client_for(teacher).get(reverse("absence:awaiting")).content.decode()

    assert pupil.full_name in page
    assert "text-bg-danger" in page


def test_reason_access_by_role(
    client, client_for, teacher, coordinator, outsider, pupil, other_group, school_year
):
    registration = register(pupil, SCHOOL_DAY, Status.AWAITING, by=teacher)
    other_teacher = make_staff(
        school=pupil.school, role=roles.TEACHER, groups=[other_group]
    )
    url = reason_url(registration)

    assert client.get(url).status_code == 302
    assert client_for(teacher).get(url).status_code == 200
    assert client_for(coordinator).get(url).status_code == 200
    assert client_for(other_teacher).get(url).status_code == 404
    assert client_for(outsider).get(url).status_code == 404


def test_awaiting_list_shows_only_own_groups(
    client_for, teacher, other_pupil, school_year
):
    register(other_pupil, SCHOOL_DAY, Status.AWAITING, by=teacher)

    page = client_for(teacher).get(reverse("absence:awaiting")).content.decode()

    assert other_pupil.full_name not in page


def test_awaiting_list_view_is_logged(client_for, teacher, pupil, school_year):
    register(pupil, SCHOOL_DAY, Status.AWAITING, by=teacher)

    client_for(teacher).get(reverse("absence:awaiting"))

    entry = AccessLogEntry.objects.get(user=teacher)
    assert entry.action == AccessLogEntry.Action.VIEW
    assert entry.pupil is None
    assert pupil.first_name not in entry.what
    assert entry.what
