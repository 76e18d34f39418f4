from django.core.management.base import BaseCommand

from schoolplan.privacy import ACCESS_LOG_RETENTION_DAYS, purge_access_log


class Command(BaseCommand):
    help = "Delete access log rows older than the retention period (default 183 days)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=ACCESS_LOG_RETENTION_DAYS,
            help="Keep rows younger than this many days (at least 183).",
        )

    def handle(self, *args, days, **options):
        if days < ACCESS_LOG_RETENTION_DAYS:
            self.stderr.write(
                f"--days {days} is shorter than the six months the access log "
                f"must be kept; use {ACCESS_LOG_RETENTION_DAYS} or more."
            )
            raise SystemExit(2)

        deleted = purge_access_log(older_than_days=days)
        self.stdout.write(f"Deleted {deleted} access log rows older than {days} days.")
