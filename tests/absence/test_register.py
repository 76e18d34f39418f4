"""The morning register: one save for the whole group, history, conflicts and dates."""

from datetime import UTC, date, datetime, time, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from absence import selectors, services
from absence.figures import school_day_span
from absence.forms import (
    ARRIVAL_OUTSIDE_DAY,
    LEAVING_OUTSIDE_DAY,
    LEFT_BEFORE_ARRIVING,
    REGISTER_NOT_SAVED,
    REGISTER_ROW_DAMAGED,
)
from absence.models import Registration, Status
from schoolplan import roles
from tests.absence.conftest import HOLIDAY, SCHOOL_DAY
from tests.absence.helpers import register, register_many, weekdays
from tests.factories import PupilFactory, PupilGroupFactory, make_staff


def register_url(group, day=SCHOOL_DAY):
    return reverse("absence:register", args=[group.pk]) + f"?day={day.isoformat()}"


def morning(pupil, status, version=0, **extra):
    data = {f"p{pupil.pk}-status": status, f"p{pupil.pk}-version": str(version)}
    data.update({f"p{pupil.pk}-{name}": value for name, value in extra.items()})
    return data


def test_teacher_registers_whole_group_in_one_post(
    client_for, teacher, group, school_year
):
    pupils = PupilFactory.create_batch(3, group=group)
    data = {
        **morning(pupils[0], Status.PRESENT),
        **morning(pupils[1], Status.LATE, arrived_at="09:30"),
        **morning(
            pupils[2], Status.ILLNESS, reason_channel="phone", note="Ondt i maven"
        ),
    }

    response = client_for(teacher).post(register_url(group), data)

    assert response.status_code == 302
    saved = {row.pupil_id: row for row in Registration.objects.filter(day=SCHOOL_DAY)}
    assert saved[pupils[0].pk].status == Status.PRESENT
    assert saved[pupils[1].pk].arrived_at == time(9, 30)
    assert saved[pupils[2].pk].reason_channel == "phone"
    assert saved[pupils[2].pk].reason_given_on is not None
    assert saved[pupils[2].pk].registered_by == teacher
    assert all(row.group_id == group.pk for row in saved.values())


def test_pupil_without_choice_stays_unregistered(
    client_for, teacher, group, school_year
):
    pupils = PupilFactory.create_batch(2, group=group)

    client_for(teacher).post(register_url(group), morning(pupils[0], Status.PRESENT))

    assert not Registration.objects.filter(pupil=pupils[1]).exists()


def test_rest_present_registers_pupils_without_choice(
    client_for, teacher, group, school_year
):
    pupils = PupilFactory.create_batch(2, group=group)
    data = {**morning(pupils[0], Status.UNLAWFUL), "rest_present": ""}

    client_for(teacher).post(register_url(group), data)

    assert Registration.objects.get(pupil=pupils[0]).status == Status.UNLAWFUL
    assert Registration.objects.get(pupil=pupils[1]).status == Status.PRESENT


def test_unregistered_pupil_shows_as_missing(client_for, teacher, group, school_year):
    present, missing = PupilFactory.create_batch(2, group=group)
    register(present, SCHOOL_DAY, by=teacher)

    page = client_for(teacher).get(register_url(group)).content.decode()

    missing_row = page[page.index(f'id="pupil-{missing.pk}"') :]
    present_row = page[page.index(f'id="pupil-{present.pk}"') :]
    assert "register-missing" in missing_row[: missing_row.index("</li>")]
    assert "register-missing" not in present_row[: present_row.index("</li>")]


def _save(group, day, user, pupils, status, version=0):
    rows = [
        services.RowInput(
            pupil_id=pupil.pk, notation="morning", status=status, loaded_version=version
        )
        for pupil in pupils
    ]
    return services.register_save(group=group, day=day, user=user, rows=rows)


