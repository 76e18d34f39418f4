import argparse
from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from schoolplan import documents, exports, roles
from schoolplan.access import get_pupil_for_user, school_of, visible_pupils
from schoolplan.models import PupilGroup
from schoolplan.sections import Audience, Period, school_year_of


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        # argparse shows the message only of an ArgumentTypeError.
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date; write YYYY-MM-DD"
        ) from None


class Command(BaseCommand):
    help = (
        "Export a pupil's plan as a PDF, or with --group the plan of every pupil "
        "in a group. Each export is stored and recorded under --user, as when "
        "it is exported from the plan page."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "pupil", nargs="?", type=int, help="The id of the pupil to export."
        )
        parser.add_argument(
            "--group",
            help=(
                "Export every pupil of the group with this name (pupils who left "
                "before the period are skipped); -o is then a directory."
            ),
        )
        parser.add_argument(
            "--audience",
            required=True,
            choices=Audience.values,
            help="Who the PDF is for; decides which sections and entries it holds.",
        )
        parser.add_argument(
            "--from",
            dest="date_from",
            type=_iso_date,
            help="First day of the period, YYYY-MM-DD (default: 1 August of the "
            "current school year).",
        )
        parser.add_argument(
            "--to",
            dest="date_to",
            type=_iso_date,
            help="Last day of the period, YYYY-MM-DD (default: 31 July of the "
            "current school year).",
        )
        parser.add_argument(
            "-o",
            "--output",
            required=True,
            type=Path,
            help="The PDF file to write; with --group, the directory to write to.",
        )
        parser.add_argument(
            "--user",
            required=True,
            help="Username of the coordinator or leader the exports are recorded "
            "under.",
        )
        parser.add_argument(
            "--force", action="store_true", help="Overwrite files that exist."
        )

    def handle(self, *args, pupil, group, audience, output, force, **options):
        if (pupil is None) == (group is None):
            raise CommandError("Give either a pupil id or --group NAME, not both.")

        user = self._exporter(options["user"])
        period = self._period(options["date_from"], options["date_to"])

        if pupil is not None:
            self._export_one(pupil, user, audience, period, output, force)
        else:
            self._export_group(group, user, audience, period, output, force)

    def _exporter(self, username: str):
        user = get_user_model().objects.filter(username=username).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user {username!r}.")
        if school_of(user) is None or not roles.exports_plan(user):
            raise CommandError(
                f"User {username!r} is not a coordinator or leader of a school, "
                "so it may not export plans."
            )
        return user

    def _period(self, date_from: date | None, date_to: date | None) -> Period:
        school_year = school_year_of(timezone.localdate())
        period = Period(date_from or school_year.start, date_to or school_year.end)
        if period.end < period.start:
            raise CommandError(
                f"--to {period.end} is before --from {period.start}; swap them."
            )
        try:
            exports.check_period(period)
        except ValidationError as error:
            raise CommandError(
                f"The period {period.start} to {period.end} is not allowed: "
                + " ".join(error.messages)
            ) from error
        return period

    def _export_one(self, pupil_id, user, audience, period, output: Path, force):
        try:
            pupil = get_pupil_for_user(user, pupil_id)
        except Http404:
            raise CommandError(
                f"No pupil {pupil_id} that {user.get_username()!r} may see."
            ) from None
        if output.exists() and not force:
            raise CommandError(f"{output} exists; use --force to overwrite it.")
        if not output.parent.is_dir():
            raise CommandError(f"The directory {output.parent} does not exist.")

        export = self._export(pupil, user, audience, period)
        output.write_bytes(exports.read_stored_pdf(export))
        self._report(output, export)

    def _export_group(self, name, user, audience, period, directory: Path, force):
        group = PupilGroup.objects.filter(school=school_of(user), name=name).first()
        if group is None:
            raise CommandError(f"No group {name!r} at the school of {user}.")
        pupils = (
            visible_pupils(user)
            .filter(group=group)
            .filter(Q(leaving_date__isnull=True) | Q(leaving_date__gte=period.start))
            .select_related("school", "group")
            .order_by("first_name", "last_name", "pk")
        )
        directory.mkdir(parents=True, exist_ok=True)

        failures = 0
        used_names = set()
        today = timezone.localdate()
        for pupil in pupils:
            path = directory / exports.plan_file_name(pupil, today, audience)
            if path.name in used_names:
                path = path.with_name(f"{path.stem}-{pupil.pk}{path.suffix}")
            used_names.add(path.name)
            if path.exists() and not force:
                self.stderr.write(
                    f"Pupil {pupil.pk}: {path} exists; use --force to overwrite it."
                )
                failures += 1
                continue

            try:
                export = self._export(pupil, user, audience, period)
            except CommandError as error:
                self.stderr.write(f"Pupil {pupil.pk}: {error}")
                failures += 1
                continue
            path.write_bytes(exports.read_stored_pdf(export))
            self._report(path, export)

        if failures:
            raise CommandError(f"{failures} of {len(pupils)} exports failed.")
        self.stdout.write(f"Exported {len(pupils)} plans of group {group.name}.")

    def _export(self, pupil, user, audience, period):
        try:
            return exports.plan_export_create(
                pupil=pupil, audience=audience, period=period, user=user, via="command"
            )
        except documents.PdfRenderError as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

    def _report(self, path: Path, export) -> None:
        self.stdout.write(
            f"{path}: {export.page_count} pages, SHA-256 {export.sha256} "
            f"(plan export {export.pk})"
        )
