"""Every URL in the URL configuration, opened by every role and by a visitor.

A new URL without a row in EXPECTED fails `test_every_url_has_expectations`,
so no page can be added without deciding who may open it.
"""

import hashlib
import re
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from schoolplan.models import Challenge, PlanExport
from tests.factories import EntryFactory, GoalFactory

ROLES = ("teacher", "other_teacher", "coordinator", "leader", "outsider", "anonymous")
LOGIN = "login"

# Expected status of a GET per URL name and role. "teacher" works with the
# pupil's group and wrote the entry; "other_teacher" works with another group
# of the same school; "outsider" is a coordinator of another school. LOGIN means
# a redirect to the login page.
EXPECTED = {
    "home": dict.fromkeys(ROLES[:-1], 302) | {"anonymous": LOGIN},
    "login": dict.fromkeys(ROLES, 200),
    "account": dict.fromkeys(ROLES[:-1], 200) | {"anonymous": LOGIN},
    "totp_setup": dict.fromkeys(ROLES[:-1], 200) | {"anonymous": LOGIN},
    "totp_verify": dict.fromkeys(ROLES[:-1], 302) | {"anonymous": LOGIN},
    "totp_disable": dict.fromkeys(ROLES[:-1], 302) | {"anonymous": LOGIN},
    "schoolplan:pupil_list": dict.fromkeys(ROLES[:-1], 200) | {"anonymous": LOGIN},
}
_PUPIL_PAGE = {
    "teacher": 200,
    "other_teacher": 404,
    "coordinator": 200,
    "leader": 200,
    "outsider": 404,
    "anonymous": LOGIN,
}
_EDITOR_PAGE = _PUPIL_PAGE | {"teacher": 403}
_LEADER_PAGE = _PUPIL_PAGE | {"teacher": 403, "coordinator": 403}
for name in ("plan", "entry_create", "entry_amend", "entry_strike"):
    EXPECTED[f"schoolplan:{name}"] = _PUPIL_PAGE
# Only the author corrects an entry; others are sent on to the amendment form.
EXPECTED["schoolplan:entry_edit"] = _PUPIL_PAGE | {"coordinator": 302, "leader": 302}
for name in (
    "front_page_edit",
    "challenge_create",
    "challenge_edit",
    "goal_create",
    "goal_edit",
    "goal_review_create",
):
    EXPECTED[f"schoolplan:{name}"] = _EDITOR_PAGE
for name in ("pupil_access_log", "pupil_data_export"):
    EXPECTED[f"schoolplan:{name}"] = _LEADER_PAGE
for name in ("plan_export", "plan_export_preview", "plan_export_download"):
    EXPECTED[f"schoolplan:{name}"] = _EDITOR_PAGE

# URLs that are not the application's own pages.
SKIPPED_PREFIXES = ("admin:", "logout")


def _named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            )
            yield from _named_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def _application_urls():
    names = {}
    for name, pattern in _named_patterns():
        if not name.startswith(SKIPPED_PREFIXES):
            names[name] = pattern
    return names


def test_every_url_has_expectations():
    missing = sorted(set(_application_urls()) - set(EXPECTED))

    assert missing == [], f"add these URL names to EXPECTED: {missing}"


@pytest.fixture
def cast(teacher, coordinator, leader, outsider, school, other_group):
    from schoolplan import roles
    from tests.factories import make_staff

    other_teacher = make_staff(
        school=school, role=roles.TEACHER, groups=[other_group], username="anden"
    )
    return {
        "teacher": teacher,
        "other_teacher": other_teacher,
        "coordinator": coordinator,
        "leader": leader,
        "outsider": outsider,
        "anonymous": None,
    }


@pytest.fixture
def url_arguments(pupil, teacher):
    """Values for each URL parameter, all belonging to `pupil`."""
    entry = EntryFactory(pupil=pupil, author=teacher)
    goal = GoalFactory(pupil=pupil)
    challenge = Challenge.objects.create(pupil=pupil, area=goal.area, description="x")
    pdf = b"%PDF-1.7 stand-in for a stored plan export"
    export = PlanExport(
        pupil=pupil,
        created_by=teacher,
        audience="parents",
        period_start=date(2026, 8, 1),
        period_end=date(2027, 7, 31),
        page_count=1,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        file_name="skoleplan-Søren-Ærø-2026-12.pdf",
    )
    export.file.save("export.pdf", ContentFile(pdf))
    return {
        "pupil_id": pupil.pk,
        "entry_id": entry.pk,
        "goal_id": goal.pk,
        "challenge_id": challenge.pk,
        "export_id": export.pk,
    }


def _url(name, pattern, arguments):
    parameters = re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern))
    return reverse(name, kwargs={key: arguments[key] for key in parameters})


@pytest.mark.parametrize("role", ROLES)
def test_every_url_for_role(client, cast, url_arguments, role):
    user = cast[role]
    failures = []

    for name, pattern in sorted(_application_urls().items()):
        if user is not None:
            client.force_login(user)
        else:
            client.logout()
        url = _url(name, pattern, url_arguments)
        response = client.get(url)
        expected = EXPECTED[name][role]

        if expected == LOGIN:
            ok = response.status_code == 302 and response["Location"].startswith(
                reverse("login")
            )
        else:
            ok = response.status_code == expected
        if not ok:
            failures.append(
                f"{name} {url}: got {response.status_code}, want {expected}"
            )

    assert failures == []
