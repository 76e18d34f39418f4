"""Factories that keep related rows consistent: staff and pupils of one school."""

from datetime import date

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from schoolplan import roles
from schoolplan.models import Area, Entry, Goal, Pupil, PupilGroup, School, StaffMember


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    name = factory.Sequence(lambda n: f"Testskolen {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"bruger{n}")
    first_name = factory.Sequence(lambda n: f"Ansat{n}")
    last_name = "Testesen"
    password = factory.django.Password("test-password-123")


def make_staff(*, school: School, role: str, groups=(), **user_fields):
    """Create a login with a role at `school`, attached to `groups`."""
    user = UserFactory(**user_fields)
    user.groups.add(Group.objects.get(name=role))
    StaffMember.objects.create(user=user, school=school)
    for group in groups:
        group.staff.add(user)
    return user


class PupilGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PupilGroup

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Hold {n}")


class PupilFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pupil

    group = factory.SubFactory(PupilGroupFactory)
    school = factory.SelfAttribute("group.school")
    first_name = factory.Sequence(lambda n: f"Elev{n}")
    last_name = "Prøvesen"
    date_of_birth = date(2013, 5, 17)
    grade = 6
    start_date = date(2025, 8, 11)


class EntryFactory(factory.django.DjangoModelFactory):
    """An entry whose author is a teacher of the pupil's own group."""

    class Meta:
        model = Entry

    pupil = factory.SubFactory(PupilFactory)
    author = factory.LazyAttribute(
        lambda entry: make_staff(
            school=entry.pupil.school, role=roles.TEACHER, groups=[entry.pupil.group]
        )
    )
    kind = Entry.Kind.DAILY
    text = factory.Sequence(lambda n: f"Notat nummer {n} om dagen.")
    concerns_date = date(2026, 11, 2)


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    pupil = factory.SubFactory(PupilFactory)
    area = factory.LazyFunction(lambda: Area.objects.first())
    title = factory.Sequence(lambda n: f"Mål {n}")
