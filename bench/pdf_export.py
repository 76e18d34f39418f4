"""Benchmark of the plan PDF export: the whole export against WeasyPrint alone.

    .venv/bin/python bench/pdf_export.py [--sizes 50 500 2000] [--repeat 3]

Creates a database of its own beside DATABASE_URL's (named skoleplan_bench_pdf;
it is dropped at the end), builds one pupil per size with that many log
entries spread over a school year, plus a front page, challenges and goals,
and exports each pupil's internal plan, which contains every entry.

For each size it prints the median over --repeat runs of:

- export: `exports.plan_export_create` end to end, as the export view calls
  it: the sections' queries, the template, the forked WeasyPrint process,
  the checksum, the stored file and the database rows;
- weasyprint: `weasyprint.HTML(...).write_pdf()` in this process on the HTML
  that the same export produced, with the same URL fetcher;
- their ratio and the page count;
- html: the part of the export spent building the HTML (queries, templates);
- child: the part spent in WeasyPrint inside the render process; the rest of
  the export is the fork, the transfer of the PDF, the checksum and the rows;
- the memory the render process needed: how far its peak resident memory
  (resource.getrusage, ru_maxrss) rose above what it inherited at the fork,
  also per page.

Before measuring, one small export warms up WeasyPrint, the fonts and the
template cache, as the first export after a server start would.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kanonskolen.test_settings")
BENCH_DATABASE = "skoleplan_bench_pdf"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402

from schoolplan import demo, documents, exports, roles  # noqa: E402
from schoolplan.models import (  # noqa: E402
    Amendment,
    Area,
    Challenge,
    Entry,
    FrontPage,
    Goal,
    PlanExport,
    Pupil,
    PupilGroup,
    School,
    StaffMember,
)
from schoolplan.sections import Audience, Period  # noqa: E402
from schoolplan.storage import PrivateStorage  # noqa: E402

PERIOD = Period(date(2025, 8, 1), date(2026, 7, 31))
KINDS = [
    (Entry.Kind.DAILY, list(demo.WHOLE_DAY.middles)),
    (Entry.Kind.PARENT_CONTACT, demo.PARENT_CONTACT),
    (Entry.Kind.OBSERVATION, demo.OBSERVATIONS),
    (Entry.Kind.MEETING, demo.MEETINGS),
    (Entry.Kind.PUPIL_CONVERSATION, demo.PUPIL_CONVERSATIONS),
]


def create_database() -> None:
    """Create and migrate the benchmark's own database and switch to it."""
    settings.DATABASES["default"]["TEST"]["NAME"] = BENCH_DATABASE
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)


def drop_database(original_name: str) -> None:
    connection.creation.destroy_test_db(original_name, verbosity=0)


def create_staff(school, username, role, first_name):
    user = get_user_model().objects.create_user(
        username=username, first_name=first_name, last_name="Bench"
    )
    user.groups.add(Group.objects.get(name=role))
    StaffMember.objects.create(user=user, school=school, title=role)
    return user


def entry_text(rng: random.Random, pool: list[str], name: str) -> str:
    if rng.random() < 0.06:
        return "\n\n".join(part.format(name=name) for part in demo.LONG_STORIES[0])
    middles = rng.sample(demo.WHOLE_DAY.middles, rng.randint(1, 2))
    sentences = [rng.choice(pool), *middles]
    return " ".join(sentences).format(name=name, clock="9.15")


