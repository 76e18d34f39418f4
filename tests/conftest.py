"""The fixed cast every view test uses: one user per role, and outsiders."""

import pytest

from schoolplan import roles
from tests.factories import PupilFactory, PupilGroupFactory, SchoolFactory, make_staff


@pytest.fixture
def school(db):
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
    return make_staff(school=school, role=roles.TEACHER, groups=[group], username="laerer")


@pytest.fixture
def coordinator(school):
    return make_staff(school=school, role=roles.COORDINATOR, username="koordinator")


@pytest.fixture
def leader(school):
    return make_staff(school=school, role=roles.LEADERSHIP, username="leder")


@pytest.fixture
def outsider(db):
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
