"""The demo school's attendance: a realistic spread, every flag, and working pages."""

from datetime import date

from django.contrib.auth import get_user_model
from django.urls import reverse

from absence import demo as absence_demo
from absence import figures, flags
from absence.models import OutreachContact, Registration, Success
from schoolplan import demo as schoolplan_demo

TODAY = date(2026, 11, 20)


def test_demo_has_spread_flags_and_working_pages(db, client):
    school = schoolplan_demo.populate(seed=7, today=TODAY)
    absence_demo.populate(school=school, seed=7, today=TODAY)
    absence_demo.populate(school=school, seed=7, today=TODAY)

    rules = figures.rules_for(school.pk)
    by_pupil = figures.school_figures(
        rules, start=date(2025, 11, 20), end=TODAY, today=TODAY
    )
    shares = [pupil_figures.absent_percent for pupil_figures in by_pupil.values()]
    kinds = {flag.kind for flag in flags.flags_for(rules, today=TODAY)}
    in_range = [share for share in shares if 5 <= share <= 40]
    leader = get_user_model().objects.get(username="lene")
    client.force_login(leader)

    assert len(in_range) >= 0.75 * len(shares)
    assert kinds == {"warning", "notify", "concerning", "illness_teaching"}
    assert Success.objects.filter(entry__isnull=False).exists()
    assert OutreachContact.objects.exists()
    assert Registration.objects.filter(status="awaiting").exists()
    assert client.get(reverse("absence:dashboard")).status_code == 200
    assert client.get(reverse("absence:export_csv")).status_code == 200
