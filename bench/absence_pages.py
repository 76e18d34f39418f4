"""Benchmark the absence pages on a large school in PostgreSQL.

    .venv/bin/python bench/absence_pages.py [--repeat N]

The script builds a school of 300 pupils in 30 groups with three school years
of attendance. It uses a database of its own, named as in DATABASE_URL with
`_bench` appended, which it drops and creates again. It then prints the server
time and query count of the register, a pupil's front page and the leadership
dashboard, each beside a trivial logged-in page measured in the same run. The
pages are requested through Django's test client in this process, so the time
is the server's (middleware, view, queries and template) with no network.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PUPILS = 300
GROUP_SIZE = 10
SCHOOL_YEARS = 3
TARGET_RATIO = 5


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/skoleplan")
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit(
            "The benchmark needs PostgreSQL: set DATABASE_URL=postgres://USER@HOST/NAME."
        )
    name = parts.path.lstrip("/") + "_bench"
    return urlunsplit(parts._replace(path="/" + name))


def recreate_database(url: str) -> None:
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def set_up_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kanonskolen.settings")
    os.environ["DEBUG"] = "0"
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

    import django
    from django.conf import settings
    from django.test.utils import override_settings

    django.setup()
    # override_settings sends setting_changed, which drops the storages and the
    # URL resolver built during setup. A plain assignment would keep them, so
    # the manifest storage would fail on a machine without collectstatic.
    override_settings(
        ROOT_URLCONF="bench_urls",
        ALLOWED_HOSTS=["testserver"],
        SECURE_SSL_REDIRECT=False,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
            },
        },
    ).enable()


# Attendance for every pupil and school day, drawn by PostgreSQL with a fixed
# seed: about 20 % absence spread over the groups, some late arrivals and,
# for grades 7-10, some early departures in the last lesson.
ATTENDANCE_SQL = """
WITH school_day AS (
    SELECT d::date AS day
    FROM absence_schoolyear y
    CROSS JOIN LATERAL generate_series(y.first_day, LEAST(y.last_day, %(today)s::date),
                                       interval '1 day') d
    WHERE y.school_id = %(school_id)s AND extract(isodow FROM d) < 6
      AND NOT EXISTS (SELECT 1 FROM absence_nonschoolday n
                      WHERE n.school_year_id = y.id AND n.day = d::date)
),
drawn AS (
    SELECT p.id AS pupil_id, p.group_id, p.grade, sd.day,
           random() AS draw, random() AS minute
    FROM schoolplan_pupil p JOIN school_day sd ON sd.day >= p.start_date
    WHERE p.school_id = %(school_id)s
)
INSERT INTO absence_registration
    (version, updated_at, updated_by_id, pupil_id, group_id, day, notation, status,
     arrived_at, left_at, note, reason_channel, reason_given_on, registered_by_id,
     registered_at)
SELECT 1, now(), %(user_id)s, pupil_id, group_id, day, 'morning',
       CASE WHEN draw < 0.08 THEN 'illness' WHEN draw < 0.10 THEN 'permitted'
            WHEN draw < 0.16 THEN 'unlawful' WHEN draw < 0.17 THEN 'awaiting'
            WHEN draw < 0.25 THEN 'late' ELSE 'present' END,
       CASE WHEN draw >= 0.17 AND draw < 0.25
            THEN time '08:10' + (minute * 150)::int * interval '1 minute' END,
       NULL, '', CASE WHEN draw < 0.10 THEN 'phone' ELSE '' END,
       CASE WHEN draw < 0.10 THEN day END, %(user_id)s, now()
FROM drawn
UNION ALL
SELECT 1, now(), %(user_id)s, pupil_id, group_id, day, 'last_lesson',
       CASE WHEN minute < 0.05 THEN 'left_early' ELSE 'present' END, NULL,
       CASE WHEN minute < 0.05
            THEN time '11:00' + (minute * 1800)::int * interval '1 minute' END,
       '', '', NULL, %(user_id)s, now()
FROM drawn WHERE grade >= 7 AND draw >= 0.17
"""

HISTORY_SQL = """
INSERT INTO absence_historicalregistration
    (id, version, updated_at, updated_by_id, pupil_id, group_id, day, notation, status,
     arrived_at, left_at, note, reason_channel, reason_given_on, registered_by_id,
     history_date, history_change_reason, history_type, history_user_id)
SELECT id, version, updated_at, updated_by_id, pupil_id, group_id, day, notation,
       status, arrived_at, left_at, note, reason_channel, reason_given_on,
       registered_by_id, now(), NULL, '+', registered_by_id
