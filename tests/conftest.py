"""The fixed cast every view test uses: one user per role, and outsiders."""

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from absence import dashboard
from schoolplan import roles
from schoolplan.models import Area, PlanExport
from schoolplan.storage import PrivateStorage
from tests.factories import PupilFactory, PupilGroupFactory, SchoolFactory, make_staff


@pytest.fixture(autouse=True)
def empty_cache():
    """Start each test with an empty cache, so no page comes from an earlier test."""
    cache.clear()
    dashboard.forget_totals()


@pytest.fixture
def reference_data(db):
    """Recreate the rows the data migrations made.

    A transactional test flushes every table afterwards, data migrations
    included, so later tests must not count on those rows being there.
    """
    for name in roles.ROLE_GROUPS:
        Group.objects.get_or_create(name=name)
    for position, code in enumerate(Area.Code.values):
        Area.objects.get_or_create(code=code, defaults={"position": position})


@pytest.fixture
def school(reference_data):
    return SchoolFactory(name="Kanonskolen")


@pytest.fixture
def group(school):
    return PupilGroupFactory(school=school, name="Egeholdet")


@pytest.fixture
def other_group(school):
    return PupilGroupFactory(school=school, name="Bøgeholdet")


@pytest.fixture
def pupil(group):
    return PupilFactory(group=group, first_name="Søren", last_name="Ærø")


@pytest.fixture
def other_pupil(other_group):
    """A pupil of the same school, in a group the teacher does not work with."""
    return PupilFactory(group=other_group, first_name="Åse", last_name="Østergaard")


@pytest.fixture
def teacher(school, group):
    return make_staff(
        school=school, role=roles.TEACHER, groups=[group], username="laerer"
    )


@pytest.fixture
def coordinator(school):
    return make_staff(school=school, role=roles.COORDINATOR, username="koordinator")


@pytest.fixture
def leader(school):
    return make_staff(school=school, role=roles.LEADERSHIP, username="leder")


@pytest.fixture
def outsider(reference_data):
    """A coordinator of another school: sees none of this school's pupils."""
    other_school = SchoolFactory(name="Nabo-skolen")
    return make_staff(school=other_school, role=roles.COORDINATOR, username="udefra")


@pytest.fixture
def client_for(client):
    """Return a function that logs the test client in as a user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def export_root(monkeypatch, tmp_path):
    """Store the test's plan PDFs in a directory of its own, and return it.

    The file field evaluates its storage once, at import, so the field's
    storage is replaced rather than the STORAGES setting.
    """
    field = PlanExport._meta.get_field("file")
    monkeypatch.setattr(field, "storage", PrivateStorage(location=tmp_path))
    return tmp_path
