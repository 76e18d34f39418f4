"""The README's backup and restore steps, run on a demo school."""

import shutil
import subprocess
from datetime import date

import psycopg2
import pytest
from django.db import connection

from schoolplan import demo

pytestmark = pytest.mark.django_db(transaction=True)

TABLES = [
    "schoolplan_pupil",
    "schoolplan_entry",
    "schoolplan_entry_areas",
    "schoolplan_goal",
    "schoolplan_frontpage",
    "auth_user",
]


def _connect(name):
    settings = connection.settings_dict
    return psycopg2.connect(
        dbname=name,
        user=settings["USER"],
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
    )


def _snapshot(name):
    with _connect(name) as conn, conn.cursor() as cursor:
        counts = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            counts[table] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT id, concerns_date, text FROM schoolplan_entry ORDER BY id LIMIT 25"
        )
        sample = cursor.fetchall()
    conn.close()
    return counts, sample


def _pg_args():
    settings = connection.settings_dict
    return [
        "-h",
        settings["HOST"] or "127.0.0.1",
        "-p",
        str(settings["PORT"] or 5432),
        "-U",
        settings["USER"],
    ]


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_dump_and_restore_keeps_demo_school(reference_data, tmp_path):
    demo.populate(seed=3, today=date(2026, 12, 4))
    source = connection.settings_dict["NAME"]
    target = f"{source}_restored"
    dump = tmp_path / "skoleplan.dump"

    subprocess.run(["pg_dump", *_pg_args(), "-Fc", "-f", str(dump), source], check=True)
    subprocess.run(["dropdb", *_pg_args(), "--if-exists", target], check=True)
    subprocess.run(["createdb", *_pg_args(), target], check=True)
    try:
        subprocess.run(
            ["pg_restore", *_pg_args(), "--no-owner", "-d", target, str(dump)],
            check=True,
        )
        original = _snapshot(source)
        restored = _snapshot(target)
    finally:
        subprocess.run(["dropdb", *_pg_args(), "--if-exists", target], check=True)

    assert original[0]["schoolplan_entry"] > 1000
    assert restored[0] == original[0]
    assert restored[1] == original[1]