def test_register_save_takes_fixed_number_of_queries(
    teacher, group, school_year, rules
):
    small_group = PupilGroupFactory(school=group.school)
    small = PupilFactory.create_batch(3, group=small_group)
    twelve = PupilFactory.create_batch(12, group=group)

    with CaptureQueriesContext(connection) as for_three:
        _save(small_group, SCHOOL_DAY, teacher, small, Status.PRESENT)
    with CaptureQueriesContext(connection) as for_twelve:
        _save(group, SCHOOL_DAY, teacher, twelve, Status.PRESENT)
    with CaptureQueriesContext(connection) as changing_twelve:
        _save(group, SCHOOL_DAY, teacher, twelve, Status.ILLNESS, version=1)

    assert len(for_twelve) == len(for_three)
    assert len(for_twelve) <= 12
    assert len(changing_twelve) <= 12
    assert Registration.objects.filter(status=Status.ILLNESS).count() == 12


def test_register_post_for_twelve_stays_within_query_budget(
    client_for, teacher, group, school_year, rules, django_assert_max_num_queries
):
    pupils = PupilFactory.create_batch(12, group=group)
    data = {}
    for pupil in pupils:
        data.update(morning(pupil, Status.PRESENT))
    client = client_for(teacher)
    # The first request of a login checks two-factor status once.
    client.get(register_url(group))

    with django_assert_max_num_queries(25):
        response = client.post(register_url(group), data)

    assert response.status_code == 302
    assert Registration.objects.count() == 12


def test_change_keeps_earlier_value_in_history(
    client_for, teacher, coordinator, group, school_year
):
    pupil = PupilFactory(group=group)
    client_for(teacher).post(register_url(group), morning(pupil, Status.AWAITING))
    client_for(coordinator).post(
        register_url(group), morning(pupil, Status.ILLNESS, version=1)
    )

    registration = Registration.objects.get(pupil=pupil)
    history = list(registration.history.order_by("history_date"))
    page = client_for(coordinator).get(register_url(group)).content.decode()

    assert registration.status == Status.ILLNESS
    assert registration.version == 2
    assert [record.status for record in history] == [Status.AWAITING, Status.ILLNESS]
    assert [record.history_user for record in history] == [teacher, coordinator]
    assert "register-history" in page


def test_unchanged_registration_is_not_rewritten(teacher, group, school_year):
    pupil = PupilFactory(group=group)
    _save(group, SCHOOL_DAY, teacher, [pupil], Status.PRESENT)

    result = _save(group, SCHOOL_DAY, teacher, [pupil], Status.PRESENT, version=1)

    assert result.updated == 0
    assert Registration.objects.get(pupil=pupil).history.count() == 1


def test_conflicting_save_keeps_both_and_saves_nothing(
    client_for, teacher, coordinator, group, school_year
):
    pupil, other = PupilFactory.create_batch(2, group=group)
    register(pupil, SCHOOL_DAY, Status.AWAITING, by=teacher)
    Registration.objects.filter(pupil=pupil).update(status=Status.ILLNESS, version=2)
    stale = {
        **morning(pupil, Status.UNLAWFUL, version=1),
        **morning(other, Status.PRESENT),
    }

    response = client_for(teacher).post(register_url(group), stale)

    assert response.status_code == 200
    assert "conflict-current" in response.content.decode()
    assert Registration.objects.get(pupil=pupil).status == Status.ILLNESS
    assert not Registration.objects.filter(pupil=other).exists()

    again = {
        **morning(pupil, Status.UNLAWFUL, version=2),
        **morning(other, Status.PRESENT),
    }
    client_for(teacher).post(register_url(group), again)

    assert Registration.objects.get(pupil=pupil).status == Status.UNLAWFUL
    assert Registration.objects.filter(pupil=other).exists()


def test_late_without_arrival_time_is_rejected(client_for, teacher, group, school_year):
    pupil = PupilFactory(group=group)

    response = client_for(teacher).post(
        register_url(group), morning(pupil, Status.LATE)
    )

    assert response.status_code == 200
    assert str(services.ARRIVAL_TIME_MISSING) in response.content.decode()
    assert not Registration.objects.exists()


def test_invalid_arrival_time_gets_one_message(client_for, teacher, group, school_year):
    pupil = PupilFactory(group=group)

    response = client_for(teacher).post(
        register_url(group), morning(pupil, Status.LATE, arrived_at="25:99")
    )
    page = response.content.decode()

    assert response.status_code == 200
    assert "Indtast en gyldig tid." in page
    assert str(services.ARRIVAL_TIME_MISSING) not in page
    assert not Registration.objects.exists()