def build_pupil(school, group, teacher, entry_count: int, seed: int) -> Pupil:
    """Create a pupil with a front page and `entry_count` entries in PERIOD."""
    rng = random.Random(seed)
    pupil = Pupil.objects.create(
        school=school,
        group=group,
        first_name="Søren",
        last_name=f"Ærø {entry_count}",
        date_of_birth=date(2013, 5, 17),
        grade=6,
        start_date=PERIOD.start,
        contact_teacher=teacher,
    )
    areas = list(Area.objects.all())
    FrontPage.objects.create(
        pupil=pupil, overview=demo.STATUS_NOTE.format(name="Søren", percent=70)
    )
    for area in areas[:3]:
        description = rng.choice(demo.WHOLE_DAY.middles)
        Challenge.objects.create(pupil=pupil, area=area, description=description)
    for area in areas[:3]:
        Goal.objects.create(
            pupil=pupil,
            area=area,
            title="Kommer i skole fire dage om ugen",
            success_criteria="Fremmøde på mindst 80 % over fire uger.",
            actions="Fast voksen tager imod om morgenen.",
        )

    days = (PERIOD.end - PERIOD.start).days
    entries = []
    for number in range(entry_count):
        kind, pool = rng.choice(KINDS)
        offset = timedelta(days=number * days // entry_count)
        entries.append(
            Entry(
                pupil=pupil,
                author=teacher,
                kind=kind,
                concerns_date=PERIOD.start + offset,
                text=entry_text(rng, pool, "Søren"),
                shared_with_municipality=rng.random() < 0.3,
            )
        )
    Entry.objects.bulk_create(entries)
    Amendment.objects.bulk_create(
        Amendment(entry=entry, author=teacher, text="Tilføjelse: mor ringede bagefter.")
        for entry in entries[::25]
    )
    return pupil


class RenderRecorder:
    """Wrap the document functions to keep the last HTML and what each step took."""

    def __init__(self):
        self.render_plan = documents.render_plan
        self.render_plan_html = documents.render_plan_html
        self.last = None
        self.html_seconds = None

    def install(self) -> None:
        documents.render_plan = self._render_plan
        documents.render_plan_html = self._render_plan_html

    def uninstall(self) -> None:
        documents.render_plan = self.render_plan
        documents.render_plan_html = self.render_plan_html

    def _render_plan(self, *args, **kwargs):
        self.last = self.render_plan(*args, **kwargs)
        return self.last

    def _render_plan_html(self, *args, **kwargs):
        started = time.perf_counter()
        html = self.render_plan_html(*args, **kwargs)
        self.html_seconds = time.perf_counter() - started
        return html


def measure(pupil, leader, recorder: RenderRecorder, repeat: int) -> dict:
    runs = []
    for _run in range(repeat):
        started = time.perf_counter()
        export = exports.plan_export_create(
            pupil=pupil, audience=Audience.INTERNAL, period=PERIOD, user=leader
        )
        export_seconds = time.perf_counter() - started

        started = time.perf_counter()
        documents.weasyprint_render(recorder.last.html)
        runs.append(
            {
                "export": export_seconds,
                "weasyprint": time.perf_counter() - started,
                "html": recorder.html_seconds,
                "child": recorder.last.render_seconds,
                "memory_mib": recorder.last.memory_kib / 1024,
            }
        )

    row = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    row["memory_mib"] = max(run["memory_mib"] for run in runs)
    row["pages"] = export.page_count
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500, 2000])
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()

    original_name = settings.DATABASES["default"]["NAME"]
    settings.PDF_RENDER_TIMEOUT_SECONDS = 600
    recorder = RenderRecorder()
    recorder.install()
    file_field = PlanExport._meta.get_field("file")
    stored_files = tempfile.TemporaryDirectory(prefix="pdf-bench-")
    file_field.storage = PrivateStorage(location=stored_files.name)
    create_database()
    try:
        school = School.objects.create(name="Benchmarkskolen")
        group = PupilGroup.objects.create(school=school, name="Egeholdet")
        teacher = create_staff(school, "bench-teacher", roles.TEACHER, "Mette")
        leader = create_staff(school, "bench-leader", roles.LEADERSHIP, "Lene")

        warm_up = build_pupil(school, group, teacher, 20, seed=1)
        measure(warm_up, leader, recorder, repeat=1)

        print(
            f"{'entries':>7} {'pages':>5} {'export s':>8} {'weasyprint s':>12} "
            f"{'ratio':>5} {'html s':>6} {'child s':>7} {'render MiB':>10} "
            f"{'MiB/page':>8}"
        )
        for size in arguments.sizes:
            pupil = build_pupil(school, group, teacher, size, seed=size)
            row = measure(pupil, leader, recorder, arguments.repeat)
            print(
                f"{size:>7} {row['pages']:>5} {row['export']:>8.2f} "
                f"{row['weasyprint']:>12.2f} {row['export'] / row['weasyprint']:>5.2f} "
                f"{row['html']:>6.2f} {row['child']:>7.2f} {row['memory_mib']:>10.0f} "
                f"{row['memory_mib'] / row['pages']:>8.2f}",
                flush=True,
            )
    finally:
        recorder.uninstall()
        connection.close()
        drop_database(original_name)
        stored_files.cleanup()


if __name__ == "__main__":
    main()
