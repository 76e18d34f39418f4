from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection

from schoolplan import demo


class Command(BaseCommand):
    help = (
        "Fill the database with an invented demo school "
        "(staff, pupils, a year of plans). "
        "Running it again adds nothing that is already there."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=int,
            default=2026,
            help="Seed for the invented data (default 2026).",
        )

    def handle(self, *args, seed, **options):
        school = demo.populate(seed=seed)

        # Each other app may add its part of the demo in `<app>/demo.py`,
        # with a populate(school=..., seed=...) that skips what exists already.
        for config in apps.get_app_configs():
            if config.name == "schoolplan" or not config.name.isidentifier():
                continue
            module_name = f"{config.name}.demo"
            if find_spec(config.name) and find_spec(module_name):
                import_module(module_name).populate(school=school, seed=seed)

        # The planner has no statistics on the rows just written until the
        # tables are analysed. Autovacuum analyses them in time, unless it is
        # slow or turned off, as on some test machines. Without statistics the
        # absence figures' query took 19 ms instead of 5 ms (bench/README.md).
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

        self.stdout.write(self.style.SUCCESS(f"Demo school ready: {school.name}"))
        self.stdout.write(
            "Log in at the address the server prints, with password "
            f"{demo.DEMO_PASSWORD!r}:"
        )
        for person in demo.STAFF:
            groups = ", ".join(person.groups) or "hele skolen"
            self.stdout.write(f"  {person.username:<10} {person.role:<18} {groups}")
