"""The running log: ordering, filters, pagination, corrections, amendments, strikes."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from schoolplan import forms, selectors, services
from schoolplan.models import Area, Entry
from schoolplan.views import ENTRIES_PER_PAGE
from tests.factories import EntryFactory, GoalFactory, UserFactory


def _plan(client, pupil, **params):
    return client.get(reverse("schoolplan:plan", args=[pupil.pk]), params)


def _log_ids(response):
    return [entry.pk for entry in response.context["page"]]


def test_log_newest_first(client_for, teacher, pupil):
    old = EntryFactory(pupil=pupil, author=teacher, concerns_date=date(2026, 9, 1))
    new = EntryFactory(pupil=pupil, author=teacher, concerns_date=date(2026, 11, 20))
    middle = EntryFactory(pupil=pupil, author=teacher, concerns_date=date(2026, 10, 5))

    response = _plan(client_for(teacher), pupil)

    assert _log_ids(response) == [new.pk, middle.pk, old.pk]


def test_log_same_day_ordered_by_time_written(client_for, teacher, pupil):
    day = date(2026, 11, 20)
    first = EntryFactory(
        pupil=pupil,
        author=teacher,
        concerns_date=day,
        created_at=timezone.now() - timedelta(hours=3),
    )
    second = EntryFactory(pupil=pupil, author=teacher, concerns_date=day)

    response = _plan(client_for(teacher), pupil)

    assert _log_ids(response) == [second.pk, first.pk]


def test_log_filter_by_kind(client_for, teacher, pupil):
    EntryFactory(pupil=pupil, author=teacher, kind=Entry.Kind.DAILY)
    meeting = EntryFactory(pupil=pupil, author=teacher, kind=Entry.Kind.MEETING)

    response = _plan(client_for(teacher), pupil, kind="meeting")

    assert _log_ids(response) == [meeting.pk]


def test_log_filter_by_area(client_for, teacher, pupil):
    health = Area.objects.get(code=Area.Code.HEALTH)
    tagged = EntryFactory(pupil=pupil, author=teacher)
    tagged.areas.add(health)
    EntryFactory(pupil=pupil, author=teacher)

    response = _plan(client_for(teacher), pupil, area=health.pk)

    assert _log_ids(response) == [tagged.pk]


def test_log_filter_by_author(client_for, teacher, coordinator, pupil):
    EntryFactory(pupil=pupil, author=teacher)
    by_coordinator = EntryFactory(pupil=pupil, author=coordinator)

    response = _plan(client_for(teacher), pupil, author=coordinator.pk)

    assert _log_ids(response) == [by_coordinator.pk]


def test_log_filter_by_period(client_for, teacher, pupil):
    EntryFactory(pupil=pupil, author=teacher, concerns_date=date(2026, 9, 30))
    inside = EntryFactory(pupil=pupil, author=teacher, concerns_date=date(2026, 10, 1))
    EntryFactory(pupil=pupil, author=teacher, concerns_date=date(2026, 11, 1))

    response = _plan(
        client_for(teacher), pupil, date_from="2026-10-01", date_to="2026-10-31"
    )

    assert _log_ids(response) == [inside.pk]


def test_log_far_period_end_shows_message(client_for, teacher, pupil):
    EntryFactory(pupil=pupil, author=teacher)

    response = _plan(
        client_for(teacher), pupil, date_from="2026-10-01", date_to="9999-12-31"
    )

    assert response.status_code == 200
    assert str(forms.PERIOD_DATE_TOO_LATE) in response.content.decode()
    assert len(_log_ids(response)) == 1


def test_log_reversed_period_shows_message(client_for, teacher, pupil):
    EntryFactory(pupil=pupil, author=teacher)

    response = _plan(
        client_for(teacher), pupil, date_from="2026-10-31", date_to="2026-10-01"
    )

    assert response.status_code == 200
    assert str(forms.PERIOD_REVERSED) in response.content.decode()
    assert len(_log_ids(response)) == 1


def test_log_nonexistent_date_in_filter_is_rejected(client_for, teacher, pupil):
    response = _plan(client_for(teacher), pupil, date_from="2026-02-30")

    assert response.status_code == 200
    assert response.context["filter_form"].errors["date_from"]


def test_log_pagination(client_for, teacher, pupil):
    for day in range(ENTRIES_PER_PAGE + 5):
        EntryFactory(
            pupil=pupil, author=teacher, concerns_date=date(2026, 1, 1) + timedelta(day)
        )
    client = client_for(teacher)

    first = _plan(client, pupil)
    second = _plan(client, pupil, page=2)
    beyond = _plan(client, pupil, page=99)
    garbage = _plan(client, pupil, page="abc")

    assert len(_log_ids(first)) == ENTRIES_PER_PAGE
    assert len(_log_ids(second)) == 5
    assert set(_log_ids(first)).isdisjoint(_log_ids(second))
    assert _log_ids(beyond) == _log_ids(second)
    assert _log_ids(garbage) == _log_ids(first)


def test_entry_form_creates_entry_with_defaults(client_for, teacher, pupil):
    response = client_for(teacher).post(
        reverse("schoolplan:entry_create", args=[pupil.pk]),
        {
            "concerns_date": timezone.localdate().isoformat(),
            "kind": "daily",
            "text": "Søren åbnede døren selv og sagde hej til Ærlige Åge.",
        },
    )

    entry = Entry.objects.get(pupil=pupil)
    assert response.status_code == 302
    assert entry.author == teacher
    assert entry.text.startswith("Søren åbnede")
    assert entry.is_internal


def test_entry_form_sent_twice_saves_once(client_for, teacher, pupil):
    client = client_for(teacher)
    data = {
        "concerns_date": timezone.localdate().isoformat(),
        "kind": "daily",
        "text": "Dobbeltklik på en langsom forbindelse.",
    }
    url = reverse("schoolplan:entry_create", args=[pupil.pk])

    first = client.post(url, data)
    second = client.post(url, data)

    entry = Entry.objects.get(pupil=pupil)
    assert first.status_code == 302
    assert second.url == first.url
    assert second.url.endswith(f"#entry-{entry.pk}")


def test_entry_sent_again_with_sharing_is_new_entry(client_for, teacher, pupil):
    client = client_for(teacher)
    data = {
        "concerns_date": timezone.localdate().isoformat(),
        "kind": "daily",
        "text": "Syg.",
    }
    url = reverse("schoolplan:entry_create", args=[pupil.pk])

    client.post(url, data)
    client.post(url, data | {"shared_with_parents": "on"})

    entries = Entry.objects.filter(pupil=pupil)
    assert entries.count() == 2
    assert entries.filter(shared_with_parents=True).count() == 1


def test_same_text_later_is_new_entry(teacher, pupil):
    text = "Samme tekst, skrevet igen senere."
    first = services.entry_create(
        pupil=pupil,
        author=teacher,
        kind="daily",
        text=text,
        concerns_date=timezone.localdate(),
    )
    Entry.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - services.REPEATED_SUBMISSION_WINDOW
    )

    second = services.entry_create(
        pupil=pupil,
        author=teacher,
        kind="daily",
        text=text,
        concerns_date=timezone.localdate(),
    )

    assert second.pk != first.pk
    assert Entry.objects.filter(pupil=pupil).count() == 2


def test_entry_form_date_defaults_to_copenhagen_today(client_for, teacher, pupil):
    response = client_for(teacher).get(
        reverse("schoolplan:entry_create", args=[pupil.pk])
    )

    form = response.context["form"]
    assert form["concerns_date"].value() == timezone.localdate()


def test_entry_form_rejects_future_date_and_keeps_text(client_for, teacher, pupil):
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client_for(teacher).post(
        reverse("schoolplan:entry_create", args=[pupil.pk]),
        {"concerns_date": tomorrow.isoformat(), "kind": "daily", "text": "Min tekst"},
    )

    assert response.status_code == 200
    assert str(forms.ENTRY_DATE_IN_FUTURE) in response.content.decode()
    assert "Min tekst" in response.content.decode()
    assert not Entry.objects.exists()


def test_entry_form_rejects_goal_of_other_pupil(
    client_for, coordinator, pupil, other_pupil
):
    from tests.factories import GoalFactory

    foreign_goal = GoalFactory(pupil=other_pupil)

    response = client_for(coordinator).post(
        reverse("schoolplan:entry_create", args=[pupil.pk]),
        {
            "concerns_date": timezone.localdate().isoformat(),
            "kind": "daily",
            "text": "Tekst",
            "goal": foreign_goal.pk,
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["goal"]
    assert not Entry.objects.exists()


def test_author_corrects_entry_same_day(client_for, teacher, pupil):
    entry = EntryFactory(pupil=pupil, author=teacher, text="Skrevet med fejl")

    response = client_for(teacher).post(
        reverse("schoolplan:entry_edit", args=[pupil.pk, entry.pk]),
        {
            "concerns_date": entry.concerns_date.isoformat(),
            "kind": "daily",
            "text": "Rettet",
        },
    )

    entry.refresh_from_db()
    assert response.status_code == 302
    assert entry.text == "Rettet"
    assert entry.edited_at is not None
    assert entry.history.earliest().text == "Skrevet med fejl"


def test_correction_refused_day_after(teacher, pupil):
    entry = EntryFactory(
        pupil=pupil, author=teacher, created_at=timezone.now() - timedelta(days=1)
    )

    with pytest.raises(ValidationError) as error:
        services.entry_correct(entry=entry, user=teacher, text="Ny tekst")

    entry.refresh_from_db()
    assert services.CORRECTION_DAY_PASSED in error.value.messages
    assert entry.text != "Ny tekst"


def test_correction_form_day_after_leads_to_amendment(client_for, teacher, pupil):
    entry = EntryFactory(
        pupil=pupil, author=teacher, created_at=timezone.now() - timedelta(days=1)
    )

    response = client_for(teacher).post(
        reverse("schoolplan:entry_edit", args=[pupil.pk, entry.pk]),
        {
            "concerns_date": entry.concerns_date.isoformat(),
            "kind": "daily",
            "text": "Ny",
        },
    )

    entry.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "schoolplan:entry_amend", args=[pupil.pk, entry.pk]
    )
    assert entry.text != "Ny"


def test_correction_by_other_user_refused(teacher, coordinator, pupil):
    entry = EntryFactory(pupil=pupil, author=teacher, text="Original")

    with pytest.raises(Exception) as error:
        services.entry_correct(entry=entry, user=coordinator, text="Overskrevet")

    entry.refresh_from_db()
    assert services.CORRECTION_NOT_AUTHOR in [str(arg) for arg in error.value.args]
    assert entry.text == "Original"


def test_amendment_keeps_original(client_for, teacher, pupil):
    entry = EntryFactory(
        pupil=pupil,
        author=teacher,
        text="Den oprindelige tekst",
        created_at=timezone.now() - timedelta(days=3),
    )
    client = client_for(teacher)

    client.post(
        reverse("schoolplan:entry_amend", args=[pupil.pk, entry.pk]),
        {"text": "Mor har siden fortalt mere."},
    )
    page = _plan(client, pupil).content.decode()

    entry.refresh_from_db()
    assert entry.text == "Den oprindelige tekst"
    assert entry.amendments.get().text == "Mor har siden fortalt mere."
    assert "Den oprindelige tekst" in page
    assert "Mor har siden fortalt mere." in page


def test_strike_keeps_entry_with_reason(client_for, coordinator, teacher, pupil):
    entry = EntryFactory(pupil=pupil, author=teacher, text="Forkert elev")
    client = client_for(coordinator)

    client.post(
        reverse("schoolplan:entry_strike", args=[pupil.pk, entry.pk]),
        {"reason": "Skrevet på den forkerte elev"},
    )
    page = _plan(client, pupil).content.decode()

    entry.refresh_from_db()
    assert entry.is_struck
    assert entry.struck_by == coordinator
    assert entry.strike_reason == "Skrevet på den forkerte elev"
    assert "<del>Forkert elev</del>" in page
    assert Entry.objects.filter(pk=entry.pk).exists()


def test_strike_requires_reason(client_for, teacher, pupil):
    entry = EntryFactory(pupil=pupil, author=teacher)

    response = client_for(teacher).post(
        reverse("schoolplan:entry_strike", args=[pupil.pk, entry.pk]), {"reason": "   "}
    )

    entry.refresh_from_db()
    assert response.status_code == 200
    assert not entry.is_struck


def test_strike_twice_refused(teacher, pupil):
    entry = EntryFactory(pupil=pupil, author=teacher)
    services.entry_strike(entry=entry, user=teacher, reason="Fejl")

    with pytest.raises(ValidationError) as error:
        services.entry_strike(entry=entry, user=teacher, reason="Igen")

    entry.refresh_from_db()
    assert services.ENTRY_ALREADY_STRUCK in error.value.messages
    assert entry.strike_reason == "Fejl"


def test_other_teacher_cannot_strike(client_for, teacher, school, pupil):
    from schoolplan import roles
    from tests.factories import make_staff

    colleague = make_staff(school=school, role=roles.TEACHER, groups=[pupil.group])
    entry = EntryFactory(pupil=pupil, author=teacher)

    response = client_for(colleague).post(
        reverse("schoolplan:entry_strike", args=[pupil.pk, entry.pk]), {"reason": "Nej"}
    )

    entry.refresh_from_db()
    assert response.status_code == 403
    assert not entry.is_struck


def test_entry_never_deleted_by_admin(admin_client, teacher, pupil):
    entry = EntryFactory(pupil=pupil, author=teacher)

    response = admin_client.post(
        reverse("admin:schoolplan_entry_delete", args=[entry.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Entry.objects.filter(pk=entry.pk).exists()


def test_log_long_entry_opens_with_its_start(client_for, teacher, pupil):
    text = "Mødte kl. 8.10 og gik til matematik. " * 60
    EntryFactory(pupil=pupil, author=teacher, text=text)

    page = _plan(client_for(teacher), pupil).content.decode()

    assert "Vis hele notatet (" in page
    assert 'class="entry-long"' in page
    assert page.count(text.strip()) == 1


def test_log_short_entry_shows_whole_text(client_for, teacher, pupil):
    EntryFactory(pupil=pupil, author=teacher, text="Kom kl. 8.30.")

    page = _plan(client_for(teacher), pupil).content.decode()

    assert "Kom kl. 8.30." in page
    assert "Vis hele notatet" not in page


def test_unfiltered_log_pages_match_the_orm(teacher, coordinator, pupil):
    """The log's pages read in SQL follow `log_entry_rows`, page by page."""
    day = date(2026, 11, 20)
    for number in range(ENTRIES_PER_PAGE + 5):
        EntryFactory(
            pupil=pupil,
            author=teacher if number % 3 else coordinator,
            concerns_date=day - timedelta(days=number % 4),
        )
    authors = selectors.log_authors(pupil)
    everything = list(selectors.log_entry_rows(pupil, None))

    log = selectors.UnfilteredLog(pupil, sum(a.entry_count for a in authors))

    assert len(log) == len(everything)
    assert log[0:ENTRIES_PER_PAGE] == everything[:ENTRIES_PER_PAGE]
    assert log[ENTRIES_PER_PAGE : len(log)] == everything[ENTRIES_PER_PAGE:]
    assert log[0:0] == []
    assert {author.pk: author.entry_count for author in authors} == {
        teacher.pk: 20,
        coordinator.pk: 10,
    }