FROM absence_registration
"""


def build_school(today: date):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from absence import calendar, services
    from absence.models import AbsenceRules, OutreachContact, Success
    from schoolplan import roles
    from schoolplan.models import Area, Entry, Pupil, PupilGroup, School, StaffMember

    user_model = get_user_model()
    with transaction.atomic():
        school = School.objects.create(name="Benchmarkskolen")
        AbsenceRules.objects.create(school=school)
        leader = user_model.objects.create_user("leder", password="bench-password-123")
        leader.groups.add(Group.objects.get(name=roles.LEADERSHIP))
        StaffMember.objects.create(user=leader, school=school)

        first_year = (
            (today.year if today.month >= 8 else today.year - 1) - SCHOOL_YEARS + 1
        )
        for year in range(first_year, first_year + SCHOOL_YEARS):
            first_day, last_day = calendar.proposed_school_year(year)
            services.school_year_create(
                school=school,
                first_day=first_day,
                last_day=last_day,
                propose_days_off=True,
            )
        earliest = calendar.proposed_school_year(first_year)[0]

        teachers, groups = [], []
        for index in range(PUPILS // GROUP_SIZE):
            teacher = user_model.objects.create_user(
                f"laerer{index}",
                password="bench-password-123",
                first_name=f"Lærer{index}",
            )
            teacher.groups.add(Group.objects.get(name=roles.TEACHER))
            StaffMember.objects.create(user=teacher, school=school)
            group = PupilGroup.objects.create(school=school, name=f"Hold {index:02d}")
            group.staff.add(teacher)
            teachers.append(teacher)
            groups.append(group)

        span = (today - earliest).days
        pupils = Pupil.objects.bulk_create(
            Pupil(
                school=school,
                group=groups[index // GROUP_SIZE],
                first_name=f"Elev{index:03d}",
                last_name="Benchmark",
                date_of_birth=date(2012, 1, 1),
                grade=index % 10 + 1,
                start_date=earliest + timedelta(days=(index * 7919) % (span - 30)),
            )
            for index in range(PUPILS)
        )
        # The measured pupil started before the first school year.
        Pupil.objects.filter(pk=pupils[0].pk).update(start_date=earliest)

        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(0.42)")
            cursor.execute(
                ATTENDANCE_SQL,
                {"today": today, "school_id": school.pk, "user_id": leader.pk},
            )
            cursor.execute(HISTORY_SQL)
            cursor.execute("ANALYZE")

        area = Area.objects.get(code=Area.Code.ATTENDANCE)
        days = [today - timedelta(days=offset) for offset in range(1, 300, 3)]
        entries = Entry.objects.bulk_create(
            Entry(
                pupil=pupil,
                author=leader,
                kind=Entry.Kind.SUCCESS,
                text="Blev hele dagen.",
                concerns_date=day,
            )
            for pupil in pupils[:60]
            for day in days[:20]
        )
        Success.objects.bulk_create(
            Success(
                pupil_id=entry.pupil_id,
                day=entry.concerns_date,
                area=area,
                pattern=Success.Pattern.WHOLE_DAY,
                seen_by=leader,
                entry=entry,
            )
            for entry in entries
        )
        OutreachContact.objects.bulk_create(
            OutreachContact(
                pupil=pupil,
                staff=teachers[0],
                kind=OutreachContact.Kind.PHONE,
                outcome=OutreachContact.Outcome.CAME,
                contacted_at=timezone_at(day),
            )
            for pupil in pupils[::3]
            for day in days[:30]
        )

    return school, leader, teachers[0], groups[0], pupils[0]


def timezone_at(day: date):
    from datetime import datetime
    from datetime import time as clock

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, clock(7, 50)))


def _timed_get(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        sys.exit(f"{url} answered {response.status_code}; the benchmark stops.")
    return elapsed


def measure(page, reference, repeat: int, before=None) -> tuple[float, float, int]:
    """Return the median ms of the page and of its reference page, and the queries.

    `page` and `reference` are (client, URL) pairs. Their requests alternate, so
    both see the same load on a shared machine. `before`, if given, runs
    untimed before every request of the page.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _warm_up in range(2):
        _timed_get(*page)
        _timed_get(*reference)

    page_times, reference_times = [], []
    for _run in range(repeat):
        reference_times.append(_timed_get(*reference))
        if before:
            before()
        page_times.append(_timed_get(*page))

    if before:
        before()
    with CaptureQueriesContext(connection) as queries:
        page[0].get(page[1])

    return (
        statistics.median(page_times),
        statistics.median(reference_times),
        len(queries),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=15, help="timed requests per page"
    )
    arguments = parser.parse_args()

    url = bench_database_url()
    recreate_database(url)
    set_up_django(url)

    from django.core.cache import caches
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from absence import services
    from absence.models import Registration, Status
    from schoolplan.models import Entry

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    school, leader, teacher, group, pupil = build_school(today)
    print(
        f"Built {PUPILS} pupils, {Registration.objects.count()} registrations over "
        f"{SCHOOL_YEARS} school years in {time.perf_counter() - started:.0f} s "
        f"(database {urlsplit(url).path.lstrip('/')})."
    )

    teacher_client, leader_client = Client(), Client()
    teacher_client.force_login(teacher)
    leader_client.force_login(leader)

    register_day = Registration.objects.filter(pupil=pupil).latest("day").day

    def save_register(pupil_ids):
        # Save the register of `register_day` through the service the page uses,
        # switching each named pupil between present and ill.
        stored = Registration.objects.filter(
            day=register_day,
            pupil_id__in=pupil_ids,
            notation=Registration.Notation.MORNING,
        )
        services.register_save(
            group=group,
            day=register_day,
            user=teacher,
            rows=[
                services.RowInput(
                    pupil_id=registration.pupil_id,
                    notation=registration.notation,
                    status=Status.ILLNESS
                    if registration.status != Status.ILLNESS
                    else Status.PRESENT,
                    reason_channel="phone",
                    loaded_version=registration.version,
                )
                for registration in stored
            ],
        )

    group_pupil_ids = list(
        Registration.objects.filter(group=group, day=register_day).values_list(
            "pupil_id", flat=True
        )
    )

    def entry_written():
        # A new entry stales the plan page's log part.
        Entry.objects.create(
            pupil=pupil,
            author=teacher,
            kind=Entry.Kind.DAILY,
            text="Kom kl. 8.30 og blev til frokost.",
            concerns_date=today,
        )

    def registration_corrected():
        # One pupil's registration corrected: it stales the plan's front part
        # (the absence figures) and the pupil's share of the dashboard.
        save_register([pupil.pk])

    def group_register_saved():
        save_register(group_pupil_ids)

    def group_register_saved_elsewhere():
        # As a register saved by another worker looks to this one: the pieces
        # prepared on saving reach PostgreSQL but not this worker's cache.
        with mock.patch.object(caches["default"], "set_many"):
            save_register(group_pupil_ids)

    # The register of the latest school day: today on a school day, else the
    # last one before it (a weekend's register has no pupil rows).
    register = (
        reverse("absence:register", args=[group.pk])
        + f"?day={register_day.isoformat()}"
    )
    if '-version" value=' not in teacher_client.get(register).content.decode():
        sys.exit(
            f"The register of {register_day} shows no pupil rows; the benchmark stops."
        )
    front_page = reverse("schoolplan:plan", args=[pupil.pk])
    dashboard = reverse("absence:dashboard")
    trivial = reverse("bench_trivial")
    teacher_trivial = (teacher_client, trivial)
    leader_trivial = (leader_client, trivial)
    # (name, page, page to compare with, untimed step before each request)
    pages = [
        ("register, 10 pupils", (teacher_client, register), teacher_trivial, None),
        ("front page, cached", (leader_client, front_page), leader_trivial, None),
        (
            "front page, after an entry",
            (leader_client, front_page),
            leader_trivial,
            entry_written,
        ),
        (
            "front page, after a register",
            (leader_client, front_page),
            leader_trivial,
            registration_corrected,
        ),
        ("dashboard, unchanged", (leader_client, dashboard), leader_trivial, None),
        (
            "dashboard, after a registration",
            (leader_client, dashboard),
            leader_trivial,
            registration_corrected,
        ),
        (
            "dashboard, after a group's register",
            (leader_client, dashboard),
            leader_trivial,
            group_register_saved,
        ),
        (
            "dashboard, same, saved elsewhere",
            (leader_client, dashboard),
            leader_trivial,
            group_register_saved_elsewhere,
        ),
    ]
    print(
        f"\n{'page':<37}{'median ms':>10}{'queries':>8}{'trivial ms':>11}{'ratio':>7}"
    )
    for name, page, reference, before in pages:
        milliseconds, reference_ms, queries = measure(
            page, reference, arguments.repeat, before
        )
        ratio = milliseconds / reference_ms
        mark = "" if ratio <= TARGET_RATIO else f"  over the {TARGET_RATIO}x target"
        print(
            f"{name:<37}{milliseconds:>10.1f}{queries:>8}{reference_ms:>11.1f}"
            f"{ratio:>6.1f}x{mark}"
        )


if __name__ == "__main__":
    main()
