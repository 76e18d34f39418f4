"""The domain audit trail: who opened, searched, changed or exported which pupil."""

from django.utils.functional import Promise

from schoolplan.models import AccessLogEntry, Pupil


def record_access(
    user, action: str, *, pupil: Pupil | None = None, what: str | Promise = ""
) -> None:
    """Append one row to the access log. `what` must not hold note text.

    A lazy translation in `what` is stored in the active language.
    """
    AccessLogEntry.objects.create(
        user=user if user.is_authenticated else None,
        pupil=pupil,
        action=action,
        what=str(what)[:300],
    )