def test_new_entry_card_shows_its_goal_and_author(client_for, teacher, pupil):
    """A card rendered from the SQL page loads the entry's goal and author."""
    client = client_for(teacher)
    _plan(client, pupil)
    goal = GoalFactory(pupil=pupil, title="Møder til tiden")
    EntryFactory(pupil=pupil, author=teacher, goal=goal, text="Ny note med mål.")

    page = _plan(client, pupil).content.decode()

    assert "Ny note med mål." in page
    assert "Møder til tiden" in page
    assert teacher.get_full_name() in page


def test_card_details_read_in_sql_match_the_orm(teacher, coordinator, pupil):
    """The areas and amendments of rendered cards, read in SQL, are the ORM's."""
    areas = list(Area.objects.all()[:3])
    entries = [EntryFactory(pupil=pupil, author=teacher) for _number in range(3)]
    entries[0].areas.set(areas)
    entries[1].areas.set(areas[1:2])
    for author, text in ((coordinator, "Først"), (teacher, "Så")):
        services.entry_amend(entry=entries[0], author=author, text=text)
    expected = list(selectors.log_entries(pupil))

    found = list(selectors.UnfilteredLog(pupil, 3)[0:3])
    with CaptureQueriesContext(connection) as queries:
        selectors.prefetch_log_details(found)
    with CaptureQueriesContext(connection) as later:
        details = [
            (
                entry.author.username,
                list(entry.areas.all()),
                [
                    (a.author.username, a.text, a.entry_id)
                    for a in entry.amendments.all()
                ],
            )
            for entry in found
        ]

    assert details == [
        (
            entry.author.username,
            list(entry.areas.all()),
            [(a.author.username, a.text, a.entry_id) for a in entry.amendments.all()],
        )
        for entry in expected
    ]
    assert len(queries) == 3
    assert len(later) == 0


def test_log_authors_with_same_name_keep_order(pupil):
    """Authors with the same name come in id order, however their rows move."""
    first = UserFactory(first_name="Anne", last_name="Hansen")
    second = UserFactory(first_name="Anne", last_name="Hansen")
    EntryFactory(pupil=pupil, author=first)
    EntryFactory(pupil=pupil, author=second)
    # An update writes a new row version, which moves it in the table.
    first.last_login = timezone.now()
    first.save(update_fields=["last_login"])

    authors = selectors.log_authors(pupil)

    assert [author.pk for author in authors] == [first.pk, second.pk]


def test_areas_with_same_position_come_in_id_order(db):
    first = Area.objects.order_by("position", "id").first()
    later = Area.objects.create(code="ekstra", position=first.position)
    # An update writes a new row version, which moves it in the table.
    first.save(update_fields=["position"])

    areas = list(Area.objects.filter(position=first.position))

    assert areas == [first, later]
