"""Outreach contacts and the share followed by attendance that day and the next."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.urls import reverse

from absence import figures
from absence.models import OutreachContact, Status
from schoolplan.forms import MAX_TEXT_LENGTH
from tests.absence.helpers import register

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def contact(pupil, staff, at: datetime, kind, outcome=OutreachContact.Outcome.CAME):
    return OutreachContact.objects.create(
        pupil=pupil, staff=staff, contacted_at=at, kind=kind, outcome=outcome
    )


def test_share_of_contacts_followed_by_attendance(rules, teacher, pupil, school_year):
    phone, pick_up = OutreachContact.Kind.PHONE, OutreachContact.Kind.PICK_UP
    friday, monday = date(2026, 3, 6), date(2026, 3, 9)
    tuesday, thursday = date(2026, 3, 10), date(2026, 3, 12)
    register(pupil, friday, Status.UNLAWFUL, by=teacher)
    register(pupil, monday, Status.PRESENT, by=teacher)
    register(pupil, tuesday, Status.LATE, arrived_at="09:00", by=teacher)
    register(pupil, thursday, Status.PRESENT, by=teacher)
    # Friday's next school day is Monday; Tuesday's is Thursday, after a holiday.
    contact(pupil, teacher, datetime(2026, 3, 6, 8, 0, tzinfo=COPENHAGEN), phone)
    contact(pupil, teacher, datetime(2026, 3, 10, 7, 50, tzinfo=COPENHAGEN), pick_up)
    contact(pupil, teacher, datetime(2026, 3, 12, 8, 10, tzinfo=COPENHAGEN), phone)

    total, per_kind = figures.outreach_figures(
        rules,
        contacts_from=date(2026, 3, 1),
        today=date(2026, 4, 1),
        pupil_ids=[pupil.pk],
    )
    by_kind = {row.kind: row for row in per_kind}

    assert total.contacts == 3
    assert total.attended_same_day == 2
    assert total.attended_next_day == 2
    assert by_kind[phone].attended_same_day == 1
    assert by_kind[phone].attended_next_day == 1
    assert by_kind[phone].same_day_percent == Decimal(50)
    assert by_kind[pick_up].next_day_percent == Decimal(100)


def test_contact_after_midnight_counts_for_copenhagen_day(
    rules, teacher, pupil, school_year
):
    register(pupil, date(2026, 3, 10), Status.PRESENT, by=teacher)
    # 23:30 UTC on 9 March is 00:30 on 10 March in Copenhagen.
    contact(
        pupil,
        teacher,
        datetime(2026, 3, 9, 23, 30, tzinfo=ZoneInfo("UTC")),
        OutreachContact.Kind.TEXT,
    )

    total, _per_kind = figures.outreach_figures(
        rules,
        contacts_from=date(2026, 3, 1),
        today=date(2026, 4, 1),
        pupil_ids=[pupil.pk],
    )

    assert total.attended_same_day == 1


def test_contact_after_today_is_not_counted(rules, teacher, pupil, school_year):
    register(pupil, date(2026, 3, 10), Status.PRESENT, by=teacher)
    register(pupil, date(2026, 3, 11), Status.PRESENT, by=teacher)
    # Dated the day after `today`, so the figures as of `today` leave it out.
    contact(
        pupil,
        teacher,
        datetime(2026, 3, 10, 8, 0, tzinfo=COPENHAGEN),
        OutreachContact.Kind.PHONE,
    )
    counted = {
        "contacts_from": date(2026, 3, 1),
        "today": date(2026, 3, 9),
        "pupil_ids": [pupil.pk],
    }

    total, per_kind = figures.outreach_figures(rules, **counted)

    assert total is None or total.contacts == 0
    assert per_kind == []
    assert figures.outreach_by_pupil(rules, **counted) == []


def test_outreach_contact_is_recorded(client_for, teacher, pupil, school_year):
    response = client_for(teacher).post(
        reverse("absence:outreach_create", args=[pupil.pk]),
        {
            "contacted_at": "2026-03-10T07:45",
            "kind": OutreachContact.Kind.HOME_VISIT,
            "staff": str(teacher.pk),
            "outcome": OutreachContact.Outcome.CAME_LATER,
            "note": "Kom med efter en snak.",
        },
    )

    saved = OutreachContact.objects.get()
    assert response.status_code == 302
    assert saved.local_day == date(2026, 3, 10)
    assert saved.staff == teacher


def test_outreach_contact_cannot_be_in_future(client_for, teacher, pupil):
    response = client_for(teacher).post(
        reverse("absence:outreach_create", args=[pupil.pk]),
        {
            "contacted_at": "2099-03-10T07:45",
            "kind": OutreachContact.Kind.PHONE,
            "staff": str(teacher.pk),
            "outcome": OutreachContact.Outcome.NO_CONTACT,
        },
    )

    assert response.status_code == 200
    assert not OutreachContact.objects.exists()


def test_pupil_absence_page_shows_contacts(client_for, teacher, pupil, school_year):
    contact(pupil, teacher, datetime.now(tz=COPENHAGEN), OutreachContact.Kind.PICK_UP)

    page = (
        client_for(teacher)
        .get(reverse("absence:pupil", args=[pupil.pk]))
        .content.decode()
    )

    assert 'id="outreach"' in page
    assert "outreach-table" in page


def test_pupil_absence_access_by_role(
    client, client_for, teacher, coordinator, outsider, pupil, other_pupil
):
    url = reverse("absence:pupil", args=[pupil.pk])
    outreach_url = reverse("absence:outreach_create", args=[pupil.pk])

    assert client.get(url).status_code == 302
    assert client.get(outreach_url).status_code == 302
    assert client_for(teacher).get(url).status_code == 200
    assert client_for(coordinator).get(url).status_code == 200
    assert (
        client_for(teacher)
        .get(reverse("absence:pupil", args=[other_pupil.pk]))
        .status_code
        == 404
    )
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(teacher).get(outreach_url).status_code == 200
    assert client_for(outsider).get(outreach_url).status_code == 404


def test_outreach_note_over_limit_is_rejected(client_for, teacher, pupil):
    response = client_for(teacher).post(
        reverse("absence:outreach_create", args=[pupil.pk]),
        {
            "contacted_at": "2026-03-10T07:45",
            "kind": OutreachContact.Kind.PHONE,
            "staff": str(teacher.pk),
            "outcome": OutreachContact.Outcome.NO_CONTACT,
            "note": "x" * (MAX_TEXT_LENGTH + 1),
        },
    )

    assert response.status_code == 200
    assert response.context["form"].has_error("note", "max_length")
    assert not OutreachContact.objects.exists()


def test_outreach_form_has_no_blank_choice(client_for, teacher, pupil):
    response = client_for(teacher).get(
        reverse("absence:outreach_create", args=[pupil.pk])
    )

    page = response.content.decode()
    form = response.context["form"]
    assert "---------" not in page
    assert "" not in [value for value, _label in form.fields["kind"].choices]
    assert "" not in [value for value, _label in form.fields["outcome"].choices]
    assert form["kind"].value() is None
    assert form["outcome"].value() is None


def test_pupil_absence_page_dates_show_year(client_for, teacher, pupil, school_year):
    contacted_at = datetime(2026, 3, 10, 7, 45, tzinfo=COPENHAGEN)
    contact(pupil, teacher, contacted_at, OutreachContact.Kind.PICK_UP)
    register(pupil, date(2026, 3, 9), Status.AWAITING, by=teacher)

    page = (
        client_for(teacher)
        .get(reverse("absence:pupil", args=[pupil.pk]))
        .content.decode()
    )

    assert "10. marts 2026 07:45" in page
    assert "9. marts 2026" in page