def test_last_lesson_is_noted_for_grades_7_to_10_only(
    client_for, teacher, group, school_year
):
    older = PupilFactory(group=group, grade=8)
    younger = PupilFactory(group=group, grade=5)
    data = {
        **morning(older, Status.PRESENT),
        f"p{older.pk}-last_status": Status.LEFT_EARLY,
        f"p{older.pk}-left_at": "11:45",
        **morning(younger, Status.PRESENT),
        f"p{younger.pk}-last_status": Status.LEFT_EARLY,
        f"p{younger.pk}-left_at": "11:45",
    }

    client_for(teacher).post(register_url(group), data)

    last = Registration.objects.get(notation=Registration.Notation.LAST_LESSON)
    assert last.pupil == older
    assert last.left_at == time(11, 45)
    with pytest.raises(services.ValidationError):
        services.register_save(
            group=group,
            day=SCHOOL_DAY,
            user=teacher,
            rows=[services.RowInput(younger.pk, "last_lesson", Status.PRESENT)],
        )


def test_last_lesson_is_skipped_when_absent_in_morning(teacher, group, school_year):
    pupil = PupilFactory(group=group, grade=9)
    rows = [
        services.RowInput(pupil.pk, "morning", Status.ILLNESS),
        services.RowInput(pupil.pk, "last_lesson", Status.PRESENT),
    ]

    services.register_save(group=group, day=SCHOOL_DAY, user=teacher, rows=rows)

    assert list(Registration.objects.values_list("notation", flat=True)) == ["morning"]


def test_no_register_is_due_on_a_holiday(client_for, teacher, group, school_year):
    pupil = PupilFactory(group=group)
    client = client_for(teacher)

    page = client.get(register_url(group, HOLIDAY)).content.decode()
    client.post(register_url(group, HOLIDAY), morning(pupil, Status.PRESENT))

    assert "Ferie" in page
    assert 'name="p' not in page
    assert not Registration.objects.exists()
    with pytest.raises(services.ValidationError):
        _save(group, HOLIDAY, teacher, [pupil], Status.PRESENT)


INVALID_DAY = "Datoen i adressen er ugyldig, så dagens fremmøde vises."
LATER_DAY = "En senere dag kan ikke registreres endnu, så dagens fremmøde vises."


@pytest.mark.parametrize(
    ("value", "message"),
    [("abc", INVALID_DAY), ("2026-02-30", INVALID_DAY), ("later", LATER_DAY)],
)
def test_register_odd_day_gets_message(client_for, teacher, group, value, message):
    if value == "later":
        value = (timezone.localdate() + timedelta(days=3)).isoformat()
    url = reverse("absence:register", args=[group.pk]) + f"?day={value}"

    response = client_for(teacher).get(url)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["day"] == timezone.localdate()


def test_no_register_is_due_on_weekend_or_without_calendar(teacher, group, school_year):
    pupil = PupilFactory(group=group)

    with pytest.raises(services.ValidationError):
        _save(group, date(2026, 3, 14), teacher, [pupil], Status.PRESENT)
    with pytest.raises(services.ValidationError):
        _save(group, date(2026, 7, 14), teacher, [pupil], Status.PRESENT)


def test_registration_at_half_past_midnight_belongs_to_copenhagen_day(
    client_for, teacher, group, school_year
):
    pupil = PupilFactory(group=group)
    # 23:30 UTC on Monday 9 March is 00:30 on Tuesday 10 March in Copenhagen.
    just_after_midnight = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    client = client_for(teacher)

    with mock.patch("django.utils.timezone.now", return_value=just_after_midnight):
        response = client.post(
            reverse("absence:register", args=[group.pk]), morning(pupil, Status.PRESENT)
        )

    assert response.status_code == 302
    assert Registration.objects.get(pupil=pupil).day == date(2026, 3, 10)


