"""The README's quick start: migrate and load the demo school into SQLite.

`make run` must work on a machine with no database server, so these steps
run in a child process with no DATABASE_URL, as the Makefile runs them,
against a SQLite file of the test's own.
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*arguments, environment):
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_demo_school_loads_into_sqlite(tmp_path):
    database = tmp_path / "quick-start.sqlite3"
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    environment.update(DEBUG="1", DATABASE_URL=f"sqlite:///{database}")

    migrated = _manage("migrate", "--noinput", environment=environment)
    assert migrated.returncode == 0, migrated.stderr
    loaded = _manage("load_demo", environment=environment)
    assert loaded.returncode == 0, loaded.stderr

    assert "mette" in loaded.stdout
    with sqlite3.connect(database) as connection:
        registrations = connection.execute(
            "SELECT count(*) FROM absence_registration"
        ).fetchone()[0]
        entries = connection.execute(
            "SELECT count(*) FROM schoolplan_entry"
        ).fetchone()[0]
    assert registrations > 1000
    assert entries > 100
