"""Hostile and malformed input never causes a server error or changes saved data.

Hypothesis generates the values: empty, very long, NUL bytes, emoji,
right-to-left text, markup, non-existent and far-away dates, wrong types.
"""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schoolplan.models import Challenge, Entry, FrontPage, Goal
from tests.factories import EntryFactory, GoalFactory

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "tekst\x00med nul",
    "😀🏫👩‍🏫" * 50,
    "\u202eevil right-to-left\u202c",
    "مرحبا بالعالم",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }} {% debug %}",
    "x" * 100_000,
    "'; DROP TABLE schoolplan_entry; --",
]
HOSTILE_DATES = [
    "",
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "9999-12-31",
    "99999-01-01",
    "1900-01-01",
    "i går",
    "2026-11-02\x00",
    "-1",
]
HOSTILE_NUMBERS = [
    "",
    "-1",
    "abc",
    "1e9",
    "99999999999999999999",
    "0x10",
    "\x00",
    "1.5",
]

texts = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=300))
dates = st.one_of(
    st.sampled_from(HOSTILE_DATES), st.dates().map(str), st.text(max_size=20)
)
numbers = st.one_of(st.sampled_from(HOSTILE_NUMBERS), st.integers().map(str))
kinds = st.one_of(st.sampled_from(Entry.Kind.values), st.text(max_size=20))

EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _snapshot(pupil):
    front_page = FrontPage.objects.filter(pupil=pupil).first()
    return (
        list(Entry.objects.filter(pupil=pupil).order_by("pk").values()),
        list(Goal.objects.filter(pupil=pupil).order_by("pk").values()),
        list(Challenge.objects.filter(pupil=pupil).order_by("pk").values()),
        front_page and (front_page.overview, front_page.version),
    )


@pytest.fixture
def setting(client, coordinator, pupil):
    entry = EntryFactory(pupil=pupil, author=coordinator, text="Gemt og uændret")
    goal = GoalFactory(pupil=pupil, title="Gemt mål")
    FrontPage.objects.create(pupil=pupil, overview="Gemt overblik")
    client.force_login(coordinator)
    return {"client": client, "pupil": pupil, "entry": entry, "goal": goal}


@EXAMPLES
@given(text=texts, day=dates, kind=kinds, goal=numbers, area=numbers)
def test_entry_form_survives_hostile_input(setting, text, day, kind, goal, area):
    pupil = setting["pupil"]
    before = _snapshot(pupil)

    response = setting["client"].post(
        reverse("schoolplan:entry_create", args=[pupil.pk]),
        {"concerns_date": day, "kind": kind, "text": text, "goal": goal, "areas": area},
    )

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert _snapshot(pupil) == before
        assert response.context["form"].errors


@EXAMPLES
@given(overview=texts, resources=texts, version=numbers)
def test_front_page_survives_hostile_input(setting, overview, resources, version):
    pupil = setting["pupil"]
    before = _snapshot(pupil)

    response = setting["client"].post(
        reverse("schoolplan:front_page_edit", args=[pupil.pk]),
        {"overview": overview, "resources": resources, "loaded_version": version},
    )

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert _snapshot(pupil) == before


@EXAMPLES
@given(
    title=texts,
    start=dates,
    review=dates,
    area=numbers,
    parent=numbers,
    version=numbers,
)
def test_goal_form_survives_hostile_input(
    setting, title, start, review, area, parent, version
):
    pupil, goal = setting["pupil"], setting["goal"]
    before = _snapshot(pupil)

    response = setting["client"].post(
        reverse("schoolplan:goal_edit", args=[pupil.pk, goal.pk]),
        {
            "title": title,
            "start_date": start,
            "review_date": review,
            "area": area,
            "parent": parent,
            "status": "active",
            "loaded_version": version,
        },
    )

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert _snapshot(pupil) == before


@EXAMPLES
@given(reason=texts, amendment=texts)
def test_strike_and_amend_survive_hostile_input(setting, reason, amendment):
    pupil, entry = setting["pupil"], setting["entry"]
    client = setting["client"]

    strike = client.post(
        reverse("schoolplan:entry_strike", args=[pupil.pk, entry.pk]),
        {"reason": reason},
    )
    amend = client.post(
        reverse("schoolplan:entry_amend", args=[pupil.pk, entry.pk]),
        {"text": amendment},
    )

    entry.refresh_from_db()
    assert strike.status_code in (200, 302)
    assert amend.status_code in (200, 302)
    assert entry.text == "Gemt og uændret"


@EXAMPLES
@given(
    kind=kinds,
    area=numbers,
    author=numbers,
    start=dates,
    end=dates,
    page=numbers,
    q=texts,
)
def test_list_and_log_filters_survive_hostile_query(
    setting, kind, area, author, start, end, page, q
):
    client, pupil = setting["client"], setting["pupil"]

    plan = client.get(
        reverse("schoolplan:plan", args=[pupil.pk]),
        {
            "kind": kind,
            "area": area,
            "author": author,
            "date_from": start,
            "date_to": end,
            "page": page,
        },
    )
    pupils = client.get(
        reverse("schoolplan:pupil_list"), {"q": q, "group": area, "page": page}
    )

    assert plan.status_code == 200
    assert pupils.status_code == 200


@pytest.mark.parametrize("pupil_id", ["0", "99999999999999999999", "-1"])
def test_absurd_pupil_ids_give_404(client_for, coordinator, pupil_id):
    response = client_for(coordinator).get(f"/elever/{pupil_id}/")

    assert response.status_code == 404


def test_markup_in_entry_is_escaped(client_for, teacher, pupil):
    EntryFactory(pupil=pupil, author=teacher, text='<img src=x onerror="alert(1)">')

    content = client_for(teacher).get(reverse("schoolplan:plan", args=[pupil.pk]))

    html = content.content.decode()
    assert '<img src=x onerror="alert(1)">' not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