def test_pupil_who_changed_group_stays_on_earlier_register(
    client_for, teacher, group, other_group, school_year
):
    pupil = PupilFactory(group=group)
    register(pupil, SCHOOL_DAY, Status.ILLNESS, by=teacher)
    pupil.group = other_group
    pupil.save()

    page = client_for(teacher).get(register_url(group)).content.decode()

    assert f'id="pupil-{pupil.pk}"' in page


def test_pupil_not_yet_started_is_not_on_register(
    client_for, teacher, group, school_year
):
    later = PupilFactory(group=group, start_date=date(2026, 4, 1))
    left = PupilFactory(group=group, leaving_date=date(2026, 2, 1))

    page = client_for(teacher).get(register_url(group)).content.decode()

    assert f'id="pupil-{later.pk}"' not in page
    assert f'id="pupil-{left.pk}"' not in page


def test_pupil_of_another_group_cannot_be_smuggled_in(
    teacher, group, other_pupil, school_year
):
    with pytest.raises(services.ValidationError):
        _save(group, SCHOOL_DAY, teacher, [other_pupil], Status.PRESENT)


def test_register_access_by_role(
    client, client_for, teacher, coordinator, outsider, group, other_group, school_year
):
    other_teacher = make_staff(
        school=group.school, role=roles.TEACHER, groups=[other_group]
    )

    assert client.get(register_url(group)).status_code == 302
    assert client_for(teacher).get(register_url(group)).status_code == 200
    assert client_for(coordinator).get(register_url(group)).status_code == 200
    assert client_for(other_teacher).get(register_url(group)).status_code == 404
    assert client_for(outsider).get(register_url(group)).status_code == 404


def test_register_index_opens_only_group(client_for, teacher, group):
    response = client_for(teacher).get(reverse("absence:register_index"))

    assert response.status_code == 302
    assert response.url == reverse("absence:register", args=[group.pk])


def test_register_view_is_logged_per_pupil(client_for, teacher, group, school_year):
    pupils = PupilFactory.create_batch(2, group=group)

    client_for(teacher).get(register_url(group))

    from schoolplan.models import AccessLogEntry

    logged = set(
        AccessLogEntry.objects.filter(action="view").values_list("pupil_id", flat=True)
    )
    assert logged == {pupil.pk for pupil in pupils}
    description = AccessLogEntry.objects.values_list("what", flat=True).first()
    assert description == f"fremmøderegistrering {SCHOOL_DAY.isoformat()}"


def test_resave_after_conflict_keeps_colleague_changes(
    client_for, teacher, coordinator, group, school_year
):
    changed_by_colleague, changed_by_user = PupilFactory.create_batch(2, group=group)
    register(changed_by_colleague, SCHOOL_DAY, Status.AWAITING, by=teacher)
    register(changed_by_user, SCHOOL_DAY, Status.PRESENT, by=teacher)
    services.register_save(
        group=group,
        day=SCHOOL_DAY,
        user=coordinator,
        rows=[
            services.RowInput(
                pupil_id=changed_by_colleague.pk,
                notation=Registration.Notation.MORNING,
                status=Status.ILLNESS,
                reason_channel=Registration.Channel.PHONE,
                loaded_version=1,
            )
        ],
    )
    as_loaded_with_one_change = {
        **morning(changed_by_colleague, Status.AWAITING, version=1),
        **morning(changed_by_user, Status.LATE, version=1, arrived_at="09:15"),
    }

    conflict = client_for(teacher).post(register_url(group), as_loaded_with_one_change)
    assert "conflict-current" in conflict.content.decode()
    row_form = next(
        form
        for _row, form, _conflicts in conflict.context["rows"]
        if form.row.pupil == changed_by_colleague
    )
    resubmitted = {
        f"{row_form.prefix}-{name}": row_form[name].value() or ""
        for name in ("status", "arrived_at", "note", "reason_channel", "version")
    }
    client_for(teacher).post(
        register_url(group),
        {
            **as_loaded_with_one_change,
            **resubmitted,
            **morning(changed_by_user, Status.LATE, version=1, arrived_at="09:15"),
        },
    )

    colleague_row = Registration.objects.get(pupil=changed_by_colleague)
    assert colleague_row.status == Status.ILLNESS
    assert colleague_row.reason_channel == Registration.Channel.PHONE
    assert Registration.objects.get(pupil=changed_by_user).status == Status.LATE


