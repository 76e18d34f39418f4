"""Plan exports: render the plan as a PDF, store it and record who sent what to whom."""

import hashlib
import logging
import re
import unicodedata
import uuid
from datetime import date
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from schoolplan import documents
from schoolplan.audit import record_access
from schoolplan.forms import period_errors
from schoolplan.models import AccessLogEntry, PlanExport, Pupil
from schoolplan.sections import Audience, Period

logger = logging.getLogger(__name__)

UNKNOWN_AUDIENCE = _("Choose who the plan is for.")
STORED_FILE_CHANGED = _(
    "The stored PDF no longer matches the checksum recorded when it was sent, "
    "so it is not handed out. Tell the person who runs Skoleplan."
)
STORED_FILE_MISSING = _(
    "The stored PDF cannot be found. Tell the person who runs Skoleplan."
)

# Danish letters have customary ASCII spellings; other letters lose their accents.
_ASCII_SPELLINGS = str.maketrans(
    {"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa", "ß": "ss"}
)


# The last word of a file name, so that the versions of one month's plan
# for different recipients never share a name and are not mixed up.
AUDIENCE_FILE_WORDS = {
    Audience.INTERNAL: pgettext_lazy("file name", "internal"),
    Audience.MUNICIPALITY: pgettext_lazy("file name", "municipality"),
    Audience.CASEWORKER: pgettext_lazy("file name", "caseworker"),
    Audience.PARENTS: pgettext_lazy("file name", "parents"),
}


def plan_file_name(pupil: Pupil, day: date, audience: str) -> str:
    """Return the download name, such as `skoleplan-Søren-Ærø-2025-03-forældre.pdf`.

    Letters of any alphabet are kept; every run of other characters (spaces,
    slashes, quotes) becomes one hyphen.
    """
    words = re.sub(r"[\W_]+", "-", f"{pupil.first_name} {pupil.last_name}").strip("-")
    recipient = AUDIENCE_FILE_WORDS[audience]
    return f"skoleplan-{words or pupil.pk}-{day:%Y-%m}-{recipient}.pdf"


def ascii_file_name(file_name: str) -> str:
    """Return `file_name` spelled in ASCII, for clients without RFC 5987 support."""
    spelled = unicodedata.normalize("NFKD", file_name.translate(_ASCII_SPELLINGS))
    ascii_only = spelled.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_only)


def attachment_header(file_name: str) -> str:
    """Return a Content-Disposition value that keeps non-ASCII letters.

    `filename*` (RFC 5987, UTF-8 and percent-encoded) carries the real name;
    `filename` gives older clients an ASCII spelling (RFC 6266, section 4.3).
    """
    return (
        f'attachment; filename="{ascii_file_name(file_name)}"; '
        f"filename*=UTF-8''{quote(file_name, safe='')}"
    )


def exports_for(pupil: Pupil) -> QuerySet[PlanExport]:
    return PlanExport.objects.filter(pupil=pupil).select_related("created_by")


def check_period(period: Period) -> None:
    """Raise ValidationError unless the period lies within the dates the forms allow."""
    errors = period_errors(period.start, period.end)
    if errors:
        raise ValidationError(errors)


def _validate(audience: str, period: Period) -> None:
    if audience not in Audience.values:
        raise ValidationError({"audience": UNKNOWN_AUDIENCE})
    check_period(period)


# Labels of the ways an export is made, as the access log shows them.
VIA_LABELS = {"web": _("in the browser"), "command": _("from the command line")}


def plan_export_create(
    *,
    pupil: Pupil,
    audience: str,
    period: Period,
    user,
    via: str = "web",
) -> PlanExport:
    """Render the plan as a PDF, store it and record the export.

    Raises ValidationError for a bad audience or period, and
    `documents.PdfRenderError` when rendering fails or passes the time limit;
    in either case nothing is stored or recorded.
    """
    _validate(audience, period)

    made_at = timezone.now()
    reference = uuid.uuid4()
    rendered = documents.render_plan(
        pupil, period, audience, made_by=user, made_at=made_at, reference=reference
    )

    export = PlanExport(
        reference=reference,
        pupil=pupil,
        created_by=user,
        created_at=made_at,
        audience=audience,
        period_start=period.start,
        period_end=period.end,
        page_count=rendered.page_count,
        sha256=hashlib.sha256(rendered.pdf).hexdigest(),
        size=len(rendered.pdf),
        file_name=plan_file_name(pupil, timezone.localdate(made_at), audience),
    )
    export.file.save(f"{reference}.pdf", ContentFile(rendered.pdf), save=False)
    try:
        with transaction.atomic():
            export.full_clean()
            export.save()
            record_access(
                user,
                AccessLogEntry.Action.EXPORT,
                pupil=pupil,
                what=_(
                    "plan PDF %(id)s for %(audience)s, %(start)s to %(end)s (%(via)s)"
                )
                % {
                    "id": export.pk,
                    "audience": Audience(audience).label,
                    "start": period.start.isoformat(),
                    "end": period.end.isoformat(),
                    "via": VIA_LABELS.get(via, via),
                },
            )
    except BaseException:
        # No row refers to the file, so it must not stay behind.
        export.file.delete(save=False)
        raise

    logger.info(
        "Exported plan PDF %s for pupil %s: %s pages, %s bytes",
        export.pk,
        pupil.pk,
        export.page_count,
        export.size,
    )
    return export


def read_stored_pdf(export: PlanExport) -> bytes:
    """Return the stored PDF after checking it against the recorded checksum.

    Raises ValidationError with a message for the user when the file is
    missing or has changed since it was sent.
    """
    try:
        with export.file.open("rb") as stored:
            data = stored.read()
    except FileNotFoundError:
        logger.error("Stored plan PDF %s is missing", export.pk)
        raise ValidationError(STORED_FILE_MISSING) from None

    if hashlib.sha256(data).hexdigest() != export.sha256:
        logger.error("Stored plan PDF %s does not match its checksum", export.pk)
        raise ValidationError(STORED_FILE_CHANGED)
    return data
