from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from schoolplan.audit import record_access
from schoolplan.models import AccessLogEntry, Pupil
from schoolplan.privacy import export_pupil_zip
from schoolplan.privacy_views import DATA_EXPORT


class Command(BaseCommand):
    help = (
        "Write everything stored about one pupil to a ZIP file (JSON data and the "
        "PDFs sent), for a request for access."
    )

    def add_arguments(self, parser):
        parser.add_argument("pupil_id", type=int, help="The pupil's id.")
        parser.add_argument(
            "-o", "--output", required=True, help="Path of the ZIP file."
        )
        parser.add_argument(
            "--user", required=True, help="Username recorded in the access log."
        )

    def handle(self, *args, pupil_id, output, user, **options):
        pupil = Pupil.objects.filter(pk=pupil_id).first()
        if pupil is None:
            raise CommandError(f"No pupil has id {pupil_id}.")
        actor = get_user_model().objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"No user has the username {user!r}.")

        data = export_pupil_zip(pupil)
        Path(output).write_bytes(data)
        record_access(
            actor, AccessLogEntry.Action.EXPORT, pupil=pupil, what=str(DATA_EXPORT)
        )

        self.stdout.write(f"Wrote {len(data)} bytes to {output}.")
