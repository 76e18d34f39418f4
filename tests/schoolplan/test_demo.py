"""The demo school: deterministic for a seed, and loading it twice adds nothing."""

import re
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models.functions import Length

from schoolplan import demo
from schoolplan.models import Entry, Guardian, Pupil, PupilGroup, StaffMember

TODAY = date(2026, 12, 4)


def _fingerprint():
    return (
        list(
            Pupil.objects.order_by("pk").values_list("first_name", "last_name", "grade")
        ),
        Entry.objects.count(),
        list(Entry.objects.order_by("pk").values_list("kind", "concerns_date")[:50]),
    )


def _load_and_fingerprint(seed):
    with transaction.atomic():
        demo.populate(seed=seed, today=TODAY)
        fingerprint = _fingerprint()
        transaction.set_rollback(True)
    return fingerprint


def test_demo_same_seed_same_school(reference_data):
    assert _load_and_fingerprint(7) == _load_and_fingerprint(7)


def test_demo_other_seed_other_school(reference_data):
    assert _load_and_fingerprint(7) != _load_and_fingerprint(8)


def test_demo_shape(reference_data):
    demo.populate(seed=2026, today=TODAY)

    assert PupilGroup.objects.count() == 3
    assert StaffMember.objects.count() == 8
    assert 20 <= Pupil.objects.count() <= 30
    assert Entry.objects.filter(shared_with_parents=True).exists()
    assert Entry.objects.filter(shared_with_municipality=True).exists()
    assert Entry.objects.filter(text__contains="ø").exists()
    assert (
        Entry.objects.annotate(length=Length("text")).filter(length__gte=800).exists()
    )


def test_demo_guardian_emails_valid(reference_data):
    """The admin validates every guardian's email when a pupil is saved there."""
    demo.populate(seed=2026, today=TODAY)

    emails = [
        email for email in Guardian.objects.values_list("email", flat=True) if email
    ]
    assert emails
    for email in emails:
        try:
            validate_email(email)
        except ValidationError:
            pytest.fail(f"demo guardian email {email!r} is invalid")


def _pattern(fragments, name):
    """Return a regex for any one of `fragments` about the pupil called `name`."""
    options = []
    for fragment in fragments:
        escaped = re.escape(fragment)
        escaped = escaped.replace(r"\{name\}", re.escape(name))
        options.append(escaped.replace(r"\{clock\}", r"\d{1,2}\.\d{2}"))
    return "(?:" + "|".join(options) + ")"


def _fits_one_situation(text, name):
    for situation, _weight in demo.DAY_SITUATIONS:
        regex = _pattern(situation.openings, name)
        regex += f"(?: {_pattern(situation.middles, name)})+"
        if situation.closings:
            regex += f" {_pattern(situation.closings, name)}"
        if re.fullmatch(regex, text):
            return True
    return False


def test_demo_daily_entries_consistent(reference_data):
    demo.populate(seed=2026, today=TODAY)
    stories = {
        demo._long_story(story, pupil.first_name)
        for story in demo.LONG_STORIES
        for pupil in Pupil.objects.all()
    }

    daily = Entry.objects.filter(kind=Entry.Kind.DAILY).select_related("pupil")
    short = [entry for entry in daily if entry.text not in stories]
    mixed = [
        entry.text
        for entry in short
        if not _fits_one_situation(entry.text, entry.pupil.first_name)
    ]

    assert len(short) > 500
    assert mixed == []
    absent = daily.filter(text__contains="mødte ikke op")
    whole_day = daily.filter(text__contains="var her hele dagen")
    assert not absent.filter(text__contains="koncentreret med matematik").exists()
    assert not whole_day.filter(text__icontains="gik hjem").exists()


def test_demo_no_repeated_text_nearby(reference_data):
    demo.populate(seed=2026, today=TODAY)
    window = timedelta(days=demo.REPEAT_WINDOW_DAYS)

    last_seen = {}
    repeats = []
    for entry in Entry.objects.order_by("concerns_date", "pk"):
        key = (entry.pupil_id, entry.text)
        if key in last_seen and entry.concerns_date - last_seen[key] < window:
            repeats.append((entry.pupil_id, entry.concerns_date, entry.text[:40]))
        last_seen[key] = entry.concerns_date

    assert repeats == []


def test_demo_grades_follow_birth_year(reference_data):
    demo.populate(seed=2026, today=TODAY)

    for pupil in Pupil.objects.all():
        first_day = demo.first_school_day(pupil.date_of_birth.year + 6)
        assert demo.grade_on(pupil.date_of_birth, TODAY) == pupil.grade, pupil
        assert pupil.start_date > first_day, pupil
        assert pupil.start_date.weekday() < 5, pupil


def test_demo_log_skips_school_holidays(reference_data):
    demo.populate(seed=2026, today=TODAY)
    days = set(Entry.objects.values_list("concerns_date", flat=True))

    assert days
    assert not [day for day in days if day.weekday() >= 5]
    assert not [day for day in days if day.month == 7]
    assert not [day for day in days if (day.month, day.day) >= (12, 21)]
    assert not [day for day in days if day.isocalendar().week == 42]


@pytest.mark.django_db
def test_load_demo_twice_adds_nothing(reference_data, capsys):
    call_command("load_demo")
    counts = (Pupil.objects.count(), Entry.objects.count(), StaffMember.objects.count())

    call_command("load_demo")

    assert (
        Pupil.objects.count(),
        Entry.objects.count(),
        StaffMember.objects.count(),
    ) == (counts)
    assert "skoleplan-demo" in capsys.readouterr().out


@pytest.mark.django_db
def test_load_demo_leaves_planner_statistics(reference_data):
    """Without statistics PostgreSQL planned the figures queries three times slower."""
    tables = ["absence_registration", "schoolplan_entry"]
    with connection.cursor() as cursor:
        # Statistics from earlier tests or autovacuum would hide a missing
        # ANALYZE; the test's transaction restores them.
        cursor.execute(
            "DELETE FROM pg_statistic WHERE starelid = ANY(%s::regclass[])", [tables]
        )
        call_command("load_demo", stdout=StringIO())
        cursor.execute(
            "SELECT DISTINCT tablename FROM pg_stats WHERE tablename = ANY(%s)",
            [tables],
        )
        analysed = {row[0] for row in cursor.fetchall()}

    assert analysed == set(tables)
