"""Every URL in the URL configuration, opened by every role and by a visitor.

A new URL without a row in EXPECTED fails `test_every_url_has_expectations`,
so no page can be added without deciding who may open it.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from schoolplan import roles

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

# Absence: teachers register their own groups; coordinators and leadership the
# whole school; school-wide pages are theirs alone, the rules leadership's.
# A teacher opening the register index is sent to the register of a group.
_SCHOOL_PAGE = dict.fromkeys(ROLES[:-1], 200) | {
    "teacher": 403,
    "other_teacher": 403,
    "anonymous": LOGIN,
}
EXPECTED["absence:register_index"] = _SCHOOL_PAGE | {
    "teacher": 302,
    "other_teacher": 302,
}
EXPECTED["absence:awaiting"] = dict.fromkeys(ROLES[:-1], 200) | {"anonymous": LOGIN}
for name in ("register", "reason_record", "pupil", "success_create", "outreach_create"):
    EXPECTED[f"absence:{name}"] = _PUPIL_PAGE
for name in ("dashboard", "export_csv", "calendar"):
    EXPECTED[f"absence:{name}"] = _SCHOOL_PAGE
EXPECTED["absence:calendar_year"] = _SCHOOL_PAGE | {"outsider": 404}
# POST-only actions: a GET by someone allowed only redirects back.
EXPECTED["absence:day_off_delete"] = _SCHOOL_PAGE | {
    "coordinator": 302,
    "leader": 302,
    "outsider": 404,
}
EXPECTED["absence:step_done"] = _EDITOR_PAGE | {"coordinator": 302, "leader": 302}
EXPECTED["absence:statement"] = _EDITOR_PAGE
EXPECTED["absence:rules"] = dict.fromkeys(ROLES[:-1], 403) | {
    "leader": 200,
    "anonymous": LOGIN,
}

# The walk's pupil has a draft intake. Saving, adding and removing take POST only.
EXPECTED["intake:intake_detail"] = _PUPIL_PAGE
EXPECTED["intake:intake_edit"] = _EDITOR_PAGE
EXPECTED["intake:intake_finish"] = _EDITOR_PAGE
for name in (
    "intake_start",
    "intake_section_save",
    "placement_add",
    "placement_save",
    "placement_remove",
    "goal_add",
    "goal_save",
    "goal_remove",
):
    EXPECTED[f"intake:{name}"] = dict.fromkeys(ROLES[:-1], 405) | {"anonymous": LOGIN}
# Amendments need a finished intake, and follow-ups send editors to it first.
for name in ("intake_amend", "placement_amend", "placement_amend_new"):
    EXPECTED[f"intake:{name}"] = _EDITOR_PAGE | {"coordinator": 404, "leader": 404}
EXPECTED["intake:follow_up_create"] = _EDITOR_PAGE | {"coordinator": 302, "leader": 302}
# Each school edits its own question set, so the outsider may open theirs.
EXPECTED["intake:question_set_edit"] = {
    "teacher": 403,
    "other_teacher": 403,
    "coordinator": 200,
    "leader": 200,
    "outsider": 200,
    "anonymous": LOGIN,
}

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


@pytest.mark.parametrize("role", [roles.TEACHER, roles.COORDINATOR, roles.LEADERSHIP])
def test_every_url_without_staff_record(client, url_arguments, role):
    """A login in a role group but with no staff record gets no server error."""
    user = get_user_model().objects.create_user("uden-skole")
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    client.raise_request_exception = False
    failures = []

    for name, pattern in sorted(_application_urls().items()):
        url = _url(name, pattern, url_arguments)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if response.status_code >= 500:
                failures.append(f"{method} {name} {url}: {response.status_code}")

    assert failures == []


@pytest.mark.parametrize("name", ["dashboard", "export_csv", "awaiting", "calendar"])
def test_school_page_without_staff_record(db, client, name):
    user = get_user_model().objects.create_user("uden-skole")
    user.groups.add(Group.objects.get(name=roles.LEADERSHIP))
    client.force_login(user)

    response = client.get(reverse(f"absence:{name}"))

    assert response.status_code == 403
    assert "ikke knyttet til en skole" in response.content.decode()