def test_conflict_keeps_input_the_user_changed(
    client_for, teacher, coordinator, group, school_year
):
    pupil = PupilFactory(group=group)
    register(pupil, SCHOOL_DAY, Status.AWAITING, by=teacher)
    services.register_save(
        group=group,
        day=SCHOOL_DAY,
        user=coordinator,
        rows=[
            services.RowInput(
                pupil_id=pupil.pk,
                notation=Registration.Notation.MORNING,
                status=Status.ILLNESS,
                loaded_version=1,
            )
        ],
    )

    response = client_for(teacher).post(
        register_url(group), morning(pupil, Status.UNLAWFUL, version=1)
    )

    _row, row_form, conflicts = response.context["rows"][0]
    assert row_form["status"].value() == Status.UNLAWFUL
    assert row_form["version"].value() == "2"
    assert [registration.status for registration in conflicts] == [Status.ILLNESS]


def test_invalid_row_names_pupil_and_saves_nothing(
    client_for, teacher, group, school_year
):
    valid, invalid = PupilFactory.create_batch(2, group=group)

    response = client_for(teacher).post(
        register_url(group),
        {**morning(valid, Status.PRESENT), **morning(invalid, Status.LATE)},
    )

    page = response.content.decode()
    expected = REGISTER_NOT_SAVED % {"names": escape(invalid.full_name)}
    assert response.status_code == 200
    assert expected in page
    assert not Registration.objects.exists()


