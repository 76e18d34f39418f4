"""Data-protection duties: the access log's retention, a pupil's data export, erasure.

Which rows belong to a pupil is found from the model graph (every row that
would be deleted with the pupil), so the rows that `absence`, `intake` and the
plan exports add are covered without this module importing those apps.
"""

import io
import json
import logging
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.admin.utils import NestedObjects
from django.core import serializers
from django.db import models, router, transaction
from django.utils import timezone

from schoolplan.models import AccessLogEntry, Pupil

logger = logging.getLogger(__name__)

ACCESS_LOG_RETENTION_DAYS = 183
ANONYMISED_NAME = "Anonymiseret"


def purge_access_log(*, older_than_days: int = ACCESS_LOG_RETENTION_DAYS) -> int:
    """Delete access log rows older than the retention period; return the count."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _details = AccessLogEntry.objects.filter(at__lt=cutoff).delete()
    logger.info("Purged %d access log rows older than %s", deleted, cutoff.date())
    return deleted


def related_rows(pupil: Pupil) -> dict[type[models.Model], list[models.Model]]:
    """Return every row that belongs to the pupil, grouped by model, pupil included."""
    collector = NestedObjects(using=router.db_for_write(Pupil))
    collector.collect([pupil])

    rows = defaultdict(list)
    for model, instances in collector.data.items():
        rows[model].extend(instances)
    for related_queryset in collector.fast_deletes:
        rows[related_queryset.model].extend(related_queryset)

    for history_model, history_rows in _history_rows(pupil, dict(rows)).items():
        rows[history_model].extend(history_rows)

    return dict(rows)


def _history_rows(pupil: Pupil, collected=None):
    """Return django-simple-history rows of the pupil and of rows that hang on it.

    History rows have no foreign key constraints and outlive the rows they
    record, so they are found by the ids they store: the pupil's id in a pupil
    column, or the id of a collected row (a goal review's history, say).
    """
    from django.apps import apps

    collected = collected or {}
    keys_by_model = {
        model: [row.pk for row in rows] for model, rows in collected.items()
    }
    keys_by_model.setdefault(Pupil, []).append(pupil.pk)

    found = {}
    for model in apps.get_models():
        instance_type = getattr(model, "instance_type", None)
        if instance_type is None or not hasattr(model, "history_id"):
            continue

        condition = models.Q(pk__in=[])
        if keys_by_model.get(instance_type):
            condition |= models.Q(id__in=keys_by_model[instance_type])
        for model_field in instance_type._meta.concrete_fields:
            if getattr(model_field, "related_model", None) is Pupil:
                condition |= models.Q(**{model_field.attname: pupil.pk})

        rows = list(model.objects.filter(condition))
        if rows:
            found[model] = rows
    return found


def export_pupil_zip(pupil: Pupil) -> bytes:
    """Build a ZIP of everything stored about the pupil, for a request for access.

    `data.json` holds every row, serialised by Django; each stored file (the
    PDFs sent) is added under `files/`.
    """
    buffer = io.BytesIO()
    rows = related_rows(pupil)

    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        serialised = []
        for _model, instances in sorted(
            rows.items(), key=lambda item: item[0]._meta.label
        ):
            serialised.extend(json.loads(serializers.serialize("json", instances)))
            for instance in instances:
                _add_files(archive, instance)

        archive.writestr(
            "data.json",
            json.dumps(serialised, ensure_ascii=False, indent=2, default=str),
        )
        archive.writestr("README.txt", _readme(pupil, rows))

    return buffer.getvalue()


def _add_files(archive: zipfile.ZipFile, instance: models.Model) -> None:
    for model_field in instance._meta.concrete_fields:
        if not isinstance(model_field, models.FileField):
            continue
        stored = getattr(instance, model_field.attname)
        if not stored:
            continue
        try:
            with stored.open("rb") as handle:
                archive.writestr(f"files/{stored.name}", handle.read())
        except FileNotFoundError:
            logger.warning(
                "Stored file missing for %s %s", instance._meta.label, instance.pk
            )


def _readme(pupil: Pupil, rows) -> str:
    lines = [
        f"Indsigt: alle oplysninger om elev nr. {pupil.pk}, udtrukket "
        f"{timezone.localtime():%d.%m.%Y %H:%M}.",
        "data.json indeholder alle rækker; files/ indeholder de gemte filer "
        "(sendte PDF'er).",
        "",
    ]
    for model, instances in sorted(rows.items(), key=lambda item: item[0]._meta.label):
        lines.append(f"{model._meta.label}: {len(instances)}")
    return "\n".join(lines) + "\n"


@dataclass
class RetentionPlan:
    """The pupils a retention run would act on, with their row counts."""

    cutoff: date
    pupils: list[Pupil] = field(default_factory=list)
    row_counts: dict[int, dict[str, int]] = field(default_factory=dict)


def retention_plan(*, years: int, today: date | None = None) -> RetentionPlan:
    """Find pupils who left more than `years` years ago."""
    today = today or timezone.localdate()
    try:
        cutoff = today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year without one.
        cutoff = today.replace(year=today.year - years, day=28)

    plan = RetentionPlan(cutoff=cutoff)
    leavers = Pupil.objects.filter(leaving_date__isnull=False, leaving_date__lt=cutoff)
    for pupil in leavers.exclude(first_name=ANONYMISED_NAME).order_by("pk"):
        plan.pupils.append(pupil)
        plan.row_counts[pupil.pk] = {
            model._meta.label: len(instances)
            for model, instances in related_rows(pupil).items()
        }
    return plan


@transaction.atomic
def delete_pupil(pupil: Pupil) -> None:
    """Delete the pupil with every row and stored file that belongs to the pupil."""
    rows = related_rows(pupil)
    pending = {}
    for model, instances in rows.items():
        for instance in instances:
            _delete_files(instance)
        if model is not Pupil and not hasattr(model, "history_id"):
            pending[model] = [row.pk for row in instances]

    # Some rows protect others (PROTECT foreign keys), so delete in passes:
    # each pass removes what nothing protects any longer.
    for _attempt in range(len(pending) + 1):
        for model, keys in list(pending.items()):
            try:
                with transaction.atomic():
                    model.objects.filter(pk__in=keys).delete()
            except (models.ProtectedError, models.RestrictedError):
                continue
            del pending[model]
        if not pending:
            break

    Pupil.objects.filter(pk=pupil.pk).delete()

    # Deleting writes one more history row per deleted row, so the pupil's
    # history is removed last.
    for history_model, history_rows in _history_rows(pupil, rows).items():
        history_model.objects.filter(pk__in=[row.pk for row in history_rows]).delete()
    logger.info("Deleted pupil %s and the rows that belong to the pupil", pupil.pk)


def _delete_files(instance: models.Model) -> None:
    for model_field in instance._meta.concrete_fields:
        if isinstance(model_field, models.FileField):
            stored = getattr(instance, model_field.attname)
            if stored:
                stored.delete(save=False)


@transaction.atomic
def anonymise_pupil(pupil: Pupil) -> None:
    """Keep the pupil's figures but remove whatever identifies the pupil.

    Names, birthday, contacts, guardians, free text and history go; dates of
    attendance and counts stay, so school-wide statistics still add up.
    """
    for model, instances in related_rows(pupil).items():
        if hasattr(model, "history_id"):
            model.objects.filter(pk__in=[row.pk for row in instances]).delete()
            continue
        if model is Pupil:
            continue
        for instance in instances:
            _scrub(instance)

    pupil.guardians.all().delete()
    Pupil.objects.filter(pk=pupil.pk).update(
        first_name=ANONYMISED_NAME,
        last_name=f"elev {pupil.pk}",
        date_of_birth=date(pupil.date_of_birth.year, 1, 1),
        contact_teacher=None,
        caseworker_name="",
        caseworker_phone="",
        caseworker_email="",
        ppr_contact="",
    )
    logger.info("Anonymised pupil %s", pupil.pk)


def _scrub(instance: models.Model) -> None:
    """Blank every free-text field and delete stored files of one row.

    JSON columns keep their shape, keys and numbers, but every string value in
    them is blanked, because any of them may be free text, such as an intake
    amendment's before and after values.
    """
    changed = []
    for model_field in instance._meta.concrete_fields:
        if isinstance(model_field, models.FileField):
            _delete_files(instance)
            continue
        if isinstance(model_field, models.JSONField):
            value = getattr(instance, model_field.attname)
            setattr(instance, model_field.attname, _blank_json_strings(value))
            changed.append(model_field.attname)
            continue
        free_text = isinstance(model_field, models.TextField) or (
            isinstance(model_field, models.CharField) and not model_field.choices
        )
        if free_text:
            setattr(instance, model_field.attname, "" if model_field.blank else "–")
            changed.append(model_field.attname)
    if changed:
        type(instance).objects.filter(pk=instance.pk).update(
            **{name: getattr(instance, name) for name in changed}
        )


def _blank_json_strings(value):
    """Return a copy of decoded JSON with every string value replaced by ""."""
    if isinstance(value, str):
        return ""
    if isinstance(value, list):
        return [_blank_json_strings(item) for item in value]
    if isinstance(value, dict):
        return {key: _blank_json_strings(item) for key, item in value.items()}
    return value
