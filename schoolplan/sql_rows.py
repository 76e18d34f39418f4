"""Model instances from the rows of plain SQL queries that join several tables.

Django's `raw()` builds instances of one model only. The plan page reads a few
rows with their related rows in one query, which the ORM would compile for
longer than PostgreSQL takes to run it.
"""

from django.db import connection


def columns(model, alias: str) -> str:
    """Return the select list of the model's concrete fields, in their order."""
    return ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)


def instances(row, models) -> list:
    """Return an instance of each model from `row`, whose columns come in order.

    Each model takes as many columns as `columns(model, ...)` selects. A model
    whose primary key is NULL (a LEFT JOIN found nothing) gives None. The
    values are converted as the model fields convert them, which suffices on
    PostgreSQL. NOTE: SQLite returns dates as text, which this leaves as text.
    """
    found = []
    for model in models:
        fields = model._meta.concrete_fields
        values, row = row[: len(fields)], row[len(fields) :]
        values = [
            field.from_db_value(value, None, connection)
            if hasattr(field, "from_db_value")
            else value
            for field, value in zip(fields, values, strict=True)
        ]
        instance = model.from_db(
            connection.alias, [field.attname for field in fields], values
        )
        found.append(instance if instance.pk is not None else None)
    return found
