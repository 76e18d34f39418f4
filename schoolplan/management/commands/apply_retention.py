from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from schoolplan.models import AccessLogEntry
from schoolplan.privacy import anonymise_pupil, delete_pupil, retention_plan


class Command(BaseCommand):
    help = (
        "Delete (or, with --anonymise, anonymise) pupils who left more than "
        "--years years ago. Use --dry-run first to see what it would do."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--years",
            type=int,
            default=settings.PUPIL_RETENTION_YEARS,
            help="Act on pupils whose leaving date is more than this many years ago.",
        )
        parser.add_argument(
            "--anonymise",
            action="store_true",
            help="Remove names, contacts and free text but keep the figures.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what would happen; change nothing.",
        )

    def handle(self, *args, years, anonymise, dry_run, **options):
        plan = retention_plan(years=years)
        verb = "anonymise" if anonymise else "delete"
        prefix = "Would" if dry_run else "Will"

        self.stdout.write(
            f"{prefix} {verb} {len(plan.pupils)} pupils who left before {plan.cutoff}."
        )
        for pupil in plan.pupils:
            counts = ", ".join(
                f"{label} {count}"
                for label, count in sorted(plan.row_counts[pupil.pk].items())
            )
            self.stdout.write(
                f"  pupil {pupil.pk} (left {pupil.leaving_date}): {counts}"
            )
            if not dry_run:
                (anonymise_pupil if anonymise else delete_pupil)(pupil)
                AccessLogEntry.objects.create(
                    user=None,
                    pupil=pupil if anonymise else None,
                    action=AccessLogEntry.Action.DELETE,
                    what=(
                        _("pupil %(id)s anonymised by the retention rule")
                        if anonymise
                        else _("pupil %(id)s deleted by the retention rule")
                    )
                    % {"id": pupil.pk},
                )

        if not dry_run:
            self.stdout.write(f"Done: {len(plan.pupils)} pupils {verb}d.")