@pytest.mark.parametrize(
    ("tampered", "row_message"),
    [
        ({"version": "abc"}, escape(str(REGISTER_ROW_DAMAGED))),
        ({"status": "bogus"}, "register-row-error"),
        ({"note": "a\x00b"}, "register-row-error"),
    ],
)
def test_tampered_row_gets_a_message(
    client_for, teacher, group, school_year, tampered, row_message
):
    pupil = PupilFactory(group=group)
    data = morning(pupil, Status.PRESENT)
    data.update({f"p{pupil.pk}-{name}": value for name, value in tampered.items()})

    response = client_for(teacher).post(register_url(group), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert str(REGISTER_NOT_SAVED % {"names": escape(pupil.full_name)}) in page
    assert row_message in page
    assert not Registration.objects.exists()


def test_absent_morning_removes_stale_last_lesson(
    client_for, teacher, coordinator, group, school_year
):
    pupil = PupilFactory(group=group, grade=9)
    services.register_save(
        group=group,
        day=SCHOOL_DAY,
        user=teacher,
        rows=[
            services.RowInput(pupil.pk, "morning", Status.PRESENT),
            services.RowInput(
                pupil.pk, "last_lesson", Status.LEFT_EARLY, left_at=time(12, 30)
            ),
        ],
    )

    client_for(coordinator).post(
        register_url(group),
        {
            **morning(pupil, Status.ILLNESS, version=1),
            f"p{pupil.pk}-last_status": Status.LEFT_EARLY,
            f"p{pupil.pk}-left_at": "12:30",
            f"p{pupil.pk}-last_version": "1",
        },
    )

    assert Registration.objects.get(pupil=pupil).status == Status.ILLNESS
    assert not Registration.objects.filter(
        pupil=pupil, notation=Registration.Notation.LAST_LESSON
    ).exists()
    deleted = Registration.history.get(
        pupil_id=pupil.pk,
        notation=Registration.Notation.LAST_LESSON,
        history_type="-",
    )
    assert deleted.history_user == coordinator
    assert deleted.left_at == time(12, 30)
    assert client_for(coordinator).get(register_url(group)).status_code == 200


@pytest.mark.parametrize(
    ("times", "field", "message"),
    [
        (
            {"status": Status.LATE, "arrived_at": "07:00"},
            "arrived_at",
            ARRIVAL_OUTSIDE_DAY,
        ),
        (
            {"status": Status.LATE, "arrived_at": "16:00"},
            "arrived_at",
            ARRIVAL_OUTSIDE_DAY,
        ),
        (
            {"last_status": Status.LEFT_EARLY, "left_at": "07:30"},
            "left_at",
            LEAVING_OUTSIDE_DAY,
        ),
        (
            {"last_status": Status.LEFT_EARLY, "left_at": "17:00"},
            "left_at",
            LEAVING_OUTSIDE_DAY,
        ),
        (
            {
                "status": Status.LATE,
                "arrived_at": "11:00",
                "last_status": Status.LEFT_EARLY,
                "left_at": "10:00",
            },
            "left_at",
            LEFT_BEFORE_ARRIVING,
        ),
    ],
)
def test_times_outside_school_day_are_rejected(
    client_for, teacher, group, school_year, rules, times, field, message
):
    pupil = PupilFactory(group=group, grade=8)
    data = {**morning(pupil, Status.PRESENT), f"p{pupil.pk}-last_version": "0"}
    data.update({f"p{pupil.pk}-{name}": value for name, value in times.items()})

    response = client_for(teacher).post(register_url(group), data)

    _row, row_form, _conflicts = response.context["rows"][0]
    starts, ends = school_day_span(rules)
    expected = str(message) % {
        "start": starts.strftime("%H:%M"),
        "end": ends.strftime("%H:%M"),
    }
    assert row_form.errors[field] == [expected]
    assert not Registration.objects.exists()


def test_register_isolates_bidi_names(client_for, teacher, group, school_year):
    PupilFactory(group=group, first_name="Ali\u202eecnirp", last_name="Hansen")

    page = client_for(teacher).get(register_url(group)).content.decode()

    assert "<bdi>Ali\u202eecnirp Hansen</bdi></h2>" in page


def test_register_page_queries_do_not_grow(
    client_for, coordinator, group, school_year, rules
):
    small_group = PupilGroupFactory(school=group.school)
    PupilFactory.create_batch(2, group=small_group)
    twelve = PupilFactory.create_batch(12, group=group, grade=8)
    _save(group, SCHOOL_DAY, coordinator, twelve, Status.PRESENT)
    _save(group, SCHOOL_DAY, coordinator, twelve[:4], Status.AWAITING, version=1)
    register_many(
        twelve[0], [date(2026, 3, 2), date(2026, 3, 3)], Status.AWAITING, by=coordinator
    )
    client = client_for(coordinator)
    # The first request of a login checks two-factor status once.
    client.get(register_url(small_group))

    with CaptureQueriesContext(connection) as for_two:
        client.get(register_url(small_group))
    with CaptureQueriesContext(connection) as for_twelve:
        page = client.get(register_url(group)).content.decode()

    assert len(for_twelve) == len(for_two)
    assert page.count("register-history") == 4


def test_register_lists_latest_awaiting_reasons(
    client_for, teacher, group, school_year
):
    pupil = PupilFactory(group=group, first_name="Asta")
    days = weekdays(date(2026, 2, 2), date(2026, 2, 13))
    register_many(pupil, days, Status.AWAITING, by=teacher)
    moved = PupilFactory(
        group=PupilGroupFactory(school=group.school), first_name="Bjørn"
    )
    registered_here = Registration.objects.create(
        pupil=moved,
        group=group,
        day=date(2026, 2, 16),
        status=Status.AWAITING,
        registered_by=teacher,
        updated_by=teacher,
    )
    oldest = Registration.objects.get(pupil=pupil, day=days[0])

    page = client_for(teacher).get(register_url(group)).content.decode()

    links = page.count(
        reverse("absence:reason_record", args=[registered_here.pk]) + "?next="
    )
    assert links == 1
    assert "<bdi>Bjørn Prøvesen</bdi></a> · 16.2.2026" in page
    assert reverse("absence:reason_record", args=[oldest.pk]) not in page
    assert "Alle 11 fraværsdage, der afventer årsag" in page


def test_register_escapes_names_and_notes(client_for, teacher, group, school_year):
    pupil = PupilFactory(group=group, first_name="<b>Bo</b>")
    note = '"><script>alert(1)</script>'
    client = client_for(teacher)
    client.post(register_url(group), morning(pupil, Status.PRESENT, note=note))
    client.post(
        register_url(group), morning(pupil, Status.ILLNESS, version=1, note=note)
    )

    page = client.get(register_url(group)).content.decode()

    assert "<script>alert" not in page
    assert "<b>Bo</b>" not in page
    assert f"<bdi>{escape(pupil.full_name)}</bdi>" in page
    assert f'value="{escape(note)}" maxlength="500"' in page
    assert f"· “<bdi>{escape(note)}</bdi>”</li>" in page


def test_register_row_speaks_danish(client_for, teacher, group, school_year):
    PupilFactory(group=group, first_name="Carl", last_name="Berg", grade=8)

    page = client_for(teacher).get(register_url(group)).content.decode()

    assert '<legend class="visually-hidden">Morgen, Carl Berg</legend>' in page
    assert "8. klasse" in page
    assert "Ikke registreret" in page
    assert ">Til stede</label>" in page
    assert ">Gået tidligt</label>" in page
    assert ">Sidste lektion</legend>" in page
    assert ">Kom kl.</label>" in page
    assert ">Årsag givet via</label>" in page


def test_history_note_isolates_bidi_override(
    client_for, teacher, coordinator, group, school_year
):
    """An unclosed U+202E in a note must not reverse the history text after it."""
    pupil = PupilFactory(group=group)
    note = "tekst \u202eabc"
    client_for(teacher).post(
        register_url(group), morning(pupil, Status.AWAITING, note=note)
    )
    client_for(coordinator).post(
        register_url(group), morning(pupil, Status.ILLNESS, version=1, note=note)
    )

    page = client_for(coordinator).get(register_url(group)).content.decode()

    assert "register-history" in page
    assert f"“<bdi>{note}</bdi>”" in page
    assert f"“{note}”" not in page


def test_register_pupils_match_the_orm_rule(teacher, group, other_group, school_year):
    """The register's pupils, read in SQL, are those `register_pupils` returns."""
    enrolled = PupilFactory(group=group)
    PupilFactory(group=group, start_date=date(2026, 4, 1))
    PupilFactory(group=group, leaving_date=date(2026, 2, 1))
    moved_away = PupilFactory(group=group)
    register(moved_away, SCHOOL_DAY, Status.ILLNESS, by=teacher)
    moved_away.group = other_group
    moved_away.save()
    PupilFactory(group=other_group)

    rows = selectors.register_rows(group, SCHOOL_DAY)

    expected = selectors.register_pupils(group, SCHOOL_DAY).order_by(
        "first_name", "last_name", "pk"
    )
    assert [row.pupil for row in rows] == list(expected)
    assert {row.pupil.pk for row in rows} == {enrolled.pk, moved_away.pk}


def test_awaiting_list_matches_the_orm_rule(teacher, group, other_group, school_year):
    """The register's awaiting list, read in SQL, has what `awaiting_reasons` finds."""
    stays = PupilFactory(group=group)
    moved_in = PupilFactory(group=other_group)
    moved_away = PupilFactory(group=group)
    elsewhere = PupilFactory(group=other_group)
    days = weekdays(date(2026, 2, 2), date(2026, 2, 13))
    register_many(stays, days, Status.AWAITING, by=teacher)
    register_many(moved_in, days[:3], Status.AWAITING, by=teacher)
    register_many(moved_away, days[3:5], Status.AWAITING, by=teacher)
    register_many(elsewhere, days[:2], Status.AWAITING, by=teacher)
    register_many(stays, [date(2026, 2, 16)], Status.ILLNESS, by=teacher)
    moved_in.group = group
    moved_in.save()
    moved_away.group = other_group
    moved_away.save()

    shown, count = selectors.group_awaiting_latest(group, 8)

    expected = list(
        selectors.awaiting_reasons(school=group.school, group_ids=[group.pk]).order_by(
            "-day", "pk"
        )
    )
    assert count == len(expected) == 15
    assert [absence.pk for absence in shown] == [r.pk for r in expected[:8]]
    assert shown[0].day == expected[0].day
    assert shown[0].first_name == expected[0].pupil.first_name
